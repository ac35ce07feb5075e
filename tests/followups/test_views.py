"""Supervisors' pages: campaign results and the outbox with its retry button."""

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.models import Campaign, OutboundMessage
from backoffice.tasks import sweep_followups
from tests.factories import CustomerFactory, OutboundMessageFactory, shanghai

WEDNESDAY_2PM = shanghai(2026, 11, 25, 14, 0)


@pytest.fixture
def followups_sent(closed_refund):
    def make(count: int):
        with time_machine.travel(WEDNESDAY_2PM, tick=False):
            for _ in range(count):
                closed_refund(CustomerFactory())
        with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
            sweep_followups()

    return make


def test_agents_cannot_see_campaign_results_or_the_outbox(agent_client):
    assert agent_client.get(reverse("followups:results")).status_code == 403
    assert agent_client.get(reverse("followups:outbox")).status_code == 403
    assert agent_client.post(reverse("followups:retry_all")).status_code == 403


def test_logged_out_people_are_sent_to_login(client):
    response = client.get(reverse("followups:results"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_results_show_sent_refused_coupons_and_money_per_campaign_and_week(
    supervisor_client, followups_sent, closed_refund
):
    Campaign.objects.filter(key="a9-refund-followup").update(budget_fen=2000)
    followups_sent(3)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        response = supervisor_client.get(reverse("followups:results"))
    assert response.status_code == 200
    a9 = next(c for c in response.context["campaigns"] if c.key == "a9-refund-followup")
    assert (a9.sent, a9.refused, a9.coupons_issued, a9.issued_fen) == (2, 1, 2, 2000)
    (week,) = a9.weeks
    assert week["week"] == dt.date(2026, 11, 23) and week["sent"] == 2 and week["issued_fen"] == 2000
    assert "¥20.00" in response.content.decode()
    assert [f.state for f in response.context["refusals"]] == ["refused"]


def test_results_page_queries_do_not_grow_with_follow_ups(
    supervisor_client, followups_sent, django_assert_max_num_queries
):
    followups_sent(2)
    with django_assert_max_num_queries(14) as small:
        supervisor_client.get(reverse("followups:results"))
    followups_sent(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        supervisor_client.get(reverse("followups:results"))


def test_failed_messages_are_listed_and_a_supervisor_can_retry_one(
    supervisor_client, django_capture_on_commit_callbacks
):
    failed = OutboundMessageFactory(state=OutboundMessage.State.FAILED, attempts=5, last_error="gateway answered 503")
    OutboundMessageFactory(state=OutboundMessage.State.SENT)
    response = supervisor_client.get(reverse("followups:outbox"))
    assert list(response.context["page"]) == [failed]
    assert "gateway answered 503" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(reverse("followups:retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.state == OutboundMessage.State.SENT
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


def test_retrying_a_message_that_is_no_longer_failed_changes_nothing(supervisor_client):
    sent = OutboundMessageFactory(state=OutboundMessage.State.SENT, attempts=1)
    response = supervisor_client.post(reverse("followups:retry", args=[sent.pk]))
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["info"]
    sent.refresh_from_db()
    assert sent.attempts == 1


def test_retry_all_sends_every_failed_message_again(supervisor_client):
    for _ in range(3):
        OutboundMessageFactory(state=OutboundMessage.State.FAILED, attempts=5)
    supervisor_client.post(reverse("followups:retry_all"))
    assert not OutboundMessage.objects.filter(state=OutboundMessage.State.FAILED).exists()


def test_outbox_tabs_filter_by_state(supervisor_client):
    OutboundMessageFactory(state=OutboundMessage.State.SENT)
    OutboundMessageFactory(state=OutboundMessage.State.PENDING)
    response = supervisor_client.get(reverse("followups:outbox"), {"state": "sent"})
    assert [m.state for m in response.context["page"]] == ["sent"]
    tabs = {key: count for key, _label, count in response.context["tabs"]}
    assert tabs == {"failed": 0, "pending": 1, "sent": 1, "all": 2}


def test_outbox_queries_do_not_grow_with_messages(supervisor_client, django_assert_max_num_queries):
    for _ in range(2):
        OutboundMessageFactory(state=OutboundMessage.State.FAILED)
    with django_assert_max_num_queries(12) as small:
        supervisor_client.get(reverse("followups:outbox"))
    for _ in range(10):
        OutboundMessageFactory(state=OutboundMessage.State.FAILED)
    with django_assert_max_num_queries(len(small.captured_queries)):
        supervisor_client.get(reverse("followups:outbox"))
