"""Benchmark the supervisor reports over a year of data (default 1,000,000 orders, 100,000 cases). Prints a table.

Fills what is missing first: orders through seed_scale, after-sales cases through bench_aftersales' bulk insert,
then the report inputs those lack (decision times, review outcomes, agents' replies, surveys and follow-up coupons),
all marked as bench rows. Each report is timed for last week, the last 4 weeks and the whole last year.
"""

import datetime as dt
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.models import (
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    Coupon,
    EventType,
    MessageTemplate,
    Order,
    ResponseWait,
    Status,
)
from backoffice.supervisor import reports
from backoffice.supervisor.reports import Period

BENCH_SOURCE = "bench"  # bench_aftersales' cases
REPLY_MARK = "bench-reply"
BATCH = 5000
MISSED = 0.05  # customer waits nobody answered
DECIDED_KINDS = (CaseKind.REFUND, CaseKind.RETURN, CaseKind.EXCHANGE, CaseKind.REVIEW)


class Command(BaseCommand):
    help = "Time every supervisor report over a year of data; fills the database first when it holds less."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1_000_000, help="Orders the store must hold (seed_scale).")
        parser.add_argument("--cases", type=int, default=100_000, help="After-sales cases (bench_aftersales).")
        parser.add_argument("--replies-per-case", type=int, default=3)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--limit-ms", type=float, default=1000, help="Fail when a report's median is slower.")

    def handle(self, *args, orders: int, cases: int, replies_per_case: int, repeat: int, limit_ms: float, **options):
        started = time.monotonic()
        self.ensure_staff()
        have = Order.objects.count()
        if have < orders:
            call_command("seed_scale", orders=orders - have, days=365, stdout=self.stdout)
        from aftersales.management.commands.bench_aftersales import Command as BenchAftersales

        BenchAftersales(stdout=self.stdout).ensure_cases(cases)
        self.ensure_decisions()
        self.ensure_replies(replies_per_case)
        self.ensure_surveys()
        self.ensure_coupons()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("VACUUM ANALYZE")  # index-only scans need the visibility map after bulk loads
        self.stdout.write(f"data ready in {time.monotonic() - started:.0f} s")

        today = timezone.localdate()
        week = reports.last_week(today)
        periods = [
            ("last week", week),
            ("last 4 weeks", Period(week.last - dt.timedelta(days=27), week.last)),
            ("last 365 days", Period(today - dt.timedelta(days=365), today - dt.timedelta(days=1))),
        ]
        rows = []
        for name, (_label, build) in reports.REPORTS.items():
            for period_label, period in periods:
                rows.append((f"{name}: {period_label}", *self.measure(lambda b=build, p=period: b(p), repeat)))
        rows.append(("workload (now)", *self.measure(reports.workload, repeat)))

        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(self.supervisor)
        agent = get_user_model().objects.filter(groups__name="agent").order_by("pk").first()
        sample = Case.objects.filter(source=BENCH_SOURCE).order_by("-pk").values_list("number", flat=True).first()
        pages = [
            ("page: reports, last week", "/supervisor/reports/"),
            ("page: workload", "/supervisor/"),
            ("page: audit log", "/supervisor/audit/"),
            ("page: audit log, page 200", "/supervisor/audit/?page=200"),
            ("page: audit, by person", f"/supervisor/audit/?actor={agent.pk if agent else ''}"),
            (
                "page: audit, by action+dates",
                f"/supervisor/audit/?type=message.reply&date_from={week.first}&date_to={week.last}",
            ),
            ("page: audit, by case", f"/supervisor/audit/?case={sample}"),
            ("page: audit, text search", "/supervisor/audit/?q=尺码"),
            ("page: after-sales queue (sup.)", "/aftersales/queue/all/"),
        ]
        for label, url in pages:
            rows.append((label, *self.measure(lambda url=url: self.get(client, url), repeat)))
        rows.append(
            (
                "CSV: audit, last week replies",
                *self.measure(
                    lambda: self.stream(
                        client, f"/supervisor/audit.csv?type=message.reply&date_from={week.first}&date_to={week.last}"
                    ),
                    max(1, repeat // 2),
                ),
            )
        )

        counts = {
            "orders": Order.objects.count(),
            "cases": Case.objects.count(),
            "events": CaseEvent.objects.count(),
            "replies": CaseEvent.objects.filter(type=EventType.REPLY).count(),
        }
        self.stdout.write(
            f"\nSupervisor reports benchmark ({connection.vendor}): "
            + ", ".join(f"{n:,} {what}" for what, n in counts.items())
        )
        self.stdout.write(f"{'what':<40} {'median ms':>10} {'max ms':>10} {'queries':>8}")
        self.stdout.write("-" * 71)
        slow = []
        for label, median, worst, queries in rows:
            # Every report over every period, a whole year included, and the pages must answer in time; the CSV
            # export streams a week of the audit log to a file and is informative.
            counted = not label.startswith("CSV")
            flag = ("  SLOW" if counted else "  (info)") if median > limit_ms else ""
            self.stdout.write(f"{label:<40} {median:>10.1f} {worst:>10.1f} {queries:>8}{flag}")
            if median > limit_ms and counted:
                slow.append(label)
        if slow:
            raise CommandError(f"slower than {limit_ms:.0f} ms: {', '.join(slow)}")

    # --- timing ---------------------------------------------------------------------------------------------

    def measure(self, fn, repeat: int):
        timings, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                fn()
                timings.append((time.perf_counter() - started) * 1000)
            queries = len(captured.captured_queries)
        return statistics.median(timings), max(timings), queries

    def get(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")

    def stream(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        for _chunk in response.streaming_content:
            pass

    # --- data -----------------------------------------------------------------------------------------------

    def ensure_staff(self):
        if not get_user_model().objects.filter(groups__name="agent").exists():
            call_command("seed_demo", orders=200, stdout=self.stdout)
        user, created = get_user_model().objects.get_or_create(
            username="bench-supervisor", defaults={"first_name": "压测"}
        )
        if created:
            user.groups.add(Group.objects.get(name="supervisor"))
        self.supervisor = user

    def ensure_decisions(self):
        """Decision times (A7) and review outcomes (A10) on the bench cases that are resolved or closed."""
        rng = random.Random(11)  # noqa: S311 - benchmark data
        todo = Case.objects.filter(
            source=BENCH_SOURCE,
            kind__in=DECIDED_KINDS,
            status__in=(Status.RESOLVED, Status.CLOSED),
            handled_at__isnull=True,
        )
        made = 0
        batch = []
        for case in todo.only("pk", "kind", "created_at").iterator(chunk_size=BATCH):
            case.handled_at = case.created_at + dt.timedelta(hours=rng.lognormvariate(2.5, 0.9))
            case.review_revised = rng.random() < 0.4 if case.kind == CaseKind.REVIEW and rng.random() < 0.8 else None
            batch.append(case)
            if len(batch) >= BATCH:
                made += self._save_decisions(batch)
                batch = []
        made += self._save_decisions(batch)
        if made:
            self.stdout.write(f"decided {made:,} bench cases")

    def _save_decisions(self, batch) -> int:
        if batch:
            with transaction.atomic():
                Case.objects.bulk_update(batch, ["handled_at", "review_revised"], batch_size=1000)
        return len(batch)

    def ensure_replies(self, per_case: int):
        """Customer waits (R1) on the bench cases, `per_case` each: one in twenty nobody answered, the others answered
        by an agent's reply, four in five within the 3 minutes."""
        agents = list(get_user_model().objects.filter(groups__name="agent").values_list("pk", flat=True))
        if not agents:
            return
        done = set(
            CaseEvent.objects.filter(type=EventType.REPLY, body=REPLY_MARK).values_list("case_id", flat=True).distinct()
        )
        rng = random.Random(13)  # noqa: S311 - benchmark data
        now = timezone.now()
        made, batch, waits = 0, [], []
        cases = Case.objects.filter(source=BENCH_SOURCE).values_list("pk", "assignee_id", "created_at")
        for pk, assignee, created in cases.iterator(chunk_size=BATCH):
            if pk in done:
                continue
            for n in range(per_case):
                at = created + dt.timedelta(minutes=10 + 90 * n + rng.randint(0, 60))
                if at > now:
                    break
                waited = int(rng.expovariate(1 / 100))
                actor = assignee or rng.choice(agents)
                started = at - dt.timedelta(seconds=waited)
                due = started + dt.timedelta(minutes=3)
                if rng.random() < MISSED:
                    # Nobody answered: the case was resolved in silence (a miss, counted for its assignee).
                    waits.append(
                        ResponseWait(case_id=pk, started_at=started, due_at=due, window_due_at=due, ended_at=at)
                    )
                    continue
                waits.append(
                    ResponseWait(
                        case_id=pk,
                        started_at=started,
                        due_at=due,
                        window_due_at=due,
                        answered_at=at,
                        answered_by_id=actor,
                        answer="reply",
                    )
                )
                batch.append(
                    CaseEvent(
                        case_id=pk,
                        actor_id=actor,
                        type=EventType.REPLY,
                        at=at,
                        body=REPLY_MARK,
                        after={"waited_seconds": waited, "within_sla": waited <= 180},
                    )
                )
            if len(batch) >= BATCH:
                made += self._insert(CaseEvent, batch)
                self._insert(ResponseWait, waits)
                batch, waits = [], []
        made += self._insert(CaseEvent, batch)
        self._insert(ResponseWait, waits)
        if made:
            self.stdout.write(f"made {made:,} bench replies")

    def ensure_surveys(self):
        """A survey on a third of the closed bench cases, most of them answered (A12)."""
        from surveys.models import Survey

        rng = random.Random(17)  # noqa: S311 - benchmark data
        todo = Case.objects.filter(
            source=BENCH_SOURCE, status=Status.CLOSED, closed_at__isnull=False, survey__isnull=True
        )
        answers = [Survey.Answer.SATISFIED] * 7 + [Survey.Answer.NEUTRAL] * 2 + [Survey.Answer.DISSATISFIED]
        made, batch = 0, []
        now = timezone.now()
        for pk, closed in todo.values_list("pk", "closed_at").iterator(chunk_size=BATCH):
            if pk % 3:
                continue
            answered = closed + dt.timedelta(hours=rng.uniform(1, 48)) if rng.random() < 0.6 else None
            if answered and answered > now:
                answered = None
            batch.append(
                Survey(
                    case_id=pk,
                    delivery="alone",
                    created_at=closed,
                    sent_at=closed,
                    sent_via="alone",
                    expires_at=closed + dt.timedelta(days=14),
                    answer=rng.choice(answers) if answered else "",
                    answered_at=answered,
                )
            )
            if len(batch) >= BATCH:
                made += self._insert(Survey, batch)
                batch = []
        made += self._insert(Survey, batch)
        if made:
            self.stdout.write(f"made {made:,} bench surveys")

    def ensure_coupons(self):
        """A follow-up coupon on a fifth of the closed bench cases, a third of them spent (A9)."""
        campaign = Campaign.objects.order_by("pk").first()
        if campaign is None:
            template, _created = MessageTemplate.objects.get_or_create(
                key="bench-followup", defaults={"name": "压测回访", "body": "亲，送您一张优惠券~"}
            )
            campaign = Campaign.objects.create(
                key="bench-followup",
                name="压测回访券",
                trigger="aftersales_refund_closed",
                coupon_value_fen=1000,
                template=template,
            )
        if Coupon.objects.filter(reason="bench").exists():
            return
        rng = random.Random(19)  # noqa: S311 - benchmark data
        made, batch = 0, []
        todo = Case.objects.filter(source=BENCH_SOURCE, status=Status.CLOSED, closed_at__isnull=False)
        for pk, customer, closed in todo.values_list("pk", "customer_id", "closed_at").iterator(chunk_size=BATCH):
            if pk % 5 or customer is None:
                continue
            used = rng.random() < 0.33
            issued = closed + dt.timedelta(hours=30)
            batch.append(
                Coupon(
                    code=f"B{pk:011d}",
                    customer_id=customer,
                    value_fen=campaign.coupon_value_fen,
                    valid_until=issued + dt.timedelta(days=30),
                    reason="bench",
                    case_id=pk,
                    campaign=campaign,
                    state=Coupon.State.USED if used else Coupon.State.ISSUED,
                    issued_at=issued,
                    used_at=issued + dt.timedelta(days=3) if used else None,
                )
            )
            if len(batch) >= BATCH:
                made += self._insert(Coupon, batch)
                batch = []
        made += self._insert(Coupon, batch)
        if made:
            self.stdout.write(f"made {made:,} bench coupons")

    def _insert(self, model, batch) -> int:
        if batch:
            with transaction.atomic():
                model.objects.bulk_create(batch, batch_size=1000)
        return len(batch)
