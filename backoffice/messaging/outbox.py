"""The one outbox: every message the store sends a customer is a row here, sent by Celery, retried, audited."""

import datetime as dt
import logging
import re
from collections import Counter
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from backoffice import dispatch
from backoffice.messaging.library import RETURN_SHIPPING_TEXTS
from backoffice.models import (
    Case,
    CaseEvent,
    Channel,
    Customer,
    EventType,
    MessageTemplate,
    OutboundMessage,
    StoreSettings,
)
from backoffice.store.cache import kept
from backoffice.store.money import format_fen

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
VARIABLE = re.compile(r"\{(\w+)\}")


def render_text(text: str, variables: dict[str, Any]) -> str:
    """Fill {name} variables; unknown ones stay as written so a typo is visible, never an error."""
    return VARIABLE.sub(lambda m: str(variables[m.group(1)]) if m.group(1) in variables else m.group(0), text)


def case_variables(case: Case | None, *, customer: Customer | None = None, store: StoreSettings | None = None) -> dict:
    """The variables a template or quick phrase may use, taken from the case (R3)."""
    store = store or StoreSettings.load()
    customer = customer or (case.customer if case else None)
    order = case.order if case else None
    shipment = None
    if order is not None:
        shipments = list(order.shipments.all())
        shipment = shipments[-1] if shipments else None
    amount = case.resolved_amount_fen or case.amount_fen if case else 0
    # Remote areas get the longer estimate (L6); the address decides, the customer's province if there is none.
    where = (order.receiver_address if order else "") or (customer.province if customer else "")
    low, high = store.delivery_days(where)
    return {
        "customer_name": (customer.name or customer.nickname) if customer else "",
        "nickname": customer.nickname if customer else "",
        "order_no": order.number if order else "",
        "tracking_no": shipment.tracking_no if shipment else "",
        "courier": shipment.courier.name if shipment else "",
        "amount": format_fen(amount),
        "refund_amount": format_fen(amount),
        "paid_amount": format_fen(order.paid_fen) if order else "",
        "store_name": store.store_name,
        "return_address": store.return_address,
        "case_no": case.number if case else "",
        "reason": case.get_reason_display() if case and case.reason else "",
        "delivery_days": f"{low}–{high}",
        "ship_within_hours": str(store.ship_within_hours),
        "compensation": format_fen(store.small_defect_compensation_fen),
        "return_shipping": RETURN_SHIPPING_TEXTS.get(case.return_shipping_paid_by, "") if case else "",
    }


def queue_message(
    *,
    customer: Customer,
    body: str,
    idempotency_key: str,
    case: Case | None = None,
    channel: str = Channel.CHAT,
    template_key: str = "",
    send_after: dt.datetime | None = None,
    actor=None,
) -> OutboundMessage:
    """Put a message in the outbox once per idempotency key; it is sent after the transaction commits."""
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                customer=customer,
                case=case,
                channel=channel,
                template_key=template_key,
                body=body,
                idempotency_key=idempotency_key,
                send_after=send_after or timezone.now(),
            )
    except IntegrityError:
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    if case is not None:
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            type=EventType.OUTBOUND_QUEUED,
            body=body,
            target=f"outbound:{message.pk}",
            after={"channel": channel, "template": template_key},
        )
    if message.send_after <= timezone.now():
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def queue_messages(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """queue_message for many unsaved messages at once (a chunk of follow-ups): one query for the keys already
    queued, one insert for the others and one for their timeline lines; they go out after commit in groups.
    Returns, in order, each message as stored (the earlier one when its key was queued before)."""
    existing = {
        message.idempotency_key: message
        for message in OutboundMessage.objects.filter(idempotency_key__in=[m.idempotency_key for m in messages])
    }
    now = timezone.now()
    new = [message for message in messages if message.idempotency_key not in existing]
    for message in new:
        message.send_after = message.send_after or now
    OutboundMessage.objects.bulk_create(new)
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=message.case_id,
            type=EventType.OUTBOUND_QUEUED,
            body=message.body,
            target=f"outbound:{message.pk}",
            after={"channel": message.channel, "template": message.template_key},
        )
        for message in new
        if message.case_id is not None
    )
    due = [message.pk for message in new if message.send_after <= now]
    if due:
        transaction.on_commit(lambda: _enqueue_many(due))
    return [existing.get(message.idempotency_key, message) for message in messages]


