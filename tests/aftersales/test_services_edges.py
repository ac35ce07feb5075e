"""The after-sales rules at their edges: each refusal by its exact message, amounts at the boundaries, the timeline
notes the system writes, and what a resolution leaves on the case.

Mutation testing of aftersales/services.py (`make mutate MUTANTS='aftersales.services.*'`) showed these untested. The
survivors left are equivalent to the code:
- x_close_settled_cases__mutmut_7, _9 (settled_cases' store → None / dropped): settled_cases then loads the same
  one-row store settings itself.
- x_close_settled_cases__mutmut_17 (actor=None dropped): None is transition_case's default actor.
- x_promise_handling__mutmut_10 (Calendar.for_store(None)): for_store then reads the same store settings itself.
- x__qualifies_for_auto_refund__mutmut_4 (0 < amount → 0 <=): an amount of 0 makes an automatic refund of 0, which
  approves nothing either way (test_a_refund_application_without_an_amount_waits_for_an_agent).
- x_confirm_payout__mutmut_51 (_apologise's payout → None): _apologise does not read the payout.
- x_open_application__mutmut_9, _24, _38, _42, _46, _48, _50, _52, _54 (the store settings not read first, or not
  passed on): open_case, record_customer_message, apply_automation and promise_handling each load the same one-row
  store settings themselves.
- x_apply_automation__mutmut_38, _42 (approve_refund's amount_fen → None / dropped): it is the case's amount, which
  approve_refund defaults to.
- x__apologise__mutmut_37, _38, _40, _41 (case_variables' customer or store → None / dropped): case_variables then
  takes the case's own customer and loads the same one-row store settings.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from aftersales import services
from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import (
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    Customer,
    Desk,
    EventType,
    FollowUp,
    MessageTemplate,
    Order,
    OutboundMessage,
    Priority,
    Reason,
    ResponseWait,
    Status,
)
from backoffice.payouts.models import Payout
from tests.factories import CaseFactory, shanghai


@pytest.fixture(autouse=True)
def _english_at_night():
    """Refusals read in English; applications arrive out of hours, so no A4 promise joins the messages."""
    with translation.override("en"), time_machine.travel(shanghai(2026, 11, 24, 2, 0), tick=True):
        yield


def refused(message: str):
    return pytest.raises(DomainError, match=f"^{message}$")


def status_notes(case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).order_by("pk").values_list("body", flat=True)
    )


# --- amounts ---------------------------------------------------------------------------------------------------------


def test_a_zero_amount_is_refused_by_its_message(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    with refused(r"The amount must be more than ¥0\.00\."):
        services.approve_refund(case=case, actor=agent, amount_fen=0)


def test_one_fen_can_be_refunded(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent, amount_fen=1)
    assert Payout.objects.get(case=case).amount_fen == 1
    assert Case.objects.get(pk=case.pk).resolved_amount_fen == 1
    assert services.refundable_fen(order) == 5989


def test_more_than_is_refundable_is_refused_with_both_amounts(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    with refused(r"The amount ¥59\.91 is more than the ¥59\.90 still refundable on this order\."):
        services.approve_refund(case=case, actor=agent, amount_fen=5991)


def test_a_case_without_an_order_pays_nothing_out(db, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=None, amount_fen=1000)
    with refused(r"This case has no order, so no money can be paid out\."):
        services.approve_refund(case=case, actor=agent)
    assert not Payout.objects.exists()


def test_what_is_refundable_counts_every_payout_and_never_goes_below_zero(order, agent):
    first = services.open_application(kind=CaseKind.COMPENSATION, order=order)
    services.compensate(case=first, actor=agent, amount_fen=990)
    assert services.refundable_fen(order) == 5000
    Payout.objects.create(case=first, order=order, kind=Payout.Kind.REFUND, amount_fen=6000)
    assert services.refundable_fen(order) == 0


# --- refusals --------------------------------------------------------------------------------------------------------


def test_only_refund_and_return_cases_are_refunded(order, agent):
    case = services.open_application(kind=CaseKind.EXCHANGE, order=order)
    with refused(r"Only refund and return cases can be refunded\."):
        services.approve_refund(case=case, actor=agent, amount_fen=100)


def test_a_resolved_case_is_refused_until_reopened(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000)  # A5 refunds it
    with refused(r"This case is already resolved or closed\. Reopen it first\."):
        services.reship(case=case, actor=agent)


def test_a_rejection_needs_a_reason(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    with refused(r"Give the customer a reason for the rejection\."):
        services.reject_application(case=case, actor=agent, reason=" \n")


def test_only_returns_and_exchanges_have_a_return_approved(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    with refused(r"Only return and exchange cases can have a return approved\."):
        services.approve_return(case=case, actor=agent)


def test_a_return_is_approved_once(order, agent):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    services.approve_return(case=case, actor=agent)
    with refused(r"The return was already approved\."):
        services.approve_return(case=case, actor=agent)


def test_a_return_is_received_only_after_approval(order, agent):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    with refused(r"Approve the return before marking it received\."):
        services.mark_return_received(case=case, actor=agent)


def test_a_reship_needs_its_order(db, agent):
    case = services.open_application(kind=CaseKind.RESHIP, order=None)
    with refused(r"A reship needs the order it replaces\."):
        services.reship(case=case, actor=agent)


def test_closing_an_open_case_needs_a_reason(order, agent):
    case = services.open_application(kind=CaseKind.INQUIRY, order=order)
    with refused(r"Say why you close a case that was not resolved\."):
        services.close_case(case=case, actor=agent, note="  ")
    services.close_case(case=case, actor=agent, note="重复工单")
    closing = CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("pk")
    assert closing.actor == agent and closing.body == "重复工单" and closing.after == {"status": Status.CLOSED}


def test_a_resolved_case_closes_without_a_note(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000)  # A5 refunds it
    services.close_case(case=case, actor=agent)
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_a_reopened_case_carries_the_reason_given_or_none(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000)  # A5 refunds it
    services.reopen_case(case=case, actor=agent, note="客户反馈未到账")
    services.close_case(case=case, actor=agent, note="已核实到账")
    services.reopen_case(case=case, actor=agent)
    assert status_notes(case)[-3:] == ["客户反馈未到账", "已核实到账", ""]
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS


def test_only_review_cases_track_a_revised_review(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    with refused(r"Only review cases track a revised review\."):
        services.record_review_outcome(case=case, actor=agent, revised=True)


def test_a_payout_of_another_case_is_not_marked(order, make_order, agent):
    refunded = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000)
    other = services.open_application(kind=CaseKind.REFUND, order=make_order(), amount_fen=5990)
    payout = Payout.objects.get(case=refunded)
    with refused(r"That payout is not on this case\."):
        services.mark_payout(case=other, payout_id=payout.pk, succeeded=True, actor=agent)
    assert Payout.objects.get(pk=payout.pk).state == Payout.State.REQUESTED


def test_a_payout_is_marked_once(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000)
    payout = Payout.objects.get(case=case)
    assert services.mark_payout(case=case, payout_id=payout.pk, succeeded=False, actor=agent).state == "failed"
    with refused(r"This payout was already confirmed\. Reload the case\."):
        services.mark_payout(case=case, payout_id=payout.pk, succeeded=True, actor=agent)
    assert Payout.objects.get(pk=payout.pk).state == Payout.State.FAILED


def test_an_agent_marks_the_payout_named_not_the_first_on_the_case(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent, amount_fen=1000)  # resolves the case with ¥10.00 requested
    first = Payout.objects.get(case=case)
    second = Payout.objects.create(case=case, order=order, kind=Payout.Kind.REFUND, amount_fen=500)

    assert services.mark_payout(case=case, payout_id=second.pk, succeeded=True, actor=agent) == second
    assert Payout.objects.get(pk=first.pk).state == Payout.State.REQUESTED
    assert Payout.objects.get(pk=second.pk).state == Payout.State.SUCCEEDED


def test_refunds_on_the_way_are_this_cases_requested_refunds_only(order, make_order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent, amount_fen=1000)
    waiting = Payout.objects.get(case=case)
    arrived = Payout.objects.create(case=case, order=order, kind=Payout.Kind.REFUND, amount_fen=100)
    services.confirm_payout(payout=arrived, succeeded=True)
    Payout.objects.create(case=case, order=order, kind=Payout.Kind.COMPENSATION, amount_fen=200)
    elsewhere = services.open_application(kind=CaseKind.REFUND, order=make_order(), amount_fen=1000)
    assert Payout.objects.filter(case=elsewhere, state=Payout.State.REQUESTED).exists()

    assert services.refunds_on_the_way(case) == [waiting]


# --- what the system writes on the timeline --------------------------------------------------------------------------


def test_the_automatic_refund_says_why_on_the_timeline(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1999)
    approval = CaseEvent.objects.get(case=case, type=EventType.REFUND_APPROVED)
    assert approval.body == "A5: under the threshold." and approval.after == {"amount_fen": 1999}


def test_the_small_defect_compensation_says_why_on_the_timeline(order):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, small_defect=True)
    event = CaseEvent.objects.get(case=case, type=EventType.COMPENSATED)
    assert event.body == "A5: small defect, no return wanted." and event.after == {"amount_fen": 500}
    assert Payout.objects.get(case=case).kind == Payout.Kind.COMPENSATION


def test_an_approved_return_waits_for_the_parcel_on_the_timeline(order, agent):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    services.approve_return(case=case, actor=agent)
    assert status_notes(case)[-1] == "Waiting for the returned parcel."
    assert Case.objects.get(pk=case.pk).status == Status.WAITING


def test_a_received_return_refunds_the_amount_given_and_says_it(order, agent):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    services.approve_return(case=case, actor=agent)
    services.mark_return_received(case=case, actor=agent, amount_fen=4000)
    assert Payout.objects.get(case=case).amount_fen == 4000
    message = OutboundMessage.objects.get(case=case, template_key="return_received")
    assert "¥40.00" in message.body and "¥59.90" not in message.body
    assert CaseEvent.objects.filter(case=case, type=EventType.RETURN_RECEIVED, actor=agent).count() == 1
    assert Order.objects.get(pk=order.pk).status != Order.Status.REFUNDED  # ¥19.90 is still refundable


# --- A9: settled cases close by themselves ---------------------------------------------------------------------------

QUIET = dt.timedelta(hours=48)  # the store's settled_close_hours


def resolved_case(*, logistics: bool = False, **fields) -> Case:
    """A resolved case with no payout, resolved and last touched two days and a minute ago unless told otherwise."""
    long_ago = timezone.now() - QUIET - dt.timedelta(minutes=1)
    fields = {"resolved_at": long_ago, "updated_at": long_ago, **fields}
    case = CaseFactory(status=Status.RESOLVED, logistics=logistics, **fields)
    Case.objects.filter(pk=case.pk).update(**fields)  # the factory's own save sets updated_at
    return Case.objects.get(pk=case.pk)


def test_only_after_sales_cases_resolved_and_untouched_for_the_quiet_period_are_settled(db):
    now = timezone.now()
    settled = resolved_case()
    at_the_edge = resolved_case(resolved_at=now - QUIET, updated_at=now - QUIET)
    resolved_lately = resolved_case(resolved_at=now - QUIET + dt.timedelta(seconds=1))
    touched_lately = resolved_case(updated_at=now - QUIET + dt.timedelta(seconds=1))
    logistics = resolved_case(logistics=True)

    found = set(services.settled_cases(now=now))

    assert settled in found and at_the_edge in found
    assert not found & {resolved_lately, touched_lately, logistics}
    assert logistics.desk == Desk.LOGISTICS


def test_a_settled_case_closes_with_a_note_saying_why(db):
    case = resolved_case()

    assert services.close_settled_cases() == 1

    closing = CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("pk")
    assert closing.actor is None and closing.after == {"status": Status.CLOSED}
    assert closing.body == "Settled and quiet for 48 hours: closed automatically."


def test_a_case_someone_moved_meanwhile_is_skipped_and_the_rest_still_close(db, monkeypatch):
    first = resolved_case(resolved_at=timezone.now() - QUIET - dt.timedelta(hours=2))
    second = resolved_case()
    real = casework.transition_case

    def rival_reopens_the_first(*, case, **kwargs):
        if case.pk == first.pk:
            Case.objects.filter(pk=first.pk).update(status=Status.IN_PROGRESS)
        return real(case=case, **kwargs)

    monkeypatch.setattr(services.casework, "transition_case", rival_reopens_the_first)

    assert services.close_settled_cases() == 1
    assert Case.objects.get(pk=first.pk).status == Status.IN_PROGRESS
    assert Case.objects.get(pk=second.pk).status == Status.CLOSED


def test_one_run_closes_at_most_500_settled_cases(db):
    long_ago = timezone.now() - QUIET - dt.timedelta(minutes=1)
    template = resolved_case()
    Case.objects.bulk_create(
        Case(
            number=f"AS-20261120-{9000 + n}",
            desk=Desk.AFTERSALES,
            kind=CaseKind.REFUND,
            status=Status.RESOLVED,
            customer_id=template.customer_id,
            order_id=template.order_id,
            created_at=long_ago,
            resolved_at=long_ago,
            updated_at=long_ago,
        )
        for n in range(500)
    )

    assert services.close_settled_cases() == 500
    assert Case.objects.filter(status=Status.RESOLVED).count() == 1


# --- the resolution buttons ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "handled", "buttons"),
    [
        (CaseKind.REFUND, False, ["approve_refund", "compensate", "reship", "reject"]),
        (CaseKind.RETURN, False, ["approve_return", "compensate", "reship", "reject"]),
        (CaseKind.RETURN, True, ["return_received", "compensate", "reship", "reject"]),
        (CaseKind.EXCHANGE, False, ["approve_return", "exchange", "reject"]),
        (CaseKind.EXCHANGE, True, ["return_received", "reject"]),
        (CaseKind.COMPENSATION, False, ["compensate", "reship", "reject"]),
        (CaseKind.RESHIP, False, ["compensate", "reship", "reject"]),
        (CaseKind.REVIEW, False, ["compensate", "reship"]),
        (CaseKind.INQUIRY, False, []),
    ],
)
def test_each_kind_offers_its_resolutions(kind, handled, buttons):
    case = Case(kind=kind, status=Status.IN_PROGRESS, handled_at=timezone.now() if handled else None)
    assert services.available_resolutions(case) == buttons


def test_a_resolved_case_offers_no_resolution():
    assert services.available_resolutions(Case(kind=CaseKind.REFUND, status=Status.RESOLVED)) == []


# --- applications ----------------------------------------------------------------------------------------------------


def test_an_application_keeps_everything_it_was_opened_with(order, agent):
    opened = timezone.now() - dt.timedelta(hours=2)

    case = services.open_application(
        kind=CaseKind.RETURN,
        order=order,
        customer=order.customer,
        actor=agent,
        reason=Reason.QUALITY,
        amount_fen=5990,
        subject="开线了",
        message="衣服开线了，想退货",
        source="import",
        external_id="PDD-9",
        priority=Priority.HIGH,
        opened_at=opened,
    )

    case = Case.objects.get(pk=case.pk)
    assert (case.kind, case.order, case.customer, case.reason) == (CaseKind.RETURN, order, order.customer, "quality")
    assert (case.amount_fen, case.subject, case.source, case.external_id) == (5990, "开线了", "import", "PDD-9")
    assert case.priority == Priority.HIGH and case.created_at == opened and case.small_defect is False
    assert CaseEvent.objects.get(case=case, type=EventType.CASE_OPENED).actor == agent
    written = CaseEvent.objects.get(case=case, type=EventType.CUSTOMER_MESSAGE)
    assert written.body == "衣服开线了，想退货" and written.at == opened


def test_an_application_without_a_message_records_none(order):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    assert not CaseEvent.objects.filter(case=case, type=EventType.CUSTOMER_MESSAGE).exists()
    stored = Case.objects.get(pk=case.pk)
    assert stored.priority == Priority.NORMAL and stored.source == "manual"
    assert stored.reason == "" and stored.subject == ""


# --- payouts arriving ------------------------------------------------------------------------------------------------


@pytest.fixture
def refund_on_its_way(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    return Payout.objects.get(case=case)


def test_an_arrived_refund_is_on_the_timeline_and_apologised_for(refund_on_its_way, agent):
    payout = refund_on_its_way
    arrived = timezone.now() - dt.timedelta(minutes=5)

    assert services.confirm_payout(payout=payout, succeeded=True, actor=agent, at=arrived) is True

    assert (payout.state, payout.confirmed_at, payout.confirmed_by) == ("succeeded", arrived, agent)
    stored = Payout.objects.get(pk=payout.pk)
    assert (stored.state, stored.confirmed_at, stored.confirmed_by) == ("succeeded", arrived, agent)
    event = CaseEvent.objects.get(case=payout.case, type=EventType.PAYOUT_SUCCEEDED)
    assert event.actor == agent and event.at == arrived and event.target == f"payout:{payout.pk}"
    assert event.before == {"state": "requested"}
    assert event.after == {
        "state": "succeeded",
        "kind": "refund",
        "amount_fen": 5990,
        "confirmed_at": arrived.isoformat(),
    }
    apology = OutboundMessage.objects.get(case=payout.case, template_key="refund_apology")
    assert apology.idempotency_key == f"apology:{payout.case.pk}" and "非常抱歉" in apology.body
    followup = FollowUp.objects.get(case=payout.case)
    assert followup.triggered_at == arrived
    assert CaseEvent.objects.get(case=payout.case, type=EventType.FOLLOWUP_SCHEDULED).actor == agent


def test_a_failed_refund_is_on_the_timeline_without_an_apology(refund_on_its_way, agent):
    payout = refund_on_its_way
    before = Case.objects.get(pk=payout.case_id).updated_at

    assert services.confirm_payout(payout=payout, succeeded=False, actor=agent) is True

    event = CaseEvent.objects.get(case=payout.case, type=EventType.PAYOUT_FAILED)
    assert event.after["state"] == "failed" and event.actor == agent
    assert not OutboundMessage.objects.filter(case=payout.case, template_key="refund_apology").exists()
    assert not FollowUp.objects.filter(case=payout.case).exists()
    assert Case.objects.get(pk=payout.case_id).updated_at > before


def test_an_arrived_compensation_gets_no_apology(order, agent):
    case = services.open_application(kind=CaseKind.COMPENSATION, order=order)
    services.compensate(case=case, actor=agent)
    assert CaseEvent.objects.get(case=case, type=EventType.COMPENSATED).body == ""

    assert services.confirm_payout(payout=Payout.objects.get(case=case), succeeded=True) is True

    assert not OutboundMessage.objects.filter(case=case, template_key="refund_apology").exists()
    assert not FollowUp.objects.filter(case=case).exists()


def test_an_arrived_refund_of_a_case_without_a_customer_is_confirmed_without_an_apology(refund_on_its_way):
    Case.objects.filter(pk=refund_on_its_way.case_id).update(customer=None)
    payout = Payout.objects.select_related("case").get(pk=refund_on_its_way.pk)

    assert services.confirm_payout(payout=payout, succeeded=True) is True

    assert not OutboundMessage.objects.filter(case=payout.case, template_key="refund_apology").exists()
    assert Payout.objects.get(pk=payout.pk).state == Payout.State.SUCCEEDED


def test_a_payout_confirmed_without_a_time_is_confirmed_now(refund_on_its_way):
    before = timezone.now()
    services.confirm_payout(payout=refund_on_its_way, succeeded=True)
    confirmed_at = Payout.objects.get(pk=refund_on_its_way.pk).confirmed_at
    assert before <= confirmed_at <= timezone.now()


def test_the_apology_is_the_store_admins_text_with_the_cases_details_sent_by_the_agent(refund_on_its_way, agent):
    MessageTemplate.objects.filter(key="refund_apology").update(
        body="{customer_name}您好，订单{order_no}退款{refund_amount}已到账"
    )
    payout = refund_on_its_way

    services.confirm_payout(payout=payout, succeeded=True, actor=agent)

    apology = OutboundMessage.objects.get(case=payout.case, template_key="refund_apology")
    assert apology.body == f"张小花您好，订单{payout.order.number}退款¥59.90已到账"
    assert queued_by(payout.case, "refund_apology") == agent


def test_a_switched_off_apology_is_not_sent_when_the_refund_arrives(refund_on_its_way):
    MessageTemplate.objects.filter(key="refund_apology").update(active=False)

    assert services.confirm_payout(payout=refund_on_its_way, succeeded=True) is True

    assert not OutboundMessage.objects.filter(template_key="refund_apology").exists()


def test_the_apology_goes_by_chat_to_a_customer_without_a_phone_even_with_sms(refund_on_its_way, store):
    store.sms_channel = True
    store.save()
    Customer.objects.filter(pk=refund_on_its_way.case.customer_id).update(phone="")
    payout = Payout.objects.select_related("case__customer").get(pk=refund_on_its_way.pk)

    services.confirm_payout(payout=payout, succeeded=True)

    apology = OutboundMessage.objects.get(case=payout.case, template_key="refund_apology")
    assert apology.channel == Channel.CHAT


# --- A4: the first-handling promise ----------------------------------------------------------------------------------

TEN_AM = shanghai(2026, 11, 24, 10, 0)


@pytest.mark.parametrize(("minutes", "words"), [(90, "90 分钟内处理"), (120, "2 小时内处理")])
def test_the_promise_names_the_first_handling_time_in_hours_or_minutes(order, store, minutes, words):
    store.first_handling_minutes = minutes
    store.save()
    with time_machine.travel(TEN_AM, tick=False):
        case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)

    promise = OutboundMessage.objects.get(case=case, template_key="handling_promise")
    assert words in promise.body and promise.idempotency_key == f"promise:{case.pk}"
    case = Case.objects.get(pk=case.pk)
    assert case.handle_due == TEN_AM + dt.timedelta(minutes=minutes) and case.due_at == case.handle_due


def test_the_first_handling_runs_from_when_the_application_was_opened(order):
    with time_machine.travel(TEN_AM, tick=False):
        case = services.open_application(
            kind=CaseKind.REFUND, order=order, amount_fen=5990, opened_at=TEN_AM - dt.timedelta(minutes=30)
        )
    assert Case.objects.get(pk=case.pk).handle_due == TEN_AM + dt.timedelta(minutes=30)


def test_the_promise_is_made_with_the_stores_settings_when_none_are_given(order, store):
    store.first_handling_minutes = 90
    store.save()
    with time_machine.travel(TEN_AM, tick=False):
        case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
        Case.objects.filter(pk=case.pk).update(handle_due=None)
        services.promise_handling(case=Case.objects.get(pk=case.pk))
    assert Case.objects.get(pk=case.pk).handle_due == TEN_AM + dt.timedelta(minutes=90)


def test_an_application_opened_out_of_hours_is_not_promised_when_entered_later(order):
    with time_machine.travel(TEN_AM, tick=False):
        case = services.open_application(
            kind=CaseKind.REFUND, order=order, amount_fen=5990, opened_at=shanghai(2026, 11, 24, 2, 0)
        )
    assert not OutboundMessage.objects.filter(case=case, template_key="handling_promise").exists()


def test_an_application_without_a_customer_gets_its_deadline_but_no_message(db):
    with time_machine.travel(TEN_AM, tick=False):
        case = services.open_application(kind=CaseKind.COMPENSATION, order=None)

    assert Case.objects.get(pk=case.pk).handle_due == TEN_AM + dt.timedelta(hours=1)
    assert not OutboundMessage.objects.filter(case=case).exists()


def test_only_an_open_undecided_application_is_promised(order, agent):
    with time_machine.travel(TEN_AM, tick=False):
        inquiry = services.open_application(kind=CaseKind.INQUIRY, order=order)
        returned = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
        services.approve_return(case=returned, actor=agent)
        Case.objects.filter(pk=returned.pk).update(handle_due=None)
        closed = services.open_application(kind=CaseKind.RESHIP, order=order)
        services.close_case(case=closed, actor=agent, note="重复")
        Case.objects.filter(pk=closed.pk).update(handle_due=None)

        for case in (inquiry, returned, closed):
            services.promise_handling(case=Case.objects.get(pk=case.pk))

    assert list(Case.objects.filter(handle_due__isnull=False)) == []
    # The return's and the reship's (the reship's without a refund in it).
    assert OutboundMessage.objects.filter(template_key__startswith="handling_promise").count() == 2


# --- A5: automation --------------------------------------------------------------------------------------------------


def payouts(case) -> list[tuple[str, int]]:
    return list(Payout.objects.filter(case=case).order_by("pk").values_list("kind", "amount_fen"))


def test_a_one_fen_refund_is_approved_by_the_system(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1)
    assert payouts(case) == [("refund", 1)] and case.status == Status.RESOLVED


@pytest.mark.parametrize("kind", [CaseKind.RETURN, CaseKind.COMPENSATION, CaseKind.EXCHANGE])
def test_only_a_refund_application_is_approved_by_the_system(order, kind):
    case = services.open_application(kind=kind, order=order, amount_fen=1000)
    assert payouts(case) == [] and case.status == Status.NEW


def test_a_refund_application_without_an_amount_waits_for_an_agent(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=0)
    assert payouts(case) == [] and case.status == Status.NEW


def test_a_small_defect_worth_exactly_the_compensation_is_compensated(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=500, small_defect=True)
    assert payouts(case) == [("compensation", 500)] and case.resolution == "compensated"


@pytest.mark.parametrize("kind", [CaseKind.REFUND, CaseKind.RETURN, CaseKind.COMPENSATION])
def test_a_small_defect_compensation_is_never_more_than_is_left(make_order, kind):
    case = services.open_application(kind=kind, order=make_order(300), amount_fen=300, small_defect=True)
    assert payouts(case) == [("compensation", 300)]


def test_a_one_fen_small_defect_compensation_is_paid(make_order):
    case = services.open_application(kind=CaseKind.COMPENSATION, order=make_order(1), small_defect=True)
    assert payouts(case) == [("compensation", 1)]


def test_automation_reads_the_store_settings_when_none_are_given(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    Case.objects.filter(pk=case.pk).update(amount_fen=1000)

    services.apply_automation(case=Case.objects.get(pk=case.pk))

    assert payouts(case) == [("refund", 1000)]


@pytest.mark.parametrize("kind", [CaseKind.EXCHANGE, CaseKind.RESHIP])
def test_a_small_defect_exchange_or_reship_waits_for_an_agent(order, kind):
    case = services.open_application(kind=kind, order=order, small_defect=True)
    assert payouts(case) == [] and case.status == Status.NEW


def test_a_small_defect_on_an_order_with_nothing_left_waits_for_an_agent(order, agent):
    paid = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=paid, actor=agent)

    case = services.open_application(kind=CaseKind.COMPENSATION, order=order, small_defect=True)

    assert payouts(case) == [] and case.status == Status.NEW


def test_automation_leaves_a_case_without_an_order_or_already_decided_alone(order, agent):
    without_order = services.open_application(kind=CaseKind.REFUND, order=None, amount_fen=1000)
    assert without_order.status == Status.NEW
    rejected = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990, small_defect=False)
    services.reject_application(case=rejected, actor=agent, reason="已超时")
    Case.objects.filter(pk=rejected.pk).update(amount_fen=1000)
    rejected = Case.objects.get(pk=rejected.pk)

    assert services.apply_automation(case=rejected) == rejected

    assert payouts(rejected) == []


# --- resolutions, exactly --------------------------------------------------------------------------------------------


def queued_by(case, template: str):
    message = OutboundMessage.objects.get(case=case, template_key=template)
    return CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_QUEUED, target=f"outbound:{message.pk}").actor


def test_an_agents_refund_is_paid_recorded_resolved_and_announced_by_the_agent(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    casework.record_customer_message(case=case, body="什么时候退款", at=timezone.now())

    services.approve_refund(case=case, actor=agent, amount_fen=3000, note="质量问题")

    payout = Payout.objects.get(case=case)
    assert (payout.kind, payout.amount_fen, payout.order, payout.actor) == ("refund", 3000, order, agent)
    approval = CaseEvent.objects.get(case=case, type=EventType.REFUND_APPROVED)
    assert approval.actor == agent and approval.body == "质量问题" and approval.after == {"amount_fen": 3000}
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == Status.RESOLVED and stored.resolution == "refunded" and stored.resolved_amount_fen == 3000
    resolved = CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("pk")
    assert resolved.actor == agent and resolved.body == "" and resolved.after == {"status": Status.RESOLVED}
    wait = ResponseWait.objects.get(case=case)
    assert wait.answer == "resolution" and wait.answered_by == agent and wait.answered_at == stored.handled_at
    message = OutboundMessage.objects.get(case=case, template_key="refund_approved")
    assert message.idempotency_key == f"refund:{case.pk}:3000" and "¥30.00" in message.body
    assert queued_by(case, "refund_approved") == agent
    assert Order.objects.get(pk=order.pk).status == Order.Status.DELIVERED  # ¥29.90 is still refundable


def test_a_received_return_keeps_the_time_it_was_first_handled(order, agent):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    services.approve_return(case=case, actor=agent)
    approved = Case.objects.get(pk=case.pk).handled_at

    services.mark_return_received(case=Case.objects.get(pk=case.pk), actor=agent)

    stored = Case.objects.get(pk=case.pk)
    assert stored.handled_at == approved < stored.resolved_at
    assert stored.resolution == "returned_refunded" and stored.resolved_amount_fen == 5990
    assert queued_by(case, "return_received") == agent
    assert CaseEvent.objects.get(case=case, type=EventType.REFUND_APPROVED).body == ""
    assert "退款¥59.90已发起" in OutboundMessage.objects.get(case=case, template_key="return_received").body
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED


def test_a_received_return_says_this_refund_not_everything_paid_on_the_case(order, agent):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    services.approve_return(case=case, actor=agent)
    services.compensate(case=case, actor=agent, amount_fen=500)  # a defect compensated while the parcel travelled
    services.reopen_case(case=case, actor=agent)

    services.mark_return_received(case=case, actor=agent, amount_fen=4000)

    assert Case.objects.get(pk=case.pk).resolved_amount_fen == 4500
    message = OutboundMessage.objects.get(case=case, template_key="return_received")
    assert "退款¥40.00已发起" in message.body


def test_an_approved_return_is_handled_waits_and_tells_the_customer(order, agent, store):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, reason=Reason.SIZE)
    casework.record_customer_message(case=case, body="怎么退", at=timezone.now())

    services.approve_return(case=case, actor=agent, shipping_paid_by="store")

    stored = Case.objects.get(pk=case.pk)
    assert stored.handled_at is not None and stored.resolve_due is None
    assert stored.due_at is None and stored.return_shipping_paid_by == "store"
    assert (case.handled_at, case.resolve_due, case.due_at) == (stored.handled_at, None, None)
    wait = ResponseWait.objects.get(case=case)
    assert wait.answer == "resolution" and wait.answered_by == agent and wait.answered_at == stored.handled_at
    event = CaseEvent.objects.get(case=case, type=EventType.RETURN_APPROVED)
    assert event.actor == agent
    waiting = CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("pk")
    assert waiting.actor == agent and waiting.after == {"status": Status.WAITING}
    message = OutboundMessage.objects.get(case=case, template_key="return_approved")
    assert message.idempotency_key == f"return:{case.pk}" and store.return_address in message.body
    assert queued_by(case, "return_approved") == agent


def test_a_return_approved_without_a_person_leaves_the_customers_reply_deadline(order):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990)
    casework.record_customer_message(case=case, body="怎么退", at=timezone.now())
    reply_due = Case.objects.get(pk=case.pk).first_response_due

    services.approve_return(case=Case.objects.get(pk=case.pk), actor=None)

    stored = Case.objects.get(pk=case.pk)
    assert reply_due is not None and stored.due_at == reply_due and stored.resolve_due is None


def test_an_approved_exchange_tells_the_customer_the_new_item_follows(order, agent):
    case = services.open_application(kind=CaseKind.EXCHANGE, order=order)

    services.approve_return(case=case, actor=agent)

    assert [m.template_key for m in OutboundMessage.objects.filter(case=case)] == ["exchange_return_approved"]
    services.mark_return_received(case=case, actor=agent)
    assert Case.objects.get(pk=case.pk).resolution == "exchanged" and not Payout.objects.filter(case=case).exists()
    assert CaseEvent.objects.get(case=case, type=EventType.RETURN_RECEIVED).actor == agent
    exchanged = CaseEvent.objects.get(case=case, type=EventType.EXCHANGED)
    assert exchanged.actor == agent and exchanged.body == "" and status_notes(case)[-1] == ""
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("pk").actor == agent


def test_a_rejection_tells_the_customer_the_reason_and_is_on_the_timeline(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)

    services.reject_application(case=case, actor=agent, reason="  商品已使用  ")

    event = CaseEvent.objects.get(case=case, type=EventType.APPLICATION_REJECTED)
    assert event.actor == agent and event.body == "商品已使用"
    assert status_notes(case)[-1] == "商品已使用"
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("pk").actor == agent
    stored = Case.objects.get(pk=case.pk)
    assert stored.resolution == "rejected" and stored.resolved_amount_fen == 0
    message = OutboundMessage.objects.get(case=case, template_key="application_rejected")
    assert "原因：商品已使用。" in message.body
    assert message.idempotency_key == f"rejected:{case.pk}:{int(stored.resolved_at.timestamp())}"
    assert queued_by(case, "application_rejected") == agent


def test_a_compensation_pays_the_stores_amount_by_default_and_says_so(order, agent, store):
    store.small_defect_compensation_fen = 800
    store.save()
    case = services.open_application(kind=CaseKind.COMPENSATION, order=order)

    services.compensate(case=case, actor=agent, note="少发赠品")

    assert payouts(case) == [("compensation", 800)] and Payout.objects.get(case=case).actor == agent
    event = CaseEvent.objects.get(case=case, type=EventType.COMPENSATED)
    assert event.actor == agent and event.body == "少发赠品" and event.after == {"amount_fen": 800}
    stored = Case.objects.get(pk=case.pk)
    assert stored.resolution == "compensated" and stored.resolved_amount_fen == 800
    message = OutboundMessage.objects.get(case=case, template_key="compensation_paid")
    assert "¥8.00" in message.body and message.idempotency_key == f"compensation:{case.pk}:800"
    assert queued_by(case, "compensation_paid") == agent
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("pk").actor == agent


def test_a_second_compensation_says_its_own_amount(order, agent):
    case = services.open_application(kind=CaseKind.COMPENSATION, order=order)
    services.compensate(case=case, actor=agent, amount_fen=300)
    services.reopen_case(case=case, actor=agent, note="客户又发现一处瑕疵")

    services.compensate(case=case, actor=agent, amount_fen=200)

    assert Case.objects.get(pk=case.pk).resolved_amount_fen == 500
    second = OutboundMessage.objects.get(case=case, idempotency_key=f"compensation:{case.pk}:200")
    assert "补偿¥2.00" in second.body


def test_a_compensation_over_what_is_left_is_refused(make_order, agent):
    case = services.open_application(kind=CaseKind.COMPENSATION, order=make_order(300))
    with refused(r"The amount ¥5\.00 is more than the ¥3\.00 still refundable on this order\."):
        services.compensate(case=case, actor=agent)


def test_a_reship_and_an_exchange_carry_the_agents_note(make_order, agent):
    reship = services.open_application(kind=CaseKind.RESHIP, order=make_order())
    exchange = services.open_application(kind=CaseKind.EXCHANGE, order=make_order())

    services.reship(case=reship, actor=agent, note="补寄 1 件")
    services.arrange_exchange(case=exchange, actor=agent, note="换 XL")

    shipped = CaseEvent.objects.get(case=reship, type=EventType.RESHIPPED)
    assert shipped.actor == agent and shipped.body == "补寄 1 件" and status_notes(reship)[-1] == "补寄 1 件"
    exchanged = CaseEvent.objects.get(case=exchange, type=EventType.EXCHANGED)
    assert exchanged.actor == agent and exchanged.body == "换 XL" and status_notes(exchange)[-1] == "换 XL"
    assert CaseEvent.objects.filter(case=exchange, type=EventType.CASE_STATUS).latest("pk").actor == agent
    assert CaseEvent.objects.filter(case=reship, type=EventType.CASE_STATUS).latest("pk").actor == agent
    assert Case.objects.get(pk=reship.pk).resolution == "reshipped"
    assert Case.objects.get(pk=exchange.pk).resolution == "exchanged"
    assert OutboundMessage.objects.get(case=reship).idempotency_key == f"reship:{reship.pk}"
    assert OutboundMessage.objects.get(case=exchange).idempotency_key == f"exchange:{exchange.pk}"
    assert queued_by(reship, "reship_arranged") == agent and queued_by(exchange, "exchange_arranged") == agent


def test_a_reship_without_a_note_records_none(order, agent):
    case = services.open_application(kind=CaseKind.RESHIP, order=order)
    services.reship(case=case, actor=agent)
    assert CaseEvent.objects.get(case=case, type=EventType.RESHIPPED).body == "" and status_notes(case)[-1] == ""


def test_an_exchange_is_arranged_only_while_open(order, agent):
    case = services.open_application(kind=CaseKind.EXCHANGE, order=order)
    services.arrange_exchange(case=case, actor=agent)
    with refused(r"This case is already resolved or closed\. Reopen it first\."):
        services.arrange_exchange(case=case, actor=agent)


def test_a_review_outcome_is_tracked_by_the_agent(order, agent):
    case = services.open_application(kind=CaseKind.REVIEW, order=order)
    before = Case.objects.get(pk=case.pk).updated_at

    services.record_review_outcome(case=case, actor=agent, revised=False)

    stored = Case.objects.get(pk=case.pk)
    assert stored.review_revised is False and case.review_revised is False and stored.updated_at > before
    event = CaseEvent.objects.get(case=case, type=EventType.REVIEW_TRACKED)
    assert event.actor == agent and event.after == {"review_revised": False}
    services.record_review_outcome(case=case, actor=agent, revised=True)
    changed = CaseEvent.objects.filter(case=case, type=EventType.REVIEW_TRACKED).latest("pk")
    assert changed.before == {"review_revised": False} and changed.after == {"review_revised": True}
