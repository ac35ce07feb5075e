"""Refreshing tracking for parcels in transit, politely: small batches, one poll row per parcel, backoff on errors.

Each parcel has a TrackingPoll row with its next poll time. A run claims a batch of due rows with one conditional
UPDATE (a crashed worker's claim runs out with its lease), asks the provider one parcel at a time, stores new events,
and schedules the next poll: soon for moving parcels, later after each failure. When the provider is down (several
failures in a row, or the account is refused) the run stops; the unasked parcels keep their place, so nothing is lost.
"""

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from backoffice.models import Order, Shipment
from logistics.models import TrackingPoll
from logistics.services import apply_tracking_events
from logistics.tracking import ProviderRejected, TrackingError, TrackingProvider, get_provider

logger = logging.getLogger(__name__)

ACTIVE_STATES = (
    Shipment.State.CREATED,
    Shipment.State.IN_TRANSIT,
    Shipment.State.OUT_FOR_DELIVERY,
    Shipment.State.EXCEPTION,
)
BATCH = 200
LEASE = dt.timedelta(minutes=10)
# kuaidi100 asks for no more than one query per parcel every half hour; we stay well under that.
POLL_EVERY = dt.timedelta(hours=2)
POLL_EVERY_OUT_FOR_DELIVERY = dt.timedelta(minutes=45)
BACKOFF_FIRST = dt.timedelta(minutes=15)
BACKOFF_MAX = dt.timedelta(hours=12)
STOP_AFTER_FAILURES = 3


@dataclass
class RefreshResult:
    asked: int = 0
    updated: int = 0
    new_events: int = 0
    failed: int = 0
    stopped: str = ""


def backoff(failures: int) -> dt.timedelta:
    """15 min, 30 min, 1 h, 2 h … up to 12 h after 1, 2, 3, 4 … failures in a row."""
    return min(BACKOFF_FIRST * 2 ** max(failures - 1, 0), BACKOFF_MAX)


def ensure_polls(*, now: dt.datetime, limit: int = 5000) -> int:
    """Poll rows for parcels in transit that have none yet (new parcels), due now."""
    missing = (
        Shipment.objects.filter(state__in=ACTIVE_STATES, order__status=Order.Status.SHIPPED)
        .exclude(tracking_no="")
        .filter(~Exists(TrackingPoll.objects.filter(shipment_id=OuterRef("pk"))))
        .values_list("pk", flat=True)[:limit]
    )
    rows = [TrackingPoll(shipment_id=pk, next_poll_at=now) for pk in missing]
    TrackingPoll.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def claim_due(*, now: dt.datetime, batch: int = BATCH) -> list[TrackingPoll]:
    """Claim up to `batch` due polls of parcels still in transit; another worker's claimed rows are not due."""
    token = uuid.uuid4().hex
    due = (
        TrackingPoll.objects.filter(
            next_poll_at__lte=now,
            shipment__state__in=ACTIVE_STATES,
            shipment__order__status=Order.Status.SHIPPED,
        )
        .exclude(shipment__tracking_no="")
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:batch]
    )
    ids = list(due)
    if not ids:
        return []
    TrackingPoll.objects.filter(pk__in=ids, next_poll_at__lte=now).update(claim=token, next_poll_at=now + LEASE)
    return list(
        TrackingPoll.objects.filter(claim=token).select_related("shipment__courier", "shipment__order").order_by("pk")
    )


def _next_poll(shipment: Shipment, now: dt.datetime) -> dt.datetime | None:
    if shipment.state in (Shipment.State.DELIVERED, Shipment.State.RETURNED):
        return None
    if shipment.state == Shipment.State.OUT_FOR_DELIVERY:
        return now + POLL_EVERY_OUT_FOR_DELIVERY
    return now + POLL_EVERY


def refresh_tracking(
    *, now: dt.datetime | None = None, provider: TrackingProvider | None = None, batch: int = BATCH
) -> RefreshResult:
    """One polite refresh run (beat): claim a batch, ask, store, schedule; stop early when the provider is down."""
    now = now or timezone.now()
    provider = provider or get_provider()
    ensure_polls(now=now)
    result = RefreshResult()
    polls = claim_due(now=now, batch=batch)
    failures_in_a_row = 0
    pause = getattr(provider, "min_interval", 0.0)
    for index, poll in enumerate(polls):
        shipment = poll.shipment
        if index and pause:
            time.sleep(pause)  # one request at a time, spaced out
        result.asked += 1
        try:
            events = provider.query(shipment.courier.code, shipment.tracking_no, phone=shipment.order.receiver_phone)
        except TrackingError as error:
            result.failed += 1
            failures_in_a_row += 1
            failures = poll.failures + 1
            wait = backoff(failures) if error.retryable else BACKOFF_MAX
            TrackingPoll.objects.filter(pk=poll.pk, claim=poll.claim).update(
                claim="", failures=failures, last_error=str(error)[:300], next_poll_at=now + wait, last_polled_at=now
            )
            logger.warning(
                "tracking %s %s failed (%s): %s", shipment.courier.code, shipment.tracking_no, failures, error
            )
            if isinstance(error, ProviderRejected) or failures_in_a_row >= STOP_AFTER_FAILURES:
                result.stopped = str(error)
                _release(polls[index + 1 :], now)
                break
            continue
        failures_in_a_row = 0
        added = apply_tracking_events(
            shipment=shipment, events=events, estimated_delivery=getattr(events, "estimated_delivery", None)
        )
        result.new_events += added
        result.updated += 1 if added else 0
        next_at = _next_poll(shipment, now)
        update = {"claim": "", "failures": 0, "last_error": "", "last_polled_at": now}
        if next_at is None:
            TrackingPoll.objects.filter(pk=poll.pk, claim=poll.claim).delete()
        else:
            TrackingPoll.objects.filter(pk=poll.pk, claim=poll.claim).update(next_poll_at=next_at, **update)
    return result


def _release(polls: list[TrackingPoll], now: dt.datetime) -> None:
    """Give the unasked rows of a stopped run back, due again after a short pause (the provider is struggling)."""
    if polls:
        TrackingPoll.objects.filter(pk__in=[poll.pk for poll in polls], claim=polls[0].claim).update(
            claim="", next_poll_at=now + BACKOFF_FIRST
        )
