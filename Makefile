# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint format clean openapi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fostermatch needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# virtualenv, install, the sample county in var/fostermatch.db (once), one demo API key per
# role (the previous demo keys are revoked), serve on $(HOST):$(PORT)
run: install
	$(BIN)/fostermatch demo --if-empty
	$(BIN)/fostermatch keys demo
	$(BIN)/fostermatch serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

# ruff check, ruff format --check, mypy --strict over the code and the tests (pyproject.toml);
# .ci/run runs it before the tests, .pre-commit-config.yaml before each commit
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# the OpenAPI document a case system generates its client from (a test compares it)
openapi: install
	$(BIN)/fostermatch openapi > docs/openapi.json

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
