"""Take-next and round robin at their edges: which case comes first, what the claim changes, what the timeline says.

Every ordering test runs twice: with the plain read SQLite uses, and with the PostgreSQL read (intervened cases and
the rest each from their own index, then the locked fallback). SQLite ignores FOR UPDATE, so switching the feature
flag on runs that branch's choices here too; its locks themselves are tested by the tests marked `postgres`.

Written against `make mutate MUTANTS='backoffice.cases.services*'` (take_next_case, _claim_changes, auto_assign).
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.cases import services as casework
from backoffice.models import Case, CaseEvent, CaseKind, Desk, EventType, Priority, StaffProfile, Status
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory, shanghai

pytestmark = pytest.mark.django_db

NOON = shanghai(2026, 3, 4, 12)


# On SQLite these change only what PostgreSQL's row locks would show (each is equivalent here: with no locks the
# fallback read picks the same row as the intervened-then-deadline reads; the tests marked `postgres` race them):
# mutmut: x_take_next_case__mutmut_30 (skip_locked = None: the plain read) is equivalent on SQLite; the guard still holds.
# mutmut: x_take_next_case__mutmut_32, _33, _51 (the partial reads' row dropped or ignored) are equivalent on SQLite.
# mutmut: x_take_next_case__mutmut_38 to _44 (skip_locked/of arguments of the partial reads) are equivalent on SQLite.
# mutmut: x_take_next_case__mutmut_52, _55 to _59 (the locked fallback read) are equivalent on SQLite: reached only empty.
@pytest.fixture(params=["plain", "skip_locked"], autouse=True)
def read(request, monkeypatch):
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", request.param == "skip_locked")
    return request.param


def _waiting(**fields):
    fields.setdefault("created_at", NOON - dt.timedelta(hours=1))
    return CaseFactory(**fields)


def _take(agent, **kwargs):
    kwargs.setdefault("desk", Desk.AFTERSALES)
    return casework.take_next_case(agent=agent, **kwargs)


def test_an_intervened_case_comes_before_an_earlier_deadline():
    agent = AgentFactory()
    soon = _waiting(due_at=NOON)
    intervened = _waiting(due_at=NOON + dt.timedelta(days=2), platform_intervened_at=NOON)
    assert [_take(agent), _take(agent)] == [intervened, soon]


def test_intervened_cases_among_themselves_go_by_deadline():
    agent = AgentFactory()
    later = _waiting(due_at=NOON + dt.timedelta(hours=2), platform_intervened_at=NOON)
    sooner = _waiting(due_at=NOON + dt.timedelta(hours=1), platform_intervened_at=NOON)
    assert [_take(agent), _take(agent)] == [sooner, later]


def test_the_earliest_deadline_then_the_highest_priority_then_the_oldest():
    agent = AgentFactory()
    no_deadline_urgent = _waiting(due_at=None, priority=Priority.URGENT)
    tie_old_normal = _waiting(due_at=NOON, priority=Priority.NORMAL, created_at=NOON - dt.timedelta(hours=3))
    tie_new_high = _waiting(due_at=NOON, priority=Priority.HIGH, created_at=NOON - dt.timedelta(hours=1))
    tie_older_high = _waiting(due_at=NOON, priority=Priority.HIGH, created_at=NOON - dt.timedelta(hours=2))
    earliest = _waiting(due_at=NOON - dt.timedelta(minutes=1), priority=Priority.LOW)
    assert [_take(agent) for _ in range(5)] == [
        earliest,
        tie_older_high,
        tie_new_high,
        tie_old_normal,
        no_deadline_urgent,
    ]
    assert _take(agent) is None


def test_only_unassigned_open_cases_of_the_desk_and_kinds_asked_for():
    agent = AgentFactory()
    _waiting(desk=Desk.LOGISTICS, kind=CaseKind.STALLED, due_at=NOON)
    _waiting(assignee=AgentFactory(), due_at=NOON)
    _waiting(status=Status.RESOLVED, due_at=NOON)
    _waiting(status=Status.CLOSED, due_at=NOON)
    refund = _waiting(kind=CaseKind.REFUND, due_at=NOON + dt.timedelta(hours=1))
    ret = _waiting(kind=CaseKind.RETURN, due_at=NOON + dt.timedelta(hours=2))
    assert _take(agent, kinds=[CaseKind.RETURN]) == ret
    assert _take(agent, kinds=[CaseKind.RETURN]) is None
    assert _take(agent, kinds=[]) == refund  # no kinds: every kind
    assert _take(agent) is None


@pytest.mark.parametrize("status", [Status.NEW, Status.IN_PROGRESS, Status.WAITING])
def test_every_open_status_can_be_taken_and_only_a_new_case_is_started(status):
    agent = AgentFactory(username="xiaoli")
    case = _waiting(status=status)
    with time_machine.travel(NOON, tick=False):
        taken = _take(agent)
    assert taken == case
    started = Status.IN_PROGRESS if status == Status.NEW else status
    row = Case.objects.get(pk=case.pk)
    assert (row.assignee, row.status, row.updated_at) == (agent, started, NOON)
    assert (taken.assignee, taken.status) == (agent, started)
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.actor, event.before, event.after) == (
        EventType.CASE_CLAIMED,
        agent,
        {"assignee": None, "status": status},
        {"assignee": "xiaoli", "status": started, "via": "take_next"},
    )


def test_the_system_hands_a_case_out_without_starting_it():
    agent = AgentFactory(username="xiaoli")
    case = _waiting(status=Status.NEW)
    with time_machine.travel(NOON, tick=False):
        taken = _take(agent, automatic=True)
    row = Case.objects.get(pk=case.pk)
    assert (row.assignee, row.status, row.updated_at) == (agent, Status.NEW, NOON)
    assert (taken.assignee, taken.status) == (agent, Status.NEW)
    event = CaseEvent.objects.get(case=case)
    assert (event.type, event.actor, event.before, event.after) == (
        EventType.CASE_ASSIGNED,
        None,
        {"assignee": None, "status": "new"},
        {"assignee": "xiaoli", "status": "new", "via": "round_robin"},
    )


def test_the_taken_case_comes_with_its_customer_and_order(django_assert_num_queries):
    agent = AgentFactory()
    case = _waiting()
    taken = _take(agent)
    with django_assert_num_queries(0):
        assert (taken.customer, taken.order) == (case.customer, case.order)


# --- round robin --------------------------------------------------------------------------------------------------


def _on_duty(username, limit=10):
    agent = AgentFactory(username=username)
    casework.set_on_duty(user=agent, on_duty=True)
    StaffProfile.objects.filter(user=agent).update(max_open_cases=limit)
    return agent


def test_round_robin_gives_each_case_to_the_least_loaded_agent_by_name_within_limits():
    b = _on_duty("b", limit=3)
    a = _on_duty("a", limit=1)
    CaseFactory(assignee=b, status=Status.IN_PROGRESS)  # b holds one open case
    CaseFactory(assignee=a, status=Status.CLOSED)  # a settled one does not count
    cases = [_waiting(due_at=NOON + dt.timedelta(minutes=i)) for i in range(4)]
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 3  # a: 1 (limit), b: 1 + 2 (limit 3)
    assignees = [Case.objects.get(pk=c.pk).assignee for c in cases]
    assert assignees == [a, b, b, None]


def test_round_robin_ties_go_by_name_and_alternate():
    b = _on_duty("b")
    a = _on_duty("a")
    cases = [_waiting(due_at=NOON + dt.timedelta(minutes=i)) for i in range(4)]
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 4
    assert [Case.objects.get(pk=c.pk).assignee for c in cases] == [a, b, a, b]


def test_round_robin_stops_when_the_queue_is_empty_and_skips_who_is_off_duty_inactive_or_not_an_agent():
    a = _on_duty("a")
    off = AgentFactory(username="0-off")
    StaffProfile.objects.create(user=off, on_duty=False)
    gone = _on_duty("0-gone")
    gone.is_active = False
    gone.save()
    boss = SupervisorFactory(username="0-boss")
    casework.set_on_duty(user=boss, on_duty=True)
    case = _waiting()
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 1
    assert Case.objects.get(pk=case.pk).assignee == a
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 0


def test_round_robin_with_nobody_on_duty_hands_out_nothing():
    case = _waiting()
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 0
    assert Case.objects.get(pk=case.pk).assignee is None


def test_round_robin_reads_the_agents_once_with_their_users():
    _on_duty("a")
    _on_duty("b")
    for i in range(3):
        _waiting(due_at=NOON + dt.timedelta(minutes=i))
    with CaptureQueriesContext(connection) as queries:
        assert casework.auto_assign(desk=Desk.AFTERSALES) == 3
    user_reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and 'FROM "auth_user"' in q["sql"]]
    assert user_reads == []  # each agent's user came with the on-duty list, not one read per hand-out


# mutmut: x_auto_assign__mutmut_28 (load counted over every assignee) is equivalent: only the on-duty agents' counts are read.
def test_round_robin_counts_open_cases_of_every_desk_towards_the_limit():
    a = _on_duty("a", limit=1)
    CaseFactory(logistics=True, assignee=a, status=Status.WAITING)
    case = _waiting()
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 0
    assert Case.objects.get(pk=case.pk).assignee is None


def test_a_case_closed_between_the_read_and_the_claim_is_not_taken(monkeypatch):
    agent = AgentFactory()
    case = _waiting()
    real = casework._claim_changes

    def closed_meanwhile(who, **kwargs):
        Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
        return real(who, **kwargs)

    monkeypatch.setattr(casework, "_claim_changes", closed_meanwhile)
    assert _take(agent) is None
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.assignee) == (Status.CLOSED, None)
