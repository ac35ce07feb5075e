"""Benchmark follow-up dispatch: N due follow-ups sent by W concurrent dispatchers, then checked for doubles."""

import datetime as dt
import threading
import time
from collections import Counter
from unittest import mock

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from backoffice.cases import audit_guard
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import (
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    Coupon,
    Customer,
    Desk,
    EventType,
    FollowUp,
    MessageTemplate,
    OutboundMessage,
    Status,
)
from backoffice.store.businesshours import Calendar

BENCH_KEY = "bench-followups"
PREFIX = "bench-fu-"
BATCH = 2000


class Command(BaseCommand):
    help = (
        "Dispatch N due follow-ups (default 10,000) with W dispatchers at once; print the time; check none went twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--followups", type=int, default=10_000)
        parser.add_argument("--workers", type=int, default=2, help="concurrent dispatchers, like several beats")
        parser.add_argument("--keep", action="store_true", help="keep the bench rows afterwards")

    def handle(self, *args, followups: int, workers: int, keep: bool, **options):
        if workers > 1 and connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
            raise CommandError("use a file database for concurrent dispatchers")
        self.clean()
        campaign = self.bench_campaign()
        started = time.perf_counter()
        ids = self.make_due(campaign, followups)
        made_s = time.perf_counter() - started

        # The bench times the dispatch itself: the per-message broker enqueue is replaced by the outbox sweep below.
        with mock.patch.object(outbox, "_enqueue", lambda message_id: None):
            started = time.perf_counter()
            results = self.run_concurrently(workers, self.dispatch_all)
            dispatch_s = time.perf_counter() - started
            started = time.perf_counter()
            self.run_concurrently(workers, self.deliver_all)
            deliver_s = time.perf_counter() - started

        checks = self.verify(campaign, ids)
        if not keep:
            self.clean()
        self.stdout.write(
            f"\nFollow-up benchmark: {followups:,} due follow-ups, {workers} dispatcher(s), {connection.vendor}\n"
        )
        self.stdout.write(f"{'step':<44} {'seconds':>9} {'per second':>11}")
        self.stdout.write("-" * 66)
        for label, seconds in [
            ("make the due follow-ups (bulk insert)", made_s),
            ("dispatch: claim, coupon, queue message", dispatch_s),
            ("deliver the messages (outbox sweep)", deliver_s),
        ]:
            self.stdout.write(f"{label:<44} {seconds:>9.2f} {followups / seconds if seconds else 0:>11,.0f}")
        self.stdout.write(f"\ndispatch results: {dict(results)}")
        for label, value, ok in checks:
            self.stdout.write(f"{'OK ' if ok else 'BAD'} {label}: {value}")
        if not all(ok for _label, _value, ok in checks):
            raise CommandError("a follow-up was sent twice or not at all")

    def run_concurrently(self, workers: int, fn) -> Counter:
        totals: Counter = Counter()
        errors: list[BaseException] = []
        lock = threading.Lock()

        def run():
            try:
                result = fn()
                with lock:
                    totals.update(result)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise CommandError(f"a dispatcher failed: {errors[0]!r}")
        return totals

    def dispatch_all(self) -> Counter:
        # Open around the clock, so the bench does not depend on the hour it runs at.
        always_open = Calendar(hours={})
        totals: Counter = Counter()
        while True:
            result = followups.dispatch_due(calendar=always_open, limit=500)
            if not result:
                return totals
            totals.update(result)

    def deliver_all(self) -> Counter:
        totals: Counter = Counter()
        while ids := outbox.due_message_ids(limit=500):
            totals.update(outbox.deliver(pk) for pk in ids)
        return totals

    def verify(self, campaign: Campaign, ids: list[int]) -> list[tuple[str, object, bool]]:
        n = len(ids)
        bench = FollowUp.objects.filter(campaign=campaign)
        states = dict(bench.values_list("state").annotate(c=Count("pk")).order_by())
        coupons = Coupon.objects.filter(campaign=campaign)
        messages = OutboundMessage.objects.filter(followups__campaign=campaign)
        keys = OutboundMessage.objects.filter(idempotency_key__startswith="followup:", case__source=BENCH_KEY)
        events_per_case = (
            CaseEvent.objects.filter(type=EventType.FOLLOWUP_SENT, case__source=BENCH_KEY)
            .values("case")
            .annotate(c=Count("pk"))
            .filter(c__gt=1)
        )
        return [
            ("follow-ups sent", states, states.get(FollowUp.State.SENT, 0) == n),
            ("coupons issued", coupons.count(), coupons.count() == n),
            ("cases with more than one coupon", self.doubles(coupons, "case"), self.doubles(coupons, "case") == 0),
            ("messages queued (idempotency keys)", keys.count(), keys.count() == n == messages.count()),
            ("cases with more than one 'sent' event", events_per_case.count(), events_per_case.count() == 0),
            (
                "messages delivered, each in one attempt",
                messages.filter(state=OutboundMessage.State.SENT, attempts=1).count(),
                messages.filter(state=OutboundMessage.State.SENT, attempts=1).count() == n,
            ),
            (
                "campaign spend = coupons' value",
                Campaign.objects.get(pk=campaign.pk).spent_fen,
                Campaign.objects.get(pk=campaign.pk).spent_fen == n * campaign.coupon_value_fen,
            ),
        ]

    def doubles(self, queryset, field: str) -> int:
        return queryset.values(field).annotate(c=Count("pk")).filter(c__gt=1).count()

    def bench_campaign(self) -> Campaign:
        template = MessageTemplate.objects.filter(key="followup_refund").first()
        if template is None:
            raise CommandError("run migrate first: the follow-up message templates are missing")
        campaign, _created = Campaign.objects.update_or_create(
            key=BENCH_KEY,
            defaults={
                "name": "压测回访 (bench)",
                # A trigger no desk fires, so the bench campaign never follows up real cases.
                "trigger": "bench",
                "active": True,
                "coupon_value_fen": 1000,
                "template": template,
                "budget_fen": None,
                "cap_per_customer": 1,
                "spent_fen": 0,
            },
        )
        return campaign

    def make_due(self, campaign: Campaign, n: int) -> list[int]:
        now = timezone.now()
        run = f"{int(time.time()) % 100000:05d}"
        Customer.objects.bulk_create(
            (Customer(pdd_user_id=f"{PREFIX}{run}-{i}", nickname=f"压测买家{i}") for i in range(n)), batch_size=BATCH
        )
        customers = list(
            Customer.objects.filter(pdd_user_id__startswith=f"{PREFIX}{run}-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Case.objects.bulk_create(
            (
                Case(
                    number=f"BF{run}-{i:07d}",
                    desk=Desk.AFTERSALES,
                    kind=CaseKind.REFUND,
                    status=Status.CLOSED,
                    resolution="refunded",
                    customer_id=customer_id,
                    source=BENCH_KEY,
                    created_at=now - dt.timedelta(days=3),
                    closed_at=now - dt.timedelta(days=2),
                )
                for i, customer_id in enumerate(customers)
            ),
            batch_size=BATCH,
        )
        cases = Case.objects.filter(source=BENCH_KEY).order_by("pk").values_list("pk", "customer_id")
        due = now - dt.timedelta(minutes=1)
        FollowUp.objects.bulk_create(
            (
                FollowUp(case_id=case_id, campaign=campaign, customer_id=customer_id, due_at=due, triggered_at=due)
                for case_id, customer_id in cases
            ),
            batch_size=BATCH,
        )
        return list(FollowUp.objects.filter(campaign=campaign).values_list("pk", flat=True))

    def clean(self) -> None:
        """Remove an earlier run's rows (bench data only: its own campaign, cases and customers)."""
        cases = Case.objects.filter(source=BENCH_KEY)
        Coupon.objects.filter(case__in=cases).delete()
        FollowUp.objects.filter(case__in=cases).delete()
        OutboundMessage.objects.filter(case__in=cases).delete()
        # The bench's synthetic cases take their timeline rows with them (the audit guard refuses queryset deletes,
        # rightly, for real cases); only rows of cases with source="bench-followups" are removed.
        with audit_guard.lifted(reason="bench_followups: removing its own synthetic cases"):
            CaseEvent.objects.filter(case__in=cases)._raw_delete(CaseEvent.objects.db)
            cases.delete()
        Customer.objects.filter(pdd_user_id__startswith=PREFIX).delete()
        Campaign.objects.filter(key=BENCH_KEY).delete()
