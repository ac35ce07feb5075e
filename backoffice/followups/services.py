"""Follow-up coupon campaigns (A9, A10, L3): schedule a follow-up row when a case ends, send it once, 1–2 days later.

Public API (the desks call these):
- on_trigger(*, trigger, case, actor) -> FollowUp | None
- after_case_closed / after_case_resolved / after_case_reopened(*, case, actor): the closure hook lists.
- issue_manual_coupon(*, case, value_fen, actor, reason) -> Coupon: a coupon given by hand (A13 call-backs).
Trigger names: "aftersales_refund_closed" (A9), "review_resolved" (A10), "out_of_stock_wait" (L3), and the others
in models.Trigger.

Exactly once: a unique (case, campaign) row; the dispatcher claims it with a conditional update inside the same
transaction that issues the coupon and queues the message (idempotency key "followup:<id>"), so a second beat, a
retried task or a worker killed half-way either finds the row taken or rolled back with nothing sent. Celery only
wakes the sweep; the due time lives in the database, so a broker outage only delays the sending.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Count, F, OuterRef, Prefetch, Q, Subquery, Sum, Value, prefetch_related_objects
from django.db.models.functions import Cast, Concat, TruncWeek
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from backoffice import dispatch
from backoffice.cases.services import record_event
from backoffice.errors import DomainError
from backoffice.messaging import outbox
from backoffice.models import (
    AFTER_CLOSURE_TRIGGERS,
    OPEN_STATUSES,
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    Coupon,
    Customer,
    Desk,
    EventType,
    FollowUp,
    OutboundMessage,
    Shipment,
    StoreSettings,
    Trigger,
)
from backoffice.store.businesshours import Calendar
from backoffice.store.money import format_fen

logger = logging.getLogger(__name__)

TRIGGER_REFUND_CLOSED = Trigger.AFTERSALES_REFUND_CLOSED.value
TRIGGER_REVIEW_RESOLVED = Trigger.REVIEW_RESOLVED.value
TRIGGER_OUT_OF_STOCK_WAIT = Trigger.OUT_OF_STOCK_WAIT.value

# After-sales resolutions that gave money back (A9: "after the refund arrived or the return completed").
REFUND_RESOLUTIONS = frozenset({"refunded", "returned_refunded"})
MAX_ATTEMPTS = 5
BATCH = 1000
# Rows sent in one transaction: a chunk takes about a second, so a task of one chunk stays short.
CHUNK = 500


# --- scheduling -------------------------------------------------------------------------------------------------


def sending_window(campaign: Campaign, store: StoreSettings) -> tuple[dt.timedelta, dt.timedelta]:
    if campaign.delay_min_hours is None or campaign.delay_max_hours is None:
        low, high = store.followup_delay_min_hours, store.followup_delay_max_hours
    else:
        low, high = campaign.delay_min_hours, campaign.delay_max_hours
    return dt.timedelta(hours=low), dt.timedelta(hours=max(low, high))


def due_time(*, start: dt.datetime, campaign: Campaign, store: StoreSettings, calendar: Calendar) -> dt.datetime:
    """A9 ("1–2 days after"): the first open moment of the store inside the window `delay_min`–`delay_max` after
    `start`; never at night.

    When the window holds no opening hours (a weekend, a long holiday), the send goes to whichever open moment lies
    nearer the window: the last one before it (after `start`), or the first one after it.
    """
    earliest, latest = sending_window(campaign, store)
    if not calendar.hours:
        return start + earliest
    after = calendar.next_open(start + earliest)
    if after is not None and after <= start + latest:
        return after
    before = _last_open_moment(calendar, start=start, end=start + latest)
    if before is None:
        return after or start + earliest
    if after is None or (start + earliest) - before < after - (start + latest):
        return before
    return after


# A send planned at the very end of an opening span would find the store closed if the beat ran a little late.
CLOSING_MARGIN = dt.timedelta(minutes=30)


def _last_open_moment(calendar: Calendar, *, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """The latest moment between `start` and `end` when the store is open (a margin before it closes), if any."""
    first_day, day = timezone.localtime(start).date(), timezone.localtime(end).date()
    while day >= first_day:
        for span_start, span_end in reversed(calendar.spans_on(day)):
            low = max(span_start, start)
            moment = min(end, span_end - CLOSING_MARGIN)
            if moment >= low:
                return moment
            if span_end > low and min(end, span_end) > low:
                return low
        day -= dt.timedelta(days=1)
    return None


def on_trigger(*, trigger: str, case: Case, actor, at: dt.datetime | None = None) -> FollowUp | None:
    """Schedule the follow-up of every active campaign on this trigger for the case (A9, A10, L3).

    Runs inside the caller's transaction, so the follow-up exists exactly when the close (or the accepted wait)
    does. Returns the first follow-up, or None when no campaign applies or the case has no customer.
    """
    scheduled = schedule_followups(trigger=trigger, case=case, actor=actor, at=at)
    return scheduled[0] if scheduled else None


def schedule_followups(*, trigger: str, case: Case, actor, at: dt.datetime | None = None) -> list[FollowUp]:
    if case.customer_id is None:
        return []
    campaigns = list(Campaign.objects.filter(trigger=trigger, active=True).order_by("pk"))
    if not campaigns:
        return []
    now = at or timezone.now()
    store = StoreSettings.load()
    calendar = Calendar.for_store(store)
    return [
        _schedule_one(case=case, campaign=campaign, actor=actor, now=now, store=store, calendar=calendar)
        for campaign in campaigns
    ]


def _schedule_one(
    *, case: Case, campaign: Campaign, actor, now: dt.datetime, store: StoreSettings, calendar: Calendar
) -> FollowUp:
    due = due_time(start=now, campaign=campaign, store=store, calendar=calendar)
    with transaction.atomic():
        existing = FollowUp.objects.filter(case=case, campaign=campaign).first()
        if existing is not None:
            # Once per case and campaign: only a follow-up cancelled by a reopening comes back when the case closes again.
            revived = FollowUp.objects.filter(pk=existing.pk, state=FollowUp.State.CANCELLED).update(
                state=FollowUp.State.SCHEDULED, due_at=due, triggered_at=now, note="", closed_at=None, attempts=0
            )
            existing.refresh_from_db()
            if revived:
                _scheduled_event(existing, campaign=campaign, actor=actor)
            return existing
        try:
            with transaction.atomic():
                followup = FollowUp.objects.create(
                    case=case, campaign=campaign, customer_id=case.customer_id, triggered_at=now, due_at=due
                )
        except IntegrityError:
            return FollowUp.objects.get(case=case, campaign=campaign)
        _scheduled_event(followup, campaign=campaign, actor=actor)
    if due <= timezone.now():
        transaction.on_commit(lambda: _enqueue(followup.pk))
    return followup


def _scheduled_event(followup: FollowUp, *, campaign: Campaign, actor) -> None:
    record_event(
        case=followup.case,
        type=EventType.FOLLOWUP_SCHEDULED,
        actor=actor,
        body=f"{campaign.name} · {timezone.localtime(followup.due_at):%m-%d %H:%M}",
        target=f"followup:{followup.pk}",
        after={
            "campaign": campaign.key,
            "due_at": followup.due_at.isoformat(),
            "amount_fen": campaign.coupon_value_fen,
        },
    )


def _enqueue(followup_id: int) -> None:
    """Best effort: a follow-up due now goes out at once; if the broker is down the beat sweep sends it later."""
    dispatch.enqueue("backoffice.tasks.dispatch_followup_task", followup_id)


def cancel_followups(*, case: Case, actor, reason: str, triggers=AFTER_CLOSURE_TRIGGERS) -> int:
    """Cancel the case's pending follow-ups (reopening a case takes back its thank-you). Sent ones stay sent."""
    now = timezone.now()
    cancelled = 0
    pending = FollowUp.objects.filter(case=case, state=FollowUp.State.SCHEDULED, campaign__trigger__in=triggers)
    for followup in pending.select_related("campaign"):
        if _close(followup, state=FollowUp.State.CANCELLED, note=reason, now=now, actor=actor):
            cancelled += 1
    return cancelled


