"""Benchmark the after-sales desk at scale: the queue pages and "take next" over N cases. Prints a table."""

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

from aftersales import services
from backoffice.models import DESK_KINDS, Case, CaseKind, Desk, Order, Reason, Status

BENCH_SOURCE = "bench"
BATCH = 5000


class Command(BaseCommand):
    help = "Time the after-sales queue pages and take-next over many cases (default 100,000)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, cases: int, repeat: int, **options):
        if not Order.objects.exists():
            call_command("seed_demo", orders=2000, stdout=self.stdout)
        made = self.ensure_cases(cases)
        if made and connection.vendor == "postgresql":
            # Autovacuum would get there in time; a benchmark right after a bulk load must not wait for it.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE backoffice_case")
        agent = self.bench_agent()
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(agent)
        rows = []
        total = Case.objects.filter(desk=Desk.AFTERSALES).count()
        sample_order = Order.objects.order_by("pk").values_list("number", flat=True).first()
        for label, url in [
            ("queue: unassigned", "/aftersales/queue/unassigned/"),
            ("queue: overdue", "/aftersales/queue/overdue/"),
            ("queue: due soon", "/aftersales/queue/due_soon/"),
            ("queue: mine", "/aftersales/queue/mine/"),
            ("queue: unassigned, page 40", "/aftersales/queue/unassigned/?page=40"),
            ("queue: filter kind+reason", "/aftersales/queue/unassigned/?kind=refund&reason=size"),
            ("queue: search order no.", f"/aftersales/queue/unassigned/?q={sample_order}"),
            ("nav counts", "/aftersales/nav-counts/"),
        ]:
            rows.append((label, *self.measure(lambda url=url: self.get(client, url), repeat)))
        rows.append(
            (
                "take next (service)",
                *self.measure(lambda: services.take_next_case(agent=agent, desk=Desk.AFTERSALES), repeat),
            )
        )
        rows.append(("take next (HTTP POST)", *self.measure(lambda: client.post("/aftersales/take-next/"), repeat)))
        self.stdout.write(
            f"\nAfter-sales benchmark: {total:,} after-sales cases ({made:,} made now), {connection.vendor}\n"
        )
        self.stdout.write(f"{'what':<30} {'median ms':>10} {'max ms':>10} {'queries':>8}")
        self.stdout.write("-" * 62)
        for label, median, worst, queries in rows:
            self.stdout.write(f"{label:<30} {median:>10.1f} {worst:>10.1f} {queries:>8}")

    def get(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")

    def measure(self, fn, repeat):
        timings, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                fn()
                timings.append((time.perf_counter() - started) * 1000)
            queries = len(captured.captured_queries)
        return statistics.median(timings), max(timings), queries

    def bench_agent(self):
        user, created = get_user_model().objects.get_or_create(username="bench-agent", defaults={"first_name": "压测"})
        if created:
            user.groups.add(Group.objects.get(name="agent"))
        return user

    def ensure_cases(self, target: int) -> int:
        """Bulk-insert cases (with no timeline) until the desk holds `target`; a realistic mix of states."""
        have = Case.objects.filter(source=BENCH_SOURCE).count()
        missing = target - have
        if missing <= 0:
            return 0
        rng = random.Random(7)  # noqa: S311 - benchmark data, not secrets
        orders = list(Order.objects.values_list("pk", "customer_id", "paid_fen")[:50_000])
        agents = list(get_user_model().objects.filter(groups__name="agent").values_list("pk", flat=True))
        kinds = DESK_KINDS[Desk.AFTERSALES]
        reasons = [r.value for r in Reason]
        statuses = (
            [Status.NEW] * 2 + [Status.IN_PROGRESS] * 2 + [Status.WAITING] + [Status.RESOLVED] * 2 + [Status.CLOSED] * 8
        )
        now = timezone.now()
        day = timezone.localdate(now)
        made = 0
        while made < missing:
            batch = []
            for i in range(min(BATCH, missing - made)):
                n = have + made + i
                order_id, customer_id, paid = orders[n % len(orders)]
                status = rng.choice(statuses)
                created_at = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 365))
                open_ = status in (Status.NEW, Status.IN_PROGRESS, Status.WAITING)
                due = created_at + dt.timedelta(hours=48) if open_ else None
                batch.append(
                    Case(
                        number=f"BX-{day:%Y%m%d}-{n:07d}",
                        desk=Desk.AFTERSALES,
                        kind=rng.choice(kinds),
                        status=status,
                        assignee_id=rng.choice(agents) if agents and status != Status.NEW else None,
                        order_id=order_id,
                        customer_id=customer_id,
                        reason=rng.choice(reasons),
                        amount_fen=min(paid, rng.randint(500, 20000)) if rng.random() < 0.6 else 0,
                        source=BENCH_SOURCE,
                        external_id=f"b{n}",
                        resolve_due=due,
                        due_at=due,
                        created_at=created_at,
                        updated_at=created_at,
                        closed_at=created_at + dt.timedelta(days=2) if status == Status.CLOSED else None,
                    )
                )
            with transaction.atomic():
                Case.objects.bulk_create(batch)
            made += len(batch)
        self.stdout.write(
            f"made {made:,} bench cases (kind mix: {', '.join(k.value for k in kinds)}; {CaseKind.REFUND.label})"
        )
        return made
