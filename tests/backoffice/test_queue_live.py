"""An open queue page, live: its rows follow the cases in them by conditional polling; a case of mine with a customer
message I have not seen is unread until I open it; who else is on a case shows in its row."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from backoffice.cases import presence
from backoffice.cases import services as casework
from backoffice.models import CaseSeen, Status
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

# session, user, roles, store settings, the queue's total, its rows (with read marks), my unread cases
POLL_QUERIES = 7


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """Presence lives in the cache: each test starts with an empty one."""


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def poll(client, queue="mine", desk="aftersales", etag=None, stamp=None, **params):
    name = "surveys:callback_queue_live" if desk == "surveys" else f"{desk}:queue_live"
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    if stamp:
        headers["HTTP_X_QUEUE_STAMP"] = stamp
    return client.get(reverse(name, args=[queue]), params, **headers)


def page_stamp(client, queue="mine", **params) -> str:
    html = client.get(reverse("aftersales:queue", args=[queue]), params).text
    return re.search(r'data-stamp="([0-9a-f]+)"', html).group(1)


def rows_of(html: str) -> list[str]:
    return re.findall(r'data-href="/aftersales/case/([^/]+)/"', html)


def test_an_idle_poll_is_a_304_that_draws_and_writes_nothing(agent, agent_client, django_assert_max_num_queries):
    CaseFactory.create_batch(3, assignee=agent, status=Status.IN_PROGRESS)
    first = poll(agent_client, stamp=page_stamp(agent_client))
    assert first.status_code == 200 and first.json()["html"] is None  # the page's rows are the current ones

    with django_assert_max_num_queries(POLL_QUERIES) as queries:
        again = poll(agent_client, etag=first["ETag"], stamp=first.json()["stamp"])

    assert again.status_code == 304 and again.content == b""
    assert not any(re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"]) for q in queries.captured_queries)


def test_a_customer_message_on_my_case_redraws_the_rows_and_marks_it_unread(agent, agent_client):
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    stamp = page_stamp(agent_client)
    idle = poll(agent_client, stamp=stamp)
    assert idle.json()["unread"]["count"] == 0

    casework.record_customer_message(case=case, body="还没收到货")
    changed = poll(agent_client, etag=idle["ETag"], stamp=stamp)

    data = changed.json()
    assert changed.status_code == 200 and data["stamp"] != stamp
    assert 'class="clickable prio-1 is-unread"' in data["html"] and 'data-testid="unread"' in data["html"]
    assert data["unread"] == {"count": 1, "latest": data["unread"]["latest"], "latest_case": case.number}
    assert f'data-stamp="{data["stamp"]}"' in data["html"]  # the redrawn rows carry their own tag


def test_opening_the_case_page_reads_it(agent, agent_client):
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    casework.record_customer_message(case=case, body="在吗？")
    assert poll(agent_client).json()["unread"]["count"] == 1

    agent_client.get(reverse("aftersales:case", args=[case.number]))

    data = poll(agent_client).json()
    assert data["unread"]["count"] == 0 and "is-unread" not in data["html"]


def test_the_open_case_page_reads_a_new_message_it_brings_and_an_idle_poll_writes_nothing(agent, agent_client):
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    page = agent_client.get(reverse("aftersales:case", args=[case.number])).text
    after = re.search(r'data-last-event="(\d+)"', page).group(1)
    seen_at = CaseSeen.objects.get(user=agent, case=case).seen_at
    live_url = reverse("case_live", args=[case.number])
    first = agent_client.get(live_url, {"after": after})
    agent_client.get(live_url, {"after": after}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert CaseSeen.objects.get(user=agent, case=case).seen_at == seen_at  # idle polls write nothing

    casework.record_customer_message(case=case, body="快递一直没动")
    assert poll(agent_client).json()["unread"]["count"] == 1
    brought = agent_client.get(live_url, {"after": after}).json()

    assert CaseSeen.objects.get(user=agent, case=case).event_id == brought["last"]
    assert poll(agent_client).json()["unread"]["count"] == 0


def test_only_my_own_cases_are_unread_for_me(agent, agent2, agent_client, supervisor_client):
    theirs = CaseFactory(assignee=agent2, status=Status.IN_PROGRESS)
    nobodys = CaseFactory()
    casework.record_customer_message(case=theirs, body="你好")
    casework.record_customer_message(case=nobodys, body="你好")

    assert poll(agent_client, "unassigned").json()["unread"]["count"] == 0
    assert "is-unread" not in poll(agent_client, "unassigned").json()["html"]
    assert "is-unread" not in poll(supervisor_client, "all").json()["html"]


def test_another_desks_cases_never_come_into_the_queue(agent, agent_client):
    mine = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    logistics = CaseFactory(logistics=True, assignee=agent, status=Status.IN_PROGRESS)
    callback = CaseFactory(callback=True, assignee=agent, status=Status.IN_PROGRESS)
    for case in (logistics, callback):
        casework.record_customer_message(case=case, body="别的工作台")

    data = poll(agent_client).json()

    assert rows_of(data["html"]) == [mine.number]
    assert logistics.number not in data["html"] and callback.number not in data["html"]
    assert data["unread"]["count"] == 0
    assert poll(agent_client, desk="logistics").json()["unread"]["latest_case"] == logistics.number


def test_the_poll_asks_the_desks_role(agent_client, supervisor_client):
    assert poll(agent_client, desk="surveys").status_code == 403
    assert poll(agent_client, "all").status_code == 404  # the all queue is for supervisors
    assert poll(agent_client, "nonsense").status_code == 404
    assert poll(supervisor_client, desk="surveys", queue="unassigned").status_code == 200
    assert Client().get(reverse("aftersales:queue_live", args=["mine"])).status_code == 302


def test_the_poll_draws_the_pages_own_filters_sort_and_page(agent_client):
    cases = CaseFactory.create_batch(3)
    target = cases[1]

    data = poll(agent_client, "unassigned", q=target.number).json()

    assert rows_of(data["html"]) == [target.number]
    assert data["stamp"] == page_stamp(agent_client, "unassigned", q=target.number)


def test_who_else_is_on_a_case_shows_in_its_row(agent, agent2, agent_client):
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    stamp = page_stamp(agent_client)

    presence.touch(case.pk, agent2, typing=True)
    presence.touch(case.pk, agent)  # my own presence is not shown to me
    data = poll(agent_client, stamp=stamp).json()

    assert data["stamp"] != stamp
    assert "李娜 正在回复" in data["html"] and "王小丽 正在" not in data["html"]


def test_a_claimed_case_leaves_the_unassigned_rows(agent, agent2, agent_client):
    case = CaseFactory()
    first = poll(agent_client, "unassigned")
    assert rows_of(first.json()["html"]) == [case.number]

    casework.claim_case(case=case, agent=agent2)
    data = poll(agent_client, "unassigned", etag=first["ETag"], stamp=first.json()["stamp"]).json()

    assert rows_of(data["html"]) == []


def test_the_queue_page_shows_unread_rows_and_presence(agent, agent2, agent_client):
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    casework.record_customer_message(case=case, body="在吗")
    presence.touch(case.pk, agent2)

    html = agent_client.get(reverse("aftersales:queue", args=["mine"])).text

    assert "is-unread" in html and 'aria-label="买家发来新消息"' in html and "李娜 正在查看" in html


def test_the_redrawn_rows_sort_and_page_links_carry_only_the_pages_own_query(agent, agent_client):
    for _ in range(2):
        casework.record_customer_message(case=CaseFactory(assignee=agent), body="在吗？")

    html = poll(agent_client, stamp="0", sort="number").json()["html"]

    links = re.findall(r'href="(\?[^"]*)"', html)
    assert links and all("stamp" not in link for link in links)
