"""The payout service at its edges: what an order still allows, the amount's bounds, the platform's answer recorded
once and exactly, and the apology (A3) and the follow-up (A9) that start from an arrived refund.

Written against `make mutate MUTANTS='backoffice.payouts.services*'`: each test pins a state a plausible slip would
change (a bound off by one, a filter dropped, a field of the timeline entry).
"""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from backoffice.errors import DomainError
from backoffice.followups.models import FollowUp
from backoffice.models import CaseEvent, Channel, EventType, MessageTemplate, OutboundMessage, StoreSettings
from backoffice.payouts import services as payouts
from backoffice.payouts.models import Payout
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, PayoutFactory, make_order, shanghai

pytestmark = pytest.mark.django_db

NOON = shanghai(2026, 3, 4, 12)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _case(paid_fen: int = 10000, **fields):
    order = make_order(paid_fen=paid_fen)
    return CaseFactory(order=order, customer=order.customer, amount_fen=paid_fen, **fields)


# --- refundable_fen -------------------------------------------------------------------------------------------------


def test_an_order_without_payouts_allows_all_it_was_paid():
    case = _case(paid_fen=5990)
    assert payouts.refundable_fen(case.order) == 5990


def test_every_payout_on_the_order_counts_whatever_its_case_and_kind_and_no_other_order_does():
    case = _case(paid_fen=10000)
    other_case_same_order = CaseFactory(order=case.order, customer=case.customer, amount_fen=100)
    PayoutFactory(case=case, amount_fen=3000)
    PayoutFactory(case=other_case_same_order, kind=Payout.Kind.COMPENSATION, amount_fen=1500)
    PayoutFactory(case=_case(paid_fen=9000), amount_fen=9000)  # another order entirely
    assert payouts.refundable_fen(case.order) == 10000 - 3000 - 1500


def test_an_order_paid_out_in_full_or_beyond_allows_nothing_never_less():
    case = _case(paid_fen=2000)
    PayoutFactory(case=case, amount_fen=2000)
    assert payouts.refundable_fen(case.order) == 0
    PayoutFactory(case=case, amount_fen=1)  # a platform import can record more than was paid
    assert payouts.refundable_fen(case.order) == 0


def test_a_failed_payout_returned_nothing_so_its_money_can_still_be_paid_out():
    case = _case(paid_fen=10000)
    PayoutFactory(case=case, amount_fen=4000, state=Payout.State.FAILED)
    PayoutFactory(case=case, amount_fen=1000, state=Payout.State.SUCCEEDED)
    PayoutFactory(case=case, amount_fen=500)  # requested, on its way
    assert payouts.refundable_fen(case.order) == 10000 - 1000 - 500


# --- validate_amount ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1])
def test_no_amount_or_a_negative_one_is_refused_by_its_message(amount):
    case = _case()
    with pytest.raises(DomainError) as refused:
        payouts.validate_amount(case=case, amount_fen=amount)
    assert str(refused.value) == "The amount must be more than ¥0.00."


def test_one_fen_and_exactly_what_is_left_are_allowed():
    case = _case(paid_fen=10000)
    PayoutFactory(case=case, amount_fen=2550)
    assert payouts.validate_amount(case=case, amount_fen=1) is None
    assert payouts.validate_amount(case=case, amount_fen=7450) is None


def test_one_fen_more_than_is_left_is_refused_naming_both_amounts():
    case = _case(paid_fen=10000)
    PayoutFactory(case=case, amount_fen=2550)
    with pytest.raises(DomainError) as refused:
        payouts.validate_amount(case=case, amount_fen=7451)
    assert str(refused.value) == "The amount ¥74.51 is more than the ¥74.50 still refundable on this order."


def test_a_case_without_an_order_pays_nothing():
    case = CaseFactory(order=None, amount_fen=0)
    with pytest.raises(DomainError) as refused:
        payouts.validate_amount(case=case, amount_fen=1)
    assert str(refused.value) == "This case has no order, so no money can be paid out."


# --- pay ------------------------------------------------------------------------------------------------------------


