"""The case core at its edges: numbers, deadlines and the countdown's colour, opening, moving, priorities, handing
cases over, notes and duty — each pinned to the exact row and timeline entry it leaves.

Written against `make mutate MUTANTS='backoffice.cases.services*'`: each test pins a state a plausible slip would
change (a bound off by one, a filter dropped, a field of the timeline entry).
"""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CaseKind,
    Desk,
    EventType,
    Priority,
    ResponseWait,
    StaffProfile,
    Status,
    StoreSettings,
)
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, make_order, shanghai

pytestmark = pytest.mark.django_db

NOON = shanghai(2026, 3, 4, 12)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- events -----------------------------------------------------------------------------------------------------


def test_an_event_without_body_or_target_names_its_case_or_nothing():
    case = CaseFactory()
    with time_machine.travel(NOON, tick=False):
        on_case = casework.record_event(case=case, type=EventType.NOTE)
        off_case = casework.record_event(case=None, type=EventType.DUTY_CHANGED)
    for event in (on_case, off_case):
        event = CaseEvent.objects.get(pk=event.pk)
        assert (event.body, event.before, event.after, event.external_id, event.actor, event.at) == (
            "",
            {},
            {},
            "",
            None,
            NOON,
        )
    assert (CaseEvent.objects.get(pk=on_case.pk).target, CaseEvent.objects.get(pk=off_case.pk).target) == (
        case.number,
        "",
    )


# --- numbers ----------------------------------------------------------------------------------------------------


def test_numbers_count_per_desk_and_per_shanghai_day():
    late = shanghai(2026, 3, 4, 23, 59)  # 15:59 UTC: still the 4th in Shanghai
    assert casework.next_case_number(Desk.AFTERSALES, late) == "AS-20260304-0001"
    assert casework.next_case_number(Desk.AFTERSALES, late) == "AS-20260304-0002"
    assert casework.next_case_number(Desk.LOGISTICS, late) == "LG-20260304-0001"
    assert casework.next_case_number(Desk.AFTERSALES, shanghai(2026, 3, 5, 0, 0)) == "AS-20260305-0001"
    assert CaseCounter.objects.get(prefix="AS", day=dt.date(2026, 3, 4)).last == 2


def test_a_number_without_a_time_is_todays():
    with time_machine.travel(shanghai(2026, 3, 4, 7, 30), tick=False):  # 23:30 UTC the day before
        assert casework.next_case_number(Desk.CALLBACK) == "CB-20260304-0001"


def test_a_counter_another_process_created_first_is_counted_on():
    CaseCounter.objects.create(prefix="AS", day=dt.date(2026, 3, 4), last=41)
    assert casework.next_case_number(Desk.AFTERSALES, NOON) == "AS-20260304-0042"


# --- deadlines ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "setting"),
    [
        (CaseKind.REFUND, "refund_handle_hours"),
        (CaseKind.RETURN, "return_review_hours"),
        (CaseKind.EXCHANGE, "exchange_review_hours"),
        (CaseKind.COMPENSATION, "compensation_handle_hours"),
        (CaseKind.RESHIP, "reship_handle_hours"),
        (CaseKind.REVIEW, "review_handle_hours"),
    ],
)
def test_each_kind_is_due_after_its_own_setting(kind, setting):
    store = StoreSettings.load()
    for other in casework.DEADLINE_SETTINGS.values():
        setattr(store, other, 100)
    setattr(store, setting, 7)
    assert casework.resolve_deadline(kind, NOON, store) == NOON + dt.timedelta(hours=7)


def test_kinds_without_a_setting_have_no_deadline():
    store = StoreSettings.load()
    assert casework.resolve_deadline(CaseKind.INQUIRY, NOON, store) is None
    assert casework.resolve_deadline(CaseKind.STALLED, NOON, store) is None


def test_the_nearest_due_ignores_missing_moments():
    later = NOON + dt.timedelta(hours=1)
    assert casework.nearest_due(None, later, NOON, None) == NOON
    assert casework.nearest_due(later) == later
    assert casework.nearest_due(None, None) is None
    assert casework.nearest_due() is None


