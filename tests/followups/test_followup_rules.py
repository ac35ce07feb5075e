"""The follow-up rules at their edges: which rows a chunk locks and claims, how much budget it takes, and which
rows the caps and the budget refuse, with the exact states and reasons left behind."""

import datetime as dt
import logging

import pytest
import time_machine
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.followups import services as followups
from backoffice.models import (
    BusinessHours,
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    Coupon,
    Customer,
    Desk,
    EventType,
    FollowUp,
    MessageTemplate,
    OutboundMessage,
    Status,
    StoreSettings,
    Trigger,
)
from backoffice.store.businesshours import Calendar
from surveys.models import SurveySettings
from tests.factories import CaseFactory, make_order, shanghai
from tests.followups.test_chunks import make_due, new_customers


@pytest.fixture
def campaign(db, a9) -> Campaign:
    return Campaign.objects.create(
        key="rules", name="回访", trigger=Trigger.AFTERSALES_CLOSED, coupon_value_fen=1000, template=a9.template
    )


@pytest.fixture
def english():
    """The refusal notes in the source language, to assert them word for word."""
    with translation.override("en"):
        yield


def _reloaded(rows: list[FollowUp]) -> list[FollowUp]:
    return list(FollowUp.objects.select_related("campaign").filter(pk__in=[r.pk for r in rows]).order_by("pk"))


# mutmut: x_lock_due__mutmut_5 (order_by("due_at") without "pk") is equivalent on SQLite because ties come in rowid
# order, which is the pk; only PostgreSQL could return them otherwise.
# mutmut: x_lock_due__mutmut_33 (in_bulk(None)) is equivalent because it reads every campaign instead of the chunk's
# ones and attaches the same campaign to each row (a cost, not a behaviour).


# --- lock_due -----------------------------------------------------------------------------------------------------


def test_lock_due_takes_the_oldest_due_scheduled_rows_up_to_the_limit_with_their_campaign(campaign):
    now = timezone.now()
    customers = new_customers(5)
    on_time = make_due(campaign, customers[:1], due=now)
    older = make_due(campaign, customers[1:3], due=now - dt.timedelta(minutes=5))
    later = make_due(campaign, customers[3:4], due=now + dt.timedelta(seconds=1))
    sent = make_due(campaign, customers[4:5], due=now - dt.timedelta(hours=1))
    FollowUp.objects.filter(pk=sent[0].pk).update(state=FollowUp.State.SENT)

    rows = followups.lock_due(now=now, limit=10)
    assert [r.pk for r in rows] == [older[0].pk, older[1].pk, on_time[0].pk]
    assert later[0].pk not in [r.pk for r in rows]
    assert all(r.campaign.pk == campaign.pk and r.campaign.template_id == campaign.template_id for r in rows)
    assert [r.pk for r in followups.lock_due(now=now, limit=2)] == [older[0].pk, older[1].pk]
    assert followups.lock_due(now=now - dt.timedelta(hours=1), limit=10) == []


# --- claim_chunk --------------------------------------------------------------------------------------------------


def test_claim_chunk_of_nothing_claims_nothing(campaign, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert followups.claim_chunk([], now=timezone.now()) == []


def test_claim_chunk_takes_a_row_due_this_very_moment_and_clears_its_last_error(campaign):
    now = timezone.now()
    rows = make_due(campaign, new_customers(2), due=now)
    FollowUp.objects.filter(pk__in=[r.pk for r in rows]).update(attempts=2, last_error="timeout")
    rows = _reloaded(rows)
    claimed = followups.claim_chunk(rows, now=now)
    assert [(r.state, r.sent_at, r.attempts, r.last_error) for r in claimed] == [(FollowUp.State.SENT, now, 3, "")] * 2
    assert list(FollowUp.objects.values_list("state", "sent_at", "attempts", "last_error").distinct()) == [
        (FollowUp.State.SENT, now, 3, "")
    ]


def test_claim_chunk_says_how_many_rows_it_lost(campaign):
    now = timezone.now()
    rows = make_due(campaign, new_customers(3), due=now)
    FollowUp.objects.filter(pk=rows[0].pk).update(state=FollowUp.State.CANCELLED)
    with pytest.raises(followups.ClaimLost, match=r"^1 of 3 follow-ups were no longer due$"):
        followups.claim_chunk(rows, now=now)


# mutmut: x_reserve_budget__mutmut_3 (while wanted >= 0) is equivalent because wanting 0 gives fits 0, which returns
# 0 before any statement, as the loop not running does. x_reserve_budget__mutmut_8 and _15 (a `fits` larger than the
# budget allows), _19 and _21 (no update made) and _38 (the spend read back as the campaign's id) make the loop go on
# for ever: the tests below hang until mutmut's timeout, a kill.


# --- reserve_budget -----------------------------------------------------------------------------------------------


def _budget(campaign: Campaign, *, budget: int, spent: int, value: int = 1000) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(budget_fen=budget, spent_fen=spent, coupon_value_fen=value)
    campaign.refresh_from_db()
    return campaign


def test_the_budget_can_be_spent_to_the_last_fen(campaign):
    campaign = _budget(campaign, budget=3000, spent=1000)
    assert followups.reserve_budget(campaign, 5) == 2
    assert campaign.spent_fen == 3000
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3000


def test_an_overspent_budget_takes_nothing(campaign):
    campaign = _budget(campaign, budget=3000, spent=3500)
    assert followups.reserve_budget(campaign, 1) == 0
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3500


def test_free_coupons_fit_a_budget_spent_to_the_fen(campaign):
    campaign = _budget(campaign, budget=3000, spent=3000, value=0)
    assert followups.reserve_budget(campaign, 4) == 4
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3000


def test_free_coupons_do_not_fit_an_overspent_budget(campaign):
    campaign = _budget(campaign, budget=3000, spent=3001, value=0)
    assert followups.reserve_budget(campaign, 4) == 0


def test_after_a_lost_race_the_budget_takes_what_is_left_and_remembers_the_new_spend(campaign):
    campaign = _budget(campaign, budget=5000, spent=0)
    Campaign.objects.filter(pk=campaign.pk).update(spent_fen=2000)
    assert followups.reserve_budget(campaign, 5) == 3
    assert campaign.spent_fen == 5000
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 5000


def test_wanting_nothing_takes_nothing(campaign, django_assert_num_queries):
    campaign = _budget(campaign, budget=5000, spent=0)
    with django_assert_num_queries(0):
        assert followups.reserve_budget(campaign, 0) == 0


# mutmut: x_chunk_refusals__mutmut_5 (_recent_coupons also with no capped row) is equivalent because
# _recent_coupons([]) returns an empty Counter without a statement.


# --- chunk_refusals -----------------------------------------------------------------------------------------------


def test_the_cap_refusal_names_the_coupons_and_the_days(campaign, english):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=2, cap_days=7)
    now = timezone.now()
    (customer,) = new_customers(1)
    for days in (1, 6):
        Coupon.objects.create(
            customer_id=customer, value_fen=1, valid_until=now, campaign=campaign, issued_at=now - dt.timedelta(days)
        )
    rows = _reloaded(make_due(campaign, [customer], due=now))
    assert followups.chunk_refusals(rows, now=now) == {
        rows[0].pk: ("cap", "the customer already got 2 coupon(s) in 7 days")
    }


def test_a_coupon_older_than_the_cap_period_does_not_count(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=1, cap_days=7)
    now = timezone.now()
    (customer,) = new_customers(1)
    Coupon.objects.create(
        customer_id=customer, value_fen=1, valid_until=now, campaign=campaign, issued_at=now - dt.timedelta(days=7)
    )
    rows = _reloaded(make_due(campaign, [customer], due=now))
    assert followups.chunk_refusals(rows, now=now) == {}


def test_without_a_cap_one_customer_gets_every_coupon_of_the_chunk(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=0)
    now = timezone.now()
    (customer,) = new_customers(1)
    Coupon.objects.create(customer_id=customer, value_fen=1, valid_until=now, campaign=campaign, issued_at=now)
    rows = _reloaded(make_due(campaign, [customer] * 3, due=now))
    assert followups.chunk_refusals(rows, now=now) == {}


def test_a_capped_row_takes_no_budget_so_the_next_customer_gets_it(campaign, english):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=1, budget_fen=2000)
    now = timezone.now()
    first, second, third = new_customers(3)
    rows = _reloaded(make_due(campaign, [first, first, second, third], due=now))
    refusals = followups.chunk_refusals(rows, now=now)
    assert refusals == {
        rows[1].pk: ("cap", "the customer already got 1 coupon(s) in 30 days"),
        rows[3].pk: ("budget", "the campaign's budget is spent"),
    }
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 2000


