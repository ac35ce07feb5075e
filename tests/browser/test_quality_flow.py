"""Quality review in the browser: a supervisor scores a case beside its timeline and the agent acknowledges it; an
agent who types a blocked phrase is told which rule it breaks and cannot send it."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.models import CaseEvent, EventType, Status
from quality.models import Criterion, Review, ReviewStatus, Scorecard
from tests.factories import CaseFactory

from .conftest import login, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


def test_supervisor_reviews_a_case_and_the_agent_acknowledges_it(page, browser, live_server):
    make_staff("zhangmin", "supervisor")
    agent = make_staff("xiaomei", "agent")
    card = Scorecard.objects.create(name="评分表")
    polite = Criterion.objects.create(scorecard=card, name="态度礼貌", weight=2, scale=5, sort_order=10)
    correct = Criterion.objects.create(scorecard=card, name="方案正确", weight=1, scale=5, sort_order=20)
    critical = Criterion.objects.create(scorecard=card, name="违规话术", critical=True, scale=1, sort_order=30)
    now = timezone.now()
    case = CaseFactory(assignee=agent, status=Status.CLOSED, closed_at=now, subject="杯子有裂缝")
    CaseEvent.objects.create(case=case, type=EventType.CUSTOMER_MESSAGE, body="杯子有裂缝，漏水", at=now)
    review = Review.objects.create(case=case, agent=agent, week=timezone.localdate(), reasons=["manual"])

    login(page, live_server, "zhangmin", PASSWORD)
    page.goto(f"{live_server.url}/quality/")
    expect(page.locator("[data-testid=qa-queue]")).to_contain_text(case.number)
    page.locator(f"a[href='/quality/reviews/{review.pk}/']").click()
    expect(page.locator("#timeline")).to_contain_text("杯子有裂缝，漏水")
    form = page.locator("[data-testid=qa-review-form]")
    form.locator(f"input[name=points_{polite.pk}][value='3']").check()
    form.locator(f"input[name=comment_{polite.pk}]").fill("开头没有致歉")
    form.locator(f"input[name=points_{correct.pk}][value='5']").check()
    form.locator(f"input[name=points_{critical.pk}][value='1']").check()
    form.locator("textarea[name=note]").fill("方案正确，注意语气")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/quality/$"))
    review.refresh_from_db()
    assert review.status == ReviewStatus.REVIEWED and str(review.score) == "73.3"  # (2 × 3/5 + 1) / 3

    agent_page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    login(agent_page, live_server, "xiaomei", PASSWORD)
    agent_page.goto(f"{live_server.url}/quality/mine/")
    expect(agent_page.locator("[data-testid=qa-mine]")).to_contain_text("73.3")
    agent_page.locator(f"a[href='/quality/mine/{review.pk}/']").click()
    expect(agent_page.locator("[data-testid=qa-scores]")).to_contain_text("开头没有致歉")
    expect(agent_page.locator("[data-testid=qa-scores]")).to_contain_text("方案正确，注意语气")
    agent_page.locator("[data-testid=qa-answer-form] textarea[name=note]").fill("收到，下次注意")
    agent_page.locator("[data-testid=qa-answer-form] button[value=acknowledge]").click()
    expect(agent_page.locator("[data-testid=qa-answer-form]")).to_have_count(0)
    expect(agent_page.locator(".qa-status-acknowledged").first).to_be_visible()
    agent_page.context.close()
    review.refresh_from_db()
    assert review.status == ReviewStatus.ACKNOWLEDGED and review.agent_note == "收到，下次注意"


def test_an_agent_cannot_send_a_blocked_phrase_and_confirms_a_warned_one(page, live_server):
    agent = make_staff("xiaomei", "agent")
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    login(page, live_server, "xiaomei", PASSWORD)
    page.goto(f"{live_server.url}/aftersales/case/{case.number}/")

    box = page.locator("#reply-body")
    box.fill("亲，您 加 V 信 吧，发您优惠")
    warning = page.locator("[data-testid=phrase-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("加*微信")
    expect(warning).to_contain_text("加 V 信")
    send = page.locator("[data-testid=send-reply]")
    expect(send).to_be_disabled()
    box.press("Control+Enter")
    page.wait_for_timeout(500)
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()

    box.fill("满意的话请给个五星好评呀")
    expect(warning).to_contain_text("五星好评")
    expect(send).to_be_enabled()
    send.click()
    page.wait_for_timeout(500)
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()
    page.locator("[data-testid=confirm-warnings]").check()
    send.click()
    expect(page.locator(".event-reply").last).to_contain_text("五星好评")
    assert CaseEvent.objects.filter(case=case, type=EventType.QA_PHRASE_WARNED, actor=agent).exists()
