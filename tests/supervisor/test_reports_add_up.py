"""Every report section adds up: its parts sum to its totals, rates stay within their counts, and nothing is counted
that the section says it leaves out (A11, R1, A4, L1, A7, A10, A12, A9)."""

import datetime as dt

import pytest
import time_machine

from backoffice.cases import services as casework
from backoffice.models import Campaign, Case, CaseKind, Coupon, Desk, Order, Reason, Status
from backoffice.supervisor import reports
from surveys.models import Survey
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, make_order, shanghai

from .conftest import LAST_WEEK

pytestmark = pytest.mark.django_db
DAY_IN = shanghai(2026, 11, 18, 12)
DAY_BEFORE = shanghai(2026, 11, 11, 12)


# --- A11 --------------------------------------------------------------------------------------------------------


def test_a11_shares_are_of_applications_with_a_reason_and_the_rest_is_said(make_case, now):
    for reason, kind in [("size", "refund"), ("size", "return"), ("quality", "exchange"), ("logistics", "reship")]:
        make_case(at=DAY_IN, reason=reason, kind=kind)
    make_case(at=DAY_IN, reason="size", kind=CaseKind.INQUIRY)
    make_case(at=DAY_IN, reason="quality", kind=CaseKind.REVIEW)
    make_case(at=DAY_IN, reason="", kind=CaseKind.REFUND)

    result = reports.reason_shares(LAST_WEEK)

    assert result.total == 4 and result.left_out == 3
    assert {r.key: r.count for r in result.rows} == {"size": 2, "quality": 1, "logistics": 1}
    assert sum(r.count for r in result.rows) == result.total
    assert sum(r.share for r in result.rows) == pytest.approx(100.0)
    all_opened = Case.objects.filter(desk=Desk.AFTERSALES).count()
    assert result.total + result.left_out == all_opened


def test_a11_product_and_courier_breakdowns_count_the_same_applications(make_case, now):
    for reason in ("size", "size", "quality"):
        make_case(at=DAY_IN, reason=reason, order=make_order(shipped=True))
    make_case(at=DAY_IN, reason="size", kind=CaseKind.INQUIRY, order=make_order(shipped=True))

    for breakdown in (reports.reasons_by_product(LAST_WEEK), reports.reasons_by_courier(LAST_WEEK)):
        assert breakdown.total == 3
        for row in breakdown.rows:
            assert sum(row.by_reason.values()) == row.total
        assert sum(row.total for row in breakdown.rows) >= breakdown.total  # two products in one order count twice


# --- R1 ---------------------------------------------------------------------------------------------------------


def test_r1_agents_add_up_to_the_store_and_days_to_their_totals(db):
    agent, other = AgentFactory(), AgentFactory()
    for who, minutes in ((agent, 1), (agent, 10), (other, 2)):
        start = shanghai(2026, 11, 18, 10) + dt.timedelta(minutes=minutes * 7)
        case = CaseFactory(assignee=who, status=Status.IN_PROGRESS, created_at=start, updated_at=start)
        with time_machine.travel(start, tick=False):
            casework.record_customer_message(case=case, body="在吗", at=start)
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            casework.reply_to_customer(case=case, body="亲，在的", actor=who)
    unanswered = CaseFactory(assignee=other, status=Status.IN_PROGRESS, created_at=DAY_IN, updated_at=DAY_IN)
    with time_machine.travel(DAY_IN, tick=False):
        casework.record_customer_message(case=unanswered, body="人呢", at=DAY_IN)

    with time_machine.travel(shanghai(2026, 11, 25, 10), tick=False):
        result = reports.response_rates(LAST_WEEK)

    assert result.store.total.total == 4
    assert sum(a.total.total for a in result.agents) == result.store.total.total
    assert sum(a.total.met for a in result.agents) == result.store.total.met == 2
    for row in [*result.agents, result.store]:
        assert sum(c.total for c in row.cells) == row.total.total
        assert sum(c.met for c in row.cells) == row.total.met <= row.total.total


# --- A4 ---------------------------------------------------------------------------------------------------------


def test_a4_first_handling_parts_add_up(make_case, now):
    due = DAY_IN + dt.timedelta(hours=1)
    make_case(at=DAY_IN, handle_due=due, handled_at=DAY_IN + dt.timedelta(minutes=30))
    make_case(at=DAY_IN, handle_due=due, handled_at=DAY_IN + dt.timedelta(hours=3))
    make_case(at=DAY_IN, handle_due=due)

    result = reports.first_handling(LAST_WEEK)

    assert (result.within, result.late, result.overdue, result.pending) == (1, 1, 1, 0)
    assert result.due == result.within + result.late + result.overdue == 3


