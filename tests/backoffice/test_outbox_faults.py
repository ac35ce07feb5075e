"""A worker killed between posting to the gateway and recording the answer: the attempt is already counted, the row
goes back to the queue after a short window, and the resend carries the same Idempotency-Key (attempt 2)."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.messaging import channels, outbox
from backoffice.models import CaseEvent, CaseKind, Desk, EventType, OutboundMessage
from backoffice.tasks import sweep_outbox
from tests.factories import CustomerFactory


class WorkerKilled(BaseException):
    """What `kill -9` looks like from inside: nothing after this line of the worker runs, no handler catches it."""


class DedupingGateway(ThreadingHTTPServer):
    """A gateway that does what the README asks: every post is received, a repeated Idempotency-Key is dropped."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), DedupingHandler)
        self.posts: list[dict] = []
        self.delivered: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class DedupingHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        server: DedupingGateway = self.server
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Idempotency-Key")
        with server.lock:
            server.posts.append(payload | {"header_key": key})
            if key not in server.delivered:
                server.delivered.append(key)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = DedupingGateway()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings.OUTBOX_BACKEND = "http"
    settings.OUTBOX_GATEWAY_URL = server.url
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def killed_after_posting(monkeypatch):
    """The next send posts to the gateway, then the worker dies before it can record the answer."""
    real_send = channels.HttpGatewayBackend.send
    kills = []

    def send_then_die(self, message):
        real_send(self, message)
        if not kills:
            kills.append(message.pk)
            raise WorkerKilled

    monkeypatch.setattr(channels.HttpGatewayBackend, "send", send_then_die)
    return kills


@pytest.fixture
def case(db):
    return casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=CustomerFactory())


def english_client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def queue(case, key="reply:1") -> OutboundMessage:
    return outbox.queue_message(customer=case.customer, case=case, body="您好，已为您处理", idempotency_key=key)


def test_the_attempt_is_counted_when_the_message_is_claimed_not_after_the_answer(case, gateway, killed_after_posting):
    message = queue(case)

    with pytest.raises(WorkerKilled):
        outbox.deliver(message.pk)

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENDING
    assert message.attempts == 1
    assert len(gateway.posts) == 1


def test_a_row_stuck_in_sending_is_released_after_a_window_tied_to_the_gateway_timeout(settings, case):
    settings.OUTBOX_SENDING_STALE_SECONDS = 3 * settings.OUTBOX_GATEWAY_TIMEOUT + 30
    message = queue(case)
    claimed_at = timezone.now()
    OutboundMessage.objects.filter(pk=message.pk).update(state=OutboundMessage.State.SENDING, send_after=claimed_at)

    with time_machine.travel(claimed_at + dt.timedelta(seconds=settings.OUTBOX_SENDING_STALE_SECONDS - 5)):
        assert outbox.release_stale_sending() == 0
    with time_machine.travel(claimed_at + dt.timedelta(seconds=settings.OUTBOX_SENDING_STALE_SECONDS + 5)):
        assert outbox.release_stale_sending() == 1

    assert OutboundMessage.objects.get(pk=message.pk).state == OutboundMessage.State.PENDING


def test_the_stale_window_is_a_minute_or_two_not_ten_minutes(settings):
    assert settings.OUTBOX_SENDING_STALE_SECONDS > 2 * settings.OUTBOX_GATEWAY_TIMEOUT
    assert outbox.stale_sending_after() <= dt.timedelta(minutes=2)


def test_a_killed_worker_leads_to_one_resend_with_the_same_key_shown_as_attempt_2(case, gateway, killed_after_posting):
    message = queue(case)
    with pytest.raises(WorkerKilled):
        outbox.deliver(message.pk)

    # The sweep right after the kill leaves the row alone: its worker might still be waiting for the gateway.
    sweep_outbox()
    assert len(gateway.posts) == 1
    with time_machine.travel(timezone.now() + outbox.stale_sending_after() + dt.timedelta(seconds=30)):
        sweep_outbox()
        sweep_outbox()

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT
    assert message.attempts == 2
    assert [post["header_key"] for post in gateway.posts] == ["reply:1", "reply:1"]
    assert [post["attempt"] for post in gateway.posts] == [1, 2]
    # What reached the customer: the gateway dropped the repeat by its key.
    assert gateway.delivered == ["reply:1"]
    sent = CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_SENT)
    assert sent.after["attempt"] == 2


def test_the_resend_shows_as_attempt_2_on_the_case_page(case, gateway, killed_after_posting, agent):
    message = queue(case)
    with pytest.raises(WorkerKilled):
        outbox.deliver(message.pk)
    with time_machine.travel(timezone.now() + outbox.stale_sending_after() + dt.timedelta(seconds=30)):
        sweep_outbox()
    page = english_client(agent).get(reverse("case_by_number", args=[case.number]), follow=True)

    assert page.status_code == 200
    assert "Message sent again (attempt 2)" in page.text


def test_a_message_sent_on_the_first_attempt_adds_no_resend_line(case, agent):
    outbox.deliver(queue(case).pk)
    page = english_client(agent).get(reverse("case_by_number", args=[case.number]), follow=True)

    assert page.status_code == 200
    assert "Message sent again" not in page.text


def test_a_slow_worker_overtaken_by_the_resend_does_not_record_over_it(case, settings):
    message = queue(case)
    answers = []

    class SlowThenOvertaken:
        def send(self, message):
            if not answers:
                answers.append("first")
                # While this worker waits, the row is released and a resend claims and sends it.
                with time_machine.travel(timezone.now() + outbox.stale_sending_after() + dt.timedelta(seconds=1)):
                    outbox.release_stale_sending()
                    assert outbox.deliver(message.pk) == "sent"

    outbox_backend = SlowThenOvertaken()
    original = outbox.get_backend
    outbox.get_backend = lambda channel="": outbox_backend
    try:
        assert outbox.deliver(message.pk) == "superseded"
    finally:
        outbox.get_backend = original

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT and message.attempts == 2
    assert CaseEvent.objects.filter(case=case, type=EventType.OUTBOUND_SENT).count() == 1


def test_every_post_carries_the_idempotency_key_header(case, gateway):
    for number in range(3):
        outbox.deliver(queue(case, key=f"promise:{number}").pk)

    assert [post["header_key"] for post in gateway.posts] == ["promise:0", "promise:1", "promise:2"]
    assert all(post["header_key"] == post["idempotency_key"] for post in gateway.posts)