def test_the_case_is_due_at_its_nearest_deadline_and_handling_stops_counting_once_handled():
    reply = NOON + dt.timedelta(minutes=3)
    resolve = NOON + dt.timedelta(hours=48)
    handle = NOON + dt.timedelta(hours=1)
    case = Case(first_response_due=reply, resolve_due=resolve, handle_due=handle, handled_at=None)
    assert casework.case_due(case) == reply
    case.first_response_due = None
    assert casework.case_due(case) == handle
    case.handled_at = NOON
    assert casework.case_due(case) == resolve
    case.resolve_due = None
    assert casework.case_due(case) is None


# --- the countdown's colour ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes_left", "colour"),
    [(-1, "overdue"), (0, "overdue"), (1, "soon"), (120, "soon"), (121, "ok")],
)
def test_the_countdown_turns_at_due_soon_and_at_the_deadline(minutes_left, colour):
    case = Case(status=Status.IN_PROGRESS, due_at=NOON + dt.timedelta(minutes=minutes_left))
    assert casework.sla_state(case, now=NOON) == colour


def test_the_due_soon_window_is_a_parameter():
    case = Case(status=Status.WAITING, due_at=NOON + dt.timedelta(minutes=30))
    assert casework.sla_state(case, now=NOON, due_soon_minutes=30) == "soon"
    assert casework.sla_state(case, now=NOON, due_soon_minutes=29) == "ok"


def test_the_countdown_without_a_time_reads_the_clock():
    case = Case(status=Status.NEW, due_at=NOON)
    with time_machine.travel(NOON - dt.timedelta(minutes=121), tick=False):
        assert casework.sla_state(case) == "ok"
    with time_machine.travel(NOON - dt.timedelta(minutes=120), tick=False):
        assert casework.sla_state(case) == "soon"
    with time_machine.travel(NOON, tick=False):
        assert casework.sla_state(case) == "overdue"


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_a_settled_case_or_one_without_a_deadline_has_no_countdown(status):
    assert casework.sla_state(Case(status=status, due_at=NOON), now=NOON + dt.timedelta(days=1)) == "none"
    assert casework.sla_state(Case(status=Status.NEW, due_at=None), now=NOON) == "none"


# --- opening ------------------------------------------------------------------------------------------------------


def test_opening_a_case_records_everything_it_was_opened_with():
    customer = CustomerFactory()
    order = make_order(customer=customer, paid_fen=5990)
    agent = AgentFactory()
    case = casework.open_case(
        desk=Desk.AFTERSALES,
        kind=CaseKind.RETURN,
        customer=None,  # taken from the order
        order=order,
        actor=agent,
        reason="size",
        subject="x" * 250,
        amount_fen=5990,
        small_defect=True,
        priority=Priority.HIGH,
        source="platform",
        external_id="pdd-77",
        opened_at=NOON,
    )
    case = Case.objects.get(pk=case.pk)
    assert case.number == "AS-20260304-0001"
    assert (case.desk, case.kind, case.customer, case.order, case.reason) == (
        Desk.AFTERSALES,
        CaseKind.RETURN,
        customer,
        order,
        "size",
    )
    assert case.subject == "x" * 200
    assert (case.amount_fen, case.small_defect, case.priority, case.source, case.external_id) == (
        5990,
        True,
        Priority.HIGH,
        "platform",
        "pdd-77",
    )
    due = NOON + dt.timedelta(hours=24)  # return review (A7)
    assert (case.resolve_due, case.due_at, case.created_at, case.updated_at) == (due, due, NOON, NOON)
    assert (case.status, case.assignee) == (Status.NEW, None)
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.actor, event.at, event.target) == (EventType.CASE_OPENED, agent, NOON, case.number)
    assert event.after == {
        "kind": "return",
        "status": "new",
        "reason": "size",
        "amount_fen": 5990,
        "source": "platform",
        "order": order.number,
    }


def test_opening_without_a_time_or_an_order_uses_the_clock_and_the_defaults():
    customer = CustomerFactory()
    with time_machine.travel(NOON, tick=False):
        case = casework.open_case(desk=Desk.LOGISTICS, kind=CaseKind.STALLED, customer=customer)
    case = Case.objects.get(pk=case.pk)
    assert (case.number, case.customer, case.order, case.created_at) == ("LG-20260304-0001", customer, None, NOON)
    assert (case.priority, case.source, case.amount_fen, case.small_defect) == (Priority.NORMAL, "manual", 0, False)
    assert (case.reason, case.subject) == ("", "")
    assert (case.resolve_due, case.due_at) == (None, None)
    event = CaseEvent.objects.get(case=case)
    assert (event.actor, event.at, event.after["order"]) == (None, NOON, None)


