"""Fixtures for the shared store code's tests."""

import datetime as dt

import pytest
from django.db.models.sql.compiler import SQLCompiler

from backoffice.models import Case
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


@pytest.fixture
def rows_compiled(compiled, settings):
    """rows_compiled(): the queue rows' queries compiled so far (the case rows with their joins; not a COUNT's ids).
    The suite's comparison of each kept read with the ORM's SQL is off here: it compiles the rows' query again."""
    settings.CHECK_KEPT_SQL = False

    def rows() -> list:
        return [query for query in compiled if query.model is Case and query.select_related]

    return rows
