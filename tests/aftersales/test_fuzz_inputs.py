"""Property-based: random JSON shapes and values in every field of both gateway endpoints, and random input to the money
and time parsers. Never a 500 (or any other exception); a 400 writes no row.

Example counts are modest on purpose (the suite's time matters); FUZZ_EXAMPLES below sums them for the report.
"""

import datetime as dt
import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aftersales.api import ApplicationIn, MessageIn
from backoffice.models import Case, CaseEvent, Customer, Integration
from backoffice.platform import timestamps
from backoffice.platform.importing import parsing
from backoffice.store import money

ENDPOINT_EXAMPLES = 60
PARSER_EXAMPLES = 150
# Two endpoints; parse_yuan, parse_timestamp, the import parsers (money_fen and moment), and two round trips.
FUZZ_EXAMPLES = 2 * ENDPOINT_EXAMPLES + 5 * PARSER_EXAMPLES

endpoint_settings = settings(
    max_examples=ENDPOINT_EXAMPLES,
    deadline=None,
    # The database is shared by the examples on purpose: each one compares the row counts before and after itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
parser_settings = settings(max_examples=PARSER_EXAMPLES, deadline=None)

# Text with what breaks naive code: lone surrogates, NUL, full-width and formula characters, digits and exponents.
characters = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),
    st.sampled_from("0123456789.eE+-:TZ ¥￥,元＝＋－＠\x00\t\r\n'\""),
)
texts = st.one_of(
    st.text(characters, max_size=24),
    st.text(characters, min_size=70, max_size=130),  # around the columns' lengths
    st.sampled_from(
        [
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "1999-12-31T23:59:59+08:00",
            "2026-11-20T10:00:00+99:00",
            "2026-02-30",
            "1e30",
            "1e309",
            "-1e309",
            "NaN",
            "sNaN",
            "1" * 32,
            "0E+999999999",
            "1e-999999999",
            "12.345",
            "１２.５",
        ]
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=6,
)
now_ish = st.datetimes(min_value=dt.datetime(1999, 6, 1), max_value=dt.datetime(2027, 6, 1)).map(  # noqa: DTZ001
    lambda moment: moment.isoformat(sep=" ", timespec="seconds")
)
past = st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2026, 1, 1)).map(  # noqa: DTZ001
    lambda moment: moment.isoformat(sep=" ", timespec="seconds")
)
ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
words = st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=20)


