"""Survey fixtures: a closed case whose customer got the survey link, and the raw token read from that message."""

import re

import pytest

from backoffice.cases import services as casework
from backoffice.models import OutboundMessage, Status
from surveys.models import Survey, SurveyReason
from tests.factories import CaseFactory

LINK = re.compile(r"/s/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """The rate limit counts in the cache: each test starts with an empty in-memory one (never a shared Redis)."""


def token_sent_for(case) -> str:
    """The token in the survey message the customer got for this case."""
    message = OutboundMessage.objects.get(case=case, template_key="survey_invite")
    return LINK.search(message.body).group(1)


def close(case, actor=None):
    return casework.transition_case(case=case, to=Status.CLOSED, actor=actor, note="已处理")


@pytest.fixture
def make_surveyed_case(db, agent):
    """A resolved after-sales case of `agent`, closed: its customer gets the survey. Returns (case, survey, token)."""

    def make(**case_fields):
        case_fields.setdefault("assignee", agent)
        case_fields.setdefault("status", Status.RESOLVED)
        case = CaseFactory(**case_fields)
        close(case, actor=case.assignee)
        survey = Survey.objects.get(case=case)
        return case, survey, token_sent_for(case)

    return make


@pytest.fixture
def surveyed(make_surveyed_case):
    return make_surveyed_case()


@pytest.fixture
def reasons(db) -> dict[str, SurveyReason]:
    return {reason.code: reason for reason in SurveyReason.objects.all()}
