import datetime as dt
import functools
import logging

import pytest

from backoffice.models import Case, CaseKind, Order, PlatformCredentials, Status, SyncCursor
from backoffice.payouts.models import Payout
from backoffice.platform.pdd import sync
from backoffice.platform.pdd.tasks import sync_platform

from .conftest import NOW

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def syncer(db, client_factory, clock):
    """Syncs at the clock's time against the fake platform, reaching back two hours on the first run."""

    def run(**kwargs):
        return sync.StreamSync(client=client_factory(), now=NOW, initial=dt.timedelta(hours=2))

    return run


def run_both(syncer):
    runner = syncer()
    return {stream: runner.run(stream) for stream in (SyncCursor.Stream.ORDERS, SyncCursor.Stream.AFTERSALES)}


def test_without_credentials_the_sync_does_nothing_and_says_so(db, caplog):
    with caplog.at_level(logging.INFO):
        assert sync_platform() == {"skipped": "no credentials"}

    assert "no open-platform credentials configured" in caplog.text
    assert not SyncCursor.objects.exists()


def test_a_switched_off_sync_does_nothing(db):
    PlatformCredentials.objects.create(pk=1, client_id="a", client_secret="b", access_token="c", sync_enabled=False)

    assert sync.run_sync() == {"skipped": "disabled"}


def test_orders_and_applications_come_in_and_the_cursor_moves(syncer, fake):
    fake.add_order("261122-000000000000001", updated=NOW - 90 * MINUTE)
    fake.add_order(
        "261122-000000000000002",
        updated=NOW - 50 * MINUTE,
        order_status=2,
        tracking_number="ZT0000000002",
        logistics_id=115,
        shipping_time="2026-11-22 11:00:00",
    )
    fake.add_refund(5001, "261122-000000000000001", updated=NOW - 20 * MINUTE)

    result = run_both(syncer)

    assert result[SyncCursor.Stream.ORDERS]["create"] == 2
    assert result[SyncCursor.Stream.AFTERSALES]["create"] == 1
    shipped = Order.objects.get(number="261122-000000000000002")
    assert shipped.status == Order.Status.SHIPPED
    assert list(shipped.shipments.values_list("courier__code", "tracking_no")) == [("zto", "ZT0000000002")]
    case = Case.objects.get(source="import", external_id="5001")
    assert (case.kind, case.status) == (CaseKind.REFUND, Status.RESOLVED)  # ¥15.00: A5 approved it
    assert Payout.objects.get(case=case).amount_fen == 1500
    for cursor in SyncCursor.objects.all():
        assert cursor.synced_until == NOW - sync.SAFETY_LAG
        assert cursor.locked_until is None
        assert cursor.last_error == ""


def test_windows_are_never_longer_than_thirty_minutes_and_touch_end_to_end(syncer, fake):
    run_both(syncer)

    windows = [
        (int(call["start_updated_at"]), int(call["end_updated_at"]))
        for call in fake.calls
        if call["type"] == "pdd.order.number.list.increment.get"
    ]
    assert all(end - start <= 30 * 60 for start, end in windows)
    assert all(windows[i][1] == windows[i + 1][0] for i in range(len(windows) - 1))
    assert windows[0][0] == int((NOW - dt.timedelta(hours=2)).timestamp())
    assert windows[-1][1] == int((NOW - sync.SAFETY_LAG).timestamp())


def test_pages_are_read_from_the_last_to_the_first(syncer, fake, monkeypatch):
    monkeypatch.setattr(sync, "PAGE_SIZE", 2)
    for n in range(5):
        fake.add_order(f"261122-00000000000010{n}", updated=NOW - 60 * MINUTE + n * MINUTE)

    syncer().run(SyncCursor.Stream.ORDERS)

    pages = [int(call["page"]) for call in fake.calls if call["type"] == "pdd.order.number.list.increment.get"]
    start = pages.index(3) - 1
    assert pages[start : start + 4] == [1, 3, 2, 1]  # the count first, then back to front
    assert Order.objects.count() == 5


