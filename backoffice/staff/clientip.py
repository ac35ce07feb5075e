"""The client's address, the one way every rate limit and the login lock-out read it.

Behind a reverse proxy, REMOTE_ADDR is the proxy's, the same for every customer. Each proxy appends the address it
received the request from to X-Forwarded-For, so with TRUSTED_PROXY_COUNT proxies the client is that many entries from
the end. Entries further left are whatever the client sent and are never trusted.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str:
    """The address in canonical form, or "" when it is not an IP address (a forged or broken header)."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The client's IP address, as far as the trusted proxies (settings.TRUSTED_PROXY_COUNT) vouch for it.

    With no trusted proxy, REMOTE_ADDR. With n, the n-th entry from the end of X-Forwarded-For; when the header has
    fewer entries than that (a request that did not come through every proxy), the left-most one the proxies saw.
    """
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not hops:
        return remote
    return _valid(hops[-min(count, len(hops))]) or remote
