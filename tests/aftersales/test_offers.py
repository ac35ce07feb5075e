"""The guide's after-sales facts: who pays the return shipping (recorded and told), the small-defect choice (A2) with
the customer's answer recorded, and the reship's new tracking number sent to the customer."""

import pytest

from aftersales import offers, services
from aftersales.models import DefectOffer
from backoffice.errors import DomainError
from backoffice.models import CaseEvent, CaseKind, Courier, EventType, OutboundMessage, Reason, Shipment, Status
from backoffice.payouts.models import Payout


def return_case(order, reason):
    return services.open_application(kind=CaseKind.RETURN, order=order, reason=reason, amount_fen=order.paid_fen)


def test_a_quality_return_is_shipped_back_at_the_stores_cost_and_the_message_says_so(order, agent):
    case = return_case(order, Reason.QUALITY)

    services.approve_return(case=case, actor=agent)

    case.refresh_from_db()
    assert case.return_shipping_paid_by == "store"
    body = OutboundMessage.objects.get(case=case, template_key="return_approved").body
    assert "运费由我们承担" in body


def test_a_size_return_is_shipped_back_at_the_customers_cost_and_the_message_says_so(order, agent):
    case = return_case(order, Reason.SIZE)

    services.approve_return(case=case, actor=agent)

    case.refresh_from_db()
    assert case.return_shipping_paid_by == "customer"
    body = OutboundMessage.objects.get(case=case, template_key="return_approved").body
    assert "运费需由您承担" in body
    event = CaseEvent.objects.get(case=case, type=EventType.CASE_UPDATED, after__return_shipping_paid_by="customer")
    assert event.actor == agent


def test_for_another_reason_the_store_pays_unless_the_agent_decides_otherwise(order, agent, make_order):
    case = return_case(order, Reason.OTHER)
    services.approve_return(case=case, actor=agent)
    case.refresh_from_db()
    assert case.return_shipping_paid_by == "store"

    other = return_case(make_order(), Reason.QUALITY)
    services.approve_return(case=other, actor=agent, shipping_paid_by="customer")
    other.refresh_from_db()
    assert other.return_shipping_paid_by == "customer"


def test_an_unknown_payer_is_refused(order, agent):
    case = return_case(order, Reason.SIZE)
    with pytest.raises(DomainError):
        services.approve_return(case=case, actor=agent, shipping_paid_by="courier")
    case.refresh_from_db()
    assert case.handled_at is None and not OutboundMessage.objects.filter(case=case, template_key="return_approved")


def defect_case(order):
    return services.open_application(
        kind=CaseKind.COMPENSATION, order=order, reason=Reason.QUALITY, subject="线头有点多"
    )


def test_the_small_defect_choice_is_offered_to_the_customer(order, agent):
    case = defect_case(order)

    offer = offers.offer_small_defect_choice(case=case, actor=agent)

    assert (offer.choice, offer.compensation_fen, offer.offered_by) == ("pending", 500, agent)
    body = OutboundMessage.objects.get(case=case, template_key="small_defect_offer").body
    assert "¥5.00" in body and "补发" in body and "无需退回" in body
    assert case.status == Status.WAITING
    assert CaseEvent.objects.filter(case=case, type=EventType.DEFECT_OFFERED, actor=agent).exists()


def test_the_customer_choosing_compensation_is_recorded_and_paid(order, agent):
    case = defect_case(order)
    offers.offer_small_defect_choice(case=case, actor=agent)

    offer = offers.record_defect_choice(case=case, actor=agent, choice="compensation")

    offer.refresh_from_db()
    assert (offer.choice, offer.chosen_by) == ("compensation", agent) and offer.chosen_at is not None
    assert case.resolution == "compensated"
    assert Payout.objects.get(case=case).amount_fen == 500
    assert CaseEvent.objects.get(case=case, type=EventType.DEFECT_CHOSEN).after == {"choice": "compensation"}


def test_the_customer_choosing_a_reship_is_recorded_and_arranged(order, agent):
    case = defect_case(order)
    offers.offer_small_defect_choice(case=case, actor=agent)

    offers.record_defect_choice(case=case, actor=agent, choice="reship")

    assert DefectOffer.objects.get(case=case).choice == "reship"
    assert case.resolution == "reshipped" and not Payout.objects.filter(case=case).exists()


def test_a_choice_without_an_offer_is_refused(order, agent):
    case = defect_case(order)
    with pytest.raises(DomainError):
        offers.record_defect_choice(case=case, actor=agent, choice="reship")


def test_the_reships_tracking_number_is_sent_to_the_customer(order, agent):
    case = services.open_application(kind=CaseKind.RESHIP, order=order, reason=Reason.WRONG_ITEM)
    services.reship(case=case, actor=agent)
    courier = Courier.objects.create(code="yto", name="圆通速递")

    shipment = offers.send_reship_tracking(case=case, actor=agent, courier=courier, tracking_no="YT7788990011")

    assert Shipment.objects.filter(order=order).count() == 2 and shipment.tracking_no == "YT7788990011"
    body = OutboundMessage.objects.get(case=case, template_key="reship_shipped").body
    assert "圆通速递" in body and "YT7788990011" in body
    assert CaseEvent.objects.filter(case=case, type=EventType.RESHIP_SHIPPED, actor=agent).exists()


def test_no_tracking_number_for_a_case_that_was_not_reshipped(order, agent):
    case = return_case(order, Reason.SIZE)
    courier = Courier.objects.create(code="yto", name="圆通速递")
    with pytest.raises(DomainError):
        offers.send_reship_tracking(case=case, actor=agent, courier=courier, tracking_no="YT1")
