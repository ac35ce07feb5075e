"""What an agent really clicks: take the next case, reply with a quick phrase, approve the refund, close."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales import services
from backoffice.models import (
    Case,
    CaseEvent,
    CaseKind,
    Courier,
    Customer,
    EventType,
    Order,
    OrderItem,
    Product,
    QuickPhrase,
    Shipment,
    Sku,
    Status,
)

from .conftest import login, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_refund_case() -> Case:
    customer = Customer.objects.create(pdd_user_id="u-77", nickname="爱吃橘子的猫", name="张小花", phone="13812341234")
    product = Product.objects.create(goods_id="g-77", name="纯棉短袖T恤")
    sku = Sku.objects.create(product=product, code="sku-77", spec="白色 L", price_fen=5990)
    paid_at = timezone.now() - dt.timedelta(days=4)
    order = Order.objects.create(
        number="261121-123456789012345",
        customer=customer,
        status=Order.Status.DELIVERED,
        paid_fen=5990,
        goods_fen=5990,
        paid_at=paid_at,
        ship_by=paid_at + dt.timedelta(hours=48),
        shipped_at=paid_at + dt.timedelta(hours=10),
    )
    OrderItem.objects.create(order=order, sku=sku, product_name=product.name, spec=sku.spec, unit_price_fen=5990)
    courier = Courier.objects.create(code="yto", name="圆通速递")
    Shipment.objects.create(order=order, courier=courier, tracking_no="YT7788990011", shipped_at=order.shipped_at)
    QuickPhrase.objects.create(
        title="退款处理时效", body="{customer_name}您好，您的{courier}包裹{tracking_no}已收到反馈，马上处理"
    )
    return services.open_application(
        kind=CaseKind.REFUND, order=order, amount_fen=5990, reason="quality", message="杯子有裂缝，漏水<b>!</b>"
    )


def test_agent_takes_replies_refunds_and_closes(page, live_server):
    make_staff("xiaomei", "agent")
    case = make_refund_case()
    login(page, live_server, "xiaomei", "correct-horse-battery")

    page.goto(f"{live_server.url}/aftersales/queue/unassigned/")
    expect(page.locator("table.queue-table")).to_contain_text(case.number)
    page.keyboard.press("n")  # take next
    expect(page).to_have_url(re.compile(rf"/aftersales/case/{case.number}/$"))
    expect(page.locator(".event-customer").first).to_contain_text("杯子有裂缝，漏水<b>!</b>")

    page.wait_for_load_state()  # the page's keys work once its scripts have run
    page.keyboard.press("p")
    page.locator("#phrase-search").fill("退款")
    phrase = page.locator(".phrase", has_text="退款处理时效")
    expect(phrase).to_be_visible()
    phrase.click()
    expect(page.locator("#reply-body")).to_have_value("张小花您好，您的圆通速递包裹YT7788990011已收到反馈，马上处理")
    page.locator("#reply-body").press("Control+Enter")
    expect(page.locator(".event-reply").last).to_contain_text("YT7788990011")

    # The confirmation names the amount the server checked; only its "yes" refunds.
    page.locator("[data-testid=approve-refund]").click()
    expect(page.locator("[data-testid=payout-confirm]")).to_contain_text("¥59.90")
    page.locator("[data-testid=payout-yes]").click()
    expect(page.locator(".case-header .badge-resolved")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".case-buttons button:not([data-close-next])", has_text=re.compile("Close|关闭")).click()
    expect(page.locator(".case-header .badge-closed")).to_be_visible()

    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.resolved_amount_fen == 5990
    types = set(CaseEvent.objects.filter(case=case).values_list("type", flat=True))
    assert {EventType.CASE_CLAIMED, EventType.REPLY, EventType.REFUND_APPROVED} <= types
