"""A supervisor's date filters refuse days in year 1 or 9999 (shown as a form error) instead of failing with a 500."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("page", ["supervisor:reports", "supervisor:audit", "supervisor:audit_csv", "surveys:results"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_impossible_day_in_a_date_filter_is_not_a_server_error(supervisor_client, page, day):
    supervisor_client.raise_request_exception = True
    response = supervisor_client.get(reverse(page), {"date_from": day, "date_to": day})
    assert response.status_code == 200


def _errors_on_the_page(response) -> list[str]:
    return [str(message) for message in response.context["messages"] if message.level_tag == "error"]


def test_a_day_refused_on_its_own_says_only_why_once_and_stays_in_its_box(supervisor_client):
    from django.utils import timezone

    year = timezone.localdate().year + 1
    response = supervisor_client.get(
        reverse("supervisor:reports"), {"date_from": f"{year}-01-01", "date_to": f"{year}-01-31"}
    )

    errors = _errors_on_the_page(response)
    assert errors == ["时间不能晚于现在一天以上。"]  # the same reason for both days, said once; not "give both"
    page = response.content.decode()
    assert f'value="{year}-01-01"' in page and f'value="{year}-01-31"' in page


def test_an_inverted_range_says_so_and_keeps_what_was_typed(supervisor_client):
    response = supervisor_client.get(
        reverse("supervisor:reports"), {"date_from": "2026-11-20", "date_to": "2026-11-01"}
    )

    assert _errors_on_the_page(response) == ["结束日期不能早于开始日期。"]
    assert 'value="2026-11-20"' in response.content.decode()
