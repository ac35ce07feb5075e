"""Report arithmetic against hand-computed fixtures: shares, percentiles, rate edges and Shanghai day boundaries."""

import datetime as dt

import pytest

from backoffice.models import Case, CaseKind, Coupon, Order, Reason, ResponseWait, Status
from backoffice.supervisor import reports
from backoffice.supervisor.reports import Period, last_week, percentile
from tests.factories import (
    CaseFactory,
    CourierFactory,
    MessageTemplateFactory,
    ProductFactory,
    SkuFactory,
    make_order,
    shanghai,
)

from .conftest import LAST_WEEK, NOW

HOUR = dt.timedelta(hours=1)


# --- periods ----------------------------------------------------------------------------------------------------


def test_last_week_is_monday_to_sunday_of_the_week_before():
    assert last_week(dt.date(2026, 11, 25)) == Period(dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert last_week(dt.date(2026, 11, 23)) == Period(dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert last_week(dt.date(2026, 11, 22)) == Period(dt.date(2026, 11, 9), dt.date(2026, 11, 15))


def test_last_week_follows_the_shanghai_calendar_not_utc(now):
    # Monday 00:30 in Shanghai is still Sunday in UTC: the store's week has turned already.
    import time_machine

    with time_machine.travel(shanghai(2026, 11, 23, 0, 30), tick=False):
        assert last_week() == LAST_WEEK


def test_the_period_before_has_the_same_length_and_ends_the_day_before():
    period = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 10))
    assert period.previous() == Period(dt.date(2026, 10, 22), dt.date(2026, 10, 31))
    assert LAST_WEEK.previous() == Period(dt.date(2026, 11, 9), dt.date(2026, 11, 15))


def test_period_bounds_are_shanghai_midnights():
    assert LAST_WEEK.start == shanghai(2026, 11, 16)
    assert LAST_WEEK.end == shanghai(2026, 11, 23)
    assert LAST_WEEK.start.astimezone(dt.UTC) == dt.datetime(2026, 11, 15, 16, 0, tzinfo=dt.UTC)


def test_long_ranges_are_bucketed_by_week():
    days = reports.buckets(LAST_WEEK)
    assert len(days) == 7 and days[0].label == "11-16"
    weeks = reports.buckets(Period(dt.date(2026, 9, 2), dt.date(2026, 11, 22)))
    assert weeks[0].first == dt.date(2026, 9, 2) and weeks[0].last == dt.date(2026, 9, 6)  # Wed to Sun
    assert all(b.first.weekday() == 0 for b in weeks[1:])
    assert weeks[-1].last == dt.date(2026, 11, 22)


# --- A11 --------------------------------------------------------------------------------------------------------


def _reasons(make_case, counts: dict[str, int], day: dt.datetime):
    for reason, n in counts.items():
        for _ in range(n):
            make_case(at=day, reason=reason)


def test_reason_shares_and_their_week_over_week_change(make_case, now):
    _reasons(make_case, {"size": 3, "logistics": 2, "quality": 1, "other": 4}, shanghai(2026, 11, 18, 12))
    _reasons(make_case, {"size": 1, "logistics": 3}, shanghai(2026, 11, 11, 12))

    result = reports.reason_shares(LAST_WEEK)

    rows = {row.key: row for row in result.rows}
    assert (result.total, result.previous_total) == (10, 4)
    assert rows["size"].share == 30.0 and rows["logistics"].share == 20.0 and rows["quality"].share == 10.0
    assert rows["size"].previous_share == 25.0 and rows["logistics"].previous_share == 75.0
    assert rows["size"].change == pytest.approx(5.0)
    assert rows["logistics"].change == pytest.approx(-55.0)
    assert rows["quality"].change == pytest.approx(10.0)  # from 0 % the week before
    assert [row.key for row in result.rows] == ["other", "size", "logistics", "quality"]


