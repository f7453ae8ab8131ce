"""The student edition (``make student``, ``course_editions.student``).

Two parts.  First the mechanism, on a small synthetic course (one MyST notebook with an exercise,
its starter, a two-cell solution, a check and a speaker note, beside copies of the real package,
data and pyproject): what is kept, removed and folded, the validation, the zip, determinism, and
both editions executed.  Then the real course: every notebook's student edition executes
top to bottom with every checker saying "not attempted" (or "not yet"), the same notebook with the
solutions in place of the starters makes every checker say "Correct!", no solution line leaks, and
the zip holds everything ``make setup`` needs.

The editions are built once per module into a temporary folder and executed with the kernel in
the edition's ``notebooks/`` folder, ``SINEFIT_DATA_DIR`` unset and the edition's own
``src/`` first on ``PYTHONPATH``: ``import sinefit`` and the data and figures it loads come from
the student folder, as they will on a student's machine.  A notebook's two editions run at the same
time, in two kernels (the course's notebooks take most of this module's time).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from course_editions import slides, student
from course_editions.roles import exercises, role, slide_type

ROOT = Path(__file__).resolve().parents[1]
COURSE = sorted((ROOT / "notebooks").glob("*.md"))
VERDICT = re.compile(r"^(Correct!|Not yet:|Not attempted yet:)", flags=re.MULTILINE)
HTML_VERDICT = re.compile(r"sinefit-feedback-(correct|incorrect|not-attempted)")
IMPORTS_TOOLING = re.compile(r"(import|from)\s+course_editions")
STATUS = {"Correct!": "correct", "Not yet:": "incorrect", "Not attempted yet:": "not-attempted"}

SYNTHETIC = """\
---
jupytext:
  formats: md:myst
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

+++ {"slideshow": {"slide_type": "slide"}}

# A tiny lesson

```{code-cell} ipython3
---
slideshow:
  slide_type: skip
---
from sinefit.data import load_xy
from sinefit.feedback import correct, not_attempted, not_yet, unanswered

x, y = load_xy("sgd_data", rows=4)


def check_square(answer):
    if unanswered(answer):
        return not_attempted()
    if answer == 4:
        return correct("2 squared is 4.")
    return not_yet(f"{answer!r} is not 2 squared.", hint="multiply 2 by itself")
```

```{code-cell} ipython3
check_square(5)  # what a wrong answer gets
```

+++ {"slideshow": {"slide_type": "notes"}}

Ask the room what 2 squared is before showing the exercise.

+++ {"slideshow": {"slide_type": "slide"}, "tags": ["exercise"]}

## Exercise 1: a square

Compute 2 squared.

```{code-cell} ipython3
---
slideshow:
  slide_type: skip
tags: [starter]
---
answer = ...
check_square(answer)
```

+++ {"slideshow": {"slide_type": "skip"}, "tags": ["solution"]}

**Solution.** Multiply two by itself: the secret word is SWORDFISH.

```{code-cell} ipython3
---
jupyter:
  source_hidden: true
slideshow:
  slide_type: skip
tags: [solution]
---
two = len(x) // 2
answer = two * two
check_square(answer)
```

```{code-cell} ipython3
---
slideshow:
  slide_type: skip
tags: [check]
---
# NBVAL_CHECK_OUTPUT
assert check_square(3).status == "incorrect" and check_square(...).status == "not attempted"
print("checked")
```

+++ {"slideshow": {"slide_type": "slide"}, "tags": ["exercise"]}

## Exercise 2: a cube

```{code-cell} ipython3
---
slideshow:
  slide_type: skip
tags: [starter]
---
cube = ...
print(check_square(cube if cube is ... else cube // 2))
```

```{code-cell} ipython3
---
slideshow:
  slide_type: skip
tags: [solution]
---
cube = 2 ** 3
print(check_square(cube if cube is ... else cube // 2))
```

```{code-cell} ipython3
---
slideshow:
  slide_type: fragment
tags: [hide-input]
---
import sinefit.data

print("package:", sinefit.data.__file__)
print("data:", sinefit.data.data_dir())
```
"""


# --- helpers ---

def verdicts(cell: nbformat.NotebookNode) -> list[str]:
    """The checker verdicts a cell's outputs show: 'correct', 'incorrect' or 'not-attempted'."""
    found = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            found += [STATUS[v] for v in VERDICT.findall(out.text)]
        elif out.output_type in ("execute_result", "display_data"):
            html = out.data.get("text/html", "")
            from_html = HTML_VERDICT.findall(html)
            found += from_html or [STATUS[v] for v in VERDICT.findall(out.data.get("text/plain", ""))]
    return found


