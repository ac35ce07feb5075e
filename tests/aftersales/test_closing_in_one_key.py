"""Send and close, close and take next: one request each, both steps on the timeline, refusals that lose nothing."""

import pytest
from django.urls import reverse

from aftersales import services
from aftersales.desk import DESK
from backoffice.cases import services as casework
from backoffice.desk import closing
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, CaseKind, Desk, EventType, OutboundMessage, Status
from logistics.desk import DESK as LOGISTICS_DESK
from surveys.desk import DESK as CALLBACK_DESK
from tests.factories import CaseFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def refund_case(order, agent, *, resolved: bool = True) -> Case:
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990, message="杯子漏水")
    casework.claim_case(case=case, agent=agent)
    if resolved:
        services.approve_refund(case=case, actor=agent, amount_fen=5990)
    return Case.objects.get(pk=case.pk)


def action_url(case, action):
    return reverse("aftersales:case_action", args=[case.number, action])


def types_of(case):
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("type", flat=True))


def test_send_and_close_sends_the_reply_and_closes_a_resolved_case(agent_client, order, agent):
    case = refund_case(order, agent)
    response = agent_client.post(action_url(case, "reply_close"), {"body": "退款已到账，祝您生活愉快"}, **HTMX)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    reply = CaseEvent.objects.get(case=case, type=EventType.REPLY)
    closed = CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("id")
    assert (reply.body, reply.actor) == ("退款已到账，祝您生活愉快", agent)
    assert (closed.after, closed.actor) == ({"status": Status.CLOSED}, agent)
    assert reply.id < closed.id
    assert OutboundMessage.objects.filter(case=case, body="退款已到账，祝您生活愉快").exists()


def test_send_and_close_on_an_unresolved_case_is_refused_and_the_reply_stays_in_the_box(
    agent_client, order, agent, in_english
):
    case = refund_case(order, agent, resolved=False)
    before = types_of(case)
    response = in_english(agent_client).post(
        action_url(case, "reply_close"), {"body": "马上为您处理", "phrases": "7"}, **HTMX
    )
    page = response.content.decode()
    assert "This case is not resolved, so closing it needs a reason: nothing was sent" in page
    assert ">马上为您处理</textarea>" in page
    assert 'id="reply-phrases" value="7"' in page
    assert types_of(case) == before
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS
    assert not OutboundMessage.objects.filter(case=case, body="马上为您处理").exists()


def test_send_and_close_without_htmx_keeps_the_reply_on_the_page_it_draws_again(agent_client, order, agent):
    case = refund_case(order, agent, resolved=False)
    response = agent_client.post(action_url(case, "reply_close"), {"body": "马上为您处理"})
    assert response.status_code == 400
    assert ">马上为您处理</textarea>" in response.content.decode()


def test_an_empty_send_and_close_is_refused(agent_client, order, agent, in_english):
    case = refund_case(order, agent)
    response = in_english(agent_client).post(action_url(case, "reply_close"), {"body": " \n "}, **HTMX)
    page = response.content.decode()
    assert "Write a reply first." in page
    # Added to the page's toasts (in view wherever the agent has scrolled), not drawn above the case header.
    assert '<div id="messages" class="messages" aria-live="polite" hx-swap-oob="beforeend">' in page
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED


def test_a_close_refused_after_the_reply_undoes_the_reply(order, agent):
    case = refund_case(order, agent)

    class RefusingDesk:
        def closes_in_one_step(self, case):
            return True

        def close(self, *, case, actor, note=""):
            raise DomainError("refused")

    sent_before = OutboundMessage.objects.count()
    with pytest.raises(DomainError, match="refused"):
        closing.reply_and_close(desk=RefusingDesk(), case=case, actor=agent, body="您好")
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY, body="您好").exists()
    assert OutboundMessage.objects.count() == sent_before