def test_a_reason_only_seen_the_week_before_is_listed_at_zero(make_case, now):
    make_case(at=shanghai(2026, 11, 17), reason="size")
    make_case(at=shanghai(2026, 11, 10), reason="wrong_item")

    rows = {row.key: row for row in reports.reason_shares(LAST_WEEK).rows}

    assert rows["wrong_item"].count == 0 and rows["wrong_item"].share == 0.0
    assert rows["wrong_item"].previous_share == 100.0 and rows["wrong_item"].change == -100.0


def test_no_cases_gives_no_shares_rather_than_dividing_by_zero(db, now):
    result = reports.reason_shares(LAST_WEEK)
    assert result.rows == [] and result.total == 0


def test_a_case_opened_at_2359_shanghai_time_counts_in_that_day(make_case, now):
    inside = make_case(at=shanghai(2026, 11, 22, 23, 59), reason="size")
    make_case(at=shanghai(2026, 11, 23, 0, 0), reason="quality")  # Monday: this week
    make_case(at=shanghai(2026, 11, 16, 0, 0), reason="logistics")  # Monday 00:00: first moment of last week
    make_case(at=shanghai(2026, 11, 15, 23, 59, 59), reason="other")  # the week before

    result = reports.reason_shares(LAST_WEEK)

    assert inside.created_at.astimezone(dt.UTC).day == 22  # 15:59 UTC, same day either way: check the other edge
    assert {row.key: row.count for row in result.rows} == {"size": 1, "logistics": 1, "other": 0}
    assert result.previous_total == 1


def test_a_wait_starting_at_2358_shanghai_counts_on_that_day_not_the_next(agent, reply, now):
    # R1 counts each wait on the day of its first message; the fixture's waits start 60 s (in time) or 400 s before.
    reply(agent, shanghai(2026, 11, 17, 23, 59), within=True)  # started 15:58 UTC on the 17th
    reply(agent, shanghai(2026, 11, 18, 0, 8), within=False)  # started 16:01:20 UTC on the 17th: the 18th here

    result = reports.response_rates(LAST_WEEK)

    cells = result.agents[0].cells
    assert (cells[1].total, cells[1].met) == (1, 1)  # 11-17
    assert (cells[2].total, cells[2].met) == (1, 0)  # 11-18


def _order_of(products, courier=None):
    skus = [SkuFactory(product=product) for product in products]
    order = make_order(skus=skus, shipped=courier is not None)
    if courier is not None:
        order.shipments.update(courier=courier)
    return order


def test_reasons_by_product_show_which_product_to_fix(make_case, now):
    tee = ProductFactory(name="纯棉短袖T恤")
    jeans = ProductFactory(name="直筒牛仔裤")
    day = shanghai(2026, 11, 19, 15)
    for _ in range(3):
        make_case(at=day, reason="size", order=_order_of([tee]))
    make_case(at=day, reason="quality", order=_order_of([tee]))
    make_case(at=day, reason="size", order=_order_of([jeans]))
    # Two SKUs of the same product in one order: one case for that product.
    make_case(at=day, reason="quality", order=_order_of([jeans, jeans]))
    make_case(at=shanghai(2026, 11, 12), reason="size", order=_order_of([jeans]))

    result = reports.reasons_by_product(LAST_WEEK)

    rows = {row.label: row for row in result.rows}
    assert result.total == 6
    assert rows["纯棉短袖T恤"].total == 4 and rows["纯棉短袖T恤"].by_reason == {"size": 3, "quality": 1}
    assert rows["纯棉短袖T恤"].top_reason == "size" and rows["纯棉短袖T恤"].top_reason_share == 75.0
    assert rows["纯棉短袖T恤"].share == pytest.approx(100 * 4 / 6)
    assert rows["直筒牛仔裤"].total == 2 and rows["直筒牛仔裤"].previous_total == 1
    assert result.reasons == ["size", "quality"]
    assert result.rows[0].label == "纯棉短袖T恤"


