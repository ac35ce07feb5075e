"""Every key counts: an agent on a 1366×768 screen works the after-sales queue with the keyboard alone, and every
popover of the case pages stays inside that window."""

import datetime as dt
import os
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
    Payout,
    Product,
    QuickPhrase,
    Shipment,
    Sku,
    Status,
)
from logistics import detection
from logistics.models import Problem
from tests.factories import make_order

from .conftest import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1366, "height": 768}
SHOTS = os.environ.get("KEYS_SCREENSHOTS", "")  # a path prefix: the test keeps screenshots of the picker and popovers

# Counts real (trusted) pointer and mouse presses on every page the test opens, kept across page loads.
COUNT_MOUSE = """
for (const type of ["pointerdown", "mousedown", "wheel"]) {
  window.addEventListener(type, (event) => {
    if (!event.isTrusted) return;
    const seen = Number(sessionStorage.getItem("mouse-used") || "0");
    sessionStorage.setItem("mouse-used", String(seen + 1));
  }, true);
}
"""


@pytest.fixture
def screen(browser):
    context = browser.new_context(viewport=SCREEN, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}{name}.png")


def refund_case(n: int, *, shipped: bool = True, amount_fen: int = 5990) -> Case:
    customer = Customer.objects.create(
        pdd_user_id=f"u-7{n}", nickname=f"橘猫{n}", name=f"张小花{n}", phone="13812341234"
    )
    product, _ = Product.objects.get_or_create(goods_id="g-77", defaults={"name": "纯棉短袖T恤"})
    sku, _ = Sku.objects.get_or_create(
        code="sku-77", defaults={"product": product, "spec": "白色 L", "price_fen": 5990}
    )
    paid_at = timezone.now() - dt.timedelta(days=4)
    order = Order.objects.create(
        number=f"261121-12345678901234{n}",
        customer=customer,
        status=Order.Status.DELIVERED,
        paid_fen=5990,
        goods_fen=5990,
        paid_at=paid_at,
        ship_by=paid_at + dt.timedelta(hours=48),
        shipped_at=paid_at + dt.timedelta(hours=10) if shipped else None,
    )
    OrderItem.objects.create(order=order, sku=sku, product_name=product.name, spec=sku.spec, unit_price_fen=5990)
    if shipped:
        courier, _ = Courier.objects.get_or_create(code="yto", defaults={"name": "圆通速递"})
        Shipment.objects.create(
            order=order, courier=courier, tracking_no=f"YT778899001{n}", shipped_at=order.shipped_at
        )
    return services.open_application(
        kind=CaseKind.REFUND, order=order, amount_fen=amount_fen, reason="quality", message=f"杯子有裂缝 {n}"
    )


def active_option(page):
    return page.locator("#phrase-list .phrase.is-active")


