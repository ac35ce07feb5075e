"""The reads behind every desk's queues and case pages (one idea of a case, one set of queues)."""

import datetime as dt

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import OPEN_STATUSES, Case, CaseEvent, EventType, QuickPhrase, Shipment, Status, StoreSettings
from .roles import is_supervisor

QUEUES = {
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "due_soon": _("Due soon"),
    "overdue": _("Overdue"),
    "waiting": _("Waiting on customer"),
    "all": _("All"),
}
SUPERVISOR_QUEUES = {"all"}


def visible_queues(user) -> dict:
    return {key: label for key, label in QUEUES.items() if key not in SUPERVISOR_QUEUES or is_supervisor(user)}


def queue_filter(queue: str, *, user, now: dt.datetime, due_soon: dt.timedelta) -> Q:
    open_q = Q(status__in=OPEN_STATUSES)
    return {
        "mine": open_q & Q(assignee=user),
        "unassigned": open_q & Q(assignee__isnull=True),
        "due_soon": Q(status__in=(Status.NEW, Status.IN_PROGRESS)) & Q(due_at__gt=now, due_at__lte=now + due_soon),
        "overdue": Q(status__in=(Status.NEW, Status.IN_PROGRESS)) & Q(due_at__lte=now),
        "waiting": Q(status=Status.WAITING),
        "all": Q(),
    }[queue]


def platform_first() -> models.Case:
    """Sort key: an open case the platform intervened in (平台处理中 …) comes before every other one — it costs the
    store, so it jumps the queue whatever else the queue is sorted by."""
    return models.Case(
        models.When(Q(platform_intervened_at__isnull=False, status__in=OPEN_STATUSES), then=models.Value(0)),
        default=models.Value(1),
    )


def with_platform_first(qs: QuerySet) -> QuerySet:
    """The queryset in its own order, after the cases the platform intervened in."""
    return qs.order_by(platform_first(), *qs.query.order_by)


def queue_cases(queue: str, *, user, desk: str, store: StoreSettings | None = None) -> QuerySet:
    store = store or StoreSettings.load()
    now = timezone.now()
    return (
        Case.objects.filter(desk=desk)
        .filter(queue_filter(queue, user=user, now=now, due_soon=dt.timedelta(minutes=store.due_soon_minutes)))
        .select_related("customer", "order", "assignee")
    )


def queue_counts(*, user, desk: str, store: StoreSettings | None = None) -> dict[str, int]:
    """All queue sizes in one query, for the navigation badges."""
    store = store or StoreSettings.load()
    now = timezone.now()
    due_soon = dt.timedelta(minutes=store.due_soon_minutes)
    keys = [key for key in visible_queues(user) if key != "all"]
    aggregates = {key: Count("pk", filter=queue_filter(key, user=user, now=now, due_soon=due_soon)) for key in keys}
    return Case.objects.filter(desk=desk).aggregate(**aggregates)


def search_cases(qs: QuerySet, term: str) -> QuerySet:
    """Order number, tracking number, case number, customer nickname, name or phone."""
    term = term.strip()
    if not term:
        return qs
    tracking = Shipment.objects.filter(order_id=OuterRef("order_id"), tracking_no=term)
    return qs.filter(
        Q(number__iexact=term)
        | Q(order__number=term)
        | Q(order__number__startswith=term)
        | Q(customer__nickname__icontains=term)
        | Q(customer__name=term)
        | Q(customer__phone=term)
        | Exists(tracking)
    )


def case_detail(number: str) -> Case:
    return Case.objects.select_related("customer", "order", "assignee").get(number=number)


def timeline(case: Case) -> QuerySet:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id")


def earlier_cases(case: Case, limit: int = 10) -> QuerySet:
    if case.customer_id is None:
        return Case.objects.none()
    return (
        Case.objects.filter(customer_id=case.customer_id)
        .exclude(pk=case.pk)
        .select_related("order")
        .order_by("-created_at")[:limit]
    )


# Each desk's case page; a case opened from anywhere (search, earlier cases, audit log) goes to its own desk.
DESK_CASE_VIEW = {"aftersales": "aftersales:case", "logistics": "logistics:case", "callback": "surveys:callback"}


def case_page_url(case: Case) -> str:
    return reverse(DESK_CASE_VIEW[case.desk], args=[case.number])


def response_rate(*, since: dt.datetime, agent=None) -> dict:
    """R1: the share of customer messages answered by a person within the reply deadline, since a moment."""
    replies = CaseEvent.objects.filter(type=EventType.REPLY, at__gte=since, after__has_key="within_sla")
    if agent is not None:
        replies = replies.filter(actor=agent)
    counts = replies.aggregate(total=Count("pk"), in_time=Count("pk", filter=Q(after__within_sla=True)))
    total = counts["total"]
    return {**counts, "rate": round(100 * counts["in_time"] / total) if total else None}


def search_phrases(term: str, limit: int = 30) -> list[QuickPhrase]:
    """Active quick phrases whose title, text or category contains the term (all of them for no term)."""
    phrases = QuickPhrase.objects.filter(active=True)
    term = term.strip()
    if term:
        phrases = phrases.filter(Q(title__icontains=term) | Q(body__icontains=term) | Q(category__icontains=term))
    return list(phrases[:limit])
