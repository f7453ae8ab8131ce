"""The slide decks work offline and can be presented: each one is opened in headless Chromium at
1280x720 (a common projector) with the network cut off.

The module builds every deck once (``course_editions.slides.build``; a notebook that nbval executed
earlier in the same pytest run is reused instead of executed again), launches one browser, opens
each deck once and aborts and records every request that does not stay inside the deck folder.
It then checks, deck by deck, what a lecturer relies on in a lecture hall without internet:
reveal.js runs, there is one slide per ``slide``/``subslide`` cell, the math is typeset, every
figure is there, nothing failed, and the speaker view shows the notes.

Then it presents each deck: from the first slide it presses the right-arrow key until the end,
measuring every slide and fragment on screen (``slide_measures.js``): nothing outside the slide
or cut off, the smallest code (>= 20 px) and prose (>= 24 px), figure text (>= 16 px), a title at
the same place on every content slide, at most 15 lines of code, no test plumbing (``NBVAL_``,
cells that only assert), output that wraps at spaces only.  The same after a reload on a math
slide and after fast clicks.  Every slide's screenshot is saved to
``_build/slides/screenshots/<notebook>-<slide number>.png`` and the measures, deck by deck, to
``_build/slides/measures.md`` (and ``.json``): the list of slides to fix when a test fails.

Chromium is Debian's ``chromium`` package, driven by the ``playwright`` Python package through
``executable_path`` (no browser is downloaded).  ``SINEFIT_SLIDE_NOTEBOOKS=folder`` runs the same
checks on another folder of notebooks (its decks go to ``folder/../_build/slides``).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from course_editions import roles, slides
from sinefit.plotting import MIN_SLIDE_LABEL_PX, smallest_font_pt

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = Path(os.environ.get("SINEFIT_SLIDE_NOTEBOOKS", ROOT / "notebooks")).resolve()
SLIDES_DIR = NOTEBOOKS_DIR.parent / "_build" / "slides"
SCREENSHOTS_DIR = SLIDES_DIR / "screenshots"
EXECUTED_DIR = ROOT / "_build" / "executed"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.md"))
STEMS = [nb.stem for nb in NOTEBOOKS]
# Executed notebooks written after this moment (by the nbval collector, which runs the
# notebooks before tests/ in `make test`) are reused instead of executing the notebooks again.
RUN_STARTED = time.time()

REVEAL_JS = f"{slides.REVEAL_PREFIX}/dist/reveal.js"  # the module id the deck's require() uses
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 720}  # a 16:9 projector
MEASURES_JS = (Path(__file__).parent / "slide_measures.js").read_text(encoding="utf-8")
# The same once MathJax is done and reveal.js has laid the slide out (a timeout instead of a hang).
SETTLED_MEASURES_JS = f"""async args => {{
    await new Promise((resolve, reject) => {{
        const timer = setTimeout(() => reject(new Error('MathJax did not finish')), args.timeout);
        MathJax.Hub.Queue(() => requestAnimationFrame(() => requestAnimationFrame(() => {{
            clearTimeout(timer); resolve(); }})));
    }});
    return ({MEASURES_JS})(args);
}}"""

#: What every slide must meet on screen at 1280x720 (docs/authoring.md, issue 15).
MIN_CODE_PX = 20.0
MIN_PROSE_PX = 24.0
MAX_CODE_LINES = 15
#: Titles of content slides may sit this many CSS px apart (they are top-aligned: the same place).
TITLE_PLACE_TOLERANCE = 2.0

# Runs before the page's own scripts: MathJax 2 reads a predefined `window.MathJax` as its
# configuration and calls AuthorInit before typesetting, so every TeX error is recorded.
MATHJAX_ERROR_HOOKS = """
window.__mathErrors = [];
window.MathJax = {AuthorInit: function () {
    MathJax.Hub.Register.MessageHook("TeX Jax - parse error",
        function (m) { window.__mathErrors.push("TeX parse error: " + m[1] + " in " + m[2]); });
    MathJax.Hub.Register.MessageHook("Math Processing Error",
        function (m) { window.__mathErrors.push("Math Processing Error: " + m[2]); });
}};
"""

# Text nodes outside code and scripts that still contain "$$" (math MathJax did not typeset).
RAW_DISPLAY_MATH_JS = """() => {
    const walker = document.createTreeWalker(document.querySelector('.reveal .slides'),
                                             NodeFilter.SHOW_TEXT);
    const raw = [];
    while (walker.nextNode()) {
        const node = walker.currentNode;
        if (node.parentElement.closest('script, style, pre, code, textarea')) continue;
        if (node.textContent.includes('$$')) raw.push(node.textContent.trim().slice(0, 80));
    }
    return raw;
}"""


# --- what the notebook says the deck must contain ---------------------------------------------

def slide_type(cell: nbformat.NotebookNode) -> str:
    return roles.slide_type(cell)


def shown_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """Cells rendered into the deck: what ``slides.slide_notebook`` keeps (no check, solution or
    starter cells), except ``skip`` (notes go to the speaker view)."""
    return [cell for cell in slides.slide_notebook(nb).cells if slide_type(cell) != "skip"]


def markdown_without_code(source: str) -> str:
    return re.sub(r"(```|~~~).*?\1", "", source, flags=re.DOTALL)


@dataclass(frozen=True)
class Expected:
    """What the deck of one notebook must contain, counted from the notebook itself."""

    horizontal_slides: int
    slides: int
    display_math: int
    figures: int
    notes: list[str]
    """The sources of the notes cells, for the speaker view."""

    @classmethod
    def of(cls, executed: nbformat.NotebookNode) -> Expected:
        types = [slide_type(cell) for cell in slides.slide_notebook(executed).cells]
        cells = shown_cells(executed)
        markdown = [markdown_without_code(c.source) for c in cells if c.cell_type == "markdown"]
        latex_outputs = [out.data["text/latex"] for c in cells if c.cell_type == "code"
                         for out in c.get("outputs", []) if "text/latex" in out.get("data", {})]
        image_outputs = [out for c in cells if c.cell_type == "code" for out in c.get("outputs", [])
                         if {"image/png", "image/jpeg", "image/svg+xml"} & set(out.get("data", {}))]
        markdown_images = sum(len(re.findall(r"!\[[^\]]*\]\(|<img\b", md)) for md in markdown)
        return cls(
            horizontal_slides=types.count("slide"),
            slides=types.count("slide") + types.count("subslide"),
            display_math=sum(text.count("$$") // 2 for text in markdown + latex_outputs),
            figures=len(image_outputs) + markdown_images,
            notes=[c.source for c in cells if slide_type(c) == "notes"],
        )


def test_the_deck_leaves_verification_out():
    """slide_notebook: no check, solution or starter cell, no nbval marker; a cell without slide
    metadata continues the slide; a dropped cell that started a slide hands that on."""
    def cell(kind, source, slide_type=None, tags=()):
        new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        made = new(source)
        if slide_type:
            made.metadata["slideshow"] = {"slide_type": slide_type}
        if tags:
            made.metadata["tags"] = list(tags)
        return made

    nb = nbformat.v4.new_notebook(cells=[
        cell("markdown", "# Title", "slide"),
        cell("code", "# NBVAL_CHECK_OUTPUT\nprint(1)", "slide"),
        cell("code", "x = 2"),  # added in JupyterLab: no metadata
        cell("code", "assert x == 2", "skip", ["check"]),
        cell("code", "answer = ...", "slide", ["starter"]),
        cell("code", "answer = 42", "skip", ["solution"]),
        cell("markdown", "## After the exercise"),
    ])
    shown = slides.slide_notebook(nb)
    assert [c.source for c in shown.cells] == ["# Title", "print(1)", "x = 2", "## After the exercise"]
    assert [slide_type(c) for c in shown.cells] == ["slide", "slide", "-", "slide"]
    assert [c.source for c in nb.cells][1].startswith("# NBVAL")  # the notebook itself is unchanged


def test_an_answer_revealed_in_class_stays_in_the_deck():
    """A solution cell that is not `skip` is a reveal slide: the deck shows it (the student
    edition removes it); a `skip` solution stays out."""
    reveal = nbformat.v4.new_markdown_cell("## The answer", metadata={
        "slideshow": {"slide_type": "slide"}, "tags": ["solution"]})
    folded = nbformat.v4.new_code_cell("answer = 42", metadata={
        "slideshow": {"slide_type": "skip"}, "tags": ["solution"]})
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title", metadata={"slideshow": {"slide_type": "slide"}}),
        folded, reveal])
    assert [c.source for c in slides.slide_notebook(nb).cells] == ["# Title", "## The answer"]


def test_a_live_slide_stays_out_of_the_static_deck():
    """Cells tagged `live` (the explorer and its title) need a kernel: RISE shows them, a static
    deck leaves them out, and the slide after them still starts a slide."""
    def md(source, slide_type, tags=()):
        return nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": slide_type},
                                                                "tags": list(tags)})

    widget = nbformat.v4.new_code_cell("explorer", metadata={"slideshow": {"slide_type": "-"},
                                                              "tags": ["hide-input", "live"]})
    nb = nbformat.v4.new_notebook(cells=[md("# Title", "slide"), md("## Play, live", "slide", ["live"]),
                                         widget, md("## Next", "slide")])
    assert [c.source for c in slides.slide_notebook(nb).cells] == ["# Title", "## Next"]
    assert [slides.hidden_in_deck(c) for c in nb.cells] == [False, True, True, False]


# --- building and opening decks -----------------------------------------------------------------

@pytest.fixture(scope="module")
def decks() -> dict[str, slides.Deck]:
    """Every deck, built once for this module (reusing notebooks nbval executed in this run)."""
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOKS_DIR}"
    reuse = NOTEBOOKS_DIR == ROOT / "notebooks"
    built = slides.build(NOTEBOOKS, SLIDES_DIR, executed_dir=EXECUTED_DIR if reuse else None,
                         reuse_after=RUN_STARTED if reuse else None)
    for deck in built:
        how = f"reused {deck.executed_from.name}" if deck.executed_from else "executed"
        print(f"built {deck.html.name} in {deck.seconds:.1f} s ({how})")
    return {deck.notebook.stem: deck for deck in built}


@pytest.fixture(scope="module")
def executed(decks: dict[str, slides.Deck]) -> dict[str, nbformat.NotebookNode]:
    """The executed notebooks the decks were made from."""
    return {stem: deck.executed for stem, deck in decks.items()}


@dataclass
class OpenDeck:
    """A deck open in the browser, with everything that went wrong while loading it."""

    page: object
    folder: Path
    outside_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def reveal(self, expression: str):
        """Evaluate ``expression`` with ``Reveal`` bound to the deck's reveal.js instance."""
        return self.page.evaluate(f"() => (Reveal => ({expression}))(window.__reveal)")

    def go_to(self, h: int, v: int = 0, all_fragments: bool = False) -> None:
        """Show slide (h, v) without a transition and wait until MathJax has re-rendered it.

        With ``all_fragments`` every fragment of the slide is shown, as after the last click.
        """
        fragment = 10_000 if all_fragments else -1
        self.reveal(f"Reveal.slide({h}, {v}, {fragment})")
        self.settle()

    def settle(self) -> None:
        """Wait until MathJax has done what is queued (the deck re-renders a slide's math when it
        opens) and reveal.js has laid the slide out again."""
        self.page.evaluate("() => { window.__settled = false; MathJax.Hub.Queue(() => "
                           "requestAnimationFrame(() => requestAnimationFrame(() => "
                           "{ window.__settled = true; }))); }")
        self.page.wait_for_function("() => window.__settled === true", timeout=TIMEOUT_MS)

    def indices(self) -> tuple[int, int, int]:
        """(h, v, f) of what is shown; f is -1 before the first fragment."""
        at = self.reveal("Reveal.getIndices()")
        return at["h"], at.get("v") or 0, -1 if at.get("f") is None else at["f"]

    def measure(self, what: str = "slide", settle: bool = False) -> dict:
        """``slide_measures.js`` on the current slide (``what``: "slide" or "clip"); with ``settle``
        after what :meth:`settle` waits for (in one round trip to the browser)."""
        return self.page.evaluate(SETTLED_MEASURES_JS if settle else MEASURES_JS,
                                  {"what": what, "timeout": TIMEOUT_MS})


