"""The audit log's table (one row per event, newest first, read-only) and the bulk-assignment column of queue tables."""

import json

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from backoffice.models import CaseEvent, EventType
from backoffice.supervisor.audit import change_summary
from backoffice.supervisor.auditwords import AuditWords
from backoffice.templatetags.backoffice import staff_name

SETTINGS = EventType.SETTINGS_CHANGED.value
# get_type_display() rebuilds the choices on every call (40 lazy labels); one lookup table is 100 times faster.
TYPE_LABELS = dict(EventType.choices)


def bulk_select_column() -> tables.CheckBoxColumn:
    """The checkbox column for bulk assignment in any desk's queue table (templates/supervisor/bulk_assign.html).

    select = bulk_select_column() in the table, Meta.sequence = ("select", "..."), and exclude=("select",) for
    people who are not supervisors. Closed cases cannot be ticked.
    """
    return tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th": {"class": "select-cell"},
            "td": {"class": "select-cell"},
            "th__input": {"data-select-all": "", "aria-label": _("Select all on this page")},
            "td__input": {
                "name": "cases",
                "form": "bulk-assign-form",
                "aria-label": _("Select"),
                "disabled": lambda record: None if record.is_open else "disabled",
            },
        },
    )


def _short(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return Truncator(value).chars(60)
    return Truncator(json.dumps(value, ensure_ascii=False)).chars(60)


class AuditTable(tables.Table):
    at = tables.Column(verbose_name=_("Time"), order_by=("at", "id"))
    # No person: the store's own automation (sweeps, follow-ups, the platform's messages), said so, not left blank.
    actor = tables.Column(verbose_name=_("Person"), orderable=False, default=_("System"))
    # Read through the pk: a choices field's value would make tables2 call get_type_display() per row.
    type = tables.Column(verbose_name=_("Action"), orderable=False, accessor="pk")
    case = tables.Column(verbose_name=_("Case"), orderable=False, empty_values=())
    details = tables.Column(verbose_name=_("Details"), orderable=False, empty_values=(), accessor="body")

    class Meta:
        model = CaseEvent
        fields = ("at", "actor", "type", "case", "details")
        attrs = {"class": "table audit-table"}
        empty_text = _("No audit entries match these filters.")
        order_by = ("-at",)

    def render_at(self, value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")

    def render_actor(self, value):
        return staff_name(value)

    def render_type(self, record):
        css = "settings" if record.type == SETTINGS else record.type.split(".")[0]
        return format_html('<span class="etype etype-{}">{}</span>', css, TYPE_LABELS.get(record.type, record.type))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.words = AuditWords()

    def render_case(self, record):
        if record.case is not None:
            url = reverse("case_by_number", args=[record.case.number])
            return format_html('<a href="{}">{}</a>', url, record.case.number)
        if record.target:
            return format_html('<span data-target="{}">{}</span>', record.target, self.words.target(record.target))
        return "—"

    def render_details(self, record):
        changes = change_summary(record)
        text = Truncator(record.body).chars(120) if record.body else ""
        changed = format_html_join(
            "",
            '<span class="change"><span class="change-key">{}</span> {} <span aria-hidden="true">→</span> {}</span>',
            (
                (label, Truncator(before).chars(60), Truncator(after).chars(60))
                for label, before, after in self.words.changes(record, limit=6)
            ),
        )
        more = format_html('<span class="muted small"> +{}</span>', len(changes) - 6) if len(changes) > 6 else ""
        return format_html('<div class="audit-text">{}</div><div class="audit-changes">{}{}</div>', text, changed, more)

    def value_at(self, value):
        return timezone.localtime(value).isoformat()

    def value_actor(self, value):
        return value.get_username() if value else ""
