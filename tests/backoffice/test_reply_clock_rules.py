"""The customer's wait (R1), the automatic replies (R2/A6) and the agent's reply at their edges: when the clock starts,
what stops it, what each entry on the timeline says.

Written against `make mutate MUTANTS='backoffice.cases.services*'` (record_customer_message, start_wait,
stop_reply_clock, _auto_reply, reply_to_customer): each test pins a state a plausible slip would change.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import (
    AutoReplyRule,
    Case,
    CaseEvent,
    EventType,
    MessageTemplate,
    OutboundMessage,
    ResponseWait,
    Status,
    StoreSettings,
)
from backoffice.store.businesshours import Calendar
from tests.factories import AgentFactory, AutoReplyRuleFactory, CaseFactory, MessageTemplateFactory, shanghai

pytestmark = pytest.mark.django_db

# Default hours: the store 09:00–23:00 every day, the platform's R1 window 08:00–23:00.
TEN = shanghai(2026, 3, 4, 10)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _case(**fields):
    fields.setdefault("status", Status.IN_PROGRESS)
    return CaseFactory(**fields)


@pytest.fixture
def own_rules(db):
    """The store's seeded keyword rules out of the way: only the test's own rules answer."""
    AutoReplyRule.objects.all().delete()


def _auto(case):
    return list(CaseEvent.objects.filter(case=case, type=EventType.AUTO_REPLY).order_by("pk"))


# --- the customer writes ------------------------------------------------------------------------------------------


def test_the_first_message_starts_a_wait_due_three_business_minutes_later_on_both_clocks():
    case = _case(resolve_due=TEN + dt.timedelta(hours=48))
    event = casework.record_customer_message(case=case, body="在吗", at=TEN, external_id="m-1")
    assert (event.case, event.type, event.body, event.at, event.external_id, event.actor) == (
        case,
        EventType.CUSTOMER_MESSAGE,
        "在吗",
        TEN,
        "m-1",
        None,
    )
    (wait,) = ResponseWait.objects.filter(case=case)
    due = TEN + dt.timedelta(minutes=3)
    assert (wait.started_at, wait.due_at, wait.window_due_at, wait.answered_at, wait.ended_at) == (
        TEN,
        due,
        due,
        None,
        None,
    )
    row = Case.objects.get(pk=case.pk)
    for c in (row, case):
        assert (c.awaiting_reply_since, c.first_response_due, c.due_at) == (TEN, due, due)
    assert row.updated_at == TEN
    assert _auto(case) == []  # in hours, no keyword


def test_the_wait_follows_the_stores_reply_minutes():
    store = StoreSettings.load()
    store.first_response_minutes = 10
    store.save()
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    assert ResponseWait.objects.get(case=case).due_at == TEN + dt.timedelta(minutes=10)


def test_a_message_before_the_store_opens_but_inside_the_platforms_window_has_two_deadlines():
    case = _case()
    early = shanghai(2026, 3, 4, 8, 30)
    casework.record_customer_message(case=case, body="在吗", at=early)
    wait = ResponseWait.objects.get(case=case)
    assert (wait.due_at, wait.window_due_at) == (shanghai(2026, 3, 4, 9, 3), shanghai(2026, 3, 4, 8, 33))


def test_a_message_outside_the_platforms_window_has_no_window_deadline():
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=shanghai(2026, 3, 4, 7, 30))
    wait = ResponseWait.objects.get(case=case)
    assert (wait.due_at, wait.window_due_at) == (shanghai(2026, 3, 4, 9, 3), None)


def test_the_nearest_deadline_wins_when_the_case_has_an_earlier_one():
    case = _case(resolve_due=TEN + dt.timedelta(minutes=1))
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    assert Case.objects.get(pk=case.pk).due_at == TEN + dt.timedelta(minutes=1)


def test_later_messages_join_the_open_wait_and_a_new_wait_starts_after_an_answer():
    agent = AgentFactory()
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    casework.record_customer_message(case=case, body="？？", at=TEN + dt.timedelta(minutes=2))
    assert ResponseWait.objects.filter(case=case).count() == 1
    assert Case.objects.get(pk=case.pk).awaiting_reply_since == TEN
    casework.stop_reply_clock(case=case, actor=agent, answer="reply", at=TEN + dt.timedelta(minutes=4))
    later = TEN + dt.timedelta(hours=1)
    casework.record_customer_message(case=case, body="还有一个问题", at=later)
    waits = list(ResponseWait.objects.filter(case=case).order_by("pk"))
    assert [w.started_at for w in waits] == [TEN, later]
    assert Case.objects.get(pk=case.pk).awaiting_reply_since == later


# mutmut: x_record_customer_message__mutmut_6 (Calendar.for_store(None)) is equivalent: the one store's hours either way.
# mutmut: x_record_customer_message__mutmut_10 (check external_id=None) is equivalent: the unique constraint drops it.
def test_a_repeated_delivery_is_stored_once():
    case = _case()
    assert casework.record_customer_message(case=case, body="在吗", at=TEN, external_id="m-1") is not None
    assert casework.record_customer_message(case=case, body="在吗", at=TEN, external_id="m-1") is None
    assert CaseEvent.objects.filter(case=case, type=EventType.CUSTOMER_MESSAGE).count() == 1


def test_messages_without_an_external_id_are_each_stored():
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    assert CaseEvent.objects.filter(case=case, type=EventType.CUSTOMER_MESSAGE).count() == 2


def test_a_message_without_a_time_is_now():
    case = _case()
    with time_machine.travel(TEN, tick=False):
        event = casework.record_customer_message(case=case, body="在吗")
    assert event.at == TEN
    assert ResponseWait.objects.get(case=case).started_at == TEN


@pytest.mark.parametrize("status", [Status.WAITING, Status.RESOLVED, Status.CLOSED])
def test_the_customer_writing_again_brings_a_waiting_or_settled_case_back_to_work(status):
    case = _case(status=status)
    casework.record_customer_message(case=case, body="还在吗", at=TEN)
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS
    moved = CaseEvent.objects.get(case=case, type=EventType.CASE_STATUS)
    assert (moved.body, moved.actor, moved.before, moved.after) == (
        "The customer wrote again.",
        None,
        {"status": status},
        {"status": "in_progress"},
    )


@pytest.mark.parametrize("status", [Status.NEW, Status.IN_PROGRESS])
def test_a_message_leaves_a_new_or_worked_case_where_it_is(status):
    case = _case(status=status)
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    assert Case.objects.get(pk=case.pk).status == status
    assert not CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).exists()


def test_a_message_uses_the_store_and_calendar_it_is_given():
    store = StoreSettings.load()
    store.first_response_minutes = 7
    case = _case()
    calendar = Calendar(hours=dict.fromkeys(range(7), ((dt.time(0, 0), dt.time(23, 59)),)))
    casework.record_customer_message(case=case, body="在吗", at=shanghai(2026, 3, 4, 5), store=store, calendar=calendar)
    wait = ResponseWait.objects.get(case=case)
    assert wait.due_at == shanghai(2026, 3, 4, 5, 7)
    assert _auto(case) == []  # open all day by that calendar


# --- automatic replies --------------------------------------------------------------------------------------------


def test_out_of_hours_the_customer_hears_when_a_person_answers_once_per_wait():
    case = _case()
    night = shanghai(2026, 3, 4, 23, 30)
    casework.record_customer_message(case=case, body="在吗", at=night)
    casework.record_customer_message(case=case, body="？？", at=night + dt.timedelta(minutes=1))
    (auto,) = _auto(case)
    (message,) = OutboundMessage.objects.filter(case=case)
    wait = ResponseWait.objects.get(case=case)
    assert (message.template_key, message.idempotency_key) == ("out_of_hours", f"auto:{wait.pk}:out_of_hours")
    assert message.body.startswith("亲，现在是非工作时间，客服将于 明天 09:00 上线后第一时间回复您~")
    assert (auto.body, auto.after, auto.actor) == (message.body, {"template": "out_of_hours"}, None)


def test_a_keyword_rule_answers_in_hours_and_wins_over_the_out_of_hours_reply(own_rules):
    rule = AutoReplyRuleFactory(keywords="多久到账")
    case = _case()
    casework.record_customer_message(case=case, body="退款多久到账？", at=TEN)
    night = _case()
    casework.record_customer_message(case=night, body="多久到账", at=shanghai(2026, 3, 4, 23, 30))
    for c in (case, night):
        (auto,) = _auto(c)
        assert auto.after == {"template": rule.template.key}
        (message,) = OutboundMessage.objects.filter(case=c)
        assert message.body == rule.template.body
        assert message.idempotency_key == f"auto:{ResponseWait.objects.get(case=c).pk}:{rule.template.key}"


def test_the_first_matching_rule_answers_alone(own_rules):
    first = AutoReplyRuleFactory(keywords="到账", priority=1)
    AutoReplyRuleFactory(keywords="多久", priority=2)
    ordered = list(AutoReplyRule.objects.filter(active=True))
    case = _case()
    casework.record_customer_message(case=case, body="多久到账", at=TEN)
    (auto,) = _auto(case)
    assert auto.after == {"template": ordered[0].template.key}
    assert ordered[0] == first


def test_switched_off_rules_and_rules_with_a_switched_off_template_stay_silent(own_rules):
    AutoReplyRuleFactory(keywords="到账", active=False)
    AutoReplyRuleFactory(keywords="到账", template=MessageTemplateFactory(active=False))
    case = _case()
    casework.record_customer_message(case=case, body="多久到账", at=TEN)
    assert _auto(case) == []
    assert not OutboundMessage.objects.filter(case=case).exists()


def test_a_new_wait_gets_the_automatic_reply_again():
    agent = AgentFactory()
    case = _case()
    night = shanghai(2026, 3, 4, 23, 30)
    casework.record_customer_message(case=case, body="在吗", at=night)
    casework.stop_reply_clock(case=case, actor=agent, answer="reply", at=night + dt.timedelta(minutes=1))
    casework.record_customer_message(case=case, body="在吗", at=night + dt.timedelta(minutes=5))
    assert len(_auto(case)) == 2


def test_no_automatic_reply_event_when_the_template_is_switched_off():
    MessageTemplate.objects.filter(key="out_of_hours").update(active=False)
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=shanghai(2026, 3, 4, 23, 30))
    assert _auto(case) == []


# --- the reply clock stops ----------------------------------------------------------------------------------------


def test_nobody_stops_the_clock_without_an_actor_or_without_a_wait():
    agent = AgentFactory()
    case = _case()
    assert casework.stop_reply_clock(case=case, actor=agent, answer="reply", at=TEN) is None
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    assert casework.stop_reply_clock(case=case, actor=None, answer="reply", at=TEN) is None
    assert ResponseWait.objects.get(case=case).answered_at is None


def test_the_first_answer_stops_the_wait_and_clears_the_reply_deadline():
    agent = AgentFactory()
    resolve = TEN + dt.timedelta(hours=48)
    case = _case(resolve_due=resolve)
    other = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    casework.record_customer_message(case=other, body="在吗", at=TEN)
    answered = TEN + dt.timedelta(minutes=2)
    wait = casework.stop_reply_clock(case=case, actor=agent, answer="resolution", at=answered)
    assert (wait.answered_at, wait.answered_by, wait.answer) == (answered, agent, "resolution")
    stored = ResponseWait.objects.get(case=case)
    assert (stored.answered_at, stored.answered_by, stored.answer, stored.ended_at) == (
        answered,
        agent,
        "resolution",
        None,
    )
    for c in (case, Case.objects.get(pk=case.pk)):
        assert (c.awaiting_reply_since, c.first_response_due, c.due_at) == (None, None, resolve)
    assert Case.objects.get(pk=case.pk).updated_at == answered
    assert ResponseWait.objects.get(case=other).answered_at is None
    assert Case.objects.get(pk=other.pk).awaiting_reply_since == TEN


def test_an_answer_without_a_time_is_now():
    agent = AgentFactory()
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    with time_machine.travel(TEN + dt.timedelta(minutes=1), tick=False):
        wait = casework.stop_reply_clock(case=case, actor=agent, answer="reply")
    assert ResponseWait.objects.get(pk=wait.pk).answered_at == TEN + dt.timedelta(minutes=1)


def test_a_wait_answered_by_someone_else_meanwhile_is_not_answered_twice(monkeypatch):
    agent, rival = AgentFactory(), AgentFactory()
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    real_open_wait = casework.open_wait

    def rival_answers_first(c):
        wait = real_open_wait(c)
        ResponseWait.objects.filter(pk=wait.pk).update(answered_at=TEN, answered_by=rival, answer="reply")
        return wait

    monkeypatch.setattr(casework, "open_wait", rival_answers_first)
    assert casework.stop_reply_clock(case=case, actor=agent, answer="reply", at=TEN + dt.timedelta(minutes=1)) is None
    stored = ResponseWait.objects.get(case=case)
    assert (stored.answered_by, stored.answered_at) == (rival, TEN)
    assert Case.objects.get(pk=case.pk).awaiting_reply_since == TEN


def test_a_wait_ended_by_the_close_is_not_answered_afterwards(monkeypatch):
    agent = AgentFactory()
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    real_open_wait = casework.open_wait

    def closed_meanwhile(c):
        wait = real_open_wait(c)
        ResponseWait.objects.filter(pk=wait.pk).update(ended_at=TEN)
        return wait

    monkeypatch.setattr(casework, "open_wait", closed_meanwhile)
    assert casework.stop_reply_clock(case=case, actor=agent, answer="reply", at=TEN) is None
    assert ResponseWait.objects.get(case=case).answered_at is None


def test_the_open_wait_is_neither_an_answered_nor_an_ended_one():
    agent = AgentFactory()
    case = _case()
    ResponseWait.objects.create(case=case, started_at=TEN, due_at=TEN, answered_at=TEN, answered_by=agent)
    ResponseWait.objects.create(case=case, started_at=TEN, due_at=TEN, ended_at=TEN)
    assert casework.open_wait(case) is None
    open_one = ResponseWait.objects.create(case=case, started_at=TEN, due_at=TEN)
    assert casework.open_wait(case) == open_one
    assert casework.open_wait(_case()) is None


# --- the agent replies --------------------------------------------------------------------------------------------


def test_a_reply_in_time_stops_the_clock_takes_the_case_starts_it_and_goes_to_the_customer():
    agent = AgentFactory()
    case = _case(status=Status.NEW)
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    replied = TEN + dt.timedelta(minutes=3)  # exactly at the deadline: still in time
    with time_machine.travel(replied, tick=False):
        event = casework.reply_to_customer(case=case, body="  亲，在的~ ", actor=agent)
    assert (event.type, event.actor, event.body, event.at) == (EventType.REPLY, agent, "亲，在的~", replied)
    assert event.after == {"waited_seconds": 180, "within_sla": True}
    row = Case.objects.get(pk=case.pk)
    assert (row.first_replied_at, row.updated_at, row.assignee, row.status) == (
        replied,
        replied,
        agent,
        Status.IN_PROGRESS,
    )
    assert (case.first_replied_at, case.assignee, case.status) == (replied, agent, Status.IN_PROGRESS)
    started = CaseEvent.objects.get(case=case, type=EventType.CASE_STATUS)
    assert (started.actor, started.before, started.after) == (agent, {"status": "new"}, {"status": "in_progress"})
    wait = ResponseWait.objects.get(case=case)
    assert (wait.answered_at, wait.answered_by, wait.answer) == (replied, agent, "reply")
    (message,) = OutboundMessage.objects.filter(case=case)
    assert (message.customer, message.body, message.idempotency_key) == (
        case.customer,
        "亲，在的~",
        f"reply:{event.pk}",
    )
    assert CaseEvent.objects.get(case=case, type=EventType.OUTBOUND_QUEUED).actor == agent


def test_a_reply_one_second_late_is_a_miss():
    agent = AgentFactory()
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=TEN)
    with time_machine.travel(TEN + dt.timedelta(minutes=3, seconds=1), tick=False):
        event = casework.reply_to_customer(case=case, body="久等了", actor=agent)
    assert event.after == {"waited_seconds": 181, "within_sla": False}


def test_a_reply_nobody_waited_for_records_no_wait_and_keeps_the_first_reply_time():
    agent, holder = AgentFactory(), AgentFactory()
    first = TEN - dt.timedelta(hours=1)
    case = _case(first_replied_at=first, assignee=holder, status=Status.IN_PROGRESS)
    with time_machine.travel(TEN, tick=False):
        event = casework.reply_to_customer(case=case, body="补充说明", actor=agent)
    assert event.after == {}
    row = Case.objects.get(pk=case.pk)
    assert (row.first_replied_at, row.updated_at, row.assignee, row.status) == (
        first,
        TEN,
        holder,
        Status.IN_PROGRESS,
    )
    assert case.assignee == holder
    assert not CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).exists()


def test_a_reply_on_a_case_without_a_customer_is_recorded_but_sent_nowhere():
    agent = AgentFactory()
    case = _case(customer=None, order=None, amount_fen=0)
    casework.reply_to_customer(case=case, body="备注式回复", actor=agent)
    assert CaseEvent.objects.filter(case=case, type=EventType.REPLY).count() == 1
    assert not OutboundMessage.objects.exists()


def test_an_empty_reply_is_refused_by_its_message():
    case = _case(updated_at=TEN)
    with pytest.raises(DomainError) as refused:
        casework.reply_to_customer(case=case, body="  \n", actor=AgentFactory())
    assert str(refused.value) == "Write a reply first."
    assert not CaseEvent.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).updated_at == TEN


# --- races the unique constraints settle --------------------------------------------------------------------------


def test_a_delivery_stored_by_another_worker_after_the_check_is_dropped_without_side_effects(monkeypatch):
    case = _case(status=Status.WAITING)
    CaseEvent.objects.create(case=case, type=EventType.CUSTOMER_MESSAGE, body="在吗", at=TEN, external_id="m-1")

    class CheckedTooEarly:
        """The duplicate check ran before the other worker's copy was committed; inserts are real."""

        objects = SimpleNamespace(
            filter=lambda **lookups: SimpleNamespace(exists=lambda: False), create=CaseEvent.objects.create
        )

    monkeypatch.setattr(casework, "CaseEvent", CheckedTooEarly)
    assert casework.record_customer_message(case=case, body="在吗", at=TEN, external_id="m-1") is None
    assert CaseEvent.objects.filter(case=case, type=EventType.CUSTOMER_MESSAGE).count() == 1
    assert not ResponseWait.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).status == Status.WAITING


