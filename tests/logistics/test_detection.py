"""Detecting logistics exceptions (L1–L5): each detector's edges, one case per problem, incremental sweeps."""

import datetime as dt

import pytest

from backoffice.cases import services as casework
from backoffice.models import CaseEvent, CaseKind, EventType, Order, Priority, Shipment, Status, StoreSettings
from logistics import detection, services
from logistics.models import OutOfStockOffer, Problem, SweepCursor
from tests.factories import (
    AgentFactory,
    HolidayFactory,
    ProductFactory,
    SkuFactory,
    StoreSettingsFactory,
    make_order,
)

from .conftest import HOUR, MINUTE, NOW, logistics_cases

pytestmark = pytest.mark.django_db


def kinds_of(order) -> set[str]:
    return set(Problem.objects.filter(order=order, cleared_at__isnull=True).values_list("kind", flat=True))


# --- L1/L2 not shipped ----------------------------------------------------------------------------------------


def test_unshipped_order_is_an_early_warning_at_47_59(clock, sweep):
    order = make_order(paid_at=NOW - 47 * HOUR - 59 * MINUTE)

    sweep()

    problem = Problem.objects.get(order=order)
    assert problem.kind == CaseKind.NOT_SHIPPED and problem.stage == Problem.Stage.WARNING
    assert problem.case.priority == Priority.NORMAL
    assert problem.case.resolve_due == order.ship_by


def test_unshipped_order_is_late_at_48_01(clock, sweep):
    order = make_order(paid_at=NOW - 48 * HOUR - MINUTE)

    sweep()

    problem = Problem.objects.get(order=order)
    assert problem.stage == Problem.Stage.LATE
    assert problem.case.priority == Priority.HIGH
    assert problem.case.kind == CaseKind.NOT_SHIPPED and problem.case.order == order


def test_without_early_warning_47_59_is_not_yet_a_problem(clock, sweep):
    StoreSettingsFactory(ship_warning_hours=0)
    order = make_order(paid_at=NOW - 47 * HOUR - 59 * MINUTE)

    sweep()

    assert kinds_of(order) == set()


def test_early_warning_starts_ship_warning_hours_before_the_deadline(clock, sweep):
    StoreSettingsFactory(ship_warning_hours=6)
    too_early = make_order(paid_at=NOW - 41 * HOUR - 59 * MINUTE)
    warned = make_order(paid_at=NOW - 42 * HOUR - MINUTE)

    sweep()

    assert kinds_of(too_early) == set()
    assert kinds_of(warned) == {CaseKind.NOT_SHIPPED}


def test_holidays_do_not_stop_the_48_hour_clock_by_default(clock, sweep):
    paid = NOW - 48 * HOUR - MINUTE
    HolidayFactory(date=(paid + 12 * HOUR).date(), name="国庆节")
    order = make_order(paid_at=paid)

    sweep()

    assert Problem.objects.get(order=order).stage == Problem.Stage.LATE


def test_holidays_stop_the_clock_when_the_store_says_so(clock, sweep):
    StoreSettingsFactory(holidays_pause_ship_clock=True, ship_warning_hours=0)
    paid = NOW - 48 * HOUR - MINUTE
    HolidayFactory(date=(paid + 24 * HOUR).date(), name="国庆节")
    order = make_order(paid_at=paid)

    sweep()

    assert order.ship_by > NOW
    assert kinds_of(order) == set()


def test_custom_made_item_is_not_late_at_48_hours(clock, sweep):
    StoreSettingsFactory(ship_warning_hours=0)
    custom = SkuFactory(product=ProductFactory(custom=True))
    order = make_order(paid_at=NOW - 48 * HOUR - MINUTE, skus=[custom])

    sweep()

    assert kinds_of(order) == set()


