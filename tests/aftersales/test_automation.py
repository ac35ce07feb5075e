"""A6 keyword auto-replies and R2 out-of-hours replies."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backoffice.cases import services as casework
from backoffice.models import AutoReplyRule, CaseEvent, CaseKind, Desk, EventType, MessageTemplate, OutboundMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = dt.datetime(2026, 11, 23, 14, 0, tzinfo=SHANGHAI)
NIGHT = dt.datetime(2026, 11, 24, 2, 0, tzinfo=SHANGHAI)


@pytest.fixture
def case(order):
    return casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer, order=order)


@pytest.fixture
def refund_time_rule(db):
    template = MessageTemplate.objects.create(
        key="refund_eta", name="退款多久到账", body="{customer_name}您好，退款同意后 24 小时内原路退回~"
    )
    return AutoReplyRule.objects.create(
        name="退款到账", keywords="退款多久到账，多久到账, 钱什么时候退", template=template, priority=1
    )


def auto_replies(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case, type=EventType.AUTO_REPLY).values_list("body", flat=True))


def test_keyword_gets_its_auto_reply(case, refund_time_rule):
    casework.record_customer_message(case=case, body="请问退款多久到账啊", at=DAYTIME)
    assert auto_replies(case) == ["张小花您好，退款同意后 24 小时内原路退回~"]
    assert OutboundMessage.objects.filter(case=case, template_key="refund_eta").count() == 1


def test_auto_reply_does_not_stop_the_human_reply_clock(case, refund_time_rule):
    casework.record_customer_message(case=case, body="钱什么时候退", at=DAYTIME)
    assert case.first_response_due is not None


def test_no_keyword_in_business_hours_gets_no_auto_reply(case, refund_time_rule):
    casework.record_customer_message(case=case, body="衣服有点大", at=DAYTIME)
    assert auto_replies(case) == []


def test_inactive_rule_is_ignored(case, refund_time_rule):
    # The store's default library answers the same question: switch every rule off.
    AutoReplyRule.objects.update(active=False)
    casework.record_customer_message(case=case, body="退款多久到账", at=DAYTIME)
    assert auto_replies(case) == []


def test_out_of_hours_message_gets_the_out_of_hours_reply(case):
    casework.record_customer_message(case=case, body="在吗", at=NIGHT)
    [reply] = auto_replies(case)
    assert "48 小时内发出" in reply and "7 天无理由" in reply


def test_holiday_gets_the_out_of_hours_reply(case, store):
    store.holidays.create(date=DAYTIME.date(), name="店休")
    casework.record_customer_message(case=case, body="在吗", at=DAYTIME)
    assert len(auto_replies(case)) == 1


def test_repeated_delivery_is_stored_once(case):
    first = casework.record_customer_message(case=case, body="在吗", at=DAYTIME, external_id="gw:1")
    second = casework.record_customer_message(case=case, body="在吗", at=DAYTIME, external_id="gw:1")
    assert first is not None and second is None
    assert CaseEvent.objects.filter(case=case, type=EventType.CUSTOMER_MESSAGE).count() == 1


def test_customer_writing_to_a_resolved_case_reopens_it(case, agent):
    casework.transition_case(case=case, to="resolved", actor=agent)
    casework.record_customer_message(case=case, body="还是没收到退款", at=DAYTIME)
    assert case.status == "in_progress"
