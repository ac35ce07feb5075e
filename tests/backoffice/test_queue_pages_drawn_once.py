"""What a queue page draws once and reuses (filter fields, table header and pager, tabs, menu: backoffice/drawn.py)
follows every input it depends on: people, roles, language, values asked for, sort and page never get another's."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from aftersales import desk as aftersales_desk
from backoffice.desk.tables import ROWS_STAND_IN
from backoffice.drawn import key_part
from backoffice.models import Status
from backoffice.templatetags.backoffice import CSRF_STAND_IN as KEPT_STAND_IN
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db

URL = reverse("aftersales:queue", args=["unassigned"])


def _cases(n: int) -> None:
    for _ in range(n):
        CaseFactory(status=Status.NEW, assignee=None)


def test_an_agents_header_is_not_a_supervisors(agent_client, supervisor_client):
    _cases(3)
    agent_page = agent_client.get(URL).text
    supervisor_page = supervisor_client.get(URL).text
    again = agent_client.get(URL).text

    assert "data-select-all" not in agent_page and "data-select-all" not in again
    assert "data-select-all" in supervisor_page
    assert "?sort=-number" not in agent_page  # the default sort's links
    sorted_page = agent_client.get(URL + "?sort=number").text
    assert "?sort=-number" in sorted_page


def test_the_filter_fields_show_what_was_asked_each_time(agent_client):
    _cases(2)
    plain = agent_client.get(URL).text
    asked = agent_client.get(URL + "?kind=refund&q=ABC").text
    plain_again = agent_client.get(URL).text

    assert '<option value="refund" selected>' in asked and 'value="ABC"' in asked
    assert '<option value="refund" selected>' not in plain_again and 'value="ABC"' not in plain_again
    assert (
        plain.split('class="filters"')[1].split("</form>")[0]
        == plain_again.split('class="filters"')[1].split("</form>")[0]
    )


def test_a_new_colleague_appears_in_the_assignee_filter(agent_client, agent):
    _cases(1)
    assert "(newcomer)</option>" not in agent_client.get(URL).text
    newcomer = AgentFactory(username="newcomer", last_name="赵", first_name="新")

    assert f'<option value="{newcomer.pk}">赵新 (newcomer)</option>' in agent_client.get(URL).text


def test_the_pager_follows_the_page_and_the_query_string(agent_client):
    _cases(30)
    first = agent_client.get(URL).text
    second = agent_client.get(URL + "?page=2").text

    assert 'href="?page=2"' in first
    assert 'href="?page=1"' in second
    filtered = agent_client.get(URL + "?kind=refund&page=1").text
    assert "kind=refund" in filtered.split('class="pagination')[-1] or 'class="pagination' not in filtered


def test_each_language_gets_its_own_tabs_and_header(agent_client, in_english):
    _cases(1)
    chinese = agent_client.get(URL).text
    english = in_english(agent_client).get(URL).text

    assert "未分配" in chinese and "Unassigned" in english
    assert ">Customer<" in english and ">Customer<" not in chinese


def test_the_r1_header_is_kept_per_person_for_a_short_while(agent_client, agent, monkeypatch):
    calls = []
    real = aftersales_desk.queues.response_rates

    def counted(**kwargs):
        calls.append(kwargs["agent"].pk)
        return real(**kwargs)

    monkeypatch.setattr(aftersales_desk.queues, "response_rates", counted)
    cache.clear()
    agent_client.get(URL)
    agent_client.get(URL)

    assert calls == [agent.pk]


def _csrf_inputs(page: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))


def test_kept_forms_carry_each_sessions_own_csrf_token(agent):
    """The language switch and the menu are kept, yet their forms post with the token of the session showing them:
    a form kept from another session would be refused."""
    _cases(1)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(agent)
    second.force_login(agent)
    first_page, second_page = first.get(URL).text, second.get(URL).text

    assert KEPT_STAND_IN not in first_page and KEPT_STAND_IN not in second_page
    assert _csrf_inputs(first_page) and _csrf_inputs(second_page)
    # The language switch is a kept block: post with the token drawn in it.
    token = re.search(r'class="lang-switch".*?name="csrfmiddlewaretoken" value="([^"]+)"', second_page, re.S)[1]
    response = second.post(reverse("set_language"), {"language": "en", "next": URL, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    # The first session's secret is not the second's: its token came from its own page, not the kept one.
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


def test_the_menu_shows_whoever_is_signed_in(agent_client, supervisor_client):
    _cases(1)
    agent_page = agent_client.get(URL).text
    supervisor_page = supervisor_client.get(URL).text

    assert ">王小丽<" in agent_page and ">张敏<" not in agent_page
    assert ">张敏<" in supervisor_page and ">王小丽<" not in supervisor_page


def test_the_language_switch_returns_to_the_page_it_is_on(agent_client):
    _cases(1)
    plain = agent_client.get(URL).text
    filtered = agent_client.get(URL + "?kind=refund").text

    assert f'name="next" value="{URL}"' in plain
    assert f'name="next" value="{URL}?kind=refund"' in filtered


def test_choice_labels_are_in_the_pages_language(agent_client, in_english):
    CaseFactory(status=Status.NEW, assignee=None, kind="refund")
    chinese = agent_client.get(URL).text
    english = in_english(agent_client).get(URL).text

    assert "仅退款" in chinese and ">Refund only<" in english and "仅退款" not in english


def test_a_kept_block_without_a_form_asks_for_no_csrf_token(agent_client):
    """The queue's live poll draws kept blocks (header, pager) only: it sets no CSRF cookie on every poll."""
    _cases(1)
    response = agent_client.get(reverse("aftersales:queue_live", args=["unassigned"]), headers={"X-Queue-Stamp": "x"})

    assert response.status_code == 200 and response.json()["html"]
    assert "csrftoken" not in response.cookies


