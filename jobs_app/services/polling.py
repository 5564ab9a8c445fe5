"""Following active jobs: one short task per job, with backoff on transient errors.

Beat runs jobs_poll_active every JOBS_POLL_INTERVAL_SECONDS; it leases each
due job (next_poll_at moves ahead) and fans out one job_poll task per job, so
one slow or failing job never delays the others. A round with nothing new
costs two requests per job: retrieve, and the events after our cursor.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs_app.budgets import budget_settle
from jobs_app.models import ACTIVE_STATUSES, FINAL_STATUSES, Job, JobCheckpoint, JobEvent, JobMetric
from jobs_app.providers import provider_for
from jobs_app.providers.base import PermanentError, ProviderEvent, TransientError
from jobs_app.services.state import apply_provider_job

logger = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=2)
MAX_BACKOFF_SECONDS = 600
METRIC_FIELDS = {
    "train_loss": "train_loss",
    "train_mean_token_accuracy": "train_accuracy",
    "train_accuracy": "train_accuracy",
    "valid_loss": "valid_loss",
    "valid_mean_token_accuracy": "valid_mean_token_accuracy",
}


def jobs_poll_active() -> list[int]:
    """Lease every due active job and enqueue one poll each; returns their ids."""
    from jobs_app.tasks import job_poll as job_poll_task

    now = timezone.now()
    due = list(
        Job.objects.filter(status__in=ACTIVE_STATUSES, next_poll_at__lte=now)
        .order_by("next_poll_at")
        .values_list("id", flat=True)[:5000]
    )
    leased = []
    for job_id in due:
        # A compare-and-set lease: a second beat or a slow round never polls twice.
        if Job.objects.filter(id=job_id, next_poll_at__lte=now).update(next_poll_at=now + LEASE):
            leased.append(job_id)
    for job_id in leased:
        job_poll_task.delay(job_id)
    return leased


def _metric_row(job: Job, data: dict) -> JobMetric | None:
    step = data.get("step")
    if step is None:
        return None
    values = {
        ours: data[theirs] for theirs, ours in METRIC_FIELDS.items() if data.get(theirs) is not None
    }
    return JobMetric(job=job, step=int(step), **values)


def _store_events(job: Job, events: list[ProviderEvent]) -> None:
    if not events:
        return
    JobEvent.objects.bulk_create(
        [
            JobEvent(
                job=job,
                provider_event_id=e.id,
                created_at=e.created_at or timezone.now(),
                level=e.level[:16],
                type=(e.type or "message")[:32],
                message=e.message,
                data=e.data,
            )
            for e in events
        ],
        ignore_conflicts=True,
    )
    metrics = [
        m for e in events if e.type == "metrics" and e.data for m in [_metric_row(job, e.data)] if m
    ]
    if metrics:
        JobMetric.objects.bulk_create(metrics, ignore_conflicts=True)
    for e in reversed(events):
        if e.type == "metrics" and e.data and e.data.get("total_steps"):
            job.total_steps = int(e.data["total_steps"])
            job.current_step = int(e.data.get("step") or 0)
            break
    job.last_event_id = events[-1].id


def _store_result_file(job: Job, provider) -> None:  # noqa: ANN001
    """The final per-step metrics, replacing what metrics events gave along the way."""
    for file_id in job.result_files[:1]:
        text = provider.download_file(file_id).decode("utf-8", errors="replace")
        rows = []
        for row in csv.DictReader(io.StringIO(text)):
            try:
                rows.append(
                    JobMetric(
                        job=job,
                        step=int(float(row["step"])),
                        **{
                            k: float(row[k])
                            for k in (
                                "train_loss",
                                "train_accuracy",
                                "valid_loss",
                                "valid_mean_token_accuracy",
                            )
                            if row.get(k) not in (None, "")
                        },
                    )
                )
            except (KeyError, ValueError):
                continue
        if rows:
            JobMetric.objects.filter(job=job).delete()
            JobMetric.objects.bulk_create(rows, batch_size=2000)
            job.total_steps = job.total_steps or rows[-1].step
            job.current_step = rows[-1].step


def job_poll(*, job_id: int) -> None:
    """Refresh one job from its provider: status, new events, checkpoints, final metrics."""
    job = Job.objects.select_related("credential").filter(id=job_id).first()
    if job is None or job.is_final or not job.openai_job_id:
        return
    provider = provider_for(job.credential)
    now = timezone.now()
    try:
        remote = provider.retrieve_job(job.openai_job_id)
        events = provider.list_events(job.openai_job_id, after=job.last_event_id or None)
        before = job.provider_status
        with transaction.atomic():
            locked = Job.objects.select_for_update().get(id=job.id)
            if locked.is_final:
                return
            apply_provider_job(locked, remote)
            _store_events(locked, events)
            if locked.provider_status != before or locked.is_final:
                for c in provider.list_checkpoints(locked.openai_job_id):
                    JobCheckpoint.objects.get_or_create(
                        job=locked,
                        provider_checkpoint_id=c.id,
                        defaults={
                            "step": c.step,
                            "metrics": c.metrics,
                            "created_at": c.created_at or now,
                            "fine_tuned_model_checkpoint": c.fine_tuned_model_checkpoint,
                        },
                    )
            if locked.status == Job.Status.SUCCEEDED:
                _store_result_file(locked, provider)
            locked.last_polled_at = now
            locked.poll_failures = 0
            locked.next_poll_at = now + dt.timedelta(seconds=settings.JOBS_POLL_INTERVAL_SECONDS)
            locked.save()
        if locked.status in FINAL_STATUSES:
            budget_settle(job=locked)
            logger.info("job ended job_id=%s status=%s", job.id, locked.status)
    except TransientError as exc:
        failures = job.poll_failures + 1
        delay = max(exc.retry_after or 0, min(MAX_BACKOFF_SECONDS, 15 * 2**failures))
        Job.objects.filter(id=job.id).update(
            poll_failures=failures,
            last_polled_at=now,
            next_poll_at=now + dt.timedelta(seconds=delay),
        )
        logger.warning("job poll deferred job_id=%s in=%ss reason=%s", job.id, delay, exc.message)
    except PermanentError as exc:
        # Shown on the job; polling slows down but never marks the job failed by itself.
        Job.objects.filter(id=job.id).update(
            error_code=exc.code[:200],
            error_message=exc.message,
            error_param=exc.param[:200],
            last_polled_at=now,
            next_poll_at=now + dt.timedelta(seconds=MAX_BACKOFF_SECONDS),
        )
        logger.warning("job poll refused job_id=%s code=%s", job.id, exc.code)
