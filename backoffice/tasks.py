import datetime as dt
import logging
import os
import time
from collections import Counter

from celery import shared_task

from backoffice.messaging import outbox

logger = logging.getLogger(__name__)

# Of the follow-up sweep's 60 s tick, the part its chunks may use; the next tick starts afresh.
FOLLOWUP_SWEEP_SECONDS = 45.0
# How long a group of deliveries queued by the outbox sweep may wait in the broker (the next sweep, 30 s later,
# queues whatever is still pending again).
DELIVERY_GROUP_EXPIRES = 25.0


@shared_task(acks_late=True)
def deliver_message(message_id: int) -> str:
    return outbox.deliver(message_id)


@shared_task(acks_late=True)
def deliver_messages(message_ids: list[int]) -> dict:
    """Send a group of messages (outbox.deliver_many): a repeat of the group sends nothing twice."""
    return dict(outbox.deliver_many(message_ids))


@shared_task
def sweep_outbox() -> int:
    """Beat: send what is due (and what a broker outage kept from being sent), in groups of tasks that every worker
    slot may take, behind any other task already waiting; a group the broker refuses is sent here."""
    ids = outbox.due_message_ids()
    broker_up = True
    for start in range(0, len(ids), outbox.DELIVERY_GROUP):
        group = ids[start : start + outbox.DELIVERY_GROUP]
        if broker_up:
            try:
                deliver_messages.apply_async((group,), expires=DELIVERY_GROUP_EXPIRES)
                continue
            except Exception:  # noqa: BLE001 - whatever the broker said, this sweep sends the rest itself
                logger.warning("broker unavailable; the outbox sweep sends the due messages itself")
                broker_up = False
        outbox.deliver_many(group)
    return len(ids)


@shared_task(acks_late=True)
def dispatch_followup_task(followup_id: int) -> str:
    """Send one due follow-up now (queued on commit when it is due at once); the sweep covers any it misses."""
    from backoffice.followups import services as followups

    return followups.dispatch_followup(followup_id)


@shared_task
def sweep_followups() -> dict:
    """Beat: dispatch the follow-ups whose time has come (A9, A10, L3), exactly once each.

    The sweep sends one chunk itself; when more are due (a sale day, an outage), it starts one chain of chunk tasks
    per worker slot. Each chain sends a chunk per task and queues the next one as a new message, behind whatever
    other task is waiting, until nothing is due or the tick's time is up (the next tick carries on).
    """
    from backoffice.followups import services as followups

    results = followups.dispatch_due(limit=followups.CHUNK)
    if results.total() >= followups.CHUNK and not results["deferred"]:
        deadline = time.time() + FOLLOWUP_SWEEP_SECONDS
        for _slot in range(worker_slots()):
            _next_chunk(deadline)
    return dict(results)


@shared_task(bind=True, acks_late=True)
def dispatch_followup_chunk(self, deadline: float) -> dict:
    """One chunk of a sweep's chain (see sweep_followups); each chunk claims its own rows, so chains never collide."""
    from backoffice.followups import services as followups

    totals: Counter = Counter()
    while True:
        results = followups.dispatch_due(limit=followups.CHUNK)
        totals.update(results)
        if results.total() < followups.CHUNK or results["deferred"] or time.time() >= deadline:
            return dict(totals)
        if not self.request.is_eager:
            _next_chunk(deadline)
            return dict(totals)
        # Run in-process (eager): carry on here rather than nest a call per chunk.


def _next_chunk(deadline: float) -> None:
    expires = dt.datetime.fromtimestamp(deadline, tz=dt.UTC)
    try:
        dispatch_followup_chunk.apply_async((deadline,), expires=expires)
    except Exception:  # noqa: BLE001 - the next beat tick carries on
        logger.warning("broker unavailable; the follow-ups still due wait for the next sweep")


def worker_slots() -> int:
    """How many tasks the workers run at once (the worker's --concurrency; Celery's default is the CPU count)."""
    from backoffice.celery import app

    return int(app.conf.worker_concurrency or os.cpu_count() or 1)


@shared_task
def expire_coupons() -> int:
    """Beat, daily: coupons past their date become expired."""
    from backoffice.followups import coupons

    return coupons.expire_coupons()


@shared_task
def auto_assign_cases() -> int:
    """Beat: when the store switched automatic assignment on, hand unassigned cases to agents on duty."""
    from backoffice.cases.services import auto_assign
    from backoffice.models import Desk, StoreSettings

    if not StoreSettings.load().auto_assign:
        return 0
    return sum(auto_assign(desk=desk) for desk in (Desk.AFTERSALES, Desk.LOGISTICS))