def inside(url: str, folder: Path) -> bool:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return False
    return Path(unquote(parsed.path)).resolve().is_relative_to(folder.resolve())


def open_deck(browser, html: Path) -> OpenDeck:
    """Open ``html`` in a fresh page, blocking and recording every request leaving its folder.

    Returns once reveal.js is ready and MathJax has finished its first typesetting pass.  Tests
    that need more (e.g. an animation) can drive ``OpenDeck.page`` further.
    """
    page = browser.new_page(viewport=VIEWPORT)
    deck = OpenDeck(page=page, folder=html.parent)

    def route(route) -> None:
        if inside(route.request.url, deck.folder):
            route.continue_()
        else:
            deck.outside_requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda request: None if request.url in deck.outside_requests
            else deck.failed_requests.append(f"{request.url}: {request.failure}"))
    page.on("console", lambda msg: deck.console_errors.append(msg.text)
            if msg.type == "error" else None)
    page.on("pageerror", lambda error: deck.console_errors.append(f"uncaught: {error}"))
    page.add_init_script(MATHJAX_ERROR_HOOKS)
    page.goto(html.as_uri(), timeout=TIMEOUT_MS)
    wait_until_ready(deck, html)
    deck.reveal("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    return deck


def wait_until_ready(deck: OpenDeck, html: Path) -> None:
    """Wait for reveal.js to be ready and MathJax to have typeset the page (after a (re)load)."""
    page = deck.page
    page.wait_for_function("() => window.require && window.MathJax && window.MathJax.Hub",
                           timeout=TIMEOUT_MS)
    # Flags set from callbacks, then waited for with a timeout (a promise that never resolves
    # would hang page.evaluate forever).
    page.evaluate(f"""() => require(['{REVEAL_JS}'], Reveal => {{
        window.__reveal = Reveal;
        Reveal.isReady() ? (window.__revealReady = true)
                         : Reveal.on('ready', () => {{ window.__revealReady = true; }});
    }})""")
    # The hook must not return the queued callback: MathJax would make its start-up wait for it,
    # and it waits for the start-up (a deadlock).
    page.evaluate("""() => { MathJax.Hub.Register.StartupHook('End', () => {
        MathJax.Hub.Queue(() => { window.__mathDone = true; });
    }); }""")
    for flag, what in (("__revealReady", "reveal.js never became ready"),
                       ("__mathDone", "MathJax never finished typesetting")):
        try:
            page.wait_for_function(f"() => window.{flag} === true", timeout=TIMEOUT_MS)
        except PlaywrightTimeout:
            raise AssertionError(f"{html.name}: {what}; console errors: {deck.console_errors}, "
                                 f"blocked: {deck.outside_requests}") from None


@pytest.fixture(scope="module")
def opened(browser, decks) -> Iterator[Callable[[str], OpenDeck]]:
    """``opened(stem)``: the deck of that notebook, opened once per module."""
    cache: dict[str, OpenDeck] = {}

    def get(stem: str) -> OpenDeck:
        if stem not in cache:
            cache[stem] = open_deck(browser, decks[stem].html)
        return cache[stem]

    yield get
    for deck in cache.values():
        deck.page.close()


# --- the checks ---------------------------------------------------------------------------------

class _Links(HTMLParser):
    """Collects the URLs a page loads (scripts, style sheets, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag in {"script", "img", "iframe", "source", "video", "audio"} and attr.get("src"):
            self.urls.append(attr["src"])
        if tag == "link" and attr.get("href"):
            self.urls.append(attr["href"])


@pytest.mark.parametrize("stem", STEMS)
def test_deck_html_loads_only_files_in_its_folder(stem, decks):
    html = decks[stem].html
    parser = _Links()
    parser.feed(html.read_text(encoding="utf-8"))
    loaded = [url for url in parser.urls if not url.startswith("data:")]
    assert loaded, "the deck loads no assets at all: the template changed?"
    remote = [url for url in loaded if re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.IGNORECASE)]
    assert not remote, f"{html.name} loads assets from outside: {remote}"
    missing = [url for url in loaded if not (html.parent / url.split("?")[0]).is_file()]
    assert not missing, f"{html.name} links files that are not in {html.parent}: {missing}"


@pytest.mark.parametrize("stem", STEMS)
def test_no_request_leaves_the_deck_folder(stem, opened):
    deck = opened(stem)
    assert deck.outside_requests == [], "requests outside the deck folder (blocked)"
    assert deck.failed_requests == [], "local files that failed to load"


@pytest.mark.parametrize("stem", STEMS)
def test_no_console_errors(stem, opened):
    assert opened(stem).console_errors == []


@pytest.mark.parametrize("stem", STEMS)
def test_reveal_makes_one_slide_per_slide_and_subslide_cell(stem, opened, executed):
    nb = executed[stem]
    first_shown = next(cell for cell in nb.cells if slide_type(cell) not in {"skip", "notes"})
    # nbconvert turns the first shown cell into a slide whatever its type; the course starts
    # with a title slide, which also makes the count below exact.
    assert slide_type(first_shown) == "slide", "the first shown cell must be a `slide` (title)"
    expected = Expected.of(nb)
    deck = opened(stem)
    assert deck.reveal("Reveal.isReady()") is True
    assert deck.reveal("Reveal.getHorizontalSlides().length") == expected.horizontal_slides
    assert deck.reveal("Reveal.getTotalSlides()") == expected.slides


@pytest.mark.parametrize("stem", STEMS)
def test_math_is_typeset_without_errors(stem, opened, executed):
    expected = Expected.of(executed[stem])
    deck = opened(stem)
    assert deck.page.evaluate("() => window.__mathErrors") == []
    # MathJax's noErrors/noUndefined extensions show bad TeX as source or red text: find those.
    bad_tex = deck.page.evaluate("""() => [...document.querySelectorAll(
        '.MathJax_Error, .mjx-noError, .MJX_Assistive_MathML :is(merror, [mathcolor="red"])')]
        .map(el => el.textContent.slice(0, 80))""")
    assert bad_tex == [], "TeX that did not typeset (undefined macro or syntax error)"
    unfinished = deck.page.evaluate("() => document.querySelectorAll('.MJXc-processing').length")
    assert unfinished == 0, "equations MathJax left unfinished"
    assert deck.page.evaluate(RAW_DISPLAY_MATH_JS) == [], "untypeset $$ math left in the page"
    typeset = deck.page.evaluate("() => document.querySelectorAll('.MJXc-display').length")
    assert typeset == expected.display_math, "display equations typeset vs $$ pairs in the notebook"


@pytest.mark.parametrize("stem", STEMS)
def test_every_figure_is_on_its_slide(stem, opened, executed):
    expected = Expected.of(executed[stem])
    page = opened(stem).page
    figures = page.evaluate("""() => document.querySelectorAll(
        '.reveal .slides :is(.jp-RenderedImage, .jp-RenderedSVG, .jp-RenderedMarkdown) img').length""")
    assert figures == expected.figures, "figures in the deck vs image outputs and markdown images"
    broken = page.evaluate("""() => [...document.images]
        .filter(img => !img.complete || img.naturalWidth === 0)
        .map(img => img.src.slice(0, 60))""")
    assert broken == [], "images that did not decode"


# --- presenting each deck: the right-arrow key through every slide and fragment -----------------

@dataclass
class Walk:
    """One deck presented with the right-arrow key from its first slide to its last."""

    stem: str
    slides: list[tuple[int, int]]
    """Every slide of the deck, (h, v), in order."""
    states: list[tuple[int, int, int]] = field(default_factory=list)
    """Every (h, v, fragment) the right-arrow key showed, in order."""
    measures: dict[tuple[int, int], dict] = field(default_factory=dict)
    """``slide_measures.js`` of each slide reached, with all its fragments shown."""
    clipped: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    """What was outside the slide or cut off, in any of the slide's fragment states."""
    screenshots: dict[tuple[int, int], Path] = field(default_factory=dict)

    def name(self, at: tuple[int, int]) -> str:
        """How the lecturer knows the slide: its number (as shown on it) and its title."""
        measure = self.measures.get(at)
        number = self.slides.index(at) + 1
        title = measure["title"]["text"] if measure and measure["title"] else "(no title)"
        return f"{self.stem[:2]}/{number} {title[:40]!r}"

    def content_slides(self) -> list[tuple[int, int]]:
        """The slides after the title slide that were reached."""
        return [at for at in self.slides[1:] if at in self.measures]

    def title_place(self) -> float | None:
        """Where content slides' titles sit (CSS px from the slide's top): the most common place."""
        tops = [round(self.measures[at]["title"]["top"]) for at in self.content_slides()
                if self.measures[at]["title"]]
        return max(set(tops), key=tops.count) if tops else None


def figure_text_px(figure: dict) -> float | None:
    """On-screen height of a figure's smallest text: an SVG's is measured; a PNG's is its scale
    times the course style's smallest font (sinefit.plotting) at the dpi it was drawn at."""
    if figure["kind"] == "svg":
        return figure.get("textPx")
    if not figure.get("dpi"):
        return None
    return figure["scale"] * smallest_font_pt() * figure["dpi"] / 72


def walk_deck(deck: OpenDeck, stem: str) -> Walk:
    """Present the deck: right arrow from the first slide until nothing changes, measuring every
    fragment state for clipping and every slide (all fragments shown) for the rest, with a
    screenshot of each slide."""
    walk = Walk(stem, [tuple(at) for at in deck.reveal(
        "Reveal.getSlides().map(s => { const i = Reveal.getIndices(s); return [i.h, i.v || 0]; })")])
    fragments = deck.page.evaluate("() => document.querySelectorAll('.reveal .slides .fragment').length")
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS_DIR.glob(f"{stem}-*"):
        old.unlink()
    deck.go_to(0, 0)
    deck.page.mouse.move(0, 0)  # no hover effects on the screenshots
    cdp = deck.page.context.new_cdp_session(deck.page)
    for _ in range(len(walk.slides) + fragments + 2):
        clip = deck.measure("clip", settle=True)
        state = (clip["h"], clip["v"], clip["f"])
        if walk.states and state == walk.states[-1]:
            break  # the last slide, all its fragments shown: the arrow key does nothing more
        walk.states.append(state)
        at = state[:2]
        found = walk.clipped.setdefault(at, [])
        for text in clip["clipped"]:  # each fault once, with the first fragment state showing it
            if not any(seen.startswith(text + " (fragment") for seen in found):
                found.append(f"{text} (fragment {state[2] + 1})")
        if clip["fragmentsLeft"] == 0 and at not in walk.measures:
            walk.measures[at] = deck.measure("slide")
            number = walk.slides.index(at) + 1 if at in walk.slides else 0
            path = SCREENSHOTS_DIR / f"{stem}-{number:02d}.png"
            # Chromium's fast PNG encoding: a third of the time of page.screenshot.
            shot = cdp.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})
            path.write_bytes(base64.b64decode(shot["data"]))
            walk.screenshots[at] = path
        deck.page.keyboard.press("ArrowRight")
    cdp.detach()
    return walk


