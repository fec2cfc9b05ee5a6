# Two commands a new user runs (README): `make train` and `make test`.
# Each sets up .venv from scratch when needed (CPU only), then runs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup train test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all,dev]"
	touch $@

setup: $(VENV)/.installed

train: setup  ## train the default model on the embedded digits data on every backend
	$(VENV)/bin/polyframe train

test: setup  ## the whole test suite (what CI runs)
	$(PY) -m pytest -q -ra --durations=15

lint: setup
	$(VENV)/bin/ruff check polyframe backends tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
