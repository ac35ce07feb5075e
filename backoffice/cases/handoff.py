"""A case one desk opens on another: a logistics out-of-stock refund (L3) or a call-back's new application become
after-sales cases. The desk that owns such cases registers how it opens one (in its AppConfig.ready); the desk that
asks names the desk and never imports it, so desks depend on the core and not on each other."""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

from backoffice.models import Case

_openers: dict[str, Callable[..., Case]] = {}


def register(desk: str, opener: Callable[..., Case]) -> None:
    _openers[desk] = opener


def open_case_on(desk: str, **fields) -> Case:
    """Open a case on `desk` through that desk's own rules (its deadlines, automation and messages)."""
    opener = _openers.get(desk)
    if opener is None:
        raise ImproperlyConfigured(f"No app opens cases on the {desk} desk.")
    return opener(**fields)
