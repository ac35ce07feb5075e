"""Django admin rules: the audit trail is append-only, tokens are shown once, the store settings are one record."""

import hashlib

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from backoffice.admin import StoreSettingsAdmin
from backoffice.models import CaseEvent, EventType, Integration, StoreSettings
from backoffice.store.money import format_yuan
from tests.factories import CaseEventFactory, CaseFactory, SkuFactory, make_order


@pytest.fixture
def event(db):
    return CaseEvent.objects.create(type=EventType.NOTE, body="内部备注：客户要求加急")


def test_case_event_admin_refuses_add_change_delete_even_for_superusers(admin_user, event):
    model_admin = admin.site._registry[CaseEvent]
    request = RequestFactory().get("/admin/")
    request.user = admin_user

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_case_event_change_form_does_not_save(admin_client, event):
    url = reverse("admin:backoffice_caseevent_change", args=[event.pk])

    response = admin_client.post(url, {"type": EventType.NOTE, "body": "改写历史", "at": "2020-01-01 00:00:00"})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.body == "内部备注：客户要求加急"


def test_case_event_cannot_be_deleted_or_added_in_admin(admin_client, event):
    delete = admin_client.post(reverse("admin:backoffice_caseevent_delete", args=[event.pk]), {"post": "yes"})
    add = admin_client.get(reverse("admin:backoffice_caseevent_add"))

    assert delete.status_code == 403
    assert add.status_code == 403
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_case_event_can_be_read_in_admin(admin_client, event):
    listing = admin_client.get(reverse("admin:backoffice_caseevent_changelist"))
    detail = admin_client.get(reverse("admin:backoffice_caseevent_change", args=[event.pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "内部备注" in detail.text


def test_saving_an_existing_case_event_raises(event):
    event.body = "改写历史"

    with pytest.raises(PermissionDenied):
        event.save()

    event.refresh_from_db()
    assert event.body == "内部备注：客户要求加急"


def test_deleting_a_case_event_raises(event):
    with pytest.raises(PermissionDenied):
        event.delete()

    assert CaseEvent.objects.filter(pk=event.pk).exists()


def added_token(response) -> str:
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    token_lines = [text for text in texts if "Token" in text or "令牌" in text or "token" in text]
    assert len(token_lines) == 1, texts
    integration = Integration.objects.get()
    # The message shows the whole token; find it by its stored hint (its first characters).
    prefix = integration.token_hint.rstrip("…")
    start = token_lines[0].index(prefix)
    return token_lines[0][start:].split()[0]


def test_new_integration_shows_its_token_once_and_stores_only_the_hash(admin_client_store):
    response = admin_client_store.post(
        reverse("admin:backoffice_integration_add"), {"name": "拼多多聊天网关", "active": "on"}, follow=True
    )

    assert response.status_code == 200
    token = added_token(response)
    integration = Integration.objects.get()
    assert len(token) >= 40
    assert integration.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(integration, f.attname)) for f in Integration._meta.concrete_fields]
    assert not any(token in value for value in stored)

    change = admin_client_store.get(reverse("admin:backoffice_integration_change", args=[integration.pk]))
    listing = admin_client_store.get(reverse("admin:backoffice_integration_changelist"))
    assert token not in change.text
    assert token not in listing.text


def test_editing_an_integration_keeps_its_token(admin_client_store):
    integration = Integration(name="短信网关")
    integration.issue_token()
    integration.save()
    old_hash = integration.token_hash

    response = admin_client_store.post(
        reverse("admin:backoffice_integration_change", args=[integration.pk]), {"name": "短信网关 2"}, follow=True
    )

    assert response.status_code == 200
    integration.refresh_from_db()
    assert integration.name == "短信网关 2"
    assert not integration.active
    assert integration.token_hash == old_hash


def test_store_settings_fieldsets_show_every_setting():
    shown = set()
    for _title, options in StoreSettingsAdmin.fieldsets:
        for entry in options["fields"]:
            shown.update(entry if isinstance(entry, tuple) else [entry])
    editable = {f.name for f in StoreSettings._meta.concrete_fields if f.editable and not f.primary_key}

    assert editable - shown == set()


def store_settings_form(store: StoreSettings, **changes) -> dict:
    data = {
        f.name: getattr(store, f.name)
        for f in StoreSettings._meta.concrete_fields
        if f.editable and not f.primary_key and f.name != "updated_at"
    }
    data = {name: value for name, value in data.items() if value is not False}
    # Amounts are typed in yuan, as the form shows them.
    data.update({name: format_yuan(value) for name, value in data.items() if name.endswith("_fen")})
    data.update(changes)
    for prefix, related in (("hours", store.hours.all()), ("holidays", store.holidays.all())):
        rows = list(related)
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows)})
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = row.pk
            data[f"{prefix}-{i}-settings"] = store.pk
            if prefix == "hours":
                data.update(
                    {
                        f"{prefix}-{i}-weekday": row.weekday,
                        f"{prefix}-{i}-opens": row.opens.strftime("%H:%M"),
                        f"{prefix}-{i}-closes": row.closes.strftime("%H:%M"),
                    }
                )
    return data


