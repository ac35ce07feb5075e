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


def test_each_form_has_its_own_fields_and_widgets_with_the_classes_choices():
    one = CaseFilter(QueryDict(), queryset=Case.objects.all()).form
    two = CaseFilter(QueryDict(), queryset=Case.objects.all()).form
    base = type(one).base_fields

    assert list(one.fields) == list(base)
    for name in base:
        assert one.fields[name] is not two.fields[name] is not base[name]
        assert one.fields[name].widget is not two.fields[name].widget
        assert one.fields[name].widget.attrs is not two.fields[name].widget.attrs
    for name in ("kind", "status"):
        assert list(one.fields[name].choices) == list(base[name].choices)

    one.fields["kind"].widget.choices = [("only", "only")]
    one.fields["kind"].choices = [("changed", "changed")]
    one.fields["kind"].widget.attrs["data-x"] = "1"

    three = CaseFilter(QueryDict(), queryset=Case.objects.all()).form
    assert list(three.fields["kind"].choices) == list(base["kind"].choices) == list(two.fields["kind"].choices)
    assert ("changed", "changed") not in three.fields["kind"].choices
    assert "data-x" not in three.fields["kind"].widget.attrs
    # The staff list is read again for each form (Django's own copy of a model choice field).
    assert three.fields["assignee"].queryset is not base["assignee"].queryset


def test_a_forms_choices_follow_its_own_fields_labels():
    form = CaseFilter(QueryDict(), queryset=Case.objects.all()).form
    status = form.fields["status"]
    status.empty_label = "any status"

    assert list(status.choices)[0] == ("", "any status")
    assert list(type(form).base_fields["status"].choices)[0] != ("", "any status")
    assert (
        list(CaseFilter(QueryDict(), queryset=Case.objects.all()).form.fields["status"].choices)[0][1] != "any status"
    )
