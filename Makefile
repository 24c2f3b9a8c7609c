# CostBridge developer commands. `make run` and `make test` work on a fresh clone: they create the
# virtual environment and install the project into it on first use (and again when pyproject.toml
# changes).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# extra pytest arguments, e.g. `make test PYTEST_ARGS="--backend sqlite -k budget"`
PYTEST_ARGS ?=

.PHONY: install run test lint schema bench migration clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Set up, migrate the database (costbridge.db unless COSTBRIDGE_DATABASE_URL says otherwise), load
## the demo company when it has no projects, print demo tokens, and serve http://$(HOST):$(PORT)/graphql.
run: install
	$(BIN)/costbridge serve --demo --host $(HOST) --port $(PORT)

## Set up, lint, and run every test on SQLite and PostgreSQL (the harness starts PostgreSQL,
## installing Debian's package when missing), including the schema.graphql drift check.
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Regenerate schema.graphql from the code.
schema: install
	$(BIN)/costbridge export-schema --output schema.graphql

## Regenerate the initial migration from the models (only before the first release).
migration: install
	$(BIN)/python scripts/regen_initial_migration.py

bench: install
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache costbridge.db costbridge.db-wal costbridge.db-shm
