"""L5 follows the store's `tracking_stall_hours`, not the default 72 h."""

from backoffice.models import CaseKind, StoreSettings
from logistics.models import Problem
from tests.logistics.conftest import HOUR, MINUTE, NOW
from tests.logistics.test_detection import kinds_of, stalled_for


def _stall_after(hours: int) -> None:
    store = StoreSettings.load()
    store.tracking_stall_hours = hours
    store.save(update_fields=["tracking_stall_hours"])


def test_a_store_that_waits_24_hours_calls_a_parcel_idle_for_24_01_stalled(clock, sweep):
    _stall_after(24)
    stalled = stalled_for(24 * HOUR + MINUTE)
    moving = stalled_for(23 * HOUR + 59 * MINUTE)

    sweep()

    assert Problem.objects.get(order=stalled).kind == CaseKind.STALLED
    assert kinds_of(moving) == set()


def test_a_store_that_waits_96_hours_leaves_a_parcel_idle_for_80_hours_alone(clock, sweep):
    _stall_after(96)
    order = stalled_for(80 * HOUR)

    sweep()

    assert kinds_of(order) == set()


def test_the_incremental_sweep_uses_the_setting_too(clock, sweep):
    _stall_after(24)
    sweep()  # the first sweep sets where the next one starts
    order = stalled_for(24 * HOUR - 30 * MINUTE)
    clock.move_to(NOW + HOUR)

    sweep(full=False)

    assert Problem.objects.get(order=order).kind == CaseKind.STALLED
