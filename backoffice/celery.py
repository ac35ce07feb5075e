import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, task_success

import backoffice.broker  # noqa: F401 - registers the filesystem-atomic transport
from backoffice.schedule import BEAT_SCHEDULE, TASK_ENTRIES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks modules inside the project package's sub-packages, besides each installed app's own.
app.autodiscover_tasks(["backoffice.platform.importing", "backoffice.platform.pdd"])

app.conf.beat_schedule = BEAT_SCHEDULE


@task_success.connect(dispatch_uid="backoffice.sweeps.record_run")
def _record_periodic_run(sender=None, **kwargs) -> None:
    """Each periodic task that finished is noted with its time (backoffice.sweeps), whoever started it."""
    entry = TASK_ENTRIES.get(getattr(sender, "name", ""))
    if entry is None:
        return
    from backoffice.sweeps import record_run

    record_run(entry)


@task_prerun.connect(dispatch_uid="backoffice.store.cache.begin")
def _begin_store_settings_scope(task_id=None, **kwargs) -> None:
    """Each task reads the store settings and calendar once (backoffice.store.cache)."""
    from backoffice.store.cache import begin_task_scope

    begin_task_scope(task_id=task_id)


@task_postrun.connect(dispatch_uid="backoffice.store.cache.end")
def _end_store_settings_scope(task_id=None, **kwargs) -> None:
    from backoffice.store.cache import end_task_scope

    end_task_scope(task_id=task_id)
