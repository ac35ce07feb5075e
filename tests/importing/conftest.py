"""Fixtures for platform data in: a fixed clock, uploads under a temporary MEDIA_ROOT, a runner for whole imports,
and a fake PDD open platform."""

from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from backoffice.models import ImportJob
from backoffice.platform.importing import jobs
from backoffice.platform.pdd.client import Credentials, PddClient
from tests.factories import shanghai

from . import fake_pdd

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A Sunday noon, after every time in the fixture files.
NOW = shanghai(2026, 11, 22, 12, 0)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the source language); the Chinese catalogue is made centrally."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_pdd_environment(monkeypatch):
    for name in ("PDD_CLIENT_ID", "PDD_CLIENT_SECRET", "PDD_ACCESS_TOKEN", "PDD_API_URL"):
        monkeypatch.delenv(name, raising=False)


def fixture(name: str) -> Path:
    return FIXTURES / name


@pytest.fixture
def run_import(db):
    """Check a file and import it, as the upload page does; returns the finished job."""

    def run(path, *, kind=None, all_or_nothing=False, check_only=False, user=None) -> ImportJob:
        path = Path(path)
        job = jobs.create_job(source=path, original_name=path.name, kind=kind, all_or_nothing=all_or_nothing, user=user)
        job = jobs.run_job(job.pk)
        if check_only or job.state != ImportJob.State.CHECKED:
            return job
        job = jobs.start_import(job=job, user=user, all_or_nothing=all_or_nothing)
        return jobs.run_job(job.pk)

    return run


@pytest.fixture
def orders_imported(run_import, clock):
    job = run_import(fixture("orders_gbk.csv"))
    assert job.state == ImportJob.State.DONE, job.message
    return job


@pytest.fixture
def fake():
    server = fake_pdd.FakePdd().start()
    yield server
    server.stop()


@pytest.fixture
def credentials(fake) -> Credentials:
    return Credentials(
        client_id=fake_pdd.CLIENT_ID,
        client_secret=fake_pdd.CLIENT_SECRET,
        access_token=fake_pdd.ACCESS_TOKEN,
        api_url=fake.url,
    )


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client_factory(credentials, sleeps):
    def make(**kwargs) -> PddClient:
        options = {"timeout": 0.3, "min_interval_seconds": 0, "sleep": sleeps.append} | kwargs
        return PddClient(credentials, **options)

    return make
