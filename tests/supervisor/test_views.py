"""The supervisor pages: who gets in, what the reports page and its CSV exports show, and constant query counts."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from backoffice.models import CaseKind, Status
from backoffice.supervisor.reports import REPORTS
from tests.factories import shanghai

from .conftest import LAST_WEEK, NOW

GET_URLS = [
    reverse("supervisor:dashboard"),
    reverse("supervisor:audit"),
    reverse("supervisor:audit_csv"),
    reverse("supervisor:reports"),
    *(reverse("supervisor:report_csv", args=[slug]) for slug in REPORTS),
]


@pytest.mark.parametrize("url", GET_URLS)
def test_agents_get_403_on_every_supervisor_page(agent_client, url):
    assert agent_client.get(url).status_code == 403


def test_agents_get_403_on_bulk_assignment(agent_client):
    assert agent_client.post(reverse("supervisor:bulk_assign"), {}).status_code == 403


def test_staff_without_a_role_get_403(django_user_model, db):
    client = Client()
    client.force_login(django_user_model.objects.create_user("outsider"))
    assert client.get(reverse("supervisor:dashboard")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("supervisor:reports"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", GET_URLS)
def test_supervisors_get_in(supervisor_client, url):
    assert supervisor_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", [reverse("supervisor:dashboard"), reverse("supervisor:audit"), reverse("supervisor:reports")]
)
def test_store_admins_get_in(admin_client_store, url):
    assert admin_client_store.get(url).status_code == 200


def test_the_menu_links_the_supervisor_desk_for_supervisors_only(agent_client, supervisor_client):
    url = reverse("supervisor:dashboard")
    assert url in supervisor_client.get(reverse("aftersales:queue", args=["mine"])).text
    assert url not in agent_client.get(reverse("aftersales:queue", args=["mine"])).text


def test_unknown_report_export_is_404(supervisor_client):
    assert supervisor_client.get(reverse("supervisor:report_csv", args=["nope"])).status_code == 404


# --- reports ----------------------------------------------------------------------------------------------------


def test_reports_default_to_last_week_against_the_week_before(supervisor_client, now):
    response = supervisor_client.get(reverse("supervisor:reports"))
    assert response.context["period"] == LAST_WEEK
    assert response.context["previous"].first == dt.date(2026, 11, 9)
    assert "2026-11-16 – 2026-11-22" in response.text


def test_reports_take_any_date_range(supervisor_client, make_case, now):
    make_case(at=shanghai(2026, 10, 3), reason="size")
    response = supervisor_client.get(
        reverse("supervisor:reports"), {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    )
    assert response.context["period"].days == 31
    assert response.context["reasons"].total == 1


def test_a_reversed_range_is_refused_with_a_message_and_last_week_is_shown(supervisor_client, now, in_english):
    in_english(supervisor_client)
    response = supervisor_client.get(
        reverse("supervisor:reports"), {"date_from": "2026-11-10", "date_to": "2026-11-01"}
    )
    assert response.status_code == 200
    assert response.context["period"] == LAST_WEEK
    assert "The last day must not be before the first day." in response.text


def test_reports_draw_charts_as_inline_svg_without_any_external_script(supervisor_client, make_case, now):
    make_case(at=shanghai(2026, 11, 18), reason="size")
    page = supervisor_client.get(reverse("supervisor:reports")).text
    assert page.count('<svg class="chart"') >= 6
    assert "cdn" not in page.lower() and "https://" not in page


def test_customer_text_in_charts_is_escaped(supervisor_client, make_case, now):
    from tests.factories import ProductFactory, SkuFactory, make_order

    product = ProductFactory(name="<script>alert(1)</script>")
    make_case(at=shanghai(2026, 11, 18), order=make_order(skus=[SkuFactory(product=product)]))
    page = supervisor_client.get(reverse("supervisor:reports")).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def _fill(make_case, reply, agent, n):
    for i in range(n):
        case = make_case(at=shanghai(2026, 11, 16 + i % 7, 10), reason=["size", "quality", "logistics"][i % 3])
        reply(agent, shanghai(2026, 11, 16 + i % 7, 11), i % 2 == 0, case=case)


def test_reports_page_query_count_does_not_grow_with_rows(
    supervisor_client, make_case, reply, agent, now, django_assert_max_num_queries
):
    url = reverse("supervisor:reports")
    _fill(make_case, reply, agent, 2)
    with django_assert_max_num_queries(27) as small:  # measured: 25
        first = supervisor_client.get(url)
    assert first.context["reasons"].total == 2
    _fill(make_case, reply, agent, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = supervisor_client.get(url)
    assert response.context["reasons"].total == 14
    assert sum(row.count for row in response.context["reasons"].rows) == 14


def test_workload_page_query_count_does_not_grow_with_rows(
    supervisor_client, make_case, agent, agent2, reply, now, django_assert_max_num_queries
):
    url = reverse("supervisor:dashboard")
    make_case(at=NOW, status=Status.IN_PROGRESS, assignee=agent)
    with django_assert_max_num_queries(12) as small:  # measured: 10
        supervisor_client.get(url)
    for who in (agent, agent2, None):
        for _ in range(3):
            make_case(at=NOW, status=Status.IN_PROGRESS, assignee=who)
        if who:
            reply(who, NOW, True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = supervisor_client.get(url)
    assert "王小丽" in response.text and "李娜" in response.text


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_reasons_csv_has_the_shares_and_the_change(supervisor_client, make_case, now, in_english):
    in_english(supervisor_client)
    for reason, n in {"size": 3, "logistics": 1}.items():
        for _ in range(n):
            make_case(at=shanghai(2026, 11, 17), reason=reason)
    make_case(at=shanghai(2026, 11, 10), reason="size")

    response = supervisor_client.get(reverse("supervisor:report_csv", args=["reasons"]))

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="reasons-20261116-20261122.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["reason", "label", "cases", "share_pct", "previous_cases", "previous_share_pct", "change_pts"]
    assert rows[1] == ["size", "Size doesn't fit", "3", "75.0", "1", "100.0", "-25.0"]
    assert rows[2] == ["logistics", "Slow logistics", "1", "25.0", "0", "0.0", "25.0"]


def test_report_csv_takes_the_same_date_range(supervisor_client, make_case, now, in_english):
    in_english(supervisor_client)
    make_case(at=shanghai(2026, 10, 5), reason="quality", kind=CaseKind.REFUND)
    url = reverse("supervisor:report_csv", args=["reasons"])
    rows = _csv(supervisor_client.get(url, {"date_from": "2026-10-01", "date_to": "2026-10-07"}))
    assert rows[1][:3] == ["quality", "Quality problem", "1"]


def test_response_rate_csv_lists_each_agent_and_day(supervisor_client, agent, reply, now):
    reply(agent, shanghai(2026, 11, 16, 10), True)
    reply(agent, shanghai(2026, 11, 16, 11), False)
    rows = _csv(supervisor_client.get(reverse("supervisor:report_csv", args=["response"])))
    assert ["王小丽", "2026-11-16", "2026-11-16", "2", "1", "50.0"] in rows
    assert ["王小丽", "2026-11-16", "2026-11-22", "2", "1", "50.0"] in rows


def test_csv_cells_that_look_like_formulas_are_defused(supervisor_client, make_case, now):
    from tests.factories import ProductFactory, SkuFactory, make_order

    product = ProductFactory(name='=HYPERLINK("http://x")')
    make_case(at=shanghai(2026, 11, 18), order=make_order(skus=[SkuFactory(product=product)]))
    rows = _csv(supervisor_client.get(reverse("supervisor:report_csv", args=["products"])))
    assert rows[1][0].startswith("'=")
