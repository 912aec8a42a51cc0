# Two commands to know: `make run` (install into ./.venv and start the bot) and `make test`.
#
# `make run` installs only what the bot needs (`pip install -e .`); `make test` adds the test
# tools (`.[dev]`: pytest, mypy, ruff, scipy, Synapse). Each install re-runs only when
# pyproject.toml changes, recorded by a stamp file per level. The full install also stamps the
# bot-only level (it includes it), so `make test` then `make run` installs nothing more, while
# `make run` then `make test` adds the test tools.

PYTHON    ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
ARGS      ?=

.PHONY: install install-dev run test lint bench clean i18n-extract i18n-update i18n-compile

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(RUN_STAMP) $(DEV_STAMP)

run: $(RUN_STAMP)  ## start the bot (the console adapter when no platform is configured)
	$(BIN)/communitybot run $(ARGS)

test: $(DEV_STAMP)  ## the whole test suite
	$(BIN)/pytest -q

lint: $(DEV_STAMP)  ## style, formatting and types
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy communitybot

bench: $(DEV_STAMP)  ## peer-search latency and memory at 100k and 1M members
	$(BIN)/python -m benchmarks.peers

# Translations (README "Translating"): extract the texts, merge them into each language's .po,
# compile the .mo files the bot ships. The keywords are the functions of communitybot.i18n.
LOCALES      := communitybot/locale
I18N_KEYWORDS := --no-default-keywords -k tr -k ntr:1,2 -k ptr:1c,2 -k nptr:1c,2,3 -k N_

i18n-extract: $(RUN_STAMP)  ## texts → communitybot/locale/communitybot.pot
	$(BIN)/pybabel -q extract -F babel.cfg $(I18N_KEYWORDS) --add-location=file --sort-by-file \
		--no-wrap -c "Translators:" --project=communitybot -o $(LOCALES)/communitybot.pot .

i18n-update: i18n-extract  ## new and changed texts into every language's .po
	$(BIN)/pybabel -q update -i $(LOCALES)/communitybot.pot -d $(LOCALES) -D communitybot \
		--no-wrap --no-fuzzy-matching --ignore-obsolete

i18n-compile: $(RUN_STAMP)  ## .po → .mo (what the bot reads)
	$(BIN)/pybabel -q compile -d $(LOCALES) -D communitybot

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
