"""L1 with the platform's clock: the promised ship time (承诺发货时间 / promise_shipping_time) is the order's ship-by
time when the export or the API carries it; our own computation stays beside it as the fallback."""

import datetime as dt

import pytest
import time_machine

from backoffice.models import CaseKind, ImportJob, Order, Sku, StoreSettings, SyncCursor
from backoffice.platform.importing.headers import field_for
from backoffice.platform.importing.parsing import RowError
from backoffice.platform.pdd import sync
from logistics import detection
from logistics.models import Problem
from tests.factories import shanghai

from . import make_fixtures
from .conftest import NOW

SECOND = dt.timedelta(seconds=1)
PAID = shanghai(2026, 11, 21, 10, 0)
PROMISE = shanghai(2026, 11, 22, 9, 30)  # earlier than our 48 h (11-23 10:00)
OURS = PAID + dt.timedelta(hours=48)
HEADER = ["订单号", "订单状态", "商品", "用户实付金额(元)", "支付时间", "承诺发货时间"]


def write_export(path, rows, header=HEADER):
    path.write_bytes(make_fixtures.csv_bytes(header, rows, encoding="utf-8-sig"))
    return path


def sweep_at(moment: dt.datetime):
    Sku.objects.update(stock=50)  # imported SKUs start with no stock, which the L2 detector would report instead
    with time_machine.travel(moment, tick=False):
        return detection.sweep(now=moment, full=True)


def not_shipped_problems(number: str):
    return list(Problem.objects.filter(order__number=number, kind=CaseKind.NOT_SHIPPED))


@pytest.mark.parametrize("header", ["承诺发货时间", "承诺发货时间点", "最晚发货时间", "发货截止时间", "承诺发货时间 "])
def test_every_wording_of_the_promised_ship_time_column_is_known(header):
    assert field_for(header) == "promised_ship_at"


def test_an_export_row_with_a_promised_ship_time_makes_it_the_ship_by_time(run_import, clock, tmp_path):
    path = write_export(tmp_path / "o.csv", [["261121-000000000000001", "待发货", "T恤", "59.90", "2026-11-21 10:00:00",
                                              "2026-11-22 09:30:00"]])  # fmt: skip

    job = run_import(path)

    assert job.state == ImportJob.State.DONE, job.message
    order = Order.objects.get(number="261121-000000000000001")
    assert order.promised_ship_at == PROMISE
    assert order.ship_by == PROMISE
    assert order.computed_ship_by == OURS


def test_without_a_promise_our_own_time_stays_the_ship_by_time(run_import, clock, tmp_path):
    path = write_export(tmp_path / "o.csv", [["261121-000000000000001", "待发货", "T恤", "59.90", "2026-11-21 10:00:00",
                                              ""]])  # fmt: skip

    run_import(path)

    order = Order.objects.get(number="261121-000000000000001")
    assert order.promised_ship_at is None
    assert order.ship_by == order.computed_ship_by == OURS


def test_a_later_export_with_the_promise_moves_the_ship_by_and_one_without_it_keeps_it(run_import, clock, tmp_path):
    number = "261121-000000000000001"
    run_import(write_export(tmp_path / "a.csv", [[number, "待发货", "T恤", "59.90", "2026-11-21 10:00:00", ""]]))

    job = run_import(write_export(tmp_path / "b.csv", [[number, "待发货", "T恤", "59.90", "2026-11-21 10:00:00",
                                                        "2026-11-22 09:30:00"]]))  # fmt: skip
    assert job.updated == 1
    assert Order.objects.get(number=number).ship_by == PROMISE

    job = run_import(write_export(tmp_path / "c.csv", [[number, "待发货", "T恤", "59.90", "2026-11-21 10:00:00"]],
                                  header=HEADER[:-1]))  # fmt: skip
    assert job.updated == 0
    order = Order.objects.get(number=number)
    assert (order.ship_by, order.promised_ship_at, order.computed_ship_by) == (PROMISE, PROMISE, OURS)


