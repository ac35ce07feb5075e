"""Agents' amount fields (refund, compensation, new case) refuse huge or strange numbers with a message, never a 500."""

import pytest
from django.urls import reverse

from aftersales import services
from backoffice.models import Case, CaseEvent, CaseKind, Status

HUGE = ["1e30", "1e309", "123456789012345678901234567890123", "NaN", "1e-99999"]


@pytest.mark.parametrize("amount", HUGE)
@pytest.mark.parametrize("action", ["approve_refund", "compensate"])
def test_a_huge_amount_in_a_case_action_is_a_message_and_changes_nothing(agent_client, order, action, amount):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5000)
    events = CaseEvent.objects.count()
    agent_client.raise_request_exception = False
    response = agent_client.post(
        reverse("aftersales:case_action", args=[case.number, action]), {"amount": amount}, follow=True
    )
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).status == Status.NEW
    assert CaseEvent.objects.count() == events


@pytest.mark.parametrize("amount", HUGE)
def test_a_huge_amount_in_a_new_case_is_a_form_error(agent_client, order, amount):
    agent_client.raise_request_exception = False
    url = reverse("aftersales:new_case")
    response = agent_client.post(f"{url}?order_number={order.number}", {"kind": "refund", "amount": amount})
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert not Case.objects.exists()
