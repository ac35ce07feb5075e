"""Bulk assignment from the queue table: supervisors only, each case audited, closed cases refused."""

import re

import pytest
from django.urls import reverse

from backoffice import drawn
from backoffice.cases import services as casework
from backoffice.desk import forms as desk_forms
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, EventType, Status
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory

BULK = reverse("supervisor:bulk_assign")
QUEUE = reverse("aftersales:queue", args=["unassigned"])


@pytest.fixture
def cases(db):
    return CaseFactory.create_batch(3)


def test_bulk_assign_gives_each_case_to_the_agent_and_audits_each(
    supervisor_client, supervisor, agent2, cases, in_english
):
    in_english(supervisor_client)
    response = supervisor_client.post(
        BULK, {"cases": [c.pk for c in cases[:2]], "assignee": agent2.pk, "next": QUEUE}, follow=True
    )

    assert response.redirect_chain[-1][0] == QUEUE
    assert "2 case(s) assigned to 李娜." in response.text
    assert list(Case.objects.filter(assignee=agent2).order_by("pk")) == cases[:2]
    assert Case.objects.get(pk=cases[2].pk).assignee is None
    events = CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED).order_by("case_id")
    assert [e.case_id for e in events] == [c.pk for c in cases[:2]]
    assert all(e.actor == supervisor and e.after == {"assignee": "agent2"} for e in events)


def test_bulk_reassign_moves_cases_from_one_agent_to_another(supervisor_client, agent, agent2, cases):
    casework.assign_cases(cases=cases, assignee=agent, actor=None)
    supervisor_client.post(BULK, {"cases": [c.pk for c in cases], "assignee": agent2.pk})

    assert Case.objects.filter(assignee=agent2).count() == 3
    last = CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED, case=cases[0]).order_by("-id").first()
    assert (last.before, last.after) == ({"assignee": "agent"}, {"assignee": "agent2"})


def test_bulk_unassign_returns_cases_to_the_queue(supervisor_client, agent, cases, in_english):
    in_english(supervisor_client)
    casework.assign_cases(cases=cases, assignee=agent, actor=None)
    response = supervisor_client.post(BULK, {"cases": [c.pk for c in cases], "assignee": "queue"}, follow=True)

    assert Case.objects.filter(assignee__isnull=True).count() == 3
    assert "3 case(s) went back to the queue." in response.text


def test_bulk_assign_with_nobody_chosen_changes_nothing_and_says_so(supervisor_client, agent, cases, in_english):
    in_english(supervisor_client)
    casework.assign_cases(cases=cases, assignee=agent, actor=None)
    events = CaseEvent.objects.count()

    response = supervisor_client.post(BULK, {"cases": [c.pk for c in cases], "assignee": ""}, follow=True)

    assert Case.objects.filter(assignee=agent).count() == 3
    assert CaseEvent.objects.count() == events
    assert "Choose whom to give the selected cases to, or send them back to the queue." in response.text


def test_the_bulk_form_starts_on_a_choice_to_make_and_offers_the_queue_as_one(supervisor_client, agent, cases):
    page = supervisor_client.get(QUEUE).text

    select = re.search(r'<select name="assignee" id="id_bulk_assignee"[^>]*>', page).group(0)
    assert "required" in select
    values = re.findall(r'<option value="([^"]*)"', _options(page))
    assert values[:2] == ["", "queue"] and str(agent.pk) in values


def test_cases_already_with_that_agent_are_not_counted_or_audited_again(supervisor, agent, cases):
    casework.assign_cases(cases=cases[:1], assignee=agent, actor=supervisor)
    changed = casework.assign_cases(
        cases=Case.objects.filter(pk__in=[c.pk for c in cases]), assignee=agent, actor=supervisor
    )

    assert len(changed) == 2
    assert CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED).count() == 3