def test_a_case_of_a_two_product_order_counts_for_each_product(make_case, now):
    tee, jeans = ProductFactory(name="T恤"), ProductFactory(name="牛仔裤")
    make_case(at=shanghai(2026, 11, 19), reason="size", order=_order_of([tee, jeans]))

    result = reports.reasons_by_product(LAST_WEEK)

    assert {row.label: row.total for row in result.rows} == {"T恤": 1, "牛仔裤": 1}
    assert result.total == 1  # one case: each product's share is 100 %


def test_reasons_by_courier_and_cases_of_unshipped_orders(make_case, now):
    zto = CourierFactory(code="zto", name="中通快递")
    yunda = CourierFactory(code="yunda", name="韵达快递")
    product = ProductFactory()
    day = shanghai(2026, 11, 20)
    make_case(at=day, reason="logistics", order=_order_of([product], zto))
    make_case(at=day, reason="logistics", order=_order_of([product], zto))
    make_case(at=day, reason="size", order=_order_of([product], yunda))
    make_case(at=day, reason="logistics", order=_order_of([product]))  # not shipped
    make_case(at=day, reason="size", order=None)  # no order at all
    make_case(at=shanghai(2026, 11, 10), reason="size", order=_order_of([product], zto))  # the week before
    make_case(at=shanghai(2026, 11, 10), reason="size", order=None)

    result = reports.reasons_by_courier(LAST_WEEK)

    rows = {row.label: row for row in result.rows}
    assert rows["中通快递"].by_reason == {"logistics": 2}
    assert rows["中通快递"].previous_total == 1
    assert rows["韵达快递"].by_reason == {"size": 1}
    assert result.without == 2 and result.total == 3


# --- R1 ---------------------------------------------------------------------------------------------------------


def test_response_rate_per_agent_and_day(agent, agent2, reply, now):
    monday, tuesday = shanghai(2026, 11, 16, 10), shanghai(2026, 11, 17, 10)
    for within in (True, True, True, False):
        reply(agent, monday, within)
    reply(agent, tuesday, True)
    reply(agent2, monday, False)
    reply(agent, monday, None)  # a reply nobody was waiting for: not an R1 answer
    reply(agent, shanghai(2026, 11, 10, 10), False)  # the week before

    result = reports.response_rates(LAST_WEEK)

    first = next(a for a in result.agents if a.user_id == agent.pk)
    second = next(a for a in result.agents if a.user_id == agent2.pk)
    assert first.label == "王小丽"
    assert (first.cells[0].total, first.cells[0].met, first.cells[0].rate) == (4, 3, 75.0)
    assert first.cells[1].rate == 100.0 and first.cells[2].rate is None
    assert (first.total.total, first.total.met) == (5, 4) and first.total.rate == 80.0
    assert first.previous.rate == 0.0
    assert second.total.rate == 0.0
    assert (result.store.cells[0].total, result.store.cells[0].met) == (5, 3)
    assert result.store.total.rate == pytest.approx(100 * 4 / 6)


def test_a_wait_counts_for_who_answered_it_and_a_miss_for_the_cases_assignee(agent, agent2, now):
    monday = shanghai(2026, 11, 16, 10)

    def wait(case, *, answered_by=None, due_in=3, window=True, ended=False):
        due = monday + dt.timedelta(minutes=due_in)
        ResponseWait.objects.create(
            case=case,
            started_at=monday,
            due_at=due,
            window_due_at=due if window else None,  # None: it started outside the platform's window
            answered_at=monday + dt.timedelta(minutes=1) if answered_by else None,
            answered_by=answered_by,
            ended_at=monday + dt.timedelta(minutes=5) if ended else None,
        )

    mine = CaseFactory(assignee=agent, created_at=monday, updated_at=monday)
    wait(mine, answered_by=agent2)  # a colleague answered in time: theirs
    wait(mine, ended=True)  # resolved in silence: the assignee's miss
    wait(CaseFactory(assignee=agent, created_at=monday), window=False)  # past due, unanswered, outside the window
    wait(CaseFactory(assignee=None, created_at=monday))  # nobody's case, nobody answered
    wait(CaseFactory(assignee=agent, created_at=monday), due_in=60 * 24 * 30)  # still within its deadline: nowhere

    result = reports.response_rates(LAST_WEEK)

    rows = {row.user_id: row for row in result.agents}
    assert (rows[agent2.pk].total.total, rows[agent2.pk].total.met) == (1, 1)
    assert (rows[agent.pk].total.total, rows[agent.pk].total.met) == (2, 0)
    assert rows[None].label == "未分配" and (rows[None].total.total, rows[None].total.met) == (1, 0)
    assert (result.store.total.total, result.store.total.met) == (4, 1)
    assert (result.window.total.total, result.window.total.met) == (3, 1)
    assert result.window.cells[0].total == 3


