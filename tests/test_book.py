"""The web book (``make book``, ``course_editions.book``) works offline and honours the cell roles.

The module builds the book once (reusing the notebooks nbval executed earlier in the same run, or
any executed copy newer than the notebooks, the package and the data; otherwise it executes them),
then opens every page from disk in headless Chromium with every request that leaves the book's
folder blocked and recorded, as a reader without a network would.  On every page: no blocked
or failed request, no console error, MathJax typeset every formula without an error and no raw TeX
is left, every image loads.  On each lecture's page: the solutions are folded (their code is not
on screen until a click opens them), the ``check`` cells are folded, the starters are shown, no
``NBVAL_`` marker or speaker note is left, the explorer shows its picture with the line saying
where to run it live, and the descent animation plays.  Screenshots go to
``_build/book-screenshots/``.  The role-by-role transformation is also tested without a browser.

Chromium is Debian's ``chromium`` package, driven through ``executable_path`` (nothing is
downloaded); without it the browser tests are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import jupytext
import nbformat
import pytest

from course_editions import book, roles

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))
STEMS = [nb.stem for nb in NOTEBOOKS]
EXECUTED_DIR = ROOT / "_build" / "executed"
BOOK_DIR = ROOT / "_build" / "book"
SCREENSHOTS_DIR = ROOT / "_build" / "book-screenshots"

TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 900}
SEARCH_QUERY = "gradient"

# Runs before the page's scripts: MathJax 2 reads a predefined `window.MathJax` as configuration
# and calls AuthorInit before typesetting, so every TeX error is recorded.
MATHJAX_ERROR_HOOKS = """
window.__mathErrors = [];
window.MathJax = {AuthorInit: function () {
    MathJax.Hub.Register.MessageHook("TeX Jax - parse error",
        function (m) { window.__mathErrors.push("TeX parse error: " + m[1] + " in " + m[2]); });
    MathJax.Hub.Register.MessageHook("Math Processing Error",
        function (m) { window.__mathErrors.push("Math Processing Error: " + m[2]); });
    MathJax.Hub.Register.StartupHook("End", function () {
        MathJax.Hub.Queue(function () { window.__mathDone = true; });
    });
}};
"""

# Formulas MathJax did not typeset, and TeX left as text outside code.
MATH_STATE_JS = r"""() => {
    const untypeset = [...document.querySelectorAll('.math')]
        .filter(el => !el.querySelector('script[type^="math/tex"]'))
        .map(el => el.textContent.trim().slice(0, 80));
    const raw = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const tex = /\\\(|\\\)|\\\[|\\\]|\$\$|\\(frac|sum|omega|eta|partial|mathrm|sqrt|hat)\b/;
    while (walker.nextNode()) {
        const node = walker.currentNode;
        if (node.parentElement.closest('script, style, pre, code, textarea, .MathJax_Preview')) continue;
        if (tex.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 80));
    }
    const typeset = document.querySelectorAll('.math .mjx-chtml').length;
    return {formulas: document.querySelectorAll('.math').length, typeset, untypeset, raw};
}"""

# Images that did not load (the animation's frame gets its src from the player's script).
BROKEN_IMAGES_JS = """() => [...document.images]
    .filter(img => !(img.complete && img.naturalWidth > 0))
    .map(img => img.getAttribute('src') || img.id || img.outerHTML.slice(0, 80))"""


# --- the role-by-role transformation (no browser) ---------------------------------------------

def _code(source: str, tags: list[str] | None = None, **metadata) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata=dict(metadata))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _md(source: str, tags: list[str] | None = None, **metadata) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source, metadata=dict(metadata))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def test_book_notebook_applies_the_cell_roles():
    notes = {"slideshow": {"slide_type": "notes"}}
    widget_output = nbformat.v4.new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"},
                              "image/png": "iVBORw0KGgo=", "text/plain": "Explorer"})
    explorer = _code("explorer", tags=["hide-input"])
    explorer.outputs = [widget_output]
    nb = nbformat.v4.new_notebook(cells=[
        _md("# Title\n\n### The subtitle\n\n*Lecture 1*"),
        _md("Say this aloud.", **notes),
        _md("## Exercise 1: try", tags=["exercise"]),
        _code("answer = ...\ncheck(answer)", tags=["starter"]),
        _code("answer = 42\ncheck(answer)", tags=["solution"]),
        _md("Notes in between.", **notes),
        _md("**Solution.** Because.\n\n### Why", tags=["solution"]),
        _code("# NBVAL_CHECK_OUTPUT\nprint(1)"),
        _code("assert True", tags=["check", "hide-input"]),
        explorer,
        _md("## Later\n\n#### Too deep"),
        _code("final = 1", tags=["solution"]),
    ])
    page, fixes = book.book_notebook(nb)
    sources = [cell.source for cell in page.cells]
    assert not any("Say this aloud" in s or "Notes in between" in s for s in sources)
    assert "{.subtitle}\nThe subtitle" in sources[0] and "###" not in sources[0]
    # The two solution cells (with the notes between them gone) share one folded box; so does the last.
    assert sources.count(book.SOLUTION_OPEN) == 2 and sources.count(book.SOLUTION_CLOSE) == 2
    opened = sources.index(book.SOLUTION_OPEN)
    assert sources[opened + 1: opened + 4] == ["answer = 42\ncheck(answer)",
                                               "**Solution.** Because.\n\n**Why**", book.SOLUTION_CLOSE]
    assert sources[-3:] == [book.SOLUTION_OPEN, "final = 1", book.SOLUTION_CLOSE]
    assert "answer = ...\ncheck(answer)" in sources  # the starter is shown
    assert "print(1)" in sources and not any("NBVAL" in s for s in sources)
    check = next(cell for cell in page.cells if cell.source == "assert True")
    assert roles.tags(check) == ["check", "hide-cell"]
    shown = next(cell for cell in page.cells if cell.source == "explorer")
    assert set(shown.outputs[0].data) == {"image/png", "text/plain"}
    note = page.cells[page.cells.index(shown) + 1]
    assert note.source.startswith("{.live-elsewhere}") and book.RUN_LABEL in note.source
    assert "## Later\n\n### Too deep" in sources
    assert fixes == ["'#### Too deep' after an H2: made H3"]
    assert nb.cells[1].source == "Say this aloud."  # the executed notebook is left as it was


def test_headings_inside_code_fences_are_left_alone():
    fixed, changes = book.fix_headings(["# T\n\n```python\n### not a heading\n```\n\n## A"])
    assert fixed == ["# T\n\n```python\n### not a heading\n```\n\n## A"] and changes == []


def test_the_notebooks_need_no_heading_fix_beyond_the_subtitle():
    """A heading that skips a level is fixed in the book's copy, but belongs fixed in the notebook."""
    for notebook in NOTEBOOKS:
        nb = jupytext.read(notebook, fmt="md:myst")
        _, fixes = book.book_notebook(nb)
        assert fixes == [], f"{notebook.name}: headings skip a level: {fixes}"


