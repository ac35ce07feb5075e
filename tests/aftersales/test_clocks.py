"""The store's clocks and what the customer is told: R1 waits and the platform window, R2/A6 once per wait, A3 apology
after the refund arrived, A4 first handling, A5 never less than the automatic refund, A7 per-kind deadlines,
A9 from the payout's success and automatic closing, one message per resolution, L3 one coupon value."""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from aftersales import services
from backoffice.cases import services as casework
from backoffice.cases.queues import response_rate
from backoffice.followups import services as followups
from backoffice.models import (
    AutoReplyRule,
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    Coupon,
    Desk,
    EventType,
    FollowUp,
    MessageTemplate,
    OutboundMessage,
    ResponseWait,
    Status,
    StoreSettings,
    Trigger,
)
from backoffice.payouts.models import Payout
from backoffice.supervisor.reports import Period, first_handling, response_rates
from tests.factories import shanghai

# November 2026: the 24th is a Tuesday. Default opening hours 09:00–23:00 every day; R1 window 08:00–23:00.
TUESDAY = dt.date(2026, 11, 24)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 24) -> dt.datetime:
    return shanghai(2026, 11, day, hour, minute, second)


def sent(case, key: str | None = None):
    messages = OutboundMessage.objects.filter(case=case).order_by("pk")
    return list(messages.filter(template_key=key) if key else messages)


@pytest.fixture
def inquiry(order, agent):
    with time_machine.travel(at(9, 30), tick=False):
        case = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer, order=order)
    Case.objects.filter(pk=case.pk).update(assignee=agent)
    case.assignee = agent
    return case


def write(case, body: str, when: dt.datetime):
    with time_machine.travel(when, tick=False):
        return casework.record_customer_message(case=case, body=body, at=when)


# --- R1: one clock per wait --------------------------------------------------------------------------------------


def test_a_customer_chasing_with_five_messages_does_not_move_the_clock(inquiry, agent):
    for minute in range(5):
        write(inquiry, "在吗", at(10, minute * 2))
    assert ResponseWait.objects.filter(case=inquiry).count() == 1
    with time_machine.travel(at(10, 10), tick=False):
        casework.reply_to_customer(case=inquiry, body="亲，在的", actor=agent)
    wait = ResponseWait.objects.get(case=inquiry)
    assert wait.started_at == at(10, 0) and wait.due_at == at(10, 3)
    assert wait.answered_at == at(10, 10) and wait.answered_by == agent and wait.answer == "reply"
    reply = CaseEvent.objects.get(case=inquiry, type=EventType.REPLY)
    assert reply.after == {"waited_seconds": 600, "within_sla": False}
    assert response_rate(since=at(0), now=at(12)) | {"window": None} == {
        "total": 1,
        "in_time": 0,
        "rate": 0,
        "window": None,
    }


def test_a_resolution_message_answers_the_wait(order, agent):
    with time_machine.travel(at(10, 0), tick=False):
        case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990, message="怎么还没处理")
    with time_machine.travel(at(10, 2), tick=False):
        services.approve_refund(case=case, actor=agent)
    wait = ResponseWait.objects.get(case=case)
    assert (wait.answered_by, wait.answer, wait.answered_at) == (agent, "resolution", at(10, 2))
    assert response_rate(since=at(0), agent=agent, now=at(12))["in_time"] == 1


def test_a_logistics_message_to_the_customer_answers_the_wait(make_order, agent):
    from logistics import services as logistics

    order = make_order(status="awaiting_shipment", shipped=False)
    case = casework.open_case(desk=Desk.LOGISTICS, kind=CaseKind.OUT_OF_STOCK, customer=order.customer, order=order)
    write(case, "什么时候发货", at(10, 0))
    with time_machine.travel(at(10, 2), tick=False):
        logistics.offer_out_of_stock_choice(case=case, actor=agent)
    wait = ResponseWait.objects.get(case=case)
    assert (wait.answered_by, wait.answer, wait.answered_at) == (agent, "message", at(10, 2))


