"""Channel backends for outbound messages."""

import requests
from django.conf import settings


class LocalBackend:
    """Records delivery in the database only: the demo's channel. The message shows on the case timeline."""

    def send(self, message) -> None:
        return None


class HttpGatewayBackend:
    """Posts the message to the store's messaging gateway; the idempotency key lets the gateway drop repeats."""

    timeout = 10

    def send(self, message) -> None:
        if not settings.OUTBOX_GATEWAY_URL:
            raise RuntimeError("OUTBOX_GATEWAY_URL is not set")
        response = requests.post(
            settings.OUTBOX_GATEWAY_URL,
            json={
                "idempotency_key": message.idempotency_key,
                "channel": message.channel,
                "customer": message.customer.pdd_user_id,
                "phone": message.customer.phone,
                "text": message.body,
            },
            timeout=self.timeout,
        )
        if response.status_code >= 300:
            raise RuntimeError(f"gateway answered {response.status_code}: {response.text[:200]}")
