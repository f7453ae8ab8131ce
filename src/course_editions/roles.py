"""What each notebook cell is, read from its tags and slide metadata (see ``docs/authoring.md``).

Every edition asks the same questions of a cell; they are answered here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import nbformat

Role = Literal["lesson", "exercise", "starter", "solution", "check", "notes"]

#: The tags that give a cell a role (a cell has at most one of them).
ROLE_TAGS: tuple[str, ...] = ("exercise", "starter", "solution", "check")

#: nbval's comment markers (``# NBVAL_CHECK_OUTPUT``, ``# NBVAL_IGNORE_OUTPUT``, ...): test plumbing.
_NBVAL_LINE = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*(?:\n|$)", flags=re.MULTILINE)


def tags(cell: nbformat.NotebookNode) -> list[str]:
    """The cell's tags (an empty list if it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def slide_type(cell: nbformat.NotebookNode) -> str:
    """The cell's slide type; a cell without one (added in JupyterLab) continues the slide: ``-``."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def role(cell: nbformat.NotebookNode) -> Role:
    """The cell's role: its role tag, ``notes`` for speaker notes, else ``lesson``."""
    found = [tag for tag in tags(cell) if tag in ROLE_TAGS]
    if len(found) > 1:
        raise ValueError(f"a cell has one role, this one is tagged {found}: {cell.source[:60]!r}")
    if found:
        return found[0]  # type: ignore[return-value]
    if slide_type(cell) == "notes":
        return "notes"
    return "lesson"


def strip_test_markers(source: str) -> str:
    """The source without nbval's ``# NBVAL_...`` comment lines."""
    return _NBVAL_LINE.sub("", source)


# --- Exercises --------------------------------------------------------------------------------

#: An exercise statement starts with a heading naming it: ``## Exercise 2: the gradient by hand``.
_EXERCISE_HEADING = re.compile(r"^#{1,6}[ \t]+Exercise\b", flags=re.IGNORECASE)

#: Standard tags other tools honour too (Jupyter Book, nbconvert's TagRemovePreprocessor).
HIDE_INPUT = "hide-input"
REMOVE_CELL = "remove-cell"


class RoleError(ValueError):
    """A notebook whose cell roles do not make sense (the message lists every problem)."""


@dataclass
class Exercise:
    """One exercise: its statement cell and the cells up to the next exercise (indices into ``nb.cells``)."""

    statement: int
    title: str
    cells: list[int] = field(default_factory=list)
    starters: list[int] = field(default_factory=list)
    solutions: list[int] = field(default_factory=list)


def exercise_title(cell: nbformat.NotebookNode) -> str:
    """The heading of an exercise statement without its ``#``s ('' if it does not start with one)."""
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return first.lstrip("#").strip() if _EXERCISE_HEADING.match(first) else ""


def exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """The notebook's exercises in order; each runs from its statement to the next statement."""
    found: list[Exercise] = []
    for index, cell in enumerate(nb.cells):
        kind = role(cell)
        if kind == "exercise":
            found.append(Exercise(index, exercise_title(cell) or cell.source.strip()[:60]))
        if not found:
            continue
        found[-1].cells.append(index)
        if kind == "starter":
            found[-1].starters.append(index)
        elif kind == "solution":
            found[-1].solutions.append(index)
    return found


def _where(nb: nbformat.NotebookNode, index: int) -> str:
    first = next((line.strip() for line in nb.cells[index].source.splitlines() if line.strip()), "")
    return f"cell {index} ({nb.cells[index].cell_type}, {first[:50]!r})"


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Everything wrong with the notebook's cell roles, one sentence each (empty: all is well).

    The rules (``docs/authoring.md``): one role per cell; an exercise statement is a markdown cell
    starting with an ``Exercise`` heading; a starter is a code cell with ``...`` where the answer
    goes, followed (before the next starter or exercise) by one or more solution cells; a solution
    comes after a starter of its exercise; speaker notes are markdown; checks are code.
    """
    found: list[str] = []
    for index, cell in enumerate(nb.cells):
        try:
            kind = role(cell)
        except ValueError as error:
            found.append(f"{_where(nb, index)}: {error}")
            continue
        if kind == "exercise" and (cell.cell_type != "markdown" or not exercise_title(cell)):
            found.append(f"{_where(nb, index)}: an exercise statement is a markdown cell starting "
                         "with a heading such as '## Exercise 1: name'")
        elif kind == "starter" and cell.cell_type != "code":
            found.append(f"{_where(nb, index)}: a starter is a code cell")
        elif kind == "starter" and "..." not in cell.source:
            found.append(f"{_where(nb, index)}: a starter marks where the answer goes with `...`")
        elif kind == "check" and cell.cell_type != "code":
            found.append(f"{_where(nb, index)}: a check is a code cell")
        elif kind == "notes" and cell.cell_type != "markdown":
            found.append(f"{_where(nb, index)}: speaker notes are a markdown cell; this code would "
                         "not run in the student edition")
    if found:
        return found  # the exercise structure below needs every cell's role
    first_exercise = next((i for i, cell in enumerate(nb.cells) if role(cell) == "exercise"), None)
    for index, cell in enumerate(nb.cells):
        if role(cell) == "solution" and (first_exercise is None or index < first_exercise):
            found.append(f"{_where(nb, index)}: a solution outside any exercise (no cell tagged "
                         "'exercise' before it)")
    for exercise in exercises(nb):
        if not exercise.starters:
            found.append(f"exercise {exercise.title!r} (cell {exercise.statement}) has no starter "
                         "cell (a code cell tagged 'starter' for the student to complete)")
        current: int | None = None  # the starter the next solution answers
        answered: set[int] = set()
        for index in exercise.cells:
            kind = role(nb.cells[index])
            if kind == "starter":
                current = index
            elif kind == "solution":
                if current is None:
                    found.append(f"{_where(nb, index)}: this solution of exercise {exercise.title!r} "
                                 "comes before any starter: the student edition would have "
                                 "nothing in its place")
                else:
                    answered.add(current)
        for index in exercise.starters:
            if index not in answered:
                found.append(f"{_where(nb, index)}: this starter of exercise {exercise.title!r} has "
                             "no solution cell after it (tag the instructor's answer 'solution')")
    return found


def validate(nb: nbformat.NotebookNode, name: str = "notebook") -> list[Exercise]:
    """The notebook's exercises; :class:`RoleError` listing every problem if the roles are wrong."""
    found = problems(nb)
    if found:
        raise RoleError(f"{name}: the cell roles are not right (see docs/authoring.md):\n  - "
                        + "\n  - ".join(found))
    return exercises(nb)
