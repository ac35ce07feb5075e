"""A desk's filter sets share their class's filters and form class, never each other's values or parent."""

import pytest
from django.http import QueryDict

from aftersales.filters import CaseFilter
from backoffice.models import Case, Status
from logistics.filters import LogisticsCaseFilter
from tests.factories import CaseFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_each_filter_set_searches_with_its_own_words():
    first = CaseFactory(status=Status.NEW, order=OrderFactory(number="260101-111111111111111"))
    second = CaseFactory(status=Status.NEW, order=OrderFactory(number="260101-222222222222222"))
    cases = Case.objects.all()

    one = CaseFilter(QueryDict("q=260101-1111"), queryset=cases)
    two = CaseFilter(QueryDict("q=260101-2222"), queryset=cases)

    assert list(two.qs) == [second]
    assert list(one.qs) == [first]


def test_a_filter_sets_changes_stay_its_own():
    one = CaseFilter(QueryDict(), queryset=Case.objects.all())
    one.filters["kind"].extra["label"] = "changed"

    two = CaseFilter(QueryDict(), queryset=Case.objects.all())
    assert two.filters["kind"].extra.get("label") != "changed"
    assert two.filters["q"].parent is two and one.filters["q"].parent is one
    assert getattr(CaseFilter.base_filters["q"], "parent", None) is None
    # The classes share DeskFilter's declared filters; each keeps its own search box.
    assert LogisticsCaseFilter(QueryDict(), queryset=Case.objects.all()).filters["q"].parent is not two


def test_the_form_shows_each_requests_values():
    one = CaseFilter(QueryDict("kind=refund"), queryset=Case.objects.all())
    two = CaseFilter(QueryDict("kind=return"), queryset=Case.objects.all())

    assert one.form["kind"].value() == "refund" and two.form["kind"].value() == "return"
    assert type(one.form) is type(two.form)