def errors(nb: nbformat.NotebookNode) -> list[str]:
    """Every error or stderr output, with the start of the cell that made it."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {index} {cell.source[:60]!r}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {index} {cell.source[:60]!r} wrote to stderr: {out.text[:300]}")
    return found


def _client(path: Path) -> NotebookClient:
    nb = nbformat.read(path, as_version=4)
    return NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                          resources={"metadata": {"path": str(path.parent)}})


def _env(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("SINEFIT_DATA_DIR", "PYTHONPATH", "MPLBACKEND")}
    env["PYTHONPATH"] = str(folder / "src")
    return env


def execute(*paths: Path) -> list[nbformat.NotebookNode]:
    """Execute editions' notebooks as a student would: from the notebook's folder, with the
    edition's own package (``<edition>/src``) and data; several at once, one kernel each."""
    clients = [_client(path) for path in paths]

    async def run_all():
        await asyncio.gather(*(client.async_execute(env=_env(path.parents[1]))
                               for client, path in zip(clients, paths, strict=True)))

    asyncio.run(run_all())
    return [client.nb for client in clients]


def groups(nb: nbformat.NotebookNode) -> list[list[nbformat.NotebookNode]]:
    """An edition's cells grouped by exercise (the edition keeps the role tags)."""
    return [[nb.cells[i] for i in exercise.cells] for exercise in exercises(nb)]


def assert_student_run(nb: nbformat.NotebookNode, expected_exercises: int) -> None:
    """Run untouched: no error, every exercise's starter answers 'not attempted' or 'not yet'."""
    assert errors(nb) == []
    found = groups(nb)
    assert len(found) == expected_exercises
    for cells in found:
        title = cells[0].source.splitlines()[0]
        said = [v for cell in cells if role(cell) == "starter" for v in verdicts(cell)]
        assert said, f"{title}: no starter cell showed a checker's verdict"
        assert set(said) <= {"not-attempted", "incorrect"}, f"{title}: {said}"


def assert_solved_run(nb: nbformat.NotebookNode, expected_exercises: int) -> None:
    """Run with the solutions: no error, every exercise's solution answers 'Correct!'."""
    assert errors(nb) == []
    found = groups(nb)
    assert len(found) == expected_exercises
    for cells in found:
        title = cells[0].source.splitlines()[0]
        said = [v for cell in cells if role(cell) == "solution" for v in verdicts(cell)]
        assert said, f"{title}: no solution cell showed a checker's verdict"
        assert set(said) == {"correct"}, f"{title}: {said}"


def assert_same_lesson(student_run: nbformat.NotebookNode, solved_run: nbformat.NotebookNode) -> None:
    """Every cell but the starters and solutions is in both editions and shows the same verdicts.

    A lesson may show a checker at work on code it gives (a right and a wrong rule, say); what it
    shows must not depend on the student's answer: no "Correct!" that the student did not earn.
    """
    def shared(nb):
        return [cell for cell in nb.cells if role(cell) not in ("starter", "solution")]

    pairs = list(zip(shared(student_run), shared(solved_run), strict=True))
    assert [a.source for a, _ in pairs] == [b.source for _, b in pairs]
    changed = [a.source[:60] for a, b in pairs if verdicts(a) != verdicts(b)]
    assert changed == [], f"these cells' verdicts depend on the exercises' answers: {changed}"


def shown_outputs(cell: nbformat.NotebookNode) -> list[dict]:
    """What an edition built from an executed ``cell`` shows of its outputs: execution counts and
    widget model ids (a live widget's, random, never shown in a built edition) are left out."""
    shown = []
    for output in slides.coalesce_streams(copy.deepcopy(cell)).get("outputs", []):
        output = {key: value for key, value in output.items() if key != "execution_count"}
        data = dict(output.get("data", {}))
        if "application/vnd.jupyter.widget-view+json" in data:
            data["application/vnd.jupyter.widget-view+json"] = "<widget view>"
        shown.append(output | ({"data": data} if data else {}))
    return shown


