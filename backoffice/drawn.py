"""HTML drawn once per process for the inputs it depends on, and reused.

Parts of the pages (filter fields, table headers, pager, tabs, the top bar and menu, the language switch, the
shortcuts dialog) cost more to draw with Django's templates than the page's own SQL, yet depend on a handful of inputs
only: the language, the query string, the person's roles and name. What is kept here is keyed by all of them, so it is
never stale; nothing else request-bound (a message, a person's data not named in the key) may be drawn into it. A CSRF
token is kept as a stand-in and the request's own put back on each use ({% keep %} in
backoffice/templatetags/backoffice.py). Each process keeps the most recently used two thousand (a few MB).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable

from django.utils.functional import LazyObject

KEPT = 2048

_drawn: OrderedDict[Hashable, str] = OrderedDict()
_lock = threading.Lock()


def drawn(key: Hashable, draw: Callable[[], str]) -> str:
    """The HTML kept for `key`, or `draw()`'s, kept from now on."""
    with _lock:
        html = _drawn.get(key)
        if html is not None:
            _drawn.move_to_end(key)
            return html
    html = draw()
    with _lock:
        _drawn[key] = html
        while len(_drawn) > KEPT:
            _drawn.popitem(last=False)
    return html


def key_part(value) -> Hashable:
    """A value a kept part depends on, as part of its key: a query string with every value of a repeated parameter,
    a dict in its order (drawn in a loop, it is drawn in that order), a list as a tuple, a lazy list as its items."""
    if hasattr(value, "lists"):  # a QueryDict
        return tuple(sorted((key, tuple(items)) for key, items in value.lists()))
    # A lazy value (a context processor's) is a key part by what it holds, not as the request's wrapper.
    if isinstance(value, Hashable) and not isinstance(value, tuple | LazyObject):
        return value
    if isinstance(value, dict):
        return tuple((key, key_part(item)) for key, item in value.items())
    if isinstance(value, Iterable) and not isinstance(value, str):
        return tuple(key_part(item) for item in value)
    return repr(value)


def forget() -> None:
    with _lock:
        _drawn.clear()
