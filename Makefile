# Klaxon: `make run` for a laptop, `make test` for the whole suite, `make bench` for the figures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test bench lint typecheck clean services

$(STAMP): pyproject.toml
	@bash .ci/ensure-python "$(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3" "setuptools==80.9.0"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m app.local_run

services:
	@bash .ci/ensure-services

lint: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) services lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP) services
	$(BIN)/python bench/oncall.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/escalation.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
