"""QA-3, QA-4: scoring with weights and critical errors, saving a review, and the agent's answer or dispute."""

from decimal import Decimal

import pytest

from backoffice.errors import DomainError
from backoffice.models import CaseEvent, EventType
from quality import services
from quality.models import Review, ReviewReason, ReviewScore, ReviewStatus
from quality.services import Scored, compute_score
from tests.factories import StoreAdminFactory, SupervisorFactory

from .conftest import LAST_WEEK, full_marks

pytestmark = pytest.mark.django_db


def scored(points, scale=5, weight=1, critical=False):
    return Scored(name="c", weight=weight, scale=scale, critical=critical, points=points)


def test_score_is_the_weighted_share_of_points():
    # (2 × 5/5 + 1 × 3/5 + 1 × 1/2) / 4 = 0.775
    assert compute_score([scored(5, weight=2), scored(3), scored(1, scale=2)]) == (Decimal("77.5"), False)


def test_weights_change_the_score():
    assert compute_score([scored(5, weight=3), scored(0)])[0] == Decimal("75.0")
    assert compute_score([scored(5), scored(0, weight=3)])[0] == Decimal("25.0")


def test_score_rounds_half_up_to_one_decimal():
    # 2/3 = 66.666… → 66.7
    assert compute_score([scored(2, scale=3)])[0] == Decimal("66.7")


def test_a_failed_critical_criterion_zeroes_the_score():
    assert compute_score([scored(5), scored(5), scored(0, scale=1, critical=True)]) == (Decimal("0.0"), True)


def test_a_passed_critical_criterion_does_not_count_in_the_score():
    assert compute_score([scored(4), scored(1, scale=1, critical=True)]) == (Decimal("80.0"), False)


@pytest.fixture
def review(agent, closed_case):
    case = closed_case(agent)
    return Review.objects.create(case=case, agent=agent, week=LAST_WEEK, reasons=[ReviewReason.SAMPLE])


def test_a_supervisor_saves_a_review_with_comments_and_an_audit_event(review, supervisor, scorecard):
    values = full_marks(scorecard, 方案正确=(2, "应先提供补偿 5 元的选项"))
    services.submit_review(review=review, reviewer=supervisor, values=values, note="整体不错")
    review.refresh_from_db()
    # (2 × 1 + 1 × 2/5 + 1 × 1) / 4 = 0.85
    assert review.status == ReviewStatus.REVIEWED and review.score == Decimal("85.0")
    assert review.reviewer == supervisor and review.note == "整体不错"
    missed = ReviewScore.objects.get(review=review, name="方案正确")
    assert (missed.points, missed.scale, missed.weight, missed.comment) == (2, 5, 1, "应先提供补偿 5 元的选项")
    event = CaseEvent.objects.get(case=review.case, type=EventType.QA_REVIEWED)
    assert event.actor == supervisor and event.after["score"] == "85.0" and event.after["scores"]["方案正确"] == 2


def test_a_critical_error_in_a_review_zeroes_it(review, supervisor, scorecard):
    services.submit_review(review=review, reviewer=supervisor, values=full_marks(scorecard, 违规话术=(0, "加微信")))
    review.refresh_from_db()
    assert review.score == Decimal("0.0") and review.critical_failed


def test_every_criterion_must_be_scored_within_its_scale(review, supervisor, scorecard):
    values = full_marks(scorecard)
    values.pop(next(iter(values)))
    with pytest.raises(DomainError):
        services.submit_review(review=review, reviewer=supervisor, values=values)
    with pytest.raises(DomainError):
        services.submit_review(review=review, reviewer=supervisor, values=full_marks(scorecard, 态度礼貌=(6, "")))
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.PENDING


def test_a_review_is_saved_once(review, supervisor, scorecard):
    services.submit_review(review=review, reviewer=supervisor, values=full_marks(scorecard))
    stale = Review.objects.get(pk=review.pk)
    stale.status = ReviewStatus.PENDING
    with pytest.raises(DomainError):
        services.submit_review(review=stale, reviewer=SupervisorFactory(), values=full_marks(scorecard))
    assert ReviewScore.objects.filter(review=review).count() == 4


def test_nobody_reviews_their_own_case(supervisor, closed_case, scorecard):
    case = closed_case(supervisor)
    review = Review.objects.create(case=case, agent=supervisor, week=LAST_WEEK, reasons=[ReviewReason.MANUAL])
    with pytest.raises(DomainError):
        services.submit_review(review=review, reviewer=supervisor, values=full_marks(scorecard))


def test_an_agent_cannot_review(review, agent2, scorecard):
    with pytest.raises(DomainError):
        services.submit_review(review=review, reviewer=agent2, values=full_marks(scorecard))


