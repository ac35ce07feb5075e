"""L1/L2 ship-by deadlines."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from backoffice.models import Order, StoreSettings
from backoffice.platform.shipping import compute_ship_by
from tests.factories import HolidayFactory, OrderFactory, ProductFactory, SkuFactory, StoreSettingsFactory, shanghai

pytestmark = pytest.mark.django_db

PAID = shanghai(2026, 11, 20, 14, 30)
HOURS = dt.timedelta(hours=1)


def ship_by(*products, paid_at=PAID):
    return compute_ship_by(paid_at=paid_at, products=products, store=StoreSettings.load())


def late_orders():
    return Order.objects.filter(status=Order.Status.AWAITING_SHIPMENT, ship_by__lt=timezone.now())


def test_order_ships_within_48_hours_of_payment_by_default():
    assert ship_by(ProductFactory.build()) == PAID + 48 * HOURS


def test_order_without_products_still_gets_the_store_deadline():
    assert ship_by() == PAID + 48 * HOURS


def test_unshipped_order_is_not_late_at_47_59():
    order = OrderFactory(paid_at=PAID)

    with time_machine.travel(PAID + dt.timedelta(hours=47, minutes=59), tick=False):
        assert order not in late_orders()


def test_unshipped_order_is_late_at_48_01():
    order = OrderFactory(paid_at=PAID)

    with time_machine.travel(PAID + dt.timedelta(hours=48, minutes=1), tick=False):
        assert order in late_orders()


def test_custom_made_item_ships_within_its_own_longer_time():
    assert ship_by(ProductFactory.build(ship_within_hours=96)) == PAID + 96 * HOURS


def test_order_with_a_custom_item_ships_by_the_latest_deadline():
    assert ship_by(ProductFactory.build(), ProductFactory.build(custom=True)) == PAID + 96 * HOURS


def test_product_cannot_shorten_the_store_deadline():
    assert ship_by(ProductFactory.build(ship_within_hours=24)) == PAID + 48 * HOURS


def test_presale_item_ships_by_its_presale_date():
    presale_date = shanghai(2026, 11, 27, 18, 0)

    assert ship_by(ProductFactory.build(presale_ship_by=presale_date)) == presale_date


def test_presale_date_sooner_than_48_hours_keeps_the_48_hours():
    assert ship_by(ProductFactory.build(presale_ship_by=PAID + 24 * HOURS)) == PAID + 48 * HOURS


def test_order_factory_computes_ship_by_from_its_items():
    custom = SkuFactory(product=ProductFactory(custom=True))

    order = OrderFactory(paid_at=PAID, skus=[custom])

    assert order.ship_by == PAID + 96 * HOURS
    assert order.paid_fen == custom.price_fen


def test_holidays_do_not_stop_the_clock_by_default():
    HolidayFactory(date=dt.date(2027, 1, 1), name="元旦")

    assert ship_by(paid_at=shanghai(2026, 12, 31, 10, 0)) == shanghai(2027, 1, 2, 10, 0)


def test_holidays_stop_the_clock_when_the_store_says_so():
    StoreSettingsFactory(holidays_pause_ship_clock=True)
    for day in (1, 2, 3):
        HolidayFactory(date=dt.date(2027, 1, day), name="元旦")

    # 14 h on 31 December, three closed days, then the remaining 34 h from midnight on 4 January.
    assert ship_by(paid_at=shanghai(2026, 12, 31, 10, 0)) == shanghai(2027, 1, 5, 10, 0)


def test_paused_clock_also_applies_to_custom_items():
    StoreSettingsFactory(holidays_pause_ship_clock=True)
    HolidayFactory(date=dt.date(2027, 1, 1), name="元旦")

    deadline = ship_by(ProductFactory.build(custom=True), paid_at=shanghai(2026, 12, 31, 10, 0))

    assert deadline == shanghai(2027, 1, 5, 10, 0)


def test_worked_weekend_day_does_not_stop_the_paused_clock():
    StoreSettingsFactory(holidays_pause_ship_clock=True)
    HolidayFactory(date=dt.date(2027, 1, 31), name="春节调休上班", is_workday=True)

    assert ship_by(paid_at=shanghai(2027, 1, 30, 10, 0)) == shanghai(2027, 2, 1, 10, 0)


def test_paused_clock_starting_on_a_holiday_waits_for_the_next_day():
    StoreSettingsFactory(holidays_pause_ship_clock=True)
    HolidayFactory(date=dt.date(2027, 1, 1), name="元旦")

    assert ship_by(paid_at=shanghai(2027, 1, 1, 15, 0)) == shanghai(2027, 1, 4, 0, 0)
