import hashlib

import pytest

from backoffice.models import PlatformCredentials
from backoffice.platform.pdd import client as pdd
from backoffice.platform.pdd.client import Credentials, PddApiError

from . import fake_pdd


def test_the_signature_is_md5_over_secret_sorted_pairs_secret_in_upper_case_hex():
    params = {"type": "pdd.order.information.get", "client_id": "abc", "timestamp": "1700000000", "order_sn": "1-2"}
    by_hand = (
        "s3cret" + "client_idabc" + "order_sn1-2" + "timestamp1700000000" + "typepdd.order.information.get" + "s3cret"
    )

    assert pdd.sign(params, "s3cret") == hashlib.md5(by_hand.encode(), usedforsecurity=False).hexdigest().upper()


def test_a_call_is_signed_and_answered_by_the_platform(client_factory, fake):
    companies = client_factory().logistics_companies()

    assert companies[0]["logistics_company"] == "中通快递"
    call = fake.calls[-1]
    assert call["type"] == "pdd.logistics.companies.get"
    assert call["sign"] == fake_pdd.expected_sign(call, fake_pdd.CLIENT_SECRET)
    assert call["data_type"] == "JSON"


def test_a_wrong_secret_is_refused_with_a_clear_message(client_factory, credentials):
    wrong = Credentials(
        client_id=credentials.client_id,
        client_secret="nope",
        access_token=credentials.access_token,
        api_url=credentials.api_url,
    )
    client = pdd.PddClient(wrong, min_interval_seconds=0, sleep=lambda s: None)

    with pytest.raises(PddApiError) as error:
        client.order_information("261120-100000000000001")

    assert "check the client secret" in error.value.message
    assert not error.value.retryable


def test_an_expired_token_says_to_authorise_again(client_factory, fake):
    fake.failures.append({"error": {"error_code": 10019, "error_msg": "access_token已过期"}})

    with pytest.raises(PddApiError) as error:
        client_factory().order_information("261120-100000000000001")

    assert "authorise the app again" in error.value.message
    assert "PDD 10019: access_token已过期" in str(error.value)
    assert len(fake.calls) == 1  # not retried: waiting does not help


def test_the_rate_limit_is_respected_with_exponential_backoff(client_factory, fake, sleeps):
    for _ in range(3):
        fake.failures.append({"error": {"error_code": 70031, "error_msg": "调用过于频繁，请调整调用频率"}})

    companies = client_factory(backoff_seconds=1.0).logistics_companies()

    assert companies
    assert len(fake.calls) == 4
    assert len(sleeps) == 3
    for slept, base in zip(sleeps, [1, 2, 4], strict=True):
        assert 0.8 * base <= slept <= 1.2 * base  # exponential, with ±20% jitter


def test_a_timeout_is_retried_then_reported(client_factory, fake, sleeps):
    for _ in range(3):
        fake.failures.append({"sleep": 1.0})

    with pytest.raises(PddApiError) as error:
        client_factory(timeout=0.2, max_retries=2).logistics_companies()

    assert "did not answer in time" in error.value.message
    assert len(sleeps) == 2


def test_a_server_error_is_retried(client_factory, fake):
    fake.failures.append({"status": 502})

    assert client_factory().logistics_companies()
    assert len(fake.calls) == 2


def test_an_unreachable_platform_is_reported(credentials, sleeps):
    down = Credentials(client_id="x", client_secret="y", access_token="z", api_url="http://127.0.0.1:9/api/router")
    client = pdd.PddClient(down, timeout=0.2, max_retries=1, min_interval_seconds=0, sleep=sleeps.append)

    with pytest.raises(PddApiError, match="cannot be reached"):
        client.logistics_companies()


def test_tracking_upload_at_shipment_fits_the_client(client_factory, fake):
    answer = client_factory().send_shipment(order_sn="261120-100000000000001", logistics_id=115, tracking_number="ZT1")

    assert answer == {"is_success": True}
    assert fake.calls[-1]["tracking_number"] == "ZT1"


def test_credentials_come_from_the_environment_first(db, monkeypatch):
    PlatformCredentials.objects.create(pk=1, client_id="admin-id", client_secret="admin-secret", access_token="t")
    monkeypatch.setenv("PDD_CLIENT_ID", "env-id")
    monkeypatch.setenv("PDD_CLIENT_SECRET", "env-secret-123456")
    monkeypatch.setenv("PDD_ACCESS_TOKEN", "env-token-123456")

    credentials = Credentials.load()

    assert (credentials.client_id, credentials.source, credentials.api_url) == (
        "env-id",
        "environment",
        pdd.DEFAULT_API_URL,
    )


def test_credentials_come_from_admin_when_the_environment_has_none(db):
    PlatformCredentials.objects.create(
        pk=1, client_id="admin-id", client_secret="admin-secret-123456", access_token="admin-token-123456"
    )

    assert Credentials.load().source == "admin"


def test_incomplete_credentials_mean_no_sync(db):
    PlatformCredentials.objects.create(pk=1, client_id="admin-id")

    assert Credentials.load() is None


def test_secrets_are_never_shown_in_full(db):
    credentials = Credentials(client_id="id-1", client_secret="ab12cd34ef56gh78", access_token="tok9876543210xyz")

    shown = repr(credentials) + credentials.describe()

    assert "ab12cd34ef56gh78" not in shown
    assert "tok9876543210xyz" not in shown
    assert "ab12…" in credentials.describe()
