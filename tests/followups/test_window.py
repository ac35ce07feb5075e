"""A9 "1–2 days after": the follow-up goes out inside the store's window; when the window is all closed hours, at the
open moment nearer to it. Both ends of the window are store settings (or the campaign's own)."""

import datetime as dt

from backoffice.followups.services import due_time
from backoffice.models import Campaign, StoreSettings
from backoffice.store.businesshours import Calendar
from tests.factories import shanghai

NINE_TO_SIX = ((dt.time(9, 0), dt.time(18, 0)),)
FRIDAY_5PM = shanghai(2026, 11, 27, 17, 0)
NEXT_WEEK = {dt.date(2026, 11, 30) + dt.timedelta(days=n) for n in range(5)}  # a week-long holiday


def calendar(closed=frozenset()) -> Calendar:
    return Calendar(hours=dict.fromkeys(range(5), NINE_TO_SIX), closed_days=frozenset(closed))


def due(*, low=24, high=48, closed=frozenset(), start=FRIDAY_5PM) -> dt.datetime:
    store = StoreSettings(followup_delay_min_hours=low, followup_delay_max_hours=high)
    campaign = Campaign(delay_min_hours=None, delay_max_hours=None)
    return due_time(start=start, campaign=campaign, store=store, calendar=calendar(closed))


def test_the_first_open_moment_inside_the_window():
    assert due(start=shanghai(2026, 11, 24, 10, 0)) == shanghai(2026, 11, 25, 10, 0)


def test_a_closed_weekend_sends_at_the_next_opening_when_that_is_nearer():
    assert due() == shanghai(2026, 11, 30, 9, 0)


def test_a_long_holiday_does_not_push_the_follow_up_past_the_window_by_days():
    # Opening after the holiday is 7+ days late; Friday before closing is nearer to the 1–2 day window.
    assert due(closed=NEXT_WEEK) == shanghai(2026, 11, 27, 17, 30)


def test_the_latest_follow_up_time_is_the_stores_setting():
    # With a 10-day window the opening after the holiday is inside it.
    assert due(high=240, closed=NEXT_WEEK) == shanghai(2026, 12, 7, 9, 0)


def test_a_campaigns_own_window_wins():
    store = StoreSettings(followup_delay_min_hours=24, followup_delay_max_hours=48)
    campaign = Campaign(delay_min_hours=0, delay_max_hours=0)
    start = shanghai(2026, 11, 25, 20, 0)  # evening: closed
    assert due_time(start=start, campaign=campaign, store=store, calendar=calendar()) == shanghai(2026, 11, 26, 9, 0)
