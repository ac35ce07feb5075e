"""The after-sales benchmark prints each page beside its floor, the query counts per role and the growth ratios."""

import io
import re

import pytest
from django.core.management import call_command

from backoffice.models import OPEN_STATUSES, Case
from tests.factories import AgentFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_the_bench_prints_pages_against_their_floor_and_the_growth(agent):
    OrderFactory.create_batch(5)
    AgentFactory()
    out = io.StringIO()

    call_command("bench_aftersales", cases=80, growth_from=30, repeat=1, stdout=out)

    text = out.getvalue()
    assert "× floor" in text
    for role in ("agent", "supervisor"):
        assert re.search(rf"^queue: unassigned +{role} +[\d.]+ +[\d.]+ +[\d.]+ +\d+ ", text, re.MULTILINE)
    assert "Growth 30 → 80 cases" in text
    assert "search order no." in text.split("Growth")[1] and "nav counts" in text.split("Growth")[1]


def test_the_growth_adds_closed_history_only(agent):
    OrderFactory.create_batch(5)
    AgentFactory()
    out = io.StringIO()

    call_command("bench_aftersales", cases=80, growth_from=30, repeat=1, stdout=out)

    growth = out.getvalue().split("Growth")[1]
    opened = re.search(r"open cases (\d+) → (\d+): the cases added are closed history only", growth)
    assert opened and opened.group(1) == opened.group(2)
    assert Case.objects.filter(source="bench").exclude(status__in=OPEN_STATUSES).count() >= 50
