# CostBridge developer commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8000

.PHONY: install run test lint schema bench migration clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Set up, migrate the SQLite database, load demo data when empty, and serve GraphQL.
run: install
	$(BIN)/costbridge serve --demo --port $(PORT)

## Set up and run every test on SQLite and PostgreSQL, plus lint and the schema drift check.
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Regenerate schema.graphql from the code.
schema: install
	$(BIN)/costbridge export-schema --output schema.graphql

## Regenerate the initial migration from the models (only before the first release).
migration: install
	$(BIN)/python scripts/regen_initial_migration.py

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache costbridge.db costbridge.db-wal costbridge.db-shm
