"""Proactive messages: the L6 shipment notice and the A1 after-sales reminder, each once per order."""

import pytest

from backoffice.models import MessageTemplate, OutboundMessage, Shipment
from logistics import notices, tasks
from logistics.models import CustomerNotice
from tests.factories import make_order

from .conftest import HOUR, MINUTE, NOW

pytestmark = pytest.mark.django_db


def just_shipped(**kwargs):
    return make_order(paid_at=NOW - 10 * HOUR, shipped_at=NOW - 20 * MINUTE, **kwargs)


def test_shipment_notice_names_the_courier_and_tracking_number(clock):
    order = just_shipped()
    shipment = order.shipments.get()

    assert notices.send_shipment_notices() == 1

    message = OutboundMessage.objects.get(template_key="shipment_notice")
    assert message.customer == order.customer and message.idempotency_key == f"L6:{order.pk}"
    assert shipment.courier.name in message.body and shipment.tracking_no in message.body
    assert order.number in message.body and "3–5" in message.body


def test_shipment_notice_goes_out_once_however_often_the_task_runs(clock):
    just_shipped()

    tasks.send_proactive_notices()
    clock.move_to(NOW + 5 * MINUTE)
    tasks.send_proactive_notices()
    notices.send_shipment_notices()

    assert OutboundMessage.objects.filter(template_key="shipment_notice").count() == 1
    assert CustomerNotice.objects.filter(kind="L6").count() == 1


def test_no_shipment_notice_without_a_tracking_number(clock):
    just_shipped(tracking_no="")

    assert notices.send_shipment_notices() == 0


def test_old_parcels_do_not_get_a_just_shipped_notice(clock):
    make_order(paid_at=NOW - 60 * HOUR, shipped_at=NOW - 30 * HOUR, tracking_events=1)

    assert notices.send_shipment_notices() == 0


def test_a_parcel_already_moving_still_gets_its_notice_within_the_day(clock):
    make_order(paid_at=NOW - 20 * HOUR, shipped_at=NOW - 3 * HOUR, tracking_events=1, event_gap=HOUR)

    assert notices.send_shipment_notices() == 1


def test_switched_off_template_sends_nothing_and_is_not_retried_forever(clock):
    MessageTemplate.objects.filter(key="shipment_notice").update(active=False)
    just_shipped()

    assert notices.send_shipment_notices() == 0
    assert CustomerNotice.objects.filter(kind="L6", message__isnull=True).count() == 1
    assert list(notices.shipment_notice_candidates(now=NOW)) == []


def test_aftersales_reminder_goes_to_parcels_out_for_delivery_once(clock):
    order = make_order(paid_at=NOW - 60 * HOUR, shipped_at=NOW - 50 * HOUR, tracking_events=4, event_gap=12 * HOUR)
    assert order.shipments.get().state == Shipment.State.OUT_FOR_DELIVERY
    # Still in transit and not expected before the day after tomorrow (3 days after shipping).
    make_order(paid_at=NOW - 40 * HOUR, shipped_at=NOW - 30 * HOUR, tracking_events=2)

    assert notices.send_aftersales_reminders() == 1
    assert notices.send_aftersales_reminders() == 0

    message = OutboundMessage.objects.get(template_key="aftersales_reminder")
    assert message.idempotency_key == f"A1:{order.pk}" and "退换" in message.body


def test_notices_respect_the_batch_size(clock):
    for _ in range(3):
        just_shipped()

    assert notices.send_shipment_notices(limit=2) == 2
    assert notices.send_shipment_notices(limit=2) == 1