# --- L1 ---------------------------------------------------------------------------------------------------------


def _order(paid_at, *, shipped_after=None, status=None, ship_within=dt.timedelta(hours=48)):
    order = make_order(paid_at=paid_at, status=status or Order.Status.AWAITING_SHIPMENT)
    Order.objects.filter(pk=order.pk).update(
        ship_by=paid_at + ship_within,
        shipped_at=paid_at + shipped_after if shipped_after is not None else None,
    )
    return order


def test_shipped_within_48_hours_rate_and_its_edges(db, now):
    day = shanghai(2026, 11, 16, 9)
    _order(day, shipped_after=48 * HOUR)  # exactly at the deadline: on time
    _order(day, shipped_after=2 * HOUR)
    _order(day, shipped_after=48 * HOUR + dt.timedelta(seconds=1))  # one second late
    _order(day)  # not shipped, long past the deadline: missed
    _order(day, status=Order.Status.CANCELLED)  # cancelled before shipping: not to ship
    _order(shanghai(2026, 11, 22, 23, 59))  # Sunday night: not shipped, due Tuesday: missed
    _order(shanghai(2026, 11, 22, 23, 59), ship_within=96 * HOUR)  # a custom product, still in time: pending
    _order(shanghai(2026, 11, 12, 9), shipped_after=HOUR)  # the week before

    result = reports.shipped_on_time(LAST_WEEK)

    monday, sunday = result.days[0], result.days[6]
    assert (monday.paid, monday.on_time, monday.late, monday.overdue, monday.cancelled) == (5, 2, 1, 1, 1)
    assert monday.rate == 50.0
    assert (sunday.paid, sunday.overdue, sunday.pending) == (2, 1, 1)
    assert sunday.rate == 0.0
    assert (result.total.on_time, result.total.due) == (2, 5) and result.total.rate == 40.0
    assert result.previous.rate == 100.0
    assert result.days[1].rate is None  # nothing paid on Tuesday


# --- A7 ---------------------------------------------------------------------------------------------------------


def test_percentile_is_percentile_cont():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


def _refund(make_case, opened, *, handled_after=None, status=Status.RESOLVED, kind=CaseKind.REFUND):
    case = make_case(at=opened, kind=kind, status=status)
    if handled_after is not None:
        Case.objects.filter(pk=case.pk).update(handled_at=opened + handled_after)
    return case


