"""Whatever a gateway sends, the API answers 400 naming the field (never 500) and stores nothing."""

import json

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from backoffice.models import Case, CaseEvent, Customer, Integration


@pytest.fixture
def token(db):
    integration = Integration(name="聊天网关")
    raw = integration.issue_token()
    integration.save()
    return raw


def post(client, name, body: str, token: str):
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages asserted in English, the source language
    headers = {"Authorization": f"Bearer {token}"}
    return client.post(reverse(name), body, content_type="application/json", headers=headers)


def stored() -> tuple[int, int, int]:
    return Case.objects.count(), CaseEvent.objects.count(), Customer.objects.exclude(pdd_user_id="u-1001").count()


MESSAGE = {"external_id": "m-1", "pdd_user_id": "u-new", "text": "在吗"}
DEEP = "[" * 100_000 + "]" * 100_000

BAD_MESSAGES = [
    ("text", '"text": ' + DEEP),
    ("nickname", '"nickname": {"a": ' + DEEP + "}"),
    ("text", '"text": "\\ud800"'),
    ("pdd_user_id", '"pdd_user_id": "abc\\udfff"'),
    ("external_id", '"external_id": "\\ud83d"'),
    ("sent_at", '"sent_at": "0001-01-01 00:00:00"'),
    ("sent_at", '"sent_at": "1999-12-31T23:59:59+08:00"'),
    ("sent_at", '"sent_at": "9999-12-31 23:59:59"'),
    ("sent_at", '"sent_at": 1732000000'),
    ("sent_at", '"sent_at": ["2026-11-20 10:00"]'),
    ("sent_at", '"sent_at": {"at": "2026-11-20 10:00"}'),
    ("sent_at", '"sent_at": "2026-11-20T10:00+99:00"'),
    ("sent_at", '"sent_at": "2026-02-30 10:00"'),
    ("sent_at", '"sent_at": true'),
    ("external_id", '"external_id": "' + "x" * 80 + '"'),
    ("pdd_user_id", '"pdd_user_id": "' + "u" * 41 + '"'),
    ("nickname", '"nickname": "' + "昵" * 61 + '"'),
    ("order_number", '"order_number": "' + "1" * 41 + '"'),
    ("text", '"text": "' + "字" * 4001 + '"'),
    ("text", '"text": "a\\u0000b"'),
    ("text", '"text": {"nested": 1}'),
]


def message_body(override: str) -> str:
    """MESSAGE with one field replaced by raw JSON text (so invalid JSON strings can be sent as a gateway would)."""
    name = override.split('"')[1]
    fields = [f'"{key}": {json.dumps(value)}' for key, value in MESSAGE.items() if key != name]
    return "{" + ", ".join([*fields, override]) + "}"


@pytest.mark.parametrize(("field", "override"), BAD_MESSAGES)
def test_a_hostile_message_field_is_a_400_naming_it_and_nothing_is_stored(client, token, field, override):
    before = stored()
    response = post(client, "api_messages", message_body(override), token)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["fields"]
    assert stored() == before


def test_a_message_sent_in_year_one_is_refused_on_postgresql_too(client, token):
    # On PostgreSQL this time was stored (as a BC date) and broke every queue afterwards.
    response = post(client, "api_messages", message_body('"sent_at": "0001-01-01 00:00:00"'), token)
    assert response.status_code == 400
    assert response.json()["fields"]["sent_at"] == ["The time cannot be before 2000-01-01."]
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


@pytest.mark.postgres
def test_year_one_on_postgresql_is_a_400_and_nothing_stored(client, token):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): the year-1 time was stored there")
    test_a_message_sent_in_year_one_is_refused_on_postgresql_too(client, token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM backoffice_caseevent WHERE at < '2000-01-01'")
        assert cursor.fetchone() == (0,)


def test_the_longest_external_id_that_fits_the_column_is_accepted(client, token):
    longest = 80 - len(f"{Integration.objects.get().pk}:")
    payload = MESSAGE | {"external_id": "x" * longest}
    response = post(client, "api_messages", json.dumps(payload), token)
    assert response.status_code == 201
    again = post(client, "api_messages", json.dumps(payload | {"external_id": "x" * (longest + 1)}), token)
    assert again.status_code == 400 and "external_id" in again.json()["fields"]


def test_a_time_with_an_offset_is_stored_as_that_moment(client, token):
    payload = MESSAGE | {"sent_at": "2026-11-20T02:00:00Z"}
    assert post(client, "api_messages", json.dumps(payload), token).status_code == 201
    event = CaseEvent.objects.get(external_id__endswith=":m-1")
    assert event.at.isoformat() == "2026-11-20T02:00:00+00:00"


def test_unknown_fields_are_ignored(client, token):
    payload = MESSAGE | {"extra": {"deep": ["\ud800"]}}
    assert post(client, "api_messages", json.dumps(payload), token).status_code == 201


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e30", "The amount is too large (at most ¥10,000,000.00)."),
        ('"1e30"', "The amount is too large (at most ¥10,000,000.00)."),
        ('"1e309"', "The amount is too large (at most ¥10,000,000.00)."),
        ("1e309", "Enter an amount in yuan, like 12.50."),  # JSON reads it as infinity
        ("1" * 32, "The amount is too large (at most ¥10,000,000.00)."),
        ('"' + "9" * 40 + '"', "The amount is too large (at most ¥10,000,000.00)."),
        ('"' + "9" * 41 + '"', "Enter an amount in yuan, like 12.50."),
        ("NaN", "Enter an amount in yuan, like 12.50."),
        ('"-Infinity"', "Enter an amount in yuan, like 12.50."),
        ("-1", "The amount cannot be negative."),
        ('"12.345"', "Use at most two decimals (fen)."),
        ('"1e-999999999"', "Use at most two decimals (fen)."),
        ("true", "Enter an amount in yuan, like 12.50."),
        ("[12]", "Give a single value here, not a list or an object."),
    ],
)
def test_a_hostile_amount_is_a_400_naming_the_field(client, token, order, amount, message):
    body = f'{{"external_id": "a-1", "order_number": "{order.number}", "kind": "refund", "amount": {amount}}}'
    response = post(client, "api_applications", body, token)
    assert response.status_code == 400
    assert response.json()["fields"] == {"amount": [message]}
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("applied_at", '"0001-01-01"'),
        ("applied_at", '"9999-12-31T23:59:59-12:00"'),
        ("applied_at", "20261120"),
        ("external_id", '"' + "x" * 81 + '"'),
        ("message", '"\\udc00"'),
        ("kind", '["refund"]'),
        ("small_defect", '{"yes": true}'),
        ("reason", '"\\ud800"'),
    ],
)
def test_a_hostile_application_field_is_a_400_naming_it(client, token, order, field, value):
    fields = {"external_id": '"a-1"', "order_number": f'"{order.number}"', "kind": '"refund"', field: value}
    body = "{" + ", ".join(f'"{key}": {raw}' for key, raw in fields.items()) + "}"
    response = post(client, "api_applications", body, token)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Case.objects.exists()


def test_a_json_number_amount_is_read_exactly(client, token, order):
    body = json.dumps({"external_id": "a-1", "order_number": order.number, "kind": "return", "amount": 12.5})
    response = post(client, "api_applications", body, token)
    assert response.status_code == 201
    assert Case.objects.get().amount_fen == 1250