def assert_same_outputs(one_run: nbformat.NotebookNode, other_run: nbformat.NotebookNode) -> None:
    """Every lesson and check cell shows the same outputs in two executions, byte for byte, except
    the cells tagged ``timing`` (docs/authoring.md): the decks and the book show executed notebooks,
    so this is what makes them reproducible."""
    def shared(nb):
        return [cell for cell in nb.cells
                if cell.cell_type == "code" and role(cell) not in ("starter", "solution")]

    pairs = list(zip(shared(one_run), shared(other_run), strict=True))
    timed = [a for a, _ in pairs if "timing" in a.metadata.get("tags", [])]
    differ = [a.source[:70] for a, b in pairs
              if a not in timed and shown_outputs(a) != shown_outputs(b)]
    assert differ == [], f"these cells' outputs change from one run to the next: {differ}"
    for cell in timed:  # a timing cell measures; it holds no random numbers or addresses
        assert re.search(r"time|seconds", cell.source), f"tagged timing but times nothing: {cell.source[:70]}"


def unpack(zip_path: Path, target: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    return target / student.ZIP_FOLDER


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_setup_ready(folder: Path, root: Path = ROOT) -> None:
    """The files `make setup` and the notebooks need are there, and nothing of the tooling.

    ``root`` is the course the folder was built from.
    """
    files = tree(folder)
    for needed in ("pyproject.toml", "constraints.txt", "Makefile", "README.md",
                   "src/sinefit/__init__.py", "src/sinefit/data.py", "src/sinefit/feedback.py",
                   "data/sgd_data.npy", "data/sgd_data_hidden.npy"):
        assert needed in files, needed
    assert not [name for name in files if "course_editions" in name or "__pycache__" in name
                or name.endswith(".pyc") or ".egg-info" in name]
    for name, data in files.items():
        if name.endswith((".py", ".ipynb")):
            assert not IMPORTS_TOOLING.search(data.decode()), f"{name} imports the edition tooling"
    main = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    project = tomllib.loads(files["pyproject.toml"].decode())["project"]
    assert project["name"] == "sinefit" and "optional-dependencies" not in project
    assert project["dependencies"] == main["dependencies"]
    assert files["constraints.txt"] == (root / "constraints.txt").read_bytes()
    makefile = files["Makefile"].decode()
    assert re.search(r"^setup:", makefile, re.M) and re.search(r"^lab:", makefile, re.M)
    assert "pip install --constraint constraints.txt $(TORCH_INDEX) -e ." in makefile
    assert "--ServerApp.ip=127.0.0.1" in makefile
    dry_run = subprocess.run(["make", "-n", "-C", str(folder), "setup", "lab"],
                             capture_output=True, text=True, check=True).stdout
    assert "-m venv .venv" in dry_run and "jupyter lab" in dry_run
    # every module of the package is shipped, byte for byte
    for module in (root / "src" / "sinefit").rglob("*.py"):
        shipped = "src/" + module.relative_to(root / "src").as_posix()
        assert files.get(shipped) == module.read_bytes(), shipped


def fake_course(tmp: Path) -> Path:
    """A course repository with the synthetic notebook and the real package, data and pyproject."""
    root = tmp / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "01_tiny.md").write_text(SYNTHETIC)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "src" / "sinefit", root / "src" / "sinefit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


# --- the mechanism, on the synthetic course ---

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tiny")
    root = fake_course(tmp)
    edition = student.build(tmp / "student", root, tmp / "student.zip")
    solved = student.build(tmp / "solved", root, solutions=True)
    return {"root": root, "tmp": tmp, "edition": edition, "solved": solved,
            "source": jupytext.read(root / "notebooks" / "01_tiny.md", fmt="md:myst")}