def test_refund_handling_time_p50_p90_and_share_within_48_hours(make_case, now):
    opened = shanghai(2026, 11, 17, 9)
    for hours in (1, 2, 3, 4, 50):
        _refund(make_case, opened, handled_after=hours * HOUR)
    _refund(make_case, opened, handled_after=48 * HOUR)  # exactly 48 h: within
    _refund(make_case, opened, status=Status.IN_PROGRESS)  # open, long past 48 h: missed
    _refund(make_case, shanghai(2026, 11, 22, 23, 0), status=Status.NEW)  # Sunday night, due Tuesday night: missed
    _refund(make_case, opened, status=Status.CLOSED)  # closed without a decision: withdrawn
    _refund(make_case, opened, kind=CaseKind.RETURN, handled_after=30 * HOUR)  # a return: not in the refund report

    result = reports.refund_handling(LAST_WEEK)

    total = result.total
    assert (total.opened, total.handled, total.within, total.missed, total.pending, total.withdrawn) == (
        9,
        6,
        5,
        3,
        0,
        1,
    )
    assert total.within_rate == pytest.approx(100 * 5 / 8)
    # Handled in 1, 2, 3, 4, 48, 50 hours: p50 between 3 and 4 = 3.5 h; p90 at 4.5 → 48 + 0.5 × 2 = 49 h.
    assert total.p50 == pytest.approx(3.5 * 3600)
    assert total.p90 == pytest.approx(49 * 3600)
    assert result.days[1].summary.opened == 8 and result.days[6].summary.missed == 1
    assert result.limit_hours == 48


def test_an_open_refund_still_within_48_hours_is_pending_not_missed(make_case, now):
    _refund(make_case, NOW - 47 * HOUR, status=Status.NEW)
    _refund(make_case, NOW - 49 * HOUR, status=Status.NEW)

    result = reports.refund_handling(Period(dt.date(2026, 11, 23), dt.date(2026, 11, 25)))

    assert (result.total.pending, result.total.missed, result.total.within_rate) == (1, 1, 0.0)


def test_return_review_is_measured_against_24_hours(make_case, now):
    opened = shanghai(2026, 11, 18, 9)
    _refund(make_case, opened, kind=CaseKind.RETURN, handled_after=24 * HOUR)
    _refund(make_case, opened, kind=CaseKind.EXCHANGE, handled_after=25 * HOUR)
    _refund(make_case, opened, kind=CaseKind.REFUND, handled_after=1 * HOUR)

    result = reports.return_review(LAST_WEEK)

    assert (result.total.opened, result.total.within, result.total.missed) == (2, 1, 1)
    assert result.total.p50 == pytest.approx(24.5 * 3600)
    assert result.limit_hours == 24


def test_an_exchange_is_measured_against_its_own_review_setting(make_case, store, now):
    store.exchange_review_hours = 36
    store.save(update_fields=["exchange_review_hours"])
    opened = shanghai(2026, 11, 18, 9)
    _refund(make_case, opened, kind=CaseKind.RETURN, handled_after=30 * HOUR)  # late for a return (24 h)
    _refund(make_case, opened, kind=CaseKind.EXCHANGE, handled_after=30 * HOUR)  # in time for an exchange (36 h)

    result = reports.return_review(LAST_WEEK)

    assert (result.total.opened, result.total.within, result.total.missed) == (2, 1, 1)
    assert result.limit_hours is None
    assert "within_deadline" in result.csv()[0]


def test_the_limit_follows_the_store_setting(make_case, store, now):
    store.refund_handle_hours = 72
    store.save(update_fields=["refund_handle_hours"])
    _refund(make_case, shanghai(2026, 11, 18, 9), handled_after=60 * HOUR)

    assert reports.refund_handling(LAST_WEEK).total.within == 1


def test_no_handled_refunds_gives_no_percentiles(make_case, now):
    _refund(make_case, shanghai(2026, 11, 24, 9), status=Status.NEW)  # this week, not last
    result = reports.refund_handling(LAST_WEEK)
    assert result.total.p50 is None and result.total.within_rate is None


# --- A10 --------------------------------------------------------------------------------------------------------


def test_reviews_revised_share_of_known_outcomes(make_case, now):
    day = shanghai(2026, 11, 20)
    for revised in (True, True, False, None):
        make_case(at=day, kind=CaseKind.REVIEW, reason=Reason.QUALITY, review_revised=revised)
    make_case(at=day, kind=CaseKind.REFUND, review_revised=True)  # not a review case
    make_case(at=shanghai(2026, 11, 10), kind=CaseKind.REVIEW, review_revised=False)

    result = reports.reviews_revised(LAST_WEEK)

    assert (result.total.cases, result.total.revised, result.total.not_revised, result.total.unknown) == (4, 2, 1, 1)
    assert result.total.revised_rate == pytest.approx(100 * 2 / 3)
    assert result.previous.revised_rate == 0.0


