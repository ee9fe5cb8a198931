# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?= -m "not slow"

.PHONY: setup run migrate test test-all lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

migrate: setup
	$(BIN)/crrf db upgrade

run: migrate
	$(BIN)/crrf serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest $(PYTEST_ARGS)

# Daily work: lint, types and the fast suite. `make test-all` adds the heavy runs
# (live servers, fuzzing, the API model, backups, outages): what .ci/run does.
test: lint typecheck pytest

test-all: lint typecheck
	$(BIN)/pytest

# Benchmarks: the service beside a bare baseline, on SQLite and PostgreSQL (see README).
BENCH_ARGS ?=
bench: migrate
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