# --- the built book in a browser ------------------------------------------------------------------

@pytest.fixture(scope="module")
def built() -> book.Book:
    """The book, built once for this module."""
    assert NOTEBOOKS, "no notebooks in notebooks/"
    result = book.build(NOTEBOOKS, BOOK_DIR, executed_dir=EXECUTED_DIR)
    for page in result.pages:
        how = f"reused {page.executed_from.name}" if page.executed_from else "executed"
        print(f"{page.html.name}: {how}")
    print(f"book built in {result.seconds:.1f} s")
    return result


@pytest.fixture(scope="module")
def executed(built) -> dict[str, nbformat.NotebookNode]:
    """What each page was made from: the executed notebooks the build used."""
    return {page.notebook.stem: page.executed for page in built.pages}


@dataclass
class OpenPage:
    page: object
    name: str
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def evaluate(self, script: str, arg=None):
        return self.page.evaluate(script, arg)


def _inside(url: str, folder: Path) -> bool:
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return True
    return parsed.scheme == "file" and Path(unquote(parsed.path)).resolve().is_relative_to(folder)


def open_page(browser, html: Path, folder: Path, query: str = "") -> OpenPage:
    """``html`` opened from disk (``?q=query`` if given), every request outside ``folder`` blocked;
    returns once MathJax has finished."""
    page = browser.new_page(viewport=VIEWPORT)
    opened = OpenPage(page, html.relative_to(folder).as_posix())

    def route(route) -> None:
        if _inside(route.request.url, folder):
            route.continue_()
        else:
            opened.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda request: None if request.url in opened.blocked
            else opened.failed.append(f"{request.url}: {request.failure}"))
    page.on("console", lambda msg: opened.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
    page.add_init_script(MATHJAX_ERROR_HOOKS)
    page.goto(html.as_uri() + (f"?q={query}" if query else ""), wait_until="load", timeout=TIMEOUT_MS)
    if query:  # the search runs after the index loads: wait for its verdict
        page.wait_for_function("() => /found|did not match/i.test("
                               "(document.querySelector('#search-results') || {}).innerText || '')",
                               timeout=TIMEOUT_MS)
    if page.evaluate("() => !!document.querySelector('script[src*=\"MathJax.js\"]')"):
        page.wait_for_function("() => window.__mathDone === true", timeout=TIMEOUT_MS)
    return opened


@pytest.fixture(scope="module")
def pages(browser, built) -> Iterator[dict[str, OpenPage]]:
    """Every HTML page of the book, opened once."""
    folder = built.out_dir.resolve()
    opened = {}
    for html in [*sorted(folder.glob("*.html")), *sorted(folder.glob("notebooks/*.html"))]:
        page = open_page(browser, html, folder, query=SEARCH_QUERY if html.name == "search.html" else "")
        opened[page.name] = page
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    for page in opened.values():
        page.page.screenshot(path=SCREENSHOTS_DIR / f"{Path(page.name).stem}.png")
    yield opened
    for page in opened.values():
        page.page.close()


def lecture(pages: dict[str, OpenPage], stem: str) -> OpenPage:
    return pages[f"notebooks/{stem}.html"]


def test_the_book_has_an_index_and_a_page_per_notebook_in_order(built, pages):
    assert {"index.html", *(f"notebooks/{stem}.html" for stem in STEMS)} <= set(pages)
    index = pages["index.html"]
    links = index.evaluate("""() => [...document.querySelectorAll('article ol a')]
        .map(a => a.getAttribute('href'))""")
    assert links == [f"notebooks/{stem}.html" for stem in STEMS], "the lectures, in course order"
    text = index.evaluate("() => document.querySelector('article').innerText")
    assert "How to run the course" in text and "make lab" in text


def test_the_search_finds_the_lectures_offline(pages):
    found = pages["search.html"].evaluate(
        "() => [...document.querySelectorAll('#search-results li a')].map(a => a.getAttribute('href'))")
    assert any(f"notebooks/{STEMS[0]}.html" in href for href in found), found


def test_no_page_loads_anything_from_outside_the_book(pages):
    for name, page in pages.items():
        assert page.blocked == [], f"{name}: requests outside the book's folder (blocked)"
        assert page.failed == [], f"{name}: files of the book that failed to load"


def test_no_console_errors(pages):
    for name, page in pages.items():
        assert page.errors == [], f"{name}: console errors"


def test_math_is_typeset_without_errors_and_no_raw_tex_is_left(pages):
    lectures_with_math = 0
    for name, page in pages.items():
        state = page.evaluate(MATH_STATE_JS)
        errors = page.evaluate("() => window.__mathErrors || []")
        assert errors == [], f"{name}: MathJax errors"
        assert state["untypeset"] == [], f"{name}: formulas MathJax did not typeset"
        assert state["raw"] == [], f"{name}: raw TeX left on the page"
        lectures_with_math += name.startswith("notebooks/") and state["typeset"] > 0
    assert lectures_with_math == len(STEMS), "every lecture has typeset formulas"


def test_every_image_loads_and_each_figure_output_is_on_its_page(pages, executed):
    for name, page in pages.items():
        assert page.evaluate(BROKEN_IMAGES_JS) == [], f"{name}: images that did not load"
    for stem in STEMS:
        figures = sum(1 for cell in book.book_notebook(executed[stem])[0].cells
                      for out in cell.get("outputs", []) if _is_figure(out.get("data", {})))
        shown = lecture(pages, stem).evaluate(
            "() => document.querySelectorAll('.cell_output > img').length")
        assert shown == figures, f"{stem}: {figures} figure outputs, {shown} on the page"


def _is_figure(data: dict) -> bool:
    """An output MyST-NB shows as a picture (HTML, when there is some, wins over an image)."""
    return bool({"image/png", "image/svg+xml", "image/jpeg"} & set(data)) and "text/html" not in data


def _explorer_stems(executed) -> list[str]:
    return [stem for stem, nb in executed.items()
            if any(key.startswith(book.WIDGET_MIMETYPE_PREFIX)
                   for cell in nb.cells for out in cell.get("outputs", [])
                   for key in out.get("data", {}))]


def test_the_explorer_shows_its_picture_and_where_to_get_the_live_one(pages, executed):
    stems = _explorer_stems(executed)
    assert stems, "no notebook has an explorer any more: update this test"
    for stem in stems:
        page = lecture(pages, stem)
        found = page.evaluate("""() => [...document.querySelectorAll('p.live-elsewhere')].map(note => {
            const cell = note.previousElementSibling;
            const img = cell && cell.querySelector('.cell_output img');
            const box = img && img.getBoundingClientRect();
            return {text: note.innerText, width: img ? img.naturalWidth : 0,
                    shown: !!box && box.width > 300 && box.height > 150,
                    widget: !!cell.querySelector('.jupyter-widgets, script[type*="widget"]'),
                    link: note.querySelector('a') ? note.querySelector('a').getAttribute('href') : ''};
        })""")
        assert found, f"{stem}: no explorer picture with its note"
        for explorer in found:
            assert explorer["shown"] and explorer["width"] >= 600, f"{stem}: explorer picture {explorer}"
            assert not explorer["widget"], f"{stem}: a widget view is left"
            assert "JupyterLab" in explorer["text"] and explorer["link"].endswith("index.html#run-the-course")
        handle = page.page.locator("p.live-elsewhere").first
        handle.scroll_into_view_if_needed()
        page.page.screenshot(path=SCREENSHOTS_DIR / f"{stem}-explorer.png")


def test_the_animation_plays(pages, executed):
    stems = [stem for stem, nb in executed.items()
             if any('class="animation"' in out.get("data", {}).get("text/html", "")
                    for cell in nb.cells for out in cell.get("outputs", []))]
    assert stems, "no notebook has the descent animation any more: update this test"
    for stem in stems:
        page = lecture(pages, stem)
        player = page.page.locator(".animation").first
        player.scroll_into_view_if_needed()
        frame = "() => document.querySelector('.animation .anim-slider').value"
        image = "() => document.querySelector('.animation img').src"
        assert page.evaluate(image).startswith("data:image/"), f"{stem}: no frame shown"
        first_frame, first_image = page.evaluate(frame), page.evaluate(image)
        player.locator("button[onclick*='play_animation']").first.click()
        page.page.wait_for_function(f"() => ({frame})() !== {first_frame!r}", timeout=10_000)
        page.page.wait_for_timeout(300)
        assert page.evaluate(image) != first_image, f"{stem}: the frame did not change"
        page.page.screenshot(path=SCREENSHOTS_DIR / f"{stem}-animation.png")
        player.locator("button[onclick*='pause_animation']").first.click()


def _code_lines(cell: nbformat.NotebookNode) -> list[str]:
    """Lines of a code cell a reader would recognise (not blank, not a lone bracket)."""
    return [line.strip() for line in cell.source.splitlines() if len(line.strip()) > 12]


def test_solutions_are_folded_until_a_click(pages, executed):
    for stem in STEMS:
        page = lecture(pages, stem)
        nb, _ = book.book_notebook(executed[stem])
        boxes = sum(cell.source == book.SOLUTION_OPEN for cell in nb.cells)
        # (a solution's plotting code tagged hide-input stays folded inside the open solution)
        solution_lines = [line for cell in nb.cells if roles.role(cell) == "solution"
                          and cell.cell_type == "code" and roles.HIDE_INPUT not in roles.tags(cell)
                          for line in _code_lines(cell)]
        elsewhere = "\n".join(cell.source + str(cell.get("outputs", "")) for cell in nb.cells
                              if roles.role(cell) != "solution")
        only_in_solutions = [line for line in solution_lines if line not in elsewhere]
        state = page.evaluate("""() => [...document.querySelectorAll('details.solution')]
            .map(d => ({open: d.open, summary: d.querySelector('summary').innerText}))""")
        assert len(state) == boxes > 0, f"{stem}: {boxes} solutions, {len(state)} folded boxes"
        assert all(not box["open"] and box["summary"] == "Solution" for box in state), state
        visible = page.evaluate("() => document.querySelector('article').innerText")
        shown = [line for line in only_in_solutions if line in visible]
        assert shown == [], f"{stem}: solution code on screen before any click"
        first = page.page.locator("details.solution > summary").first
        first.scroll_into_view_if_needed()
        page.page.screenshot(path=SCREENSHOTS_DIR / f"{stem}-solution-folded.png")
        for summary in page.page.locator("details.solution > summary").all():
            summary.click()
        visible = page.evaluate("() => document.querySelector('article').innerText")
        hidden = [line for line in only_in_solutions if line not in visible]
        assert hidden == [], f"{stem}: solution code still hidden after opening every solution"
        first.scroll_into_view_if_needed()
        page.page.screenshot(path=SCREENSHOTS_DIR / f"{stem}-solution-open.png")
        for summary in page.page.locator("details.solution > summary").all():
            summary.click()  # fold them again for the other tests


def test_checks_are_folded_starters_shown_markers_and_notes_gone(pages, executed):
    for stem in STEMS:
        page = lecture(pages, stem)
        nb = executed[stem]
        found = page.evaluate("""() => ({
            checks: [...document.querySelectorAll('.cell.tag_check')].map(c => ({
                folded: !!c.querySelector(':scope > details.hide:not([open])'),
                text: c.innerText.trim()})),
            starters: [...document.querySelectorAll('.cell.tag_starter')].map(c => c.innerText),
            text: document.querySelector('article').textContent})""")
        checks = [cell for cell in nb.cells if roles.role(cell) == "check"]
        assert len(found["checks"]) == len(checks), f"{stem}: check cells"
        assert all(c["folded"] and c["text"] == "Show code cell content" for c in found["checks"]), \
            f"{stem}: a check cell is not folded"
        starters = [cell for cell in nb.cells if roles.role(cell) == "starter"]
        assert len(found["starters"]) == len(starters) and all("..." in s for s in found["starters"])
        assert "NBVAL_" not in found["text"], f"{stem}: an nbval marker is left"
        page_words = " ".join(found["text"].split())
        notes = [_plain_phrase(cell.source) for cell in nb.cells if roles.role(cell) == "notes"]
        assert notes, f"{stem}: no speaker notes to look for: update this test"
        shown = [phrase for phrase in notes if phrase and phrase in page_words]
        assert shown == [], f"{stem}: speaker notes on the page"


def _plain_phrase(markdown: str) -> str:
    """The longest run of plain prose in ``markdown`` (no math, code or emphasis), up to 8 words."""
    runs = [" ".join(run.split()) for run in re.split(r"[$`*_\[\]()<>#|]", markdown)]
    longest = max(runs, key=lambda run: len(run.split()), default="")
    words = longest.split()
    return " ".join(words[:8]) if len(words) >= 4 else ""