def test_each_campaign_of_a_chunk_has_its_own_budget_and_caps(campaign, english):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=1, budget_fen=1000)
    other = Campaign.objects.create(
        key="other",
        name="x",
        trigger=Trigger.AFTERSALES_CLOSED,
        coupon_value_fen=500,
        budget_fen=1000,
        cap_per_customer=1,
        template=campaign.template,
    )
    now = timezone.now()
    first, second = new_customers(2)
    rows = _reloaded(make_due(campaign, [first, second], due=now) + make_due(other, [first, second, first], due=now))
    refusals = followups.chunk_refusals(rows, now=now)
    assert refusals == {
        rows[1].pk: ("budget", "the campaign's budget is spent"),
        rows[4].pk: ("cap", "the customer already got 1 coupon(s) in 30 days"),
    }
    assert dict(Campaign.objects.filter(pk__in=[campaign.pk, other.pk]).values_list("key", "spent_fen")) == {
        "rules": 1000,
        "other": 1000,
    }


def test_lock_due_reads_each_rows_case_order_customer_and_template_with_it(campaign, closed_refund):
    now = timezone.now()
    case = closed_refund()
    FollowUp.objects.all().delete()
    FollowUp.objects.create(case=case, campaign=campaign, customer=case.customer, due_at=now, triggered_at=now)
    # The rows and their campaigns: two statements, and nothing more to read what sending needs.
    with CaptureQueriesContext(connection) as queries:
        (row,) = followups.lock_due(now=now, limit=10)
        assert (row.case.order.pk, row.customer.pk) == (case.order_id, case.customer_id)
        assert row.campaign.template.pk == campaign.template_id
    assert len(queries) == 2


def test_where_the_database_can_skip_locked_rows_lock_due_skips_them_and_locks_only_the_follow_ups(
    campaign, monkeypatch
):
    now = timezone.now()
    rows = make_due(campaign, new_customers(2), due=now)
    locks = []
    real = QuerySet.select_for_update

    def select_for_update(queryset, **kwargs):
        locks.append((queryset.model, kwargs))
        return real(queryset, **kwargs)

    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", True)
    monkeypatch.setattr(QuerySet, "select_for_update", select_for_update)
    assert [r.pk for r in followups.lock_due(now=now, limit=10)] == [r.pk for r in rows]
    # Not the case, order or customer rows: another dispatcher may need those for its own rows.
    assert locks == [(FollowUp, {"skip_locked": True, "of": ("self",)})]


def test_one_coupon_is_taken_alone(campaign):
    campaign = _budget(campaign, budget=5000, spent=0)
    assert followups.reserve_budget(campaign, 1) == 1
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 1000


def test_a_budget_with_less_than_one_coupon_left_takes_nothing_and_writes_nothing(campaign, django_assert_num_queries):
    campaign = _budget(campaign, budget=3000, spent=2500)
    with django_assert_num_queries(0):
        assert followups.reserve_budget(campaign, 3) == 0
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 2500


def test_a_part_of_a_coupon_left_in_the_budget_stays_unspent(campaign):
    campaign = _budget(campaign, budget=3000, spent=500)
    fits = followups.reserve_budget(campaign, 5)
    assert (fits, type(fits)) == (2, int)
    assert campaign.spent_fen == 2500
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 2500


# --- one follow-up at a time: claim_for_sending and _refusal ------------------------------------------------------


def test_claim_for_sending_turns_a_scheduled_row_to_sent_once(campaign):
    now = timezone.now()
    (row,) = make_due(campaign, new_customers(1), due=now + dt.timedelta(hours=1))
    FollowUp.objects.filter(pk=row.pk).update(attempts=1, last_error="timeout")
    assert followups.claim_for_sending(row.pk, now=now) is True
    assert FollowUp.objects.values_list("state", "sent_at", "attempts", "last_error").get(pk=row.pk) == (
        FollowUp.State.SENT,
        now,
        2,
        "",
    )
    assert followups.claim_for_sending(row.pk, now=now + dt.timedelta(minutes=1)) is False
    assert FollowUp.objects.values_list("sent_at", "attempts").get(pk=row.pk) == (now, 2)


def _one(campaign: Campaign, **change) -> tuple[FollowUp, Campaign]:
    Campaign.objects.filter(pk=campaign.pk).update(**change)
    (row,) = _reloaded(make_due(campaign, new_customers(1), due=timezone.now()))
    return row, row.campaign


def test_one_refusal_names_the_coupons_and_the_days_of_the_cap(campaign, english):
    row, campaign = _one(campaign, cap_per_customer=2, cap_days=7)
    now = timezone.now()
    for days in (1, 6, 7):
        Coupon.objects.create(
            customer_id=row.customer_id,
            value_fen=1,
            valid_until=now,
            campaign=campaign,
            issued_at=now - dt.timedelta(days),
        )
    assert followups._refusal(row, campaign=campaign, now=now) == (
        "cap",
        "the customer already got 2 coupon(s) in 7 days",
    )
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 0


def test_one_coupon_under_the_cap_is_issued_and_counted(campaign):
    row, campaign = _one(campaign, cap_per_customer=2, cap_days=7)
    now = timezone.now()
    Coupon.objects.create(customer_id=row.customer_id, value_fen=1, valid_until=now, campaign=campaign, issued_at=now)
    assert followups._refusal(row, campaign=campaign, now=now) is None
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 1000


def test_one_coupon_without_a_cap_is_issued_whatever_the_customer_got(campaign):
    row, campaign = _one(campaign, cap_per_customer=0)
    now = timezone.now()
    Coupon.objects.create(customer_id=row.customer_id, value_fen=1, valid_until=now, campaign=campaign, issued_at=now)
    assert followups._refusal(row, campaign=campaign, now=now) is None


def test_one_coupon_may_spend_the_budget_to_the_last_fen_and_no_further(campaign, english):
    row, campaign = _one(campaign, budget_fen=3000, spent_fen=2000)
    now = timezone.now()
    assert followups._refusal(row, campaign=campaign, now=now) is None
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3000
    assert followups._refusal(row, campaign=campaign, now=now) == ("budget", "the campaign's budget is spent")
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3000


def test_claim_chunk_and_claim_for_sending_leave_every_other_due_row_scheduled(campaign):
    now = timezone.now()
    rows = make_due(campaign, new_customers(4), due=now)
    assert [r.pk for r in followups.claim_chunk(_reloaded(rows[:2]), now=now)] == [rows[0].pk, rows[1].pk]
    assert followups.claim_for_sending(rows[2].pk, now=now) is True
    states = dict(FollowUp.objects.values_list("pk", "state"))
    assert [states[r.pk] for r in rows] == [FollowUp.State.SENT] * 3 + [FollowUp.State.SCHEDULED]


def test_another_customers_coupons_do_not_count_towards_the_cap(campaign):
    row, campaign = _one(campaign, cap_per_customer=1)
    (other,) = new_customers(1)
    now = timezone.now()
    Coupon.objects.create(customer_id=other, value_fen=1, valid_until=now, campaign=campaign, issued_at=now)
    assert followups._refusal(row, campaign=campaign, now=now) is None


# mutmut: x__refusal__mutmut_4 (values_list(flat=True) without "pk") is equivalent because a flat values_list of no
# field reads the first one, the pk: the same row is read and locked.


@pytest.fixture
def locked(monkeypatch) -> list:
    """The rows each locking read was for, as (model, rows), on a database that locks none (SQLite)."""
    found = []
    real_iter = QuerySet.__iter__

    def select_for_update(queryset, **kwargs):
        # SQLite has no FOR UPDATE: the statement runs unlocked, recording which rows it was for.
        queryset = queryset._chain()
        queryset.query.locking = True
        return queryset

    def iterate(queryset):
        rows = list(real_iter(queryset))
        if getattr(queryset.query, "locking", False):
            found.append((queryset.model, rows))
        return iter(rows)

    monkeypatch.setattr(connection.features, "has_select_for_update", True)
    monkeypatch.setattr(QuerySet, "select_for_update", select_for_update)
    monkeypatch.setattr(QuerySet, "__iter__", iterate)
    return found


def test_where_the_database_locks_rows_one_coupon_locks_its_customer_first(campaign, locked):
    row, campaign = _one(campaign, cap_per_customer=1)
    assert followups._refusal(row, campaign=campaign, now=timezone.now()) is None
    assert [(model, [getattr(r, "pk", r) for r in rows]) for model, rows in locked] == [(Customer, [row.customer_id])]


def test_another_campaigns_coupons_do_not_count_towards_the_cap(campaign):
    row, campaign = _one(campaign, cap_per_customer=1)
    other = Campaign.objects.create(
        key="other", name="x", trigger=Trigger.AFTERSALES_CLOSED, coupon_value_fen=1, template=campaign.template
    )
    now = timezone.now()
    Coupon.objects.create(customer_id=row.customer_id, value_fen=1, valid_until=now, campaign=other, issued_at=now)
    assert followups._refusal(row, campaign=campaign, now=now) is None


