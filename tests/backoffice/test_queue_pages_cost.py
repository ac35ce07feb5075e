"""Queue pages cost a fixed, small number of queries for every role at any size, and render their rows."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from backoffice.cases import queues
from backoffice.cases import tables as queuetables
from backoffice.models import Case, CaseKind, Desk, Reason, Status, StoreSettings
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


def _cases(n: int, **kwargs) -> None:
    agents = AgentFactory.create_batch(2)
    for i in range(n):
        CaseFactory(
            assignee=agents[i % 2] if i % 3 else None, status=Status.IN_PROGRESS if i % 3 else Status.NEW, **kwargs
        )


def _rows(html: str) -> int:
    return html.count('class="clickable')


@pytest.mark.parametrize("queue", ["mine", "unassigned", "due_soon", "overdue", "waiting", "all"])
@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_aftersales_queue_pages_need_at_most_ten_queries(
    request, role, queue, agent, supervisor, django_assert_max_num_queries
):
    if queue == "all" and role == "agent":
        pytest.skip("the all queue is for supervisors")
    client = request.getfixturevalue(f"{role}_client")
    _cases(30)
    for small, size in ((True, 3), (False, 40)):
        if not small:
            _cases(size)
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(reverse("aftersales:queue", args=[queue]))
        assert response.status_code == 200


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_the_unassigned_queue_renders_its_rows_within_the_budget(
    request, role, agent, supervisor, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"{role}_client")
    _cases(60)

    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(reverse("aftersales:queue", args=["unassigned"]) + "?page=1").text

    assert _rows(page) == 20  # every third of 60 is unassigned


def test_the_supervisors_all_queue_renders_a_full_page_within_the_budget(
    supervisor_client, django_assert_max_num_queries
):
    _cases(40)

    with django_assert_max_num_queries(MAX_QUERIES):
        page = supervisor_client.get(reverse("aftersales:queue", args=["all"])).text

    assert _rows(page) == 25
    assert page.count('name="cases"') == 25


def test_the_supervisors_queue_reads_the_staff_list_once(supervisor_client, django_assert_max_num_queries):
    _cases(5)

    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        supervisor_client.get(reverse("aftersales:queue", args=["all"]))

    staff_reads = [
        q["sql"] for q in captured.captured_queries if "auth_user_groups" in q["sql"] and "DISTINCT" in q["sql"]
    ]
    assert len(staff_reads) == 1


@pytest.mark.parametrize("queue", ["mine", "unassigned", "overdue", "all"])
def test_logistics_queue_pages_need_at_most_ten_queries(
    agent_client, supervisor_client, queue, django_assert_max_num_queries
):
    _cases(40, logistics=True)
    for client in (agent_client, supervisor_client):
        if queue == "all" and client is agent_client:
            continue
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(reverse("logistics:queue", args=[queue]))
        assert response.status_code == 200


def test_the_logistics_queue_renders_its_rows_within_the_budget(supervisor_client, django_assert_max_num_queries):
    _cases(40, logistics=True)

    with django_assert_max_num_queries(MAX_QUERIES):
        page = supervisor_client.get(reverse("logistics:queue", args=["all"])).text

    assert _rows(page) == 25


def test_callback_queue_renders_its_rows_within_the_budget(supervisor_client, django_assert_max_num_queries):
    _cases(40, callback=True)

    with django_assert_max_num_queries(MAX_QUERIES):
        page = supervisor_client.get(reverse("surveys:callback_queue", args=["all"])).text

    assert _rows(page) == 25


@pytest.mark.parametrize("desk", [Desk.AFTERSALES, Desk.LOGISTICS])
def test_nav_counts_need_one_query_of_their_own(agent_client, desk, django_assert_max_num_queries):
    _cases(10, **({"logistics": True} if desk == Desk.LOGISTICS else {}))
    url = reverse(f"{desk}:nav_counts")

    with django_assert_max_num_queries(MAX_QUERIES):
        response = agent_client.get(url)

    assert response.status_code == 200


def _numbers(html: str) -> list[str]:
    return re.findall(r'data-href="/aftersales/case/([^/]+)/"', html)


def test_a_deep_page_shows_the_same_rows_as_a_plain_offset(
    supervisor_client, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(queuetables, "IDS_FIRST_FROM_ROW", 25)  # from page 2 on
    _cases(60)
    url = reverse("aftersales:queue", args=["all"])
    by_number = sorted(Case.objects.filter(desk=Desk.AFTERSALES).values_list("number", flat=True))
    supervisor_client.get(url)  # once per process: when this installation began noting sweeps

    with django_assert_max_num_queries(MAX_QUERIES):
        page2 = supervisor_client.get(url, {"page": 2, "sort": "number"}).text
    page3 = supervisor_client.get(url, {"page": 3, "sort": "number"}).text

    assert _numbers(page2) == by_number[25:50]
    assert _numbers(page3) == by_number[50:60]
    assert page2.count('class="clickable') == 25


def test_the_total_is_capped_and_the_page_says_so(supervisor_client, monkeypatch):
    monkeypatch.setattr(queuetables, "COUNT_CAP", 30)
    _cases(40)

    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = supervisor_client.get(reverse("aftersales:queue", args=["all"])).text

    assert "More than 30 cases" in page
    assert _rows(page) == 25  # the page itself is full


def test_a_deep_page_past_the_cap_shows_the_exact_total_and_its_pager(supervisor_client, monkeypatch):
    monkeypatch.setattr(queuetables, "COUNT_CAP", 30)
    monkeypatch.setattr(queuetables, "IDS_FIRST_FROM_ROW", 25)
    _cases(60)

    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = supervisor_client.get(reverse("aftersales:queue", args=["all"]), {"page": 3}).text

    assert "60 cases" in page and "More than" not in page
    assert _rows(page) == 10
    assert 'href="?page=2"' in page


def test_under_the_cap_the_exact_total_is_shown(supervisor_client):
    _cases(4)

    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = supervisor_client.get(reverse("aftersales:queue", args=["all"])).text

    assert "More than" not in page
    assert _rows(page) == 4


@pytest.mark.parametrize(
    "branch", ["case", "case_lower", "order", "order_prefix", "tracking", "nickname", "name", "phone"]
)
def test_search_finds_a_case_by_each_branch_alone(agent_client, branch):
    customer = CustomerFactory(nickname="快乐的小猫咪", name="周杰", phone="13800001111")
    order = OrderFactory(customer=customer, number="261130-998877665544")
    ShipmentFactory(order=order, tracking_no="YT7788990011")
    target = CaseFactory(customer=customer, order=order)
    CaseFactory.create_batch(3)
    term = {
        "case": target.number,
        "case_lower": target.number.lower(),
        "order": order.number,
        "order_prefix": order.number[:10],
        "tracking": "YT7788990011",
        "nickname": "小猫",
        "name": "周杰",
        "phone": "13800001111",
    }[branch]

    page = agent_client.get(reverse("aftersales:queue", args=["unassigned"]), {"q": f" {term} "}).text

    assert _numbers(page) == [target.number]


def test_search_is_compiled_once_not_per_page_or_statement(agent_client, monkeypatch):
    """The page's COUNT and its rows run the same search subquery; its branches are compiled once per connection,
    not per page or statement, and each page runs them with its own term."""
    from django.db.models.sql.compiler import SQLCompiler

    first, second = (CaseFactory(order=OrderFactory(number=number)) for number in ("261130-112233", "261130-445566"))
    compiled = []
    original = SQLCompiler.get_combinator_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.combinator)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "get_combinator_sql", counting)
    url = reverse("aftersales:queue", args=["unassigned"])
    assert _numbers(agent_client.get(url, {"q": first.order.number}).text) == [first.number]
    assert compiled in ([], ["union"])  # once, unless an earlier page on this connection did
    with CaptureQueriesContext(connection) as captured:
        page = agent_client.get(url, {"q": second.order.number}).text

    assert _numbers(page) == [second.number]
    assert compiled in ([], ["union"])
    assert sum("UNION ALL" in query["sql"] for query in captured.captured_queries) == 2  # COUNT and rows


@pytest.mark.parametrize(
    "term, found",
    [("a_b", ["a_b"]), ("a%b", ["a%b"]), ("_", ["a_b"]), ("%", ["a%b"]), ("261201-0", ["prefix"]), ("261201_", [])],
)
def test_search_takes_the_term_literally_not_as_a_pattern(agent_client, term, found):
    """Wildcards typed in the search box are letters like any other: "_" is not "any one character"."""
    cases = {
        "a_b": CaseFactory(customer=CustomerFactory(nickname="a_b")),
        "a%b": CaseFactory(customer=CustomerFactory(nickname="a%b")),
        "axb": CaseFactory(customer=CustomerFactory(nickname="axb")),
        "prefix": CaseFactory(order=OrderFactory(number="261201-000001")),
    }

    page = agent_client.get(reverse("aftersales:queue", args=["unassigned"]), {"q": term}).text

    assert sorted(_numbers(page)) == sorted(cases[name].number for name in found)


@pytest.mark.parametrize("queue", ["mine", "unassigned", "overdue", "waiting", "all"])
def test_only_the_due_soon_queue_reads_the_store_settings(queue, agent, django_assert_num_queries):
    """Building a queue's cases reads nothing; "due soon" alone needs the store's window (one read)."""
    with django_assert_num_queries(0):
        queues.queue_cases(queue, user=agent, desk=Desk.AFTERSALES)
    with django_assert_num_queries(1):
        queues.queue_cases("due_soon", user=agent, desk=Desk.AFTERSALES)


def test_the_due_soon_filter_needs_the_window(agent):
    now = timezone.now()
    with pytest.raises(ValueError, match="due-soon"):
        queues.queue_filter("due_soon", user=agent, now=now)
    with pytest.raises(KeyError):
        queues.queue_filter("someone_elses", user=agent, now=now)


def test_search_without_a_match_finds_nothing_and_builds_no_rows_query(agent_client, rows_compiled):
    """Nothing found: the page counts, and neither builds nor runs the query of the rows it would show (its joins and
    read marks); a search that finds a case does, once."""
    CaseFactory.create_batch(3)
    found = CaseFactory(customer=CustomerFactory(nickname="小明"))
    url = reverse("aftersales:queue", args=["unassigned"])
    page = agent_client.get(url, {"q": "没有这个人"}).text

    assert _rows(page) == 0
    assert escape(translation.gettext("No cases in this queue. Nice work.")) in page
    assert rows_compiled() == []

    assert _numbers(agent_client.get(url, {"q": "小明"}).text) == [found.number]
    assert len(rows_compiled()) == 1


def test_nav_counts_leave_closed_cases_out(agent, agent_client):
    CaseFactory.create_batch(2)
    CaseFactory.create_batch(5, status=Status.CLOSED, assignee=None)
    CaseFactory(status=Status.IN_PROGRESS, assignee=agent)

    counts = queues.queue_counts(user=agent, desk=Desk.AFTERSALES)

    assert counts["unassigned"] == 2
    assert counts["mine"] == 1


def test_nav_counts_read_only_open_cases(agent):
    store = StoreSettings.load()
    with CaptureQueriesContext(connection) as captured:
        queues.queue_counts(user=agent, desk=Desk.AFTERSALES, store=store)

    counting = [q["sql"] for q in captured.captured_queries if "backoffice_case" in q["sql"]]
    assert len(counting) == 1
    assert re.search(
        r"WHERE \(?\"backoffice_case\"\.\"desk\" = 'aftersales' AND \"backoffice_case\"\.\"status\" IN", counting[0]
    )


def test_a_row_shows_its_kind_reason_and_status_labels_and_sorts_by_them(supervisor_client):
    CaseFactory(kind=CaseKind.RETURN, reason=Reason.SIZE, status=Status.IN_PROGRESS)
    CaseFactory(kind=CaseKind.REFUND, reason="", status=Status.NEW)
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("aftersales:queue", args=["all"])

    page = supervisor_client.get(url).text
    by_kind = supervisor_client.get(url, {"sort": "kind"}).text

    with translation.override("en"):
        for label in (CaseKind.RETURN.label, Reason.SIZE.label, Status.IN_PROGRESS.label, CaseKind.REFUND.label):
            assert f">{escape(label)}</" in page
    assert '<span class="badge badge-in_progress">' in page
    kinds = re.findall(r"badge-(new|in_progress)", by_kind)
    assert kinds == ["new", "in_progress"]  # refund sorts before return


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # A test table is small enough to be read whole: the question is whether the index can give the order at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(("queue", "index"), [("all", "case_queue_order"), ("unassigned", "case_unassigned_order")])
def test_a_queue_page_reads_its_rows_in_index_order(supervisor, supervisor_client, queue, index):
    """The queues' order (platform first, then the deadline) is an index's: page 1 reads 25 rows in order instead of
    joining and sorting every case of the desk (430 ms for the "all" queue at 100,000 cases)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): the plan is PostgreSQL's")
    _cases(30)
    with CaptureQueriesContext(connection) as captured:
        supervisor_client.get(reverse("aftersales:queue", args=[queue]))
    rows_sql = next(q["sql"] for q in captured.captured_queries if " LIMIT " in q["sql"] and "newest_event" in q["sql"])

    plan = _plan(rows_sql)
    assert index in plan
    assert "Sort" not in plan.split(index)[0]  # no sort above the index scan: the rows come in the index's order
