"""An open queue page, live: its rows follow the cases in them, polled every 1.5 s (static/js/queue-live.js).

The same conditional polling as the case page (backoffice/desk/live.py). The poll draws the page's table as the page
does — same filters, sort and page — and tags it: the queue's total, each row's case (its state, newest entry and
newest customer message, how far I have read it) and who else is on each case. The page carries the tag of the rows
it shows; the poll answers 304 when neither the rows nor my unread count changed, and sends the rows' HTML only when
the page's rows are not the current ones. An idle poll costs the page's two queries (total and rows, no joins
beyond the page's), my unread count, and one cache read for the presence of the page's cases.
"""

import hashlib
import json

from django.utils import translation

from backoffice.cases import presence


def follow(table, user) -> str:
    """Read who else is on the page's cases into the table (one cache call) and return the tag of its rows."""
    records = table.records()
    table.presence = presence.others_on([record.pk for record in records], user)
    paginator = table.paginator
    rows = [
        [
            record.pk,
            record.status,
            record.priority,
            record.assignee_id,
            record.updated_at.isoformat(),
            record.due_at.isoformat() if record.due_at else "",
            getattr(record, "newest_event", None),
            getattr(record, "newest_message", None),
            getattr(record, "seen_event", None),
        ]
        for record in records
    ]
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
