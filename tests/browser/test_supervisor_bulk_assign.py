"""What a supervisor really clicks: tick queue rows, give them to an agent, find it in the audit log, read the review."""

import pytest
from playwright.sync_api import expect

from backoffice.models import Case, CaseEvent, EventType
from tests.factories import CaseFactory

from .conftest import login, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_bulk_assigns_from_the_queue_and_finds_it_in_the_audit_log(page, live_server):  # noqa: F811
    make_staff("zhangmin", "supervisor")
    lina = make_staff("lina", "agent")
    lina.last_name, lina.first_name = "李", "娜"
    lina.save(update_fields=["last_name", "first_name"])
    first, second, third = CaseFactory.create_batch(3)
    login(page, live_server, "zhangmin", "correct-horse-battery")

    page.goto(f"{live_server.url}/aftersales/queue/unassigned/")
    submit = page.locator("[data-bulk-submit]")
    expect(submit).to_be_disabled()
    # A click in the checkbox cell ticks the row; it does not open the case.
    page.locator(f"input[name=cases][value='{first.pk}']").click()
    page.locator(f"input[name=cases][value='{second.pk}']").locator("xpath=..").click()
    expect(page).to_have_url(f"{live_server.url}/aftersales/queue/unassigned/")
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    # Nobody chosen yet: the browser asks for a choice and nothing is sent (not "back to the queue" by default).
    submit.click()
    assert page.locator("#id_bulk_assignee").evaluate("select => select.validity.valueMissing")
    expect(page).to_have_url(f"{live_server.url}/aftersales/queue/unassigned/")
    assert not CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED).exists()
    page.select_option("#id_bulk_assignee", label="李娜 (lina)")
    page.once("dialog", lambda dialog: dialog.accept())
    submit.click()

    expect(page.locator(".flash-success")).to_contain_text("李娜")
    assert set(Case.objects.filter(assignee=lina).values_list("pk", flat=True)) == {first.pk, second.pk}
    assert Case.objects.get(pk=third.pk).assignee is None
    assert CaseEvent.objects.filter(type=EventType.CASE_ASSIGNED).count() == 2

    page.goto(f"{live_server.url}/supervisor/audit/?type={EventType.CASE_ASSIGNED}")
    expect(page.locator("#audit-results tbody tr")).to_have_count(2)
    page.fill("input[name=case]", first.number)
    expect(page.locator("#audit-results tbody tr")).to_have_count(1)

    page.goto(f"{live_server.url}/supervisor/reports/")
    expect(page.locator("#reasons svg.chart, #reasons .empty").first).to_be_visible()
    page.locator(".presets a").nth(2).click()  # the last 4 weeks
    expect(page.locator(".presets a").nth(2)).to_have_class("btn btn-sm btn-primary")