def test_a_wait_nobody_answered_is_a_miss_for_the_assignee(inquiry, agent):
    write(inquiry, "在吗", at(10, 0))
    assert response_rate(since=at(0), now=at(10, 2)) == {"total": 0, "in_time": 0, "rate": None}  # still in time
    assert response_rate(since=at(0), agent=agent, now=at(10, 4))["total"] == 1
    assert response_rate(since=at(0), agent=agent, now=at(10, 4))["in_time"] == 0


def test_closing_without_an_answer_ends_the_wait_as_a_miss_and_a_new_message_starts_a_new_wait(inquiry, agent):
    write(inquiry, "在吗", at(10, 0))
    with time_machine.travel(at(10, 1), tick=False):
        services.close_case(case=inquiry, actor=agent, note="重复")
    first = ResponseWait.objects.get(case=inquiry)
    assert first.ended_at == at(10, 1) and first.answered_at is None
    write(inquiry, "还在吗", at(11, 0))
    assert ResponseWait.objects.filter(case=inquiry).count() == 2
    assert response_rate(since=at(0), now=at(10, 2)) == {"total": 1, "in_time": 0, "rate": 0}


def test_automatic_replies_and_automatic_approvals_never_answer_a_wait(order, store):
    AutoReplyRule.objects.create(
        name="到账", keywords="钱呢", template=MessageTemplate.objects.get(key="refund_approved"), priority=1
    )
    with time_machine.travel(at(10, 0), tick=False):
        case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000, message="钱呢")
    assert case.resolution == "refunded"  # A5 approved it
    assert sent(case, "refund_approved")
    wait = ResponseWait.objects.get(case=case)
    assert wait.answered_at is None and wait.ended_at is not None  # a miss: no person ever answered


def test_the_platform_window_counts_apart_from_business_hours(inquiry, agent, store):
    write(inquiry, "在吗", at(8, 30))  # before the store opens (09:00), inside the platform's window (08:00)
    wait = ResponseWait.objects.get(case=inquiry)
    assert wait.due_at == at(9, 3) and wait.window_due_at == at(8, 33)
    with time_machine.travel(at(9, 1), tick=False):
        casework.reply_to_customer(case=inquiry, body="早上好", actor=agent)
    rate = response_rate(since=at(0), now=at(12))
    assert (rate["total"], rate["in_time"]) == (1, 1)
    assert rate["window"] == {"total": 1, "in_time": 0, "rate": 0, "hours": "08:00–23:00"}

    report = response_rates(Period(TUESDAY, TUESDAY), now=at(12))
    assert (report.store.total.total, report.store.total.met) == (1, 1)
    assert (report.window.total.total, report.window.total.met) == (1, 0)
    assert report.window_differs


def test_the_window_is_a_store_setting(inquiry, agent, store):
    store.r1_window_opens = dt.time(9, 0)
    store.save()
    write(inquiry, "在吗", at(8, 30))
    assert ResponseWait.objects.get(case=inquiry).window_due_at is None  # outside the window: not counted there
    with time_machine.travel(at(9, 1), tick=False):
        casework.reply_to_customer(case=inquiry, body="早上好", actor=agent)
    assert "window" in response_rate(since=at(0), now=at(12))
    assert response_rate(since=at(0), now=at(12))["window"]["total"] == 0


def test_the_r1_report_states_its_definition_and_both_figures(supervisor_client, inquiry, agent, settings):
    write(inquiry, "在吗", at(8, 30))
    with time_machine.travel(at(9, 1), tick=False):
        casework.reply_to_customer(case=inquiry, body="早上好", actor=agent)
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(at(12, day=30), tick=False), translation.override("en"):
        page = supervisor_client.get("/supervisor/reports/?date_from=2026-11-24&date_to=2026-11-24").content.decode()
    assert "a wait nobody answered is a miss" in page
    assert 'data-testid="r1-window"' in page and "Platform window 08:00–23:00" in page
    assert 'data-testid="a4-first-handling"' in page


def test_the_queue_page_shows_the_platform_window_when_it_differs(agent_client, inquiry, agent, settings):
    write(inquiry, "在吗", at(8, 30))
    with time_machine.travel(at(9, 1), tick=False):
        casework.reply_to_customer(case=inquiry, body="早上好", actor=agent)
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(at(12), tick=False), translation.override("en"):
        page = agent_client.get("/aftersales/queue/mine/").content.decode()
    assert 'data-testid="r1-window"' in page