def test_the_l1_detector_goes_by_the_exported_promise_to_the_second(run_import, clock, tmp_path):
    number = "261121-000000000000001"
    run_import(write_export(tmp_path / "o.csv", [[number, "待发货", "T恤", "59.90", "2026-11-21 10:00:00",
                                                  "2026-11-22 09:30:00"]]))  # fmt: skip
    StoreSettings.objects.update(ship_warning_hours=0)

    sweep_at(PROMISE - SECOND)
    assert not_shipped_problems(number) == []

    sweep_at(PROMISE + SECOND)
    [problem] = not_shipped_problems(number)
    assert problem.stage == Problem.Stage.LATE
    assert problem.evidence_at == PROMISE
    assert "platform's promised ship time" in problem.case.subject


def test_the_early_warning_counts_back_from_the_promise_not_from_our_48_hours(run_import, clock, tmp_path):
    number = "261121-000000000000001"
    run_import(write_export(tmp_path / "o.csv", [[number, "待发货", "T恤", "59.90", "2026-11-21 10:00:00",
                                                  "2026-11-22 09:30:00"]]))  # fmt: skip
    warning = dt.timedelta(hours=StoreSettings.load().ship_warning_hours)

    sweep_at(PROMISE - warning - SECOND)
    assert not_shipped_problems(number) == []

    sweep_at(PROMISE - warning + SECOND)
    [problem] = not_shipped_problems(number)
    assert problem.stage == Problem.Stage.WARNING
    assert problem.case.resolve_due == PROMISE

    sweep_at(PROMISE + SECOND)
    problem.refresh_from_db()
    assert problem.stage == Problem.Stage.LATE  # escalated at the promise, a day before our own 48 h


# --- the open platform -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2026-11-22 09:30:00", int(PROMISE.timestamp()), str(int(PROMISE.timestamp()))],
    ids=["text", "unix-seconds", "unix-seconds-as-text"],
)
def test_the_api_promise_is_read_as_text_or_as_a_unix_timestamp(value):
    assert sync.promise_time(value) == PROMISE


@pytest.mark.parametrize("value", [None, "", 0, "0"])
def test_an_api_order_without_a_promise_has_none(value):
    assert sync.promise_time(value) is None


def test_an_api_order_with_a_promised_ship_time_drives_the_detector_to_the_second(db, client_factory, clock, fake):
    number = "261121-000000000000002"
    fake.add_order(
        number,
        updated=NOW - dt.timedelta(minutes=30),
        pay_time="2026-11-21 10:00:00",
        promise_shipping_time=int(PROMISE.timestamp()),
    )
    sync.StreamSync(client=client_factory(), now=NOW, initial=dt.timedelta(hours=2)).run(SyncCursor.Stream.ORDERS)
    order = Order.objects.get(number=number)
    assert (order.promised_ship_at, order.ship_by, order.computed_ship_by) == (PROMISE, PROMISE, OURS)
    StoreSettings.objects.update(ship_warning_hours=0)

    sweep_at(PROMISE - SECOND)
    assert not_shipped_problems(number) == []

    sweep_at(PROMISE + SECOND)
    [problem] = not_shipped_problems(number)
    assert (problem.stage, problem.evidence_at) == (Problem.Stage.LATE, PROMISE)


def test_a_promise_days_ahead_is_accepted_though_other_times_may_be_a_day_ahead_at_most(run_import, clock, tmp_path):
    presale = NOW + dt.timedelta(days=7)
    path = write_export(tmp_path / "o.csv", [
        ["261122-000000000000001", "待发货", "T恤", "59.90", "2026-11-22 11:00:00", f"{presale:%Y-%m-%d %H:%M:%S}"],
        ["261122-000000000000002", "待发货", "T恤", "59.90", "2026-11-22 11:00:00", "2028-01-01 00:00:00"],
    ])  # fmt: skip

    job = run_import(path)

    assert Order.objects.get(number="261122-000000000000001").ship_by == presale
    [error] = job.errors
    assert error["line"] == 3 and "承诺发货时间" in error["reason"]
    assert sync.promise_time(int(presale.timestamp())) == presale
    with pytest.raises(RowError):
        sync.promise_time(int((NOW + dt.timedelta(days=400)).timestamp()))
