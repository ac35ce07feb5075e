"""What makes django-tables2 tables cheap (the desks' queue tables draw their own rows: backoffice/desk/tables.py):
it reads the signature of each render method, lambda and link once per process instead of once per cell, and a
queue's pages count up to a cap and fetch deep pages ids first.

django-tables2 calls `inspect.signature` on every render method and every callable attribute for every cell (a page of
25 rows made ~450 calls, over half the page's time). A function's signature never changes, so it is kept here, keyed by
the function itself (a bound method by its function, so the per-request table objects do not fill the cache).
"""

import functools

import django_tables2.utils
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django_tables2.data import TableListData
from django_tables2.rows import BoundRows

_library_signature = django_tables2.utils.signature


@functools.lru_cache(maxsize=2048)
def _function_signature(function) -> tuple[tuple[str, ...], str | None]:
    return _library_signature(function)


def kept_signature(fn) -> tuple[tuple[str, ...], str | None]:
    """django-tables2's `signature(fn)`, read once per function (a bound method's `self` left out, as it does)."""
    function = getattr(fn, "__func__", None)
    if function is not None:  # a bound method: the function's own arguments, without `self`
        args, kwargs_name = _function_signature(function)
        return args[1:], kwargs_name
    try:
        return _function_signature(fn)
    except TypeError:  # unhashable callable: ask the library each time
        return _library_signature(fn)


def install_kept_signatures() -> None:
    """Make django-tables2 read each signature once (backoffice.apps calls it at start-up)."""
    if django_tables2.utils.signature is not kept_signature:
        django_tables2.utils.signature = kept_signature


# Counting stops here: past it the page says "more than 10,000" instead of scanning the whole history for a number.
COUNT_CAP = 10_000
# From this row on, a page's ids are selected first and only its own rows joined (an OFFSET over joined rows would
# join every skipped one); the queue is then counted exactly, in a query of its own.
IDS_FIRST_FROM_ROW = 250


class QueuePaginator(Paginator):
    """A queue's pages: the total counted up to COUNT_CAP (`capped` says when there were more), deep pages ids-first."""

    capped = False

    def _queryset(self) -> QuerySet | None:
        data = getattr(getattr(self.object_list, "data", None), "data", None)
        return data if isinstance(data, QuerySet) else None

    @cached_property
    def count(self) -> int:
        qs = self._queryset()
        if qs is None:
            return super().count
        # Only the ids are counted: the rows' annotations (read marks) are for the page's own rows, never all of them.
        counted = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
        self.capped = counted > COUNT_CAP
        return counted  # one past the cap when capped, so the last page stays full

    @property
    def count_cap(self) -> int:
        return COUNT_CAP

    def page(self, number):
        qs = self._queryset()
        try:
            bottom = (int(number) - 1) * self.per_page
        except (TypeError, ValueError):
            return super().page(number)
        if qs is not None and bottom == 0 and not self.count:
            # Nothing found: a page of no rows. Django would still build and compile the rows' whole query (its joins
            # and read marks) to find its slice empty, and the pager's "{% if page %}" would do it again.
            return self._get_page(self._rows([]), 1, self)
        if qs is None or self.orphans:
            return super().page(number)
        if bottom < IDS_FIRST_FROM_ROW:
            # Django's own page, but always a page's worth asked for: its last page would ask for the rows left
            # (LIMIT 3), so the page's SQL would change with the total, and its kept SQL (backoffice.prepared) too.
            number = self.validate_number(number)
            bottom = (number - 1) * self.per_page
            return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)
        # The page's ids in a narrow query (no joins: in the queue's index order), then only these rows joined. The
        # exact total in a query of its own: counted in a window over the ids, every row of the queue was sorted
        # (page 500 of 300,000 cases: the page's SQL took 250 ms that way, 51 ms this way).
        ids = list(qs.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        if not ids:  # past the end: count, and let validation say so
            return super().page(number)
        self.__dict__["count"] = qs.order_by().values("pk").count()
        number = self.validate_number(number)
        records = qs.order_by().in_bulk(ids)
        return self._get_page(self._rows([records[pk] for pk in ids if pk in records]), number, self)

    def _rows(self, records: list) -> BoundRows:
        """A page's rows from records already read (the table's own rows, as django-tables2 makes them)."""
        table = self.object_list.table
        rows = TableListData(records)
        rows.set_table(table)
        return BoundRows(data=rows, table=table)