# --- R2 and A6: once per wait, saying when a person answers -----------------------------------------------------


def test_out_of_hours_reply_says_when_a_person_answers_once_per_wait(inquiry):
    for second in (0, 20, 40):
        write(inquiry, "在吗", at(0, 26, second))
    replies = sent(inquiry, "out_of_hours")
    assert len(replies) == 1
    assert "今天 09:00" in replies[0].body and "5 分钟" not in replies[0].body
    assert CaseEvent.objects.filter(case=inquiry, type=EventType.AUTO_REPLY).count() == 1


def test_out_of_hours_reply_late_at_night_names_tomorrow(inquiry):
    write(inquiry, "在吗", at(23, 30))
    assert "明天 09:00" in sent(inquiry, "out_of_hours")[0].body


def test_after_a_person_answered_a_new_wait_gets_its_own_auto_reply(inquiry, agent):
    write(inquiry, "在吗", at(0, 26))
    with time_machine.travel(at(0, 30), tick=False):
        casework.reply_to_customer(case=inquiry, body="在的，值班客服", actor=agent)
    write(inquiry, "好的谢谢", at(1, 0))
    assert len(sent(inquiry, "out_of_hours")) == 2


def test_a_keyword_reply_repeated_within_a_wait_goes_out_once(inquiry):
    AutoReplyRule.objects.create(
        name="退货地址",
        keywords="寄回哪里",
        template=MessageTemplate.objects.get(key="return_approved"),
        priority=1,
        active=True,
    )
    write(inquiry, "寄回哪里", at(10, 0))
    write(inquiry, "寄回哪里？？", at(10, 1))
    assert len(sent(inquiry, "return_approved")) == 1


# --- A3: the apology follows the refund's success ----------------------------------------------------------------


def test_the_apology_waits_for_the_refund_to_arrive_and_goes_by_chat_without_sms(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    assert not sent(case, "refund_apology")
    payout = Payout.objects.get(case=case)
    assert payout.state == Payout.State.REQUESTED
    services.confirm_payout(payout=payout, succeeded=True, at=at(15))
    payout.refresh_from_db()
    assert (payout.state, payout.confirmed_at) == (Payout.State.SUCCEEDED, at(15))
    (apology,) = sent(case, "refund_apology")
    assert apology.channel == Channel.CHAT
    assert not services.confirm_payout(payout=payout, succeeded=True)  # once


def test_the_apology_goes_by_sms_when_the_store_has_it(order, agent, store):
    store.sms_channel = True
    store.save()
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    services.confirm_payout(payout=Payout.objects.get(case=case), succeeded=True)
    assert sent(case, "refund_apology")[0].channel == Channel.SMS


def test_a_failed_refund_sends_no_apology_and_keeps_the_case_from_settling(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    services.confirm_payout(payout=Payout.objects.get(case=case), succeeded=False)
    assert not sent(case, "refund_apology")
    assert CaseEvent.objects.get(case=case, type=EventType.PAYOUT_FAILED).actor is None
    assert not services.settled_cases(now=case.resolved_at + dt.timedelta(days=30)).filter(pk=case.pk).exists()


def test_an_agent_marks_a_payout_arrived_on_the_case_page(agent_client, order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    payout = Payout.objects.get(case=case)
    page = agent_client.get(f"/aftersales/case/{case.number}/").content.decode()
    assert 'data-testid="payout-arrived"' in page
    agent_client.post(f"/aftersales/case/{case.number}/payout/", {"payout": payout.pk, "outcome": "arrived"})
    payout.refresh_from_db()
    assert payout.state == Payout.State.SUCCEEDED and payout.confirmed_by == agent
    assert CaseEvent.objects.get(case=case, type=EventType.PAYOUT_SUCCEEDED).actor == agent


# --- A4: first handling within 1 hour ------------------------------------------------------------------------------


def test_an_application_in_business_hours_is_promised_and_due_within_an_hour(order):
    with time_machine.travel(at(10, 0), tick=False):
        case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, reason="quality")
    (promise,) = sent(case, "handling_promise")
    assert "1 小时内处理" in promise.body and "24 小时内到账" in promise.body
    case.refresh_from_db()
    assert case.handle_due == at(11, 0) and case.due_at == at(11, 0)


@pytest.mark.parametrize("kind", [CaseKind.EXCHANGE, CaseKind.RESHIP])
def test_an_exchange_or_a_reship_is_promised_its_handling_but_no_refund(order, kind):
    with time_machine.travel(at(10, 0), tick=False):
        case = services.open_application(kind=kind, order=order, reason="size")
    (promise,) = sent(case)
    assert promise.template_key == "handling_promise_goods"
    assert "1 小时内处理" in promise.body
    assert "退款" not in promise.body and "到账" not in promise.body


def test_an_application_out_of_hours_gets_no_promise_and_is_due_an_hour_after_opening(order):
    with time_machine.travel(at(2, 0), tick=False):
        case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, reason="quality")
    assert not sent(case, "handling_promise")
    assert Case.objects.get(pk=case.pk).handle_due == at(10, 0)


def test_the_first_handling_time_is_a_store_setting(order, store):
    store.first_handling_minutes = 30
    store.save()
    with time_machine.travel(at(10, 0), tick=False):
        case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, reason="quality")
    assert "30 分钟内处理" in sent(case, "handling_promise")[0].body
    assert Case.objects.get(pk=case.pk).handle_due == at(10, 30)


