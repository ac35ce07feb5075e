"""Times that come from outside (gateways, PDD exports and the open platform, agents' forms) are checked here.

A time outside a sane window is refused, never stored: a message "sent" in year 1 or 9999 would break every queue,
deadline and report that does arithmetic on it (and PostgreSQL keeps year 1 in Shanghai as a BC date Python cannot
read back). The window is the same for everyone: not before 2000-01-01 (Shanghai), not more than a day ahead of
now (clocks drift; a scheduled time such as "check again at" may ask for a longer lead).
"""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FUTURE_SLACK = dt.timedelta(days=1)
# Scheduled times an agent picks (the next tracking check, a call-back retry) may lie further ahead.
SCHEDULE_AHEAD = dt.timedelta(days=366)
# Longer text is no date and time in any format we read.
MAX_TEXT = 64


class TimestampError(ValueError):
    """The value is not a time we accept; the message says why, for a person or a gateway."""


def check_timestamp(
    value: dt.datetime, *, now: dt.datetime | None = None, ahead: dt.timedelta = FUTURE_SLACK
) -> dt.datetime:
    """The aware time itself when it lies in the window, else TimestampError (naive times are Shanghai time)."""
    if timezone.is_naive(value):
        try:
            value = timezone.make_aware(value, timezone.get_default_timezone())
        except (ValueError, OverflowError):
            raise TimestampError(_("This is not a time we can read.")) from None
    # Compared before any conversion: turning year 1 or 9999 into UTC could overflow.
    if value < EARLIEST:
        raise TimestampError(_("The time cannot be before 2000-01-01."))
    now = now or timezone.now()
    if value > now + ahead:
        if ahead == FUTURE_SLACK:
            raise TimestampError(_("The time cannot be more than a day in the future."))
        raise TimestampError(_("The time is too far in the future."))
    return value


def parse_timestamp(
    value: object, *, now: dt.datetime | None = None, ahead: dt.timedelta = FUTURE_SLACK
) -> dt.datetime:
    """Text like 2026-11-20 13:05:11, 2026-11-20T13:05:11+08:00 or …Z (no offset: Shanghai) → an aware time in the
    window. Numbers, lists, objects and anything else are refused with a TimestampError."""
    if isinstance(value, dt.datetime):
        return check_timestamp(value, now=now, ahead=ahead)
    if not isinstance(value, str):
        raise TimestampError(_("Give the time as text, like 2026-11-20 13:05:11 or 2026-11-20T13:05:11+08:00."))
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise TimestampError(_("This is not a date and time."))
    try:
        parsed = parse_datetime(text)
    except (ValueError, OverflowError):
        raise TimestampError(_("This date or time does not exist.")) from None
    if parsed is None:
        raise TimestampError(_("Give the time as text, like 2026-11-20 13:05:11 or 2026-11-20T13:05:11+08:00."))
    return check_timestamp(parsed, now=now, ahead=ahead)


class TimestampField(forms.Field):
    """A form field for a time from a gateway (JSON text), checked against the window above."""

    default_error_messages = {"invalid": gettext_lazy("Enter a valid date and time.")}

    def __init__(self, *, ahead: dt.timedelta = FUTURE_SLACK, **kwargs) -> None:
        self.ahead = ahead
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_timestamp(value, ahead=self.ahead)
        except TimestampError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


def window_validator(*, ahead: dt.timedelta = FUTURE_SLACK):
    """A validator for Django's own DateTimeField (agents' datetime-local inputs): the same window."""

    def validate(value: dt.datetime) -> None:
        if value is None:
            return
        try:
            check_timestamp(value, ahead=ahead)
        except TimestampError as exc:
            raise forms.ValidationError(str(exc), code="out_of_range") from None

    return validate


def date_window_validator(*, ahead: dt.timedelta = FUTURE_SLACK):
    """The same window for a day picked in a form (a report's range): its start in Shanghai must lie inside."""
    check = window_validator(ahead=ahead)

    def validate(value: dt.date) -> None:
        if value is None:
            return
        check(dt.datetime.combine(value, dt.time.min, timezone.get_default_timezone()))

    return validate
