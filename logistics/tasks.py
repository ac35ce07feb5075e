"""Beat tasks of the logistics desk: thin wrappers around services, safe to run twice or at once."""

from celery import shared_task

from logistics import detection, notices, refresh


@shared_task
def sweep_exceptions(full: bool | None = None) -> dict:
    """Every few minutes: the incremental detection sweep (a full one when the last is an hour old)."""
    result = detection.sweep(full=full)
    return {"full": result.full, "opened": result.opened, "cleared": result.cleared, "seconds": result.seconds}


@shared_task
def refresh_tracking() -> dict:
    """Ask the tracking provider about a batch of parcels in transit that are due a poll."""
    result = refresh.refresh_tracking()
    return {"asked": result.asked, "updated": result.updated, "failed": result.failed, "stopped": result.stopped}


@shared_task
def send_proactive_notices() -> dict:
    """L6 shipment notices and A1 after-sales reminders, once per order."""
    return {"L6": notices.send_shipment_notices(), "A1": notices.send_aftersales_reminders()}