def test_first_handling_is_counted_in_a_report(make_order, agent):
    with time_machine.travel(at(10, 0), tick=False):
        in_time = services.open_application(kind=CaseKind.RETURN, order=make_order(), amount_fen=5990, reason="quality")
        late = services.open_application(kind=CaseKind.RETURN, order=make_order(), amount_fen=5990, reason="quality")
        services.open_application(
            kind=CaseKind.RETURN, order=make_order(), amount_fen=5990, reason="quality"
        )  # never handled
    with time_machine.travel(at(10, 30), tick=False):
        services.approve_return(case=in_time, actor=agent)
    with time_machine.travel(at(11, 30), tick=False):
        services.approve_return(case=late, actor=agent)
    report = first_handling(Period(TUESDAY, TUESDAY), now=at(12))
    assert (report.within, report.late, report.overdue, report.pending) == (1, 1, 1, 0)
    assert report.rate == pytest.approx(100 / 3)


def test_the_case_page_counts_down_the_first_handling(agent_client, order):
    with time_machine.travel(at(10, 0), tick=False):
        case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, reason="quality")
    page = agent_client.get(f"/aftersales/case/{case.number}/").content.decode()
    assert 'data-testid="handle-due"' in page and case.handle_due is not None


# --- A5: never less than the automatic refund -------------------------------------------------------------------


def test_a_small_defect_refund_under_the_threshold_is_refunded_not_compensated_for_less(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1500, small_defect=True)
    case.refresh_from_db()
    assert case.resolution == "refunded" and case.resolved_amount_fen == 1500
    assert list(Payout.objects.filter(case=case).values_list("kind", "amount_fen")) == [("refund", 1500)]


def test_a_small_defect_refund_worth_less_than_the_compensation_gets_the_compensation(order):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=300, small_defect=True)
    case.refresh_from_db()
    assert case.resolution == "compensated" and case.resolved_amount_fen == 500


# --- A7: each kind's deadline is a store setting ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "setting", "default"),
    [
        (CaseKind.REFUND, "refund_handle_hours", 48),
        (CaseKind.RETURN, "return_review_hours", 24),
        (CaseKind.EXCHANGE, "exchange_review_hours", 24),
        (CaseKind.COMPENSATION, "compensation_handle_hours", 48),
        (CaseKind.RESHIP, "reship_handle_hours", 48),
        (CaseKind.REVIEW, "review_handle_hours", 48),
    ],
)
def test_each_kinds_deadline_is_its_own_store_setting(order, store, kind, setting, default):
    assert getattr(StoreSettings(), setting) == default
    setattr(store, setting, 7)
    store.save()
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=kind, customer=order.customer, order=order, opened_at=at(10), store=store
    )
    assert case.resolve_due == at(17)


