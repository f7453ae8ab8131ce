"""The course as a static web book that works offline: ``_build/book/``.

``python -m course_editions.book`` (or ``make book``) renders every ``notebooks/*.md`` with its
outputs into one HTML page, plus a front page (``book/index.md``: what the course is, the lectures
in order, how to run it), with Sphinx, MyST-NB and sphinx-book-theme, the stack of Jupyter Book 1
(see ``book/conf.py`` for why not Jupyter Book itself).  Open ``_build/book/index.html`` from disk:
nothing is loaded from the internet, MathJax 2 included (copied from ``node_modules/mathjax``, the
copy the slide decks use, installed by ``npm ci``).

The notebooks are not executed a third time when the test run already did it: an executed copy in
``_build/executed/`` (written by the nbval collector in ``conftest.py``) newer than the notebook and
than the package and data it runs on is reused, as the slide decks do; any other notebook is
executed here with nbclient, in ``notebooks/``.

What a page shows follows the cell roles (:mod:`course_editions.roles`, ``docs/authoring.md``):
solutions are folded in a ``<details>`` box (a click shows them), speaker notes are left out,
``# NBVAL_...`` lines are stripped, ``check`` cells are folded (MyST-NB's ``hide-cell``), starters
are shown.  An interactive explorer shows its static picture (the widget view is dropped from its
output) with a line saying where to run it live; the descent animation (matplotlib's jshtml) plays.
Sphinx runs with warnings as errors; heading levels that skip one (a lecture's ``###`` subtitle
right under its ``#`` title) are fixed in the copy that is built, never in ``notebooks/``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_editions import roles, slides
from sinefit.data import repo_root

#: The book's sources in the repository: ``conf.py``, ``index.md`` and ``_static/``.
BOOK_DIR = "book"
#: Where the index page's list of lectures goes.
LECTURES_MARKER = "{lectures}"
#: The label of the index page's "How to run the course" section (the explorer's note links it).
RUN_LABEL = "run-the-course"
#: The MathJax 2 files the book needs: the same subset as the slide decks (slides.VENDOR_FILES).
MATHJAX_MAJOR, MATHJAX_FILES, _ = slides.VENDOR_FILES["mathjax"]
#: Output mimetypes of live widgets: without a kernel they show nothing, so they are dropped and
#: the output's static fallback (the explorer's PNG) is shown.
WIDGET_MIMETYPE_PREFIX = "application/vnd.jupyter.widget"
#: Cell roles a page leaves out.
REMOVED_ROLES = frozenset({"notes"})
#: MyST-NB's tag folding a whole cell, code and output, behind a click.
HIDE_CELL = "hide-cell"
SOLUTION_OPEN = '<details class="solution">\n<summary>Solution</summary>'
SOLUTION_CLOSE = "</details>"
LIVE_EXPLORER_NOTE = (
    "{.live-elsewhere}\n"
    "This is a picture of the explorer as it starts: its sliders and buttons need a running Python "
    "kernel. To use it live, open this notebook in JupyterLab and run it (see {ref}`"
    + RUN_LABEL + "`)."
)

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})([ \t]+.*)$")
_SOLUTION_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", flags=re.MULTILINE)


@dataclass(frozen=True)
class Page:
    """One notebook's page of the book."""

    notebook: Path
    html: Path
    title: str
    executed_from: Path | None
    """The executed notebook reused from the test run, or ``None`` if this build executed it."""
    heading_fixes: list[str] = field(default_factory=list, compare=False)
    """Headings changed in the built copy so that no level is skipped (to fix in the notebook)."""
    executed: nbformat.NotebookNode | None = field(default=None, repr=False, compare=False)
    """The executed notebook the page was made from."""


@dataclass(frozen=True)
class Book:
    """A built book: its folder, its pages and how long the build took."""

    out_dir: Path
    index: Path
    pages: list[Page]
    seconds: float


# --- the page a notebook becomes ------------------------------------------------------------------

