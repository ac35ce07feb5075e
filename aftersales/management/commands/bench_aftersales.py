"""Benchmark the after-sales desk at scale: the queue pages and "take next" over N cases. Prints a table."""

import contextlib
import datetime as dt
import random
import statistics
import threading
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales import services
from backoffice.cases import audit_guard
from backoffice.models import (
    DESK_KINDS,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseKind,
    Desk,
    EventType,
    Order,
    Reason,
    Status,
)

BENCH_SOURCE = "bench"
BATCH = 5000


# A page's floor is the SQL of its own statements, run raw on the same connection: what is left is Python's share.
# Goals (issue figures): page ≤ 3× its floor, ≤ 10 queries for every role, search and nav counts flat with size.
PAGE_GOAL = 3.0
QUERY_GOAL = 10
GROWTH_GOAL = 1.5
# Take-next with many agents at once: no collapse against one agent alone.
TAKE_RATE_GOAL = 0.8
TAKE_P95_GOAL_MS = 300
SOLO_CLAIMS = 200


def _as_read(sql: str) -> str | None:
    """The statement to replay for a floor: a read as it is, a server-side cursor's query without the cursor."""
    head = sql.lstrip()[:8].upper()
    if head.startswith("DECLARE"):
        return sql[sql.upper().index(" FOR ") + 5 :]
    return sql if head.startswith(("SELECT", "WITH", "(SELECT")) else None