def test_changing_a_store_setting_is_recorded_in_the_audit_trail(admin_client_store, store_admin, store):
    url = reverse("admin:backoffice_storesettings_change", args=[store.pk])

    response = admin_client_store.post(url, store_settings_form(store, auto_refund_threshold_fen="30.00"))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    store.refresh_from_db()
    assert store.auto_refund_threshold_fen == 3000
    event = CaseEvent.objects.get(type=EventType.SETTINGS_CHANGED)
    assert event.actor == store_admin
    assert event.before == {"auto_refund_threshold_fen": 2000}
    assert event.after == {"auto_refund_threshold_fen": 3000}


def registered_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", registered_models(), ids=lambda model: model._meta.label)
def test_every_admin_list_opens_for_the_superuser(admin_client, model):
    opts = model._meta

    response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), follow=True)

    assert response.status_code == 200


def test_lists_show_money_in_yuan_and_mask_phones(admin_client):
    order = make_order(skus=[SkuFactory(price_fen=1250)])

    orders = admin_client.get(reverse("admin:backoffice_order_changelist"))
    customers = admin_client.get(reverse("admin:backoffice_customer_changelist"))

    phone = order.customer.phone
    masked = f"{phone[:3]}****{phone[-4:]}"
    assert "¥12.50" in orders.text
    assert masked in orders.text and masked in customers.text
    assert phone not in orders.text and phone not in customers.text


def test_case_page_in_admin_is_read_only_with_its_timeline(admin_client_store):
    case = CaseFactory()
    CaseEventFactory(case=case, type=EventType.NOTE, body="已联系快递核实")
    url = reverse("admin:backoffice_case_change", args=[case.pk])

    page = admin_client_store.get(url)
    post = admin_client_store.post(url, {"status": "closed"})

    assert page.status_code == 200
    assert "已联系快递核实" in page.text
    assert post.status_code == 403


def test_audit_events_refuse_bulk_update_and_delete(db):
    from django.core.exceptions import PermissionDenied

    from backoffice.models import CaseEvent, EventType

    CaseEvent.objects.create(type=EventType.SETTINGS_CHANGED, target="storesettings:1")
    with pytest.raises(PermissionDenied):
        CaseEvent.objects.filter(type=EventType.SETTINGS_CHANGED).update(body="rewritten")
    with pytest.raises(PermissionDenied):
        CaseEvent.objects.all().delete()
    assert CaseEvent.objects.get().body == ""


# --- amounts typed in yuan -----------------------------------------------------------------------------------------


def test_store_settings_show_and_take_amounts_in_yuan(admin_client_store, store, in_english):
    in_english(admin_client_store)
    url = reverse("admin:backoffice_storesettings_change", args=[store.pk])

    page = admin_client_store.get(url).text
    assert 'name="auto_refund_threshold_fen" value="20.00"' in page
    assert 'name="small_defect_compensation_fen" value="5.00"' in page
    assert "Amounts are in yuan, e.g. 20.00." in page

    response = admin_client_store.post(
        url, store_settings_form(store, auto_refund_threshold_fen="25.5", small_defect_compensation_fen="¥8")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    store.refresh_from_db()
    assert (store.auto_refund_threshold_fen, store.small_defect_compensation_fen) == (2550, 800)
    event = CaseEvent.objects.get(type=EventType.SETTINGS_CHANGED)
    assert event.after == {"auto_refund_threshold_fen": 2550, "small_defect_compensation_fen": 800}


def test_a_bad_amount_in_store_settings_says_why_and_loses_nothing(admin_client_store, store, in_english):
    in_english(admin_client_store)
    url = reverse("admin:backoffice_storesettings_change", args=[store.pk])

    response = admin_client_store.post(
        url, store_settings_form(store, auto_refund_threshold_fen="12.345", store_name="新店名")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {"auto_refund_threshold_fen": ["Use at most two decimals (fen)."]}
    # What was typed is still in the form, and nothing was saved.
    assert 'name="auto_refund_threshold_fen" value="12.345"' in response.text
    assert 'value="新店名"' in response.text
    store.refresh_from_db()
    assert store.auto_refund_threshold_fen == 2000 and store.store_name != "新店名"
    assert not CaseEvent.objects.filter(type=EventType.SETTINGS_CHANGED).exists()


def test_a_campaign_budget_is_typed_in_yuan_and_may_stay_empty(admin_client_store, in_english):
    from backoffice.models import Campaign, MessageTemplate

    in_english(admin_client_store)

    template = MessageTemplate.objects.filter(active=True).first()
    data = {
        "key": "spring",
        "name": "春季回访",
        "trigger": Campaign._meta.get_field("trigger").choices[0][0],
        "active": "on",
        "template": template.pk,
        "coupon_value_fen": "10",
        "threshold_fen": "99.90",
        "valid_days": "30",
        "cap_per_customer": "1",
        "cap_days": "30",
        "budget_fen": "",
    }

    response = admin_client_store.post(reverse("admin:backoffice_campaign_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    campaign = Campaign.objects.get(key="spring")
    assert (campaign.coupon_value_fen, campaign.threshold_fen, campaign.budget_fen) == (1000, 9990, None)
    page = admin_client_store.get(reverse("admin:backoffice_campaign_change", args=[campaign.pk])).text
    assert 'name="coupon_value_fen" value="10.00"' in page
    assert "¥0.00" in page  # issued so far, read-only
