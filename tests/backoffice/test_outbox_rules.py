"""The outbox's rules at their boundaries: exact row state, attempts, times, errors and timeline lines."""

import datetime as dt
import logging

import pytest
import time_machine
from django.test import override_settings

from backoffice.cases import services as casework
from backoffice.messaging import outbox
from backoffice.messaging.channels import LocalBackend
from backoffice.messaging.library import RETURN_SHIPPING_TEXTS
from backoffice.models import (
    CaseEvent,
    CaseKind,
    Channel,
    Customer,
    Desk,
    EventType,
    MessageTemplate,
    OutboundMessage,
    StoreSettings,
)
from backoffice.store.money import format_fen
from tests.factories import CaseFactory, CustomerFactory, make_order

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
State = OutboundMessage.State


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def customer(db):
    return Customer.objects.create(pdd_user_id="u-1", nickname="小橘", phone="13800001111")


@pytest.fixture
def case(customer):
    return casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=customer)


class Boom:
    def send(self, message):
        raise RuntimeError("gateway down")


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append((message.pk, message.attempts, message.state))


def queue(customer, key="k1", **kwargs):
    return outbox.queue_message(customer=customer, body="hi", idempotency_key=key, **kwargs)


def row(message):
    return OutboundMessage.objects.get(pk=message.pk)


def events(case, type_):
    return list(CaseEvent.objects.filter(case=case, type=type_).order_by("pk"))