def test_an_agent_works_the_queue_with_the_keyboard_alone(screen, live_server):
    page = screen
    agent = make_staff("xiaomei", "agent")
    # The first case's parcel never shipped: a phrase naming the tracking number cannot fill in and is skipped.
    first = refund_case(1, shipped=False)
    second = refund_case(2)
    greeting = QuickPhrase.objects.create(title="橘猫问候", body="{customer_name}您好，橘猫客服为您服务")
    QuickPhrase.objects.create(title="橘猫运单", body="您的运单号是{tracking_no}")
    arrival = QuickPhrase.objects.create(title="橘猫到账", body="退款会在24小时内原路到账")
    page.context.add_init_script(COUNT_MOUSE)

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "xiaomei")
    page.fill("input[name=password]", "correct-horse-battery")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.goto(f"{live_server.url}/aftersales/queue/unassigned/")
    expect(page.locator("table.queue-table")).to_contain_text(first.number)

    # n takes the next case (the oldest) and opens it.
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"/aftersales/case/{first.number}/$"))
    page.wait_for_load_state()  # the page's keys work once its scripts have run

    # r, then a greeting typed; Escape leaves the box and p opens the picker with its search focused.
    page.keyboard.press("r")
    page.keyboard.type("好的，")
    page.keyboard.press("Escape")
    page.keyboard.press("p")
    picker = page.locator("#phrase-picker")
    expect(picker).to_be_visible()
    expect(page.locator("#phrase-search")).to_be_focused()
    page.keyboard.type("橘猫")
    expect(page.locator("#phrase-list .phrase")).to_have_count(3)
    expect(page.locator("#phrase-list .phrase-na")).to_have_count(1)
    expect(active_option(page)).to_have_count(1)
    fits = page.locator("#phrase-list .phrase:not(.phrase-na)").evaluate_all("(all) => all.map((o) => o.id)")
    assert sorted(fits) == sorted([f"phrase-option-{greeting.pk}", f"phrase-option-{arrival.pk}"])
    expect(active_option(page)).to_have_attribute("id", fits[0])
    assert page.locator("#phrase-search").get_attribute("aria-activedescendant") == fits[0]
    # The arrows move among the phrases the case can fill and never onto the greyed one (listed last).
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(active_option(page)).to_have_attribute("id", fits[1])
    shot(page, "picker")
    page.keyboard.press("ArrowUp")
    expect(active_option(page)).to_have_attribute("id", fits[0])
    # The arrival phrase, wherever it is listed.
    if fits[0] != f"phrase-option-{arrival.pk}":
        page.keyboard.press("ArrowDown")
    expect(active_option(page)).to_have_attribute("id", f"phrase-option-{arrival.pk}")
    # Enter inserts the highlighted phrase at the caret, sends nothing, and goes back to the reply box.
    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    box = page.locator("#reply-body")
    expect(box).to_be_focused()
    expect(box).to_have_value("好的，退款会在24小时内原路到账")
    expect(page.locator("#reply-phrases")).to_have_value(str(arrival.pk))
    assert not CaseEvent.objects.filter(case=first, type=EventType.REPLY).exists()

    # "/keyword" in the reply box opens the same picker, filtered; Enter replaces "/keyword" with the phrase.
    page.keyboard.type("。/橘猫问")
    expect(picker).to_be_visible()
    expect(page.locator("#phrase-list .phrase")).to_have_count(1)
    expect(active_option(page)).to_have_attribute("id", f"phrase-option-{greeting.pk}")
    assert box.get_attribute("aria-activedescendant") == f"phrase-option-{greeting.pk}"
    shot(page, "picker-slash")
    page.keyboard.press("Enter")
    expect(box).to_have_value("好的，退款会在24小时内原路到账。张小花1您好，橘猫客服为您服务")
    expect(page.locator("#reply-phrases")).to_have_value(f"{arrival.pk},{greeting.pk}")
    # The caret leaving "/keyword" closes the picker; typing at its end again opens it.
    page.keyboard.type(" /到")
    expect(picker).to_be_visible()
    for _ in range(2):
        page.keyboard.press("ArrowLeft")
    expect(picker).to_be_hidden()
    page.keyboard.press("End")
    page.keyboard.type("账")
    expect(picker).to_be_visible()
    # Escape closes the picker without inserting anything.
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(box).to_be_focused()
    page.keyboard.press("Backspace")
    for _ in range(len(" /到账") - 1):
        page.keyboard.press("Backspace")

    # Ctrl+Enter sends.
    page.keyboard.press("Control+Enter")
    expect(page.locator("#timeline")).to_contain_text("张小花1您好，橘猫客服为您服务")
    reply = CaseEvent.objects.get(case=first, type=EventType.REPLY)
    assert reply.body == "好的，退款会在24小时内原路到账。张小花1您好，橘猫客服为您服务"

    # c: the case is not resolved, so the close form opens for the reason; Enter closes and takes the next case.
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    reason = page.locator(".case-buttons details[open] input[name=note]")
    expect(reason).to_be_focused()
    shot(page, "close-reason")
    page.keyboard.type("客户撤销了申请")
    page.once("dialog", lambda dialog: dialog.accept())  # the desk's "close without a resolution?" question
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/aftersales/case/{second.number}/$"))
    page.wait_for_load_state()
    expect(page.locator(".messages .flash")).to_have_count(2)  # closed, and taken
    assert_no_toast_covers_a_button(page)
    first.refresh_from_db()
    assert first.status == Status.CLOSED and first.assignee == agent
    closed = CaseEvent.objects.filter(case=first, type=EventType.CASE_STATUS).latest("id")
    assert (closed.after, closed.body, closed.actor) == ({"status": Status.CLOSED}, "客户撤销了申请", agent)
    assert Case.objects.get(pk=second.pk).assignee == agent

    # The refund, by keyboard: the amount, Enter asks the server, which names the checked amount; Enter pays it.
    amount = page.locator("[data-testid=approve-refund]").locator("xpath=..").locator("input[name=amount]")
    amount.focus()
    amount.fill("80")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=payout-refused]")).to_contain_text("¥59.90")
    expect(amount).to_have_value("80")
    shot(page, "refund-refused")
    amount.fill("12.5")
    page.keyboard.press("Enter")
    confirm = page.locator("[data-testid=payout-confirm]")
    expect(confirm).to_contain_text("¥12.50")
    expect(page.locator("[data-testid=payout-yes]")).to_be_focused()
    shot(page, "refund-confirm")
    # Escape says no and goes back to the amount; Enter asks again.
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(amount).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=payout-yes]")).to_be_focused()
    assert not Payout.objects.filter(case=second).exists()
    page.keyboard.press("Enter")
    expect(page.locator(".case-header .badge-resolved")).to_be_visible()
    assert Payout.objects.get(case=second).amount_fen == 1250

    # A resolved case: Ctrl+Shift+Enter sends the reply and closes the case in one request.
    page.keyboard.press("r")
    page.keyboard.type("已为您退款12.50元，祝您生活愉快")
    page.keyboard.press("Control+Shift+Enter")
    expect(page.locator(".case-header .badge-closed")).to_be_visible()
    second.refresh_from_db()
    assert second.status == Status.CLOSED and second.resolved_amount_fen == 1250
    types = list(CaseEvent.objects.filter(case=second).order_by("id").values_list("type", flat=True))
    assert types.index(EventType.REFUND_APPROVED) < types.index(EventType.REPLY) < len(types)
    assert CaseEvent.objects.filter(case=second, type=EventType.CASE_STATUS, after={"status": Status.CLOSED}).exists()
    # The toast after the action covers none of the action buttons.
    assert_no_toast_covers_a_button(page)

    assert page.evaluate("sessionStorage.getItem('mouse-used')") is None


