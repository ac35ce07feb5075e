"""The base of every desk's queue filters: search, status and assignee; a desk adds its own and orders them."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import StaffChoiceFilter, staff_users
from backoffice.cases.queues import search_cases
from backoffice.models import DESK_KINDS, Case, Status


def kind_choices(desk: str) -> list[tuple[str, str]]:
    return [(kind.value, kind.label) for kind in DESK_KINDS[desk]]


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class DeskFilter(django_filters.FilterSet):
    search_placeholder = _("Order no., tracking no., customer, case no.")

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    assignee = StaffChoiceFilter(label=_("Assignee"), queryset=staff_users())

    class Meta:
        model = Case
        fields = ["q", "status", "assignee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The fields in the order the desk's Meta lists them (declared filters would otherwise come base first).
        order = self._meta.fields
        self.filters = dict(sorted(self.filters.items(), key=lambda item: order.index(item[0])))
        search = forms.TextInput(attrs={"placeholder": self.search_placeholder, "type": "search"})
        self.filters["q"].extra["widget"] = search

    def filter_search(self, queryset, name, value):
        return search_cases(queryset, value)