# --- A12 and A9 -------------------------------------------------------------------------------------------------


def test_csat_is_the_satisfied_share_of_answers_in_the_period(make_case, agent, agent2, now):
    from surveys.models import Survey

    day = shanghai(2026, 11, 19, 20)
    answers = [("satisfied", agent), ("satisfied", agent), ("neutral", agent2), ("dissatisfied", agent2)]
    for answer, who in answers:
        case = make_case(at=day - 48 * HOUR, status=Status.CLOSED, assignee=who)
        Survey.objects.create(case=case, delivery="alone", sent_at=day - HOUR, answer=answer, answered_at=day)
    late = make_case(at=day, status=Status.CLOSED)
    Survey.objects.create(case=late, delivery="alone", sent_at=day)  # sent, not answered

    result = reports.csat(LAST_WEEK)

    assert (result.total.answered, result.total.satisfied, result.total.dissatisfied) == (4, 2, 1)
    assert result.total.csat == 50.0 and result.sent == 5
    assert result.answer_rate == 80.0
    by_agent = {row.label: row.csat for row in result.agents}
    assert by_agent == {"王小丽": 100.0, "李娜": 0.0}


def test_followup_coupons_issued_and_spent(make_case, now):
    from backoffice.models import Campaign

    campaign = Campaign.objects.create(
        key="test-a9",
        name="退款回访券",
        trigger="aftersales_refund_closed",
        coupon_value_fen=1000,
        template=MessageTemplateFactory(key="test-a9"),
    )
    case = make_case(at=shanghai(2026, 11, 16))
    day = shanghai(2026, 11, 18, 12)
    for state in (Coupon.State.USED, Coupon.State.ISSUED, Coupon.State.ISSUED, Coupon.State.EXPIRED):
        Coupon.objects.create(
            customer=case.customer,
            value_fen=1000,
            valid_until=day + 30 * 24 * HOUR,
            case=case,
            campaign=campaign,
            state=state,
            issued_at=day,
        )
    Coupon.objects.create(customer=case.customer, value_fen=500, valid_until=day, issued_at=day)  # not a follow-up

    result = reports.followup_coupons(LAST_WEEK)

    assert (result.total.issued, result.total.issued_fen, result.total.used, result.total.used_fen) == (
        4,
        4000,
        1,
        1000,
    )
    assert result.total.used_rate == 25.0
    assert [c.label for c in result.campaigns] == ["退款回访券"]


# --- workload ---------------------------------------------------------------------------------------------------


def test_workload_counts_open_due_soon_and_overdue_per_person_and_todays_replies(
    make_case, agent, agent2, supervisor, reply, now
):
    soon, late = NOW + 30 * dt.timedelta(minutes=1), NOW - HOUR
    make_case(at=NOW - 5 * HOUR, status=Status.IN_PROGRESS, assignee=agent, due_at=late)
    make_case(at=NOW - 5 * HOUR, status=Status.IN_PROGRESS, assignee=agent, due_at=soon)
    make_case(at=NOW - 5 * HOUR, status=Status.WAITING, assignee=agent)
    make_case(at=NOW - 5 * HOUR, status=Status.CLOSED, assignee=agent)
    make_case(at=NOW - 5 * HOUR, status=Status.NEW, due_at=late)
    make_case(at=NOW - 5 * HOUR, status=Status.NEW, assignee=agent2, desk="logistics", kind=CaseKind.STALLED)
    reply(agent, shanghai(2026, 11, 25, 0, 5), True)
    reply(agent, shanghai(2026, 11, 25, 9, 0), False)
    reply(agent, shanghai(2026, 11, 24, 23, 59), True)  # yesterday in Shanghai

    load = reports.workload()

    rows = {row.user_id: row for row in load.rows}
    mine = rows[agent.pk]
    assert (mine.open, mine.due_soon, mine.overdue, mine.waiting) == (3, 1, 1, 1)
    assert mine.by_desk == {"aftersales": 3}
    assert (mine.replies_today, mine.rate_today) == (2, 50.0)
    assert rows[agent2.pk].by_desk == {"logistics": 1}
    assert rows[supervisor.pk].open == 0
    assert (load.unassigned.open, load.unassigned.overdue) == (1, 1)
    assert load.total.open == 5 and load.total.overdue == 2
    assert load.rows[0].user_id == agent.pk  # the most overdue first


