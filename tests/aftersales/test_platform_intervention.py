"""A case the platform intervened in jumps the after-sales queue, carries a badge, and its people get a notice."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from aftersales import platform
from backoffice.cases import services as casework
from backoffice.models import Case, CaseKind, Desk, EventType, Notification, Priority, Status
from backoffice.platform.importing import aftersales_status
from tests.factories import SupervisorFactory

HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def open_case(order, *, due_in: dt.timedelta):
    case = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=order.customer, order=order)
    due = timezone.now() + due_in
    Case.objects.filter(pk=case.pk).update(resolve_due=due, due_at=due)
    case.refresh_from_db()
    return case


def intervene(case, code=8):
    platform.record_platform_status(case=case, status=aftersales_status.from_code(code))
    case.refresh_from_db()
    return case


@pytest.fixture
def cases(make_order):
    """Three open cases due in 1, 2 and 3 hours; the platform steps into the last one."""
    early, middle, late = (open_case(make_order(), due_in=h * HOUR) for h in (1, 2, 3))
    return early, middle, intervene(late)


def queue_numbers(client, queue="unassigned", **params) -> list[str]:
    response = client.get(reverse("aftersales:queue", args=[queue]), params)
    assert response.status_code == 200
    return [row.record.number for row in response.context["table"].paginated_rows]


def test_an_intervened_case_tops_the_queue_although_due_last(agent_client, cases):
    early, middle, late = cases
    assert queue_numbers(agent_client) == [late.number, early.number, middle.number]


@pytest.mark.parametrize("sort", ["due_at", "-due_at", "created_at", "-number", "kind"])
def test_it_stays_on_top_whatever_the_queue_is_sorted_by(agent_client, cases, sort):
    assert queue_numbers(agent_client, sort=sort)[0] == cases[2].number


def test_it_carries_a_badge_in_the_queue(agent_client, cases):
    body = agent_client.get(reverse("aftersales:queue", args=["unassigned"])).content.decode()
    assert body.count('class="badge badge-platform"') == 1
    assert "platform-intervened" in body


def test_once_settled_it_no_longer_jumps_the_queue(supervisor_client, cases):
    early, middle, late = cases
    casework.transition_case(case=late, to=Status.CLOSED, note="done")
    assert queue_numbers(supervisor_client, "all", sort="created_at") == [early.number, middle.number, late.number]


def test_take_next_gives_the_intervened_case_first(agent_client, agent, cases):
    agent_client.post(reverse("aftersales:take_next"))
    assert Case.objects.get(pk=cases[2].pk).assignee == agent


def test_intervention_raises_the_priority_and_is_on_the_timeline(cases):
    late = cases[2]
    assert late.priority == Priority.URGENT
    assert late.platform_status_code == "8"
    event = late.events.get(type=EventType.PLATFORM_INTERVENED)
    assert event.after["platform_status"] == "平台处理中"


def test_the_assignee_and_the_supervisors_get_a_notice_they_see_on_their_queue_page(
    make_order, agent, agent_client, agent2
):
    boss = SupervisorFactory(username="boss")
    case = open_case(make_order(), due_in=HOUR)
    Case.objects.filter(pk=case.pk).update(assignee=agent)
    case.refresh_from_db()

    intervene(case, code=5)

    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"agent", "boss"}
    body = agent_client.get(reverse("aftersales:queue", args=["mine"])).content.decode()
    assert 'id="notices"' in body and case.number in body and "平台同意退款，退款中" in body
    nav = agent_client.get(reverse("aftersales:nav_counts")).content.decode()
    assert "通知 <b>1</b>" in nav  # the desk speaks Chinese
    other = Client()
    other.force_login(agent2)
    assert 'id="notices"' not in other.get(reverse("aftersales:queue", args=["mine"])).content.decode()
    assert Notification.objects.filter(recipient=boss, case=case, read_at__isnull=True).exists()


def test_opening_a_notice_marks_it_read_on_the_case_and_goes_to_the_case(make_order, agent, agent_client):
    case = open_case(make_order(), due_in=HOUR)
    Case.objects.filter(pk=case.pk).update(assignee=agent)
    case.refresh_from_db()
    intervene(case)
    notice = Notification.objects.get(recipient=agent)

    response = agent_client.post(reverse("notification_read", args=[notice.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("aftersales:case", args=[case.number])
    notice.refresh_from_db()
    assert notice.read_at is not None
    event = case.events.get(type=EventType.NOTIFICATION_READ)
    assert event.actor == agent
    nav = agent_client.get(reverse("aftersales:nav_counts")).content.decode()
    assert "Notices" not in nav
    agent_client.post(reverse("notification_read", args=[notice.pk]))
    assert case.events.filter(type=EventType.NOTIFICATION_READ).count() == 1


def test_nobody_reads_someone_elses_notice(make_order, agent, agent2):
    case = open_case(make_order(), due_in=HOUR)
    Case.objects.filter(pk=case.pk).update(assignee=agent)
    case.refresh_from_db()
    intervene(case)
    notice = Notification.objects.get(recipient=agent)
    other = Client()
    other.force_login(agent2)

    assert other.post(reverse("notification_read", args=[notice.pk])).status_code == 404
    assert other.get(reverse("notification_read", args=[notice.pk])).status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None