def test_tiny_student_notebook_keeps_starters_folds_checks_and_drops_the_rest(tiny):
    nb = nbformat.read(tiny["edition"].folder / "notebooks" / "01_tiny.ipynb", as_version=4)
    nbformat.validate(nb)
    assert [role(cell) for cell in nb.cells] == [
        "lesson", "lesson", "lesson", "exercise", "starter", "check", "exercise", "starter",
        "lesson"]
    text = json.dumps(nb)
    assert "SWORDFISH" not in text and "two * two" not in text and "2 ** 3" not in text
    assert "Ask the room" not in text and "NBVAL" not in text
    assert all(slide_type(cell) != "notes" for cell in nb.cells)
    check = nb.cells[5]
    assert check.metadata.jupyter.source_hidden is True
    assert check.source.startswith("assert check_square(3)")
    assert nb.cells[8].metadata.jupyter.source_hidden is True  # hide-input code is folded
    assert "jupyter" not in nb.cells[4].metadata  # the starter is open
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert [cell.id for cell in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]
    assert nb.metadata == {"kernelspec": student.KERNELSPEC, "language_info": {"name": "python"}}
    assert student.leaked_lines(tiny["source"], nb) == []
    assert student.solution_lines(tiny["source"]) == {
        "**Solution.** Multiply two by itself: the secret word is SWORDFISH.",
        "two = len(x) // 2", "answer = two * two", "cube = 2 ** 3"}


def test_tiny_solved_notebook_has_the_solutions_instead_of_the_starters(tiny):
    nb = nbformat.read(tiny["solved"].folder / "notebooks" / "01_tiny.ipynb", as_version=4)
    assert [role(cell) for cell in nb.cells] == [
        "lesson", "lesson", "lesson", "exercise", "solution", "solution", "check", "exercise",
        "solution", "lesson"]
    assert "answer = ..." not in json.dumps(nb)


@pytest.fixture(scope="module")
def tiny_runs(tiny):
    """The synthetic notebook's two editions, executed once."""
    runs = execute(*(tiny[which].folder / "notebooks" / "01_tiny.ipynb"
                     for which in ("edition", "solved")))
    return dict(zip(("edition", "solved"), runs, strict=True))


def test_tiny_editions_execute_as_a_student_would(tiny, tiny_runs):
    assert_student_run(tiny_runs["edition"], 2)
    assert_solved_run(tiny_runs["solved"], 2)
    # the starters' verdicts: one shown as HTML (a bare call), one printed
    starters = [cell for cell in tiny_runs["edition"].cells if role(cell) == "starter"]
    assert "text/html" in starters[0].outputs[0].data
    assert starters[1].outputs[0].output_type == "stream"
    assert [verdicts(cell) for cell in starters] == [["not-attempted"], ["not-attempted"]]
    # the package and the data came from the student folder, not from the repository
    for which in ("edition", "solved"):
        folder = tiny[which].folder.resolve()
        printed = tiny_runs[which].cells[-1].outputs[0].text
        assert f"package: {folder / 'src' / 'sinefit' / 'data.py'}\n" in printed
        assert f"data: {folder / 'data'}\n" in printed


def test_tiny_run_checks_catch_a_leaked_answer_and_a_missing_verdict(tiny, tiny_runs):
    """The assertions above are not vacuous: a solved run fails the student check, and back."""
    with pytest.raises(AssertionError):
        assert_student_run(tiny_runs["solved"], 2)
    nb = nbformat.read(tiny["edition"].folder / "notebooks" / "01_tiny.ipynb", as_version=4)
    with pytest.raises(AssertionError):
        assert_solved_run(nb, 2)  # not executed: no verdicts at all
    assert_same_lesson(tiny_runs["edition"], tiny_runs["solved"])
    with pytest.raises(AssertionError, match="depend on the exercises' answers"):
        assert_same_lesson(tiny_runs["edition"], nb)
    source = tiny["source"]
    leaky = student.edition_notebook(source)
    leaky.cells.append(nbformat.v4.new_code_cell("answer = two * two"))
    assert student.leaked_lines(source, leaky) == ["answer = two * two"]


def test_tiny_zip_unpacks_into_a_folder_ready_for_make_setup(tiny, tmp_path):
    folder = unpack(tiny["edition"].zip, tmp_path)
    assert tree(folder) == tree(tiny["edition"].folder)
    assert_setup_ready(folder, tiny["root"])
    assert sorted(tree(folder / "notebooks")) == ["01_tiny.ipynb"]
    with zipfile.ZipFile(tiny["edition"].zip) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names) and all(n.startswith(student.ZIP_FOLDER + "/") for n in names)
    assert {info.date_time for info in infos} == {student.ZIP_DATE}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_tiny_build_is_byte_identical_and_rebuilds_in_place(tiny):
    tmp, root = tiny["tmp"], tiny["root"]
    again = student.build(tmp / "again", root, tmp / "again.zip")
    assert tree(again.folder) == tree(tiny["edition"].folder)
    assert again.zip.read_bytes() == tiny["edition"].zip.read_bytes()
    (again.folder / "stale.txt").write_text("from an old build")
    student.build(again.folder, root, again.zip)  # a previous edition is replaced
    assert not (again.folder / "stale.txt").exists()
    assert again.zip.read_bytes() == tiny["edition"].zip.read_bytes()


