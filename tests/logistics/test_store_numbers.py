"""Store settings that had no test showing they matter: the L3 wait offered, and what "due soon" means."""

import pytest

from backoffice.cases import queues
from backoffice.models import Desk, OutboundMessage
from logistics import services
from logistics.models import Problem
from tests.factories import AgentFactory, CaseFactory, SkuFactory, StoreSettingsFactory, make_order

from .conftest import HOUR, MINUTE, NOW

pytestmark = pytest.mark.django_db


def test_the_out_of_stock_wait_offered_is_the_stores_setting(clock, sweep):
    StoreSettingsFactory(out_of_stock_wait_days=5)
    order = make_order(paid_at=NOW - 3 * HOUR, skus=[SkuFactory(stock=0, price_fen=3990)])
    sweep()
    case = Problem.objects.get(order=order).case

    offer = services.offer_out_of_stock_choice(case=case, actor=AgentFactory())

    assert offer.wait_days == 5
    assert "5 天" in OutboundMessage.objects.get(template_key="out_of_stock_offer").body


def test_due_soon_is_the_stores_setting(clock):
    agent = AgentFactory()
    CaseFactory(desk=Desk.AFTERSALES, due_at=NOW + 90 * MINUTE)

    StoreSettingsFactory(due_soon_minutes=60)
    assert queues.queue_cases("due_soon", user=agent, desk=Desk.AFTERSALES).count() == 0

    StoreSettingsFactory(due_soon_minutes=120)
    assert queues.queue_cases("due_soon", user=agent, desk=Desk.AFTERSALES).count() == 1
