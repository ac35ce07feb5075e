import django_tables2 as tables
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from backoffice.desk.cells import ChoiceLabels, format_html
from backoffice.desk.tables import DeskTable
from backoffice.models import CaseKind

KIND_LABELS = ChoiceLabels(CaseKind.choices)
NOWRAP = {"td": {"class": "nowrap"}}


class LogisticsCaseTable(DeskTable):
    number = tables.Column(verbose_name=_("Case"), attrs=NOWRAP)
    kind = tables.Column(verbose_name=_("Problem"), accessor="pk", order_by=("kind",))
    order = tables.Column(verbose_name=_("Order no."), order_by=("order__number",), attrs=NOWRAP)
    parcel = tables.Column(verbose_name=_("Parcel"), accessor="parcel_courier", order_by=("parcel_courier",))
    parcel_last_event_at = tables.Column(verbose_name=_("Last movement"))
    created_at = tables.Column(verbose_name=_("Age"), attrs=NOWRAP)

    class Meta(DeskTable.Meta):
        sequence = ("select", "number", "kind", "customer", "order", "parcel", "parcel_last_event_at", "...")
        empty_text = _("No logistics exceptions in this queue. Parcels are moving.")

    def cell_kind(self, record, url):
        return format_html(
            '{}<div class="muted small">{}</div>',
            self.label(KIND_LABELS, record.kind, record.kind),
            record.subject or "",
        )

    def cell_parcel(self, record, url):
        if record.parcel_courier is None:
            return "—"
        tracking = record.parcel_tracking_no or _("no tracking no.")
        return format_html('{}<div class="muted small">{}</div>', record.parcel_courier, tracking)

    def cell_parcel_last_event_at(self, record, url):
        if record.parcel_last_event_at is None:
            return "—"
        ago = _("%(ago)s ago") % {"ago": timesince(record.parcel_last_event_at, depth=1)}
        return format_html('<span title="{}">{}</span>', self.local_time(record.parcel_last_event_at), ago)

    def cell_created_at(self, record, url):
        return format_html(
            '<span title="{}">{}</span>', self.local_time(record.created_at), timesince(record.created_at, depth=1)
        )
