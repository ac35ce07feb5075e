"""Agents on duty, and the round-robin automatic assignment (supervisor desk)."""

import pytest

from backoffice.cases import services as casework
from backoffice.models import Case, CaseEvent, Desk, EventType, StaffProfile, Status
from backoffice.tasks import auto_assign_cases
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db


def on_duty(agent, limit=20):
    casework.set_on_duty(user=agent, on_duty=True)
    StaffProfile.objects.filter(user=agent).update(max_open_cases=limit)
    return agent


def test_going_on_duty_is_audited():
    agent = AgentFactory()
    casework.set_on_duty(user=agent, on_duty=True)
    casework.set_on_duty(user=agent, on_duty=True)
    event = CaseEvent.objects.get(type=EventType.DUTY_CHANGED)
    assert event.actor == agent and event.after == {"on_duty": True} and event.case is None


def test_round_robin_spreads_cases_evenly_among_agents_on_duty():
    first, second = on_duty(AgentFactory(username="a1")), on_duty(AgentFactory(username="a2"))
    AgentFactory(username="a3")  # not on duty: gets nothing
    CaseFactory.create_batch(5)
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 5
    counts = sorted(Case.objects.values_list("assignee__username", flat=True))
    assert counts == ["a1", "a1", "a1", "a2", "a2"]
    assert {first.username, second.username} == set(counts)


def test_the_agent_with_fewest_open_cases_goes_first():
    busy, free = on_duty(AgentFactory(username="busy")), on_duty(AgentFactory(username="free"))
    CaseFactory.create_batch(2, assignee=busy, status=Status.IN_PROGRESS)
    CaseFactory.create_batch(2)
    casework.auto_assign(desk=Desk.AFTERSALES)
    assert Case.objects.filter(assignee=free).count() == 2


def test_nobody_gets_more_than_their_limit():
    on_duty(AgentFactory(), limit=2)
    CaseFactory.create_batch(4)
    assert casework.auto_assign(desk=Desk.AFTERSALES) == 2
    assert Case.objects.filter(assignee__isnull=True).count() == 2


def test_automatic_assignment_is_recorded_as_the_system_and_keeps_the_case_new():
    agent = on_duty(AgentFactory())
    case = CaseFactory()
    casework.auto_assign(desk=Desk.AFTERSALES)
    case.refresh_from_db()
    assert case.assignee == agent and case.status == Status.NEW
    event = CaseEvent.objects.get(case=case, type=EventType.CASE_ASSIGNED)
    assert event.actor is None and event.after["via"] == "round_robin"


def test_the_beat_task_does_nothing_until_the_store_switches_it_on(store):
    on_duty(AgentFactory())
    CaseFactory()
    assert auto_assign_cases() == 0
    store.auto_assign = True
    store.save()
    assert auto_assign_cases() == 1


def test_duty_toggle_view(agent_client, agent):
    response = agent_client.post("/duty/", {"on_duty": "1"})
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=agent).on_duty is True
    agent_client.post("/duty/", {"on_duty": "0"})
    assert StaffProfile.objects.get(user=agent).on_duty is False


def test_the_workload_view_marks_who_is_on_duty(supervisor_client):
    on_duty(AgentFactory(username="duty1"))
    AgentFactory(username="offduty")
    content = supervisor_client.get("/supervisor/").content.decode()
    assert "offduty" in content
    assert content.count('<span class="tag" title=') == 1
