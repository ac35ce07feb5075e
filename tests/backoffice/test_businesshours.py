"""Business-hours arithmetic (R1): opening hours, holidays and worked days (调休), in Asia/Shanghai."""

import datetime as dt

import pytest

from backoffice.store.businesshours import Calendar
from tests.factories import HolidayFactory, shanghai

MINUTES = dt.timedelta(minutes=1)
# Monday 23 November 2026 to Monday 30 November 2026.
MONDAY, TUESDAY, WEDNESDAY, FRIDAY, SATURDAY = 23, 24, 25, 27, 28


def test_open_during_opening_hours(weekday_calendar):
    assert weekday_calendar.is_open(shanghai(2026, 11, MONDAY, 10, 0))


def test_closed_before_opening(weekday_calendar):
    assert not weekday_calendar.is_open(shanghai(2026, 11, MONDAY, 8, 59))


def test_closed_at_closing_time(weekday_calendar):
    assert weekday_calendar.is_open(shanghai(2026, 11, MONDAY, 17, 59, 59))
    assert not weekday_calendar.is_open(shanghai(2026, 11, MONDAY, 18, 0))


def test_closed_on_a_day_without_hours(weekday_calendar):
    assert not weekday_calendar.is_open(shanghai(2026, 11, SATURDAY, 10, 0))


def test_is_open_reads_utc_times_in_shanghai(weekday_calendar):
    ten_in_shanghai = dt.datetime(2026, 11, MONDAY, 2, 0, tzinfo=dt.UTC)

    assert weekday_calendar.is_open(ten_in_shanghai)


def test_next_open_while_open_is_now(weekday_calendar):
    moment = shanghai(2026, 11, MONDAY, 10, 15)

    assert weekday_calendar.next_open(moment) == moment


def test_next_open_before_opening_is_the_opening(weekday_calendar):
    assert weekday_calendar.next_open(shanghai(2026, 11, MONDAY, 7, 0)) == shanghai(2026, 11, MONDAY, 9, 0)


def test_next_open_after_friday_closing_is_monday_morning(weekday_calendar):
    assert weekday_calendar.next_open(shanghai(2026, 11, FRIDAY, 18, 30)) == shanghai(2026, 11, 30, 9, 0)


def test_business_time_within_a_day(weekday_calendar):
    start = shanghai(2026, 11, MONDAY, 10, 0)

    assert weekday_calendar.add_business_time(start, 3 * MINUTES) == shanghai(2026, 11, MONDAY, 10, 3)


def test_business_time_continues_after_closing_next_morning(weekday_calendar):
    start = shanghai(2026, 11, MONDAY, 17, 59)

    assert weekday_calendar.add_business_time(start, 3 * MINUTES) == shanghai(2026, 11, TUESDAY, 9, 2)


def test_business_time_starting_before_opening_counts_from_opening(weekday_calendar):
    start = shanghai(2026, 11, MONDAY, 7, 0)

    assert weekday_calendar.add_business_time(start, 30 * MINUTES) == shanghai(2026, 11, MONDAY, 9, 30)


def test_business_time_skips_a_holiday(make_weekday_calendar):
    calendar = make_weekday_calendar(closed={dt.date(2026, 11, TUESDAY)})
    start = shanghai(2026, 11, MONDAY, 17, 30)

    assert calendar.add_business_time(start, 60 * MINUTES) == shanghai(2026, 11, WEDNESDAY, 9, 30)


def test_business_time_skips_the_weekend(weekday_calendar):
    start = shanghai(2026, 11, FRIDAY, 17, 30)

    assert weekday_calendar.add_business_time(start, 60 * MINUTES) == shanghai(2026, 11, 30, 9, 30)


def test_worked_saturday_opens_with_mondays_hours(make_weekday_calendar):
    calendar = make_weekday_calendar(worked={dt.date(2026, 11, SATURDAY)})

    assert calendar.is_open(shanghai(2026, 11, SATURDAY, 10, 0))
    assert calendar.add_business_time(shanghai(2026, 11, FRIDAY, 17, 30), 60 * MINUTES) == shanghai(
        2026, 11, SATURDAY, 9, 30
    )


def test_without_opening_hours_the_wall_clock_runs():
    calendar = Calendar(hours={})
    start = shanghai(2026, 11, SATURDAY, 23, 0)

    assert calendar.add_business_time(start, 90 * MINUTES) == start + 90 * MINUTES
    assert not calendar.is_open(start)
    assert calendar.next_open(start) is None


def test_business_time_between_counts_only_open_time(weekday_calendar):
    between = weekday_calendar.business_time_between(
        shanghai(2026, 11, MONDAY, 17, 0), shanghai(2026, 11, TUESDAY, 10, 0)
    )

    assert between == 120 * MINUTES


@pytest.mark.django_db
def test_store_calendar_uses_the_stores_hours_and_holidays():
    # The store opens 09:00–23:00 every day by default; 1 January is a holiday, 31 January a worked Sunday.
    HolidayFactory(date=dt.date(2027, 1, 1), name="元旦")
    HolidayFactory(date=dt.date(2027, 1, 31), name="春节调休上班", is_workday=True)

    calendar = Calendar.for_store()

    assert calendar.closed_days == {dt.date(2027, 1, 1)}
    assert calendar.worked_days == {dt.date(2027, 1, 31)}
    assert calendar.add_business_time(shanghai(2026, 12, 31, 22, 30), 60 * MINUTES) == shanghai(2027, 1, 2, 9, 30)
