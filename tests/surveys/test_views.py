"""The call-back desk and the results page: supervisors only, the same case machinery as every desk."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.models import Case, Desk, Status
from surveys import services
from surveys.models import CallAttempt, CallBack
from tests.factories import SupervisorFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert('x')</script>"


@pytest.fixture
def make_callback(make_surveyed_case, reasons):
    def make(comment: str = "退款太慢了"):
        _case, survey, _token = make_surveyed_case()
        services.answer_survey(survey=survey, answer="dissatisfied", reasons=[reasons["slow_refund"]], comment=comment)
        return CallBack.objects.select_related("case").get(survey=survey)

    return make


@pytest.fixture
def callback(make_callback):
    return make_callback()


def staff_urls(callback) -> list[str]:
    return [
        reverse("surveys:callbacks"),
        reverse("surveys:callback_queue", args=["all"]),
        reverse("surveys:callback", args=[callback.case.number]),
        reverse("surveys:results"),
    ]


def test_agents_may_not_open_the_call_back_desk_or_results(agent_client, callback):
    for url in staff_urls(callback):
        assert agent_client.get(url).status_code == 403, url
    assert agent_client.post(reverse("surveys:take_next")).status_code == 403
    response = agent_client.post(reverse("surveys:callback_action", args=[callback.case.number, "call"]))
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, callback):
    for url in staff_urls(callback):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.parametrize("staff", ["supervisor_client", "admin_client_store"])
def test_supervisors_and_store_admins_open_every_page(request, staff, callback):
    client = request.getfixturevalue(staff)
    for url in staff_urls(callback):
        assert client.get(url).status_code == 200, url


def test_a_call_back_case_number_opens_the_call_back_page(supervisor_client, callback):
    response = supervisor_client.get(reverse("case_by_number", args=[callback.case.number]))

    assert response["Location"] == reverse("surveys:callback", args=[callback.case.number])


def test_an_after_sales_case_is_not_shown_as_a_call_back(supervisor_client, callback):
    original = callback.survey.case

    assert supervisor_client.get(reverse("surveys:callback", args=[original.number])).status_code == 404


def test_the_queue_lists_call_backs_with_their_original_case(supervisor_client, callback):
    html = supervisor_client.get(reverse("surveys:callback_queue", args=["unassigned"])).content.decode()

    assert callback.case.number in html
    assert callback.survey.case.number in html
    assert "退款太慢" in html


def test_queue_query_count_does_not_grow_with_rows(supervisor_client, make_callback, django_assert_max_num_queries):
    url = reverse("surveys:callback_queue", args=["all"])
    make_callback()
    with django_assert_max_num_queries(15) as few:
        assert supervisor_client.get(url).status_code == 200
    for _ in range(6):
        make_callback()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = supervisor_client.get(url)
    assert response.content.count(b'class="clickable') == 7


def test_the_default_page_shows_my_call_backs_once_i_have_one(supervisor_client, supervisor, callback):
    assert supervisor_client.get(reverse("surveys:callbacks")).context["queue"] == "unassigned"

    supervisor_client.post(reverse("surveys:take_next"))

    assert supervisor_client.get(reverse("surveys:callbacks")).context["queue"] == "mine"


def test_take_next_gives_the_most_urgent_call_back(supervisor_client, supervisor, make_callback):
    later = make_callback()
    sooner = make_callback()
    Case.objects.filter(pk=sooner.case.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))
    Case.objects.filter(pk=later.case.pk).update(due_at=timezone.now() + dt.timedelta(hours=9))

    response = supervisor_client.post(reverse("surveys:take_next"))

    assert response["Location"] == reverse("surveys:callback", args=[sooner.case.number])
    taken = Case.objects.get(pk=sooner.case.pk)
    assert taken.assignee == supervisor and taken.status == Status.IN_PROGRESS


def test_take_next_with_nothing_waiting_says_so(supervisor_client, db):
    response = supervisor_client.post(reverse("surveys:take_next"), follow=True)

    assert response.status_code == 200
    assert Case.objects.filter(desk=Desk.CALLBACK).count() == 0


def test_the_call_back_page_shows_the_answer_and_the_number_to_call(supervisor_client, callback):
    html = supervisor_client.get(reverse("surveys:callback", args=[callback.case.number])).content.decode()

    original = callback.survey.case
    assert reverse("case_by_number", args=[original.number]) in html
    assert "退款太慢了" in html
    assert f'href="tel:{original.customer.phone}"' in html
    assert 'data-testid="log-call"' in html


def test_logging_a_call_through_the_form(supervisor_client, supervisor, callback, reasons):
    url = reverse("surveys:callback_action", args=[callback.case.number, "call"])

    response = supervisor_client.post(
        url,
        {"reached": "1", "category": reasons["slow_refund"].pk, "notes": "已致歉", "coupon": "10", "close": "on"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200 and response["HX-Trigger"] == "casesChanged"
    attempt = CallAttempt.objects.get()
    assert (attempt.actor, attempt.reached, attempt.coupon_fen) == (supervisor, True, 1000)
    assert Case.objects.get(pk=callback.case.pk).status == Status.CLOSED


def test_a_refused_call_keeps_what_was_typed(supervisor_client, callback):
    url = reverse("surveys:callback_action", args=[callback.case.number, "call"])

    response = supervisor_client.post(url, {"reached": "1", "notes": "客户说要投诉"})

    assert response.status_code == 400
    assert "客户说要投诉" in response.content.decode()
    assert not CallAttempt.objects.exists()


def test_not_reached_with_a_retry_time_from_the_form(supervisor_client, callback):
    url = reverse("surveys:callback_action", args=[callback.case.number, "call"])
    retry = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)

    response = supervisor_client.post(url, {"reached": "0", "retry_at": retry.strftime("%Y-%m-%dT%H:%M")})

    assert response.status_code == 302
    assert Case.objects.get(pk=callback.case.pk).due_at == retry


def test_the_shared_case_actions_work_on_a_call_back(supervisor_client, supervisor, agent, callback):
    base = reverse("surveys:callback", args=[callback.case.number])
    colleague = SupervisorFactory(username="colleague")

    supervisor_client.post(base + "claim/")
    supervisor_client.post(base + "note/", {"body": "晚上再打"})
    supervisor_client.post(base + "assign/", {"assignee": agent.pk})  # refused: agents cannot open call-backs
    assert Case.objects.get(pk=callback.case.pk).assignee == supervisor
    supervisor_client.post(base + "assign/", {"assignee": colleague.pk})

    case = Case.objects.get(pk=callback.case.pk)
    assert case.assignee == colleague
    assert case.events.filter(type="note.added", body="晚上再打").exists()


def test_customer_text_is_escaped_on_every_staff_page(supervisor_client, make_callback):
    callback = make_callback(comment=XSS)
    original = callback.survey.case

    pages = [
        reverse("surveys:callback", args=[callback.case.number]),
        reverse("surveys:results"),
        reverse("aftersales:case", args=[original.number]),
    ]
    for url in pages:
        html = supervisor_client.get(url).content.decode()
        assert XSS not in html, url
        assert "&lt;script&gt;" in html, url


def test_the_admin_lists_answers_and_edits_reasons(admin_client_store, callback):
    assert admin_client_store.get(reverse("admin:surveys_survey_changelist")).status_code == 200
    assert admin_client_store.get(reverse("admin:surveys_surveyreason_changelist")).status_code == 200
    assert admin_client_store.get(reverse("admin:surveys_callback_change", args=[callback.pk])).status_code == 200
    settings_page = admin_client_store.get(reverse("admin:surveys_surveysettings_changelist"))
    assert settings_page.status_code == 302


def test_changing_survey_settings_is_audited(admin_client_store, store_admin, db):
    from backoffice.models import CaseEvent
    from surveys.models import SurveySettings

    pk = SurveySettings.load().pk
    response = admin_client_store.post(
        reverse("admin:surveys_surveysettings_change", args=[pk]),
        {
            "enabled": "on",
            "delivery": "followup",
            "followup_wait_hours": 72,
            "valid_days": 7,
            "callback_hours": 24,
            "callback_retry_hours": 2,
        },
    )

    assert response.status_code == 302
    assert SurveySettings.load().valid_days == 7
    event = CaseEvent.objects.get(type="settings.changed", target=f"surveysettings:{pk}")
    assert event.actor == store_admin
    assert event.after == {"delivery": "followup", "valid_days": 7}
