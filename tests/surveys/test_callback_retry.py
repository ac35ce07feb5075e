"""A13: how long before an unreached customer is called again is the store's survey setting."""

import datetime as dt

import pytest
import time_machine

from backoffice.store.businesshours import Calendar
from surveys import services
from surveys.models import CallBack, SurveySettings
from tests.factories import shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture
def callback(surveyed, reasons):
    _case, survey, _token = surveyed
    services.answer_survey(survey=survey, answer="dissatisfied", reasons=[reasons["slow_refund"]])
    return CallBack.objects.select_related("case").get(survey=survey)


def test_not_reached_comes_due_again_after_the_stores_retry_time(callback, supervisor, store):
    SurveySettings.objects.filter(pk=SurveySettings.load().pk).update(callback_retry_hours=5)
    now = shanghai(2026, 11, 25, 10, 0)
    with time_machine.travel(now, tick=False):
        attempt = services.log_call(callback=callback, actor=supervisor, reached=False)

    expected = Calendar.for_store(store).add_business_time(now, dt.timedelta(hours=5))
    assert attempt.retry_at == expected
    callback.case.refresh_from_db()
    assert callback.case.due_at == expected
