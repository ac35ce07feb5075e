import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from backoffice.cases.tables import case_url
from backoffice.models import Case
from backoffice.staff.roles import staff_display_name


def _case_url(record) -> str:
    return case_url(record, "logistics:case")


class LogisticsCaseTable(tables.Table):
    number = tables.Column(
        verbose_name=_("Case"), linkify=lambda record: _case_url(record), attrs={"td": {"class": "nowrap"}}
    )
    kind = tables.Column(verbose_name=_("Problem"))
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__nickname",), default="—")
    order = tables.Column(
        verbose_name=_("Order no."), order_by=("order__number",), default="—", attrs={"td": {"class": "nowrap"}}
    )
    parcel = tables.Column(verbose_name=_("Parcel"), accessor="parcel_courier", order_by=("parcel_courier",))
    parcel_last_event_at = tables.Column(verbose_name=_("Last movement"))
    status = tables.Column(verbose_name=_("Status"))
    due_at = tables.Column(verbose_name=_("SLA"))
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",), default="—")
    created_at = tables.Column(verbose_name=_("Age"), attrs={"td": {"class": "nowrap"}})

    class Meta:
        model = Case
        fields = (
            "number",
            "kind",
            "customer",
            "order",
            "parcel",
            "parcel_last_event_at",
            "status",
            "due_at",
            "assignee",
            "created_at",
        )
        order_by = ("due_at",)
        attrs = {"class": "table queue-table"}
        empty_text = _("No logistics exceptions in this queue. Parcels are moving.")
        row_attrs = {
            "class": lambda record: f"clickable prio-{record.priority}",
            "data-href": lambda record: _case_url(record),
            "hx-get": lambda record: _case_url(record),
            "hx-target": "#desk-main",
            "hx-select": "#desk-main",
            "hx-swap": "outerHTML",
            "hx-push-url": "true",
        }

    def render_kind(self, record):
        return format_html('{}<div class="muted small">{}</div>', record.get_kind_display(), record.subject or "")

    def render_customer(self, value):
        return format_html('{}<span class="muted"> {}</span>', value.nickname, value.masked_phone)

    def render_order(self, value):
        return value.number

    def render_parcel(self, record):
        return format_html(
            '{}<div class="muted small">{}</div>',
            record.parcel_courier,
            record.parcel_tracking_no or _("no tracking no."),
        )

    def render_parcel_last_event_at(self, value):
        return format_html(
            '<span title="{}">{}</span>',
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M"),
            _("%(ago)s ago") % {"ago": timesince(value, depth=1)},
        )

    def render_status(self, record):
        return format_html('<span class="badge badge-{}">{}</span>', record.status, record.get_status_display())

    def render_due_at(self, record):
        if not record.is_open or record.due_at is None:
            return "—"
        return format_html(
            '<span class="sla" data-countdown="{}" title="{}">{}</span>',
            record.due_at.isoformat(),
            timezone.localtime(record.due_at).strftime("%Y-%m-%d %H:%M"),
            "",
        )

    def render_assignee(self, value):
        return staff_display_name(value)

    def render_created_at(self, value):
        return format_html(
            '<span title="{}">{}</span>',
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M"),
            timesince(value, depth=1),
        )