def test_a_wait_another_message_opened_after_the_check_is_the_one_joined(monkeypatch):
    case = _case()
    theirs = ResponseWait.objects.create(case=case, started_at=TEN, due_at=TEN + dt.timedelta(minutes=3))
    real_open_wait = casework.open_wait
    calls = []

    def not_yet_there_at_first(c):
        calls.append(c)
        return None if len(calls) == 1 else real_open_wait(c)

    monkeypatch.setattr(casework, "open_wait", not_yet_there_at_first)
    store = StoreSettings.load()
    wait = casework.start_wait(
        case=case, at=TEN + dt.timedelta(minutes=1), store=store, calendar=Calendar.for_store(store)
    )
    assert wait == theirs
    assert calls == [case, case]
    assert ResponseWait.objects.filter(case=case).count() == 1


# --- QA-5: phrases the store warns about --------------------------------------------------------------------------

WARNED = "方便的话麻烦您修改一下评价~"  # shipped as a warned phrase (修改*评价)


def test_a_warned_reply_is_refused_until_the_agent_confirms_it():
    agent = AgentFactory()
    case = _case(updated_at=TEN)
    with pytest.raises(DomainError) as refused:
        casework.reply_to_customer(case=case, body=WARNED, actor=agent)
    assert str(refused.value).startswith("This reply needs a confirmation before it is sent.")
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not OutboundMessage.objects.exists()


