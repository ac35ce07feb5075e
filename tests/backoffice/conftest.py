"""Fixtures for the shared store code's tests."""

import datetime as dt

import pytest
from django.db.models.sql.compiler import SQLCompiler

from backoffice.store.businesshours import Calendar

NINE_TO_SIX = ((dt.time(9, 0), dt.time(18, 0)),)


@pytest.fixture
def make_weekday_calendar():
    """Calendars open Monday to Friday 09:00–18:00, with the given holidays and worked days (调休)."""

    def make(*, closed: set[dt.date] = frozenset(), worked: set[dt.date] = frozenset()) -> Calendar:
        return Calendar(
            hours=dict.fromkeys(range(5), NINE_TO_SIX), closed_days=frozenset(closed), worked_days=frozenset(worked)
        )

    return make


@pytest.fixture
def weekday_calendar(make_weekday_calendar) -> Calendar:
    """Open Monday to Friday 09:00–18:00, closed at weekends; no holidays."""
    return make_weekday_calendar()


@pytest.fixture
def compiled(monkeypatch) -> list:
    """The queries the ORM compiles to SQL from here on (the query of each SQLCompiler.as_sql call, in order)."""
    queries = []
    original = SQLCompiler.as_sql

    def recording(self, *args, **kwargs):
        queries.append(self.query)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", recording)
    return queries
