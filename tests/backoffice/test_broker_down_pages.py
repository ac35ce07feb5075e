"""With Redis stopped (the cache unreachable and every task refused by the broker), no page answers an error: the
customer's survey, the agents' queue, case page and reply, the supervisors' pages, a large import upload, login."""

import pytest
from celery.app.task import Task
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError

from backoffice import dispatch
from backoffice.models import ImportJob, OutboundMessage, Status
from backoffice.platform.importing import jobs
from tests.factories import CaseFactory
from tests.importing.test_jobs import big_order_file
from tests.surveys.conftest import close, token_sent_for

DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def redis_down(settings, monkeypatch):
    """Cache and broker both gone; the fixture gives the cache back before other fixtures' teardown uses it."""
    refused = []

    def refuse(self, *args, **kwargs):
        refused.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    monkeypatch.setattr(dispatch, "_broker_down_until", 0.0)
    working = settings.CACHES
    settings.CACHES = DEAD_REDIS
    yield refused
    settings.CACHES = working


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_no_page_fails_while_redis_is_down(
    db, agent, supervisor, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks, redis_down
):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(jobs, "INLINE_MAX_BYTES", 100)
    mine = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    surveyed = CaseFactory(assignee=agent, status=Status.RESOLVED)
    close(surveyed, actor=agent)
    token = token_sent_for(surveyed)
    customer, staff, boss = Client(), logged_in(agent), logged_in(supervisor)
    upload = SimpleUploadedFile("big.csv", big_order_file(tmp_path / "big.csv", 30).read_bytes(), "text/csv")

    requests = [
        (customer, "get", reverse("survey_public:answer", args=[token]), {}),
        (customer, "post", reverse("survey_public:answer", args=[token]), {"answer": "satisfied"}),
        (customer, "get", reverse("survey_public:answer", args=["no-such-survey-link"]), {}),
        (Client(), "get", reverse("login"), {}),
        (staff, "get", reverse("aftersales:queue", args=["mine"]), {}),
        (staff, "get", reverse("aftersales:case", args=[mine.number]), {}),
        (staff, "post", reverse("aftersales:case_action", args=[mine.number, "reply"]), {"body": "亲，已为您查询物流"}),
        (boss, "get", reverse("supervisor:dashboard"), {}),
        (boss, "get", reverse("followups:outbox"), {}),
        (boss, "get", reverse("imports:jobs"), {}),
        (boss, "post", reverse("imports:jobs"), {"file": upload, "kind": ""}),
        (Client(), "get", reverse("healthz"), {}),
    ]
    failing = []
    for client, method, url, data in requests:
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(url, data)
        if response.status_code >= 500 and url != reverse("healthz"):
            failing.append((method, url, response.status_code))

    assert failing == []
    # The work the broker refused waits in rows for the sweeps.
    assert OutboundMessage.objects.filter(case=mine, state=OutboundMessage.State.PENDING).exists()
    assert ImportJob.objects.get().state == ImportJob.State.CHECK_QUEUED
    assert redis_down  # the broker really was asked, and refused
