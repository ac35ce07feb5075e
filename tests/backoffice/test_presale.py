"""L2: switching a product to presale gives it a concrete ship-by time: the store's presale days from today."""

import datetime as dt

import time_machine
from django.urls import reverse

from backoffice.models import CaseEvent, EventType, Product
from tests.factories import ProductFactory, StoreSettingsFactory, shanghai

NOW = shanghai(2026, 11, 25, 15, 0)


def switch(client, product):
    with time_machine.travel(NOW, tick=False):
        return client.post(
            reverse("admin:backoffice_product_changelist"),
            {"action": "switch_to_presale", "_selected_action": [product.pk]},
        )


def test_switching_to_presale_ships_within_the_stores_presale_days(admin_client_store, store_admin):
    product = ProductFactory()

    assert switch(admin_client_store, product).status_code == 302

    product.refresh_from_db()
    assert product.presale_ship_by == shanghai(2026, 12, 2, 23, 59, 59)  # 7 days (the default)
    event = CaseEvent.objects.get(type=EventType.SETTINGS_CHANGED, target=f"product:{product.pk}")
    assert event.actor == store_admin and event.after == {"presale_ship_by": "2026-12-02T23:59:59+08:00"}


def test_the_presale_days_are_the_stores_setting(admin_client_store):
    StoreSettingsFactory(presale_default_days=3)
    product = ProductFactory()

    switch(admin_client_store, product)

    assert Product.objects.get(pk=product.pk).presale_ship_by.date() == dt.date(2026, 11, 28)
