"""The demo step: answered and unanswered surveys on the closed demo cases, and a few call-backs, idempotently."""

import datetime as dt

import pytest
from django.utils import timezone

from backoffice.models import Status
from surveys.demo import seed_surveys
from surveys.models import CallAttempt, CallBack, Survey
from tests.factories import CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db


def test_seed_surveys_leaves_answered_and_unanswered_surveys_and_call_backs(agent):
    SupervisorFactory(username="supervisor")
    # Closed two days ago, before surveys existed: the demo step sends theirs at the closing time, answered after it.
    closed = timezone.now() - dt.timedelta(days=2)
    for _ in range(30):
        CaseFactory(status=Status.CLOSED, assignee=agent, created_at=closed - dt.timedelta(hours=5), closed_at=closed)

    first = seed_surveys()

    surveys = Survey.objects.all()
    assert surveys.count() == 30 and first["answers"] > 0
    assert surveys.filter(answered_at__isnull=True).exists()
    assert CallBack.objects.count() == surveys.filter(answer="dissatisfied").count() == first["callbacks"]
    assert CallAttempt.objects.count() == first["calls"] <= 2
    assert all(s.answered_at > s.sent_at >= closed for s in surveys.filter(answered_at__isnull=False))

    again = seed_surveys()

    assert again == {"surveys": 0, "answers": 0, "callbacks": 0, "calls": 0}