def active_template(key: str) -> MessageTemplate | None:
    """The admin's template with this key when it is switched on (read once per request or task)."""
    return kept(f"template:{key}", lambda: MessageTemplate.objects.filter(key=key, active=True).first())


def send_template(
    *,
    key: str,
    idempotency_key: str,
    case: Case | None = None,
    customer: Customer | None = None,
    extra: dict | None = None,
    send_after: dt.datetime | None = None,
    actor=None,
) -> OutboundMessage | None:
    """Render an admin-edited template with the case's variables and queue it. A switched-off template sends nothing."""
    template = active_template(key)
    customer = customer or (case.customer if case else None)
    if template is None or customer is None:
        logger.info("template %s not sent: inactive, missing or no customer", key)
        return None
    variables = case_variables(case, customer=customer) | (extra or {})
    return queue_message(
        customer=customer,
        case=case,
        body=render_text(template.body, variables),
        channel=template.channel,
        template_key=key,
        idempotency_key=idempotency_key,
        send_after=send_after,
        actor=actor,
    )


def _enqueue(message_id: int) -> None:
    dispatch.enqueue("backoffice.tasks.deliver_message", message_id)


# Messages per delivery task: a task posts to the gateway this many times, so it stays short and several workers share
# a large batch.
DELIVERY_GROUP = 50


def _enqueue_many(message_ids: list[int]) -> None:
    """Best effort, in groups: one task per DELIVERY_GROUP messages; what the broker refuses the sweep sends later."""
    for start in range(0, len(message_ids), DELIVERY_GROUP):
        if not dispatch.enqueue("backoffice.tasks.deliver_messages", message_ids[start : start + DELIVERY_GROUP]):
            return


def get_backend(channel: str = ""):
    """The backend for a channel: OUTBOX_CHANNEL_BACKENDS[channel] if the settings name one, else OUTBOX_BACKEND.

    A name from BACKENDS ("local", "http") or the dotted path of any class with a send(message) method.
    """
    name = getattr(settings, "OUTBOX_CHANNEL_BACKENDS", {}).get(channel) or settings.OUTBOX_BACKEND
    return import_string(BACKENDS.get(name, name))()


BACKENDS = {
    "local": "backoffice.messaging.channels.LocalBackend",
    "http": "backoffice.messaging.channels.HttpGatewayBackend",
}


def stale_sending_after() -> dt.timedelta:
    """How long a row may stay "sending" before its worker counts as dead: a few gateway timeouts, not minutes,
    so a message whose worker was killed goes out again soon (settings.OUTBOX_SENDING_STALE_SECONDS)."""
    return dt.timedelta(seconds=settings.OUTBOX_SENDING_STALE_SECONDS)


