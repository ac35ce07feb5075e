"""The global audit log: what it lists, its filters, its CSV export, immutability, and settings changes in admin."""

import csv
import io
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from backoffice.cases import services as casework
from backoffice.models import (
    BusinessHours,
    Campaign,
    CaseEvent,
    EventType,
    Holiday,
    Priority,
    QuickPhrase,
    Status,
    StoreSettings,
)
from backoffice.staff.roles import staff_display_name
from backoffice.store.money import format_yuan
from backoffice.supervisor import audit
from tests.factories import CaseFactory, QuickPhraseFactory, shanghai

from .conftest import NOW

AUDIT = reverse("supervisor:audit")
EXPORT = reverse("supervisor:audit_csv")


def event(*, at, type=EventType.NOTE, actor=None, case=None, body="", target="", before=None, after=None):
    return CaseEvent.objects.create(
        at=at,
        type=type,
        actor=actor,
        case=case,
        body=body,
        target=target or (case.number if case else ""),
        before=before or {},
        after=after or {},
    )


@pytest.fixture
def log(db, agent, agent2, supervisor):
    """A small log: notes by two agents on two cases, a system auto-reply, and a settings change."""
    first = CaseFactory(number="AS-20261118-0001", created_at=shanghai(2026, 11, 18, 9))
    second = CaseFactory(number="AS-20261119-0001", created_at=shanghai(2026, 11, 19, 9))
    return {
        "note1": event(at=shanghai(2026, 11, 18, 10), actor=agent, case=first, body="客户说尺码偏小"),
        "note2": event(at=shanghai(2026, 11, 19, 23, 59), actor=agent2, case=second, body="已联系快递"),
        "auto": event(at=shanghai(2026, 11, 20, 0, 0), type=EventType.AUTO_REPLY, case=second, body="亲，在的~"),
        "settings": event(
            at=shanghai(2026, 11, 20, 9),
            type=EventType.SETTINGS_CHANGED,
            actor=supervisor,
            target="storesettings:1",
            before={"refund_handle_hours": 48},
            after={"refund_handle_hours": 24},
        ),
        "cases": (first, second),
    }


def _numbers(response) -> set[int]:
    return {row.record.pk for row in response.context["table"].paginated_rows}


def test_the_log_lists_case_events_and_settings_changes_newest_first(supervisor_client, log):
    response = supervisor_client.get(AUDIT)
    rows = [row.record.pk for row in response.context["table"].paginated_rows]
    assert rows == [log["settings"].pk, log["auto"].pk, log["note2"].pk, log["note1"].pk]
    # The settings change reads in words: which settings, which setting, from what to what.
    with translation.override("zh-hans"):
        setting = str(StoreSettings._meta.get_field("refund_handle_hours").verbose_name)
        record = str(StoreSettings._meta.verbose_name)
    assert 'data-target="storesettings:1"' in response.text and f">{record}<" in response.text
    assert setting in response.text and "refund_handle_hours" not in response.text
    assert "客户说尺码偏小" in response.text


def test_the_log_says_changes_in_words(supervisor_client, agent, in_english):
    in_english(supervisor_client)
    case = CaseFactory(status=Status.NEW)
    casework.claim_case(case=case, agent=agent)
    casework.set_priority(case=case, priority=Priority.HIGH, actor=agent)
    store = StoreSettings.load()
    audit.record_settings_change(
        actor=agent,
        instance=store,
        before={"auto_refund_threshold_fen": 2000, "auto_assign": False},
        after={"auto_refund_threshold_fen": 2550, "auto_assign": True},
    )

    text = supervisor_client.get(AUDIT).text

    name = staff_display_name(agent)
    assert f'<span class="change-key">assignee</span> — <span aria-hidden="true">→</span> {name}' in text
    assert '<span class="change-key">status</span> New <span aria-hidden="true">→</span> In progress' in text
    assert '<span class="change-key">priority</span> Normal <span aria-hidden="true">→</span> High' in text
    assert '¥20.00 <span aria-hidden="true">→</span> ¥25.50' in text
    assert 'No <span aria-hidden="true">→</span> Yes' in text or 'no <span aria-hidden="true">→</span> yes' in text


def test_filter_by_person(supervisor_client, log, agent):
    assert _numbers(supervisor_client.get(AUDIT, {"actor": agent.pk})) == {log["note1"].pk}


