import pytest

from aftersales import services as aftersales
from backoffice.models import Campaign, CaseKind, Customer
from tests.factories import CustomerFactory, make_order


@pytest.fixture
def customer(db) -> Customer:
    return CustomerFactory(nickname="爱吃橘子的猫", name="张小花")


@pytest.fixture
def refunded_case(customer, agent):
    """A refund-only application approved by an agent, its refund confirmed by the platform (A9 starts there),
    still open (resolved) until closed."""

    def make(who: Customer | None = None, amount_fen: int = 5990):
        order = make_order(customer=who or customer, shipped=True, tracking_events=5)
        case = aftersales.open_application(kind=CaseKind.REFUND, order=order, amount_fen=amount_fen)
        case = aftersales.approve_refund(case=case, actor=agent)
        aftersales.confirm_payout(payout=case.payouts.get(), succeeded=True)
        return case

    return make


@pytest.fixture
def closed_refund(refunded_case, agent):
    def make(who: Customer | None = None):
        return aftersales.close_case(case=refunded_case(who), actor=agent)

    return make


@pytest.fixture
def a9(db) -> Campaign:
    return Campaign.objects.get(key="a9-refund-followup")
