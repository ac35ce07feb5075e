"""Benchmark the logistics detection: one full sweep over N orders (default 1,000,000), then incremental sweeps.

Run it on a scratch database (createdb … bench_logistics; DATABASE_URL=…); it makes the orders with seed_scale when
fewer exist. Prints a table.
"""

import datetime as dt
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.cases import audit_guard
from backoffice.models import Case, CaseEvent, Desk, Order, Shipment
from logistics import detection
from logistics.models import Problem, SweepCursor


class Command(BaseCommand):
    help = "Time the logistics detection sweep over many orders (a full sweep, then incremental ones)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1_000_000, help="Orders the store must hold (seed_scale).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Scratch databases only: delete earlier detected cases first, so the first sweep opens them all.",
        )

    def handle(self, *args, orders: int, reset: bool, **options):
        have = Order.objects.count()
        if have < orders:
            self.stdout.write(f"{have:,} orders; making {orders - have:,} more with seed_scale …")
            call_command("seed_scale", orders=orders - have, stdout=self.stdout)
        if reset:
            self.reset()
        elif Problem.objects.exists():
            self.stdout.write(
                self.style.WARNING("Problems from earlier sweeps exist: the first sweep finds only new ones (--reset).")
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        total_orders, total_parcels = Order.objects.count(), Shipment.objects.count()
        now = timezone.now()
        rows = [
            self.run("first sweep", now=now, full=True),
            self.run("same time again", now=now, full=None),
            self.run("5 minutes later", now=now + dt.timedelta(minutes=5), full=False),
            self.run("10 minutes later", now=now + dt.timedelta(minutes=10), full=False),
            self.run("a second after", now=now + dt.timedelta(minutes=10, seconds=1), full=False),
            self.run("hourly full sweep", now=now + dt.timedelta(minutes=10, seconds=2), full=True),
        ]
        open_cases = Case.objects.filter(desk=Desk.LOGISTICS, status__in=("new", "in_progress", "waiting")).count()
        self.stdout.write(
            f"\nLogistics detection: {total_orders:,} orders, {total_parcels:,} parcels, {connection.vendor}; "
            f"{open_cases:,} open logistics cases after the sweeps\n"
        )
        header = f"{'sweep':<20} {'mode':<12} {'seconds':>8} {'queries':>8} {'found':>7} {'opened':>7} {'cleared':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for label, result, seconds, queries in rows:
            mode = "full" if result.full else "incremental"
            found = sum(result.found.values())
            self.stdout.write(
                f"{label:<20} {mode:<12} {seconds:>8.2f} {queries:>8} {found:>7,} {result.opened:>7,} {result.cleared:>8,}"
            )
        first = rows[0][1]
        self.stdout.write(
            "\nfirst sweep by problem: " + ", ".join(f"{k} {v:,}" for k, v in sorted(first.found.items()))
        )

    def run(self, label: str, *, now, full):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = detection.sweep(now=now, full=full)
            seconds = time.perf_counter() - started
        return label, result, seconds, len(captured.captured_queries)

    def reset(self):
        name = str(connection.settings_dict.get("NAME", ""))
        if "bench" not in name:
            raise CommandError(f"--reset deletes cases; it only runs on a database whose name says bench (not {name}).")
        with transaction.atomic():
            cases = Case.objects.filter(desk=Desk.LOGISTICS, source__in=["detector", "stock"])
            # Cases people worked on stay (a notice sent, a courier contacted, a survey …: the demo's, when the bench
            # database was seeded with it); those rows are not the detector's to delete. Only the cases nothing else
            # refers to go, with their problems and timeline.
            for relation in Case._meta.related_objects:
                if relation.related_model not in (Problem, CaseEvent):
                    referred = relation.related_model._base_manager.values(relation.field.attname)
                    cases = cases.exclude(pk__in=referred)
            Problem.objects.filter(case__in=cases)._raw_delete(Problem.objects.db)
            # The timeline is append-only for the app; a scratch benchmark database may drop its own rows.
            with audit_guard.lifted(reason="bench_logistics --reset on a bench database"):
                CaseEvent.objects.filter(case__in=cases)._raw_delete(CaseEvent.objects.db)
                cases._raw_delete(Case.objects.db)
            SweepCursor.objects.all().delete()
        self.stdout.write("earlier detected cases removed")
