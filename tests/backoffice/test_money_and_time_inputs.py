"""The one money parser and the one check for outside times, and the agents' forms that use them."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from aftersales.forms import AmountForm, NewCaseForm
from backoffice.platform import timestamps
from backoffice.platform.timestamps import TimestampError, check_timestamp, parse_timestamp
from backoffice.store import money
from backoffice.store.money import MoneyError, parse_yuan
from logistics.forms import CourierContactForm, TrackingUpdateForm
from surveys.forms import CallForm, ResultsFilterForm
from tests.factories import make_order, shanghai

NOW = shanghai(2026, 11, 25, 10, 0)


@pytest.fixture(autouse=True)
def _english_and_a_fixed_clock():
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


# --- money --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("12.5", 1250),
        ("¥12.50", 1250),
        ("￥1,234.5", 123450),
        ("12.50元", 1250),
        ("１２.５", 1250),  # full-width digits
        (" 0 ", 0),
        ("12.500", 1250),
        ("0E+999999999", 0),
        (3, 300),
        (12.5, 1250),
        (Decimal("0.01"), 1),
        ("10000000", money.MAX_FEN),
    ],
)
def test_amounts_in_yuan_become_fen(value, fen):
    assert parse_yuan(value) == fen


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1e30", "too_large"),
        ("1e309", "too_large"),
        (1e30, "too_large"),
        (10**40, "too_large"),
        ("9" * 32, "too_large"),
        ("10000000.01", "too_large"),
        ("1" * 41, "invalid"),
        (float("inf"), "invalid"),
        (float("nan"), "invalid"),
        ("NaN", "invalid"),
        ("sNaN", "invalid"),
        ("Infinity", "invalid"),
        ("abc", "invalid"),
        ("", "invalid"),
        ("¥", "invalid"),
        (True, "invalid"),
        ([1], "invalid"),
        ({"a": 1}, "invalid"),
        (None, "invalid"),
        ("-1", "negative"),
        (-1, "negative"),
        ("12.345", "decimals"),
        ("1e-999999999", "decimals"),
        ("0.1000000000000000000000000000001", "decimals"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(value, code):
    with pytest.raises(MoneyError) as error:
        parse_yuan(value)
    assert error.value.code == code
    assert str(error.value)


def test_the_limit_is_said_in_yuan():
    with pytest.raises(MoneyError, match=r"at most ¥10,000,000\.00"):
        parse_yuan("1e30")


# --- outside times ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20 13:05:11", shanghai(2026, 11, 20, 13, 5, 11)),
        ("2026-11-20T13:05:11+08:00", shanghai(2026, 11, 20, 13, 5, 11)),
        ("2026-11-20T05:05:11Z", shanghai(2026, 11, 20, 13, 5, 11)),
        ("2026-11-20", shanghai(2026, 11, 20)),
        ("2000-01-01 00:00:00", shanghai(2000, 1, 1)),
        ("2026-11-26 09:59", shanghai(2026, 11, 26, 9, 59)),  # within a day ahead: clocks drift
    ],
)
def test_times_in_the_window_are_read_as_aware_times(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01 00:00:00",
        "1999-12-31 23:59:59",
        "9999-12-31 23:59:59",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "2026-11-26 10:01",
        "2026-02-30",
        "2026-11-20 25:00",
        "2026-11-20T10:00+99:00",
        "yesterday",
        "2" * 65,
        1732000000,
        1732000000.5,
        ["2026-11-20"],
        {"at": "2026-11-20"},
        True,
        None,
    ],
)
def test_times_outside_the_window_or_not_text_are_refused(value):
    with pytest.raises(TimestampError):
        parse_timestamp(value)


def test_a_scheduled_time_may_lie_further_ahead():
    later = NOW + dt.timedelta(days=30)
    with pytest.raises(TimestampError):
        check_timestamp(later)
    assert check_timestamp(later, ahead=timestamps.SCHEDULE_AHEAD) == later


def test_a_naive_time_is_shanghai_time():
    assert check_timestamp(dt.datetime(2026, 11, 20, 13, 0)) == shanghai(2026, 11, 20, 13, 0)  # noqa: DTZ001


# --- agents' forms ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["1e30", "1e309", "9" * 32, "１e400", "NaN", "-inf", "1e-99999"])
def test_the_refund_and_compensation_form_refuses_huge_or_strange_amounts(amount):
    form = AmountForm({"amount": amount})
    assert not form.is_valid()
    assert form.errors["amount"]


def test_the_new_case_form_refuses_a_huge_amount(db):
    form = NewCaseForm({"kind": "refund", "amount": "1e30"}, order=make_order())
    assert not form.is_valid()
    assert form.errors["amount"] == ["The amount is too large (at most ¥10,000,000.00)."]


def test_the_call_back_coupon_refuses_a_huge_amount(db):
    form = CallForm({"reached": "1", "coupon": "123456789012345678901234567890123"})
    assert not form.is_valid()
    assert "coupon" in form.errors


@pytest.mark.parametrize("at", ["0001-01-01T00:00", "1999-12-31T23:59", "9999-12-31T23:59", "2026-11-27T10:00"])
def test_a_tracking_update_at_an_impossible_time_is_refused(at):
    form = TrackingUpdateForm({"at": at, "state": "in_transit", "description": "到达南京转运中心"})
    assert not form.is_valid()
    assert "at" in form.errors


def test_a_next_check_may_be_weeks_ahead_but_not_in_year_9999(db):
    base = {"channel": "phone", "contact": "95311", "result": "已催件"}
    assert CourierContactForm(base | {"next_check_at": "2026-12-20T10:00"}).is_valid()
    late = CourierContactForm(base | {"next_check_at": "9999-12-31T23:59"})
    assert not late.is_valid() and "next_check_at" in late.errors


def test_a_call_back_retry_in_year_9999_is_refused(db):
    form = CallForm({"reached": "0", "retry_at": "9999-12-31T23:59"})
    assert not form.is_valid()
    assert "retry_at" in form.errors


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_survey_results_ignore_an_impossible_period_instead_of_failing(day):
    form = ResultsFilterForm({"date_from": day, "date_to": day})
    assert not form.is_valid()
    first, last = form.period()
    assert last == dt.date(2026, 11, 25) and first < last
