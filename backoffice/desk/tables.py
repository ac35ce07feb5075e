"""The base of every desk's queue table: the shared columns, and rows drawn cheaply.

django-tables2 keeps what it is good at (headers, sorting, pagination); the rows are drawn by the table itself, one
`format_html` per cell from the desk's `cell_<column>` methods, with the case's URL reversed once per page. Going
through django-tables2's cells (accessors, attribute dictionaries and signature checks per cell) was most of the
page's Python time. The table's shell (its template: header, sort links, pager) is drawn once for what it follows
from and kept (backoffice.drawn); each page puts its rows in.
"""

import copy
from html import escape
from urllib.parse import quote

import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.cases import seen
from backoffice.cases.queues import with_platform_first
from backoffice.desk.cells import ChoiceLabels, escaped, format_html, format_html_join
from backoffice.drawn import drawn, key_part
from backoffice.models import Case, Status
from backoffice.prepared import kept_rows
from backoffice.supervisor.tables import bulk_select_column
from backoffice.templatetags.backoffice import staff_name

STATUS_LABELS = ChoiceLabels(Status.choices)
EMPTY = "—"
NUMBER = "0number0"
# What a kept table shell holds where its rows go (letters only: drawn as it is).
ROWS_STAND_IN = "keptrowsstandin"


def presence_words(person: dict) -> str:
    """ "李娜 正在回复" or "李娜 正在查看" (the same words as the case page's presence bar)."""
    if person["typing"]:
        return gettext("%(name)s is replying") % {"name": person["name"]}
    return gettext("%(name)s is viewing") % {"name": person["name"]}