def _markdown(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source)


def fix_headings(cell_sources: Iterable[str]) -> tuple[list[str], list[str]]:
    """Markdown sources whose headings never skip a level, and a sentence for each change.

    A heading right under the notebook's ``#`` title, in the same cell (the title slide's
    ``### subtitle``, docs/authoring.md), becomes a paragraph of class ``subtitle``; any other
    heading deeper than one level below the heading before it is raised to that level and
    reported (the notebook should be fixed).  Code fences are left alone.
    """
    fixed: list[str] = []
    changes: list[str] = []
    previous = 0  # level of the last heading seen (0: none yet)
    for source in cell_sources:
        lines = source.split("\n")
        in_fence = False
        after_title = False  # the last non-blank line of this cell was the # title
        for number, line in enumerate(lines):
            if _FENCE.match(line):
                in_fence = not in_fence
            match = None if in_fence else _HEADING.match(line)
            if match is None:
                if line.strip():
                    after_title = False
                continue
            level, text = len(match.group(1)), match.group(2).strip()
            if after_title and level > 2:
                lines[number] = "{.subtitle}\n" + text  # the title slide's subtitle
                after_title = False
                continue
            if previous and level > previous + 1:
                lines[number] = "#" * (previous + 1) + match.group(2)
                changes.append(f"{line.strip()!r} after an H{previous}: made H{previous + 1}")
                level = previous + 1
            previous = level
            after_title = level == 1
        fixed.append("\n".join(lines))
    return fixed, changes


def _drop_widget_views(cell: nbformat.NotebookNode) -> bool:
    """Drop live-widget mimetypes from the cell's outputs; True if there were any."""
    dropped = False
    kept_outputs = []
    for output in cell.get("outputs", []):
        data = output.get("data")
        if data is not None and any(key.startswith(WIDGET_MIMETYPE_PREFIX) for key in data):
            dropped = True
            for key in [key for key in data if key.startswith(WIDGET_MIMETYPE_PREFIX)]:
                del data[key]
            if not data:
                continue  # nothing left to show
        kept_outputs.append(output)
    cell.outputs = kept_outputs
    return dropped


def book_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[str]]:
    """A copy of the executed ``nb`` as its page shows it, and the heading fixes made.

    Speaker notes are dropped, ``# NBVAL_...`` lines stripped, ``check`` cells tagged
    ``hide-cell``, each run of ``solution`` cells wrapped in a ``<details>`` box, and a widget's
    output replaced by its static picture with a note on where to run it live.
    """
    nb = copy.deepcopy(nb)
    cells: list[nbformat.NotebookNode] = []
    in_solution = False
    for cell in nb.cells:
        kind = roles.role(cell)
        if kind in REMOVED_ROLES:
            continue
        if kind == "solution" and not in_solution:
            cells.append(_markdown(SOLUTION_OPEN))
            in_solution = True
        elif kind != "solution" and in_solution:
            cells.append(_markdown(SOLUTION_CLOSE))
            in_solution = False
        if cell.cell_type == "code":
            cell.source = roles.strip_test_markers(cell.source)
            slides.coalesce_streams(cell)
        elif kind == "solution":  # a heading would end the section inside the folded box
            cell.source = _SOLUTION_HEADING.sub(r"**\1**", cell.source)
        if kind == "check":
            tags = [tag for tag in roles.tags(cell) if tag != roles.HIDE_INPUT]
            cell.metadata["tags"] = [*tags, HIDE_CELL]
        cells.append(cell)
        if cell.cell_type == "code" and _drop_widget_views(cell):
            cells.append(_markdown(LIVE_EXPLORER_NOTE))
    if in_solution:
        cells.append(_markdown(SOLUTION_CLOSE))
    markdown = [cell for cell in cells if cell.cell_type == "markdown"]
    sources, changes = fix_headings(cell.source for cell in markdown)
    for cell, source in zip(markdown, sources, strict=True):
        cell.source = source
    nb.cells = cells
    return nb, changes


