import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import StaffChoiceFilter, staff_users
from backoffice.cases.queues import search_cases
from backoffice.models import DESK_KINDS, Case, Desk, Reason, Status


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Order no., tracking no., customer, case no."), "type": "search"}
        ),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=[(k.value, k.label) for k in DESK_KINDS[Desk.AFTERSALES]]
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=Reason.choices)
    assignee = StaffChoiceFilter(label=_("Assignee"), queryset=staff_users())
    opened_after = django_filters.DateFilter(
        label=_("Opened from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    opened_before = django_filters.DateFilter(
        label=_("Opened to"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Case
        fields = ["q", "kind", "status", "reason", "assignee", "opened_after", "opened_before"]

    def filter_search(self, queryset, name, value):
        return search_cases(queryset, value)
