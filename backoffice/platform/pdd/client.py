"""A small client for the PDD open platform (POP): signed calls, clear errors, rate limits respected.

Every call is one POST to the router with the common parameters (type, client_id, access_token, timestamp,
data_type) and a signature: MD5 over client_secret + the parameters sorted by key, each as key then value,
+ client_secret, in upper-case hex. Calls that hit the rate limit, time out or meet a server error are retried
with exponential backoff; other errors raise PddApiError with a message a store admin can act on.

The typed methods below are what the sync uses; uploading a tracking number at shipment (L4) is `send_shipment`,
ready for the step that will call it.
"""

import datetime as dt
import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.models import PlatformCredentials
from backoffice.platform.models import secret_hint

logger = logging.getLogger(__name__)

DEFAULT_API_URL = PlatformCredentials.DEFAULT_API_URL


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    source: str = "admin"

    @classmethod
    def load(cls) -> "Credentials | None":
        """From the environment (PDD_CLIENT_ID, PDD_CLIENT_SECRET, PDD_ACCESS_TOKEN, PDD_API_URL) when set there,
        else from the record store admins edit; None when neither is complete."""
        env = os.environ
        if env.get("PDD_CLIENT_ID") and env.get("PDD_CLIENT_SECRET") and env.get("PDD_ACCESS_TOKEN"):
            return cls(
                client_id=env["PDD_CLIENT_ID"].strip(),
                client_secret=env["PDD_CLIENT_SECRET"].strip(),
                access_token=env["PDD_ACCESS_TOKEN"].strip(),
                api_url=env.get("PDD_API_URL", "").strip() or DEFAULT_API_URL,
                source="environment",
            )
        stored = PlatformCredentials.objects.filter(pk=1).first()
        if stored and stored.client_id and stored.client_secret and stored.access_token:
            return cls(
                client_id=stored.client_id,
                client_secret=stored.client_secret,
                access_token=stored.access_token,
                api_url=stored.api_url or DEFAULT_API_URL,
                source="admin",
            )
        return None

    def describe(self) -> str:
        """For logs and pages: which app, from where, with the secrets as hints only."""
        return f"client {self.client_id} (secret {secret_hint(self.client_secret)}, token {secret_hint(self.access_token)}, {self.source})"


