"""Replying to, resolving or closing a colleague's case is confirmed first and recorded on the case; taking notes,
changing the priority or assigning needs no confirmation; a case that changed hands after the page was drawn asks
again."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, EventType, Status
from tests.factories import CaseFactory


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def acted_for(case):
    return CaseEvent.objects.filter(case=case, type=EventType.ACTED_FOR)


@pytest.mark.parametrize("action", ["reply", "resolve", "close", "approve_refund"])
def test_a_colleagues_case_needs_the_confirmation_of_whose_case_it_is(agent, agent2, action):
    case = CaseFactory(assignee=agent)

    with pytest.raises(DomainError, match="王小丽"):
        casework.confirm_acting_for(case=case, actor=agent2, action=action, confirmed_for="")
    # A confirmation given for someone else (the case changed hands after the page was drawn) asks again.
    with pytest.raises(DomainError):
        casework.confirm_acting_for(case=case, actor=agent2, action=action, confirmed_for=str(agent2.pk))
    assert not acted_for(case).exists()

    event = casework.confirm_acting_for(case=case, actor=agent2, action=action, confirmed_for=str(agent.pk))

    assert event.type == EventType.ACTED_FOR and event.actor == agent2 and event.after == {"held_by": "agent"}


@pytest.mark.parametrize("action", ["note", "priority", "assign", "release", "claim"])
def test_notes_priority_and_assignment_need_no_confirmation(agent, agent2, action):
    case = CaseFactory(assignee=agent)

    assert casework.confirm_acting_for(case=case, actor=agent2, action=action, confirmed_for="") is None


def test_ones_own_case_and_an_unassigned_one_need_no_confirmation(agent, agent2):
    mine, nobodys = CaseFactory(assignee=agent2), CaseFactory(assignee=None)

    for case in (mine, nobodys):
        assert casework.confirm_acting_for(case=case, actor=agent2, action="reply", confirmed_for="") is None
    assert not CaseEvent.objects.filter(type=EventType.ACTED_FOR).exists()


def test_a_reply_to_a_colleagues_case_is_refused_until_confirmed_and_then_recorded(agent, agent2):
    case = CaseFactory(assignee=agent)
    url = reverse("aftersales:case_action", args=[case.number, "reply"])
    li_na = client_for(agent2)

    refused = li_na.post(url, {"body": "您好，我来帮您看看"}, HTTP_HX_REQUEST="true")

    assert said(refused) == ["这是王小丽的工单。请确认由你代为处理，或者留给对方处理。"]
    assert "您好，我来帮您看看</textarea>" in refused.text  # nothing typed is lost
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()
    # The page now knows whose case it is and asks before the next try (static/js/colleague-case.js).
    assert f'data-colleague="{agent.pk}"' in refused.text
    assert "这是王小丽的工单。仍要处理吗？处理会记录在工单上。" in refused.text

    li_na.post(url, {"body": "您好，我来帮您看看", "confirm_other": agent.pk}, HTTP_HX_REQUEST="true")

    reply = CaseEvent.objects.get(case=case, type=EventType.REPLY)
    (confirmed,) = acted_for(case)
    assert reply.actor == agent2 and confirmed.actor == agent2 and confirmed.id < reply.id
    timeline = client_for(agent).get(reverse("aftersales:case", args=[case.number])).text
    assert "李娜 确认代王小丽处理此工单" in timeline


def test_a_refused_resolution_on_a_colleagues_case_records_no_confirmation(agent, agent2):
    case = CaseFactory(assignee=agent, amount_fen=5000)
    url = reverse("aftersales:case_action", args=[case.number, "approve_refund"])

    client_for(agent2).post(url, {"amount": "not a number", "confirm_other": agent.pk}, HTTP_HX_REQUEST="true")

    assert Case.objects.get(pk=case.pk).status == Status.NEW
    assert not acted_for(case).exists()


def test_a_supervisor_closing_an_agents_case_confirms_it_too(agent, supervisor, supervisor_client):
    case = CaseFactory(assignee=agent, status=Status.RESOLVED)
    url = reverse("aftersales:case_action", args=[case.number, "close"])

    supervisor_client.post(url, {"note": ""}, HTTP_HX_REQUEST="true")
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED

    supervisor_client.post(url, {"note": "", "confirm_other": agent.pk}, HTTP_HX_REQUEST="true")
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    assert acted_for(case).get().actor == supervisor


def test_a_note_on_a_colleagues_case_is_not_asked_about(agent, agent2):
    case = CaseFactory(assignee=agent)

    client_for(agent2).post(
        reverse("aftersales:case_action", args=[case.number, "note"]), {"body": "买家来电催过"}, HTTP_HX_REQUEST="true"
    )

    assert CaseEvent.objects.filter(case=case, type=EventType.NOTE).exists()
    assert not acted_for(case).exists()


def test_the_audit_log_says_whose_case_it_was_in_words(agent, agent2, supervisor_client):
    case = CaseFactory(assignee=agent)
    casework.confirm_acting_for(case=case, actor=agent2, action="reply", confirmed_for=str(agent.pk))

    text = supervisor_client.get(reverse("supervisor:audit")).text

    assert "代同事处理工单" in text
    assert '<span class="change-key">原处理人</span> — <span aria-hidden="true">→</span> 王小丽' in text