def test_presale_order_is_late_only_after_its_presale_date(clock, sweep):
    StoreSettingsFactory(ship_warning_hours=0)
    passed = SkuFactory(product=ProductFactory(presale=True, presale_ship_by=NOW - MINUTE))
    coming = SkuFactory(product=ProductFactory(presale=True, presale_ship_by=NOW + 24 * HOUR))
    late = make_order(paid_at=NOW - 60 * HOUR, skus=[passed])
    waiting = make_order(paid_at=NOW - 60 * HOUR, skus=[coming])

    sweep()

    assert Problem.objects.get(order=late).stage == Problem.Stage.LATE
    assert kinds_of(waiting) == set()


def test_shipped_cancelled_and_refunded_orders_are_never_late(clock, sweep):
    paid = NOW - 60 * HOUR
    for status in (Order.Status.CANCELLED, Order.Status.REFUNDED):
        make_order(paid_at=paid, status=status)
    make_order(paid_at=paid, shipped_at=paid + 10 * HOUR, tracking_events=2)

    sweep()

    assert not Problem.objects.filter(kind=CaseKind.NOT_SHIPPED).exists()


def test_warning_becomes_late_when_the_deadline_passes(clock, sweep):
    order = make_order(paid_at=NOW - 47 * HOUR)
    sweep()
    case = Problem.objects.get(order=order).case

    clock.move_to(NOW + 2 * HOUR)
    result = sweep(full=False)

    problem = Problem.objects.get(order=order)
    case.refresh_from_db()
    assert result.escalated == 1 and problem.stage == Problem.Stage.LATE
    assert case.priority == Priority.HIGH and case.due_at > NOW + 2 * HOUR
    assert CaseEvent.objects.filter(case=case, type=EventType.CASE_PRIORITY).count() == 1
    assert logistics_cases().count() == 1


def test_a_resolved_early_warning_comes_back_when_the_order_is_late(clock, sweep):
    order = make_order(paid_at=NOW - 47 * HOUR)
    sweep()
    case = Problem.objects.get(order=order).case
    services.resolve_case(case=case, actor=AgentFactory(), outcome="other", note="仓库说今天发")

    clock.move_to(NOW + 2 * HOUR)
    sweep(full=False)

    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


def test_customer_who_agreed_to_wait_is_not_chased_before_the_agreed_day(clock, sweep):
    order = make_order(paid_at=NOW - 50 * HOUR)
    case = detection.open_problem(
        detection.Found(order.pk, order.customer_id, CaseKind.OUT_OF_STOCK), now=NOW, store=StoreSettings.load()
    ).case
    OutOfStockOffer.objects.create(
        case=case,
        order=order,
        wait_days=3,
        coupon_fen=500,
        offered_by=AgentFactory(),
        choice="wait",
        wait_until=NOW + 72 * HOUR,
    )

    sweep()

    assert kinds_of(order) == {CaseKind.OUT_OF_STOCK}


# --- L4 tracking number and first event ---------------------------------------------------------------------


def test_parcel_shipped_without_a_tracking_number_is_found(clock, sweep):
    order = make_order(paid_at=NOW - 10 * HOUR, shipped_at=NOW - HOUR, tracking_no="")

    sweep()

    assert kinds_of(order) == {CaseKind.NO_TRACKING}
    assert Problem.objects.get(order=order).shipment == order.shipments.get()


def test_no_tracking_event_is_fine_at_23_59(clock, sweep):
    order = make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 23 * HOUR - 59 * MINUTE)

    sweep()

    assert kinds_of(order) == set()


def test_no_tracking_event_is_a_problem_at_24_01(clock, sweep):
    order = make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 24 * HOUR - MINUTE)

    sweep()

    assert kinds_of(order) == {CaseKind.NO_TRACKING_UPDATE}


def test_first_tracking_window_is_a_store_setting(clock, sweep):
    StoreSettingsFactory(first_tracking_event_hours=12)
    order = make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 12 * HOUR - MINUTE)

    sweep()

    assert kinds_of(order) == {CaseKind.NO_TRACKING_UPDATE}


# --- L5 stalled -----------------------------------------------------------------------------------------------


