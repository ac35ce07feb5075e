"""Reads of a fixed shape made on every page, written to SQL by the ORM once and run with each page's values.

A person's roles, their unread notices, the staff list and the timed-work notes are read on every page (the notices
on every nav-count poll too), and a queue's search runs the same five-branch union whatever is searched. Building and
compiling such a queryset cost the ORM more Python than the database took to answer it. Their SQL depends only on the
database, not on the request: the ORM writes it once per database connection, with markers in place of the values,
and each read runs it with its own values in the markers' places (as parameters: nothing is ever put into the SQL
text). A text value in a LIKE pattern (`startswith`, `icontains`) is escaped as the ORM escapes it. Rows come back as
the ORM's `values_list` would give them (the database's converters applied: SQLite's datetimes become aware ones, as
everywhere else).
"""

import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

ID, TEXT = "id", "text"
# Stand-ins for the values while the SQL is written: numbers no id is ever given, inside a 32-bit integer column's
# range (Django writes no SQL for a lookup of a value the column cannot hold); words no one searches for, in capitals
# and letters only (the same in an upper-cased or LIKE-escaped pattern).
ID_MARKERS = (-2_073_049_901, -2_073_049_902, -2_073_049_903)
TEXT_MARKERS = ("QZPREPAREDVALUEAQZ", "QZPREPAREDVALUEBQZ", "QZPREPAREDVALUECQZ")


class PreparedRead:
    """`build(*markers)` makes the read (a queryset) from stand-ins for its values, of the kinds given (ids or texts);
    `sql(*values)` is its SQL for these values, and `rows(*values)` runs a `values_list` read."""

    def __init__(self, build: Callable[..., QuerySet], *, values: tuple[str, ...] = ()) -> None:
        if sum(kind == ID for kind in values) > len(ID_MARKERS) or sum(kind == TEXT for kind in values) > len(
            TEXT_MARKERS
        ):
            raise ValueError("too many values")
        self.build = build
        ids, texts = iter(ID_MARKERS), iter(TEXT_MARKERS)
        self.markers = tuple(next(ids) if kind == ID else next(texts) for kind in values)
        # Per thread: a compiler belongs to its thread's connection (each thread has its own, as Django's do).
        self._compiled = threading.local()

    def _prepare(self, using: str):
        kept = self._compiled.__dict__.setdefault("by_database", {})
        connection = connections[using]
        prepared = kept.get(using)
        if prepared is not None and prepared[0] is connection:
            return prepared
        compiler = self.build(*self.markers).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        places = [self._place(param) for param in params]
        if {place[0] for place in places if place is not None} != set(range(len(self.markers))):
            raise ValueError("every value must be used in the read's filters, as a parameter")
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        prepared = kept[using] = (connection, compiler, sql, tuple(params), tuple(places), converters)
        return prepared

    def _place(self, param) -> tuple[int, bool] | None:
        """Which value a parameter holds, and whether inside a LIKE pattern; None for a parameter of the read's own."""
        for index, marker in enumerate(self.markers):
            if param == marker:
                return index, False
            if isinstance(param, str) and isinstance(marker, str) and marker in param:
                if param.count(marker) != 1 or any(other in param for other in self.markers if other != marker):
                    raise ValueError("a parameter holds one value at most")
                return index, True
        return None

    def sql(self, *values, using: str = DEFAULT_DB_ALIAS) -> tuple[str, list]:
        """The read's SQL and its parameters for these values."""
        return self._bind(self._prepare(using), values)

    def _bind(self, prepared, values) -> tuple[str, list]:
        connection, _compiler, sql, params, places, _converters = prepared
        if len(values) != len(self.markers):
            raise TypeError(f"{len(self.markers)} value(s) expected, {len(values)} given")
        bound = []
        for param, place in zip(params, places, strict=True):
            if place is None:
                bound.append(param)
                continue
            index, in_pattern = place
            value = values[index]
            if in_pattern:
                value = param.replace(self.markers[index], connection.ops.prep_for_like_query(value))
            bound.append(value)
        return sql, bound

    def rows(self, *values, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        prepared = self._prepare(using)
        sql, params = self._bind(prepared, values)
        connection, compiler, *_rest, converters = prepared
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows
