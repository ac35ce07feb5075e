import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Timed work lives in database rows; beat only wakes the sweepers that claim the due ones.
app.conf.beat_schedule = {
    "sweep-outbox": {"task": "backoffice.tasks.sweep_outbox", "schedule": 30.0},
    "refresh-sla": {"task": "aftersales.tasks.sweep_sla", "schedule": crontab(minute="*")},
}