def _close(followup: FollowUp, *, state: str, note: str, now: dt.datetime, actor=None) -> bool:
    with transaction.atomic():
        updated = FollowUp.objects.filter(pk=followup.pk, state=FollowUp.State.SCHEDULED).update(
            state=state, note=note[:200], closed_at=now
        )
        if updated:
            record_event(
                case=followup.case,
                type=EventType.FOLLOWUP_CANCELLED if state == FollowUp.State.CANCELLED else EventType.FOLLOWUP_REFUSED,
                actor=actor,
                at=now,
                body=f"{followup.campaign.name} — {note}",
                target=f"followup:{followup.pk}",
                after={"campaign": followup.campaign.key, "state": state},
            )
    return bool(updated)


# --- closure hooks ----------------------------------------------------------------------------------------------


def after_case_closed(*, case: Case, actor) -> None:
    """A9 starts when the refund arrived, not at the click on Close (the desk calls on_trigger then); a case
    reopened and closed again gets back the follow-up its reopening cancelled.

    Also the admins' own triggers: any other after-sales closure, any logistics closure. A review case resolved
    and then closed was scheduled when it was resolved (A10); closing it again changes nothing.
    """
    if case.desk == Desk.AFTERSALES:
        if case.resolution in REFUND_RESOLUTIONS:
            arrived = refund_arrived_at(case)
            if arrived is not None:
                on_trigger(trigger=Trigger.AFTERSALES_REFUND_CLOSED, case=case, actor=actor, at=arrived)
        elif case.resolution and case.resolution != "rejected":
            on_trigger(trigger=Trigger.AFTERSALES_CLOSED, case=case, actor=actor)
        if case.kind == CaseKind.REVIEW and case.resolved_at is not None:
            on_trigger(trigger=Trigger.REVIEW_RESOLVED, case=case, actor=actor)
    elif case.desk == Desk.LOGISTICS:
        on_trigger(trigger=Trigger.LOGISTICS_CLOSED, case=case, actor=actor)


