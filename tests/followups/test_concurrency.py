"""Two beats dispatching the same due follow-ups at the same moment, on PostgreSQL: each is sent exactly once."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from backoffice.followups import services as followups
from backoffice.models import BusinessHours, Coupon, FollowUp, OutboundMessage
from tests.factories import CustomerFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent writers: set DATABASE_URL (CI does)"
    ),
]


def test_concurrent_sweeps_send_each_followup_once(closed_refund):
    BusinessHours.objects.all().delete()  # open around the clock
    for _ in range(12):
        closed_refund(CustomerFactory())
    FollowUp.objects.update(due_at=timezone.now() - dt.timedelta(minutes=1))
    results: list[Counter] = []
    start = threading.Barrier(4)

    def beat():
        try:
            start.wait()
            results.append(followups.dispatch_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    total = sum(results, Counter())
    assert total["sent"] == 12
    assert Coupon.objects.count() == 12
    assert OutboundMessage.objects.filter(template_key="followup_refund").count() == 12
    assert not FollowUp.objects.exclude(state=FollowUp.State.SENT).exists()


def test_two_dispatchers_share_thousands_of_due_followups_in_chunks_each_sent_once(a9):
    from backoffice.models import Campaign, CaseEvent, EventType, Trigger
    from tests.followups.test_chunks import make_due, new_customers

    BusinessHours.objects.all().delete()
    campaign = Campaign.objects.create(
        key="chunks", name="回访", trigger=Trigger.AFTERSALES_CLOSED, coupon_value_fen=1000, template=a9.template
    )
    customers = new_customers(2_000)
    # A few customers twice: the cap (1 in 30 days) must hold even when their rows land in different chunks.
    make_due(campaign, customers + customers[:50], due=timezone.now() - dt.timedelta(minutes=1))
    results: list[Counter] = []
    start = threading.Barrier(2)

    def dispatcher():
        try:
            start.wait()
            results.append(followups.dispatch_due(limit=10_000))
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    total = sum(results, Counter())
    assert total == {"sent": 2_000, "refused": 50}
    assert all(result["sent"] for result in results)  # both took chunks: SKIP LOCKED, not waiting in turn
    assert Coupon.objects.values("followup").distinct().count() == Coupon.objects.count() == 2_000
    assert Coupon.objects.values("customer").distinct().count() == 2_000
    assert OutboundMessage.objects.filter(template_key=a9.template.key).count() == 2_000
    assert CaseEvent.objects.filter(type=EventType.FOLLOWUP_SENT).values("case").distinct().count() == 2_000
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 2_000 * 1000