def assert_no_toast_covers_a_button(page):
    overlaps = page.evaluate(
        """() => {
        const toasts = Array.from(document.querySelectorAll('.messages .flash')).map((t) => t.getBoundingClientRect());
        const buttons = document.querySelectorAll('.case-layout button, .case-layout .btn, .case-layout select');
        const hit = [];
        for (const button of buttons) {
          const b = button.getBoundingClientRect();
          if (!b.width) continue;
          for (const t of toasts) {
            if (b.left < t.right && t.left < b.right && b.top < t.bottom && t.top < b.bottom) hit.push(button.textContent.trim());
          }
        }
        return hit;
    }"""
    )
    assert overlaps == []


OPEN_EACH_POPOVER = """async () => {
  const outside = [];
  const popovers = Array.from(document.querySelectorAll('details.popover'));
  for (const details of popovers) {
    for (const other of popovers) other.open = false;
    details.scrollIntoView({block: 'center'});
    details.open = true;
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const form = details.querySelector('.popover-body');
    const body = form.getBoundingClientRect();
    const inside = body.left >= 0 && body.top >= 0 && body.right <= innerWidth && body.bottom <= innerHeight;
    // …and nothing drawn over it: its middle is its own.
    const middle = document.elementFromPoint((body.left + body.right) / 2, (body.top + body.bottom) / 2);
    if (!inside || !form.contains(middle)) {
      outside.push([details.querySelector('summary').textContent.trim(), body.left, body.top, body.right, body.bottom]);
    }
  }
  return [popovers.length, outside];
}"""


MIDDLE_IS_ITS_OWN = """(selector) => {
  const form = document.querySelector(selector);
  const box = form.getBoundingClientRect();
  return form.contains(document.elementFromPoint((box.left + box.right) / 2, (box.top + box.bottom) / 2));
}"""


