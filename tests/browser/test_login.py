"""Logging in, and the layout every desk page shares (tests/browser/conftest.py has the fixtures)."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import login, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def test_anonymous_visitor_lands_on_the_chinese_login_page(page, live_server):
    page.goto(f"{live_server.url}/")

    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # Field labels come from Django's own zh_Hans catalogue, so they are Chinese before ours is compiled.
    # Once locale/zh_Hans is compiled, also assert the product name: expect(page.locator("h1")).to_have_text("售后工作台").
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_label("密码")).to_be_visible()
    expect(page.locator("form.auth-form button[type=submit]")).to_be_visible()
    expect(page.locator(".lang-option.is-current")).to_have_text("简体中文")


def test_wrong_password_shows_an_error_and_keeps_the_username(page, live_server):
    make_staff("agent_wang", "agent", PASSWORD)

    login(page, live_server, "agent_wang", "not-the-password")

    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator(".alert-error")).to_be_visible()
    expect(page.locator("input[name=username]")).to_have_value("agent_wang")


def test_agent_logs_in_and_lands_on_their_queue_with_the_nav(page, live_server):
    make_staff("agent_li", "agent", PASSWORD)

    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", "agent_li")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.auth-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/aftersales/queue/mine/$"))
    nav = page.locator("header.topbar")
    expect(nav).to_be_visible()
    expect(nav.locator("nav.desks a.active")).to_have_attribute("href", "/aftersales/queue/mine/")
    expect(nav.locator(".user-name")).to_have_text("agent_li")
    # Django admin is the store admin's: an agent is not offered it.
    expect(nav.locator("a[href='/admin/']")).to_have_count(0)


def test_store_admin_sees_the_store_admin_link(page, live_server):
    make_staff("admin_zhao", "store_admin", PASSWORD)
    login(page, live_server, "admin_zhao", PASSWORD)

    page.goto(f"{live_server.url}/no-such-page/")

    expect(page.locator("header.topbar a[href='/admin/']")).to_be_visible()


def test_logged_in_pages_share_the_layout_even_on_404(page, live_server):
    make_staff("agent_chen", "agent", PASSWORD)
    login(page, live_server, "agent_chen", PASSWORD)

    response = page.goto(f"{live_server.url}/no-such-page/")

    assert response.status == 404
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.locator(".error-code")).to_have_text("404")
    # Every htmx request carries the CSRF token.
    assert '"X-CSRFToken"' in page.locator("body").get_attribute("hx-headers")
    assert page.evaluate("typeof window.htmx") == "object"


def test_question_mark_opens_the_shortcuts_dialog_and_escape_closes_it(page, live_server):
    make_staff("agent_sun", "agent", PASSWORD)
    login(page, live_server, "agent_sun", PASSWORD)
    page.goto(f"{live_server.url}/no-such-page/")
    dialog = page.locator("#shortcuts-dialog")

    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_question_mark_typed_in_a_text_field_does_not_open_the_dialog(page, live_server):
    make_staff("agent_zhou", "agent", PASSWORD)
    login(page, live_server, "agent_zhou", PASSWORD)
    page.goto(f"{live_server.url}/no-such-page/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=probe>')")

    page.locator("#probe").press("?")

    expect(page.locator("#probe")).to_have_value("?")
    expect(page.locator("#shortcuts-dialog")).to_be_hidden()


def test_countdowns_tick_with_sla_classes(page, live_server):
    make_staff("agent_wu", "agent", PASSWORD)
    login(page, live_server, "agent_wu", PASSWORD)
    page.goto(f"{live_server.url}/no-such-page/")

    page.evaluate(
        """() => {
            const at = (minutes) => new Date(Date.now() + minutes * 60000).toISOString();
            document.querySelector('main').insertAdjacentHTML('beforeend',
              `<span id=ok data-countdown="${at(90)}"></span><span id=warn data-countdown="${at(20)}"></span>` +
              `<span id=due data-countdown="${at(3)}"></span><span id=over data-countdown="${at(-2)}"></span>` +
              `<span id=far data-countdown="${at(3 * 24 * 60)}"></span>`);
        }"""
    )

    # In the desk's language and units: the two largest units that matter.
    expect(page.locator("#ok")).to_have_class(re.compile(r"\bsla-ok\b"))
    expect(page.locator("#ok")).to_have_text(re.compile(r"^剩 1小时29分$"))
    expect(page.locator("#warn")).to_have_class(re.compile(r"\bsla-warn\b"))
    expect(page.locator("#warn")).to_have_text(re.compile(r"^剩 19分\d+秒$"))
    expect(page.locator("#due")).to_have_class(re.compile(r"\bsla-due\b"))
    expect(page.locator("#over")).to_have_class(re.compile(r"\bsla-over\b"))
    expect(page.locator("#over")).to_have_text(re.compile(r"^已超时 2分(\d+秒)?$"))
    expect(page.locator("#far")).to_have_text("剩 2天23小时")


def test_a_refused_confirm_stops_a_plain_form(page, live_server):
    make_staff("agent_zheng", "agent", PASSWORD)
    login(page, live_server, "agent_zheng", PASSWORD)
    page.goto(f"{live_server.url}/no-such-page/")
    page.evaluate(
        """document.querySelector('main').insertAdjacentHTML('beforeend',
           '<form id=f action="/elsewhere/" data-confirm="Refund ¥12.50?"><button>Go</button></form>')"""
    )
    questions = []

    def refuse(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.locator("#f button").click()

    assert questions == ["Refund ¥12.50?"]
    expect(page).to_have_url(re.compile(r"/no-such-page/$"))


def test_user_menu_switches_language_and_logs_out(page, live_server):
    make_staff("agent_feng", "agent", PASSWORD)
    login(page, live_server, "agent_feng", PASSWORD)
    page.goto(f"{live_server.url}/no-such-page/")

    page.locator(".user-menu summary").click()
    page.locator(".user-menu .lang-option[value=en]").click()

    expect(page).to_have_url(re.compile(r"/no-such-page/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header.topbar")).to_contain_text("After-sales")

    page.locator(".user-menu summary").click()
    page.locator(".user-menu form[action='/logout/'] button").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("form.auth-form")).to_be_visible()


def test_language_can_be_switched_on_the_login_page(page, live_server):
    page.goto(f"{live_server.url}/login/")

    page.locator(".lang-option[value=en]").click()

    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=3000)
