"""Times and amounts from PDD (export files and the open platform) are held to the same window and money rules as the
gateway: a row with a time in year 1 or 9999, or an impossible amount, is rejected and nothing of it is stored."""

import csv
import datetime as dt
import io

import pytest

from backoffice.models import Case, ImportJob, Order, SyncCursor
from backoffice.platform.importing import parsing
from backoffice.platform.importing.parsing import RowError
from backoffice.platform.pdd import sync

from . import make_fixtures
from .conftest import NOW

MINUTE = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "value",
    ["0001-01-01 00:00:00", "1999-12-31 23:59:59", "9999-12-31 23:59:59", "2026-11-24 12:00:00", 90000.5, 100.0],
)
def test_an_export_time_outside_the_window_is_a_row_error_naming_the_column(clock, value):
    with pytest.raises(RowError, match="支付时间"):
        parsing.moment(value, label="支付时间")


def test_a_time_up_to_a_day_ahead_is_accepted(clock):
    # Exports are stamped by PDD's clock, which may run a little ahead of ours.
    assert parsing.moment("2026-11-23 11:00:00", label="支付时间") is not None


@pytest.mark.parametrize("value", ["1e30", "1e309", "9" * 32, 1e30, "10000000.01", float("inf")])
def test_an_impossible_export_amount_is_a_row_error(value):
    with pytest.raises(RowError, match="实付金额"):
        parsing.money_fen(value, label="实付金额", required=True)


@pytest.mark.parametrize(("value", "fen"), [(1500, 1500), ("1500", 1500), (1500.0, 1500), (None, None), ("", None)])
def test_amounts_the_platform_gives_in_fen_are_read_as_they_are(value, fen):
    assert parsing.fen_amount(value, label="refund_amount") == fen


@pytest.mark.parametrize("value", [-5, "-5", 10**30, "1e30", 15.5, "abc", True, [1500]])
def test_an_impossible_amount_in_fen_is_a_row_error(value):
    with pytest.raises(RowError, match="refund_amount"):
        parsing.fen_amount(value, label="refund_amount")


def test_an_export_row_paid_in_year_one_is_rejected_and_the_others_import(tmp_path, run_import, clock):
    rows = [list(row) for row in make_fixtures.ORDER_ROWS[:2]]
    rows[1][9] = "0001-01-01 00:00:00"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([make_fixtures.ORDER_HEADERS_V1, *rows])
    path = tmp_path / "orders.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))

    job = run_import(path)

    assert (job.state, job.created, job.rejected) == (ImportJob.State.DONE, 1, 1)
    assert job.errors[0]["line"] == 3
    assert "cannot be before 2000-01-01" in job.errors[0]["reason"]
    assert not Order.objects.filter(paid_at__year__lt=2000).exists()


@pytest.fixture
def syncer(db, client_factory, clock):
    def run(stream):
        return sync.StreamSync(client=client_factory(), now=NOW, initial=dt.timedelta(hours=2)).run(stream)

    return run


# Times stay off the 30-minute window edges (a record on an edge is read by both windows).
def test_the_sync_rejects_orders_paid_in_year_one_or_9999_and_keeps_the_good_one(syncer, fake):
    fake.add_order("261122-000000000000001", updated=NOW - 85 * MINUTE)
    fake.add_order("261122-000000000000002", updated=NOW - 75 * MINUTE, pay_time="0001-01-01 00:00:00")
    fake.add_order("261122-000000000000003", updated=NOW - 65 * MINUTE, pay_time="9999-12-31 23:59:59")
    fake.add_order("261122-000000000000004", updated=NOW - 55 * MINUTE, shipping_time="9999-12-31 23:59:59")

    result = syncer(SyncCursor.Stream.ORDERS)

    assert (result["create"], result["reject"]) == (1, 3)
    assert list(Order.objects.values_list("number", flat=True)) == ["261122-000000000000001"]


def test_the_sync_rejects_an_application_from_year_one_or_with_an_impossible_amount(syncer, fake):
    fake.add_order("261122-000000000000001", updated=NOW - 85 * MINUTE, pay_amount=59.9)
    fake.add_refund(5001, "261122-000000000000001", updated=NOW - 28 * MINUTE, created_time="0001-01-01 00:00:00")
    fake.add_refund(5002, "261122-000000000000001", updated=NOW - 24 * MINUTE, refund_amount=-500)
    fake.add_refund(5003, "261122-000000000000001", updated=NOW - 19 * MINUTE, refund_amount=10**30)
    fake.add_refund(5004, "261122-000000000000001", updated=NOW - 14 * MINUTE, refund_amount=1500)

    syncer(SyncCursor.Stream.ORDERS)
    result = syncer(SyncCursor.Stream.AFTERSALES)

    assert (result["create"], result["reject"]) == (1, 3)
    assert list(Case.objects.values_list("external_id", flat=True)) == ["5004"]