# --- coupons by hand: issue_manual_coupon -------------------------------------------------------------------------


def _end_of_day_after(moment: dt.datetime, days: int) -> dt.datetime:
    return timezone.localtime(moment + dt.timedelta(days=days)).replace(hour=23, minute=59, second=59, microsecond=0)


def test_a_coupon_by_hand_is_on_the_case_timeline_with_who_gave_it(supervisor):
    case = CaseFactory()
    coupon = followups.issue_manual_coupon(
        case=case, value_fen=1500, actor=supervisor, reason="回访补偿", threshold_fen=9900, valid_days=7
    )
    coupon = Coupon.objects.get(pk=coupon.pk)
    assert (coupon.customer_id, coupon.case_id, coupon.campaign_id, coupon.value_fen, coupon.threshold_fen) == (
        case.customer_id,
        case.pk,
        None,
        1500,
        9900,
    )
    assert (coupon.reason, coupon.valid_until) == ("回访补偿", _end_of_day_after(coupon.issued_at, 7))
    event = CaseEvent.objects.get(case=case, type=EventType.COUPON_ISSUED)
    assert (event.actor, event.at, event.body, event.target, event.after) == (
        supervisor,
        coupon.issued_at,
        f"{coupon.code} — 回访补偿",
        f"coupon:{coupon.pk}",
        {"coupon": coupon.code, "amount_fen": 1500, "threshold_fen": 9900},
    )


def test_a_coupon_by_hand_without_a_reason_or_threshold_lasts_thirty_days(supervisor, english):
    case = CaseFactory()
    coupon = Coupon.objects.get(pk=followups.issue_manual_coupon(case=case, value_fen=1, actor=supervisor).pk)
    assert (coupon.value_fen, coupon.threshold_fen, coupon.reason) == (1, 0, "given by hand")
    assert coupon.valid_until == _end_of_day_after(coupon.issued_at, 30)
    event = CaseEvent.objects.get(case=case, type=EventType.COUPON_ISSUED)
    assert (event.body, event.after["threshold_fen"]) == (coupon.code, 0)


def test_a_coupon_by_hand_keeps_the_first_120_characters_of_its_reason(supervisor):
    coupon = followups.issue_manual_coupon(case=CaseFactory(), value_fen=100, actor=supervisor, reason="因" * 130)
    assert Coupon.objects.get(pk=coupon.pk).reason == "因" * 120


def test_a_coupon_by_hand_needs_a_customer_and_a_value(supervisor, english):
    nobodys = CaseFactory()
    Case.objects.filter(pk=nobodys.pk).update(customer=None)
    nobodys.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        followups.issue_manual_coupon(case=nobodys, value_fen=100, actor=supervisor)
    assert str(refused.value) == "This case has no customer to give a coupon to."
    with pytest.raises(DomainError) as refused:
        followups.issue_manual_coupon(case=CaseFactory(), value_fen=0, actor=supervisor)
    assert str(refused.value) == "A coupon must be worth something."
    assert not Coupon.objects.exists()


# --- cancelling: cancel_followups and _close -------------------------------------------------------------------------


def test_cancelling_closes_only_that_cases_scheduled_follow_up_and_says_why_on_its_timeline(campaign, agent):
    now = timezone.now()
    mine, other = make_due(campaign, new_customers(2), due=now)
    reason = "改" * 250
    assert followups.cancel_followups(case=mine.case, actor=agent, reason=reason) == 1
    row = FollowUp.objects.get(pk=mine.pk)
    assert (row.state, row.note, row.closed_at >= now) == (FollowUp.State.CANCELLED, reason[:200], True)
    assert FollowUp.objects.get(pk=other.pk).state == FollowUp.State.SCHEDULED
    event = CaseEvent.objects.get(case=mine.case, type=EventType.FOLLOWUP_CANCELLED)
    assert (event.actor, event.at, event.body, event.target, event.after) == (
        agent,
        row.closed_at,
        f"{campaign.name} — {reason}",
        f"followup:{mine.pk}",
        {"campaign": campaign.key, "state": FollowUp.State.CANCELLED},
    )
    assert followups.cancel_followups(case=mine.case, actor=agent, reason="again") == 0


def test_a_follow_up_no_longer_scheduled_is_not_closed(campaign, agent):
    now = timezone.now()
    (sent,) = _reloaded(make_due(campaign, new_customers(1), due=now))
    FollowUp.objects.filter(pk=sent.pk).update(state=FollowUp.State.SENT)
    assert followups._close(sent, state=FollowUp.State.CANCELLED, note="late", now=now, actor=agent) is False
    assert (FollowUp.objects.get(pk=sent.pk).state, FollowUp.objects.get(pk=sent.pk).note) == (FollowUp.State.SENT, "")
    assert not CaseEvent.objects.filter(case=sent.case, type=EventType.FOLLOWUP_CANCELLED).exists()


# mutmut: x_cancel_followups__mutmut_9 (no "scheduled" filter) is equivalent because _close closes only a scheduled
# row and counts only what it closed. x__close__mutmut_28 (always FOLLOWUP_CANCELLED) is equivalent because every
# caller closes with the state "cancelled" (refusals are written by _dispatch and _record_refusals).


# --- a failed send: _record_failure --------------------------------------------------------------------------------


NO_HOURS = Calendar(hours={}, closed_days=frozenset())  # no opening hours set: sends at any time


@pytest.fixture
def failing_send(monkeypatch):
    error = "网关" * 1100

    def die(*args, **kwargs):
        raise RuntimeError(error)

    monkeypatch.setattr(followups.outbox, "queue_message", die)
    return error


def test_a_failed_send_is_retried_after_two_to_the_attempts_minutes(campaign, failing_send):
    now = timezone.now()
    earlier, row = make_due(campaign, new_customers(2), due=now - dt.timedelta(minutes=1))
    FollowUp.objects.filter(pk=row.pk).update(attempts=3)
    with time_machine.travel(now, tick=False):
        assert followups.dispatch_followup(row.pk, calendar=NO_HOURS) == "retry"
    stored = FollowUp.objects.get(pk=row.pk)
    assert (stored.state, stored.attempts, stored.last_error, stored.due_at, stored.closed_at) == (
        FollowUp.State.SCHEDULED,
        4,
        failing_send[:2000],
        now + dt.timedelta(minutes=16),
        None,
    )
    assert FollowUp.objects.get(pk=earlier.pk).attempts == 0
    assert not CaseEvent.objects.filter(type=EventType.FOLLOWUP_FAILED).exists()


def test_the_fifth_failed_send_fails_the_follow_up_on_its_timeline(campaign, failing_send, caplog):
    now = timezone.now()
    (row,) = make_due(campaign, new_customers(1), due=now - dt.timedelta(minutes=1))
    FollowUp.objects.filter(pk=row.pk).update(attempts=4)
    with time_machine.travel(now, tick=False), caplog.at_level(logging.ERROR, logger=followups.logger.name):
        assert followups.dispatch_followup(row.pk, calendar=NO_HOURS) == "failed"
    assert caplog.messages == [f"follow-up {row.pk} could not be sent"]
    stored = FollowUp.objects.get(pk=row.pk)
    assert (stored.state, stored.attempts, stored.closed_at) == (FollowUp.State.FAILED, 5, now)
    event = CaseEvent.objects.get(case=row.case, type=EventType.FOLLOWUP_FAILED)
    assert (event.at, event.body, event.target) == (now, failing_send[:500], f"followup:{row.pk}")


def test_a_failure_of_a_follow_up_no_longer_scheduled_changes_nothing(campaign):
    now = timezone.now()
    (row,) = make_due(campaign, new_customers(1), due=now)
    FollowUp.objects.filter(pk=row.pk).update(state=FollowUp.State.SENT, attempts=1)
    assert followups._record_failure(row.pk, RuntimeError("late"), now=now) == "skipped"
    stored = FollowUp.objects.get(pk=row.pk)
    assert (stored.state, stored.attempts, stored.last_error) == (FollowUp.State.SENT, 1, "")


# mutmut: x__record_failure__mutmut_27 (the update without the "scheduled" filter) is equivalent on SQLite: the
# read before it, in the same transaction, holds the one write lock, so the row is still scheduled.


# --- the window's last open moment and the night: _last_open_moment, defer_due ---------------------------------------

WEEKDAYS_NINE_TO_SIX = Calendar(hours=dict.fromkeys(range(5), ((dt.time(9), dt.time(18)),)), closed_days=frozenset())


