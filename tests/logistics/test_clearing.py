"""A problem that clears is noted on its case; the case closes itself when nobody touched it."""

import threading

import pytest
from django.db import connection
from django.utils.translation import gettext

from backoffice.cases import services as casework
from backoffice.models import CaseEvent, CaseKind, EventType, Order, Shipment, Status, StoreSettings, TrackingEvent
from logistics import detection
from logistics.models import Problem
from tests.factories import AgentFactory, make_order

from .conftest import HOUR, MINUTE, NOW, logistics_cases

pytestmark = pytest.mark.django_db


def ship(order):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.SHIPPED, shipped_at=NOW)


def test_order_shipped_after_the_warning_clears_and_the_untouched_case_closes_itself(clock, sweep):
    order = make_order(paid_at=NOW - 47 * HOUR)
    sweep()
    case = Problem.objects.get(order=order).case

    ship(order)
    clock.move_to(NOW + 5 * MINUTE)
    result = sweep(full=False)

    case.refresh_from_db()
    problem = Problem.objects.get(order=order)
    assert result.cleared == 1 and result.auto_closed == 1
    assert problem.cleared_at is not None
    assert problem.cleared_reason == gettext("The order left “awaiting shipment” (shipped, cancelled or refunded).")
    assert case.status == Status.CLOSED and case.resolution == "cleared"
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_UPDATED, after__logistics="cleared").exists()
    closed = CaseEvent.objects.get(case=case, type=EventType.CASE_STATUS)
    assert closed.actor is None and closed.after == {"status": Status.CLOSED}


def test_cleared_problem_on_a_case_someone_works_on_is_noted_and_left_open(clock, sweep):
    order = make_order(paid_at=NOW - 50 * HOUR)
    sweep()
    case = Problem.objects.get(order=order).case
    casework.claim_case(case=case, agent=AgentFactory())

    ship(order)
    sweep()

    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert CaseEvent.objects.filter(case=case, after__logistics="cleared").count() == 1


def test_a_note_by_an_agent_counts_as_touching_the_case(clock, sweep):
    order = make_order(paid_at=NOW - 50 * HOUR)
    sweep()
    case = Problem.objects.get(order=order).case
    casework.add_note(case=case, body="已催仓库", actor=AgentFactory())

    ship(order)
    sweep()

    case.refresh_from_db()
    assert case.is_open


def test_stalled_parcel_that_moves_again_clears(clock, sweep):
    shipped = NOW - 100 * HOUR
    order = make_order(paid_at=shipped - 5 * HOUR, shipped_at=shipped, tracking_events=1)
    sweep()
    shipment = order.shipments.get()
    TrackingEvent.objects.create(
        shipment=shipment,
        at=NOW - HOUR,
        place="深圳市",
        state=Shipment.State.IN_TRANSIT,
        description="到达深圳转运中心",
    )
    Shipment.objects.filter(pk=shipment.pk).update(last_event_at=NOW - HOUR)

    result = sweep()

    assert result.cleared == 1
    assert Problem.objects.get(order=order).cleared_reason == gettext("The parcel moved again.")
    assert logistics_cases(status=Status.CLOSED).count() == 1


def test_a_new_exception_event_does_not_clear_a_stalled_parcel(clock, sweep):
    order = make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 20 * HOUR, tracking_events=1)
    shipment = order.shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(state=Shipment.State.EXCEPTION)
    sweep()

    Shipment.objects.filter(pk=shipment.pk).update(last_event_at=NOW - MINUTE)
    sweep()

    assert Problem.objects.get(order=order).cleared_at is None


def test_tracking_number_added_clears_no_tracking(clock, sweep):
    order = make_order(paid_at=NOW - 10 * HOUR, shipped_at=NOW - HOUR, tracking_no="")
    sweep()

    Shipment.objects.filter(order=order).update(tracking_no="YT1234567890123")
    sweep()

    assert Problem.objects.get(order=order).cleared_at is not None


def test_first_event_clears_no_tracking_update(clock, sweep):
    order = make_order(paid_at=NOW - 40 * HOUR, shipped_at=NOW - 30 * HOUR)
    sweep()

    Shipment.objects.filter(order=order).update(last_event_at=NOW - MINUTE, state=Shipment.State.IN_TRANSIT)
    sweep()

    assert Problem.objects.get(order=order).cleared_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent writers: set DATABASE_URL (CI does)"
)
def test_two_sweeps_at_once_open_each_problem_once():
    for hours in range(50, 62):
        make_order(paid_at=NOW - hours * HOUR)
    make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 25 * HOUR)
    results, errors = [], []
    start = threading.Barrier(3)

    def run():
        try:
            start.wait()
            results.append(detection.sweep(now=NOW, full=True))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert sum(r.opened for r in results) == 13
    assert logistics_cases().count() == 13 == Problem.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent writers: set DATABASE_URL (CI does)"
)
def test_two_writers_storing_the_same_problem_at_once_store_it_once():
    """Even without the sweep's lock, the partial unique index lets one of them win."""
    order = make_order(paid_at=NOW - 50 * HOUR)
    found = detection.Found(order.pk, order.customer_id, CaseKind.NOT_SHIPPED, stage="late")
    results = []
    start = threading.Barrier(4)

    def run():
        try:
            start.wait()
            results.append(detection.open_problem(found, now=NOW, store=StoreSettings.load()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len([r for r in results if r is not None]) == 1
    assert logistics_cases().count() == 1
