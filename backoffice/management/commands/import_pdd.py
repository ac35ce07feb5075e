"""Import a PDD export from the command line: the same check and import as the upload page, with a job row."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backoffice.models import ImportJob
from backoffice.platform.importing import jobs


class Command(BaseCommand):
    help = "Import a PDD order or after-sales export (CSV in GBK/UTF-8, or XLSX). Checks first unless --no-check."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the export file")
        parser.add_argument("--kind", choices=[k.value for k in ImportJob.Kind], help="default: from the header")
        parser.add_argument("--dry-run", action="store_true", help="only check: show what would change")
        parser.add_argument("--no-check", action="store_true", help="import without the check first")
        parser.add_argument("--all-or-nothing", action="store_true", help="import nothing if any row is rejected")
        parser.add_argument("--user", help="username recorded as the uploader (and as the actor on cases)")
        parser.add_argument("--show-errors", type=int, default=20, help="how many rejected rows to list")

    def handle(self, *args, path, kind, dry_run, no_check, all_or_nothing, user, show_errors, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        uploader = None
        if user:
            uploader = get_user_model().objects.filter(username=user).first()
            if uploader is None:
                raise CommandError(f"No such user: {user}")
        job = jobs.create_job(
            source=source,
            original_name=source.name,
            kind=kind,
            all_or_nothing=all_or_nothing,
            user=uploader,
            check=not no_check,
        )
        self.stdout.write(f"Job {job.pk}: {job.get_kind_display()} from {source.name}")
        if not no_check:
            job = jobs.run_job(job.pk, on_progress=self.progress)
            self.report(job, "Check", show_errors)
            if job.state != ImportJob.State.CHECKED or dry_run:
                if job.state == ImportJob.State.FAILED:
                    raise CommandError(job.message)
                return
            try:
                job = jobs.start_import(job=job, user=uploader, all_or_nothing=all_or_nothing)
            except Exception as exc:
                raise CommandError(str(exc)) from exc
        job = jobs.run_job(job.pk, on_progress=self.progress)
        self.report(job, "Import", show_errors)
        if job.state == ImportJob.State.FAILED:
            raise CommandError(job.message)

    def progress(self, rows: int, fraction: float) -> None:
        if self.stdout.isatty():
            self.stdout.write(f"\r  {rows:>9,} rows  {fraction:6.1%}", ending="")
            self.stdout.flush()

    def report(self, job: ImportJob, phase: str, show_errors: int) -> None:
        if self.stdout.isatty():
            self.stdout.write("")
        counts = job.preview if job.state == ImportJob.State.CHECKED else None
        if counts:
            self.stdout.write(
                f"{phase}: {job.rows_total:,} rows — to create {counts['create']:,}, to update {counts['update']:,}, "
                f"unchanged {counts['unchanged']:,}, skipped {counts['skip']:,}, rejected {counts['reject']:,}"
            )
        elif job.state == ImportJob.State.DONE:
            self.stdout.write(f"{phase}: {job.message}")
        else:
            self.stdout.write(f"{phase}: {job.get_state_display()} — {job.message}")
        for error in job.errors[:show_errors]:
            self.stdout.write(f"  line {error['line']}: {error['key'] or '—'}: {error['reason']}")
        if job.rejected > show_errors:
            self.stdout.write(f"  … {job.rejected - min(show_errors, len(job.errors)):,} more rejected rows")