def test_the_last_open_moment_of_an_empty_window_at_an_open_moment_is_that_moment():
    wednesday_10am = shanghai(2027, 3, 3, 10)
    assert followups._last_open_moment(WEEKDAYS_NINE_TO_SIX, start=wednesday_10am, end=wednesday_10am) == wednesday_10am
    # Inside the closing margin an empty window has no moment.
    late = shanghai(2027, 3, 3, 17, 45)
    assert followups._last_open_moment(WEEKDAYS_NINE_TO_SIX, start=late, end=late) is None


def test_the_last_open_moment_is_never_after_the_window():
    tuesday_8pm, wednesday_8am = shanghai(2027, 3, 2, 20), shanghai(2027, 3, 3, 8)
    assert followups._last_open_moment(WEEKDAYS_NINE_TO_SIX, start=tuesday_8pm, end=wednesday_8am) is None


def test_the_last_open_moment_may_be_the_day_before_the_windows_end():
    monday_10am, wednesday_8am = shanghai(2027, 3, 1, 10), shanghai(2027, 3, 3, 8)
    assert followups._last_open_moment(WEEKDAYS_NINE_TO_SIX, start=monday_10am, end=wednesday_8am) == shanghai(
        2027, 3, 2, 17, 30
    )


def test_a_sweep_at_night_moves_the_due_rows_to_the_next_opening_after_that_night(campaign):
    saturday_night = shanghai(2027, 3, 6, 22)
    rows = make_due(campaign, new_customers(2), due=saturday_night - dt.timedelta(hours=1))
    assert followups.dispatch_due(now=saturday_night, calendar=WEEKDAYS_NINE_TO_SIX) == {"deferred": 2}
    assert set(FollowUp.objects.filter(pk__in=[r.pk for r in rows]).values_list("due_at", flat=True)) == {
        shanghai(2027, 3, 8, 9)
    }


# --- one follow-up: _dispatch's read ----------------------------------------------------------------------------------


def test_dispatching_one_follow_up_sends_that_one_only_when_it_is_due_and_scheduled(campaign):
    now = timezone.now()
    other, asked, later = make_due(campaign, new_customers(3), due=now - dt.timedelta(minutes=1))
    FollowUp.objects.filter(pk=later.pk).update(due_at=now + dt.timedelta(minutes=5))
    assert followups.dispatch_followup(later.pk, calendar=NO_HOURS) == "skipped"
    assert followups.dispatch_followup(asked.pk, calendar=NO_HOURS) == "sent"
    states = dict(FollowUp.objects.values_list("pk", "state"))
    assert [states[f.pk] for f in (other, asked, later)] == [
        FollowUp.State.SCHEDULED,
        FollowUp.State.SENT,
        FollowUp.State.SCHEDULED,
    ]


def test_dispatching_a_follow_up_already_sent_skips_it_even_at_night(campaign):
    saturday_night = shanghai(2027, 3, 6, 22)
    (row,) = make_due(campaign, new_customers(1), due=saturday_night - dt.timedelta(hours=1))
    FollowUp.objects.filter(pk=row.pk).update(state=FollowUp.State.SENT)
    with time_machine.travel(saturday_night, tick=False):
        assert followups.dispatch_followup(row.pk, calendar=WEEKDAYS_NINE_TO_SIX) == "skipped"
    assert FollowUp.objects.get(pk=row.pk).due_at == saturday_night - dt.timedelta(hours=1)


# mutmut: x__dispatch__mutmut_8 to _14 (the select_for_update of the read) are not reached on SQLite, which has no
# SKIP LOCKED; the PostgreSQL run exercises that branch.


def test_reopening_a_case_cancels_its_follow_up_saying_so(campaign, agent, english):
    (row,) = make_due(campaign, new_customers(1), due=timezone.now())
    followups.after_case_reopened(case=row.case, actor=agent)
    assert FollowUp.objects.get(pk=row.pk).note == "the case was reopened"


