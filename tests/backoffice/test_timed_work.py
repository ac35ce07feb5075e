"""Timed work is watched: every beat entry expires before its next run, each run is noted in the database, /healthz
answers 503 when a sweep missed a few runs, and supervisors see a banner."""

import datetime as dt

import pytest
import time_machine
from celery.schedules import crontab
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice import sweeps
from backoffice import views as backoffice_views
from backoffice.celery import app as celery_app
from backoffice.models import SweepRun
from backoffice.schedule import DAY, INTERVALS, TASK_ENTRIES
from backoffice.tasks import sweep_outbox

ENTRIES = sorted(celery_app.conf.beat_schedule.items())


def every_sweep_ran(at: dt.datetime) -> None:
    for name in INTERVALS:
        sweeps.record_run(name, now=at)


def english(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


# --- beat ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "spec"), ENTRIES, ids=[entry for entry, _spec in ENTRIES])
def test_every_beat_entry_expires_before_its_next_run(entry, spec):
    expires = spec.get("options", {}).get("expires")
    schedule = spec["schedule"]
    if isinstance(schedule, crontab):
        # Once a day, or once a week, at a fixed time.
        assert len(schedule.hour) == 1 and len(schedule.minute) == 1
        assert len(schedule.day_of_month) == 31 and len(schedule.month_of_year) == 12
        interval = DAY if len(schedule.day_of_week) == 7 else 7 * DAY * len(schedule.day_of_week) ** -1
        assert len(schedule.day_of_week) in (1, 7)
    else:
        interval = float(schedule)

    assert expires is not None
    assert 0 < expires < interval
    assert INTERVALS[entry] == interval


def test_every_periodic_task_is_watched():
    assert {spec["task"] for _entry, spec in ENTRIES} == set(TASK_ENTRIES)
    # Each has a name supervisors understand in the banner.
    assert set(INTERVALS) <= set(sweeps.LABELS)


# --- noting runs -----------------------------------------------------------------------------------------------------


def test_a_finished_periodic_task_notes_when_it_ran(db):
    sweep_outbox.delay()

    row = SweepRun.objects.get(name="sweep-outbox")
    assert row.last_ran_at is not None
    assert timezone.now() - row.last_ran_at < dt.timedelta(seconds=5)


def test_the_first_run_lists_every_other_sweep_as_seen_but_not_run(db):
    sweeps.record_run("sweep-followups")

    rows = {row.name: row for row in SweepRun.objects.all()}
    assert set(rows) == set(INTERVALS)
    assert rows["sweep-followups"].last_ran_at is not None
    assert rows["sweep-outbox"].last_ran_at is None


def test_a_later_run_moves_the_time(db):
    earlier = timezone.now() - dt.timedelta(hours=1)
    sweeps.record_run("sweep-outbox", now=earlier)
    sweeps.record_run("sweep-outbox")

    assert SweepRun.objects.get(name="sweep-outbox").last_ran_at > earlier


# --- lateness --------------------------------------------------------------------------------------------------------


def test_a_sweep_is_late_after_a_few_of_its_intervals(db):
    now = timezone.now()
    every_sweep_ran(now)
    outbox_limit = sweeps.late_after(dt.timedelta(seconds=INTERVALS["sweep-outbox"]))

    assert sweeps.late_sweeps(now=now + outbox_limit - dt.timedelta(seconds=1)) == []
    for name in INTERVALS:
        if name != "sweep-outbox":
            sweeps.record_run(name, now=now + outbox_limit)
    late = sweeps.late_sweeps(now=now + outbox_limit + dt.timedelta(seconds=1))
    assert [status.name for status in late] == ["sweep-outbox"]


def test_a_sweep_that_never_ran_turns_late_after_a_few_intervals_since_it_was_first_seen(db):
    now = timezone.now()
    sweeps.record_run("sweep-outbox", now=now)
    for name in INTERVALS:
        if name != "logistics-sweep":
            sweeps.record_run(name, now=now + dt.timedelta(minutes=20))

    late = sweeps.late_sweeps(now=now + dt.timedelta(minutes=20))

    assert [status.name for status in late] == ["logistics-sweep"]
    assert late[0].last_ran_at is None


def test_a_fresh_installation_is_not_late(db, monkeypatch):
    monkeypatch.setattr(sweeps, "_tracked_since", lambda: timezone.now() - dt.timedelta(minutes=1))

    assert sweeps.late_sweeps() == []


# --- /healthz --------------------------------------------------------------------------------------------------------


def test_healthz_says_when_each_sweep_last_ran(client, db):
    now = timezone.now()
    every_sweep_ran(now)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["database"] is True and body["late"] == []
    assert set(body["sweeps"]) == set(INTERVALS)
    for name in ("sweep-followups", "sweep-outbox", "logistics-sweep", "send-due-surveys", "sweep-imports"):
        assert body["sweeps"][name]["last_ran"] == now.isoformat()
        assert body["sweeps"][name]["late"] is False


def test_healthz_answers_503_when_a_sweep_is_late(client, db):
    now = timezone.now()
    every_sweep_ran(now - dt.timedelta(hours=1))
    for name in INTERVALS:
        if name != "sweep-followups":
            sweeps.record_run(name, now=now)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["late"] == ["sweep-followups"]
    assert body["sweeps"]["sweep-followups"]["late"] is True


def test_healthz_answers_503_when_nothing_ran_long_after_installation(client, db):
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert set(response.json()["late"]) == set(INTERVALS)


def test_healthz_answers_503_when_the_database_does_not_answer(client, db, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(backoffice_views, "sweep_statuses", broken)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": False}


# --- the supervisors' banner -----------------------------------------------------------------------------------------


def test_supervisors_see_a_banner_when_timed_work_is_late(db, supervisor):
    now = timezone.now()
    every_sweep_ran(now - dt.timedelta(hours=1))
    for name in INTERVALS:
        if name != "sweep-outbox":
            sweeps.record_run(name, now=now)

    page = english(supervisor).get(reverse("supervisor:dashboard"), follow=True)

    assert page.status_code == 200
    assert "Timed work is late." in page.text
    assert "Messages to customers" in page.text


def test_no_banner_when_every_sweep_is_on_time(db, supervisor):
    every_sweep_ran(timezone.now())

    page = english(supervisor).get(reverse("supervisor:dashboard"), follow=True)

    assert page.status_code == 200
    assert "Timed work is late." not in page.text


def test_agents_get_no_banner(db, agent):
    every_sweep_ran(timezone.now() - dt.timedelta(hours=1))

    page = english(agent).get(reverse("aftersales:queue", args=["mine"]), follow=True)

    assert page.status_code == 200
    assert "Timed work is late." not in page.text


def test_the_banner_follows_the_sweeps_each_time_it_is_drawn(db, supervisor):
    now = timezone.now()
    every_sweep_ran(now - dt.timedelta(hours=1))
    for name in INTERVALS:
        if name not in ("sweep-outbox", "sweep-imports"):
            sweeps.record_run(name, now=now)
    browser = english(supervisor)
    queue = reverse("aftersales:queue", args=["all"])

    first = browser.get(queue).text
    assert "Messages to customers" in first and "Queued imports" in first
    sweeps.record_run("sweep-outbox", now=now)
    second = browser.get(queue).text
    assert "Queued imports" in second and "Messages to customers" not in second
    sweeps.record_run("sweep-imports", now=now)
    assert "Timed work is late." not in browser.get(queue).text
