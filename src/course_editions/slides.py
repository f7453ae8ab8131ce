"""Offline reveal.js slide decks of the course notebooks.

``python -m course_editions.slides`` (or ``make slides``) executes every ``notebooks/*.md`` in its own
folder, converts it with nbconvert's ``SlidesExporter`` and writes
``_build/slides/<notebook>.slides.html`` plus ``_build/slides/index.html``, which lists the decks
in course order.  Nothing in a deck loads from the internet: reveal.js 4, MathJax 2, require.js
and jQuery 2 come from ``node_modules/`` (pinned by ``package-lock.json``, installed by
``npm ci``) and are copied to ``_build/slides/vendor/``, so the folder can be zipped and presented
anywhere.  nbconvert's reveal template needs exactly these major versions (the reveal 4 file
layout and the ``MathJax.Hub`` API of MathJax 2).

A deck shows the lesson, not its verification: :func:`slide_notebook` drops the cells whose role
(:mod:`course_editions.roles`) is ``check``, ``solution`` or ``starter`` and strips nbval's
``# NBVAL_...`` lines; ``notes`` cells go to the speaker view.  The slide is 1280x720 (16:9), laid
out by the template in ``slides/offline-reveal/``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import json
import mimetypes
import re
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import ExecutePreprocessor
from traitlets.config import Config

from course_editions import roles
from sinefit.data import repo_root

#: Where nbconvert finds the course's template (``slides/offline-reveal/``).
TEMPLATE_NAME = "offline-reveal"
#: URLs of the vendored assets, relative to the deck (they live in ``vendor/`` beside it).
VENDOR = "vendor"
REVEAL_PREFIX = f"{VENDOR}/reveal.js"
MATHJAX_URL = f"{VENDOR}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
REQUIRE_JS_URL = f"{VENDOR}/require.js"
JQUERY_URL = f"{VENDOR}/jquery.min.js"
#: ``white`` uses fonts shipped with reveal.js (no web-font request), on a projector-friendly white.
THEME = "white"
#: The slide canvas in CSS pixels: a 16:9 projector (reveal.js scales it to the screen).  The live
#: RISE slideshow gets the same size from jupyter/overrides.json.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
#: The course's slide style, shared with the live RISE slideshow: RISE links ``rise.css`` from the
#: notebook's folder, and the decks' template inlines the same file (``resources.course_css``).
SLIDE_CSS = Path("notebooks") / "rise.css"
#: Cell roles that are not shown in a deck (verification, and the exercises' code).  A solution
#: cell that is not ``skip`` is an answer revealed in class (docs/authoring.md): the deck shows it.
HIDDEN_ROLES = frozenset({"check", "solution", "starter"})
#: The tag of a cell that needs a running kernel to be of use (a live widget and its slide): shown
#: in JupyterLab and when presenting live (RISE), left out of a static deck.
LIVE_TAG = "live"


def hidden_in_deck(cell: nbformat.NotebookNode) -> bool:
    """True for the cells a deck leaves out (see :data:`HIDDEN_ROLES` and :data:`LIVE_TAG`)."""
    if LIVE_TAG in roles.tags(cell):
        return True
    role = roles.role(cell)
    if role == "solution" and roles.slide_type(cell) not in {"skip", "notes"}:
        return False
    return role in HIDDEN_ROLES

#: npm package -> (required major version, files or folders to copy, destination in ``vendor/``).
#: MathJax is 73 MB installed; the deck needs only the CommonHTML output of the TeX input.
VENDOR_FILES: dict[str, tuple[int, tuple[str, ...], str]] = {
    "reveal.js": (
        4,
        ("dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme", "plugin/notes",
         "LICENSE"),
        "reveal.js",
    ),
    "mathjax": (
        2,
        ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "config/local",
         "extensions", "jax/input/TeX", "jax/output/CommonHTML", "jax/element",
         "localization/en", "fonts/HTML-CSS/TeX/woff", "fonts/HTML-CSS/TeX/otf", "LICENSE"),
        "mathjax",
    ),
    "requirejs": (2, ("require.js",), "."),
    "jquery": (2, ("dist/jquery.min.js",), "."),
}


@dataclass(frozen=True)
class Deck:
    """One built slide deck."""

    notebook: Path
    html: Path
    title: str
    executed_from: Path | None
    """The executed notebook reused from the test run, or ``None`` if this build executed it."""
    seconds: float
    executed: nbformat.NotebookNode = field(repr=False, compare=False)
    """The executed notebook the deck was made from."""


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """The text of the notebook's first ``# `` heading, or ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^# +(.+?)\s*$", cell.source, flags=re.MULTILINE)
            if match:
                return match.group(1)
    return default


