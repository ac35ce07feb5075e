"""A real store starts complete: migrate (no demo) installs the default phrases, keyword rules and every template;
installing again adds nothing and keeps what an admin changed; the demo seed adds no second copy."""

import pytest

from backoffice.demo import seed_messaging
from backoffice.messaging.library import (
    DEFAULT_AUTO_REPLIES,
    DEFAULT_QUICK_PHRASES,
    SUPERSEDED_TEXTS,
    install_library,
    library_templates,
    upgrade_unedited_templates,
)
from backoffice.messaging.outbox import VARIABLE
from backoffice.messaging.phrases import FACT_LABELS
from backoffice.models import AutoReplyRule, MessageTemplate, QuickPhrase

pytestmark = pytest.mark.django_db


def install():
    return install_library(message_template=MessageTemplate, quick_phrase=QuickPhrase, auto_reply_rule=AutoReplyRule)


def test_a_fresh_install_has_the_default_library():
    assert set(QuickPhrase.objects.values_list("title", flat=True)) == {
        title for _c, title, _b in DEFAULT_QUICK_PHRASES
    }
    assert AutoReplyRule.objects.count() == len(DEFAULT_AUTO_REPLIES)
    assert set(library_templates()) <= set(MessageTemplate.objects.values_list("key", flat=True))
    rule = AutoReplyRule.objects.get(name="退货运费谁出")
    assert rule.template.key == "faq_return_shipping" and rule.active


def test_installing_again_adds_nothing_and_keeps_an_admins_edits():
    QuickPhrase.objects.filter(title="问候").update(body="亲，欢迎~")
    AutoReplyRule.objects.filter(name="退款多久到账").update(keywords="到账")
    MessageTemplate.objects.filter(key="faq_ship_time").update(body="亲，今天发~")

    assert install() == {"message_templates": 0, "quick_phrases": 0, "auto_reply_rules": 0}

    assert QuickPhrase.objects.get(title="问候").body == "亲，欢迎~"
    assert AutoReplyRule.objects.get(name="退款多久到账").keywords == "到账"
    assert MessageTemplate.objects.get(key="faq_ship_time").body == "亲，今天发~"
    assert QuickPhrase.objects.count() == len(DEFAULT_QUICK_PHRASES)


def test_the_demo_seed_adds_no_second_copy():
    before = (QuickPhrase.objects.count(), AutoReplyRule.objects.count(), MessageTemplate.objects.count())

    assert seed_messaging() == {"quick_phrases": 0, "auto_reply_rules": 0}

    assert (QuickPhrase.objects.count(), AutoReplyRule.objects.count(), MessageTemplate.objects.count()) == before


def test_a_template_nobody_edited_gets_the_corrected_text_and_an_edited_one_is_kept():
    old = SUPERSEDED_TEXTS["aftersales_reminder"][0]
    MessageTemplate.objects.filter(key="aftersales_reminder").update(body=old)
    MessageTemplate.objects.filter(key="return_approved").update(body="店铺自己写的退货说明")

    upgrade_unedited_templates(message_template=MessageTemplate)

    assert "运费" in MessageTemplate.objects.get(key="aftersales_reminder").body
    assert MessageTemplate.objects.get(key="return_approved").body == "店铺自己写的退货说明"


def test_every_variable_of_the_default_phrases_is_a_fact_a_case_can_have():
    names = {m.group(1) for _c, _t, body in DEFAULT_QUICK_PHRASES for m in VARIABLE.finditer(body)}
    assert names <= set(FACT_LABELS), names - set(FACT_LABELS)
