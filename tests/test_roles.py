"""Unit tests of course_editions.roles: what each cell is, and whether a notebook's roles make sense."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_editions.roles import (
    ROLE_TAGS,
    RoleError,
    exercise_title,
    exercises,
    problems,
    role,
    slide_type,
    strip_test_markers,
    tags,
    validate,
)


def md(source: str, *tag_list: str, slide: str | None = None) -> nbformat.NotebookNode:
    metadata = {"tags": list(tag_list)} if tag_list else {}
    if slide:
        metadata["slideshow"] = {"slide_type": slide}
    return new_markdown_cell(source, metadata=metadata)


def code(source: str, *tag_list: str, slide: str | None = None) -> nbformat.NotebookNode:
    cell = md(source, *tag_list, slide=slide)
    return new_code_cell(source, metadata=cell.metadata)


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return new_notebook(cells=list(cells))


def good_notebook() -> nbformat.NotebookNode:
    """Two exercises; the second has two starters, each with its solution, and a notes cell."""
    return notebook(
        md("# Title", slide="slide"),
        code("x = 1"),
        md("## Exercise 1: square\nSquare 2.", "exercise", slide="slide"),
        code("answer = ...\ncheck(answer)", "starter", slide="skip"),
        md("**Solution.** The square.", "solution", slide="skip"),
        code("answer = 2 ** 2\ncheck(answer)", "solution", slide="skip"),
        code("assert check(4).passed", "check", slide="skip"),
        md("Ask the room first.", slide="notes"),
        md("### Exercise 2: two parts", "exercise", slide="subslide"),
        code("a = ...\ncheck_a(a)", "starter"),
        code("a = 1\ncheck_a(a)", "solution"),
        md("Now the second part."),
        code("b = ...\ncheck_b(b)", "starter"),
        code("b = 2\ncheck_b(b)", "solution"),
        md("## Summary", slide="slide"),
    )


# --- single cells ---

def test_tags_of_a_cell_with_and_without_tags():
    assert tags(code("x")) == []
    assert tags(code("x", "hide-input", "starter")) == ["hide-input", "starter"]
    assert tags(nbformat.from_dict({"cell_type": "code", "source": "x"})) == []


def test_slide_type_defaults_to_continuing_the_slide():
    assert slide_type(code("x")) == "-"
    assert slide_type(code("x", slide="fragment")) == "fragment"
    assert slide_type(md("x", slide="notes")) == "notes"


@pytest.mark.parametrize("tag", ROLE_TAGS)
def test_a_role_tag_gives_the_role(tag):
    assert role(code("x", tag, "hide-input")) == tag


def test_notes_and_lesson_roles():
    assert role(md("Ask the room.", slide="notes")) == "notes"
    assert role(md("Prose.", "hide-input", slide="skip")) == "lesson"
    assert role(code("x = 1")) == "lesson"


def test_two_role_tags_are_an_error():
    with pytest.raises(ValueError, match="one role"):
        role(code("x", "starter", "solution"))


def test_strip_test_markers_removes_only_the_marker_lines():
    source = "# NBVAL_CHECK_OUTPUT\nx = 1\n  #NBVAL_IGNORE_OUTPUT  \nprint(x)  # NBVAL_CHECK_OUTPUT stays\n# a comment"
    assert strip_test_markers(source) == "x = 1\nprint(x)  # NBVAL_CHECK_OUTPUT stays\n# a comment"
    assert strip_test_markers("# NBVAL_SKIP") == ""
    assert strip_test_markers("x = 1") == "x = 1"


@pytest.mark.parametrize(("source", "title"), [
    ("## Exercise 1: square\nSquare 2.", "Exercise 1: square"),
    ("\n### exercise: blind date", "exercise: blind date"),
    ("## Exercises are fun", ""),  # "Exercises" is not the heading "Exercise ..."
    ("Exercise 1 without a heading", ""),
    ("## Summary", ""),
])
def test_exercise_title(source, title):
    assert exercise_title(md(source)) == title


# --- whole notebooks ---

def test_exercises_group_cells_up_to_the_next_statement():
    found = exercises(good_notebook())
    assert [exercise.title for exercise in found] == ["Exercise 1: square", "Exercise 2: two parts"]
    first, second = found
    assert (first.statement, first.starters, first.solutions) == (2, [3], [4, 5])
    assert first.cells == [2, 3, 4, 5, 6, 7]
    assert (second.starters, second.solutions) == ([9, 12], [10, 13])
    assert second.cells[-1] == 14  # the last exercise runs to the end of the notebook


def test_a_good_notebook_has_no_problems():
    nb = good_notebook()
    assert problems(nb) == []
    assert len(validate(nb, "good.md")) == 2
    assert exercises(notebook(md("# Title"), code("x = 1"))) == []
    assert problems(notebook(md("# Title"), code("x = 1"))) == []


@pytest.mark.parametrize(("change", "message"), [
    # a solution with no starter before it: the student edition would have nothing in its place
    (lambda cells: cells.pop(3), "comes before any starter"),
    # a solution before any exercise statement
    (lambda cells: cells.insert(1, code("y = 2", "solution")), "outside any exercise"),
    # a starter with no solution after it (the second part of exercise 2)
    (lambda cells: cells.pop(13), "has no solution cell after it"),
    (lambda cells: cells.__setitem__(3, code("answer = 3", "starter")), "with `...`"),
    (lambda cells: cells.__setitem__(3, md("answer = ...", "starter")), "a starter is a code cell"),
    (lambda cells: cells.__setitem__(2, md("Square 2.", "exercise")), "an exercise statement is"),
    (lambda cells: cells.__setitem__(2, code("## Exercise 1", "exercise")), "an exercise statement is"),
    (lambda cells: cells.__setitem__(6, md("assert", "check")), "a check is a code cell"),
    (lambda cells: cells.__setitem__(7, code("x = 1", slide="notes")), "speaker notes are a markdown"),
    (lambda cells: cells.__setitem__(6, code("x", "check", "solution")), "one role"),
    # an exercise without any starter
    (lambda cells: [cells.pop(12), cells.pop(11), cells.pop(10), cells.pop(9)], "has no starter"),
])
def test_problems_name_the_cell_and_the_rule(change, message):
    nb = good_notebook()
    change(nb.cells)
    found = problems(nb)
    assert any(message in problem for problem in found), found
    with pytest.raises(RoleError, match="lesson.md: the cell roles are not right") as error:
        validate(nb, "lesson.md")
    assert message in str(error.value)
    assert "docs/authoring.md" in str(error.value)


def test_validate_lists_every_problem_at_once():
    nb = good_notebook()
    nb.cells.pop(3)   # exercise 1 loses its starter
    nb.cells.pop(12)  # the second starter of exercise 2 loses its solution
    with pytest.raises(RoleError) as error:
        validate(nb)
    text = str(error.value)
    assert "has no starter" in text and "comes before any starter" in text
    assert "has no solution cell after it" in text