def test_a_confirmed_warned_reply_goes_out_with_the_warning_on_the_timeline_first():
    agent = AgentFactory()
    case = _case()
    event = casework.reply_to_customer(case=case, body=WARNED, actor=agent, confirm_warnings=True)
    warned, reply = CaseEvent.objects.filter(
        case=case, type__in=[EventType.QA_PHRASE_WARNED, EventType.REPLY]
    ).order_by("pk")
    assert (warned.type, warned.actor, reply) == (EventType.QA_PHRASE_WARNED, agent, event)
    assert "修改*评价" in warned.body
    assert [w["phrase"] for w in warned.after["warnings"]] == ["修改*评价"]
    assert OutboundMessage.objects.get(case=case).body == WARNED


def test_an_ordinary_reply_records_no_warning():
    case = _case()
    casework.reply_to_customer(case=case, body="亲，在的~", actor=AgentFactory())
    assert not CaseEvent.objects.filter(case=case, type=EventType.QA_PHRASE_WARNED).exists()


def test_the_reply_the_answer_and_the_first_reply_are_one_moment_on_a_running_clock():
    agent = AgentFactory()
    case = _case()
    casework.record_customer_message(case=case, body="在吗")
    event = casework.reply_to_customer(case=case, body="亲，在的~", actor=agent)  # the clock runs: no time_machine
    wait = ResponseWait.objects.get(case=case)
    row = Case.objects.get(pk=case.pk)
    assert wait.answered_at == event.at == row.first_replied_at == row.updated_at


