"""Benchmark the live pages: the open case page (backoffice/desk/live.py) and the open queue page (its rows and my
unread cases, backoffice/desk/views.py queue_live): how soon a customer's message reaches them, and what open pages
cost the server while nothing happens. Prints a table.

Delivery: a page polls every POLL seconds; a message is written at a random moment and the page's next poll brings
it (to the case page's timeline; to the queue as its case's row turning unread). Idle: N agents with a case page or
a queue page (a full page of their own cases) open each poll it every 1.5 s and the nav counts as often, and nearly
every answer is a 304; the cost per answer is measured here, in-process, and scaled to N agents.
"""

import random
import statistics
import threading
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.cases import services as casework
from backoffice.desk.views import PER_PAGE
from backoffice.models import OPEN_STATUSES, Case, CaseKind, Customer, Desk

POLL = 1.5
NAV_POLL = 1.5  # templates/base.html: hx-trigger every 1500ms
DELAY_GOAL = 2.0


def _poll_once(client, url: str, params: dict, headers: dict):
    """One poll; a database busy with the bench's own writes (SQLite locks whole tables) is a missed poll, as a
    failed request is for the page, not the end of the poller."""
    try:
        return client.get(url, params, **headers)
    except OperationalError:
        return None


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
        casework.claim_case(case=case, agent=user)
        self.fill_queue(user, customer)
        client = Client(SERVER_NAME="127.0.0.1")  # an allowed host without DEBUG
        client.force_login(user)
        live_url = reverse("case_live", args=[case.number])
        nav_url = reverse("aftersales:nav_counts")
        queue_url = reverse("aftersales:queue_live", args=["mine"])

        delays = self.delivery(client, live_url, case, messages)
        queue_delays = self.queue_delivery(client, queue_url, case, messages)
        live_ms, live_queries = self.idle_cost(client, live_url, requests, case=case)
        queue_ms, queue_queries = self.idle_cost(client, queue_url, requests, queue=True)
        nav_ms, nav_queries = self.idle_cost(client, nav_url, requests)

        per_second = agents / POLL + agents / NAV_POLL
        server_ms_per_second = agents / POLL * live_ms + agents / NAV_POLL * nav_ms
        queries_per_agent_minute = 60 / POLL * live_queries + 60 / NAV_POLL * nav_queries
        queue_server_ms = agents / POLL * queue_ms + agents / NAV_POLL * nav_ms
        queue_queries_per_minute = 60 / POLL * queue_queries + 60 / NAV_POLL * nav_queries
        w = self.stdout.write
        w(f"\nLive pages ({connection.vendor}; polls every {POLL} s, nav counts every {NAV_POLL} s)")
        w(f"{'figure':<48}{'value':>12}  goal")
        w("-" * 82)
        self.delays(w, "message delivery delay", delays)
        self.delays(w, "message to the queue row", queue_delays)
        w(f"{'idle poll, case page (304) ms':<48}{live_ms:>12.2f}")
        w(f"{'idle poll, case page queries':<48}{live_queries:>12.1f}")
        w(f"{'idle poll, queue page (304) ms':<48}{queue_ms:>12.2f}")
        w(f"{'idle poll, queue page queries':<48}{queue_queries:>12.1f}")
        w(f"{'idle poll, nav counts (304) ms':<48}{nav_ms:>12.2f}")
        w(f"{'idle poll, nav counts queries':<48}{nav_queries:>12.1f}")
        w(f"{f'{agents} idle agents: requests/s':<48}{per_second:>12.1f}")
        w(f"{f'{agents} idle agents: server ms per second':<48}{server_ms_per_second:>12.1f}")
        w(f"{'queries per agent per minute':<48}{queries_per_agent_minute:>12.1f}")
        w(f"{f'{agents} idle agents, queue open: requests/s':<48}{per_second:>12.1f}")
        w(f"{f'{agents} idle agents, queue open: server ms per s':<48}{queue_server_ms:>12.1f}")
        w(f"{'queries per agent per minute, queue open':<48}{queue_queries_per_minute:>12.1f}")

    def delays(self, w, label: str, delays: list[float]) -> None:
        p95 = statistics.quantiles(delays, n=20)[-1] if len(delays) > 1 else delays[0]
        verdict = "ok" if p95 <= DELAY_GOAL else "MISSED"
        w(f"{f'{label} p50 s':<48}{statistics.median(delays):>12.2f}")
        w(f"{f'{label} p95 s':<48}{p95:>12.2f}  ≤{DELAY_GOAL:.0f} s {verdict}")
        w(f"{f'{label} max s':<48}{max(delays):>12.2f}")

    def fill_queue(self, user, customer) -> None:
        """A full first page of the agent's own open cases, as a busy agent's queue has."""
        mine = Case.objects.filter(desk=Desk.AFTERSALES, assignee=user, status__in=OPEN_STATUSES).count()
        for _ in range(PER_PAGE - mine):
            other = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=customer)
            casework.claim_case(case=other, agent=user)

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
                    response = _poll_once(client, url, {"after": after}, headers)
                    if response is not None and response.status_code == 200:
                        etag = response["ETag"]
                        data = response.json()
                        after = data["last"]
                        if data["customer_wrote"]:
                            seen[after] = time.monotonic()
                    stop.wait(POLL)
            finally:
                connections.close_all()

        return self.deliver(poll, stop, case, messages, seen, prefix="bench message")

    def queue_delivery(self, client, url: str, case, messages: int) -> list[float]:
        """The agent's queue open, polled on its own thread: seconds until each message made its case's row unread."""
        seen: dict[int, float] = {}
        stop = threading.Event()

        def poll() -> None:
            etag, stamp = None, ""
            try:
                while not stop.is_set():
                    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
                    response = _poll_once(client, url, {"stamp": stamp}, headers)
                    if response is not None and response.status_code == 200:
                        etag = response["ETag"]
                        data = response.json()
                        stamp = data["stamp"]
                        if (
                            data["unread"]["latest_case"] == case.number
                            and data["html"]
                            and "is-unread" in data["html"]
                        ):
                            seen[data["unread"]["latest"]] = time.monotonic()
                    stop.wait(POLL)
            finally:
                connections.close_all()

        return self.deliver(poll, stop, case, messages, seen, prefix="bench queue message")

    def deliver(self, poll, stop: threading.Event, case, messages: int, seen: dict, prefix: str) -> list[float]:
        """Messages written at random moments while `poll` runs on its own thread; seconds until it saw each."""
        poller = threading.Thread(target=poll)
        poller.start()
        delays = []
        try:
            for number in range(messages):
                time.sleep(random.uniform(0.2, POLL))  # noqa: S311 - a benchmark's jitter
                written = time.monotonic()
                event = casework.record_customer_message(case=case, body=f"{prefix} {number}")
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

    def idle_cost(self, client, url: str, requests: int, case=None, queue: bool = False) -> tuple[float, float]:
        """Mean milliseconds and queries of a poll that finds nothing new (304)."""
        params = {}
        if case is not None:
            params = {"after": client.get(url).json()["last"]}
        if queue:
            params = {"stamp": client.get(url).json()["stamp"]}
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
