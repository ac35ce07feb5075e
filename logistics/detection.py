"""Finding logistics exceptions (L1–L5): set-based sweeps that open one case per problem and notice when it clears.

A sweep is a handful of queries over indexed columns — orders by (status, ship_by), parcels by (state, last_event_at)
and by tracking number, SKUs out of stock — each anti-joined with the open problems, never a loop over every order.
It is incremental: the cursor remembers the last sweep, so the next one only looks at what crossed a threshold since
(ship-by times, shipping times, last movements) or what is new (parcels with a higher id). A full sweep runs at least
hourly and catches what arrived late. Clearing looks only at the open problems.

Two sweeps at once: the cursor row is locked for the sweep (SELECT … FOR UPDATE on PostgreSQL; SQLite has one writer),
and the partial unique index on open (order, kind) problems turns any duplicate that still slips through into an
IntegrityError that is caught. So each problem opens exactly one case.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import (
    DESK_PREFIX,
    OPEN_STATUSES,
    Case,
    CaseCounter,
    CaseEvent,
    CaseKind,
    Desk,
    EventType,
    Order,
    OrderItem,
    Priority,
    Shipment,
    Sku,
    Status,
    StoreSettings,
)
from logistics.models import OutOfStockOffer, Problem, SweepCursor, SweepRun

logger = logging.getLogger(__name__)

CURSOR = "detection"
FULL_SWEEP_EVERY = dt.timedelta(hours=1)
# From this many new problems in one sweep (a store's first sweep, or after an outage) cases are written in bulk.
BULK_OPEN_AT = 50
BULK_BATCH = 2000
ORDER_CHUNK = 5000

# How long an agent has to act on a new problem: a store setting per group (late or out of stock, tracking).
SHIPPING_PROBLEMS = (CaseKind.NOT_SHIPPED, CaseKind.OUT_OF_STOCK)


def act_within(kind: str, store: StoreSettings) -> dt.timedelta:
    """The time an agent has to act on a new problem of this kind (the store's setting)."""
    if kind in SHIPPING_PROBLEMS:
        return dt.timedelta(hours=store.shipping_problem_act_hours)
    return dt.timedelta(hours=store.tracking_problem_act_hours)


PRIORITY = {
    CaseKind.NOT_SHIPPED: Priority.HIGH,
    CaseKind.NO_TRACKING: Priority.NORMAL,
    CaseKind.NO_TRACKING_UPDATE: Priority.NORMAL,
    CaseKind.STALLED: Priority.NORMAL,
    CaseKind.OUT_OF_STOCK: Priority.HIGH,
}
MOVING = (Shipment.State.IN_TRANSIT, Shipment.State.OUT_FOR_DELIVERY)
AWAITING = Order.Status.AWAITING_SHIPMENT
SHIPPED = Order.Status.SHIPPED


@dataclass
class Found:
    """A problem a detector saw, not yet stored."""

    order_id: int
    customer_id: int
    kind: str
    shipment_id: int | None = None
    stage: str = ""
    evidence_at: dt.datetime | None = None
    source: str = Problem.Source.DETECTOR
    exception: bool = False  # the courier itself reported a problem (STALLED)
    promised: bool = False  # the ship-by time is the platform's promised ship time (NOT_SHIPPED)


@dataclass
class Window:
    """What an incremental sweep looks at: only what changed since the previous sweep."""

    full: bool
    now: dt.datetime
    previous: dt.datetime | None = None
    previous_horizon: dt.datetime | None = None
    last_shipment_id: int = 0
    last_order_id: int = 0
    sold_out_before: set[int] = field(default_factory=set)
    sold_out_now: set[int] = field(default_factory=set)


@dataclass
class SweepResult:
    full: bool
    found: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    escalated: int = 0
    cleared: int = 0
    auto_closed: int = 0
    seconds: float = 0.0
    run_id: int | None = None


# --- texts ------------------------------------------------------------------------------------------------------


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else "—"


def describe(found: Found) -> str:
    """The case's subject: what is wrong, with the time that shows it."""
    kind, at = found.kind, _when(found.evidence_at)
    if kind == CaseKind.NOT_SHIPPED and found.promised:
        if found.stage == Problem.Stage.WARNING:
            return _("Not shipped yet; the platform's promised ship time %(at)s is near") % {"at": at}
        return _("Not shipped by the platform's promised ship time %(at)s") % {"at": at}
    if kind == CaseKind.NOT_SHIPPED:
        if found.stage == Problem.Stage.WARNING:
            return _("Not shipped yet; ship-by deadline %(at)s is near") % {"at": at}
        return _("Not shipped by the ship-by deadline %(at)s") % {"at": at}
    if kind == CaseKind.NO_TRACKING:
        return _("Shipped %(at)s without a tracking number") % {"at": at}
    if kind == CaseKind.NO_TRACKING_UPDATE:
        return _("No tracking update since shipping on %(at)s") % {"at": at}
    if kind == CaseKind.STALLED:
        if found.exception:
            return _("The courier reported a problem on %(at)s") % {"at": at}
        return _("No movement since %(at)s") % {"at": at}
    if found.source == Problem.Source.AGENT:
        return _("Reported out of stock by an agent")
    return _("An item of this order has no stock left")


def resolve_due_for(found: Found, now: dt.datetime, store: StoreSettings) -> dt.datetime:
    """The case's deadline: the ship-by time for an early warning; for a missing tracking number, the L6 notice's
    window (it needs the number); otherwise the store's time to act on that kind of problem."""
    if found.kind == CaseKind.NOT_SHIPPED and found.stage == Problem.Stage.WARNING and found.evidence_at:
        return found.evidence_at
    if found.kind == CaseKind.NO_TRACKING:
        return now + dt.timedelta(minutes=store.shipment_notice_minutes)
    return now + act_within(found.kind, store)


# --- detectors --------------------------------------------------------------------------------------------------


def _open_problem(kind: str, order_ref: str = "pk") -> Exists:
    return Exists(Problem.objects.filter(order_id=OuterRef(order_ref), kind=kind, cleared_at__isnull=True))


def _chunks(ids: list[int]):
    """Ids in slices, so an IN list stays within what SQLite accepts."""
    for start in range(0, len(ids), ORDER_CHUNK):
        yield ids[start : start + ORDER_CHUNK]


def _orders_with_skus(order_ids: list[int], sku_ids: set[int]) -> set[int]:
    """Which of these orders have an item of these SKUs: by the item → order index, a chunk of orders at a time."""
    hits: set[int] = set()
    for chunk in _chunks(order_ids):
        hits.update(OrderItem.objects.filter(order_id__in=chunk, sku_id__in=sku_ids).values_list("order_id", flat=True))
    return hits


def detect_out_of_stock(window: Window, store: StoreSettings) -> list[Found]:
    """L2/L3 from stock data: an order awaiting shipment with an item whose SKU has no stock left.

    From the orders awaiting shipment (the status index) to their items. Incremental: orders new since the last
    sweep, and every awaiting order of a SKU that sold out since then.
    """
    sold_out = window.sold_out_now
    if not sold_out:
        return []
    awaiting = Order.objects.filter(status=AWAITING)
    if window.full:
        hits = _orders_with_skus(list(awaiting.values_list("pk", flat=True)), sold_out)
    else:
        new_orders = list(awaiting.filter(pk__gt=window.last_order_id).values_list("pk", flat=True))
        hits = _orders_with_skus(new_orders, sold_out)
        newly_sold_out = sold_out - window.sold_out_before
        if newly_sold_out:
            hits |= _orders_with_skus(list(awaiting.values_list("pk", flat=True)), newly_sold_out)
    rows = (
        Order.objects.filter(pk__in=hits).filter(~_open_problem(CaseKind.OUT_OF_STOCK)).values_list("pk", "customer_id")
    )
    return [
        Found(order_id, customer_id, CaseKind.OUT_OF_STOCK, source=Problem.Source.STOCK)
        for order_id, customer_id in rows
    ]


def detect_not_shipped(window: Window, store: StoreSettings) -> list[Found]:
    """L1/L2: not shipped by the order's ship-by time — the platform's promised ship time when the order carries one,
    else 48 h after payment, the product's own time, or the presale date, as computed at payment; an early warning
    `ship_warning_hours` before it.

    Incremental: only ship-by times that entered the warning horizon since the last sweep.
    A customer who agreed to wait (L3) is not chased before the agreed day.
    """
    now = window.now
    horizon = now + dt.timedelta(hours=store.ship_warning_hours)
    qs = Order.objects.filter(status=AWAITING, ship_by__lte=horizon)
    if not window.full and window.previous_horizon is not None:
        qs = qs.filter(ship_by__gt=window.previous_horizon)
    waiting = OutOfStockOffer.objects.filter(
        order_id=OuterRef("pk"), choice=OutOfStockOffer.Choice.WAIT, wait_until__gt=now
    )
    qs = qs.filter(
        ~_open_problem(CaseKind.NOT_SHIPPED), ~_open_problem(CaseKind.OUT_OF_STOCK), ~Exists(waiting)
    ).values_list("pk", "customer_id", "ship_by", "promised_ship_at")
    return [
        Found(
            pk,
            customer_id,
            CaseKind.NOT_SHIPPED,
            stage=Problem.Stage.LATE if ship_by < now else Problem.Stage.WARNING,
            evidence_at=ship_by,
            promised=promised is not None and promised == ship_by,
        )
        for pk, customer_id, ship_by, promised in qs
    ]


def detect_no_tracking(window: Window, store: StoreSettings) -> list[Found]:
    """L4: a parcel shipped without a tracking number. Incremental: parcels new since the last sweep."""
    qs = Shipment.objects.filter(tracking_no="", order__status=SHIPPED)
    if not window.full:
        qs = qs.filter(pk__gt=window.last_shipment_id)
    qs = qs.filter(~_open_problem(CaseKind.NO_TRACKING, "order_id")).values_list(
        "order_id", "order__customer_id", "pk", "shipped_at"
    )
    return [Found(o, c, CaseKind.NO_TRACKING, shipment_id=s, evidence_at=at) for o, c, s, at in qs]


def detect_no_tracking_update(window: Window, store: StoreSettings) -> list[Found]:
    """L4: no tracking event within `first_tracking_event_hours` (24 h) of shipping.

    Incremental: parcels whose 24 h ran out since the last sweep, and parcels new since then.
    """
    within = dt.timedelta(hours=store.first_tracking_event_hours)
    qs = Shipment.objects.filter(
        state=Shipment.State.CREATED, last_event_at__isnull=True, shipped_at__lte=window.now - within
    ).filter(order__status=SHIPPED)
    if not window.full and window.previous is not None:
        qs = qs.filter(Q(shipped_at__gt=window.previous - within) | Q(pk__gt=window.last_shipment_id))
    qs = (
        qs.exclude(tracking_no="")
        .filter(~_open_problem(CaseKind.NO_TRACKING_UPDATE, "order_id"))
        .values_list("order_id", "order__customer_id", "pk", "shipped_at")
    )
    return [Found(o, c, CaseKind.NO_TRACKING_UPDATE, shipment_id=s, evidence_at=at) for o, c, s, at in qs]


def detect_stalled(window: Window, store: StoreSettings) -> list[Found]:
    """L5: no movement for over `tracking_stall_hours` (72 h), or the courier reported a problem (exception).

    Incremental: parcels whose last movement became too old since the last sweep, and recent exceptions.
    """
    stall = dt.timedelta(hours=store.tracking_stall_hours)
    moving = Q(state__in=MOVING, last_event_at__lt=window.now - stall)
    problem = Q(state=Shipment.State.EXCEPTION)
    if not window.full and window.previous is not None:
        moving &= Q(last_event_at__gte=window.previous - stall)
        problem &= Q(last_event_at__gte=window.previous - stall)
    qs = (
        Shipment.objects.filter(moving | problem, order__status=SHIPPED)
        .filter(~_open_problem(CaseKind.STALLED, "order_id"))
        .values_list("order_id", "order__customer_id", "pk", "last_event_at", "state")
    )
    return [
        Found(o, c, CaseKind.STALLED, shipment_id=s, evidence_at=at, exception=state == Shipment.State.EXCEPTION)
        for o, c, s, at, state in qs
    ]


DETECTORS = [detect_out_of_stock, detect_not_shipped, detect_no_tracking, detect_no_tracking_update, detect_stalled]


def detect(window: Window, store: StoreSettings) -> list[Found]:
    """Every detector's findings, one per order and kind; an order out of stock is not also chased as late."""
    seen: set[tuple[int, str]] = set()
    out_of_stock: set[int] = set()
    results = []
    for detector in DETECTORS:
        for found in detector(window, store):
            key = (found.order_id, found.kind)
            if key in seen or (found.kind == CaseKind.NOT_SHIPPED and found.order_id in out_of_stock):
                continue
            seen.add(key)
            if found.kind == CaseKind.OUT_OF_STOCK:
                out_of_stock.add(found.order_id)
            results.append(found)
    return results


# --- opening ----------------------------------------------------------------------------------------------------


def _open_cases_by_order(found: list[Found]) -> dict[tuple[int, str], Case]:
    """A problem back on an order whose earlier case of the same kind is still open goes on that case."""
    reuse: dict[tuple[int, str], Case] = {}
    for chunk in _chunks(sorted({f.order_id for f in found})):
        cases = Case.objects.filter(desk=Desk.LOGISTICS, status__in=OPEN_STATUSES, order_id__in=chunk)
        for case in cases.order_by("created_at"):
            reuse[(case.order_id, case.kind)] = case
    return reuse


def open_problem(found: Found, *, now: dt.datetime, store: StoreSettings, actor=None) -> Problem | None:
    """Store one problem and open its case (or reuse the order's open case of that kind). None: it already exists."""
    existing = _open_cases_by_order([found]).get((found.order_id, found.kind))
    try:
        with transaction.atomic():
            problem = Problem.objects.create(
                order_id=found.order_id,
                shipment_id=found.shipment_id,
                kind=found.kind,
                stage=found.stage,
                source=found.source,
                evidence_at=found.evidence_at,
                detected_at=now,
            )
            if existing is not None:
                _attach(problem, existing, found, now)
                return problem
            order = Order.objects.select_related("customer").get(pk=found.order_id)
            case = casework.open_case(
                desk=Desk.LOGISTICS,
                kind=found.kind,
                customer=order.customer,
                order=order,
                actor=actor,
                subject=describe(found),
                priority=_priority(found),
                source=found.source,
                resolve_due=resolve_due_for(found, now, store),
                opened_at=now,
                store=store,
            )
            Problem.objects.filter(pk=problem.pk).update(case=case)
            problem.case = case
    except IntegrityError:
        return None
    return problem


def _priority(found: Found) -> int:
    if found.kind == CaseKind.NOT_SHIPPED and found.stage == Problem.Stage.WARNING:
        return Priority.NORMAL
    if found.exception:
        return Priority.HIGH
    return PRIORITY[found.kind]


def _attach(problem: Problem, case: Case, found: Found, now: dt.datetime) -> None:
    Problem.objects.filter(pk=problem.pk).update(case=case)
    problem.case = case
    casework.record_event(
        case=case,
        type=EventType.CASE_UPDATED,
        body=_("Detected again: %(what)s") % {"what": describe(found)},
        after={"logistics": "detected_again", "kind": found.kind},
        at=now,
    )


def _allocate_numbers(count: int, at: dt.datetime) -> list[str]:
    """`count` case numbers from the same per-day counter as casework.next_case_number, in one update."""
    prefix = DESK_PREFIX[Desk.LOGISTICS]
    day = timezone.localdate(at)
    try:
        with transaction.atomic():
            CaseCounter.objects.get_or_create(prefix=prefix, day=day)
    except IntegrityError:
        pass  # another process created today's counter first
    CaseCounter.objects.filter(prefix=prefix, day=day).update(last=F("last") + count)
    last = CaseCounter.objects.filter(prefix=prefix, day=day).values_list("last", flat=True).get()
    return [f"{prefix}-{day:%Y%m%d}-{n:04d}" for n in range(last - count + 1, last + 1)]


def _case_row(number: str, f: Found, now: dt.datetime, store: StoreSettings) -> Case:
    due = resolve_due_for(f, now, store)
    return Case(
        number=number,
        desk=Desk.LOGISTICS,
        kind=f.kind,
        customer_id=f.customer_id,
        order_id=f.order_id,
        subject=describe(f)[:200],
        priority=_priority(f),
        source=f.source,
        resolve_due=due,
        due_at=due,
        created_at=now,
        updated_at=now,
    )


def _open_in_bulk(found: list[Found], *, now: dt.datetime, store: StoreSettings) -> int:
    """The same rows as casework.open_case writes (the case and its "opened" event), a batch at a time.

    For a store's first sweep, when thousands of problems are found at once. Any conflict sends the batch
    through the one-by-one path instead.
    """
    reuse = _open_cases_by_order(found)
    fresh = [f for f in found if (f.order_id, f.kind) not in reuse]
    order_numbers: dict[int, str] = {}
    for chunk in _chunks([f.order_id for f in fresh]):
        order_numbers.update(Order.objects.filter(pk__in=chunk).values_list("pk", "number"))
    opened = 0
    for start in range(0, len(fresh), BULK_BATCH):
        batch = fresh[start : start + BULK_BATCH]
        try:
            with transaction.atomic():
                numbers = _allocate_numbers(len(batch), now)
                cases = Case.objects.bulk_create(
                    _case_row(number, f, now, store) for number, f in zip(numbers, batch, strict=True)
                )
                CaseEvent.objects.bulk_create(
                    CaseEvent(
                        case=case,
                        type=EventType.CASE_OPENED,
                        at=now,
                        target=case.number,
                        after={
                            "kind": case.kind,
                            "status": case.status,
                            "reason": "",
                            "amount_fen": 0,
                            "source": case.source,
                            "order": order_numbers.get(case.order_id),
                        },
                    )
                    for case in cases
                )
                Problem.objects.bulk_create(
                    Problem(
                        order_id=f.order_id,
                        shipment_id=f.shipment_id,
                        kind=f.kind,
                        stage=f.stage,
                        source=f.source,
                        evidence_at=f.evidence_at,
                        detected_at=now,
                        case=case,
                    )
                    for f, case in zip(batch, cases, strict=True)
                )
            opened += len(batch)
        except IntegrityError:
            logger.warning("bulk opening met a duplicate; opening %s problems one by one", len(batch))
            opened += sum(1 for f in batch if open_problem(f, now=now, store=store) is not None)
    again = [f for f in found if (f.order_id, f.kind) in reuse]
    if again:
        opened += sum(1 for f in again if open_problem(f, now=now, store=store) is not None)
    return opened


def open_problems(found: list[Found], *, now: dt.datetime, store: StoreSettings) -> int:
    """Open a case for each new problem; returns how many problems were stored."""
    if len(found) >= BULK_OPEN_AT:
        return _open_in_bulk(found, now=now, store=store)
    return sum(1 for f in found if open_problem(f, now=now, store=store) is not None)


# --- escalating and clearing ------------------------------------------------------------------------------------


def escalate_late(*, now: dt.datetime, store: StoreSettings | None = None) -> int:
    """L1: an early warning whose ship-by time has passed becomes a late shipment: higher priority, a new deadline,
    and a case someone had already resolved comes back."""
    store = store or StoreSettings.load()
    rows = list(
        Problem.objects.filter(
            kind=CaseKind.NOT_SHIPPED,
            stage=Problem.Stage.WARNING,
            cleared_at__isnull=True,
            order__status=AWAITING,
            order__ship_by__lt=now,
        ).values_list("pk", "case_id", "order__ship_by")
    )
    escalated = 0
    for pk, case_id, ship_by in rows:
        with transaction.atomic():
            if not Problem.objects.filter(pk=pk, stage=Problem.Stage.WARNING).update(stage=Problem.Stage.LATE):
                continue  # another sweep did it
            escalated += 1
            if case_id is None:
                continue
            case = Case.objects.get(pk=case_id)
            due = now + act_within(CaseKind.NOT_SHIPPED, store)
            body = _("The ship-by deadline %(at)s passed and the order is still not shipped.") % {"at": _when(ship_by)}
            if not case.is_open:
                casework.transition_case(case=case, to=Status.IN_PROGRESS, note=body)
            Case.objects.filter(pk=case.pk).update(
                priority=max(case.priority, Priority.HIGH),
                resolve_due=due,
                due_at=casework.nearest_due(case.first_response_due, due),
                updated_at=now,
            )
            casework.record_event(
                case=case,
                type=EventType.CASE_PRIORITY,
                body=body,
                before={"priority": case.priority},
                after={"priority": max(case.priority, Priority.HIGH), "logistics": "late"},
                at=now,
            )
    return escalated


def _cleared_sets(now: dt.datetime) -> list[tuple[Q, str]]:
    """For each kind, which open problems no longer hold, and why (shown on the case)."""
    not_awaiting = ~Q(order__status=AWAITING)
    not_shipped_any_more = ~Q(order__status=SHIPPED)
    stall_over = Q(shipment__state__in=(Shipment.State.DELIVERED, Shipment.State.RETURNED)) | (
        Q(shipment__last_event_at__gt=F("evidence_at")) & ~Q(shipment__state=Shipment.State.EXCEPTION)
    )
    return [
        (
            Q(kind=CaseKind.NOT_SHIPPED) & not_awaiting,
            _("The order left “awaiting shipment” (shipped, cancelled or refunded)."),
        ),
        (
            Q(kind=CaseKind.OUT_OF_STOCK) & not_awaiting,
            _("The order left “awaiting shipment” (shipped, cancelled or refunded)."),
        ),
        (Q(kind=CaseKind.NO_TRACKING) & ~Q(shipment__tracking_no=""), _("The parcel has a tracking number now.")),
        (Q(kind=CaseKind.NO_TRACKING) & not_shipped_any_more, _("The order is no longer in transit.")),
        (
            Q(kind=CaseKind.NO_TRACKING_UPDATE) & Q(shipment__last_event_at__isnull=False),
            _("The first tracking event arrived."),
        ),
        (Q(kind=CaseKind.NO_TRACKING_UPDATE) & not_shipped_any_more, _("The order is no longer in transit.")),
        (Q(kind=CaseKind.STALLED) & stall_over, _("The parcel moved again.")),
        (Q(kind=CaseKind.STALLED) & not_shipped_any_more, _("The order is no longer in transit.")),
    ]


def _untouched(case_ids: list[int]) -> list[Case]:
    """Open cases nobody worked on: no assignee, and no event by a person."""
    by_person = CaseEvent.objects.filter(case_id=OuterRef("pk"), actor__isnull=False)
    return list(
        Case.objects.filter(pk__in=case_ids, status__in=OPEN_STATUSES, assignee__isnull=True).filter(~Exists(by_person))
    )


def clear_problems(*, now: dt.datetime) -> tuple[int, int]:
    """Mark problems whose data cleared, note it on their case, and close the cases nobody touched.

    Returns (cleared, closed by themselves).
    """
    open_problems_qs = Problem.objects.filter(cleared_at__isnull=True)
    cleared: list[tuple[int, int | None, str]] = []
    done: set[int] = set()
    for condition, reason in _cleared_sets(now):
        for pk, case_id in open_problems_qs.filter(condition).values_list("pk", "case_id"):
            if pk in done:
                continue
            done.add(pk)
            # Conditional: of two sweeps at once, only one notes the clearing.
            if Problem.objects.filter(pk=pk, cleared_at__isnull=True).update(
                cleared_at=now, cleared_reason=reason[:200]
            ):
                cleared.append((pk, case_id, reason))
    if not cleared:
        return 0, 0
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=case_id,
            type=EventType.CASE_UPDATED,
            body=_("Problem cleared: %(reason)s") % {"reason": reason},
            after={"logistics": "cleared"},
            at=now,
        )
        for _pk, case_id, reason in cleared
        if case_id is not None
    )
    # Keep the case if another problem of it is still open.
    case_ids = [case_id for _pk, case_id, _reason in cleared if case_id is not None]
    still_open = set(
        Problem.objects.filter(case_id__in=case_ids, cleared_at__isnull=True).values_list("case_id", flat=True)
    )
    closed = 0
    for case in _untouched([pk for pk in case_ids if pk not in still_open]):
        try:
            casework.transition_case(
                case=case,
                to=Status.CLOSED,
                note=_("Closed by itself: the problem cleared before anyone worked on it."),
                extra={"resolution": "cleared"},
            )
            closed += 1
        except DomainError:  # someone moved it first; it stays as they left it
            logger.info("case %s changed while closing it", case.number)
    return len(cleared), closed


