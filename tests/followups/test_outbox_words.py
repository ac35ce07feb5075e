"""The outbox page speaks the supervisor's language: a retry says what happened, a failure says why in words, and a
message names its template by the name store admins gave it."""

import threading

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from backoffice.models import MessageTemplate, OutboundMessage
from tests.factories import OutboundMessageFactory

from .test_gateway import FlakyGateway


@pytest.fixture
def refusing_gateway(settings):
    """A gateway on 127.0.0.1 that answers 503 to everything."""
    server = FlakyGateway(fail=range(1, 100))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OUTBOX_BACKEND = "http"
    settings.OUTBOX_GATEWAY_URL = server.url
    settings.OUTBOX_GATEWAY_TIMEOUT = 2
    yield server
    server.shutdown()
    server.server_close()


def test_a_retry_the_gateway_takes_says_sent(supervisor_client, in_english):
    in_english(supervisor_client)
    failed = OutboundMessageFactory(state=OutboundMessage.State.FAILED, attempts=5, customer__nickname="小王")

    response = supervisor_client.post(reverse("followups:retry", args=[failed.pk]))

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Sent to 小王."]
    failed.refresh_from_db()
    assert failed.state == OutboundMessage.State.SENT and failed.attempts == 1


def test_a_retry_the_gateway_refuses_says_why_and_when_it_is_tried_again(
    supervisor_client, refusing_gateway, in_english
):
    in_english(supervisor_client)
    failed = OutboundMessageFactory(state=OutboundMessage.State.FAILED, attempts=5, customer__nickname="小王")

    response = supervisor_client.post(reverse("followups:retry", args=[failed.pk]))

    (said,) = list(get_messages(response.wsgi_request))
    failed.refresh_from_db()
    assert said.level_tag == "warning"
    # The reason is recorded in the store's language (Chinese), whoever pressed retry.
    assert str(said).startswith("Not sent to 小王: 网关拒绝了这条消息（HTTP 503）")
    assert "It is tried again by itself at" in str(said)
    assert (failed.state, failed.attempts) == (OutboundMessage.State.PENDING, 1)
    assert len(refusing_gateway.requests) == 1


def test_gateway_failures_are_said_in_the_stores_language(refusing_gateway, settings, db):
    from backoffice.messaging import outbox

    settings.LANGUAGE_CODE = "zh-hans"
    message = OutboundMessageFactory(state=OutboundMessage.State.PENDING)

    # A worker has no request, so no language of its own: the store's.
    was = translation.get_language()
    translation.deactivate()
    try:
        outbox.deliver(message.pk)
    finally:
        translation.activate(was)

    message.refresh_from_db()
    assert message.last_error.startswith("网关拒绝了这条消息（HTTP 503）")


def test_a_message_names_its_template_not_its_key(supervisor_client):
    template = MessageTemplate.objects.get(key="refund_approved")
    OutboundMessageFactory(state=OutboundMessage.State.FAILED, template_key="refund_approved")

    page = supervisor_client.get(reverse("followups:outbox")).text

    assert f'title="refund_approved">{template.name}</span>' in page
