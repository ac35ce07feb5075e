"""The reads behind every desk's queues and case pages (one idea of a case, one set of queues)."""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.models import platform_first
from backoffice.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Customer,
    EventType,
    QuickPhrase,
    ResponseWait,
    Shipment,
    Status,
    StoreSettings,
)
from backoffice.prepared import TEXT, PreparedRead
from backoffice.staff.roles import is_supervisor

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


def queue_filter(queue: str, *, user, now: dt.datetime, due_soon: dt.timedelta | None = None) -> Q:
    """The cases of one queue; `due_soon` (the store's setting) is needed by the "due soon" queue only."""
    open_q = Q(status__in=OPEN_STATUSES)
    if queue == "mine":
        return open_q & Q(assignee=user)
    if queue == "unassigned":
        return open_q & Q(assignee__isnull=True)
    if queue == "due_soon":
        if due_soon is None:
            raise ValueError("the due-soon queue needs the store's due-soon window")
        return Q(status__in=(Status.NEW, Status.IN_PROGRESS)) & Q(due_at__gt=now, due_at__lte=now + due_soon)
    if queue == "overdue":
        return Q(status__in=(Status.NEW, Status.IN_PROGRESS)) & Q(due_at__lte=now)
    if queue == "waiting":
        return Q(status=Status.WAITING)
    if queue == "all":
        return Q()
    raise KeyError(queue)


def with_platform_first(qs: QuerySet) -> QuerySet:
    """The queryset in its own order, after the cases the platform intervened in.

    An empty value sorts as the largest on every database, as PostgreSQL sorts it and its indexes hold it: by deadline,
    the cases without one (resolved, closed) come after the open work, not before it as SQLite would put them.

    Tied rows (same status, kind …) get no id tiebreak: it took the "all" queue's own SQL from 211 to 363 ms at
    100,000 cases (no index serves the longer sort). A page and its live poll may list tied cases in another order;
    the poll then draws the rows once more."""
    return qs.order_by(platform_first(), *map(_empty_as_largest, qs.query.order_by))


def _empty_as_largest(item):
    if not isinstance(item, str):
        return item
    if item.startswith("-"):
        return F(item[1:]).desc(nulls_first=True)
    return F(item).asc(nulls_last=True)


def queue_cases(queue: str, *, user, desk: str) -> QuerySet:
    # Only "due soon" reads the store's settings: the other queues' pages skip that query.
    due_soon = None
    if queue == "due_soon":
        due_soon = dt.timedelta(minutes=StoreSettings.load().due_soon_minutes)
    return (
        Case.objects.filter(desk=desk)
        .filter(queue_filter(queue, user=user, now=timezone.now(), due_soon=due_soon))
        .select_related("customer", "order", "assignee")
    )


def queue_counts(*, user, desk: str, store: StoreSettings | None = None) -> dict[str, int]:
    """All queue sizes in one query, for the navigation badges."""
    store = store or StoreSettings.load()
    now = timezone.now()
    due_soon = dt.timedelta(minutes=store.due_soon_minutes)
    keys = [key for key in visible_queues(user) if key != "all"]
    aggregates = {key: Count("pk", filter=queue_filter(key, user=user, now=now, due_soon=due_soon)) for key in keys}
    # Every counted queue is of open cases: the closed history (most of the table) is never read.
    return Case.objects.filter(desk=desk, status__in=OPEN_STATUSES).aggregate(**aggregates)


def _search_branches(term: str, term_upper: str) -> QuerySet:
    customers = Customer.objects.filter(Q(nickname__icontains=term) | Q(name=term) | Q(phone=term)).values("pk")
    return (
        Case.objects.filter(number=term_upper)
        .values("pk")
        .union(
            Case.objects.filter(order__number__startswith=term).values("pk"),
            Case.objects.filter(order__in=Shipment.objects.filter(tracking_no=term).values("order_id")).values("pk"),
            Case.objects.filter(customer__in=customers).values("pk"),
            all=True,
        )
    )


# The same union whatever is searched: written once (backoffice.prepared), and run by the page's COUNT and its rows.
# Building and compiling its branches took more Python than the database took to run them.
_SEARCH = PreparedRead(_search_branches, values=(TEXT, TEXT))


def search_cases(qs: QuerySet, term: str) -> QuerySet:
    """Order number (or its beginning), tracking number, case number (any case), customer nickname (contains), name
    or phone. Each branch is resolved on its own index (an OR across columns of three tables can use none) and the
    cases are kept by the union of the ids found."""
    term = term.strip()
    if not term:
        return qs
    sql, params = _SEARCH.sql(term, term.upper(), using=qs.db)
    return qs.filter(pk__in=RawSQL(sql, params))  # noqa: S611 - the ORM's own SQL, its values as parameters


def case_detail(number: str) -> Case:
    return Case.objects.select_related("customer", "order", "assignee").get(number=number)


def timeline(case: Case) -> QuerySet:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id")


# Timeline entries that are themselves a conversation line; any other type is a system line (claimed, resolved …).
CONVERSATION_TYPES = frozenset(
    {
        EventType.CUSTOMER_MESSAGE,
        EventType.REPLY,
        EventType.AUTO_REPLY,
        EventType.NOTE,
        EventType.OUTBOUND_QUEUED,
        EventType.OUTBOUND_SENT,
    }
)
# Lines that come before a step without being one (who took the case, whose it was): a message is never theirs.
NOT_STEPS = frozenset(
    {
        EventType.ACTED_FOR,
        EventType.CASE_CLAIMED,
        EventType.CASE_ASSIGNED,
        EventType.CASE_RELEASED,
        EventType.CASE_PRIORITY,
    }
)
# A templated message written in the same transaction as the step that sent it is at most this much later.
SAME_STEP = dt.timedelta(seconds=2)


