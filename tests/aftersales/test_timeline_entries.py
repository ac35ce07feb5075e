"""The timeline shows one entry per thing that happened: a step and the message it sent the customer are one entry,
a reply is its bubble alone, and a message no step describes is an automatic message of its own."""

import datetime as dt

import pytest
from django.urls import reverse

from aftersales import services
from backoffice.cases import queues
from backoffice.cases import services as casework
from backoffice.models import CaseEvent, EventType
from tests.factories import CaseEventFactory, CaseFactory


def entries(case):
    return queues.one_entry_per_message(list(queues.timeline(case)))


def test_a_refund_and_the_message_it_sent_are_one_entry_under_the_approval(agent):
    case = CaseFactory(assignee=agent, amount_fen=2110)

    services.approve_refund(case=case, actor=agent)

    shown = entries(case)
    message = CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_QUEUED)
    assert message not in shown
    (approval,) = [entry for entry in shown if entry.type == EventType.REFUND_APPROVED]
    assert approval.message == message
    # The status change that followed in the same step carries nothing.
    assert all(getattr(entry, "message", None) is None for entry in shown if entry is not approval)


def test_the_case_page_draws_the_step_with_its_message_once(agent, agent_client):
    case = CaseFactory(assignee=agent, amount_fen=2110)
    services.approve_refund(case=case, actor=agent)
    message = CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_QUEUED)

    page = agent_client.get(reverse("aftersales:case", args=[case.number])).content.decode()

    assert page.count(message.body[:20]) == 1
    assert page.count("发给买家的消息") == 1
    # The live view skips the message's id: it is shown, inside the approval's line.
    assert f'data-event-id="{message.pk}"' in page


def test_a_reply_is_its_bubble_alone(agent):
    case = CaseFactory(assignee=agent)
    casework.reply_to_customer(case=case, body="亲，已经帮您催促快递了", actor=agent)

    types = [entry.type for entry in entries(case)]

    assert EventType.REPLY in types and EventType.OUTBOUND_QUEUED not in types


def test_a_message_no_step_describes_is_an_automatic_message(agent, agent_client):
    case = CaseFactory(assignee=agent)
    casework.record_customer_message(case=case, body="什么时候发货？")
    later = CaseEventFactory(
        case=case,
        type=EventType.OUTBOUND_QUEUED,
        body="亲，您的包裹今天发出",
        after={"channel": "pdd_chat", "template": "faq_ship_time"},
    )

    assert later in entries(case)
    page = agent_client.get(reverse("aftersales:case", args=[case.number])).content.decode()
    assert "自动消息" in page and "亲，您的包裹今天发出" in page


@pytest.mark.parametrize("gap, joined", [(dt.timedelta(seconds=1), True), (dt.timedelta(minutes=5), False)])
def test_only_a_message_of_the_same_step_joins_it(agent, gap, joined):
    case = CaseFactory(assignee=agent)
    step = casework.record_event(case=case, type=EventType.RETURN_RECEIVED, actor=agent)
    message = casework.record_event(
        case=case,
        type=EventType.OUTBOUND_QUEUED,
        actor=agent,
        body="退货已签收",
        after={"template": "return_received"},
        at=step.at + gap,
    )

    shown = entries(case)

    assert (message not in shown) is joined
    assert (getattr(shown[-1 if joined else -2], "message", None) == message) is joined


def test_a_claim_moments_before_the_step_keeps_its_own_line(agent, agent2):
    case = CaseFactory()
    claim = casework.record_event(case=case, type=EventType.CASE_CLAIMED, actor=agent2)
    step = casework.record_event(case=case, type=EventType.REFUND_APPROVED, actor=agent, at=claim.at)
    casework.record_event(
        case=case, type=EventType.OUTBOUND_QUEUED, actor=agent, body="退款已同意", after={"template": "x"}, at=step.at
    )

    shown = entries(case)

    assert getattr(shown[-2], "message", None) is None and shown[-1].message.body == "退款已同意"


def test_a_refund_on_a_colleagues_case_keeps_its_message_under_the_approval(agent, agent2, agent_client):
    case = CaseFactory(assignee=agent, amount_fen=2110)
    casework.confirm_acting_for(case=case, actor=agent2, action="approve_refund", confirmed_for=str(agent.pk))
    services.approve_refund(case=case, actor=agent2)
    message = CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_QUEUED)

    (approval,) = [entry for entry in entries(case) if entry.type == EventType.REFUND_APPROVED]

    assert approval.message == message
    page = agent_client.get(reverse("aftersales:case", args=[case.number])).content.decode()
    assert page.count(message.body[:20]) == 1
