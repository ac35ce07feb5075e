"""Refreshing tracking politely: batches, backoff on errors, and nothing lost when the provider is down."""

import pytest

from backoffice.models import Order, Shipment, TrackingEvent
from logistics import refresh
from logistics.models import Problem, TrackingPoll
from logistics.tracking import BadTrackingRequest, FakeProvider, ProviderRejected, ProviderUnavailable, TrackEvent
from tests.factories import make_order

from .conftest import HOUR, MINUTE, NOW

pytestmark = pytest.mark.django_db


class ScriptedProvider:
    """Answers from a dict tracking number → events or an exception to raise; records what it was asked."""

    def __init__(self, answers=None, default=()):
        self.answers, self.default, self.asked = answers or {}, default, []

    def query(self, courier_code, tracking_no, phone=None):
        self.asked.append(tracking_no)
        answer = self.answers.get(tracking_no, self.default)
        if isinstance(answer, Exception):
            raise answer
        return list(answer)


def in_transit(count=1, **kwargs):
    return [make_order(paid_at=NOW - 30 * HOUR, tracking_events=1, **kwargs) for _ in range(count)]


def tracking_no(order) -> str:
    return order.shipments.get().tracking_no


def test_new_events_are_stored_and_the_parcel_moves_on(clock):
    (order,) = in_transit()
    event = TrackEvent(NOW - 10 * MINUTE, Shipment.State.OUT_FOR_DELIVERY, "深圳市", "【深圳市】派件员正在派送")
    provider = ScriptedProvider({tracking_no(order): [event]})

    result = refresh.refresh_tracking(provider=provider)

    shipment = order.shipments.get()
    assert result.asked == 1 and result.new_events == 1
    assert shipment.state == Shipment.State.OUT_FOR_DELIVERY and shipment.last_event_at == NOW - 10 * MINUTE
    poll = TrackingPoll.objects.get(shipment=shipment)
    assert poll.failures == 0 and poll.next_poll_at == NOW + refresh.POLL_EVERY_OUT_FOR_DELIVERY


def test_asking_again_adds_no_duplicate_event(clock):
    (order,) = in_transit()
    known = list(order.shipments.get().events.all())
    answer = [TrackEvent(e.at, e.state, e.place, e.description) for e in known]
    provider = ScriptedProvider({tracking_no(order): answer})

    result = refresh.refresh_tracking(provider=provider)

    assert result.new_events == 0 and TrackingEvent.objects.count() == 1


def test_an_older_event_never_moves_the_parcel_back(clock):
    (order,) = in_transit()
    shipment = order.shipments.get()
    old = TrackEvent(shipment.last_event_at - HOUR, Shipment.State.IN_TRANSIT, "杭州市", "揽收")

    refresh.refresh_tracking(provider=ScriptedProvider({shipment.tracking_no: [old]}))

    shipment.refresh_from_db()
    assert shipment.last_event_at > old.at


def test_a_run_asks_at_most_one_batch(clock):
    in_transit(5)
    provider = ScriptedProvider()

    refresh.refresh_tracking(provider=provider, batch=3)

    assert len(provider.asked) == 3
    assert TrackingPoll.objects.filter(next_poll_at__lte=NOW).count() == 2


def test_a_parcel_is_not_asked_again_before_its_next_poll(clock):
    in_transit(2)
    provider = ScriptedProvider()
    refresh.refresh_tracking(provider=provider)

    clock.move_to(NOW + 30 * MINUTE)
    refresh.refresh_tracking(provider=provider)

    assert len(provider.asked) == 2


def test_a_failure_backs_off_and_counts(clock):
    (order,) = in_transit()
    provider = ScriptedProvider(default=ProviderUnavailable("busy", code="502"))

    refresh.refresh_tracking(provider=provider)
    poll = TrackingPoll.objects.get()
    assert poll.failures == 1 and poll.next_poll_at == NOW + refresh.backoff(1) and "busy" in poll.last_error

    clock.move_to(poll.next_poll_at)
    refresh.refresh_tracking(provider=provider)
    poll.refresh_from_db()
    assert poll.failures == 2 and poll.next_poll_at == poll.last_polled_at + refresh.backoff(2)


