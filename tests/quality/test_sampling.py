"""QA-1, QA-2: which cases are reviewed — the reproducible weekly sample per agent and the cases every week includes."""

import datetime as dt

import pytest

from backoffice.cases import services as casework
from backoffice.celery import app as celery_app
from backoffice.errors import DomainError
from backoffice.models import CaseEvent, EventType, Status
from quality import services, tasks
from quality.models import QualitySettings, Review, ReviewReason, SampleDraw
from surveys.models import Survey
from tests.factories import AgentFactory, CaseFactory, shanghai

from .conftest import LAST_WEEK, THIS_WEEK

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("closed", "size"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (10, 3), (60, 3), (61, 4), (100, 5), (200, 10), (201, 11)],
)
def test_sample_is_five_percent_rounded_up_and_at_least_three(closed, size):
    settings = QualitySettings(sample_percent=5, sample_minimum=3)
    assert services.sample_size(closed, settings) == size


def test_sample_size_follows_the_store_setting():
    assert services.sample_size(50, QualitySettings(sample_percent=20, sample_minimum=1)) == 10


def test_the_same_week_and_agent_always_draw_the_same_cases():
    ids = list(range(1, 101))
    first = services.draw_sample(ids, week=LAST_WEEK, agent_id=7, size=5)
    again = services.draw_sample(list(reversed(ids)), week=LAST_WEEK, agent_id=7, size=5)
    assert first == again
    assert len(set(first)) == 5
    # Another week or another agent: another draw.
    other_weeks = {
        tuple(services.draw_sample(ids, week=LAST_WEEK + dt.timedelta(days=7 * n), agent_id=7, size=5))
        for n in range(1, 4)
    }
    assert len(other_weeks | {tuple(first)}) > 1
    assert services.draw_sample(ids, week=LAST_WEEK, agent_id=8, size=5) != first


def test_draw_week_samples_each_agent_and_records_how(now, agent, agent2, closed_case):
    mine = [closed_case(agent, at=shanghai(2026, 11, 16 + n % 7, 12, n % 60)) for n in range(80)]
    theirs = [closed_case(agent2, at=shanghai(2026, 11, 20, 9, 0)) for _ in range(2)]
    closed_case(agent, at=shanghai(2026, 11, 23, 9, 0))  # this week: not in last week's sample
    draw = services.draw_week(week=LAST_WEEK)

    sampled = Review.objects.filter(week=LAST_WEEK, reasons__icontains=ReviewReason.SAMPLE)
    assert sampled.filter(agent=agent).count() == 4  # 5 % of 80
    assert set(sampled.filter(agent=agent2).values_list("case_id", flat=True)) == {c.pk for c in theirs}
    record = draw.details["agents"][str(agent.pk)]
    assert record["closed"] == 80 and record["size"] == 4
    assert record["seed"] == f"qa:{LAST_WEEK.isoformat()}:{agent.pk}"
    expected = services.draw_sample([c.pk for c in mine], week=LAST_WEEK, agent_id=agent.pk, size=4)
    assert record["cases"] == expected
    assert set(sampled.filter(agent=agent).values_list("case_id", flat=True)) == set(expected)
    assert CaseEvent.objects.filter(type=EventType.QA_SAMPLE_DRAWN, target=f"qa-week:{LAST_WEEK}").count() == 1
    assert CaseEvent.objects.filter(type=EventType.QA_ADDED).count() == 6


def test_drawing_a_week_again_adds_nothing_and_keeps_the_sample(now, agent, closed_case):
    for n in range(30):
        closed_case(agent, at=shanghai(2026, 11, 17, 10, n))
    services.draw_week(week=LAST_WEEK)
    before = set(Review.objects.values_list("case_id", flat=True))
    services.draw_week(week=LAST_WEEK)
    assert set(Review.objects.values_list("case_id", flat=True)) == before
    assert SampleDraw.objects.count() == 1


def test_this_week_cannot_be_drawn_before_it_is_over(now):
    with pytest.raises(DomainError):
        services.draw_week(week=THIS_WEEK)