def refund_arrived_at(case: Case) -> dt.datetime | None:
    """When the platform (or an agent) last confirmed that a refund on the case arrived (A3, A9)."""
    return (
        CaseEvent.objects.filter(case=case, type=EventType.PAYOUT_SUCCEEDED, after__kind="refund")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def after_case_resolved(*, case: Case, actor) -> None:
    """A10: a mid/negative-review case resolved schedules its apology with a 15 yuan coupon."""
    if case.kind == CaseKind.REVIEW:
        on_trigger(trigger=Trigger.REVIEW_RESOLVED, case=case, actor=actor)


def after_case_reopened(*, case: Case, actor) -> None:
    """Reopening a case cancels its pending follow-ups; closing it again schedules them anew."""
    cancel_followups(case=case, actor=actor, reason=_("the case was reopened"))


# --- dispatch ---------------------------------------------------------------------------------------------------


def dispatch_due(*, now: dt.datetime | None = None, limit: int = BATCH, calendar: Calendar | None = None) -> Counter:
    """Beat: send the follow-ups whose time has come, a chunk at a time, up to `limit` of them (until none is due).

    Safe with many dispatchers at once and after any outage: each chunk takes only rows no other dispatcher holds.
    """
    now = now or timezone.now()
    store = StoreSettings.load()
    calendar = calendar or Calendar.for_store(store)
    results: Counter = Counter()
    while (size := min(CHUNK, limit - results.total())) > 0:
        chunk = dispatch_chunk(now=now, size=size, calendar=calendar, store=store)
        results.update(chunk)
        # A short chunk means nothing more is due; a deferral moved every due row to the store's next opening.
        if chunk.total() < size or chunk["deferred"]:
            break
    return +results


def dispatch_chunk(*, now: dt.datetime, size: int, calendar: Calendar, store: StoreSettings) -> Counter:
    """Send up to `size` due follow-ups in one transaction, with a few statements for the whole chunk.

    If anything in the chunk fails, the chunk is rolled back and its rows are sent one by one, each in its own
    transaction, so the row that fails is recorded on that row (attempts, error) and the others still go out.
    """
    ids: list[int] = []
    try:
        with transaction.atomic():
            if calendar.hours and not calendar.is_open(now):
                return +Counter(deferred=defer_due(now=now, calendar=calendar))
            rows = lock_due(now=now, limit=size)
            ids = [row.pk for row in rows]
            return _dispatch_rows(rows, now=now, store=store)
    except Exception:
        if not ids:
            raise
        logger.exception("a chunk of %s follow-ups failed as a whole; sending them one by one", len(ids))
    return Counter(dispatch_followup(followup_id, calendar=calendar, store=store) for followup_id in ids)


def defer_due(*, now: dt.datetime, calendar: Calendar) -> int:
    """Never at night: a sweep after an outage or a long holiday moves every due row to the store's next opening."""
    return FollowUp.objects.filter(state=FollowUp.State.SCHEDULED, due_at__lte=now).update(
        due_at=calendar.next_open(now) or now
    )


def lock_due(*, now: dt.datetime, limit: int) -> list[FollowUp]:
    """The oldest due rows that no other dispatcher holds, locked until the chunk commits.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent dispatchers take different rows instead of waiting on the same
    ones. SQLite: the transaction already holds the database's one write lock (immediate mode). Either way the rows
    read here stay as read until the chunk commits, so claim_chunk takes each of them.
    """
    due = FollowUp.objects.filter(state=FollowUp.State.SCHEDULED, due_at__lte=now).order_by("due_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    rows = list(due.select_related("case__order", "customer")[:limit])
    # The chunk's few campaigns (and their templates), read once and shared by their rows.
    campaigns = Campaign.objects.select_related("template").in_bulk({row.campaign_id for row in rows})
    for row in rows:
        row.campaign = campaigns[row.campaign_id]
    return rows


class ClaimLost(Exception):
    """Another dispatcher changed a row of the chunk between reading and claiming it."""


def claim_chunk(rows: list[FollowUp], *, now: dt.datetime) -> list[FollowUp]:
    """The claim for a chunk: one conditional update turns the rows from scheduled (and due) to sent.

    Every row must turn: a row that did not was taken or changed by someone else, so the chunk is refused
    (ClaimLost rolls it back and its rows go one by one through claim_for_sending).
    """
    if not rows:
        return []
    claimed = FollowUp.objects.filter(
        pk__in=[row.pk for row in rows], state=FollowUp.State.SCHEDULED, due_at__lte=now
    ).update(state=FollowUp.State.SENT, sent_at=now, attempts=F("attempts") + 1, last_error="")
    if claimed != len(rows):
        raise ClaimLost(f"{len(rows) - claimed} of {len(rows)} follow-ups were no longer due")
    for row in rows:
        row.state, row.sent_at, row.attempts, row.last_error = FollowUp.State.SENT, now, row.attempts + 1, ""
    return rows


def _dispatch_rows(rows: list[FollowUp], *, now: dt.datetime, store: StoreSettings) -> Counter:
    """_dispatch for a chunk of locked due rows: the same rules, in the same order, row by row; the writes in bulk."""
    results: Counter = Counter()
    live = []
    for followup in rows:
        cancel = _cancel_reason(followup)
        if cancel:
            _close(followup, state=FollowUp.State.CANCELLED, note=cancel, now=now)
            results["cancelled"] += 1
        else:
            live.append(followup)
    claimed = claim_chunk(live, now=now)
    refusals = chunk_refusals(claimed, now=now)
    _record_refusals([f for f in claimed if f.pk in refusals], refusals, now=now)
    results["refused"] += len(refusals)
    sending = [f for f in claimed if f.pk not in refusals]
    _send_chunk(sending, now=now, store=store)
    results["sent"] += len(sending)
    # A campaign without a budget only counts what it issued: its row is raised once, at the very end of the chunk,
    # so no dispatcher waits on it while the chunk is written.
    for campaign_id, value in _unbudgeted_spend(sending).items():
        Campaign.objects.filter(pk=campaign_id).update(spent_fen=F("spent_fen") + value)
    return +results


def _cancel_reason(followup: FollowUp) -> str:
    campaign = followup.campaign
    if campaign.trigger in AFTER_CLOSURE_TRIGGERS and followup.case.status in OPEN_STATUSES:
        return _("the case was reopened")
    if not campaign.active:
        return _("the campaign is switched off")
    return ""


def chunk_refusals(rows: list[FollowUp], *, now: dt.datetime) -> dict[int, tuple[str, str]]:
    """_refusal for a chunk, by follow-up id, as if its rows were sent one after the other: the per-customer cap
    (earlier coupons counted in one query per campaign, plus the chunk's own), then the campaign's budget (taken for
    the chunk in one conditional update). The budgets' spend already counts the rows not refused."""
    refusals: dict[int, tuple[str, str]] = {}
    capped = [f for f in rows if f.campaign.cap_per_customer]
    issued = _recent_coupons(capped, now=now) if capped else Counter()
    by_campaign: dict[int, list[FollowUp]] = {}
    for followup in rows:
        by_campaign.setdefault(followup.campaign_id, []).append(followup)
    for wanting in by_campaign.values():
        campaign = wanting[0].campaign
        fits = len(wanting)
        if campaign.budget_fen is not None:
            fits = reserve_budget(campaign, len(_within_caps(wanting, Counter(issued))))
        for followup in wanting:
            key = (followup.customer_id, followup.campaign_id)
            if campaign.cap_per_customer and issued[key] >= campaign.cap_per_customer:
                refusals[followup.pk] = (
                    "cap",
                    _("the customer already got %(count)s coupon(s) in %(days)s days")
                    % {"count": issued[key], "days": campaign.cap_days},
                )
            elif fits > 0:
                fits -= 1
                issued[key] += 1
            else:
                refusals[followup.pk] = ("budget", _("the campaign's budget is spent"))
    return refusals


def _within_caps(rows: list[FollowUp], issued: Counter) -> list[FollowUp]:
    """The rows the per-customer caps let through, in order, if the budget allowed them all."""
    through = []
    for followup in rows:
        key, cap = (followup.customer_id, followup.campaign_id), followup.campaign.cap_per_customer
        if not cap or issued[key] < cap:
            issued[key] += 1
            through.append(followup)
    return through


def _recent_coupons(rows: list[FollowUp], *, now: dt.datetime) -> Counter:
    """Coupons each (customer, campaign) of the rows got within the campaign's cap period."""
    customer_ids = sorted({f.customer_id for f in rows})
    if connection.features.has_select_for_update:
        # Serialise coupons per customer (PostgreSQL row locks, taken in one order so two chunks never deadlock;
        # SQLite's one write lock already does it).
        list(Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk").values_list("pk"))
    issued: Counter = Counter()
    campaigns = {f.campaign_id: f.campaign for f in rows}
    for campaign in campaigns.values():
        recent = (
            Coupon.objects.filter(
                customer_id__in={f.customer_id for f in rows if f.campaign_id == campaign.pk},
                campaign=campaign,
                issued_at__gt=now - dt.timedelta(days=campaign.cap_days),
            )
            .values_list("customer_id")
            .annotate(count=Count("pk"))
            .order_by()
        )
        for customer_id, count in recent:
            issued[(customer_id, campaign.pk)] = count
    return issued


def reserve_budget(campaign: Campaign, wanted: int) -> int:
    """Take budget for up to `wanted` coupons of the campaign at once; returns how many fit (the first ones).

    The conditional update refuses to pass the budget whatever `campaign.spent_fen` said when it was read: when
    another dispatcher spent meanwhile, it reads the spend again and takes fewer.
    """
    value, budget = campaign.coupon_value_fen, campaign.budget_fen
    spent = campaign.spent_fen
    while wanted > 0:
        if spent > budget:
            return 0
        fits = min(wanted, (budget - spent) // value) if value else wanted
        if fits <= 0:
            return 0
        taken = Campaign.objects.filter(pk=campaign.pk, spent_fen__lte=budget - fits * value).update(
            spent_fen=F("spent_fen") + fits * value
        )
        if taken:
            campaign.spent_fen = spent + fits * value
            return fits
        spent = Campaign.objects.filter(pk=campaign.pk).values_list("spent_fen", flat=True).get()
    return 0


def _unbudgeted_spend(rows: list[FollowUp]) -> Counter:
    spend: Counter = Counter()
    for followup in rows:
        if followup.campaign.budget_fen is None:
            spend[followup.campaign_id] += followup.campaign.coupon_value_fen
    return spend


def _record_refusals(rows: list[FollowUp], refusals: dict[int, tuple[str, str]], *, now: dt.datetime) -> None:
    for followup in rows:
        followup.state, followup.sent_at, followup.closed_at = FollowUp.State.REFUSED, None, now
        followup.note = refusals[followup.pk][1][:200]
    FollowUp.objects.bulk_update(rows, ["state", "sent_at", "note", "closed_at"])
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=followup.case,
            type=EventType.FOLLOWUP_REFUSED,
            at=now,
            body=f"{followup.campaign.name} — {refusals[followup.pk][1]}",
            target=f"followup:{followup.pk}",
            after={
                "campaign": followup.campaign.key,
                "state": FollowUp.State.REFUSED,
                "reason": refusals[followup.pk][0],
            },
        )
        for followup in rows
    )


def _send_chunk(rows: list[FollowUp], *, now: dt.datetime, store: StoreSettings) -> None:
    """Issue the coupons, queue the messages and write the timeline of a chunk of claimed rows, in bulk."""
    if not rows:
        return
    orders = [f.case.order for f in rows if f.case.order_id]
    prefetch_related_objects(orders, Prefetch("shipments", queryset=Shipment.objects.select_related("courier")))
    coupons = Coupon.objects.bulk_create(
        Coupon(
            customer_id=followup.customer_id,
            value_fen=followup.campaign.coupon_value_fen,
            threshold_fen=followup.campaign.threshold_fen,
            valid_until=_end_of_day(now + dt.timedelta(days=followup.campaign.valid_days)),
            reason=followup.campaign.name[:120],
            case=followup.case,
            campaign=followup.campaign,
            followup=followup,
            issued_at=now,
        )
        for followup in rows
    )
    extra = followup_extra_variables_for([f.case for f in rows])
    messages = outbox.queue_messages(
        [
            OutboundMessage(
                customer=followup.customer,
                case=followup.case,
                body=outbox.render_text(
                    followup.campaign.template.body,
                    outbox.case_variables(followup.case, customer=followup.customer, store=store)
                    | coupon_variables(coupon)
                    | extra[followup.case_id],
                ),
                channel=followup.campaign.template.channel,
                template_key=followup.campaign.template.key,
                idempotency_key=f"followup:{followup.pk}",
            )
            for followup, coupon in zip(rows, coupons, strict=True)
        ]
    )
    for followup, message in zip(rows, messages, strict=True):
        followup.message = message
    # Each row points at the message with its key: one update joined by the database, not one per row.
    FollowUp.objects.filter(pk__in=[f.pk for f in rows]).update(
        message=Subquery(
            OutboundMessage.objects.filter(
                idempotency_key=Concat(Value("followup:"), Cast(OuterRef("pk"), CharField()))
            ).values("pk")[:1]
        )
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=followup.case,
            type=EventType.FOLLOWUP_SENT,
            at=now,
            body=f"{followup.campaign.name} · {coupon.code}",
            target=f"coupon:{coupon.pk}",
            after=_sent_event_after(followup.campaign, coupon, message),
        )
        for followup, coupon, message in zip(rows, coupons, messages, strict=True)
    )


def _sent_event_after(campaign: Campaign, coupon: Coupon, message: OutboundMessage) -> dict:
    return {
        "campaign": campaign.key,
        "coupon": coupon.code,
        "amount_fen": coupon.value_fen,
        "threshold_fen": coupon.threshold_fen,
        "valid_until": coupon.valid_until.isoformat(),
        "message": message.pk,
    }


def dispatch_followup(followup_id: int, *, calendar: Calendar | None = None, store: StoreSettings | None = None) -> str:
    """Issue the coupon and queue the message of one due follow-up, once (A9, A10, L3).

    Returns "sent", "deferred" (the store is closed now), "cancelled" (case reopened, campaign switched off),
    "refused" (per-customer cap or budget), "skipped" (not due, or another worker has it), "retry" or "failed".
    """
    store = store or StoreSettings.load()
    calendar = calendar or Calendar.for_store(store)
    now = timezone.now()
    try:
        with transaction.atomic():
            return _dispatch(followup_id, now=now, calendar=calendar, store=store)
    except Exception as exc:  # noqa: BLE001 - whatever broke, the transaction rolled back and nothing was sent
        logger.exception("follow-up %s could not be sent", followup_id)
        return _record_failure(followup_id, exc, now=now)


def claim_for_sending(followup_id: int, *, now: dt.datetime) -> bool:
    """The claim: of two dispatchers only one turns this row from scheduled to sent (False: another one did)."""
    return bool(
        FollowUp.objects.filter(pk=followup_id, state=FollowUp.State.SCHEDULED).update(
            state=FollowUp.State.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
        )
    )


def _dispatch(followup_id: int, *, now: dt.datetime, calendar: Calendar, store: StoreSettings) -> str:
    due = FollowUp.objects.filter(pk=followup_id, state=FollowUp.State.SCHEDULED, due_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: a row another dispatcher holds is skipped, not waited for.
        due = due.select_for_update(skip_locked=True, of=("self",))
    followup = due.select_related("campaign__template", "case", "customer").first()
    if followup is None:
        return "skipped"
    campaign, case = followup.campaign, followup.case
    if calendar.hours and not calendar.is_open(now):
        # Never at night: a sweep after an outage or a long holiday waits for the store to open.
        FollowUp.objects.filter(pk=followup.pk, state=FollowUp.State.SCHEDULED).update(
            due_at=calendar.next_open(now) or now
        )
        return "deferred"
    cancel = _cancel_reason(followup)
    if cancel:
        _close(followup, state=FollowUp.State.CANCELLED, note=cancel, now=now)
        return "cancelled"
    if not claim_for_sending(followup.pk, now=now):
        return "skipped"
    refusal = _refusal(followup, campaign=campaign, now=now)
    if refusal:
        code, text = refusal
        FollowUp.objects.filter(pk=followup.pk).update(
            state=FollowUp.State.REFUSED, sent_at=None, note=text[:200], closed_at=now
        )
        record_event(
            case=case,
            type=EventType.FOLLOWUP_REFUSED,
            at=now,
            body=f"{campaign.name} — {text}",
            target=f"followup:{followup.pk}",
            after={"campaign": campaign.key, "state": FollowUp.State.REFUSED, "reason": code},
        )
        return "refused"
    coupon = Coupon.objects.create(
        customer_id=followup.customer_id,
        value_fen=campaign.coupon_value_fen,
        threshold_fen=campaign.threshold_fen,
        valid_until=_end_of_day(now + dt.timedelta(days=campaign.valid_days)),
        reason=campaign.name[:120],
        case=case,
        campaign=campaign,
        followup=followup,
        issued_at=now,
    )
    variables = (
        outbox.case_variables(case, customer=followup.customer, store=store)
        | coupon_variables(coupon)
        | followup_extra_variables(case)
    )
    message = outbox.queue_message(
        customer=followup.customer,
        case=case,
        body=outbox.render_text(campaign.template.body, variables),
        channel=campaign.template.channel,
        template_key=campaign.template.key,
        idempotency_key=f"followup:{followup.pk}",
    )
    FollowUp.objects.filter(pk=followup.pk).update(message=message)
    record_event(
        case=case,
        type=EventType.FOLLOWUP_SENT,
        at=now,
        body=f"{campaign.name} · {coupon.code}",
        target=f"coupon:{coupon.pk}",
        after=_sent_event_after(campaign, coupon, message),
    )
    return "sent"


def _refusal(followup: FollowUp, *, campaign: Campaign, now: dt.datetime) -> tuple[str, str] | None:
    """Why this coupon may not be issued, as (code, text): the per-customer cap, then the campaign's budget.
    None: it may, and the campaign's spend already counts it."""
    if campaign.cap_per_customer:
        if connection.features.has_select_for_update:
            # Serialise coupons per customer (PostgreSQL row lock; SQLite's one write lock already does it).
            list(Customer.objects.select_for_update().filter(pk=followup.customer_id).values_list("pk", flat=True))
        recent = Coupon.objects.filter(
            customer_id=followup.customer_id,
            campaign=campaign,
            issued_at__gt=now - dt.timedelta(days=campaign.cap_days),
        ).count()
        if recent >= campaign.cap_per_customer:
            return "cap", _("the customer already got %(count)s coupon(s) in %(days)s days") % {
                "count": recent,
                "days": campaign.cap_days,
            }
    spend = Campaign.objects.filter(pk=campaign.pk)
    if campaign.budget_fen is not None:
        spend = spend.filter(spent_fen__lte=campaign.budget_fen - campaign.coupon_value_fen)
    if not spend.update(spent_fen=F("spent_fen") + campaign.coupon_value_fen):
        return "budget", _("the campaign's budget is spent")
    return None


def _end_of_day(moment: dt.datetime) -> dt.datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=23, minute=59, second=59, microsecond=0)


def coupon_variables(coupon: Coupon) -> dict[str, str]:
    # Customer messages are Chinese whatever the staff's language: these words go into them, not into the UI.
    threshold = "无门槛" if not coupon.threshold_fen else f"满{format_fen(coupon.threshold_fen)}可用"
    return {
        "coupon_value": format_fen(coupon.value_fen),
        "coupon_threshold": threshold,
        "coupon_code": coupon.code,
        "coupon_valid_until": f"{timezone.localtime(coupon.valid_until):%Y-%m-%d}",
    }


def _record_failure(followup_id: int, exc: Exception, *, now: dt.datetime) -> str:
    with transaction.atomic():
        followup = FollowUp.objects.filter(pk=followup_id, state=FollowUp.State.SCHEDULED).first()
        if followup is None:
            return "skipped"
        attempts = followup.attempts + 1
        final = attempts >= MAX_ATTEMPTS
        FollowUp.objects.filter(pk=followup_id, state=FollowUp.State.SCHEDULED).update(
            state=FollowUp.State.FAILED if final else FollowUp.State.SCHEDULED,
            attempts=attempts,
            last_error=str(exc)[:2000],
            due_at=now + dt.timedelta(minutes=2**attempts),
            closed_at=now if final else None,
        )
        if final:
            CaseEvent.objects.create(
                case_id=followup.case_id,
                type=EventType.FOLLOWUP_FAILED,
                at=now,
                body=str(exc)[:500],
                target=f"followup:{followup_id}",
            )
    return "failed" if final else "retry"


# --- coupons by hand -------------------------------------------------------------------------------------------

MANUAL_COUPON_VALID_DAYS = 30


def issue_manual_coupon(
    *, case: Case, value_fen: int, actor, reason: str = "", threshold_fen: int = 0, valid_days: int | None = None
) -> Coupon:
    """A13: a supervisor gives the customer a coupon by hand (on a call-back). No campaign, so no cap or budget;
    the coupon is on the case's timeline with who gave it. The supervisor tells the customer on the phone."""
    if case.customer_id is None:
        raise DomainError(_("This case has no customer to give a coupon to."))
    if value_fen <= 0:
        raise DomainError(_("A coupon must be worth something."))
    now = timezone.now()
    with transaction.atomic():
        coupon = Coupon.objects.create(
            customer_id=case.customer_id,
            value_fen=value_fen,
            threshold_fen=threshold_fen,
            valid_until=_end_of_day(now + dt.timedelta(days=valid_days or MANUAL_COUPON_VALID_DAYS)),
            reason=(reason or _("given by hand"))[:120],
            case=case,
            issued_at=now,
        )
        record_event(
            case=case,
            type=EventType.COUPON_ISSUED,
            actor=actor,
            at=now,
            body=f"{coupon.code}" + (f" — {reason}" if reason else ""),
            target=f"coupon:{coupon.pk}",
            after={"coupon": coupon.code, "amount_fen": value_fen, "threshold_fen": threshold_fen},
        )
    return coupon


# --- reads for the supervisors' pages ---------------------------------------------------------------------------


def campaign_results(*, weeks: int = 8, now: dt.datetime | None = None) -> dict:
    """Per campaign, and per campaign and week (by due date): scheduled, sent, failed, refused, cancelled,
    coupons issued and their value. Two queries whatever the number of rows."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_day = today - dt.timedelta(days=today.weekday() + 7 * (weeks - 1))
    tz = timezone.get_default_timezone()
    since = dt.datetime.combine(start_day, dt.time.min, tz)
    counts = _result_counts("")
    rows = (
        FollowUp.objects.filter(due_at__gte=since)
        .annotate(week=TruncWeek("due_at", tzinfo=tz))
        .values("campaign_id", "week")
        .annotate(**counts)
        .order_by("campaign_id", "-week")
    )
    by_campaign: dict[int, list[dict]] = {}
    for row in rows:
        week = row["week"]
        row["week"] = week.date() if isinstance(week, dt.datetime) else week
        by_campaign.setdefault(row["campaign_id"], []).append(row)
    campaigns = list(Campaign.objects.annotate(**_result_counts("followups__")).order_by("-active", "pk"))
    for campaign in campaigns:
        campaign.weeks = by_campaign.get(campaign.pk, [])
    totals = {name: sum(getattr(c, name) for c in campaigns) for name in counts}
    return {"campaigns": campaigns, "totals": totals, "since": start_day}


def _result_counts(prefix: str) -> dict:
    """The result columns, counted over follow-ups (prefix "") or over a campaign's follow-ups ("followups__")."""
    state, message_state = f"{prefix}state", f"{prefix}message__state"
    failed = Q(**{state: FollowUp.State.FAILED}) | Q(**{message_state: OutboundMessage.State.FAILED})
    count = "pk" if not prefix else "followups"
    return {
        "scheduled": Count(count, filter=Q(**{state: FollowUp.State.SCHEDULED})),
        "sent": Count(count, filter=Q(**{state: FollowUp.State.SENT}) & ~failed),
        "failed": Count(count, filter=failed),
        "refused": Count(count, filter=Q(**{state: FollowUp.State.REFUSED})),
        "cancelled": Count(count, filter=Q(**{state: FollowUp.State.CANCELLED})),
        "coupons_issued": Count(f"{prefix}coupon"),
        "used": Count(f"{prefix}coupon", filter=Q(**{f"{prefix}coupon__state": Coupon.State.USED})),
        "issued_fen": Sum(f"{prefix}coupon__value_fen", default=0),
    }


def recent_refusals(*, limit: int = 20) -> list[FollowUp]:
    """Follow-ups refused (cap, budget) or failed, newest first: what a supervisor may want to look at."""
    return list(
        FollowUp.objects.filter(state__in=[FollowUp.State.REFUSED, FollowUp.State.FAILED])
        .select_related("case", "campaign", "customer")
        .order_by("-closed_at", "-pk")[:limit]
    )


def upcoming(*, limit: int = 20) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(state=FollowUp.State.SCHEDULED)
        .select_related("case", "campaign", "customer")
        .order_by("due_at", "pk")[:limit]
    )


