"""A1 "from the tracking estimate": the courier's delivery estimate is read from kuaidi100 and kept on the parcel."""

import pytest

from backoffice.models import Shipment
from logistics import refresh
from logistics.tracking import Kuaidi100Provider, Track, TrackEvent
from tests.factories import make_order, shanghai

from .conftest import HOUR, MINUTE, NOW

pytestmark = pytest.mark.django_db


def test_kuaidi100s_arrival_time_is_the_parcels_estimate():
    body = {
        "state": "0",
        "arrivalTime": "2026-11-27 18",
        "data": [{"time": "2026-11-25 07:30:00", "context": "运输中"}],
    }

    track = Kuaidi100Provider(customer="c", key="k").parse(body)

    assert track.estimated_delivery == shanghai(2026, 11, 27, 18, 0)
    assert Kuaidi100Provider(customer="c", key="k").parse({"data": []}).estimated_delivery is None


class EstimatingProvider:
    def query(self, courier_code, tracking_no, phone=None):
        track = Track([TrackEvent(NOW - 10 * MINUTE, Shipment.State.IN_TRANSIT, "杭州市", "运输中")])
        track.estimated_delivery = NOW + 30 * HOUR
        return track


def test_a_refresh_keeps_the_couriers_estimate(clock):
    order = make_order(paid_at=NOW - 30 * HOUR, tracking_events=1)

    refresh.refresh_tracking(provider=EstimatingProvider())

    assert order.shipments.get().estimated_delivery_at == NOW + 30 * HOUR
