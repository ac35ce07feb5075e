"""An open queue page, live: its rows follow the cases in them, polled every 1.5 s (static/js/queue-live.js).

The same conditional polling as the case page (backoffice/desk/live.py). The poll draws the page's table as the page
does — same filters, sort and page — and tags it: the queue's total, each row's case (its state, newest entry and
newest customer message, how far I have read it) and who else is on each case. The page carries the tag of the rows
it shows; the poll answers 304 when neither the rows nor my unread count changed, and sends the rows' HTML only when
the page's rows are not the current ones. An idle poll costs the queue's total, one narrow query for the page's
rows (the fields of the tag only), my unread count, and one cache read for the presence of the page's cases.
"""

import hashlib
import json

from django.utils import translation

from backoffice.cases import presence

# What a row's tag is made of: the case's state and its read marks (backoffice.cases.seen.with_read_marks).
ROW_FIELDS = (
    "pk",
    "status",
    "priority",
    "assignee_id",
    "updated_at",
    "due_at",
    "newest_event",
    "newest_message",
    "seen_event",
)


def follow(table, user) -> str:
    """The page's tag, from the rows it draws (the page's own query); who else is on its cases read into the table."""
    rows = [[getattr(record, name, None) for name in ROW_FIELDS] for record in table.records()]
    return _stamp(table, user, rows)


def follow_narrow(table, user) -> str:
    """The same tag without drawing the page: only the fields it is made of, for the page's rows (no joins, no
    objects), in the table's order. The poll's cheap question; the rows are drawn only when it changed."""
    per_page = table.paginator.per_page
    bottom = (table.page.number - 1) * per_page
    rows = [list(row) for row in table.data.data.values_list(*ROW_FIELDS)[bottom : bottom + per_page]]
    return _stamp(table, user, rows)


def _stamp(table, user, rows: list[list]) -> str:
    table.presence = presence.others_on([row[0] for row in rows], user)
    paginator = table.paginator
    state = [
        translation.get_language(),
        user.pk,
        paginator.count,
        getattr(paginator, "capped", False),
        table.page.number,
        rows,
        sorted(table.presence.items()),
    ]
    return _digest(state)


def tag(stamp: str, unread: dict) -> str:
    """The poll's ETag: the rows and my unread cases."""
    return f'"{_digest([stamp, unread["count"], unread["latest"]])}"'


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, default=str).encode()).hexdigest()[:16]