# What other features put in the follow-up message, by variable name: the survey link when the store sends the
# A12 survey inside the follow-up ("" otherwise, and then {survey_line} is empty too).
FOLLOWUP_VARIABLES = {"survey_url": "surveys.services.followup_survey_url"}


def followup_extra_variables(case) -> dict[str, str]:
    values = {name: import_string(path)(case=case) for name, path in FOLLOWUP_VARIABLES.items()}
    values["survey_line"] = _survey_line(values.get("survey_url", ""))
    return values


def followup_extra_variables_for(cases: list[Case]) -> dict[int, dict[str, str]]:
    """followup_extra_variables for a chunk of cases, by case id. The survey link is asked for only for the cases
    with a survey still to send (one query for the chunk); the others have none."""
    waiting = set(
        Case.objects.filter(pk__in=[case.pk for case in cases], survey__isnull=False, survey__sent_at__isnull=True)
        .values_list("pk", flat=True)
        .order_by()
    )
    result = {}
    for case in cases:
        values = {
            name: "" if name == "survey_url" and case.pk not in waiting else import_string(path)(case=case)
            for name, path in FOLLOWUP_VARIABLES.items()
        }
        result[case.pk] = values | {"survey_line": _survey_line(values.get("survey_url", ""))}
    return result


def _survey_line(url: str) -> str:
    return f" 本次服务您满意吗？点此评价：{url}" if url else ""
