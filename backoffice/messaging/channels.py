"""Channel backends for outbound messages: one class per way of reaching a customer, each with send(message).

Which one a channel uses is configuration (settings.OUTBOX_BACKEND, per channel OUTBOX_CHANNEL_BACKENDS); a backend
raises on failure and the outbox retries with backoff. The message's idempotency key goes along so that a gateway
which received a message whose answer was lost can drop the repeat.
"""

import logging
import re

import requests
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _detail(exc: Exception) -> str:
    """The technical reason without the gateway's address: the text goes on case timelines every agent reads."""
    return re.sub(r"(https?://\S+|url: \S+|host='[^']*'|port=\d+)", "…", str(exc))[:300]


class GatewayError(Exception):
    """A message the gateway did not take, said in words for the outbox page (the store's language: the worker has no
    request), with the technical detail in brackets for whoever runs the gateway."""


class LocalBackend:
    """Records delivery in the database only: the demo's channel. The message shows on the case timeline."""

    def send(self, message) -> None:
        logger.debug(
            "local delivery of %s to customer %s via %s", message.idempotency_key, message.customer_id, message.channel
        )


def idempotency_key(message) -> str:
    """The key the gateway drops repeats by: the message's own key, the same on every attempt."""
    return message.idempotency_key or f"outbound:{message.pk}"


class HttpGatewayBackend:
    """Posts the message to the store's messaging gateway (platform chat or SMS, by the "channel" field).

    Every post carries the Idempotency-Key header: a worker that dies after posting and before recording the answer
    leaves the message to be sent again, and the gateway must deliver a key it has seen once only.
    """

    @property
    def timeout(self) -> tuple[float, float]:
        # (connect, answer); the outbox's stale-sending window is derived from the same setting.
        seconds = settings.OUTBOX_GATEWAY_TIMEOUT
        return (seconds, seconds)

    def send(self, message) -> None:
        if not settings.OUTBOX_GATEWAY_URL:
            raise GatewayError(_("The messaging gateway's address is not set (OUTBOX_GATEWAY_URL)."))
        key = idempotency_key(message)
        try:
            response = self._post(message, key)
        except requests.Timeout as exc:
            raise GatewayError(
                _("The gateway did not answer in time (%(detail)s).") % {"detail": _detail(exc)}
            ) from exc
        except requests.RequestException as exc:
            raise GatewayError(_("The gateway could not be reached (%(detail)s).") % {"detail": _detail(exc)}) from exc
        if response.status_code >= 300:
            raise GatewayError(
                _("The gateway refused the message (HTTP %(status)s): %(text)s")
                % {"status": response.status_code, "text": response.text[:200]}
            )

    def _post(self, message, key: str) -> requests.Response:
        return requests.post(
            settings.OUTBOX_GATEWAY_URL,
            json={
                "idempotency_key": key,
                "attempt": message.attempts,
                "channel": message.channel,
                "customer": message.customer.pdd_user_id,
                "phone": message.customer.phone,
                "text": message.body,
            },
            headers={"Idempotency-Key": key},
            timeout=self.timeout,
        )
