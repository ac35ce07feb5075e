"""Every claim the code guards with a conditional update, tested without real concurrency.

A conditional update that stops conditioning is visible on SQLite too: claim the same row twice, or let a rival
change the row between the claimer's read and its update (the read goes stale), and check that the second claimer
gets nothing. The PostgreSQL tests (marked `postgres`) run the same races with real threads.

Mutation testing of claim_case (`make mutate MUTANTS='backoffice.cases.services.x_claim_case*'`) showed its refusal
messages, its pk filter and its audit event untested; the tests below kill them. One survivor is equivalent:
`case.refresh_from_db(fields=[…])` → `fields=None` reloads every field instead of three.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import (
    CaseEvent,
    CaseKind,
    Coupon,
    EventType,
    FollowUp,
    ImportJob,
    OutboundMessage,
    Status,
    StoreSettings,
)
from backoffice.platform.importing import jobs
from logistics import detection, services
from logistics.models import OutOfStockOffer, Problem
from tests.factories import AgentFactory, CaseFactory, OutboundMessageFactory, make_order, shanghai

pytestmark = pytest.mark.django_db

WEDNESDAY_2PM = shanghai(2026, 3, 4, 14)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def rival(db):
    return AgentFactory(username="rival")


def _rival_claims_first(monkeypatch, rival):
    """Between take-next's read of the candidates and its conditional update, the rival takes every open case."""
    real = casework._claim_changes

    def rival_first(agent, **kwargs):
        casework.Case.objects.filter(assignee__isnull=True).update(assignee=rival)
        return real(agent, **kwargs)

    monkeypatch.setattr(casework, "_claim_changes", rival_first)


# --- cases -----------------------------------------------------------------------------------------------------------


def test_take_next_skips_a_case_a_rival_claimed_after_it_was_read(agent, rival, monkeypatch):
    case = CaseFactory()
    _rival_claims_first(monkeypatch, rival)

    assert casework.take_next_case(agent=agent, desk=case.desk) is None

    case.refresh_from_db()
    assert case.assignee == rival
    assert not CaseEvent.objects.filter(case=case, type=EventType.CASE_CLAIMED).exists()


def test_take_next_automatic_skips_a_case_a_rival_claimed_after_it_was_read(agent, rival, monkeypatch):
    case = CaseFactory()
    _rival_claims_first(monkeypatch, rival)

    assert casework.take_next_case(agent=agent, desk=case.desk, automatic=True) is None
    case.refresh_from_db()
    assert case.assignee == rival


@pytest.mark.parametrize("automatic", [False, True])
def test_take_next_keeps_looking_while_rivals_take_each_case_it_was_about_to_claim(
    agent, rival, monkeypatch, automatic
):
    """A busy queue: a hundred times in a row, a rival takes the very case the agent was about to claim. The agent
    still gets one of the cases left, never "no case waiting" while unassigned cases exist."""
    start = timezone.now() - dt.timedelta(hours=1)
    first = CaseFactory(created_at=start)
    at = [start + dt.timedelta(seconds=i) for i in range(1, 105)]
    cases = [first, *(CaseFactory(customer=first.customer, order=first.order, created_at=t) for t in at)]
    real = casework._claim_changes
    interruptions = []

    def rival_takes_the_most_urgent_first(agent, **kwargs):
        if len(interruptions) < 100:
            most_urgent = casework.Case.objects.filter(assignee__isnull=True).order_by("created_at", "pk").first()
            casework.Case.objects.filter(pk=most_urgent.pk).update(assignee=rival)
            interruptions.append(most_urgent.pk)
        return real(agent, **kwargs)

    monkeypatch.setattr(casework, "_claim_changes", rival_takes_the_most_urgent_first)

    taken = casework.take_next_case(agent=agent, desk=first.desk, automatic=automatic)

    assert len(interruptions) == 100
    assert taken is not None and taken.pk not in interruptions
    assert taken == cases[100]  # the most urgent case left, not just any
    assert taken.assignee == agent
    assert casework.Case.objects.filter(assignee__isnull=True).count() == 4
    event = CaseEvent.objects.get(case=taken)
    assert event.type == (EventType.CASE_ASSIGNED if automatic else EventType.CASE_CLAIMED)
    assert event.before == {"assignee": None, "status": Status.NEW}
    assert event.after["assignee"] == "agent"


def test_take_next_answers_empty_only_when_no_unassigned_open_case_is_left(agent, rival):
    cases = CaseFactory.create_batch(3)
    casework.claim_case(case=cases[0], agent=rival)
    casework.transition_case(case=cases[1], to=Status.CLOSED, actor=rival)

    assert casework.take_next_case(agent=agent, desk=cases[0].desk) == cases[2]
    assert casework.take_next_case(agent=agent, desk=cases[0].desk) is None


