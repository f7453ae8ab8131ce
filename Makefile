# The course's commands.  Every target works from a fresh clone: it creates .venv first.
# `make help` lists them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup test lab data figures bench expected-outputs clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --constraint constraints.txt --editable ".[dev]"
	touch $(STAMP)

setup: $(STAMP) ## create .venv with the package, the notebooks' and the tests' dependencies

test: setup ## run the unit tests and execute every notebook with nbval
	$(PY) -m pytest

lab: setup ## open the course in JupyterLab
	$(VENV)/bin/jupyter lab $(LAB_ARGS)

data: setup ## regenerate data/*.npy (byte-identical to the committed files)
	$(PY) -m sinefit.data

figures: setup ## regenerate figures/ (needs graphviz's `dot`)
	$(PY) -m sinefit.graph

bench: setup ## run the benchmarks and write benchmarks/results.json
	$(PY) benchmarks/run.py

expected-outputs: setup ## re-record the checked notebook outputs (review the diff before committing)
	$(PY) -m pytest notebooks --record-outputs

clean: ## remove generated files (.venv, _build, caches)
	rm -rf $(VENV) _build .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
