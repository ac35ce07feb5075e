"""R3: a quick phrase is filled from the case, or shown as not applicable, never inserted or sent with holes."""

from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation

from aftersales import services
from backoffice.errors import DomainError
from backoffice.messaging import phrases
from backoffice.models import CaseEvent, CaseKind, EventType, Order, OutboundMessage, QuickPhrase

TRACKING = "亲，您的订单{order_no}已由{courier}发出，单号{tracking_no}，预计 3–5 天送达~"
REFUND = "给您添麻烦了，退款{refund_amount}已原路退回。"


def inquiry(order, **fields):
    return services.open_application(kind=CaseKind.INQUIRY, order=order, **fields)


def phrase_list(client, case, q=""):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = (
        "en"  # the desk speaks Chinese unless the person chose English
    )
    with translation.override("en"):
        return client.get(reverse("case_phrases", args=[case.number]), {"q": q}).content.decode()


def test_a_tracking_phrase_for_an_unshipped_order_is_not_applicable_and_names_the_missing_fact(
    agent_client, make_order
):
    QuickPhrase.objects.create(title="查物流-测试", body=TRACKING)
    case = inquiry(make_order(status=Order.Status.AWAITING_SHIPMENT, shipped=False))
    content = phrase_list(agent_client, case, "查物流-测试")
    assert "已由发出" not in content and "单号，" not in content
    assert 'data-testid="phrase-not-applicable"' in content
    assert "tracking number" in content and "data-insert" not in content


def test_a_refund_phrase_for_a_case_without_an_amount_is_not_applicable(agent_client, order):
    QuickPhrase.objects.create(title="退款致歉-测试", body=REFUND)
    case = inquiry(order)
    content = phrase_list(agent_client, case, "退款致歉-测试")
    assert "¥0.00" not in content and "refund amount" in content


def test_a_phrase_the_case_can_fill_is_inserted_filled(agent_client, order):
    QuickPhrase.objects.create(title="查物流-测试", body=TRACKING)
    case = inquiry(order)
    content = phrase_list(agent_client, case, "查物流-测试")
    tracking = order.shipments.get().tracking_no
    assert f"已由中通快递发出，单号{tracking}" in content
    assert "phrase-not-applicable" not in content


def test_the_server_refuses_a_reply_built_from_a_phrase_the_case_cannot_fill(agent_client, make_order):
    phrase = QuickPhrase.objects.create(title="查物流-测试", body=TRACKING)
    case = inquiry(make_order(status=Order.Status.AWAITING_SHIPMENT, shipped=False))
    url = reverse("aftersales:case_action", args=[case.number, "reply"])
    agent_client.post(url, {"body": "亲，您的订单已由发出，单号，预计 3–5 天送达~", "phrases": str(phrase.pk)})
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()
    assert not OutboundMessage.objects.filter(case=case, template_key="").exists()


def test_the_server_refuses_a_reply_with_a_variable_left_in_it(order, agent):
    case = inquiry(order)
    try:
        phrases.reply_with_phrases(case=case, body="亲，退款{refund_amount}已退回", actor=agent)
    except DomainError as error:
        assert "refund amount" in str(error) or "退款" in str(error)
    else:
        raise AssertionError("a reply with a blank was sent")
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()


def test_a_reply_from_a_phrase_that_fits_is_sent(agent_client, order):
    phrase = QuickPhrase.objects.create(title="查物流-测试", body=TRACKING)
    case = inquiry(order)
    url = reverse("aftersales:case_action", args=[case.number, "reply"])
    agent_client.post(url, {"body": "亲，已发出~", "phrases": str(phrase.pk)})
    assert CaseEvent.objects.filter(case=case, type=EventType.REPLY).count() == 1