# --- L1 ---------------------------------------------------------------------------------------------------------


def test_l1_every_paid_order_is_in_exactly_one_column(now):
    paid = DAY_IN
    make_order(paid_at=paid, shipped_at=paid + dt.timedelta(hours=10))
    make_order(paid_at=paid, shipped_at=paid + dt.timedelta(hours=60))
    make_order(paid_at=paid)
    make_order(paid_at=paid, status=Order.Status.CANCELLED)

    result = reports.shipped_on_time(LAST_WEEK)

    total = result.total
    assert total.paid == 4
    assert total.on_time + total.late + total.overdue + total.pending + total.cancelled == total.paid
    assert sum(d.paid for d in result.days) == total.paid


# --- A7 ---------------------------------------------------------------------------------------------------------


def test_a7_every_application_is_in_exactly_one_column(make_case, now):
    make_case(at=DAY_IN, handled_at=DAY_IN + dt.timedelta(hours=2), status=Status.RESOLVED)
    make_case(at=DAY_IN, handled_at=DAY_IN + dt.timedelta(hours=80), status=Status.RESOLVED)
    make_case(at=DAY_IN, status=Status.IN_PROGRESS)
    make_case(at=DAY_IN, status=Status.CLOSED)

    result = reports.refund_handling(LAST_WEEK)

    s = result.total
    assert s.opened == 4 and s.handled == 2
    assert s.within + s.missed + s.pending + s.withdrawn == s.opened
    assert sum(d.summary.opened for d in result.days) == s.opened


# --- A10 --------------------------------------------------------------------------------------------------------


def test_a10_review_outcomes_add_up(make_case, now):
    for revised in (True, False, None, None):
        make_case(at=DAY_IN, kind=CaseKind.REVIEW, reason=Reason.QUALITY, review_revised=revised)

    result = reports.reviews_revised(LAST_WEEK).total

    assert result.cases == 4 == result.revised + result.not_revised + result.unknown
    assert result.revised_rate == 50.0


# --- A12 --------------------------------------------------------------------------------------------------------


def survey(sent_at, answered_at=None, answer="", agent=None):
    case = CaseFactory(assignee=agent, status=Status.CLOSED, closed_at=sent_at - dt.timedelta(hours=1))
    return Survey.objects.create(case=case, delivery="alone", sent_at=sent_at, answered_at=answered_at, answer=answer)


def test_a12_never_more_answers_than_surveys_sent_and_agents_add_up(now):
    agent, other = AgentFactory(), AgentFactory()
    # Sent the week before and answered in the report's week: it belongs to the week it was sent.
    survey(DAY_BEFORE, DAY_IN, "satisfied", agent)
    survey(DAY_IN, DAY_IN + dt.timedelta(hours=1), "satisfied", agent)
    survey(DAY_IN, DAY_IN + dt.timedelta(days=5), "dissatisfied", other)  # answered after the week: still counted
    survey(DAY_IN)

    result = reports.csat(LAST_WEEK)

    assert result.sent == 3 and result.total.answered == 2 <= result.sent
    assert result.total.satisfied + result.total.neutral + result.total.dissatisfied == result.total.answered
    assert sum(a.answered for a in result.agents) == result.total.answered
    assert result.previous.answered == 1
    assert result.answer_rate == pytest.approx(200 / 3)


# --- A9 ---------------------------------------------------------------------------------------------------------


def test_a9_campaign_rows_add_up_to_the_total(now):
    customer = CustomerFactory()
    campaigns = list(Campaign.objects.order_by("pk")[:2])
    for campaign, state in ((campaigns[0], "used"), (campaigns[0], "issued"), (campaigns[1], "issued")):
        Coupon.objects.create(
            customer=customer,
            value_fen=campaign.coupon_value_fen,
            valid_until=DAY_IN + dt.timedelta(days=30),
            campaign=campaign,
            state=state,
            issued_at=DAY_IN,
        )

    result = reports.followup_coupons(LAST_WEEK)

    assert result.total.issued == 3 == sum(c.issued for c in result.campaigns)
    assert result.total.issued_fen == sum(c.issued_fen for c in result.campaigns)
    assert result.total.used == 1 == sum(c.used for c in result.campaigns)
