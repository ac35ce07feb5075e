"""One read of the store's settings, business-hours calendar, message templates and rules per request or task.

Every service reads the store settings (and most the calendar, a message template or the banned phrases) for each
call; a request or a Celery task makes dozens of such calls. Inside a scope (the middleware below wraps each request, a
Celery signal each task, seed_demo each step) the first read is kept and the later ones reuse it. Saving or deleting
the settings, business hours, a holiday, a message template, an auto-reply rule, a banned phrase or the survey
settings forgets what the scope kept, so the next read in the same scope sees the change; the next request or task
always starts empty, so it sees every change committed before it began. Outside a scope nothing is kept.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

T = TypeVar("T")

_kept: ContextVar[dict[str, Any] | None] = ContextVar("store_settings_scope", default=None)


@contextmanager
def store_settings_scope() -> Iterator[None]:
    """Keep the store settings and calendar read inside this block (nested blocks share the outer one's)."""
    if _kept.get() is not None:
        yield
        return
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def kept(key: str, read: Callable[[], T]) -> T:
    """`read()` once per scope for `key`; outside a scope, every time."""
    scope = _kept.get()
    if scope is None:
        return read()
    if key not in scope:
        scope[key] = read()
    return scope[key]


def is_kept(key: str, value: object) -> bool:
    """Whether `value` is what the current scope keeps under `key` (the very object)."""
    scope = _kept.get()
    return scope is not None and scope.get(key) is value


def forget_store_settings(**_signal_kwargs: object) -> None:
    """Drop what the current scope kept: the settings, hours, holidays, a text or a rule changed."""
    scope = _kept.get()
    if scope is not None:
        scope.clear()


def forget_when_saved(*models: type) -> None:
    """Saving or deleting a row of these models forgets what the current scope kept (AppConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                forget_store_settings,
                sender=model,
                dispatch_uid=f"storecache.{model._meta.label}.{'save' if signal is post_save else 'delete'}",
            )


_task_tokens: dict[str, Token] = {}


def begin_task_scope(task_id: str | None = None, **_signal_kwargs: object) -> None:
    """Celery `task_prerun`: each task starts with nothing kept."""
    if task_id is not None:
        _task_tokens[task_id] = _kept.set({})


def end_task_scope(task_id: str | None = None, **_signal_kwargs: object) -> None:
    """Celery `task_postrun`: nothing outlives the task (an eager task gives back its caller's scope)."""
    token = _task_tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        try:
            _kept.reset(token)
        except ValueError:  # finished in another context than it began: just leave nothing kept
            _kept.set(None)


class StoreSettingsScopeMiddleware:
    """Each request reads the store settings and calendar at most once (until it saves them)."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with store_settings_scope():
            return self.get_response(request)
