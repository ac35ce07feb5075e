"""A small fixed-window rate limit on the public survey pages, counted in Django's cache per client and per token."""

import hashlib

from django.core.cache import cache

from backoffice import clientip

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
    """Count one request; False once this client or token went over its limit in the current window."""
    limit, window = LIMITS[kind]
    key = _key(kind, value)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def over_limit(kind: str, value: str) -> bool:
    """Whether this client or token is already over its limit, without counting."""
    limit, _window = LIMITS[kind]
    return (cache.get(_key(kind, value)) or 0) >= limit