def summary(walk: Walk) -> dict:
    """The deck's numbers and, for each measure, the slides that fail it (by number and title)."""
    measures, content, place = walk.measures, walk.content_slides(), walk.title_place()
    figure_px = {at: [figure_text_px(figure) for figure in m["figures"]] for at, m in measures.items()}

    def below(value: float | None, bar: float) -> bool:
        return value is not None and value < bar

    def smallest(values) -> float | None:
        values = [value for value in values if value is not None]
        return round(min(values), 1) if values else None

    def title_off(at: tuple[int, int]) -> bool:
        title = measures[at]["title"]
        return bool(title) and place is not None and abs(title["top"] - place) > TITLE_PLACE_TOLERANCE

    failing = {
        "not reached by the right arrow": [f"{walk.stem[:2]}/{number}" for number, at
                                           in enumerate(walk.slides, 1) if at not in measures],
        "clipped": {walk.name(at): texts[:3] for at, texts in walk.clipped.items() if texts},
        f"code < {MIN_CODE_PX:g} px": {
            walk.name(at): f"{m['minCode']:.1f} px {m['smallest']['code']}"
            for at, m in measures.items() if below(m["minCode"], MIN_CODE_PX)},
        f"prose < {MIN_PROSE_PX:g} px": {
            walk.name(at): f"{m['minProse']:.1f} px {m['smallest']['prose']}"
            for at, m in measures.items() if below(m["minProse"], MIN_PROSE_PX)},
        f"figure text < {MIN_SLIDE_LABEL_PX:g} px": {
            walk.name(at): [round(px, 1) for px in pxs if below(px, MIN_SLIDE_LABEL_PX)]
            for at, pxs in figure_px.items() if any(below(px, MIN_SLIDE_LABEL_PX) for px in pxs)},
        "untitled": [walk.name(at) for at in content
                     if not measures[at]["title"] or measures[at]["title"]["tag"] != "h2"],
        "title not at the top": {walk.name(at): round(measures[at]["title"]["top"])
                                 for at in content if title_off(at)},
        f"more than {MAX_CODE_LINES} code lines": {
            walk.name(at): m["codeLines"] for at, m in measures.items() if m["codeLines"] > MAX_CODE_LINES},
        "NBVAL_ marker": [walk.name(at) for at, m in measures.items() if m["nbval"]],
        "assert-only cell": {walk.name(at): m["assertOnly"] for at, m in measures.items() if m["assertOnly"]},
        "break inside a word": {walk.name(at): m["midWord"][:4] for at, m in measures.items() if m["midWord"]},
    }
    per_slide = [
        {"slide": walk.name(at), "code px": smallest([m["minCode"]]), "prose px": smallest([m["minProse"]]),
         "code lines": m["codeLines"], "figure text px": [smallest([px]) for px in figure_px[at]],
         "title top": m["title"] and round(m["title"]["top"], 1), "screenshot": walk.screenshots[at].name}
        for at, m in measures.items()]
    return {
        "slides": len(walk.slides),
        "reached": len(measures),
        "min code px": smallest(m["minCode"] for m in measures.values()),
        "min prose px": smallest(m["minProse"] for m in measures.values()),
        "min figure text px": smallest(px for pxs in figure_px.values() for px in pxs),
        "max code lines": max((m["codeLines"] for m in measures.values()), default=0),
        "failing": failing,
        "per slide": per_slide,
    }