class Command(BaseCommand):
    help = "Time the after-sales queue pages (against their own SQL) and take-next over many cases (default 100,000)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=7, help="Interleaved rounds of page and floor (medians).")
        parser.add_argument(
            "--growth-from",
            type=int,
            default=10_000,
            help="Also time search and nav counts at this many cases first, for the growth ratio (0: skip).",
        )
        parser.add_argument("--agents", type=int, default=20, help="Agents taking cases at once (0: skip that part).")
        parser.add_argument("--claims", type=int, default=50, help="Take-next calls per agent when they all work.")
        parser.add_argument(
            "--take-next-only", action="store_true", help="Only the take-next part (the pages are not timed)."
        )

    def handle(self, *args, cases: int, repeat: int, growth_from: int, agents: int, claims: int, **options):
        if not Order.objects.exists():
            call_command("seed_demo", orders=2000, stdout=self.stdout)
        if options["take_next_only"]:
            if self.ensure_cases(cases):
                self.vacuum_analyze()
            self.take_next_crowd(agents=agents or 20, claims=claims)
            return
        agent, supervisor = self.bench_agent(), self.bench_supervisor()
        clients = {"agent": self.client_for(agent), "supervisor": self.client_for(supervisor)}
        growth_rows = []
        small = {}
        have = Case.objects.filter(source=BENCH_SOURCE).count()
        if growth_from and have <= growth_from < cases:
            self.ensure_cases(growth_from)
            self.vacuum_analyze()
            small_total = Case.objects.filter(desk=Desk.AFTERSALES).count()
            small_open = self.open_cases()
            small_found = self.sample_order_cases()
            for label, role, url in self.growth_pages():
                small[label] = self.compare(clients[role], url, repeat)
        # Growth adds closed history only: the same open cases over more history is what "flat" is measured on.
        made = self.ensure_cases(cases, history_only=bool(small))
        if made:
            self.vacuum_analyze()
        total = Case.objects.filter(desk=Desk.AFTERSALES).count()
        rows = []
        for label, role, url in self.pages():
            rows.append((label, role, *self.compare(clients[role], url, repeat)))
        if small:
            for label, role, url in self.growth_pages():
                big = self.compare(clients[role], url, repeat)
                growth_rows.append((label, small[label][0], big[0], big[0] / small[label][0] if small[label][0] else 0))
        take = [
            (
                "take next (service)",
                *self.measure(lambda: services.take_next_case(agent=agent, desk=Desk.AFTERSALES), repeat),
            ),
            ("take next (HTTP POST)", *self.measure(lambda: clients["agent"].post("/aftersales/take-next/"), repeat)),
        ]
        growth_open = (small_open, self.open_cases()) if small else None
        growth_found = (small_found, self.sample_order_cases()) if small else None
        self.report(total, made, rows, take, growth_rows, small_total if small else 0, growth_open, growth_found)
        if agents:
            self.take_next_crowd(agents=agents, claims=claims)

    def pages(self) -> list[tuple[str, str, str]]:
        order = self.sample_order()
        deep = max(1, min(500, Case.objects.filter(desk=Desk.AFTERSALES).count() // 25))
        return [
            ("queue: unassigned", "agent", "/aftersales/queue/unassigned/"),
            ("queue: unassigned", "supervisor", "/aftersales/queue/unassigned/"),
            ("queue: all", "supervisor", "/aftersales/queue/all/"),
            ("queue: overdue", "agent", "/aftersales/queue/overdue/"),
            ("queue: due soon", "agent", "/aftersales/queue/due_soon/"),
            ("queue: mine", "agent", "/aftersales/queue/mine/"),
            (f"queue: all, page {deep}", "supervisor", f"/aftersales/queue/all/?page={deep}"),
            ("queue: unassigned, page 40", "agent", "/aftersales/queue/unassigned/?page=40"),
            ("queue: filter kind+reason", "agent", "/aftersales/queue/unassigned/?kind=refund&reason=size"),
            ("queue: search order no.", "agent", f"/aftersales/queue/unassigned/?q={order}"),
            ("queue: search order no.", "supervisor", f"/aftersales/queue/all/?q={order}"),
            ("queue: search nickname", "supervisor", "/aftersales/queue/all/?q=" + self.sample_nickname()),
            ("nav counts", "agent", "/aftersales/nav-counts/"),
            ("nav counts", "supervisor", "/aftersales/nav-counts/"),
        ]

    def growth_pages(self) -> list[tuple[str, str, str]]:
        return [
            ("search order no.", "supervisor", f"/aftersales/queue/all/?q={self.sample_order()}"),
            ("nav counts", "agent", "/aftersales/nav-counts/"),
            # Page 1 of the largest queue reads its rows in index order: history must not slow it down.
            ("queue: all", "supervisor", "/aftersales/queue/all/"),
        ]

    def sample_order(self) -> str:
        return Order.objects.order_by("pk").values_list("number", flat=True).first()

    def sample_nickname(self) -> str:
        nickname = Case.objects.filter(customer__isnull=False).values_list("customer__nickname", flat=True).first()
        return (nickname or "x")[:2]

    def sample_order_cases(self) -> int:
        return Case.objects.filter(order__number=self.sample_order()).count()

    def open_cases(self) -> int:
        return Case.objects.filter(desk=Desk.AFTERSALES, status__in=OPEN_STATUSES).count()

    def report(self, total, made, rows, take, growth_rows, small_total, growth_open=None, growth_found=None):
        out = self.stdout.write
        out(f"\nAfter-sales benchmark: {total:,} after-sales cases ({made:,} made now), {connection.vendor}")
        out("page = the whole request; floor = its own SQL statements run raw; medians of interleaved rounds")
        out(f"{'what':<30} {'role':<11} {'page ms':>9} {'floor ms':>9} {'× floor':>8} {'queries':>8}  goal")
        out("-" * 92)
        for label, role, page, floor, queries in rows:
            ratio = page / floor if floor else 0
            ok = "ok" if ratio <= PAGE_GOAL and queries <= QUERY_GOAL else "MISSED"
            goal = f"≤{PAGE_GOAL:g}× ≤{QUERY_GOAL}q {ok}"
            out(f"{label:<30} {role:<11} {page:>9.1f} {floor:>9.1f} {ratio:>8.1f} {queries:>8}  {goal}")
        out(f"\n{'what':<30} {'median ms':>10} {'max ms':>10} {'queries':>8}")
        for label, median, worst, queries in take:
            out(f"{label:<30} {median:>10.1f} {worst:>10.1f} {queries:>8}")
        if growth_rows:
            out(f"\nGrowth {small_total:,} → {total:,} cases (page medians; goal ≤{GROWTH_GOAL:g}×)")
            out(f"open cases {growth_open[0]:,} → {growth_open[1]:,}: the cases added are closed history only")
            out(f"the order searched has {growth_found[0]:,} → {growth_found[1]:,} cases: the history is other orders'")
            for label, small, big, ratio in growth_rows:
                ok = "ok" if ratio <= GROWTH_GOAL else "MISSED"
                out(f"{label:<30} {small:>9.1f} ms → {big:>9.1f} ms  {ratio:>5.2f}×  {ok}")

    def compare(self, client, url, repeat) -> tuple[float, float, int]:
        """The page's median time, its floor's (its own statements run raw) and its query count, interleaved."""
        self.get(client, url)  # warm: connection, caches, templates
        with CaptureQueriesContext(connection) as captured:
            self.get(client, url)
        statements = [q["sql"] for q in captured.captured_queries]
        reads = [read for read in map(_as_read, statements) if read]
        pages, floors = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            self.get(client, url)
            pages.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in reads:
                    cursor.execute(sql)
                    if cursor.description is not None:
                        cursor.fetchall()
            floors.append((time.perf_counter() - started) * 1000)
        return statistics.median(pages), statistics.median(floors), len(statements)

    def vacuum_analyze(self):
        """Bulk loads leave no statistics (and, on PostgreSQL, no visibility map for index-only scans)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # VACUUM refuses to run inside a transaction (the bench's own test runs in one): ANALYZE alone then.
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                for table in ("backoffice_case", "backoffice_order", "backoffice_customer", "backoffice_shipment"):
                    cursor.execute(f"{command} {table}")  # noqa: S608 - fixed table names
            else:
                cursor.execute("ANALYZE")

    def client_for(self, user) -> Client:
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        return client

    def bench_supervisor(self):
        user, created = get_user_model().objects.get_or_create(
            username="bench-supervisor", defaults={"first_name": "主管"}
        )
        if created:
            user.groups.add(Group.objects.get(name="supervisor"))
        return user

    def get(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        if b"<table" not in response.content and b"nav" not in url.encode():
            raise CommandError(f"{url} rendered no table")

    def measure(self, fn, repeat):
        timings, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                fn()
                timings.append((time.perf_counter() - started) * 1000)
            queries = len(captured.captured_queries)
        return statistics.median(timings), max(timings), queries

    # --- take-next, many agents at once -----------------------------------------------------------------------------

    def take_next_crowd(self, *, agents: int, claims: int):
        """One agent alone, then `agents` at once (threads, each with its own connection), each taking cases in turn.

        Every case taken is put back in the queue afterwards, so runs before and after a change see the same queue.
        """
        out = self.stdout.write
        out(f"\nTake-next, {agents} agents at once ({connection.vendor}, threads with their own connections)")
        if connection.in_atomic_block:
            # Inside a test's transaction the cases are invisible to other connections: nothing to measure.
            out("skipped: the cases are in an open transaction other connections cannot see")
            return
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            out("skipped: an in-memory SQLite database locks whole tables between connections")
            return
        users = self.bench_agents(agents)
        self.put_back(users)
        waiting = self.waiting().count()
        solo_claims = min(SOLO_CLAIMS, waiting)
        out(f"{waiting:,} unassigned open cases waiting; one agent takes {solo_claims}, then each agent {claims}")
        solo = self.claim_in_threads(users[:1], solo_claims)
        crowd = self.claim_in_threads(users, claims)
        ratio = crowd["rate"] / solo["rate"] if solo["rate"] else 0
        out(f"{'take-next':<22} {'one agent':>10} {f'{agents} agents':>10}  goal")
        out("-" * 78)
        out(f"{'claims':<22} {solo['claims']:>10,} {crowd['claims']:>10,}")
        ok = "ok" if ratio >= TAKE_RATE_GOAL else "MISSED"
        out(
            f"{'claims/s':<22} {solo['rate']:>10.1f} {crowd['rate']:>10.1f}  "
            f"≥{TAKE_RATE_GOAL:.0%} of one agent: {ratio:.0%} {ok}"
        )
        out(f"{'p50 ms':<22} {solo['p50']:>10.1f} {crowd['p50']:>10.1f}")
        ok = "ok" if crowd["p95"] <= TAKE_P95_GOAL_MS else "MISSED"
        out(f"{'p95 ms':<22} {solo['p95']:>10.1f} {crowd['p95']:>10.1f}  ≤{TAKE_P95_GOAL_MS} ms {ok}")
        for label, key in (("false empties", "false_empties"), ("double claims", "doubles")):
            ok = "ok" if solo[key] == crowd[key] == 0 else "MISSED"
            out(f"{label:<22} {solo[key]:>10} {crowd[key]:>10}  0 {ok}")
        out(f"{'queries per claim':<22} {solo['queries']:>10.1f} {crowd['queries']:>10.1f}")
        out(f"{'max queries, one call':<22} {solo['max_queries']:>10} {crowd['max_queries']:>10}")

    def waiting(self):
        return Case.objects.filter(desk=Desk.AFTERSALES, status__in=OPEN_STATUSES, assignee__isnull=True)

    def claim_in_threads(self, users, claims: int) -> dict:
        """Each user's thread calls take-next `claims` times; an empty answer while cases wait is a false empty."""
        barrier = threading.Barrier(len(users) + 1, timeout=60)
        results, errors = [], []
        since = timezone.now()

        def work(user):
            counted = [0]

            def count(execute, sql, params, many, context):
                counted[0] += 1
                return execute(sql, params, many, context)

            taken, latencies, queries, false_empties = [], [], [], 0
            try:
                connection.ensure_connection()  # connecting is not part of a claim
                barrier.wait()
                for _ in range(claims):
                    counted[0] = 0
                    started = time.perf_counter()
                    with connection.execute_wrapper(count):
                        case = services.take_next_case(agent=user, desk=Desk.AFTERSALES)
                    latencies.append((time.perf_counter() - started) * 1000)
                    queries.append(counted[0])
                    if case is not None:
                        taken.append(case.pk)
                    elif self.waiting().exists():
                        false_empties += 1
                results.append(
                    {"user": user.pk, "taken": taken, "ms": latencies, "queries": queries, "false": false_empties}
                )
            except BaseException as exc:  # noqa: BLE001 - reported below, after every thread ended
                errors.append(exc)
                barrier.abort()
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        with contextlib.suppress(threading.BrokenBarrierError):  # a thread that failed broke it: reported below
            barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise CommandError(f"take-next failed in a thread: {errors[0]!r}")
        taken = [(result["user"], pk) for result in results for pk in result["taken"]]
        latencies = sorted(ms for result in results for ms in result["ms"])
        queries = [n for result in results for n in result["queries"]]
        doubles = self.double_claims(taken, since)
        self.put_back(users)
        return {
            "claims": len(taken),
            "rate": len(taken) / elapsed if elapsed else 0,
            "p50": statistics.median(latencies) if latencies else 0,
            "p95": latencies[max(0, round(len(latencies) * 0.95) - 1)] if latencies else 0,
            "false_empties": sum(result["false"] for result in results),
            "doubles": doubles,
            "queries": statistics.mean(queries) if queries else 0,
            "max_queries": max(queries, default=0),
        }

    def double_claims(self, taken: list[tuple[int, int]], since) -> int:
        """Cases handed to two agents: told twice, claimed twice on the timeline, or held by another than told."""
        pks = [pk for _user, pk in taken]
        doubled = {pk for pk in pks if pks.count(pk) > 1} if len(pks) != len(set(pks)) else set()
        events = (
            CaseEvent.objects.filter(case_id__in=pks, type=EventType.CASE_CLAIMED, at__gte=since)
            .values("case_id")
            .annotate(n=models.Count("pk"))
            .filter(n__gt=1)
        )
        doubled |= {row["case_id"] for row in events}
        holders = dict(Case.objects.filter(pk__in=pks).values_list("pk", "assignee_id"))
        doubled |= {pk for user_id, pk in taken if holders.get(pk) != user_id}
        return len(doubled)

    def put_back(self, users):
        """The cases these bench agents took go back to the queue as they were, and their claims off the timeline
        (bench data only; a run that broke off is cleaned up by the next one)."""
        events = CaseEvent.objects.filter(actor__in=users, type=EventType.CASE_CLAIMED, after__via="take_next")
        # The earliest claim of a case says what it was before any run touched it.
        before = dict(events.order_by("-at", "-pk").values_list("case_id", "before__status"))
        if not before:
            return
        with audit_guard.lifted(reason="bench_aftersales: putting its own take-next claims back"):
            for status in set(before.values()):
                ids = [pk for pk, was in before.items() if was == status]
                Case.objects.filter(pk__in=ids).update(assignee=None, status=status)
            events._raw_delete(CaseEvent.objects.db)

    def bench_agents(self, n: int) -> list:
        group = Group.objects.get(name="agent")
        users = []
        for i in range(1, n + 1):
            user, created = get_user_model().objects.get_or_create(
                username=f"bench-agent-{i:02d}", defaults={"first_name": f"压测{i}"}
            )
            if created:
                user.groups.add(group)
            users.append(user)
        return users

    def bench_agent(self):
        user, created = get_user_model().objects.get_or_create(username="bench-agent", defaults={"first_name": "压测"})
        if created:
            user.groups.add(Group.objects.get(name="agent"))
        return user

    def ensure_cases(self, target: int, *, history_only: bool = False) -> int:
        """Bulk-insert cases (with no timeline) until the desk holds `target`; a realistic mix of states, or with
        `history_only` resolved and closed ones only (the open work stays as it is)."""
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
        if history_only:
            statuses = [s for s in statuses if s not in OPEN_STATUSES]
            # On other orders than the one the growth search looks for: the same answer over more history, not a
            # page of 25 results where there were 5 (which measured the answer's size, not the history's).
            searched = Order.objects.filter(number=self.sample_order()).values_list("pk", flat=True).first()
            orders = [order for order in orders if order[0] != searched]
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
