"""The demo's quality review (a scorecard, a week of reviews, the phrase list) and the store admin's pages for them."""

import pytest
from django.urls import reverse

from backoffice.models import CaseEvent, EventType
from quality.demo import seed_quality
from quality.models import BannedPhrase, Review, ReviewStatus, Scorecard
from tests.factories import AgentFactory, StoreAdminFactory, SupervisorFactory, shanghai

pytestmark = pytest.mark.django_db


def test_the_demo_brings_a_scorecard_reviews_and_the_phrase_list(now, closed_case):
    SupervisorFactory(username="supervisor")
    StoreAdminFactory(username="storeadmin")
    agents = [AgentFactory(), AgentFactory()]
    for i in range(16):
        closed_case(agents[i % 2], at=shanghai(2026, 11, 24, 9, i))

    created = seed_quality(rng_seed=7)

    card = Scorecard.current()
    assert card is not None and card.criteria.filter(critical=True).exists()
    assert created["reviews"] == 12 == Review.objects.count()
    statuses = set(Review.objects.values_list("status", flat=True))
    assert {ReviewStatus.PENDING, ReviewStatus.REVIEWED, ReviewStatus.ACKNOWLEDGED, ReviewStatus.DISPUTED} <= statuses
    assert CaseEvent.objects.filter(type=EventType.QA_REVIEWED).count() == 9
    assert BannedPhrase.objects.filter(phrase="加*微信").exists()
    assert seed_quality(rng_seed=7)["reviews"] == 0
    assert Review.objects.count() == 12


@pytest.mark.parametrize(
    "url",
    [
        "admin:quality_scorecard_add",
        "admin:quality_bannedphrase_changelist",
        "admin:quality_review_changelist",
        "admin:quality_sampledraw_changelist",
    ],
)
def test_store_admins_edit_quality_review_in_django_admin(admin_client_store, url):
    assert admin_client_store.get(reverse(url)).status_code == 200


def test_the_settings_record_opens_from_the_list(admin_client_store):
    response = admin_client_store.get(reverse("admin:quality_qualitysettings_changelist"))
    assert response.status_code == 302
    assert admin_client_store.get(response["Location"]).status_code == 200


def test_a_scorecard_with_criteria_is_saved_and_audited(admin_client_store):
    data = {
        "name": "评分表",
        "active": "on",
        "created_at_0": "2026-11-25",
        "created_at_1": "10:00:00",
        "criteria-TOTAL_FORMS": "2",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-sort_order": "10",
        "criteria-0-name": "态度礼貌",
        "criteria-0-description": "语气友好",
        "criteria-0-weight": "2",
        "criteria-0-scale": "5",
        "criteria-1-sort_order": "20",
        "criteria-1-name": "违规话术",
        "criteria-1-weight": "1",
        "criteria-1-scale": "1",
        "criteria-1-critical": "on",
    }
    response = admin_client_store.post(reverse("admin:quality_scorecard_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    card = Scorecard.objects.get(name="评分表")
    assert [(c.name, c.weight, c.critical) for c in card.criteria.all()] == [
        ("态度礼貌", 2, False),
        ("违规话术", 1, True),
    ]
    assert CaseEvent.objects.filter(type=EventType.SETTINGS_CHANGED, target__startswith="criterion:").count() == 2


def test_agents_and_supervisors_cannot_open_the_quality_admin(agent_client, supervisor_client):
    for client in (agent_client, supervisor_client):
        response = client.get(reverse("admin:quality_bannedphrase_changelist"))
        assert response.status_code == 302