def test_a_follow_up_already_due_when_scheduled_is_sent_after_commit_and_a_later_one_waits(
    campaign, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(followups.dispatch, "enqueue", lambda name, *args: calls.append((name, *args)) or True)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        late = followups.schedule_followups(
            trigger=campaign.trigger, case=CaseFactory(), actor=None, at=now - dt.timedelta(days=10)
        )
        on_time = followups.schedule_followups(trigger=campaign.trigger, case=CaseFactory(), actor=None, at=now)
        assert calls == []
    assert late and on_time
    assert calls == [("backoffice.tasks.dispatch_followup_task", row.pk) for row in late]


def test_cancelling_counts_every_closure_follow_up_of_the_case_and_keeps_the_out_of_stock_one(campaign, agent):
    (row,) = make_due(campaign, new_customers(1), due=timezone.now())
    closed_too = Campaign.objects.create(
        key="closed-too",
        name="再次回访",
        trigger=Trigger.LOGISTICS_CLOSED,
        coupon_value_fen=500,
        template=campaign.template,
    )
    waiting = Campaign.objects.create(
        key="wait", name="缺货等待", trigger=Trigger.OUT_OF_STOCK_WAIT, coupon_value_fen=500, template=campaign.template
    )
    for other in (closed_too, waiting):
        FollowUp.objects.create(
            case=row.case, campaign=other, customer_id=row.customer_id, triggered_at=row.due_at, due_at=row.due_at
        )
    assert followups.cancel_followups(case=row.case, actor=agent, reason="reopened") == 2
    assert dict(FollowUp.objects.filter(case=row.case).values_list("campaign__key", "state")) == {
        campaign.key: FollowUp.State.CANCELLED,
        "closed-too": FollowUp.State.CANCELLED,
        "wait": FollowUp.State.SCHEDULED,
    }


# mutmut: x_cancel_followups__mutmut_11 (select_related(None)) is equivalent: each row's campaign is then read on its
# own (a cost, not a behaviour).


def test_one_follow_up_at_night_waits_for_the_next_opening(campaign):
    saturday_night = shanghai(2027, 3, 6, 22)
    asked, other = make_due(campaign, new_customers(2), due=saturday_night - dt.timedelta(hours=1))
    with time_machine.travel(saturday_night, tick=False):
        assert followups.dispatch_followup(asked.pk, calendar=WEEKDAYS_NINE_TO_SIX) == "deferred"
    rows = {f.pk: f for f in FollowUp.objects.all()}
    assert (rows[asked.pk].state, rows[asked.pk].due_at) == (FollowUp.State.SCHEDULED, shanghai(2027, 3, 8, 9))
    assert rows[other.pk].due_at == saturday_night - dt.timedelta(hours=1)


def test_one_follow_up_of_a_reopened_case_is_cancelled_not_sent(campaign, english):
    now = timezone.now()
    (row,) = make_due(campaign, new_customers(1), due=now - dt.timedelta(minutes=1))
    Case.objects.filter(pk=row.case_id).update(status=Status.IN_PROGRESS)
    with time_machine.travel(now, tick=False):
        assert followups.dispatch_followup(row.pk, calendar=NO_HOURS) == "cancelled"
    stored = FollowUp.objects.get(pk=row.pk)
    assert (stored.state, stored.note, stored.closed_at) == (FollowUp.State.CANCELLED, "the case was reopened", now)
    assert not Coupon.objects.exists()


# mutmut: x__dispatch__mutmut_15 (of=("SELF",)) is PostgreSQL's branch, not reached on SQLite.
# x__dispatch__mutmut_20, _21, _22 (select_related without the template, the case or the customer) are equivalent:
# the row reads them on its own (a cost, not a behaviour). x__dispatch__mutmut_35, _42 (is_open(None),
# next_open(None)) are equivalent: the calendar then reads the clock itself, the same moment as `now`.
# x__dispatch__mutmut_40 (the deferral without the "scheduled" filter) is equivalent on SQLite: the row was read
# scheduled in the same transaction, which holds the one write lock.


def test_one_follow_up_sent_issues_its_coupon_queues_its_message_and_says_so(campaign):
    template = MessageTemplate.objects.create(
        key="one-by-one",
        name="one",
        channel=Channel.SMS,
        body="{customer_name}：{coupon_value}元（{coupon_threshold}）{coupon_code} 至{coupon_valid_until}{survey_line}",
    )
    # The longest name a campaign can have (PostgreSQL holds it to 80): the coupon's reason keeps it whole. mutmut:
    # the mutants that cut the campaign's name at 121 or more instead of 120 are equivalent for that reason.
    name = "回" * 80
    Campaign.objects.filter(pk=campaign.pk).update(
        template=template, name=name, threshold_fen=9900, valid_days=3, coupon_value_fen=1500
    )
    now = timezone.now()
    (row,) = make_due(campaign, new_customers(1), due=now - dt.timedelta(minutes=1))
    with time_machine.travel(now, tick=False):
        assert followups.dispatch_followup(row.pk, calendar=NO_HOURS) == "sent"
    stored = FollowUp.objects.select_related("message", "customer").get(pk=row.pk)
    coupon = Coupon.objects.get(followup=stored)
    assert (stored.state, stored.sent_at, stored.attempts) == (FollowUp.State.SENT, now, 1)
    assert (coupon.customer_id, coupon.case_id, coupon.campaign_id, coupon.value_fen, coupon.threshold_fen) == (
        row.customer_id,
        row.case_id,
        campaign.pk,
        1500,
        9900,
    )
    assert (coupon.reason, coupon.issued_at, coupon.valid_until) == (name[:120], now, _end_of_day_after(now, 3))
    message = stored.message
    valid_until = f"{timezone.localtime(coupon.valid_until):%Y-%m-%d}"
    assert (message.customer_id, message.case_id, message.channel, message.template_key, message.idempotency_key) == (
        row.customer_id,
        row.case_id,
        Channel.SMS,
        "one-by-one",
        f"followup:{row.pk}",
    )
    assert message.body == f"{stored.customer.nickname}：¥15.00元（满¥99.00可用）{coupon.code} 至{valid_until}"
    event = CaseEvent.objects.get(case_id=row.case_id, type=EventType.FOLLOWUP_SENT)
    assert (event.at, event.body, event.target, event.after) == (
        now,
        f"{name} · {coupon.code}",
        f"coupon:{coupon.pk}",
        {
            "campaign": campaign.key,
            "coupon": coupon.code,
            "amount_fen": 1500,
            "threshold_fen": 9900,
            "valid_until": timezone.localtime(coupon.valid_until).isoformat(),
            "message": message.pk,
        },
    )


def test_one_follow_up_over_the_budget_is_refused_on_its_timeline(campaign, english):
    Campaign.objects.filter(pk=campaign.pk).update(budget_fen=1000, spent_fen=500)
    now = timezone.now()
    (row,) = make_due(campaign, new_customers(1), due=now - dt.timedelta(minutes=1))
    with time_machine.travel(now, tick=False):
        assert followups.dispatch_followup(row.pk, calendar=NO_HOURS) == "refused"
    stored = FollowUp.objects.get(pk=row.pk)
    assert (stored.state, stored.sent_at, stored.note, stored.closed_at) == (
        FollowUp.State.REFUSED,
        None,
        "the campaign's budget is spent",
        now,
    )
    event = CaseEvent.objects.get(case_id=row.case_id, type=EventType.FOLLOWUP_REFUSED)
    assert (event.at, event.body, event.target, event.after) == (
        now,
        f"{campaign.name} — the campaign's budget is spent",
        f"followup:{row.pk}",
        {"campaign": campaign.key, "state": FollowUp.State.REFUSED, "reason": "budget"},
    )
    assert not Coupon.objects.exists()


# mutmut: x__dispatch__mutmut_80 (note cut at 201) is equivalent: a refusal's text is far shorter than 200 characters.
# x__dispatch__mutmut_128, _131 (case_variables without the follow-up's customer) are equivalent: it then takes the
# case's customer, the same one. x__dispatch__mutmut_134 (followup_extra_variables(None)) changes only the survey
# link, which tests/surveys/test_sending.py checks (outside the follow-ups' mutation selection).
# mutmut: x_dispatch_followup__mutmut_1, _2, _5, _10 (no store, or the store read again) are equivalent: case_variables
# and Calendar.for_store then load the store's one settings row themselves.


def test_the_refund_arrived_when_the_platform_last_confirmed_a_refund_of_that_case(db):
    case, other = CaseFactory(), CaseFactory()
    t = timezone.now().replace(microsecond=0)

    def event(on, type_, kind, hours):
        CaseEvent.objects.create(case=on, type=type_, at=t + dt.timedelta(hours=hours), after={"kind": kind})

    event(case, EventType.PAYOUT_SUCCEEDED, "refund", 1)
    event(case, EventType.PAYOUT_SUCCEEDED, "compensation", 2)
    event(case, EventType.PAYOUT_FAILED, "refund", 3)
    event(other, EventType.PAYOUT_SUCCEEDED, "refund", 4)
    assert followups.refund_arrived_at(case) == t + dt.timedelta(hours=1)
    assert followups.refund_arrived_at(CaseFactory()) is None


def test_a_chunk_takes_budget_only_for_the_coupons_the_caps_let_through(campaign):
    campaign = _budget(campaign, budget=10_000, spent=0)
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=2, cap_days=7)
    now = timezone.now()
    first, second = new_customers(2)
    Coupon.objects.create(
        customer_id=first, value_fen=1, valid_until=now, campaign=campaign, issued_at=now - dt.timedelta(days=1)
    )
    rows = _reloaded(make_due(campaign, [first, first, second, second], due=now))
    refusals = followups.chunk_refusals(rows, now=now)
    assert {pk: code for pk, (code, _text) in refusals.items()} == {rows[1].pk: "cap"}
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3000


# mutmut: x__within_caps__mutmut_9 (append(None)) is equivalent: only how many rows the caps let through is used.


def test_where_the_database_locks_rows_a_chunk_locks_its_customers_in_order_first(campaign, locked):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=1)
    now = timezone.now()
    customers = new_customers(2)
    rows = _reloaded(make_due(campaign, [customers[1], customers[0]], due=now))
    assert followups.chunk_refusals(rows, now=now) == {}
    assert locked == [(Customer, [(customers[0],), (customers[1],)])]


# mutmut: x__recent_coupons__mutmut_5 (the lock without order_by) is equivalent on SQLite, which returns them in pk
# order anyway. x__recent_coupons__mutmut_19 (coupons counted for every customer of the campaign) is equivalent: only
# the chunk's customers' counts are read (a cost, not a behaviour).


# --- a chunk's writes: _dispatch_rows, _record_refusals, _send_chunk -------------------------------------------------


def test_a_chunk_cancels_refuses_and_sends_each_row_exactly_as_one_by_one_would(campaign, english, caplog):
    template = MessageTemplate.objects.create(key="chunk", name="chunk", channel=Channel.SMS, body="{coupon_code}")
    name = "回" * 80  # the longest name a campaign can have (PostgreSQL holds it to that)
    Campaign.objects.filter(pk=campaign.pk).update(
        template=template, name=name, threshold_fen=9900, valid_days=3, budget_fen=2000, spent_fen=0
    )
    now = timezone.now()
    rows = make_due(campaign, new_customers(6), due=now - dt.timedelta(minutes=1))
    Case.objects.filter(pk__in=[rows[0].case_id, rows[1].case_id]).update(status=Status.IN_PROGRESS)
    with caplog.at_level(logging.ERROR, logger=followups.logger.name):
        assert followups.dispatch_due(now=now, calendar=NO_HOURS) == {"cancelled": 2, "refused": 2, "sent": 2}
    # Written by the chunk itself, not by the one-by-one fallback after a failed chunk.
    assert caplog.messages == []
    stored = {f.pk: f for f in FollowUp.objects.all()}
    for row in rows[:2]:
        assert (stored[row.pk].state, stored[row.pk].note, stored[row.pk].closed_at) == (
            FollowUp.State.CANCELLED,
            "the case was reopened",
            now,
        )
    for row in rows[4:]:
        assert (stored[row.pk].state, stored[row.pk].sent_at, stored[row.pk].note, stored[row.pk].closed_at) == (
            FollowUp.State.REFUSED,
            None,
            "the campaign's budget is spent",
            now,
        )
        event = CaseEvent.objects.get(case_id=row.case_id, type=EventType.FOLLOWUP_REFUSED)
        assert (event.at, event.body, event.target, event.after) == (
            now,
            f"{name} — the campaign's budget is spent",
            f"followup:{row.pk}",
            {"campaign": campaign.key, "state": FollowUp.State.REFUSED, "reason": "budget"},
        )
    for row in rows[2:4]:
        coupon = Coupon.objects.get(followup_id=row.pk)
        assert (coupon.value_fen, coupon.threshold_fen, coupon.reason, coupon.issued_at, coupon.valid_until) == (
            campaign.coupon_value_fen,
            9900,
            name[:120],
            now,
            _end_of_day_after(now, 3),
        )
        message = stored[row.pk].message
        assert (message.channel, message.template_key, message.body) == (Channel.SMS, "chunk", coupon.code)
        event = CaseEvent.objects.get(case_id=row.case_id, type=EventType.FOLLOWUP_SENT)
        assert (event.at, event.body, event.target) == (now, f"{name} · {coupon.code}", f"coupon:{coupon.pk}")


