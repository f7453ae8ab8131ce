"""Every notebook's form: MyST that round-trips, a kernelspec, known slide types, a title slide
first, a title on every slide, and no absolute paths.  (Execution, warnings and stderr are checked
by the nbval run itself; the rendered decks by tests/test_slides.py.)"""

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from course_editions import roles
from course_editions.slides import hidden_in_deck

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
#: A slide's first cell begins with its title: `# ` on the title slide, `## ` on the others.
TITLE = re.compile(r"\A\s*#{1,2} +\S")
ABSOLUTE_PATH = re.compile(r"""(?<![\w.])(/(home|root|work|tmp|Users|usr|opt)/|[A-Za-z]:\\)""")


def test_the_course_has_notebooks_and_no_ipynb():
    assert NOTEBOOKS, "notebooks/ holds no .md notebook"
    assert not list((ROOT / "notebooks").glob("*.ipynb")), "no .ipynb belongs in notebooks/"


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request):
    path = request.param
    return path, path.read_text(encoding="utf-8"), jupytext.read(path, fmt="md:myst")


def test_myst_round_trip_is_unchanged(notebook):
    path, text, nb = notebook
    assert jupytext.writes(nb, fmt="md:myst") == text, f"{path.name} changes on a jupytext round trip"


def test_kernelspec_is_python3(notebook):
    _, _, nb = notebook
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["kernelspec"]["language"] == "python"


def test_every_cell_has_a_known_slide_type(notebook):
    """A cell without slide metadata (added in JupyterLab) is fine: it continues the slide."""
    path, _, nb = notebook
    for number, cell in enumerate(nb.cells):
        slide_type = roles.slide_type(cell)
        assert slide_type in SLIDE_TYPES, f"{path.name} cell {number} has slide_type {slide_type!r}"


def test_a_cell_without_slide_metadata_continues_the_slide():
    added = nbformat.v4.new_code_cell("x = 1")  # as JupyterLab adds it: no slideshow metadata
    assert "slideshow" not in added.metadata
    assert roles.slide_type(added) == "-"
    assert not TITLE.match(added.source)  # and it needs no title: it starts no slide


def test_first_cell_is_a_title_slide(notebook):
    _, _, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert roles.slide_type(first) == "slide"
    assert first.source.lstrip().startswith("# ")


def test_every_slide_starts_with_a_title(notebook):
    """Every `slide`/`subslide` cell the deck shows is markdown beginning with a `#`/`##` heading,
    so every slide has a title at the top (docs/authoring.md)."""
    path, _, nb = notebook
    untitled = [
        f"cell {number} ({roles.slide_type(cell)}, {cell.cell_type}): {cell.source.strip()[:50]!r}"
        for number, cell in enumerate(nb.cells)
        if roles.slide_type(cell) in {"slide", "subslide"} and not hidden_in_deck(cell)
        and not (cell.cell_type == "markdown" and TITLE.match(cell.source))
    ]
    assert not untitled, f"{path.name}: slides without a title:\n" + "\n".join(untitled)


def test_no_absolute_paths(notebook):
    path, _, nb = notebook
    for number, cell in enumerate(nb.cells):
        assert not ABSOLUTE_PATH.search(cell.source), f"{path.name} cell {number} has an absolute path"


def test_recorded_outputs_belong_to_checked_cells(notebook):
    path, _, nb = notebook
    recorded = ROOT / "tests" / "notebook_outputs" / f"{path.stem}.json"
    checked = {c.source for c in nb.cells
               if c.cell_type == "code" and "nbval-check-output" in c.metadata.get("tags", [])}
    stored = {entry["source"] for entry in json.loads(recorded.read_text())} if recorded.exists() else set()
    assert stored == checked, "tests/notebook_outputs is out of date: run `make expected-outputs`"
    assert checked, f"{path.name} checks no printed output (tag the lesson's numbers nbval-check-output)"


def test_test_plumbing_is_in_tags_not_in_the_code(notebook):
    """A lecturer presents the notebook itself (JupyterLab, RISE): nbval's comment markers would
    show on the slide, so the checked cells say so with nbval's tag instead."""
    path, _, nb = notebook
    marked = [number for number, cell in enumerate(nb.cells)
              if cell.cell_type == "code" and re.search(r"^\s*#\s*NBVAL_", cell.source, re.M)]
    assert marked == [], f"{path.name} cells {marked}: use the tag nbval-check-output, not a comment"


def test_hide_input_cells_are_folded(notebook):
    """``hide-input`` code (plotting the audience need not read) is folded in JupyterLab and RISE,
    which read ``source_hidden``, not tags: on a slide it would push the figure off the bottom."""
    path, _, nb = notebook
    unfolded = [number for number, cell in enumerate(nb.cells)
                if "hide-input" in cell.metadata.get("tags", [])
                and not cell.metadata.get("jupyter", {}).get("source_hidden")]
    assert unfolded == [], f"{path.name} cells {unfolded}: add jupyter: {{source_hidden: true}}"
