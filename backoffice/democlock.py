"""The demo's clock: demo data replays each case's story at the moments it happened (a reply two minutes after the
message, a refund confirmed the next morning), so timelines, deadlines and last week's reports look like a real store's.

Only the demo seeders use it. Inside `replay_at(moment)` the services' `timezone.now()` and the model fields whose
default is `timezone.now` see `moment`; nothing else changes. Never used by the running application.
"""

import datetime as dt
from contextlib import contextmanager
from functools import cache
from unittest import mock

from django.apps import apps
from django.utils import timezone

_real_now = timezone.now


@cache
def _fields_with_a_clock():
    # Models do not change while the process runs: scan them once (the first call is never inside a replay).
    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if getattr(field, "default", None) is _real_now
    ]


def _fields_defaulting_to_now():
    return [field for field in _fields_with_a_clock() if field.default is _real_now]


@contextmanager
def replay_at(moment: dt.datetime):
    """Run the block as if it were `moment`."""
    fields = _fields_defaulting_to_now()

    def fake_now():
        return moment

    saved = [(field, field.__dict__.pop("_get_default", None)) for field in fields]
    for field, _cached in saved:
        field.default = fake_now
    try:
        with mock.patch("django.utils.timezone.now", fake_now):
            yield moment
    finally:
        for field, cached in saved:
            field.default = _real_now
            field.__dict__.pop("_get_default", None)
            if cached is not None:
                field.__dict__["_get_default"] = cached
