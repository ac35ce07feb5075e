"""A13: a dissatisfied answer opens one call-back on the supervisors' desk; the call form records what was found."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, CaseKind, Desk, Priority, Reason, Status
from backoffice.store.businesshours import Calendar
from surveys import services
from surveys.models import CallAttempt, CallBack, Survey, SurveySettings
from tests.factories import shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture
def callback(surveyed, reasons):
    _case, survey, _token = surveyed
    services.answer_survey(survey=survey, answer="dissatisfied", reasons=[reasons["slow_refund"]], comment="太慢")
    return CallBack.objects.select_related("case", "survey__case").get(survey=survey)


def test_a_dissatisfied_answer_opens_a_call_back_on_the_supervisors_desk(surveyed, reasons):
    case, survey, _token = surveyed

    services.answer_survey(survey=survey, answer="dissatisfied", reasons=[reasons["attitude"]])

    callback = CallBack.objects.get(survey=survey)
    cb = callback.case
    assert (cb.desk, cb.kind, cb.status, cb.priority) == (Desk.CALLBACK, CaseKind.CALLBACK, Status.NEW, Priority.HIGH)
    assert cb.number.startswith("CB-")
    assert (cb.customer, cb.order) == (case.customer, case.order)
    assert cb.assignee is None
    assert case.number in cb.subject and "客服态度不好" in cb.subject
    # Both timelines tell the story: the call-back was opened, and the original case links to it.
    assert CaseEvent.objects.filter(case=cb, type="case.opened").exists()
    assert CaseEvent.objects.get(case=case, target=cb.number).after == {"callback": cb.number}


@pytest.mark.parametrize("answer", ["satisfied", "neutral"])
def test_other_answers_open_no_call_back(surveyed, answer):
    _case, survey, _token = surveyed

    services.answer_survey(survey=survey, answer=answer)

    assert not CallBack.objects.exists()
    assert not Case.objects.filter(desk=Desk.CALLBACK).exists()


def test_the_call_back_is_opened_exactly_once_per_answer(callback):
    again = services.open_callback(survey=callback.survey)

    assert again.pk == callback.pk
    assert CallBack.objects.count() == 1
    assert Case.objects.filter(desk=Desk.CALLBACK).count() == 1


def test_the_database_refuses_a_second_call_back_for_one_survey(callback):
    from django.db import IntegrityError, transaction

    other = Case.objects.create(number="CB-TEST-9999", desk=Desk.CALLBACK, kind=CaseKind.CALLBACK)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallBack.objects.create(survey=callback.survey, case=other)


def test_the_call_back_is_due_within_24_business_hours(surveyed, store):
    _case, survey, _token = surveyed
    answered = shanghai(2026, 11, 27, 22, 0)  # a Friday evening, one hour before closing

    with time_machine.travel(answered, tick=False):
        services.answer_survey(survey=survey, answer="dissatisfied", at=answered)

    cb = CallBack.objects.get(survey=survey).case
    expected = Calendar.for_store(store).add_business_time(answered, dt.timedelta(hours=24))
    assert cb.resolve_due == cb.due_at == expected
    assert expected > answered + dt.timedelta(hours=24)  # the store's nights do not count


def test_the_call_back_sla_is_the_stores_setting(surveyed, store):
    SurveySettings.objects.filter(pk=SurveySettings.load().pk).update(callback_hours=4)
    _case, survey, _token = surveyed
    at = shanghai(2026, 11, 25, 10, 0)

    with time_machine.travel(at, tick=False):
        services.answer_survey(survey=survey, answer="dissatisfied", at=at)

    assert CallBack.objects.get(survey=survey).case.due_at == shanghai(2026, 11, 25, 14, 0)


def test_customer_not_reached_comes_due_again_when_to_try(callback, supervisor):
    retry = timezone.now() + dt.timedelta(hours=5)

    attempt = services.log_call(callback=callback, actor=supervisor, reached=False, retry_at=retry, notes="无人接听")

    case = Case.objects.get(pk=callback.case.pk)
    assert case.status == Status.IN_PROGRESS and case.due_at == case.resolve_due == retry
    assert case.assignee == supervisor  # whoever calls an unassigned call-back takes it
    assert (attempt.reached, attempt.retry_at, attempt.notes) == (False, retry, "无人接听")
    event = CaseEvent.objects.get(case=case, target=f"call:{attempt.pk}")
    assert event.actor == supervisor and event.after["call"]["reached"] is False
    assert CallBack.objects.get(pk=callback.pk).reached is False


def test_not_reached_without_a_time_tries_again_in_two_business_hours(callback, supervisor, store):
    now = shanghai(2026, 11, 25, 22, 30)
    with time_machine.travel(now, tick=False):
        attempt = services.log_call(callback=callback, actor=supervisor, reached=False)

    assert attempt.retry_at == Calendar.for_store(store).add_business_time(now, dt.timedelta(hours=2))


def test_a_retry_time_in_the_past_is_refused(callback, supervisor):
    with pytest.raises(DomainError):
        services.log_call(
            callback=callback, actor=supervisor, reached=False, retry_at=timezone.now() - dt.timedelta(minutes=1)
        )
    assert not CallAttempt.objects.exists()


def test_reached_needs_what_the_customer_was_unhappy_about(callback, supervisor):
    with pytest.raises(DomainError):
        services.log_call(callback=callback, actor=supervisor, reached=True)
    assert not CallAttempt.objects.exists()


def test_follow_up_actions_need_the_customer_on_the_phone(callback, supervisor):
    with pytest.raises(DomainError):
        services.log_call(callback=callback, actor=supervisor, reached=False, coupon_fen=500)


def test_reached_records_the_finding_and_closes_the_call_back(callback, supervisor, reasons):
    attempt = services.log_call(
        callback=callback, actor=supervisor, reached=True, category=reasons["slow_refund"], notes="已致歉", close=True
    )

    case = Case.objects.get(pk=callback.case.pk)
    assert case.status == Status.CLOSED and case.resolution == "called_back"
    found = CallBack.objects.get(pk=callback.pk)
    assert (found.reached, found.category) == (True, reasons["slow_refund"])
    assert attempt.category == reasons["slow_refund"]
    # Closing a call-back does not send the customer yet another survey.
    assert not Survey.objects.filter(case=case).exists()


def test_a_coupon_promised_on_the_phone_is_recorded(callback, supervisor, reasons):
    attempt = services.log_call(
        callback=callback, actor=supervisor, reached=True, category=reasons["slow_refund"], coupon_fen=1000
    )

    assert attempt.coupon_fen == 1000
    assert CaseEvent.objects.filter(case=callback.case, after__coupon_fen=1000).exists()


def test_a_new_after_sales_case_is_opened_from_the_call(callback, supervisor, reasons):
    attempt = services.log_call(
        callback=callback,
        actor=supervisor,
        reached=True,
        category=reasons["quality"],
        notes="杯子漏水，客户要换货",
        new_case_kind=CaseKind.EXCHANGE,
        new_case_reason=Reason.QUALITY,
    )

    new_case = attempt.aftersales_case
    assert (new_case.desk, new_case.kind, new_case.reason) == (Desk.AFTERSALES, CaseKind.EXCHANGE, Reason.QUALITY)
    assert new_case.order == callback.case.order and callback.case.number in new_case.subject
    # The supervisor's notes are an internal note there, not a customer message starting the reply clock.
    assert new_case.awaiting_reply_since is None
    assert CaseEvent.objects.filter(case=new_case, type="note.added", body="杯子漏水，客户要换货").exists()
    assert CaseEvent.objects.filter(case=callback.case, target=new_case.number).exists()


def test_a_closed_call_back_takes_no_more_calls(callback, supervisor, reasons):
    services.log_call(callback=callback, actor=supervisor, reached=True, category=reasons["other"], close=True)
    callback.case.refresh_from_db()

    with pytest.raises(DomainError):
        services.log_call(callback=callback, actor=supervisor, reached=False)


def test_a_call_on_someone_elses_call_back_leaves_it_with_them(callback, supervisor):
    from backoffice.cases import services as casework
    from tests.factories import SupervisorFactory

    colleague = SupervisorFactory(username="colleague")  # call-backs go to supervisors only
    casework.assign_case(case=callback.case, assignee=colleague, actor=supervisor)

    services.log_call(callback=callback, actor=supervisor, reached=False)

    case = Case.objects.get(pk=callback.case.pk)
    assert case.assignee == colleague and case.status == Status.IN_PROGRESS