# --- sources, execution, staging ------------------------------------------------------------------

def copy_mathjax(static_dir: Path, node_modules: Path | None = None) -> Path:
    """Copy MathJax 2's files the book needs from ``node_modules/mathjax`` to ``static_dir``."""
    node_modules = node_modules or repo_root() / "node_modules"
    source = node_modules / "mathjax"
    manifest = source / "package.json"
    if not manifest.is_file():
        raise FileNotFoundError(
            f"{source} is missing: run `npm ci` in the repository (make book does) to install "
            "the pinned MathJax 2 the book serves from its own folder")
    version = json.loads(manifest.read_text())["version"]
    if int(version.split(".")[0]) != MATHJAX_MAJOR:
        raise ValueError(f"mathjax {version} is installed; the book needs {MATHJAX_MAJOR}.x "
                         "(run `npm ci`)")
    target = static_dir / "mathjax"
    for rel in MATHJAX_FILES:
        src, dst = source / rel, target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map"))
        else:
            shutil.copy2(src, dst)
    return target


def lecture_list(entries: Sequence[tuple[str, str, str]]) -> str:
    """The index page's list of lectures and its (hidden) table of contents.

    ``entries``: (document name, title, subtitle) in course order.
    """
    items = "\n".join(
        f"{number}. [{title}]({doc}.ipynb)" + (f": {subtitle}" if subtitle else "")
        for number, (doc, title, subtitle) in enumerate(entries, start=1)
    )
    toctree = "\n".join(doc for doc, _, _ in entries)
    return f"{items}\n\n```{{toctree}}\n:hidden:\n:caption: Lectures\n\n{toctree}\n```\n"


def subtitle_of(nb: nbformat.NotebookNode) -> str:
    """The lecture's subtitle: the title slide's ``### ...`` line under ``# Title`` (in a page's
    notebook, the paragraph :func:`fix_headings` made of it), or ''."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and re.search(r"^# ", cell.source, flags=re.MULTILINE):
            match = re.search(r"^# .*\n+(?:#{2,6}[ \t]+|\{\.subtitle\}\n)(.+?)\s*$", cell.source,
                              flags=re.MULTILINE)
            return match.group(1) if match else ""
    return ""


def stage(work: Path, root: Path, built: list[tuple[Path, nbformat.NotebookNode]]) -> Path:
    """Write the Sphinx source folder: conf.py, index.md, _static/, notebooks/, figures/."""
    src = work / "src"
    if src.exists():
        shutil.rmtree(src)
    book = root / BOOK_DIR
    shutil.copytree(book, src, ignore=shutil.ignore_patterns("__pycache__"))
    copy_mathjax(src / "_static")
    if (root / "figures").is_dir():
        shutil.copytree(root / "figures", src / "figures")
    entries = []
    for notebook, nb in built:
        target = src / "notebooks" / f"{notebook.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        title = slides.notebook_title(nb, default=notebook.stem)
        entries.append((f"notebooks/{notebook.stem}", title, subtitle_of(nb)))
    index = (src / "index.md").read_text(encoding="utf-8")
    if LECTURES_MARKER not in index:
        raise ValueError(f"{book / 'index.md'} has no {LECTURES_MARKER} line for the lectures")
    (src / "index.md").write_text(index.replace(LECTURES_MARKER, lecture_list(entries)),
                                  encoding="utf-8")
    return src


def run_sphinx(src: Path, html_dir: Path, doctrees: Path) -> None:
    """``sphinx-build -W`` (warnings are errors), from scratch."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-E", "-q",
               "-d", str(doctrees), str(src), str(html_dir)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"sphinx-build failed ({' '.join(command)}):\n{result.stderr}"
                           f"{result.stdout}")


#: ``src="..."``/``href="..."`` of the tags that make a page load something.
_LOADED = re.compile(r'<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)="([^"]+)"',
                     flags=re.IGNORECASE)