def test_pay_requests_the_payout_on_the_case_and_its_order():
    case = _case(paid_fen=10000)
    agent = AgentFactory()
    payout = payouts.pay(case, kind=Payout.Kind.COMPENSATION, amount_fen=800, actor=agent)
    payout = Payout.objects.get(pk=payout.pk)
    assert (payout.case, payout.order, payout.kind, payout.amount_fen, payout.actor) == (
        case,
        case.order,
        Payout.Kind.COMPENSATION,
        800,
        agent,
    )
    assert (payout.state, payout.confirmed_at, payout.confirmed_by) == (Payout.State.REQUESTED, None, None)


# --- confirm_payout -------------------------------------------------------------------------------------------------

# mutmut: x_confirm_payout__mutmut_51 (apologise(payout=None)) is equivalent: apologise never reads the payout (one per case).


def _apologies(case):
    return list(OutboundMessage.objects.filter(case=case, template_key="refund_apology"))


def test_an_arrived_refund_is_recorded_once_exactly_and_starts_the_apology_and_the_follow_up():
    case = _case(paid_fen=5990)
    agent = AgentFactory()
    payout = PayoutFactory(case=case, amount_fen=5990)
    earlier = shanghai(2026, 3, 4, 9)
    with time_machine.travel(NOON, tick=False):
        assert payouts.confirm_payout(payout=payout, succeeded=True, actor=agent, at=earlier) is True

    # The object in hand says what the row says.
    assert (payout.state, payout.confirmed_at, payout.confirmed_by) == (Payout.State.SUCCEEDED, earlier, agent)
    stored = Payout.objects.get(pk=payout.pk)
    assert (stored.state, stored.confirmed_at, stored.confirmed_by) == (Payout.State.SUCCEEDED, earlier, agent)

    event = CaseEvent.objects.get(case=case, type=EventType.PAYOUT_SUCCEEDED)
    assert (event.actor, event.at, event.target) == (agent, earlier, f"payout:{payout.pk}")
    assert event.before == {"state": "requested"}
    assert event.after == {
        "state": "succeeded",
        "kind": "refund",
        "amount_fen": 5990,
        "confirmed_at": earlier.isoformat(),
    }
    assert not CaseEvent.objects.filter(case=case, type=EventType.PAYOUT_FAILED).exists()
    case.refresh_from_db()
    assert case.updated_at == NOON  # the case moved now, whenever the money arrived

    (apology,) = _apologies(case)
    assert apology.idempotency_key == f"apology:{case.pk}"
    queued = CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_QUEUED, target=f"outbound:{apology.pk}")
    assert queued.actor == agent
    (followup,) = FollowUp.objects.filter(case=case)
    assert (followup.campaign.key, followup.triggered_at) == ("a9-refund-followup", earlier)
    assert CaseEvent.objects.get(case=case, type=EventType.FOLLOWUP_SCHEDULED).actor == agent


def test_the_platform_confirms_without_a_time_at_the_moment_it_answers():
    case = _case()
    payout = PayoutFactory(case=case)
    with time_machine.travel(NOON, tick=False):
        assert payouts.confirm_payout(payout=payout, succeeded=True) is True
    stored = Payout.objects.get(pk=payout.pk)
    assert (stored.confirmed_at, stored.confirmed_by) == (NOON, None)
    event = CaseEvent.objects.get(case=case, type=EventType.PAYOUT_SUCCEEDED)
    assert (event.actor, event.at) == (None, NOON)
    assert dt.datetime.fromisoformat(event.after["confirmed_at"]) == NOON
    assert FollowUp.objects.get(case=case).triggered_at == NOON


def test_a_failed_refund_is_recorded_as_failed_with_no_apology_and_no_follow_up():
    case = _case(paid_fen=5990)
    payout = PayoutFactory(case=case, amount_fen=5990)
    with time_machine.travel(NOON, tick=False):
        assert payouts.confirm_payout(payout=payout, succeeded=False) is True
    stored = Payout.objects.get(pk=payout.pk)
    assert (stored.state, stored.confirmed_at) == (Payout.State.FAILED, NOON)
    assert payout.state == Payout.State.FAILED
    event = CaseEvent.objects.get(case=case, type=EventType.PAYOUT_FAILED)
    assert event.before == {"state": "requested"}
    assert event.after == {
        "state": "failed",
        "kind": "refund",
        "amount_fen": 5990,
        "confirmed_at": "2026-03-04T04:00:00+00:00",
    }
    assert not CaseEvent.objects.filter(case=case, type=EventType.PAYOUT_SUCCEEDED).exists()
    assert _apologies(case) == []
    assert not FollowUp.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.updated_at == NOON


