"""Benchmark follow-up dispatch: N due follow-ups sent by W dispatchers, then checked for doubles.

Two ways, each on fresh rows:
- direct: W threads call the dispatcher in a loop (no broker, no beat): the dispatch's own cost, statements per send.
- worker: a real Celery worker (--concurrency W) on its own queue, with the beat's follow-up sweep sent every 60 s as
  beat would, until nothing is due: what a store sees, ticks included. Meanwhile another periodic task (auto-assign)
  is sent every few seconds; its wait in the queue shows whether the other beat tasks still run during the drain.
`--spike 50000` adds a worker run at that size (a sale day).
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from backoffice.cases import audit_guard
from backoffice.celery import app
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import (
    BusinessHours,
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
    SweepRun,
)
from backoffice.store.businesshours import Calendar

BENCH_KEY = "bench-followups"
PREFIX = "bench-fu-"
BATCH = 2000
GOAL_SECONDS = 60.0
TICK_SECONDS = 60.0
PROBE_EVERY = 5.0
PROBE_ENTRY, PROBE_TASK = "auto-assign", "backoffice.tasks.auto_assign_cases"

WORKER = """
import sys
from backoffice.celery import app
queue, concurrency = sys.argv[1], sys.argv[2]
app.conf.task_default_queue = queue
app.conf.worker_concurrency = int(concurrency)
app.worker_main(["worker", "-l", "warning", "-Q", queue, "--concurrency", concurrency, "-n", f"{queue}@%h",
                 "--without-gossip", "--without-mingle"])
