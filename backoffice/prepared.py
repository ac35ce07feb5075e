"""Reads of a fixed shape made on every page, written to SQL by the ORM once and run with each page's values.

A person's roles, their unread notices, the staff list and the timed-work notes are read on every page (the notices
on every nav-count poll too), and a queue's search runs the same five-branch union whatever is searched. Building and
compiling such a queryset cost the ORM more Python than the database took to answer it. Their SQL depends only on the
database, not on the request: the ORM writes it once per database connection, with markers in place of the values,
and each read runs it with its own values in the markers' places (as parameters: nothing is ever put into the SQL
text). A text value in a LIKE pattern (`startswith`, `icontains`) is escaped as the ORM escapes it. Rows come back as
the ORM's `values_list` would give them (the database's converters applied: SQLite's datetimes become aware ones, as
everywhere else).

A queue page's rows (model instances with their related objects) are read by `kept_rows`: their SQL is compiled once per
shape the caller names, and each read compiles only its WHERE clause again, for its own values.
"""

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
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


# --- a model read whose SQL is kept per shape ------------------------------------------------------------------------

# Shapes kept per thread (a queue page's: desk, queue, person, filters, sort and page), the least recently read
# dropped first.
KEPT_SHAPES = 256


class _KeptSQL:
    """A compiled read: its compiler (what turns rows into model instances), its SQL, and its parameters around the
    WHERE clause's (which each read compiles again, with its own values)."""

    __slots__ = ("compiler", "connection", "sql", "where_sql", "before", "after")

    def __init__(self, compiler, connection, sql, where_sql, before, after):
        self.compiler, self.connection, self.sql = compiler, connection, sql
        self.where_sql, self.before, self.after = where_sql, before, after


_kept = threading.local()


def _where(query, connection) -> tuple[str, list] | None:
    """The read's WHERE clause with its values, compiled alone (none: a WHERE Django would leave out or fold)."""
    if query.where is None:
        return None
    try:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
    except (EmptyResultSet, FullResultSet):
        return None
    return (sql, list(params)) if sql else None


def _keep(compiler, connection, sql: str, params: list, where: tuple[str, list] | None) -> _KeptSQL | None:
    """What can be kept of a compiled read: its one WHERE clause found in its SQL, with those parameters in place."""
    if where is None or compiler.having is not None or compiler.qualify is not None or "%%" in sql:
        return None
    where_sql, where_params = where
    clause = f" WHERE {where_sql}"
    if sql.count(clause) != 1:
        return None
    start = sql[: sql.index(clause)].count("%s")
    end = start + len(where_params)
    if list(params[start:end]) != where_params:
        return None
    return _KeptSQL(compiler, connection, sql, where_sql, list(params[:start]), list(params[end:]))


def kept_rows(queryset: QuerySet, shape: tuple) -> list:
    """The queryset's rows, as iterating it gives them (model instances, related objects, annotations), with its SQL
    compiled once per shape on each database connection.

    `shape` must name everything the read's SELECT, FROM and ORDER BY follow from (for a queue page: the desk, the
    queue, the person and the request's filters, search, sort and page): a value there is kept from the first read of
    the shape. The values in its WHERE clause may change from one read to the next (the time now): that clause is
    compiled for each read, and the kept SQL is used only when it is the same clause. With settings.CHECK_KEPT_SQL
    (the test suite) each kept read is compared with the SQL the ORM writes for it.
    """
    query = queryset.query
    connection = connections[queryset.db]
    key = (queryset.db, query.model, query.low_mark, query.high_mark, shape)
    kept = _kept.__dict__.setdefault("reads", OrderedDict())
    entry = kept.get(key)
    if entry is not None and entry.connection is connection:
        where = _where(query, connection)
        if where is not None and where[0] == entry.where_sql:
            kept.move_to_end(key)
            params = [*entry.before, *where[1], *entry.after]
            if getattr(settings, "CHECK_KEPT_SQL", False):
                _check(queryset, connection, entry.sql, params, shape)
            return _run(queryset, entry.compiler, entry.sql, params)
    compiler = query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a filter that matches nothing (`pk__in=[]`): Django reads nothing
        return list(queryset)
    entry = _keep(compiler, connection, sql, list(params), _where(query, connection))
    if entry is not None:
        kept[key] = entry
        kept.move_to_end(key)
        while len(kept) > KEPT_SHAPES:
            kept.popitem(last=False)
    return _run(queryset, compiler, sql, params)


def _run(queryset: QuerySet, compiler, sql: str, params) -> list:
    """The queryset read as Django reads it (its iterable, its prefetches), by this compiler with this SQL."""
    ready = copy.copy(compiler)
    ready.as_sql = lambda *args, **kwargs: (sql, params)
    query = queryset.query
    query.get_compiler = lambda *args, **kwargs: ready
    try:
        queryset._fetch_all()
    finally:
        del query.get_compiler
    return list(queryset._result_cache)


def _check(queryset: QuerySet, connection, sql: str, params: list, shape: tuple) -> None:
    expected_sql, expected_params = queryset.query.chain().get_compiler(connection=connection).as_sql()
    if (expected_sql, list(expected_params)) != (sql, params):
        raise AssertionError(
            f"kept SQL for {shape!r} is not the ORM's:\n{sql}\n{params}\n{expected_sql}\n{expected_params}"
        )
