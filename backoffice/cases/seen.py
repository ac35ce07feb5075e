"""Unread cases: a case of mine whose customer wrote after the newest entry my case page showed me.

The mark (`CaseSeen`) is written when the person opens the case page and when its live poll brings new entries, never
on an idle poll. Queues read it per row (two indexed sub-selects in the page's own query, no query of their own) and
the queue's live poll counts a person's unread cases for the tab title.
"""

import functools

from django.db.models import OuterRef, QuerySet, Subquery
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


# Built once and reused: a query that uses one resolves its own copy (the same two look-ups on every queue page).
@functools.cache
def _newest_event():
    return Subquery(CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-id").values("id")[:1])


@functools.cache
def _newest_message():
    return Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), type=EventType.CUSTOMER_MESSAGE).order_by("-id").values("id")[:1]
    )


def _seen_event(user):
    return Subquery(CaseSeen.objects.filter(case=OuterRef("pk"), user=user.pk).values("event_id")[:1])


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
