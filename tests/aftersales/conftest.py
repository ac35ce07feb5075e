import datetime as dt

import pytest
from django.utils import timezone

from backoffice.models import Courier, Customer, Order, OrderItem, Product, Shipment, Sku


@pytest.fixture
def customer(db):
    return Customer.objects.create(pdd_user_id="u-1001", nickname="爱吃橘子的猫", name="张小花", phone="13812341234")


@pytest.fixture
def make_order(db, customer):
    counter = {"n": 0}

    def make(paid_fen: int = 5990, *, status=Order.Status.DELIVERED, shipped: bool = True, who=None) -> Order:
        counter["n"] += 1
        paid_at = timezone.now() - dt.timedelta(days=5)
        product, _ = Product.objects.get_or_create(
            goods_id="g-1", defaults={"name": "纯棉短袖T恤", "category": "apparel"}
        )
        sku, _ = Sku.objects.get_or_create(
            code="sku-1", defaults={"product": product, "spec": "白色 L", "price_fen": 5990}
        )
        order = Order.objects.create(
            number=f"261120-00000000000{counter['n']:04d}",
            customer=who or customer,
            status=status,
            goods_fen=paid_fen,
            paid_fen=paid_fen,
            paid_at=paid_at,
            ship_by=paid_at + dt.timedelta(hours=48),
            shipped_at=paid_at + dt.timedelta(hours=20) if shipped else None,
            receiver_name="张小花",
            receiver_phone="13812341234",
        )
        OrderItem.objects.create(
            order=order, sku=sku, product_name=product.name, spec=sku.spec, unit_price_fen=paid_fen
        )
        if shipped:
            courier, _ = Courier.objects.get_or_create(code="zto", defaults={"name": "中通快递"})
            Shipment.objects.create(
                order=order, courier=courier, tracking_no=f"7731{counter['n']:08d}", shipped_at=order.shipped_at
            )
        return order

    return make


@pytest.fixture
def order(make_order):
    return make_order()
