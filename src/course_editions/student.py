"""The student edition: ``_build/student/`` and ``_build/student.zip``, a course folder to hand out.

``python -m course_editions.student`` (or ``make student``) makes, from the one source
``notebooks/*.md`` (see ``docs/authoring.md`` for the cell roles):

- ``notebooks/*.ipynb``: no outputs; ``solution`` cells and speaker notes removed, so no line of a
  solution is in the edition; ``starter`` cells kept (the student works there); ``check`` cells
  kept but folded; ``# NBVAL_...`` marker lines stripped; plain ``.ipynb`` that opens anywhere
  (JupyterLab without jupytext, VS Code, Colab);
- ``data/``, ``figures/`` and ``src/sinefit/`` (the package the notebooks import, and nothing of
  this tooling);
- what a student needs to set it up: ``pyproject.toml`` (package ``sinefit`` with the course's
  runtime dependencies), ``constraints.txt``, a ``Makefile`` with ``setup`` and ``lab``, and a
  short ``README.md``.

Two builds give byte-identical files and zip.  A notebook whose cell roles do not make sense (a
solution without a starter before it, ...) stops the build with a message naming every problem.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from course_editions.roles import (
    HIDE_INPUT,
    REMOVE_CELL,
    Exercise,
    RoleError,
    role,
    strip_test_markers,
    tags,
    validate,
)
from sinefit.data import repo_root

#: The folder the zip unpacks into.
ZIP_FOLDER = "sinefit-course"
#: Fixed zip timestamp (the earliest a zip can hold) and permissions: two builds are byte-identical.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
#: The cell metadata an edition keeps (jupytext's and JupyterLab's UI state are dropped).
CELL_METADATA = ("slideshow", "tags", "jupyter", "editable", "deletable")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: The first line of the student README; a folder starting with it may be rebuilt (deleted first).
README_TITLE = "# From gradient descent to autograd: fitting a sine"


class EditionError(RuntimeError):
    """The student edition cannot be built (the message says why)."""


# --- One notebook -------------------------------------------------------------------------------

def _fold(cell: nbformat.NotebookNode, outputs: bool = False) -> None:
    jupyter = cell.metadata.setdefault("jupyter", {})
    jupyter["source_hidden"] = True
    if outputs:
        jupyter["outputs_hidden"] = True


def edition_notebook(nb: nbformat.NotebookNode, *, solutions: bool = False,
                     name: str = "notebook") -> nbformat.NotebookNode:
    """The student edition of a notebook read by jupytext (``solutions=True``: the solved edition).

    The student edition keeps ``starter`` cells and drops ``solution`` cells; the solved one (what
    the tests run to prove every checker accepts the instructor's answer) does the opposite, through
    the same steps otherwise.  Both: speaker notes dropped, outputs and execution counts cleared,
    nbval markers stripped, ``check`` cells folded, ``hide-input`` code folded, ``remove-cell``
    cells folded with their output (they still run: the notebook needs them), cell ids numbered.
    Raises :class:`course_editions.roles.RoleError` if the notebook's cell roles are not right.
    """
    validate(nb, name)
    dropped = "starter" if solutions else "solution"
    out = nbformat.v4.new_notebook()
    out.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC),
                                       "language_info": {"name": "python"}})
    for cell in nb.cells:
        kind = role(cell)
        if kind in (dropped, "notes"):
            continue
        metadata = {key: value for key, value in cell.get("metadata", {}).items()
                    if key in CELL_METADATA}
        new_cell = {
            "code": nbformat.v4.new_code_cell,
            "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell,
        }[cell.cell_type](source=cell.source, metadata=nbformat.from_dict(metadata))
        new_cell.id = f"cell-{len(out.cells):03d}"
        if cell.cell_type == "code":
            new_cell.source = strip_test_markers(cell.source)
            if kind == "check" or HIDE_INPUT in tags(cell):
                _fold(new_cell)
        if REMOVE_CELL in tags(cell):
            _fold(new_cell, outputs=True)
        out.cells.append(new_cell)
    nbformat.validate(out)
    return out


def _lines(cells: Sequence[nbformat.NotebookNode]) -> set[str]:
    return {line.strip() for cell in cells for line in cell.source.splitlines()}


def solution_lines(nb: nbformat.NotebookNode) -> set[str]:
    """The lines only a solution holds: stripped, with a letter or digit, in no other cell.

    A line a solution shares with a starter or the lesson (the checker call a solution ends with,
    ``plt.show()``) gives nothing away.
    """
    others = _lines([cell for cell in nb.cells if role(cell) != "solution"])
    return {line for line in _lines([cell for cell in nb.cells if role(cell) == "solution"])
            if re.search(r"\w", line) and line not in others}


def leaked_lines(source: nbformat.NotebookNode, edition: nbformat.NotebookNode) -> list[str]:
    """The solution lines of ``source`` that appear in ``edition`` (empty: nothing leaked)."""
    return sorted(solution_lines(source) & _lines(edition.cells))


# --- The folder ---------------------------------------------------------------------------------

def _toml(value: object, one_line: bool = False) -> str:
    """A TOML string, or a list of strings (one per line unless ``one_line``)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list) and one_line:
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, list):
        return "[\n" + "".join(f"    {_toml(item)},\n" for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML here")


def student_pyproject(main: str) -> str:
    """The student folder's ``pyproject.toml``: package ``sinefit`` and its runtime dependencies.

    Made from the course's own ``pyproject.toml`` (``main``, its text): same name, version,
    Python and dependencies, without the ``dev`` extra, the test settings or the edition tooling.
    """
    data = tomllib.loads(main)
    project = data["project"]
    fields = ["name", "version", "description", "requires-python", "license"]
    lines = [
        "# Made by `make student` from the course repository; `make setup` installs it.",
        "[build-system]",
        f"requires = {_toml(data['build-system']['requires'], one_line=True)}",
        f"build-backend = {_toml(data['build-system']['build-backend'])}",
        "",
        "[project]",
        *(f"{key} = {_toml(project[key])}" for key in fields if key in project),
        'readme = "README.md"',
        f"dependencies = {_toml(list(project['dependencies']))}",
        "",
        "[tool.setuptools.packages.find]",
        'where = ["src"]',
        'include = ["sinefit*"]',
        "",
        "[tool.setuptools.package-data]",
        'sinefit = ["py.typed"]',
        "",
    ]
    return "\n".join(lines)


STUDENT_MAKEFILE = """\
# `make setup` once, then `make lab` (which runs setup first if needed).

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# `make setup TORCH_CPU=1`: take PyTorch's CPU build (~200 MB) from PyTorch's CPU wheel index
# instead of PyPI's Linux CUDA build (~3 GB).  On macOS and Windows PyPI's wheels are CPU builds.
TORCH_CPU ?=
TORCH_INDEX := $(if $(filter 1 yes true,$(TORCH_CPU)),--extra-index-url https://download.pytorch.org/whl/cpu)

.DEFAULT_GOAL := help
.PHONY: help setup lab

help: ## list the commands
\t@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
\t$(PYTHON) -m venv $(VENV)
\t$(VENV)/bin/python -m pip install --constraint constraints.txt $(TORCH_INDEX) -e .
\ttouch $(STAMP)

setup: $(STAMP) ## create .venv with the course package, PyTorch and JupyterLab

# Loopback only, with Jupyter's token on (open the URL it prints); root (a container) needs --allow-root.
LAB_OPTS = --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks \\
\t$(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup ## open the notebooks in JupyterLab (extra options: make lab LAB_ARGS="--port 8890")
\t$(VENV)/bin/jupyter lab $(LAB_OPTS) $(LAB_ARGS)
"""


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """The first ``#`` heading of the notebook."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def student_readme(titles: Sequence[tuple[str, str, int]]) -> str:
    """The student README; ``titles`` holds (file name, title, number of exercises) per notebook."""
    rows = "\n".join(f"| {i} | `notebooks/{file}` | {title} | {count} |"
                     for i, (file, title, count) in enumerate(titles, start=1))
    return f"""{README_TITLE}

A short course in {_NUMBERS.get(len(titles), len(titles))} notebooks. One example runs through all
of them: fit sin(ωx + t) to noisy data by minimising the mean squared error, first with a
gradient derived by hand, then with PyTorch's autograd, a small autodiff engine of your own, and
PyTorch's optimisers. Work through the notebooks in order.

| # | notebook | topic | exercises |
|---|---|---|---|
{rows}

## Set up (once)

You need Python 3.11 or newer. In this folder:

```bash
make setup      # creates .venv and installs the course package, PyTorch and JupyterLab
make lab        # opens JupyterLab on notebooks/ (prints a http://127.0.0.1:8888/... link)
```

On Linux without an NVIDIA GPU, use `make setup TORCH_CPU=1`: it installs PyTorch's CPU build
(about 200 MB) instead of the CUDA build PyPI gives Linux (about 3 GB).

Without `make` (e.g. on Windows), the same by hand:

```bash
python -m venv .venv
.venv/bin/python -m pip install --constraint constraints.txt -e .     # Windows: .venv\\Scripts\\python
.venv/bin/jupyter lab notebooks                                       # Windows: .venv\\Scripts\\jupyter
```

Drawing computation graphs (notebooks 2 and 3) also needs Graphviz's `dot`
(`apt-get install graphviz`, `brew install graphviz`, or graphviz.org).

## Opening the notebooks

- **JupyterLab**: `make lab`, then double-click a notebook in the file browser.
- **VS Code**: open this folder, open a notebook and choose the kernel of `.venv` (after
  `make setup`).
- **Google Colab**: upload this folder's zip to the Colab session, then run in a first cell
  `!unzip -q -o {ZIP_FOLDER}.zip -d /content` (use your zip's name) and
  `import sys; sys.path.insert(0, "/content/{ZIP_FOLDER}/src")`; open the notebook with
  *File → Upload notebook*. Colab already has NumPy, Matplotlib and PyTorch.

## Exercises

Each exercise is a heading *Exercise N* with a code cell below it that holds `...` where your
answer goes and ends with a call to a checker. Replace the `...`, run the cell (Shift+Enter), and
read the checker's answer: **Correct!**, **Not yet:** (what is wrong, and a hint), or
**Not attempted yet:** (there is still a `...`). A wrong answer never breaks the notebook: "Run
All" works whatever you have written. Folded cells (click the dots to unfold) are checks the
course uses to verify its own figures; you may ignore them.

`data/` holds the data sets, `src/sinefit/` the helpers the notebooks import.
"""


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    path.chmod(FILE_MODE)


def _copy_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or "__pycache__" in relative.parts or path.suffix in (".pyc", ".pyo"):
            continue
        _write(target / relative, path.read_bytes())


def _clear(out_dir: Path, root: Path) -> None:
    """Empty ``out_dir`` for a fresh build, refusing to delete anything that is not a build."""
    out_dir = out_dir.resolve()
    if out_dir == root or out_dir in root.parents:
        raise EditionError(f"refusing to build into {out_dir}: it holds the course repository")
    if not out_dir.exists():
        return
    readme = out_dir / "README.md"
    previous = readme.is_file() and readme.read_text(encoding="utf-8").startswith(README_TITLE)
    if any(out_dir.iterdir()) and not previous:
        raise EditionError(f"refusing to replace {out_dir}: it is not empty and not a student edition")
    shutil.rmtree(out_dir)


def write_zip(folder: Path, zip_path: Path, prefix: str = ZIP_FOLDER) -> Path:
    """Zip ``folder`` under ``prefix/``: sorted entries, fixed timestamps and permissions."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    files = sorted((p for p in folder.rglob("*") if p.is_file()),
                   key=lambda p: p.relative_to(folder).as_posix())
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(folder).as_posix()}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that the permissions below are read
            info.external_attr = (0o100000 | FILE_MODE) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    zip_path.chmod(FILE_MODE)
    return zip_path


