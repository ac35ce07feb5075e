"""Store admins set up campaigns in Django admin and see follow-ups and coupons (read-only)."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from backoffice.models import Campaign, Coupon
from backoffice.store.defaults import ensure_store_defaults
from backoffice.tasks import sweep_followups
from tests.factories import shanghai


@pytest.mark.parametrize("model", ["campaign", "followup", "coupon"])
def test_store_admin_sees_the_follow_up_pages(admin_client_store, closed_refund, model):
    closed_refund()
    response = admin_client_store.get(reverse(f"admin:backoffice_{model}_changelist"))
    assert response.status_code == 200


def test_campaign_change_form_opens(admin_client_store, a9):
    assert admin_client_store.get(reverse("admin:backoffice_campaign_change", args=[a9.pk])).status_code == 200


def test_a_campaign_window_must_start_before_it_ends(a9):
    a9.delay_min_hours, a9.delay_max_hours = 48, 24
    with pytest.raises(ValidationError):
        a9.clean()
    a9.delay_min_hours, a9.delay_max_hours = 24, None
    with pytest.raises(ValidationError):
        a9.clean()


def test_admin_edits_to_a_default_campaign_survive_the_next_migrate(a9):
    Campaign.objects.filter(pk=a9.pk).update(coupon_value_fen=800)
    ensure_store_defaults()
    assert Campaign.objects.get(key="a9-refund-followup").coupon_value_fen == 800
    assert Campaign.objects.count() == 3


def test_marking_a_coupon_used_from_admin(admin_client_store, closed_refund):
    with time_machine.travel(shanghai(2026, 11, 25, 14), tick=False):
        closed_refund()
    with time_machine.travel(shanghai(2026, 11, 27, 14), tick=False):
        sweep_followups()
        coupon = Coupon.objects.get()
        admin_client_store.post(
            reverse("admin:backoffice_coupon_changelist"),
            {"action": "mark_used", "_selected_action": [coupon.pk]},
        )
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.USED and coupon.used_at is not None
