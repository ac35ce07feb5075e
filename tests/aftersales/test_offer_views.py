"""The case page's controls for the return-shipping payer, the small-defect choice and the reship's tracking number."""

from django.urls import reverse

from aftersales import services
from aftersales.models import DefectOffer
from backoffice.models import CaseKind, Courier, OutboundMessage, Reason


def act(client, case, action, data=None):
    return client.post(reverse("aftersales:case_action", args=[case.number, action]), data or {})


def page(client, case) -> str:
    return client.get(reverse("aftersales:case", args=[case.number])).content.decode()


def test_the_agent_chooses_who_pays_the_return_shipping(agent_client, order):
    case = services.open_application(kind=CaseKind.RETURN, order=order, reason=Reason.QUALITY, amount_fen=100)
    assert '<option value="store" selected>' in page(agent_client, case)

    act(agent_client, case, "approve_return", {"shipping_paid_by": "customer"})

    case.refresh_from_db()
    assert case.return_shipping_paid_by == "customer" and case.handled_at is not None


def test_the_small_defect_choice_is_offered_and_answered_from_the_page(agent_client, order):
    case = services.open_application(kind=CaseKind.COMPENSATION, order=order, reason=Reason.QUALITY)
    assert 'data-testid="defect-offer"' in page(agent_client, case)

    act(agent_client, case, "defect_offer")
    assert DefectOffer.objects.get(case=case).choice == "pending"
    assert 'data-testid="defect-choice"' in page(agent_client, case)

    act(agent_client, case, "defect_choice", {"choice": "compensation"})

    case.refresh_from_db()
    assert DefectOffer.objects.get(case=case).choice == "compensation" and case.resolution == "compensated"


def test_the_reships_tracking_number_is_sent_from_the_page(agent_client, order, agent):
    case = services.open_application(kind=CaseKind.RESHIP, order=order, reason=Reason.WRONG_ITEM)
    services.reship(case=case, actor=agent)
    courier = Courier.objects.create(code="yto", name="圆通速递")
    assert 'data-testid="reship-tracking"' in page(agent_client, case)

    act(agent_client, case, "reship_tracking", {"courier": courier.pk, "tracking_no": "YT123456789"})

    assert "YT123456789" in OutboundMessage.objects.get(case=case, template_key="reship_shipped").body


def test_the_small_defect_choice_is_not_offered_for_a_size_question(agent_client, order):
    case = services.open_application(kind=CaseKind.INQUIRY, order=order, reason=Reason.SIZE)
    assert 'data-testid="defect-offer"' not in page(agent_client, case)
