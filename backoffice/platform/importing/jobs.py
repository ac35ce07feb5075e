"""Import jobs: an uploaded export is checked (a dry run: what would be created, updated, rejected and why),
then imported. Small files run at once; large ones in a Celery task that keeps its progress on the job row,
so the page can be left and come back, and a job whose worker died can be resumed where it stopped.
"""

import datetime as dt
import logging
import shutil
import uuid
from collections import Counter
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.dispatch import enqueue
from backoffice.errors import DomainError
from backoffice.models import ImportJob
from backoffice.platform.importing import aftersales, headers, orders, parsing
from backoffice.platform.importing.orders import CREATE, REJECT, SKIP, UNCHANGED, UPDATE, Outcome, in_batches
from backoffice.platform.importing.parsing import ImportFileError, RowError
from backoffice.platform.models import ERRORS_CAP, SAMPLES_CAP

logger = logging.getLogger(__name__)

State = ImportJob.State
BATCH_ROWS = 2000
# Files up to this size are checked and imported inside the request; bigger ones go to the worker.
INLINE_MAX_BYTES = 256 * 1024
# A running job that reported no progress for this long lost its worker; it may be resumed.
STALE_AFTER_SECONDS = 300
# A queued job whose task has not started it after this long is run by the beat sweep.
QUEUED_GRACE = dt.timedelta(seconds=60)
UPLOAD_DIR = "imports"
SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xls"}

COUNT_FIELDS = {CREATE: "created", UPDATE: "updated", UNCHANGED: "unchanged", SKIP: "skipped", REJECT: "rejected"}

PARSERS: dict[str, Callable] = {
    ImportJob.Kind.ORDERS: orders.parse_row,
    ImportJob.Kind.AFTERSALES: aftersales.parse_row,
}
KEY_FIELDS = {ImportJob.Kind.ORDERS: "order_number", ImportJob.Kind.AFTERSALES: "aftersales_number"}


def make_importer(kind: str, *, dry_run: bool, actor=None):
    if kind == ImportJob.Kind.AFTERSALES:
        return aftersales.AftersalesImporter(dry_run=dry_run, actor=actor)
    return orders.OrderImporter(dry_run=dry_run)


class _AllOrNothingRollback(Exception):
    pass


# --- creating jobs ------------------------------------------------------------------------------------------------


def _new_path(original_name: str) -> tuple[Path, str]:
    suffix = Path(original_name).suffix.lower()
    suffix = suffix if suffix in SUFFIXES else ".dat"
    relative = f"{UPLOAD_DIR}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    return target, relative


def detect_file_kind(path: Path) -> str:
    """Which export this is, from its header row."""
    with parsing.Table(path) as table:
        return headers.detect_kind(table.fields)


def create_job(
    *, source, original_name: str, kind: str | None = None, all_or_nothing: bool = False, user=None, check: bool = True
) -> ImportJob:
    """Keep a copy of the file under MEDIA_ROOT and make its job; `source` is an uploaded file or a path.

    The kind is read from the header when not given. With check=False the job goes straight to the import.
    """
    target, relative = _new_path(original_name)
    if isinstance(source, str | Path):
        shutil.copyfile(source, target)
    else:
        with open(target, "wb") as out:
            for chunk in source.chunks():
                out.write(chunk)
    try:
        detected = detect_file_kind(target)
    except ImportFileError:
        detected = None  # the check reports it, on the job
    return ImportJob.objects.create(
        kind=kind or detected or ImportJob.Kind.ORDERS,
        state=State.CHECK_QUEUED if check else State.IMPORT_QUEUED,
        file_path=relative,
        original_name=Path(original_name).name[:200],
        file_size=target.stat().st_size,
        all_or_nothing=all_or_nothing,
        created_by=user,
    )


def dispatch(job: ImportJob) -> None:
    """Run a queued phase: small files now, big ones in the worker once the job row is committed.

    The job row is the record, the task only a nudge: when the broker is down the upload still succeeds and the
    beat sweep (run_queued_jobs) starts the job once a worker runs.
    """
    if job.file_size <= INLINE_MAX_BYTES:
        run_job(job.pk)
        job.refresh_from_db()
        return
    transaction.on_commit(lambda: _enqueue(job.pk))


def _enqueue(job_id: int) -> None:
    if not enqueue("backoffice.platform.importing.tasks.run_import_job", job_id):
        logger.warning("import job %s stays queued for the sweep: the broker did not take its task", job_id)


