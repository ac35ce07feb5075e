"""After-sales resolutions and automation (A2, A3, A5, A8, A10) and their customer messages."""

import pytest
import time_machine

from aftersales import services
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, CaseKind, EventType, OutboundMessage, Status
from backoffice.payouts.models import Payout
from tests.factories import shanghai


@pytest.fixture(autouse=True)
def _applications_arrive_at_night():
    """These message lists are the resolutions' own: applications arriving out of hours get no A4 promise."""
    with time_machine.travel(shanghai(2026, 11, 24, 2, 0), tick=True):
        yield


def templates_sent(case) -> list[str]:
    return list(OutboundMessage.objects.filter(case=case).order_by("pk").values_list("template_key", flat=True))


def test_refund_just_under_threshold_is_auto_approved_by_the_system(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1999)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.resolution == "refunded"
    approval = CaseEvent.objects.get(case=case, type=EventType.REFUND_APPROVED)
    assert approval.actor is None
    assert Payout.objects.get(case=case).amount_fen == 1999


def test_refund_at_threshold_waits_for_an_agent(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=2000)
    case.refresh_from_db()
    assert case.status == Status.NEW
    assert not Payout.objects.filter(case=case).exists()


def test_threshold_comes_from_the_store_settings(order, store):
    store.auto_refund_threshold_fen = 5000
    store.save()
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=4999)
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED


def test_small_defect_without_return_gets_compensation_without_review(order):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, small_defect=True)
    case.refresh_from_db()
    assert case.resolution == "compensated" and case.resolved_amount_fen == 500
    assert templates_sent(case) == ["compensation_paid"]


def test_fast_refund_sends_notice_then_apology_once_the_refund_arrived(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    assert templates_sent(case) == ["refund_approved"]
    services.confirm_payout(payout=Payout.objects.get(case=case), succeeded=True)
    assert templates_sent(case) == ["refund_approved", "refund_apology"]
    notice = OutboundMessage.objects.get(case=case, template_key="refund_approved")
    assert "¥59.90" in notice.body and order.number in notice.body
    assert case.handled_at is not None


def test_full_refund_marks_the_order_refunded(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    order.refresh_from_db()
    assert order.status == order.Status.REFUNDED


@pytest.mark.parametrize("amount", [5991, 0])
def test_refund_amount_must_be_positive_and_within_what_was_paid(order, agent, amount):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    with pytest.raises(DomainError):
        services.approve_refund(case=case, actor=agent, amount_fen=amount)
    assert not Payout.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).status == Status.NEW


def test_second_payout_cannot_exceed_what_is_left(order, agent):
    first = services.open_application(kind=CaseKind.COMPENSATION, order=order)
    services.compensate(case=first, actor=agent, amount_fen=5000)
    second = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=3000)
    with pytest.raises(DomainError, match="990|9.90"):
        services.approve_refund(case=second, actor=agent)


def test_application_above_what_was_paid_is_refused(order):
    with pytest.raises(DomainError):
        services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=6000)


def test_reject_needs_a_reason_and_tells_the_customer(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    with pytest.raises(DomainError):
        services.reject_application(case=case, actor=agent, reason="  ")
    services.reject_application(case=case, actor=agent, reason="商品已使用，影响二次销售")
    message = OutboundMessage.objects.get(case=case, template_key="application_rejected")
    assert "商品已使用" in message.body
    assert case.resolution == "rejected"


def test_return_approval_sends_address_and_waits_for_the_parcel(order, agent, store):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    services.approve_return(case=case, actor=agent)
    case.refresh_from_db()
    assert case.status == Status.WAITING and case.resolve_due is None
    message = OutboundMessage.objects.get(case=case, template_key="return_approved")
    assert store.return_address in message.body and "快递单号" in message.body
    services.mark_return_received(case=case, actor=agent)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.resolution == "returned_refunded"
    assert templates_sent(case) == ["return_approved", "return_received"]


def test_return_cannot_be_received_before_approval(order, agent):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    with pytest.raises(DomainError):
        services.mark_return_received(case=case, actor=agent)


def test_reship_and_exchange_resolve_with_their_messages(make_order, agent):
    reship_case = services.open_application(kind=CaseKind.RESHIP, order=make_order())
    services.reship(case=reship_case, actor=agent, note="补寄 1 件")
    exchange_case = services.open_application(kind=CaseKind.EXCHANGE, order=make_order())
    services.approve_return(case=exchange_case, actor=agent)
    services.mark_return_received(case=exchange_case, actor=agent)
    assert reship_case.resolution == "reshipped" and templates_sent(reship_case) == ["reship_arranged"]
    assert exchange_case.resolution == "exchanged"
    assert "exchange_arranged" in templates_sent(exchange_case)


def test_closing_an_unresolved_case_needs_a_reason(order, agent):
    case = services.open_application(kind=CaseKind.INQUIRY, order=order)
    with pytest.raises(DomainError):
        services.close_case(case=case, actor=agent)
    services.close_case(case=case, actor=agent, note="重复工单")
    assert case.status == Status.CLOSED


def test_resolved_case_cannot_be_refunded_again(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000)
    with pytest.raises(DomainError):
        services.approve_refund(case=case, actor=agent)


def test_review_outcome_is_tracked(order, agent):
    case = services.open_application(kind=CaseKind.REVIEW, order=order)
    services.record_review_outcome(case=case, actor=agent, revised=True)
    assert Case.objects.get(pk=case.pk).review_revised is True
    event = CaseEvent.objects.get(case=case, type=EventType.REVIEW_TRACKED)
    assert event.before == {"review_revised": None} and event.after == {"review_revised": True}


def test_disabled_template_sends_nothing_but_the_refund_still_happens(order, agent):
    from backoffice.models import MessageTemplate

    MessageTemplate.objects.filter(key="refund_apology").update(active=False)
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    assert templates_sent(case) == ["refund_approved"]
