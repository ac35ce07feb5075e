"""A logistics exception worked to the end: take it, call the courier, tell the customer, resolve."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.models import OutboundMessage, Status
from logistics import detection
from logistics.models import CourierContact, Problem
from tests.factories import make_order

from .conftest import login, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stalled_parcel_case():
    """A parcel without news for a week, found by the sweep: its logistics case."""
    now = timezone.now()
    order = make_order(paid_at=now - dt.timedelta(days=8), shipped_at=now - dt.timedelta(days=7), tracking_events=1)
    detection.sweep(full=True)
    return Problem.objects.get(order=order).case


def test_agent_works_a_stalled_parcel_to_the_end(page, live_server):
    make_staff("xiaowang", "agent")
    case = stalled_parcel_case()
    tracking_no = case.order.shipments.get().tracking_no

    login(page, live_server, "xiaowang", "correct-horse-battery")
    page.goto(f"{live_server.url}/logistics/queue/unassigned/")
    expect(page.locator("table.queue-table")).to_contain_text(case.number)
    expect(page.locator("table.queue-table")).to_contain_text(tracking_no)
    page.locator("#take-next-form button").click()
    expect(page).to_have_url(re.compile(rf"/logistics/case/{case.number}/$"))

    page.locator("[data-testid=contact-courier] summary").click()
    form = page.locator("[data-testid=contact-courier] form")
    form.locator("[name=contact]").fill("95311 客服 工号 1032")
    form.locator("[name=result]").fill("已登记催件，网点称今天中转")
    form.locator("button[type=submit]").click()
    expect(page.locator(".lg-problems")).to_contain_text("已登记催件")

    page.locator("[data-testid=notify-customer] summary").click()
    page.locator("[data-testid=notify-customer] select[name=template]").select_option("stalled_notice")
    page.locator("[data-testid=notify-customer] button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text(tracking_no)

    page.locator("[data-testid=resolve-open]").click()
    page.locator(".case-buttons select[name=outcome]").select_option("courier_chased")
    page.locator("[data-testid=resolve]").click()
    expect(page.locator(".case-header .badge-resolved")).to_be_visible()

    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.resolution == "courier_chased"
    assert CourierContact.objects.get(case=case).actor.username == "xiaowang"
    assert OutboundMessage.objects.filter(case=case, template_key="stalled_notice").exists()


def test_a_refused_courier_contact_comes_back_as_typed_with_its_reason_in_view(page, live_server):
    make_staff("xiaoli", "agent")
    case = stalled_parcel_case()

    login(page, live_server, "xiaoli", "correct-horse-battery")
    page.goto(f"{live_server.url}/logistics/case/{case.number}/")
    page.locator("[data-testid=contact-courier] summary").click()
    form = page.locator("[data-testid=contact-courier] form")
    form.locator("[name=contact]").fill("当地网点 王经理")
    form.locator("[name=result]").fill("网点说明天派送")
    form.locator("[name=next_check_at]").fill("2020-01-01T10:00")
    form.locator("button[type=submit]").click()

    reasons = page.locator("[data-testid=contact-courier] [data-refused]")
    expect(reasons).to_contain_text("下次跟进时间必须晚于当前时间")
    expect(reasons).to_be_in_viewport()
    form = page.locator("[data-testid=contact-courier] form")
    expect(form.locator("[name=contact]")).to_have_value("当地网点 王经理")
    expect(form.locator("[name=result]")).to_have_value("网点说明天派送")
    expect(form.locator("[name=next_check_at]")).to_be_focused()
    assert not CourierContact.objects.filter(case=case).exists()
