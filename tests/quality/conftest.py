"""Quality review fixtures: a fixed "now" (Wednesday 2026-11-25, Shanghai), a scorecard, closed cases of a week."""

import datetime as dt

import pytest
import time_machine

from backoffice.models import Status
from quality.models import Criterion, Scorecard
from tests.factories import CaseFactory, shanghai

# Wednesday; last week is Monday 2026-11-16 to Sunday 2026-11-22.
NOW = shanghai(2026, 11, 25, 10, 0)
LAST_WEEK = dt.date(2026, 11, 16)
THIS_WEEK = dt.date(2026, 11, 23)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def closed_case(db):
    """closed_case(agent, at=shanghai(...), **fields): a case the agent closed at that moment."""

    def make(agent, *, at: dt.datetime | None = None, **fields):
        at = at or shanghai(2026, 11, 18, 15, 0)
        opened = at - dt.timedelta(hours=2)
        return CaseFactory(
            assignee=agent, status=Status.CLOSED, created_at=opened, updated_at=at, closed_at=at, **fields
        )

    return make


@pytest.fixture
def scorecard(db) -> Scorecard:
    """Three weighted criteria (weights 2, 1, 1 on 0–5, 0–5, 0–2) and one critical."""
    card = Scorecard.objects.create(name="测试评分表")
    Criterion.objects.create(scorecard=card, name="态度礼貌", weight=2, scale=5, sort_order=10)
    Criterion.objects.create(scorecard=card, name="方案正确", weight=1, scale=5, sort_order=20)
    Criterion.objects.create(scorecard=card, name="主动告知进度", weight=1, scale=2, sort_order=30)
    Criterion.objects.create(scorecard=card, name="违规话术", critical=True, scale=1, sort_order=40)
    return card


def full_marks(card: Scorecard, **overrides) -> dict[int, tuple[int, str]]:
    """The scorecard's values with every criterion at full marks, but the named ones: name=(points, comment)."""
    values = {}
    for criterion in card.criteria.all():
        values[criterion.pk] = overrides.get(criterion.name, (criterion.max_points, ""))
    return values
