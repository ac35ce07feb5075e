"""bench_demo times make demo's own seed on a fresh SQLite database of its own, and never touches the test's."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backoffice.management.commands import bench_demo
from backoffice.models import Case, Order

pytestmark = pytest.mark.django_db


def test_it_seeds_a_database_of_its_own_and_prints_the_time_against_the_goal():
    out = io.StringIO()

    call_command("bench_demo", goal=120, stdout=out)

    text = out.getvalue()
    first = next(line for line in text.splitlines() if line.startswith("first run (empty database)"))
    assert float(first.split()[-4]) > 0 and first.endswith("<120 s ok")
    assert "second run (creates nothing)" in text
    assert not Order.objects.exists() and not Case.objects.exists()  # the test's database stays empty


def test_a_seed_slower_than_the_goal_fails_the_bench(monkeypatch):
    monkeypatch.setattr(bench_demo.Command, "manage", lambda self, env, *args: "")
    monkeypatch.setattr(bench_demo.Command, "seed", lambda self, env: 10.5)
    out = io.StringIO()

    with pytest.raises(CommandError, match="seed_demo took 10.5 s"):
        call_command("bench_demo", stdout=out)
    assert "<10 s MISSED" in out.getvalue()
