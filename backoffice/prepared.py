"""Small reads of a fixed shape that every page makes, written to SQL by the ORM once and run with each page's values.

A person's roles, their unread notices, the staff list and the timed-work notes are read on every page (the notices
on every nav-count poll too). Building and compiling such a queryset cost the ORM more Python than the database took
to answer it. Their SQL depends only on the database, not on the request: the ORM writes it once per database
connection, with markers in place of the values, and each read runs it with its own values in the markers' places (as
parameters: nothing is ever put into the SQL text). Rows come back as the ORM's `values_list` would give them (the
database's converters applied: SQLite's datetimes become aware ones, as everywhere else).
"""

import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Stand-ins for the values while the SQL is written: numbers no id is ever given, inside a 32-bit integer column's
# range (Django writes no SQL for a lookup of a value the column cannot hold).
MARKERS = (-2_073_049_901, -2_073_049_902, -2_073_049_903)


class PreparedRead:
    """`build(*markers)` makes the read (a `values_list` queryset) from marker ids; `rows(*ids)` runs it for these."""

    def __init__(self, build: Callable[..., QuerySet], *, arity: int = 0) -> None:
        if arity > len(MARKERS):
            raise ValueError(f"at most {len(MARKERS)} values")
        self.build, self.arity = build, arity
        # Per thread: a compiler belongs to its thread's connection (each thread has its own, as Django's do).
        self._compiled = threading.local()

    def _prepare(self, using: str):
        kept = self._compiled.__dict__.setdefault("by_database", {})
        connection = connections[using]
        prepared = kept.get(using)
        if prepared is not None and prepared[0] is connection:
            return prepared
        compiler = self.build(*MARKERS[: self.arity]).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        places = {}
        for index, param in enumerate(params):
            if param in MARKERS:
                places[index] = MARKERS.index(param)
        if sorted(set(places.values())) != list(range(self.arity)):
            raise ValueError("every value must be used in the read's filters, as a parameter")
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        prepared = kept[using] = (connection, compiler, sql, tuple(params), places, converters)
        return prepared

    def sql(self, *values: int, using: str = DEFAULT_DB_ALIAS) -> tuple[str, list]:
        """The read's SQL and its parameters for these values."""
        _connection, _compiler, sql, params, places, _converters = self._prepare(using)
        if len(values) != self.arity:
            raise TypeError(f"{self.arity} value(s) expected, {len(values)} given")
        return sql, [values[places[index]] if index in places else param for index, param in enumerate(params)]

    def rows(self, *values: int, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        sql, params = self.sql(*values, using=using)
        connection, compiler, *_rest, converters = self._prepare(using)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows
