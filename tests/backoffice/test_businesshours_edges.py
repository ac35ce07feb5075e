"""Business-hours arithmetic at its edges: exactly at opening and closing, time that ends on a closing bell, empty
intervals, the R1 window, and the customer's "when a person answers" text (R2).

Mutation testing (`make mutate`) of backoffice/store/businesshours.py leaves these survivors, each equivalent to the code:
- for_store's cache key "calendar" → None, "XXcalendarXX", "CALENDAR": the key names nothing else in the scope, so
  any other key keeps the same calendar once per scope.
- add_business_time `span_end <= local` → `<`: a span that ends at the start adds no time either way.
- business_time_between `end <= start` → `<`: with end == start the loop counts nothing either way.
- business_time_between `hi > lo` → `>=`: adding an empty interval adds nothing.
"""

import datetime as dt

import pytest

from backoffice.models import StoreSettings
from backoffice.store.businesshours import Calendar, next_open_text
from backoffice.store.cache import store_settings_scope
from tests.factories import shanghai

MINUTES = dt.timedelta(minutes=1)
# Monday 23 November 2026 to Monday 30 November 2026.
MONDAY, TUESDAY, WEDNESDAY, FRIDAY, SATURDAY = 23, 24, 25, 27, 28


def test_open_at_the_exact_opening_moment(weekday_calendar):
    assert weekday_calendar.is_open(shanghai(2026, 11, MONDAY, 9, 0))
    assert not weekday_calendar.is_open(shanghai(2026, 11, MONDAY, 8, 59, 59))


def test_next_open_at_the_closing_bell_is_the_next_morning(weekday_calendar):
    assert weekday_calendar.next_open(shanghai(2026, 11, MONDAY, 18, 0)) == shanghai(2026, 11, TUESDAY, 9, 0)
    assert weekday_calendar.next_open(shanghai(2026, 11, MONDAY, 17, 59)) == shanghai(2026, 11, MONDAY, 17, 59)


def test_time_that_ends_on_the_closing_bell_ends_that_evening(weekday_calendar):
    start = shanghai(2026, 11, MONDAY, 17, 0)
    assert weekday_calendar.add_business_time(start, 60 * MINUTES) == shanghai(2026, 11, MONDAY, 18, 0)
    assert weekday_calendar.add_business_time(start, 61 * MINUTES) == shanghai(2026, 11, TUESDAY, 9, 1)


def test_time_started_in_a_lunch_break_runs_from_the_afternoon_span():
    lunch_break = ((dt.time(9, 0), dt.time(12, 0)), (dt.time(13, 0), dt.time(18, 0)))
    calendar = Calendar(hours=dict.fromkeys(range(7), lunch_break))
    start = shanghai(2026, 11, MONDAY, 12, 30)
    assert calendar.add_business_time(start, 30 * MINUTES) == shanghai(2026, 11, MONDAY, 13, 30)
    assert calendar.next_open(start) == shanghai(2026, 11, MONDAY, 13, 0)


def test_a_whole_day_of_time_from_the_opening_ends_at_closing(weekday_calendar):
    start = shanghai(2026, 11, FRIDAY, 9, 0)
    assert weekday_calendar.add_business_time(start, 9 * 60 * MINUTES) == shanghai(2026, 11, FRIDAY, 18, 0)
    assert weekday_calendar.add_business_time(start, 9 * 60 * MINUTES + MINUTES) == shanghai(2026, 11, 30, 9, 1)


def test_no_time_at_all_is_the_start_itself_while_open(weekday_calendar):
    start = shanghai(2026, 11, MONDAY, 10, 0)
    assert weekday_calendar.add_business_time(start, dt.timedelta(0)) == start


def test_business_time_between_is_zero_for_an_empty_or_backwards_interval(weekday_calendar):
    moment = shanghai(2026, 11, MONDAY, 10, 0)
    assert weekday_calendar.business_time_between(moment, moment) == dt.timedelta(0)
    assert weekday_calendar.business_time_between(moment, moment - 60 * MINUTES) == dt.timedelta(0)


def test_business_time_between_inside_one_span_is_the_difference(weekday_calendar):
    start, end = shanghai(2026, 11, MONDAY, 10, 0), shanghai(2026, 11, MONDAY, 10, 45)
    assert weekday_calendar.business_time_between(start, end) == 45 * MINUTES