"""


class Command(BaseCommand):
    help = (
        "Dispatch N due follow-ups (default 10,000) with W dispatchers at once; print the time; check none went twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--followups", type=int, default=10_000)
        parser.add_argument("--workers", type=int, default=2, help="concurrent dispatchers / worker slots")
        parser.add_argument(
            "--mode", choices=["direct", "worker", "both", "spike"], default="both", help="spike: only it"
        )
        parser.add_argument("--spike", type=int, default=0, help="also drain this many at once through the worker")
        parser.add_argument("--max-seconds", type=float, default=900.0, help="give a worker run up this long")
        parser.add_argument("--spike-max-seconds", type=float, default=900.0, help="the same for the spike")
        parser.add_argument("--keep", action="store_true", help="keep the bench rows afterwards")

    def handle(self, *args, followups: int, workers: int, mode: str, spike: int, keep: bool, **options):
        if workers > 1 and connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
            raise CommandError("use a file database for concurrent dispatchers")
        rows: list[tuple[str, str, str, bool | None]] = []
        bad: list[str] = []
        if mode in ("direct", "both"):
            rows += self.direct(followups, workers, bad)
        if mode in ("worker", "both"):
            rows += self.worker(followups, workers, options["max_seconds"], bad, label="")
        if spike:
            rows += self.worker(spike, workers, options["spike_max_seconds"], bad, label="spike ")
        if not keep:
            self.clean()
        self.stdout.write(f"\nFollow-up dispatch, {connection.vendor}, {workers} worker(s)\n")
        self.stdout.write(f"{'figure':<58} {'measured':>14} {'goal':>12}  ")
        self.stdout.write("-" * 90)
        for label, value, goal, ok in rows:
            mark = "" if ok is None else ("ok" if ok else "MISSED")
            self.stdout.write(f"{label:<58} {value:>14} {goal:>12}  {mark}")
        if bad:
            raise CommandError("a follow-up was sent twice or not at all: " + "; ".join(bad))

    # --- direct: threads calling the dispatcher -------------------------------------------------------------------

    def direct(self, n: int, workers: int, bad: list[str]) -> list:
        self.clean()
        campaign = self.bench_campaign()
        ids = self.make_due(campaign, n)
        statements = Counter()
        # The bench times the dispatch itself: the broker enqueue is replaced by the outbox sweep below.
        with (
            mock.patch.object(outbox, "_enqueue", lambda message_id: None),
            mock.patch.object(outbox, "_enqueue_many", lambda message_ids: None, create=True),
        ):
            started = time.perf_counter()
            results = self.run_concurrently(workers, self.dispatch_all, statements)
            dispatch_s = time.perf_counter() - started
            started = time.perf_counter()
            delivery_statements = Counter()
            self.run_concurrently(workers, self.deliver_all, delivery_statements)
            deliver_s = time.perf_counter() - started
        duplicates = self.verify(campaign, ids, bad, delivered=True)
        sent = results.get("sent", 0) or 1
        return [
            (f"direct: dispatch {n:,} ({dict(results)})", f"{dispatch_s:.1f} s", "", None),
            ("direct: dispatch per 1,000", f"{dispatch_s / n * 1000:.2f} s", "", None),
            ("direct: statements per send", f"{statements['dispatch'] / sent:.2f}", "", None),
            ("direct: ms per send (wall / sent x workers)", f"{dispatch_s * 1000 * workers / sent:.2f}", "", None),
            (f"direct: deliver {n:,} messages (outbox)", f"{deliver_s:.1f} s", "", None),
            ("direct: statements per delivered message", f"{delivery_statements['dispatch'] / n:.2f}", "", None),
            ("direct: sent twice (coupons, messages, events)", str(duplicates), "0", duplicates == 0),
        ]

    def run_concurrently(self, workers: int, fn, statements: Counter) -> Counter:
        totals: Counter = Counter()
        errors: list[BaseException] = []
        lock = threading.Lock()

        def count(execute, sql, params, many, context):
            with lock:
                statements["dispatch"] += 1
            return execute(sql, params, many, context)

        def run():
            try:
                with connection.execute_wrapper(count):
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
        group = getattr(outbox, "DELIVERY_GROUP", 0)
        while ids := outbox.due_message_ids(limit=500):
            if group:
                for start in range(0, len(ids), group):
                    totals.update(outbox.deliver_many(ids[start : start + group]))
            else:
                totals.update(outbox.deliver(pk) for pk in ids)
        return totals

    # --- worker: a real Celery worker, the sweep sent every tick as beat would -------------------------------------

    def worker(self, n: int, workers: int, max_seconds: float, bad: list[str], *, label: str) -> list:
        self.clean()
        campaign = self.bench_campaign()
        ids = self.make_due(campaign, n)
        # Open around the clock (the worker reads the store's hours): the bench must not depend on the hour it runs at.
        hours = list(BusinessHours.objects.values())
        BusinessHours.objects.all().delete()
        queue = f"bench-followups-{uuid.uuid4().hex[:8]}"
        saved_queue = app.conf.task_default_queue
        app.conf.task_default_queue = queue
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", WORKER, queue, str(workers)], cwd=settings.BASE_DIR, env=os.environ.copy()
        )
        try:
            self.wait_for_worker(queue)
            run = self.drain(campaign, max_seconds)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            app.conf.task_default_queue = saved_queue
            BusinessHours.objects.bulk_create(BusinessHours(**row) for row in hours)
        drained = run["drained"]
        duplicates = self.verify(campaign, ids, bad, delivered=drained is not None)
        left = FollowUp.objects.filter(campaign=campaign, state=FollowUp.State.SCHEDULED).count()
        shown = f"{drained:.1f} s" if drained is not None else f"> {max_seconds:.0f} s ({left:,} left)"
        waits = run["probe_waits"]
        # The goal is for 10,000 due; a spike must drain (over a few ticks) while the other beat tasks still run.
        goal, met = ("< 60 s", _within(drained)) if not label else ("drains", drained is not None)
        return [
            (f"{label}worker: {n:,} due -> none due (ticks {run['ticks']})", shown, goal, met),
            (
                f"{label}worker: per 1,000",
                f"{drained / n * 1000:.2f} s"
                if drained is not None
                else f"~{max_seconds / max(n - left, 1) * 1000:.0f} s",
                "< 6 s",
                drained is not None and drained / n * 1000 < 6,
            ),
            (
                f"{label}worker: all messages delivered",
                f"{run['delivered']:.1f} s" if run["delivered"] is not None else "not yet",
                "",
                None,
            ),
            (
                f"{label}worker: {PROBE_ENTRY} runs during the drain (max wait)",
                f"{len(waits)} ({max(waits, default=0):.1f} s)",
                f"each <{PROBE_EVERY:.0f}s",
                bool(waits) and max(waits) < PROBE_EVERY,
            ),
            (f"{label}worker: sent twice (coupons, messages, events)", str(duplicates), "0", duplicates == 0),
        ]

    def wait_for_worker(self, queue: str) -> None:
        """Until the worker ran a task (a probe: works with any broker, the filesystem one included)."""
        sent = timezone.now()
        app.signature(PROBE_TASK).apply_async()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if SweepRun.objects.filter(name=PROBE_ENTRY, last_ran_at__gte=sent).exists():
                return
            time.sleep(0.2)
        raise CommandError("the bench worker did not start")

    def drain(self, campaign: Campaign, max_seconds: float) -> dict:
        """Send the sweep as beat does (every 60 s, expiring like beat's) and a probe task every few seconds."""
        from backoffice.schedule import expires_after

        sweep = app.signature("backoffice.tasks.sweep_followups")
        probe = app.signature(PROBE_TASK)
        pending = FollowUp.objects.filter(campaign=campaign, state=FollowUp.State.SCHEDULED)
        undelivered = OutboundMessage.objects.filter(case__source=BENCH_KEY).exclude(state=OutboundMessage.State.SENT)
        start = time.monotonic()
        next_tick, ticks, drained, delivered = start, 0, None, None
        probe_sent: dt.datetime | None = None
        probe_at = start
        waits: list[float] = []
        while time.monotonic() - start < max_seconds:
            now = time.monotonic()
            if drained is None and now >= next_tick:
                sweep.apply_async(expires=expires_after(TICK_SECONDS))
                ticks += 1
                next_tick += TICK_SECONDS
            if drained is None:
                if probe_sent is not None:
                    ran = SweepRun.objects.filter(name=PROBE_ENTRY, last_ran_at__gte=probe_sent).exists()
                    if ran:
                        waits.append((timezone.now() - probe_sent).total_seconds())
                        probe_sent = None
                    elif (timezone.now() - probe_sent).total_seconds() > PROBE_EVERY * 6:
                        waits.append((timezone.now() - probe_sent).total_seconds())  # still waiting: count as seen
                        probe_sent = None
                if probe_sent is None and now >= probe_at:
                    probe_sent = timezone.now()
                    probe.apply_async()
                    probe_at = now + PROBE_EVERY
                if not pending.exists():
                    drained = now - start
            if drained is not None and not undelivered.exists():
                delivered = now - start
                break
            time.sleep(0.2)
        return {"drained": drained, "delivered": delivered, "ticks": ticks, "probe_waits": waits}

    # --- checks and rows ---------------------------------------------------------------------------------------------

    def verify(self, campaign: Campaign, ids: list[int], bad: list[str], *, delivered: bool) -> int:
        """How many follow-ups went out more than once (coupons, messages or 'sent' events); notes what is wrong."""
        n = len(ids)
        states = dict(
            FollowUp.objects.filter(campaign=campaign).values_list("state").annotate(c=Count("pk")).order_by()
        )
        coupons = Coupon.objects.filter(campaign=campaign)
        messages = OutboundMessage.objects.filter(case__source=BENCH_KEY, idempotency_key__startswith="followup:")
        sent_events = CaseEvent.objects.filter(type=EventType.FOLLOWUP_SENT, case__source=BENCH_KEY)
        duplicates = self.doubles(coupons, "case") + self.doubles(messages, "case") + self.doubles(sent_events, "case")
        spent = Campaign.objects.get(pk=campaign.pk).spent_fen
        sent = states.get(FollowUp.State.SENT, 0)
        checks = [
            ("follow-ups sent once each", duplicates == 0),
            ("one coupon per sent follow-up", coupons.count() == sent),
            (
                "one message per sent follow-up",
                messages.count()
                == sent
                == FollowUp.objects.filter(campaign=campaign, state=FollowUp.State.SENT, message__isnull=False).count(),
            ),
            ("campaign spend = coupons' value", spent == sent * campaign.coupon_value_fen),
        ]
        if delivered:
            checks += [
                ("every follow-up sent", sent == n),
                (
                    "messages delivered, each in one attempt",
                    messages.filter(state=OutboundMessage.State.SENT, attempts=1).count() == n,
                ),
            ]
        bad += [f"{label} ({states}, coupons {coupons.count()}, spend {spent})" for label, ok in checks if not ok]
        return duplicates

    def doubles(self, queryset, field: str) -> int:
        return queryset.values(field).annotate(c=Count("pk")).filter(c__gt=1).order_by().count()

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
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in ("backoffice_followup", "backoffice_case", "backoffice_customer"):
                    cursor.execute(f"ANALYZE {table}")
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


def _within(seconds: float | None) -> bool:
    return seconds is not None and seconds < GOAL_SECONDS
