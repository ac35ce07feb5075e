"""Channel backends for outbound messages: one class per way of reaching a customer, each with send(message).

Which one a channel uses is configuration (settings.OUTBOX_BACKEND, per channel OUTBOX_CHANNEL_BACKENDS); a backend
raises on failure and the outbox retries with backoff. The message's idempotency key goes along so that a gateway
which received a message whose answer was lost can drop the repeat.
"""

import logging

import requests
from django.conf import settings

logger = logging.getLogger(__name__)


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
            raise RuntimeError("OUTBOX_GATEWAY_URL is not set")
        key = idempotency_key(message)
        response = requests.post(
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
        if response.status_code >= 300:
            raise RuntimeError(f"gateway answered {response.status_code}: {response.text[:200]}")
