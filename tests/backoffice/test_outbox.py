import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.messaging import outbox
from backoffice.models import CaseEvent, CaseKind, Customer, Desk, EventType, OutboundMessage


@pytest.fixture
def customer(db):
    return Customer.objects.create(pdd_user_id="u-1", nickname="小橘", phone="13800001111")


class Boom:
    def send(self, message):
        raise RuntimeError("gateway down")


def test_render_text_fills_known_variables_and_keeps_unknown_ones():
    assert outbox.render_text("{customer_name}您好 {oops}", {"customer_name": "张三"}) == "张三您好 {oops}"


def test_render_text_does_not_evaluate_attributes():
    assert outbox.render_text("{customer_name.__class__}", {"customer_name": "x"}) == "{customer_name.__class__}"


def test_same_idempotency_key_queues_once(customer):
    first = outbox.queue_message(customer=customer, body="a", idempotency_key="k1")
    second = outbox.queue_message(customer=customer, body="b", idempotency_key="k1")
    assert first.pk == second.pk and OutboundMessage.objects.count() == 1


def test_queued_message_is_sent_on_commit(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.queue_message(customer=customer, body="hi", idempotency_key="k1")
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT and message.attempts == 1


def test_delivering_twice_sends_once(customer):
    message = outbox.queue_message(customer=customer, body="hi", idempotency_key="k1")
    assert outbox.deliver(message.pk) == "sent"
    assert outbox.deliver(message.pk) == "skipped"


def test_failure_is_retried_later_then_marked_failed(customer, monkeypatch):
    monkeypatch.setattr(outbox, "get_backend", lambda channel="": Boom())
    message = outbox.queue_message(customer=customer, body="hi", idempotency_key="k1")
    assert outbox.deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.PENDING and message.send_after > timezone.now()
    assert message.last_error == "gateway down"
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        OutboundMessage.objects.filter(pk=message.pk).update(send_after=timezone.now())
        result = outbox.deliver(message.pk)
    assert result == "failed"
    assert OutboundMessage.objects.get(pk=message.pk).state == OutboundMessage.State.FAILED


def test_message_orphaned_by_a_dead_worker_goes_back_to_the_queue(customer):
    message = outbox.queue_message(customer=customer, body="hi", idempotency_key="k1")
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=OutboundMessage.State.SENDING, send_after=timezone.now() - dt.timedelta(minutes=11)
    )
    assert outbox.due_message_ids() == [message.pk]


@override_settings(OUTBOX_BACKEND="http", OUTBOX_GATEWAY_URL="")
def test_http_backend_without_url_fails_clearly(customer):
    message = outbox.queue_message(customer=customer, body="hi", idempotency_key="k1")
    outbox.deliver(message.pk)
    assert "OUTBOX_GATEWAY_URL" in OutboundMessage.objects.get(pk=message.pk).last_error


def test_sent_message_shows_on_the_case_timeline(customer):
    case = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=customer)
    message = outbox.send_template(key="handling_promise", case=case, idempotency_key="promise:1")
    outbox.deliver(message.pk)
    types = list(CaseEvent.objects.filter(case=case).values_list("type", flat=True))
    assert EventType.OUTBOUND_QUEUED in types and EventType.OUTBOUND_SENT in types
