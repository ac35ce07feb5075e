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
