"""Applying what a provider says about a job to our row."""

from __future__ import annotations

from django.utils import timezone

from jobs_app.models import Job
from jobs_app.providers.base import ProviderJob

PROVIDER_TO_STATUS = {
    "validating_files": Job.Status.SUBMITTED,
    "queued": Job.Status.SUBMITTED,
    "running": Job.Status.RUNNING,
    "paused": Job.Status.RUNNING,
    "pausing": Job.Status.RUNNING,
    "resuming": Job.Status.RUNNING,
    "succeeded": Job.Status.SUCCEEDED,
    "failed": Job.Status.FAILED,
    "cancelled": Job.Status.CANCELLED,
}


def apply_provider_job(job: Job, remote: ProviderJob) -> list[str]:
    """Copy the provider's view onto the row (not saved); returns the changed field names.

    Unknown status strings are kept verbatim in provider_status and leave our
    status as it was: only succeeded, failed and cancelled end a job.
    """
    changed = []

    def put(field: str, value: object) -> None:
        if getattr(job, field) != value:
            setattr(job, field, value)
            changed.append(field)

    put("provider_status", remote.status[:40])
    if remote.status in PROVIDER_TO_STATUS:
        put("status", PROVIDER_TO_STATUS[remote.status])
    if remote.fine_tuned_model:
        put("fine_tuned_model", remote.fine_tuned_model)
    if remote.trained_tokens is not None:
        put("trained_tokens", remote.trained_tokens)
    put("estimated_finish", remote.estimated_finish)
    if remote.result_files:
        put("result_files", remote.result_files)
    if remote.error is not None:
        put("error_code", remote.error.code[:200])
        put("error_message", remote.error.message)
        put("error_param", remote.error.param[:200])
    raw = {k: v for k, v in remote.raw.items() if k not in ("hyperparameters",)}
    put("provider_data", raw | {"hyperparameters": remote.hyperparameters})
    final = (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED)
    if job.status in final and job.finished_at is None:
        put("finished_at", remote.finished_at or timezone.now())
    return changed
