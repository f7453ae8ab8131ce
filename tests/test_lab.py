"""JupyterLab serves the course the way `make lab` starts it.

One server for the whole module, started with the command `make -n lab` prints (so the Makefile's
options are what is tested) plus ``LAB_ARGS="--no-browser --port=0"``: the OS picks a free loopback
port, the token comes from ``JUPYTER_TOKEN`` and every Jupyter/IPython directory the server could
write to is a temporary one, so the user's own configuration neither leaks in nor gets written.
The checks follow a student: an unauthenticated request is refused; every ``notebooks/*.md`` is a
notebook to the contents API and, double-clicked in headless Chromium, opens in a notebook panel,
not a text editor; a code cell runs from the browser; the kernel imports ``sinefit`` and shows a
figure inline; the explorer is a live widget that redraws while its learning-rate slider is
dragged and ends on the picture of the final value; saving a notebook unchanged leaves the file
byte-identical.  The last test stops the server by its process id and checks that no process it
started is left.  The server and the browser helpers are in tests/lab_server.py.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jupytext
import psutil
import pytest
# The server and the browser helpers are shared with tests/test_rise.py and benchmarks/browser.py.
from lab_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    EXPLORER_CELL,
    EXPLORER_STATE_CELL,
    LAB_ARGS,
    NOTEBOOKS,
    OVERRIDES,
    ROOT,
    UI_TIMEOUT_MS,
    ExplorerView,
    LabServer,
    close_in_lab,
    contents_path,
    lab_command,
    open_in_lab,
    readout_lr,
    run_code_cell,
    run_first_code_cell,
    running_lab,
    scratch_cell_run,
    status_lr,
)

# A figure made with the course's style from the course's data, to see it rendered inline.
INLINE_FIGURE_CELL = """\
import matplotlib.pyplot as plt

import sinefit
from sinefit.data import load_xy
from sinefit.plotting import use_course_style

use_course_style()
x, y = load_xy(rows=50)
fig, ax = plt.subplots()
ax.scatter(x, y)
plt.show()
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[LabServer]:
    # Stopping is a no-op when test_server_stops_and_leaves_no_process_behind already stopped it.
    with running_lab("test_lab_") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        message = (f"headless Chromium is needed at {CHROMIUM} for the JupyterLab browser "
                   "tests: install it with `apt-get install -y chromium`")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def assert_unchanged(notebook: Path, before: bytes) -> None:
    """Assert a save left ``notebook`` byte-identical (restoring it if not) and wrote no .ipynb."""
    after = notebook.read_bytes()
    if after != before:
        notebook.write_bytes(before)  # leave the working tree as it was
    assert after == before, f"saving {notebook.name} from JupyterLab rewrote it:\n" + "".join(
        difflib.unified_diff(before.decode().splitlines(True), after.decode().splitlines(True),
                             "before", "after"))
    assert not list(notebook.parent.glob("*.ipynb")), "jupytext wrote a paired .ipynb"


def test_make_lab_serves_loopback_with_token() -> None:
    command = lab_command()
    assert command[:2] == [".venv/bin/jupyter", "lab"], command
    assert "--ServerApp.ip=127.0.0.1" in command, command
    assert command[-2:] == shlex.split(LAB_ARGS), "LAB_ARGS must be passed through last"
    weakening = re.compile(r"token=$|token=''|password|disable_check_xsrf", re.IGNORECASE)
    disabling = [arg for arg in command if weakening.search(arg)]
    assert not disabling, f"make lab must leave token authentication on: {disabling}"


def test_server_listens_on_loopback_only(lab: LabServer) -> None:
    listening = [c.laddr.ip for c in psutil.Process(lab.process.pid).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN]
    assert listening and set(listening) == {"127.0.0.1"}, listening


def test_unauthenticated_request_is_refused(lab: LabServer) -> None:
    status, body = lab.request("/api/contents/notebooks", authenticated=False)
    assert status == 403, (status, body[:200])
    assert b".md" not in body
    assert lab.request("/api/contents/notebooks")[0] == 200  # refused for the token, not the path


def test_lab_opens_on_the_notebooks_folder(lab: LabServer) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(f"{lab.base_url}/",
                                 headers={"Authorization": f"token {lab.token}"})
    with opener.open(req, timeout=60) as response:
        assert response.url.endswith("/lab/tree/notebooks"), response.url


