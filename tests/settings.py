"""Settings for the test suite: the production settings, with a key and a survey address that exist only here.

Production refuses to start without SECRET_KEY and PUBLIC_BASE_URL (backoffice/settings.py); the suite runs without
DEBUG like CI, so it brings its own. They go into the environment so that subprocesses started by tests get them too.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-key-never-used-outside-the-test-suite-9f2c1e7a4b8d")
os.environ.setdefault("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# pytest-xdist runs the suite in several processes, each with a database of its own (pytest-django names them), so the
# same ids come up in each: every process also keeps its files (uploads, the local broker) under a folder of its own
# and its keys in a shared Redis under a prefix of its own.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER and "VAR_DIR" not in os.environ:
    from pathlib import Path

    os.environ["VAR_DIR"] = str(Path(__file__).resolve().parent.parent / "var" / f"tests-{XDIST_WORKER}")

from backoffice.settings import *  # noqa: E402,F403

if XDIST_WORKER:
    CACHES["default"]["KEY_PREFIX"] = XDIST_WORKER  # noqa: F405

# Every read whose SQL is kept per shape (backoffice.prepared.kept_rows) is compared with the ORM's own SQL for it.
CHECK_KEPT_SQL = True

# The live server of the browser tests speaks plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# `make mutate` runs the tests once per mutant: MUTATE_TEST_DB puts the SQLite test database in that file, kept between
# runs (tests/conftest.py), so its schema is built once rather than once per mutant.
if os.environ.get("MUTATE_TEST_DB") and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.environ["MUTATE_TEST_DB"]}  # noqa: F405
