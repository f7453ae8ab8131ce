"""Sphinx configuration of the course's web book (``make book``, ``course_editions.book``).

The book is Sphinx + MyST-NB + sphinx-book-theme, the stack Jupyter Book 1 runs (Jupyter Book 1
itself cannot be installed beside the pinned jupytext: it needs myst-parser < 3, hence
markdown-it-py 3, where jupytext's mdit-py-plugins needs markdown-it-py 4).  This file is copied
into the staging folder ``course_editions.book`` prepares (the preprocessed, executed notebooks,
``figures/``, the index page and ``_static/`` with the local MathJax 2), so every path here is
relative to that folder.  The book loads nothing from the internet.
"""

project = "From gradient descent to autograd: fitting a sine"
author = "the course authors"
copyright = "the course authors"  # no year: two builds of the same sources are identical
language = "en"

extensions = ["myst_nb"]

# The notebooks arrive executed (reused from the test run or executed by the builder): MyST-NB only
# renders them.
nb_execution_mode = "off"
# Outputs as a reader of the notebook sees them; no widget manager (it comes from a CDN, and the
# explorer shows its static picture: the builder drops the widget view from its output).
nb_ipywidgets_js = {}
nb_merge_streams = True
nb_code_prompt_show = "Show code cell {type}"
nb_code_prompt_hide = "Hide code cell {type}"

myst_enable_extensions = ["dollarmath", "attrs_block"]
myst_heading_anchors = 2
# MathJax 2 (below) is configured here directly; myst-parser's override writes a MathJax 3/4
# `window.MathJax` object, which MathJax 2 would read as its configuration.
myst_update_mathjax = False

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings: list[str] = []

# --- HTML ---------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Fitting a sine"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None  # no build date in the pages
html_permalinks_icon = "#"
# The search page lists the matching pages only: showing a summary would fetch() each page, which a
# browser refuses for a book opened from disk (file://), with a console error per result.
html_show_search_summary = False
html_theme_options = {
    "navbar_persistent": [],
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_source_button": False,
    "use_edit_page_button": False,
    "launch_buttons": {},
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 1,
    "footer_content_items": [],
    "extra_footer": "",
}
# The colour mode set explicitly: left empty, the theme logs "Got invalid theme mode" on every page.
html_context = {"default_mode": "light"}
html_sidebars = {"**": ["navbar-logo.html", "search-button-field.html", "sbt-sidebar-nav.html"]}

# MathJax 2 from the book folder (the builder copies it from node_modules/mathjax, the copy the
# slide decks use).  A relative mathjax_path is relative to _static/.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML-full"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processRefs": False,
        "processEnvironments": False,
    },
    "CommonHTML": {"linebreaks": {"automatic": True}},
    "showMathMenu": False,
    "messageStyle": "none",
}
