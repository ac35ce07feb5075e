"""The demo step leaves work on the desk and is safe to run twice; the benchmark command prints its table."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from backoffice.demo import seed_store
from backoffice.models import CaseKind
from logistics.demo import seed_exceptions
from logistics.models import CourierContact, Problem

from .conftest import NOW, logistics_cases

pytestmark = pytest.mark.django_db


def test_demo_leaves_late_stalled_and_untracked_parcels_and_runs_twice_safely(clock):
    seed_store(now=NOW, orders=150)

    first = seed_exceptions(now=NOW)
    second = seed_exceptions(now=NOW)

    kinds = set(Problem.objects.values_list("kind", flat=True))
    assert {CaseKind.NOT_SHIPPED, CaseKind.STALLED, CaseKind.NO_TRACKING, CaseKind.NO_TRACKING_UPDATE} <= kinds
    assert first["logistics_cases"] == logistics_cases().count() > 0
    assert second == {"logistics_cases": 0, "worked": 0}
    assert CourierContact.objects.exists()
    assert logistics_cases(assignee__isnull=True).exists()


def test_bench_command_prints_the_sweeps(clock):
    out = io.StringIO()

    call_command("bench_logistics", orders=400, stdout=out)

    text = out.getvalue()
    assert "first sweep" in text and "5 minutes later" in text and "incremental" in text
    assert "400 orders" in text


def test_bench_reset_removes_the_detectors_cases_and_keeps_those_people_worked_on(clock, monkeypatch):
    """A bench database seeded with the demo holds logistics cases agents worked (a courier contacted, a notice sent):
    the reset leaves those and their rows, and removes the rest with their problems and timeline."""
    seed_store(now=NOW, orders=150)
    seed_exceptions(now=NOW)
    worked = set(CourierContact.objects.values_list("case_id", flat=True))
    assert worked and logistics_cases().exclude(pk__in=worked).exists()
    monkeypatch.setitem(connection.settings_dict, "NAME", "scratch_bench")
    out = io.StringIO()

    call_command("bench_logistics", orders=150, reset=True, stdout=out)

    assert "earlier detected cases removed" in out.getvalue()
    connection.check_constraints()  # nothing left pointing at a removed case
    assert worked <= set(logistics_cases().values_list("pk", flat=True))
    # The removed cases' parcels are found again: the first sweep opens cases anew.
    first = next(line for line in out.getvalue().splitlines() if line.startswith("first sweep"))
    opened = int(first.split()[-2].replace(",", ""))
    assert opened > 0