def stalled_for(age: dt.timedelta, **kwargs):
    """A parcel whose one tracking event (in transit) is `age` old."""
    shipped = NOW - age - 2 * HOUR
    return make_order(paid_at=shipped - 5 * HOUR, shipped_at=shipped, tracking_events=1, event_gap=2 * HOUR, **kwargs)


def test_parcel_without_movement_for_71_59_is_not_stalled(clock, sweep):
    order = stalled_for(71 * HOUR + 59 * MINUTE)

    sweep()

    assert kinds_of(order) == set()


def test_parcel_without_movement_for_72_01_is_stalled(clock, sweep):
    order = stalled_for(72 * HOUR + MINUTE)

    sweep()

    problem = Problem.objects.get(order=order)
    assert problem.kind == CaseKind.STALLED
    assert problem.evidence_at == order.shipments.get().last_event_at


def test_courier_reported_exception_is_a_problem_at_once(clock, sweep):
    order = stalled_for(3 * HOUR)
    Shipment.objects.filter(order=order).update(state=Shipment.State.EXCEPTION)

    sweep()

    problem = Problem.objects.get(order=order)
    assert problem.kind == CaseKind.STALLED and problem.case.priority == Priority.HIGH


def test_delivered_parcels_are_never_stalled(clock, sweep):
    make_order(paid_at=NOW - 30 * 24 * HOUR, tracking_events=5, status=Order.Status.COMPLETED)

    sweep()

    assert not Problem.objects.exists()


# --- L2/L3 out of stock -----------------------------------------------------------------------------------------


def test_order_awaiting_shipment_with_a_sold_out_sku_is_out_of_stock(clock, sweep):
    sold_out = SkuFactory(stock=0)
    order = make_order(paid_at=NOW - 2 * HOUR, skus=[sold_out])
    make_order(paid_at=NOW - 200 * HOUR, skus=[sold_out], shipped=True, tracking_events=5)

    sweep()

    assert kinds_of(order) == {CaseKind.OUT_OF_STOCK}
    assert Problem.objects.count() == 1
    assert Problem.objects.get().source == Problem.Source.STOCK


def test_out_of_stock_order_is_not_also_chased_as_late(clock, sweep):
    order = make_order(paid_at=NOW - 50 * HOUR, skus=[SkuFactory(stock=0)])

    sweep()

    assert kinds_of(order) == {CaseKind.OUT_OF_STOCK}


def test_incremental_sweep_sees_a_sku_that_just_sold_out(clock, sweep):
    sku = SkuFactory(stock=3)
    order = make_order(paid_at=NOW - 2 * HOUR, skus=[sku])
    sweep()
    sku.stock = 0
    sku.save(update_fields=["stock"])

    clock.move_to(NOW + 5 * MINUTE)
    sweep(full=False)

    assert kinds_of(order) == {CaseKind.OUT_OF_STOCK}


# --- one case per problem -----------------------------------------------------------------------------------------


def test_sweeping_twice_creates_no_duplicate(clock, sweep):
    make_order(paid_at=NOW - 50 * HOUR)
    make_order(paid_at=NOW - 30 * HOUR, shipped_at=NOW - 25 * HOUR)
    stalled_for(80 * HOUR)

    first = sweep()
    second = sweep()
    third = sweep(full=False)

    assert first.opened == 3 and second.opened == 0 and third.opened == 0
    assert logistics_cases().count() == 3 == Problem.objects.count()
    assert CaseEvent.objects.filter(type=EventType.CASE_OPENED).count() == 3


def test_storing_the_same_problem_twice_is_refused_by_the_database(clock):
    order = make_order(paid_at=NOW - 50 * HOUR)
    found = detection.Found(order.pk, order.customer_id, CaseKind.NOT_SHIPPED, stage="late")

    first = detection.open_problem(found, now=NOW, store=StoreSettings.load())
    second = detection.open_problem(found, now=NOW, store=StoreSettings.load())

    assert first is not None and second is None
    assert logistics_cases().count() == 1


