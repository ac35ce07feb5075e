"""What the live pages draw in the browser is Chinese too: the countdowns and elapsed waits, presence ("正在回复"),
unread rows, the quick-phrase picker, toasts after an action. The server-drawn pages are checked without a browser
(tests/test_chinese_only.py, with the same rules); here the page is read after its scripts have run."""

import pytest
from playwright.sync_api import expect

from backoffice.cases import services as casework
from backoffice.models import Status
from tests.factories import CaseFactory
from tests.test_chinese_only import _data_words, latin_words

from .conftest import login, make_staff

PASSWORD = "correct-horse-battery"


def new_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.mark.django_db(transaction=True)
def test_the_live_pages_after_their_scripts_ran_show_no_english(browser, live_server):
    wang = make_staff("agent_wang", "agent", PASSWORD, name="王 小丽")
    make_staff("agent_li", "agent", PASSWORD, name="李 娜")
    make_staff("boss_zhang", "supervisor", PASSWORD, name="张 敏")
    case = CaseFactory(assignee=wang)
    casework.record_customer_message(case=case, body="请问什么时候发货？")
    CaseFactory(assignee=wang, status=Status.IN_PROGRESS)
    CaseFactory(logistics=True)
    contexts, problems = [], {}
    try:
        (first_context, first), (second_context, second), (third_context, boss) = (new_page(browser) for _ in range(3))
        contexts += [first_context, second_context, third_context]
        login(first, live_server, "agent_wang", PASSWORD)
        login(second, live_server, "agent_li", PASSWORD)
        login(boss, live_server, "boss_zhang", PASSWORD)
        case_url = f"{live_server.url}/aftersales/case/{case.number}/"

        # 李娜 types on the case while 王小丽 looks at her queue and then at the case.
        second.goto(case_url)
        second.locator("#reply-body").press_sequentially("亲，", delay=30)
        first.goto(f"{live_server.url}/aftersales/queue/mine/")
        expect(first.locator("#queue-results")).to_contain_text("李娜", timeout=5_000)
        first.wait_for_timeout(1_200)  # countdowns tick
        data_words = _data_words()
        problems["queue"] = latin_words(first.content(), data_words)

        first.goto(case_url)
        second.locator("#reply-body").press_sequentially("稍等", delay=30)
        expect(first.locator("#presence")).to_contain_text("李娜", timeout=5_000)
        first.keyboard.press("p")
        expect(first.locator("[role=listbox]").first).to_be_visible()
        problems["case page, picker open"] = latin_words(first.content(), data_words)
        first.keyboard.press("Escape")
        first.locator("#reply-body").fill("好的亲，马上为您查询")
        first.keyboard.press("Control+Enter")
        expect(first.locator("#timeline")).to_contain_text("好的亲，马上为您查询", timeout=5_000)
        problems["case page, after sending"] = latin_words(first.content(), data_words)

        first.goto(f"{live_server.url}/logistics/queue/unassigned/")
        first.wait_for_timeout(1_200)
        problems["logistics queue"] = latin_words(first.content(), data_words)

        boss.goto(f"{live_server.url}/supervisor/")
        boss.wait_for_timeout(1_200)
        problems["supervisor dashboard"] = latin_words(boss.content(), data_words)
    finally:
        for context in contexts:
            context.close()

    assert {page: sorted(words) for page, words in problems.items() if words} == {}
