"""The factories other tests build on: each makes a valid row, with the relations a test expects."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from backoffice.models import Order, Shipment
from backoffice.staff.roles import Role, is_agent, is_store_admin, is_supervisor
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory",
    [
        f.UserFactory,
        f.CourierFactory,
        f.CustomerFactory,
        f.ProductFactory,
        f.SkuFactory,
        f.OrderFactory,
        f.OrderItemFactory,
        f.ShipmentFactory,
        f.TrackingEventFactory,
        f.CaseFactory,
        f.CaseCounterFactory,
        f.CaseEventFactory,
        f.MessageTemplateFactory,
        f.QuickPhraseFactory,
        f.AutoReplyRuleFactory,
        f.OutboundMessageFactory,
        f.IntegrationFactory,
        f.PayoutFactory,
        f.HolidayFactory,
        f.BusinessHoursFactory,
    ],
    ids=lambda factory: factory.__name__,
)
def test_each_factory_makes_a_valid_row(factory):
    obj = factory()

    obj.full_clean(validate_unique=False)
    assert obj.pk


def test_role_factories_put_users_in_their_groups():
    assert is_agent(f.AgentFactory())
    assert is_supervisor(f.SupervisorFactory())
    admin = f.StoreAdminFactory()
    assert is_store_admin(admin) and admin.is_staff


def test_role_traits_and_lists():
    assert list(f.UserFactory(agent=True).groups.values_list("name", flat=True)) == [Role.AGENT]
    both = f.UserFactory(roles=[Role.AGENT, Role.SUPERVISOR])
    assert set(both.groups.values_list("name", flat=True)) == {Role.AGENT, Role.SUPERVISOR}


def test_users_log_in_with_the_factory_password():
    user = f.UserFactory()

    assert get_user_model().objects.get(pk=user.pk).check_password(f.PASSWORD)


def test_order_amounts_follow_its_items():
    shirt = f.SkuFactory(price_fen=3990)
    mug = f.SkuFactory(price_fen=2990)

    order = f.OrderFactory(skus=[shirt, (mug, 2)], shipping_fen=1000, discount_fen=500)

    assert order.items.count() == 2
    assert order.goods_fen == 3990 + 2 * 2990
    assert order.paid_fen == order.goods_fen + 1000 - 500


def test_orders_share_one_default_sku():
    first, second = f.OrderFactory(), f.OrderFactory()

    assert first.items.get().sku == second.items.get().sku


def test_make_order_delivered_parcel():
    order = f.make_order(shipped=True, tracking_events=5)

    shipment = order.shipments.get()
    assert order.status == Order.Status.DELIVERED
    assert shipment.state == Shipment.State.DELIVERED
    assert shipment.delivered_at == order.delivered_at == shipment.events.first().at


def test_make_order_stalled_parcel():
    paid_at = f.shanghai(2026, 11, 10, 9, 0)

    order = f.make_order(paid_at=paid_at, tracking_events=2)

    shipment = order.shipments.get()
    assert order.status == Order.Status.SHIPPED
    assert shipment.last_event_at == paid_at + dt.timedelta(hours=4 + 12)


def test_make_order_without_tracking_number():
    order = f.make_order(shipped=True, tracking_no="")

    assert order.shipments.get().tracking_no == ""


def test_case_belongs_to_its_customers_order():
    case = f.CaseFactory()

    assert case.order.customer == case.customer
    assert case.amount_fen == case.order.paid_fen
    assert case.number.startswith("AS-")


def test_case_numbers_are_unique_per_desk():
    numbers = {f.CaseFactory().number, f.CaseFactory().number, f.CaseFactory(logistics=True).number}

    assert len(numbers) == 3


def test_integration_token_matches_its_hash():
    integration = f.IntegrationFactory(token="gateway-secret")

    assert integration.token_hash == f.hash_token("gateway-secret")


def test_store_settings_factory_changes_the_one_record():
    f.StoreSettingsFactory(ship_within_hours=72)

    assert f.StoreSettings.load().ship_within_hours == 72
