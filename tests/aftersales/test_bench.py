"""The after-sales benchmark prints each page beside its floor, the query counts per role and the growth ratios."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from backoffice.models import OPEN_STATUSES, Case, CaseEvent
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
    growth = text.split("Growth")[1]
    assert "search order no." in growth and "nav counts" in growth and "queue: all" in growth
    assert "Take-next, 20 agents at once" in text  # measured only where other connections see the cases


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_bench_takes_next_with_many_agents_at_once_and_puts_the_cases_back():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): agents at once need connections that see each other's rows")
    OrderFactory.create_batch(5)
    AgentFactory()
    out = io.StringIO()

    call_command("bench_aftersales", cases=300, agents=4, claims=3, take_next_only=True, stdout=out)

    text = out.getvalue()
    assert "Take-next, 4 agents at once" in text
    assert re.search(r"^claims +[1-9]\d* +12$", text, re.MULTILINE)
    assert re.search(r"^claims/s +[\d.]+ +[\d.]+  ≥80% of one agent: \d+% (ok|MISSED)$", text, re.MULTILINE)
    assert re.search(r"^p95 ms +[\d.]+ +[\d.]+  ≤300 ms (ok|MISSED)$", text, re.MULTILINE)
    assert re.search(r"^false empties +0 +0  0 ok$", text, re.MULTILINE)
    assert re.search(r"^double claims +0 +0  0 ok$", text, re.MULTILINE)
    assert re.search(r"^queries per claim +[\d.]+ +[\d.]+$", text, re.MULTILINE)
    assert not Case.objects.filter(assignee__username__startswith="bench-agent-").exists()
    assert not CaseEvent.objects.filter(actor__username__startswith="bench-agent-").exists()


def test_the_growth_adds_closed_history_only_on_other_orders_than_the_one_searched(agent):
    OrderFactory.create_batch(5)
    AgentFactory()
    out = io.StringIO()

    call_command("bench_aftersales", cases=80, growth_from=30, repeat=1, stdout=out)

    growth = out.getvalue().split("Growth")[1]
    opened = re.search(r"open cases (\d+) → (\d+): the cases added are closed history only", growth)
    assert opened and opened.group(1) == opened.group(2)
    assert Case.objects.filter(source="bench").exclude(status__in=OPEN_STATUSES).count() >= 50
    # The search finds the same cases at both sizes: its growth is the history's cost, not a longer answer.
    found = re.search(r"the order searched has (\d+) → (\d+) cases: the history is other orders'", growth)
    assert found and int(found.group(1)) > 0 and found.group(1) == found.group(2)