def test_an_arrived_compensation_gets_neither_the_refund_apology_nor_the_refund_follow_up():
    case = _case()
    payout = PayoutFactory(case=case, kind=Payout.Kind.COMPENSATION, amount_fen=500)
    assert payouts.confirm_payout(payout=payout, succeeded=True) is True
    assert Payout.objects.get(pk=payout.pk).state == Payout.State.SUCCEEDED
    assert _apologies(case) == []
    assert not FollowUp.objects.filter(case=case).exists()


@pytest.mark.parametrize("first", [True, False])
def test_a_second_answer_for_the_same_payout_changes_nothing(first):
    case = _case()
    payout = PayoutFactory(case=case)
    with time_machine.travel(NOON, tick=False):
        payouts.confirm_payout(payout=payout, succeeded=first)
    stale = Payout.objects.get(pk=payout.pk)
    stale.state = Payout.State.REQUESTED  # a reader that loaded the payout before the first answer
    later = NOON + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert payouts.confirm_payout(payout=stale, succeeded=not first, actor=AgentFactory()) is False
    stored = Payout.objects.get(pk=payout.pk)
    assert (stored.state, stored.confirmed_at, stored.confirmed_by) == (
        Payout.State.SUCCEEDED if first else Payout.State.FAILED,
        NOON,
        None,
    )
    assert stale.state == Payout.State.REQUESTED  # the refused answer did not touch the object either
    assert (
        CaseEvent.objects.filter(case=case, type__in=[EventType.PAYOUT_SUCCEEDED, EventType.PAYOUT_FAILED]).count() == 1
    )
    assert len(_apologies(case)) == (1 if first else 0)
    case.refresh_from_db()
    assert case.updated_at == NOON


def test_confirming_one_payout_leaves_the_other_payouts_of_the_case_requested():
    case = _case(paid_fen=10000)
    first = PayoutFactory(case=case, amount_fen=4000)
    second = PayoutFactory(case=case, amount_fen=6000)
    payouts.confirm_payout(payout=first, succeeded=False)
    assert Payout.objects.get(pk=second.pk).state == Payout.State.REQUESTED
    assert payouts.confirm_payout(payout=second, succeeded=True) is True


# --- mark_payout ----------------------------------------------------------------------------------------------------


def test_an_agent_marks_a_payout_of_the_case_and_gets_it_back():
    case = _case(paid_fen=10000)
    agent = AgentFactory()
    first = PayoutFactory(case=case, amount_fen=4000)
    payout = PayoutFactory(case=case, amount_fen=6000)
    marked = payouts.mark_payout(case=case, payout_id=payout.pk, succeeded=False, actor=agent)
    assert Payout.objects.get(pk=first.pk).state == Payout.State.REQUESTED  # the one asked for, not the case's first
    assert marked.pk == payout.pk
    assert (marked.state, marked.confirmed_by) == (Payout.State.FAILED, agent)
    assert CaseEvent.objects.get(case=case, type=EventType.PAYOUT_FAILED).actor == agent


def test_an_agent_cannot_mark_a_payout_of_another_case():
    case = _case()
    elsewhere = PayoutFactory(case=_case())
    with pytest.raises(DomainError) as refused:
        payouts.mark_payout(case=case, payout_id=elsewhere.pk, succeeded=True, actor=AgentFactory())
    assert str(refused.value) == "That payout is not on this case."
    assert Payout.objects.get(pk=elsewhere.pk).state == Payout.State.REQUESTED


def test_marking_a_payout_already_confirmed_is_refused():
    case = _case()
    payout = PayoutFactory(case=case)
    payouts.confirm_payout(payout=payout, succeeded=True)
    with pytest.raises(DomainError) as refused:
        payouts.mark_payout(case=case, payout_id=payout.pk, succeeded=False, actor=AgentFactory())
    assert str(refused.value) == "This payout was already confirmed. Reload the case."
    assert Payout.objects.get(pk=payout.pk).state == Payout.State.SUCCEEDED


# --- refunds_on_the_way ---------------------------------------------------------------------------------------------


