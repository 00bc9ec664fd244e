# Two set-up commands work on a fresh machine with only Python and make:
#   make run   installs, migrates, starts the emulator with demo data and the dashboard
#   make test  installs and runs the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install install-dev run test lint format bench chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.runtime $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# The demo's defaults: DEBUG on, with its public secret key (settings refuse both otherwise).
run: export DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py run_demo

# The fast path runs on SQLite with the filesystem broker (tests that need a
# service skip there); when DATABASE_URL and CELERY_BROKER_URL are set, the same
# tests run again on PostgreSQL and Redis, where REQUIRE_SERVICES=1 turns any
# skip for a missing service into a failure.
test: install-dev
	env -u DATABASE_URL -u CELERY_BROKER_URL -u REQUIRE_SERVICES $(BIN)/python -m pytest -p no:cacheprovider
	@if [ -n "$$DATABASE_URL" ] || [ -n "$$CELERY_BROKER_URL" ]; then \
		echo "== again on $${DATABASE_URL%%:*} and $${CELERY_BROKER_URL%%:*} =="; \
		$(BIN)/python -m pytest -p no:cacheprovider; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Fault injection (README "Reliability"): web, Redis, PostgreSQL (SQLite when none
# listens), two workers, beat and the emulator with faults; users edit and decide
# through the API while workers are killed and Redis and the web restart. Exit 0
# only with 0 mismatches and 0 lost changes. tests/test_chaos_short.py runs --short in CI.
chaos: install-dev
	$(BIN)/python -m tests.chaos

# Benchmarks (bench/RESULTS.md): pages at 100,000 versions beside Django admin, push
# throughput and latency, sync against fetch, peak memory. Needs PostgreSQL and Redis
# on loopback (as in CI); creates and drops its own database `bench` and flushes Redis
# DB 13. About 10 minutes on 2 cores; never part of `make test`.
# `make bench SCALE=1000000`: the same at 1,000,000 versions over 20,000 models (longer).
SCALE ?= 100000
bench: install
	$(BIN)/python -m bench --scale $(SCALE)
