"""The course presented live: every notebook as a RISE slideshow, run from inside the slideshow.

One JupyterLab server for the module, started as `make lab` starts it (tests/lab_server.py), and
one headless Chromium.  For every ``notebooks/*.md``, ``/rise/notebooks/<name>.md`` (what "Render
as slideshow" opens) must present the notebook with the structure of its static deck: as many
slides and vertical slides as the deck, a fragment per ``fragment`` cell, ``skip`` cells hidden and
``notes`` cells in speaker notes.  A code cell on a slide is run with Shift+Enter from inside the
slideshow on the notebook's kernel (the cells above it ran first, as "Run All" in JupyterLab does
before a lecture: the slideshow shares the notebook's kernel) and its output appears on the slide;
in notebook 01 a figure too.  The explorers of notebooks 01 and 04 are ipywidgets on slides of
their own (tagged ``live``: a static deck leaves them out): in the slideshow they render, fit the
slide and follow a drag of the learning-rate slider (this needs the course's stand-in for
@jupyterlab/console, jupyter/labextensions/course-rise-compat).  Math is typeset, the course's
slide style (notebooks/rise.css) applies, the speaker view opens, and no request leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import pytest
from jupyter_client import BlockingKernelClient

from course_editions import roles
from course_editions.slides import LIVE_TAG, slide_notebook
from lab_server import (
    NOTEBOOKS,
    ROOT,
    UI_TIMEOUT_MS,
    ExplorerView,
    LabServer,
    close_in_lab,
    open_in_lab,
    readout_lr,
    running_lab,
    status_lr,
)

SLIDE_CSS = ROOT / "notebooks" / "rise.css"
OVERRIDES = ROOT / "jupyter" / "overrides.json"
VIEWPORT = {"width": 1280, "height": 720}
#: Console errors of jupyterlab-rise 0.43.1 itself, with every extension or none: its bundle's
#: @microsoft/fast-foundation 2.50.0 loops in a design token (microsoft/fast issue 7057) on
#: the notebook toolbar, which the slideshow hides; and RISE asks for <notebook>.css next to the
#: notebook after rise.css (a 404, answered as HTML, when a notebook has no style of its own).
KNOWN_RISE_ERRORS = re.compile(
    r"Maximum call stack size exceeded"
    r"|Refused to apply style from '\S+/files/\S*/(?!rise\.css')[\w.-]+\.css'"
    r"|Failed to load resource: the server responded with a status of 404")
SHOTS = Path(tempfile.gettempdir()) / "rise_shots"


@dataclass
class Browser:
    """One browser context for the module, with every request it made and its console errors."""

    context: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> Any:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        return page

    def unexpected_errors(self, since: int = 0) -> list[str]:
        return [e for e in self.errors[since:] if not KNOWN_RISE_ERRORS.search(e)]


@pytest.fixture(scope="module")
def lab() -> Iterator[LabServer]:
    with running_lab("test_rise_") as server:
        yield server


@pytest.fixture(scope="module")
def rise_browser(browser: Any) -> Iterator[Browser]:
    context = browser.new_context(viewport=VIEWPORT)
    recorder = Browser(context)
    context.on("request", lambda request: recorder.requests.append(request.url))
    yield recorder
    context.close()


# -- what the notebook says ---------------------------------------------------------------------

def shown(cell: nbformat.NotebookNode) -> bool:
    return roles.slide_type(cell) not in {"skip", "notes"}


def structure(cells: list[nbformat.NotebookNode]) -> dict[str, int]:
    """Slides, vertical slides and fragments a reveal.js deck makes of ``cells``: a ``slide`` cell
    (or the first cell shown) starts a slide, ``subslide`` a vertical one, ``fragment`` a fragment."""
    slides = subslides = fragments = 0
    for cell in cells:
        kind = roles.slide_type(cell)
        if not shown(cell):
            continue
        if kind == "slide" or slides == 0:
            slides += 1
            subslides += 1
        elif kind == "subslide":
            subslides += 1
        if kind == "fragment":
            fragments += 1
    return {"slides": slides, "subslides": subslides, "fragments": fragments}


def folded(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden"))


def first_code_on_a_slide(nb: nbformat.NotebookNode, *, figure: bool = False) -> int:
    """The index of the first code cell shown on a slide whose code shows and prints (with
    ``figure``: the first that draws, its code folded as every figure's is)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and shown(cell) and roles.role(cell) == "lesson":
            if figure and "plt.show()" in cell.source and folded(cell):
                return index
            if not figure and not folded(cell) and "print(" in cell.source:  # an output to see
                return index
    raise AssertionError("no code cell on a slide")


# -- the slideshow ------------------------------------------------------------------------------

def rise_url(lab: LabServer, relative: str, cell: int = 0) -> str:
    """RISE's URL for ``relative``, starting on the slide of cell ``cell`` (as the toolbar button
    does for the selected cell)."""
    return (f"{lab.base_url}/rise/{urllib.parse.quote(relative)}"
            f"?activeCellIndex={cell}&token={lab.token}")


def open_slideshow(lab: LabServer, rise: Browser, relative: str, cell: int = 0) -> Any:
    page = rise.watch(rise.context.new_page())
    page.goto(rise_url(lab, relative, cell))
    page.locator(".reveal .slides > section.present").wait_for(timeout=UI_TIMEOUT_MS)
    # The slideshow is ready once its style is in and its cells are laid out.
    page.wait_for_function("() => document.body.classList.contains('rise-enabled')",
                           timeout=UI_TIMEOUT_MS)
    return page


def dom_cells(page: Any) -> dict[int, dict[str, Any]]:
    """Where every cell of the slideshow is: its section, fragment, notes, and whether it shows."""
    found = page.evaluate("""() => {
      const fragments = [...document.querySelectorAll('.reveal .slides .fragment')];
      return [...document.querySelectorAll('.reveal .jp-Cell[data-windowed-list-index]')].map(el => ({
        index: Number(el.dataset.windowedListIndex),
        section: el.closest('section') ? el.closest('section').id : null,
        fragment: fragments.indexOf(el.closest('.fragment')),
        notes: !!el.closest('aside.notes'),
        skip: el.classList.contains('reveal-skip'),
        hidden: getComputedStyle(el).display === 'none',
      }));
    }""")
    return {cell["index"]: cell for cell in found}


def cell_on_screen(page: Any, index: int) -> Any:
    """Cell ``index`` of the slideshow, on screen: the arrow key moves on until it shows."""
    cell = page.locator(f".reveal .jp-Cell[data-windowed-list-index='{index}']")
    cell.wait_for(state="attached", timeout=UI_TIMEOUT_MS)
    on_screen = """el => el.closest('section').classList.contains('present')
                          && (!el.closest('.fragment') || el.closest('.fragment').classList.contains('visible'))"""
    deadline = time.monotonic() + 30
    while not cell.evaluate(on_screen):
        assert time.monotonic() < deadline, f"cell {index} never shows on its slide"
        page.keyboard.press("ArrowRight")  # the next fragment, or the next slide
        page.wait_for_timeout(400)
    page.wait_for_timeout(500)  # the slide transition
    return cell


def run_in_slideshow(page: Any, index: int) -> Any:
    """Click into code cell ``index`` on its slide and run it with Shift+Enter, as a lecturer does."""
    cell = cell_on_screen(page, index)
    editor = cell.locator(".jp-InputArea-editor")
    if editor.is_visible():
        editor.click()  # the keyboard acts on the notebook once a click has put it in a cell
    else:
        # Folded code (hide-input) is not clicked (a click unfolds it): once an earlier click put
        # the keyboard in the notebook, RISE selects a new slide's first code cell as it appears.
        assert page.evaluate("() => !!document.activeElement?.closest?.('.jp-Notebook')"), \
            "the keyboard is not in the notebook: click into a code cell first"
    active = page.evaluate("() => Number(document.querySelector('.reveal .jp-Cell.jp-mod-active')"
                           "?.dataset.windowedListIndex)")
    assert active == index, f"cell {index} is not the one selected ({active})"
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-OutputArea-output").first.wait_for(timeout=UI_TIMEOUT_MS)
    return cell


def kernel_of(lab: LabServer, relative: str) -> dict[str, Any]:
    """The kernel of the slideshow's session for ``relative``, once the page is connected to it."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for session in lab.json("/api/sessions"):
            kernel = session.get("kernel") or {}
            if session["path"] == relative and kernel.get("connections", 0) >= 1:
                return kernel
        time.sleep(0.2)
    raise AssertionError(f"no kernel connected to {relative}:\n{lab.log()}")


def run_cells_before(lab: LabServer, relative: str, nb: nbformat.NotebookNode, index: int) -> None:
    """Execute the code cells above ``index`` on the slideshow's kernel, as JupyterLab's Run All
    does before a lecture (the test talks to the kernel through its connection file)."""
    kernel = kernel_of(lab, relative)
    client = BlockingKernelClient(connection_file=str(lab.runtime_dir / f"kernel-{kernel['id']}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=UI_TIMEOUT_MS / 1000)
        for number, cell in enumerate(nb.cells[:index]):
            if cell.cell_type == "code":
                reply = client.execute_interactive(cell.source, timeout=300, output_hook=lambda msg: None)
                assert reply["content"]["status"] == "ok", (number, reply["content"])
    finally:
        client.stop_channels()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


# -- the tests ----------------------------------------------------------------------------------

def test_the_slideshow_settings_are_the_decks():
    """RISE presents the decks' 1280x720 slide, top-aligned, with reveal's white theme (its fonts
    ship with RISE: the default theme "simple" imports fonts from the internet)."""
    settings = json.loads(OVERRIDES.read_text())["jupyterlab-rise:plugin"]
    assert settings["theme"] == "white"
    assert (int(settings["width"]), int(settings["height"])) == (1280, 720)
    assert settings["center"] is False


def test_the_static_decks_inline_the_slideshow_style():
    from course_editions import slides

    assert slides.slide_css() == SLIDE_CSS.read_text(encoding="utf-8")
    template = (ROOT / "slides" / "offline-reveal" / "index.html.j2").read_text()
    assert "{{ resources.course_css }}" in template
    assert "--jp-code-font-size: 22px" in slides.slide_css()


def test_lab_renders_the_notebook_as_a_slideshow(lab: LabServer, browser: Any) -> None:
    """In JupyterLab, the notebook's toolbar has RISE's button and Alt+R opens the slideshow beside
    the notebook, on the slide of the selected cell (saving the notebook first leaves it as it was)."""
    notebook = NOTEBOOKS[0]
    before = notebook.read_bytes()
    nb = jupytext.read(notebook, fmt="md:myst")
    selected = first_code_on_a_slide(nb) - 3
    context, page = open_in_lab(lab, browser, notebook.relative_to(ROOT).as_posix())
    try:
        toolbar = page.locator("#jp-main-dock-panel .jp-NotebookPanel-toolbar")
        toolbar.locator("[data-command='RISE:preview']").wait_for(timeout=UI_TIMEOUT_MS)
        page.locator(".jp-Notebook .jp-Cell").nth(selected).click()
        page.keyboard.press("Escape")  # command mode, where Alt+R is bound
        page.keyboard.press("Alt+r")
        frame = page.locator("#jp-main-dock-panel iframe[src*='/rise/']")
        frame.wait_for(timeout=UI_TIMEOUT_MS)
        assert frame.get_attribute("src").endswith(
            f"/rise/{notebook.relative_to(ROOT).as_posix()}?activeCellIndex={selected}")
        slideshow = page.frame_locator("#jp-main-dock-panel iframe[src*='/rise/']")
        slideshow.locator(".reveal .slides > section.present").wait_for(timeout=UI_TIMEOUT_MS)
        page.wait_for_timeout(1000)
        shot(page, "lab-render-as-slideshow")
    finally:
        close_in_lab(lab, context)
    assert notebook.read_bytes() == before, "rendering as a slideshow rewrote the notebook"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_notebook_presents_live_with_code_running(lab: LabServer, rise_browser: Browser,
                                                  notebook: Path) -> None:
    relative = notebook.relative_to(ROOT).as_posix()
    before, errors_before = notebook.read_bytes(), len(rise_browser.errors)
    nb = jupytext.read(notebook, fmt="md:myst")
    targets = [first_code_on_a_slide(nb)]
    if notebook == NOTEBOOKS[0]:
        targets.append(first_code_on_a_slide(nb, figure=True))
    page = open_slideshow(lab, rise_browser, relative, targets[0])
    try:
        # The structure of the static deck (made from the same cells minus the hidden roles), plus
        # the slides only a live presentation has (tagged `live`: the explorers).
        expected = structure(nb.cells)
        assert structure(slide_notebook(nb).cells) == structure(
            [cell for cell in nb.cells if LIVE_TAG not in roles.tags(cell)]), "the deck and RISE differ"
        counts = page.evaluate("""() => ({
          slides: document.querySelectorAll('.reveal .slides > section').length,
          subslides: document.querySelectorAll('.reveal .slides > section > section').length,
          fragments: document.querySelectorAll('.reveal .slides .fragment').length})""")
        assert counts == expected, f"{notebook.name}: RISE made {counts}, the cells say {expected}"
        cells = dom_cells(page)
        assert sorted(cells) == list(range(len(nb.cells)))
        for index, cell in enumerate(nb.cells):
            where, kind = cells[index], roles.slide_type(cell)
            assert where["notes"] == (kind == "notes"), (index, kind, where)
            assert where["skip"] == where["hidden"] == (kind == "skip"), (index, kind, where)
            if kind == "fragment":
                assert where["fragment"] >= 0, (index, where)
        # The course's style: 28 px prose, 22 px code (notebooks/rise.css).
        sizes = page.evaluate("""() => ({
          prose: getComputedStyle(document.querySelector(
            '.reveal .slides > section:not(:first-child) > section > .jp-MarkdownCell .jp-RenderedHTMLCommon > p')).fontSize,
          code: getComputedStyle(document.querySelector('.reveal .jp-InputArea-editor .cm-content')).fontSize})""")
        assert sizes == {"prose": "28px", "code": "22px"}, sizes
        assert page.locator(".reveal mjx-container").count() > 0, "no math typeset"

        # Code runs on the notebook's kernel from inside the slideshow.
        run_cells_before(lab, relative, nb, targets[0])
        for target in targets:
            cell = run_in_slideshow(page, target)
            assert cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            if target != targets[0]:
                image = cell.locator(".jp-OutputArea-output[data-mime-type='image/png'] img")
                image.wait_for(timeout=UI_TIMEOUT_MS)
                assert image.evaluate("img => img.naturalWidth") > 500
                # It ran with its code folded, and the figure fits the slide.
                assert not cell.locator(".jp-InputArea-editor").is_visible()
                picture, slide = image.bounding_box(), page.locator(
                    ".reveal .slides section.present").last.bounding_box()
                assert picture["y"] + picture["height"] <= slide["y"] + slide["height"] + 1, (picture, slide)

            shot(page, f"{notebook.stem}-cell{target}")
        if notebook == NOTEBOOKS[0]:  # the last slide run has speaker notes too
            check_speaker_view(page, rise_browser)
    finally:
        close_in_lab(lab, page)
    assert notebook.read_bytes() == before, f"the slideshow rewrote {notebook.name}"
    assert not rise_browser.unexpected_errors(errors_before), rise_browser.unexpected_errors(errors_before)


def check_speaker_view(page: Any, rise: Browser) -> None:
    """T opens reveal's speaker view (timer, notes, previews of the current and next slide); the
    notes cells themselves are checked to be speaker notes (aside.notes) above.  Its previews are
    slideshows of their own that start on slide 1: the notes shown follow the presentation from
    its next move on (README), which is not checked here."""
    page.locator(".reveal .slides section.present .jp-MarkdownCell").filter(visible=True).first.click()
    with rise.context.expect_page(timeout=UI_TIMEOUT_MS) as opened:
        page.keyboard.press("t")
    speaker = opened.value
    try:
        speaker.set_viewport_size(VIEWPORT)
        speaker.locator(".speaker-controls-notes").wait_for(state="attached", timeout=UI_TIMEOUT_MS)
        for preview in ("#current-slide iframe", "#upcoming-slide iframe"):
            speaker.frame_locator(preview).locator(".reveal .slides > section.present") \
                .first.wait_for(timeout=UI_TIMEOUT_MS)
        speaker.wait_for_timeout(1000)
        shot(speaker, "speaker-view")
    finally:
        speaker.close()


def live_explorer(nb: nbformat.NotebookNode) -> int:
    """The index of the notebook's explorer: the code cell tagged ``live``."""
    found = [index for index, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and LIVE_TAG in roles.tags(cell)]
    assert len(found) == 1, f"one live explorer cell expected, found {found}"
    return found[0]


EXPLORER_NOTEBOOKS = [nb for nb in NOTEBOOKS if any(
    LIVE_TAG in roles.tags(cell) for cell in jupytext.read(nb, fmt="md:myst").cells)]


def test_the_explorers_have_live_slides():
    assert [nb.stem for nb in EXPLORER_NOTEBOOKS] == ["01_gradient_descent", "04_sgd_and_optimizers"]


@pytest.mark.parametrize("notebook", EXPLORER_NOTEBOOKS, ids=[nb.name for nb in EXPLORER_NOTEBOOKS])
def test_explorer_follows_a_drag_in_the_slideshow(lab: LabServer, rise_browser: Browser,
                                                  notebook: Path) -> None:
    """The course's own explorer slide (tagged ``live``: in RISE, not in the static deck), run
    from inside the slideshow after the cells above it, fits its slide and follows a drag."""
    relative = notebook.relative_to(ROOT).as_posix()
    nb = jupytext.read(notebook, fmt="md:myst")
    index = live_explorer(nb)
    errors_before = len(rise_browser.errors)
    page = open_slideshow(lab, rise_browser, relative, cell=index)
    try:
        run_cells_before(lab, relative, nb, index)
        cell = run_in_slideshow(page, index)
        assert "Failed to create module" not in " ".join(rise_browser.errors[errors_before:])
        view = ExplorerView.of(page, cell)  # the widget manager rendered it: sliders and picture
        view.wait_until_settled()
        shot(page, f"explorer-{notebook.stem}")
        slide = page.locator(".reveal .slides section.present > section.present, "
                             ".reveal .slides > section.present:not(.stack)").first.bounding_box()
        widget = view.output.bounding_box()
        assert widget["y"] + widget["height"] <= slide["y"] + slide["height"] + 1, (widget, slide)
        assert widget["x"] + widget["width"] <= slide["x"] + slide["width"] + 1, (widget, slide)
        readout, picture = view.readout(), view.shown_sha1()
        view.drag_lr([0.5, 0.8, 0.3], seconds=1.5)
        view.wait_until_settled()
        final = readout_lr(view.readout())
        assert final != readout_lr(readout), "the drag did not move the slider"
        assert status_lr(view.status()) == final
        assert view.shown_sha1() != picture, "the picture did not change"
        shot(page, f"explorer-{notebook.stem}-dragged")
    finally:
        close_in_lab(lab, page)
    assert not rise_browser.unexpected_errors(errors_before), rise_browser.unexpected_errors(errors_before)


# Last: every request of the module's slideshows went to the server on 127.0.0.1.
def test_no_request_left_the_machine(lab: LabServer, rise_browser: Browser) -> None:
    assert rise_browser.requests, "no slideshow was opened"
    outside = sorted({url for url in rise_browser.requests
                      if not url.startswith((lab.base_url + "/", "data:", "blob:", "about:"))})
    assert not outside, outside
    assert lab.base_url.startswith("http://127.0.0.1:")