def open_every_popover(page, expected: int) -> None:
    count, outside = page.evaluate(OPEN_EACH_POPOVER)
    assert count >= expected
    assert outside == []


def test_every_popover_stays_inside_a_1366_by_768_window(screen, live_server):
    page = screen
    make_staff("xiaomei", "agent")
    case = refund_case(3)
    now = timezone.now()
    order = make_order(paid_at=now - dt.timedelta(days=8), shipped_at=now - dt.timedelta(days=7), tracking_events=1)
    detection.sweep(full=True)
    stalled = Problem.objects.get(order=order).case

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "xiaomei")
    page.fill("input[name=password]", "correct-horse-battery")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")

    # An after-sales refund: its resolutions (refund, compensate, reship, reject) and the close form.
    page.goto(f"{live_server.url}/aftersales/case/{case.number}/")
    open_every_popover(page, expected=5)
    page.reload()  # the refund form open as the page comes, and the close form opened over it
    page.locator(".case-buttons details.popover summary").click()
    assert page.evaluate(MIDDLE_IS_ITS_OWN, ".case-buttons details.popover .popover-body")
    shot(page, "aftersales-close-popover")
    # The close form at the top right, opened by its button: inside the window, not cut at its right edge.
    body = page.locator(".case-buttons details.popover .popover-body").bounding_box()
    assert body["x"] >= 0 and body["x"] + body["width"] <= SCREEN["width"]
    assert body["y"] >= 0 and body["y"] + body["height"] <= SCREEN["height"]

    # A button low in the window: its popover flips above it instead of running off the bottom.
    page.keyboard.press("Escape")
    page.evaluate(
        """() => {
        document.querySelectorAll('details.popover').forEach((d) => (d.open = false));
        document.querySelector('.case-header').style.marginTop = '540px';
        window.scrollTo(0, 0);
    }"""
    )
    page.locator(".case-buttons details.popover summary").focus()
    page.keyboard.press("Enter")
    summary = page.locator(".case-buttons details.popover summary").bounding_box()
    body = page.locator(".case-buttons details.popover .popover-body").bounding_box()
    assert summary["y"] + summary["height"] + body["height"] > SCREEN["height"]  # it would not fit below
    assert body["y"] >= 0 and body["y"] + body["height"] <= summary["y"]
    shot(page, "aftersales-close-popover-flipped")

    # A logistics exception: the resolve form and the close form.
    page.goto(f"{live_server.url}/logistics/case/{stalled.number}/")
    open_every_popover(page, expected=2)
    page.locator("[data-testid=resolve-open]").click()
    shot(page, "logistics-resolve-popover")
    # One floating popover at a time: the close form the loop left open closed when the resolve form opened.
    expect(page.locator(".case-buttons details.popover[open]")).to_have_count(1)
    body = page.locator(".case-buttons details.popover[open] .popover-body").first.bounding_box()
    assert body["x"] >= 0 and body["x"] + body["width"] <= SCREEN["width"]
    assert body["y"] + body["height"] <= SCREEN["height"]


def test_c_closes_a_resolved_case_after_the_desks_question_and_opens_the_next(screen, live_server):
    page = screen
    agent = make_staff("xiaomei", "agent")
    resolved = refund_case(4)
    services.approve_refund(case=resolved, actor=agent, amount_fen=5990)
    Case.objects.filter(pk=resolved.pk).update(assignee=agent)
    waiting = refund_case(5)
    page.context.add_init_script(COUNT_MOUSE)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "xiaomei")
    page.fill("input[name=password]", "correct-horse-battery")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.goto(f"{live_server.url}/aftersales/case/{resolved.number}/")
    expect(page.locator("[data-testid=send-close]")).to_be_visible()  # a resolved case closes in one key

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.keyboard.press("c")
    expect(page).to_have_url(re.compile(rf"/aftersales/case/{waiting.number}/$"))
    assert asked and "回访" in asked[0]  # the desk's own question before closing a resolved case
    assert Case.objects.get(pk=resolved.pk).status == Status.CLOSED
    assert Case.objects.get(pk=waiting.pk).assignee == agent
    assert page.evaluate("sessionStorage.getItem('mouse-used')") is None
