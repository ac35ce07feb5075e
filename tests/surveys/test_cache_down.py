"""With the cache (Redis) unreachable, the customer's survey page still opens and takes the answer: the rate limit
fails open and says so in the log."""

import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from surveys import ratelimit
from surveys.models import Survey

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every cache call fails the way it does when Redis is stopped.
DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


class RaisingCache:
    """A cache whose every call raises, whatever the backend's own error type."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache unavailable")

        return fail


@pytest.fixture
def dead_cache(settings):
    """From here on the cache is gone; the fixtures' own teardown gets its in-memory cache back."""
    working = settings.CACHES
    settings.CACHES = DEAD_REDIS
    yield
    settings.CACHES = working


@pytest.fixture
def cache_down(surveyed, dead_cache):
    # The survey is made first (closing a case needs no cache).
    return surveyed


def url(token: str) -> str:
    return reverse("survey_public:answer", args=[token])


def test_the_survey_page_opens_when_the_cache_is_down(client, cache_down, caplog):
    _case, _survey, token = cache_down

    with caplog.at_level(logging.WARNING, logger="surveys.ratelimit"):
        response = client.get(url(token))

    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert any("cache is unavailable" in record.getMessage() for record in caplog.records)


def test_the_customer_can_answer_when_the_cache_is_down(client, cache_down):
    _case, survey, token = cache_down

    response = client.post(url(token), {"answer": "satisfied", "comment": "很好"})

    assert response.status_code == 302
    assert Survey.objects.get(pk=survey.pk).answer == "satisfied"


def test_a_mistyped_link_still_gets_its_page_when_the_cache_is_down(client, dead_cache):
    response = client.get(url("not-a-real-token-at-all"))

    assert response.status_code == 404


def test_the_limit_fails_open_with_any_cache_error(monkeypatch, caplog):
    monkeypatch.setattr(ratelimit, "cache", RaisingCache())

    with caplog.at_level(logging.WARNING, logger="surveys.ratelimit"):
        assert ratelimit.hit("ip", "203.0.113.7") is True
        assert ratelimit.over_limit("miss", "203.0.113.7") is False

    assert len([r for r in caplog.records if r.name == "surveys.ratelimit"]) == 2


def test_the_limit_still_counts_when_the_cache_is_up(monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "token", (2, 600))
    cache.clear()

    assert [ratelimit.hit("token", "t") for _ in range(3)] == [True, True, False]
