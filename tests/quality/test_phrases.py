"""QA-5: the phrase checker (Chinese text, full-width, spaced and look-alike variants) and where it runs."""

import pytest
from django.test import Client
from django.urls import reverse

from backoffice.cases import services as casework
from backoffice.demo import QUICK_PHRASES
from backoffice.errors import DomainError
from backoffice.models import CaseEvent, EventType, MessageTemplate, OutboundMessage, QuickPhrase
from backoffice.payouts.models import Payout  # noqa: F401 - the reply service's models are loaded
from backoffice.store.defaults import DEFAULT_TEMPLATES
from quality import screening
from quality.defaults import DEFAULT_PHRASES, REVIEW_FOR_REWARD
from quality.models import BannedPhrase, Severity
from quality.phrases import Rule, find_phrases, normalise
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

RULES = [
    Rule(1, "加*微信", "block", "站外引流"),
    Rule(2, "好评*返", "block", "好评返现"),
    Rule(3, "线下转账", "block", "线下交易"),
    Rule(4, "修改*评价", "warn", "请确认措辞"),
    Rule(5, "加*qq", "block", "站外引流"),
]


def phrases_in(text: str, rules=RULES) -> list[str]:
    return [m.rule.phrase for m in find_phrases(text, rules)]


@pytest.mark.parametrize(
    "text",
    [
        "亲，加微信聊吧",
        "加 微 信 发你",
        "加.微.信",
        "加-微-信！",
        "加　微　信",  # full-width spaces
        "加V信",
        "加v 信",
        "加ｖｘ",  # full-width letters
        "加VX：abc123",
        "加wx",
        "加薇信",
        "加威信",
        "加我微信",
        "加一下微信",
        "加😊微😊信",
    ],
)
def test_spellings_of_add_wechat_are_all_found(text):
    assert phrases_in(text) == ["加*微信"]


@pytest.mark.parametrize("text", ["加ＱＱ 123456", "加扣扣", "加 Q Q", "加我qq"])
def test_spellings_of_add_qq_are_found(text):
    assert phrases_in(text) == ["加*qq"]


def test_traditional_characters_are_found():
    assert phrases_in("可以線下轉賬嗎") == ["线下转账"]


def test_a_star_allows_a_few_characters_between_but_not_a_sentence():
    assert phrases_in("好评后返您 5 元") == ["好评*返"]
    assert phrases_in("给个好评，我们会把运费返给您") == []  # more than 4 characters apart


def test_the_warning_quotes_what_was_really_typed():
    (match,) = find_phrases("您可以 加 V 信：abc", RULES)
    assert match.fragment == "加 V 信"
    assert match.rule.reason == "站外引流"
    assert match.blocks


def test_blocking_rules_come_before_warnings():
    assert phrases_in("麻烦修改一下评价，加微信返现") == ["加*微信", "修改*评价"]


@pytest.mark.parametrize(
    "text",
    [
        "亲，您的订单已发货，单号 YT7788990011，预计 3–5 天送达~",
        "USB 接口的充电线已经补寄给您了",
        "退款会在 24 小时内原路退回到您的支付账户",
        "支持 7 天无理由退换，正品保障",
    ],
)
def test_ordinary_replies_match_nothing(text):
    assert phrases_in(text) == []


def test_normalise_removes_separators_and_maps_look_alikes():
    assert normalise("加 Ｖ 信!").text == "加微信"
    assert normalise("ZFB 转帐").text == "支付宝转账"


def test_inactive_phrases_are_ignored():
    BannedPhrase.objects.filter(phrase="加*微信").update(active=False)
    assert "加*微信" not in [m.rule.phrase for m in screening.find_phrases("加微信")]


def test_the_default_list_is_shipped_by_the_migration():
    shipped = set(BannedPhrase.objects.values_list("phrase", flat=True))
    assert {"加*微信", "加*qq", "线下转账", "支付宝转账", "好评返现", "改好评*返", "删差评*返"} <= shipped
    assert shipped == {phrase for phrase, _severity, _reason in DEFAULT_PHRASES}
    assert BannedPhrase.objects.filter(severity=Severity.BLOCK, phrase="傻逼").exists()


def _rules_broken(text: str):
    return screening.find_phrases(text)


def test_shipped_templates_and_quick_phrases_break_no_blocking_rule():
    texts = [body for _name, body in DEFAULT_TEMPLATES.values()] + [body for *_rest, body in QUICK_PHRASES]
    for text in texts:
        assert [m.rule.phrase for m in _rules_broken(text) if m.blocks] == [], text