def test_default_viewer_of_markdown_is_jupytext_notebook(lab: LabServer) -> None:
    wanted = json.loads(OVERRIDES.read_text())["@jupyterlab/docmanager-extension:plugin"]
    settings = lab.json("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    default_viewers = settings["schema"]["properties"]["defaultViewers"]["default"]
    assert default_viewers == wanted["defaultViewers"], (
        f"{ROOT / '.venv'} does not carry {OVERRIDES.relative_to(ROOT)}: run `make setup`")
    assert default_viewers["markdown"] == "Jupytext Notebook"


def test_the_course_has_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks/*.md under {ROOT}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_contents_api_reads_markdown_as_notebook(lab: LabServer, notebook: Path) -> None:
    model = lab.json(contents_path(notebook) + "?content=1")
    assert model["type"] == "notebook", model["type"]
    cells = model["content"]["cells"]
    on_disk = jupytext.read(notebook, fmt="md:myst").cells
    assert len(cells) == len(on_disk)
    assert [c["source"] for c in cells] == [c.source for c in on_disk]
    assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_browser_opens_markdown_as_notebook(lab: LabServer, browser: Any,
                                            notebook: Path) -> None:
    context, page = open_in_lab(lab, browser, notebook.relative_to(ROOT).as_posix())
    try:
        main = page.locator("#jp-main-dock-panel")
        assert main.locator(".jp-FileEditor").count() == 0, "opened in the text editor"
        assert main.locator(".jp-NotebookPanel").count() == 1
        current_tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
        assert current_tab.inner_text().strip() == notebook.name
        assert main.locator(".jp-Notebook .jp-Cell").count() >= 1
        if notebook == NOTEBOOKS[0]:
            before = notebook.read_bytes()
            cell = run_first_code_cell(lab, page, notebook.relative_to(ROOT).as_posix())
            assert cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            # Ctrl+S saves the executed notebook (outputs, language_info): the file must not move.
            page.keyboard.press("Control+s")
            page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current:not(.jp-mod-dirty)") \
                .wait_for(timeout=UI_TIMEOUT_MS)
            assert_unchanged(notebook, before)
    finally:
        close_in_lab(lab, context)


def test_kernel_imports_sinefit_and_shows_figures_inline(lab: LabServer, browser: Any) -> None:
    with scratch_cell_run(lab, browser, "inline_figure.md", INLINE_FIGURE_CELL) as (page, cell):
        image = cell.locator(".jp-OutputArea-output[data-mime-type='image/png'] img")
        image.wait_for(timeout=UI_TIMEOUT_MS)
        assert image.evaluate("img => img.naturalWidth") > 100
        assert cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_saving_unchanged_notebook_is_byte_identical(lab: LabServer, notebook: Path) -> None:
    before = notebook.read_bytes()
    model = lab.json(contents_path(notebook) + "?content=1")
    saved = lab.json(contents_path(notebook), "PUT",
                     {"type": "notebook", "format": "json", "content": model["content"]})
    assert saved["type"] == "notebook"
    assert_unchanged(notebook, before)


def test_the_explorer_renders_as_a_live_widget_and_follows_a_drag(lab, browser) -> None:
    with scratch_cell_run(lab, browser, "explorer.md", EXPLORER_CELL, EXPLORER_STATE_CELL) as (page, cell):
        # The widget manager rendered the explorer (its output has no static picture).
        output = cell.locator(".jp-OutputArea-output:has(.widget-vbox)")
        output.wait_for(timeout=UI_TIMEOUT_MS)
        # Four sliders and the picture, rendered by the widget manager, not the static PNG.
        assert output.locator(".widget-slider").count() == 4
        assert "learning rate" in output.inner_text()
        picture = output.locator(".widget-vbox img")
        picture.wait_for(timeout=UI_TIMEOUT_MS)
        page.wait_for_function("img => img.complete && img.naturalWidth > 500",
                               arg=picture.element_handle(), timeout=UI_TIMEOUT_MS)
        assert cell.locator("[data-mime-type='image/png']").count() == 0
        assert cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        # Live: a key press on the learning-rate slider reruns the descent and redraws.
        before = picture.get_attribute("src")
        status_before = output.locator(".widget-html").inner_text()
        handle = output.locator(".widget-slider").first.locator(".noUi-handle")
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([img, old]) => img.getAttribute('src') !== old",
            arg=[picture.element_handle(), before], timeout=UI_TIMEOUT_MS)
        assert output.locator(".widget-html").inner_text() != status_before

        # Dragged, the learning-rate slider redraws on the way, and the drag ends on the picture
        # of the value where it stopped.
        view = ExplorerView.of(page, cell)
        view.wait_until_settled()
        readout_before = view.readout()
        # From the middle of the track up to about lr = 3 and back down to about 0.03.
        view.drag_lr([0.5, 0.85, 0.35], seconds=1.5)
        probe = view.probe()
        down, up = probe["pointerdowns"][-1], probe["pointerups"][-1]
        during = [p for p in probe["painted"] if down < p["painted"] <= up]
        assert len(during) > 1, f"{len(during)} picture(s) painted during the drag: {probe}"
        view.wait_until_settled()
        final = readout_lr(view.readout())
        assert final != readout_lr(readout_before), "the drag did not move the slider"
        assert status_lr(view.status()) == final
        # The kernel's last picture is the one of the final value, and it is the one on screen.
        state_cell = run_code_cell(page, 1)
        printed = state_cell.locator("[data-mime-type='application/vnd.jupyter.stdout']")
        printed.wait_for(timeout=UI_TIMEOUT_MS)
        state = json.loads(printed.inner_text())
        assert float(state["lr"]) == final
        assert state["up_to_date"], "the last picture sent is not the one of the slider's value"
        assert view.shown_sha1() == state["sha1"], "the page does not show the kernel's last picture"


# Last: it stops the module's server.
def test_server_stops_and_leaves_no_process_behind(lab: LabServer) -> None:
    lab.remember_descendants()
    leftovers = lab.stop()
    assert lab.process.returncode is not None
    assert not leftovers, leftovers
    assert not [p for p in lab.descendants.values() if p.is_running()]