@dataclass
class Edition:
    """What a build wrote."""

    folder: Path
    zip: Path | None
    notebooks: list[Path]
    exercises: dict[str, list[Exercise]]


def build(out_dir: Path, root: Path | None = None, zip_path: Path | None = None,
          solutions: bool = False, notebooks: Sequence[Path] | None = None) -> Edition:
    """Write the student edition of the course at ``root`` into ``out_dir`` (and zip it).

    ``solutions=True`` writes the solved edition instead (solutions in place of the starters),
    and ``notebooks`` limits the edition to some of ``root/notebooks/*.md``; only the tests use
    them.  Raises :class:`EditionError` when a notebook's roles are wrong.
    """
    root = (root or repo_root()).resolve()
    sources = sorted(notebooks if notebooks is not None else (root / "notebooks").glob("*.md"))
    if not sources:
        raise EditionError(f"no notebooks in {root / 'notebooks'}")
    editions, problems = {}, []
    for source in sources:
        nb = jupytext.read(source, fmt="md:myst")
        try:
            edition = edition_notebook(nb, solutions=solutions, name=source.name)
            found_exercises = validate(nb, source.name)
        except RoleError as error:
            problems.append(str(error))
            continue
        if not solutions and (leaked := leaked_lines(nb, edition)):
            problems.append(f"{source.name}: solution lines in the student edition: {leaked}")
        editions[source] = (nb, edition, found_exercises)
    if problems:
        raise EditionError("cannot build the student edition:\n" + "\n".join(problems))

    _clear(out_dir, root)
    written, found, titles = [], {}, []
    for source, (nb, edition, found_exercises) in editions.items():
        target = out_dir / "notebooks" / f"{source.stem}.ipynb"
        _write(target, nbformat.writes(edition) + "\n")
        written.append(target)
        found[source.name] = found_exercises
        titles.append((target.name, notebook_title(nb, source.stem), len(found[source.name])))
    for folder in ("data", "figures"):
        if (root / folder).is_dir():
            _copy_tree(root / folder, out_dir / folder)
    _copy_tree(root / "src" / "sinefit", out_dir / "src" / "sinefit")
    _write(out_dir / "pyproject.toml",
           student_pyproject((root / "pyproject.toml").read_text(encoding="utf-8")))
    _write(out_dir / "constraints.txt", (root / "constraints.txt").read_bytes())
    _write(out_dir / "Makefile", STUDENT_MAKEFILE)
    _write(out_dir / "README.md", student_readme(titles))
    for path in [out_dir, *(p for p in out_dir.rglob("*") if p.is_dir())]:
        path.chmod(0o755)
    zipped = write_zip(out_dir, zip_path) if zip_path is not None else None
    return Edition(out_dir, zipped, written, found)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: build ``_build/student/`` and ``_build/student.zip``."""
    root = repo_root()
    parser = argparse.ArgumentParser(prog="python -m course_editions.student",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=root / "_build" / "student",
                        help="output folder (default: _build/student/)")
    parser.add_argument("--zip", type=Path, default=None,
                        help="zip file (default: the output folder's name + .zip beside it)")
    args = parser.parse_args(argv)
    zip_path = args.zip or args.out.with_name(args.out.name + ".zip")
    try:
        edition = build(args.out, root, zip_path)
    except (EditionError, RoleError) as error:
        raise SystemExit(f"make student: {error}") from None
    for notebook in edition.notebooks:
        names = [exercise.title for exercise in edition.exercises[notebook.with_suffix(".md").name]]
        print(f"{notebook.relative_to(root) if notebook.is_relative_to(root) else notebook}: "
              f"{len(names)} exercises {names}")
    print(f"folder: {edition.folder}\nzip:    {edition.zip}")


if __name__ == "__main__":
    main()
