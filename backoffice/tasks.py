from celery import shared_task

from backoffice.messaging import outbox


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


@shared_task(acks_late=True)
def dispatch_followup_task(followup_id: int) -> str:
    """Send one due follow-up now (queued on commit when it is due at once); the sweep covers any it misses."""
    from backoffice.followups import services as followups

    return followups.dispatch_followup(followup_id)


@shared_task
def sweep_followups() -> dict:
    """Beat: dispatch the follow-ups whose time has come (A9, A10, L3), exactly once each."""
    from backoffice.followups import services as followups

    return dict(followups.dispatch_due())


@shared_task
def expire_coupons() -> int:
    """Beat, daily: coupons past their date become expired."""
    from backoffice.followups import coupons

    return coupons.expire_coupons()


@shared_task
def auto_assign_cases() -> int:
    """Beat: when the store switched automatic assignment on, hand unassigned cases to agents on duty."""
    from backoffice.cases.services import auto_assign
    from backoffice.models import Desk, StoreSettings

    if not StoreSettings.load().auto_assign:
        return 0
    return sum(auto_assign(desk=desk) for desk in (Desk.AFTERSALES, Desk.LOGISTICS))
