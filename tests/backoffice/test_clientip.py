"""The client's address behind TRUSTED_PROXY_COUNT proxies: what the survey rate limit and the login lock-out count."""

import pytest

from backoffice.staff.clientip import client_ip


@pytest.fixture
def behind(rf, settings):
    """A request as the app receives it: from the proxy at 10.0.0.1, with the given X-Forwarded-For."""

    def make(forwarded_for: str | None, *, proxies: int):
        settings.TRUSTED_PROXY_COUNT = proxies
        extra = {"REMOTE_ADDR": "10.0.0.1"}
        if forwarded_for is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
        return rf.get("/s/token/", **extra)

    return make


def test_with_no_trusted_proxy_the_header_is_ignored(behind):
    assert client_ip(behind("203.0.113.7", proxies=0)) == "10.0.0.1"


def test_one_proxy_vouches_for_the_last_entry_only(behind):
    # The client sent "1.1.1.1" itself; nginx appended the address it really saw.
    assert client_ip(behind("1.1.1.1, 203.0.113.7", proxies=1)) == "203.0.113.7"


def test_two_proxies_vouch_for_the_second_entry_from_the_end(behind):
    assert client_ip(behind("1.1.1.1, 203.0.113.7, 172.16.0.9", proxies=2)) == "203.0.113.7"


def test_a_request_that_skipped_the_outer_proxy_uses_the_leftmost_entry_seen(behind):
    assert client_ip(behind("203.0.113.7", proxies=2)) == "203.0.113.7"


def test_without_the_header_the_connection_address_is_used(behind):
    assert client_ip(behind(None, proxies=1)) == "10.0.0.1"


def test_a_malformed_entry_falls_back_to_the_proxy_address(behind):
    assert client_ip(behind("1.1.1.1, not-an-ip", proxies=1)) == "10.0.0.1"


def test_ipv6_addresses_are_canonical(behind):
    assert client_ip(behind("2001:DB8:0:0::1", proxies=1)) == "2001:db8::1"


def test_customers_behind_the_proxy_are_rate_limited_one_by_one(db, client, settings, monkeypatch):
    """Ten mistyped links from one customer lock out that customer, not everyone behind the proxy."""
    from django.core.cache import cache

    from surveys import ratelimit

    cache.clear()
    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setitem(ratelimit.LIMITS, "miss", (3, 600))
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    for n in range(3):
        client.get(f"/s/guess{n}/", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)

    assert client.get("/s/guess9/", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy).status_code == 429
    assert client.get("/s/guess9/", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 404