def test_claiming_the_same_case_twice_from_a_stale_page_gives_it_to_the_first(agent, rival):
    case = CaseFactory()
    stale = casework.Case.objects.get(pk=case.pk)
    casework.claim_case(case=case, agent=rival)

    with pytest.raises(DomainError, match=r"^Another agent took this case first\.$"):
        casework.claim_case(case=stale, agent=agent)

    stale.refresh_from_db()
    assert stale.assignee == rival
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_CLAIMED).count() == 1


def test_a_claim_starts_the_case_and_records_who_took_it_from_whom(agent):
    case = CaseFactory()
    claimed = casework.claim_case(case=case, agent=agent)

    assert claimed.assignee == agent and claimed.status == Status.IN_PROGRESS
    event = CaseEvent.objects.get(case=case, type=EventType.CASE_CLAIMED)
    assert event.actor == agent
    assert event.before == {"assignee": None, "status": Status.NEW}
    assert event.after == {"assignee": "agent", "status": Status.IN_PROGRESS}  # the username


def test_take_next_never_gets_stuck_behind_closed_unassigned_cases(agent):
    soon = timezone.now() + dt.timedelta(hours=1)
    CaseFactory.create_batch(21, status=Status.CLOSED, due_at=soon)  # closed by the system, never taken
    waiting = CaseFactory(due_at=soon + dt.timedelta(hours=5))

    assert casework.take_next_case(agent=agent, desk=waiting.desk) == waiting


def test_claiming_one_case_leaves_the_others_unassigned(agent):
    case, other = CaseFactory(), CaseFactory()
    casework.claim_case(case=case, agent=agent)
    other.refresh_from_db()
    assert other.assignee is None and other.status == Status.NEW


def test_take_next_gives_one_case_and_leaves_the_others_unassigned(agent):
    cases = [CaseFactory(), CaseFactory()]
    taken = casework.take_next_case(agent=agent, desk=cases[0].desk)
    assert casework.Case.objects.filter(assignee=agent).count() == 1
    assert casework.Case.objects.get(assignee=agent) == taken


def test_claiming_a_case_closed_since_the_page_was_read_is_refused(agent):
    case = CaseFactory(status=Status.IN_PROGRESS)
    stale = casework.Case.objects.get(pk=case.pk)
    casework.Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)

    with pytest.raises(DomainError, match="Another agent took this case first"):
        casework.claim_case(case=stale, agent=agent)
    case.refresh_from_db()
    assert case.assignee is None


def test_a_closed_case_cannot_be_claimed(agent):
    case = CaseFactory(status=Status.CLOSED)
    with pytest.raises(DomainError, match=r"^Only open cases can be taken\.$"):
        casework.claim_case(case=case, agent=agent)
    assert not CaseEvent.objects.filter(case=case, type=EventType.CASE_CLAIMED).exists()


def test_a_transition_from_a_stale_status_is_refused(agent):
    case = CaseFactory(status=Status.IN_PROGRESS, assignee=agent)
    stale = casework.Case.objects.get(pk=case.pk)
    casework.transition_case(case=case, to=Status.RESOLVED, actor=agent)

    with pytest.raises(DomainError):
        casework.transition_case(case=stale, to=Status.RESOLVED, actor=agent)
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).count() == 1


# --- follow-ups ------------------------------------------------------------------------------------------------------


@pytest.fixture
def due_followup(agent):
    from aftersales import services as aftersales

    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        order = make_order(shipped=True, tracking_events=5)
        case = aftersales.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
        case = aftersales.approve_refund(case=case, actor=agent)
        aftersales.confirm_payout(payout=case.payouts.get(), succeeded=True)
        aftersales.close_case(case=case, actor=agent)
    return FollowUp.objects.get(case=case)


def test_a_followup_can_be_claimed_for_sending_once(due_followup):
    now = timezone.now()
    assert followups.claim_for_sending(due_followup.pk, now=now) is True
    assert followups.claim_for_sending(due_followup.pk, now=now) is False
    due_followup.refresh_from_db()
    assert due_followup.state == FollowUp.State.SENT and due_followup.attempts == 1


@pytest.mark.parametrize("state", [FollowUp.State.CANCELLED, FollowUp.State.REFUSED, FollowUp.State.FAILED])
def test_a_followup_no_longer_scheduled_cannot_be_claimed(due_followup, state):
    FollowUp.objects.filter(pk=due_followup.pk).update(state=state)
    assert followups.claim_for_sending(due_followup.pk, now=timezone.now()) is False


