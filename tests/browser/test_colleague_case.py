"""An agent replying on a colleague's case is asked first, in the browser: "no" sends nothing and keeps the reply,
"yes" sends it and the timeline says whose case it was."""

import pytest
from playwright.sync_api import expect

from backoffice.models import CaseEvent, EventType
from tests.factories import CaseFactory

from .conftest import login, make_staff

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db(transaction=True)
def test_replying_on_a_colleagues_case_asks_first_and_is_recorded(page, live_server):
    wang = make_staff("agent_wang", "agent", PASSWORD, name="王 小丽")
    li = make_staff("agent_li", "agent", PASSWORD, name="李 娜")
    case = CaseFactory(assignee=wang)
    login(page, live_server, "agent_li", PASSWORD)
    page.goto(f"{live_server.url}/aftersales/case/{case.number}/")
    questions = []

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.fill("#reply-body", "您好，我是李娜，帮王小丽跟进一下")
    page.click("[data-testid=send-reply]")

    for _ in range(100):  # the dialog comes as an event, after the click returns
        if questions:
            break
        page.wait_for_timeout(50)
    expect(page.locator("#reply-body")).to_have_value("您好，我是李娜，帮王小丽跟进一下")
    assert questions == ["这是王小丽的工单。仍要处理吗？处理会记录在工单上。"]
    assert not CaseEvent.objects.filter(case=case, type=EventType.REPLY).exists()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=send-reply]")

    expect(page.locator("#timeline")).to_contain_text("李娜 确认代王小丽处理此工单")
    expect(page.locator("#timeline")).to_contain_text("您好，我是李娜，帮王小丽跟进一下")
    reply = CaseEvent.objects.get(case=case, type=EventType.REPLY)
    assert reply.actor == li
    assert CaseEvent.objects.get(case=case, type=EventType.ACTED_FOR).after == {"held_by": "agent_wang"}


@pytest.mark.django_db(transaction=True)
def test_a_colleagues_case_opened_in_place_from_a_queue_row_asks_too(page, live_server):
    from backoffice.models import Status

    wang = make_staff("agent_wang", "agent", PASSWORD, name="王 小丽")
    make_staff("agent_li", "agent", PASSWORD)
    case = CaseFactory(assignee=wang, status=Status.WAITING)
    login(page, live_server, "agent_li", PASSWORD)
    page.goto(f"{live_server.url}/aftersales/queue/waiting/")
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))

    page.get_by_role("link", name=case.number).click()
    expect(page.locator("#case-panel")).to_be_visible()
    assert page.url.endswith(f"/aftersales/case/{case.number}/")
    page.fill("#reply-body", "您好，王小丽今天休息，我来跟进")
    page.click("[data-testid=send-reply]")

    expect(page.locator("#timeline")).to_contain_text("您好，王小丽今天休息，我来跟进")
    assert questions == ["这是王小丽的工单。仍要处理吗？处理会记录在工单上。"]
    assert CaseEvent.objects.filter(case=case, type=EventType.ACTED_FOR).count() == 1
