from celery import shared_task


@shared_task
def sync_platform() -> dict:
    """Beat: pull orders and after-sales applications changed since the last run; a no-op without credentials."""
    from backoffice.platform.pdd import sync

    return sync.run_sync()
