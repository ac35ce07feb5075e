"""The demo shows a believable store: most first replies in time (R1), last week's reports filled, and no survey sent
or answered before its case closed."""

import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test import override_settings

from backoffice.supervisor import reports
from surveys.models import Survey
from tests.factories import shanghai

NOW = shanghai(2026, 11, 25, 15, 0)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        with time_machine.travel(NOW, tick=False):
            call_command("seed_demo", "--orders", "600", stdout=io.StringIO())
            week = reports.last_week()
            yield {
                "week": week,
                "r1": reports.response_rates(week),
                "reasons": reports.reason_shares(week),
                "csat": reports.csat(week),
                "coupons": reports.followup_coupons(week),
                "refunds": reports.refund_handling(week),
            }
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_most_first_replies_are_in_time_like_a_real_store(seeded):
    store = seeded["r1"].store.total
    assert store.total >= 20
    assert store.rate >= 80.0, store


def test_last_weeks_reports_are_filled(seeded):
    assert seeded["reasons"].total >= 10
    assert seeded["csat"].sent >= 3 and seeded["csat"].total.answered >= 1
    assert seeded["coupons"].total.issued >= 1
    assert seeded["refunds"].total.opened >= 3 and seeded["refunds"].total.within >= 1


def test_no_survey_is_sent_or_answered_before_its_case_closed(seeded):
    surveys = Survey.objects.filter(sent_at__isnull=False)
    assert surveys.exists()
    assert not surveys.filter(sent_at__lt=F("case__closed_at")).exists()
    assert not Survey.objects.filter(answered_at__lt=F("case__closed_at")).exists()
    assert not Survey.objects.filter(answered_at__gt=NOW).exists()
