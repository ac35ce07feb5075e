"""Follow-up campaigns (A9, A10, L3): scheduled on close, sent 1–2 days later in business hours, exactly once."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from aftersales import services as aftersales
from backoffice import dispatch
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import (
    Campaign,
    CaseEvent,
    CaseKind,
    Coupon,
    EventType,
    FollowUp,
    OutboundMessage,
    Status,
    Trigger,
)
from backoffice.store.businesshours import Calendar
from backoffice.tasks import sweep_followups, sweep_outbox
from tests.factories import CustomerFactory, make_order, shanghai

# A Wednesday afternoon; the store is open 09:00–23:00 every day.
WEDNESDAY_2PM = shanghai(2026, 11, 25, 14, 0)


def event_types(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "pk").values_list("type", flat=True))


def test_three_default_campaigns_exist_with_the_documents_values(db):
    values = dict(Campaign.objects.values_list("trigger", "coupon_value_fen"))
    assert values == {
        Trigger.AFTERSALES_REFUND_CLOSED: 1000,
        Trigger.REVIEW_RESOLVED: 1500,
        Trigger.OUT_OF_STOCK_WAIT: 500,
    }
    assert Campaign.objects.get(key="a9-refund-followup").threshold_fen == 0


def test_closing_a_refunded_case_schedules_one_followup_in_the_window(closed_refund):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    followup = FollowUp.objects.get(case=case)
    assert followup.state == FollowUp.State.SCHEDULED
    assert WEDNESDAY_2PM + dt.timedelta(hours=24) <= followup.due_at <= WEDNESDAY_2PM + dt.timedelta(hours=48)
    assert Calendar.for_store().is_open(followup.due_at)
    assert EventType.FOLLOWUP_SCHEDULED in event_types(case)


def test_case_closed_late_at_night_is_followed_up_next_morning_not_at_night(closed_refund):
    with time_machine.travel(shanghai(2026, 11, 25, 23, 30), tick=False):
        case = closed_refund()
    due = timezone.localtime(FollowUp.objects.get(case=case).due_at)
    assert due == shanghai(2026, 11, 27, 9, 0)


def test_whole_path_close_then_coupon_and_message_a_day_later(closed_refund, django_capture_on_commit_callbacks):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(hours=23), tick=False):
        assert sweep_followups() == {}
        assert not Coupon.objects.filter(case=case).exists()
    with (
        time_machine.travel(WEDNESDAY_2PM + dt.timedelta(hours=24, minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert sweep_followups() == {"sent": 1}
    coupon = Coupon.objects.get(case=case)
    assert (coupon.value_fen, coupon.threshold_fen, coupon.state) == (1000, 0, Coupon.State.ISSUED)
    assert timezone.localtime(coupon.valid_until).date() == dt.date(2026, 12, 26)
    message = OutboundMessage.objects.get(case=case, template_key="followup_refund")
    assert message.state == OutboundMessage.State.SENT
    assert coupon.code in message.body and "¥10.00无门槛" in message.body
    followup = FollowUp.objects.get(case=case)
    assert followup.state == FollowUp.State.SENT and followup.message == message
    types = event_types(case)
    assert types.index(EventType.FOLLOWUP_SCHEDULED) < types.index(EventType.FOLLOWUP_SENT)
    assert EventType.OUTBOUND_SENT in types
    sent = CaseEvent.objects.get(case=case, type=EventType.FOLLOWUP_SENT)
    assert sent.after["coupon"] == coupon.code and sent.after["amount_fen"] == 1000


def test_sweep_after_an_outage_at_night_waits_for_the_store_to_open(closed_refund):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    # Beat was down all day; it comes back at 02:00.
    with time_machine.travel(shanghai(2026, 11, 27, 2, 0), tick=False):
        assert sweep_followups() == {"deferred": 1}
    followup = FollowUp.objects.get(case=case)
    assert followup.state == FollowUp.State.SCHEDULED
    assert timezone.localtime(followup.due_at) == shanghai(2026, 11, 27, 9, 0)
    with time_machine.travel(shanghai(2026, 11, 27, 9, 0, 30), tick=False):
        assert sweep_followups() == {"sent": 1}


def test_reopening_cancels_the_pending_followup(closed_refund, agent):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
        aftersales.reopen_case(case=case, actor=agent, note="客户说还没到账")
    followup = FollowUp.objects.get(case=case)
    assert followup.state == FollowUp.State.CANCELLED
    cancelled = CaseEvent.objects.get(case=case, type=EventType.FOLLOWUP_CANCELLED)
    assert cancelled.actor == agent
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=3), tick=False):
        assert sweep_followups() == {}
    assert not Coupon.objects.exists()


def test_closing_again_after_a_reopen_reschedules_the_same_followup_from_the_refunds_arrival(closed_refund, agent):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
        aftersales.reopen_case(case=case, actor=agent)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(hours=3), tick=False):
        aftersales.close_case(case=case, actor=agent, note="已核实到账")
    followup = FollowUp.objects.get(case=case)
    assert followup.state == FollowUp.State.SCHEDULED
    # A9 counts from the refund's arrival (14:00), not from the second click on Close.
    assert followup.due_at == WEDNESDAY_2PM + dt.timedelta(hours=24)


def test_a_sent_followup_is_not_sent_again_when_the_case_closes_again(closed_refund, agent):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=1, minutes=5), tick=False):
        sweep_followups()
        aftersales.reopen_case(case=case, actor=agent)
        aftersales.close_case(case=case, actor=agent, note="done")
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=4), tick=False):
        assert sweep_followups() == {}
    assert FollowUp.objects.get(case=case).state == FollowUp.State.SENT
    assert Coupon.objects.filter(case=case).count() == 1


def test_case_reopened_behind_the_hooks_back_is_cancelled_when_due(closed_refund):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    type(case).objects.filter(pk=case.pk).update(status=Status.IN_PROGRESS)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        assert sweep_followups() == {"cancelled": 1}
    assert not Coupon.objects.exists()


@pytest.mark.parametrize("resolve", ["reject", "compensate"])
def test_cases_closed_without_a_refund_get_no_a9_followup(customer, agent, resolve):
    order = make_order(customer=customer, shipped=True, tracking_events=5)
    case = aftersales.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    if resolve == "reject":
        aftersales.reject_application(case=case, actor=agent, reason="已超过售后期")
    else:
        aftersales.compensate(case=case, actor=agent)
    aftersales.close_case(case=case, actor=agent)
    assert not FollowUp.objects.filter(case=case).exists()


def test_an_admins_campaign_on_other_closures_follows_up_a_compensation(customer, agent, a9):
    Campaign.objects.create(
        key="thanks", name="感谢回访", trigger=Trigger.AFTERSALES_CLOSED, coupon_value_fen=300, template=a9.template
    )
    order = make_order(customer=customer, shipped=True, tracking_events=5)
    case = aftersales.open_application(kind=CaseKind.REFUND, order=order, amount_fen=5990)
    aftersales.compensate(case=case, actor=agent)
    aftersales.close_case(case=case, actor=agent)
    assert FollowUp.objects.get(case=case).campaign.key == "thanks"


def test_resolving_a_negative_review_case_schedules_a_15_yuan_followup(customer, agent):
    order = make_order(customer=customer, shipped=True, tracking_events=5)
    case = aftersales.open_application(kind=CaseKind.REVIEW, order=order)
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        aftersales.compensate(case=case, actor=agent, amount_fen=500)
        aftersales.close_case(case=case, actor=agent)
    followup = FollowUp.objects.get(case=case)
    assert followup.campaign.trigger == Trigger.REVIEW_RESOLVED
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        sweep_followups()
    assert Coupon.objects.get(case=case).value_fen == 1500
    assert "修改一下评价" in OutboundMessage.objects.get(case=case, template_key="followup_review").body


def test_out_of_stock_wait_sends_its_5_yuan_coupon_at_the_next_open_moment(
    customer, django_capture_on_commit_callbacks
):
    from backoffice.cases import services as casework
    from backoffice.models import Desk

    order = make_order(customer=customer)
    case = casework.open_case(desk=Desk.LOGISTICS, kind=CaseKind.OUT_OF_STOCK, customer=customer, order=order)
    with time_machine.travel(shanghai(2026, 11, 25, 23, 40), tick=False):
        followup = followups.on_trigger(trigger=followups.TRIGGER_OUT_OF_STOCK_WAIT, case=case, actor=None)
    assert timezone.localtime(followup.due_at) == shanghai(2026, 11, 26, 9, 0)
    with (
        time_machine.travel(shanghai(2026, 11, 26, 9, 0, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # The case is still open (the customer waits): an L3 follow-up is not a thank-you for a closed case.
        assert sweep_followups() == {"sent": 1}
    assert Coupon.objects.get(case=case).value_fen == 500


def test_on_trigger_returns_none_when_no_campaign_is_active(closed_refund, a9):
    Campaign.objects.update(active=False)
    case = closed_refund()
    assert not FollowUp.objects.filter(case=case).exists()
    assert followups.on_trigger(trigger=Trigger.AFTERSALES_REFUND_CLOSED, case=case, actor=None) is None


def test_campaign_switched_off_after_scheduling_cancels_when_due(closed_refund, a9):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    Campaign.objects.filter(pk=a9.pk).update(active=False)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        assert sweep_followups() == {"cancelled": 1}
    assert FollowUp.objects.get(case=case).state == FollowUp.State.CANCELLED


def test_per_customer_cap_refuses_a_second_coupon_within_30_days(closed_refund, customer):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        first, second = closed_refund(customer), closed_refund(customer)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        assert sweep_followups() == {"sent": 1, "refused": 1}
    assert Coupon.objects.filter(customer=customer).count() == 1
    refused = FollowUp.objects.get(case=second)
    assert refused.state == FollowUp.State.REFUSED and "30" in refused.note
    assert CaseEvent.objects.get(case=second, type=EventType.FOLLOWUP_REFUSED).after["reason"] == "cap"
    assert not OutboundMessage.objects.filter(case=second, template_key="followup_refund").exists()
    assert FollowUp.objects.get(case=first).state == FollowUp.State.SENT


def test_cap_allows_a_new_coupon_after_the_period(closed_refund, customer):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        closed_refund(customer)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        sweep_followups()
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=31), tick=False):
        closed_refund(customer)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=33), tick=False):
        assert sweep_followups() == {"sent": 1}
    assert Coupon.objects.filter(customer=customer).count() == 2


def test_issuing_past_the_budget_is_refused_and_shown(closed_refund, a9):
    Campaign.objects.filter(pk=a9.pk).update(budget_fen=2500)
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        for _ in range(3):
            closed_refund(CustomerFactory())
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        assert sweep_followups() == {"sent": 2, "refused": 1}
    a9.refresh_from_db()
    assert a9.spent_fen == 2000 and a9.remaining_fen == 500
    refused = FollowUp.objects.get(state=FollowUp.State.REFUSED)
    assert refused.note  # shown to supervisors on the results page and the case timeline
    assert CaseEvent.objects.get(case=refused.case, type=EventType.FOLLOWUP_REFUSED).after["reason"] == "budget"


def test_dispatching_the_same_followup_twice_sends_once(closed_refund):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    followup = FollowUp.objects.get(case=case)
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        assert followups.dispatch_followup(followup.pk) == "sent"
        assert followups.dispatch_followup(followup.pk) == "skipped"
        assert sweep_followups() == {}
    assert Coupon.objects.filter(case=case).count() == 1
    assert OutboundMessage.objects.filter(case=case, template_key="followup_refund").count() == 1


def test_a_dispatch_that_dies_halfway_leaves_nothing_behind_and_is_retried(closed_refund, monkeypatch):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()

    def die(*args, **kwargs):
        raise RuntimeError("worker lost")

    later = WEDNESDAY_2PM + dt.timedelta(days=2)
    with time_machine.travel(later, tick=False):
        monkeypatch.setattr(outbox, "queue_message", die)
        monkeypatch.setattr(outbox, "queue_messages", die)
        assert sweep_followups() == {"retry": 1}
    # The coupon created before the crash was rolled back with everything else.
    assert not Coupon.objects.exists()
    followup = FollowUp.objects.get(case=case)
    assert (followup.state, followup.attempts, followup.last_error) == (FollowUp.State.SCHEDULED, 1, "worker lost")
    monkeypatch.undo()
    with time_machine.travel(later + dt.timedelta(minutes=1), tick=False):
        assert sweep_followups() == {}
    with time_machine.travel(later + dt.timedelta(minutes=3), tick=False):
        assert sweep_followups() == {"sent": 1}
    assert Coupon.objects.filter(case=case).count() == 1


def test_a_followup_failing_every_time_is_marked_failed_on_the_timeline(closed_refund, monkeypatch):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        case = closed_refund()
    followup = FollowUp.objects.get(case=case)
    monkeypatch.setattr(followups, "_dispatch", lambda *a, **k: 1 / 0)
    results = []
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        for _ in range(followups.MAX_ATTEMPTS):
            FollowUp.objects.filter(pk=followup.pk).update(due_at=timezone.now())
            results.append(followups.dispatch_followup(followup.pk))
    assert results[-1] == "failed" and results[0] == "retry"
    assert FollowUp.objects.get(pk=followup.pk).state == FollowUp.State.FAILED
    assert EventType.FOLLOWUP_FAILED in event_types(case)


def test_broker_down_the_close_still_works_and_the_sweeps_send_later(
    closed_refund, monkeypatch, django_capture_on_commit_callbacks
):
    from backoffice.tasks import deliver_message

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(dispatch, "_broker_down_until", 0.0)  # restored after the test
    monkeypatch.setattr(deliver_message, "delay", broker_down)
    with time_machine.travel(WEDNESDAY_2PM, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = closed_refund()
    later = WEDNESDAY_2PM + dt.timedelta(days=2)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert sweep_followups() == {"sent": 1}
    message = OutboundMessage.objects.get(case=case, template_key="followup_refund")
    assert message.state == OutboundMessage.State.PENDING
    monkeypatch.undo()
    with time_machine.travel(later + dt.timedelta(seconds=30), tick=False):
        sweep_outbox()
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT


def test_after_a_broker_failure_requests_stop_trying_for_a_while(monkeypatch):
    from backoffice.tasks import deliver_message

    calls = []

    def broker_down(*args):
        calls.append(args)
        raise ConnectionError("redis down")

    monkeypatch.setattr(dispatch, "_broker_down_until", 0.0)
    monkeypatch.setattr(deliver_message, "delay", broker_down)
    assert dispatch.enqueue("backoffice.tasks.deliver_message", 1) is False
    assert dispatch.enqueue("backoffice.tasks.deliver_message", 2) is False
    assert calls == [(1,)]


def test_coupons_past_their_date_expire(closed_refund):
    from backoffice.tasks import expire_coupons

    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        closed_refund()
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=2), tick=False):
        sweep_followups()
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=31), tick=False):
        assert expire_coupons() == 0
    with time_machine.travel(WEDNESDAY_2PM + dt.timedelta(days=33), tick=False):
        assert expire_coupons() == 1
    assert Coupon.objects.get().state == Coupon.State.EXPIRED


def test_a_supervisor_gives_a_coupon_by_hand_on_the_case_timeline(closed_refund, supervisor):
    case = closed_refund()
    coupon = followups.issue_manual_coupon(case=case, value_fen=800, actor=supervisor, reason="回访补偿")
    assert (coupon.value_fen, coupon.campaign, coupon.customer_id) == (800, None, case.customer_id)
    event = CaseEvent.objects.get(case=case, type=EventType.COUPON_ISSUED)
    assert event.actor == supervisor and event.after["coupon"] == coupon.code


def test_a_coupon_by_hand_must_be_worth_something(closed_refund, supervisor):
    from backoffice.errors import DomainError

    with pytest.raises(DomainError):
        followups.issue_manual_coupon(case=closed_refund(), value_fen=0, actor=supervisor)