def test_bulk_opening_writes_the_same_rows_as_one_by_one(clock, sweep, monkeypatch):
    for hours in (50, 51, 52):
        make_order(paid_at=NOW - hours * HOUR)
    monkeypatch.setattr(detection, "BULK_OPEN_AT", 2)

    result = sweep()

    assert result.opened == 3
    cases = list(logistics_cases().order_by("number"))
    assert [c.number for c in cases] == [f"LG-20261125-{n:04d}" for n in (1, 2, 3)]
    for case in cases:
        problem = Problem.objects.get(case=case)
        assert case.customer_id == problem.order.customer_id and case.status == Status.NEW
        assert case.due_at == case.resolve_due == NOW + 2 * HOUR  # the store's time to act on a late order
        opened = CaseEvent.objects.get(case=case, type=EventType.CASE_OPENED)
        assert opened.after["order"] == problem.order.number and opened.actor is None
    # The next case opened one by one continues the same day's numbers.
    make_order(paid_at=NOW - 60 * HOUR)
    sweep()
    assert logistics_cases().order_by("-number").first().number == "LG-20261125-0004"


def test_problem_back_on_an_order_whose_case_is_still_open_goes_on_that_case(clock, sweep):
    order = stalled_for(80 * HOUR)
    sweep()
    case = Problem.objects.get(order=order).case
    casework.claim_case(case=case, agent=AgentFactory())
    shipment = order.shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(last_event_at=NOW - HOUR)
    clock.move_to(NOW + 5 * MINUTE)
    sweep()  # moved: cleared, but the case stays (someone works on it)
    Shipment.objects.filter(pk=shipment.pk).update(last_event_at=NOW - 80 * HOUR)
    sweep()  # stalled again

    assert Problem.objects.filter(order=order).count() == 2
    assert logistics_cases().count() == 1
    assert set(Problem.objects.filter(order=order).values_list("case", flat=True)) == {case.pk}


# --- incremental -------------------------------------------------------------------------------------------------


def test_incremental_sweep_finds_what_crossed_a_threshold_since_the_last(clock, sweep):
    sweep()
    order = make_order(paid_at=NOW - 41 * HOUR - 57 * MINUTE)  # warning 3 minutes from now
    parcel = stalled_for(72 * HOUR - 2 * MINUTE)

    clock.move_to(NOW + 5 * MINUTE)
    result = sweep(full=None)

    assert not result.full
    assert kinds_of(order) == {CaseKind.NOT_SHIPPED}
    assert kinds_of(parcel) == {CaseKind.STALLED}


def test_incremental_sweep_sees_new_parcels_and_a_full_sweep_catches_late_arrivals(clock, sweep):
    sweep()
    no_number = make_order(paid_at=NOW - 10 * HOUR, shipped_at=NOW - HOUR, tracking_no="")
    # An order imported late: its ship-by time was already behind the last sweep's horizon.
    imported_late = make_order(paid_at=NOW - 60 * HOUR)

    clock.move_to(NOW + 5 * MINUTE)
    sweep(full=None)
    assert kinds_of(no_number) == {CaseKind.NO_TRACKING}
    assert kinds_of(imported_late) == set()

    clock.move_to(NOW + detection.FULL_SWEEP_EVERY + 6 * MINUTE)
    assert sweep(full=None).full
    assert kinds_of(imported_late) == {CaseKind.NOT_SHIPPED}


def test_sweep_moves_the_cursor(clock, sweep):
    sweep()

    cursor = SweepCursor.objects.get()
    assert cursor.checked_at == NOW and cursor.last_full_at == NOW
    assert cursor.ship_horizon == NOW + dt.timedelta(hours=StoreSettings.load().ship_warning_hours)


def test_missing_tracking_number_is_due_within_the_shipment_notice_window(clock, sweep):
    StoreSettingsFactory(shipment_notice_minutes=30)
    order = make_order(paid_at=NOW - 10 * HOUR, shipped_at=NOW - 5 * MINUTE, tracking_no="")

    sweep()

    assert Problem.objects.get(order=order).case.due_at == NOW + 30 * MINUTE