def test_a_given_deadline_overrides_the_kinds_and_a_given_customer_the_orders():
    customer, other = CustomerFactory(), CustomerFactory()
    order = make_order(customer=other)
    due = NOON + dt.timedelta(hours=5)
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=customer, order=order, resolve_due=due, opened_at=NOON
    )
    case = Case.objects.get(pk=case.pk)
    assert (case.customer, case.resolve_due, case.due_at) == (customer, due, due)


def test_the_deadline_follows_the_store_given():
    store = StoreSettings.load()
    store.refund_handle_hours = 5
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=CustomerFactory(), opened_at=NOON, store=store
    )
    assert Case.objects.get(pk=case.pk).due_at == NOON + dt.timedelta(hours=5)


def test_amounts_from_nothing_to_what_was_paid_are_accepted_and_outside_refused():
    order = make_order(paid_fen=5990)
    for amount in (0, 5990):
        case = casework.open_case(
            desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=None, order=order, amount_fen=amount
        )
        assert Case.objects.get(pk=case.pk).amount_fen == amount
    with pytest.raises(DomainError) as refused:
        casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=None, order=order, amount_fen=5991)
    assert str(refused.value) == "The amount cannot be more than the customer paid for the order."
    with pytest.raises(DomainError) as refused:
        casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=None, order=order, amount_fen=-1)
    assert str(refused.value) == "The amount cannot be negative."
    assert Case.objects.count() == 2


def test_without_an_order_any_amount_is_accepted():
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.COMPENSATION, customer=CustomerFactory(), amount_fen=10**6
    )
    assert case.amount_fen == 10**6


# --- moving a case ------------------------------------------------------------------------------------------------


@pytest.fixture
def hooks(monkeypatch):
    """Which of the closure hooks a move ran, in order, with the case's status at the time."""
    calls = []
    for name in ("after_close", "after_resolve", "after_reopen"):
        monkeypatch.setattr(
            casework.closure, name, lambda *, case, actor, name=name: calls.append((name, case.status, actor))
        )
    return calls


def _with_deadlines(status=Status.NEW, **fields):
    due = NOON + dt.timedelta(hours=48)
    reply = NOON + dt.timedelta(minutes=3)
    return CaseFactory(
        status=status,
        awaiting_reply_since=NOON,
        first_response_due=reply,
        resolve_due=due,
        due_at=reply,
        created_at=NOON - dt.timedelta(hours=1),
        **fields,
    )


def _wait(case, **fields):
    return ResponseWait.objects.create(case=case, started_at=NOON, due_at=NOON + dt.timedelta(minutes=3), **fields)


def test_a_move_to_the_same_state_changes_nothing(hooks):
    case = CaseFactory(status=Status.IN_PROGRESS, updated_at=NOON)
    assert casework.transition_case(case=case, to=Status.IN_PROGRESS) is case
    assert Case.objects.get(pk=case.pk).updated_at == NOON
    assert not CaseEvent.objects.filter(case=case).exists()
    assert hooks == []


def test_a_move_off_the_table_is_refused_by_its_message(hooks):
    case = CaseFactory(status=Status.CLOSED)
    with pytest.raises(DomainError) as refused:
        casework.transition_case(case=case, to=Status.WAITING)
    assert str(refused.value) == "A case that is “Closed” cannot become “Waiting on customer”."
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    assert not CaseEvent.objects.filter(case=case).exists()
    assert hooks == []


def test_resolving_stamps_the_time_clears_every_deadline_and_ends_the_open_wait_as_a_miss(hooks):
    agent = AgentFactory()
    case = _with_deadlines()
    ended_earlier = _wait(case, ended_at=NOON - dt.timedelta(days=1))
    open_wait = _wait(case)
    answered = _wait(case, answered_at=NOON, answered_by=agent, answer="reply")
    elsewhere = _wait(CaseFactory())
    later = NOON + dt.timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        moved = casework.transition_case(case=case, to=Status.RESOLVED, actor=agent, note="已退款")
    assert moved is case
    for row in (case, Case.objects.get(pk=case.pk)):
        assert (row.status, row.resolved_at, row.closed_at, row.updated_at) == (Status.RESOLVED, later, None, later)
        assert (row.awaiting_reply_since, row.first_response_due, row.resolve_due, row.due_at) == (None,) * 4
    assert ResponseWait.objects.get(pk=open_wait.pk).ended_at == later
    assert ResponseWait.objects.get(pk=answered.pk).ended_at is None
    assert ResponseWait.objects.get(pk=ended_earlier.pk).ended_at == NOON - dt.timedelta(days=1)
    assert ResponseWait.objects.get(pk=elsewhere.pk).ended_at is None
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.actor, event.body, event.before, event.after) == (
        EventType.CASE_STATUS,
        agent,
        "已退款",
        {"status": "new"},
        {"status": "resolved"},
    )
    assert hooks == [("after_resolve", Status.RESOLVED, agent)]