# mutmut: x_reply_to_customer__mutmut_28 (`after = None` when nobody waited) is equivalent: record_event stores `after or {}`.


def test_a_rule_whose_template_is_switched_off_does_not_stand_in_the_way(own_rules):
    AutoReplyRuleFactory(keywords="到账", priority=1, template=MessageTemplateFactory(active=False))
    active = AutoReplyRuleFactory(keywords="到账", priority=2)
    case = _case()
    casework.record_customer_message(case=case, body="多久到账", at=TEN)
    assert [e.after for e in _auto(case)] == [{"template": active.template.key}]
    night = _case()
    AutoReplyRule.objects.filter(pk=active.pk).update(active=False)
    casework.record_customer_message(case=night, body="多久到账", at=shanghai(2026, 3, 4, 23, 30))
    assert [e.after for e in _auto(night)] == [{"template": "out_of_hours"}]


def test_the_rules_are_read_with_their_templates(own_rules):
    for n in range(3):
        AutoReplyRuleFactory(keywords=f"词{n}", priority=n)
    case = _case()
    with CaptureQueriesContext(connection) as queries:
        casework.record_customer_message(case=case, body="词2", at=TEN)
    template_reads = [q for q in queries if 'FROM "backoffice_messagetemplate"' in q["sql"]]
    assert len(template_reads) == 1  # the matching template, sent by key; the rules came with theirs


def test_the_platforms_window_is_the_given_stores():
    store = StoreSettings.load()
    store.r1_window_opens = dt.time(7, 0)  # not saved: the caller's settings are the ones that count
    case = _case()
    casework.record_customer_message(case=case, body="在吗", at=shanghai(2026, 3, 4, 7, 30), store=store)
    assert ResponseWait.objects.get(case=case).window_due_at == shanghai(2026, 3, 4, 7, 33)


def test_a_reply_takes_only_its_own_case_and_never_one_someone_took_meanwhile():
    agent, holder = AgentFactory(), AgentFactory()
    other = _case()
    case = _case()
    stale = Case.objects.get(pk=case.pk)  # the reply box was opened while the case was unassigned
    Case.objects.filter(pk=case.pk).update(assignee=holder)
    casework.reply_to_customer(case=stale, body="亲，在的~", actor=agent)
    assert Case.objects.get(pk=case.pk).assignee == holder
    assert Case.objects.get(pk=other.pk).assignee is None
