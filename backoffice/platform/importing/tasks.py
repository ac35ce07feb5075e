from celery import shared_task


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    """Check or import one uploaded export; a second delivery finds the job claimed and does nothing."""
    from backoffice.platform.importing import jobs

    return jobs.run_job(job_id).state


@shared_task
def sweep_import_jobs() -> int:
    """Beat: run uploaded exports left queued (their task lost, or never sent while the broker was down)."""
    from backoffice.platform.importing import jobs

    return len(jobs.run_queued_jobs())
