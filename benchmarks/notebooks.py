"""What the notebooks cost beyond the unavoidable start-up, and what building the slides costs.

- ``notebook_exec_s[stem]``: start a kernel in ``notebooks/`` (as nbval does), run the course's
  warnings-are-errors prelude, execute every code cell, shut the kernel down.
- ``kernel_floor_s[stem]``: the same with only the loading of the notebook's code as the cells: its
  import statements, then every module its run loaded although its import statements did not
  (the libraries' imports on first use, e.g. the ``torch._dynamo`` that the first ``torch.optim``
  optimizer imports; counted in ``deferred_import_count``, named by their roots in
  ``deferred_import_roots``).
- ``import_statements_floor_s[stem]``: the import statements alone (the floor before 2026-11-26).
- ``course_exec_over_floor``: sum of the executions over sum of the floors; also over the import
  statements alone, ``course_exec_over_import_statements_floor``, reported next to it.
- ``slides_build_s``: wall time of ``make slides``.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _course_conftest():
    """The repository's top-level conftest.py, loaded by path: under pytest the name ``conftest``
    may already be taken by tests/conftest.py."""
    spec = importlib.util.spec_from_file_location("course_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KERNEL_PRELUDE = _course_conftest().KERNEL_PRELUDE  # the prelude nbval runs, defined once


def import_statements(nb: nbformat.NotebookNode) -> list[str]:
    """The top-level ``import`` / ``from ... import`` statements of the code cells, in order."""
    to_python = TransformerManager()
    statements = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(to_python.transform_cell(cell.source))
        statements += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return statements


#: Run after the timing stops: the kernel's loaded modules, in the order they were loaded.
_LIST_MODULES = "import sys; print('\\n'.join(sys.modules))"


def execute_seconds(sources: list[str], cwd: Path, timeout: int = 900,
                    per_cell: list[float] | None = None, modules: list[str] | None = None) -> float:
    """Wall time to start a kernel in ``cwd`` and run the prelude and ``sources`` in it.

    The kernel's shutdown is not timed (it is not part of running a notebook, and it waits on
    the kernel process in ways that have nothing to do with the notebook).  ``per_cell``, if
    given, receives the seconds of each of ``sources``; ``modules``, if given, receives the names
    in the kernel's ``sys.modules`` after the last of them, in the order they were loaded.
    """
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in [KERNEL_PRELUDE, *sources]]
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    client.reset_execution_trackers()
    start = time.perf_counter()
    # The kernel's own log lines (e.g. its TCP notice) would clutter the benchmark's output.
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        for index, cell in enumerate(nb.cells):
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)  # raises CellExecutionError if a cell fails
            if per_cell is not None and index > 0:
                per_cell.append(time.perf_counter() - cell_start)
        seconds = time.perf_counter() - start
        if modules is not None:
            nb.cells.append(nbformat.v4.new_code_cell(_LIST_MODULES))
            client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
            modules += "".join(output.get("text", "") for output in nb.cells[-1].outputs).split()
        # The prelude turned warnings into errors; ipykernel warns while shutting down.
        nb.cells.append(nbformat.v4.new_code_cell("import warnings; warnings.resetwarnings()"))
        client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
    return seconds


def deferred_imports(after_imports: list[str], after_run: list[str]) -> list[str]:
    """The modules a notebook's run loaded beyond its import statements, in the order they were loaded.

    ``__main__`` and the kernel's per-cell pseudo-modules are not code to load.
    """
    imported = set(after_imports)
    return [name for name in after_run if name not in imported and not name.startswith(("__main__", "<"))]


def roots(modules: list[str]) -> list[str]:
    """The names in ``modules`` whose parent package is not among them: the libraries' entry points."""
    names = set(modules)
    return [name for name in modules if name.rpartition(".")[0] not in names]


def import_sources(modules: list[str]) -> list[str]:
    """One cell that imports ``modules``; a module that cannot be imported on its own is skipped
    (and shows up in ``deferred_imports_not_in_floor``).

    Loading a library's code is start-up, whatever the library warns about while loading, so
    warnings are silenced here (the prelude turned them into errors).
    """
    if not modules:
        return []
    return ["import importlib, warnings\n"
            "with warnings.catch_warnings():\n"
            "    warnings.simplefilter('ignore')\n"
            f"    for _name in {modules!r}:\n"
            "        try:\n"
            "            importlib.import_module(_name)\n"
            "        except Exception:\n"
            "            pass\n"]