def test_closing_stamps_the_close_and_clears_every_deadline(hooks):
    agent = AgentFactory()
    case = _with_deadlines(status=Status.IN_PROGRESS)
    wait = _wait(case)
    with time_machine.travel(NOON, tick=False):
        casework.transition_case(case=case, to=Status.CLOSED, actor=agent)
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.resolved_at, row.closed_at) == (Status.CLOSED, None, NOON)
    assert (row.awaiting_reply_since, row.first_response_due, row.resolve_due, row.due_at) == (None,) * 4
    assert ResponseWait.objects.get(pk=wait.pk).ended_at == NOON
    event = CaseEvent.objects.get(case=case)
    assert (event.actor, event.body) == (agent, "")  # no note: an empty body
    assert hooks == [("after_close", Status.CLOSED, agent)]


def test_waiting_on_the_customer_keeps_the_deadlines_and_the_wait(hooks):
    case = _with_deadlines()
    wait = _wait(case)
    with time_machine.travel(NOON, tick=False):
        casework.transition_case(case=case, to=Status.WAITING)
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.resolved_at, row.closed_at, row.updated_at) == (Status.WAITING, None, None, NOON)
    assert (row.awaiting_reply_since, row.first_response_due) == (NOON, NOON + dt.timedelta(minutes=3))
    assert (row.resolve_due, row.due_at) == (NOON + dt.timedelta(hours=48), NOON + dt.timedelta(minutes=3))
    assert ResponseWait.objects.get(pk=wait.pk).ended_at is None
    assert hooks == []


@pytest.mark.parametrize("settled", [Status.RESOLVED, Status.CLOSED])
def test_reopening_clears_the_settled_times_and_runs_the_reopen_hook(hooks, settled):
    agent = AgentFactory()
    case = CaseFactory(status=settled, resolved_at=NOON, closed_at=NOON)
    later = NOON + dt.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=agent)
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.resolved_at, row.closed_at, row.updated_at) == (Status.IN_PROGRESS, None, None, later)
    assert (case.resolved_at, case.closed_at) == (None, None)
    assert hooks == [("after_reopen", Status.IN_PROGRESS, agent)]


def test_closing_a_resolved_case_keeps_when_it_was_resolved(hooks):
    case = CaseFactory(status=Status.RESOLVED, resolved_at=NOON)
    later = NOON + dt.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        casework.transition_case(case=case, to=Status.CLOSED)
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.resolved_at, row.closed_at) == (Status.CLOSED, NOON, later)
    assert hooks == [("after_close", Status.CLOSED, None)]


def test_a_move_carries_the_callers_extra_fields(hooks):
    case = CaseFactory(status=Status.IN_PROGRESS)
    casework.transition_case(case=case, to=Status.RESOLVED, extra={"resolved_amount_fen": 123})
    assert Case.objects.get(pk=case.pk).resolved_amount_fen == 123
    assert case.resolved_amount_fen == 123


def test_a_stale_copy_is_refused_by_its_message_and_records_nothing(hooks):
    case = CaseFactory(status=Status.NEW)
    stale = Case.objects.get(pk=case.pk)
    casework.transition_case(case=case, to=Status.IN_PROGRESS)
    with pytest.raises(DomainError) as refused:
        casework.transition_case(case=stale, to=Status.RESOLVED)
    assert str(refused.value) == "Someone else changed this case just now. Reload it and try again."
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS
    assert stale.status == Status.NEW
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert hooks == []


def test_a_move_changes_only_its_own_case(hooks):
    case, other = CaseFactory(status=Status.NEW), CaseFactory(status=Status.NEW)
    casework.transition_case(case=case, to=Status.CLOSED)
    assert Case.objects.get(pk=other.pk).status == Status.NEW


