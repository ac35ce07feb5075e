"""The store settings and business-hours calendar are read once per request or task, and a change is seen at once."""

import datetime as dt

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from backoffice.celery import app
from backoffice.models import StoreSettings
from backoffice.store.businesshours import Calendar
from backoffice.store.cache import StoreSettingsScopeMiddleware, store_settings_scope

pytestmark = pytest.mark.django_db


def test_settings_and_calendar_are_read_once_inside_a_scope(store):
    with store_settings_scope():
        StoreSettings.load()
        Calendar.for_store()
        with CaptureQueriesContext(connection) as later:
            for _ in range(5):
                Calendar.for_store(StoreSettings.load())
                Calendar.for_store()

    assert len(later) == 0


def test_outside_a_scope_every_read_goes_to_the_database(store):
    StoreSettings.load()
    with CaptureQueriesContext(connection) as reads:
        StoreSettings.load()
        Calendar.for_store()

    assert len(reads) >= 3  # settings, hours, holidays


def test_a_settings_save_inside_the_scope_is_seen_by_the_next_read(store):
    with store_settings_scope():
        StoreSettings.load()
        StoreSettings.objects.get(pk=store.pk).save()  # e.g. Django admin saving its own copy
        fresh = StoreSettings.objects.get(pk=store.pk)
        fresh.first_response_minutes = 9
        fresh.save(update_fields=["first_response_minutes"])

        assert StoreSettings.load().first_response_minutes == 9


def test_a_new_holiday_or_hours_change_inside_the_scope_changes_the_calendar(store):
    new_year = dt.date(2031, 1, 1)
    with store_settings_scope():
        assert new_year not in Calendar.for_store().closed_days
        store.holidays.create(date=new_year, name="元旦")
        assert new_year in Calendar.for_store().closed_days

        store.hours.all().delete()
        assert Calendar.for_store().hours == {}


def test_a_calendar_for_another_settings_object_is_not_taken_from_the_scope(store):
    with store_settings_scope():
        Calendar.for_store()
        other = StoreSettings.objects.get(pk=store.pk)
        other.holidays.model.objects.bulk_create(
            [other.holidays.model(settings=other, date=dt.date(2031, 5, 1), name="劳动节")]
        )

        assert dt.date(2031, 5, 1) in Calendar.for_store(other).closed_days


def test_a_settings_change_is_seen_by_the_next_request(store):
    def view(request):
        first = StoreSettings.load().store_name
        StoreSettings.objects.filter(pk=store.pk).update(store_name="改名后的店")  # bulk update: no signal
        return HttpResponse(f"{first}|{StoreSettings.load().store_name}")

    middleware = StoreSettingsScopeMiddleware(view)
    StoreSettings.objects.filter(pk=store.pk).update(store_name="第一家店")

    first = middleware(RequestFactory().get("/")).content.decode()
    second = middleware(RequestFactory().get("/")).content.decode()

    assert first == "第一家店|第一家店"  # one read per request
    assert second == "改名后的店|改名后的店"  # the next request sees the change


def test_each_request_reads_the_settings_afresh(agent_client, store):
    StoreSettings.objects.filter(pk=store.pk).update(store_name="第一家店")
    first = agent_client.get("/aftersales/queue/mine/")
    StoreSettings.objects.filter(pk=store.pk).update(store_name="改名后的店")
    second = agent_client.get("/aftersales/queue/mine/")

    assert first.status_code == second.status_code == 200
    with CaptureQueriesContext(connection) as reads:
        StoreSettings.load()
    assert len(reads) == 1  # nothing was left behind by the requests


@app.task(name="tests.storecache.read_first_response_minutes")
def _read_first_response_minutes() -> int:
    first = StoreSettings.load().first_response_minutes
    with CaptureQueriesContext(connection) as again:
        assert StoreSettings.load().first_response_minutes == first
    assert len(again) == 0  # kept for the rest of the task
    return first


def test_a_settings_change_is_seen_by_the_next_task(store):
    StoreSettings.objects.filter(pk=store.pk).update(first_response_minutes=4)
    assert _read_first_response_minutes.delay().get() == 4

    StoreSettings.objects.filter(pk=store.pk).update(first_response_minutes=7)
    assert _read_first_response_minutes.delay().get() == 7


# --- the admin's texts and rules: message templates, auto-reply rules, banned phrases, survey settings ---------------


def test_texts_and_rules_are_read_once_inside_a_scope(store):
    from backoffice.cases import services as casework
    from backoffice.messaging import outbox
    from quality import screening
    from surveys.models import SurveySettings
    from tests.factories import CaseFactory

    case = CaseFactory()  # before the scope: making its store data saves settings, which empties the scope
    with store_settings_scope():
        outbox.active_template("refund_apology")
        screening.active_rules()
        SurveySettings.load()
        casework.record_customer_message(case=case, body="退款多久到账？")
        with CaptureQueriesContext(connection) as later:
            for _ in range(5):
                outbox.active_template("refund_apology")
                screening.find_phrases("加我微信")
                SurveySettings.load()
            casework.record_customer_message(case=case, body="退款多久到账")

    assert [q["sql"] for q in later if "autoreplyrule" in q["sql"] or "messagetemplate" in q["sql"]] == []
    assert not [q for q in later if "banned" in q["sql"] or "surveysettings" in q["sql"]]


def test_an_edited_template_inside_the_scope_is_the_one_sent_next():
    from backoffice.messaging import outbox
    from tests.factories import MessageTemplateFactory

    template = MessageTemplateFactory(key="scope_probe", body="旧的话")
    with store_settings_scope():
        assert outbox.active_template("scope_probe").body == "旧的话"
        template.body = "新的话"
        template.save()
        assert outbox.active_template("scope_probe").body == "新的话"
        template.active = False
        template.save()
        assert outbox.active_template("scope_probe") is None


def test_a_banned_phrase_added_inside_the_scope_is_screened_at_once():
    from quality import screening
    from quality.models import BannedPhrase, Severity

    with store_settings_scope():
        assert not any(m.rule.phrase == "送你红包改评价" for m in screening.find_phrases("我送你红包改评价吗"))
        BannedPhrase.objects.create(phrase="送你红包改评价", severity=Severity.BLOCK, reason="站外交易")
        assert any(m.rule.phrase == "送你红包改评价" for m in screening.find_phrases("我送你红包改评价吗"))


def test_survey_settings_and_auto_reply_rules_changed_inside_the_scope_are_seen(store):
    from backoffice.cases.services import _active_auto_reply_rules
    from backoffice.store.cache import kept
    from surveys.models import SurveySettings
    from tests.factories import AutoReplyRuleFactory

    with store_settings_scope():
        before = len(kept("auto_reply_rules", _active_auto_reply_rules))
        AutoReplyRuleFactory()
        assert len(kept("auto_reply_rules", _active_auto_reply_rules)) == before + 1

        survey_settings = SurveySettings.load()
        changed = SurveySettings.objects.get(pk=survey_settings.pk)
        changed.enabled = not survey_settings.enabled
        changed.save()
        assert SurveySettings.load().enabled is changed.enabled