# --- L1 with the platform's promise and A11's intervention line ------------------------------------------------


def _promised(paid_at, *, promise_after, ours_after=48 * HOUR, number=None):
    order = make_order(paid_at=paid_at, status=Order.Status.AWAITING_SHIPMENT)
    promised = paid_at + promise_after if promise_after is not None else None
    computed = paid_at + ours_after
    Order.objects.filter(pk=order.pk).update(
        promised_ship_at=promised, computed_ship_by=computed, ship_by=promised or computed
    )
    return order


def test_the_shipping_report_compares_the_platforms_promise_with_our_ship_by(db, now):
    day = shanghai(2026, 11, 17, 9)
    tight = _promised(day, promise_after=24 * HOUR)  # 24 h earlier than ours: a finding
    slight = _promised(day, promise_after=47 * HOUR)  # 1 h earlier
    _promised(day, promise_after=48 * HOUR)  # the same: no finding
    _promised(day, promise_after=72 * HOUR)  # later than ours
    _promised(day, promise_after=None)  # no promise at all
    _promised(shanghai(2026, 11, 10, 9), promise_after=HOUR)  # the week before

    result = reports.shipped_on_time(LAST_WEEK)

    promise = result.promise
    assert (promise.promised, promise.earlier) == (4, 2)
    assert promise.earlier_share == 50.0
    assert [o.number for o in promise.examples] == [tight.number, slight.number]
    assert [o.hours_earlier for o in promise.examples] == [24.0, 1.0]
    header, rows = result.csv()
    assert header[-2:] == ["with_platform_promise", "platform_promise_earlier"]
    assert rows[1][-2:] == [4, 2]  # Tuesday 11-17
    assert rows[-1][-2:] == [4, 2]  # the period


def test_the_shipping_report_judges_lateness_by_the_promise(db, now):
    day = shanghai(2026, 11, 17, 9)
    order = _promised(day, promise_after=24 * HOUR)
    Order.objects.filter(pk=order.pk).update(shipped_at=day + 30 * HOUR)  # in our 48 h, after the promise

    total = reports.shipped_on_time(LAST_WEEK).total

    assert (total.on_time, total.late) == (0, 1)


def test_platform_interventions_are_their_own_a11_line(make_case, now):
    for at in (shanghai(2026, 11, 17), shanghai(2026, 11, 18), shanghai(2026, 11, 18)):
        make_case(at=at, platform_intervened_at=at + HOUR)
    make_case(at=shanghai(2026, 11, 18))  # no intervention
    make_case(at=shanghai(2026, 11, 10), platform_intervened_at=shanghai(2026, 11, 16, 1))  # stepped in this week
    make_case(at=shanghai(2026, 11, 9), platform_intervened_at=shanghai(2026, 11, 12))  # the week before

    result = reports.reason_shares(LAST_WEEK)

    line = result.intervened
    assert (line.key, line.count, line.previous_count) == ("platform_intervened", 4, 1)
    assert line.share == 100.0  # 4 interventions against 4 cases opened
    assert result.total == 4
    header, rows = result.csv()
    assert (rows[-1][0], rows[-1][2]) == ("platform_intervened", 4)
