"""The logistics desk's actions at their edges: each refusal by its exact message, what each action leaves on the case,
the parcel and the timeline, and the out-of-stock refund down to the after-sales case it opens.

Mutation testing of logistics/services.py (`make mutate MUTANTS='logistics.services.*'`) showed these untested.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from aftersales.models import Payout
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, CaseKind, EventType, Reason, Status
from logistics import services
from logistics.models import OutOfStockOffer, Problem
from tests.factories import AgentFactory, SkuFactory, make_order

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


# --- ending ----------------------------------------------------------------------------------------------------------


def test_closing_an_open_case_needs_a_reason_and_records_it(stalled_case, worker):
    with refused(r"Say why you close a case that was not resolved\."):
        services.close_case(case=stalled_case, actor=worker, note=" ")

    services.close_case(case=stalled_case, actor=worker, note="客户已取消订单")

    closing = CaseEvent.objects.filter(case=stalled_case, type=EventType.CASE_STATUS).latest("pk")
    assert closing.actor == worker and closing.body == "客户已取消订单" and closing.after == {"status": Status.CLOSED}
