import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.cases.queues import with_platform_first
from backoffice.cases.tables import case_url
from backoffice.models import Case, CaseKind, Reason, Status
from backoffice.store.money import format_fen
from backoffice.supervisor.tables import bulk_select_column
from backoffice.templatetags.backoffice import staff_name

KIND_LABELS = dict(CaseKind.choices)
REASON_LABELS = dict(Reason.choices)
STATUS_LABELS = dict(Status.choices)


def _case_url(record) -> str:
    return case_url(record, "aftersales:case")


class CaseTable(tables.Table):
    # Supervisors tick rows for bulk assignment (templates/supervisor/bulk_assign.html); agents' tables exclude it.
    select = bulk_select_column()
    number = tables.Column(verbose_name=_("Case"), linkify=lambda record: _case_url(record))
    # Choice columns read the row itself (accessor "pk"): django-tables2 would otherwise build the field's choices
    # for every cell before the render method looks the label up again.
    kind = tables.Column(verbose_name=_("Kind"), accessor="pk", order_by=("kind",))
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__nickname",), default="—")
    order = tables.Column(verbose_name=_("Order no."), order_by=("order__number",), default="—")
    amount_fen = tables.Column(verbose_name=_("Amount"), attrs={"td": {"class": "num"}})
    reason = tables.Column(verbose_name=_("Reason"), accessor="pk", order_by=("reason",))
    status = tables.Column(verbose_name=_("Status"), accessor="pk", order_by=("status",))
    due_at = tables.Column(verbose_name=_("SLA"))
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",), default="—")
    created_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="m-d H:i")

    class Meta:
        model = Case
        fields = (
            "number",
            "kind",
            "customer",
            "order",
            "amount_fen",
            "reason",
            "status",
            "due_at",
            "assignee",
            "created_at",
        )
        sequence = ("select", "...")
        order_by = ("due_at",)
        attrs = {"class": "table queue-table"}
        empty_text = _("No cases in this queue. Nice work.")
        row_attrs = {
            "class": lambda record: (
                f"clickable prio-{record.priority}"
                + (" platform-intervened" if record.platform_intervened_at and record.is_open else "")
            ),
            "data-href": lambda record: _case_url(record),
            "hx-get": lambda record: _case_url(record),
            "hx-target": "#desk-main",
            "hx-select": "#desk-main",
            "hx-swap": "outerHTML",
            "hx-push-url": "true",
        }

    @property
    def order_by(self):
        return tables.Table.order_by.fget(self)

    @order_by.setter
    def order_by(self, value):
        # Whatever column the queue is sorted by, the cases the platform intervened in stay on top.
        tables.Table.order_by.fset(self, value)
        if hasattr(self.data.data, "query"):
            self.data.data = with_platform_first(self.data.data)

    def render_number(self, record, value):
        if record.platform_intervened_at is not None and record.is_open:
            return format_html(
                '{} <span class="badge badge-platform" title="{}">{}</span>',
                value,
                record.platform_status or _("Platform intervened"),
                _("Platform intervened"),
            )
        return value

    def render_customer(self, value):
        return format_html('{}<span class="muted"> {}</span>', value.nickname, value.masked_phone)

    def render_order(self, value):
        return value.number

    def render_amount_fen(self, value):
        return format_fen(value) if value else "—"

    def render_reason(self, record):
        return REASON_LABELS.get(record.reason) or "—"

    def render_kind(self, record):
        return KIND_LABELS.get(record.kind, record.kind)

    def render_status(self, record):
        return format_html('<span class="badge badge-{}">{}</span>', record.status, STATUS_LABELS.get(record.status))

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
        return staff_name(value)