def test_deliver_sends_a_message_due_exactly_now_and_records_it(clock, case, monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(outbox, "get_backend", lambda channel="": recorder)
    message = queue(case.customer, case=case, send_after=NOW)
    OutboundMessage.objects.filter(pk=message.pk).update(last_error="old")
    assert outbox.deliver(message.pk) == "sent"
    stored = row(message)
    assert (stored.state, stored.attempts, stored.sent_at, stored.send_after, stored.last_error) == (
        State.SENT,
        1,
        NOW,
        NOW,
        "",
    )
    # The gateway saw the row as claimed: attempt 1, sending.
    assert recorder.sent == [(message.pk, 1, State.SENDING)]
    (event,) = events(case, EventType.OUTBOUND_SENT)
    assert (event.at, event.target, event.after) == (NOW, f"outbound:{message.pk}", {"channel": "chat", "attempt": 1})


def test_deliver_skips_a_message_not_yet_due(clock, customer):
    message = queue(customer, send_after=NOW + dt.timedelta(microseconds=1))
    assert outbox.deliver(message.pk) == "skipped"
    stored = row(message)
    assert (stored.state, stored.attempts, stored.send_after) == (State.PENDING, 0, NOW + dt.timedelta(microseconds=1))


def test_deliver_without_a_case_writes_no_timeline(clock, customer):
    message = queue(customer)
    assert outbox.deliver(message.pk) == "sent"
    assert not CaseEvent.objects.filter(type=EventType.OUTBOUND_SENT).exists()


def test_failure_backs_off_thirty_seconds_doubled_per_attempt(clock, case, monkeypatch):
    monkeypatch.setattr(outbox, "get_backend", lambda channel="": Boom())
    message = queue(case.customer, case=case)
    for attempt in range(1, outbox.MAX_ATTEMPTS):
        assert outbox.deliver(message.pk) == "retry"
        stored = row(message)
        assert (stored.state, stored.attempts, stored.last_error) == (State.PENDING, attempt, "gateway down")
        assert stored.send_after == NOW + dt.timedelta(seconds=30 * 2**attempt)
        assert outbox.deliver(message.pk) == "skipped"
        OutboundMessage.objects.filter(pk=message.pk).update(send_after=NOW)
    assert not events(case, EventType.OUTBOUND_FAILED)
    assert outbox.deliver(message.pk) == "failed"
    stored = row(message)
    assert (stored.state, stored.attempts) == (State.FAILED, outbox.MAX_ATTEMPTS)
    assert stored.send_after == NOW + dt.timedelta(seconds=30 * 2**outbox.MAX_ATTEMPTS)
    (event,) = events(case, EventType.OUTBOUND_FAILED)
    assert (event.body, event.target, event.after) == (
        "gateway down",
        f"outbound:{message.pk}",
        {"channel": "chat", "attempt": outbox.MAX_ATTEMPTS},
    )


def test_failure_text_is_cut_to_two_thousand_characters_and_five_hundred_on_the_timeline(clock, case, monkeypatch):
    class Long:
        def send(self, message):
            raise RuntimeError("x" * 2001 + "y")

    monkeypatch.setattr(outbox, "get_backend", lambda channel="": Long())
    message = queue(case.customer, case=case)
    OutboundMessage.objects.filter(pk=message.pk).update(attempts=outbox.MAX_ATTEMPTS - 1)
    assert outbox.deliver(message.pk) == "failed"
    assert row(message).last_error == "x" * 2000
    (event,) = events(case, EventType.OUTBOUND_FAILED)
    assert event.body == "x" * 500


def test_release_stale_sending_keeps_a_row_exactly_at_the_window(clock, customer):
    window = outbox.stale_sending_after()
    at_edge, past = queue(customer, "a"), queue(customer, "b")
    OutboundMessage.objects.filter(pk=at_edge.pk).update(state=State.SENDING, send_after=NOW - window, attempts=2)
    OutboundMessage.objects.filter(pk=past.pk).update(
        state=State.SENDING, send_after=NOW - window - dt.timedelta(microseconds=1), attempts=2
    )
    assert outbox.release_stale_sending() == 1
    assert (row(at_edge).state, row(at_edge).attempts) == (State.SENDING, 2)
    assert (row(past).state, row(past).attempts) == (State.PENDING, 2)
    assert outbox.release_stale_sending(NOW) == 0


def test_due_message_ids_orders_by_time_and_limits(clock, customer):
    late = queue(customer, "a", send_after=NOW)
    early = queue(customer, "b", send_after=NOW - dt.timedelta(seconds=1))
    queue(customer, "c", send_after=NOW + dt.timedelta(microseconds=1))
    assert outbox.due_message_ids() == [early.pk, late.pk]
    assert outbox.due_message_ids(limit=1) == [early.pk]


def test_retry_failed_starts_a_fresh_round_and_says_so_on_the_timeline(clock, case, django_capture_on_commit_callbacks):
    message = queue(case.customer, case=case, template_key="t1")
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=State.FAILED, attempts=5, send_after=NOW - dt.timedelta(hours=1)
    )
    staff = None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert outbox.retry_failed(message=message, actor=staff) is True
    assert len(callbacks) == 1
    stored = row(message)
    assert (stored.state, stored.attempts, stored.send_after) == (State.PENDING, 0, NOW)
    retry = events(case, EventType.OUTBOUND_QUEUED)[-1]
    assert (retry.body, retry.target, retry.after) == (
        "hi",
        f"outbound:{message.pk}",
        {"channel": "chat", "template": "t1", "retry": True},
    )
    assert outbox.retry_failed(message=message, actor=staff) is False


def test_deliver_moves_send_after_to_the_claim_and_reads_the_customer_with_the_row(
    clock, customer, monkeypatch, django_assert_num_queries
):
    class ReadsCustomer:
        def send(self, message):
            with django_assert_num_queries(0):
                assert message.customer.pdd_user_id == "u-1"

    monkeypatch.setattr(outbox, "get_backend", lambda channel="": ReadsCustomer())
    message = queue(customer, send_after=NOW - dt.timedelta(hours=1))
    assert outbox.deliver(message.pk) == "sent"
    assert row(message).send_after == NOW


