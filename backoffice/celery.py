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
    "sweep-followups": {"task": "backoffice.tasks.sweep_followups", "schedule": 60.0},
    "expire-coupons": {"task": "backoffice.tasks.expire_coupons", "schedule": crontab(hour=0, minute=10)},
}
