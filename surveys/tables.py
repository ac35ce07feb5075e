import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from backoffice.cases.tables import case_url
from backoffice.models import Case
from backoffice.templatetags.backoffice import staff_name


def _callback_url(record) -> str:
    return case_url(record, "surveys:callback")


class CallbackTable(tables.Table):
    number = tables.Column(verbose_name=_("Call-back"), linkify=lambda record: _callback_url(record))
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__nickname",), default="—")
    original = tables.Column(verbose_name=_("Original case"), accessor="callback", orderable=False, default="—")
    reasons = tables.Column(verbose_name=_("Unhappy about"), accessor="callback", orderable=False, default="—")
    call_count = tables.Column(verbose_name=_("Calls"), attrs={"td": {"class": "num"}})
    status = tables.Column(verbose_name=_("Status"))
    due_at = tables.Column(verbose_name=_("SLA"))
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",), default="—")
    created_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="m-d H:i")

    class Meta:
        model = Case
        fields = (
            "number",
            "customer",
            "original",
            "reasons",
            "call_count",
            "status",
            "due_at",
            "assignee",
            "created_at",
        )
        order_by = ("due_at",)
        attrs = {"class": "table queue-table"}
        empty_text = _("No call-backs in this queue.")
        row_attrs = {
            "class": lambda record: f"clickable prio-{record.priority}",
            "data-href": lambda record: _callback_url(record),
            "hx-get": lambda record: _callback_url(record),
            "hx-target": "#desk-main",
            "hx-select": "#desk-main",
            "hx-swap": "outerHTML",
            "hx-push-url": "true",
        }

    def render_customer(self, value):
        return format_html('{}<span class="muted"> {}</span>', value.nickname, value.masked_phone)

    def render_original(self, value):
        case = value.survey.case
        return format_html('<a href="{}">{}</a>', reverse("case_by_number", args=[case.number]), case.number)

    def render_reasons(self, value):
        reasons = list(value.survey.reasons.all())
        found = value.category
        parts = format_html_join(" ", '<span class="tag">{}</span>', ((reason.label,) for reason in reasons))
        if found is not None:
            parts = format_html('{} <span class="muted small">→ {}</span>', parts, found.label)
        return parts or "—"

    def render_status(self, record):
        return format_html('<span class="badge badge-{}">{}</span>', record.status, record.get_status_display())

    def render_due_at(self, record):
        if not record.is_open or record.due_at is None:
            return "—"
        return format_html(
            '<span class="sla" data-countdown="{}" title="{}"></span>',
            record.due_at.isoformat(),
            timezone.localtime(record.due_at).strftime("%Y-%m-%d %H:%M"),
        )

    def render_assignee(self, value):
        return staff_name(value)
