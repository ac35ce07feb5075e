# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall only when pyproject.toml changed since the last install into this venv.
STAMP := $(VENV)/.installed-pyproject
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test lint messages install bench mutate

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo is a developer's machine (DEBUG=1: development key, no HTTPS), serving on DEMO_ADDR; its survey links
# point there too (PUBLIC_BASE_URL). `make demo DEMO_ADDR=192.168.1.20:8000` lets phones on the LAN open them.
DEMO_ADDR ?= 127.0.0.1:8000
demo: export DEBUG = 1
demo: export DEMO_ADDR := $(DEMO_ADDR)
demo: export PUBLIC_BASE_URL = http://$(DEMO_ADDR)
demo: export ALLOWED_HOSTS = 127.0.0.1,localhost,[::1],$(firstword $(subst :, ,$(DEMO_ADDR)))
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Back office: http://$(DEMO_ADDR)/  (store admins: http://$(DEMO_ADDR)/admin/)  Ctrl-C stops it."
	$(VENV)/bin/honcho start -f Procfile

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Tools for developers run as on a developer's machine (DEBUG=1): they need no production key.
messages: export DEBUG = 1
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --no-wrap --ignore=var --ignore=staticfiles --ignore=tests
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=staticfiles

# Benchmarks print tables. They fill their own database: var/bench (SQLite) or BENCH_DATABASE_URL (PostgreSQL),
# never the demo's or production's.
# Without DEBUG (Django would keep every query in memory), so with a key and an address of their own.
BENCH_ENV := VAR_DIR=$(CURDIR)/var/bench DATABASE_URL=$(BENCH_DATABASE_URL) \
	SECRET_KEY=benchmarks-only-key-for-the-throwaway-bench-database-0123456789 PUBLIC_BASE_URL=http://127.0.0.1:8000
bench: $(STAMP)
	$(BENCH_ENV) $(PY) manage.py migrate --noinput -v0
	$(BENCH_ENV) $(PY) manage.py bench_aftersales --cases 300000 --growth-from 10000
	$(BENCH_ENV) $(PY) manage.py bench_reports --orders 1000000 --cases 100000
	$(BENCH_ENV) $(PY) manage.py bench_followups --followups 10000 --workers 2
	$(BENCH_ENV) $(PY) manage.py bench_logistics --orders 1000000 --reset
	$(BENCH_ENV) $(PY) manage.py bench_import
	$(BENCH_ENV) $(PY) manage.py bench_live
	$(BENCH_ENV) $(PY) manage.py bench_demo

# Mutation testing of the modules that hold the store's rules and the claims ([tool.mutmut] in pyproject.toml):
# slow, so not in CI; run it before resolving an issue that touches them. Prints the mutants no test killed.
# `make mutate MUTANTS='backoffice.store.businesshours.*'` tries only some; mutants/ keeps results between runs.
# One mutant at a time, against a test database kept in a file (MUTATE_TEST_DB, see tests/conftest.py): building the
# schema for every mutant cost more than its tests, and parallel runs would share that file. Delete mutants/ when
# results look stale (a changed test selection in pyproject.toml, say).
mutate: export MUTATE_TEST_DB = $(CURDIR)/mutants/test-db.sqlite3
mutate: $(STAMP)
	mkdir -p mutants
	$(VENV)/bin/mutmut run --max-children 1 $(MUTANTS)
	$(VENV)/bin/mutmut results