def test_a_dispatcher_whose_read_went_stale_sends_nothing(due_followup, monkeypatch):
    """The locked read hides the claim on PostgreSQL; here a rival sends the row between the read and the claim."""
    real = followups.claim_for_sending

    def rival_sends_first(followup_id, *, now):
        FollowUp.objects.filter(pk=followup_id).update(state=FollowUp.State.SENT, sent_at=now)
        return real(followup_id, now=now)

    monkeypatch.setattr(followups, "claim_for_sending", rival_sends_first)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        assert followups.dispatch_followup(due_followup.pk) == "skipped"
    assert not Coupon.objects.filter(followup=due_followup).exists()
    assert not OutboundMessage.objects.filter(idempotency_key=f"followup:{due_followup.pk}").exists()


# --- outbox ----------------------------------------------------------------------------------------------------------


def test_delivering_the_same_message_twice_sends_it_once():
    case = CaseFactory()
    message = OutboundMessageFactory(customer=case.customer, case=case)

    assert outbox.deliver(message.pk) == "sent"
    assert outbox.deliver(message.pk) == "skipped"

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT and message.attempts == 1
    assert CaseEvent.objects.filter(case=case, type=EventType.OUTBOUND_SENT).count() == 1


def test_a_message_in_another_workers_hands_is_not_sent_again():
    message = OutboundMessageFactory(state=OutboundMessage.State.SENDING, attempts=1)
    assert outbox.deliver(message.pk) == "skipped"
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENDING and message.attempts == 1


def test_retrying_a_failed_message_twice_queues_it_once(supervisor):
    message = OutboundMessageFactory(state=OutboundMessage.State.FAILED, attempts=5)
    stale = OutboundMessage.objects.get(pk=message.pk)

    assert outbox.retry_failed(message=message, actor=supervisor) is True
    OutboundMessage.objects.filter(pk=message.pk).update(attempts=1)  # the retry's first attempt is under way
    assert outbox.retry_failed(message=stale, actor=supervisor) is False
    message.refresh_from_db()
    assert message.attempts == 1


# --- import jobs -----------------------------------------------------------------------------------------------------


@pytest.fixture
def orders_file():
    from tests.importing.conftest import fixture

    return fixture("orders_gbk.csv")


def test_a_queued_import_phase_is_claimed_once(orders_file):
    job = jobs.create_job(source=orders_file, original_name="orders.csv", check=False)
    assert job.state == ImportJob.State.IMPORT_QUEUED

    assert jobs._claim_and_run(job.pk) is True
    assert jobs._claim_and_run(job.pk) is False
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE


def test_starting_a_checked_import_twice_from_a_stale_page_starts_it_once(orders_file):
    job = jobs.create_job(source=orders_file, original_name="orders.csv")
    job = jobs.run_job(job.pk)
    assert job.state == ImportJob.State.CHECKED
    stale = ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.DONE)  # a first start already ran it

    with pytest.raises(DomainError, match="started already"):
        jobs.start_import(job=stale)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE


def test_resuming_a_stale_job_twice_requeues_it_once(orders_file):
    job = jobs.create_job(source=orders_file, original_name="orders.csv", check=False)
    long_ago = timezone.now() - dt.timedelta(hours=2)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING, heartbeat_at=long_ago)
    job.refresh_from_db()
    stale = ImportJob.objects.get(pk=job.pk)

    resumed = jobs.resume(job=job)
    assert resumed.state == ImportJob.State.IMPORT_QUEUED
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING)  # its worker runs it again
    with pytest.raises(DomainError, match="resumed this job just now"):
        jobs.resume(job=stale)


# --- logistics -------------------------------------------------------------------------------------------------------


def test_storing_the_same_problem_twice_opens_one_case():
    order = make_order(paid_at=timezone.now() - dt.timedelta(hours=50))
    found = detection.Found(order.pk, order.customer_id, CaseKind.NOT_SHIPPED, stage="late")
    store = StoreSettings.load()

    first = detection.open_problem(found, now=timezone.now(), store=store)
    second = detection.open_problem(found, now=timezone.now(), store=store)

    assert first is not None and second is None
    assert Problem.objects.filter(order=order, kind=CaseKind.NOT_SHIPPED).count() == 1
    assert casework.Case.objects.filter(order=order, kind=CaseKind.NOT_SHIPPED).count() == 1


def test_an_out_of_stock_choice_recorded_twice_counts_once(agent):
    case = services.report_out_of_stock(order=make_order(), actor=agent)
    offer = services.offer_out_of_stock_choice(case=case, actor=agent)
    assert offer.choice == OutOfStockOffer.Choice.PENDING

    services.record_offer_choice(case=case, actor=agent, choice=OutOfStockOffer.Choice.WAIT)
    with pytest.raises(DomainError):
        services.record_offer_choice(case=case, actor=agent, choice=OutOfStockOffer.Choice.REFUND)
    offer.refresh_from_db()
    assert offer.choice == OutOfStockOffer.Choice.WAIT
    assert not casework.Case.objects.filter(order=case.order, kind=CaseKind.REFUND).exists()