def deliver(message_id: int) -> str:
    """Send one message if it is still pending: claim it with a conditional update so two workers never both send.

    The attempt is counted in the same update that claims the row, before anything reaches the gateway: a worker
    killed after posting and before recording the answer still leaves its attempt behind, so the resend after the
    stale window is attempt 2 (on the row and on the case timeline) and carries the same Idempotency-Key, by which
    the gateway drops the repeat.
    """
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(
        pk=message_id, state=OutboundMessage.State.PENDING, send_after__lte=now
    ).update(state=OutboundMessage.State.SENDING, send_after=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    message = OutboundMessage.objects.select_related("customer").get(pk=message_id)
    attempt = message.attempts
    mine = _attempt_of(message)
    try:
        get_backend(message.channel).send(message)
    except Exception as exc:  # noqa: BLE001 - any backend failure is retried the same way
        return _record_failure(message, exc, mine=mine)
    sent_at = timezone.now()
    if not mine.update(state=OutboundMessage.State.SENT, sent_at=sent_at, last_error=""):
        logger.warning("outbound %s: attempt %s answered after a later attempt took over", message.pk, attempt)
        return "superseded"
    if message.case_id:
        CaseEvent.objects.create(case_id=message.case_id, **_sent_event(message, sent_at))
    return "sent"


def _record_failure(message: OutboundMessage, exc: Exception, *, mine) -> str:
    attempt = message.attempts
    final = attempt >= MAX_ATTEMPTS
    backoff = dt.timedelta(seconds=30 * 2**attempt)
    recorded = mine.update(
        state=OutboundMessage.State.FAILED if final else OutboundMessage.State.PENDING,
        last_error=str(exc)[:2000],
        send_after=timezone.now() + backoff,
    )
    if recorded and final and message.case_id:
        CaseEvent.objects.create(
            case_id=message.case_id,
            type=EventType.OUTBOUND_FAILED,
            body=str(exc)[:500],
            target=f"outbound:{message.pk}",
            after={"channel": message.channel, "attempt": attempt},
        )
    return "failed" if final else "retry"


def _sent_event(message: OutboundMessage, sent_at: dt.datetime) -> dict:
    return {
        "type": EventType.OUTBOUND_SENT,
        "at": sent_at,
        "target": f"outbound:{message.pk}",
        "after": {"channel": message.channel, "attempt": message.attempts},
    }


def _attempt_of(message: OutboundMessage):
    """Only this attempt may record its outcome: a slow worker overtaken by a resend leaves the row to the resend."""
    return OutboundMessage.objects.filter(
        pk=message.pk,
        attempts=message.attempts,
        state__in=[OutboundMessage.State.SENDING, OutboundMessage.State.PENDING],
    )


class ClaimLost(Exception):
    """A message of the group changed between reading and claiming it."""


def lock_pending(message_ids: list[int], *, now: dt.datetime) -> list[OutboundMessage]:
    """The pending, due messages among `message_ids` that no other worker holds, locked until the transaction ends
    (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the transaction holds the one write lock)."""
    due = OutboundMessage.objects.filter(
        pk__in=message_ids, state=OutboundMessage.State.PENDING, send_after__lte=now
    ).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due.select_related("customer"))


def claim_group(messages: list[OutboundMessage], *, now: dt.datetime) -> list[OutboundMessage]:
    """deliver()'s claim for a group: the messages turn from pending (and due) to "sending" in one conditional
    update, their attempt counted. Every one must turn: one that did not was taken by someone else (ClaimLost)."""
    claimed = OutboundMessage.objects.filter(
        pk__in=[m.pk for m in messages], state=OutboundMessage.State.PENDING, send_after__lte=now
    ).update(state=OutboundMessage.State.SENDING, send_after=now, attempts=F("attempts") + 1)
    if claimed != len(messages):
        raise ClaimLost(f"{len(messages) - claimed} of {len(messages)} messages were no longer pending")
    for message in messages:
        message.state, message.send_after, message.attempts = OutboundMessage.State.SENDING, now, message.attempts + 1
    return messages


