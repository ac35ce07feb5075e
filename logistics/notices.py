"""Proactive messages (L6, A1), sent once per order through the one outbox by a beat task, a batch at a time.

Which parcels qualify is one indexed query each; a CustomerNotice row per order and kind (unique) plus the outbox's
idempotency key make each message go out once, however often or concurrently the task runs.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backoffice import outbox
from backoffice.models import Order, Shipment, StoreSettings

from .models import CustomerNotice
from .services import AFTERSALES_REMINDER, SHIPMENT_NOTICE

logger = logging.getLogger(__name__)

BATCH = 500
# After an outage the notice still goes out for parcels shipped within the last day; older ones are not "just shipped".
SHIPMENT_NOTICE_LOOKBACK = dt.timedelta(hours=24)
# A1 for parcels that went out for delivery within the last two days.
REMINDER_LOOKBACK = dt.timedelta(hours=48)


def _not_told(kind: str) -> Exists:
    return ~Exists(CustomerNotice.objects.filter(order_id=OuterRef("order_id"), kind=kind))


def shipment_notice_candidates(*, now: dt.datetime, limit: int = BATCH):
    """L6: parcels shipped recently with a tracking number whose order has had no shipment notice.

    Through the (state, last_event_at) index: a parcel shipped within the lookback has no event yet, or a recent one.
    """
    since = now - SHIPMENT_NOTICE_LOOKBACK
    return (
        Shipment.objects.filter(
            Q(state=Shipment.State.CREATED, last_event_at__isnull=True)
            | Q(state__in=(Shipment.State.IN_TRANSIT, Shipment.State.OUT_FOR_DELIVERY), last_event_at__gte=since),
            shipped_at__gte=since,
            shipped_at__lte=now,
            order__status__in=(Order.Status.SHIPPED, Order.Status.DELIVERED),
        )
        .exclude(tracking_no="")
        .filter(_not_told(CustomerNotice.Kind.SHIPMENT))
        .select_related("courier", "order__customer")
        .order_by("shipped_at")[:limit]
    )


def reminder_candidates(*, now: dt.datetime, limit: int = BATCH):
    """A1: parcels out for delivery (about to arrive) whose order has had no after-sales reminder."""
    return (
        Shipment.objects.filter(
            state=Shipment.State.OUT_FOR_DELIVERY,
            last_event_at__gte=now - REMINDER_LOOKBACK,
            order__status__in=(Order.Status.SHIPPED, Order.Status.DELIVERED),
        )
        .filter(_not_told(CustomerNotice.Kind.AFTERSALES))
        .select_related("courier", "order__customer")
        .order_by("last_event_at")[:limit]
    )


def _variables(shipment: Shipment, store: StoreSettings) -> dict:
    order, customer = shipment.order, shipment.order.customer
    return {
        "customer_name": customer.name or customer.nickname,
        "nickname": customer.nickname,
        "order_no": order.number,
        "courier": shipment.courier.name,
        "tracking_no": shipment.tracking_no,
        "delivery_days": f"{store.expected_delivery_days_min}–{store.expected_delivery_days_max}",
        "store_name": store.store_name,
    }


def _send(shipment: Shipment, *, kind: str, template_key: str, store: StoreSettings, now: dt.datetime) -> bool:
    order = shipment.order
    try:
        with transaction.atomic():
            notice = CustomerNotice.objects.create(order=order, kind=kind, at=now)
            message = outbox.send_template(
                key=template_key,
                customer=order.customer,
                idempotency_key=f"{kind}:{order.pk}",
                extra=_variables(shipment, store),
            )
            if message is not None:
                CustomerNotice.objects.filter(pk=notice.pk).update(message=message)
    except IntegrityError:
        return False  # another run told this order first
    return message is not None


def send_shipment_notices(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """L6: within 1 hour of shipping, tell the customer: shipped, courier and tracking number, expected 3–5 days."""
    now = now or timezone.now()
    store = StoreSettings.load()
    return sum(
        _send(shipment, kind=CustomerNotice.Kind.SHIPMENT, template_key=SHIPMENT_NOTICE, store=store, now=now)
        for shipment in shipment_notice_candidates(now=now, limit=limit)
    )


def send_aftersales_reminders(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """A1: for orders about to be delivered, the after-sales reminder ("有任何问题可直接联系我们，支持免费退换")."""
    now = now or timezone.now()
    store = StoreSettings.load()
    return sum(
        _send(shipment, kind=CustomerNotice.Kind.AFTERSALES, template_key=AFTERSALES_REMINDER, store=store, now=now)
        for shipment in reminder_candidates(now=now, limit=limit)
    )
