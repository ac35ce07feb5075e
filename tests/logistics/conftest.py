"""Fixtures for the logistics desk: a fixed clock in Shanghai, orders at given ages, and a sweep helper."""

import datetime as dt

import pytest
import time_machine

from backoffice.models import Case, Desk
from logistics import detection
from tests.factories import shanghai

# A Wednesday afternoon, well away from the demo holidays.
NOW = shanghai(2026, 11, 25, 15, 0)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def clock():
    """Time stands still at NOW until the test moves it: clock.move_to(moment)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sweep(db):
    """Run a detection sweep at the clock's time (full unless told otherwise)."""

    def run(*, full: bool | None = True, **kwargs) -> detection.SweepResult:
        return detection.sweep(full=full, **kwargs)

    return run


def logistics_cases(**filters):
    return Case.objects.filter(desk=Desk.LOGISTICS, **filters)
