"""The agent's actions on a logistics case, each recorded on the timeline with who did it."""

import datetime as dt

import pytest

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, CaseKind, EventType, Order, OutboundMessage, Shipment, Status
from backoffice.payouts.models import Payout
from logistics import services
from logistics.models import CourierContact, OutOfStockOffer, Problem
from tests.factories import AgentFactory, SkuFactory, make_order

from .conftest import HOUR, MINUTE, NOW, logistics_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def stalled_case(clock, sweep):
    order = make_order(paid_at=NOW - 200 * HOUR, shipped_at=NOW - 190 * HOUR, tracking_events=1)
    sweep()
    return Problem.objects.get(order=order).case


@pytest.fixture
def stock_case(clock, sweep):
    order = make_order(paid_at=NOW - 3 * HOUR, skus=[SkuFactory(stock=0, price_fen=3990)])
    sweep()
    return Problem.objects.get(order=order).case


@pytest.fixture
def worker(db):
    return AgentFactory(username="xiaoli")


def last_event(case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-at", "-id").first()


def test_courier_contact_is_recorded_with_who_result_and_next_check(stalled_case, worker):
    check = NOW + 6 * HOUR

    record = services.contact_courier(
        case=stalled_case, actor=worker, contact="95311 客服 工号 1032", result="已催件，今天中转", next_check_at=check
    )

    stalled_case.refresh_from_db()
    assert record.courier.code == "zto" and record.shipment == stalled_case.order.shipments.get()
    assert stalled_case.due_at == check and stalled_case.status == Status.IN_PROGRESS
    event = CaseEvent.objects.get(case=stalled_case, target=f"courier_contact:{record.pk}")
    assert event.actor == worker and event.type == EventType.CASE_UPDATED
    assert event.after["logistics"] == "courier_contacted" and "95311" in event.body


def test_courier_contact_needs_who_and_what(stalled_case, worker):
    with pytest.raises(DomainError):
        services.contact_courier(case=stalled_case, actor=worker, contact=" ", result="催件")
    assert not CourierContact.objects.exists()


def test_next_check_in_the_past_is_refused(stalled_case, worker):
    with pytest.raises(DomainError):
        services.contact_courier(
            case=stalled_case, actor=worker, contact="网点", result="催件", next_check_at=NOW - MINUTE
        )


def test_customer_is_told_from_the_stalled_template(stalled_case, worker):
    message = services.notify_customer(case=stalled_case, actor=worker, template_key=services.STALLED_NOTICE)

    shipment = stalled_case.order.shipments.get()
    assert message.template_key == "stalled_notice" and message.case == stalled_case
    assert shipment.tracking_no in message.body and "加急" in message.body
    queued = CaseEvent.objects.get(case=stalled_case, type=EventType.OUTBOUND_QUEUED)
    assert queued.actor == worker


def test_the_same_notice_goes_out_once_a_day(stalled_case, worker):
    services.notify_customer(case=stalled_case, actor=worker, template_key=services.STALLED_NOTICE)

    with pytest.raises(DomainError):
        services.notify_customer(case=stalled_case, actor=worker, template_key=services.STALLED_NOTICE)
    assert OutboundMessage.objects.filter(template_key="stalled_notice").count() == 1


def test_a_notice_that_does_not_fit_the_problem_is_refused(stalled_case, worker):
    with pytest.raises(DomainError):
        services.notify_customer(case=stalled_case, actor=worker, template_key="refund_approved")


def test_out_of_stock_offer_tells_the_customer_and_waits_for_the_choice(stock_case, worker):
    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    stock_case.refresh_from_db()
    assert offer.wait_days == 3 and offer.coupon_fen == 500 and offer.choice == OutOfStockOffer.Choice.PENDING
    assert stock_case.status == Status.WAITING
    message = OutboundMessage.objects.get(template_key="out_of_stock_offer")
    assert "3 天" in message.body and "¥5.00" in message.body and "退款" in message.body


def test_only_one_offer_waits_at_a_time(stock_case, worker):
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    stock_case.refresh_from_db()

    with pytest.raises(DomainError):
        services.offer_out_of_stock_choice(case=stock_case, actor=worker)


def test_customer_who_waits_gets_the_coupon_through_the_followups(stock_case, worker, monkeypatch):
    calls = []
    monkeypatch.setattr(services.followups, "on_trigger", lambda **kwargs: calls.append(kwargs))
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    offer = services.record_offer_choice(case=stock_case, actor=worker, choice="wait")

    stock_case.refresh_from_db()
    assert calls == [{"trigger": "out_of_stock_wait", "case": stock_case, "actor": worker}]
    assert offer.wait_until == NOW + dt.timedelta(days=3)
    assert stock_case.status == Status.IN_PROGRESS and stock_case.due_at == offer.wait_until


def test_customer_who_waits_gets_the_promised_coupon_and_its_message(
    stock_case, worker, clock, django_capture_on_commit_callbacks
):
    from backoffice.models import Coupon, FollowUp
    from backoffice.tasks import sweep_followups

    promised = services.wait_coupon_fen()
    assert promised
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    services.record_offer_choice(case=stock_case, actor=worker, choice="wait")
    followup = FollowUp.objects.get(case=stock_case)

    clock.move_to(followup.due_at + MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_followups() == {"sent": 1}

    coupon = Coupon.objects.get(case=stock_case)
    assert coupon.value_fen == promised and coupon.customer_id == stock_case.customer_id
    assert coupon.followup_id == followup.pk
    message = OutboundMessage.objects.get(idempotency_key=f"followup:{followup.pk}")
    # The customer is told the coupon's own code and value.
    assert message.customer_id == stock_case.customer_id
    assert coupon.code in message.body and f"¥{promised / 100:.2f}" in message.body
    assert CaseEvent.objects.filter(
        case=stock_case, type=EventType.FOLLOWUP_SENT, target=f"coupon:{coupon.pk}"
    ).exists()


def test_customer_who_takes_the_refund_is_refunded_and_the_case_resolves(stock_case, worker):
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    offer = services.record_offer_choice(case=stock_case, actor=worker, choice="refund")

    stock_case.refresh_from_db()
    refund = offer.refund_case
    assert refund.desk == "aftersales" and refund.kind == CaseKind.REFUND and refund.status == Status.RESOLVED
    assert Payout.objects.get(case=refund).amount_fen == stock_case.order.paid_fen
    assert Order.objects.get(pk=stock_case.order_id).status == Order.Status.REFUNDED
    assert stock_case.status == Status.RESOLVED and stock_case.resolution == services.Outcome.REFUNDED


def test_the_choice_needs_an_offer_first(stock_case, worker):
    with pytest.raises(DomainError):
        services.record_offer_choice(case=stock_case, actor=worker, choice="wait")


def test_the_choice_is_recorded_once(stock_case, worker, monkeypatch):
    monkeypatch.setattr(services.followups, "on_trigger", lambda **kwargs: None)
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    services.record_offer_choice(case=stock_case, actor=worker, choice="wait")

    with pytest.raises(DomainError):
        services.record_offer_choice(case=stock_case, actor=worker, choice="refund")
    assert not Case.objects.filter(desk="aftersales").exists()


def test_manual_tracking_update_adds_the_event_and_moves_the_parcel(stalled_case, worker, sweep):
    at = NOW - 30 * MINUTE

    services.record_tracking_update(
        case=stalled_case,
        actor=worker,
        at=at,
        state=Shipment.State.IN_TRANSIT,
        place="深圳市",
        description="网点称已中转",
    )

    shipment = stalled_case.order.shipments.get()
    assert shipment.last_event_at == at and shipment.events.filter(description="网点称已中转").exists()
    assert last_event(stalled_case).actor == worker
    sweep()
    assert Problem.objects.get(case=stalled_case).cleared_at is not None


def test_manual_tracking_update_in_the_future_is_refused(stalled_case, worker):
    with pytest.raises(DomainError):
        services.record_tracking_update(
            case=stalled_case, actor=worker, at=NOW + HOUR, state="in_transit", place="", description="x"
        )


def test_resolving_records_the_outcome(stalled_case, worker):
    services.resolve_case(case=stalled_case, actor=worker, outcome=services.Outcome.COURIER_CHASED, note="已派送")

    stalled_case.refresh_from_db()
    assert stalled_case.status == Status.RESOLVED and stalled_case.resolution == "courier_chased"
    assert last_event(stalled_case).actor == worker


def test_closing_an_unresolved_case_needs_a_reason(stalled_case, worker):
    with pytest.raises(DomainError):
        services.close_case(case=stalled_case, actor=worker)

    services.close_case(case=stalled_case, actor=worker, note="客户已取消订单")
    stalled_case.refresh_from_db()
    assert stalled_case.status == Status.CLOSED


def test_actions_on_a_closed_case_are_refused(stalled_case, worker):
    services.close_case(case=stalled_case, actor=worker, note="重复")
    stalled_case.refresh_from_db()

    with pytest.raises(DomainError):
        services.contact_courier(case=stalled_case, actor=worker, contact="网点", result="催件")


def test_agent_reports_an_order_out_of_stock_once(clock, worker):
    order = make_order(paid_at=NOW - 2 * HOUR)

    case = services.report_out_of_stock(order=order, actor=worker, note="仓库盘点缺货")
    again = services.report_out_of_stock(order=order, actor=worker)

    assert case == again and case.kind == CaseKind.OUT_OF_STOCK
    assert Problem.objects.get(order=order).source == Problem.Source.AGENT
    assert CaseEvent.objects.get(case=case, type=EventType.CASE_OPENED).actor == worker
    assert logistics_cases().count() == 1


def test_only_an_order_awaiting_shipment_can_be_out_of_stock(clock, worker):
    order = make_order(paid_at=NOW - 30 * HOUR, tracking_events=1)

    with pytest.raises(DomainError):
        services.report_out_of_stock(order=order, actor=worker)


def test_shared_claim_and_reply_work_on_logistics_cases(stalled_case, worker):
    casework.claim_case(case=stalled_case, agent=worker)
    casework.reply_to_customer(case=stalled_case, body="亲，已帮您催件", actor=worker)

    stalled_case.refresh_from_db()
    assert stalled_case.assignee == worker and stalled_case.first_replied_at is not None