def test_a_chunk_reads_every_cases_last_parcel_in_a_few_statements_whatever_its_size(campaign):
    template = MessageTemplate.objects.create(key="parcel", name="parcel", body="{tracking_no}")
    Campaign.objects.filter(pk=campaign.pk).update(template=template)
    now = timezone.now()

    def chunk_of(n):
        rows = make_due(campaign, new_customers(n), due=now - dt.timedelta(minutes=1))
        for row in rows:
            order = make_order(customer=row.customer, shipped=True, tracking_no=f"T-{row.pk}")
            Case.objects.filter(pk=row.case_id).update(order=order)
        with CaptureQueriesContext(connection) as queries:
            assert followups.dispatch_due(now=now, calendar=NO_HOURS) == {"sent": n}
        bodies = dict(FollowUp.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "message__body"))
        assert bodies == {row.pk: f"T-{row.pk}" for row in rows}
        return len(queries)

    assert chunk_of(2) == chunk_of(4)


# mutmut: x__dispatch_rows__mutmut_36, _48 (results["refused"], ["sent"] = ...) are equivalent: the counter holds none
# before. x_dispatch_due__mutmut_6 (Calendar.for_store(None)) is equivalent: it loads the same settings row.
# x__send_chunk__mutmut_71 to _82, _128 to _133 (zip without strict) are equivalent: the lists always have the same
# length. x__send_chunk__mutmut_83 (followup.message = None) is equivalent: nothing reads the rows' message
# afterwards; the database's link is written by the update below it. x__send_chunk__mutmut_105 ([:2]) is equivalent:
# the idempotency key is unique, so the subquery has one row.


def test_a_final_failure_is_on_the_timeline_at_the_moment_of_the_attempt(campaign):
    attempt = timezone.now() - dt.timedelta(minutes=3)
    (row,) = make_due(campaign, new_customers(1), due=attempt)
    FollowUp.objects.filter(pk=row.pk).update(attempts=4)
    assert followups._record_failure(row.pk, RuntimeError("down"), now=attempt) == "failed"
    assert CaseEvent.objects.get(case_id=row.case_id, type=EventType.FOLLOWUP_FAILED).at == attempt


# --- the sweep's loop: dispatch_due, dispatch_chunk ----------------------------------------------------------------


def test_the_sweep_sends_chunk_after_chunk_up_to_its_limit(campaign, monkeypatch):
    monkeypatch.setattr(followups, "CHUNK", 2)
    now = timezone.now()
    rows = make_due(campaign, new_customers(4), due=now - dt.timedelta(minutes=1))
    assert followups.dispatch_due(now=now, limit=3, calendar=NO_HOURS) == {"sent": 3}
    assert FollowUp.objects.get(pk=rows[3].pk).state == FollowUp.State.SCHEDULED


def test_the_sweep_asks_the_calendar_about_its_own_moment(campaign):
    wednesday_10am = shanghai(2027, 3, 3, 10)
    make_due(campaign, new_customers(1), due=wednesday_10am - dt.timedelta(minutes=1))
    with time_machine.travel(shanghai(2027, 3, 6, 22), tick=False):  # the clock says Saturday night
        assert followups.dispatch_due(now=wednesday_10am, calendar=WEEKDAYS_NINE_TO_SIX) == {"sent": 1}


# mutmut: x_dispatch_due__mutmut_13 (>= 0) and _25 (short `and` deferred) loop for ever once the limit is reached or
# nothing is left: the tests hang, a kill. x_dispatch_due__mutmut_27, _28 (a misspelt "deferred") are equivalent for
# a store that opens again: the deferral moved every due row, so the next chunk finds none and the loop stops.
# x_dispatch_chunk__mutmut_1 (ids = None) is equivalent: a chunk that fails before reading its rows raises either way.


# --- scheduling: _schedule_one, after_case_resolved, _cancel_reason --------------------------------------------------


def test_closing_again_revives_only_the_follow_up_the_reopening_cancelled_as_new(campaign, agent):
    first = timezone.now() - dt.timedelta(days=3)
    mine, other = make_due(campaign, new_customers(2), due=first)
    FollowUp.objects.filter(pk__in=[mine.pk, other.pk]).update(
        state=FollowUp.State.CANCELLED, note="reopened", closed_at=first, attempts=2, triggered_at=first
    )
    again = timezone.now() - dt.timedelta(hours=1)
    scheduled = followups.schedule_followups(trigger=campaign.trigger, case=mine.case, actor=agent, at=again)
    (revived,) = [f for f in scheduled if f.campaign_id == campaign.pk]
    store = StoreSettings.load()
    due = followups.due_time(start=again, campaign=campaign, store=store, calendar=Calendar.for_store(store))
    assert revived.pk == mine.pk
    assert (revived.state, revived.due_at, revived.triggered_at, revived.note, revived.closed_at, revived.attempts) == (
        FollowUp.State.SCHEDULED,
        due,
        again,
        "",
        None,
        0,
    )
    assert FollowUp.objects.get(pk=other.pk).state == FollowUp.State.CANCELLED
    assert (
        CaseEvent.objects.get(
            case_id=mine.case_id, type=EventType.FOLLOWUP_SCHEDULED, target=f"followup:{mine.pk}"
        ).actor
        == agent
    )


def test_a_case_gets_one_follow_up_per_campaign(campaign):
    (row,) = make_due(campaign, new_customers(1), due=timezone.now())
    waiting = Campaign.objects.create(
        key="wait", name="缺货等待", trigger=Trigger.OUT_OF_STOCK_WAIT, coupon_value_fen=500, template=campaign.template
    )
    scheduled = followups.schedule_followups(trigger=Trigger.OUT_OF_STOCK_WAIT, case=row.case, actor=None)
    (wait,) = [f for f in scheduled if f.campaign_id == waiting.pk]
    assert wait.pk != row.pk
    assert all(f.campaign.trigger == Trigger.OUT_OF_STOCK_WAIT for f in scheduled)


def test_a_review_case_resolved_schedules_its_apology_by_whoever_resolved_it(campaign, agent):
    Campaign.objects.filter(pk=campaign.pk).update(trigger=Trigger.REVIEW_RESOLVED)
    Campaign.objects.exclude(pk=campaign.pk).update(active=False)
    case = CaseFactory(kind=CaseKind.REVIEW)
    followups.after_case_resolved(case=case, actor=agent)
    followup = FollowUp.objects.get(case=case)
    assert followup.campaign_id == campaign.pk
    assert CaseEvent.objects.get(case=case, type=EventType.FOLLOWUP_SCHEDULED).actor == agent


def test_a_follow_up_of_a_switched_off_campaign_is_cancelled_saying_so(campaign, english):
    Campaign.objects.filter(pk=campaign.pk).update(active=False)
    (row,) = make_due(campaign, new_customers(1), due=timezone.now() - dt.timedelta(minutes=1))
    assert followups.dispatch_followup(row.pk, calendar=NO_HOURS) == "cancelled"
    assert FollowUp.objects.get(pk=row.pk).note == "the campaign is switched off"


def test_scheduling_says_when_on_the_case_timeline(campaign, agent):
    case = CaseFactory()
    scheduled = followups.schedule_followups(trigger=campaign.trigger, case=case, actor=agent)
    (followup,) = [f for f in scheduled if f.campaign_id == campaign.pk]
    event = CaseEvent.objects.get(case=case, type=EventType.FOLLOWUP_SCHEDULED, target=f"followup:{followup.pk}")
    assert (event.actor, event.body, event.after) == (
        agent,
        f"{campaign.name} · {timezone.localtime(followup.due_at):%m-%d %H:%M}",
        {"campaign": campaign.key, "due_at": followup.due_at.isoformat(), "amount_fen": campaign.coupon_value_fen},
    )


# --- the due time: sending_window, due_time ------------------------------------------------------------------------


def test_a_campaign_with_half_a_window_uses_the_stores():
    store = StoreSettings(followup_delay_min_hours=24, followup_delay_max_hours=48)
    for low, high in ((5, None), (None, 5)):
        campaign = Campaign(delay_min_hours=low, delay_max_hours=high)
        assert followups.sending_window(campaign, store) == (dt.timedelta(hours=24), dt.timedelta(hours=48))


def test_without_opening_hours_the_follow_up_is_due_at_the_windows_start():
    store = StoreSettings(followup_delay_min_hours=24, followup_delay_max_hours=48)
    campaign = Campaign(delay_min_hours=None, delay_max_hours=None)
    start = shanghai(2027, 3, 3, 10)
    for calendar in (NO_HOURS, Calendar(hours={0: ()}, closed_days=frozenset())):  # none, or never open
        assert followups.due_time(
            start=start, campaign=campaign, store=store, calendar=calendar
        ) == start + dt.timedelta(hours=24)


