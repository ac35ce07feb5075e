"""The case page of every desk takes a fixed, small number of queries, however long the timeline and however many
earlier cases the customer has; and it shows every event and earlier case it counted.

Bounds are the measured count plus one or two: a new query on a case page is a decision, not an accident.
"""

import pytest
from django.test import Client
from django.urls import reverse

from backoffice.models import CaseEvent, EventType, Status
from quality import services as quality
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, make_order

# desk page → (URL name, the case's factory traits, who opens it, the bound: measured 13, 15 and 14)
DESK_PAGES = {
    "aftersales": ("aftersales:case", {}, "agent", 15),
    "logistics": ("logistics:case", {"logistics": True}, "agent", 17),
    "callback": ("surveys:callback", {"callback": True}, "supervisor", 16),
}


def _case_with_history(customer, traits: dict, writers: list, events: int, earlier: int):
    """A case whose timeline has `events` notes by several people, and whose customer had `earlier` other cases."""
    for n in range(earlier):
        CaseFactory(
            customer=customer, order=make_order(customer=customer), status=Status.CLOSED, subject=f"earlier-{n}"
        )
    case = CaseFactory(
        customer=customer, order=make_order(customer=customer, shipped=True, tracking_events=3), **traits
    )
    for n in range(events):
        CaseEvent.objects.create(case=case, type=EventType.NOTE, actor=writers[n % len(writers)], body=f"note-{n}")
    return case


@pytest.fixture
def writers(db):
    return [AgentFactory(username=f"writer{n}", first_name=f"W{n}") for n in range(4)]


def _open(client, url: str, django_assert_max_num_queries, bound: int):
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(captured.captured_queries)


@pytest.mark.parametrize("desk", list(DESK_PAGES))
def test_a_case_page_takes_the_same_few_queries_for_a_long_history(
    desk, agent, supervisor, writers, django_assert_max_num_queries
):
    name, traits, role, bound = DESK_PAGES[desk]
    client = Client()
    client.force_login(agent if role == "agent" else supervisor)

    short = _case_with_history(CustomerFactory(), traits, writers, events=1, earlier=1)
    _html, few = _open(client, reverse(name, args=[short.number]), django_assert_max_num_queries, bound)

    customer = CustomerFactory()
    long = _case_with_history(customer, traits, writers, events=12, earlier=6)
    html, many = _open(client, reverse(name, args=[long.number]), django_assert_max_num_queries, bound)

    assert many <= few, f"{desk}: {few} queries for a short history, {many} for a long one"
    for n in range(12):
        assert f"note-{n}" in html
    shown = [other.number for other in long.customer.cases.exclude(pk=long.pk)]
    assert len(shown) == 6 and all(number in html for number in shown)


def test_the_quality_review_page_takes_the_same_few_queries_for_a_long_history(
    agent, supervisor, writers, django_assert_max_num_queries
):
    client = Client()
    client.force_login(supervisor)

    def review_of(events: int):
        case = _case_with_history(CustomerFactory(), {"assignee": agent}, writers, events=events, earlier=0)
        case.status = Status.CLOSED
        case.save(update_fields=["status"])
        return quality.add_case(case=case, actor=supervisor)

    # Measured: 8.
    _html, few = _open(client, reverse("quality:review", args=[review_of(1).pk]), django_assert_max_num_queries, 10)
    html, many = _open(client, reverse("quality:review", args=[review_of(12).pk]), django_assert_max_num_queries, 10)
    assert many <= few
    assert all(f"note-{n}" in html for n in range(12))
