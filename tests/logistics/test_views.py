"""The logistics desk's pages: roles, queues and their filters, take-next, and the case page's actions."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from backoffice.models import Case, CaseKind, Courier, Shipment, Status
from logistics.models import CourierContact, Problem, SweepRun
from tests.factories import CaseFactory, make_order

from .conftest import HOUR, NOW, logistics_cases

pytestmark = pytest.mark.django_db


def fill(count, sweep, *, kind="late"):
    """`count` detected cases: late orders, or stalled parcels."""
    for n in range(count):
        if kind == "late":
            make_order(paid_at=NOW - (50 + n) * HOUR)
        else:
            make_order(paid_at=NOW - (200 + n) * HOUR, shipped_at=NOW - (190 + n) * HOUR, tracking_events=1)
    sweep()


@pytest.fixture
def a_case(clock, sweep):
    fill(1, sweep, kind="stalled")
    return logistics_cases().get()


def action(case, name):
    return reverse("logistics:case_action", args=[case.number, name])


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("logistics:queue", args=["mine"]))

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_staff_without_a_desk_role_is_refused(django_user_model, a_case):
    outsider = Client()
    outsider.force_login(django_user_model.objects.create_user("outsider"))

    assert outsider.get(reverse("logistics:queue", args=["mine"])).status_code == 403
    assert outsider.get(reverse("logistics:case", args=[a_case.number])).status_code == 403
    assert outsider.post(action(a_case, "claim")).status_code == 403
    assert outsider.post(reverse("logistics:take_next")).status_code == 403


def test_only_supervisors_run_detection_by_hand(agent_client, supervisor_client, clock):
    make_order(paid_at=NOW - 50 * HOUR)

    assert agent_client.post(reverse("logistics:run_detection")).status_code == 403
    assert not SweepRun.objects.exists()
    response = supervisor_client.post(reverse("logistics:run_detection"), {"queue": "all"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("logistics:queue", args=["all"])
    assert SweepRun.objects.get().triggered_by.username == "supervisor"
    assert logistics_cases().count() == 1
    assert "flash-success" in response.content.decode()


def test_the_queue_link_shows_in_the_top_bar(agent_client, db):
    page = agent_client.get(reverse("logistics:queue", args=["mine"])).content.decode()

    assert 'href="/logistics/queue/mine/"' in page


def test_queue_page_query_count_does_not_grow_with_rows(agent_client, clock, sweep, django_assert_max_num_queries):
    url = reverse("logistics:queue", args=["unassigned"])
    fill(3, sweep)
    with django_assert_max_num_queries(11) as small:  # measured: 9
        assert agent_client.get(url).content.count(b'class="clickable') == 3
    fill(22, sweep, kind="stalled")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = agent_client.get(url)

    assert response.content.count(b'class="clickable') == 25


def test_queue_filters_by_problem_courier_and_age(agent_client, clock, sweep):
    fill(2, sweep)
    fill(1, sweep, kind="stalled")
    sf = Courier.objects.create(code="sf", name="顺丰速运")
    stalled = logistics_cases().get(kind=CaseKind.STALLED)
    Shipment.objects.filter(order=stalled.order).update(courier=sf)
    url = reverse("logistics:queue", args=["unassigned"])

    def rows(**params):
        return agent_client.get(url, params).content.decode().count('class="clickable')

    assert rows() == 3
    assert rows(kind="not_shipped") == 2
    assert rows(courier=sf.pk) == 1
    assert rows(age="today") == 3 and rows(age="3d+") == 0
    assert rows(q=stalled.order.number) == 1


def test_htmx_filter_request_gets_only_the_results(agent_client, a_case):
    response = agent_client.get(
        reverse("logistics:queue", args=["unassigned"]), headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )

    body = response.content.decode()
    assert a_case.number in body and "<html" not in body
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_take_next_gives_the_agent_the_most_urgent_case(agent_client, agent, a_case):
    response = agent_client.post(reverse("logistics:take_next"))

    assert response["Location"] == reverse("logistics:case", args=[a_case.number])
    a_case.refresh_from_db()
    assert a_case.assignee == agent and a_case.status == Status.IN_PROGRESS


def test_take_next_with_an_empty_queue_says_so(agent_client, db):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = agent_client.post(reverse("logistics:take_next"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("logistics:queue", args=["mine"])
    assert [str(m) for m in response.context["messages"]] == [
        "No unassigned logistics exception is waiting. Well done!"
    ]


def test_case_page_shows_the_problem_and_the_parcel(agent_client, a_case):
    body = agent_client.get(reverse("logistics:case", args=[a_case.number])).content.decode()

    shipment = a_case.order.shipments.get()
    assert a_case.number in body and shipment.tracking_no in body
    assert 'data-testid="contact-courier"' in body and 'data-testid="notify-customer"' in body


def test_an_after_sales_case_is_not_shown_on_the_logistics_desk(agent_client, clock):
    other = CaseFactory()

    assert agent_client.get(reverse("logistics:case", args=[other.number])).status_code == 404


def test_agent_records_a_courier_contact_from_the_page(agent_client, agent, a_case):
    response = agent_client.post(
        action(a_case, "contact_courier"),
        {"channel": "phone", "contact": "95311", "result": "已催件", "next_check_at": "2026-11-25T21:00"},
        headers={"HX-Request": "true", "HX-Target": "case-panel"},
    )

    assert response.status_code == 200 and response["HX-Trigger"] == "casesChanged"
    contact = CourierContact.objects.get()
    assert contact.actor == agent and contact.next_check_at.isoformat() == "2026-11-25T13:00:00+00:00"
    assert "已催件" in response.content.decode()


def test_bad_input_is_a_message_and_changes_nothing(agent_client, a_case):
    response = agent_client.post(
        action(a_case, "contact_courier"), {"channel": "phone", "contact": "", "result": "网点说明天派送"}, follow=True
    )

    assert not CourierContact.objects.exists()
    # The page again, with the form as it was typed and its reason next to it.
    page = response.content.decode()
    assert response.status_code == 400 and "flash-error" in page and "data-refused" in page
    assert "网点说明天派送</textarea>" in page


def test_a_refused_rule_keeps_the_form_as_typed_too(agent_client, a_case, in_english, monkeypatch):
    from backoffice.errors import DomainError
    from logistics import services

    def refused(**_kwargs):
        raise DomainError("This order has no parcel; choose the courier.")

    monkeypatch.setattr(services, "contact_courier", refused)  # a rule of the service says no (not a form field)
    response = in_english(agent_client).post(
        action(a_case, "contact_courier"),
        {"channel": "phone", "contact": "95311", "result": "已催件"},
        headers={"HX-Request": "true", "HX-Target": "case-panel"},
    )

    assert not CourierContact.objects.exists()
    panel = response.content.decode()
    refused = panel[panel.index("data-refused") :]
    assert "This order has no parcel; choose the courier." in refused.split("</div>")[0]
    assert 'value="95311"' in panel and "已催件</textarea>" in panel


def test_a_message_the_agent_chose_is_theirs_on_the_timeline_not_automatic(agent, a_case):
    from django.template.loader import render_to_string
    from django.utils import translation

    from backoffice.models import CaseEvent, EventType

    def entry(actor):
        event = CaseEvent(
            pk=1, case=a_case, actor=actor, type=EventType.OUTBOUND_QUEUED, body="延迟致歉", after={"template": "x"}
        )
        event.at = NOW
        with translation.override("zh-hans"):
            return render_to_string("cases/event.html", {"event": event, "case": a_case})

    assert "event-automatic" not in entry(agent) and "王小丽" in entry(agent)
    assert "event-automatic" in entry(None) and "自动消息" in entry(None)


def test_agent_notifies_the_customer_and_resolves(agent_client, a_case):
    agent_client.post(action(a_case, "notify"), {"template": "stalled_notice"})
    agent_client.post(action(a_case, "resolve"), {"outcome": "courier_chased", "note": "已派送"})

    a_case.refresh_from_db()
    assert a_case.status == Status.RESOLVED
    assert a_case.outbound.filter(template_key="stalled_notice").exists()


def test_agent_reports_an_order_out_of_stock(agent_client, clock):
    order = make_order(paid_at=NOW - 2 * HOUR)

    response = agent_client.post(
        reverse("logistics:report_out_of_stock"), {"order_number": order.number, "note": "缺货"}
    )

    case = Case.objects.get(order=order)
    assert response["Location"] == reverse("logistics:case", args=[case.number])
    assert Problem.objects.get(order=order).kind == CaseKind.OUT_OF_STOCK


def test_common_actions_come_from_the_shared_handler(agent_client, agent, supervisor_client, agent2, a_case):
    agent_client.post(action(a_case, "claim"))
    a_case.refresh_from_db()
    assert a_case.assignee == agent
    supervisor_client.post(action(a_case, "assign"), {"assignee": agent2.pk})
    a_case.refresh_from_db()
    assert a_case.assignee == agent2
    agent_client.post(action(a_case, "assign"), {"assignee": agent.pk})
    a_case.refresh_from_db()
    assert a_case.assignee == agent2


def test_nav_counts(agent_client, a_case):
    body = agent_client.get(reverse("logistics:nav_counts")).content.decode()

    assert f'href="{reverse("logistics:queue", args=["unassigned"])}"' in body and "<b>1</b>" in body
