"""Tooling that builds the course's editions from the one source, ``notebooks/*.md``.

Not imported by any notebook and not shipped to students (the student edition carries only
:mod:`sinefit`):

- :mod:`course_editions.roles`: what each cell is (lesson, exercise, starter, solution, check,
  speaker note) and how an edition shows it (see ``docs/authoring.md``);
- :mod:`course_editions.slides`: the offline reveal.js decks (``make slides``).
"""
