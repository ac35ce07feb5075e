# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall only when pyproject.toml changed since the last install into this venv.
STAMP := $(VENV)/.installed-pyproject
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test lint messages install bench

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Back office: http://127.0.0.1:8000/  (store admins: http://127.0.0.1:8000/admin/)  Ctrl-C stops it."
	DEBUG=1 $(VENV)/bin/honcho start -f Procfile

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=var --ignore=staticfiles --ignore=tests
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=staticfiles

# Benchmarks print tables. They fill their own database: var/bench (SQLite) or BENCH_DATABASE_URL (PostgreSQL),
# never the demo's or production's.
BENCH_ENV := VAR_DIR=$(CURDIR)/var/bench DATABASE_URL=$(BENCH_DATABASE_URL)
bench: $(STAMP)
	$(BENCH_ENV) $(PY) manage.py migrate --noinput -v0
	$(BENCH_ENV) $(PY) manage.py bench_aftersales --cases 100000
	$(BENCH_ENV) $(PY) manage.py bench_reports --orders 1000000 --cases 100000
	$(BENCH_ENV) $(PY) manage.py bench_followups --followups 10000 --workers 2
	$(BENCH_ENV) $(PY) manage.py bench_logistics --orders 1000000 --reset
	$(BENCH_ENV) $(PY) manage.py bench_import
