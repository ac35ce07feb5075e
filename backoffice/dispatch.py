"""Queue Celery work by the task's name. Services ask for a task here instead of importing the task modules, which
import the services: the import graph stays one-way (tasks → services → dispatch).

The row a task points at is the real record: when the broker is down, the beat sweep picks it up later, so a web
request never fails or waits long because Redis is away.
"""

import logging
import time

from celery import current_app

logger = logging.getLogger(__name__)

# After the broker refused a task, web requests stop trying for this long (each try costs about a second).
BROKER_PAUSE_SECONDS = 30.0
_broker_down_until = 0.0


def task_named(name: str):
    """The registered task; the task modules are imported (Celery's autodiscovery) the first time one is asked for."""
    tasks = current_app.tasks
    if name not in tasks:
        current_app.loader.import_default_modules()
    return tasks[name]


def enqueue(name: str, *args) -> bool:
    """Send the task now if the broker takes it; False when it is left to the sweep."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        task_named(name).delay(*args)
    except Exception:  # noqa: BLE001 - any broker error means the same: leave it to the sweep
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("broker unavailable; %s%s waits for the sweep", name, args)
        return False
    return True