def _mostly(usual: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """usual four times in five, other once (one_of alone would favour the richer strategy)."""
    return st.sampled_from([True, True, True, True, False]).flatmap(lambda pick: usual if pick else other)


def payloads(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """An object whose every field is mostly plausible and sometimes anything at all; sometimes a field is left out,
    sometimes extra keys come along. So that some deliveries pass and are stored, and most carry one bad value."""
    each = {name: _mostly(plausible, json_values) for name, plausible in fields.items()}
    dropped = _mostly(st.just(set()), st.sets(st.sampled_from(sorted(fields)), max_size=2))
    extras = _mostly(st.just({}), st.dictionaries(texts, json_values, max_size=2))
    return st.tuples(st.fixed_dictionaries(each), dropped, extras).map(
        lambda parts: parts[2] | {name: value for name, value in parts[0].items() if name not in parts[1]}
    )


def bodies(payload: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the JSON of a payload; sometimes deep nesting, a non-object, or bytes that are not JSON at all."""
    return _mostly(
        payload.map(json.dumps),
        st.one_of(
            json_values.map(json.dumps),
            st.integers(min_value=1, max_value=5000).map(lambda depth: '{"text": ' + "[" * depth + "]" * depth + "}"),
            st.binary(max_size=40),
        ),
    )


def counts() -> tuple[int, int, int]:
    return Case.objects.count(), CaseEvent.objects.count(), Customer.objects.count()


def post(client, name: str, body, token: str):
    return client.post(
        reverse(name), body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture
def token(db):
    integration = Integration(name="模糊测试网关")
    raw = integration.issue_token()
    integration.save()
    return raw


@pytest.fixture
def gateway(client):
    client.raise_request_exception = True  # an exception in the view fails the example with its traceback
    return client


MESSAGE_FIELDS = {"external_id", "pdd_user_id", "nickname", "order_number", "text", "sent_at"}
APPLICATION_FIELDS = {
    "external_id",
    "order_number",
    "kind",
    "reason",
    "amount",
    "small_defect",
    "message",
    "applied_at",
}


def test_the_fuzzing_covers_every_field_of_both_endpoints():
    # A field added to a gateway form must be added to its payload strategy below too.
    assert set(MessageIn.base_fields) == MESSAGE_FIELDS
    assert set(ApplicationIn.base_fields) == APPLICATION_FIELDS


@endpoint_settings
@given(data=st.data())
def test_fuzzed_messages_never_fail_and_a_400_stores_nothing(gateway, token, order, data):
    body = data.draw(
        bodies(
            payloads(
                {
                    "external_id": ids,
                    "pdd_user_id": st.sampled_from(["u-1001", "u-fuzz"]),
                    "nickname": words,
                    "order_number": st.just(order.number),
                    "text": words,
                    "sent_at": st.one_of(past, now_ish),
                }
            )
        )
    )
    before = counts()
    response = post(gateway, "api_messages", body, token)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 201, 400), response.content[:300]
    if response.status_code == 400:
        assert counts() == before
        assert response.json()["error"]


@endpoint_settings
@given(data=st.data())
def test_fuzzed_applications_never_fail_and_a_400_stores_nothing(gateway, token, order, data):
    body = data.draw(
        bodies(
            payloads(
                {
                    "external_id": ids,
                    "order_number": st.just(order.number),
                    "kind": st.sampled_from(["refund", "return", "exchange", "reship", "compensation", "inquiry"]),
                    "reason": st.sampled_from(["size", "quality", ""]),
                    "amount": st.one_of(st.decimals(min_value=0, max_value=100, places=2).map(str), st.integers(0, 60)),
                    "small_defect": st.booleans(),
                    "message": words,
                    "applied_at": st.one_of(past, now_ish),
                }
            )
        )
    )
    before = counts()
    response = post(gateway, "api_applications", body, token)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 201, 400), response.content[:300]
    if response.status_code == 400:
        assert counts() == before


@parser_settings
@given(value=json_values)
def test_the_money_parser_gives_fen_in_range_or_a_reason(value):
    try:
        fen = money.parse_yuan(value)
    except money.MoneyError as error:
        assert str(error) and error.code in {"invalid", "negative", "decimals", "too_large"}
    else:
        assert isinstance(fen, int) and 0 <= fen <= money.MAX_FEN


@parser_settings
@given(fen=st.integers(min_value=0, max_value=money.MAX_FEN), style=st.sampled_from(["{}.{:02d}", "¥{}.{:02d}"]))
def test_every_amount_in_range_reads_back_exactly(fen, style):
    assert money.parse_yuan(style.format(fen // 100, fen % 100)) == fen


@parser_settings
@given(value=st.one_of(json_values, now_ish))
def test_the_time_parser_gives_a_time_in_the_window_or_a_reason(value):
    try:
        moment = timestamps.parse_timestamp(value)
    except timestamps.TimestampError as error:
        assert str(error)
    else:
        assert moment.tzinfo is not None and moment >= timestamps.EARLIEST


@parser_settings
@given(
    moment=st.datetimes(
        min_value=dt.datetime(2000, 1, 2),  # noqa: DTZ001 - made aware below
        max_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-5))]),
    )
)
def test_every_time_in_the_window_reads_back_as_the_same_moment(moment):
    assert timestamps.parse_timestamp(moment.isoformat()) == moment


@parser_settings
@given(value=st.one_of(json_values, now_ish))
def test_the_import_parsers_give_a_value_or_a_row_error(value):
    for parse in (parsing.money_fen, parsing.moment):
        try:
            parse(value, label="字段")
        except parsing.RowError as error:
            assert str(error)
