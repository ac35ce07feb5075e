"""seed_scale: many orders fast, in a realistic mix, next to the demo's without colliding."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Max

from backoffice.demo import seed_store
from backoffice.models import Customer, Order, OrderItem, Shipment, StoreSettings, TrackingEvent
from backoffice.platform.shipping import compute_ship_by
from backoffice.store.businesshours import Calendar
from tests.factories import HolidayFactory, OrderFactory, StoreSettingsFactory, shanghai

pytestmark = pytest.mark.django_db

NOW = shanghai(2026, 11, 25, 15, 0)
HOUR = dt.timedelta(hours=1)
SCALE_NUMBER = re.compile(r"\d{6}-9\d{14}")


def seed_scale(orders: int, days: int = 10) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_scale", orders=orders, batch=300, days=days, customers=200, stdout=out)
    return out.getvalue()


def test_it_makes_the_orders_with_items_parcels_and_events():
    output = seed_scale(1000)

    assert Order.objects.count() == 1000
    assert OrderItem.objects.count() >= 1000
    assert Shipment.objects.exists()
    assert TrackingEvent.objects.exists()
    assert "Made 1,000 orders" in output


def test_order_numbers_do_not_meet_the_demos():
    with time_machine.travel(NOW, tick=False):
        seed_store(now=NOW, orders=50)
    seed_scale(300)

    numbers = list(Order.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 350
    assert sum(bool(SCALE_NUMBER.fullmatch(number)) for number in numbers) == 300


def test_a_second_run_adds_more_with_new_numbers():
    seed_scale(300)
    seed_scale(300)

    assert Order.objects.count() == 600
    assert Order.objects.values("number").distinct().count() == 600
    assert Customer.objects.count() == 200  # the pool is reused


def test_rows_made_afterwards_get_fresh_ids():
    seed_scale(300)

    order = OrderFactory()

    assert order.pk > Order.objects.exclude(pk=order.pk).aggregate(top=Max("id"))["top"]


def test_recent_orders_cover_the_logistics_exceptions():
    seed_scale(3000, days=10)
    awaiting = Order.objects.filter(status=Order.Status.AWAITING_SHIPMENT)
    shipped = Shipment.objects.filter(order__status=Order.Status.SHIPPED)

    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert awaiting.filter(ship_by__lt=NOW).exists()
    assert shipped.filter(last_event_at__lt=NOW - 72 * HOUR).exists()
    assert shipped.filter(last_event_at=None, shipped_at__lt=NOW - 24 * HOUR).exclude(tracking_no="").exists()
    assert shipped.filter(tracking_no="").exists()


def test_times_are_consistent():
    seed_scale(1000)

    assert not Order.objects.filter(paid_at__gt=NOW).exists()
    assert not TrackingEvent.objects.filter(at__gt=NOW).exists()
    for order in Order.objects.exclude(items__sku__product__ship_within_hours__isnull=False)[:200]:
        assert order.ship_by == order.paid_at + 48 * HOUR
    for shipment in Shipment.objects.annotate(latest=Max("events__at"), n=Count("events"))[:300]:
        assert shipment.last_event_at == shipment.latest
        assert shipment.shipped_at >= shipment.order.paid_at


def test_amounts_add_up_in_fen():
    seed_scale(500)

    for order in Order.objects.prefetch_related("items"):
        assert order.goods_fen == sum(item.total_fen for item in order.items.all())
        assert order.paid_fen == order.goods_fen + order.shipping_fen - order.discount_fen


def test_ship_by_pauses_for_holidays_when_the_store_says_so():
    StoreSettingsFactory(holidays_pause_ship_clock=True)
    HolidayFactory(date=dt.date(2026, 11, 20), name="店休")

    seed_scale(300)

    store = StoreSettings.load()
    calendar = Calendar.for_store(store)
    for order in Order.objects.prefetch_related("items__sku__product"):
        products = [item.sku.product for item in order.items.all()]
        assert order.ship_by == compute_ship_by(
            paid_at=order.paid_at, products=products, store=store, calendar=calendar
        )


class RecordingCursor:
    def __init__(self):
        self.statements: list[str] = []

    def execute(self, sql):
        self.statements.append(sql)


def test_on_postgresql_the_tables_are_analyzed_each_time_they_have_doubled():
    """Without autovacuum the foreign-key checks kept a plan from when the orders were few: a scan per row."""
    from backoffice.management.commands.seed_scale import Writer

    writer, cursor = Writer(), RecordingCursor()
    writer.copy = True  # as on PostgreSQL
    analyzed = []
    for rows in (301, 601, 901, 1201, 1801, 1802):
        before = len(cursor.statements)
        writer.analyze_when_grown(cursor, rows)
        if len(cursor.statements) > before:
            analyzed.append(rows)

    assert analyzed == [301, 901, 1802]
    assert all(sql.startswith("ANALYZE ") and "backoffice_order" in sql for sql in cursor.statements)


def test_elsewhere_nothing_is_analyzed_between_batches():
    from backoffice.management.commands.seed_scale import Writer

    writer, cursor = Writer(), RecordingCursor()
    writer.copy = False  # SQLite: inserts, no deferred checks of that kind
    writer.analyze_when_grown(cursor, 10_000)

    assert cursor.statements == []
