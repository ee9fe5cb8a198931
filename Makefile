# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps, named for pyproject.toml's checksum: the runtime dependencies (`make run`) and the
# dev extras on top (tests, lint, types, bench). Editing pyproject.toml makes both stale.
CHECKSUM := $(shell cksum pyproject.toml | cut -d' ' -f1)
RUNTIME_STAMP := $(VENV)/.runtime-$(CHECKSUM)
DEV_STAMP := $(VENV)/.dev-$(CHECKSUM)
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
PYTEST_ARGS ?= -m "not slow"

.PHONY: setup setup-dev run migrate test test-all lint typecheck pytest bench clean messages

$(RUNTIME_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	rm -f $(VENV)/.runtime-* $(VENV)/.installed-*
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(PIP) -e '.[dev]'
	rm -f $(VENV)/.dev-*
	touch $@

setup: $(RUNTIME_STAMP)

setup-dev: $(DEV_STAMP)

migrate: setup
	$(BIN)/crrf db upgrade

run: migrate
	$(BIN)/crrf serve

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup-dev
	$(BIN)/mypy

pytest: setup-dev
	$(BIN)/pytest $(PYTEST_ARGS)

# Daily work: lint, types and the fast suite. `make test-all` adds the heavy runs
# (live servers, fuzzing, the API model, backups, outages): what .ci/run does.
test: lint typecheck pytest

test-all: lint typecheck
	$(BIN)/pytest

# Benchmarks: the service beside a bare baseline, on SQLite and PostgreSQL (see README).
BENCH_ARGS ?=
bench: setup-dev migrate
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The interface's catalogs: extract every marked string (babel.cfg) into messages.pot, then
# merge it into each language's messages.po (new strings arrive untranslated; translate them,
# tests/test_i18n.py fails until every one is). Only the .po files are kept; the app compiles
# them in memory at start-up.
LOCALE_DIR := app/i18n/locale
messages: setup-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output \
		--project "CRRF Case Manager" --copyright-holder "CRRF Case Manager" \
		-o $(LOCALE_DIR)/messages.pot .
	for lang in fr es ar; do \
		test -f $(LOCALE_DIR)/$$lang/LC_MESSAGES/messages.po \
			|| $(BIN)/pybabel -q init -D messages -i $(LOCALE_DIR)/messages.pot -d $(LOCALE_DIR) -l $$lang; \
		$(BIN)/pybabel -q update -D messages -i $(LOCALE_DIR)/messages.pot -d $(LOCALE_DIR) -l $$lang \
			--no-fuzzy-matching --ignore-obsolete; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
