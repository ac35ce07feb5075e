"""Benchmark the live case page (backoffice/desk/live.py): how soon a customer's message reaches an open page, and
what open pages cost the server while nothing happens. Prints a table.

Delivery: a page polls every POLL seconds; a message is written at a random moment and the page's next poll brings
it. Idle: N agents with a case page open each poll the case every 1.5 s and the nav counts every 2 s, and nearly
every answer is a 304; the cost per answer is measured here, in-process, and scaled to N agents.
"""

import random
import statistics
import threading
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.cases import services as casework
from backoffice.models import CaseKind, Customer, Desk

POLL = 1.5
NAV_POLL = 2.0
DELAY_GOAL = 2.0


class Command(BaseCommand):
    help = "Time the live case page: message delivery delay and the idle cost of many open pages."

    def add_arguments(self, parser):
        parser.add_argument("--agents", type=int, default=50, help="Open pages to cost (default 50).")
        parser.add_argument("--messages", type=int, default=20, help="Messages to deliver (default 20).")
        parser.add_argument("--requests", type=int, default=300, help="Idle polls to time (default 300).")

    def handle(self, *args, agents: int, messages: int, requests: int, **options):
        user = self.bench_agent()
        customer, _ = Customer.objects.get_or_create(pdd_user_id="bench-live", defaults={"nickname": "bench-live"})
        case = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=customer)
        client = Client(SERVER_NAME="127.0.0.1")  # an allowed host without DEBUG
        client.force_login(user)
        live_url = reverse("case_live", args=[case.number])
        nav_url = reverse("aftersales:nav_counts")

        delays = self.delivery(client, live_url, case, messages)
        live_ms, live_queries = self.idle_cost(client, live_url, requests, case=case)
        nav_ms, nav_queries = self.idle_cost(client, nav_url, requests)

        per_second = agents / POLL + agents / NAV_POLL
        server_ms_per_second = agents / POLL * live_ms + agents / NAV_POLL * nav_ms
        queries_per_agent_minute = 60 / POLL * live_queries + 60 / NAV_POLL * nav_queries
        p95 = statistics.quantiles(delays, n=20)[-1] if len(delays) > 1 else delays[0]
        w = self.stdout.write
        w(f"\nLive case page ({connection.vendor}; polls every {POLL} s, nav counts every {NAV_POLL} s)")
        w(f"{'figure':<44}{'value':>12}  goal")
        w("-" * 78)
        verdict = "ok" if p95 <= DELAY_GOAL else "MISSED"
        w(f"{'message delivery delay p50 s':<44}{statistics.median(delays):>12.2f}")
        w(f"{'message delivery delay p95 s':<44}{p95:>12.2f}  ≤{DELAY_GOAL:.0f} s {verdict}")
        w(f"{'message delivery delay max s':<44}{max(delays):>12.2f}")
        w(f"{'idle poll, case page (304) ms':<44}{live_ms:>12.2f}")
        w(f"{'idle poll, case page queries':<44}{live_queries:>12.1f}")
        w(f"{'idle poll, nav counts (304) ms':<44}{nav_ms:>12.2f}")
        w(f"{'idle poll, nav counts queries':<44}{nav_queries:>12.1f}")
        w(f"{f'{agents} idle agents: requests/s':<44}{per_second:>12.1f}")
        w(f"{f'{agents} idle agents: server ms per second':<44}{server_ms_per_second:>12.1f}")
        w(f"{'queries per agent per minute':<44}{queries_per_agent_minute:>12.1f}")

    def bench_agent(self):
        user, _ = get_user_model().objects.get_or_create(username="bench-live-agent")
        user.groups.add(Group.objects.get(name="agent"))
        return user

    def delivery(self, client, url: str, case, messages: int) -> list[float]:
        """A poller on its own thread and connection; messages written at random moments; seconds until it saw each."""
        seen: dict[int, float] = {}
        stop = threading.Event()

        def poll() -> None:
            after, etag = 0, None
            try:
                while not stop.is_set():
                    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
                    response = client.get(url, {"after": after}, **headers)
                    if response.status_code == 200:
                        etag = response["ETag"]
                        data = response.json()
                        after = data["last"]
                        if data["customer_wrote"]:
                            seen[after] = time.monotonic()
                    stop.wait(POLL)
            finally:
                connections.close_all()

        poller = threading.Thread(target=poll)
        poller.start()
        delays = []
        try:
            for number in range(messages):
                time.sleep(random.uniform(0.2, POLL))  # noqa: S311 - a benchmark's jitter
                written = time.monotonic()
                event = casework.record_customer_message(case=case, body=f"bench message {number}")
                deadline = written + 10
                while time.monotonic() < deadline and not any(key >= event.pk for key in seen):
                    time.sleep(0.01)
                arrived = min((at for key, at in seen.items() if key >= event.pk), default=deadline)
                delays.append(arrived - written)
                seen.clear()
        finally:
            stop.set()
            poller.join()
        return delays

    def idle_cost(self, client, url: str, requests: int, case=None) -> tuple[float, float]:
        """Mean milliseconds and queries of a poll that finds nothing new (304)."""
        params = {}
        if case is not None:
            params = {"after": client.get(url).json()["last"]}
        etag = client.get(url, params)["ETag"]
        timings, queries = [], []
        for _ in range(requests):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params, HTTP_IF_NONE_MATCH=etag)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 304:
                raise CommandError(f"{url}: an idle poll answered {response.status_code}, not 304")
            queries.append(len(captured.captured_queries))
        return statistics.median(timings), statistics.mean(queries)
