"""The customer's survey page (A12): no login, one answer per case, clear pages for bad links, rate limited, CSRF."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.models import CaseEvent, EventType
from surveys import ratelimit
from surveys.models import CallBack, Survey, SurveyReason

pytestmark = pytest.mark.django_db


def url(token: str) -> str:
    return reverse("survey_public:answer", args=[token])


def test_the_survey_page_opens_without_login_in_chinese(client, surveyed):
    case, _survey, token = surveyed

    response = client.get(url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert case.number in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="viewport"' in html
    for reason in SurveyReason.objects.filter(active=True):
        assert reason.label in html


def test_a_customer_answers_and_the_answer_lands_on_the_case_timeline(client, surveyed, reasons):
    case, survey, token = surveyed

    response = client.post(
        url(token),
        {"answer": "neutral", "reasons": [reasons["slow_reply"].pk, reasons["logistics"].pk], "comment": " 还行 "},
    )

    assert response.status_code == 302 and response["Location"] == url(token)
    survey.refresh_from_db()
    assert survey.answer == "neutral" and survey.comment == "还行" and survey.answered_at is not None
    assert set(survey.reasons.values_list("code", flat=True)) == {"slow_reply", "logistics"}
    event = CaseEvent.objects.get(case=case, target=f"survey:{survey.pk}")
    assert event.actor is None and event.type == EventType.SURVEY_ANSWERED
    assert event.after == {"survey": {"answer": "neutral", "reasons": ["slow_reply", "logistics"]}}
    assert "回复太慢" in event.body and "还行" in event.body
    thanks = client.get(url(token))
    assert thanks.status_code == 200 and 'data-state="thanks"' in thanks.content.decode()


def test_a_second_submit_says_already_answered_and_changes_nothing(client, surveyed):
    case, survey, token = surveyed
    client.post(url(token), {"answer": "satisfied", "comment": "很好"})

    response = client.post(url(token), {"answer": "dissatisfied", "comment": "改主意了"})

    assert response.status_code == 200
    assert 'data-state="already"' in response.content.decode()
    survey.refresh_from_db()
    assert (survey.answer, survey.comment) == ("satisfied", "很好")
    assert not CallBack.objects.exists()
    assert CaseEvent.objects.filter(case=case, target=f"survey:{survey.pk}").count() == 1


def test_an_expired_link_gets_a_clear_page_and_takes_no_answer(client, surveyed):
    _case, survey, token = surveyed

    with time_machine.travel(timezone.now() + dt.timedelta(days=14, minutes=1)):
        page = client.get(url(token))
        post = client.post(url(token), {"answer": "dissatisfied"})

    for response in (page, post):
        assert response.status_code == 410
        assert 'data-state="expired"' in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None
    assert not CallBack.objects.exists()


def test_the_link_still_works_on_its_last_day(client, surveyed):
    _case, _survey, token = surveyed

    with time_machine.travel(timezone.now() + dt.timedelta(days=13, hours=23)):
        assert client.get(url(token)).status_code == 200


@pytest.mark.parametrize("forged", ["x", "A" * 32, "not-a-real-token-but-plausible-len", "%3Cscript%3E", "a" * 300])
def test_a_forged_link_gets_a_clear_page_never_an_error(client, surveyed, forged):
    response = client.get(f"/s/{forged}/")

    assert response.status_code == 404
    assert 'data-state="invalid"' in response.content.decode()


def test_a_token_opens_only_its_own_case(client, make_surveyed_case):
    case_a, survey_a, token_a = make_surveyed_case()
    case_b, survey_b, _token_b = make_surveyed_case()

    page = client.get(url(token_a)).content.decode()
    # Extra fields naming another case or survey are ignored: the token alone decides.
    client.post(url(token_a), {"answer": "dissatisfied", "case": case_b.pk, "survey": survey_b.pk})

    assert case_a.number in page and case_b.number not in page
    survey_a.refresh_from_db()
    survey_b.refresh_from_db()
    assert survey_a.answer == "dissatisfied"
    assert survey_b.answered_at is None
    assert CallBack.objects.get().survey == survey_a


def test_a_token_differing_by_one_character_opens_nothing(client, surveyed):
    _case, _survey, token = surveyed
    neighbour = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert client.get(url(neighbour)).status_code == 404


def test_missing_answer_shows_the_question_again_with_the_text_kept(client, surveyed):
    _case, survey, token = surveyed

    response = client.post(url(token), {"comment": "物流太慢了"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field-error"' in html and "物流太慢了" in html
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_an_answer_outside_the_three_is_refused(client, surveyed):
    _case, survey, token = surveyed

    client.post(url(token), {"answer": "delighted"})

    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_form_needs_its_csrf_token(surveyed):
    _case, survey, token = surveyed
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(url(token), {"answer": "satisfied"})

    assert response.status_code == 403
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_form_with_its_csrf_token_goes_through(surveyed):
    _case, survey, token = surveyed
    strict = Client(enforce_csrf_checks=True)
    strict.get(url(token))

    response = strict.post(
        url(token), {"answer": "satisfied", "csrfmiddlewaretoken": strict.cookies["csrftoken"].value}
    )

    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.answer == "satisfied"


def test_switched_off_reasons_are_neither_offered_nor_stored(client, surveyed, reasons):
    _case, survey, token = surveyed
    SurveyReason.objects.filter(code="attitude").update(active=False)

    assert reasons["attitude"].label not in client.get(url(token)).content.decode()
    client.post(url(token), {"answer": "neutral", "reasons": [reasons["attitude"].pk]})

    survey.refresh_from_db()
    assert survey.answered_at is None  # an unknown choice is a form error, not a silent drop


def test_one_token_is_rate_limited(client, surveyed, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "token", (3, 600))
    _case, _survey, token = surveyed

    statuses = [client.get(url(token)).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert 'data-state="limited"' in client.get(url(token)).content.decode()


def test_one_client_is_rate_limited_across_tokens(client, make_surveyed_case, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "ip", (4, 600))
    tokens = [make_surveyed_case()[2] for _ in range(5)]

    statuses = [client.get(url(token)).status_code for token in tokens]

    assert statuses == [200, 200, 200, 200, 429]
    # Another client is not affected.
    assert client.get(url(tokens[4]), REMOTE_ADDR="10.1.2.3").status_code == 200


def test_guessing_tokens_locks_the_guesser_out(client, surveyed, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "miss", (3, 600))
    _case, _survey, token = surveyed

    misses = [client.get(f"/s/guess{n}/").status_code for n in range(3)]

    assert misses == [404, 404, 404]
    # Even a right guess now is refused, for this client only.
    assert client.get(url(token)).status_code == 429
    assert client.get(url(token), REMOTE_ADDR="10.9.9.9").status_code == 200


def test_the_limit_window_ends(client, surveyed, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "token", (1, 600))
    _case, _survey, token = surveyed
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert client.get(url(token)).status_code == 200
        assert client.get(url(token)).status_code == 429
        traveller.shift(dt.timedelta(seconds=601))
        assert client.get(url(token)).status_code == 200


def test_behind_a_proxy_the_client_is_read_from_x_forwarded_for(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/s/x/", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7", REMOTE_ADDR="10.0.0.1")

    assert ratelimit.client_ip(request) == "203.0.113.7"


def test_surveys_are_answered_once_even_when_two_submits_race(surveyed):
    from surveys import services

    _case, survey, _token = surveyed
    first, second = Survey.objects.get(pk=survey.pk), Survey.objects.get(pk=survey.pk)

    services.answer_survey(survey=first, answer="dissatisfied")
    with pytest.raises(services.AlreadyAnswered):
        services.answer_survey(survey=second, answer="satisfied")

    assert Survey.objects.get(pk=survey.pk).answer == "dissatisfied"
    assert CallBack.objects.count() == 1
