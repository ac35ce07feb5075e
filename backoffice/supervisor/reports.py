"""The supervisors' weekly review (A11) and rule rates (R1, L1, A7, A10, A12, A9): plain reads over a date range.

Every report takes a `Period` of whole Shanghai days and compares it with the period of the same length right before.
Each one is a fixed, small number of aggregate queries whatever the number of rows, so a year of data (a million
orders, a hundred thousand cases) answers in well under a second; see `manage.py bench_reports`.
Days are Asia/Shanghai days: a case opened at 23:59 local time counts on that day, not the next.
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.queues import decided_q, decided_waits, rate_counts
from backoffice.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseKind,
    Coupon,
    Courier,
    Desk,
    EventType,
    Order,
    OrderItem,
    Product,
    Reason,
    ResponseWait,
    Shipment,
    Sku,
    StaffProfile,
    StoreSettings,
)
from backoffice.staff.roles import display_name, staff_display_name

# Ranges longer than this are drawn and listed by week instead of by day.
MAX_DAILY_BUCKETS = 31
# "Store-wide" rows in the per-agent tables.
ALL_AGENTS = _("All agents")


def local_tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def pct(part: int | float, whole: int | float) -> float | None:
    """A share in percent (not rounded), or None when there is nothing to share."""
    return 100 * part / whole if whole else None


def points_change(now: float | None, before: float | None) -> float | None:
    """Week-over-week change of a share, in percentage points."""
    if now is None or before is None:
        return None
    return now - before


# --- periods ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days from `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError("A period cannot end before it starts.")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """The first moment of the period (local midnight), aware."""
        return dt.datetime.combine(self.first, dt.time.min, local_tz())

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period (exclusive bound), aware."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, local_tz())

    def previous(self) -> "Period":
        """The period of the same length that ends the day before this one starts."""
        last = self.first - dt.timedelta(days=1)
        return Period(last - dt.timedelta(days=self.days - 1), last)

    def dates(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range(self.days)]

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def q(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": self.start, f"{field_name}__lt": self.end})

    def __str__(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def last_week(today: dt.date | None = None) -> Period:
    """Monday to Sunday of the week before this one (A11's weekly review), in Shanghai days."""
    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    return Period(monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))


def span_q(period: Period, field_name: str) -> Q:
    """The period and the one before it, as one range on a field (one index range scan)."""
    return Q(**{f"{field_name}__gte": period.previous().start, f"{field_name}__lt": period.end})


@dataclass(frozen=True)
class Bucket:
    """One bar on a chart / one column of a table: a day, or a Monday-to-Sunday week on long ranges."""

    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        if self.first == self.last:
            return self.first.strftime("%m-%d")
        return f"{self.first:%m-%d}–{self.last:%m-%d}"


def buckets(period: Period) -> list[Bucket]:
    if period.days <= MAX_DAILY_BUCKETS:
        return [Bucket(day, day) for day in period.dates()]
    result = []
    first = period.first
    while first <= period.last:
        last = min(first + dt.timedelta(days=6 - first.weekday()), period.last)
        result.append(Bucket(first, last))
        first = last + dt.timedelta(days=1)
    return result


def bucket_of(bucket_list: list[Bucket]) -> dict[dt.date, Bucket]:
    return {day: bucket for bucket in bucket_list for day in _days(bucket)}


def _days(bucket: Bucket):
    day = bucket.first
    while day <= bucket.last:
        yield day
        day += dt.timedelta(days=1)


def local_day(field_name: str) -> TruncDate:
    """The Shanghai calendar day of a moment, computed in the database."""
    return TruncDate(field_name, tzinfo=local_tz())


def _as_date(value) -> dt.date:
    # SQLite hands TruncDate back as a string in some versions; PostgreSQL as a date.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


# --- percentiles ------------------------------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the continuous percentile (linear interpolation between neighbours)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=float(fraction), **extra)


class EpochSeconds(Func):
    """The length of an interval in seconds (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """The same continuous percentile as PostgreSQL's percentile_cont, over an already sorted list."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def duration_percentiles(
    qs: QuerySet, *, start_field: str, end_field: str, fractions: tuple[float, ...] = (0.5, 0.9)
) -> list[float | None]:
    """Percentiles of end - start in seconds over the rows of qs (end not null).

    In the database on PostgreSQL; elsewhere only the two time columns of the matching rows are fetched (a week of
    refund applications is a few thousand rows, a year a few ten thousand: bounded and fine at the store's scale).
    """
    qs = qs.filter(**{f"{end_field}__isnull": False}).order_by()
    if connection.vendor == "postgresql":
        interval = ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
        seconds = EpochSeconds(interval)
        result = qs.aggregate(**{f"p{i}": PercentileCont(seconds, fraction) for i, fraction in enumerate(fractions)})
        return [result[f"p{i}"] for i in range(len(fractions))]
    values = sorted(
        (end - start).total_seconds() for start, end in qs.values_list(start_field, end_field).iterator(chunk_size=5000)
    )
    return [percentile(values, fraction) for fraction in fractions]


# --- A11: after-sales reasons -------------------------------------------------------------------------------------


# A11's shares are of after-sales applications that carry a reason: inquiries, reviews and cases without a reason
# (nothing to fix in a size chart or a courier) are left out of the count and of the denominator.
APPLICATION_KINDS = (CaseKind.REFUND, CaseKind.RETURN, CaseKind.EXCHANGE, CaseKind.RESHIP, CaseKind.COMPENSATION)


def applications_with_reason() -> Q:
    return Q(kind__in=APPLICATION_KINDS) & ~Q(reason="")


def reason_label(key: str | None) -> str:
    if not key:
        return str(_("Not recorded"))
    return str(Reason(key).label) if key in Reason.values else key


@dataclass
class ShareRow:
    key: str
    label: str
    count: int = 0
    previous_count: int = 0
    share: float | None = None
    previous_share: float | None = None

    @property
    def change(self) -> float | None:
        """Change of the share against the previous period, in percentage points."""
        return points_change(self.share, self.previous_share)