class PddApiError(Exception):
    """A call failed; `message` says what to do about it, `code` and `platform_message` are PDD's own."""

    def __init__(self, message: str, *, code: int | None = None, platform_message: str = "", retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.platform_message = platform_message
        self.retryable = retryable

    def __str__(self) -> str:
        if self.code is None:
            return self.message
        return f"{self.message} (PDD {self.code}: {self.platform_message})"


# PDD's error codes we know, and what a store admin should do. Others show PDD's own message.
RATE_LIMIT_CODES = {70031, 70032, 70033, 70034}
_TOKEN_HINT = gettext_lazy(
    "The access token has expired or is invalid: authorise the app again in the PDD open platform and "
    "save the new token (Store admin → Platform credentials, or PDD_ACCESS_TOKEN)."
)
_RATE_HINT = gettext_lazy("The PDD open platform's rate limit was hit; the sync slows down and tries again.")
ERROR_HINTS = {
    10000: gettext_lazy("The request had a wrong or missing parameter."),
    10001: gettext_lazy(
        "The client ID is not known to the PDD open platform: check PDD_CLIENT_ID or the admin setting."
    ),
    10019: _TOKEN_HINT,
    10020: _TOKEN_HINT,
}


def _message_for(code: int | None, platform_message: str) -> tuple[str, bool]:
    """(what to tell the admin, whether trying again later can help)."""
    text = platform_message.lower()
    if code in RATE_LIMIT_CODES or any(word in text for word in ("频繁", "频率", "限流", "rate limit", "too many")):
        return str(_RATE_HINT), True
    if code in ERROR_HINTS:
        return str(ERROR_HINTS[code]), False
    if "sign" in text or "签名" in text:
        return _("PDD refused the signature: check the client secret (PDD_CLIENT_SECRET or the admin setting)."), False
    if "access_token" in text or "token" in text:
        return str(_TOKEN_HINT), False
    if "权限" in text or "permission" in text or "scope" in text:
        return _("The app lacks permission for this call: apply for it in the PDD open platform."), False
    if (code is not None and code >= 50000) or "系统" in text or "system" in text:
        return _("The PDD open platform had an internal error; the sync tries again."), True
    return _("The PDD open platform refused the call."), False


def sign(params: dict[str, str], client_secret: str) -> str:
    """MD5(client_secret + k1v1k2v2… sorted by key + client_secret), upper-case hex."""
    text = client_secret + "".join(f"{key}{params[key]}" for key in sorted(params)) + client_secret
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


def _as_param(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, dt.datetime):
        return str(int(value.timestamp()))
    return str(value)


class PddClient:
    def __init__(
        self,
        credentials: Credentials,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_retries: int = 4,
        backoff_seconds: float = 1.0,
        min_interval_seconds: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.min_interval_seconds = min_interval_seconds
        self.sleep = sleep
        self.clock = clock
        self._last_call = 0.0
        self.calls = 0

    # --- the one way to call ---

    def signed_params(self, api_type: str, params: dict | None = None, *, with_token: bool = True) -> dict[str, str]:
        body = {key: _as_param(value) for key, value in (params or {}).items() if value is not None}
        body.update(
            type=api_type,
            client_id=self.credentials.client_id,
            timestamp=str(int(self.clock())),
            data_type="JSON",
        )
        if with_token:
            body["access_token"] = self.credentials.access_token
        body["sign"] = sign(body, self.credentials.client_secret)
        return body

    def call(self, api_type: str, params: dict | None = None, *, with_token: bool = True) -> dict:
        """Call one API; returns the inside of its `…_response` object. Raises PddApiError."""
        attempt = 0
        while True:
            try:
                return self._call_once(api_type, params, with_token=with_token)
            except PddApiError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    raise
                delay = self.backoff_seconds * (2**attempt) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
                logger.warning("PDD %s: %s; retrying in %.1f s", api_type, exc, delay)
                self.sleep(delay)
                attempt += 1

    def _call_once(self, api_type: str, params: dict | None, *, with_token: bool) -> dict:
        wait = self._last_call + self.min_interval_seconds - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last_call = time.monotonic()
        self.calls += 1
        body = self.signed_params(api_type, params, with_token=with_token)
        try:
            response = self.session.post(self.credentials.api_url, data=body, timeout=self.timeout)
        except requests.Timeout:
            raise PddApiError(_("The PDD open platform did not answer in time."), retryable=True) from None
        except requests.ConnectionError as exc:
            raise PddApiError(
                _("The PDD open platform cannot be reached: %(error)s") % {"error": type(exc).__name__}, retryable=True
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise PddApiError(
                _("The PDD open platform answered HTTP %(status)s.") % {"status": response.status_code},
                retryable=True,
            )
        try:
            payload = response.json()
        except ValueError:
            raise PddApiError(
                _("The PDD open platform answered something that is not JSON (HTTP %(status)s).")
                % {"status": response.status_code},
                retryable=response.status_code >= 500,
            ) from None
        if not isinstance(payload, dict):
            raise PddApiError(_("The PDD open platform answered an unexpected shape."))
        error = payload.get("error_response")
        if error is not None:
            code = error.get("error_code")
            code = int(code) if str(code).isdigit() else None
            platform_message = " ".join(
                str(part) for part in (error.get("error_msg"), error.get("sub_code"), error.get("sub_msg")) if part
            )
            message, retryable = _message_for(code, platform_message)
            raise PddApiError(message, code=code, platform_message=platform_message, retryable=retryable)
        inner = [value for key, value in payload.items() if key.endswith("_response") and isinstance(value, dict)]
        if len(inner) != 1:
            raise PddApiError(_("The PDD open platform answered an unexpected shape."))
        return inner[0]

    # --- the calls the sync makes ---

    def order_increments(self, *, start: dt.datetime, end: dt.datetime, page: int, page_size: int = 100) -> dict:
        """Orders changed in [start, end] (at most 30 minutes apart): {"total_count": n, "order_sn_list": […]}."""
        return self.call(
            "pdd.order.number.list.increment.get",
            {
                "start_updated_at": start,
                "end_updated_at": end,
                "order_status": 5,  # all
                "refund_status": 5,  # all
                "is_lucky_flag": 0,  # all
                "page": page,
                "page_size": page_size,
            },
        )

    def refund_increments(self, *, start: dt.datetime, end: dt.datetime, page: int, page_size: int = 100) -> dict:
        """After-sales applications changed in [start, end]: {"total_count": n, "refund_list": […]}."""
        return self.call(
            "pdd.refund.list.increment.get",
            {
                "start_updated_at": start,
                "end_updated_at": end,
                "after_sales_status": 1,  # all
                "after_sales_type": 1,  # all
                "page": page,
                "page_size": page_size,
            },
        )

    def order_information(self, order_sn: str) -> dict:
        return self.call("pdd.order.information.get", {"order_sn": order_sn}).get("order_info") or {}

    def logistics_companies(self) -> list[dict]:
        """PDD's courier list: [{"id": 115, "logistics_company": "中通快递", …}], for logistics_id ↔ courier."""
        return self.call("pdd.logistics.companies.get", with_token=False).get("logistics_companies") or []

    def send_shipment(self, *, order_sn: str, logistics_id: int, tracking_number: str) -> dict:
        """L4: tell the platform the order shipped, with its tracking number (used by the shipment step)."""
        return self.call(
            "pdd.logistics.online.send",
            {"order_sn": order_sn, "logistics_id": logistics_id, "tracking_number": tracking_number},
        )
