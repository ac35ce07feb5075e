import django_filters
from django.utils.translation import gettext_lazy as _

from backoffice.desk.filters import DeskFilter, date_input, kind_choices
from backoffice.models import Desk, Reason


class CaseFilter(DeskFilter):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=kind_choices(Desk.AFTERSALES))
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=Reason.choices)
    opened_after = django_filters.DateFilter(
        label=_("Opened from"), field_name="created_at", lookup_expr="date__gte", widget=date_input()
    )
    opened_before = django_filters.DateFilter(
        label=_("Opened to"), field_name="created_at", lookup_expr="date__lte", widget=date_input()
    )

    class Meta(DeskFilter.Meta):
        fields = ["q", "kind", "status", "reason", "assignee", "opened_after", "opened_before"]