@dataclass
class ReasonShares:
    period: Period
    rows: list[ShareRow]
    total: int
    previous_total: int
    # After-sales cases of the period left out: inquiries, reviews, and applications without a reason.
    left_out: int = 0
    # A11: cases the platform stepped into (平台处理中, 平台同意退款 …) in the period, its own line below the reasons.
    intervened: ShareRow | None = None

    def csv(self) -> tuple[list[str], list[list]]:
        header = ["reason", "label", "cases", "share_pct", "previous_cases", "previous_share_pct", "change_pts"]
        lines = [*self.rows, self.intervened] if self.intervened is not None else self.rows
        return header, [
            [r.key, r.label, r.count, _round(r.share), r.previous_count, _round(r.previous_share), _round(r.change)]
            for r in lines
        ]


PLATFORM_INTERVENED = "platform_intervened"


def platform_interventions(period: Period, *, desk: str = Desk.AFTERSALES, total: int = 0, previous_total: int = 0):
    """A11: after-sales cases the platform intervened in during the period and the one before (one query); the share
    is of the cases opened in the same period."""
    previous = period.previous()
    counts = Case.objects.filter(span_q(period, "platform_intervened_at"), desk=desk).aggregate(
        now=Count("pk", filter=period.q("platform_intervened_at")),
        before=Count("pk", filter=previous.q("platform_intervened_at")),
    )
    return ShareRow(
        key=PLATFORM_INTERVENED,
        label=str(_("Platform intervened")),
        count=counts["now"],
        previous_count=counts["before"],
        share=pct(counts["now"], total),
        previous_share=pct(counts["before"], previous_total),
    )


def reason_shares(period: Period, *, desk: str = Desk.AFTERSALES) -> ReasonShares:
    """A11: after-sales applications with a reason opened in the period, by reason: each reason's share of them and
    its change in points, the cases left out (inquiries, reviews, no reason), and the cases the platform intervened
    in as a line of their own.

    One query for both periods, one for the cases left out, and one for the interventions.
    """
    previous = period.previous()
    rows = (
        Case.objects.filter(span_q(period, "created_at"), applications_with_reason(), desk=desk)
        .values("reason")
        .annotate(now=Count("pk", filter=period.q("created_at")), before=Count("pk", filter=previous.q("created_at")))
        .order_by()
    )
    by_reason = {row["reason"]: (row["now"], row["before"]) for row in rows}
    total = sum(now for now, _before in by_reason.values())
    previous_total = sum(before for _now, before in by_reason.values())
    result = [
        ShareRow(
            key=key or "",
            label=reason_label(key),
            count=now,
            previous_count=before,
            share=pct(now, total),
            previous_share=pct(before, previous_total),
        )
        for key, (now, before) in by_reason.items()
    ]
    result.sort(key=lambda r: (-r.count, -r.previous_count, r.label))
    left_out = Case.objects.filter(period.q("created_at"), desk=desk).exclude(applications_with_reason()).count()
    intervened = platform_interventions(period, desk=desk, total=total, previous_total=previous_total)
    return ReasonShares(
        period=period,
        rows=result,
        total=total,
        previous_total=previous_total,
        left_out=left_out,
        intervened=intervened,
    )


@dataclass
class BreakdownRow:
    """One product (or courier): its cases in the period by reason, and its total then and before."""

    key: object
    label: str
    by_reason: dict[str, int] = field(default_factory=dict)
    total: int = 0
    previous_total: int = 0
    share: float | None = None  # of all the period's cases with an order

    @property
    def top_reason(self) -> str | None:
        if not self.by_reason:
            return None
        key = max(self.by_reason, key=lambda k: (self.by_reason[k], k))
        return key

    @property
    def top_reason_label(self) -> str:
        key = self.top_reason
        return reason_label(key) if key is not None else "—"

    @property
    def top_reason_share(self) -> float | None:
        key = self.top_reason
        return pct(self.by_reason[key], self.total) if key is not None else None

    def cells(self, reasons: list[str]) -> list[int]:
        return [self.by_reason.get(key, 0) for key in reasons]


@dataclass
class ReasonBreakdown:
    period: Period
    dimension: str
    rows: list[BreakdownRow]
    reasons: list[str]  # columns, most frequent first
    total: int  # cases with an order in the period (a case of a two-product order counts once here)
    without: int  # cases in the period without this dimension (no order / not shipped)

    @property
    def reason_labels(self) -> list[tuple[str, str]]:
        return [(key, reason_label(key)) for key in self.reasons]

    def csv(self) -> tuple[list[str], list[list]]:
        header = [self.dimension, "cases", "share_pct", "previous_cases", "top_reason", "top_reason_share_pct"]
        header += [f"reason:{key or 'none'}" for key in self.reasons]
        return header, [
            [
                r.label,
                r.total,
                _round(r.share),
                r.previous_total,
                r.top_reason_label,
                _round(r.top_reason_share),
                *r.cells(self.reasons),
            ]
            for r in self.rows
        ]


