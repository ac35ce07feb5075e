"""A12: a closed case sends one survey link, on its own or inside the follow-up message, as the store chose."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.models import MessageTemplate, OutboundMessage, Status
from surveys import services, tasks
from surveys.models import Survey, SurveySettings, hash_token
from tests.factories import CaseFactory

from .conftest import close, token_sent_for

pytestmark = pytest.mark.django_db


def _set(**fields):
    survey_settings = SurveySettings.load()
    for name, value in fields.items():
        setattr(survey_settings, name, value)
    survey_settings.save()


def test_closing_a_case_sends_the_customer_one_survey_link(surveyed):
    case, survey, token = surveyed

    message = OutboundMessage.objects.get(case=case, template_key="survey_invite")
    assert message.customer == case.customer
    assert message.idempotency_key == f"survey:{case.pk}"
    assert f"http://127.0.0.1:8000/s/{token}/" in message.body
    assert case.number in message.body
    assert survey.sent_at is not None and survey.sent_via == SurveySettings.Delivery.ALONE
    assert survey.expires_at - survey.sent_at == dt.timedelta(days=14)


def test_the_token_is_long_and_random_and_only_its_hash_is_stored(make_surveyed_case):
    tokens = [make_surveyed_case()[2] for _ in range(3)]

    assert len(set(tokens)) == 3
    assert all(len(token) >= 32 for token in tokens)  # 24 random bytes, base64url
    stored = set(Survey.objects.values_list("token_hash", flat=True))
    assert stored == {hash_token(token) for token in tokens}
    assert not stored & set(tokens)


def test_public_base_url_makes_the_link_absolute(settings, agent):
    settings.PUBLIC_BASE_URL = "https://kf.example.cn"
    case = CaseFactory(status=Status.RESOLVED, assignee=agent)

    close(case)

    assert f"https://kf.example.cn/s/{token_sent_for(case)}/" in OutboundMessage.objects.get(case=case).body


def test_reopening_and_closing_again_sends_no_second_survey(surveyed, agent):
    case, survey, _token = surveyed

    casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=agent)
    close(case, agent)

    assert Survey.objects.filter(case=case).count() == 1
    assert OutboundMessage.objects.filter(case=case, template_key="survey_invite").count() == 1


def test_call_back_cases_are_not_surveyed(db):
    case = CaseFactory(callback=True, status=Status.IN_PROGRESS)

    close(case)

    assert not Survey.objects.filter(case=case).exists()


def test_no_survey_when_the_store_switched_surveys_off(db):
    _set(enabled=False)
    case = CaseFactory(status=Status.RESOLVED)

    close(case)

    assert not Survey.objects.exists()


def test_no_survey_when_the_invite_template_is_switched_off(db):
    MessageTemplate.objects.filter(key="survey_invite").update(active=False)
    case = CaseFactory(status=Status.RESOLVED)

    close(case)

    assert not Survey.objects.exists()
    assert not OutboundMessage.objects.filter(template_key="survey_invite").exists()


def test_sending_a_survey_twice_issues_one_link(surveyed):
    case, survey, token = surveyed

    assert services.send_survey(survey=survey) is False

    survey.refresh_from_db()
    assert survey.token_hash == hash_token(token)


def test_inside_the_follow_up_the_message_gets_the_link_once(db):
    _set(delivery=SurveySettings.Delivery.IN_FOLLOWUP)
    case = CaseFactory(status=Status.RESOLVED)
    close(case)
    assert not OutboundMessage.objects.filter(template_key="survey_invite").exists()

    url = services.followup_survey_url(case=case)

    assert url.startswith("http://127.0.0.1:8000/s/")
    survey = Survey.objects.get(case=case)
    assert survey.sent_via == SurveySettings.Delivery.IN_FOLLOWUP
    assert survey.token_hash == hash_token(url.rstrip("/").rsplit("/", 1)[1])
    # A retry of the follow-up gets no second link, and the sweep sends nothing on its own.
    assert services.followup_survey_url(case=case) == ""
    with time_machine.travel(timezone.now() + dt.timedelta(days=5)):
        assert tasks.send_due_surveys() == 0


def test_follow_up_url_is_empty_when_surveys_go_on_their_own(surveyed):
    case, _survey, _token = surveyed

    assert services.followup_survey_url(case=case) == ""


def test_a_survey_no_follow_up_carried_goes_on_its_own_after_the_wait(db):
    _set(delivery=SurveySettings.Delivery.IN_FOLLOWUP, followup_wait_hours=72)
    case = CaseFactory(status=Status.RESOLVED)
    close(case)

    with time_machine.travel(timezone.now() + dt.timedelta(hours=71)):
        assert tasks.send_due_surveys() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(hours=73)):
        assert tasks.send_due_surveys() == 1
        assert tasks.send_due_surveys() == 0

    assert token_sent_for(case)
    assert Survey.objects.get(case=case).sent_via == SurveySettings.Delivery.ALONE


def test_a_logistics_problem_that_cleared_by_itself_gets_no_survey():
    case = CaseFactory(logistics=True)
    casework.transition_case(case=case, to=Status.CLOSED, extra={"resolution": "cleared"})
    assert not Survey.objects.filter(case=case).exists()