def test_business_time_between_counts_every_day_up_to_the_last(weekday_calendar):
    start, end = shanghai(2026, 11, MONDAY, 9, 0), shanghai(2026, 11, WEDNESDAY, 10, 0)
    assert weekday_calendar.business_time_between(start, end) == (9 + 9 + 1) * 60 * MINUTES


def test_business_time_between_skips_closed_days(make_weekday_calendar):
    calendar = make_weekday_calendar(closed={dt.date(2026, 11, TUESDAY)})
    start, end = shanghai(2026, 11, MONDAY, 17, 0), shanghai(2026, 11, WEDNESDAY, 10, 0)
    assert calendar.business_time_between(start, end) == 120 * MINUTES


def test_business_time_between_counts_a_worked_saturday(make_weekday_calendar):
    calendar = make_weekday_calendar(worked={dt.date(2026, 11, SATURDAY)})
    start, end = shanghai(2026, 11, FRIDAY, 17, 0), shanghai(2026, 11, SATURDAY, 10, 0)
    assert calendar.business_time_between(start, end) == 120 * MINUTES


@pytest.mark.django_db
def test_the_r1_window_is_the_given_stores_daily_window_every_day_without_holidays():
    store = StoreSettings.load()
    store.r1_window_opens, store.r1_window_closes = dt.time(7, 0), dt.time(22, 0)  # not saved: this store is used
    calendar = Calendar.r1_window(store)
    assert calendar.hours == dict.fromkeys(range(7), ((dt.time(7, 0), dt.time(22, 0)),))
    assert not calendar.closed_days and not calendar.worked_days
    assert calendar.is_open(shanghai(2026, 11, SATURDAY, 7, 0))
    assert not calendar.is_open(shanghai(2026, 11, SATURDAY, 22, 0))


@pytest.mark.django_db
def test_inside_a_scope_the_kept_stores_calendar_is_read_once(django_assert_num_queries):
    with store_settings_scope():
        store = StoreSettings.load()
        first = Calendar.for_store(store)
        with django_assert_num_queries(0):
            assert Calendar.for_store(store) is first
            assert Calendar.for_store() is first


def test_a_worked_day_opens_with_mondays_hours_not_tuesdays():
    calendar = Calendar(
        hours={0: ((dt.time(9, 0), dt.time(12, 0)),), 1: ((dt.time(14, 0), dt.time(18, 0)),)},
        worked_days=frozenset({dt.date(2026, 11, SATURDAY)}),
    )
    assert calendar.is_open(shanghai(2026, 11, SATURDAY, 10, 0))
    assert not calendar.is_open(shanghai(2026, 11, SATURDAY, 15, 0))


@pytest.mark.django_db
def test_a_given_store_is_read_as_it_is_not_from_the_database():
    store = StoreSettings.load()
    calendar = Calendar.for_store(store)
    assert calendar.is_open(shanghai(2026, 11, SATURDAY, 9, 0))  # the default store opens every day 09:00–23:00
    assert not calendar.is_open(shanghai(2026, 11, SATURDAY, 23, 0))


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (shanghai(2026, 11, MONDAY, 8, 0), "今天 09:00"),
        (shanghai(2026, 11, MONDAY, 10, 30), "今天 10:30"),
        (shanghai(2026, 11, MONDAY, 18, 0), "明天 09:00"),
        (shanghai(2026, 11, TUESDAY, 20, 0), "明天 09:00"),
        (shanghai(2026, 11, FRIDAY, 18, 30), "11月30日（周一） 09:00"),
    ],
)
def test_when_a_person_answers_is_told_in_words(weekday_calendar, at, text):
    assert next_open_text(weekday_calendar, at) == text


def test_the_day_after_tomorrow_has_its_own_word(make_weekday_calendar):
    calendar = make_weekday_calendar(closed={dt.date(2026, 11, TUESDAY)})
    assert next_open_text(calendar, shanghai(2026, 11, MONDAY, 19, 0)) == "后天 09:00"


def test_a_calendar_that_never_opens_says_after_work_starts():
    assert next_open_text(Calendar(hours={}), shanghai(2026, 11, MONDAY, 10, 0)) == "上班后"
