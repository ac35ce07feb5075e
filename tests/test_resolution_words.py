"""How a case ended reads in words on every desk (one list of resolutions), never as its stored code."""

import pytest
from django.urls import reverse
from django.utils import translation

from backoffice.cases.models import Resolution
from backoffice.templatetags.backoffice import resolution_label
from logistics.services import Outcome
from tests.factories import CaseFactory


@pytest.mark.parametrize("code", [*Resolution.values])
def test_every_resolution_has_words_in_chinese(code):
    with translation.override("zh-hans"):
        label = str(resolution_label(code))
    assert label and label != code
    assert not any("a" <= ch.lower() <= "z" for ch in label)


def test_the_logistics_outcomes_an_agent_chooses_are_resolutions():
    assert {value for value, _label in Outcome.CHOICES} <= set(Resolution.values)


def test_a_resolved_logistics_case_says_how_it_ended(agent_client, agent):
    case = CaseFactory(logistics=True, status="resolved", resolution="shipped", assignee=agent)

    page = agent_client.get(reverse("logistics:case", args=[case.number])).text

    assert "<b>已发货 / 已补录快递单号</b>" in page
    assert "<b>shipped</b>" not in page
