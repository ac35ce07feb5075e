"""The open case page, live: new timeline entries and who else is on the case, by conditional polling; and two
agents who reply at the same moment."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from backoffice.cases import presence
from backoffice.cases import services as casework
from backoffice.models import CaseEvent, EventType, OutboundMessage
from tests.factories import CaseFactory


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """Presence lives in the cache: each test starts with an empty one."""


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def live(client, case, after=0, **extra):
    return client.get(reverse("case_live", args=[case.number]), {"after": after, **extra.pop("params", {})}, **extra)


def test_a_customer_message_comes_to_the_open_page_and_nothing_else_does(agent, agent_client):
    case = CaseFactory(assignee=agent)
    first = live(agent_client, case).json()

    casework.record_customer_message(case=case, body="还没收到货，能帮忙看看吗？")
    new = live(agent_client, case, after=first["last"]).json()

    html = "".join(entry["html"] for entry in new["events"])
    assert new["last"] > first["last"]
    assert "还没收到货，能帮忙看看吗？" in html and new["customer_wrote"] is True
    # What is new after the page's newest entry (the message and the store's automatic answer to it), each with its
    # id so the page adds it once; the last few seconds come again and are skipped by the page.
    assert html.count("还没收到货") == 1 and html.count("event-customer") == 1
    assert all(f'data-event-id="{entry["id"]}"' in entry["html"] for entry in new["events"])
    again = live(agent_client, case, after=new["last"]).json()
    assert again["last"] == new["last"] and again["customer_wrote"] is False


def test_nothing_new_is_a_304_with_nothing_drawn(agent, agent_client, django_assert_max_num_queries):
    case = CaseFactory(assignee=agent)
    answer = live(agent_client, case)
    after = answer.json()["last"]
    answer = live(agent_client, case, after=after)

    with django_assert_max_num_queries(6) as queries:  # session, user, the case with its desk, its newest event
        again = live(agent_client, case, after=after, HTTP_IF_NONE_MATCH=answer["ETag"])

    assert again.status_code == 304 and again.content == b""
    assert not any("INSERT" in q["sql"] or "UPDATE" in q["sql"] for q in queries.captured_queries)


def test_the_second_agent_sees_who_else_is_on_the_case_and_who_is_typing(agent, agent2):
    case = CaseFactory(assignee=agent)
    li_na = client_for(agent2)

    live(li_na, case, params={"typing": "1"})
    seen_by_wang = live(client_for(agent), case).json()["presence"]

    assert "李娜 正在回复" in seen_by_wang
    presence.touch(case.pk, agent2, typing=False, now=presence.time.time() + presence.TYPING_SECONDS + 1)
    assert presence.others(case.pk, agent, now=presence.time.time() + presence.TYPING_SECONDS + 1) == [
        {"name": "李娜", "typing": False}
    ]
    later = presence.time.time() + presence.SEEN_SECONDS + 30
    assert presence.others(case.pk, agent, now=later) == []


def test_the_live_view_serves_only_cases_the_person_may_open(agent_client):
    callback = CaseFactory(callback=True)

    assert live(agent_client, callback).status_code == 404


def test_a_reply_sent_after_the_page_was_drawn_stops_the_second_reply_until_confirmed(agent, agent2):
    case = CaseFactory(assignee=agent)
    casework.record_customer_message(case=case, body="在吗？")
    seen = CaseEvent.objects.filter(case=case).order_by("-id").values_list("id", flat=True).first()
    url = reverse("aftersales:case_action", args=[case.number, "reply"])
    wang, li_na = client_for(agent), client_for(agent2)

    wang.post(url, {"body": "在的，亲，请问有什么可以帮您？", "seen_event": seen}, HTTP_HX_REQUEST="true")
    # 李娜 confirmed she acts on 王小丽's case (tests/backoffice/test_colleague_case.py); the overlap is another question.
    refused = li_na.post(
        url, {"body": "您好，我来帮您查一下", "seen_event": seen, "confirm_other": agent.pk}, HTTP_HX_REQUEST="true"
    )

    replies = CaseEvent.objects.filter(case=case, type=EventType.REPLY)
    assert replies.count() == 1
    (said,) = [str(m) for m in get_messages(refused.wsgi_request)]
    assert said.startswith("王小丽 刚刚已回复买家") and "在的，亲，请问有什么可以帮您？" in said
    page = refused.text
    assert "您好，我来帮您查一下</textarea>" in page  # what she typed is still in the box
    assert 'name="confirm_overlap"' in page

    li_na.post(
        url,
        {"body": "您好，我来帮您查一下", "seen_event": seen, "confirm_overlap": "on", "confirm_other": agent.pk},
        HTTP_HX_REQUEST="true",
    )

    assert replies.count() == 2
    assert OutboundMessage.objects.filter(case=case, idempotency_key__startswith="reply:").count() == 2
    reply = CaseEvent.objects.filter(case=case, type=EventType.REPLY, actor=agent2).get()
    assert reply.after["sent_after_reply_of"] == agent.username


def test_a_reply_after_the_other_reply_was_shown_needs_no_confirmation(agent, agent2):
    case = CaseFactory(assignee=agent)
    casework.reply_to_customer(case=case, body="在的", actor=agent)
    shown = CaseEvent.objects.filter(case=case).order_by("-id").values_list("id", flat=True).first()

    casework.reply_to_customer(case=case, body="我补充一下", actor=agent2, seen_event=shown)

    assert CaseEvent.objects.filter(case=case, type=EventType.REPLY).count() == 2


def test_nav_counts_answer_304_while_nothing_changed(agent, agent_client):
    CaseFactory()
    url = reverse("aftersales:nav_counts")
    first = agent_client.get(url)

    again = agent_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    casework.record_customer_message(case=CaseFactory(), body="新消息")
    changed = agent_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and again.status_code == 304 and changed.status_code == 200


def test_the_timeline_names_who_took_the_case_not_their_login(agent, agent_client):
    case = CaseFactory()
    casework.claim_case(case=case, agent=agent)

    page = agent_client.get(reverse("aftersales:case", args=[case.number])).text

    assert "→ 王小丽</li>" in page
    assert "→ agent</li>" not in page


def test_an_event_committed_late_with_a_lower_id_still_reaches_the_page(agent, agent_client):
    """PostgreSQL hands out ids at insert and shows rows at commit: a slow transaction's event can appear after a
    newer one. Simulated with explicit ids: the later-seen event has the lower id."""
    case = CaseFactory(assignee=agent)
    base = live(agent_client, case).json()["last"]
    CaseEvent.objects.create(id=base + 50, case=case, type=EventType.CUSTOMER_MESSAGE, body="先到的消息")
    after = live(agent_client, case, after=base).json()["last"]
    assert after == base + 50
    seen = live(agent_client, case, after=after)
    assert live(agent_client, case, after=after, HTTP_IF_NONE_MATCH=seen["ETag"]).status_code == 304

    CaseEvent.objects.create(id=base + 10, case=case, type=EventType.CUSTOMER_MESSAGE, body="晚提交的消息")
    late = live(agent_client, case, after=after, HTTP_IF_NONE_MATCH=seen["ETag"])

    assert late.status_code == 200
    assert "晚提交的消息" in "".join(entry["html"] for entry in late.json()["events"])
