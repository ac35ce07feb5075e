"""Two agents on one case, and the gateway: a customer's message comes to the open page within 2 seconds while an
agent is typing (nothing typed is lost); the other agent sees who is on the case and who is replying."""

import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from backoffice.models import Case, Integration
from tests.factories import make_order

from .conftest import login, make_staff

PASSWORD = "correct-horse-battery"
# The pages poll every 1.5 s: what another person does shows within one or two polls. The bound leaves room for a
# loaded machine (the suite runs on every core); `manage.py bench_live` measures the delay itself.
LIVE = 5_000


def gateway_message(live_server, token: str, order, text: str, external_id: str) -> None:
    payload = {"external_id": external_id, "pdd_user_id": order.customer.pdd_user_id, "text": text}
    payload["order_number"] = order.number
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{live_server.url}/api/v1/messages",
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test's own live server
        assert response.status in (200, 201)


@pytest.mark.django_db(transaction=True)
def test_a_message_comes_to_the_open_page_while_typing_and_the_other_agent_sees_who_replies(browser, live_server):
    make_staff("agent_wang", "agent", PASSWORD, name="王 小丽")
    make_staff("agent_li", "agent", PASSWORD, name="李 娜")
    integration = Integration(name="聊天网关")
    token = integration.issue_token()
    integration.save()
    order = make_order()
    gateway_message(live_server, token, order, "你好，我的快递到哪了？", "m-1")
    case = Case.objects.get(order=order)

    contexts = [
        browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
        for _ in range(2)
    ]
    try:
        first, second = (context.new_page() for context in contexts)
        login(first, live_server, "agent_wang", PASSWORD)
        login(second, live_server, "agent_li", PASSWORD)
        case_url = f"{live_server.url}/aftersales/case/{case.number}/"
        first.goto(case_url)
        second.goto(case_url)

        # 王小丽 types; a new customer message arrives through the gateway.
        first.fill("#reply-body", "亲，我帮您查一下")
        first.locator("#reply-body").press_sequentially("，请稍等", delay=30)
        sent = time.monotonic()
        gateway_message(live_server, token, order, "麻烦快点，急用！", "m-2")
        expect(first.locator("#timeline")).to_contain_text("麻烦快点，急用！", timeout=LIVE)
        delay = time.monotonic() - sent
        assert delay < 2.0, f"the message took {delay:.2f} s"
        expect(first.locator("#reply-body")).to_have_value("亲，我帮您查一下，请稍等")

        # 李娜 sees that 王小丽 has the case open and is replying.
        first.locator("#reply-body").press_sequentially("~", delay=30)
        expect(second.locator("#presence")).to_contain_text("王小丽 正在回复", timeout=LIVE)
        expect(first.locator("#presence")).to_contain_text(re.compile("李娜 正在查看"), timeout=LIVE)
    finally:
        for context in contexts:
            context.close()


# The browser's notices and sound, recorded: a notice shown, a tone played (headless Chromium shows neither).
FAKE_NOTICES_AND_SOUND = """() => {
  window.notices = [];
  window.beeps = 0;
  window.Notification = function (title, options) { window.notices.push([title, options.body]); return { close() {} }; };
  window.Notification.permission = "granted";
  window.Notification.requestPermission = () => Promise.resolve("granted");
  Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
  const tone = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.beeps += 1; return tone.call(this); };
}"""


@pytest.mark.django_db(transaction=True)
def test_a_message_comes_to_the_open_queue_as_an_unread_row_and_the_row_shows_who_else_is_on_the_case(
    browser, live_server
):
    from backoffice.cases import services as casework

    wang = make_staff("agent_wang", "agent", PASSWORD, name="王 小丽")
    make_staff("agent_li", "agent", PASSWORD, name="李 娜")
    integration = Integration(name="聊天网关")
    token = integration.issue_token()
    integration.save()
    orders = [make_order(), make_order()]
    for n, order in enumerate(orders):
        gateway_message(live_server, token, order, "在吗？想问下发货时间", f"q-{n}")
    cases = [Case.objects.get(order=order) for order in orders]
    for case in cases:
        casework.claim_case(case=case, agent=wang)

    contexts = [
        browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
        for _ in range(2)
    ]
    try:
        first, second = (context.new_page() for context in contexts)
        login(first, live_server, "agent_wang", PASSWORD)
        login(second, live_server, "agent_li", PASSWORD)
        # 王小丽 has read both of her cases, then keeps her queue open with the second row selected (j, j).
        for case in cases:
            first.goto(f"{live_server.url}/aftersales/case/{case.number}/")
        first.goto(f"{live_server.url}/aftersales/queue/mine/")
        rows = first.locator("table.queue-table tbody tr.clickable")
        expect(rows).to_have_count(2)
        expect(first.locator("tr.is-unread")).to_have_count(0)
        first.keyboard.press("j")
        first.keyboard.press("j")
        selected = first.locator("tr.is-selected").get_attribute("data-href")
        # A filter being typed (not yet sent): the poll redraws the rows only and leaves the form alone.
        first.evaluate("document.querySelector('.filters input[type=search]').value = '半截'")
        base_title = first.title()
        # She allowed desktop notices and has the tab in the background; a click on the page lets it play sounds.
        first.evaluate(FAKE_NOTICES_AND_SOUND)
        first.click("h1")

        # A customer writes on the first case through the gateway: its row turns unread within 2 s.
        target = cases[0]
        row = first.locator(f'tr[data-href="/aftersales/case/{target.number}/"]')
        sent = time.monotonic()
        gateway_message(live_server, token, orders[0], "到底什么时候发货？", "q-2")
        expect(row).to_have_class(re.compile(r"\bis-unread\b"), timeout=LIVE)
        delay = time.monotonic() - sent
        assert delay < 2.0, f"the message took {delay:.2f} s to reach the queue"
        expect(row.locator("[data-testid=unread]")).to_have_attribute("aria-label", "买家发来新消息")
        expect(first).to_have_title(f"(1) {base_title}", timeout=LIVE)
        assert first.locator("tr.is-selected").get_attribute("data-href") == selected
        first.wait_for_function("window.notices.length > 0 && window.beeps > 0", timeout=LIVE)
        assert first.evaluate("window.notices") == [["买家发来新消息", target.number]]
        assert first.input_value(".filters input[type=search]") == "半截"

        # 李娜 opens that case: 王小丽's row says so, without a reload.
        second.goto(f"{live_server.url}/aftersales/case/{target.number}/")
        expect(row.locator("[data-testid=row-presence]")).to_contain_text("李娜 正在查看", timeout=LIVE)

        # 王小丽 opens the case from its row (in place): read. A message while it is open comes to its timeline and
        # is read there too; back in her queue the case is not unread and the title has no count.
        row.click()
        expect(first.locator("#timeline")).to_contain_text("到底什么时候发货？")
        gateway_message(live_server, token, orders[0], "麻烦尽快回复", "q-3")
        expect(first.locator("#timeline")).to_contain_text("麻烦尽快回复", timeout=LIVE)
        first.goto(f"{live_server.url}/aftersales/queue/mine/")
        expect(first.locator("tr.is-unread")).to_have_count(0)
        expect(first).to_have_title(base_title, timeout=LIVE)
    finally:
        for context in contexts:
            context.close()
