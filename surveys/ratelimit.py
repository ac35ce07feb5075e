"""A small fixed-window rate limit on the public survey pages, counted in Django's cache per client and per token."""

import hashlib
import logging

from django.core.cache import cache

from backoffice.staff import clientip

logger = logging.getLogger(__name__)

# (requests, seconds). A customer answers one survey in a handful of requests; a guesser needs billions.
LIMITS = {
    "ip": (60, 600),
    "token": (20, 600),
    # Links that open no survey: a real customer mistypes one now and then, a guesser keeps going.
    "miss": (10, 600),
}
# Counted per client address as the trusted proxies report it (settings.TRUSTED_PROXY_COUNT), like the login lock-out.
client_ip = clientip.client_ip


def _key(kind: str, value: str) -> str:
    return f"surveys:rl:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def hit(kind: str, value: str) -> bool:
    """Count one request; False once this client or token went over its limit in the current window.

    The counters live in the cache (Redis in production). When the cache cannot be reached the request is let
    through with a log line: a customer must never see an error page because the cache is away.
    """
    limit, window = LIMITS[kind]
    key = _key(kind, value)
    try:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
    except Exception:  # noqa: BLE001 - any cache failure means the same: no counting, fail open
        _log_cache_down(kind)
        return True
    return count <= limit


def over_limit(kind: str, value: str) -> bool:
    """Whether this client or token is already over its limit, without counting (False when the cache is away)."""
    limit, _window = LIMITS[kind]
    try:
        count = cache.get(_key(kind, value)) or 0
    except Exception:  # noqa: BLE001 - fail open, as in hit()
        _log_cache_down(kind)
        return False
    return count >= limit


def _log_cache_down(kind: str) -> None:
    logger.warning("survey rate limit (%s) not counted: the cache is unavailable", kind, exc_info=True)
