"""R1 (3-minute reply in business hours) and A7 (48 h refund, 24 h return review) deadlines."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backoffice.cases import services as casework
from backoffice.models import CaseEvent, CaseKind, Desk, EventType, Holiday
from backoffice.store.businesshours import Calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    # November 2026: the 23rd is a Monday. Default opening hours are 09:00–23:00 every day.
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def inquiry(order):
    with time_machine.travel(at(23, 10), tick=False):
        return casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer, order=order)


def test_message_in_business_hours_is_due_in_three_minutes(inquiry):
    casework.record_customer_message(case=inquiry, body="在吗", at=at(23, 10, 0))
    assert inquiry.first_response_due == at(23, 10, 3)
    assert inquiry.due_at == at(23, 10, 3)


def test_message_just_before_closing_carries_over_to_the_next_opening(inquiry):
    casework.record_customer_message(case=inquiry, body="在吗", at=at(23, 22, 59))
    assert inquiry.first_response_due == at(24, 9, 2)


def test_message_at_night_is_due_three_minutes_after_opening(inquiry):
    casework.record_customer_message(case=inquiry, body="在吗", at=at(24, 2, 30))
    assert inquiry.first_response_due == at(24, 9, 3)


def test_holiday_stops_the_reply_clock(inquiry, store):
    Holiday.objects.create(settings=store, date=dt.date(2026, 11, 24), name="店休")
    casework.record_customer_message(case=inquiry, body="在吗", at=at(23, 22, 59))
    assert inquiry.first_response_due == at(25, 9, 2)


def test_later_messages_in_the_same_wait_do_not_move_the_clock(inquiry):
    casework.record_customer_message(case=inquiry, body="在吗", at=at(23, 10, 0))
    casework.record_customer_message(case=inquiry, body="？？", at=at(23, 10, 2))
    assert inquiry.first_response_due == at(23, 10, 3)
    assert inquiry.awaiting_reply_since == at(23, 10, 0)


def test_reply_in_time_is_recorded_as_within_sla(inquiry, agent):
    casework.record_customer_message(case=inquiry, body="在吗", at=at(23, 10, 0))
    with time_machine.travel(at(23, 10, 2, 59), tick=False):
        casework.reply_to_customer(case=inquiry, body="亲，在的~", actor=agent)
    reply = CaseEvent.objects.get(case=inquiry, type=EventType.REPLY)
    assert reply.after == {"waited_seconds": 179, "within_sla": True}
    assert inquiry.first_response_due is None and inquiry.awaiting_reply_since is None


def test_late_reply_is_recorded_as_missed(inquiry, agent):
    casework.record_customer_message(case=inquiry, body="在吗", at=at(23, 10, 0))
    with time_machine.travel(at(23, 10, 3, 1), tick=False):
        casework.reply_to_customer(case=inquiry, body="亲，久等了", actor=agent)
    assert CaseEvent.objects.get(case=inquiry, type=EventType.REPLY).after["within_sla"] is False


def test_refund_application_is_due_in_48_hours(order):
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=order.customer, order=order, opened_at=at(23, 22, 30)
    )
    assert case.resolve_due == at(25, 22, 30)


def test_return_application_is_reviewed_within_24_hours(order):
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.RETURN, customer=order.customer, order=order, opened_at=at(23, 22, 30)
    )
    assert case.resolve_due == at(24, 22, 30)


def test_deadlines_follow_the_store_settings(order, store):
    store.refund_handle_hours = 12
    store.save()
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=order.customer, order=order, opened_at=at(23, 8)
    )
    assert case.resolve_due == at(23, 20)


def test_due_at_is_the_nearer_deadline(order):
    case = casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.REFUND, customer=order.customer, order=order, opened_at=at(23, 10)
    )
    casework.record_customer_message(case=case, body="退款多久到账", at=at(23, 10, 5))
    assert case.due_at == at(23, 10, 8)


def test_calendar_worked_weekend_day_opens_with_monday_hours(store):
    store.hours.filter(weekday=5).delete()
    Holiday.objects.create(settings=store, date=dt.date(2026, 11, 28), name="调休", is_workday=True)
    calendar = Calendar.for_store(store)
    assert calendar.is_open(at(28, 10))
    assert not calendar.is_open(dt.datetime(2026, 12, 5, 10, tzinfo=SHANGHAI))


def test_response_rate_counts_replies_in_time(inquiry, agent, agent2):
    from backoffice.cases.queues import response_rate

    for minute, who, late in ((0, agent, False), (10, agent, True), (20, agent2, False)):
        casework.record_customer_message(case=inquiry, body="在吗", at=at(23, 11, minute))
        delay = dt.timedelta(minutes=4 if late else 1)
        with time_machine.travel(at(23, 11, minute) + delay, tick=False):
            casework.reply_to_customer(case=inquiry, body="在的", actor=who)
    assert response_rate(since=at(23, 0), agent=agent) == {"total": 2, "in_time": 1, "rate": 50}
    assert response_rate(since=at(23, 0)) == {"total": 3, "in_time": 2, "rate": 67}