# --- priority -----------------------------------------------------------------------------------------------------


def test_a_new_priority_is_stored_and_audited_and_the_same_one_is_not():
    agent = AgentFactory()
    case = CaseFactory(priority=Priority.NORMAL, updated_at=NOON)
    other = CaseFactory(priority=Priority.NORMAL)
    assert casework.set_priority(case=case, priority=Priority.NORMAL, actor=agent) is case
    assert not CaseEvent.objects.filter(case=case).exists()
    later = NOON + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert casework.set_priority(case=case, priority=Priority.URGENT, actor=agent) is case
    row = Case.objects.get(pk=case.pk)
    assert (row.priority, row.updated_at, case.priority) == (Priority.URGENT, later, Priority.URGENT)
    assert Case.objects.get(pk=other.pk).priority == Priority.NORMAL
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.actor, event.before, event.after) == (
        EventType.CASE_PRIORITY,
        agent,
        {"priority": 1},
        {"priority": 3},
    )


# --- releasing and assigning --------------------------------------------------------------------------------------

# mutmut: x_release_case__mutmut_20, _25 (after=None, after left out) are equivalent: record_event stores `after or {}`.
# mutmut: x_assign_case__mutmut_13 (allows() without WORK, so VIEW) is equivalent: every desk gives both the same roles.


def test_the_assignee_releases_a_case_to_the_queue():
    agent = AgentFactory(username="xiaoli")
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS, updated_at=NOON)
    other = CaseFactory(assignee=agent)
    later = NOON + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert casework.release_case(case=case, agent=agent) is case
    row = Case.objects.get(pk=case.pk)
    assert (row.assignee, row.updated_at, row.status, case.assignee) == (None, later, Status.IN_PROGRESS, None)
    assert Case.objects.get(pk=other.pk).assignee == agent
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.actor, event.before, event.after) == (
        EventType.CASE_RELEASED,
        agent,
        {"assignee": "xiaoli"},
        {},
    )


def test_only_the_assignee_can_release_and_is_told_so():
    agent = AgentFactory()
    case = CaseFactory(assignee=agent)
    for someone in (AgentFactory(), agent):
        if someone is agent:
            casework.release_case(case=case, agent=agent)
            continue
        with pytest.raises(DomainError) as refused:
            casework.release_case(case=case, agent=someone)
        assert str(refused.value) == "Only the assignee can release this case."
        assert Case.objects.get(pk=case.pk).assignee == agent
    with pytest.raises(DomainError):
        casework.release_case(case=case, agent=agent)  # released already
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_RELEASED).count() == 1


def test_a_supervisor_assigns_and_reassigns_and_gives_back_each_audited():
    supervisor = AgentFactory(username="boss")
    first, second = AgentFactory(username="a1"), AgentFactory(username="a2")
    case = CaseFactory(updated_at=NOON)
    other = CaseFactory()
    later = NOON + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert casework.assign_case(case=case, assignee=first, actor=supervisor) is case
    row = Case.objects.get(pk=case.pk)
    assert (row.assignee, row.updated_at, case.assignee) == (first, later, first)
    assert Case.objects.get(pk=other.pk).assignee is None
    casework.assign_case(case=case, assignee=second, actor=supervisor)
    casework.assign_case(case=case, assignee=None, actor=supervisor)
    assert Case.objects.get(pk=case.pk).assignee is None
    events = CaseEvent.objects.filter(case=case).order_by("pk")
    assert [(e.type, e.actor, e.before, e.after) for e in events] == [
        (EventType.CASE_ASSIGNED, supervisor, {"assignee": None}, {"assignee": "a1"}),
        (EventType.CASE_ASSIGNED, supervisor, {"assignee": "a1"}, {"assignee": "a2"}),
        (EventType.CASE_ASSIGNED, supervisor, {"assignee": "a2"}, {"assignee": None}),
    ]


def test_assigning_to_whoever_has_it_already_records_nothing():
    agent = AgentFactory()
    case = CaseFactory(assignee=agent, updated_at=NOON)
    assert casework.assign_case(case=case, assignee=agent, actor=None) is case
    unassigned = CaseFactory(updated_at=NOON)
    casework.assign_case(case=unassigned, assignee=None, actor=None)
    assert Case.objects.get(pk=case.pk).updated_at == NOON
    assert Case.objects.get(pk=unassigned.pk).updated_at == NOON
    assert not CaseEvent.objects.exists()