# --- the sweep --------------------------------------------------------------------------------------------------


def _lock_cursor() -> SweepCursor:
    SweepCursor.objects.get_or_create(name=CURSOR)
    return SweepCursor.objects.select_for_update().get(name=CURSOR)


def sweep(
    *, now: dt.datetime | None = None, full: bool | None = None, actor=None, store: StoreSettings | None = None
) -> SweepResult:
    """One detection sweep (beat every few minutes, supervisors on demand). Safe to run twice, or twice at once."""
    started = time.perf_counter()
    now = now or timezone.now()
    store = store or StoreSettings.load()
    with transaction.atomic():
        cursor = _lock_cursor()
        if full is None:
            full = cursor.last_full_at is None or now - cursor.last_full_at >= FULL_SWEEP_EVERY
        if cursor.checked_at is None or now <= cursor.checked_at:
            full = True
        # Read the tops before looking, so a row arriving meanwhile is seen now or by the next sweep.
        top_shipment = Shipment.objects.aggregate(top=Max("pk"))["top"] or 0
        top_order = Order.objects.aggregate(top=Max("pk"))["top"] or 0
        window = Window(
            full=full,
            now=now,
            previous=cursor.checked_at,
            previous_horizon=cursor.ship_horizon,
            last_shipment_id=cursor.last_shipment_id,
            last_order_id=cursor.last_order_id,
            sold_out_before=set(cursor.sold_out_skus),
            sold_out_now=set(Sku.objects.filter(stock__lte=0).values_list("pk", flat=True)),
        )
        found = detect(window, store)
        result = SweepResult(full=full)
        for f in found:
            result.found[str(f.kind)] = result.found.get(str(f.kind), 0) + 1
        result.opened = open_problems(found, now=now, store=store)
        result.escalated = escalate_late(now=now, store=store)
        result.cleared, result.auto_closed = clear_problems(now=now)
        SweepCursor.objects.filter(pk=cursor.pk).update(
            checked_at=now,
            ship_horizon=now + dt.timedelta(hours=store.ship_warning_hours),
            last_shipment_id=max(top_shipment, cursor.last_shipment_id),
            last_order_id=max(top_order, cursor.last_order_id),
            sold_out_skus=sorted(window.sold_out_now),
            last_full_at=now if full else cursor.last_full_at,
        )
        result.seconds = time.perf_counter() - started
        run = SweepRun.objects.create(
            started_at=now,
            finished_at=now + dt.timedelta(seconds=result.seconds),
            full=full,
            found=result.found,
            opened=result.opened,
            escalated=result.escalated,
            cleared=result.cleared,
            auto_closed=result.auto_closed,
            triggered_by=actor,
        )
        result.run_id = run.pk
    logger.info("logistics sweep (%s): %s", "full" if full else "incremental", result)
    return result
