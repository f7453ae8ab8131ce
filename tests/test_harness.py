"""The nbval harness in conftest.py: MyST notebooks run, and warnings, stderr and changed
outputs fail.  Each case runs pytest on a one-notebook copy of the layout in a temporary folder."""

import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
---
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

# Title

"""


def run_notebook(pytester: pytest.Pytester, *cells: str, extra: tuple[str, ...] = ()):
    shutil.copy(ROOT / "conftest.py", pytester.path / "conftest.py")
    (pytester.path / "notebooks").mkdir()
    body = "".join(f"```{{code-cell}} ipython3\n{textwrap.dedent(c).strip()}\n```\n\n" for c in cells)
    (pytester.path / "notebooks" / "demo.md").write_text(HEADER + body)
    return pytester.runpytest_subprocess("--nbval-lax", "-p", "no:cacheprovider", "notebooks", *extra)


def test_a_clean_notebook_passes_and_is_saved_executed(pytester):
    result = run_notebook(pytester, "x = 1 + 1", "print(x)")
    result.assert_outcomes(passed=2)
    assert (pytester.path / "_build" / "executed" / "demo.ipynb").is_file()


def test_a_trailing_semicolon_hides_the_value_as_in_jupyterlab(pytester):
    result = run_notebook(pytester, "1 + 1;", "2 + 2")
    result.assert_outcomes(passed=2)
    executed = nbformat.read(pytester.path / "_build" / "executed" / "demo.ipynb", as_version=4)
    first, second = (cell.outputs for cell in executed.cells if cell.cell_type == "code")
    assert first == [] and second[0].data["text/plain"] == "4"


def test_a_warning_fails_the_cell(pytester):
    result = run_notebook(pytester, "import warnings\nwarnings.warn('old', DeprecationWarning)")
    result.assert_outcomes(failed=1)


def test_stderr_fails_the_cell(pytester):
    result = run_notebook(pytester, "import sys\nprint('oops', file=sys.stderr)")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*wrote to stderr*"])


def test_checked_outputs_are_recorded_then_compared(pytester):
    cell = "# NBVAL_CHECK_OUTPUT\nprint(round(2 / 3, 3))"
    run_notebook(pytester, cell).assert_outcomes(failed=1)  # nothing recorded yet
    shutil.rmtree(pytester.path / "notebooks")
    run_notebook(pytester, cell, extra=("--record-outputs",)).assert_outcomes(passed=1)
    recorded = (pytester.path / "tests" / "notebook_outputs" / "demo.json").read_text()
    assert "0.667" in recorded
    shutil.rmtree(pytester.path / "notebooks")
    run_notebook(pytester, cell).assert_outcomes(passed=1)
    # The same cell printing something else now fails.
    (pytester.path / "tests" / "notebook_outputs" / "demo.json").write_text(recorded.replace("0.667", "0.668"))
    shutil.rmtree(pytester.path / "notebooks")
    run_notebook(pytester, cell).assert_outcomes(failed=1)