def time_make_slides() -> tuple[float | None, str | None]:
    """Seconds of ``make slides`` executing every notebook (``--fresh``), or None and the reason it could not be timed."""
    has_target = subprocess.run(["make", "-n", "slides"], cwd=ROOT, capture_output=True, text=True)
    if has_target.returncode != 0:
        return None, f"the Makefile has no working `slides` target: {has_target.stderr.strip()[-300:]}"
    start = time.perf_counter()
    build = subprocess.run(["make", "slides", "SLIDES_ARGS=--fresh"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if build.returncode != 0:
        return None, f"`make slides` failed (exit {build.returncode}): {(build.stdout + build.stderr).strip()[-500:]}"
    return seconds, None


def run(slides: bool = True) -> dict[str, object]:
    """Time every notebook against its floor, then ``make slides``."""
    notebooks = sorted(NOTEBOOKS.glob("*.md"))
    if not notebooks:
        return {"notebooks_error": f"no notebooks in {NOTEBOOKS}"}
    # A first kernel start loads the libraries from disk; every measured run then starts warm.
    execute_seconds(["import numpy, matplotlib"], NOTEBOOKS)
    exec_s: dict[str, float] = {}
    floor_s: dict[str, float] = {}
    statements_floor_s: dict[str, float] = {}
    deferred_count: dict[str, int] = {}
    deferred_roots: dict[str, list[str]] = {}
    not_loaded: dict[str, list[str]] = {}
    slowest: dict[str, list[list[object]]] = {}
    for notebook in notebooks:
        nb = jupytext.read(notebook, fmt="md:myst")
        statements = import_statements(nb)
        after_imports: list[str] = []
        statements_floor_s[notebook.stem] = execute_seconds(statements, NOTEBOOKS, modules=after_imports)
        code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
        per_cell: list[float] = []
        after_run: list[str] = []
        exec_s[notebook.stem] = execute_seconds(code, NOTEBOOKS, per_cell=per_cell, modules=after_run)
        deferred = deferred_imports(after_imports, after_run)
        deferred_count[notebook.stem], deferred_roots[notebook.stem] = len(deferred), roots(deferred)
        after_floor: list[str] = []
        floor_s[notebook.stem] = execute_seconds([*statements, *import_sources(deferred)], NOTEBOOKS,
                                                 modules=after_floor)
        # What the floor could not load (a module that imports only in its library's context).
        not_loaded[notebook.stem] = sorted(set(after_run) - set(after_floor))
        # Where a notebook's time goes: its three slowest cells, by their first line.
        ranked = sorted(zip(per_cell, code), key=lambda pair: -pair[0])[:3]
        slowest[notebook.stem] = [[round(s, 2), source.strip().splitlines()[0][:70] if source.strip() else ""]
                                  for s, source in ranked]
        print(f"  {notebook.name}: {exec_s[notebook.stem]:.1f} s, floor {floor_s[notebook.stem]:.1f} s "
              f"(import statements alone {statements_floor_s[notebook.stem]:.1f} s)", flush=True)
    results: dict[str, object] = {
        "notebook_exec_s": exec_s,
        "kernel_floor_s": floor_s,
        "import_statements_floor_s": statements_floor_s,
        "deferred_import_count": deferred_count,
        "deferred_import_roots": deferred_roots,
        "deferred_imports_not_in_floor": not_loaded,
        "course_exec_s": sum(exec_s.values()),
        "course_floor_s": sum(floor_s.values()),
        "course_exec_over_floor": sum(exec_s.values()) / sum(floor_s.values()),
        "course_exec_over_import_statements_floor": sum(exec_s.values()) / sum(statements_floor_s.values()),
        "notebook_slowest_cells": slowest,
    }
    if slides:
        # Both keys, one of them None, so a merge into older results leaves nothing stale.
        results["slides_build_s"], results["slides_build_error"] = time_make_slides()
    return results


if __name__ == "__main__":
    for key, value in run(slides="--no-slides" not in sys.argv).items():
        print(f"{key}: {value}")