def test_the_kept_table_holds_each_pages_own_rows(agent_client):
    """The table's shell (header, pager) is kept; the rows, or the empty queue's words, are each page's own."""
    empty = agent_client.get(URL).text
    case = CaseFactory(status=Status.NEW, assignee=None)
    listed = agent_client.get(URL).text

    assert ROWS_STAND_IN not in empty and ROWS_STAND_IN not in listed
    assert '<td colspan="10">' in empty and case.number not in empty
    assert case.number in listed and '<td colspan="10">' not in listed
    assert empty.split("<thead")[1].split("</thead>")[0] == listed.split("<thead")[1].split("</thead>")[0]


def test_the_kept_header_shows_the_pages_own_sort(agent_client):
    _cases(2)
    by_number = agent_client.get(URL + "?sort=number").text
    by_number_down = agent_client.get(URL + "?sort=-number").text

    assert re.search(r'<th class="[^"]*\basc\b[^"]*"[^>]*>\s*<a href="\?sort=-number"', by_number)
    assert re.search(r'<th class="[^"]*\bdesc\b[^"]*"[^>]*>\s*<a href="\?sort=number"', by_number_down)


def _shortcuts(page: str) -> str:
    return page.split('id="shortcuts-dialog"')[1].split("</dialog>")[0]


def test_a_kept_part_follows_the_pages_own_template(supervisor_client):
    """The shortcuts dialog is kept, and each page template fills in its own shortcuts: a queue's are not the
    dashboard's, whichever page is drawn first."""
    _cases(1)
    dashboard = supervisor_client.get(reverse("supervisor:dashboard")).text
    queue = supervisor_client.get(URL).text
    dashboard_again = supervisor_client.get(reverse("supervisor:dashboard")).text

    assert "<kbd>n</kbd>" in _shortcuts(queue)
    assert "<kbd>n</kbd>" not in _shortcuts(dashboard)
    assert "<kbd>n</kbd>" not in _shortcuts(dashboard_again)


def test_a_new_sort_starts_at_the_first_page(agent_client):
    _cases(30)
    second = agent_client.get(URL + "?page=2&kind=refund").text
    header = second.split("<thead")[1].split("</thead>")[0]

    assert 'href="?kind=refund&amp;sort=number"' in header
    assert "page=" not in header


def test_a_lazy_value_is_a_key_part_by_what_it_holds():
    assert key_part(SimpleLazyObject(lambda: [1, [2, 3]])) == (1, (2, 3))
    assert hash(key_part(SimpleLazyObject(lambda: ["a"]))) == hash(("a",))
