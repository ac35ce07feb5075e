"""Follow-ups sent a chunk at a time: the same rules row by row, the claim and the budget as conditional updates,
a failing row recorded on that row, and every one of 10,000 due follow-ups sent exactly once."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice import dispatch, tasks
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import (
    BusinessHours,
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    Coupon,
    Customer,
    Desk,
    EventType,
    FollowUp,
    OutboundMessage,
    Status,
    Trigger,
)
from tests.factories import CustomerFactory, shanghai

WEDNESDAY_2PM = shanghai(2026, 11, 25, 14, 0)
SOURCE = "test-chunks"


@pytest.fixture
def campaign(db, a9) -> Campaign:
    """A campaign on any after-sales closure, cap 1 in 30 days, no budget."""
    return Campaign.objects.create(
        key="chunks", name="回访", trigger=Trigger.AFTERSALES_CLOSED, coupon_value_fen=1000, template=a9.template
    )


def make_due(campaign: Campaign, customers: list[int], *, due: dt.datetime) -> list[FollowUp]:
    """One closed case and one due follow-up per entry of `customers` (a customer may come more than once)."""
    start = Case.objects.filter(source=SOURCE).count()
    Case.objects.bulk_create(
        Case(
            number=f"TC-{start + i:07d}",
            desk=Desk.AFTERSALES,
            kind=CaseKind.REFUND,
            status=Status.CLOSED,
            resolution="refunded",
            customer_id=customer_id,
            source=SOURCE,
            closed_at=due,
        )
        for i, customer_id in enumerate(customers)
    )
    cases = Case.objects.filter(source=SOURCE).order_by("pk").values_list("pk", "customer_id")[start:]
    return FollowUp.objects.bulk_create(
        FollowUp(case_id=case_id, campaign=campaign, customer_id=customer_id, due_at=due, triggered_at=due)
        for case_id, customer_id in cases
    )


def new_customers(n: int) -> list[int]:
    first = Customer.objects.filter(pdd_user_id__startswith="tc-").count()
    Customer.objects.bulk_create(Customer(pdd_user_id=f"tc-{first + i}", nickname=f"买家{i}") for i in range(n))
    return list(Customer.objects.filter(pdd_user_id__startswith="tc-").order_by("pk").values_list("pk", flat=True))[
        first:
    ]


# --- the claim ----------------------------------------------------------------------------------------------------


def test_the_chunk_claim_turns_every_due_scheduled_row_to_sent_once(campaign):
    now = timezone.now()
    rows = make_due(campaign, new_customers(3), due=now - dt.timedelta(minutes=1))
    claimed = followups.claim_chunk(rows, now=now)
    assert [row.pk for row in claimed] == [row.pk for row in rows]
    assert list(FollowUp.objects.values_list("state", "attempts", "sent_at").distinct()) == [
        (FollowUp.State.SENT, 1, now)
    ]


@pytest.mark.parametrize("taken", ["sent elsewhere", "not due yet", "cancelled"])
def test_the_chunk_claim_refuses_a_chunk_with_a_row_someone_else_changed(campaign, taken):
    now = timezone.now()
    rows = make_due(campaign, new_customers(3), due=now - dt.timedelta(minutes=1))
    other = rows[1]
    earlier = now - dt.timedelta(minutes=5)
    change = {
        "sent elsewhere": {"state": FollowUp.State.SENT, "sent_at": earlier, "attempts": 1},
        "not due yet": {"due_at": now + dt.timedelta(minutes=1)},
        "cancelled": {"state": FollowUp.State.CANCELLED},
    }[taken]
    FollowUp.objects.filter(pk=other.pk).update(**change)
    before = FollowUp.objects.values().get(pk=other.pk)
    with pytest.raises(followups.ClaimLost):
        followups.claim_chunk(rows, now=now)
    # The update ran over the chunk (the dispatcher rolls it back); the row that was not claimable is untouched.
    assert FollowUp.objects.values().get(pk=other.pk) == before


def test_a_chunk_whose_claim_fails_is_rolled_back_and_sent_one_by_one(campaign, monkeypatch):
    with time_machine.travel(WEDNESDAY_2PM, tick=False):
        make_due(campaign, new_customers(3), due=timezone.now() - dt.timedelta(minutes=1))
        real_claim = followups.claim_chunk

        def claim_after_another_dispatcher(rows, *, now):
            FollowUp.objects.filter(pk=rows[0].pk).update(state=FollowUp.State.CANCELLED)
            return real_claim(rows, now=now)

        monkeypatch.setattr(followups, "claim_chunk", claim_after_another_dispatcher)
        results = followups.dispatch_due()
    # Nothing of the chunk stayed (the change made inside it neither), then each row went out on its own claim.
    assert results == {"sent": 3}
    assert Coupon.objects.count() == 3 and OutboundMessage.objects.count() == 3
    assert set(FollowUp.objects.values_list("state", "attempts")) == {(FollowUp.State.SENT, 1)}
    assert CaseEvent.objects.filter(type=EventType.FOLLOWUP_SENT).count() == 3


# --- caps and budgets for a chunk ---------------------------------------------------------------------------------


def test_caps_count_earlier_coupons_and_the_chunks_own_rows(campaign):
    now = timezone.now()
    fresh, had_one, had_old, other_campaign = new_customers(4)
    Coupon.objects.create(customer_id=had_one, value_fen=1, valid_until=now, campaign=campaign, issued_at=now)
    Coupon.objects.create(
        customer_id=had_old, value_fen=1, valid_until=now, campaign=campaign, issued_at=now - dt.timedelta(days=31)
    )
    another = Campaign.objects.create(
        key="other", name="x", trigger=Trigger.AFTERSALES_CLOSED, coupon_value_fen=1, template=campaign.template
    )
    Coupon.objects.create(customer_id=other_campaign, value_fen=1, valid_until=now, campaign=another, issued_at=now)
    rows = make_due(campaign, [fresh, fresh, had_one, had_old, other_campaign], due=now)
    rows = list(FollowUp.objects.select_related("campaign").filter(pk__in=[r.pk for r in rows]).order_by("pk"))
    refusals = followups.chunk_refusals(rows, now=now)
    assert {pk: code for pk, (code, _text) in refusals.items()} == {rows[1].pk: "cap", rows[2].pk: "cap"}
    assert "1" in refusals[rows[2].pk][1] and "30" in refusals[rows[2].pk][1]
    # No budget: nothing reserved (the spend is added once the chunk is written).
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 0


def test_a_cap_of_two_lets_two_through_in_one_chunk(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_customer=2)
    now = timezone.now()
    (customer,) = new_customers(1)
    rows = make_due(campaign, [customer] * 3, due=now)
    rows = list(FollowUp.objects.select_related("campaign").order_by("pk"))
    assert list(followups.chunk_refusals(rows, now=now)) == [rows[2].pk]


def test_the_budget_is_taken_for_the_chunk_at_once_and_never_passed(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(budget_fen=3500)
    campaign.refresh_from_db()
    assert followups.reserve_budget(campaign, 2) == 2
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 2000
    assert followups.reserve_budget(campaign, 5) == 1
    assert followups.reserve_budget(campaign, 5) == 0
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3000


def test_the_budget_is_checked_against_the_spend_in_the_database_not_the_one_read_earlier(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(budget_fen=5000)
    campaign.refresh_from_db()  # spent 0 as read
    Campaign.objects.filter(pk=campaign.pk).update(spent_fen=4000)  # another dispatcher spent meanwhile
    assert followups.reserve_budget(campaign, 3) == 1
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 5000
    Campaign.objects.filter(pk=campaign.pk).update(spent_fen=4500)
    campaign.spent_fen = 0
    assert followups.reserve_budget(campaign, 3) == 0
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 4500


def test_a_chunk_refuses_past_the_budget_in_order_and_records_why(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(budget_fen=2500)
    BusinessHours.objects.all().delete()
    rows = make_due(campaign, new_customers(4), due=timezone.now() - dt.timedelta(minutes=1))
    assert followups.dispatch_due() == {"sent": 2, "refused": 2}
    states = dict(FollowUp.objects.values_list("pk", "state"))
    assert [states[row.pk] for row in rows] == ["sent", "sent", "refused", "refused"]
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 2000
    refused = FollowUp.objects.filter(state=FollowUp.State.REFUSED)
    assert all(f.note and f.sent_at is None and f.closed_at for f in refused)
    events = CaseEvent.objects.filter(type=EventType.FOLLOWUP_REFUSED)
    assert sorted(e.after["reason"] for e in events) == ["budget", "budget"]
    assert {e.target for e in events} == {f"followup:{f.pk}" for f in refused}


def test_a_campaign_without_a_budget_counts_what_it_issued(campaign):
    BusinessHours.objects.all().delete()
    make_due(campaign, new_customers(3), due=timezone.now() - dt.timedelta(minutes=1))
    assert followups.dispatch_due() == {"sent": 3}
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 3000


# --- the rest of the rules, per row, inside a chunk ---------------------------------------------------------------


def test_one_row_failing_is_recorded_on_that_row_and_the_rest_of_the_chunk_goes_out(campaign, monkeypatch):
    BusinessHours.objects.all().delete()
    rows = make_due(campaign, new_customers(3), due=timezone.now() - dt.timedelta(minutes=1))
    broken = rows[1].case_id
    real = outbox.case_variables

    def variables(case, **kwargs):
        if case.pk == broken:
            raise ValueError("bad address")
        return real(case, **kwargs)

    monkeypatch.setattr(outbox, "case_variables", variables)
    assert followups.dispatch_due() == {"sent": 2, "retry": 1}
    failed = FollowUp.objects.get(pk=rows[1].pk)
    assert (failed.state, failed.attempts, failed.last_error) == (FollowUp.State.SCHEDULED, 1, "bad address")
    assert failed.due_at > timezone.now()
    assert Coupon.objects.count() == 2 and not Coupon.objects.filter(case_id=broken).exists()
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == 2000


def test_a_chunk_sends_each_row_with_its_own_coupon_message_and_timeline(campaign, django_capture_on_commit_callbacks):
    BusinessHours.objects.all().delete()
    rows = make_due(campaign, new_customers(2), due=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert followups.dispatch_due() == {"sent": 2}
    assert len(callbacks) == 1  # the chunk's messages go to the workers in groups, not one task each
    for row in rows:
        followup = FollowUp.objects.select_related("message", "coupon").get(pk=row.pk)
        message, coupon = followup.message, followup.coupon
        assert message.idempotency_key == f"followup:{row.pk}" and coupon.code in message.body
        assert message.state == OutboundMessage.State.SENT
        sent = CaseEvent.objects.get(case_id=row.case_id, type=EventType.FOLLOWUP_SENT)
        assert sent.target == f"coupon:{coupon.pk}" and sent.after["message"] == message.pk
        assert CaseEvent.objects.filter(
            case_id=row.case_id, type=EventType.OUTBOUND_QUEUED, target=f"outbound:{message.pk}"
        ).exists()


def test_a_message_key_queued_before_is_kept_not_queued_again(campaign):
    BusinessHours.objects.all().delete()
    (row,) = make_due(campaign, new_customers(1), due=timezone.now() - dt.timedelta(minutes=1))
    earlier = outbox.queue_message(customer=row.customer, body="早先", idempotency_key=f"followup:{row.pk}")
    assert followups.dispatch_due() == {"sent": 1}
    assert FollowUp.objects.get(pk=row.pk).message_id == earlier.pk
    assert OutboundMessage.objects.count() == 1


def test_at_night_every_due_row_moves_to_the_opening_and_no_other_row_changes(campaign):
    night = shanghai(2026, 11, 27, 2, 0)
    with time_machine.travel(night, tick=False):
        due = make_due(campaign, new_customers(2), due=night - dt.timedelta(hours=1))
        later = make_due(campaign, new_customers(1), due=night + dt.timedelta(days=3))
        FollowUp.objects.filter(pk=due[1].pk).update(state=FollowUp.State.SENT)
        assert followups.dispatch_due() == {"deferred": 1}
    due_at = dict(FollowUp.objects.values_list("pk", "due_at"))
    assert timezone.localtime(due_at[due[0].pk]) == shanghai(2026, 11, 27, 9, 0)
    assert due_at[due[1].pk] == due[1].due_at and due_at[later[0].pk] == later[0].due_at


def test_a_chunk_costs_a_few_statements_whatever_its_size(campaign):
    BusinessHours.objects.all().delete()
    make_due(campaign, new_customers(200), due=timezone.now() - dt.timedelta(minutes=1))
    with CaptureQueriesContext(connection) as queries:
        assert followups.dispatch_due() == {"sent": 200}
    assert len(queries) < 40, [q["sql"][:80] for q in queries]


# --- the sweep: chains of chunk tasks within the tick -------------------------------------------------------------


def test_the_sweep_starts_one_chain_per_worker_slot_when_more_is_due_each_expiring_with_the_tick(campaign, monkeypatch):
    BusinessHours.objects.all().delete()
    monkeypatch.setattr(followups, "CHUNK", 3)
    monkeypatch.setattr(tasks, "worker_slots", lambda: 2)
    make_due(campaign, new_customers(7), due=timezone.now() - dt.timedelta(minutes=1))
    queued = []
    monkeypatch.setattr(
        tasks.dispatch_followup_chunk, "apply_async", lambda args, expires: queued.append((args, expires))
    )
    assert tasks.sweep_followups() == {"sent": 3}
    assert len(queued) == 2
    (deadline,), expires = queued[0]
    assert 40 <= deadline - timezone.now().timestamp() <= tasks.FOLLOWUP_SWEEP_SECONDS
    assert expires == dt.datetime.fromtimestamp(deadline, tz=dt.UTC)


def test_a_sweep_with_one_chunk_or_less_due_starts_no_chain(campaign, monkeypatch):
    BusinessHours.objects.all().delete()
    make_due(campaign, new_customers(2), due=timezone.now() - dt.timedelta(minutes=1))
    monkeypatch.setattr(tasks, "_next_chunk", lambda deadline: pytest.fail("no chain needed"))
    assert tasks.sweep_followups() == {"sent": 2}


def test_a_chain_task_sends_one_chunk_then_queues_the_next_as_a_new_message(campaign, monkeypatch):
    BusinessHours.objects.all().delete()
    monkeypatch.setattr(followups, "CHUNK", 3)
    make_due(campaign, new_customers(7), due=timezone.now() - dt.timedelta(minutes=1))
    queued = []
    monkeypatch.setattr(tasks, "_next_chunk", queued.append)
    deadline = timezone.now().timestamp() + 30
    assert tasks.dispatch_followup_chunk.run(deadline) == {"sent": 3}
    assert queued == [deadline]


def test_a_chain_stops_when_the_ticks_time_is_up(campaign, monkeypatch):
    BusinessHours.objects.all().delete()
    monkeypatch.setattr(followups, "CHUNK", 3)
    make_due(campaign, new_customers(7), due=timezone.now() - dt.timedelta(minutes=1))
    monkeypatch.setattr(tasks, "_next_chunk", lambda deadline: pytest.fail("past the deadline"))
    assert tasks.dispatch_followup_chunk.run(timezone.now().timestamp() - 1) == {"sent": 3}
    assert FollowUp.objects.filter(state=FollowUp.State.SCHEDULED).count() == 4


def test_the_outbox_sweep_sends_the_groups_itself_when_the_broker_refuses_them(db, monkeypatch):
    customer = CustomerFactory()
    messages = [outbox.queue_message(customer=customer, body="hi", idempotency_key=f"k{i}") for i in range(3)]

    tries = []

    def broker_down(*args, **kwargs):
        tries.append(args)
        raise ConnectionError("redis down")

    monkeypatch.setattr(outbox, "DELIVERY_GROUP", 2)
    monkeypatch.setattr(tasks.deliver_messages, "apply_async", broker_down)
    assert tasks.sweep_outbox() == 3
    assert len(tries) == 1  # once refused, the sweep does not ask the broker again for each group
    assert set(OutboundMessage.objects.filter(pk__in=[m.pk for m in messages]).values_list("state", flat=True)) == {
        OutboundMessage.State.SENT
    }


def test_queued_messages_go_to_the_workers_in_groups(db, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(outbox, "DELIVERY_GROUP", 2)
    monkeypatch.setattr(dispatch, "_broker_down_until", 0.0)
    sent = []
    monkeypatch.setattr(tasks.deliver_messages, "delay", lambda ids: sent.append(ids))
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        messages = outbox.queue_messages(
            [OutboundMessage(customer=customer, body="hi", idempotency_key=f"g{i}") for i in range(5)]
        )
    assert sent == [[m.pk for m in messages[:2]], [m.pk for m in messages[2:4]], [messages[4].pk]]


# --- 10,000 due at once -------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="10,000 rows take a minute on SQLite: set DATABASE_URL")
def test_ten_thousand_due_are_each_sent_exactly_once_with_caps_and_budgets_kept(campaign, a9):
    many_due_are_each_sent_exactly_once_with_caps_and_budgets_kept(campaign, a9, n=10_000)


def test_many_due_are_each_sent_exactly_once_with_caps_and_budgets_kept(campaign, a9):
    """The same at SQLite's pace: a few chunks, chains included."""
    many_due_are_each_sent_exactly_once_with_caps_and_budgets_kept(campaign, a9, n=1_200)


