"""Is timed work running? Every periodic task (beat entry) notes when it last finished; a sweep that has not run for
a few of its intervals means a dead beat or dead workers, and /healthz and the supervisors' banner say so before
customers notice. The notes are database rows, so they need no Redis and survive restarts."""

import dataclasses
import datetime as dt
import functools

from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models.sweeps import SweepRun
from backoffice.prepared import PreparedRead
from backoffice.schedule import INTERVALS

# A sweep is late once it missed this many of its runs (never less than MIN_LATE: a busy worker is not a dead one).
LATE_AFTER_INTERVALS = 3
MIN_LATE = dt.timedelta(minutes=3)

# What each entry does, in the words of the people who wait for it.
LABELS = {
    "sweep-outbox": _("Messages to customers"),
    "auto-assign": _("Automatic assignment"),
    "logistics-sweep": _("Logistics exception checks"),
    "logistics-tracking": _("Tracking updates"),
    "logistics-notices": _("Shipping notices"),
    "sweep-followups": _("Follow-ups and coupons"),
    "send-due-surveys": _("Satisfaction surveys"),
    "sweep-imports": _("Queued imports"),
    "expire-coupons": _("Coupon expiry"),
    "pdd-sync": _("PDD platform sync"),
    "quality-weekly-sample": _("Weekly review sample"),
    "close-settled-cases": _("Closing settled cases"),
}


@dataclasses.dataclass(frozen=True)
class SweepStatus:
    name: str
    every: dt.timedelta
    late_after: dt.timedelta
    last_ran_at: dt.datetime | None
    late: bool

    @property
    def label(self) -> str:
        return str(LABELS.get(self.name, self.name))

    def as_json(self) -> dict:
        return {
            "last_ran": self.last_ran_at.isoformat() if self.last_ran_at else None,
            "every_seconds": int(self.every.total_seconds()),
            "late_after_seconds": int(self.late_after.total_seconds()),
            "late": self.late,
        }


def late_after(every: dt.timedelta) -> dt.timedelta:
    return max(every * LATE_AFTER_INTERVALS, MIN_LATE)


def record_run(name: str, *, now: dt.datetime | None = None) -> None:
    """Note that the periodic task `name` (its beat entry) just finished. The first note of an installation also
    lists every other entry as seen, so one that never runs turns late a few intervals later."""
    now = now or timezone.now()
    if SweepRun.objects.filter(name=name).update(last_ran_at=now):
        return
    try:
        with transaction.atomic():
            SweepRun.objects.bulk_create(
                [SweepRun(name=entry, first_seen_at=now) for entry in INTERVALS if entry != name]
                + [SweepRun(name=name, first_seen_at=now, last_ran_at=now)],
                ignore_conflicts=True,
            )
    except IntegrityError:
        pass
    SweepRun.objects.filter(name=name).update(last_ran_at=now)


def _tracked_since() -> dt.datetime | None:
    """When this installation started noting sweeps: the migration that made the table was applied (read once per
    database by each process: it does not change)."""
    return _first_applied(connection.alias, str(connection.settings_dict["NAME"]))


@functools.lru_cache(maxsize=8)
def _first_applied(alias: str, name: str) -> dt.datetime | None:
    recorder = MigrationRecorder(connections[alias])
    return recorder.migration_qs.filter(app="backoffice").aggregate(first=Min("applied"))["first"]


# Read on every supervisor's page (the banner): its SQL written once (backoffice.prepared).
_NOTES = PreparedRead(lambda: SweepRun.objects.values_list("name", "first_seen_at", "last_ran_at"))


def sweep_statuses(*, now: dt.datetime | None = None) -> list[SweepStatus]:
    """Each beat entry with its last run and whether it is late."""
    now = now or timezone.now()
    rows = {name: (first_seen, last_ran) for name, first_seen, last_ran in _NOTES.rows()}
    since_install = None
    statuses = []
    for name, seconds in INTERVALS.items():
        every = dt.timedelta(seconds=seconds)
        limit = late_after(every)
        first_seen, last_ran = rows.get(name, (None, None))
        if last_ran is not None:
            reference = last_ran
        elif name in rows:
            reference = first_seen
        else:
            if since_install is None:
                since_install = _tracked_since() or now
            reference = since_install
        statuses.append(
            SweepStatus(
                name=name,
                every=every,
                late_after=limit,
                last_ran_at=last_ran,
                late=now - reference > limit,
            )
        )
    return statuses


def late_sweeps(*, now: dt.datetime | None = None) -> list[SweepStatus]:
    return [status for status in sweep_statuses(now=now) if status.late]
