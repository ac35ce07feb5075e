"""How far an agent has read a case: an action on the case page reads it as the page does, and a database that had
assigned cases before unread marks existed starts with each assignee having read up to their own newest entry."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from backoffice.cases import seen
from backoffice.cases import services as casework
from backoffice.models import CaseEvent, CaseSeen, EventType
from tests.factories import CaseFactory

BEFORE = [("backoffice", "0021_case_seen")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_an_action_on_the_case_page_reads_the_case_up_to_the_redrawn_timeline(agent, agent_client):
    case = CaseFactory(assignee=agent)
    casework.record_customer_message(case=case, body="在吗？")

    agent_client.post(
        reverse("aftersales:case_action", args=[case.number, "note"]), {"body": "已联系仓库"}, HTTP_HX_REQUEST="true"
    )

    newest = CaseEvent.objects.filter(case=case).order_by("-id").values_list("id", flat=True).first()
    assert CaseSeen.objects.get(user=agent, case=case).event_id == newest


@pytest.mark.django_db(transaction=True)
def test_cases_assigned_before_unread_marks_are_read_up_to_the_assignees_own_newest_entry(agent, agent2):
    answered = CaseFactory(assignee=agent)
    waiting = CaseFactory(assignee=agent)
    untouched = CaseFactory(assignee=agent2)
    migrate(BEFORE)
    try:
        CaseSeen.objects.all().delete()
        casework.record_customer_message(case=answered, body="在吗？")
        reply = casework.record_event(case=answered, type=EventType.REPLY, actor=agent, body="在的")
        casework.record_event(case=waiting, type=EventType.REPLY, actor=agent, body="请稍等")
        casework.record_event(case=waiting, type=EventType.NOTE, actor=agent2, body="同事的备注")
        casework.record_customer_message(case=waiting, body="还没好吗？")
        casework.record_customer_message(case=untouched, body="你好")
    finally:
        migrate_to_latest()

    marks = dict(CaseSeen.objects.values_list("case_id", "event_id"))
    assert marks[answered.pk] == reply.pk
    # What the customer wrote after the agent's own last entry stays unread; a colleague's note does not read it.
    own_reply = CaseEvent.objects.get(case=waiting, type=EventType.REPLY)
    assert marks[waiting.pk] == own_reply.pk
    assert untouched.pk not in marks
    assert set(CaseSeen.objects.values_list("user_id", flat=True)) == {agent.pk}


@pytest.mark.django_db
def test_the_mark_only_moves_forward(agent):
    case = CaseFactory(assignee=agent)

    seen.mark_seen(user=agent, case_id=case.pk, event_id=20)
    seen.mark_seen(user=agent, case_id=case.pk, event_id=12)  # an older poll's answer, late
    assert CaseSeen.objects.get(user=agent, case=case).event_id == 20

    seen.mark_seen(user=agent, case_id=case.pk, event_id=31)
    assert CaseSeen.objects.get(user=agent, case=case).event_id == 31
    assert CaseSeen.objects.count() == 1
