"""The HTTP gateway backend against a local gateway on 127.0.0.1 that fails sometimes: retried, bounded, never lost."""

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from backoffice.messaging import outbox
from backoffice.models import Channel, OutboundMessage
from backoffice.tasks import sweep_outbox
from tests.factories import CustomerFactory


class FlakyGateway(ThreadingHTTPServer):
    """Answers 503 to the requests whose number is in `fail` (1-based), 200 to the others; remembers what it got."""

    def __init__(self, fail=(), delay: float = 0.0):
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.fail, self.delay = set(fail), delay
        self.requests: list[dict] = []
        self.accepted: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        server: FlakyGateway = self.server
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with server.lock:
            server.requests.append(payload | {"header_key": self.headers.get("Idempotency-Key")})
            number = len(server.requests)
        if server.delay:
            time.sleep(server.delay)
        if number in server.fail:
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"busy")
            return
        with server.lock:
            server.accepted.append(payload["idempotency_key"])
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    def start(**kwargs) -> FlakyGateway:
        server = FlakyGateway(**kwargs)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        settings.OUTBOX_BACKEND = "http"
        settings.OUTBOX_GATEWAY_URL = server.url
        settings.OUTBOX_GATEWAY_TIMEOUT = 2
        servers.append(server)
        return server

    servers: list[FlakyGateway] = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def sweep_until_settled(rounds: int = outbox.MAX_ATTEMPTS + 1) -> None:
    """Run the outbox sweep as beat would, moving the clock past each backoff; bounded."""
    now = timezone.now()
    for _ in range(rounds):
        now += dt.timedelta(minutes=20)
        with time_machine.travel(now, tick=False):
            sweep_outbox()


def test_a_flaky_gateway_gets_every_message_through_with_the_same_idempotency_key(db, gateway):
    server = gateway(fail={1, 2, 4})
    customer = CustomerFactory()
    keys = [f"k{i}" for i in range(3)]
    for key in keys:
        outbox.queue_message(customer=customer, body=f"您好 {key}", idempotency_key=key, channel=Channel.SMS)
    sweep_until_settled()
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {OutboundMessage.State.SENT}
    assert sorted(server.accepted) == keys
    assert len(server.requests) == 6
    assert all(r["header_key"] == r["idempotency_key"] for r in server.requests)
    assert {r["channel"] for r in server.requests} == {"sms"}
    assert OutboundMessage.objects.get(idempotency_key="k0").attempts == 3


def test_a_gateway_that_keeps_failing_stops_after_max_attempts_and_is_marked_failed(db, gateway):
    server = gateway(fail=set(range(1, 100)))
    message = outbox.queue_message(customer=CustomerFactory(), body="hi", idempotency_key="k1")
    sweep_until_settled(rounds=outbox.MAX_ATTEMPTS + 3)
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.FAILED
    assert len(server.requests) == outbox.MAX_ATTEMPTS
    assert "503" in message.last_error


def test_a_gateway_slower_than_the_timeout_counts_as_a_failure(db, gateway, settings):
    gateway(delay=1.0)
    settings.OUTBOX_GATEWAY_TIMEOUT = 0.2
    message = outbox.queue_message(customer=CustomerFactory(), body="hi", idempotency_key="k1")
    assert outbox.deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.PENDING and "timed out" in message.last_error.lower()


def test_a_supervisors_retry_sends_a_failed_message_once_the_gateway_is_back(db, gateway, supervisor):
    server = gateway(fail=set(range(1, outbox.MAX_ATTEMPTS + 1)))
    message = outbox.queue_message(customer=CustomerFactory(), body="hi", idempotency_key="k1")
    sweep_until_settled()
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.FAILED
    assert outbox.retry_failed(message=message, actor=supervisor) is True
    assert outbox.retry_failed(message=message, actor=supervisor) is False
    sweep_until_settled(rounds=1)
    assert OutboundMessage.objects.get(pk=message.pk).state == OutboundMessage.State.SENT
    assert server.accepted == ["k1"]


def test_each_channel_may_have_its_own_backend(db, gateway, settings):
    server = gateway()
    settings.OUTBOX_BACKEND = "local"
    settings.OUTBOX_CHANNEL_BACKENDS = {Channel.SMS: "http"}
    customer = CustomerFactory()
    chat = outbox.queue_message(customer=customer, body="chat", idempotency_key="chat-1", channel=Channel.CHAT)
    sms = outbox.queue_message(customer=customer, body="sms", idempotency_key="sms-1", channel=Channel.SMS)
    assert outbox.deliver(chat.pk) == "sent" and outbox.deliver(sms.pk) == "sent"
    assert server.accepted == ["sms-1"]
