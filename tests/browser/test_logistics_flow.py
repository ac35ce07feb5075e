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


def test_agent_works_a_stalled_parcel_to_the_end(page, live_server):
    make_staff("xiaowang", "agent")
    now = timezone.now()
    order = make_order(paid_at=now - dt.timedelta(days=8), shipped_at=now - dt.timedelta(days=7), tracking_events=1)
    detection.sweep(full=True)
    case = Problem.objects.get(order=order).case
    tracking_no = order.shipments.get().tracking_no

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