class _Columns(dict):
    """A table class's columns. django-tables2 deep-copies them for every table it makes (most of a table's setup
    time); a table changes only its own copies' attributes (shown or hidden), never their settings (labels,
    attributes, accessors), so each table gets its own shallow copy of each column."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(column) for name, column in self.items()}


class DeskTable(tables.Table):
    # Supervisors tick rows for bulk assignment (templates/supervisor/bulk_assign.html); others' tables exclude it.
    select = bulk_select_column()
    number = tables.Column(verbose_name=_("Case"))
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__nickname",))
    order = tables.Column(verbose_name=_("Order no."), order_by=("order__number",))
    status = tables.Column(verbose_name=_("Status"), accessor="pk", order_by=("status",))
    due_at = tables.Column(verbose_name=_("SLA"))
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",))
    created_at = tables.Column(verbose_name=_("Opened"))

    class Meta:
        model = Case
        fields = ()  # only the declared columns
        sequence = ("select", "...")
        order_by = ("due_at",)
        attrs = {"class": "table queue-table"}
        template_name = "desk/table.html"
        empty_text = _("No cases in this queue. Nice work.")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.base_columns = _Columns(cls.base_columns)

    def __init__(self, *args, desk, viewer=None, **kwargs):
        self.desk = desk
        # Whose unread marks the rows show, and who else is on each case ({case id: [{"name", "typing"}]}): both set
        # for the page's rows by backoffice.desk.queue_live.
        self.viewer = viewer
        self.presence: dict[int, list[dict]] = {}
        super().__init__(*args, **kwargs)

    @cached_property
    def language(self) -> str | None:
        """The rows' language: the request's, read once for the page instead of once per label."""
        return translation.get_language()

    @cached_property
    def select_label(self) -> str:
        """The rows' checkbox label, translated (and escaped) once for the page."""
        return escape(gettext("Select"))

    @cached_property
    def unread_label(self) -> str:
        return escape(gettext("New customer message"))

    @cached_property
    def time_zone(self):
        """The rows' time zone, read once for the page instead of once per time shown."""
        return timezone.get_current_timezone()

    def local_time(self, value, format: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(self.time_zone).strftime(format)

    # What the page's query follows from besides its WHERE values (backoffice.prepared.kept_rows); set by the view.
    rows_shape: tuple | None = None

    @cached_property
    def _records(self) -> list:
        page = getattr(self, "page", None)  # a table drawn without pagination has none
        data = page.object_list.data if page is not None else None
        if self.rows_shape is not None and isinstance(data, QuerySet):
            # Its SQL written once per shape: compiling its joins and read marks cost more Python than the rows.
            return kept_rows(data, shape=self.rows_shape)
        return [row.record for row in self.paginated_rows]

    def records(self) -> list:
        """The page's cases (the page's own query, read once; the live tag and the rows both use them)."""
        return self._records

    @property
    def order_by(self):
        return tables.Table.order_by.fget(self)

    @order_by.setter
    def order_by(self, value):
        # Whatever column the queue is sorted by, the cases the platform intervened in stay on top.
        tables.Table.order_by.fset(self, value)
        if hasattr(self.data.data, "query"):
            self.data.data = with_platform_first(self.data.data)

    # --- the table -------------------------------------------------------------------------------------------------

    rows_stand_in = ROWS_STAND_IN

    def html(self, request) -> SafeString:
        """The whole table ({% desk_table %}): the shell desk/table.html draws follows from the columns, the sort, the
        page, the query string and the language only, and is drawn once for them; the rows are drawn into it."""
        page = getattr(self, "page", None)
        key = (
            "desk-table",
            self.desk.name,
            translation.get_language(),
            tuple(self.columns.names()),
            tuple(self.order_by or ()),
            key_part(request.GET),
            # "is not None": a page's truth is its length, which would read its rows (even when nothing was found).
            page.number if page is not None else None,
            self.paginator.num_pages if page is not None else None,
        )
        shell = drawn(key, lambda: self.as_html(request))
        return mark_safe(shell.replace(ROWS_STAND_IN, self.rows_html(), 1))  # noqa: S308 - rows escape their values

    def rows_html(self) -> str:
        rows = "\n".join(self.drawn_rows())
        if rows or not self.empty_text:
            return rows
        return f'<tr><td colspan="{len(self.columns)}">{escape(str(self.empty_text))}</td></tr>'

    # --- the rows --------------------------------------------------------------------------------------------------

    def drawn_rows(self):
        """The page's rows as HTML, each cell from its `cell_<name>` method (`rows_html` puts them in the shell)."""
        # Plain string building: a row is written once here, its values escaped by the cells and `escaped`.
        cells = [(getattr(self, f"cell_{column.name}"), column.attrs["td"].as_html()) for column in self.columns]
        # The case URL reversed once for the page; each row puts its (quoted) number in.
        head, _number, tail = reverse(self.desk.case_view, args=[NUMBER]).rpartition(NUMBER)
        for record in self.records():
            url = f"{head}{quote(record.number, safe='')}{tail}"
            href = escape(url)
            tds = "".join([f"<td {attrs}>{escaped(cell(record, url))}</td>" for cell, attrs in cells])
            yield SafeString(
                f'<tr class="{escape(self.row_class(record))}" data-href="{href}" hx-get="{href}" '
                f'hx-target="#desk-main" hx-select="#desk-main" hx-swap="outerHTML" hx-push-url="true">{tds}</tr>'
            )

    def label(self, labels: ChoiceLabels, value, default=EMPTY) -> str:
        """A choice's label in the rows' language (`default` for a value without one)."""
        return labels.words(self.language).get(value) or default

    def row_class(self, record) -> str:
        unread = " is-unread" if self.viewer is not None and seen.is_unread(record, self.viewer) else ""
        return f"clickable prio-{record.priority}{unread}"

    def cell_select(self, record, url) -> SafeString:
        disabled = "" if record.is_open else ' disabled="disabled"'
        return SafeString(
            f'<input type="checkbox" name="cases" value="{record.pk:d}" form="bulk-assign-form" '
            f'aria-label="{self.select_label}"{disabled}>'
        )

    def cell_number(self, record, url) -> SafeString:
        link = format_html('<a href="{}">{}</a>', url, record.number)
        if self.viewer is not None and seen.is_unread(record, self.viewer):
            label = self.unread_label
            link = SafeString(
                f'<span class="unread-dot" role="img" aria-label="{label}" title="{label}" data-testid="unread"></span>'
                f"{link}"
            )
        others = self.presence.get(record.pk)
        if others:
            link = format_html(
                '{}<span class="row-presence" data-testid="row-presence">{}</span>',
                link,
                format_html_join(
                    "",
                    '<span class="presence-person{}">{}</span>',
                    (
                        (
                            " is-typing" if person["typing"] else "",
                            presence_words(person),
                        )
                        for person in others
                    ),
                ),
            )
        return link

    def cell_customer(self, record, url):
        customer = record.customer
        if customer is None:
            return EMPTY
        return format_html('{}<span class="muted"> {}</span>', customer.nickname, customer.masked_phone)

    def cell_order(self, record, url):
        return record.order.number if record.order is not None else EMPTY

    def cell_status(self, record, url) -> SafeString:
        return format_html(
            '<span class="badge badge-{}">{}</span>', record.status, self.label(STATUS_LABELS, record.status)
        )

    def cell_due_at(self, record, url):
        """The SLA countdown (static/js/app.js counts it down), the deadline itself on hover."""
        if not record.is_open or record.due_at is None:
            return EMPTY
        return format_html(
            '<span class="sla" data-countdown="{}" title="{}"></span>',
            record.due_at.isoformat(),
            self.local_time(record.due_at),
        )

    def cell_assignee(self, record, url):
        return staff_name(record.assignee) if record.assignee is not None else EMPTY

    def cell_created_at(self, record, url) -> str:
        return self.local_time(record.created_at, "%m-%d %H:%M")
