"""A real Celery worker against Redis (not eager mode): the beat sweep and the message delivery go through the broker."""

import datetime as dt
import os
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection
from django.utils import timezone

from backoffice.celery import app
from backoffice.models import BusinessHours, Coupon, FollowUp, OutboundMessage
from backoffice.tasks import dispatch_followup_task, sweep_followups
from tests.factories import CustomerFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI does)"),
]


def _close_worker_connection(**kwargs):
    # The worker's threads open their own database connections; close them so the test database can be dropped.
    connection.close()


@pytest.fixture
def worker():
    """A worker in this process, consuming a queue of its own so no other worker on the same Redis takes our tasks."""
    queue = f"test-followups-{uuid.uuid4().hex[:8]}"
    saved = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    sqlite = connection.vendor == "sqlite"
    task_postrun.connect(_close_worker_connection, weak=False)
    running = None
    try:
        with start_worker(
            app,
            # SQLite's in-memory test database takes one writer at a time; PostgreSQL gets concurrent tasks.
            pool="solo" if sqlite else "threads",
            concurrency=1 if sqlite else 4,
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=3,
        ) as running:
            yield running
    finally:
        # The test worker stops by terminating, which leaves a thread pool running: a task it had already taken
        # would run after the test on a connection nobody closes, and the test database could not be dropped.
        executor = getattr(getattr(running, "pool", None), "executor", None)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        task_postrun.disconnect(_close_worker_connection)
        app.conf.task_default_queue = saved


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_sends_each_due_followup_once_even_when_asked_many_times(closed_refund, customer, worker):
    # The store is open around the clock for this test, so it does not depend on the hour it runs at.
    BusinessHours.objects.all().delete()
    closed_refund(customer)
    closed_refund(customer)  # the per-customer cap refuses this one
    closed_refund(CustomerFactory())
    FollowUp.objects.update(due_at=timezone.now() - dt.timedelta(minutes=1))
    ids = list(FollowUp.objects.values_list("pk", flat=True))
    # Two beats fire at once, and a duplicate of each dispatch arrives too (Redis may deliver twice).
    for _ in range(2):
        sweep_followups.delay()
        for followup_id in ids:
            dispatch_followup_task.delay(followup_id)

    def settled() -> bool:
        sent = OutboundMessage.objects.filter(template_key="followup_refund", state="sent").count()
        return sent == 2 and not FollowUp.objects.filter(state=FollowUp.State.SCHEDULED).exists()

    assert wait_for(settled), list(FollowUp.objects.values_list("state", "last_error"))
    time.sleep(0.5)  # let any duplicate still in flight finish, then count
    assert Coupon.objects.count() == 2
    states = sorted(FollowUp.objects.values_list("state", flat=True))
    assert states == [FollowUp.State.REFUSED, FollowUp.State.SENT, FollowUp.State.SENT]
    assert OutboundMessage.objects.filter(template_key="followup_refund").count() == 2
    assert sorted(
        OutboundMessage.objects.filter(template_key="followup_refund").values_list("attempts", flat=True)
    ) == [1, 1]
