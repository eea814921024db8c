# Two set-up commands (see README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): requirements/lock.txt pyproject.toml scripts/install.sh
	bash scripts/install.sh
	touch $(STAMP)

install: $(STAMP)

## Install everything into .venv, start the service on SQLite at 127.0.0.1:8000 and process
## the shipped sample visit (transcript + draft note are printed; Ctrl-C stops the service).
demo: install
	$(BIN)/scribe models
	$(BIN)/scribe demo

## Install everything and run the whole test suite (lint, layer contract, types, tests).
test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check scribe coding review_ui models tests scripts
	$(BIN)/lint-imports

bench: install
	$(BIN)/python scripts/bench_pipeline.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
