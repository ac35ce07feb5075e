"""Production refuses to start without its secrets and addresses: no default key, no survey links to 127.0.0.1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
KEY = "a-key-for-this-test-only-0123456789-0123456789-0123456789"

PROBE = """
import json
from django.conf import settings
print(json.dumps({"key": settings.SECRET_KEY, "public": settings.PUBLIC_BASE_URL, "proxies": settings.TRUSTED_PROXY_COUNT}))
"""


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the production settings in a fresh interpreter with exactly these variables (and PATH, VAR_DIR)."""
    environ = {name: os.environ[name] for name in ("PATH", "VAR_DIR") if name in os.environ}
    environ |= env | {"DJANGO_SETTINGS_MODULE": "backoffice.settings"}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )


def test_without_debug_a_missing_secret_key_refuses_to_start():
    result = load_settings(DEBUG="0", PUBLIC_BASE_URL="https://kf.example.cn")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_an_empty_secret_key_counts_as_missing():
    result = load_settings(SECRET_KEY="  ", PUBLIC_BASE_URL="https://kf.example.cn")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_without_debug_a_missing_public_base_url_refuses_to_start():
    result = load_settings(SECRET_KEY=KEY)

    assert result.returncode != 0
    assert "PUBLIC_BASE_URL is not set" in result.stderr


@pytest.mark.parametrize("value", ["kf.example.cn", "ftp://kf.example.cn", "https://kf.example.cn/survey", "https://"])
def test_a_public_base_url_that_is_not_an_origin_refuses_to_start(value):
    result = load_settings(SECRET_KEY=KEY, PUBLIC_BASE_URL=value)

    assert result.returncode != 0
    assert "PUBLIC_BASE_URL=" in result.stderr


def test_production_starts_with_both_set():
    result = load_settings(SECRET_KEY=KEY, PUBLIC_BASE_URL="https://kf.example.cn/", TRUSTED_PROXY_COUNT="1")

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded == {"key": KEY, "public": "https://kf.example.cn", "proxies": 1}


def test_a_developer_machine_starts_on_the_development_defaults():
    result = load_settings(DEBUG="1")

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["key"].startswith("insecure-local-development-key")
    assert loaded["public"] == "http://127.0.0.1:8000"
    assert loaded["proxies"] == 0