def test_deliver_answered_after_a_later_attempt_is_superseded_and_logged(clock, case, monkeypatch, caplog):
    class Overtaken:
        def send(self, message):
            OutboundMessage.objects.filter(pk=message.pk).update(attempts=2, state=State.SENDING)

    monkeypatch.setattr(outbox, "get_backend", lambda channel="": Overtaken())
    message = queue(case.customer, case=case)
    with caplog.at_level(logging.WARNING, logger=outbox.logger.name):
        assert outbox.deliver(message.pk) == "superseded"
    assert caplog.messages == [f"outbound {message.pk}: attempt 1 answered after a later attempt took over"]
    assert (row(message).state, row(message).attempts, row(message).sent_at) == (State.SENDING, 2, None)
    assert not events(case, EventType.OUTBOUND_SENT)


def test_deliver_many_falls_back_to_one_by_one_when_the_group_claim_is_lost(clock, customer, monkeypatch):
    first, taken = queue(customer, "a"), queue(customer, "b")
    locked = outbox.lock_pending([first.pk, taken.pk], now=NOW)
    OutboundMessage.objects.filter(pk=taken.pk).update(state=State.SENT)
    monkeypatch.setattr(outbox, "lock_pending", lambda ids, now: locked)
    assert outbox.deliver_many([first.pk, taken.pk]) == {"sent": 1, "skipped": 1}
    assert (row(first).state, row(first).attempts) == (State.SENT, 1)
    assert (row(taken).state, row(taken).attempts) == (State.SENT, 0)


def test_deliver_many_requeues_only_after_more_than_half_the_stale_window(clock, customer, monkeypatch):
    half = outbox.stale_sending_after() / 2
    posted = []

    class Slow:
        def send(self, message):
            posted.append(message.pk)
            # The first post takes exactly half the window, the second a moment more.
            clock.shift(half if len(posted) == 1 else dt.timedelta(microseconds=1))

    monkeypatch.setattr(outbox, "get_backend", lambda channel="": Slow())
    messages = [queue(customer, key) for key in "abcd"]
    assert outbox.deliver_many([m.pk for m in messages]) == {"sent": 2, "requeued": 2}
    assert posted == [messages[0].pk, messages[1].pk]
    later = NOW + half + dt.timedelta(microseconds=1)
    assert [(row(m).state, row(m).attempts, row(m).send_after) for m in messages[2:]] == [(State.PENDING, 0, later)] * 2