def test_filter_by_the_system(supervisor_client, log):
    assert _numbers(supervisor_client.get(AUDIT, {"actor": "system"})) == {log["auto"].pk}


def test_the_systems_entries_name_the_system_as_their_person(supervisor_client, log):
    response = supervisor_client.get(AUDIT, {"actor": "system"})

    # The second cell of each row is its person.
    cells = re.findall(r"<tr[^>]*>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>(.*?)</td>", response.text, re.S)
    assert [cell.strip() for cell in cells] == ["系统"]


def test_filter_by_action(supervisor_client, log):
    found = _numbers(supervisor_client.get(AUDIT, {"type": EventType.SETTINGS_CHANGED}))
    assert found == {log["settings"].pk}


def test_filter_by_case_number_or_its_start_or_a_settings_target(supervisor_client, log):
    assert _numbers(supervisor_client.get(AUDIT, {"case": "AS-20261119-0001"})) == {log["note2"].pk, log["auto"].pk}
    assert len(_numbers(supervisor_client.get(AUDIT, {"case": "as-202611"}))) == 3
    assert _numbers(supervisor_client.get(AUDIT, {"case": "storesettings:1"})) == {log["settings"].pk}


def test_filter_by_shanghai_dates_includes_2359_of_the_last_day(supervisor_client, log):
    found = _numbers(supervisor_client.get(AUDIT, {"date_from": "2026-11-19", "date_to": "2026-11-19"}))
    assert found == {log["note2"].pk}  # 23:59 on the 19th in, 00:00 on the 20th out


def test_filter_by_text(supervisor_client, log):
    assert _numbers(supervisor_client.get(AUDIT, {"q": "快递"})) == {log["note2"].pk}


def test_a_bad_date_is_shown_as_an_error_not_a_crash(supervisor_client, log):
    response = supervisor_client.get(AUDIT, {"date_from": "yesterday"})
    assert response.status_code == 200 and "alert-error" in response.text


def test_htmx_filter_request_gets_only_the_results(supervisor_client, log):
    response = supervisor_client.get(
        AUDIT, {"actor": "system"}, headers={"HX-Request": "true", "HX-Target": "audit-results"}
    )
    assert response.text.lstrip().startswith('<div id="audit-results"')
    assert "<html" not in response.text


def test_the_results_a_filter_draws_carry_their_errors_and_an_export_of_the_same_filters(supervisor_client, log, agent):
    """The filters redraw only the results: the CSV link and a filter's error are part of them, so the export is
    always of what is on screen and a refused filter says why."""
    htmx = {"HX-Request": "true", "HX-Target": "audit-results"}
    results = supervisor_client.get(AUDIT, {"actor": agent.pk, "type": "note.added"}, headers=htmx).text
    assert f'id="audit-export" href="/supervisor/audit.csv?actor={agent.pk}&amp;type=note.added"' in results
    assert results.count('id="audit-export"') == 1

    inverted = supervisor_client.get(AUDIT, {"date_from": "2026-11-20", "date_to": "2026-11-01"}, headers=htmx).text
    assert "alert-error" in inverted and "结束日期不能早于开始日期" in inverted


