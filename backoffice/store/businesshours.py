"""Business-hours arithmetic, the one place it lives: opening hours per weekday, holidays and worked days (调休)."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from backoffice.models import StoreSettings
from backoffice.store.cache import is_kept, kept

# A calendar with no opening hours at all would never reach a deadline; past this horizon we give up looking.
SEARCH_DAYS = 366


@dataclass(frozen=True)
class Calendar:
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    closed_days: frozenset[dt.date] = field(default_factory=frozenset)
    worked_days: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def for_store(cls, store: StoreSettings | None = None) -> "Calendar":
        """The store's opening hours and holidays, read once per request or task (backoffice.store.cache)."""
        if store is None or is_kept("store_settings", store):
            return kept("calendar", lambda: cls._read(StoreSettings.load()))
        return cls._read(store)

    @classmethod
    def _read(cls, store: StoreSettings) -> "Calendar":
        hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for row in store.hours.all():
            hours.setdefault(row.weekday, []).append((row.opens, row.closes))
        closed, worked = set(), set()
        for holiday in store.holidays.all():
            (worked if holiday.is_workday else closed).add(holiday.date)
        return cls(
            hours={day: tuple(sorted(spans)) for day, spans in hours.items()},
            closed_days=frozenset(closed),
            worked_days=frozenset(worked),
        )

    @classmethod
    def r1_window(cls, store: StoreSettings | None = None) -> "Calendar":
        """R1 as the platform measures it: one daily window (08:00–23:00 by default), every day, no holidays."""
        store = store or StoreSettings.load()
        span = ((store.r1_window_opens, store.r1_window_closes),)
        return cls(hours=dict.fromkeys(range(7), span))

    def spans_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The opening spans of one local day, as aware datetimes."""
        if day in self.closed_days:
            return []
        weekday = 0 if day in self.worked_days else day.weekday()
        tz = timezone.get_default_timezone()
        return [
            (dt.datetime.combine(day, opens, tz), dt.datetime.combine(day, closes, tz))
            for opens, closes in self.hours.get(weekday, ())
        ]

    def is_open(self, at: dt.datetime) -> bool:
        local = timezone.localtime(at)
        return any(start <= local < end for start, end in self.spans_on(local.date()))

    def next_open(self, at: dt.datetime) -> dt.datetime | None:
        """The moment the store is open at or after `at`."""
        local = timezone.localtime(at)
        for offset in range(SEARCH_DAYS):
            for start, end in self.spans_on(local.date() + dt.timedelta(days=offset)):
                if end > local:
                    return max(start, local)
        return None

    def add_business_time(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment `duration` of open time has passed since `start` (R1: the clock stops when the store is closed)."""
        remaining = duration
        local = timezone.localtime(start)
        for offset in range(SEARCH_DAYS):
            for span_start, span_end in self.spans_on(local.date() + dt.timedelta(days=offset)):
                if span_end <= local:
                    continue
                begin = max(span_start, local)
                available = span_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        # No opening hours configured: fall back to the clock on the wall.
        return start + duration

    def business_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """How much open time lies between two moments (for response-time reports)."""
        if end <= start:
            return dt.timedelta(0)
        total = dt.timedelta(0)
        first, last = timezone.localtime(start), timezone.localtime(end)
        day = first.date()
        while day <= last.date():
            for span_start, span_end in self.spans_on(day):
                lo, hi = max(span_start, first), min(span_end, last)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total


WEEKDAYS_ZH = "一二三四五六日"


def next_open_text(calendar: Calendar, at: dt.datetime) -> str:
    """R2: when a person will answer, for the customer (Chinese, as all customer messages): "今天 09:00",
    "明天 09:00", "12月1日（周二）09:00"; "上班后" when the calendar never opens."""
    opening = calendar.next_open(at)
    if opening is None:
        return "上班后"
    opening, today = timezone.localtime(opening), timezone.localtime(at).date()
    days = (opening.date() - today).days
    if days == 0:
        day = "今天"
    elif days == 1:
        day = "明天"
    elif days == 2:
        day = "后天"
    else:
        day = f"{opening.month}月{opening.day}日（周{WEEKDAYS_ZH[opening.weekday()]}）"
    return f"{day} {opening:%H:%M}"
