"""Survey results (A12): CSAT by week, agent, case kind and reason, checked against numbers worked out by hand."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from backoffice.models import CaseKind
from surveys import queries, services
from tests.factories import shanghai

pytestmark = pytest.mark.django_db

NOW = shanghai(2026, 11, 26, 12, 0)  # a Thursday
WEEK_A = shanghai(2026, 11, 17, 10, 0)  # in the week of Monday 11-16
WEEK_B = shanghai(2026, 11, 24, 10, 0)  # in the week of Monday 11-23


@pytest.fixture
def answers(make_surveyed_case, agent, agent2, reasons):
    """Seven answers and one unanswered survey:

    agent  (王小丽), refunds: A satisfied, A satisfied, A dissatisfied [slow_refund, attitude], B neutral [slow_reply]
    agent2 (李娜),   returns: B satisfied, B dissatisfied [slow_refund], B satisfied
    """
    plan = [
        (agent, CaseKind.REFUND, WEEK_A, "satisfied", []),
        (agent, CaseKind.REFUND, WEEK_A + dt.timedelta(hours=1), "satisfied", []),
        (agent, CaseKind.REFUND, WEEK_A + dt.timedelta(hours=2), "dissatisfied", ["slow_refund", "attitude"]),
        (agent, CaseKind.REFUND, WEEK_B, "neutral", ["slow_reply"]),
        (agent2, CaseKind.RETURN, WEEK_B + dt.timedelta(hours=1), "satisfied", []),
        (agent2, CaseKind.RETURN, WEEK_B + dt.timedelta(hours=2), "dissatisfied", ["slow_refund"]),
        (agent2, CaseKind.RETURN, WEEK_B + dt.timedelta(hours=3), "satisfied", []),
    ]
    with time_machine.travel(WEEK_A - dt.timedelta(days=1), tick=False):
        surveys = [make_surveyed_case(assignee=who, kind=kind)[1] for who, kind, *_rest in plan]
    with time_machine.travel(NOW, tick=False):
        make_surveyed_case(assignee=agent)  # sent, never answered
    for survey, (_who, _kind, at, answer, codes) in zip(surveys, plan, strict=True):
        services.answer_survey(survey=survey, answer=answer, reasons=[reasons[c] for c in codes], at=at)
    return surveys


def _results():
    return queries.csat_results(dt.date(2026, 10, 1), dt.date(2026, 11, 26))


def _shares(row):
    return (row.total, row.csat, row.neutral_pct, row.dissatisfied_pct)


def test_overall_csat_is_the_satisfied_share(answers):
    results = _results()

    assert _shares(results["overall"]) == (7, 57.1, 14.3, 28.6)  # 4/7, 1/7, 2/7
    assert results["sent"] == 8


def test_csat_by_week(answers):
    weeks = {f"{row.label}": row for row in _results()["week"]}

    assert list(weeks) == ["2026-11-23", "2026-11-16"]  # newest first, weeks start on Monday
    assert _shares(weeks["2026-11-16"]) == (3, 66.7, 0.0, 33.3)  # 2/3, 0, 1/3
    assert _shares(weeks["2026-11-23"]) == (4, 50.0, 25.0, 25.0)  # 2/4, 1/4, 1/4
    assert dict(weeks["2026-11-16"].top_reasons) == {"退款太慢": 1, "客服态度不好": 1}
    assert dict(weeks["2026-11-23"].top_reasons) == {"回复太慢": 1, "退款太慢": 1}


def test_csat_by_agent_of_the_surveyed_case(answers):
    agents = {row.label: row for row in _results()["agent"]}

    assert list(agents) == ["王小丽", "李娜"]  # most answers first
    assert _shares(agents["王小丽"]) == (4, 50.0, 25.0, 25.0)
    assert _shares(agents["李娜"]) == (3, 66.7, 0.0, 33.3)
    assert agents["李娜"].top_reasons == [("退款太慢", 1)]


def test_csat_by_case_kind(answers):
    kinds = {row.key: row for row in _results()["kind"]}

    assert _shares(kinds[CaseKind.REFUND]) == (4, 50.0, 25.0, 25.0)
    assert _shares(kinds[CaseKind.RETURN]) == (3, 66.7, 0.0, 33.3)
    assert dict(kinds[CaseKind.REFUND].top_reasons) == {"退款太慢": 1, "客服态度不好": 1, "回复太慢": 1}


def test_results_by_reason_with_each_reasons_share_of_answers(answers):
    rows = {row.label: row for row in _results()["reason"]}

    assert list(rows)[0] == "退款太慢"  # the most ticked first
    assert (rows["退款太慢"].total, rows["退款太慢"].share, rows["退款太慢"].dissatisfied_pct) == (2, 28.6, 100.0)
    assert (rows["回复太慢"].total, rows["回复太慢"].share, rows["回复太慢"].neutral_pct) == (1, 14.3, 100.0)
    assert (rows["客服态度不好"].total, rows["客服态度不好"].share) == (1, 14.3)


def test_the_period_limits_the_answers_counted(answers):
    results = queries.csat_results(dt.date(2026, 11, 23), dt.date(2026, 11, 29))

    assert _shares(results["overall"]) == (4, 50.0, 25.0, 25.0)


def test_no_answers_gives_empty_tables_not_an_error(db):
    results = _results()

    assert results["overall"].total == 0 and results["overall"].csat is None
    assert results["week"] == results["agent"] == results["kind"] == results["reason"] == []


def test_the_results_page_lists_the_unhappy_answers_with_links(supervisor_client, answers):
    with time_machine.travel(NOW, tick=False):
        response = supervisor_client.get(reverse("surveys:results"))

    html = response.content.decode()
    assert 'data-testid="csat">57.1%' in html
    unhappy = [s for s in answers if s.answer == "dissatisfied"]
    assert list(response.context["unhappy_page"]) == sorted(unhappy, key=lambda s: s.answered_at, reverse=True)
    for survey in unhappy:
        assert reverse("case_by_number", args=[survey.case.number]) in html
        assert reverse("surveys:callback", args=[survey.callback.case.number]) in html


def test_the_results_page_accepts_a_period(supervisor_client, answers):
    response = supervisor_client.get(reverse("surveys:results"), {"date_from": "2026-11-23", "date_to": "2026-11-29"})

    assert response.context["results"]["overall"].total == 4


def test_results_page_query_count_does_not_grow(
    supervisor_client, make_surveyed_case, agent, agent2, reasons, django_assert_max_num_queries
):
    def answer_some(n: int):
        for i in range(n):
            _case, survey, _token = make_surveyed_case(assignee=(agent, agent2)[i % 2], kind=CaseKind.REFUND)
            services.answer_survey(
                survey=survey, answer=("satisfied", "neutral", "dissatisfied")[i % 3], reasons=[reasons["quality"]]
            )

    url = reverse("surveys:results")
    answer_some(3)
    with django_assert_max_num_queries(20) as few:
        supervisor_client.get(url)
    answer_some(9)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = supervisor_client.get(url)
    assert response.context["results"]["overall"].total == 12


def test_the_surveys_sent_in_the_dates_are_counted_with_their_own_answers(answers):
    # Sent on 11-16, answered on 11-17 and 11-24: the seven answers belong to the seven surveys of 11-16.
    week_a = queries.csat_results(dt.date(2026, 11, 16), dt.date(2026, 11, 16))
    assert (week_a["sent"], week_a["sent_answered"]) == (7, 7)
    # The week of 11-23 received four answers but sent only the one still unanswered: 0 of 1, never 4 of 1.
    week_b = queries.csat_results(dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert week_b["overall"].total == 4
    assert (week_b["sent"], week_b["sent_answered"]) == (1, 0)
    assert week_b["sent_answered"] <= week_b["sent"]
