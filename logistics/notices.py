"""Proactive messages (L6, A1), sent once per order through the one outbox by a beat task, a batch at a time.

Which parcels qualify is one indexed query each; a CustomerNotice row per order and kind (unique) plus the outbox's
idempotency key make each message go out once, however often or concurrently the task runs. How late a missed notice
may still go out (after an outage) is the store's setting.
"""

import datetime as dt
import logging
from functools import reduce
from operator import or_

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backoffice.messaging import outbox
from backoffice.models import Order, Shipment, StoreSettings
from backoffice.store.businesshours import Calendar
from logistics.models import CustomerNotice
from logistics.services import AFTERSALES_REMINDER, SHIPMENT_NOTICE

logger = logging.getLogger(__name__)

BATCH = 500
DAY = dt.timedelta(days=1)
ON_THE_WAY = (Shipment.State.CREATED, Shipment.State.IN_TRANSIT, Shipment.State.OUT_FOR_DELIVERY)


def _not_told(kind: str) -> Exists:
    return ~Exists(CustomerNotice.objects.filter(order_id=OuterRef("order_id"), kind=kind))


def _lookback(store: StoreSettings) -> dt.timedelta:
    return dt.timedelta(hours=store.notice_lookback_hours)


def shipment_notice_candidates(*, now: dt.datetime, limit: int = BATCH, store: StoreSettings | None = None):
    """L6: parcels shipped recently with a tracking number whose order has had no shipment notice.

    Through the (state, last_event_at) index: a parcel shipped within the lookback has no event yet, or a recent one.
    """
    since = now - _lookback(store or StoreSettings.load())
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


def _remote(store: StoreSettings) -> Q:
    """Orders whose address (or the customer's province) is in one of the store's remote areas."""
    return reduce(
        or_,
        (
            Q(order__receiver_address__startswith=p) | Q(order__customer__province__startswith=p)
            for p in store.remote_province_list
        ),
        Q(pk__in=[]),
    )


def expected_delivery(shipment: Shipment, store: StoreSettings) -> dt.datetime:
    """When the parcel should arrive: the courier's estimate when its tracking gives one, else the ship date plus the
    store's (earliest) delivery days, remote areas' longer estimate for their addresses."""
    if shipment.estimated_delivery_at is not None:
        return shipment.estimated_delivery_at
    order = shipment.order
    days, _latest = store.delivery_days(order.receiver_address, order.customer.province)
    return shipment.shipped_at + dt.timedelta(days=days)


def reminder_candidates(*, now: dt.datetime, limit: int = BATCH, store: StoreSettings | None = None):
    """A1: parcels on their way whose order has had no after-sales reminder and that arrive tomorrow: the day before
    the expected delivery (`expected_delivery`), or out for delivery already. Reminders that came due longer ago than
    the store's look-back are no longer news."""
    store = store or StoreSettings.load()
    since = now - _lookback(store)
    tomorrow = now + DAY
    normal_days, _ = store.delivery_days()
    remote_days = store.remote_delivery_days_min
    remote = _remote(store)
    by_ship_date = Q(estimated_delivery_at__isnull=True) & (
        (~remote & Q(shipped_at__lte=tomorrow - dt.timedelta(days=normal_days)))
        & Q(shipped_at__gte=since + DAY - dt.timedelta(days=normal_days))
        | (remote & Q(shipped_at__lte=tomorrow - dt.timedelta(days=remote_days)))
        & Q(shipped_at__gte=since + DAY - dt.timedelta(days=remote_days))
    )
    by_estimate = Q(estimated_delivery_at__lte=tomorrow, estimated_delivery_at__gte=since + DAY)
    out_for_delivery = Q(state=Shipment.State.OUT_FOR_DELIVERY, last_event_at__gte=since)
    return (
        Shipment.objects.filter(state__in=ON_THE_WAY, order__status=Order.Status.SHIPPED)
        .exclude(tracking_no="")
        .filter(by_ship_date | by_estimate | out_for_delivery)
        .filter(_not_told(CustomerNotice.Kind.AFTERSALES))
        .select_related("courier", "order__customer")
        .order_by("shipped_at")[:limit]
    )


def _variables(shipment: Shipment, store: StoreSettings) -> dict:
    order, customer = shipment.order, shipment.order.customer
    low, high = store.delivery_days(order.receiver_address, customer.province)
    return {
        "customer_name": customer.name or customer.nickname,
        "nickname": customer.nickname,
        "order_no": order.number,
        "courier": shipment.courier.name,
        "tracking_no": shipment.tracking_no,
        "delivery_days": f"{low}–{high}" if low != high else str(low),
        "store_name": store.store_name,
    }


def _send(
    shipment: Shipment,
    *,
    kind: str,
    template_key: str,
    store: StoreSettings,
    now: dt.datetime,
    send_after: dt.datetime | None = None,
) -> bool:
    order = shipment.order
    try:
        with transaction.atomic():
            notice = CustomerNotice.objects.create(order=order, kind=kind, at=now)
            message = outbox.send_template(
                key=template_key,
                customer=order.customer,
                idempotency_key=f"{kind}:{order.pk}",
                extra=_variables(shipment, store),
                send_after=send_after,
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
        for shipment in shipment_notice_candidates(now=now, limit=limit, store=store)
    )


def send_aftersales_reminders(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """A1: the day before a parcel is expected, the after-sales reminder ("收到后有任何问题可直接联系我们，支持退换，
    质量问题来回运费我们承担"), once per order. A reminder that comes due at night waits for the store to open."""
    now = now or timezone.now()
    store = StoreSettings.load()
    calendar = Calendar.for_store(store)
    send_after = None if not calendar.hours or calendar.is_open(now) else calendar.next_open(now)
    return sum(
        _send(
            shipment,
            kind=CustomerNotice.Kind.AFTERSALES,
            template_key=AFTERSALES_REMINDER,
            store=store,
            now=now,
            send_after=send_after,
        )
        for shipment in reminder_candidates(now=now, limit=limit, store=store)
    )