def test_a_restart_resumes_at_the_last_complete_window_and_doubles_nothing(syncer, fake):
    fake.add_order("261122-000000000000001", updated=NOW - 100 * MINUTE)
    fake.add_order("261122-000000000000002", updated=NOW - 10 * MINUTE)
    fake.add_refund(5001, "261122-000000000000001", updated=NOW - 95 * MINUTE, refund_amount=4000)
    # The token dies in the middle of the run: the third orders window fails.
    calls_before_failure = 3
    original = fake.answer

    def answer(params):
        if params["type"] == "pdd.order.number.list.increment.get":
            answer.count += 1
            if answer.count == calls_before_failure:
                return {"error_response": {"error_code": 10019, "error_msg": "access_token已过期"}}
        return original(params)

    answer.count = 0
    fake.answer = answer

    first = syncer().run(SyncCursor.Stream.ORDERS)

    cursor = SyncCursor.objects.get(stream=SyncCursor.Stream.ORDERS)
    assert "authorise the app again" in first["error"]
    assert "authorise the app again" in cursor.last_error
    assert cursor.synced_until == NOW - dt.timedelta(hours=2) + 2 * sync.WINDOW
    assert cursor.locked_until is None
    assert list(Order.objects.values_list("number", flat=True)) == ["261122-000000000000001"]

    result = run_both(syncer)

    assert result[SyncCursor.Stream.ORDERS]["create"] == 1
    assert sorted(Order.objects.values_list("number", flat=True)) == [
        "261122-000000000000001",
        "261122-000000000000002",
    ]
    assert Case.objects.count() == 1
    again = run_both(syncer)
    assert again[SyncCursor.Stream.ORDERS]["windows"] == 0  # nothing new to read
    assert Case.objects.count() == 1


def test_a_changed_order_in_a_later_window_updates_it(syncer, fake, clock):
    fake.add_order("261122-000000000000001", updated=NOW - 60 * MINUTE)
    run_both(syncer)
    later = NOW + 40 * MINUTE
    fake.add_order(
        "261122-000000000000001",
        updated=later - 10 * MINUTE,
        order_status=2,
        tracking_number="YT000001",
        logistics_id=85,
        pay_time="2026-11-22 10:55:00",
    )
    clock.move_to(later)

    result = sync.StreamSync(client=syncer().client, now=later).run(SyncCursor.Stream.ORDERS)

    assert result["update"] == 1
    order = Order.objects.get()
    assert order.status == Order.Status.SHIPPED
    assert order.shipments.get().courier.code == "yto"


def test_an_application_for_an_order_not_yet_synced_fetches_that_order_first(syncer, fake):
    fake.add_order("261122-000000000000009", updated=NOW - 10 * dt.timedelta(days=1))  # outside every window
    fake.add_refund(5009, "261122-000000000000009", updated=NOW - 30 * MINUTE, after_sales_type=3, refund_amount=5990)

    syncer().run(SyncCursor.Stream.AFTERSALES)

    case = Case.objects.get(external_id="5009")
    assert (case.kind, case.order.number) == (CaseKind.RETURN, "261122-000000000000009")


def test_two_overlapping_runs_never_read_the_same_stream(syncer, fake):
    SyncCursor.objects.create(stream=SyncCursor.Stream.ORDERS, locked_until=NOW + MINUTE)

    assert syncer().run(SyncCursor.Stream.ORDERS) == {"skipped": "another run holds this stream"}
    assert not fake.calls


def test_the_beat_task_syncs_with_credentials_from_admin(db, fake, clock, monkeypatch):
    monkeypatch.setattr(sync, "PddClient", functools.partial(sync.PddClient, min_interval_seconds=0))
    PlatformCredentials.objects.create(
        pk=1,
        client_id="fake-client-0001",
        client_secret="fake-secret-abcdef0123456789",
        access_token="fake-token-9876543210",
        api_url=fake.url,
        initial_days=1,
    )
    fake.add_order("261122-000000000000001", updated=NOW - 60 * MINUTE)

    result = sync_platform()

    assert result[SyncCursor.Stream.ORDERS]["create"] == 1
    assert result[SyncCursor.Stream.ORDERS]["windows"] == 48  # a day back, 30 minutes at a time
