import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["backoffice.importing", "backoffice.pdd"])  # tasks modules inside the project package

# Timed work lives in database rows; beat only wakes the sweepers that claim the due ones.
app.conf.beat_schedule = {
    "sweep-outbox": {"task": "backoffice.tasks.sweep_outbox", "schedule": 30.0},
    "auto-assign": {"task": "backoffice.tasks.auto_assign_cases", "schedule": 60.0},
    "logistics-sweep": {"task": "logistics.tasks.sweep_exceptions", "schedule": 300.0},
    "logistics-tracking": {"task": "logistics.tasks.refresh_tracking", "schedule": 300.0},
    "logistics-notices": {"task": "logistics.tasks.send_proactive_notices", "schedule": 300.0},
    "sweep-followups": {"task": "backoffice.tasks.sweep_followups", "schedule": 60.0},
    "close-settled-cases": {"task": "aftersales.tasks.close_settled_cases", "schedule": 900.0},
    "send-due-surveys": {"task": "surveys.tasks.send_due_surveys", "schedule": 300.0},
    "expire-coupons": {"task": "backoffice.tasks.expire_coupons", "schedule": crontab(hour=0, minute=10)},
    "pdd-sync": {"task": "backoffice.pdd.tasks.sync_platform", "schedule": 300.0},
    # QA-1: last week's review sample, Monday 06:00; a run left waiting for a day is dropped (the next week's comes).
    "quality-weekly-sample": {
        "task": "quality.tasks.draw_weekly_sample",
        "schedule": crontab(hour=6, minute=0, day_of_week=1),
        "options": {"expires": 24 * 3600},
    },
}
