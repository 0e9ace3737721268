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
	$(BIN)/python -m cli.local_run

services:
	@bash .ci/ensure-services

lint: $(STAMP)
	$(BIN)/ruff check --quiet
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) services lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

# `make bench` runs every benchmark (each prints its parameters, figures, and the reference beside it);
# `make bench BENCH=first_page` runs one (wsgi_servers ingest batch_ingest first_page first_page_floor escalation
# worker_startup oncall).
BENCH ?= wsgi_servers ingest batch_ingest first_page first_page_floor escalation worker_startup oncall
BENCH_ARGS_escalation ?= --skip-faults
bench: $(STAMP) services
	@bash bench/ensure-tools $(BIN)/python
	@failed=0; $(foreach name,$(BENCH),echo "+ bench/$(name).py $(BENCH_ARGS_$(name))"; \
	  $(BIN)/python bench/$(name).py $(BENCH_ARGS_$(name)) || failed=1; echo;) exit $$failed

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
