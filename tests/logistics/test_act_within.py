"""How long an agent has to act on a new logistics problem is the store's setting, per kind of problem."""

from logistics.models import Problem
from tests.factories import StoreSettingsFactory, make_order

from .conftest import HOUR, MINUTE, NOW


def stalled_for(age):
    shipped = NOW - age - 2 * HOUR
    return make_order(paid_at=shipped - 5 * HOUR, shipped_at=shipped, tracking_events=1, event_gap=2 * HOUR)


def test_a_stalled_parcel_is_due_within_the_stores_tracking_problem_time(clock, sweep):
    StoreSettingsFactory(tracking_problem_act_hours=6)
    order = stalled_for(72 * HOUR + MINUTE)

    sweep()

    assert Problem.objects.get(order=order).case.resolve_due == NOW + 6 * HOUR


def test_a_late_order_is_due_within_the_stores_shipping_problem_time(clock, sweep):
    StoreSettingsFactory(shipping_problem_act_hours=1)
    order = make_order(paid_at=NOW - 50 * HOUR)

    sweep()

    assert Problem.objects.get(order=order).case.resolve_due == NOW + 1 * HOUR


def test_an_early_warning_that_turns_late_gets_the_stores_shipping_problem_time(clock, sweep):
    StoreSettingsFactory(shipping_problem_act_hours=3)
    order = make_order(paid_at=NOW - 47 * HOUR)
    sweep()
    clock.move_to(NOW + 2 * HOUR)

    sweep()

    assert Problem.objects.get(order=order).case.resolve_due == NOW + 2 * HOUR + 3 * HOUR