def test_a_call_back_is_never_assigned_to_an_agent():
    agent = AgentFactory(first_name="", last_name="", username="xiaoli")
    case = CaseFactory(callback=True)
    with pytest.raises(DomainError) as refused:
        casework.assign_case(case=case, assignee=agent, actor=None)
    assert str(refused.value) == f"xiaoli cannot work {case.number}: that desk is not open to their role."
    assert Case.objects.get(pk=case.pk).assignee is None
    assert not CaseEvent.objects.filter(case=case).exists()


def test_assigning_many_returns_only_those_that_changed_and_all_or_nothing():
    agent = AgentFactory()
    already = CaseFactory(assignee=agent)
    free = CaseFactory()
    taken = CaseFactory(assignee=AgentFactory())
    supervisor = AgentFactory()
    assert casework.assign_cases(cases=[already, free, taken], assignee=agent, actor=supervisor) == [free, taken]
    assert [(e.case, e.actor) for e in CaseEvent.objects.order_by("pk")] == [(free, supervisor), (taken, supervisor)]
    assert casework.assign_cases(cases=[free, taken], assignee=None, actor=None) == [free, taken]
    assert casework.assign_cases(cases=[free], assignee=None, actor=None) == []
    callback = CaseFactory(callback=True)
    with pytest.raises(DomainError):
        casework.assign_cases(cases=[free, callback], assignee=agent, actor=None)
    assert Case.objects.get(pk=free.pk).assignee is None  # rolled back with the refused one


# --- notes --------------------------------------------------------------------------------------------------------


def test_a_note_is_trimmed_audited_and_moves_the_case():
    agent = AgentFactory()
    case = CaseFactory(updated_at=NOON)
    other = CaseFactory(updated_at=NOON)
    later = NOON + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        event = casework.add_note(case=case, body="  已催仓库 \n", actor=agent)
    assert (event.case, event.type, event.actor, event.body) == (case, EventType.NOTE, agent, "已催仓库")
    assert CaseEvent.objects.get(pk=event.pk).body == "已催仓库"
    assert Case.objects.get(pk=case.pk).updated_at == later
    assert Case.objects.get(pk=other.pk).updated_at == NOON


def test_an_empty_note_is_refused_by_its_message():
    case = CaseFactory(updated_at=NOON)
    with pytest.raises(DomainError) as refused:
        casework.add_note(case=case, body=" \n ", actor=AgentFactory())
    assert str(refused.value) == "The note is empty."
    assert Case.objects.get(pk=case.pk).updated_at == NOON
    assert not CaseEvent.objects.exists()


# --- duty ---------------------------------------------------------------------------------------------------------


def test_going_on_and_off_duty_is_stored_and_audited_once_per_change():
    agent = AgentFactory()
    with time_machine.travel(NOON, tick=False):
        profile = casework.set_on_duty(user=agent, on_duty=True)
    assert (profile.on_duty, profile.on_duty_changed_at) == (True, NOON)
    stored = StaffProfile.objects.get(user=agent)
    assert (stored.on_duty, stored.on_duty_changed_at) == (True, NOON)
    with time_machine.travel(NOON + dt.timedelta(hours=1), tick=False):
        assert casework.set_on_duty(user=agent, on_duty=True).on_duty_changed_at == NOON
    later = NOON + dt.timedelta(hours=8)
    with time_machine.travel(later, tick=False):
        casework.set_on_duty(user=agent, on_duty=False)
    stored = StaffProfile.objects.get(user=agent)
    assert (stored.on_duty, stored.on_duty_changed_at) == (False, later)
    events = CaseEvent.objects.filter(type=EventType.DUTY_CHANGED).order_by("pk")
    assert [(e.case, e.actor, e.target, e.before, e.after, e.at) for e in events] == [
        (None, agent, f"user:{agent.pk}", {"on_duty": False}, {"on_duty": True}, NOON),
        (None, agent, f"user:{agent.pk}", {"on_duty": True}, {"on_duty": False}, later),
    ]


def test_going_off_duty_when_never_on_records_nothing():
    agent = AgentFactory()
    profile = casework.set_on_duty(user=agent, on_duty=False)
    assert (profile.on_duty, profile.on_duty_changed_at) == (False, None)
    assert not CaseEvent.objects.exists()
