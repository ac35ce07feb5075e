"""A queue sorted by a column puts the cases without a value (no deadline, nobody assigned) after the others when
ascending and before them when descending, on SQLite as on PostgreSQL."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.models import Case, CaseKind, Desk, Status

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def cases(make_order, agent):
    """Two open cases due in 1 and 2 hours (the later one assigned), and a closed one with no deadline left."""

    def open_case(due_in):
        order = make_order()
        case = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=order.customer, order=order)
        due = timezone.now() + due_in
        Case.objects.filter(pk=case.pk).update(resolve_due=due, due_at=due)
        case.refresh_from_db()
        return case

    soon, later, closed = open_case(HOUR), open_case(2 * HOUR), open_case(3 * HOUR)
    Case.objects.filter(pk=later.pk).update(assignee=agent)
    casework.transition_case(case=closed, to=Status.CLOSED, note="done")
    closed.refresh_from_db()
    assert closed.due_at is None
    return soon, later, closed


def numbers(client, **params) -> list[str]:
    response = client.get(reverse("aftersales:queue", args=["all"]), params)
    assert response.status_code == 200
    return [row.record.number for row in response.context["table"].paginated_rows]


def test_by_deadline_the_open_work_comes_first_and_cases_without_one_last(supervisor_client, cases):
    soon, later, closed = cases
    assert numbers(supervisor_client) == [soon.number, later.number, closed.number]
    assert numbers(supervisor_client, sort="due_at") == [soon.number, later.number, closed.number]


def test_by_deadline_descending_the_cases_without_one_come_first(supervisor_client, cases):
    soon, later, closed = cases
    assert numbers(supervisor_client, sort="-due_at") == [closed.number, later.number, soon.number]


def test_by_assignee_the_unassigned_come_last_then_first(supervisor_client, cases):
    soon, later, closed = cases
    assert numbers(supervisor_client, sort="assignee")[0] == later.number
    assert numbers(supervisor_client, sort="-assignee")[-1] == later.number
