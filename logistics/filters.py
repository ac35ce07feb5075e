import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.desk.filters import DeskFilter, kind_choices
from backoffice.models import Courier, Desk, Shipment

AGES = {
    "today": (None, dt.timedelta(days=1)),
    "1-3d": (dt.timedelta(days=1), dt.timedelta(days=3)),
    "3d+": (dt.timedelta(days=3), None),
}


class LogisticsCaseFilter(DeskFilter):
    kind = django_filters.ChoiceFilter(label=_("Problem"), choices=kind_choices(Desk.LOGISTICS))
    courier = django_filters.ModelChoiceFilter(
        label=_("Courier"), queryset=Courier.objects.all(), method="filter_courier"
    )
    age = django_filters.ChoiceFilter(
        label=_("Age"),
        choices=[("today", _("Under 1 day")), ("1-3d", _("1–3 days")), ("3d+", _("Over 3 days"))],
        method="filter_age",
    )

    class Meta(DeskFilter.Meta):
        fields = ["q", "kind", "courier", "age", "status", "assignee"]

    def filter_courier(self, queryset, name, value):
        return queryset.filter(Exists(Shipment.objects.filter(order_id=OuterRef("order_id"), courier=value)))

    def filter_age(self, queryset, name, value):
        younger_than, older_than = AGES[value][1], AGES[value][0]
        now = timezone.now()
        if younger_than is not None:
            queryset = queryset.filter(created_at__gt=now - younger_than)
        if older_than is not None:
            queryset = queryset.filter(created_at__lte=now - older_than)
        return queryset
