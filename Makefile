# The course's commands.  Every target works from a fresh clone: it creates .venv first.
# `make help` lists them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The pins `make setup` installs (CI's oldest-versions job: CONSTRAINTS=constraints-oldest.txt).
CONSTRAINTS ?= constraints.txt
# `make setup TORCH_CPU=1` (on a fresh clone, or after `make clean`): pip also looks in PyTorch's CPU
# wheel index and takes torch's CPU build (~200 MB) instead of PyPI's Linux CUDA build (~3 GB with
# its nvidia-* packages).  macOS and Windows wheels on PyPI are CPU builds already.
TORCH_CPU ?=
TORCH_INDEX := $(if $(filter 1 yes true,$(TORCH_CPU)),--extra-index-url https://download.pytorch.org/whl/cpu)

.DEFAULT_GOAL := help
.PHONY: help setup test lab slides student book data figures bench expected-outputs clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --constraint $(CONSTRAINTS) $(TORCH_INDEX) --editable ".[dev]"
	touch $(STAMP)

# This .venv's JupyterLab (only it: the user's own settings are untouched) opens notebooks/*.md as
# notebooks: jupyter/overrides.json makes "Jupytext Notebook" the default viewer of markdown files.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/course.json
$(LAB_OVERRIDES): jupyter/overrides.json $(STAMP)
	mkdir -p $(@D)
	cp jupyter/overrides.json $@

# The RISE slideshow (README, "Presenting live with RISE") needs a stand-in for @jupyterlab/console
# to show ipywidgets: jupyter/labextensions/course-rise-compat/static/remoteEntry.js says why.  It is
# a federated extension of this .venv's JupyterLab, written by hand (nothing to build).
RISE_COMPAT := $(VENV)/share/jupyter/labextensions/course-rise-compat
RISE_COMPAT_FILES := $(addprefix $(RISE_COMPAT)/,package.json static/remoteEntry.js)
$(RISE_COMPAT)/%: jupyter/labextensions/course-rise-compat/% $(STAMP)
	mkdir -p $(@D)
	cp $< $@

setup: $(STAMP) $(LAB_OVERRIDES) $(RISE_COMPAT_FILES) ## create .venv with the package, the notebooks' and the tests' dependencies

# The slide decks' offline assets, pinned by package-lock.json (node and npm are prerequisites).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "slides need node and npm: apt-get install nodejs npm"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NODE_STAMP)

test: setup $(NODE_STAMP) ## run the unit tests and execute every notebook with nbval
	$(PY) -m pytest

# Loopback only, with Jupyter's token left on (the login URL is printed), served from the repository
# root (so ../data works) with the file browser on notebooks/.  Root, as in a container, needs
# --allow-root.  tests/test_lab.py starts the server with exactly this command (`make -n lab`).
LAB_OPTS = --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks \
	$(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup ## open the course in JupyterLab (extra options: make lab LAB_ARGS="--no-browser --port 8890")
	$(VENV)/bin/jupyter lab $(LAB_OPTS) $(LAB_ARGS)

data: setup ## regenerate data/*.npy (byte-identical to the committed files)
	$(PY) -m course_editions.data

figures: setup ## regenerate figures/ (needs graphviz's `dot`)
	$(PY) -m sinefit.graph

bench: setup ## run the benchmarks and write benchmarks/results.json
	$(PY) benchmarks/run.py

expected-outputs: setup ## re-record the checked notebook outputs (review the diff before committing)
	$(PY) -m pytest notebooks --record-outputs

# A notebook executed by an earlier build or `make test` (in _build/executed/, newer than the notebook,
# the package and the data) is reused, so building twice gives the same decks byte for byte;
# `make slides SLIDES_ARGS=--fresh` executes every notebook again.
slides: setup $(NODE_STAMP) ## build the offline slide decks in _build/slides/ (executing the notebooks)
	$(PY) -m course_editions.slides $(SLIDES_ARGS)

# The course folder handed to students: .ipynb without outputs, solutions or speaker notes, the
# sinefit package, data/, figures/ and what `make setup` needs there (docs/authoring.md, cell roles).
student: setup ## build the student edition: _build/student/ and _build/student.zip
	$(PY) -m course_editions.student

# The web book: one page per notebook with its outputs, offline (MathJax 2 from node_modules, as the
# slides).  Reuses the notebooks `make test` executed into _build/executed/ when they are newer than
# the notebooks, the package and the data; executes the others.  Sphinx runs with -W.
book: setup $(NODE_STAMP) ## build the offline web book in _build/book/ (open _build/book/index.html)
	$(PY) -m course_editions.book

clean: ## remove generated files (.venv, node_modules, _build, caches)
	rm -rf $(VENV) node_modules _build .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
