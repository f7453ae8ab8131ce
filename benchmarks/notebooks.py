"""What the notebooks cost beyond the unavoidable start-up, and what building the slides costs.

- ``notebook_exec_s[stem]``: start a kernel in ``notebooks/`` (as nbval does), run the course's
  warnings-are-errors prelude, execute every code cell, shut the kernel down.
- ``kernel_floor_s[stem]``: the same with only the notebook's import statements as the cells.
- ``course_exec_over_floor``: sum of the first over sum of the second.
- ``slides_build_s``: wall time of ``make slides``.
"""

from __future__ import annotations

import ast
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
sys.path.insert(0, str(ROOT))

from conftest import KERNEL_PRELUDE  # noqa: E402  (the prelude nbval runs, defined once)


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


def execute_seconds(sources: list[str], cwd: Path, timeout: int = 900,
                    per_cell: list[float] | None = None) -> float:
    """Wall time to start a kernel in ``cwd`` and run the prelude and ``sources`` in it.

    The kernel's shutdown is not timed (it is not part of running a notebook, and it waits on
    the kernel process in ways that have nothing to do with the notebook).  ``per_cell``, if
    given, receives the seconds of each of ``sources``.
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
        # The prelude turned warnings into errors; ipykernel warns while shutting down.
        nb.cells.append(nbformat.v4.new_code_cell("import warnings; warnings.resetwarnings()"))
        client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
    return seconds


def time_make_slides() -> tuple[float | None, str | None]:
    """Seconds of ``make slides``, or None and the reason it could not be timed."""
    has_target = subprocess.run(["make", "-n", "slides"], cwd=ROOT, capture_output=True, text=True)
    if has_target.returncode != 0:
        return None, f"the Makefile has no working `slides` target: {has_target.stderr.strip()[-300:]}"
    start = time.perf_counter()
    build = subprocess.run(["make", "slides"], cwd=ROOT, capture_output=True, text=True)
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
    slowest: dict[str, list[list[object]]] = {}
    for notebook in notebooks:
        nb = jupytext.read(notebook, fmt="md:myst")
        floor_s[notebook.stem] = execute_seconds(import_statements(nb), NOTEBOOKS)
        code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
        per_cell: list[float] = []
        exec_s[notebook.stem] = execute_seconds(code, NOTEBOOKS, per_cell=per_cell)
        # Where a notebook's time goes: its three slowest cells, by their first line.
        ranked = sorted(zip(per_cell, code), key=lambda pair: -pair[0])[:3]
        slowest[notebook.stem] = [[round(s, 2), source.strip().splitlines()[0][:70] if source.strip() else ""]
                                  for s, source in ranked]
        print(f"  {notebook.name}: {exec_s[notebook.stem]:.1f} s, floor {floor_s[notebook.stem]:.1f} s",
              flush=True)
    results: dict[str, object] = {
        "notebook_exec_s": exec_s,
        "kernel_floor_s": floor_s,
        "course_exec_s": sum(exec_s.values()),
        "course_floor_s": sum(floor_s.values()),
        "course_exec_over_floor": sum(exec_s.values()) / sum(floor_s.values()),
        "notebook_slowest_cells": slowest,
    }
    if slides:
        # Both keys, one of them None, so a merge into older results leaves nothing stale.
        results["slides_build_s"], results["slides_build_error"] = time_make_slides()
    return results


if __name__ == "__main__":
    for key, value in run(slides="--no-slides" not in sys.argv).items():
        print(f"{key}: {value}")
