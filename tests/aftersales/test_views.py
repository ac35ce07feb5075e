import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from aftersales import services
from backoffice.cases import services as casework
from backoffice.models import Case, CaseEvent, CaseKind, Desk, EventType, QuickPhrase, Status


def open_inquiry(order, **kwargs):
    return casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer, order=order, **kwargs
    )


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("aftersales:queue", args=["mine"]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_staff_without_a_desk_role_is_refused(django_user_model, order):
    outsider = django_user_model.objects.create_user("outsider")
    client = Client()
    client.force_login(outsider)
    case = open_inquiry(order)
    assert client.get(reverse("aftersales:queue", args=["mine"])).status_code == 403
    assert client.get(reverse("aftersales:case", args=[case.number])).status_code == 403
    assert client.post(reverse("aftersales:case_action", args=[case.number, "claim"])).status_code == 403


def test_agents_do_not_see_the_all_queue(agent_client, supervisor_client, db):
    assert agent_client.get(reverse("aftersales:queue", args=["all"])).status_code == 404
    assert supervisor_client.get(reverse("aftersales:queue", args=["all"])).status_code == 200


def test_agents_cannot_assign(agent_client, order, agent2):
    case = open_inquiry(order)
    agent_client.post(reverse("aftersales:case_action", args=[case.number, "assign"]), {"assignee": agent2.pk})
    assert Case.objects.get(pk=case.pk).assignee is None


def test_supervisor_assigns(supervisor_client, order, agent2):
    case = open_inquiry(order)
    supervisor_client.post(reverse("aftersales:case_action", args=[case.number, "assign"]), {"assignee": agent2.pk})
    assert Case.objects.get(pk=case.pk).assignee == agent2


def _fill_queue(make_order, count):
    for _ in range(count):
        case = open_inquiry(make_order())
        casework.record_customer_message(case=case, body="在吗")


def test_queue_page_query_count_does_not_grow_with_rows(agent_client, make_order, django_assert_max_num_queries):
    url = reverse("aftersales:queue", args=["unassigned"])
    _fill_queue(make_order, 3)
    with django_assert_max_num_queries(11) as small:  # measured: 9
        assert agent_client.get(url).content.count(b'class="clickable') == 3
    _fill_queue(make_order, 22)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = agent_client.get(url)
    assert response.content.count(b'class="clickable') == 25


def test_queue_filters_and_search(agent_client, make_order):
    order = make_order()
    target = open_inquiry(order)
    open_inquiry(make_order())
    url = reverse("aftersales:queue", args=["unassigned"])
    by_order = agent_client.get(url, {"q": order.number}).content.decode()
    assert target.number in by_order and by_order.count('class="clickable') == 1
    tracking = order.shipments.get().tracking_no
    assert agent_client.get(url, {"q": tracking}).content.decode().count('class="clickable') == 1
    assert agent_client.get(url, {"kind": "refund"}).content.decode().count('class="clickable') == 0


def test_htmx_filter_request_gets_only_the_results(agent_client, order):
    open_inquiry(order)
    response = agent_client.get(
        reverse("aftersales:queue", args=["unassigned"]), headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )
    content = response.content.decode()
    assert 'id="queue-results"' in content and "<html" not in content
    assert response["Vary"].count("HX-Request")


def test_customer_text_is_escaped(agent_client, order):
    case = open_inquiry(order)
    casework.record_customer_message(case=case, body="<script>alert('x')</script>")
    content = agent_client.get(reverse("aftersales:case", args=[case.number])).content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert" in content


def test_take_next_view_opens_the_case(agent_client, agent, order):
    case = open_inquiry(order)
    response = agent_client.post(reverse("aftersales:take_next"))
    assert response["Location"] == reverse("aftersales:case", args=[case.number])
    assert Case.objects.get(pk=case.pk).assignee == agent


def test_reply_through_htmx_returns_the_panel(agent_client, order):
    case = open_inquiry(order)
    response = agent_client.post(
        reverse("aftersales:case_action", args=[case.number, "reply"]),
        {"body": "亲，已为您查询物流"},
        headers={"HX-Request": "true", "HX-Target": "case-panel"},
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "casesChanged"
    assert 'id="case-panel"' in response.content.decode() and "<html" not in response.content.decode()
    assert CaseEvent.objects.filter(case=case, type=EventType.REPLY, body="亲，已为您查询物流").exists()


def test_refused_action_shows_a_message_and_changes_nothing(agent_client, order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5000)
    response = agent_client.post(
        reverse("aftersales:case_action", args=[case.number, "approve_refund"]), {"amount": "99999"}, follow=True
    )
    assert Case.objects.get(pk=case.pk).status == Status.NEW
    content = response.content.decode()
    assert "¥99,999.00" in content and "¥59.90" in content


def test_bad_amount_gets_a_clear_message(agent_client, order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5000)
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = agent_client.post(
        reverse("aftersales:case_action", args=[case.number, "approve_refund"]), {"amount": "-3"}, follow=True
    )
    assert Case.objects.get(pk=case.pk).status == Status.NEW
    assert response.status_code == 200
    assert "The amount cannot be negative." in [str(m).split(": ")[-1] for m in response.context["messages"]]


def test_approve_refund_view(agent_client, order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5000)
    agent_client.post(reverse("aftersales:case_action", args=[case.number, "approve_refund"]), {"amount": "50.00"})
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.resolved_amount_fen == 5000


def test_quick_phrases_are_searchable_and_filled_from_the_case(agent_client, order):
    QuickPhrase.objects.create(title="查物流", body="亲，您的{courier}单号{tracking_no}正在派送中")
    QuickPhrase.objects.create(title="尺码建议", body="亲，建议拍大一码哦")
    case = open_inquiry(order)
    content = agent_client.get(reverse("case_phrases", args=[case.number]), {"q": "物流"}).content.decode()
    tracking = order.shipments.get().tracking_no
    assert f"亲，您的中通快递单号{tracking}正在派送中" in content
    assert "尺码建议" not in content


def test_new_case_from_order_lookup(agent_client, order):
    url = reverse("aftersales:new_case")
    assert "261120" in agent_client.get(url, {"order_number": order.number}).content.decode()
    response = agent_client.post(
        f"{url}?order_number={order.number}", {"kind": "return", "reason": "size", "amount": "59.90", "message": "大了"}
    )
    case = Case.objects.get(order=order)
    assert response["Location"] == reverse("aftersales:case", args=[case.number])
    assert case.kind == "return" and case.amount_fen == 5990 and case.reason == "size"


def test_new_case_refuses_more_than_paid(agent_client, order):
    url = reverse("aftersales:new_case")
    response = agent_client.post(f"{url}?order_number={order.number}", {"kind": "refund", "amount": "100"})
    assert response.status_code == 200 and not Case.objects.exists()


def test_unknown_order_lookup_says_so(agent_client, db):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = agent_client.get(reverse("aftersales:new_case"), {"order_number": "nope"})
    assert response.status_code == 200 and response.context["order"] is None
    assert '<span class="error">No order with this number.</span>' in response.content.decode()


def test_take_next_with_an_empty_queue_says_so(agent_client, db):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = agent_client.post(reverse("aftersales:take_next"), follow=True)

    assert response.redirect_chain == [(reverse("aftersales:queue", args=["mine"]), 302)]
    assert [str(m) for m in response.context["messages"]] == ["No unassigned case is waiting. Well done!"]


def test_nav_counts(agent_client, agent, make_order):
    open_inquiry(make_order())
    mine = open_inquiry(make_order())
    casework.claim_case(case=mine, agent=agent)
    response = agent_client.get(reverse("aftersales:nav_counts"))
    assert response.context["counts"]["mine"] == 1 and response.context["counts"]["unassigned"] == 1


@pytest.mark.parametrize("queue", ["mine", "unassigned", "due_soon", "overdue", "waiting"])
def test_every_queue_renders(agent_client, order, queue):
    open_inquiry(order)
    assert agent_client.get(reverse("aftersales:queue", args=[queue])).status_code == 200
