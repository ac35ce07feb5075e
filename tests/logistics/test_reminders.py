"""A1: the after-sales reminder goes out the day before a parcel is expected, once, with the return-shipping promise.

Expected delivery: the courier's estimate when tracking gives one, else the ship date plus the store's delivery days;
remote areas get the store's longer estimate. Parcels that never report "out for delivery" get it too.
"""

import pytest

from backoffice.models import OutboundMessage, Shipment
from logistics import notices
from logistics.models import CustomerNotice
from tests.factories import CustomerFactory, StoreSettingsFactory, make_order

from .conftest import HOUR, MINUTE, NOW

pytestmark = pytest.mark.django_db
DAY = 24 * HOUR


def in_transit(shipped_ago, **kwargs):
    order = make_order(paid_at=NOW - shipped_ago - 5 * HOUR, shipped_at=NOW - shipped_ago, tracking_events=1, **kwargs)
    assert order.shipments.get().state == Shipment.State.IN_TRANSIT
    return order


def reminded_orders():
    return set(CustomerNotice.objects.filter(kind="A1").values_list("order_id", flat=True))


def test_a_parcel_in_transit_is_reminded_the_day_before_its_expected_delivery(clock):
    # Expected 3 days after shipping: due from 2 days after shipping.
    due = in_transit(2 * DAY + MINUTE)
    not_yet = in_transit(2 * DAY - MINUTE)

    assert notices.send_aftersales_reminders() == 1

    assert reminded_orders() == {due.pk}
    assert not_yet.pk not in reminded_orders()


def test_the_stores_delivery_days_move_the_reminder(clock):
    StoreSettingsFactory(expected_delivery_days_min=2, expected_delivery_days_max=4)
    order = in_transit(DAY + MINUTE)

    assert notices.send_aftersales_reminders() == 1
    assert reminded_orders() == {order.pk}


def test_the_couriers_estimate_wins_over_the_ship_date(clock):
    early = in_transit(10 * HOUR)
    Shipment.objects.filter(order=early).update(estimated_delivery_at=NOW + 20 * HOUR)
    late = in_transit(2 * DAY + HOUR)
    Shipment.objects.filter(order=late).update(estimated_delivery_at=NOW + 3 * DAY)

    notices.send_aftersales_reminders()

    assert reminded_orders() == {early.pk}


def test_remote_areas_get_the_longer_estimate(clock):
    xinjiang = CustomerFactory(province="新疆维吾尔自治区", city="乌鲁木齐市", district="天山区")
    remote = in_transit(2 * DAY + HOUR, customer=xinjiang)
    assert notices.send_aftersales_reminders() == 0

    clock.move_to(NOW + 2 * DAY)  # 4 days after shipping: remote parcels arrive after 5

    assert notices.send_aftersales_reminders() == 1
    assert reminded_orders() == {remote.pk}


def test_the_reminder_goes_out_once_and_keeps_the_return_shipping_promise(clock):
    order = in_transit(2 * DAY + HOUR)

    notices.send_aftersales_reminders()
    clock.move_to(NOW + 10 * HOUR)
    notices.send_aftersales_reminders()

    [message] = OutboundMessage.objects.filter(template_key="aftersales_reminder")
    assert message.customer == order.customer
    assert "运费" in message.body and "退换" in message.body


def test_a_reminder_due_at_night_waits_for_the_store_to_open(clock):
    in_transit(2 * DAY + HOUR)
    clock.move_to(NOW.replace(hour=23, minute=30))

    notices.send_aftersales_reminders()

    message = OutboundMessage.objects.get(template_key="aftersales_reminder")
    assert message.send_after == (NOW + DAY).replace(hour=9, minute=0)


def test_a_delivered_parcel_gets_no_reminder(clock):
    make_order(paid_at=NOW - 3 * DAY, shipped_at=NOW - 2 * DAY - HOUR, tracking_events=5, event_gap=6 * HOUR)

    assert notices.send_aftersales_reminders() == 0


def test_the_lookback_is_the_stores_setting(clock):
    # Shipped 30 hours ago: past the default one-day look-back for the shipment notice.
    make_order(paid_at=NOW - 40 * HOUR, shipped_at=NOW - 30 * HOUR, tracking_events=1)
    assert notices.send_shipment_notices() == 0

    StoreSettingsFactory(notice_lookback_hours=36)

    assert notices.send_shipment_notices() == 1


def test_a_remote_order_is_told_the_longer_delivery_estimate(clock):
    xinjiang = CustomerFactory(province="新疆维吾尔自治区", city="乌鲁木齐市", district="天山区")
    make_order(paid_at=NOW - 10 * HOUR, shipped_at=NOW - 20 * MINUTE, customer=xinjiang)

    notices.send_shipment_notices()

    assert "5–7" in OutboundMessage.objects.get(template_key="shipment_notice").body
