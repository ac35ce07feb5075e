"""A large upload while the broker is away: the page answers, the job waits queued, and the beat sweep runs it once."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from backoffice import dispatch
from backoffice.models import ImportJob, Order
from backoffice.platform.importing import jobs
from backoffice.platform.importing import tasks as import_tasks

from .test_jobs import big_order_file

State = ImportJob.State


@pytest.fixture
def broker_down(monkeypatch):
    """Sending any import task fails the way kombu fails when Redis is stopped."""
    sent = []

    def refuse(*args, **kwargs):
        sent.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(import_tasks.run_import_job, "delay", refuse)
    monkeypatch.setattr(dispatch, "_broker_down_until", 0.0)
    return sent


@pytest.fixture
def large(monkeypatch, tmp_path):
    monkeypatch.setattr(jobs, "INLINE_MAX_BYTES", 100)
    return big_order_file(tmp_path / "big.csv", 40)


def test_a_large_upload_succeeds_while_the_broker_is_down(
    db, supervisor, large, broker_down, django_capture_on_commit_callbacks, caplog
):
    client = Client()
    client.force_login(supervisor)

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:jobs"),
            {"file": SimpleUploadedFile("big.csv", large.read_bytes(), content_type="text/csv"), "kind": ""},
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:job", args=[job.pk])
    assert job.state == State.CHECK_QUEUED
    assert len(broker_down) == 1
    assert any("stays queued for the sweep" in record.getMessage() for record in caplog.records)
    assert client.get(response["Location"]).status_code == 200


def test_the_sweep_runs_a_job_left_queued_after_a_grace_period(
    db, large, broker_down, django_capture_on_commit_callbacks
):
    job = jobs.create_job(source=large, original_name="big.csv")
    with django_capture_on_commit_callbacks(execute=True):
        jobs.dispatch(job)

    assert jobs.run_queued_jobs() == []  # its own task still has time to start it
    with time_machine.travel(timezone.now() + jobs.QUEUED_GRACE + dt.timedelta(seconds=1)):
        assert jobs.run_queued_jobs() == [job.pk]

    job.refresh_from_db()
    assert job.state == State.CHECKED and job.preview["create"] == 40


def test_an_import_started_while_the_broker_is_down_is_run_by_the_sweep(
    db, large, broker_down, django_capture_on_commit_callbacks
):
    job = jobs.create_job(source=large, original_name="big.csv")
    jobs.run_job(job.pk)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.dispatch(jobs.start_import(job=ImportJob.objects.get(pk=job.pk)))
    assert ImportJob.objects.get(pk=job.pk).state == State.IMPORT_QUEUED

    with time_machine.travel(timezone.now() + jobs.QUEUED_GRACE + dt.timedelta(seconds=1)):
        assert import_tasks.sweep_import_jobs.delay().get() == 1

    job.refresh_from_db()
    assert job.state == State.DONE and Order.objects.count() == 40


def test_the_sweep_never_runs_a_job_twice(db, large):
    job = jobs.create_job(source=large, original_name="big.csv", check=False)
    later = timezone.now() + jobs.QUEUED_GRACE + dt.timedelta(seconds=1)

    with time_machine.travel(later):
        first = jobs.run_queued_jobs()
        second = jobs.run_queued_jobs()

    assert (first, second) == ([job.pk], [])
    assert ImportJob.objects.get(pk=job.pk).created == 40
    assert Order.objects.count() == 40


def test_the_sweep_leaves_a_job_its_task_already_claimed(db, large):
    job = jobs.create_job(source=large, original_name="big.csv", check=False)
    claimed_at = timezone.now() - dt.timedelta(minutes=5)
    ImportJob.objects.filter(pk=job.pk).update(state=State.IMPORTING, heartbeat_at=claimed_at)

    assert jobs.run_queued_jobs() == []
    assert ImportJob.objects.get(pk=job.pk).state == State.IMPORTING
    assert Order.objects.count() == 0


def test_the_sweep_and_the_task_racing_for_one_job_run_it_once(db, large, monkeypatch):
    job = jobs.create_job(source=large, original_name="big.csv", check=False)
    real_claim = jobs._claim_and_run
    runs = []

    def task_wins_first(job_id, **kwargs):
        # The job's own task claims it between the sweep's listing and the sweep's claim.
        if not runs:
            runs.append("task")
            assert real_claim(job_id) is True
        ran = real_claim(job_id, **kwargs)
        if ran:
            runs.append("sweep")
        return ran

    monkeypatch.setattr(jobs, "_claim_and_run", task_wins_first)
    with time_machine.travel(timezone.now() + jobs.QUEUED_GRACE + dt.timedelta(seconds=1)):
        assert jobs.run_queued_jobs() == []

    assert runs == ["task"]
    assert ImportJob.objects.get(pk=job.pk).created == 40
