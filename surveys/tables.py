import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from backoffice.desk.tables import EMPTY, DeskTable


class CallbackTable(DeskTable):
    number = tables.Column(verbose_name=_("Call-back"))
    original = tables.Column(verbose_name=_("Original case"), accessor="callback", orderable=False)
    reasons = tables.Column(verbose_name=_("Unhappy about"), accessor="callback", orderable=False)
    call_count = tables.Column(verbose_name=_("Calls"), attrs={"td": {"class": "num"}})

    class Meta(DeskTable.Meta):
        sequence = ("select", "number", "customer", "original", "reasons", "call_count", "...")
        exclude = ("order",)
        empty_text = _("No call-backs in this queue.")

    def cell_original(self, record, url):
        callback = getattr(record, "callback", None)
        if callback is None:
            return EMPTY
        case = callback.survey.case
        return format_html('<a href="{}">{}</a>', reverse("case_by_number", args=[case.number]), case.number)

    def cell_reasons(self, record, url):
        callback = getattr(record, "callback", None)
        if callback is None:
            return EMPTY
        tags = format_html_join(" ", '<span class="tag">{}</span>', ((r.label,) for r in callback.survey.reasons.all()))
        if callback.category is not None:
            tags = format_html('{} <span class="muted small">→ {}</span>', tags, callback.category.label)
        return tags or EMPTY

    def cell_call_count(self, record, url):
        return record.call_count