def test_admin_shows_every_deadline_and_no_coupon_values(admin_client_store, store):
    page = admin_client_store.get(f"/admin/backoffice/storesettings/{store.pk}/change/").content.decode()
    for name in (
        "exchange_review_hours",
        "compensation_handle_hours",
        "reship_handle_hours",
        "review_handle_hours",
        "first_handling_minutes",
        "r1_window_opens",
        "settled_close_hours",
        "sms_channel",
    ):
        assert f'name="{name}"' in page
    for gone in ("followup_coupon_fen", "review_coupon_fen", "out_of_stock_coupon_fen"):
        assert f'name="{gone}"' not in page
        assert not hasattr(StoreSettings, gone)


# --- A9: from the success, and nothing waits on a click ----------------------------------------------------------


def test_an_auto_approved_refund_is_followed_up_from_its_arrival_without_anyone_closing_it(order):
    with time_machine.travel(at(10), tick=False):
        case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=1000)
    assert case.status == Status.RESOLVED and not FollowUp.objects.filter(case=case).exists()
    with time_machine.travel(at(16), tick=False):
        services.confirm_payout(payout=Payout.objects.get(case=case), succeeded=True)
    followup = FollowUp.objects.get(case=case, campaign__trigger=Trigger.AFTERSALES_REFUND_CLOSED)
    assert followup.triggered_at == at(16) and followup.due_at == at(16, day=25)


def test_closing_a_refund_that_has_not_arrived_schedules_nothing(order, agent):
    case = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    services.approve_refund(case=case, actor=agent)
    services.close_case(case=case, actor=agent)
    assert not FollowUp.objects.filter(case=case).exists()


def test_settled_cases_close_by_themselves_after_the_quiet_period(make_order, agent, store):
    with time_machine.travel(at(10), tick=False):
        settled = services.open_application(kind=CaseKind.REFUND, order=make_order(), amount_fen=1000)
        services.confirm_payout(payout=Payout.objects.get(case=settled), succeeded=True)
        waiting = services.open_application(kind=CaseKind.REFUND, order=make_order(), amount_fen=1000)
        reshipped = services.open_application(kind=CaseKind.RESHIP, order=make_order())
        services.reship(case=reshipped, actor=agent)
    assert services.close_settled_cases(now=at(10, day=26) - dt.timedelta(minutes=1)) == 0  # 48 h not yet quiet
    with time_machine.travel(at(10, 1, day=26), tick=False):
        assert services.close_settled_cases() == 2
    settled.refresh_from_db()
    waiting.refresh_from_db()
    assert settled.status == Status.CLOSED and waiting.status == Status.RESOLVED  # its refund has not arrived
    closing = CaseEvent.objects.filter(case=settled, type=EventType.CASE_STATUS).latest("at")
    assert closing.actor is None and closing.after == {"status": "closed"}
    store.settled_close_hours = 200
    store.save()
    case = services.open_application(kind=CaseKind.RESHIP, order=make_order())
    services.reship(case=case, actor=agent)
    assert services.close_settled_cases(now=case.resolved_at + dt.timedelta(hours=199)) == 0


def test_the_platform_reporting_success_confirms_the_refund(order, agent):
    from backoffice.platform.importing.aftersales import AftersalesImporter, AftersalesRow

    case = services.open_application(
        kind=CaseKind.REFUND, order=order, amount_fen=5990, source="import", external_id="PDD-1"
    )
    services.approve_refund(case=case, actor=agent)
    row = AftersalesRow(
        line=1,
        number="PDD-1",
        order_number=order.number,
        kind=CaseKind.REFUND,
        applied_at=at(9),
        amount_fen=5990,
        status_text="退款成功",
    )
    AftersalesImporter().apply([row])
    payout = Payout.objects.get(case=case)
    assert payout.state == Payout.State.SUCCEEDED and payout.confirmed_by is None
    assert sent(case, "refund_apology")
    assert FollowUp.objects.filter(case=case).exists()


# --- every resolution sends the message that matches it ---------------------------------------------------------


