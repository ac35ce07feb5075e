"""A queue page's rows: their SQL compiled once per shape, their WHERE values (the time now) taken from each request,
and the rows the same as the ORM reads them."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice import prepared
from backoffice.models import Case, CaseEvent, EventType, Status
from tests.factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _numbers(html: str) -> list[str]:
    return re.findall(r'data-href="/aftersales/case/([^/]+)/"', html)


@pytest.fixture(autouse=True)
def forget_kept(monkeypatch):
    monkeypatch.setattr(prepared._kept, "reads", prepared.OrderedDict(), raising=False)


def test_the_second_load_of_a_page_compiles_no_rows_query_and_shows_the_same_rows(
    supervisor, supervisor_client, rows_compiled
):
    for i in range(5):
        CaseFactory(customer=CustomerFactory(nickname=f"买家{i}"))
    url = reverse("aftersales:queue", args=["all"])

    first = supervisor_client.get(url).text
    assert len(rows_compiled()) == 1
    second = supervisor_client.get(url).text

    assert len(rows_compiled()) == 1
    assert _numbers(second) == _numbers(first) and len(_numbers(first)) == 5
    for i in range(5):
        assert f"买家{i}" in second


def test_the_time_now_is_each_requests_own(agent, agent_client, rows_compiled):
    """The overdue queue's SQL is kept, its deadline comparison made with each request's time."""
    now = timezone.now()
    late = CaseFactory(assignee=agent, status=Status.IN_PROGRESS, due_at=now - dt.timedelta(minutes=5))
    soon = CaseFactory(assignee=agent, status=Status.IN_PROGRESS, due_at=now + dt.timedelta(seconds=3))
    url = reverse("aftersales:queue", args=["overdue"])
    assert _numbers(agent_client.get(url).text) == [late.number]

    Case.objects.filter(pk=soon.pk).update(due_at=timezone.now() - dt.timedelta(microseconds=1))

    assert sorted(_numbers(agent_client.get(url).text)) == sorted([late.number, soon.number])
    assert len(rows_compiled()) == 1


def test_each_person_sees_their_own_read_marks(agent, agent2, rows_compiled, client):
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    case2 = CaseFactory(assignee=agent2, status=Status.IN_PROGRESS)
    for each in (case, case2):
        CaseEvent.objects.create(case=each, type=EventType.CUSTOMER_MESSAGE, body="在吗", at=timezone.now())
    url = reverse("aftersales:queue", args=["mine"])

    client.force_login(agent)
    mine = client.get(url).text
    client.force_login(agent2)
    theirs = client.get(url).text

    assert _numbers(mine) == [case.number] and _numbers(theirs) == [case2.number]
    assert 'data-testid="unread"' in mine and 'data-testid="unread"' in theirs
    assert len(rows_compiled()) == 2  # one shape each


def test_a_read_without_a_where_clause_is_read_but_not_kept():
    CaseFactory.create_batch(2)

    rows = prepared.kept_rows(Case.objects.select_related("order").order_by("pk")[:10], shape=("test",))

    assert [case.pk for case in rows] == list(Case.objects.order_by("pk").values_list("pk", flat=True))
    assert rows[0].order.number
    assert not prepared._kept.reads


def test_a_shape_that_does_not_name_what_the_sql_follows_from_is_caught_in_the_tests():
    """The suite compares each kept read with the ORM's SQL: a caller whose shape leaves out the sort is found out."""
    CaseFactory.create_batch(2)
    cases = Case.objects.filter(desk="aftersales").select_related("order")
    prepared.kept_rows(cases.order_by("pk")[:10], shape=("sorted",))

    with pytest.raises(AssertionError, match="not the ORM's"):
        prepared.kept_rows(cases.order_by("-pk")[:10], shape=("sorted",))


def test_only_so_many_shapes_are_kept(monkeypatch):
    monkeypatch.setattr(prepared, "KEPT_SHAPES", 2)
    CaseFactory()
    cases = Case.objects.filter(desk="aftersales").select_related("order")
    for shape in ("a", "b", "c"):
        prepared.kept_rows(cases[:5], shape=(shape,))

    assert [key[-1] for key in prepared._kept.reads] == [("b",), ("c",)]


def test_a_filter_that_matches_nothing_reads_nothing(django_assert_num_queries):
    CaseFactory()
    with django_assert_num_queries(0):
        assert prepared.kept_rows(Case.objects.filter(pk__in=[]).select_related("order")[:5], shape=("none",)) == []
