"""What an exercise checker answers: a friendly sentence, never a traceback or a raw repr.

Every checker of the course returns a :class:`Feedback`.  In a notebook it shows as a short
coloured note (HTML), and as plain text everywhere else; the text starts with one of the three
verdicts, so a reader (and a test) can tell them apart at a glance:

- ``Correct!``: the answer is right;
- ``Not yet:``: the answer is wrong or malformed; the message says what, and a hint says where to look;
- ``Not attempted yet:``: the starter cell still holds ``...`` (the student has not answered).

A starter cell marks the places the student fills in with ``...`` (Python's ``Ellipsis``), which
:func:`unanswered` recognises, so running the notebook untouched never fails.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Status = Literal["correct", "incorrect", "not attempted"]

#: The verdict each status starts its text with.
VERDICTS: dict[str, str] = {
    "correct": "Correct!",
    "incorrect": "Not yet:",
    "not attempted": "Not attempted yet:",
}
_COLOURS = {"correct": "#1a7f37", "incorrect": "#b35900", "not attempted": "#57606a"}
_BACKGROUNDS = {"correct": "#e6f4ea", "incorrect": "#fff4e5", "not attempted": "#f3f4f6"}


@dataclass(frozen=True)
class Feedback:
    """A checker's verdict: its status, what was found, and (when wrong) a hint."""

    status: Status
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        if self.status not in VERDICTS:
            raise ValueError(
                f"status must be one of {sorted(VERDICTS)}, got {self.status!r}"
            )

    @property
    def passed(self) -> bool:
        """True when the answer is right."""
        return self.status == "correct"

    @property
    def attempted(self) -> bool:
        """False while the starter still holds ``...``."""
        return self.status != "not attempted"

    @property
    def text(self) -> str:
        """The verdict, the message and the hint as one plain sentence or two."""
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"{VERDICTS[self.status]} {self.message}{hint}"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        # What a notebook shows for a bare `check_...(...)` where there is no HTML: the sentence.
        return self.text

    def _repr_html_(self) -> str:
        hint = (f"<br><span style='opacity:0.85'><b>Hint:</b> {html.escape(self.hint)}</span>"
                if self.hint else "")
        return (
            f"<div class='sinefit-feedback sinefit-feedback-{self.status.replace(' ', '-')}' "
            f"style='border-left:6px solid {_COLOURS[self.status]};"
            f"background:{_BACKGROUNDS[self.status]};padding:0.5em 0.8em;margin:0.3em 0;"
            f"color:#1f2328'>"
            f"<b style='color:{_COLOURS[self.status]}'>{html.escape(VERDICTS[self.status])}</b> "
            f"{html.escape(self.message)}{hint}</div>"
        )


def correct(message: str) -> Feedback:
    """A right answer."""
    return Feedback("correct", message)


def not_yet(message: str, hint: str = "") -> Feedback:
    """A wrong or malformed answer: say what is wrong, and where to look."""
    return Feedback("incorrect", message, hint)


def not_attempted(what: str = "Replace the `...` in the cell above with your answer and run it again.") -> Feedback:
    """The starter is untouched."""
    return Feedback("not attempted", what)


def unanswered(*answers: Any) -> bool:
    """True if any answer is still the starter's ``...`` placeholder (or ``None``)."""
    return any(answer is ... or answer is None for answer in answers)


def describe_answer(value: Any) -> str:
    """A short, friendly description of an unusable answer (never a long repr)."""
    if isinstance(value, str):
        return f"the text {value[:30]!r}"
    if isinstance(value, np.ndarray):
        return f"an array of {value.size} values" if value.size != 1 else "an array"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} values"
    return f"a {type(value).__name__}"


def answer_kind(value: Any) -> str:
    """What the student passed, in words (for a message; never a repr)."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return "a piece of text"
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"
