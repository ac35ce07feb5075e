"""Unread cases: a case of mine whose customer wrote after the newest entry my case page showed me.

The mark (`CaseSeen`) is written when the person opens the case page and when its live poll brings new entries, never
on an idle poll. Queues read it per row (three indexed sub-selects in the page's own query, no query of their own) and
the queue's live poll counts a person's unread cases for the tab title.
"""

from django.db.models import IntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from backoffice.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseSeen, EventType


def mark_seen(*, user, case_id: int, event_id: int) -> None:
    """The person has seen the case up to this timeline entry. The mark only moves forward: an older poll's answer
    that lands after a newer page's does not make a read case unread again."""
    moved = CaseSeen.objects.filter(user_id=user.pk, case_id=case_id, event_id__lt=event_id).update(
        event_id=event_id, seen_at=timezone.now()
    )
    if not moved:
        CaseSeen.objects.bulk_create(
            [CaseSeen(user_id=user.pk, case_id=case_id, event_id=event_id, seen_at=timezone.now())],
            ignore_conflicts=True,
        )


# The three look-ups are written as SQL: as ORM subqueries, resolving and compiling them for each page cost more
# Python than the database took to run them. They name the case table itself, so they serve a query whose own rows are
# the cases (every queue's and poll's), never one that joins the case table again under another name.
# Only table names are put into the SQL; the values (an event type, a person) go as parameters.
_CASE_ID = f'"{Case._meta.db_table}"."id"'
_NEWEST_EVENT = (
    f'SELECT e."id" FROM "{CaseEvent._meta.db_table}" e WHERE e."case_id" = {_CASE_ID} ORDER BY e."id" DESC LIMIT 1'  # noqa: S608
)
_NEWEST_MESSAGE = (
    f'SELECT e."id" FROM "{CaseEvent._meta.db_table}" e WHERE e."case_id" = {_CASE_ID} AND e."type" = %s '  # noqa: S608
    'ORDER BY e."id" DESC LIMIT 1'
)
_SEEN_EVENT = (
    f'SELECT s."event_id" FROM "{CaseSeen._meta.db_table}" s WHERE s."case_id" = {_CASE_ID} AND s."user_id" = %s '  # noqa: S608
    "LIMIT 1"
)


def _newest_event() -> RawSQL:
    return RawSQL(  # noqa: S611 - the values are parameters
        _NEWEST_EVENT, (), output_field=IntegerField()
    )


def _newest_message() -> RawSQL:
    return RawSQL(  # noqa: S611 - the values are parameters
        _NEWEST_MESSAGE, (EventType.CUSTOMER_MESSAGE.value,), output_field=IntegerField()
    )


def _seen_event(user) -> RawSQL:
    return RawSQL(  # noqa: S611 - the values are parameters
        _SEEN_EVENT, (user.pk,), output_field=IntegerField()
    )


def with_read_marks(qs: QuerySet, user) -> QuerySet:
    """Cases with `newest_message` (the customer's newest message id), `newest_event` and `seen_event` (how far this
    person has read), each one indexed look-up per row shown."""
    return qs.annotate(
        newest_event=_newest_event(),
        newest_message=_newest_message(),
        seen_event=_seen_event(user),
    )


def is_unread(case: Case, user) -> bool:
    """A case annotated by `with_read_marks`: mine, and the customer wrote after what I last saw."""
    newest = getattr(case, "newest_message", None)
    return bool(newest) and case.assignee_id == user.pk and newest > (getattr(case, "seen_event", None) or 0)


def unread_summary(*, user, desk: str) -> dict:
    """My open cases of the desk that are unread: how many, and the newest unread customer message (its id and case),
    so the page can tell a message it has not announced yet. One query over my own open cases."""
    mine = Case.objects.filter(desk=desk, assignee=user, status__in=OPEN_STATUSES).annotate(
        newest_message=_newest_message(), seen_event=_seen_event(user)
    )
    unread = list(mine.filter(newest_message__gt=Coalesce("seen_event", 0)).values_list("newest_message", "number"))
    latest, latest_case = max(unread, default=(0, ""))
    return {"count": len(unread), "latest": latest, "latest_case": latest_case}
