from celery import shared_task

from surveys import services


@shared_task
def send_due_surveys() -> int:
    """Beat: surveys that waited for a follow-up message in vain go out on their own (safe to run twice)."""
    return services.send_due_surveys()