def execute(notebook: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Read a MyST notebook and execute it with its own folder as the working directory."""
    nb = jupytext.read(notebook, fmt="md:myst")
    runner = ExecutePreprocessor(timeout=timeout, kernel_name="python3", store_widget_state=False)
    runner.preprocess(nb, {"metadata": {"path": str(notebook.parent)}})
    return nb


def fresh_executed(notebook: Path, executed_dir: Path, after: float) -> Path | None:
    """The executed copy of ``notebook`` in ``executed_dir`` if it can stand in for executing it.

    It must have been written after ``after`` (a time stamp, e.g. the start of the test run that
    wrote it, or :func:`sources_changed_at`) and after the notebook was last changed, and hold no
    error output.
    """
    executed = executed_dir / f"{notebook.stem}.ipynb"
    if not executed.is_file():
        return None
    written = executed.stat().st_mtime
    if written < after or written < notebook.stat().st_mtime:
        return None
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return None
    return executed


def sources_changed_at(root: Path) -> float:
    """When the code and data the notebooks run on last changed (newest mtime)."""
    files = [*(root / "src" / "sinefit").rglob("*.py"), *(root / "data").glob("*.npy")]
    return max((path.stat().st_mtime for path in files), default=0.0)


def executed_notebook(notebook: Path, executed_dir: Path | None,
                      after: float) -> tuple[nbformat.NotebookNode, Path | None]:
    """``notebook`` executed, and the copy reused (``None`` if it was executed now).

    A copy in ``executed_dir`` that :func:`fresh_executed` accepts is reused; otherwise the
    notebook is executed and the result written there, for the next build (deck or book) to reuse.
    So building twice from unchanged sources shows the same run twice: the cells tagged ``timing``
    (docs/authoring.md) are the only ones whose outputs differ from one execution to the next.
    """
    reused = fresh_executed(notebook, executed_dir, after) if executed_dir else None
    if reused is not None:
        return nbformat.read(reused, as_version=4), reused
    try:
        nb = execute(notebook)
    except Exception as error:  # a failing cell: say which notebook, then nbclient's report
        raise RuntimeError(f"{notebook} failed to execute") from error
    if executed_dir is not None:
        executed_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed_dir / f"{notebook.stem}.ipynb")
    return nb, None


def coalesce_streams(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Join ``cell``'s consecutive stream outputs of the same stream into one, in place.

    How a cell's printing is cut into stream messages depends on timing (one message or two for
    the same lines), and each message would be its own block in a deck or a page.
    """
    merged: list[nbformat.NotebookNode] = []
    for output in cell.get("outputs", []):
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = previous["text"] + output["text"]
        else:
            merged.append(output)
    if cell.get("cell_type") == "code":
        cell.outputs = merged
    return cell


def slide_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` holding what the deck shows.

    The cells :func:`hidden_in_deck` names are dropped (if such a cell started a slide, the next
    cell shown starts it instead), ``# NBVAL_...`` lines are stripped from code cells, their
    stream outputs joined (:func:`coalesce_streams`), and a cell without slide metadata (added in
    JupyterLab) continues the current slide.  Each cell is given the id ``cell-<its position in
    nb>`` (jupytext makes up random ones on every read), so two builds write the same deck.
    """
    nb = copy.deepcopy(nb)
    kept = []
    pending_start: str | None = None
    for position, cell in enumerate(nb.cells):
        cell.id = f"cell-{position:03d}"
        kind = roles.slide_type(cell)
        if hidden_in_deck(cell):
            if kind in {"slide", "subslide"} and pending_start != "slide":
                pending_start = kind
            continue
        if pending_start and kind in {"-", "fragment"}:
            cell.metadata.setdefault("slideshow", {})["slide_type"] = pending_start
        if kind not in {"skip", "notes"}:
            pending_start = None
        if cell.cell_type == "code":
            cell.source = roles.strip_test_markers(cell.source)
            coalesce_streams(cell)
        kept.append(cell)
    nb.cells = kept
    return nb


def exporter() -> SlidesExporter:
    """nbconvert's slide exporter pointed at the vendored assets and the course template."""
    config = Config()
    config.SlidesExporter.reveal_url_prefix = REVEAL_PREFIX
    config.SlidesExporter.reveal_theme = THEME
    config.SlidesExporter.reveal_transition = "slide"
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
    config.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
    config.SlidesExporter.mathjax_url = MATHJAX_URL
    config.SlidesExporter.require_js_url = REQUIRE_JS_URL
    config.SlidesExporter.jquery_url = JQUERY_URL
    config.SlidesExporter.template_name = TEMPLATE_NAME
    config.SlidesExporter.extra_template_basedirs = [str(repo_root() / "slides")]
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    # A cell tagged hide-input shows only its output (a figure) on the slide.
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"hide-input"}
    return SlidesExporter(config=config)


def copy_vendor(out_dir: Path, node_modules: Path | None = None) -> Path:
    """Copy reveal.js, MathJax, require.js and jQuery from ``node_modules`` to ``out_dir/vendor``."""
    node_modules = node_modules or repo_root() / "node_modules"
    vendor = out_dir / VENDOR
    for package, (major, paths, dest) in VENDOR_FILES.items():
        manifest = node_modules / package / "package.json"
        if not manifest.is_file():
            raise FileNotFoundError(
                f"{manifest} is missing: install the slide assets with `npm ci` "
                "(or `make slides`, which runs it); node and npm are prerequisites for slides"
            )
        version = json.loads(manifest.read_text())["version"]
        if int(version.split(".")[0]) != major:
            raise ValueError(
                f"{package} {version} is installed but nbconvert's reveal template needs "
                f"{package} {major}.x; run `npm ci` to install the versions in package-lock.json"
            )
        for rel in paths:
            source = node_modules / package / rel
            target = vendor / dest / (rel if dest != "." else Path(rel).name)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
            else:
                shutil.copy2(source, target)
    return vendor


#: A markdown image ``![alt](path "title")`` or an HTML ``<img src="path">``.
_IMAGE_LINK = re.compile(r'(!\[[^\]]*\]\(\s*<?|<img\b[^>]*?\bsrc=["\'])([^)\s"\'>]+)')


def embed_local_images(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Replace relative image links in markdown cells by ``data:`` URLs.

    The notebooks link figures as ``../figures/x.svg``, which would point outside the deck
    folder; embedding them keeps the deck self-contained.  A link to a missing file raises
    ``FileNotFoundError`` (the figure would be missing from the slide).
    """

    def embed(match: re.Match[str]) -> str:
        prefix, url = match.groups()
        if re.match(r"^([a-z][a-z0-9+.-]*:|#)", url, flags=re.IGNORECASE):
            return match.group(0)  # http:, data:, attachment: ... are not files next to us
        path = (folder / url).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"image {url!r} linked from a markdown cell does not exist "
                                    f"(looked for {path})")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{prefix}data:{mime};base64,{data}"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _IMAGE_LINK.sub(embed, cell.source)
    return nb


def slide_css() -> str:
    """The text of :data:`SLIDE_CSS` (the decks' style; in RISE, the live slideshow's)."""
    return (repo_root() / SLIDE_CSS).read_text(encoding="utf-8")


def write_deck(nb: nbformat.NotebookNode, notebook: Path, out_dir: Path) -> Path:
    """Convert an executed notebook to ``out_dir/<stem>.slides.html``."""
    nb = embed_local_images(slide_notebook(nb), notebook.parent)
    resources = {"metadata": {"name": notebook.stem, "path": str(notebook.parent)},
                 "course_css": slide_css()}
    body, _ = exporter().from_notebook_node(nb, resources=resources)
    target = out_dir / f"{notebook.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


def write_index(decks: Sequence[Deck], out_dir: Path) -> Path:
    """Write ``out_dir/index.html``: the decks in course order, with their titles."""
    items = "\n".join(
        f'  <li><a href="{html.escape(deck.html.name)}">{html.escape(deck.title)}</a> '
        f"<small>({html.escape(deck.notebook.name)})</small></li>"
        for deck in decks
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Course slides</title>
<style>
body {{ font-family: sans-serif; max-width: 48em; margin: 3em auto; font-size: 1.3em; }}
li {{ margin: 0.6em 0; }}
small {{ color: #666; }}
</style>
</head>
<body>
<h1>Course slides</h1>
<p>Open a deck and press <kbd>s</kbd> for the speaker view, <kbd>f</kbd> for full screen,
<kbd>Esc</kbd> for the overview.</p>
<ol>
{items}
</ol>
</body>
</html>
"""
    target = out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


def build(
    notebooks: Iterable[Path],
    out_dir: Path,
    executed_dir: Path | None = None,
    reuse_after: float | None = None,
) -> list[Deck]:
    """Build one deck per notebook (in the order given), the vendored assets and the index.

    With ``executed_dir``, an executed notebook written there after ``reuse_after`` (default: the
    last change to the package and data; see :func:`executed_notebook`) is converted instead of
    executing the notebook again, and a notebook executed is written there.
    """
    notebooks = [Path(nb) for nb in notebooks]
    if not notebooks:
        raise ValueError("notebooks is empty: there is nothing to build slides from")
    missing = [str(nb) for nb in notebooks if not nb.is_file()]
    if missing:
        raise FileNotFoundError(f"notebooks not found: {', '.join(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_vendor(out_dir)
    decks = []
    for notebook in notebooks:
        start = time.perf_counter()
        after = sources_changed_at(repo_root()) if reuse_after is None else reuse_after
        nb, reused = executed_notebook(notebook, executed_dir, after)
        html_path = write_deck(nb, notebook, out_dir)
        title = notebook_title(nb, default=notebook.stem)
        decks.append(Deck(notebook, html_path, title, reused, time.perf_counter() - start, nb))
    write_index(decks, out_dir)
    return decks


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: build the decks of every notebook in a folder."""
    root = repo_root()
    parser = argparse.ArgumentParser(prog="python -m course_editions.slides", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=root / "notebooks",
                        help="folder of MyST notebooks (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=root / "_build" / "slides",
                        help="output folder (default: _build/slides/)")
    parser.add_argument("--executed", type=Path, default=root / "_build" / "executed",
                        help="executed notebooks: reused when newer than the notebook, the package "
                             "and the data, written when executed (default: _build/executed/)")
    parser.add_argument("--fresh", action="store_true",
                        help="execute every notebook, even if an executed copy could be reused")
    args = parser.parse_args(argv)
    notebooks = sorted(args.notebooks.glob("*.md"))
    after = float("inf") if args.fresh else sources_changed_at(root)
    for deck in build(notebooks, args.out, executed_dir=args.executed, reuse_after=after):
        how = f"reused {deck.executed_from}" if deck.executed_from else "executed"
        print(f"{deck.html}  ({deck.seconds:.1f} s, {how})  {deck.title}")
    print(f"index: {args.out / 'index.html'}")


if __name__ == "__main__":
    main()
