"""The beat's timetable: which periodic task runs how often. Celery's configuration reads it, and so do /healthz
and the supervisors' banner (backoffice.sweeps), which count a sweep's lateness in its own intervals."""

from celery.schedules import crontab

DAY = 24 * 60 * 60.0
# Timed work lives in database rows; beat only wakes the sweepers that claim the due ones.
# (entry, task, seconds between runs, schedule when it is not simply every so many seconds)
PERIODIC: list[tuple[str, str, float, crontab | None]] = [
    ("sweep-outbox", "backoffice.tasks.sweep_outbox", 30.0, None),
    ("auto-assign", "backoffice.tasks.auto_assign_cases", 60.0, None),
    ("logistics-sweep", "logistics.tasks.sweep_exceptions", 300.0, None),
    ("logistics-tracking", "logistics.tasks.refresh_tracking", 300.0, None),
    ("logistics-notices", "logistics.tasks.send_proactive_notices", 300.0, None),
    ("sweep-followups", "backoffice.tasks.sweep_followups", 60.0, None),
    ("close-settled-cases", "aftersales.tasks.close_settled_cases", 900.0, None),
    ("send-due-surveys", "surveys.tasks.send_due_surveys", 300.0, None),
    ("sweep-imports", "backoffice.platform.importing.tasks.sweep_import_jobs", 60.0, None),
    ("expire-coupons", "backoffice.tasks.expire_coupons", DAY, crontab(hour=0, minute=10)),
    ("pdd-sync", "backoffice.platform.pdd.tasks.sync_platform", 300.0, None),
    ("quality-weekly-sample", "quality.tasks.draw_weekly_sample", 7 * DAY, crontab(hour=6, minute=0, day_of_week=1)),
]
# Runs that are not worth doing after waiting longer than this (default: most of their interval).
EXPIRES = {
    # A weekly sample left waiting for a day is dropped (the next week's comes).
    "quality-weekly-sample": DAY,
}
# Seconds between runs of each entry: /healthz and the supervisors' banner count lateness in these.
INTERVALS: dict[str, float] = {entry: seconds for entry, _task, seconds, _schedule in PERIODIC}
TASK_ENTRIES: dict[str, str] = {task: entry for entry, task, _seconds, _schedule in PERIODIC}


def expires_after(seconds: float) -> float:
    """A run still waiting in the broker when the next one is due is dropped: with the workers down, runs do not pile
    up and then execute back to back (each run does all that is due, so the next one loses nothing)."""
    return seconds * 0.8


BEAT_SCHEDULE = {
    entry: {
        "task": task,
        "schedule": schedule or seconds,
        "options": {"expires": EXPIRES.get(entry, expires_after(seconds))},
    }
    for entry, task, seconds, schedule in PERIODIC
}