def run_queued_jobs(*, now: dt.datetime | None = None, limit: int = 10) -> list[int]:
    """Beat: run the jobs left queued longer than QUEUED_GRACE (their task was lost, or never sent because the
    broker was down). run_job claims each with a conditional update, so a job its own task starts meanwhile, or
    that another sweep took, is not run twice. Returns the ids this sweep ran."""
    now = now or timezone.now()
    cutoff = now - QUEUED_GRACE
    waiting = (
        ImportJob.objects.filter(state__in=[State.CHECK_QUEUED, State.IMPORT_QUEUED])
        .filter(Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True, created_at__lte=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    ran = [job_id for job_id in list(waiting) if _claim_and_run(job_id)]
    if ran:
        logger.info("import sweep ran queued job(s) %s", ran)
    return ran


def start_import(*, job: ImportJob, user=None, all_or_nothing: bool | None = None) -> ImportJob:
    """After the check: import for real. All-or-nothing refuses to start when the check rejected rows."""
    if all_or_nothing is None:
        all_or_nothing = job.all_or_nothing
    if job.state != State.CHECKED:
        raise DomainError(
            _("Only a checked file can be imported; this one is “%(state)s”.") % {"state": job.get_state_display()}
        )
    if all_or_nothing and job.preview.get(REJECT):
        raise DomainError(
            _("The check rejected %(count)s row(s); with “all or nothing” the file cannot be imported. Fix them first.")
            % {"count": job.preview[REJECT]}
        )
    # heartbeat_at: since when it waits, for the sweep that picks up jobs whose task was lost.
    reset = _reset_counts() | {
        "state": State.IMPORT_QUEUED,
        "all_or_nothing": all_or_nothing,
        "message": "",
        "heartbeat_at": timezone.now(),
    }
    if not ImportJob.objects.filter(pk=job.pk, state=State.CHECKED).update(**reset):
        raise DomainError(_("This import was started already."))
    job.refresh_from_db()
    return job


def is_stale(job: ImportJob) -> bool:
    if not job.is_active:
        return False
    seen = job.heartbeat_at or job.created_at
    return (timezone.now() - seen).total_seconds() > STALE_AFTER_SECONDS


def resume(*, job: ImportJob) -> ImportJob:
    """Requeue a job whose worker stopped: a check starts over; an import continues after its last saved batch."""
    queued = {State.CHECKING: State.CHECK_QUEUED, State.IMPORTING: State.IMPORT_QUEUED}.get(job.state, job.state)
    if not is_stale(job):
        raise DomainError(_("This job is still running, or finished."))
    changes = {"state": queued, "heartbeat_at": timezone.now()}
    if not ImportJob.objects.filter(pk=job.pk, state=job.state, heartbeat_at=job.heartbeat_at).update(**changes):
        raise DomainError(_("Someone resumed this job just now."))
    job.refresh_from_db()
    return job


def _reset_counts() -> dict:
    return dict.fromkeys(COUNT_FIELDS.values(), 0) | {
        "rows_done": 0,
        "progress_permille": 0,
        "errors": [],
        "finished_at": None,
    }


# --- running ------------------------------------------------------------------------------------------------------


def run_job(job_id: int, *, on_progress: Callable[[int, float], None] | None = None) -> ImportJob:
    """Run the job's queued phase, if nobody else claimed it (a task delivered twice runs once)."""
    _claim_and_run(job_id, on_progress=on_progress)
    return ImportJob.objects.get(pk=job_id)


def _claim_and_run(job_id: int, *, on_progress: Callable[[int, float], None] | None = None) -> bool:
    """Claim the queued phase with a conditional update (0 rows: someone else has it) and run it. True if run."""
    now = timezone.now()
    claims = [(State.CHECK_QUEUED, State.CHECKING, True), (State.IMPORT_QUEUED, State.IMPORTING, False)]
    for queued, running, dry_run in claims:
        if ImportJob.objects.filter(pk=job_id, state=queued).update(state=running, started_at=now, heartbeat_at=now):
            job = ImportJob.objects.get(pk=job_id)
            _run_phase(job, dry_run=dry_run, on_progress=on_progress)
            return True
    return False


class _Progress:
    """Counts, capped rejections and preview samples of one phase, saved to the job row after each batch."""

    def __init__(self, job: ImportJob, *, dry_run: bool, resuming: bool) -> None:
        self.job = job
        self.dry_run = dry_run
        self.counts = Counter({action: getattr(job, field) for action, field in COUNT_FIELDS.items()})
        self.errors: list[dict] = list(job.errors) if resuming else []
        self.rows_done = job.rows_done if resuming else 0
        self.samples: dict[str, list] = {CREATE: [], UPDATE: [], SKIP: []}
        if not resuming:
            self.counts = Counter()

    def add(self, outcomes: list[Outcome], rows: int) -> None:
        self.rows_done += rows
        for outcome in outcomes:
            self.counts[outcome.action] += 1
            if outcome.action == REJECT and len(self.errors) < ERRORS_CAP:
                self.errors.append({"line": outcome.line, "key": outcome.key, "reason": outcome.detail})
            elif outcome.action in self.samples and len(self.samples[outcome.action]) < SAMPLES_CAP:
                self.samples[outcome.action].append(
                    {"line": outcome.line, "key": outcome.key, "detail": outcome.detail}
                )

    def fields(self, fraction: float) -> dict:
        return {field: self.counts[action] for action, field in COUNT_FIELDS.items()} | {
            "rows_done": self.rows_done,
            "progress_permille": min(int(fraction * 1000), 1000),
            "errors": sorted(self.errors, key=lambda error: error["line"]),
            "heartbeat_at": timezone.now(),
        }

    def save(self, fraction: float) -> None:
        fields = self.fields(fraction)
        ImportJob.objects.filter(pk=self.job.pk).update(**fields)
        for field, value in fields.items():
            setattr(self.job, field, value)

    def preview(self) -> dict:
        return {action: self.counts[action] for action in COUNT_FIELDS} | {
            "samples": self.samples,
            "rows": self.rows_done,
        }


def _run_phase(job: ImportJob, *, dry_run: bool, on_progress=None) -> None:
    resuming = not dry_run and not job.all_or_nothing and job.rows_done > 0
    progress = _Progress(job, dry_run=dry_run, resuming=resuming)
    importer = make_importer(job.kind, dry_run=dry_run, actor=job.created_by)
    parse = PARSERS[job.kind]
    key_field = KEY_FIELDS[job.kind]
    path = Path(settings.MEDIA_ROOT) / job.file_path
    final: dict = {}
    try:
        with parsing.Table(path) as table:
            _check_columns(job, table)
            records = islice(table.records(), progress.rows_done if resuming else 0, None)

            def process(batch) -> list[Outcome]:
                rows, outcomes = [], []
                for line, record in batch:
                    try:
                        rows.append(parse(line, parsing.check_complete(record)))
                    except RowError as exc:
                        key = parsing.text(record.get(key_field))[:40]
                        outcomes.append(Outcome(line, REJECT, key, str(exc)))
                return outcomes + importer.apply(rows)

            def each_batch(save: bool) -> None:
                for batch in in_batches(records, BATCH_ROWS):
                    if save:
                        # The batch's rows and the job's counts commit together: a resume continues right after.
                        with transaction.atomic():
                            progress.add(process(batch), len(batch))
                            progress.save(table.fraction_done())
                    else:
                        progress.add(process(batch), len(batch))
                        if dry_run:
                            progress.save(table.fraction_done())
                    if on_progress is not None:
                        on_progress(progress.rows_done, table.fraction_done())

            if dry_run:
                each_batch(save=False)
            elif job.all_or_nothing:
                # One transaction for the whole file; its progress becomes visible when it commits.
                with transaction.atomic():
                    each_batch(save=False)
                    if progress.counts[REJECT]:
                        raise _AllOrNothingRollback
            else:
                each_batch(save=True)
        final = progress.fields(1.0) | {"finished_at": timezone.now()}
        if dry_run:
            final |= {"state": State.CHECKED, "preview": progress.preview(), "rows_total": progress.rows_done}
        else:
            final |= {"state": State.DONE, "message": _summary(progress.counts)}
    except _AllOrNothingRollback:
        final = progress.fields(1.0) | {
            "state": State.FAILED,
            "finished_at": timezone.now(),
            "message": _("%(count)s row(s) were rejected, so nothing was imported (all or nothing).")
            % {"count": progress.counts[REJECT]},
        }
        for field in ("created", "updated", "unchanged", "skipped"):
            final[field] = 0
    except ImportFileError as exc:
        final = {"state": State.FAILED, "finished_at": timezone.now(), "message": str(exc)}
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        final = {
            "state": State.FAILED,
            "finished_at": timezone.now(),
            "message": _("The import stopped on an unexpected error: %(error)s. Rows saved before it stay saved.")
            % {"error": exc},
        }
    ImportJob.objects.filter(pk=job.pk).update(**final)


def _check_columns(job: ImportJob, table: parsing.Table) -> None:
    fields = table.fields
    detected = headers.detect_kind(fields)
    if detected != job.kind:
        raise ImportFileError(
            _("This file looks like the %(detected)s, not the %(kind)s. Upload it again as the right kind.")
            % {"detected": ImportJob.Kind(detected).label, "kind": ImportJob.Kind(job.kind).label}
        )
    missing = headers.missing_columns(job.kind, fields)
    if missing:
        raise ImportFileError(headers.missing_message(job.kind, missing))


def _summary(counts: Counter) -> str:
    return _(
        "%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(skipped)s skipped, %(rejected)s rejected."
    ) % {
        "created": counts[CREATE],
        "updated": counts[UPDATE],
        "unchanged": counts[UNCHANGED],
        "skipped": counts[SKIP],
        "rejected": counts[REJECT],
    }