# mutmut: x_due_time__mutmut_13 (after < start + latest) is equivalent: an opening exactly at the window's end is
# also the last open moment before it, which the other branch then picks.


# --- the closure hooks: after_case_closed ----------------------------------------------------------------------------


@pytest.fixture
def one_campaign_per_trigger(campaign):
    Campaign.objects.update(active=False)
    return {
        trigger: Campaign.objects.create(
            key=f"on-{trigger}", name=str(trigger), trigger=trigger, coupon_value_fen=100, template=campaign.template
        )
        for trigger in (Trigger.AFTERSALES_CLOSED, Trigger.REVIEW_RESOLVED, Trigger.LOGISTICS_CLOSED)
    }


def _closed(agent, **fields):
    case = CaseFactory(status=Status.CLOSED, **fields)
    followups.after_case_closed(case=case, actor=agent)
    events = CaseEvent.objects.filter(case=case, type=EventType.FOLLOWUP_SCHEDULED)
    assert all(event.actor == agent for event in events)
    return sorted(FollowUp.objects.filter(case=case).values_list("campaign__trigger", flat=True))


def test_each_closure_schedules_its_own_trigger_by_whoever_closed(one_campaign_per_trigger, agent):
    assert _closed(agent, desk=Desk.AFTERSALES, resolution="exchanged") == [Trigger.AFTERSALES_CLOSED]
    assert _closed(agent, desk=Desk.AFTERSALES, resolution="rejected") == []
    assert _closed(agent, desk=Desk.AFTERSALES, resolution="") == []
    review = {"desk": Desk.AFTERSALES, "kind": CaseKind.REVIEW, "resolution": "rejected"}
    assert _closed(agent, **review, resolved_at=timezone.now()) == [Trigger.REVIEW_RESOLVED]
    assert _closed(agent, **review, resolved_at=None) == []
    assert _closed(agent, desk=Desk.LOGISTICS, resolution="") == [Trigger.LOGISTICS_CLOSED]


def test_a_refund_closed_schedules_its_follow_up_from_the_arrival_by_whoever_closed(one_campaign_per_trigger, agent):
    refund = Campaign.objects.create(
        key="refund",
        name="退款回访",
        trigger=Trigger.AFTERSALES_REFUND_CLOSED,
        coupon_value_fen=100,
        template=one_campaign_per_trigger[Trigger.REVIEW_RESOLVED].template,
    )
    case = CaseFactory(status=Status.CLOSED, desk=Desk.AFTERSALES, resolution="refunded")
    arrived = timezone.now().replace(microsecond=0) - dt.timedelta(hours=5)
    CaseEvent.objects.create(case=case, type=EventType.PAYOUT_SUCCEEDED, at=arrived, after={"kind": "refund"})
    followups.after_case_closed(case=case, actor=agent)
    followup = FollowUp.objects.get(case=case)
    assert (followup.campaign_id, followup.triggered_at) == (refund.pk, arrived)
    assert CaseEvent.objects.get(case=case, type=EventType.FOLLOWUP_SCHEDULED).actor == agent


# mutmut: x_schedule_followups__mutmut_17 (Calendar.for_store(None)) is equivalent: it loads the same settings row.


def test_a_tie_between_the_last_opening_before_the_window_and_the_first_after_it_goes_after():
    hours = Calendar(hours=dict.fromkeys(range(5), ((dt.time(9), dt.time(18, 30)),)), closed_days=frozenset())
    store = StoreSettings(followup_delay_min_hours=17, followup_delay_max_hours=48)
    campaign = Campaign(delay_min_hours=None, delay_max_hours=None)
    # Friday 18:00 is 16 hours before the window opens (Saturday 10:00); Monday 09:00 is 16 hours after it closes.
    due = followups.due_time(start=shanghai(2027, 3, 5, 17), campaign=campaign, store=store, calendar=hours)
    assert due == shanghai(2027, 3, 8, 9)


def test_the_race_for_a_case_and_campaign_returns_the_winners_follow_up(campaign, monkeypatch):
    rows = make_due(campaign, new_customers(2), due=timezone.now())
    waiting = Campaign.objects.create(
        key="wait", name="缺货等待", trigger=Trigger.OUT_OF_STOCK_WAIT, coupon_value_fen=500, template=campaign.template
    )
    FollowUp.objects.create(
        case=rows[0].case,
        campaign=waiting,
        customer_id=rows[0].customer_id,
        triggered_at=rows[0].due_at,
        due_at=rows[0].due_at,
    )
    real_filter = FollowUp.objects.filter

    def not_yet_there(*args, **lookups):
        # The other dispatcher's row was not committed yet when this one looked; its insert hits the unique key.
        return real_filter(pk__in=[]) if {"case", "campaign"} <= lookups.keys() else real_filter(*args, **lookups)

    monkeypatch.setattr(FollowUp.objects, "filter", not_yet_there)
    scheduled = followups.schedule_followups(trigger=campaign.trigger, case=rows[0].case, actor=None)
    assert rows[0].pk in [f.pk for f in scheduled]


def test_a_follow_up_due_this_very_moment_is_sent_after_commit(
    campaign, monkeypatch, django_capture_on_commit_callbacks
):
    BusinessHours.objects.all().delete()
    Campaign.objects.filter(pk=campaign.pk).update(delay_min_hours=0, delay_max_hours=0)
    calls = []
    monkeypatch.setattr(followups.dispatch, "enqueue", lambda name, *args: calls.append((name, *args)) or True)
    with time_machine.travel(timezone.now(), tick=False), django_capture_on_commit_callbacks(execute=True):
        scheduled = followups.schedule_followups(trigger=campaign.trigger, case=CaseFactory(), actor=None)
    (mine,) = [f for f in scheduled if f.campaign_id == campaign.pk]
    assert ("backoffice.tasks.dispatch_followup_task", mine.pk) in calls


def test_a_chunk_that_fails_is_logged_and_sent_one_by_one_with_the_sweeps_calendar(campaign, monkeypatch, caplog):
    # The store's own hours are closed now (open only tomorrow); the sweep's calendar has no hours.
    BusinessHours.objects.all().delete()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).weekday()
    BusinessHours.objects.create(settings=StoreSettings.load(), weekday=tomorrow)
    now = timezone.now()
    make_due(campaign, new_customers(2), due=now - dt.timedelta(minutes=1))

    def broken(rows, **kwargs):
        raise RuntimeError("chunk broke")

    monkeypatch.setattr(followups, "_send_chunk", broken)
    with caplog.at_level(logging.ERROR, logger=followups.logger.name):
        assert followups.dispatch_due(now=now, calendar=NO_HOURS) == {"sent": 2}
    assert caplog.messages == ["a chunk of 2 follow-ups failed as a whole; sending them one by one"]


def test_one_follow_up_is_recorded_at_the_moment_it_was_dispatched(campaign):
    sent, refused = make_due(campaign, new_customers(2), due=timezone.now() - dt.timedelta(minutes=1))
    assert followups.dispatch_followup(sent.pk, calendar=NO_HOURS) == "sent"
    Campaign.objects.filter(pk=campaign.pk).update(budget_fen=0)
    assert followups.dispatch_followup(refused.pk, calendar=NO_HOURS) == "refused"
    rows = {f.pk: f for f in FollowUp.objects.all()}
    sent_event = CaseEvent.objects.get(case_id=sent.case_id, type=EventType.FOLLOWUP_SENT)
    assert Coupon.objects.get(followup_id=sent.pk).issued_at == sent_event.at == rows[sent.pk].sent_at
    refused_event = CaseEvent.objects.get(case_id=refused.case_id, type=EventType.FOLLOWUP_REFUSED)
    assert refused_event.at == rows[refused.pk].closed_at


# mutmut: x_dispatch_chunk__mutmut_33, _36 and x__dispatch__mutmut_129, _132 (no store passed) are equivalent:
# dispatch_followup and case_variables then load the store's one settings row themselves.
# x__last_open_moment__mutmut_20 (span_end >= low) is equivalent: min(end, span_end) > low already implies it.
# x__record_refusals__mutmut_4 (note cut at 201) is equivalent: a refusal's text is far shorter than 200 characters.
# x__send_chunk__mutmut_97 (Cast(pk, None): the pk's own type) is equivalent: Concat turns the number into text anyway.


# --- the supervisors' reads: campaign_results, upcoming, recent_refusals ---------------------------------------------


