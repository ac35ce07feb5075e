import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import StaffChoiceFilter, staff_users
from backoffice.cases.queues import search_cases
from backoffice.models import Case, Status


class CallbackFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("Order no., customer, phone, case no."), "type": "search"}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    reached = django_filters.ChoiceFilter(
        label=_("Last call"),
        method="filter_reached",
        choices=[("none", _("Not called yet")), ("yes", _("Reached")), ("no", _("Not reached"))],
    )
    assignee = StaffChoiceFilter(label=_("Assignee"), queryset=staff_users())

    class Meta:
        model = Case
        fields = ["q", "status", "reached", "assignee"]

    def filter_search(self, queryset, name, value):
        return search_cases(queryset, value)

    def filter_reached(self, queryset, name, value):
        if value == "none":
            return queryset.filter(callback__reached__isnull=True)
        return queryset.filter(callback__reached=(value == "yes"))
