import datetime as dt

import pytest
from django.core.management import call_command

from backoffice.errors import DomainError
from backoffice.models import ImportJob, Order
from backoffice.platform.importing import jobs, orders
from backoffice.platform.importing.tasks import run_import_job

from . import make_fixtures
from .conftest import fixture

State = ImportJob.State


def big_order_file(path, rows: int):
    """`rows` good orders, numbered from 1, in the V1 export layout."""
    template = list(make_fixtures.ORDER_ROWS[0])
    body = []
    for n in range(1, rows + 1):
        row = list(template)
        row[0] = f"261120-{n:015d}"
        row[make_fixtures.ORDER_FIELDS.index("phone")] = f"139{n:08d}"
        body.append(row)
    path.write_bytes(make_fixtures.csv_bytes(make_fixtures.ORDER_HEADERS_V1, body, encoding="utf-8-sig"))
    return path


def test_the_upload_is_kept_under_media_root_and_its_kind_read_from_the_header(db, settings):
    job = jobs.create_job(source=fixture("aftersales_gbk.csv"), original_name="售后.csv")

    assert job.kind == ImportJob.Kind.AFTERSALES
    assert job.state == State.CHECK_QUEUED
    stored = settings.MEDIA_ROOT / job.file_path
    assert stored.read_bytes() == fixture("aftersales_gbk.csv").read_bytes()
    assert job.file_path.startswith("imports/") and job.file_path.endswith(".csv")


def test_a_file_uploaded_as_the_wrong_kind_says_so(run_import):
    job = run_import(fixture("aftersales_gbk.csv"), kind="orders")

    assert job.state == State.FAILED
    assert "looks like the After-sales export" in job.message


def test_a_large_file_is_checked_and_imported_by_the_worker_task(
    db, clock, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "INLINE_MAX_BYTES", 100)
    job = jobs.create_job(source=big_order_file(tmp_path / "big.csv", 50), original_name="big.csv")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        jobs.dispatch(job)
    assert len(callbacks) == 1  # queued for the worker (eager in tests), not run in the request
    job.refresh_from_db()
    assert job.state == State.CHECKED
    assert job.preview["create"] == 50

    with django_capture_on_commit_callbacks(execute=True):
        jobs.dispatch(jobs.start_import(job=job))
    job.refresh_from_db()

    assert (job.state, job.created, job.progress_permille) == (State.DONE, 50, 1000)
    assert Order.objects.count() == 50


def test_progress_is_saved_after_every_batch(db, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_ROWS", 10)
    job = jobs.create_job(source=big_order_file(tmp_path / "big.csv", 35), original_name="big.csv", check=False)
    seen = []

    jobs.run_job(job.pk, on_progress=lambda rows, fraction: seen.append(ImportJob.objects.get(pk=job.pk).rows_done))

    assert seen == [10, 20, 30, 35]


def test_a_task_delivered_twice_runs_the_import_once(db, clock):
    job = jobs.create_job(source=fixture("orders_gbk.csv"), original_name="orders.csv", check=False)

    assert run_import_job(job.pk) == State.DONE
    assert run_import_job(job.pk) == State.DONE
    job.refresh_from_db()
    assert job.created == 7


def test_an_import_whose_worker_died_resumes_after_its_last_saved_batch(db, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_ROWS", 10)
    job = jobs.create_job(source=big_order_file(tmp_path / "big.csv", 30), original_name="big.csv", check=False)
    real_apply = orders.OrderImporter.apply
    calls = {"n": 0}

    def die_on_the_second_batch(self, rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real_apply(self, rows)

    monkeypatch.setattr(orders.OrderImporter, "apply", die_on_the_second_batch)
    with pytest.raises(SystemExit):
        jobs.run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.created) == (State.IMPORTING, 10, 10)
    assert Order.objects.count() == 10

    clock.shift(dt.timedelta(seconds=jobs.STALE_AFTER_SECONDS + 1))
    assert jobs.is_stale(job)
    job = jobs.run_job(jobs.resume(job=job).pk)

    assert (job.state, job.rows_done, job.created, job.unchanged) == (State.DONE, 30, 30, 0)
    assert Order.objects.count() == 30


def test_a_running_job_cannot_be_resumed(db, clock):
    job = jobs.create_job(source=fixture("orders_gbk.csv"), original_name="orders.csv")
    ImportJob.objects.filter(pk=job.pk).update(state=State.CHECKING, heartbeat_at=job.created_at)
    job.refresh_from_db()

    with pytest.raises(DomainError):
        jobs.resume(job=job)


def test_an_import_cannot_start_twice(run_import, clock):
    job = run_import(fixture("orders_gbk.csv"), check_only=True)
    jobs.start_import(job=job)

    with pytest.raises(DomainError):
        jobs.start_import(job=job)


def test_rejected_rows_kept_on_the_job_are_capped_but_counted(db, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "ERRORS_CAP", 5)
    rows = [["2.61E+20", *make_fixtures.ORDER_ROWS[0][1:]] for _ in range(12)]
    path = tmp_path / "bad.csv"
    path.write_bytes(make_fixtures.csv_bytes(make_fixtures.ORDER_HEADERS_V1, rows, encoding="gbk"))
    job = jobs.create_job(source=path, original_name="bad.csv", check=False)

    job = jobs.run_job(job.pk)

    assert job.rejected == 12
    assert [error["line"] for error in job.errors] == [2, 3, 4, 5, 6]


def test_the_command_checks_then_imports_and_lists_rejected_rows(db, clock, capsys):
    call_command("import_pdd", str(fixture("orders_gbk.csv")))

    out = capsys.readouterr().out
    assert "to create 7" in out
    assert "7 created" in out
    assert "line 9: 2.61E+20" in out
    assert Order.objects.count() == 7


def test_the_command_dry_run_writes_nothing(db, clock, capsys):
    call_command("import_pdd", str(fixture("orders_utf8bom.csv")), "--dry-run")

    assert "to create 7" in capsys.readouterr().out
    assert Order.objects.count() == 0


def test_the_benchmark_command_runs_small(db, capsys):
    call_command("bench_import", "--rows", "300")

    out = capsys.readouterr().out
    assert "rows/s" in out
    assert "peak RSS" in out
