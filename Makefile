# Tollgate: `make run` serves the embedded mode; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test up lint format bench browsers migrate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Tollgate needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput -v 0

run: migrate
	SIGNUP_CREDIT_USD=$${SIGNUP_CREDIT_USD:-5} $(BIN)/python manage.py ensure_demo_user
	$(BIN)/python manage.py bootstrap_catalog
	DEBUG=$${DEBUG:-true} SIGNUP_CREDIT_USD=$${SIGNUP_CREDIT_USD:-5} PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/python -m config.serve -b $(HOST) -p $(PORT) config.asgi:application

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

up: $(STAMP)
	@test -n "$$DATABASE_URL" || { echo "make up needs DATABASE_URL (PostgreSQL) and REDIS_URL"; exit 1; }
	@test -n "$$REDIS_URL" || { echo "make up needs REDIS_URL"; exit 1; }
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py bootstrap_catalog
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian's chromium for the browser tests (Playwright cannot download its own browsers here).
browsers:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
