"""Collect the MyST notebooks in notebooks/ as nbval tests.

nbval only collects ``.ipynb``; this collector reads each ``notebooks/*.md`` with jupytext and hands
it to nbval's own runner (the kernel starts in the notebook's folder, so ``../data`` works).  On top
of nbval it makes every warning an error, fails any cell that writes to stderr, and compares the
cells marked ``# NBVAL_CHECK_OUTPUT`` with the outputs recorded in ``tests/notebook_outputs/``
(MyST files store no outputs).  ``make expected-outputs`` re-records them for review in git.
The executed notebooks are written to ``_build/executed/`` for the slide decks to reuse.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, find_comment_markers, find_metadata_tags

ROOT = Path(__file__).parent
EXPECTED_DIR = ROOT / "tests" / "notebook_outputs"
EXECUTED_DIR = ROOT / "_build" / "executed"
# Run before the first cell, silently: a warning of any kind fails the cell that caused it.
KERNEL_PRELUDE = "import warnings as _w; _w.simplefilter('error'); del _w"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-outputs",
        action="store_true",
        help="record the outputs of '# NBVAL_CHECK_OUTPUT' cells into tests/notebook_outputs/",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".md" and file_path.parent.name == "notebooks":
        return MystNotebook.from_parent(parent, path=file_path)
    return None


def expected_path(notebook: Path) -> Path:
    return EXPECTED_DIR / f"{notebook.stem}.json"


def output_record(outputs: list) -> list[dict]:
    """Outputs as stored for comparison: text only (figures are checked by asserts, not pixels)."""
    kept = []
    for out in outputs:
        if out.output_type == "stream":
            kept.append({"output_type": "stream", "name": out.name, "text": out.text})
        elif out.output_type in ("execute_result", "display_data"):
            data = {k: v for k, v in out.data.items() if k == "text/plain"}
            kept.append({"output_type": out.output_type, "metadata": {}, "data": data}
                        | ({"execution_count": 1} if out.output_type == "execute_result" else {}))
    return kept


class MystNotebook(IPyNbFile):
    """An nbval notebook read from MyST markdown."""

    def collect(self):
        self.nb = jupytext.read(self.path, fmt="md:myst")
        self.recording = self.config.getoption("record_outputs")
        self.expected = self._load_expected()
        self.recorded: list[dict] = []
        code_cells = [cell for cell in self.nb.cells if cell.cell_type == "code"]
        for cell_num, cell in enumerate(code_cells):
            options = defaultdict(bool, find_metadata_tags(cell.metadata))
            options.update(dict(find_comment_markers(cell.source)))
            options.setdefault("check", False)
            if options["check"] and not self.recording:
                if cell.source not in self.expected:
                    options["missing_expected"] = True
                else:
                    cell.outputs = [nbformat.from_dict(o) for o in self.expected[cell.source]]
                    cell.execution_count = 1
            yield MystCell.from_parent(self, name=f"Cell {cell_num}", cell_num=cell_num,
                                       cell=cell, options=options)

    def _load_expected(self) -> dict[str, list]:
        path = expected_path(self.path)
        if not path.is_file():
            return {}
        return {entry["source"]: entry["outputs"] for entry in json.loads(path.read_text())}

    def setup(self):
        super().setup()
        client = self.kernel.kc

        # nbval executes with store_history=False, where a trailing `;` no longer hides a cell's
        # value (and `<matplotlib.legend.Legend at 0x...>` would reach the slide decks built
        # from these runs).  Execute as JupyterLab and nbclient do.
        def execute_like_a_notebook(cell_input, allow_stdin=None):
            return client.execute(cell_input, store_history=True, allow_stdin=allow_stdin,
                                  stop_on_error=False)

        self.kernel.execute_cell_input = execute_like_a_notebook
        msg_id = self.kernel.execute_cell_input(KERNEL_PRELUDE, allow_stdin=False)
        self.kernel.await_reply(msg_id, timeout=60)

    def teardown(self):
        super().teardown()
        EXECUTED_DIR.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.nb, EXECUTED_DIR / f"{self.path.stem}.ipynb")
        if self.recording:
            path = expected_path(self.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.recorded, indent=1, ensure_ascii=False) + "\n")


class MystCell(IPyNbCell):
    """An nbval cell that also fails on stderr output and keeps its outputs for the slide decks."""

    def runtest(self):
        if self.options.get("missing_expected"):
            self.raise_cell_error(
                "Cell is marked NBVAL_CHECK_OUTPUT but has no recorded output in "
                f"{expected_path(self.parent.path).relative_to(ROOT)}; run `make expected-outputs` "
                "and review the recorded values"
            )
        try:
            super().runtest()
        finally:
            outputs = getattr(self, "test_outputs", [])
            self.cell.outputs = [nbformat.from_dict(dict(o)) for o in outputs]
        stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
        if stderr:
            self.raise_cell_error("Cell wrote to stderr (a warning or a logged error)", stderr)
        if self.options["check"] and self.parent.recording:
            self.parent.recorded.append({"source": self.cell.source, "outputs": output_record(outputs)})