def test_agents_cannot_bulk_assign(agent_client, agent, cases):
    response = agent_client.post(BULK, {"cases": [c.pk for c in cases], "assignee": agent.pk})

    assert response.status_code == 403
    assert not Case.objects.filter(assignee__isnull=False).exists()
    assert not CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED).exists()


def test_a_closed_case_in_the_selection_refuses_the_whole_batch_with_a_message(
    supervisor_client, agent, cases, in_english
):
    in_english(supervisor_client)
    Case.objects.filter(pk=cases[0].pk).update(status=Status.CLOSED)

    response = supervisor_client.post(BULK, {"cases": [c.pk for c in cases], "assignee": agent.pk}, follow=True)

    assert "is closed or no longer exists" in response.text
    assert not Case.objects.filter(assignee=agent).exists()


def test_nothing_selected_gives_a_message(supervisor_client, agent, in_english):
    in_english(supervisor_client)
    response = supervisor_client.post(BULK, {"assignee": agent.pk}, follow=True)
    assert "Select at least one case first." in response.text


def test_only_staff_can_be_given_cases(supervisor_client, django_user_model, cases):
    outsider = django_user_model.objects.create_user("outsider")
    supervisor_client.post(BULK, {"cases": [cases[0].pk], "assignee": outsider.pk})
    assert Case.objects.get(pk=cases[0].pk).assignee is None


