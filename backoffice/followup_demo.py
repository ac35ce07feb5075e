"""Demo follow-ups: weeks of A9/A10 history (sent, refused by the cap, a few failed messages) for the results page.

Runs after the after-sales demo, whose closed refund cases scheduled their follow-ups for tomorrow. Part of those
are moved into the past weeks and dispatched by the real dispatcher, so coupons, messages and timelines are real.
Safe to run again: once coupons exist it does nothing.
"""

import datetime as dt
import random
from unittest import mock

from django.utils import timezone

from . import coupons, followups, outbox
from .businesshours import Calendar
from .models import Coupon, FollowUp, OutboundMessage

HISTORY_SHARE = 0.7
HISTORY_WEEKS = 6
FAILED_MESSAGES = 3


def seed_followups(*, now: dt.datetime | None = None, rng_seed: int = 2026) -> dict[str, int]:
    if Coupon.objects.exists():
        return {}
    now = now or timezone.now()
    rng = random.Random(rng_seed)  # noqa: S311 - demo data, not secrets
    pending = list(FollowUp.objects.filter(state=FollowUp.State.SCHEDULED).order_by("pk"))
    history = [f for f in pending if rng.random() < HISTORY_SHARE]
    tz = timezone.get_default_timezone()
    for followup in history:
        day = timezone.localdate(now) - dt.timedelta(days=rng.randint(1, 7 * HISTORY_WEEKS - 1))
        due = dt.datetime.combine(day, dt.time(rng.randint(10, 20), rng.randint(0, 59)), tz)
        FollowUp.objects.filter(pk=followup.pk).update(due_at=due, triggered_at=due - dt.timedelta(hours=30))
    # The store is "open" for this catch-up, whatever the hour the demo is seeded at.
    results = followups.dispatch_due(now=now, limit=len(history) + 1, calendar=Calendar(hours={}))
    messages = list(
        OutboundMessage.objects.filter(followups__isnull=False, state=OutboundMessage.State.PENDING).order_by("pk")
    )
    for message in messages[FAILED_MESSAGES:]:
        outbox.deliver(message.pk)
    # A few the SMS gateway refused every time, for the outbox page's retry button.
    with mock.patch.object(outbox, "get_backend", lambda channel="": _BusyGateway()):
        for _attempt in range(outbox.MAX_ATTEMPTS):
            for message in messages[:FAILED_MESSAGES]:
                OutboundMessage.objects.filter(pk=message.pk).update(send_after=timezone.now())
                outbox.deliver(message.pk)
    used = 0
    for coupon in Coupon.objects.select_related("case").order_by("pk"):
        if rng.random() < 0.3:
            coupons.mark_coupon_used(coupon=coupon, actor=None)
            used += 1
    return {"follow-ups sent": results["sent"], "refused": results["refused"], "coupons used": used}


class _BusyGateway:
    def send(self, message) -> None:
        raise RuntimeError("gateway answered 503: busy")
