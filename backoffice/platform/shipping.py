"""Ship-by deadlines for orders (L1, L2)."""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from backoffice.models import Product, StoreSettings
from backoffice.store.businesshours import Calendar


def add_shipping_hours(start: dt.datetime, hours: int, *, closed_days: frozenset[dt.date] = frozenset()) -> dt.datetime:
    """`hours` on the wall clock after `start`, skipping whole closed days when the store counts them out."""
    if not closed_days:
        return start + dt.timedelta(hours=hours)
    remaining = dt.timedelta(hours=hours)
    cursor = timezone.localtime(start)
    while True:
        midnight = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time(0), cursor.tzinfo)
        if cursor.date() in closed_days:
            cursor = midnight
            continue
        if cursor + remaining <= midnight:
            return cursor + remaining
        remaining -= midnight - cursor
        cursor = midnight


def compute_ship_by(
    *,
    paid_at: dt.datetime,
    products: Iterable[Product],
    store: StoreSettings,
    calendar: Calendar | None = None,
) -> dt.datetime:
    """L1: ship within 48 h of payment (the store's setting); a product may declare a longer time.

    L2: a presale product ships by its own date. The order ships by the latest of its items' deadlines.
    Holidays stop the clock only when the store says so.
    """
    closed_days: frozenset[dt.date] = frozenset()
    if store.holidays_pause_ship_clock:
        closed_days = (calendar or Calendar.for_store(store)).closed_days
    deadlines = [add_shipping_hours(paid_at, store.ship_within_hours, closed_days=closed_days)]
    for product in products:
        if product.presale_ship_by:
            deadlines.append(product.presale_ship_by)
        elif product.ship_within_hours:
            deadlines.append(add_shipping_hours(paid_at, product.ship_within_hours, closed_days=closed_days))
    return max(deadlines)


# How far ahead the platform's promised ship time may lie when it comes in (a presale can promise weeks ahead); any
# outside time further than a day ahead is refused otherwise (backoffice.platform.timestamps).
PROMISE_AHEAD = dt.timedelta(days=366)


def effective_ship_by(*, promised: dt.datetime | None, computed: dt.datetime) -> dt.datetime:
    """L1: the order's ship-by time is the platform's promised ship time (承诺发货时间) when it gives one — the
    platform bills late shipment by it — and our own L1/L2 computation otherwise."""
    return promised if promised is not None else computed


def switch_to_presale(*, product: Product, actor, store: StoreSettings | None = None, now: dt.datetime | None = None):
    """L2: out of stock, the product becomes a presale with a concrete ship-by time: the end of the day the store's
    presale period (e.g. 7 days) from now ends. New orders of it then ship by that date. Audited as a settings change."""
    from backoffice.supervisor.audit import record_settings_change

    store = store or StoreSettings.load()
    now = timezone.localtime(now or timezone.now())
    last_day = now.date() + dt.timedelta(days=store.presale_default_days)
    ship_by = dt.datetime.combine(last_day, dt.time(23, 59, 59), now.tzinfo)
    before = {"presale_ship_by": product.presale_ship_by.isoformat() if product.presale_ship_by else None}
    Product.objects.filter(pk=product.pk).update(presale_ship_by=ship_by)
    product.presale_ship_by = ship_by
    record_settings_change(actor=actor, instance=product, before=before, after={"presale_ship_by": ship_by.isoformat()})
    return product
