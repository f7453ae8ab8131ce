"""The slide decks work offline: each one is opened in headless Chromium with the network cut off.

The module builds every deck once (``course_editions.slides.build``; a notebook that nbval executed
earlier in the same pytest run is reused instead of executed again), launches one browser, opens
each deck once and aborts and records every request that does not stay inside the deck folder.
It then checks, deck by deck, what a lecturer relies on in a lecture hall without internet:
reveal.js runs, there is one slide per ``slide``/``subslide`` cell, the math is typeset, every
figure is there, nothing failed, and the speaker view shows the notes.  Screenshots of the title
slide and of an equation slide are saved to ``_build/slides/screenshots/`` for people to look at.

Chromium is Debian's ``chromium`` package, driven by the ``playwright`` Python package through
``executable_path`` (no browser is downloaded).  ``SINEFIT_SLIDE_NOTEBOOKS=folder`` runs the same
checks on another folder of notebooks (its decks go to ``folder/../_build/slides``).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from course_editions import slides

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

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
INSTALL_HINT = ("Chromium is needed for the slide tests: install Debian's package with "
                "`sudo apt-get install chromium` (or set CHROMIUM=/path/to/chromium). "
                "Do not run `playwright install`.")
REVEAL_JS = f"{slides.REVEAL_PREFIX}/dist/reveal.js"  # the module id the deck's require() uses
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 800}

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
    return cell.metadata.get("slideshow", {}).get("slide_type", "-")


def shown_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """Cells rendered into the deck: every cell except ``skip`` (notes go to the speaker view)."""
    return [cell for cell in nb.cells if slide_type(cell) != "skip"]


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
        types = [slide_type(cell) for cell in executed.cells]
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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole module."""
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not executable or not Path(executable).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Chromium is missing. {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
        self.reveal(f"Reveal.configure({{transition: 'none'}}) || Reveal.slide({h}, {v}, {fragment})")
        self.page.evaluate("() => { window.__rerendered = false; "
                           "MathJax.Hub.Queue(() => { window.__rerendered = true; }); }")
        self.page.wait_for_function("() => window.__rerendered === true", timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(300)  # reveal's layout and fragment styles settle


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
    return deck


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


@pytest.mark.parametrize("stem", STEMS)
def test_every_slide_fits_on_the_screen(stem, opened):
    """With all its fragments shown, no slide is taller than reveal's canvas: nothing is cut off
    at the bottom of the projector (split such a slide, or tag a figure's code `hide-input`)."""
    too_tall = opened(stem).reveal("""(() => {
        Reveal.configure({transition: 'none'});
        const height = Reveal.getConfig().height, tall = [];
        for (const slide of Reveal.getSlides()) {
            const at = Reveal.getIndices(slide);
            Reveal.slide(at.h, at.v || 0, 10000);  // reading scrollHeight lays the slide out now
            if (slide.scrollHeight > height) {
                const heading = slide.querySelector('h1, h2, h3');
                tall.push(`slide ${at.h + 1}.${(at.v || 0) + 1} ` +
                          `"${heading ? heading.textContent.replace('¶', '') : ''}": ` +
                          `${slide.scrollHeight}px > ${height}px`);
            }
        }
        Reveal.slide(0, 0);
        return tall;
    })()""")
    assert not too_tall, "slides cut off at the bottom: " + "; ".join(too_tall)


@pytest.mark.parametrize("stem", STEMS)
def test_no_code_or_output_runs_off_the_right_edge(stem, opened):
    """Code and printed output wrap inside the slide: no block is wider than the room it has."""
    too_wide = opened(stem).reveal("""(() => {
        Reveal.configure({transition: 'none'});
        const wide = [];
        for (const slide of Reveal.getSlides()) {
            const at = Reveal.getIndices(slide);
            Reveal.slide(at.h, at.v || 0, 10000);
            for (const block of slide.querySelectorAll('pre')) {
                if (block.scrollWidth > block.clientWidth + 1) {
                    wide.push(`slide ${at.h + 1}.${(at.v || 0) + 1}: ` +
                              `"${block.textContent.trim().slice(0, 40)}..."`);
                }
            }
        }
        Reveal.slide(0, 0);
        return wide;
    })()""")
    assert not too_wide, "blocks cut off at the right: " + "; ".join(too_wide)


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
def test_screenshots_of_title_equation_and_figure_slides(stem, opened, executed):
    """Saves <stem>-title.png, <stem>-equation.png and <stem>-figure.png for people to look at."""
    deck = opened(stem)
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    deck.go_to(0, 0)
    assert visible_in_current_slide(deck, "h1") == 1, "the title slide shows no `# ` heading"
    deck.page.screenshot(path=SCREENSHOTS_DIR / f"{stem}-title.png")

    at = first_slide_with(deck, ".MJXc-display", ".mjx-chtml")
    assert at is not None, "the deck has no typeset equation to show"
    deck.go_to(*at, all_fragments=True)
    assert visible_in_current_slide(deck, ".mjx-chtml") > 0, f"slide {at} shows no typeset math"
    deck.page.screenshot(path=SCREENSHOTS_DIR / f"{stem}-equation.png")

    if Expected.of(executed[stem]).figures:
        at = first_slide_with(deck, ".jp-RenderedImage img", ".jp-RenderedSVG img",
                              ".jp-RenderedMarkdown img")
        deck.go_to(*at, all_fragments=True)
        assert visible_in_current_slide(deck, "img") > 0, f"slide {at} shows no figure"
        deck.page.screenshot(path=SCREENSHOTS_DIR / f"{stem}-figure.png")


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


#: The notebook whose deck carries the descent animation (matplotlib's JavaScript player).
ANIMATED_NOTEBOOK = "01_gradient_descent"


def test_the_descent_animation_plays(opened):
    """On its slide, the animation's Play button advances the frames (offline, as all above)."""
    assert ANIMATED_NOTEBOOK in STEMS, f"notebooks/{ANIMATED_NOTEBOOK}.md carries the animation"
    deck = opened(ANIMATED_NOTEBOOK)
    at = deck.reveal("Reveal.getIndices(document.querySelector("
                     "'.reveal .slides input.anim-slider').closest('section'))")
    deck.go_to(at["h"], at.get("v") or 0, all_fragments=True)  # the player is a fragment
    player = deck.page.locator(".reveal section.present .animation")
    slider = player.locator("input.anim-slider")
    assert int(slider.get_attribute("max")) >= 2  # the player sets it from its frame count
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