def test_campaign_results_count_each_campaign_and_week_since_the_first_monday(campaign):
    State = FollowUp.State
    off = Campaign.objects.create(
        key="off",
        name="停用",
        trigger=Trigger.LOGISTICS_CLOSED,
        coupon_value_fen=500,
        template=campaign.template,
        active=False,
    )
    this_week, first_monday = shanghai(2027, 3, 8, 10), shanghai(2027, 1, 18)
    too_old = first_monday - dt.timedelta(minutes=1)
    rows = make_due(campaign, new_customers(7), due=this_week)
    (monday,) = make_due(campaign, new_customers(1), due=first_monday)
    (old,) = make_due(campaign, new_customers(1), due=too_old)
    (switched_off,) = make_due(off, new_customers(1), due=this_week)
    scheduled, sent, message_failed, refused, cancelled, failed, used = rows
    outcomes = {
        sent: (State.SENT, OutboundMessage.State.SENT, Coupon.State.ISSUED),
        message_failed: (State.SENT, OutboundMessage.State.FAILED, Coupon.State.ISSUED),
        refused: (State.REFUSED, None, None),
        cancelled: (State.CANCELLED, None, None),
        failed: (State.FAILED, None, None),
        used: (State.SENT, OutboundMessage.State.SENT, Coupon.State.USED),
        monday: (State.SENT, OutboundMessage.State.SENT, None),
        old: (State.SENT, OutboundMessage.State.SENT, Coupon.State.ISSUED),
        switched_off: (State.CANCELLED, None, None),
    }
    for row, (state, message_state, coupon_state) in outcomes.items():
        message = None
        if message_state:
            message = OutboundMessage.objects.create(
                customer_id=row.customer_id,
                body="hi",
                idempotency_key=f"r{row.pk}",
                state=message_state,
                send_after=row.due_at,
            )
        FollowUp.objects.filter(pk=row.pk).update(state=state, message=message)
        if coupon_state:
            Coupon.objects.create(
                customer_id=row.customer_id,
                value_fen=1000,
                valid_until=row.due_at,
                campaign=campaign,
                followup=row,
                state=coupon_state,
            )
    # The switched-off campaigns come after the active ones, an older one too.
    Campaign.objects.filter(pk=Campaign.objects.exclude(pk=campaign.pk).order_by("pk")[0].pk).update(active=False)
    zero = {"scheduled": 0, "sent": 0, "failed": 0, "refused": 0, "cancelled": 0, "coupons_issued": 0, "used": 0}
    results = followups.campaign_results(now=shanghai(2027, 3, 10, 12))
    assert results["since"] == dt.date(2027, 1, 18)
    expected_order = [c.pk for c in Campaign.objects.filter(active=True).order_by("pk")] + [
        c.pk for c in Campaign.objects.filter(active=False).order_by("pk")
    ]
    by_pk = {c.pk: c for c in results["campaigns"]}
    assert list(by_pk) == expected_order
    this, first = by_pk[campaign.pk].weeks
    assert this == {
        "campaign_id": campaign.pk,
        "week": dt.date(2027, 3, 8),
        "scheduled": 1,
        "sent": 2,
        "failed": 2,
        "refused": 1,
        "cancelled": 1,
        "coupons_issued": 3,
        "used": 1,
        "issued_fen": 3000,
    }
    assert first == {"campaign_id": campaign.pk, "week": dt.date(2027, 1, 18), **zero, "sent": 1, "issued_fen": 0}
    assert by_pk[off.pk].weeks == [
        {"campaign_id": off.pk, "week": dt.date(2027, 3, 8), **zero, "cancelled": 1, "issued_fen": 0}
    ]
    assert all(c.weeks == [] for pk, c in by_pk.items() if pk not in (campaign.pk, off.pk))
    mine = by_pk[campaign.pk]
    assert {name: getattr(mine, name) for name in (*zero, "issued_fen")} == {
        **zero,
        "scheduled": 1,
        "sent": 4,
        "failed": 2,
        "refused": 1,
        "cancelled": 1,
        "coupons_issued": 4,
        "used": 1,
        "issued_fen": 4000,
    }
    assert results["totals"] == {
        **zero,
        "scheduled": 1,
        "sent": 4,
        "failed": 2,
        "refused": 1,
        "cancelled": 2,
        "coupons_issued": 4,
        "used": 1,
        "issued_fen": 4000,
    }


# mutmut: x_campaign_results__mutmut_28 (order_by("-week") alone) is equivalent: rows are grouped by campaign in
# Python, each campaign's weeks still newest first. x_campaign_results__mutmut_37, _39 (TruncWeek without the
# default zone) are equivalent: outside a request the current time zone is the default one. x_campaign_results__
# mutmut_58 (always week.date()) is equivalent: a week truncated from a datetime column is a datetime.
# x__result_counts__mutmut_6 (Count("pk") over a campaign) is equivalent: the joins to a follow-up's one coupon and
# one message never repeat a follow-up, so counting the campaign's joined rows counts its follow-ups.


def test_upcoming_and_recent_refusals_take_twenty_in_order_with_their_case_campaign_and_customer(
    campaign, django_assert_num_queries
):
    now = timezone.now()
    due = make_due(campaign, new_customers(22), due=now)
    FollowUp.objects.filter(pk=due[0].pk).update(due_at=now + dt.timedelta(hours=1))
    FollowUp.objects.filter(pk=due[1].pk).update(state=FollowUp.State.SENT)
    with django_assert_num_queries(1):
        upcoming = followups.upcoming()
        assert all(f.case.number and f.campaign.key and f.customer.pk for f in upcoming)
    assert [f.pk for f in upcoming] == [f.pk for f in due[2:22]]
    refused = make_due(campaign, new_customers(22), due=now)
    FollowUp.objects.filter(pk__in=[f.pk for f in refused]).update(state=FollowUp.State.REFUSED, closed_at=now)
    FollowUp.objects.filter(pk=refused[-1].pk).update(closed_at=now - dt.timedelta(hours=1))
    FollowUp.objects.filter(pk=refused[-2].pk).update(state=FollowUp.State.FAILED, closed_at=now)
    with django_assert_num_queries(1):
        recent = followups.recent_refusals()
        assert all(f.case.number and f.campaign.key and f.customer.pk for f in recent)
    assert [f.pk for f in recent] == [f.pk for f in reversed(refused[1:-1])]


# mutmut: x_upcoming__mutmut_6 (order_by("due_at") without "pk") is equivalent on SQLite because ties come in rowid
# order, which is the pk.


# --- the survey link inside the follow-up: followup_extra_variables(_for) ----------------------------------------------


def _closed_with_a_survey_for_the_follow_up():
    survey_settings = SurveySettings.load()
    survey_settings.delivery = SurveySettings.Delivery.IN_FOLLOWUP
    survey_settings.save()
    case = CaseFactory(status=Status.RESOLVED)
    casework.transition_case(case=case, to=Status.CLOSED, note="已处理")
    return case


def _line(url):
    return f" 本次服务您满意吗？点此评价：{url}"


def test_the_follow_up_carries_the_survey_link_of_its_case(db):
    values = followups.followup_extra_variables(_closed_with_a_survey_for_the_follow_up())
    assert values["survey_url"].startswith("http://127.0.0.1:8000/s/")
    assert values == {"survey_url": values["survey_url"], "survey_line": _line(values["survey_url"])}
    assert followups.followup_extra_variables(CaseFactory()) == {"survey_url": "", "survey_line": ""}


def test_a_chunk_asks_for_the_survey_link_only_for_its_cases_with_a_survey_to_send(db):
    elsewhere = _closed_with_a_survey_for_the_follow_up()
    surveyed, plain = _closed_with_a_survey_for_the_follow_up(), CaseFactory()
    values = followups.followup_extra_variables_for([surveyed, plain])
    url = values[surveyed.pk]["survey_url"]
    assert url.startswith("http://127.0.0.1:8000/s/")
    assert values == {
        surveyed.pk: {"survey_url": url, "survey_line": _line(url)},
        plain.pk: {"survey_url": "", "survey_line": ""},
    }
    # The other case's survey was not asked for: its link is still to be issued.
    assert followups.followup_extra_variables(elsewhere)["survey_url"].startswith("http://127.0.0.1:8000/s/")


# mutmut: x_followup_extra_variables_for__mutmut_5 (values_list(flat=True) without "pk") is equivalent: a flat
# values_list of no field gives the pk. x_followup_extra_variables_for__mutmut_10 (every case with a survey to send,
# not only the chunk's) is equivalent: only the chunk's cases are looked up in it (a cost, not a behaviour).
# mutmut: x_campaign_results__mutmut_14, _18, _21 (the first Monday's midnight without its zone) are equivalent:
# Django reads a naive datetime in the default time zone (with a warning).
# mutmut: x_followup_extra_variables__mutmut_9, _11, _14 and x_followup_extra_variables_for__mutmut_36, _38, _41 (the
# default of values.get("survey_url", ...)) are equivalent: the key is always there. x_followup_extra_variables_for__
# mutmut_12 (surveys already sent counted as waiting) is equivalent: followup_survey_url gives "" for a sent survey.
