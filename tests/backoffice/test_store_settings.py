import datetime as dt

import pytest

from backoffice.models import StoreSettings
from backoffice.platform.shipping import compute_ship_by
from tests.factories import ProductFactory, shanghai

pytestmark = pytest.mark.django_db


def test_load_returns_the_one_record_with_the_documented_defaults():
    store = StoreSettings.load()

    assert StoreSettings.objects.count() == 1
    assert store.pk == StoreSettings.load().pk
    assert store.ship_within_hours == 48  # L1
    assert store.first_response_minutes == 3  # R1
    assert store.tracking_stall_hours == 72  # L5
    assert store.first_tracking_event_hours == 24  # L4
    assert store.auto_refund_threshold_fen == 2000  # A5
    assert store.refund_handle_hours == 48  # A7
    assert store.return_review_hours == 24  # A7
    assert store.holidays_pause_ship_clock is False


def test_load_creates_the_record_when_it_is_missing():
    StoreSettings.objects.all().delete()

    store = StoreSettings.load()

    assert StoreSettings.objects.count() == 1
    assert store.ship_within_hours == 48


def test_load_does_not_make_a_second_record():
    StoreSettings.load()
    StoreSettings.load()

    assert StoreSettings.objects.count() == 1


def test_ship_by_uses_the_hours_saved_in_the_record():
    StoreSettings.objects.filter(pk=StoreSettings.load().pk).update(ship_within_hours=72)
    paid_at = shanghai(2026, 11, 20, 10, 0)

    ship_by = compute_ship_by(paid_at=paid_at, products=[ProductFactory.build()], store=StoreSettings.load())

    assert ship_by == paid_at + dt.timedelta(hours=72)


def test_ship_by_follows_the_holiday_switch_saved_in_the_record():
    store = StoreSettings.load()
    store.holidays.create(date=dt.date(2027, 1, 1), name="元旦")
    store.holidays_pause_ship_clock = True
    store.save(update_fields=["holidays_pause_ship_clock"])
    paid_at = shanghai(2026, 12, 31, 10, 0)

    ship_by = compute_ship_by(paid_at=paid_at, products=[], store=StoreSettings.load())

    assert ship_by == shanghai(2027, 1, 3, 10, 0)