def test_a10_coupon_and_apology_are_never_conditional_on_revising_the_review():
    reward_rules = set(BannedPhrase.objects.filter(reason=REVIEW_FOR_REWARD).values_list("phrase", flat=True))
    a10_texts = [DEFAULT_TEMPLATES["followup_review"][1]] + [
        body for *_rest, body in QUICK_PHRASES if "15 元" in body or "评价" in body
    ]
    assert len(a10_texts) >= 2
    for text in a10_texts:
        assert not [m for m in _rules_broken(text) if m.rule.phrase in reward_rules], text
    # The same offer worded as a condition is caught:
    assert any(m.rule.phrase in reward_rules for m in _rules_broken("亲，修改评价后送您一张 15 元无门槛券"))
    assert any(m.rule.phrase in reward_rules for m in _rules_broken("改成好评就给您返 15 元"))


# --- the reply service ------------------------------------------------------------------------------------------


def test_a_reply_with_a_blocked_phrase_is_refused_and_nothing_is_sent(agent):
    case = CaseFactory(assignee=agent)
    with pytest.raises(DomainError) as refused:
        casework.reply_to_customer(case=case, body="亲，加 V 信 发您优惠", actor=agent)
    assert "加*微信" in str(refused.value)
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()
    assert not OutboundMessage.objects.filter(case=case).exists()


def test_a_reply_with_a_warned_phrase_needs_a_confirmation(agent):
    case = CaseFactory(assignee=agent)
    with pytest.raises(DomainError):
        casework.reply_to_customer(case=case, body="方便的话麻烦您修改一下评价~", actor=agent)
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()


def test_a_confirmed_warned_reply_is_sent_and_recorded(agent):
    case = CaseFactory(assignee=agent)
    casework.reply_to_customer(case=case, body="方便的话麻烦您修改一下评价~", actor=agent, confirm_warnings=True)
    assert CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()
    warned = CaseEvent.objects.get(case=case, type=EventType.QA_PHRASE_WARNED)
    assert warned.actor == agent
    assert warned.after["warnings"][0]["phrase"] == "修改*评价"


def test_a_confirmation_does_not_let_a_blocked_phrase_through(agent):
    case = CaseFactory(assignee=agent)
    with pytest.raises(DomainError):
        casework.reply_to_customer(case=case, body="线下转账给您", actor=agent, confirm_warnings=True)


def test_the_reply_action_refuses_a_blocked_phrase(agent_client, agent):
    case = CaseFactory(assignee=agent)
    response = agent_client.post(f"/aftersales/case/{case.number}/reply/", {"body": "加我微信吧"}, follow=True)
    assert response.status_code == 200
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()


def test_the_reply_action_sends_a_warned_phrase_once_confirmed(agent_client, agent):
    case = CaseFactory(assignee=agent)
    url = f"/aftersales/case/{case.number}/reply/"
    agent_client.post(url, {"body": "满意的话请给个五星好评呀"})
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()
    agent_client.post(url, {"body": "满意的话请给个五星好评呀", "confirm_warnings": "on"})
    assert CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()
    assert CaseEvent.objects.filter(case=case, type=EventType.QA_PHRASE_WARNED).exists()


# --- the reply box's endpoint -----------------------------------------------------------------------------------


def test_the_check_endpoint_names_the_rule_and_its_reason(agent_client):
    response = agent_client.post(reverse("quality:check_phrases"), {"text": "加 微 信"})
    data = response.json()
    assert data["blocked"] is True
    assert data["matches"][0]["phrase"] == "加*微信"
    assert data["matches"][0]["fragment"] == "加 微 信"
    assert "站外" in data["matches"][0]["reason"]


def test_the_check_endpoint_needs_a_login():
    response = Client().post(reverse("quality:check_phrases"), {"text": "加微信"})
    assert response.status_code == 302


# --- admin ------------------------------------------------------------------------------------------------------


def test_admin_refuses_a_quick_phrase_with_a_blocked_phrase(admin_client_store):
    response = admin_client_store.post(
        reverse("admin:backoffice_quickphrase_add"),
        {"title": "好评", "category": "通用", "body": "亲，五星好评返现 5 元哦", "sort_order": 10, "active": "on"},
    )
    assert response.status_code == 200
    assert "好评返现" in response.content.decode()
    assert not QuickPhrase.objects.filter(title="好评").exists()


def test_admin_saves_a_warned_phrase_only_when_confirmed(admin_client_store):
    data = {"title": "求好评", "category": "通用", "body": "满意的话请给个五星好评呀", "sort_order": 10, "active": "on"}
    admin_client_store.post(reverse("admin:backoffice_quickphrase_add"), data)
    assert not QuickPhrase.objects.filter(title="求好评").exists()
    admin_client_store.post(reverse("admin:backoffice_quickphrase_add"), {**data, "confirm_warnings": "on"})
    assert QuickPhrase.objects.filter(title="求好评").exists()


def test_admin_refuses_a_message_template_with_a_blocked_phrase(admin_client_store):
    template = MessageTemplate.objects.get(key="refund_apology")
    response = admin_client_store.post(
        reverse("admin:backoffice_messagetemplate_change", args=[template.pk]),
        {"name": template.name, "channel": template.channel, "body": "删差评返 20 元", "active": "on"},
    )
    assert response.status_code == 200
    template.refresh_from_db()
    assert "删差评" not in template.body