def test_deliver_many_uses_each_channels_backend_and_counts_every_failure(clock, customer, monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(outbox, "get_backend", lambda channel="": recorder if channel == Channel.SMS else Boom())
    chat = [queue(customer, key) for key in "ab"]
    sms = queue(customer, "c", channel=Channel.SMS)
    assert outbox.deliver_many([m.pk for m in [*chat, sms]]) == {"retry": 2, "sent": 1}
    assert recorder.sent == [(sms.pk, 1, State.SENDING)]
    assert [(row(m).state, row(m).attempts, row(m).last_error) for m in chat] == [
        (State.PENDING, 1, "gateway down")
    ] * 2


# mutmut: x_deliver_many__mutmut_22 (results["requeued"] = ...) is equivalent because the counter holds no requeued
# messages before the loop's one release, which breaks out of it.


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(outbox.dispatch, "enqueue", lambda name, *args: calls.append((name, *args)) or True)
    return calls


def test_queue_message_records_it_on_the_timeline_and_sends_when_due(
    clock, case, agent, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.queue_message(
            customer=case.customer,
            case=case,
            body="hi",
            idempotency_key="k1",
            channel=Channel.SMS,
            template_key="t1",
            actor=agent,
        )
    stored = row(message)
    assert (stored.state, stored.send_after, stored.channel, stored.template_key, stored.body) == (
        State.PENDING,
        NOW,
        Channel.SMS,
        "t1",
        "hi",
    )
    (event,) = events(case, EventType.OUTBOUND_QUEUED)
    assert (event.actor, event.body, event.target, event.after) == (
        agent,
        "hi",
        f"outbound:{message.pk}",
        {"channel": "sms", "template": "t1"},
    )
    assert enqueued == [("backoffice.tasks.deliver_message", message.pk)]


def test_queue_message_due_now_is_sent_and_one_due_later_waits(
    clock, customer, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        now = queue(customer, "a", send_after=NOW)
        later = queue(customer, "b", send_after=NOW + dt.timedelta(microseconds=1))
    assert enqueued == [("backoffice.tasks.deliver_message", now.pk)]
    assert row(later).send_after == NOW + dt.timedelta(microseconds=1)


def test_queue_messages_keeps_earlier_keys_and_sends_the_due_ones_in_groups_of_fifty(
    clock, case, enqueued, django_capture_on_commit_callbacks
):
    earlier = queue(case.customer, "k0", case=case)
    fresh = [
        OutboundMessage(customer=case.customer, case=case, body=f"b{i}", idempotency_key=f"k{i}", template_key="t")
        for i in range(outbox.DELIVERY_GROUP + 2)
    ]
    waiting = OutboundMessage(customer=case.customer, body="w", idempotency_key="w", send_after=NOW + dt.timedelta(1))
    with django_capture_on_commit_callbacks(execute=True):
        stored = outbox.queue_messages([*fresh, waiting])
    assert (stored[0].pk, stored[0].body) == (earlier.pk, "hi")
    assert [m.pk for m in stored[1:]] == [m.pk for m in fresh[1:]] + [waiting.pk]
    new = [m.pk for m in fresh[1:]]
    assert enqueued == [
        ("backoffice.tasks.deliver_messages", new[: outbox.DELIVERY_GROUP]),
        ("backoffice.tasks.deliver_messages", new[outbox.DELIVERY_GROUP :]),
    ]
    assert row(fresh[1]).send_after == NOW
    lines = events(case, EventType.OUTBOUND_QUEUED)
    assert len(lines) == 1 + outbox.DELIVERY_GROUP + 1
    assert (lines[-1].body, lines[-1].target, lines[-1].after) == (
        fresh[-1].body,
        f"outbound:{fresh[-1].pk}",
        {"channel": "chat", "template": "t"},
    )


def test_a_group_the_broker_refuses_leaves_the_rest_to_the_sweep(monkeypatch):
    calls = []

    def refuse(name, ids):
        calls.append(ids)
        return False

    monkeypatch.setattr(outbox.dispatch, "enqueue", refuse)
    outbox._enqueue_many(list(range(outbox.DELIVERY_GROUP * 2 + 1)))
    assert calls == [list(range(outbox.DELIVERY_GROUP))]


def test_retry_failed_touches_only_that_message_and_sends_it_after_commit(
    clock, case, supervisor, enqueued, django_capture_on_commit_callbacks
):
    message, other = queue(case.customer, "a", case=case), queue(case.customer, "b", case=case)
    OutboundMessage.objects.update(state=State.FAILED, attempts=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry_failed(message=message, actor=supervisor) is True
    assert enqueued == [("backoffice.tasks.deliver_message", message.pk)]
    assert (row(other).state, row(other).attempts) == (State.FAILED, 5)
    assert events(case, EventType.OUTBOUND_QUEUED)[-1].actor == supervisor


def test_release_stale_sending_logs_how_many_went_back(clock, customer, caplog):
    for key in "ab":
        queue(customer, key)
    OutboundMessage.objects.update(state=State.SENDING, send_after=NOW - dt.timedelta(days=1))
    with caplog.at_level(logging.WARNING, logger=outbox.logger.name):
        assert outbox.release_stale_sending() == 2
    assert caplog.messages == ["2 outbound message(s) stuck in sending were put back in the queue"]


def test_due_message_ids_takes_only_pending_rows_and_five_hundred_by_default(clock, customer):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(customer=customer, body="x", idempotency_key=f"k{i}", send_after=NOW) for i in range(501)
    )
    OutboundMessage.objects.filter(idempotency_key="k0").update(state=State.SENT, send_after=NOW - dt.timedelta(1))
    OutboundMessage.objects.filter(idempotency_key="k1").update(state=State.FAILED, send_after=NOW - dt.timedelta(1))
    due = outbox.due_message_ids()
    assert len(due) == 499 and min(due) == OutboundMessage.objects.get(idempotency_key="k2").pk
    OutboundMessage.objects.create(customer=customer, body="x", idempotency_key="k501", send_after=NOW)
    OutboundMessage.objects.create(customer=customer, body="x", idempotency_key="k502", send_after=NOW)
    assert len(outbox.due_message_ids()) == 500


# mutmut: x_due_message_ids__mutmut_3 (release_stale_sending(None)) is equivalent because the sweep then reads the
# clock itself, a moment after `now`. x_due_message_ids__mutmut_7 (values_list(flat=True)) is equivalent because
# values_list without a field name with flat=True gives the primary key.


def test_group_answers_overtaken_by_a_later_attempt_or_state_are_superseded(clock, customer, monkeypatch):
    a, b, c = (queue(customer, key) for key in "abc")
    OutboundMessage.objects.filter(pk=c.pk).update(last_error="old")

    class Overtaking:
        def send(self, message):
            if message.pk == c.pk:
                # Another worker's attempt 2 answered at the same instant; a supervisor gave up on b.
                OutboundMessage.objects.filter(pk=a.pk).update(attempts=2, state=State.SENT, sent_at=NOW)
                OutboundMessage.objects.filter(pk=b.pk).update(state=State.FAILED)

    monkeypatch.setattr(outbox, "get_backend", lambda channel="": Overtaking())
    assert outbox.deliver_many([a.pk, b.pk, c.pk]) == {"sent": 1, "superseded": 2}
    assert [(row(m).state, row(m).attempts, row(m).sent_at) for m in (a, b, c)] == [
        (State.SENT, 2, NOW),
        (State.FAILED, 1, None),
        (State.SENT, 1, NOW),
    ]
    assert row(c).last_error == ""


def test_lock_pending_takes_only_the_given_pending_due_rows_with_their_customer(
    clock, customer, django_assert_num_queries
):
    asked, due_now, sent, later = (queue(customer, key) for key in "abcd")
    queue(customer, "not-asked")
    OutboundMessage.objects.filter(pk=asked.pk).update(send_after=NOW - dt.timedelta(hours=1))
    OutboundMessage.objects.filter(pk=sent.pk).update(state=State.SENT)
    OutboundMessage.objects.filter(pk=later.pk).update(send_after=NOW + dt.timedelta(microseconds=1))
    locked = outbox.lock_pending([later.pk, sent.pk, due_now.pk, asked.pk], now=NOW)
    assert [m.pk for m in locked] == [asked.pk, due_now.pk]
    with django_assert_num_queries(0):
        assert locked[0].customer.pdd_user_id == "u-1"


def test_claim_group_moves_send_after_to_the_claim(clock, customer):
    message = queue(customer, send_after=NOW - dt.timedelta(hours=1))
    (claimed,) = outbox.claim_group(outbox.lock_pending([message.pk], now=NOW), now=NOW)
    assert (claimed.state, claimed.attempts, claimed.send_after) == (State.SENDING, 1, NOW)
    assert (row(message).state, row(message).attempts, row(message).send_after) == (State.SENDING, 1, NOW)


# mutmut: x_lock_pending__mutmut_11 to _18 (the select_for_update arguments) are not reached on SQLite, which has no
# SKIP LOCKED; the PostgreSQL run exercises that branch.


def test_send_template_renders_that_template_for_the_given_customer_and_queues_it_as_asked(clock, case, agent):
    MessageTemplate.objects.create(key="0-first", name="first", body="wrong one")
    MessageTemplate.objects.create(key="z-sms", name="sms", channel=Channel.SMS, body="{customer_name} {case_no} {x}")
    other = Customer.objects.create(pdd_user_id="u-2", nickname="阿明", name="王明")
    later = NOW + dt.timedelta(hours=1)
    message = outbox.send_template(
        key="z-sms", idempotency_key="k1", case=case, customer=other, extra={"x": "E"}, send_after=later, actor=agent
    )
    stored = row(message)
    assert (stored.body, stored.channel, stored.template_key, stored.send_after, stored.customer) == (
        f"王明 {case.number} E",
        Channel.SMS,
        "z-sms",
        later,
        other,
    )
    assert events(case, EventType.OUTBOUND_QUEUED)[-1].actor == agent


def test_send_template_sends_nothing_when_switched_off_or_without_a_customer(clock, customer, caplog):
    MessageTemplate.objects.create(key="off", name="off", body="x", active=False)
    MessageTemplate.objects.create(key="on", name="on", body="x")
    with caplog.at_level(logging.INFO, logger=outbox.logger.name):
        assert outbox.send_template(key="off", idempotency_key="k1", customer=customer) is None
        assert outbox.send_template(key="on", idempotency_key="k2") is None
    assert caplog.messages == [
        "template off not sent: inactive, missing or no customer",
        "template on not sent: inactive, missing or no customer",
    ]
    assert not OutboundMessage.objects.exists()


def test_deliver_answered_after_the_row_left_sending_is_superseded(clock, customer, monkeypatch):
    class GivenUp:
        def send(self, message):
            OutboundMessage.objects.filter(pk=message.pk).update(state=State.FAILED)

    monkeypatch.setattr(outbox, "get_backend", lambda channel="": GivenUp())
    message = queue(customer)
    assert outbox.deliver(message.pk) == "superseded"
    assert (row(message).state, row(message).attempts, row(message).sent_at) == (State.FAILED, 1, None)


@override_settings(OUTBOX_BACKEND="backoffice.messaging.channels.LocalBackend", OUTBOX_CHANNEL_BACKENDS={})
def test_get_backend_takes_a_dotted_class_path():
    assert type(outbox.get_backend(Channel.CHAT)) is LocalBackend


# mutmut: x_get_backend__mutmut_1 (channel default "XXXX") is equivalent because every caller passes the channel and
# no setting maps the empty channel name.


def test_case_variables_come_from_the_case_its_customer_order_and_last_parcel(clock, db):
    customer = CustomerFactory(name="", nickname="小橘")
    order = make_order(customer=customer, shipped=True, tracking_no="T-9")
    case = CaseFactory(customer=customer, order=order, amount_fen=1234, resolved_amount_fen=0)
    store = StoreSettings.load()
    variables = outbox.case_variables(case)
    shipment = order.shipments.get()
    low, high = store.delivery_days(order.receiver_address)
    assert variables == {
        "customer_name": "小橘",
        "nickname": "小橘",
        "order_no": order.number,
        "tracking_no": "T-9",
        "courier": shipment.courier.name,
        "amount": format_fen(1234),
        "refund_amount": format_fen(1234),
        "paid_amount": format_fen(order.paid_fen),
        "store_name": store.store_name,
        "return_address": store.return_address,
        "case_no": case.number,
        "reason": case.get_reason_display(),
        "delivery_days": f"{low}–{high}",
        "ship_within_hours": str(store.ship_within_hours),
        "compensation": format_fen(store.small_defect_compensation_fen),
        "return_shipping": RETURN_SHIPPING_TEXTS.get(case.return_shipping_paid_by, ""),
    }


def test_case_variables_without_a_case_use_the_customer_given(clock, db):
    customer = CustomerFactory(name="王明", nickname="阿明")
    variables = outbox.case_variables(None, customer=customer)
    assert (variables["customer_name"], variables["nickname"], variables["order_no"], variables["case_no"]) == (
        "王明",
        "阿明",
        "",
        "",
    )
    assert (variables["amount"], variables["paid_amount"], variables["reason"]) == (format_fen(0), "", "")


def test_retry_all_failed_sends_the_oldest_failed_messages_again_up_to_the_limit(clock, case, supervisor):
    first, second, third, sent = (queue(case.customer, key, case=case) for key in "abcd")
    OutboundMessage.objects.exclude(pk=sent.pk).update(state=State.FAILED, attempts=5)
    OutboundMessage.objects.filter(pk=sent.pk).update(state=State.SENT)
    assert outbox.retry_all_failed(actor=supervisor, limit=2) == 2
    assert [(row(m).state, row(m).attempts) for m in (first, second, third, sent)] == [
        (State.PENDING, 0),
        (State.PENDING, 0),
        (State.FAILED, 5),
        (State.SENT, 0),
    ]
    assert events(case, EventType.OUTBOUND_QUEUED)[-1].actor == supervisor
    assert outbox.retry_all_failed(actor=supervisor) == 1


def test_case_variables_of_a_case_without_an_order_leave_the_order_fields_empty(clock, db):
    case = CaseFactory(order=None, amount_fen=500, resolved_amount_fen=300)
    variables = outbox.case_variables(case)
    assert [variables[name] for name in ("order_no", "tracking_no", "courier", "paid_amount")] == ["", "", "", ""]
    assert (variables["amount"], variables["case_no"]) == (format_fen(300), case.number)


def test_case_variables_without_a_case_or_a_customer_are_empty(clock, db):
    store = StoreSettings.load()
    assert outbox.case_variables(None) == {
        "customer_name": "",
        "nickname": "",
        "order_no": "",
        "tracking_no": "",
        "courier": "",
        "amount": format_fen(0),
        "refund_amount": format_fen(0),
        "paid_amount": "",
        "store_name": store.store_name,
        "return_address": store.return_address,
        "case_no": "",
        "reason": "",
        "delivery_days": f"{store.expected_delivery_days_min}–{store.expected_delivery_days_max}",
        "ship_within_hours": str(store.ship_within_hours),
        "compensation": format_fen(store.small_defect_compensation_fen),
        "return_shipping": "",
    }


@pytest.fixture
def remote_store(db):
    store = StoreSettings.load()
    store.remote_provinces = "新疆,西藏"
    store.expected_delivery_days_min, store.expected_delivery_days_max = 2, 3
    store.remote_delivery_days_min, store.remote_delivery_days_max = 6, 9
    store.save()
    return store


def test_case_variables_give_the_remote_estimate_for_a_remote_receiver_address(clock, remote_store):
    customer = CustomerFactory(province="浙江")
    order = make_order(customer=customer, receiver_address="新疆乌鲁木齐市天山区某路1号")
    assert outbox.case_variables(CaseFactory(customer=customer, order=order))["delivery_days"] == "6–9"
    assert outbox.case_variables(CaseFactory(customer=customer, order=None))["delivery_days"] == "2–3"


def test_the_parcels_address_decides_not_where_the_customers_profile_says_they_live(clock, remote_store):
    customer = CustomerFactory(province="新疆")
    order = make_order(customer=customer, receiver_address="浙江省杭州市西湖区文三路 1 号")
    assert outbox.case_variables(CaseFactory(customer=customer, order=order))["delivery_days"] == "2–3"


def test_case_variables_give_the_remote_estimate_for_a_remote_customer_without_an_order(clock, remote_store):
    customer = CustomerFactory(province="西藏")
    assert outbox.case_variables(CaseFactory(customer=customer, order=None))["delivery_days"] == "6–9"
    assert outbox.case_variables(None, customer=customer)["delivery_days"] == "6–9"


# mutmut: x_case_variables__mutmut_10 (shipment = "" instead of None) is equivalent because both are falsy where the
# shipment is read. The mutant giving "XXXX" as the province without a customer is equivalent
# because no province is named "XXXX" (numbers change with the code: `make mutate` names them).


def test_claim_group_claims_only_its_own_messages_and_says_how_many_it_lost(clock, customer):
    mine, other, lost = (queue(customer, key) for key in "abc")
    (claimed,) = outbox.claim_group([mine], now=NOW)
    assert claimed.pk == mine.pk
    assert (row(other).state, row(other).attempts) == (State.PENDING, 0)
    OutboundMessage.objects.filter(pk=lost.pk).update(state=State.SENT)
    with pytest.raises(outbox.ClaimLost, match=r"^1 of 2 messages were no longer pending$"):
        outbox.claim_group([other, lost], now=NOW)


def test_a_group_answer_overtaken_by_a_later_attempt_is_logged(clock, customer, monkeypatch, caplog):
    message = queue(customer)

    class Overtaken:
        def send(self, sent):
            OutboundMessage.objects.filter(pk=sent.pk).update(attempts=2)

    monkeypatch.setattr(outbox, "get_backend", lambda channel="": Overtaken())
    with caplog.at_level(logging.WARNING, logger=outbox.logger.name):
        assert outbox.deliver_many([message.pk]) == {"superseded": 1}
    assert caplog.messages == [f"outbound {message.pk}: attempt 1 answered after a later attempt took over"]


# mutmut: x__record_sent__mutmut_56 (results["sent"] = ...) is equivalent because the counter holds no "sent" before.


def test_retry_all_failed_takes_five_hundred_by_default(clock, customer, supervisor):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(customer=customer, body="hi", idempotency_key=f"f{i}", state=State.FAILED, send_after=NOW)
        for i in range(501)
    )
    assert outbox.retry_all_failed(actor=supervisor) == 500
    assert OutboundMessage.objects.filter(state=State.FAILED).count() == 1


def test_case_variables_say_who_pays_the_return_shipping(clock, db):
    store_pays = CaseFactory(return_shipping_paid_by="store")
    customer_pays = CaseFactory(return_shipping_paid_by="customer")
    assert outbox.case_variables(store_pays)["return_shipping"] == RETURN_SHIPPING_TEXTS["store"]
    assert outbox.case_variables(customer_pays)["return_shipping"] == RETURN_SHIPPING_TEXTS["customer"]


def test_queue_message_without_a_template_records_none(clock, case):
    message = queue(case.customer, case=case)
    assert (row(message).template_key, row(message).channel) == ("", Channel.CHAT)
    assert events(case, EventType.OUTBOUND_QUEUED)[0].after == {"channel": "chat", "template": ""}


def test_queue_message_again_with_its_key_returns_the_first_message_after_one_read(
    clock, case, django_assert_num_queries
):
    first = queue(case.customer, case=case)
    with django_assert_num_queries(1):
        again = outbox.queue_message(customer=case.customer, case=case, body="other", idempotency_key="k1")
    assert again.pk == first.pk
    assert row(first).body == "hi"


def test_queue_message_that_lost_the_race_for_its_key_returns_the_winners_message(clock, case, monkeypatch):
    winner = queue(case.customer, case=case)
    real_filter = OutboundMessage.objects.filter

    def not_yet_there(**lookups):
        # The other worker's row was not committed yet when this one looked; its insert then hits the unique key.
        return real_filter(pk__in=[]) if "idempotency_key" in lookups else real_filter(**lookups)

    monkeypatch.setattr(OutboundMessage.objects, "filter", not_yet_there)
    again = outbox.queue_message(customer=case.customer, case=case, body="other", idempotency_key="k1")
    assert (again.pk, again.body) == (winner.pk, "hi")
    assert OutboundMessage.objects.count() == 1
    assert len(events(case, EventType.OUTBOUND_QUEUED)) == 1