def test_send_and_close_is_offered_only_where_the_desk_closes_in_one_step(agent_client, order, agent, make_order):
    resolved = refund_case(order, agent)
    open_case = refund_case(make_order(), agent, resolved=False)
    assert DESK.closes_in_one_step(resolved) and not DESK.closes_in_one_step(open_case)
    resolved_page = agent_client.get(reverse("aftersales:case", args=[resolved.number])).content.decode()
    open_page = agent_client.get(reverse("aftersales:case", args=[open_case.number])).content.decode()
    assert 'data-testid="send-close"' in resolved_page and 'data-testid="send-close"' not in open_page
    # Close and take next: a button beside Close on the resolved case, inside the "why close it?" form otherwise.
    assert f'hx-post="{action_url(resolved, "close_next")}"' in resolved_page
    assert f'formaction="{action_url(open_case, "close_next")}"' in open_page


def test_close_and_take_next_closes_then_opens_the_next_case_like_n(agent_client, order, agent, make_order):
    case = refund_case(order, agent)
    waiting = services.open_application(kind=CaseKind.REFUND, order=make_order(), amount_fen=5990, message="在吗")
    response = agent_client.post(action_url(case, "close_next"), **HTMX)
    assert response["HX-Redirect"] == reverse("aftersales:case", args=[waiting.number])
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    waiting.refresh_from_db()
    assert waiting.assignee == agent
    assert EventType.CASE_STATUS in types_of(case) and EventType.CASE_CLAIMED in types_of(waiting)


def test_close_and_take_next_without_htmx_redirects(agent_client, order, agent):
    case = refund_case(order, agent)
    response = agent_client.post(action_url(case, "close_next"))
    assert response.status_code == 302
    assert response["Location"] == reverse("aftersales:queue", args=["mine"])  # nothing else waiting


def test_close_and_take_next_with_an_empty_queue_says_so_on_my_queue(agent_client, order, agent, in_english):
    case = refund_case(order, agent)
    response = in_english(agent_client).post(action_url(case, "close_next"), **HTMX)
    assert response["HX-Redirect"] == reverse("aftersales:queue", args=["mine"])
    page = agent_client.get(response["HX-Redirect"]).content.decode()
    assert f"{case.number} closed." in page
    assert "No unassigned case is waiting. Well done!" in page


def test_close_and_take_next_on_an_unresolved_case_needs_the_reason(agent_client, order, agent, in_english):
    case = refund_case(order, agent, resolved=False)
    response = in_english(agent_client).post(action_url(case, "close_next"), {"note": " "}, **HTMX)
    assert "Say why you close a case that was not resolved." in response.content.decode()
    assert "HX-Redirect" not in response
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS

    response = agent_client.post(action_url(case, "close_next"), {"note": "客户撤销申请"}, **HTMX)
    assert "HX-Redirect" in response
    closed = CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).latest("id")
    assert (closed.after, closed.body) == ({"status": Status.CLOSED}, "客户撤销申请")


def test_close_and_take_next_on_a_closed_case_is_refused(agent_client, order, agent, in_english):
    case = refund_case(order, agent)
    services.close_case(case=case, actor=agent)
    response = in_english(agent_client).post(action_url(case, "close_next"), {"note": "再关一次"}, **HTMX)
    assert "This case is already closed." in response.content.decode()
    assert "HX-Redirect" not in response


def test_a_resolved_logistics_case_closes_with_the_reply_through_its_own_close(client, agent, db):
    case = CaseFactory(logistics=True, status=Status.RESOLVED, assignee=agent)
    assert LOGISTICS_DESK.closes_in_one_step(case)
    client.force_login(agent)
    url = reverse("logistics:case_action", args=[case.number, "reply_close"])
    client.post(url, {"body": "包裹已签收，感谢耐心等待"}, HTTP_HX_REQUEST="true")
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    assert CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()


def test_call_backs_never_close_in_one_step(db):
    case = CaseFactory(callback=True, status=Status.IN_PROGRESS)
    assert case.desk == Desk.CALLBACK
    assert not CALLBACK_DESK.closes_in_one_step(case)


@pytest.mark.parametrize(("action", "message"), [("reply", "Write a reply first."), ("note", "Write a note first.")])
def test_a_reply_or_note_of_spaces_alone_says_what_is_missing(agent_client, order, agent, in_english, action, message):
    case = refund_case(order, agent, resolved=False)
    before = types_of(case)

    response = in_english(agent_client).post(action_url(case, action), {"body": "  \n "}, follow=True)

    assert message in response.content.decode()
    assert types_of(case) == before