def test_backoff_doubles_up_to_a_ceiling():
    assert [refresh.backoff(n).total_seconds() / 60 for n in (1, 2, 3)] == [15, 30, 60]
    assert refresh.backoff(20) == refresh.BACKOFF_MAX


def test_a_wrong_query_waits_long_instead_of_hammering(clock):
    in_transit()

    refresh.refresh_tracking(provider=ScriptedProvider(default=BadTrackingRequest("400", code="400")))

    assert TrackingPoll.objects.get().next_poll_at == NOW + refresh.BACKOFF_MAX


def test_a_provider_outage_stops_the_run_and_loses_nothing(clock):
    orders = in_transit(6)
    provider = ScriptedProvider(default=ProviderUnavailable("timeout", code="timeout"))

    result = refresh.refresh_tracking(provider=provider)

    assert result.asked == refresh.STOP_AFTER_FAILURES and result.stopped
    assert TrackingPoll.objects.count() == 6
    assert not TrackingPoll.objects.exclude(claim="").exists()
    # Every parcel is asked again once the provider is back.
    clock.move_to(NOW + 2 * HOUR)
    back = ScriptedProvider()
    refresh.refresh_tracking(provider=back)
    assert sorted(back.asked) == sorted(tracking_no(o) for o in orders)


def test_a_refused_account_stops_the_run_at_once(clock):
    in_transit(3)

    result = refresh.refresh_tracking(provider=ScriptedProvider(default=ProviderRejected("503 sign", code="503")))

    assert result.asked == 1 and "503" in result.stopped


def test_delivered_parcels_leave_the_poll_list(clock):
    (order,) = in_transit()
    done = TrackEvent(NOW - MINUTE, Shipment.State.DELIVERED, "深圳市", "已签收")

    refresh.refresh_tracking(provider=ScriptedProvider({tracking_no(order): [done]}))

    assert not TrackingPoll.objects.exists()
    assert order.shipments.get().delivered_at == NOW - MINUTE


def test_parcels_without_tracking_number_or_not_in_transit_are_not_polled(clock):
    make_order(paid_at=NOW - 30 * HOUR, shipped=True, tracking_no="")
    make_order(paid_at=NOW - 300 * HOUR, tracking_events=5, status=Order.Status.COMPLETED)
    provider = ScriptedProvider()

    refresh.refresh_tracking(provider=provider)

    assert provider.asked == []


def test_a_crashed_workers_claim_runs_out(clock):
    in_transit()
    refresh.ensure_polls(now=NOW)
    claimed = refresh.claim_due(now=NOW)
    assert len(claimed) == 1 and refresh.claim_due(now=NOW) == []

    assert len(refresh.claim_due(now=NOW + refresh.LEASE)) == 1


def test_refreshed_movement_clears_the_stalled_problem_at_the_next_sweep(clock, sweep):
    order = make_order(paid_at=NOW - 200 * HOUR, shipped_at=NOW - 190 * HOUR, tracking_events=1)
    sweep()
    moved = TrackEvent(NOW - HOUR, Shipment.State.IN_TRANSIT, "深圳市", "【深圳市】到达深圳转运中心")

    refresh.refresh_tracking(provider=ScriptedProvider({tracking_no(order): [moved]}))
    sweep()

    assert Problem.objects.get(order=order).cleared_at == NOW


def test_fake_provider_moves_a_healthy_parcel_and_leaves_a_stalled_one(clock):
    healthy = make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 20 * HOUR, tracking_events=1)
    stuck = make_order(paid_at=NOW - 200 * HOUR, shipped_at=NOW - 190 * HOUR, tracking_events=1)

    refresh.refresh_tracking(provider=FakeProvider())

    assert healthy.shipments.get().last_event_at == NOW
    assert stuck.shipments.get().events.count() == 1
