# Lianxin (连心): set-up commands of shared/CONTRACT.md.
#
#   make run           create .venv, install, migrate, load the demo if empty, serve on :5000
#   make run DEMO=0    the same without the demo (a real county); says how to create an admin
#   make test          create .venv, install with dev tools, run ruff and mypy, then the whole test suite
#   make lint          ruff and mypy only (their settings are in pyproject.toml)
#   make translations  extract messages into app/translations/messages.pot and update the .po files
#   make vendor        refresh static/vendor (Bootstrap, the QR decoders, ECharts) from npm (the files are committed)
#
# Packages are re-installed only when a requirements file changes: the stamp file's name
# carries a hash of the requirements it installed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
TRANSLATIONS := app/translations
PYTEST_ARGS ?=
# DEMO=0 starts without the demo city: a real county from an empty database.
DEMO ?= 1

hash = $(shell cat $(1) | sha256sum | cut -c1-16)
RUN_STAMP := $(VENV)/.installed-$(call hash,requirements.txt)
DEV_STAMP := $(VENV)/.installed-dev-$(call hash,requirements.txt requirements-dev.txt)

.PHONY: run test lint translations compile-translations vendor clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): | $(BIN)/python
	rm -f $(VENV)/.installed-*
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

# The .mo files are build products (.gitignore); compile whatever catalogues exist.
compile-translations: $(RUN_STAMP)
	@if compgen -G "$(TRANSLATIONS)/*/LC_MESSAGES/*.po" >/dev/null; then \
		$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS); \
	else \
		echo "No translations under $(TRANSLATIONS) yet; pages will be in English."; \
	fi

run: $(RUN_STAMP) compile-translations
	$(FLASK) db upgrade
	@if [ "$(DEMO)" = 1 ]; then $(FLASK) demo-data-if-empty; fi
	@if [ "$(DEMO)" = 1 ]; then \
		echo; \
		echo "Lianxin demo accounts, all with the password lianxin-demo:"; \
		echo "  admin       administrator, everything"; \
		echo "  city        city official, Sanming city (read-only figures, all villages)"; \
		echo "  committee   village committee of 罗翠村"; \
		echo "  committee2  second member of 罗翠村's committee"; \
		echo "  gridleader  micro-grid leader, 罗翠村 第1网格"; \
		echo "  shop        shop keeper, 罗翠村积分超市"; \
		echo "  household   a 罗翠村 household"; \
		echo "  household2  another 罗翠村 household"; \
		echo "  outsider    a household in 五一村"; \
		echo "  unit        responsible unit 明溪县水利局: only the issues assigned to it"; \
		echo; \
	fi
	@$(FLASK) first-run-hint --url http://$(HOST):$(PORT)/
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# ruff (rules that find bugs) and mypy (app/, strict where the code is typed): a finding fails
# the run before the tests start. Both keep caches (.ruff_cache, .mypy_cache): a few seconds.
lint: $(DEV_STAMP)
	@echo "ruff check ."
	@$(BIN)/ruff check --quiet . || { \
		echo "ruff found the problems above. Fix each line; 'ruff check --fix' fixes those marked [*]."; \
		echo "Where a rule is wrong for one line, end it with '# noqa: CODE  (why)'; rules: pyproject.toml."; \
		exit 1; }
	@echo "mypy app/"
	@$(BIN)/mypy || { \
		echo "mypy found the problems above. Fix the types (a None check, an annotation)."; \
		echo "Where mypy is wrong for one line, end it with '# type: ignore[code]  # why'."; \
		echo "Settings and the per-package backlog: [tool.mypy] in pyproject.toml."; \
		exit 1; }

# --dist worksteal: a worker that runs out of tests takes some of the other's queue, so the slow
# files (gunicorn races, browsers, state machines) do not leave one worker alone at the end.
test: $(DEV_STAMP) compile-translations lint
	@echo "Optional suites:"
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "  PostgreSQL: on (TEST_DATABASE_URL is set)"; \
	else \
		echo "  PostgreSQL: SKIPPED, TEST_DATABASE_URL is not set"; \
	fi
	@chromium="$${CHROMIUM:-/usr/bin/chromium}"; \
	if [ -x "$$chromium" ]; then \
		echo "  browser: on (Chromium at $$chromium)"; \
	else \
		echo "  browser: SKIPPED, no Chromium at $$chromium"; \
	fi
	$(BIN)/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

# scripts/translations.sh (when present) also reads templates/_partials and _macros, which
# Babel's default directory filter skips.
translations: $(RUN_STAMP)
	@if [ -f scripts/translations.sh ]; then \
		PYBABEL=$(BIN)/pybabel sh scripts/translations.sh update; \
	else \
		$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs ".* node_modules __pycache__" \
			-o $(TRANSLATIONS)/messages.pot . && \
		$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS); \
	fi

vendor:
	npm install
	mkdir -p static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css static/vendor/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/bootstrap/
	mkdir -p static/vendor/zxing-wasm static/vendor/jsqr
	cp node_modules/zxing-wasm/dist/iife/reader/index.js static/vendor/zxing-wasm/zxing-reader.js
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm node_modules/zxing-wasm/LICENSE static/vendor/zxing-wasm/
	cp node_modules/jsqr/dist/jsQR.js node_modules/jsqr/LICENSE static/vendor/jsqr/
	mkdir -p static/vendor/echarts
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE static/vendor/echarts/

clean-venv:
	rm -rf $(VENV)