def test_refunds_on_the_way_are_the_cases_requested_refunds_in_order():
    case = _case(paid_fen=10000)
    first = PayoutFactory(case=case, amount_fen=1000)
    PayoutFactory(case=case, kind=Payout.Kind.COMPENSATION, amount_fen=1000)
    arrived = PayoutFactory(case=case, amount_fen=1000)
    payouts.confirm_payout(payout=arrived, succeeded=True)
    failed = PayoutFactory(case=case, amount_fen=1000)
    payouts.confirm_payout(payout=failed, succeeded=False)
    last = PayoutFactory(case=case, amount_fen=1000)
    PayoutFactory(case=_case())  # another case's refund
    assert payouts.refunds_on_the_way(case) == [first, last]


# --- apologise ------------------------------------------------------------------------------------------------------

# mutmut: x_apologise__mutmut_37, _40 (no `customer=customer`) are equivalent: case_variables takes case.customer, the same.
# mutmut: x_apologise__mutmut_38, _41 (no `store=store`) are equivalent: case_variables loads the same StoreSettings row.


def _template(body="{customer_name}，您的退款 {refund_amount} 已到账。"):
    template = MessageTemplate.objects.get(key="refund_apology")
    template.body, template.active = body, True
    template.save()
    return template


def _sms(on: bool):
    store = StoreSettings.load()
    store.sms_channel = on
    store.save()


def test_the_apology_says_the_cases_words_by_chat_when_the_store_has_no_sms():
    _template()
    _sms(False)
    customer = CustomerFactory(name="张小花", phone="13800000000")
    order = make_order(customer=customer, paid_fen=5990)
    case = CaseFactory(order=order, customer=customer, amount_fen=5990)
    agent = AgentFactory()
    payouts.apologise(case=case, payout=PayoutFactory(case=case), actor=agent)
    (apology,) = _apologies(case)
    assert (apology.customer, apology.channel, apology.body) == (
        customer,
        Channel.CHAT,
        "张小花，您的退款 ¥59.90 已到账。",
    )
    assert (apology.template_key, apology.idempotency_key) == ("refund_apology", f"apology:{case.pk}")
    assert CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_QUEUED).actor == agent


def test_the_apology_goes_by_sms_only_to_a_customer_with_a_phone():
    _template()
    _sms(True)
    with_phone = CustomerFactory(phone="13800000000")
    case = CaseFactory(customer=with_phone, order=make_order(customer=with_phone))
    payouts.apologise(case=case, payout=PayoutFactory(case=case), actor=None)
    assert [m.channel for m in _apologies(case)] == [Channel.SMS]

    without = CustomerFactory(phone="")
    case = CaseFactory(customer=without, order=make_order(customer=without))
    payouts.apologise(case=case, payout=PayoutFactory(case=case), actor=None)
    assert [m.channel for m in _apologies(case)] == [Channel.CHAT]


def test_no_apology_without_an_active_template_or_without_a_customer():
    template = _template()
    template.active = False
    template.save()
    case = _case()
    payouts.apologise(case=case, payout=PayoutFactory(case=case), actor=None)
    assert _apologies(case) == []

    template.active = True
    template.save()
    nobody = CaseFactory(customer=None, order=make_order())
    payouts.apologise(case=nobody, payout=PayoutFactory(case=nobody), actor=None)
    assert not OutboundMessage.objects.filter(case=nobody).exists()


# mutmut: the lock line of validate_amount reads the order's id only to lock its row, and the value is thrown away:
# x_validate_amount__mutmut_15, _16, _17, _21 (another shape of that read) are equivalent. _18 (locking no row) and
# dropping select_for_update change nothing SQLite can see (it takes no row locks): the PostgreSQL test below fails
# on them in CI.


# --- two agents paying out on one order at once -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_paying_out_on_one_order_at_once_cannot_both_take_the_remainder():
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite serialises every writer, so there is no race to test")
    first = _case(paid_fen=10000)
    second = CaseFactory(order=first.order, customer=first.customer, amount_fen=6000)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(case):
        try:
            with transaction.atomic():
                barrier.wait()
                payouts.validate_amount(case=case, amount_fen=6000)
                # The other agent reads the order's remainder now, before this payout is committed.
                threading.Event().wait(0.3)
                payouts.pay(case, kind=Payout.Kind.REFUND, amount_fen=6000, actor=None)
            outcomes.append("paid")
        except DomainError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(case,)) for case in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["paid", "refused"]
    assert payouts.refundable_fen(first.order) == 4000
