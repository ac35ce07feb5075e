"""Shared fixtures: the standing staff (two agents, a supervisor, a store admin), their clients, the store."""

import os
import sqlite3
from contextlib import closing

import pytest
from django.test import Client

from backoffice.celery import app as celery_app
from backoffice.models import StoreSettings
from tests.factories import AgentFactory, StoreAdminFactory, SupervisorFactory


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_eagerly():
    """Tasks run in the test's own process and raise their errors, unless a test asks for a real worker."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager = True
    conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _celery_worker_marker(request):
    """Tests marked `worker` send tasks through the real broker to a worker they start."""
    if request.node.get_closest_marker("worker") is None:
        yield
        return
    conf = celery_app.conf
    conf.task_always_eager = False
    yield
    conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher takes a second per user on purpose; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_cache_from_other_tests():
    """Ids repeat from test to test on SQLite, so what one test left in the in-process cache (a person's R1 header
    for the day …) must not show in the next; a shared Redis is left alone (its ids do not repeat in a run)."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def agent(db):
    return AgentFactory(username="agent", last_name="王", first_name="小丽")


@pytest.fixture
def agent2(db):
    return AgentFactory(username="agent2", last_name="李", first_name="娜")


@pytest.fixture
def supervisor(db):
    return SupervisorFactory(username="supervisor", last_name="张", first_name="敏")


@pytest.fixture
def store_admin(db):
    return StoreAdminFactory(username="storeadmin", last_name="刘", first_name="建国")


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def supervisor_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


@pytest.fixture
def admin_client_store(store_admin):
    """The store admin's client (pytest-django's own admin_client is a superuser's)."""
    client = Client()
    client.force_login(store_admin)
    return client


@pytest.fixture
def in_english(settings):
    """english(client): the client sees the English UI (the desk is Chinese unless a person picks English)."""

    def english(client):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return english


@pytest.fixture
def own_cache(settings):
    """The survey rate limit counts in the cache: the test gets an empty in-memory one (never a shared Redis)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def store(db) -> StoreSettings:
    return StoreSettings.load()


# Tests that need a real service. Outside CI they skip with a reason; in CI (which provides every service) such a skip
# is a failure, so a green run cannot hide a test that never ran.
SERVICE_MARKERS = ("postgres", "redis", "worker", "browser")
SERVICE_WORDS = ("postgresql", "database_url", "redis", "chromium", "playwright", "celery worker")


def _needs_a_service(item, reason: str) -> bool:
    if any(item.get_closest_marker(name) for name in SERVICE_MARKERS):
        return True
    return any(word in reason.lower() for word in SERVICE_WORDS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("CI") or not report.skipped:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if _needs_a_service(item, reason):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every service is provided: {reason}"


# `make mutate` (MUTATE_TEST_DB, tests/settings.py): the test database is a file kept between runs. Each run starts from
# a copy taken just after the migrations: a transactional or migration test of an earlier run may have emptied the
# tables (and with them the migrations' default templates and campaigns) or left the schema elsewhere.
MUTATE_TEST_DB = os.environ.get("MUTATE_TEST_DB", "")
MIGRATED_COPY = MUTATE_TEST_DB + ".migrated"


def _sqlite_copy(source: str, target: str) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        # The database is in WAL mode: without this its log would grow by the whole database on every run.
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def pytest_sessionstart(session):
    if not MUTATE_TEST_DB:
        return
    session.config.option.reuse_db = True
    if os.path.exists(MIGRATED_COPY):
        _sqlite_copy(MIGRATED_COPY, MUTATE_TEST_DB)
    else:  # a database of unknown state without its copy: built again
        for path in (MUTATE_TEST_DB, MUTATE_TEST_DB + "-wal", MUTATE_TEST_DB + "-shm"):
            if os.path.exists(path):
                os.remove(path)


def pytest_sessionfinish(session):
    if MUTATE_TEST_DB:
        # mutmut runs the tests in its own process before forking one per mutant: an open connection there would
        # keep the log from being emptied.
        from django.db import connections

        connections.close_all()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    if MUTATE_TEST_DB and not os.path.exists(MIGRATED_COPY):
        _sqlite_copy(MUTATE_TEST_DB, MIGRATED_COPY)
    yield
    _end_other_sessions(django_db_blocker)


def _end_other_sessions(django_db_blocker):
    """Before the test database is dropped, end every other session still connected to it (PostgreSQL).

    One xdist worker's database kept a session open to the end (idle after the last test's ROLLBACK, not the
    connection pytest-django closes), and DROP DATABASE then failed with a warning and left the database behind.
    """
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connections.close_all()
