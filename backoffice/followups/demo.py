"""Demo follow-ups: two weeks of A9/A10 history (sent, refused by the cap, a few failed messages) for the results page.

Runs after the after-sales demo, whose refunds arrived at their own moments and scheduled their follow-ups 1–2 days
later. Those already due are dispatched by the real dispatcher at their due time, so coupons, messages and timelines
are real and in order. Safe to run again: once coupons exist it does nothing.
"""

import datetime as dt
import random
from collections import Counter
from unittest import mock

from django.utils import timezone

from backoffice.democlock import replay_at
from backoffice.followups import coupons
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import Coupon, FollowUp, OutboundMessage
from backoffice.store.businesshours import Calendar

FAILED_MESSAGES = 3


def seed_followups(*, now: dt.datetime | None = None, rng_seed: int = 2026) -> dict[str, int]:
    if Coupon.objects.exists():
        return {}
    now = now or timezone.now()
    rng = random.Random(rng_seed)  # noqa: S311 - demo data, not secrets
    # The demo cases' follow-ups whose time has come are sent at that time (their cases' stories are replayed at
    # their own moments), so coupons follow the refunds that earned them; the rest stay scheduled.
    due = FollowUp.objects.filter(state=FollowUp.State.SCHEDULED, due_at__lte=now).order_by("due_at", "pk")
    results = Counter()
    always_open = Calendar(hours={})  # the due time already fell in the store's opening hours
    for followup_id, due_at in list(due.values_list("pk", "due_at")):
        with replay_at(due_at):
            results[followups.dispatch_followup(followup_id, calendar=always_open)] += 1
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