def test_every_dissatisfied_reopened_large_payout_and_warned_case_is_included(now, agent, closed_case):
    QualitySettings.objects.update_or_create(pk=1, defaults={"payout_review_over_fen": 5000})
    unhappy = closed_case(agent, at=shanghai(2026, 11, 10, 10, 0))  # closed the week before, answered last week
    Survey.objects.create(
        case=unhappy, delivery="alone", answer=Survey.Answer.DISSATISFIED, answered_at=shanghai(2026, 11, 17, 9, 0)
    )
    reopened = closed_case(agent, at=shanghai(2026, 11, 16, 9, 0))
    casework.record_event(
        case=reopened,
        type=EventType.CASE_STATUS,
        at=shanghai(2026, 11, 18, 9, 0),
        before={"status": Status.CLOSED},
        after={"status": Status.IN_PROGRESS},
    )
    big = closed_case(agent, at=shanghai(2026, 11, 19, 9, 0), resolved_amount_fen=5001)
    small = closed_case(agent, at=shanghai(2026, 11, 19, 9, 0), resolved_amount_fen=5000)
    warned = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    casework.record_event(
        case=warned, type=EventType.QA_PHRASE_WARNED, actor=agent, at=shanghai(2026, 11, 21, 9, 0), body="…"
    )
    QualitySettings.objects.filter(pk=1).update(sample_percent=0, sample_minimum=0)

    draw = services.draw_week(week=LAST_WEEK)

    reasons = {r.case_id: r.reasons for r in Review.objects.filter(week=LAST_WEEK)}
    assert reasons[unhappy.pk] == [ReviewReason.DISSATISFIED]
    assert reasons[reopened.pk] == [ReviewReason.REOPENED]
    assert reasons[big.pk] == [ReviewReason.PAYOUT]
    assert reasons[warned.pk] == [ReviewReason.PHRASE]
    assert small.pk not in reasons
    assert draw.details["rules"][ReviewReason.PAYOUT] == [big.pk]


def test_a_warned_reply_is_drawn_into_the_next_sample(agent, closed_case):
    import time_machine

    case = CaseFactory(assignee=agent)
    with time_machine.travel(shanghai(2026, 11, 19, 15, 0), tick=False):
        casework.reply_to_customer(case=case, body="满意的话请给个五星好评呀", actor=agent, confirm_warnings=True)
    with time_machine.travel(shanghai(2026, 11, 23, 6, 0), tick=False):
        tasks.draw_weekly_sample()
    review = Review.objects.get(case=case)
    assert review.week == LAST_WEEK and ReviewReason.PHRASE in review.reasons


def test_a_case_in_two_rules_is_reviewed_once_with_both_reasons(now, agent, closed_case):
    QualitySettings.objects.update_or_create(pk=1, defaults={"payout_review_over_fen": 100})
    case = closed_case(agent, at=shanghai(2026, 11, 17, 9, 0), resolved_amount_fen=9900)
    services.draw_week(week=LAST_WEEK)
    (review,) = Review.objects.filter(case=case)
    assert sorted(review.reasons) == sorted([ReviewReason.SAMPLE, ReviewReason.PAYOUT])


def test_a_supervisor_adds_any_case_by_hand(now, supervisor, agent, closed_case):
    case = closed_case(agent, at=shanghai(2026, 11, 24, 9, 0))
    review = services.add_case(case=case, actor=supervisor, note="买家投诉态度")
    assert review.reasons == [ReviewReason.MANUAL] and review.week == THIS_WEEK and review.added_by == supervisor
    event = CaseEvent.objects.get(case=case, type=EventType.QA_ADDED)
    assert event.actor == supervisor and event.body == "买家投诉态度"
    with pytest.raises(DomainError):
        services.add_case(case=case, actor=supervisor)


def test_an_agent_cannot_add_cases(now, agent, closed_case):
    case = closed_case(AgentFactory(), at=shanghai(2026, 11, 24, 9, 0))
    with pytest.raises(DomainError):
        services.add_case(case=case, actor=agent)


def test_the_weekly_task_draws_last_week(agent, closed_case):
    import time_machine

    for n in range(4):
        closed_case(agent, at=shanghai(2026, 11, 18, 9, n))
    with time_machine.travel(shanghai(2026, 11, 23, 6, 0), tick=False):
        assert tasks.draw_weekly_sample.delay().get() == 3
        tasks.draw_weekly_sample.delay()
    assert SampleDraw.objects.get().week == LAST_WEEK
    assert Review.objects.count() == 3


def test_beat_draws_the_sample_weekly_with_an_expiry_shorter_than_a_week():
    entries = [e for e in celery_app.conf.beat_schedule.values() if e["task"] == "quality.tasks.draw_weekly_sample"]
    assert len(entries) == 1
    assert 0 < entries[0]["options"]["expires"] < 7 * 24 * 3600