def remote_assets(html_dir: Path) -> dict[str, list[str]]:
    """Pages of the book that would load something from outside its folder (should be none)."""
    found = {}
    for page in sorted(html_dir.rglob("*.html")):
        urls = [url for url in _LOADED.findall(page.read_text(encoding="utf-8"))
                if re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, flags=re.IGNORECASE)
                and not url.startswith("data:")]
        if urls:
            found[str(page.relative_to(html_dir))] = urls
    return found


def build(
    notebooks: Iterable[Path],
    out_dir: Path,
    executed_dir: Path | None = None,
    reuse_after: float | None = None,
    work_dir: Path | None = None,
) -> Book:
    """Build the book of ``notebooks`` (in the order given) into ``out_dir``.

    An executed notebook in ``executed_dir`` written after ``reuse_after`` (default: the last
    change to the package and data) and after its notebook is reused; every other notebook is
    executed.  ``work_dir`` (default ``out_dir/../.book``) holds the staged sources and Sphinx's
    caches.  Raises ``RuntimeError`` with Sphinx's messages if Sphinx warns.
    """
    start = time.perf_counter()
    root = repo_root()
    notebooks = [Path(nb) for nb in notebooks]
    if not notebooks:
        raise ValueError("notebooks is empty: there is nothing to build a book from")
    missing = [str(nb) for nb in notebooks if not nb.is_file()]
    if missing:
        raise FileNotFoundError(f"notebooks not found: {', '.join(missing)}")
    work = work_dir or out_dir.parent / ".book"
    after = slides.sources_changed_at(root) if reuse_after is None else reuse_after
    built, pages = [], []
    for notebook in notebooks:
        executed, reused = slides.executed_notebook(notebook, executed_dir, after)
        nb, fixes = book_notebook(executed)
        built.append((notebook, nb))
        title = slides.notebook_title(nb, default=notebook.stem)
        pages.append(Page(notebook, out_dir / "notebooks" / f"{notebook.stem}.html", title,
                          reused, fixes, executed))
    src = stage(work, root, built)
    html_dir = work / "html"
    for stale in (html_dir, work / "jupyter_execute"):
        if stale.exists():
            shutil.rmtree(stale)
    run_sphinx(src, html_dir, work / "doctrees")
    # The themes copy their Jinja macro files into _static/ as if they were pages: not pages.
    for fragment in (html_dir / "_static").rglob("*.html"):
        fragment.unlink()
    (html_dir / ".buildinfo.bak").unlink(missing_ok=True)
    if (html_dir / "_sources").is_dir() and not any((html_dir / "_sources").iterdir()):
        (html_dir / "_sources").rmdir()  # html_copy_source is off: Sphinx leaves it empty
    remote = remote_assets(html_dir)
    if remote:
        raise RuntimeError(f"the book would load files from outside its folder: {remote}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(html_dir, out_dir)
    return Book(out_dir, out_dir / "index.html", pages, time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: build the book of every notebook in a folder."""
    root = repo_root()
    parser = argparse.ArgumentParser(prog="python -m course_editions.book", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=root / "notebooks",
                        help="folder of MyST notebooks (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=root / "_build" / "book",
                        help="output folder (default: _build/book/)")
    parser.add_argument("--executed", type=Path, default=root / "_build" / "executed",
                        help="executed notebooks to reuse when fresh (default: _build/executed/)")
    args = parser.parse_args(argv)
    notebooks = sorted(args.notebooks.glob("*.md"))
    book = build(notebooks, args.out, executed_dir=args.executed)
    for page in book.pages:
        how = f"reused {page.executed_from}" if page.executed_from else "executed"
        print(f"{page.html}  ({how})  {page.title}")
        for fix in page.heading_fixes:
            print(f"  heading fixed in the book's copy (fix it in {page.notebook.name}): {fix}")
    print(f"built in {book.seconds:.1f} s; open {book.index}")


if __name__ == "__main__":
    main()
