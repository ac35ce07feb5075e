from celery import shared_task

from . import outbox


@shared_task(acks_late=True)
def deliver_message(message_id: int) -> str:
    return outbox.deliver(message_id)


@shared_task
def sweep_outbox() -> int:
    """Beat: send what is due (and what a broker outage kept from being sent)."""
    ids = outbox.due_message_ids()
    for message_id in ids:
        outbox.deliver(message_id)
    return len(ids)
