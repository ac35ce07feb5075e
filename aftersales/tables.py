import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from backoffice.desk.cells import ChoiceLabels, format_html
from backoffice.desk.tables import EMPTY, DeskTable
from backoffice.models import CaseKind, Reason
from backoffice.store.money import format_fen

KIND_LABELS = ChoiceLabels(CaseKind.choices)
REASON_LABELS = ChoiceLabels(Reason.choices)


class CaseTable(DeskTable):
    # Choice columns read the row itself (accessor "pk"): no field choices built per cell.
    kind = tables.Column(verbose_name=_("Kind"), accessor="pk", order_by=("kind",))
    amount_fen = tables.Column(verbose_name=_("Amount"), attrs={"td": {"class": "num"}})
    reason = tables.Column(verbose_name=_("Reason"), accessor="pk", order_by=("reason",))

    class Meta(DeskTable.Meta):
        sequence = ("select", "number", "kind", "customer", "order", "amount_fen", "reason", "status", "...")

    def row_class(self, record) -> str:
        # An open case the platform intervened in is marked (and sorted first: DeskTable.order_by).
        intervened = " platform-intervened" if record.platform_intervened_at and record.is_open else ""
        return super().row_class(record) + intervened

    def cell_number(self, record, url):
        link = super().cell_number(record, url)
        if record.platform_intervened_at is not None and record.is_open:
            title = record.platform_status or _("Platform intervened")
            badge = '{} <span class="badge badge-platform" title="{}">{}</span>'
            return format_html(badge, link, title, _("Platform intervened"))
        return link

    def cell_kind(self, record, url) -> str:
        return self.label(KIND_LABELS, record.kind, record.kind)

    def cell_amount_fen(self, record, url) -> str:
        return format_fen(record.amount_fen) if record.amount_fen else EMPTY

    def cell_reason(self, record, url) -> str:
        return self.label(REASON_LABELS, record.reason)