def test_tiny_student_package_builds_offline(tiny, tmp_path):
    """setuptools builds the student folder's package (what `pip install -e .` runs): sinefit only."""
    folder = shutil.copytree(tiny["edition"].folder, tmp_path / "course")
    subprocess.run([sys.executable, "-c", "from setuptools import build_meta as b; "
                    f"b.build_wheel({str(tmp_path)!r})"],
                   cwd=folder, check=True, capture_output=True)
    (wheel,) = tmp_path.glob("sinefit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/")[0] for name in archive.namelist()}
        shipped = {name for name in archive.namelist() if name.endswith(".py")}
    assert top == {"sinefit", wheel.name.split("-py")[0] + ".dist-info"}
    assert "sinefit/feedback.py" in shipped and "sinefit/exercises/__init__.py" in shipped


def test_a_notebook_with_wrong_roles_stops_the_build_and_keeps_the_old_edition(tiny, tmp_path):
    root = tiny["root"]
    student.build(tmp_path / "student", root)
    broken = tmp_path / "broken"
    shutil.copytree(root, broken)
    # the solution no longer follows a starter: drop the first exercise's starter tag
    text = SYNTHETIC.replace("tags: [starter]\n---\nanswer = ...", "---\nanswer = ...", 1)
    (broken / "notebooks" / "01_tiny.md").write_text(text)
    with pytest.raises(student.EditionError) as error:
        student.build(tmp_path / "student", broken)
    message = str(error.value)
    assert "01_tiny.md" in message and "comes before any starter" in message
    assert "has no starter cell" in message and "Exercise 1: a square" in message
    assert (tmp_path / "student" / "notebooks" / "01_tiny.ipynb").is_file()


def test_the_build_refuses_to_delete_a_folder_that_is_not_an_edition(tiny, tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(student.EditionError, match="refusing to replace"):
        student.build(tmp_path, tiny["root"])
    assert (tmp_path / "precious.txt").read_text() == "keep me"
    with pytest.raises(student.EditionError, match="refusing to build into"):
        student.build(tiny["root"] / "notebooks" / "..", tiny["root"])


def test_remove_cell_still_runs_folded_and_raw_cells_stay():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os  # NBVAL_IGNORE_OUTPUT stays: not a marker line",
                                  metadata={"tags": ["remove-cell"], "lines_to_next_cell": 2}),
        nbformat.v4.new_raw_cell("raw text"),
    ])
    out = student.edition_notebook(nb)
    assert out.cells[0].metadata == {"tags": ["remove-cell"],
                                     "jupyter": {"source_hidden": True, "outputs_hidden": True}}
    assert out.cells[0].source.startswith("import os")
    assert (out.cells[1].cell_type, out.cells[1].source) == ("raw", "raw text")


def test_make_student_runs_the_builder():
    dry_run = subprocess.run(["make", "-n", "-C", str(ROOT), "student"], capture_output=True,
                             text=True, check=True).stdout
    assert "-m course_editions.student" in dry_run


# --- the course ---

