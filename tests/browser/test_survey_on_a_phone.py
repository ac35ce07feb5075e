"""A customer answers the survey on a phone; a supervisor then finds the call-back in the queue (Playwright)."""

import re

import pytest

from backoffice.models import Status
from tests.factories import AgentFactory, CaseFactory
from tests.surveys.conftest import close, token_sent_for

from .conftest import login, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PASSWORD = "correct-horse-battery"


@pytest.fixture
def phone(browser):  # noqa: F811
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def desk(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_customer_answers_on_a_phone_and_the_call_back_appears(phone, desk, live_server, own_cache):
    from playwright.sync_api import expect

    case = CaseFactory(status=Status.RESOLVED, assignee=AgentFactory())
    close(case)
    token = token_sent_for(case)

    phone.goto(f"{live_server.url}/s/{token}/")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    # Reads well on a phone: nothing wider than the screen, big tap targets.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator("label.answer-dissatisfied").bounding_box()["height"] >= 44
    phone.locator("label.answer-dissatisfied").tap()
    phone.get_by_text("退款太慢").tap()
    phone.locator("textarea[name=comment]").fill("<b>等了三天</b>")
    phone.locator("button[type=submit]").tap()

    expect(phone.locator("main")).to_have_attribute("data-state", "thanks")
    phone.reload()
    expect(phone.locator("main")).to_have_attribute("data-state", "thanks")

    make_staff("zhang_min", "supervisor", PASSWORD)
    login(desk, live_server, "zhang_min", PASSWORD)
    desk.goto(f"{live_server.url}/surveys/callbacks/")
    row = desk.locator("table.queue-table tbody tr.clickable").first
    expect(row).to_contain_text(case.number)
    expect(row).to_contain_text("退款太慢")
    row.click()

    expect(desk).to_have_url(re.compile(r"/surveys/callback/CB-"))
    answer = desk.get_by_test_id("survey-answer")
    expect(answer).to_contain_text("<b>等了三天</b>")  # shown as text, never as markup
    expect(answer.locator("a", has_text=case.number)).to_be_visible()