def _breakdown(
    period: Period,
    *,
    dimension: str,
    join: tuple[str, str],
    names: QuerySet,
    none_label,
    desk: str,
    limit: int,
) -> ReasonBreakdown:
    """Cases of the period and the one before, counted per (dimension value, reason): two queries.

    A case whose order holds two products counts for each product; twice the same product in one order counts once:
    the (case, product) pairs are made distinct first, then counted. Both steps hash in the database (no DISTINCT
    aggregate, which would sort every joined row).
    """
    previous = period.previous()
    base = Case.objects.filter(span_q(period, "created_at"), applications_with_reason(), desk=desk)
    cases = base.annotate(case_key=F("pk"), case_order=F("order_id"), case_reason=F("reason"), case_at=F("created_at"))
    inner, inner_params = (
        cases.values("case_key", "case_order", "case_reason", "case_at").order_by().query.sql_with_params()
    )
    adapt = connection.ops.adapt_datetimefield_value
    qn = connection.ops.quote_name
    at, reason = f"pairs.{qn('case_at')}", f"pairs.{qn('case_reason')}"
    dim_sql, joins = join
    # The inner query is the ORM's own SQL with its parameters; only the bounds below are added, as parameters too.
    # The items (or parcels) join the case's order id directly: the orders table itself has nothing to add.
    sql = (
        f"SELECT pairs.{qn('dim')}, {reason}, "  # noqa: S608
        f"SUM(CASE WHEN {at} >= %s AND {at} < %s THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {at} >= %s AND {at} < %s THEN 1 ELSE 0 END) "
        f"FROM (SELECT DISTINCT c.{qn('case_key')}, {dim_sql} AS {qn('dim')}, c.{qn('case_reason')}, c.{qn('case_at')} "
        f"FROM ({inner}) c {joins}) pairs GROUP BY pairs.{qn('dim')}, {reason}"
    )
    # The bounds in the SELECT list come before the inner query's own parameters in the text.
    params = [adapt(period.start), adapt(period.end), adapt(previous.start), adapt(previous.end), *inner_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    groups: dict = {}
    reason_totals: dict[str, int] = defaultdict(int)
    without = 0
    for key, reason, now, before in rows:
        now, before = int(now or 0), int(before or 0)
        if key is None:
            without += now
            continue
        group = groups.get(key)
        if group is None:
            group = groups[key] = BreakdownRow(key=key, label="")
        if now:
            reason = reason or ""
            group.by_reason[reason] = group.by_reason.get(reason, 0) + now
            reason_totals[reason] += now
        group.total += now
        group.previous_total += before
    total = 0
    if groups:
        # Cases with at least one product (or parcel). Items and parcels always name theirs, so a case without any
        # is exactly one pair with no key: the period's cases less those (a plain count, not a semi-join per case).
        total = base.filter(period.q("created_at")).count() - without
        labels = dict(names.filter(pk__in=list(groups)).values_list("pk", "name"))
        for key, group in groups.items():
            group.label = labels.get(key) or str(none_label)
    result = [group for group in groups.values() if group.total or group.previous_total]
    for group in result:
        group.share = pct(group.total, total)
    result.sort(key=lambda r: (-r.total, -r.previous_total, r.label))
    reasons = sorted(reason_totals, key=lambda k: (-reason_totals[k], reason_label(k)))
    return ReasonBreakdown(
        period=period, dimension=dimension, rows=result[:limit], reasons=reasons, total=total, without=without
    )


def _items_join() -> tuple[str, str]:
    """The product of each item of the case's order (SQL: the dimension, the joins)."""
    qn = connection.ops.quote_name
    item, sku = OrderItem._meta, Sku._meta
    joins = (
        f"LEFT JOIN {qn(item.db_table)} i ON i.{qn(item.get_field('order').column)} = c.{qn('case_order')} "
        f"LEFT JOIN {qn(sku.db_table)} s ON s.{qn(sku.pk.column)} = i.{qn(item.get_field('sku').column)}"
    )
    return f"s.{qn(sku.get_field('product').column)}", joins


def _shipments_join() -> tuple[str, str]:
    """The courier of each parcel of the case's order (SQL: the dimension, the join)."""
    qn = connection.ops.quote_name
    shipment = Shipment._meta
    joins = (
        f"LEFT JOIN {qn(shipment.db_table)} sh ON sh.{qn(shipment.get_field('order').column)} = c.{qn('case_order')}"
    )
    return f"sh.{qn(shipment.get_field('courier').column)}", joins


def reasons_by_product(period: Period, *, desk: str = Desk.AFTERSALES, limit: int = 20) -> ReasonBreakdown:
    """A11: which products the period's after-sales cases are about, by reason (the size chart to fix)."""
    return _breakdown(
        period,
        dimension="product",
        join=_items_join(),
        names=Product.objects.all(),
        none_label=_("Unknown product"),
        desk=desk,
        limit=limit,
    )


def reasons_by_courier(period: Period, *, desk: str = Desk.AFTERSALES, limit: int = 20) -> ReasonBreakdown:
    """A11: which courier carried the orders of the period's after-sales cases, by reason (the courier to fix)."""
    return _breakdown(
        period,
        dimension="courier",
        join=_shipments_join(),
        names=Courier.objects.all(),
        none_label=_("Unknown courier"),
        desk=desk,
        limit=limit,
    )


# --- R1: 3-minute response rate --------------------------------------------------------------------------------


@dataclass
class RateCell:
    """How many of `total` met the rule; rate in percent."""

    total: int = 0
    met: int = 0

    @property
    def rate(self) -> float | None:
        return pct(self.met, self.total)

    def add(self, total: int, met: int) -> None:
        self.total += total
        self.met += met


@dataclass
class AgentRates:
    user_id: int | None
    label: str
    cells: list[RateCell]
    total: RateCell
    previous: RateCell


R1_DEFINITION = _(
    "A wait starts at a customer's first unanswered message and ends at the first human answer of any kind (a reply "
    "or a resolution's message); later messages in the same wait do not move the clock, automatic replies never "
    "count, and a wait nobody answered is a miss."
)


@dataclass
class ResponseRates:
    period: Period
    buckets: list[Bucket]
    agents: list[AgentRates]
    store: AgentRates
    # The same waits as the platform counts them: those starting inside its daily window, timed within it.
    window: AgentRates | None = None
    window_hours: str = ""

    @property
    def definition(self) -> str:
        # Translated when shown, in the reader's language (a class default would freeze the language at import).
        return str(R1_DEFINITION)

    @property
    def window_differs(self) -> bool:
        """Show both figures when the platform's window counts differently from the store's hours."""
        if self.window is None:
            return False
        here, there = self.store.total, self.window.total
        return (here.total, here.met) != (there.total, there.met)

    def csv(self) -> tuple[list[str], list[list]]:
        header = ["agent", "bucket_first_day", "bucket_last_day", "waits", "answered_within_3_min", "rate_pct"]
        rows = []
        groups = [*self.agents, self.store]
        if self.window is not None:
            groups.append(self.window)
        for agent in groups:
            for bucket, cell in zip(self.buckets, agent.cells, strict=True):
                rows.append([agent.label, bucket.first, bucket.last, cell.total, cell.met, _round(cell.rate)])
            rows.append(
                [
                    agent.label,
                    self.period.first,
                    self.period.last,
                    agent.total.total,
                    agent.total.met,
                    _round(agent.total.rate),
                ]
            )
        return header, rows


def staff_label(user) -> str:
    if user is None:
        return str(_("System"))
    return staff_display_name(user)


def response_rates(
    period: Period, *, now: dt.datetime | None = None, store: StoreSettings | None = None
) -> ResponseRates:
    """R1: per agent and day, the share of customer waits answered by a person within the deadline (3 minutes of
    business time); a wait nobody answered is a miss, counted for the case's assignee. Days are the waits' first
    messages. Also the store's rate as the platform measures it, in its daily window (the store setting).

    Two queries for both measures and both periods (the waits a person answered, counted for that person without
    reading their case; the others, for the case's assignee), plus one for the agents' names.
    """
    now = now or timezone.now()
    store = store or StoreSettings.load()
    previous = period.previous()
    bucket_list = buckets(period)
    index = {day: i for i, bucket in enumerate(bucket_list) for day in _days(bucket)}
    decided = decided_q("due_at", now=now)[0]
    window_decided = decided_q("window_due_at", now=now)[0]
    # A year of waits is read once for both measures; joining every wait to its case doubled the time (R1 over a
    # year: 0.53 s before, two scans with the join).
    waits = ResponseWait.objects.filter(span_q(period, "started_at")).filter(decided | window_decided)
    counts = rate_counts(now=now)

    def counted(waits):
        return waits.annotate(day=local_day("started_at")).values("agent", "day").annotate(**counts).order_by()

    answered = counted(waits.filter(answered_by__isnull=False).annotate(agent=F("answered_by")))
    unanswered = counted(waits.filter(answered_by__isnull=True).annotate(agent=F("case__assignee")))

    def new_row(user_id, label=""):
        return AgentRates(user_id, label, [RateCell() for _ in bucket_list], RateCell(), RateCell())

    agents: dict = {}
    store_row = new_row(None, str(ALL_AGENTS))
    window_row = new_row(None, str(_("All agents, platform window")))

    def place(day: dt.date, total: int, met: int, rates: list[AgentRates]):
        for rate in rates:
            if period.contains(day):
                rate.cells[index[day]].add(total, met)
                rate.total.add(total, met)
            elif previous.contains(day):
                rate.previous.add(total, met)

    for row in [*answered, *unanswered]:
        day = _as_date(row["day"])
        if row["total"]:
            if row["agent"] not in agents:
                agents[row["agent"]] = new_row(row["agent"])
            place(day, row["total"], row["in_time"], [agents[row["agent"]], store_row])
        if row["window_total"]:
            place(day, row["window_total"], row["window_in_time"], [window_row])
    users = get_user_model().objects.in_bulk([pk for pk in agents if pk is not None])
    for actor_id, agent in agents.items():
        agent.label = staff_label(users.get(actor_id)) if actor_id is not None else str(_("Unassigned"))
    ordered = sorted((agent for agent in agents.values() if agent.total.total), key=lambda a: (-a.total.total, a.label))
    return ResponseRates(
        period=period,
        buckets=bucket_list,
        agents=ordered,
        store=store_row,
        window=window_row,
        window_hours=f"{store.r1_window_opens:%H:%M}–{store.r1_window_closes:%H:%M}",
    )


# --- A4: first handling within 1 hour --------------------------------------------------------------------------


@dataclass
class FirstHandlingReport:
    """A4: applications told "I handle it within 1 hour", by whether they were decided in that time."""

    period: Period
    within: int = 0
    late: int = 0  # decided after the deadline
    overdue: int = 0  # not decided, past the deadline
    pending: int = 0  # not decided, still in time
    previous: RateCell = field(default_factory=RateCell)

    @property
    def due(self) -> int:
        return self.within + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        return pct(self.within, self.due)


def first_handling(period: Period, *, now: dt.datetime | None = None) -> FirstHandlingReport:
    """A4: of the applications opened in the period with a first-handling deadline, how many were decided
    (approved, rejected, resolved, return approved) in time. One query for both periods."""
    now = now or timezone.now()
    previous = period.previous()
    decided_in_time = Q(handled_at__isnull=False, handled_at__lte=F("handle_due"))
    late = Q(handled_at__isnull=False, handled_at__gt=F("handle_due"))
    overdue = Q(handled_at__isnull=True, handle_due__lte=now)
    rows = (
        Case.objects.filter(handle_due__isnull=False)
        .filter(span_q(period, "created_at") | span_q(previous, "created_at"))
        .annotate(day=local_day("created_at"))
        .values("day")
        .annotate(
            within=Count("pk", filter=decided_in_time),
            late=Count("pk", filter=late),
            overdue=Count("pk", filter=overdue),
            total=Count("pk"),
        )
        .order_by()
    )
    report = FirstHandlingReport(period=period)
    for row in rows:
        day = _as_date(row["day"])
        if period.contains(day):
            report.within += row["within"]
            report.late += row["late"]
            report.overdue += row["overdue"]
            report.pending += row["total"] - row["within"] - row["late"] - row["overdue"]
        elif previous.contains(day):
            report.previous.add(row["within"] + row["late"] + row["overdue"], row["within"])
    return report


# --- L1: shipped within 48 hours --------------------------------------------------------------------------------


@dataclass
class ShippingDay:
    bucket: Bucket
    paid: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # not shipped, past its ship-by time
    pending: int = 0  # not shipped, still in time
    cancelled: int = 0  # cancelled or refunded before shipping: no longer to ship
    promised: int = 0  # carries the platform's promised ship time
    promise_earlier: int = 0  # … earlier than our own ship-by time

    @property
    def due(self) -> int:
        """Orders whose outcome is known: shipped, or not shipped and past the deadline."""
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        return pct(self.on_time, self.due)

    def add(self, other: dict) -> None:
        for name in ("paid", "on_time", "late", "overdue", "pending", "cancelled", "promised", "promise_earlier"):
            setattr(self, name, getattr(self, name) + other[name])


@dataclass
class PromiseExample:
    """An order whose platform promise is earlier than our own ship-by time."""

    number: str
    paid_at: dt.datetime
    promised_ship_at: dt.datetime
    computed_ship_by: dt.datetime
    shipped_at: dt.datetime | None

    @property
    def hours_earlier(self) -> float:
        return round((self.computed_ship_by - self.promised_ship_at).total_seconds() / 3600, 1)


@dataclass
class PromiseComparison:
    """L1: the platform's promised ship times against our own computation, for the orders paid in the period."""

    promised: int = 0  # orders that carry a platform promise
    earlier: int = 0  # … and the promise is earlier than our own ship-by time: the finding
    examples: list[PromiseExample] = field(default_factory=list)

    @property
    def earlier_share(self) -> float | None:
        return pct(self.earlier, self.promised)


@dataclass
class ShippingReport:
    period: Period
    days: list[ShippingDay]
    total: ShippingDay
    previous: ShippingDay
    promise: PromiseComparison = field(default_factory=PromiseComparison)

    def csv(self) -> tuple[list[str], list[list]]:
        header = [
            "first_paid_day",
            "last_paid_day",
            "paid",
            "shipped_on_time",
            "shipped_late",
            "not_shipped_overdue",
            "not_shipped_in_time",
            "cancelled_before_shipping",
            "on_time_rate_pct",
            "with_platform_promise",
            "platform_promise_earlier",
        ]
        rows = [
            [
                d.bucket.first,
                d.bucket.last,
                d.paid,
                d.on_time,
                d.late,
                d.overdue,
                d.pending,
                d.cancelled,
                _round(d.rate),
                d.promised,
                d.promise_earlier,
            ]
            for d in [*self.days, self.total]
        ]
        return header, rows


PROMISE_EXAMPLES = 5


# The platform's promise is earlier than our own ship-by time (L1): the store's own clock was too generous there.
PROMISE_EARLIER = Q(promised_ship_at__isnull=False, computed_ship_by__isnull=False) & Q(
    promised_ship_at__lt=F("computed_ship_by")
)


def promise_examples(period: Period, *, limit: int = PROMISE_EXAMPLES) -> list[PromiseExample]:
    """L1: orders paid in the period whose platform promise is earlier than our own ship-by time, the largest gaps
    first. One query."""
    rows = (
        Order.objects.filter(period.q("paid_at"))
        .filter(PROMISE_EARLIER)
        .annotate(gap=ExpressionWrapper(F("computed_ship_by") - F("promised_ship_at"), output_field=DurationField()))
        .order_by("-gap", "number")
        .values_list("number", "paid_at", "promised_ship_at", "computed_ship_by", "shipped_at")[:limit]
    )
    return [PromiseExample(*row) for row in rows]


def shipped_on_time(period: Period, *, now: dt.datetime | None = None) -> ShippingReport:
    """L1: of the orders paid each day, the share shipped by their ship-by time: the platform's promised ship time
    when the order carries one, else ours (48 h, or the product's own). Beside it, how many orders carry the
    platform's promise and how many of those promise earlier than our own rules would, with examples.

    An order not shipped and past its ship-by time counts as missed; one still in time is left out of the rate until
    it ships or its time runs out; one cancelled or refunded before shipping is no longer to ship. One query, and one
    for the examples.
    """
    now = now or timezone.now()
    previous = period.previous()
    bucket_list = buckets(period)
    index = bucket_of(bucket_list)
    unshipped = Q(shipped_at__isnull=True)
    dropped = unshipped & Q(status__in=(Order.Status.CANCELLED, Order.Status.REFUNDED))
    live = ~Q(status__in=(Order.Status.CANCELLED, Order.Status.REFUNDED))
    # Counting paid_at (never null), not the id, leaves the row's id unread: the covering index on
    # paid_at holds every column counted here.
    rows = (
        Order.objects.filter(span_q(period, "paid_at"))
        .annotate(day=local_day("paid_at"))
        .values("day")
        .annotate(
            paid=Count("paid_at"),
            on_time=Count("paid_at", filter=Q(shipped_at__lte=F("ship_by"))),
            late=Count("paid_at", filter=Q(shipped_at__gt=F("ship_by"))),
            overdue=Count("paid_at", filter=unshipped & live & Q(ship_by__lte=now)),
            pending=Count("paid_at", filter=unshipped & live & Q(ship_by__gt=now)),
            cancelled=Count("paid_at", filter=dropped),
            promised=Count("paid_at", filter=Q(promised_ship_at__isnull=False)),
            promise_earlier=Count("paid_at", filter=PROMISE_EARLIER),
        )
        .order_by()
    )
    days = {bucket: ShippingDay(bucket) for bucket in bucket_list}
    total = ShippingDay(Bucket(period.first, period.last))
    before = ShippingDay(Bucket(previous.first, previous.last))
    for row in rows:
        day = _as_date(row["day"])
        if period.contains(day):
            days[index[day]].add(row)
            total.add(row)
        elif previous.contains(day):
            before.add(row)
    promise = PromiseComparison(
        promised=total.promised, earlier=total.promise_earlier, examples=promise_examples(period)
    )
    return ShippingReport(period=period, days=list(days.values()), total=total, previous=before, promise=promise)


# --- A7: refund handling and return review times -----------------------------------------------------------------


@dataclass
class HandlingSummary:
    opened: int = 0
    handled: int = 0
    within: int = 0
    missed: int = 0  # handled late, or still open past the deadline
    pending: int = 0  # still open, deadline not reached
    withdrawn: int = 0  # closed without a decision (the customer withdrew)
    p50: float | None = None  # seconds, of the handled ones
    p90: float | None = None

    @property
    def decided(self) -> int:
        return self.within + self.missed

    @property
    def within_rate(self) -> float | None:
        return pct(self.within, self.decided)

    def add(self, row: dict) -> None:
        for name in ("opened", "handled", "within", "missed", "pending", "withdrawn"):
            setattr(self, name, getattr(self, name) + row[name])


@dataclass
class HandlingDay:
    bucket: Bucket
    summary: HandlingSummary


@dataclass
class HandlingReport:
    period: Period
    kinds: tuple[str, ...]
    limit_hours: int | None  # None when the kinds have different deadlines
    days: list[HandlingDay]
    total: HandlingSummary
    previous: HandlingSummary

    def csv(self) -> tuple[list[str], list[list]]:
        header = [
            "first_opened_day",
            "last_opened_day",
            "opened",
            "handled",
            f"within_{self.limit_hours}h" if self.limit_hours else "within_deadline",
            "missed",
            "pending",
            "withdrawn",
            "within_rate_pct",
            "p50_hours",
            "p90_hours",
        ]
        rows = []
        for first, last, s in [
            *((d.bucket.first, d.bucket.last, d.summary) for d in self.days),
            (self.period.first, self.period.last, self.total),
        ]:
            rows.append(
                [
                    first,
                    last,
                    s.opened,
                    s.handled,
                    s.within,
                    s.missed,
                    s.pending,
                    s.withdrawn,
                    _round(s.within_rate),
                    _hours(s.p50),
                    _hours(s.p90),
                ]
            )
        return header, rows


def handling_times(period: Period, *, limits: dict[str, int], now: dt.datetime | None = None) -> HandlingReport:
    """A7: applications of these kinds opened in the period, how long until decided (p50, p90) and the share in time.

    The clock runs from opening (created_at) to the decision (handled_at: approved or rejected). An application still
    open past the limit counts as missed; one still within it is pending; one closed without a decision is withdrawn.
    Two percentile queries (one per period) and one count query.
    """
    now = now or timezone.now()
    previous = period.previous()
    kinds = tuple(limits)
    bucket_list = buckets(period)
    index = bucket_of(bucket_list)
    cases = Case.objects.filter(kind__in=kinds)
    unhandled = Q(handled_at__isnull=True)
    still_open = unhandled & Q(status__in=OPEN_STATUSES)
    # Each kind against its own deadline setting (A7: a return and an exchange may differ).
    deadline = DbCase(
        *(
            When(
                kind=kind,
                then=ExpressionWrapper(F("created_at") + dt.timedelta(hours=hours), output_field=DateTimeField()),
            )
            for kind, hours in limits.items()
        ),
        output_field=DateTimeField(),
    )
    rows = (
        cases.filter(span_q(period, "created_at"))
        .annotate(day=local_day("created_at"), deadline=deadline)
        .values("day")
        .annotate(
            opened=Count("pk"),
            handled=Count("pk", filter=Q(handled_at__isnull=False)),
            within=Count("pk", filter=Q(handled_at__lte=F("deadline"))),
            missed=Count("pk", filter=Q(handled_at__gt=F("deadline")) | (still_open & Q(deadline__lt=now))),
            pending=Count("pk", filter=still_open & Q(deadline__gte=now)),
            withdrawn=Count("pk", filter=unhandled & ~Q(status__in=OPEN_STATUSES)),
        )
        .order_by()
    )
    days = {bucket: HandlingSummary() for bucket in bucket_list}
    total, before = HandlingSummary(), HandlingSummary()
    for row in rows:
        day = _as_date(row["day"])
        if period.contains(day):
            days[index[day]].add(row)
            total.add(row)
        elif previous.contains(day):
            before.add(row)
    for summary, span in ((total, period), (before, previous)):
        if summary.handled:
            summary.p50, summary.p90 = duration_percentiles(
                cases.filter(span.q("created_at")), start_field="created_at", end_field="handled_at"
            )
    return HandlingReport(
        period=period,
        kinds=kinds,
        limit_hours=next(iter(set(limits.values()))) if len(set(limits.values())) == 1 else None,
        days=[HandlingDay(bucket, summary) for bucket, summary in days.items()],
        total=total,
        previous=before,
    )


def refund_handling(period: Period, *, store: StoreSettings | None = None, now=None) -> HandlingReport:
    """A7: a refund application is handled within 48 hours (the store's setting)."""
    store = store or StoreSettings.load()
    return handling_times(period, limits={CaseKind.REFUND: store.refund_handle_hours}, now=now)


def return_review(period: Period, *, store: StoreSettings | None = None, now=None) -> HandlingReport:
    """A7: a return (or exchange) application is reviewed within 24 hours (each kind's own store setting)."""
    store = store or StoreSettings.load()
    limits = {CaseKind.RETURN: store.return_review_hours, CaseKind.EXCHANGE: store.exchange_review_hours}
    return handling_times(period, limits=limits, now=now)


# --- A10: reviews revised ---------------------------------------------------------------------------------------


@dataclass
class ReviewCounts:
    cases: int = 0
    revised: int = 0
    not_revised: int = 0
    unknown: int = 0

    @property
    def known(self) -> int:
        return self.revised + self.not_revised

    @property
    def revised_rate(self) -> float | None:
        """Of the reviews whose outcome is known, the share the customer revised."""
        return pct(self.revised, self.known)


@dataclass
class ReviewReport:
    period: Period
    total: ReviewCounts
    previous: ReviewCounts

    def csv(self) -> tuple[list[str], list[list]]:
        header = [
            "period_first_day",
            "period_last_day",
            "review_cases",
            "revised",
            "not_revised",
            "unknown",
            "revised_rate_pct",
        ]
        previous = self.period.previous()
        return header, [
            [span.first, span.last, c.cases, c.revised, c.not_revised, c.unknown, _round(c.revised_rate)]
            for span, c in ((previous, self.previous), (self.period, self.total))
        ]


def reviews_revised(period: Period) -> ReviewReport:
    """A10: mid/negative-review cases opened in the period and whether the customer revised the review. One query."""
    previous = period.previous()
    counts = {}
    for name, span in (("now", period), ("before", previous)):
        in_span = span.q("created_at")
        counts.update(
            {
                f"{name}_cases": Count("pk", filter=in_span),
                f"{name}_revised": Count("pk", filter=in_span & Q(review_revised=True)),
                f"{name}_not_revised": Count("pk", filter=in_span & Q(review_revised=False)),
                f"{name}_unknown": Count("pk", filter=in_span & Q(review_revised__isnull=True)),
            }
        )
    row = Case.objects.filter(span_q(period, "created_at"), kind=CaseKind.REVIEW).aggregate(**counts)

    def pick(name):
        return ReviewCounts(
            cases=row[f"{name}_cases"],
            revised=row[f"{name}_revised"],
            not_revised=row[f"{name}_not_revised"],
            unknown=row[f"{name}_unknown"],
        )

    return ReviewReport(period=period, total=pick("now"), previous=pick("before"))


# --- A12: CSAT --------------------------------------------------------------------------------------------------


@dataclass
class CsatCounts:
    label: str = ""
    answered: int = 0
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0

    @property
    def csat(self) -> float | None:
        """CSAT: the share of answers that are "satisfied"."""
        return pct(self.satisfied, self.answered)

    @property
    def dissatisfied_rate(self) -> float | None:
        return pct(self.dissatisfied, self.answered)


@dataclass
class CsatReport:
    period: Period
    total: CsatCounts
    previous: CsatCounts
    sent: int
    agents: list[CsatCounts]

    @property
    def answer_rate(self) -> float | None:
        return pct(self.total.answered, self.sent)

    def csv(self) -> tuple[list[str], list[list]]:
        header = ["agent", "answered", "satisfied", "neutral", "dissatisfied", "csat_pct"]
        return header, [
            [c.label, c.answered, c.satisfied, c.neutral, c.dissatisfied, _round(c.csat)]
            for c in [*self.agents, self.total]
        ]


def csat(period: Period) -> CsatReport:
    """A12: the surveys sent in the period and their answers: satisfied / neutral / dissatisfied, CSAT per agent of
    the case.

    Answers are counted with the survey they answer (a survey sent on Sunday and answered on Monday belongs to
    Sunday's period), so the numbers add up: never more answers than surveys sent, and the agents' rows sum to the
    total. Three queries: both periods' counts, and the per-agent split.
    """
    from surveys.models import Survey

    answer = Survey.Answer
    previous = period.previous()
    counts = {}
    for name, span in (("now", period), ("before", previous)):
        sent_in = span.q("sent_at")
        answered = sent_in & Q(answered_at__isnull=False)
        counts.update(
            {
                f"{name}_sent": Count("pk", filter=sent_in),
                f"{name}_answered": Count("pk", filter=answered),
                f"{name}_satisfied": Count("pk", filter=answered & Q(answer=answer.SATISFIED)),
                f"{name}_neutral": Count("pk", filter=answered & Q(answer=answer.NEUTRAL)),
                f"{name}_dissatisfied": Count("pk", filter=answered & Q(answer=answer.DISSATISFIED)),
            }
        )
    row = Survey.objects.filter(span_q(period, "sent_at")).aggregate(**counts)

    def pick(name, label):
        return CsatCounts(
            label=str(label),
            answered=row[f"{name}_answered"],
            satisfied=row[f"{name}_satisfied"],
            neutral=row[f"{name}_neutral"],
            dissatisfied=row[f"{name}_dissatisfied"],
        )

    per_agent = (
        Survey.objects.filter(period.q("sent_at"), answered_at__isnull=False)
        .values("case__assignee", "case__assignee__username", "case__assignee__last_name", "case__assignee__first_name")
        .annotate(
            answered=Count("pk"),
            satisfied=Count("pk", filter=Q(answer=answer.SATISFIED)),
            neutral=Count("pk", filter=Q(answer=answer.NEUTRAL)),
            dissatisfied=Count("pk", filter=Q(answer=answer.DISSATISFIED)),
        )
        .order_by()
    )
    agents = []
    for item in per_agent:
        if item["case__assignee"] is None:
            label = str(_("Unassigned"))
        else:
            label = display_name(
                username=item["case__assignee__username"],
                first_name=item["case__assignee__first_name"],
                last_name=item["case__assignee__last_name"],
            )
        agents.append(
            CsatCounts(
                label=label,
                answered=item["answered"],
                satisfied=item["satisfied"],
                neutral=item["neutral"],
                dissatisfied=item["dissatisfied"],
            )
        )
    agents.sort(key=lambda c: (-c.answered, c.label))
    return CsatReport(
        period=period,
        total=pick("now", ALL_AGENTS),
        previous=pick("before", ALL_AGENTS),
        sent=row["now_sent"],
        agents=agents,
    )


# --- A9/A10/L3: follow-up coupons -------------------------------------------------------------------------------


@dataclass
class CouponRow:
    label: str
    issued: int = 0
    issued_fen: int = 0
    used: int = 0
    used_fen: int = 0

    @property
    def used_rate(self) -> float | None:
        return pct(self.used, self.issued)


@dataclass
class CouponReport:
    period: Period
    campaigns: list[CouponRow]
    total: CouponRow
    previous: CouponRow

    def csv(self) -> tuple[list[str], list[list]]:
        header = ["campaign", "issued", "issued_fen", "used_so_far", "used_fen", "used_rate_pct"]
        return header, [
            [c.label, c.issued, c.issued_fen, c.used, c.used_fen, _round(c.used_rate)]
            for c in [*self.campaigns, self.total]
        ]


def followup_coupons(period: Period) -> CouponReport:
    """A9, A10, L3: follow-up coupons issued in the period per campaign, and how many of them were spent so far.

    One query for both periods.
    """
    previous = period.previous()
    used = Q(state=Coupon.State.USED)
    rows = (
        Coupon.objects.filter(span_q(period, "issued_at"), campaign__isnull=False)
        .values("campaign", "campaign__name")
        .annotate(
            issued=Count("pk", filter=period.q("issued_at")),
            issued_fen=Sum("value_fen", filter=period.q("issued_at"), default=0),
            used=Count("pk", filter=period.q("issued_at") & used),
            used_fen=Sum("value_fen", filter=period.q("issued_at") & used, default=0),
            before_issued=Count("pk", filter=previous.q("issued_at")),
            before_issued_fen=Sum("value_fen", filter=previous.q("issued_at"), default=0),
            before_used=Count("pk", filter=previous.q("issued_at") & used),
            before_used_fen=Sum("value_fen", filter=previous.q("issued_at") & used, default=0),
        )
        .order_by()
    )
    campaigns = []
    total, before = CouponRow(str(_("All campaigns"))), CouponRow(str(_("All campaigns")))
    for row in rows:
        if row["issued"]:
            campaigns.append(
                CouponRow(row["campaign__name"], row["issued"], row["issued_fen"], row["used"], row["used_fen"])
            )
        for target, prefix in ((total, ""), (before, "before_")):
            target.issued += row[f"{prefix}issued"]
            target.issued_fen += row[f"{prefix}issued_fen"]
            target.used += row[f"{prefix}used"]
            target.used_fen += row[f"{prefix}used_fen"]
    campaigns.sort(key=lambda c: (-c.issued, c.label))
    return CouponReport(period=period, campaigns=campaigns, total=total, previous=before)


# --- helpers for CSV --------------------------------------------------------------------------------------------


def _round(value: float | None, digits: int = 1):
    return "" if value is None else round(value, digits)


def _hours(seconds: float | None):
    return "" if seconds is None else round(seconds / 3600, 2)


# The reports a supervisor can open and export, in page order.
REPORTS = {
    "reasons": (_("After-sales reasons"), reason_shares),
    "products": (_("Reasons by product"), reasons_by_product),
    "couriers": (_("Reasons by courier"), reasons_by_courier),
    "response": (_("3-minute response rate"), response_rates),
    "shipping": (_("Shipped on time"), shipped_on_time),
    "refunds": (_("Refund handling time"), refund_handling),
    "returns": (_("Return review time"), return_review),
    "reviews": (_("Reviews revised"), reviews_revised),
    "csat": (_("Customer satisfaction"), csat),
    "coupons": (_("Follow-up coupons"), followup_coupons),
}


# --- the team's workload now ------------------------------------------------------------------------------------


@dataclass
class WorkloadRow:
    user_id: int | None
    label: str
    username: str = ""
    open: int = 0
    by_desk: dict[str, int] = field(default_factory=dict)
    due_soon: int = 0
    overdue: int = 0
    waiting: int = 0
    replies_today: int = 0
    on_duty: bool = False
    answered_today: int = 0  # R1: customer waits of today that this person answered or left unanswered
    in_time_today: int = 0
    desks: list[str] = field(default_factory=list)  # the order of by_desk_cells

    @property
    def by_desk_cells(self) -> list[int]:
        return [self.by_desk.get(desk, 0) for desk in self.desks]

    @property
    def rate_today(self) -> float | None:
        return pct(self.in_time_today, self.answered_today)


@dataclass
class Workload:
    rows: list[WorkloadRow]
    unassigned: WorkloadRow
    desks: list[tuple[str, str]]
    now: dt.datetime

    @property
    def total(self) -> WorkloadRow:
        total = WorkloadRow(None, str(_("Total")), desks=[desk for desk, _label in self.desks])
        for row in [*self.rows, self.unassigned]:
            total.open += row.open
            total.due_soon += row.due_soon
            total.overdue += row.overdue
            total.waiting += row.waiting
            total.replies_today += row.replies_today
            total.answered_today += row.answered_today
            total.in_time_today += row.in_time_today
            for desk, n in row.by_desk.items():
                total.by_desk[desk] = total.by_desk.get(desk, 0) + n
        return total


def workload(*, now: dt.datetime | None = None, store: StoreSettings | None = None) -> Workload:
    """Open, due-soon and overdue cases per assignee across the desks, and each person's replies today (R1).

    "Due soon" and "overdue" are the queues' own definitions. Three queries whatever the number of cases.
    """
    from backoffice.cases.forms import staff_users
    from backoffice.cases.queues import queue_filter

    now = now or timezone.now()
    store = store or StoreSettings.load()
    due_soon = dt.timedelta(minutes=store.due_soon_minutes)
    desks = [(desk.value, str(desk.label)) for desk in Desk]
    per_desk = {f"desk_{desk}": Count("pk", filter=Q(desk=desk)) for desk, _label in desks}
    cases = (
        Case.objects.filter(status__in=OPEN_STATUSES)
        .values("assignee")
        .annotate(
            open=Count("pk"),
            due_soon=Count("pk", filter=queue_filter("due_soon", user=None, now=now, due_soon=due_soon)),
            overdue=Count("pk", filter=queue_filter("overdue", user=None, now=now, due_soon=due_soon)),
            waiting=Count("pk", filter=queue_filter("waiting", user=None, now=now, due_soon=due_soon)),
            **per_desk,
        )
        .order_by()
    )
    today = dt.datetime.combine(timezone.localdate(now), dt.time.min, local_tz())
    replies = (
        CaseEvent.objects.filter(type=EventType.REPLY, at__gte=today, at__lte=now)
        .values("actor")
        .annotate(n=Count("pk"))
        .order_by()
    )
    waits, met = decided_waits(now=now)
    todays_waits = (
        waits.filter(started_at__gte=today, started_at__lte=now)
        .annotate(agent=Coalesce("answered_by", "case__assignee"))
        .values("agent")
        .annotate(total=Count("pk"), met=Count("pk", filter=met))
        .order_by()
    )
    keys = [desk for desk, _label in desks]
    rows: dict = {user.pk: WorkloadRow(user.pk, staff_label(user), user.username, desks=keys) for user in staff_users()}
    unassigned = WorkloadRow(None, str(_("Unassigned")), desks=keys)
    missing = []

    def row_for(user_id):
        if user_id is None:
            return unassigned
        if user_id not in rows:
            rows[user_id] = WorkloadRow(user_id, "", desks=keys)
            missing.append(user_id)
        return rows[user_id]

    for item in cases:
        row = row_for(item["assignee"])
        row.open, row.due_soon, row.overdue, row.waiting = (
            item["open"],
            item["due_soon"],
            item["overdue"],
            item["waiting"],
        )
        row.by_desk = {desk: item[f"desk_{desk}"] for desk, _label in desks if item[f"desk_{desk}"]}
    for item in replies:
        if item["actor"] is None:
            continue
        row_for(item["actor"]).replies_today = item["n"]
    for item in todays_waits:
        if item["agent"] is None:
            continue
        row = row_for(item["agent"])
        row.answered_today, row.in_time_today = item["total"], item["met"]
    if missing:
        # People without a desk role who still hold cases or replied today (a store admin, a former agent).
        for user in get_user_model().objects.filter(pk__in=missing):
            rows[user.pk].label, rows[user.pk].username = staff_label(user), user.username
    for user_id in StaffProfile.objects.filter(on_duty=True).values_list("user_id", flat=True):
        if user_id in rows:
            rows[user_id].on_duty = True
    ordered = sorted(rows.values(), key=lambda r: (-r.overdue, -r.open, r.label))
    return Workload(rows=ordered, unassigned=unassigned, desks=desks, now=now)
