"""The logistics desk's actions at their edges: each refusal by its exact message, what each action leaves on the case,
the parcel and the timeline, and the out-of-stock refund down to the after-sales case it opens.

Mutation testing of logistics/services.py (`make mutate MUTANTS='logistics.services.*'`) showed these untested. The
survivors left are equivalent to the code:
- x_report_out_of_stock__mutmut_11 (Found's customer_id → None): open_problem takes the customer from the order.
- x__customer_refunded__mutmut_36, _40 (approve_refund's amount_fen → None / dropped): the refund case was opened
  with amount_fen=amount a line before, and approve_refund defaults to the case's amount.
- x__customer_refunded__mutmut_93 (resolve_case's note="" dropped): "" is resolve_case's default.
- x__when__mutmut_2, _8 (the "—" for no moment): every caller passes a moment, so that branch is never taken.
- x_notify_customer__mutmut_4, _6 (NOTIFY_TEMPLATES.get's default [] → None / dropped): every logistics kind has an
  entry (test_every_logistics_problem_has_messages_an_agent_may_send), so the default is never used.
- x__offer_variables__mutmut_2, _7 and x_offer_out_of_stock_choice__mutmut_49, _50, _51, _53, _54 (the offer's own
  wait days and coupon ignored, or the store not passed): the offer was made a moment before from the same store
  settings and the same campaign read, so the fallback gives the same values.
- x__offer_variables__mutmut_13 (format_fen even for no coupon): format_fen(None) is "" already.
- x_record_tracking_update__mutmut_105 (the returned event looked up without its parcel): cannot fail on SQLite,
  which returns the newest row among equal times, and that is the event just stored even when another parcel has one
  at the same time and state (test_the_tracking_event_returned_is_this_parcels_at_that_time sets that up).
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import (
    DESK_KINDS,
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    Desk,
    EventType,
    MessageTemplate,
    Order,
    OutboundMessage,
    Reason,
    ResponseWait,
    Shipment,
    Status,
    StoreSettings,
    TrackingEvent,
    Trigger,
)
from backoffice.payouts.models import Payout
from logistics import services
from logistics.models import CourierContact, OutOfStockOffer, Problem
from logistics.tracking import TrackEvent
from tests.factories import AgentFactory, CaseFactory, SkuFactory, make_order

from .conftest import HOUR, MINUTE, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused(message: str):
    return pytest.raises(DomainError, match=f"^{message}$")


@pytest.fixture
def worker(db):
    return AgentFactory(username="xiaoli")


@pytest.fixture
def ticking(db):
    """The clock runs from NOW, so a moment an action takes once differs from one it would take again."""
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def stock_case(ticking, sweep):
    order = make_order(paid_at=NOW - 3 * HOUR, skus=[SkuFactory(stock=0, price_fen=3990)])
    sweep()
    return Problem.objects.get(order=order).case


# --- telling the customer -------------------------------------------------------------------------------------------


def test_a_notice_answers_the_customer_and_starts_the_case(stalled_case, worker, clock):
    casework.record_customer_message(case=stalled_case, body="怎么还没到", at=NOW - HOUR)
    clock.move_to(NOW + MINUTE)

    message = services.notify_customer(case=stalled_case, actor=worker, template_key=services.DELAY_APOLOGY)

    assert message.template_key == "delay_apology" and message.case == stalled_case
    wait = ResponseWait.objects.get(case=stalled_case)
    assert wait.answered_by == worker and wait.answer == "message" and wait.answered_at == NOW + MINUTE
    case = Case.objects.get(pk=stalled_case.pk)
    assert case.status == Status.IN_PROGRESS and case.updated_at == NOW + MINUTE
    started = CaseEvent.objects.get(case=stalled_case, type=EventType.CASE_STATUS)
    assert started.actor == worker and started.after == {"status": Status.IN_PROGRESS}


def test_a_notice_on_a_case_in_progress_marks_it_updated(stalled_case, worker, clock):
    casework.transition_case(case=stalled_case, to=Status.IN_PROGRESS, actor=worker)
    clock.move_to(NOW + MINUTE)

    services.notify_customer(case=stalled_case, actor=worker, template_key=services.DELAY_APOLOGY)

    assert Case.objects.get(pk=stalled_case.pk).updated_at == NOW + MINUTE


def test_a_next_check_after_the_customers_reply_deadline_leaves_that_deadline_first(stalled_case, worker):
    casework.record_customer_message(case=stalled_case, body="到哪了", at=NOW)
    reply_due = Case.objects.get(pk=stalled_case.pk).first_response_due
    assert reply_due is not None and reply_due < NOW + 6 * HOUR

    services.contact_courier(
        case=stalled_case, actor=worker, contact="网点", result="催件", next_check_at=NOW + 6 * HOUR
    )

    case = Case.objects.get(pk=stalled_case.pk)
    assert case.resolve_due == NOW + 6 * HOUR and case.due_at == reply_due


def test_a_notice_can_name_the_wait_and_the_coupon_the_store_offers(stalled_case, worker):
    MessageTemplate.objects.filter(key="delay_apology").update(body="再等 {wait_days} 天，送 {coupon} 券")
    StoreSettings.objects.update(out_of_stock_wait_days=4)

    message = services.notify_customer(case=stalled_case, actor=worker, template_key=services.DELAY_APOLOGY)

    assert message.body == "再等 4 天，送 ¥5.00 券"


def test_without_a_coupon_campaign_a_notice_names_no_coupon(stalled_case, worker):
    MessageTemplate.objects.filter(key="delay_apology").update(body="送 {coupon} 券")
    Campaign.objects.filter(trigger=Trigger.OUT_OF_STOCK_WAIT).update(active=False)

    message = services.notify_customer(case=stalled_case, actor=worker, template_key=services.DELAY_APOLOGY)

    assert message.body == "送  券"


def test_every_logistics_problem_has_messages_an_agent_may_send():
    assert set(services.NOTIFY_TEMPLATES) == set(DESK_KINDS[Desk.LOGISTICS])


def test_a_notice_is_refused_by_its_message(stalled_case, worker):
    with refused(r"This message does not fit this problem\."):
        services.notify_customer(case=stalled_case, actor=worker, template_key=services.OUT_OF_STOCK_OFFER)
    MessageTemplate.objects.filter(key="delay_apology").update(active=False)
    with refused(r"That message template is switched off or missing; ask the store admin\."):
        services.notify_customer(case=stalled_case, actor=worker, template_key=services.DELAY_APOLOGY)
    services.notify_customer(case=stalled_case, actor=worker, template_key=services.STALLED_NOTICE)
    with refused(r"The customer already got this message today\."):
        services.notify_customer(case=stalled_case, actor=worker, template_key=services.STALLED_NOTICE)
    Case.objects.filter(pk=stalled_case.pk).update(customer=None)
    stalled_case.customer = None
    with refused(r"This case has no customer to tell\."):
        services.notify_customer(case=stalled_case, actor=worker, template_key=services.DELAY_APOLOGY)


# --- out of stock: the offer -----------------------------------------------------------------------------------------


def test_the_offer_is_on_the_timeline_and_answers_the_customer(stock_case, worker):
    casework.record_customer_message(case=stock_case, body="什么时候发货", at=timezone.now())

    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    offer = OutOfStockOffer.objects.get(pk=offer.pk)
    assert offer.case == stock_case and offer.order == stock_case.order and offer.offered_by == worker
    assert (offer.wait_days, offer.coupon_fen) == (3, 500)
    message = OutboundMessage.objects.get(case=stock_case, template_key="out_of_stock_offer")
    assert message.idempotency_key == f"L3:{stock_case.pk}:{offer.pk}" and "3 天" in message.body
    queued = CaseEvent.objects.get(case=stock_case, type=EventType.OUTBOUND_QUEUED, target=f"outbound:{message.pk}")
    assert queued.actor == worker
    event = CaseEvent.objects.get(case=stock_case, target=f"stock_offer:{offer.pk}")
    assert event.actor == worker and event.type == EventType.CASE_UPDATED and event.at == offer.offered_at
    assert event.body == "Offered: wait 3 days with a ¥5.00 coupon, or a refund."
    assert event.after == {"logistics": "stock_offer", "wait_days": 3, "coupon_fen": 500}
    wait = ResponseWait.objects.get(case=stock_case)
    assert wait.answered_by == worker and wait.answer == "message" and wait.answered_at == offer.offered_at
    waiting = CaseEvent.objects.filter(case=stock_case, type=EventType.CASE_STATUS).latest("pk")
    assert waiting.actor == worker and waiting.after == {"status": Status.WAITING}
    assert waiting.body == "Waiting for the customer's choice."


def test_the_offer_follows_the_stores_wait_and_the_campaigns_coupon(stock_case, worker):
    StoreSettings.objects.update(out_of_stock_wait_days=5)
    Campaign.objects.filter(trigger=Trigger.OUT_OF_STOCK_WAIT).update(coupon_value_fen=800)

    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    assert (offer.wait_days, offer.coupon_fen) == (5, 800)
    message = OutboundMessage.objects.get(case=stock_case, template_key="out_of_stock_offer")
    assert "5 天" in message.body and "¥8.00" in message.body


def test_the_offer_is_refused_by_its_message(stock_case, stalled_case, worker):
    with refused(r"Only out-of-stock cases make this offer\."):
        services.offer_out_of_stock_choice(case=stalled_case, actor=worker)
    Campaign.objects.filter(trigger=Trigger.OUT_OF_STOCK_WAIT).update(active=False)
    with refused(
        r"No out-of-stock coupon campaign \(L3\) is active, so no coupon can be promised; ask the store admin\."
    ):
        services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    Campaign.objects.filter(trigger=Trigger.OUT_OF_STOCK_WAIT).update(active=True)
    MessageTemplate.objects.filter(key="out_of_stock_offer").update(active=False)
    with refused(r"The out-of-stock message template is switched off or missing; ask the store admin\."):
        services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    assert not OutOfStockOffer.objects.exists()
    MessageTemplate.objects.filter(key="out_of_stock_offer").update(active=True)
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    with refused(r"An offer is already waiting for the customer's answer\."):
        services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    Order.objects.filter(pk=stock_case.order_id).update(status=Order.Status.SHIPPED)
    stock_case.order.refresh_from_db()
    with refused(r"The order is no longer awaiting shipment\."):
        services.offer_out_of_stock_choice(case=stock_case, actor=worker)


# --- out of stock: waiting ------------------------------------------------------------------------------------------


def test_the_wait_choice_is_on_the_timeline_with_its_day_and_coupon(stock_case, worker):
    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    services.record_offer_choice(case=stock_case, actor=worker, choice="wait")

    offer = OutOfStockOffer.objects.get(pk=offer.pk)
    assert offer.choice == OutOfStockOffer.Choice.WAIT and offer.chosen_by == worker
    assert offer.wait_until == offer.chosen_at + dt.timedelta(days=3)
    event = CaseEvent.objects.get(case=stock_case, target=f"stock_offer:{offer.pk}", after__choice="wait")
    assert event.actor == worker and event.type == EventType.CASE_UPDATED and event.at == offer.chosen_at
    day = timezone.localtime(offer.wait_until).strftime("%m-%d %H:%M")
    assert event.body == f"The customer chose to wait until {day} (coupon ¥5.00)."
    assert event.after == {"logistics": "stock_choice", "choice": "wait", "wait_until": offer.wait_until.isoformat()}
    stock_case = Case.objects.get(pk=stock_case.pk)
    assert stock_case.resolve_due == offer.wait_until and stock_case.due_at == offer.wait_until
    assert stock_case.updated_at == offer.chosen_at and stock_case.status == Status.IN_PROGRESS


# --- out of stock: the refund ----------------------------------------------------------------------------------------


def test_the_refund_choice_opens_an_approved_after_sales_refund_by_the_agent(stock_case, worker):
    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    services.record_offer_choice(case=stock_case, actor=worker, choice="refund")

    offer = OutOfStockOffer.objects.get(pk=offer.pk)
    refund = offer.refund_case
    assert refund is not None and refund.kind == CaseKind.REFUND and refund.order_id == stock_case.order_id
    assert refund.amount_fen == 3990 and refund.reason == Reason.OTHER
    assert refund.subject == "Out of stock: the customer chose a refund (L3)"
    assert refund.source == "logistics" and refund.external_id == f"L3:{offer.pk}"
    assert CaseEvent.objects.get(case=refund, type=EventType.CASE_OPENED).actor == worker
    approval = CaseEvent.objects.get(case=refund, type=EventType.REFUND_APPROVED)
    assert approval.actor == worker and approval.body == "L3: out of stock." and approval.after == {"amount_fen": 3990}
    choice = CaseEvent.objects.get(case=stock_case, target=refund.number)
    assert choice.actor == worker and choice.type == EventType.CASE_UPDATED
    assert choice.body == f"The customer chose a refund: ¥39.90, after-sales case {refund.number}."
    assert choice.after == {
        "logistics": "stock_choice",
        "choice": "refund",
        "refund_case": refund.number,
        "amount_fen": 3990,
    }
    assert choice.at == offer.chosen_at
    stock_case = Case.objects.get(pk=stock_case.pk)
    assert stock_case.resolution == services.Outcome.REFUNDED and stock_case.resolved_amount_fen == 3990
    resolved = CaseEvent.objects.filter(case=stock_case, type=EventType.CASE_STATUS).latest("pk")
    assert resolved.after == {"status": Status.RESOLVED} and resolved.actor == worker and resolved.body == ""


def test_the_refund_choice_refunds_what_is_left_down_to_one_fen(stock_case, worker):
    order = stock_case.order
    Payout.objects.create(case=stock_case, order=order, kind=Payout.Kind.COMPENSATION, amount_fen=order.paid_fen - 1)
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    offer = services.record_offer_choice(case=stock_case, actor=worker, choice="refund")

    assert Payout.objects.get(case=offer.refund_case).amount_fen == 1
    assert Case.objects.get(pk=stock_case.pk).resolved_amount_fen == 1


def test_the_refund_choice_is_refused_when_nothing_is_left(stock_case, worker):
    order = stock_case.order
    Payout.objects.create(case=stock_case, order=order, kind=Payout.Kind.COMPENSATION, amount_fen=order.paid_fen)
    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    with refused(r"Nothing is left to refund on this order\."):
        services.record_offer_choice(case=stock_case, actor=worker, choice="refund")

    assert OutOfStockOffer.objects.get(pk=offer.pk).choice == OutOfStockOffer.Choice.PENDING
    assert not Case.objects.filter(desk="aftersales").exists()


# --- reporting -------------------------------------------------------------------------------------------------------


def test_a_report_opens_the_customers_case_with_the_agents_note(ticking, worker, django_assert_num_queries):
    order = make_order(paid_at=NOW - 2 * HOUR)

    case = services.report_out_of_stock(order=order, actor=worker, note="仓库盘点缺货")

    # The page that shows the case next reads its customer and order without asking again.
    with django_assert_num_queries(0):
        assert case.customer.pk == order.customer_id and case.order.number == order.number
    note = CaseEvent.objects.get(case=case, type=EventType.NOTE)
    assert note.actor == worker and note.body == "仓库盘点缺货"


def test_a_report_without_a_note_adds_none(ticking, worker):
    order = make_order(paid_at=NOW - 2 * HOUR)

    case = services.report_out_of_stock(order=order, actor=worker)

    assert not CaseEvent.objects.filter(case=case, type=EventType.NOTE).exists()


def test_a_shipped_order_is_not_reported_out_of_stock(ticking, worker):
    order = make_order(paid_at=NOW - 30 * HOUR, tracking_events=1)

    with refused(r"Only an order awaiting shipment can be reported out of stock\."):
        services.report_out_of_stock(order=order, actor=worker)


def test_reporting_again_finds_this_orders_open_out_of_stock_problem(ticking, sweep, worker):
    late = make_order(paid_at=NOW - 60 * HOUR)  # past its ship-by time: the sweep opens a late-shipment problem
    sweep()
    other = make_order(paid_at=NOW - 2 * HOUR)
    services.report_out_of_stock(order=other, actor=worker)
    first = services.report_out_of_stock(order=late, actor=worker)
    Problem.objects.filter(case=first).update(cleared_at=NOW)  # it cleared once; the case is still open
    services.report_out_of_stock(order=late, actor=worker)

    again = services.report_out_of_stock(order=late, actor=worker)

    assert again == first and again.kind == CaseKind.OUT_OF_STOCK
    assert Problem.objects.filter(order=late).exclude(kind=CaseKind.OUT_OF_STOCK).exists()
    assert Problem.objects.filter(order=late, kind=CaseKind.OUT_OF_STOCK).count() == 2


# --- tracking by hand (L4) -------------------------------------------------------------------------------------------


@pytest.fixture
def stalled_case(clock, sweep):
    order = make_order(paid_at=NOW - 200 * HOUR, shipped_at=NOW - 190 * HOUR, tracking_events=1)
    sweep()
    return Problem.objects.get(order=order).case


def track(case, actor, *, at, state="in_transit", place="深圳市", description="网点称已中转"):
    return services.record_tracking_update(
        case=case, actor=actor, at=at, state=state, place=place, description=description
    )


def test_a_tracking_update_is_on_the_timeline_and_returned(stalled_case, worker):
    at = NOW - 30 * MINUTE

    event = track(stalled_case, worker, at=at, place=" 深圳市 ", description=" 网点称已中转 ")

    shipment = stalled_case.order.shipments.get()
    assert event.shipment == shipment and event.at == at and event.state == "in_transit"
    assert event.place == "深圳市" and event.description == "网点称已中转"
    entry = CaseEvent.objects.get(case=stalled_case, target=f"shipment:{shipment.pk}")
    assert entry.actor == worker and entry.type == EventType.CASE_UPDATED and entry.at == NOW
    assert entry.body == "Tracking updated by hand: 11-25 14:30 In transit 深圳市 网点称已中转"
    assert entry.after == {"logistics": "tracking_update", "state": "in_transit", "at": at.isoformat()}
    assert Case.objects.get(pk=stalled_case.pk).updated_at == NOW


def test_the_tracking_event_returned_is_the_one_just_recorded(stalled_case, worker):
    earlier = track(stalled_case, worker, at=NOW - 2 * HOUR)
    later = track(stalled_case, worker, at=NOW - HOUR)
    same_time = track(stalled_case, worker, at=NOW - HOUR, state="out_for_delivery")

    assert (earlier.at, earlier.state) == (NOW - 2 * HOUR, "in_transit")
    assert (later.at, later.state) == (NOW - HOUR, "in_transit")
    assert (same_time.at, same_time.state) == (NOW - HOUR, "out_for_delivery")


def test_the_tracking_event_returned_is_this_parcels_at_that_time(stalled_case, worker):
    other = make_order(paid_at=NOW - 200 * HOUR, shipped_at=NOW - 190 * HOUR).shipments.get()
    services.apply_tracking_events(shipment=other, events=[step(NOW - HOUR)])
    parcel = stalled_case.order.shipments.get()

    same_as_the_other = track(stalled_case, worker, at=NOW - HOUR)
    older = track(stalled_case, worker, at=NOW - 3 * HOUR)

    assert same_as_the_other.shipment == parcel and same_as_the_other.at == NOW - HOUR
    assert older.shipment == parcel and older.at == NOW - 3 * HOUR


def test_a_tracking_update_may_be_up_to_five_minutes_ahead(stalled_case, worker, clock):
    track(stalled_case, worker, at=NOW + 5 * MINUTE)
    with refused(r"A tracking event cannot be in the future\."):
        track(stalled_case, worker, at=NOW + 5 * MINUTE + dt.timedelta(seconds=1), state="delivered")
    track(stalled_case, worker, at=NOW - MINUTE, state="delivered")


def test_a_tracking_update_may_be_up_to_a_day_before_shipping(stalled_case, worker):
    shipped_at = stalled_case.order.shipments.get().shipped_at
    track(stalled_case, worker, at=shipped_at - dt.timedelta(days=1))
    with refused(r"A tracking event cannot be before the parcel was shipped\."):
        track(stalled_case, worker, at=shipped_at - dt.timedelta(days=1, seconds=1))


def test_a_tracking_update_is_refused_by_its_message(stalled_case, worker):
    unshipped = services.report_out_of_stock(order=make_order(paid_at=NOW - 2 * HOUR), actor=worker)
    with refused(r"This order has no parcel to update\."):
        track(unshipped, worker, at=NOW - HOUR)
    with refused(r"Choose a parcel state\."):
        track(stalled_case, worker, at=NOW - HOUR, state="lost")
    with refused(r"Describe the tracking event\."):
        track(stalled_case, worker, at=NOW - HOUR, description="  ")
    track(stalled_case, worker, at=NOW - HOUR)
    with refused(r"This parcel already has an event with that time and state\."):
        track(stalled_case, worker, at=NOW - HOUR, description="again")


# --- the courier (L5) -----------------------------------------------------------------------------------------------


def test_a_courier_contact_with_a_next_check_is_recorded_and_becomes_the_deadline(stalled_case, worker):
    check = NOW + 6 * HOUR
    shipment = stalled_case.order.shipments.get()

    record = services.contact_courier(
        case=stalled_case, actor=worker, contact=" 95311 客服 ", result=" 已催件 ", next_check_at=check
    )

    assert record.case == stalled_case and record.shipment == shipment and record.courier == shipment.courier
    assert record.channel == "phone" and record.contact == "95311 客服" and record.result == "已催件"
    assert record.next_check_at == check and record.actor == worker and record.at == NOW
    event = CaseEvent.objects.get(case=stalled_case, target=f"courier_contact:{record.pk}")
    assert event.actor == worker and event.type == EventType.CASE_UPDATED and event.at == NOW
    assert (
        event.body
        == f"Courier contacted: {shipment.courier.name}, 95311 客服 (Phone) — 已催件 · check again 11-25 21:00"
    )
    assert event.after == {
        "logistics": "courier_contacted",
        "courier": shipment.courier.code,
        "contact": "95311 客服",
        "next_check_at": check.isoformat(),
    }
    case = Case.objects.get(pk=stalled_case.pk)
    assert case.resolve_due == check and case.due_at == check and case.updated_at == NOW
    assert case.status == Status.IN_PROGRESS
    started = CaseEvent.objects.get(case=stalled_case, type=EventType.CASE_STATUS)
    assert started.actor == worker and started.after == {"status": Status.IN_PROGRESS}


def test_a_courier_contact_without_a_next_check_keeps_the_deadline(stalled_case, worker, clock):
    due = stalled_case.resolve_due
    clock.move_to(NOW + MINUTE)

    record = services.contact_courier(
        case=stalled_case, actor=worker, contact="网点" * 50, result="催" * 600, channel="outlet"
    )

    assert record.channel == "outlet" and record.contact == "网点" * 40 and record.result == "催" * 500
    event = CaseEvent.objects.get(case=stalled_case, target=f"courier_contact:{record.pk}")
    assert event.body.endswith("(Local outlet) — " + "催" * 500) and event.after["next_check_at"] is None
    case = Case.objects.get(pk=stalled_case.pk)
    assert case.resolve_due == due and case.updated_at == NOW + MINUTE


def test_a_courier_contact_is_one_moment_on_the_record_the_timeline_and_the_case(ticking, sweep, worker):
    order = make_order(paid_at=NOW - 200 * HOUR, shipped_at=NOW - 190 * HOUR, tracking_events=1)
    sweep()
    case = Problem.objects.get(order=order).case
    casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=worker)

    record = services.contact_courier(case=case, actor=worker, contact="网点", result="催件")

    event = CaseEvent.objects.get(case=case, target=f"courier_contact:{record.pk}")
    assert CourierContact.objects.get(pk=record.pk).at == record.at == event.at
    assert Case.objects.get(pk=case.pk).updated_at == record.at


def test_a_tracking_update_is_one_moment_on_the_timeline_and_the_case(ticking, sweep, worker):
    order = make_order(paid_at=NOW - 200 * HOUR, shipped_at=NOW - 190 * HOUR, tracking_events=1)
    sweep()
    case = Problem.objects.get(order=order).case

    track(case, worker, at=NOW - HOUR)

    entry = CaseEvent.objects.get(case=case, target=f"shipment:{order.shipments.get().pk}")
    assert Case.objects.get(pk=case.pk).updated_at == entry.at


def test_a_courier_contact_is_refused_by_its_message(stalled_case, worker):
    with refused(r"Say who you contacted and what came of it\."):
        services.contact_courier(case=stalled_case, actor=worker, contact="网点", result=" ")
    with refused(r"The next check must be in the future\."):
        services.contact_courier(case=stalled_case, actor=worker, contact="网点", result="催件", next_check_at=NOW)
    unshipped = services.report_out_of_stock(order=make_order(paid_at=NOW - 2 * HOUR), actor=worker)
    with refused(r"This order has no parcel; choose the courier\."):
        services.contact_courier(case=unshipped, actor=worker, contact="网点", result="催件")
    assert not CourierContact.objects.exists()


def test_a_courier_chosen_by_hand_is_contacted_for_an_order_without_a_parcel(stalled_case, worker):
    unshipped = services.report_out_of_stock(order=make_order(paid_at=NOW - 2 * HOUR), actor=worker)
    courier = stalled_case.order.shipments.get().courier

    record = services.contact_courier(case=unshipped, actor=worker, contact="网点", result="催件", courier=courier)

    assert record.courier == courier and record.shipment is None


def test_an_after_sales_case_is_not_the_logistics_desks(db, worker):
    case = CaseFactory()
    with refused(r"This is not a logistics case\."):
        services.contact_courier(case=case, actor=worker, contact="网点", result="催件")
    with refused(r"This is not a logistics case\."):
        services.close_case(case=case, actor=worker, note="重复")


def test_a_closed_case_takes_no_more_actions(stalled_case, worker):
    services.close_case(case=stalled_case, actor=worker, note="重复")
    with refused(r"This case is already resolved or closed\. Reopen it first\."):
        services.contact_courier(case=stalled_case, actor=worker, contact="网点", result="催件")


# --- ending ----------------------------------------------------------------------------------------------------------


def test_closing_an_open_case_needs_a_reason_and_records_it(stalled_case, worker):
    with refused(r"Say why you close a case that was not resolved\."):
        services.close_case(case=stalled_case, actor=worker, note=" ")

    services.close_case(case=stalled_case, actor=worker, note="客户已取消订单")

    closing = CaseEvent.objects.filter(case=stalled_case, type=EventType.CASE_STATUS).latest("pk")
    assert closing.actor == worker and closing.body == "客户已取消订单" and closing.after == {"status": Status.CLOSED}


# --- tracking from the provider --------------------------------------------------------------------------------------


def step(at, state="in_transit", place="杭州市", description="已发出"):
    return TrackEvent(at=at, state=state, place=place, description=description)


@pytest.fixture
def parcel(clock):
    order = make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 26 * HOUR, tracking_events=1)
    return order.shipments.get()


def test_no_events_add_nothing_and_keep_the_delivery_estimate(parcel):
    estimate = NOW + 24 * HOUR
    assert services.apply_tracking_events(shipment=parcel, events=[], estimated_delivery=estimate) == 0
    assert parcel.estimated_delivery_at == estimate
    assert Shipment.objects.get(pk=parcel.pk).estimated_delivery_at == estimate

    assert services.apply_tracking_events(shipment=parcel, events=[step(NOW - HOUR)]) == 1
    assert Shipment.objects.get(pk=parcel.pk).estimated_delivery_at == estimate


def test_a_long_place_and_description_are_cut_to_their_columns(parcel):
    services.apply_tracking_events(shipment=parcel, events=[step(NOW - HOUR, place="市" * 81, description="件" * 201)])

    stored = TrackingEvent.objects.get(shipment=parcel, at=NOW - HOUR)
    assert stored.place == "市" * 80 and stored.description == "件" * 200


def test_an_event_at_the_same_time_as_the_last_one_moves_the_parcel(parcel):
    last = parcel.last_event_at

    services.apply_tracking_events(shipment=parcel, events=[step(last, state="exception", description="异常")])

    parcel = Shipment.objects.get(pk=parcel.pk)
    assert parcel.state == "exception" and parcel.last_event_at == last


# --- the customer's choice -------------------------------------------------------------------------------------------


def test_the_choice_is_refused_by_its_message(stock_case, worker, monkeypatch):
    with refused(r"Choose wait or refund\."):
        services.record_offer_choice(case=stock_case, actor=worker, choice="pending")
    with refused(r"There is no offer waiting for an answer; make the offer first\."):
        services.record_offer_choice(case=stock_case, actor=worker, choice="wait")
    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    monkeypatch.setattr(services, "pending_offer", lambda case: offer)  # read before a colleague's answer
    OutOfStockOffer.objects.filter(pk=offer.pk).update(choice=OutOfStockOffer.Choice.REFUND)
    with refused(r"Someone recorded the customer's choice just now\. Reload the case\."):
        services.record_offer_choice(case=stock_case, actor=worker, choice="wait")
    assert Case.objects.get(pk=stock_case.pk).status == Status.WAITING


def test_the_choice_brings_the_waiting_case_back_to_work_by_the_agent(stock_case, worker):
    services.offer_out_of_stock_choice(case=stock_case, actor=worker)

    services.record_offer_choice(case=stock_case, actor=worker, choice="wait")

    back = CaseEvent.objects.filter(case=stock_case, type=EventType.CASE_STATUS).order_by("pk").last()
    assert back.actor == worker and back.before == {"status": Status.WAITING}
    assert back.after == {"status": Status.IN_PROGRESS}


def test_the_choice_answers_this_cases_pending_offer_only(stock_case, sweep, worker, clock):
    other_order = make_order(paid_at=NOW - 3 * HOUR, skus=[SkuFactory(stock=0, price_fen=2990)])
    sweep()
    other_case = Problem.objects.get(order=other_order).case
    first = services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    services.record_offer_choice(case=stock_case, actor=worker, choice="wait")
    second = services.offer_out_of_stock_choice(case=stock_case, actor=worker)  # the wait ran out: asked again
    clock.move_to(NOW + MINUTE)
    other = services.offer_out_of_stock_choice(case=other_case, actor=worker)  # the latest offer of all

    assert services.pending_offer(stock_case) == second
    assert services.record_offer_choice(case=stock_case, actor=worker, choice="refund") == second

    assert OutOfStockOffer.objects.get(pk=first.pk).choice == "wait"
    assert OutOfStockOffer.objects.get(pk=second.pk).choice == "refund"
    assert OutOfStockOffer.objects.get(pk=other.pk).choice == OutOfStockOffer.Choice.PENDING
    assert services.pending_offer(stock_case) is None
    with refused(r"There is no offer waiting for an answer; make the offer first\."):
        services.record_offer_choice(case=stock_case, actor=worker, choice="wait")


def test_a_refund_choice_records_no_wait_day(stock_case, worker):
    offer = services.offer_out_of_stock_choice(case=stock_case, actor=worker)
    services.record_offer_choice(case=stock_case, actor=worker, choice="refund")
    offer = OutOfStockOffer.objects.get(pk=offer.pk)
    assert offer.choice == "refund" and offer.wait_until is None and offer.chosen_by == worker


def test_the_coupon_promised_is_the_first_active_out_of_stock_campaigns(db):
    campaign = Campaign.objects.get(trigger=Trigger.OUT_OF_STOCK_WAIT)
    later = Campaign.objects.create(
        key="l3-second",
        name="第二个",
        trigger=Trigger.OUT_OF_STOCK_WAIT,
        coupon_value_fen=900,
        template=campaign.template,
    )
    assert services.wait_coupon_fen() == campaign.coupon_value_fen == 500
    Campaign.objects.filter(pk=campaign.pk).update(active=False)
    assert services.wait_coupon_fen() == later.coupon_value_fen == 900


# --- resolving -------------------------------------------------------------------------------------------------------


def test_resolving_records_how_and_when_the_case_was_handled(stalled_case, worker):
    services.resolve_case(case=stalled_case, actor=worker, outcome=services.Outcome.COURIER_CHASED, note="已派送")

    case = Case.objects.get(pk=stalled_case.pk)
    assert case.resolution == "courier_chased" and case.resolved_amount_fen == 0 and case.handled_at == NOW
    resolved = CaseEvent.objects.filter(case=stalled_case, type=EventType.CASE_STATUS).latest("pk")
    assert resolved.actor == worker and resolved.body == "已派送" and resolved.after == {"status": Status.RESOLVED}


def test_resolving_keeps_an_earlier_handling_time_and_adds_the_amount(stalled_case, worker):
    earlier = NOW - HOUR
    Case.objects.filter(pk=stalled_case.pk).update(handled_at=earlier, resolved_amount_fen=100)
    case = Case.objects.get(pk=stalled_case.pk)

    services.resolve_case(case=case, actor=worker, outcome=services.Outcome.OTHER, amount_fen=250)

    case = Case.objects.get(pk=stalled_case.pk)
    assert case.handled_at == earlier and case.resolved_amount_fen == 350 and case.resolution == "other"
    resolved = CaseEvent.objects.filter(case=stalled_case, type=EventType.CASE_STATUS).latest("pk")
    assert resolved.body == ""


def test_resolving_needs_a_known_outcome(stalled_case, worker):
    with refused(r"Choose how the problem was solved\."):
        services.resolve_case(case=stalled_case, actor=worker, outcome="cleared")


# --- parcels and problems --------------------------------------------------------------------------------------------


def test_the_latest_parcel_is_the_last_shipped_then_the_last_added(stalled_case, django_assert_num_queries):
    order = stalled_case.order
    first = order.shipments.get()
    assert services.latest_shipment(None) is None
    assert services.latest_shipment(order) == first
    later = Shipment.objects.create(
        order=order, courier=first.courier, tracking_no="2", shipped_at=first.shipped_at + HOUR
    )
    same_time = Shipment.objects.create(
        order=order, courier=first.courier, tracking_no="3", shipped_at=later.shipped_at
    )
    Shipment.objects.create(order=order, courier=first.courier, tracking_no="4", shipped_at=first.shipped_at - HOUR)

    latest = services.latest_shipment(order)

    assert latest == same_time
    with django_assert_num_queries(0):  # the courier comes with it
        assert latest.courier.code == "zto"


def test_a_cases_problems_are_listed_oldest_first_with_their_parcels(stalled_case, django_assert_num_queries):
    first_stored = Problem.objects.get(case=stalled_case)
    Problem.objects.filter(pk=first_stored.pk).update(detected_at=NOW + HOUR)
    detected_earlier = Problem.objects.create(
        order=stalled_case.order, kind=CaseKind.NO_TRACKING_UPDATE, detected_at=NOW, case=stalled_case
    )

    problems = services.problems_of(stalled_case)

    assert [p.pk for p in problems] == [detected_earlier.pk, first_stored.pk]
    with django_assert_num_queries(0):  # the case page shows each problem's parcel and courier
        assert problems[1].shipment.courier.code == "zto"
