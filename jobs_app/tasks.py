from __future__ import annotations

from typing import Any

from celery import shared_task


def _job_submit_failure(
    self: Any, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any
) -> None:
    from jobs_app.services import job_mark_failed

    job_mark_failed(
        job_id=args[0],
        code="submit_error",
        message="Submitting the job failed unexpectedly; the administrators have the details.",
    )


@shared_task(acks_late=True, on_failure=_job_submit_failure)
def job_submit(job_id: int) -> None:
    """Submit one job (claimed by compare-and-set: a duplicate delivery does nothing)."""
    from jobs_app.services import job_submit as service

    service(job_id=job_id)


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def job_poll(job_id: int) -> None:
    """Refresh one job from its provider."""
    from jobs_app.services import job_poll as service

    service(job_id=job_id)


@shared_task(acks_late=True)
def jobs_poll_active() -> None:
    """Fan out one poll per due active job (beat, every JOBS_POLL_INTERVAL_SECONDS)."""
    from jobs_app.services import jobs_poll_active as service

    service()


@shared_task(acks_late=True)
def jobs_reap_stuck_submitting() -> None:
    """Settle jobs left in SUBMITTING by a worker that died (beat, every minute)."""
    from jobs_app.services import jobs_reap_stuck_submitting as service

    service()


# Celery autodiscovers tasks.py only; the notification tasks live beside it.
from jobs_app.tasks_notifications import (  # noqa: E402, F401
    notify_approval_needed,
    notify_budget_thresholds,
    notify_job_final,
    webhook_deliver,
)
