"""A supervisor's date filters refuse days in year 1 or 9999 (shown as a form error) instead of failing with a 500."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("page", ["supervisor:reports", "supervisor:audit", "supervisor:audit_csv", "surveys:results"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_impossible_day_in_a_date_filter_is_not_a_server_error(supervisor_client, page, day):
    supervisor_client.raise_request_exception = True
    response = supervisor_client.get(reverse(page), {"date_from": day, "date_to": day})
    assert response.status_code == 200
