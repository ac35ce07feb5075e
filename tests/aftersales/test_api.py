import json

import pytest
from django.urls import reverse

from backoffice.models import Case, CaseEvent, EventType, Integration


@pytest.fixture
def token(db):
    integration = Integration(name="聊天网关")
    raw = integration.issue_token()
    integration.save()
    return raw


def post(client, name, payload, token=None, raw=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = raw if raw is not None else json.dumps(payload)
    return client.post(reverse(name), body, content_type="application/json", headers=headers)


def test_missing_or_wrong_token_is_401(client, token):
    assert post(client, "api_messages", {}).status_code == 401
    assert post(client, "api_messages", {}, token="wrong").status_code == 401


def test_inactive_integration_is_refused(client, token):
    Integration.objects.update(active=False)
    assert post(client, "api_messages", {"text": "hi"}, token=token).status_code == 401


def test_malformed_json_is_400_with_reason(client, token):
    response = post(client, "api_messages", None, token=token, raw="{not json")
    assert response.status_code == 400 and "JSON" in response.json()["error"]


def test_non_object_json_is_400(client, token):
    assert post(client, "api_messages", [1, 2], token=token).status_code == 400


def test_missing_fields_are_named(client, token):
    response = post(client, "api_messages", {"text": "hi"}, token=token)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"external_id", "pdd_user_id"}


def test_message_opens_an_inquiry_and_starts_the_clock(client, token, order):
    payload = {
        "external_id": "m-1",
        "pdd_user_id": order.customer.pdd_user_id,
        "text": "在吗",
        "order_number": order.number,
    }
    response = post(client, "api_messages", payload, token=token)
    assert response.status_code == 201
    case = Case.objects.get(number=response.json()["case"])
    assert case.kind == "inquiry" and case.order == order and case.first_response_due is not None


def test_repeated_message_is_stored_once(client, token, order):
    payload = {"external_id": "m-1", "pdd_user_id": order.customer.pdd_user_id, "text": "在吗"}
    first = post(client, "api_messages", payload, token=token)
    second = post(client, "api_messages", payload, token=token)
    assert second.status_code == 200 and second.json() == {"case": first.json()["case"], "duplicate": True}
    assert CaseEvent.objects.filter(type=EventType.CUSTOMER_MESSAGE).count() == 1


def test_next_message_goes_to_the_open_case(client, token, order):
    base = {"pdd_user_id": order.customer.pdd_user_id}
    first = post(client, "api_messages", base | {"external_id": "m-1", "text": "在吗"}, token=token)
    second = post(client, "api_messages", base | {"external_id": "m-2", "text": "衣服大了"}, token=token)
    assert first.json()["case"] == second.json()["case"]


def test_application_under_threshold_is_auto_approved(client, token, order):
    payload = {
        "external_id": "a-1",
        "order_number": order.number,
        "kind": "refund",
        "amount": "¥12.50",
        "reason": "quality",
    }
    response = post(client, "api_applications", payload, token=token)
    assert response.status_code == 201 and response.json()["status"] == "resolved"


def test_application_duplicate_is_not_stored_twice(client, token, order):
    payload = {"external_id": "a-1", "order_number": order.number, "kind": "return", "amount": "59.90"}
    post(client, "api_applications", payload, token=token)
    again = post(client, "api_applications", payload, token=token)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"order_number": "nope", "kind": "refund"}, "order_number"),
        ({"kind": "teleport"}, "kind"),
        ({"kind": "refund", "amount": "abc"}, "amount"),
        ({"kind": "refund", "amount": "-1"}, "amount"),
        ({"kind": "refund", "reason": "bored"}, "reason"),
    ],
)
def test_bad_application_fields_are_named(client, token, order, payload, field):
    full = {"external_id": "a-1", "order_number": order.number} | payload
    response = post(client, "api_applications", full, token=token)
    assert response.status_code == 400 and field in response.json()["fields"]
    assert not Case.objects.exists()


def test_application_above_paid_amount_is_400(client, token, order):
    payload = {"external_id": "a-1", "order_number": order.number, "kind": "refund", "amount": "1000"}
    response = post(client, "api_applications", payload, token=token)
    assert response.status_code == 400 and not Case.objects.exists()


def test_get_is_not_allowed(client, token):
    assert client.get(reverse("api_messages")).status_code == 405