def _step_of(message: CaseEvent, entries: list[CaseEvent]) -> CaseEvent | None:
    """The system line a templated message belongs to: of the system lines just before it (the same step, by the same
    person), the first one — the refund approved, not the status change that followed it."""
    if not message.after.get("template") or message.after.get("retry"):
        return None
    step = None
    for entry in reversed(entries):
        if (
            entry.type in CONVERSATION_TYPES
            or entry.type in NOT_STEPS
            or getattr(entry, "message", None) is not None
            or not dt.timedelta(0) <= message.at - entry.at <= SAME_STEP
            or (step is not None and entry.actor_id != step.actor_id)
        ):
            break
        step = entry
    return step


def one_entry_per_message(events: list[CaseEvent]) -> list[CaseEvent]:
    """One entry per thing that happened, in timeline order.

    A reply or an automatic reply is shown once, as the message bubble: the outbox's "message to the customer" line
    that describes the same text is left out. A templated message that a step sent (refund approved, return received,
    survey invitation …) is shown inside that step's line, as `entry.message`, not as a second entry."""
    said = {event.body for event in events if event.type in (EventType.REPLY, EventType.AUTO_REPLY)}
    entries: list[CaseEvent] = []
    for event in events:
        if event.type == EventType.OUTBOUND_QUEUED:
            if event.body in said:
                continue
            step = _step_of(event, entries)
            if step is not None:
                step.message = event
                continue
        entries.append(event)
    return entries


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


def decided_q(due_field: str = "due_at", *, now: dt.datetime) -> tuple[Q, Q]:
    """R1: which customer waits have a known outcome — answered, ended unanswered, or past their deadline — and which
    of those a person answered in time. A wait still within its deadline counts nowhere yet."""
    decided = Q(**{f"{due_field}__isnull": False}) & (
        Q(answered_at__isnull=False) | Q(ended_at__isnull=False) | Q(**{f"{due_field}__lte": now})
    )
    return decided, decided & Q(answered_at__isnull=False, answered_at__lte=F(due_field))


def decided_waits(due_field: str = "due_at", *, now: dt.datetime) -> tuple[QuerySet, Q]:
    decided, met = decided_q(due_field, now=now)
    return ResponseWait.objects.filter(decided), met


def response_rate(*, since: dt.datetime, agent=None, now: dt.datetime | None = None) -> dict:
    """R1: the share of customer waits since a moment that a person answered within the deadline; a wait nobody
    answered is a miss, for the case's assignee. `window`: the same as the platform counts it (its daily window,
    a store setting), given only when it differs from the store-hours figure. One query."""
    now = now or timezone.now()
    waits = ResponseWait.objects.filter(started_at__gte=since)
    if agent is not None:
        waits = waits.annotate(agent=Coalesce("answered_by", "case__assignee")).filter(agent=agent.pk)
    return _rates(waits.aggregate(**rate_counts(now=now)))


def response_rates(*, since: dt.datetime, agent, now: dt.datetime | None = None) -> tuple[dict, dict]:
    """R1 as `response_rate` gives it, for one agent and for the whole store, in one query (the queue's header)."""
    now = now or timezone.now()
    waits = ResponseWait.objects.filter(started_at__gte=since).annotate(agent=Coalesce("answered_by", "case__assignee"))
    counts = waits.aggregate(**rate_counts(now=now), **rate_counts(now=now, only=Q(agent=agent.pk), prefix="mine_"))
    return _rates(counts, prefix="mine_"), _rates(counts)


def rate_counts(*, now: dt.datetime, only: Q | None = None, prefix: str = "") -> dict:
    """R1's four counts as aggregates: waits decided and answered in time, by store hours and in the platform's
    window (the queue header's rates and the supervisors' report)."""
    decided, met = decided_q("due_at", now=now)
    window_decided, window_met = decided_q("window_due_at", now=now)
    counted = {"total": decided, "in_time": met, "window_total": window_decided, "window_in_time": window_met}
    return {f"{prefix}{name}": Count("pk", filter=q & only if only else q) for name, q in counted.items()}


def _rates(counts: dict, prefix: str = "") -> dict:
    def rate(total: int, in_time: int) -> dict:
        return {"total": total, "in_time": in_time, "rate": round(100 * in_time / total) if total else None}

    total, in_time = counts[f"{prefix}total"], counts[f"{prefix}in_time"]
    window_total, window_in_time = counts[f"{prefix}window_total"], counts[f"{prefix}window_in_time"]
    result = rate(total, in_time)
    if (window_total, window_in_time) != (total, in_time):
        store = StoreSettings.load()
        hours = f"{store.r1_window_opens:%H:%M}–{store.r1_window_closes:%H:%M}"
        result["window"] = rate(window_total, window_in_time) | {"hours": hours}
    return result


def search_phrases(term: str, limit: int = 30) -> list[QuickPhrase]:
    """Active quick phrases whose title, text or category contains the term (all of them for no term)."""
    phrases = QuickPhrase.objects.filter(active=True)
    term = term.strip()
    if term:
        phrases = phrases.filter(Q(title__icontains=term) | Q(body__icontains=term) | Q(category__icontains=term))
    return list(phrases[:limit])