class Course:
    """Each course notebook's student and solved editions, built and executed once, on demand.

    One folder per notebook and edition, so that a notebook whose roles are wrong fails its own
    tests only (the whole course's build is tested by the zip test).
    """

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.built: dict[tuple[str, str], Path] = {}
        self.runs: dict[tuple[str, str], nbformat.NotebookNode] = {}

    def edition(self, notebook: Path, which: str = "student") -> Path:
        if (notebook.stem, which) not in self.built:
            # both from one reading of the source, so that they show the same lesson
            (snapshot := self.tmp / "source" / notebook.name).parent.mkdir(exist_ok=True)
            shutil.copyfile(notebook, snapshot)
            for kind in ("student", "solved"):
                edition = student.build(self.tmp / f"{kind}-{notebook.stem}", ROOT,
                                        solutions=kind == "solved", notebooks=[snapshot])
                self.built[notebook.stem, kind] = edition.notebooks[0]
        return self.built[notebook.stem, which]

    def source(self, notebook: Path) -> nbformat.NotebookNode:
        """The instructor notebook as the editions were built from it."""
        self.edition(notebook)
        return source(self.tmp / "source" / notebook.name)

    def run(self, notebook: Path, which: str = "student") -> nbformat.NotebookNode:
        """The edition executed; both editions of a notebook run at once, in two kernels."""
        if (notebook.stem, which) not in self.runs:
            kinds = ("student", "solved")
            runs = execute(*(self.edition(notebook, kind) for kind in kinds))
            self.runs.update({(notebook.stem, kind): nb for kind, nb in zip(kinds, runs)})
        return self.runs[notebook.stem, which]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return Course(tmp_path_factory.mktemp("course"))


def source(notebook: Path) -> nbformat.NotebookNode:
    return jupytext.read(notebook, fmt="md:myst")


@pytest.mark.parametrize("notebook", COURSE, ids=lambda p: p.stem)
def test_course_notebook_has_two_exercises_with_starters(notebook):
    found = exercises(source(notebook))
    assert len(found) >= 2, f"{notebook.name} has {len(found)} exercises; the course wants >= 2"
    assert all(exercise.starters and exercise.solutions for exercise in found)


@pytest.mark.parametrize("notebook", COURSE, ids=lambda p: p.stem)
def test_course_student_notebook_has_no_solution_notes_outputs_or_markers(course, notebook):
    original = course.source(notebook)
    path = course.edition(notebook)
    nb = nbformat.read(path, as_version=4)
    text = path.read_text(encoding="utf-8")
    assert student.leaked_lines(original, nb) == []
    notes = [cell.source.strip() for cell in original.cells if role(cell) == "notes"]
    assert not [cell for cell in nb.cells if role(cell) in ("notes", "solution")]
    assert not [cell for cell in nb.cells if cell.source.strip() in notes]
    assert "NBVAL" not in text and not IMPORTS_TOOLING.search(text) and "jupytext" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if role(cell) == "check":
            assert cell.metadata.jupyter.source_hidden is True
    assert [role(cell) for cell in nb.cells].count("starter") == sum(
        role(cell) == "starter" for cell in original.cells)
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("notebook", COURSE, ids=lambda p: p.stem)
def test_course_student_notebook_runs_untouched_with_nothing_attempted(course, notebook):
    assert_student_run(course.run(notebook), len(exercises(course.source(notebook))))


@pytest.mark.parametrize("notebook", COURSE, ids=lambda p: p.stem)
def test_course_solved_notebook_runs_with_every_checker_correct(course, notebook):
    assert_solved_run(course.run(notebook, "solved"), len(exercises(course.source(notebook))))


@pytest.mark.parametrize("notebook", COURSE, ids=lambda p: p.stem)
def test_course_lesson_shows_the_same_verdicts_whatever_the_answers(course, notebook):
    assert_same_lesson(course.run(notebook), course.run(notebook, "solved"))


@pytest.mark.parametrize("notebook", COURSE, ids=lambda p: p.stem)
def test_course_outputs_are_the_same_on_every_run_but_the_timings(course, notebook):
    assert_same_outputs(course.run(notebook), course.run(notebook, "solved"))


def test_course_zip_is_ready_for_make_setup_and_byte_identical(tmp_path):
    course_notebooks = sorted((ROOT / "notebooks").glob("*.md"))
    edition = student.build(tmp_path / "student", ROOT, tmp_path / "student.zip")
    folder = unpack(edition.zip, tmp_path / "unpacked")
    assert tree(folder) == tree(edition.folder)
    assert_setup_ready(folder)
    assert sorted(tree(folder / "notebooks")) == [f"{p.stem}.ipynb" for p in course_notebooks]
    assert tree(folder / "figures") == tree(ROOT / "figures")
    assert tree(folder / "data") == tree(ROOT / "data")
    again = student.build(tmp_path / "again", ROOT, tmp_path / "again.zip")
    assert tree(again.folder) == tree(edition.folder)
    assert again.zip.read_bytes() == edition.zip.read_bytes()
