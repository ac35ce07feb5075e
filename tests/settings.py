"""Settings for the test suite: the production settings, with a key and a survey address that exist only here.

Production refuses to start without SECRET_KEY and PUBLIC_BASE_URL (backoffice/settings.py); the suite runs without
DEBUG like CI, so it brings its own. They go into the environment so that subprocesses started by tests get them too.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-key-never-used-outside-the-test-suite-9f2c1e7a4b8d")
os.environ.setdefault("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

from backoffice.settings import *  # noqa: E402,F403

# The live server of the browser tests speaks plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# `make mutate` runs the tests once per mutant: MUTATE_TEST_DB puts the SQLite test database in that file, kept between
# runs (tests/conftest.py), so its schema is built once rather than once per mutant.
if os.environ.get("MUTATE_TEST_DB") and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.environ["MUTATE_TEST_DB"]}  # noqa: F405
