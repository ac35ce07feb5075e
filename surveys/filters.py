import django_filters
from django.utils.translation import gettext_lazy as _

from backoffice.desk.filters import DeskFilter


class CallbackFilter(DeskFilter):
    search_placeholder = _("Order no., customer, phone, case no.")

    reached = django_filters.ChoiceFilter(
        label=_("Last call"),
        method="filter_reached",
        choices=[("none", _("Not called yet")), ("yes", _("Reached")), ("no", _("Not reached"))],
    )

    class Meta(DeskFilter.Meta):
        fields = ["q", "status", "reached", "assignee"]

    def filter_reached(self, queryset, name, value):
        if value == "none":
            return queryset.filter(callback__reached__isnull=True)
        return queryset.filter(callback__reached=(value == "yes"))