def test_the_log_page_query_count_does_not_grow_with_rows(supervisor_client, agent, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            case = CaseFactory()
            event(at=NOW, actor=agent, case=case, body="备注", before={"status": "new"}, after={"status": "closed"})

    add(2)
    with django_assert_max_num_queries(9) as small:  # measured: 7
        supervisor_client.get(AUDIT)
    add(60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = supervisor_client.get(AUDIT)
    assert len(response.context["table"].paginated_rows) == 50


def _export(client, params=None) -> list[list[str]]:
    response = client.get(EXPORT, params or {})
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_has_every_column_and_the_same_filters(supervisor_client, log, in_english):
    in_english(supervisor_client)
    rows = _export(supervisor_client, {"case": "AS-20261119-0001"})
    assert rows[0] == audit.CSV_HEADER
    assert [row[0] for row in rows[1:]] == ["2026-11-20T00:00:00+08:00", "2026-11-19T23:59:00+08:00"]
    auto, note = rows[1], rows[2]
    assert auto[1:5] == ["system", "message.auto_reply", "Auto-reply", "AS-20261119-0001"]
    assert note[1] == "agent2" and note[6] == "已联系快递"


def test_csv_export_keeps_before_and_after_as_json(supervisor_client, log):
    rows = _export(supervisor_client, {"type": EventType.SETTINGS_CHANGED})
    assert rows[1][5] == "storesettings:1"
    assert rows[1][7:] == ['{"refund_handle_hours": 48}', '{"refund_handle_hours": 24}']


def test_csv_export_defuses_text_that_looks_like_a_formula(supervisor_client, agent):
    event(at=NOW, actor=agent, case=CaseFactory(), body="=cmd|' /C calc'!A0")
    rows = _export(supervisor_client)
    assert rows[1][6].startswith("'=")


# --- immutability -----------------------------------------------------------------------------------------------


def test_an_audit_entry_cannot_be_changed(log):
    note = log["note1"]
    note.body = "改写历史"
    with pytest.raises(PermissionDenied):
        note.save()
    note.refresh_from_db()
    assert note.body == "客户说尺码偏小"


def test_an_audit_entry_cannot_be_deleted(log):
    with pytest.raises(PermissionDenied):
        log["note1"].delete()
    assert CaseEvent.objects.filter(pk=log["note1"].pk).exists()


def test_a_case_with_audit_entries_cannot_be_deleted(log):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        log["cases"][0].delete()


def test_the_audit_log_offers_no_way_to_change_or_delete(supervisor_client, log):
    results = supervisor_client.get(AUDIT, headers={"HX-Request": "true", "HX-Target": "audit-results"}).text
    assert "<form" not in results and "<button" not in results and "hx-post" not in results
    assert supervisor_client.post(AUDIT, {"id": log["note1"].pk}).status_code == 405


def test_admin_case_page_shows_the_timeline_read_only_even_for_superusers(admin_client, log):
    first = log["cases"][0]
    url = reverse("admin:backoffice_case_change", args=[first.pk])
    response = admin_client.post(
        url,
        {
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
            "events-0-id": log["note1"].pk,
            "events-0-DELETE": "on",
        },
    )
    assert response.status_code == 403
    assert CaseEvent.objects.filter(pk=log["note1"].pk).exists()


def test_bulk_queryset_writes_are_refused_too(log):
    rows = CaseEvent.objects.filter(pk=log["note1"].pk)
    with pytest.raises(PermissionDenied), transaction.atomic():
        rows.update(body="改写历史")
    with pytest.raises(PermissionDenied), transaction.atomic():
        rows.delete()
    assert rows.get().body == "客户说尺码偏小"


# --- settings changes recorded from Django admin -----------------------------------------------------------------


def test_diff_keeps_only_the_fields_that_changed():
    before = {"a": 1, "b": "x", "c": None}
    after = {"a": 2, "b": "x", "d": True}
    assert audit.diff(before, after) == ({"a": 1, "d": None}, {"a": 2, "d": True})


def test_snapshot_leaves_out_ids_timestamps_and_secrets(db):
    from backoffice.models import Integration

    integration = Integration(name="聊天网关")
    integration.issue_token()
    integration.save()
    assert set(audit.snapshot(integration)) == {"name", "active", "created_at", "last_used_at"}
    assert "updated_at" not in audit.snapshot(StoreSettings.load())


def test_a_quick_phrase_added_changed_and_deleted_in_admin_is_audited(admin_client_store, store_admin):
    add = admin_client_store.post(
        reverse("admin:backoffice_quickphrase_add"),
        {"title": "预售发货时间", "category": "物流", "body": "拍下 48 小时内发出", "sort_order": 10, "active": "on"},
    )
    assert add.status_code == 302
    phrase = QuickPhrase.objects.get(title="预售发货时间")
    change = admin_client_store.post(
        reverse("admin:backoffice_quickphrase_change", args=[phrase.pk]),
        {"title": "预售发货时间", "category": "物流", "body": "拍下 24 小时内发出", "sort_order": 10, "active": "on"},
    )
    assert change.status_code == 302
    delete = admin_client_store.post(reverse("admin:backoffice_quickphrase_delete", args=[phrase.pk]), {"post": "yes"})
    assert delete.status_code == 302

    events = list(
        CaseEvent.objects.filter(type=EventType.SETTINGS_CHANGED, target=f"quickphrase:{phrase.pk}").order_by("id")
    )
    assert [e.body.split(":")[0] for e in events] == ["added", "changed", "deleted"]
    assert all(e.actor == store_admin and e.case is None for e in events)
    assert events[0].before == {} and events[0].after["body"] == "拍下 48 小时内发出"
    assert events[1].before == {"body": "拍下 48 小时内发出"} and events[1].after == {"body": "拍下 24 小时内发出"}
    assert events[2].before["title"] == "预售发货时间" and events[2].after == {}


def test_a_list_edit_in_admin_is_audited(admin_client_store):
    phrase = QuickPhraseFactory(sort_order=10, active=True)
    url = reverse("admin:backoffice_quickphrase_changelist")
    response = admin_client_store.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": phrase.pk,
            "form-0-sort_order": "20",
            "form-0-active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    change = CaseEvent.objects.get(type=EventType.SETTINGS_CHANGED, target=f"quickphrase:{phrase.pk}")
    assert (change.before, change.after) == ({"sort_order": 10}, {"sort_order": 20})


def test_saving_without_changes_records_nothing(admin_client_store):
    phrase = QuickPhraseFactory()
    admin_client_store.post(
        reverse("admin:backoffice_quickphrase_change", args=[phrase.pk]),
        {
            "title": phrase.title,
            "category": phrase.category,
            "body": phrase.body,
            "sort_order": phrase.sort_order,
            "active": "on",
        },
    )
    assert not CaseEvent.objects.filter(type=EventType.SETTINGS_CHANGED).exists()


def test_business_hours_and_holidays_changed_under_the_store_settings_are_audited(admin_client_store, store):
    from tests.backoffice.test_admin import store_settings_form

    hours = BusinessHours.objects.filter(settings=store).order_by("weekday", "opens").first()
    data = store_settings_form(store)
    index = list(store.hours.all()).index(hours)
    data[f"hours-{index}-closes"] = "20:30"
    data.update({"holidays-TOTAL_FORMS": int(data["holidays-TOTAL_FORMS"]) + 1})
    new = int(data["holidays-TOTAL_FORMS"]) - 1
    data.update(
        {f"holidays-{new}-date": "2027-02-17", f"holidays-{new}-name": "春节", f"holidays-{new}-settings": store.pk}
    )

    response = admin_client_store.post(reverse("admin:backoffice_storesettings_change", args=[store.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    changed = CaseEvent.objects.get(type=EventType.SETTINGS_CHANGED, target=f"businesshours:{hours.pk}")
    assert changed.before == {"closes": hours.closes.isoformat()} and changed.after == {"closes": "20:30:00"}
    holiday = Holiday.objects.get(name="春节")
    added = CaseEvent.objects.get(type=EventType.SETTINGS_CHANGED, target=f"holiday:{holiday.pk}")
    assert added.after["date"] == "2027-02-17"


def test_a_campaign_changed_in_admin_is_audited(admin_client_store):
    campaign = Campaign.objects.order_by("pk").first()
    if campaign is None:
        pytest.skip("no campaign seeded")
    url = reverse("admin:backoffice_campaign_change", args=[campaign.pk])
    form = admin_client_store.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data = {k: form.fields[k].prepare_value(v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    data["coupon_value_fen"] = format_yuan(campaign.coupon_value_fen + 500)
    data = {k: v for k, v in data.items() if v is not False}
    response = admin_client_store.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    change = CaseEvent.objects.get(type=EventType.SETTINGS_CHANGED, target=f"campaign:{campaign.pk}")
    assert change.after == {"coupon_value_fen": campaign.coupon_value_fen + 500}


def test_settings_changes_appear_in_the_audit_log(supervisor_client, store_admin, db):
    phrase = QuickPhraseFactory(title="旧标题")
    before = audit.snapshot(phrase)
    phrase.title = "新标题"
    phrase.save()
    audit.record_settings_change(actor=store_admin, instance=phrase, before=before, after=audit.snapshot(phrase))
    response = supervisor_client.get(AUDIT, {"type": EventType.SETTINGS_CHANGED})
    assert f"quickphrase:{phrase.pk}" in response.text and "新标题" in response.text


def test_bulk_assignment_events_are_in_the_log(supervisor_client, supervisor, agent):
    case = CaseFactory()
    casework.assign_cases(cases=[case], assignee=agent, actor=supervisor)
    rows = _export(supervisor_client, {"type": EventType.CASE_ASSIGNED})
    assert rows[1][1] == "supervisor" and rows[1][4] == case.number