def many_due_are_each_sent_exactly_once_with_caps_and_budgets_kept(campaign, a9, *, n: int):
    BusinessHours.objects.all().delete()
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(budget_fen=n * 1000)
    customers = new_customers(n)
    main = make_due(campaign, customers, due=now - dt.timedelta(minutes=5))
    # A second campaign: 150 customers twice each (cap 1 refuses the second), budget for 100 of the other 150.
    capped = Campaign.objects.create(
        key="capped",
        name="限额回访",
        trigger=Trigger.AFTERSALES_CLOSED,
        coupon_value_fen=500,
        budget_fen=100 * 500,
        template=a9.template,
    )
    twice = make_due(capped, customers[:150] * 2, due=now - dt.timedelta(minutes=1))
    # Some went out one by one already (a task queued on commit), before the sweep.
    for followup in main[:5]:
        assert followups.dispatch_followup(followup.pk) == "sent"

    # The sweep sends its own chunk; eager, the chains it starts run here, until nothing is due or the tick's time is
    # up (on a slow machine the next ticks carry on).
    assert tasks.sweep_followups() == {"sent": followups.CHUNK}
    for _tick in range(20):
        if tasks.sweep_followups() == {}:
            break
    assert not FollowUp.objects.filter(state=FollowUp.State.SCHEDULED).exists()

    states = Counter(FollowUp.objects.filter(campaign=campaign).values_list("state", flat=True))
    assert states == {FollowUp.State.SENT: n}
    by_coupon = Counter(Coupon.objects.filter(campaign=campaign).values_list("followup_id", flat=True))
    assert len(by_coupon) == n and set(by_coupon.values()) == {1}
    assert set(by_coupon) == {f.pk for f in main}
    keys = Counter(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == n + 100 and set(keys.values()) == {1}
    sent_events = Counter(CaseEvent.objects.filter(type=EventType.FOLLOWUP_SENT).values_list("case_id", flat=True))
    assert len(sent_events) == n + 100 and set(sent_events.values()) == {1}
    assert Campaign.objects.get(pk=campaign.pk).spent_fen == n * 1000

    second = Counter(FollowUp.objects.filter(campaign=capped).values_list("state", flat=True))
    assert second == {FollowUp.State.SENT: 100, FollowUp.State.REFUSED: 200}
    per_customer = Counter(Coupon.objects.filter(campaign=capped).values_list("customer_id", flat=True))
    assert len(per_customer) == 100 and set(per_customer.values()) == {1}
    assert Campaign.objects.get(pk=capped.pk).spent_fen == 100 * 500
    reasons = Counter(CaseEvent.objects.filter(type=EventType.FOLLOWUP_REFUSED).values_list("after__reason", flat=True))
    # As if sent one by one: the first 100 customers' second follow-ups meet the cap; the other 50 customers got
    # no coupon (budget), so their second follow-ups pass the cap and meet the budget.
    assert reasons == {"cap": 100, "budget": 100}
    assert {f.pk for f in twice} == set(FollowUp.objects.filter(campaign=capped).values_list("pk", flat=True))


# --- the outbox in groups -----------------------------------------------------------------------------------------


@pytest.fixture
def pending(db):
    customer = CustomerFactory()
    return [outbox.queue_message(customer=customer, body=f"hi {i}", idempotency_key=f"p{i}") for i in range(4)]


def test_a_group_is_claimed_at_once_and_only_its_pending_due_messages_are_sent(pending):
    first, taken, later, last = pending
    OutboundMessage.objects.filter(pk=taken.pk).update(state=OutboundMessage.State.SENDING, attempts=1)
    OutboundMessage.objects.filter(pk=later.pk).update(send_after=timezone.now() + dt.timedelta(minutes=5))
    assert outbox.deliver_many([m.pk for m in pending]) == {"sent": 2, "skipped": 2}
    rows = {m.pk: m for m in OutboundMessage.objects.all()}
    assert [(rows[m.pk].state, rows[m.pk].attempts) for m in pending] == [
        (OutboundMessage.State.SENT, 1),
        (OutboundMessage.State.SENDING, 1),
        (OutboundMessage.State.PENDING, 0),
        (OutboundMessage.State.SENT, 1),
    ]
    assert outbox.deliver_many([first.pk, last.pk]) == {"skipped": 2}


@pytest.mark.parametrize("taken", ["sent elsewhere", "not due yet"])
def test_a_group_claim_refuses_a_message_someone_else_changed(pending, taken):
    now = timezone.now()
    read = outbox.lock_pending([m.pk for m in pending], now=now)
    change = {
        "sent elsewhere": {"state": OutboundMessage.State.SENT, "attempts": 1},
        "not due yet": {"send_after": now + dt.timedelta(minutes=1)},
    }[taken]
    OutboundMessage.objects.filter(pk=pending[1].pk).update(**change)
    before = OutboundMessage.objects.values().get(pk=pending[1].pk)
    with pytest.raises(outbox.ClaimLost):
        outbox.claim_group(read, now=now)
    assert OutboundMessage.objects.values().get(pk=pending[1].pk) == before


def test_one_failing_message_of_a_group_is_retried_on_its_own(pending, monkeypatch):
    from backoffice.messaging import channels

    def send(self, message):
        if message.pk == pending[2].pk:
            raise ConnectionError("gateway said no")

    monkeypatch.setattr(channels.LocalBackend, "send", send)
    assert outbox.deliver_many([m.pk for m in pending]) == {"sent": 3, "retry": 1}
    failed = OutboundMessage.objects.get(pk=pending[2].pk)
    assert (failed.state, failed.attempts, failed.last_error) == (OutboundMessage.State.PENDING, 1, "gateway said no")
    assert failed.send_after > timezone.now()


def test_a_slow_gateway_puts_the_rest_of_the_group_back_before_the_stale_window(pending, monkeypatch):
    import time

    from backoffice.messaging import channels

    monkeypatch.setattr(outbox, "stale_sending_after", lambda: dt.timedelta(seconds=0.4))
    monkeypatch.setattr(channels.LocalBackend, "send", lambda self, message: time.sleep(0.25))
    assert outbox.deliver_many([m.pk for m in pending]) == {"sent": 1, "requeued": 3}
    rows = {m.pk: (m.state, m.attempts) for m in OutboundMessage.objects.all()}
    assert rows[pending[0].pk] == (OutboundMessage.State.SENT, 1)
    assert {rows[m.pk] for m in pending[1:]} == {(OutboundMessage.State.PENDING, 0)}


def test_a_group_records_each_sent_message_on_its_case_with_its_attempt(db):
    customer = CustomerFactory()
    case = Case.objects.create(number="TC-1", desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=customer)
    messages = [
        outbox.queue_message(customer=customer, case=case, body="hi", idempotency_key=f"c{i}") for i in range(2)
    ]
    OutboundMessage.objects.filter(pk=messages[1].pk).update(attempts=2)
    assert outbox.deliver_many([m.pk for m in messages]) == {"sent": 2}
    events = CaseEvent.objects.filter(case=case, type=EventType.OUTBOUND_SENT).order_by("target")
    assert sorted((e.target, e.after["attempt"]) for e in events) == [
        (f"outbound:{messages[0].pk}", 1),
        (f"outbound:{messages[1].pk}", 3),
    ]


def test_a_message_overtaken_by_a_later_attempt_is_left_to_that_attempt(pending, monkeypatch):
    from backoffice.messaging import channels

    def send(self, message):
        if message.pk == pending[0].pk:
            # Meanwhile the row was taken for dead, released and claimed again by another worker (attempt 2).
            OutboundMessage.objects.filter(pk=message.pk).update(attempts=2)

    monkeypatch.setattr(channels.LocalBackend, "send", send)
    assert outbox.deliver_many([m.pk for m in pending]) == {"sent": 3, "superseded": 1}
    overtaken = OutboundMessage.objects.get(pk=pending[0].pk)
    assert (overtaken.state, overtaken.attempts, overtaken.sent_at) == (OutboundMessage.State.SENDING, 2, None)