@pytest.fixture
def reviewed(review, supervisor, scorecard):
    services.submit_review(review=review, reviewer=supervisor, values=full_marks(scorecard, 态度礼貌=(3, "语气生硬")))
    return review


def test_the_agent_acknowledges_a_review(reviewed, agent):
    services.acknowledge_review(review=reviewed, agent=agent, note="收到")
    reviewed.refresh_from_db()
    assert reviewed.status == ReviewStatus.ACKNOWLEDGED and reviewed.agent_note == "收到"
    assert CaseEvent.objects.get(case=reviewed.case, type=EventType.QA_ACKNOWLEDGED).actor == agent


def test_only_the_reviewed_agent_answers(reviewed, agent2):
    with pytest.raises(DomainError):
        services.acknowledge_review(review=reviewed, agent=agent2)
    with pytest.raises(DomainError):
        services.dispute_review(review=reviewed, agent=agent2, note="不对")


def test_a_dispute_needs_a_note(reviewed, agent):
    with pytest.raises(DomainError):
        services.dispute_review(review=reviewed, agent=agent, note="  ")


def test_a_dispute_goes_to_a_supervisor_other_than_the_reviewer(reviewed, agent, supervisor):
    other = SupervisorFactory(username="zhao")
    services.dispute_review(review=reviewed, agent=agent, note="买家一直没回复")
    reviewed.refresh_from_db()
    assert reviewed.status == ReviewStatus.DISPUTED and reviewed.dispute_handler == other
    event = CaseEvent.objects.get(case=reviewed.case, type=EventType.QA_DISPUTED)
    assert event.after["note"] == "买家一直没回复" and event.after["dispute_handler"] == "zhao"


def test_disputes_are_spread_over_the_other_supervisors(agent, supervisor, closed_case, scorecard):
    first, second = SupervisorFactory(username="a-sup"), SupervisorFactory(username="b-sup")
    handlers = []
    for _ in range(2):
        review = Review.objects.create(case=closed_case(agent), agent=agent, week=LAST_WEEK, reasons=["sample"])
        services.submit_review(review=review, reviewer=supervisor, values=full_marks(scorecard))
        services.dispute_review(review=review, agent=agent, note="不同意")
        handlers.append(Review.objects.get(pk=review.pk).dispute_handler)
    assert handlers == [first, second]


def test_with_one_supervisor_a_dispute_goes_to_a_store_admin(reviewed, agent):
    admin = StoreAdminFactory(username="boss")
    services.dispute_review(review=reviewed, agent=agent, note="不同意")
    assert Review.objects.get(pk=reviewed.pk).dispute_handler == admin


def test_the_reviewer_cannot_decide_the_dispute(reviewed, agent, supervisor):
    SupervisorFactory(username="zhao")
    services.dispute_review(review=reviewed, agent=agent, note="不同意")
    values = {s.pk: (s.scale, "") for s in reviewed.scores.all()}
    with pytest.raises(DomainError):
        services.resolve_dispute(review=reviewed, supervisor=supervisor, values=values, note="维持")


def test_the_other_supervisor_amends_the_scores(reviewed, agent):
    other = SupervisorFactory(username="zhao")
    services.dispute_review(review=reviewed, agent=agent, note="态度没问题")
    attitude = reviewed.scores.get(name="态度礼貌")
    services.resolve_dispute(
        review=reviewed, supervisor=other, values={attitude.pk: (5, "")}, note="看过时间线，改为满分"
    )
    reviewed.refresh_from_db()
    assert reviewed.status == ReviewStatus.RESOLVED and reviewed.score == Decimal("100.0")
    assert reviewed.resolved_by == other and reviewed.resolution_note == "看过时间线，改为满分"
    event = CaseEvent.objects.get(case=reviewed.case, type=EventType.QA_DISPUTE_RESOLVED)
    assert event.before["score"] == "80.0" and event.after["score"] == "100.0" and event.after["decision"] == "amended"


def test_the_other_supervisor_upholds_the_review(reviewed, agent):
    other = SupervisorFactory(username="zhao")
    services.dispute_review(review=reviewed, agent=agent, note="不同意")
    services.resolve_dispute(review=reviewed, supervisor=other, values={}, note="维持原评分")
    event = CaseEvent.objects.get(case=reviewed.case, type=EventType.QA_DISPUTE_RESOLVED)
    assert event.after["decision"] == "upheld"
    assert Review.objects.get(pk=reviewed.pk).score == Decimal("80.0")


def test_an_answered_review_cannot_be_answered_again(reviewed, agent):
    services.acknowledge_review(review=reviewed, agent=agent)
    with pytest.raises(DomainError):
        services.dispute_review(review=reviewed, agent=agent, note="还是不同意")
