"""A gateway's retry storm on PostgreSQL: identical deliveries at once end with one message and one case."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from backoffice.models import Case, CaseEvent, Customer, EventType, Integration

DELIVERIES = 12
ROUNDS = 3


def _deliver_at_once(token: str, payloads: list[dict], name: str = "api_messages") -> list[int]:
    """Posts every payload from its own thread (its own database connection), all released together."""
    barrier = threading.Barrier(len(payloads))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def work(payload):
        try:
            client = Client()
            client.raise_request_exception = True
            barrier.wait()
            response = client.post(
                reverse(name),
                json.dumps(payload),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


@pytest.fixture
def gateway_token(transactional_db):
    integration = Integration(name="聊天网关")
    raw = integration.issue_token()
    integration.save()
    return raw


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite serialises every writer, so there is no race to test")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_identical_deliveries_of_a_new_customers_message_store_one_message_in_one_case(gateway_token):
    _needs_postgres()
    for round_number in range(ROUNDS):
        user = f"storm-{round_number}"
        payload = {"external_id": f"msg-{round_number}", "pdd_user_id": user, "text": "在吗？衣服什么时候发货"}

        statuses = _deliver_at_once(gateway_token, [payload] * DELIVERIES)

        assert sorted(statuses) == [200] * (DELIVERIES - 1) + [201], (round_number, statuses)
        customer = Customer.objects.get(pdd_user_id=user)
        assert Case.objects.filter(customer=customer).count() == 1, round_number
        assert CaseEvent.objects.filter(case__customer=customer, type=EventType.CUSTOMER_MESSAGE).count() == 1
        assert CaseEvent.objects.filter(case__customer=customer, type=EventType.CASE_OPENED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_messages_of_a_new_customer_at_once_share_one_inquiry(gateway_token):
    _needs_postgres()
    for round_number in range(ROUNDS):
        user = f"burst-{round_number}"
        payloads = [
            {"external_id": f"burst-{round_number}-{n}", "pdd_user_id": user, "text": f"第{n}条"}
            for n in range(DELIVERIES)
        ]

        statuses = _deliver_at_once(gateway_token, payloads)

        assert statuses == [201] * DELIVERIES
        customer = Customer.objects.get(pdd_user_id=user)
        assert Case.objects.filter(customer=customer).count() == 1, round_number
        assert CaseEvent.objects.filter(case__customer=customer, type=EventType.CUSTOMER_MESSAGE).count() == DELIVERIES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_identical_applications_at_once_open_one_case(gateway_token, make_order):
    _needs_postgres()
    for round_number in range(ROUNDS):
        order = make_order()
        payload = {"external_id": f"app-{round_number}", "order_number": order.number, "kind": "return"}

        statuses = _deliver_at_once(gateway_token, [payload] * DELIVERIES, name="api_applications")

        assert sorted(statuses) == [200] * (DELIVERIES - 1) + [201], (round_number, statuses)
        assert Case.objects.filter(order=order).count() == 1


def test_a_delivery_that_keeps_losing_its_race_is_asked_to_come_again(client, db, monkeypatch):
    from aftersales import services

    integration = Integration(name="聊天网关")
    token = integration.issue_token()
    integration.save()
    # As if another delivery of the same message won every round but its row never became visible.
    monkeypatch.setattr(services, "record_customer_message", lambda **kwargs: None)
    response = client.post(
        reverse("api_messages"),
        json.dumps({"external_id": "m-1", "pdd_user_id": "u-new", "text": "在吗"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
