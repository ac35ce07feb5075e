"""seed_demo: a believable store, the same however often it runs."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max
from django.test import override_settings

from backoffice.demo import DEMO_ORDER_REGEX, DEMO_PASSWORD, DEMO_STAFF, DEMO_URL
from backoffice.models import Holiday, Order, Shipment, StoreSettings, TrackingEvent
from backoffice.platform.shipping import compute_ship_by
from backoffice.staff.roles import Role
from tests.factories import shanghai

NOW = shanghai(2026, 11, 25, 15, 0)
HOUR = dt.timedelta(hours=1)
ORDERS = 200


def row_counts() -> dict[str, int]:
    models = [*apps.get_app_config("backoffice").get_models(), *apps.get_app_config("aftersales").get_models()]
    counts = {model._meta.label: model.objects.count() for model in models}
    counts["auth.User"] = get_user_model().objects.count()
    counts["auth.User_groups"] = get_user_model().groups.through.objects.count()
    return counts


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Runs the command twice at a fixed time; the tests of this module share the result, rolled back at the end."""
    outputs, counts = [], []
    # A fast hasher: the staff's password is hashed once and checked in several tests.
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        with time_machine.travel(NOW, tick=False):
            for _run in range(2):
                out = io.StringIO()
                call_command("seed_demo", "--orders", str(ORDERS), stdout=out)
                outputs.append(out.getvalue())
                counts.append(row_counts())
        yield {"outputs": outputs, "counts": counts}
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_second_run_creates_nothing(seeded):
    first, second = seeded["counts"]

    assert second == first


def test_first_run_makes_the_requested_orders(seeded):
    assert Order.objects.filter(number__regex=DEMO_ORDER_REGEX).count() == ORDERS


def test_both_runs_print_the_url_and_logins(seeded):
    for output in seeded["outputs"]:
        assert DEMO_URL in output
        assert DEMO_PASSWORD in output
        for member in DEMO_STAFF:
            assert member.username in output


@pytest.mark.parametrize("member", DEMO_STAFF, ids=lambda m: m.username)
def test_staff_can_log_in_with_the_demo_password_in_their_role_group(seeded, member):
    user = get_user_model().objects.get(username=member.username)

    assert user.check_password(DEMO_PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == [member.role]
    assert user.get_full_name() or user.last_name


def test_three_agents_one_supervisor_one_staff_store_admin(seeded):
    users = get_user_model().objects.filter(username__in=[m.username for m in DEMO_STAFF])

    assert users.filter(groups__name=Role.AGENT).count() == 3
    assert users.filter(groups__name=Role.SUPERVISOR).count() == 1
    assert list(users.filter(is_staff=True).values_list("username", flat=True)) == ["storeadmin"]
    assert not users.filter(is_superuser=True).exists()


def test_every_order_status_is_seeded(seeded):
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)


def test_logistics_exceptions_are_seeded(seeded):
    store = StoreSettings.load()
    awaiting = Order.objects.filter(status=Order.Status.AWAITING_SHIPMENT)
    in_transit = Shipment.objects.filter(order__status=Order.Status.SHIPPED)

    assert awaiting.filter(ship_by__lt=NOW).exists(), "late, not shipped"
    assert awaiting.filter(ship_by__gte=NOW, ship_by__lt=NOW + store.ship_warning_hours * HOUR).exists(), "due soon"
    assert in_transit.filter(last_event_at__lt=NOW - store.tracking_stall_hours * HOUR).exists(), "stalled"
    assert (
        in_transit.filter(last_event_at=None, shipped_at__lt=NOW - store.first_tracking_event_hours * HOUR)
        .exclude(tracking_no="")
        .exists()
    ), "no tracking event after 24 h"
    assert in_transit.filter(tracking_no="").exists(), "no tracking number"


def test_order_numbers_are_pdd_style(seeded):
    for number in Order.objects.values_list("number", flat=True):
        assert re.fullmatch(r"\d{6}-[1-8]\d{14}", number), number


def test_order_numbers_start_with_the_local_payment_date(seeded):
    for order in Order.objects.all()[:50]:
        assert order.number.startswith(order.paid_at.astimezone(NOW.tzinfo).strftime("%y%m%d"))


def test_ship_by_follows_l1_and_l2(seeded):
    store = StoreSettings.load()
    for order in Order.objects.prefetch_related("items__sku__product"):
        products = [item.sku.product for item in order.items.all()]
        assert order.ship_by == compute_ship_by(paid_at=order.paid_at, products=products, store=store)


def test_amounts_add_up_in_fen(seeded):
    for order in Order.objects.prefetch_related("items"):
        assert order.goods_fen == sum(item.total_fen for item in order.items.all())
        assert order.paid_fen == order.goods_fen + order.shipping_fen - order.discount_fen


def test_nothing_happens_in_the_future(seeded):
    assert not Order.objects.filter(paid_at__gt=NOW).exists()
    assert not Order.objects.filter(delivered_at__gt=NOW).exists()
    assert not TrackingEvent.objects.filter(at__gt=NOW).exists()


def test_shipments_remember_their_last_tracking_event(seeded):
    shipments = Shipment.objects.annotate(latest=Max("events__at"), events_count=Count("events"))
    for shipment in shipments:
        assert shipment.last_event_at == shipment.latest
        if shipment.events_count:
            assert shipment.state == shipment.events.order_by("-at").first().state


def test_tracking_events_move_forward_from_shipping(seeded):
    for shipment in Shipment.objects.prefetch_related("events"):
        times = [event.at for event in sorted(shipment.events.all(), key=lambda e: e.at)]
        assert all(shipment.shipped_at < at for at in times)
        assert times == sorted(set(times))


def test_spring_festival_comes_with_a_worked_day(seeded):
    spring = Holiday.objects.filter(name__startswith="春节", date__year=2026)

    assert spring.filter(is_workday=False).count() >= 7
    assert spring.filter(is_workday=True).exists()