def test_approving_an_exchange_says_the_new_item_follows_the_return_not_a_refund(order, agent, store):
    case = services.open_application(kind=CaseKind.EXCHANGE, order=order, reason="quality")
    services.approve_return(case=case, actor=agent)
    (message,) = sent(case, "exchange_return_approved")
    assert store.return_address in message.body and "新商品" in message.body and "退款" not in message.body
    assert "来回运费由我们承担" in message.body  # a quality problem: the store pays the return shipping
    assert not sent(case, "return_approved")


@pytest.mark.parametrize(
    ("kind", "act", "template", "words", "never"),
    [
        (CaseKind.REFUND, lambda c, a: services.approve_refund(case=c, actor=a), "refund_approved", "退款", "换货"),
        (CaseKind.RETURN, lambda c, a: services.approve_return(case=c, actor=a), "return_approved", "寄回", "新商品"),
        (
            CaseKind.EXCHANGE,
            lambda c, a: services.approve_return(case=c, actor=a),
            "exchange_return_approved",
            "新商品",
            "退款",
        ),
        (
            CaseKind.EXCHANGE,
            lambda c, a: services.arrange_exchange(case=c, actor=a),
            "exchange_arranged",
            "换货",
            "退款",
        ),
        (CaseKind.RESHIP, lambda c, a: services.reship(case=c, actor=a), "reship_arranged", "补寄", "退款"),
        (CaseKind.COMPENSATION, lambda c, a: services.compensate(case=c, actor=a), "compensation_paid", "补偿", "瑕疵"),
        (
            CaseKind.REFUND,
            lambda c, a: services.reject_application(case=c, actor=a, reason="已签收超过7天"),
            "application_rejected",
            "未通过",
            "已同意",
        ),
    ],
)
def test_every_resolution_sends_a_message_that_matches_it(order, agent, kind, act, template, words, never):
    with time_machine.travel(at(2), tick=False):  # out of hours: no A4 promise in the list
        amount = 0 if kind == CaseKind.EXCHANGE else 5990
        case = services.open_application(kind=kind, order=order, amount_fen=amount, reason="quality")
        act(case, agent)
    resolution_messages = [m for m in sent(case) if m.template_key != "handling_promise"]
    assert [m.template_key for m in resolution_messages] == [template]
    assert words in resolution_messages[0].body and never not in resolution_messages[0].body


# --- L3 and every campaign: the coupon promised is the coupon issued ----------------------------------------------


def test_no_coupon_value_lives_in_the_store_settings():
    names = {f.name for f in StoreSettings._meta.get_fields()}
    assert not names & {"followup_coupon_fen", "review_coupon_fen", "out_of_stock_coupon_fen"}


@pytest.mark.parametrize("key", ["a9-refund-followup", "a10-review-followup", "l3-out-of-stock-wait"])
def test_every_campaign_issues_the_coupon_value_its_messages_promise(key, make_order, agent, store):
    from logistics import services as logistics

    campaign = Campaign.objects.get(key=key)
    Campaign.objects.filter(pk=campaign.pk).update(coupon_value_fen=888)  # an odd value nobody hard-coded
    promised = []
    with time_machine.travel(at(10), tick=False):
        if key == "a9-refund-followup":
            case = services.open_application(kind=CaseKind.REFUND, order=make_order(), amount_fen=5990)
            services.approve_refund(case=case, actor=agent)
            services.confirm_payout(payout=Payout.objects.get(case=case), succeeded=True)
        elif key == "a10-review-followup":
            case = services.open_application(kind=CaseKind.REVIEW, order=make_order())
            services.reship(case=case, actor=agent)
        else:
            order = make_order(status="awaiting_shipment", shipped=False)
            case = casework.open_case(
                desk=Desk.LOGISTICS, kind=CaseKind.OUT_OF_STOCK, customer=order.customer, order=order
            )
            logistics.offer_out_of_stock_choice(case=case, actor=agent)
            promised.append(sent(case, "out_of_stock_offer")[0].body)
            logistics.record_offer_choice(case=case, actor=agent, choice="wait")
    with time_machine.travel(at(10, day=27), tick=False):
        followups.dispatch_due()
    coupon = Coupon.objects.get(case=case, campaign__key=key)
    promised.append(sent(case, campaign.template.key)[0].body)
    assert coupon.value_fen == 888
    for text in promised:
        assert "¥8.88" in text