@pytest.fixture(scope="module")
def walked(opened) -> Iterator[Callable[[str], Walk]]:
    """``walked(stem)``: the deck presented once (see :func:`walk_deck`); when the module is done,
    the measures of every deck walked are written to ``_build/slides/measures.{json,md}``."""
    cache: dict[str, Walk] = {}

    def get(stem: str) -> Walk:
        if stem not in cache:
            cache[stem] = walk_deck(opened(stem), stem)
        return cache[stem]

    yield get
    if cache:
        write_report({stem: summary(walk) for stem, walk in cache.items()})


def write_report(summaries: dict[str, dict]) -> None:
    """``measures.json`` and a readable ``measures.md`` in the slides folder."""
    (SLIDES_DIR / "measures.json").write_text(json.dumps(summaries, indent=1, ensure_ascii=False),
                                              encoding="utf-8")
    lines = ["# Slide measures at 1280x720", "",
             f"Bars: code >= {MIN_CODE_PX:g} px, prose >= {MIN_PROSE_PX:g} px, figure text >= "
             f"{MIN_SLIDE_LABEL_PX:g} px, <= {MAX_CODE_LINES} code lines, a title on every content slide.", "",
             "| deck | slides | min code px | min prose px | min figure text px | clipped | untitled "
             "| max code lines |", "|---|---|---|---|---|---|---|---|"]
    for stem, numbers in summaries.items():
        failing = numbers["failing"]
        lines.append(f"| {stem} | {numbers['slides']} | {numbers['min code px']} | {numbers['min prose px']} "
                     f"| {numbers['min figure text px']} | {len(failing['clipped'])} | {len(failing['untitled'])} "
                     f"| {numbers['max code lines']} |")
    for stem, numbers in summaries.items():
        lines += ["", f"## {stem}"]
        for measure, slides_failing in numbers["failing"].items():
            if not slides_failing:
                continue
            lines.append(f"- **{measure}**:")
            if isinstance(slides_failing, dict):
                lines += [f"  - {name}: {detail}" for name, detail in slides_failing.items()]
            else:
                lines += [f"  - {name}" for name in slides_failing]
    (SLIDES_DIR / "measures.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def failing(walk: Walk, measure: str):
    return summary(walk)["failing"][measure]


#: A slide with one of each fault, for the measures to find (a stand-in for reveal.js's API).
FAULTY_SLIDE = """<!DOCTYPE html><html><body style="margin:0">
<div class="reveal"><div class="slides" style="position:absolute; left:0; top:0; width:640px; height:360px">
<section class="present" style="position:absolute; width:640px; height:360px; overflow:hidden">
  <p style="font-size:12px">Small print before any title</p>
  <div class="jp-CodeCell"><div class="jp-InputArea"><pre style="font-size:10px">assert x == 1
assert y == 2  # NBVAL_CHECK_OUTPUT</pre></div></div>
  <pre style="width:120px; font-size:16px; white-space:pre-wrap; word-break:break-all">0.000123456789 x</pre>
  <div style="position:absolute; left:600px; top:10px; width:100px">past the right edge</div>
  <div style="height:400px">taller than the slide</div>
</section></div></div>
<script>
window.__reveal = {getCurrentSlide: () => document.querySelector('section'), getIndices: () => ({h: 0, v: 0}),
    getScale: () => 1, getSlidesElement: () => document.querySelector('.slides'),
    getConfig: () => ({width: 640, height: 360}), getSlidePastCount: () => 0};
</script></body></html>"""


def test_the_measures_find_what_they_look_for(browser):
    page = browser.new_page(viewport={"width": 640, "height": 360})
    try:
        page.set_content(FAULTY_SLIDE)
        slide = page.evaluate(MEASURES_JS, {"what": "slide"})
        clip = page.evaluate(MEASURES_JS, {"what": "clip"})
    finally:
        page.close()
    assert slide["title"] is None
    assert slide["minProse"] == 12 and slide["minCode"] == 10
    assert slide["codeLines"] == 2 and slide["assertOnly"] == ["assert x == 1"]
    assert slide["nbval"] is True
    assert slide["midWord"] == ["0.000123456789"]
    assert any("word-break break-all" in text for text in slide["wrapStyle"])
    assert any("past the right edge" in text and "outside the slide" in text for text in clip["clipped"])
    assert any(text.startswith("<section") and "cut off" in text for text in clip["clipped"])


@pytest.mark.parametrize("stem", STEMS)
def test_reveal_is_set_up_for_a_16_9_projector(stem, opened):
    deck = opened(stem)
    config = deck.reveal("(({width, height, margin, center, navigationMode}) => "
                         "({width, height, margin, center, navigationMode}))(Reveal.getConfig())")
    assert config == {"width": slides.SLIDE_WIDTH, "height": slides.SLIDE_HEIGHT, "margin": 0.04,
                      "center": False, "navigationMode": "linear"}
    assert deck.reveal("Reveal.getScale()") == pytest.approx(1 - 0.04, abs=1e-3)  # the margin


@pytest.mark.parametrize("stem", STEMS)
def test_the_right_arrow_reaches_every_slide_and_fragment(stem, walked, opened):
    walk = walked(stem)
    assert failing(walk, "not reached by the right arrow") == []
    fragments = opened(stem).page.evaluate(
        "() => document.querySelectorAll('.reveal .slides .fragment').length")
    fragment_states = sum(1 for state in walk.states if state[2] >= 0)
    # Fragments with a shared data-fragment-index appear together: at most one state each.
    assert 0 < fragment_states <= fragments or fragments == 0
    assert len(walk.screenshots) == len(walk.slides)


@pytest.mark.parametrize("stem", STEMS)
def test_nothing_is_outside_the_slide_or_cut_off(stem, walked):
    assert failing(walked(stem), "clipped") == {}


@pytest.mark.parametrize("stem", STEMS)
def test_code_and_prose_are_large_enough_on_screen(stem, walked):
    walk = walked(stem)
    assert failing(walk, f"code < {MIN_CODE_PX:g} px") == {}
    assert failing(walk, f"prose < {MIN_PROSE_PX:g} px") == {}


@pytest.mark.parametrize("stem", STEMS)
def test_figure_text_is_large_enough_on_screen(stem, walked):
    """Figure text is not in the DOM: a PNG's smallest text is its on-screen scale times the
    course style's smallest font at the dpi the PNG was drawn at; an SVG's is measured."""
    walk = walked(stem)
    unknown = [walk.name(at) for at, m in walk.measures.items() for f in m["figures"]
               if figure_text_px(f) is None]
    assert unknown == [], "figures whose text size cannot be told (no dpi in the PNG, no SVG text)"
    assert failing(walk, f"figure text < {MIN_SLIDE_LABEL_PX:g} px") == {}


@pytest.mark.parametrize("stem", STEMS)
def test_every_content_slide_has_a_title_at_the_same_place(stem, walked):
    walk = walked(stem)
    assert failing(walk, "untitled") == []
    assert failing(walk, "title not at the top") == {}
    transformed = [walk.name(at) for at, m in walk.measures.items()
                   if m["title"] and m["title"]["transform"] != "none"]
    assert transformed == [], "titles the theme upper-cases"


@pytest.mark.parametrize("stem", STEMS)
def test_the_title_slide_stands_out(stem, walked):
    """Only the first slide is a title slide: a bigger `# ` title, centred."""
    walk = walked(stem)
    title = walk.measures[walk.slides[0]]["title"]
    assert title and title["tag"] == "h1" and title["align"] == "center"
    others = [walk.measures[at]["title"] for at in walk.content_slides() if walk.measures[at]["title"]]
    assert others and all(other["px"] < title["px"] and other["align"] != "center" for other in others)


@pytest.mark.parametrize("stem", STEMS)
def test_no_slide_shows_more_than_15_lines_of_code(stem, walked):
    assert failing(walked(stem), f"more than {MAX_CODE_LINES} code lines") == {}


@pytest.mark.parametrize("stem", STEMS)
def test_verification_stays_out_of_the_deck(stem, walked, decks):
    """No nbval marker and no cell that only asserts on a slide (they are `check` cells)."""
    walk = walked(stem)
    assert "NBVAL_" not in decks[stem].html.read_text(encoding="utf-8")
    assert failing(walk, "NBVAL_ marker") == []
    assert failing(walk, "assert-only cell") == {}


@pytest.mark.parametrize("stem", STEMS)
def test_code_and_output_wrap_only_at_spaces(stem, walked):
    walk = walked(stem)
    styles = {walk.name(at): m["wrapStyle"] for at, m in walk.measures.items() if m["wrapStyle"]}
    assert styles == {}, "blocks that may break inside a word"
    assert failing(walk, "break inside a word") == {}


@pytest.mark.parametrize("stem", STEMS)
def test_a_math_slide_is_laid_out_after_a_reload_and_fast_clicks(stem, walked, opened):
    """After reloading the deck on a math slide, and after a burst of right-arrow presses, the
    slide is laid out as when it was reached slowly: title in its place, nothing cut off."""
    walk = walked(stem)
    deck = opened(stem)
    candidates = []
    for selector in (".MJXc-display", ".mjx-chtml"):  # display math, else any
        candidates += [tuple(at) for at in deck.reveal(f"""Reveal.getSlides()
            .filter(s => s.querySelector('{selector}'))
            .map(s => {{ const i = Reveal.getIndices(s); return [i.h, i.v || 0]; }})""")
            if tuple(at) in walk.measures and walk.measures[tuple(at)]["title"]
            and not walk.clipped.get(tuple(at)) and tuple(at) != walk.slides[0]]
    if not candidates:
        pytest.skip("no titled, unclipped slide with math to check")
    at = candidates[0]
    place = walk.measures[at]["title"]["top"]
    # A reload: the URL holds the slide (reveal's history), the page starts on it.
    deck.go_to(*at)
    deck.page.reload(timeout=TIMEOUT_MS)
    wait_until_ready(deck, deck.folder / f"{stem}.slides.html")
    deck.settle()
    assert deck.indices()[:2] == at
    after = deck.measure("slide")
    assert after["title"] and abs(after["title"]["top"] - place) <= TITLE_PLACE_TOLERANCE
    assert deck.measure("clip")["clipped"] == []
    # Fast clicks: from two slides before it, the right arrow pressed without waiting.
    deck.reveal("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    start = walk.states.index(next(state for state in walk.states if state[:2] == at))
    first = walk.states[max(start - 6, 0)]
    deck.reveal(f"Reveal.slide({first[0]}, {first[1]}, {first[2]})")
    for _ in range(start - max(start - 6, 0)):
        deck.page.keyboard.press("ArrowRight", delay=0)
    deck.settle()
    assert deck.indices()[:2] == at
    fast = deck.measure("slide")
    assert fast["title"] and abs(fast["title"]["top"] - place) <= TITLE_PLACE_TOLERANCE
    assert deck.measure("clip")["clipped"] == []


def first_slide_with(deck: OpenDeck, *selectors: str) -> tuple[int, int] | None:
    """Indices (h, v) of the first slide showing an element matching the first selector that
    matches anything (outside the speaker notes), or None."""
    return deck.reveal(f"""(() => {{
        for (const selector of {list(selectors)!r}) {{
            const found = [...document.querySelectorAll('.reveal .slides ' + selector)]
                .find(el => !el.closest('aside.notes'));
            if (found) {{
                const at = Reveal.getIndices(found.closest('section'));
                return [at.h, at.v || 0];
            }}
        }}
        return null;
    }})()""")


def visible_in_current_slide(deck: OpenDeck, selector: str) -> int:
    """How many elements matching ``selector`` the current slide shows (fragments included)."""
    return deck.page.evaluate(f"""() => [...document.querySelectorAll('section.present {selector}')]
        .filter(el => el.getBoundingClientRect().width > 0 && !el.closest('.fragment:not(.visible)'))
        .length""")


@pytest.mark.parametrize("stem", STEMS)
def test_speaker_view_opens_with_the_notes(stem, opened, executed):
    notes = Expected.of(executed[stem]).notes
    deck = opened(stem)
    # The first slide with notes (else the title slide, whose notes area is then empty).
    at = deck.reveal("""(() => {
        const aside = document.querySelector('.reveal .slides aside.notes');
        const at = aside ? Reveal.getIndices(aside.closest('section')) : {h: 0, v: 0};
        return [at.h, at.v || 0];
    })()""")
    deck.go_to(*at)
    with deck.page.context.expect_page(timeout=TIMEOUT_MS) as popup_info:
        deck.page.keyboard.press("s")
    speaker = popup_info.value
    try:
        speaker.locator(".speaker-controls-notes").wait_for(state="attached", timeout=TIMEOUT_MS)
        # The speaker view shows the current slide and the next one in frames of the deck.
        speaker.wait_for_function("() => document.querySelectorAll('iframe').length >= 2",
                                  timeout=TIMEOUT_MS)
        if notes:
            words = " ".join(re.sub(r"[*_`#$\\\[\]()]", " ", notes[0]).split()[:4])
            speaker.wait_for_function(
                "words => document.querySelector('.speaker-controls-notes')"
                ".textContent.replace(/\\s+/g, ' ').includes(words)", arg=words,
                timeout=TIMEOUT_MS)
    finally:
        speaker.close()
    assert deck.outside_requests == []
    assert deck.console_errors == []


def test_index_lists_every_deck_in_course_order(decks):
    index = (SLIDES_DIR / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    assert [href for href, _ in links] == [f"{stem}.slides.html" for stem in STEMS]
    for (href, title), notebook in zip(links, NOTEBOOKS, strict=True):
        heading = re.search(r"^# +(.+?)\s*$", notebook.read_text(encoding="utf-8"), re.MULTILINE)
        assert heading, f"{notebook.name} has no `# ` title"
        assert html.unescape(title) == heading.group(1)
        assert (SLIDES_DIR / href).is_file()


@pytest.mark.parametrize("stem", STEMS)
def test_a_deck_made_again_from_the_same_run_is_byte_identical(stem, decks, tmp_path):
    deck = decks[stem]
    again = slides.write_deck(deck.executed, deck.notebook, tmp_path)
    assert again.read_bytes() == deck.html.read_bytes()
    assert not re.search(r'id="cell-id=[0-9a-f]{8}"', deck.html.read_text(encoding="utf-8"))


TIMED_NOTEBOOK = """\
---
jupytext:
  text_representation: {format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

# Timed

```{code-cell} ipython3
---
tags: [timing]
---
import time
print(time.perf_counter_ns())
```
"""


def test_building_the_decks_twice_gives_the_same_files(tmp_path):
    """`make slides` twice: the second build shows the first one's run (its executed copy is newer
    than the sources), so even a timing cell's output is the same; --fresh executes again."""
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "timed.md").write_text(TIMED_NOTEBOOK, encoding="utf-8")

    def build(*extra: str) -> dict[str, bytes]:
        slides.main(["--notebooks", str(tmp_path / "nb"), "--out", str(tmp_path / "out"),
                     "--executed", str(tmp_path / "executed"), *extra])
        return {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes()
                for p in sorted((tmp_path / "out").rglob("*")) if p.is_file()}

    first = build()
    assert (tmp_path / "executed" / "timed.ipynb").is_file()
    assert build() == first
    fresh = build("--fresh")
    assert fresh["timed.slides.html"] != first["timed.slides.html"]  # a new run, a new time
    assert {name for name in fresh if fresh[name] != first[name]} == {"timed.slides.html"}


#: The notebook whose deck carries the descent animation (matplotlib's JavaScript player).
ANIMATED_NOTEBOOK = "01_gradient_descent"


def test_the_descent_animation_plays(opened):
    """On its slide, the animation's Play button advances the frames (offline, as all above)."""
    assert ANIMATED_NOTEBOOK in STEMS, f"notebooks/{ANIMATED_NOTEBOOK}.md carries the animation"
    deck = opened(ANIMATED_NOTEBOOK)
    at = deck.reveal("Reveal.getIndices(document.querySelector("
                     "'.reveal .slides input.anim-slider').closest('section'))")
    deck.go_to(at["h"], at.get("v") or 0, all_fragments=True)  # the player may be a fragment
    player = deck.page.locator(".reveal section.present .animation")
    slider = player.locator("input.anim-slider")
    assert int(slider.get_attribute("max")) >= 2  # the player sets it from its frame count
    player.locator("button[title='Pause']").click()
    player.locator("button[title='First frame']").click()
    assert int(slider.input_value()) == 0
    image = player.locator("img")
    first_picture = image.get_attribute("src")
    player.locator("button[title='Play']").click()
    deck.page.wait_for_timeout(400)
    first = int(slider.input_value())
    deck.page.wait_for_timeout(400)
    second = int(slider.input_value())
    player.locator("button[title='Pause']").click()
    assert 0 < first < second, f"the animation did not advance: frame {first}, then {second}"
    assert image.get_attribute("src") != first_picture


def test_the_animation_starts_with_its_slide_and_lets_the_arrows_move_on(opened, walked):
    """Reached with the arrow key, the animation plays by itself; its buttons are at least 40 px;
    after a click on one, the arrow keys move the slides again, not the player's slider."""
    walk = walked(ANIMATED_NOTEBOOK)
    deck = opened(ANIMATED_NOTEBOOK)
    at = deck.reveal("Reveal.getIndices(document.querySelector("
                     "'.reveal .slides input.anim-slider').closest('section'))")
    at = (at["h"], at.get("v") or 0)
    before = walk.states[walk.states.index(next(s for s in walk.states if s[:2] == at)) - 1]
    deck.reveal(f"Reveal.slide({before[0]}, {before[1]}, {before[2]})")
    deck.settle()
    deck.page.keyboard.press("ArrowRight")
    deck.settle()
    assert deck.indices()[:2] == at
    player = deck.page.locator(".reveal section.present .animation")
    slider = player.locator("input.anim-slider").element_handle()
    deck.page.wait_for_function("slider => Number(slider.value) > 0", arg=slider, timeout=TIMEOUT_MS)
    buttons = player.locator(".anim-buttons button")
    sizes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
    small = [(round(box["width"]), round(box["height"])) for box in sizes
             if box["width"] < 40 or box["height"] < 40]
    assert buttons.count() >= 5 and small == [], "buttons smaller than 40x40 px on screen"
    player.locator("button[title='Pause']").click()
    deck.page.wait_for_timeout(50)
    assert deck.page.evaluate("() => !document.activeElement.closest('.animation')"), \
        "the player keeps the keyboard focus"
    frame = slider.input_value()
    state = deck.indices()
    deck.page.keyboard.press("ArrowRight")
    deck.settle()
    assert slider.input_value() == frame and deck.indices() != state, "the arrow key moved the player"