def deliver_many(message_ids: list[int]) -> Counter:
    """deliver() for a group of messages: claimed together, posted one by one, the successes recorded together.

    The gateway still gets one request per message with its own Idempotency-Key, and a failure is recorded on its
    own message as deliver() does. If the gateway is so slow that the group would outlast half the stale window,
    the messages not yet posted go back to the queue (their attempt not counted) rather than wait to be taken for
    dead and sent by another worker.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            messages = claim_group(lock_pending(message_ids, now=now), now=now)
    except ClaimLost:
        return Counter(deliver(message_id) for message_id in message_ids)
    results: Counter = Counter(skipped=len(set(message_ids)) - len(messages))
    posted: list[OutboundMessage] = []
    try:
        for index, message in enumerate(messages):
            if timezone.now() - now > stale_sending_after() / 2:
                results["requeued"] += _unclaim(messages[index:])
                break
            try:
                get_backend(message.channel).send(message)
            except Exception as exc:  # noqa: BLE001 - any backend failure is retried the same way
                results[_record_failure(message, exc, mine=_attempt_of(message))] += 1
            else:
                posted.append(message)
    finally:
        # Whatever stopped the loop, the messages the gateway took are recorded as sent.
        results.update(_record_sent(posted))
    return +results


def _record_sent(messages: list[OutboundMessage]) -> Counter:
    """The messages the gateway took, recorded sent in one update per attempt number and one insert of events."""
    results: Counter = Counter()
    sent_at = timezone.now()
    by_attempt: dict[int, list[OutboundMessage]] = {}
    for message in messages:
        by_attempt.setdefault(message.attempts, []).append(message)
    recorded = []
    for attempt, group in by_attempt.items():
        mine = OutboundMessage.objects.filter(
            pk__in=[m.pk for m in group],
            attempts=attempt,
            state__in=[OutboundMessage.State.SENDING, OutboundMessage.State.PENDING],
        )
        if mine.update(state=OutboundMessage.State.SENT, sent_at=sent_at, last_error="") == len(group):
            recorded += group
            continue
        # A later attempt took over some of them (rare): find out which, one by one.
        for message in group:
            if OutboundMessage.objects.filter(pk=message.pk, attempts=attempt, sent_at=sent_at).exists():
                recorded.append(message)
            else:
                logger.warning("outbound %s: attempt %s answered after a later attempt took over", message.pk, attempt)
                results["superseded"] += 1
    CaseEvent.objects.bulk_create(
        CaseEvent(case_id=message.case_id, **_sent_event(message, sent_at)) for message in recorded if message.case_id
    )
    results["sent"] += len(recorded)
    return results


def _unclaim(messages: list[OutboundMessage]) -> int:
    """Put claimed messages that were not posted back in the queue, as if never claimed."""
    released = 0
    for message in messages:
        released += _attempt_of(message).update(
            state=OutboundMessage.State.PENDING, attempts=F("attempts") - 1, send_after=timezone.now()
        )
    return released


def release_stale_sending(now: dt.datetime | None = None) -> int:
    """Rows left "sending" longer than the stale window belong to a worker that died: they go back to the queue
    (their attempt stays counted). Returns how many were released."""
    now = now or timezone.now()
    released = OutboundMessage.objects.filter(
        state=OutboundMessage.State.SENDING, send_after__lt=now - stale_sending_after()
    ).update(state=OutboundMessage.State.PENDING)
    if released:
        logger.warning("%s outbound message(s) stuck in sending were put back in the queue", released)
    return released


def due_message_ids(limit: int = 500) -> list[int]:
    """Pending messages whose time has come, after returning rows orphaned by a dead worker."""
    now = timezone.now()
    release_stale_sending(now)
    return list(
        OutboundMessage.objects.filter(state=OutboundMessage.State.PENDING, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )


def retry_failed(*, message: OutboundMessage, actor) -> bool:
    """A supervisor sends a failed message again, with a fresh round of attempts. False: it was not failed any more."""
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(pk=message.pk, state=OutboundMessage.State.FAILED).update(
            state=OutboundMessage.State.PENDING, send_after=timezone.now(), attempts=0
        )
        if not updated:
            return False
        if message.case_id:
            CaseEvent.objects.create(
                case_id=message.case_id,
                actor=actor,
                type=EventType.OUTBOUND_QUEUED,
                body=message.body,
                target=f"outbound:{message.pk}",
                after={"channel": message.channel, "template": message.template_key, "retry": True},
            )
        transaction.on_commit(lambda: _enqueue(message.pk))
    return True


def retry_all_failed(*, actor, limit: int = 500) -> int:
    """A supervisor sends every failed message again (the gateway is back)."""
    failed = OutboundMessage.objects.filter(state=OutboundMessage.State.FAILED).order_by("pk")[:limit]
    return sum(retry_failed(message=message, actor=actor) for message in failed)
