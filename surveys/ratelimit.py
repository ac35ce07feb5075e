"""A small fixed-window rate limit on the public survey pages, counted in Django's cache per client and per token."""

import hashlib
import os

from django.core.cache import cache
from django.http import HttpRequest

# (requests, seconds). A customer answers one survey in a handful of requests; a guesser needs billions.
LIMITS = {
    "ip": (60, 600),
    "token": (20, 600),
    # Links that open no survey: a real customer mistypes one now and then, a guesser keeps going.
    "miss": (10, 600),
}
# How many reverse proxies stand in front of the app: the client is that many hops from the end of X-Forwarded-For.
TRUSTED_PROXY_HOPS = int(os.environ.get("PUBLIC_TRUSTED_PROXY_HOPS", "0"))


def client_ip(request: HttpRequest) -> str:
    if TRUSTED_PROXY_HOPS:
        hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(hops) >= TRUSTED_PROXY_HOPS:
            return hops[-TRUSTED_PROXY_HOPS]
    return request.META.get("REMOTE_ADDR", "")


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