def test_bulk_assign_only_redirects_back_to_this_site(supervisor_client, agent, cases):
    response = supervisor_client.post(
        BULK, {"cases": [cases[0].pk], "assignee": agent.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("aftersales:queue", args=["all"])


def test_the_queue_table_has_checkboxes_for_supervisors_only(supervisor_client, agent_client, cases):
    supervisor_page = supervisor_client.get(QUEUE).text
    agent_page = agent_client.get(QUEUE).text

    assert supervisor_page.count('name="cases"') == 3 and 'id="bulk-assign-form"' in supervisor_page
    assert 'form="bulk-assign-form"' in supervisor_page
    assert 'name="cases"' not in agent_page and "bulk-assign-form" not in agent_page


def test_closed_rows_cannot_be_ticked(supervisor_client, cases):
    Case.objects.filter(pk=cases[0].pk).update(status=Status.CLOSED)
    page = supervisor_client.get(reverse("aftersales:queue", args=["all"])).text
    boxes = re.findall(r'<input[^>]*name="cases"[^>]*>', page)
    closed = [box for box in boxes if f'value="{cases[0].pk}"' in box]
    assert len(boxes) == 3 and len(closed) == 1
    assert 'disabled="disabled"' in closed[0]
    assert sum('disabled="disabled"' in box for box in boxes) == 1


def test_supervisor_queue_page_query_count_does_not_grow_with_rows(supervisor_client, django_assert_max_num_queries):
    CaseFactory.create_batch(2)
    with django_assert_max_num_queries(12) as small:  # measured: 10
        supervisor_client.get(QUEUE)
    CaseFactory.create_batch(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = supervisor_client.get(QUEUE)
    assert response.text.count('name="cases"') == 22


def test_a_call_back_in_the_selection_is_never_given_to_an_agent(supervisor_client, agent, cases, in_english):
    """Agents cannot open call-back cases, so assigning one to them would hand them a case they cannot work."""
    in_english(supervisor_client)
    callback = CaseFactory(callback=True)
    selection = [c.pk for c in cases] + [callback.pk]

    response = supervisor_client.post(BULK, {"cases": selection, "assignee": agent.pk}, follow=True)

    assert f"cannot work {callback.number}: that desk is not open to their role." in response.text
    assert not Case.objects.filter(assignee=agent).exists()  # all or nothing
    assert not CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED).exists()


def test_a_call_back_can_go_to_another_supervisor(supervisor):
    other = SupervisorFactory(username="boss2")
    callback = CaseFactory(callback=True)

    casework.assign_case(case=callback, assignee=other, actor=supervisor)

    assert Case.objects.get(pk=callback.pk).assignee == other


def test_assigning_a_single_call_back_to_an_agent_is_refused(supervisor, agent):
    callback = CaseFactory(callback=True)

    with pytest.raises(DomainError):
        casework.assign_case(case=callback, assignee=agent, actor=supervisor)

    assert Case.objects.get(pk=callback.pk).assignee is None


# --- bulk assignment on every desk's queue ------------------------------------------------------------------------


def _options(page: str) -> str:
    return re.search(r'<select name="assignee" id="id_bulk_assignee"[^>]*>(.*?)</select>', page, re.S).group(1)


def test_the_drawn_bulk_assignment_form_is_reused_and_follows_the_staff(supervisor_client, agent, cases, monkeypatch):
    built = []
    original = desk_forms.DeskBulkAssignForm.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(desk_forms.DeskBulkAssignForm, "__init__", counted)
    drawn.forget()  # a process that has not drawn it yet (another test may have, for the same people)
    first = _options(supervisor_client.get(QUEUE).text)
    again = _options(supervisor_client.get(QUEUE).text)
    assert again == first and f'value="{agent.pk}"' in first
    assert len(built) == 1  # drawn once for these people and this page, then reused

    newcomer = AgentFactory(username="newcomer", first_name="新人")
    agent.first_name = "改名"
    agent.save()
    offered = _options(supervisor_client.get(QUEUE).text)

    assert f'value="{newcomer.pk}"' in offered and "新人 (newcomer)" in offered
    assert f"改名 ({agent.username})" in offered
    assert len(built) == 2


def test_the_logistics_queue_has_bulk_assignment_for_supervisors_only(supervisor_client, agent_client, agent2):
    stalled = [CaseFactory(logistics=True) for _ in range(3)]
    queue = reverse("logistics:queue", args=["unassigned"])

    supervisor_page = supervisor_client.get(queue).text
    agent_page = agent_client.get(queue).text

    assert supervisor_page.count('name="cases"') == 3 and 'id="bulk-assign-form"' in supervisor_page
    assert 'name="cases"' not in agent_page and "bulk-assign-form" not in agent_page
    assert f'value="{agent2.pk}"' in _options(supervisor_page)

    response = supervisor_client.post(
        BULK, {"cases": [c.pk for c in stalled[:2]], "assignee": agent2.pk, "next": queue}
    )

    assert response["Location"] == queue
    assert list(Case.objects.filter(assignee=agent2).order_by("pk")) == stalled[:2]
    assert CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED, case__in=stalled[:2]).count() == 2


def test_the_call_back_queue_offers_its_cases_only_to_people_who_may_work_them(supervisor_client, supervisor, agent):
    colleague = SupervisorFactory(username="colleague")
    callbacks = [CaseFactory(callback=True) for _ in range(2)]
    queue = reverse("surveys:callback_queue", args=["unassigned"])

    page = supervisor_client.get(queue).text

    assert page.count('name="cases"') == 2 and 'id="bulk-assign-form"' in page
    offered = _options(page)
    assert f'value="{colleague.pk}"' in offered and f'value="{supervisor.pk}"' in offered
    assert f'value="{agent.pk}"' not in offered  # an agent cannot open a call-back

    supervisor_client.post(BULK, {"cases": [c.pk for c in callbacks], "assignee": colleague.pk, "next": queue})

    assert Case.objects.filter(pk__in=[c.pk for c in callbacks], assignee=colleague).count() == 2


def test_bulk_assigning_call_backs_to_an_agent_by_a_forged_form_changes_nothing(supervisor_client, agent, in_english):
    in_english(supervisor_client)
    callbacks = [CaseFactory(callback=True) for _ in range(2)]
    queue = reverse("surveys:callback_queue", args=["unassigned"])

    response = supervisor_client.post(
        BULK, {"cases": [c.pk for c in callbacks], "assignee": agent.pk, "next": queue}, follow=True
    )

    assert response.redirect_chain[-1][0] == queue
    assert "that desk is not open to their role." in response.text
    assert not Case.objects.filter(assignee=agent).exists()
