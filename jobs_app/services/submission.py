"""Creating a job once, and submitting it to the provider exactly once.

The row is created first (QUEUED) and the submit task is enqueued on commit.
The task claims the row by compare-and-set; every provider id is stored the
moment it is known, so a later attempt never uploads or creates again. After
an ambiguous create (timeout, 5xx) the next attempt looks for the job by its
metadata before creating. A reaper settles rows left in SUBMITTING by a worker
that died.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from datasets_app.models import DatasetVersion
from datasets_app.services import local_path, version_training_estimate
from ftportal.audit import audit_log
from ftportal.models import Project
from jobs_app.budgets import approval_required, budget_reserve, budget_settle
from jobs_app.models import FINAL_STATUSES, Job, ProjectProvider
from jobs_app.providers import provider_for
from jobs_app.providers.base import JobSpec, PermanentError, ProviderJob, TransientError
from jobs_app.services.state import apply_provider_job

logger = logging.getLogger(__name__)
MAX_SUBMIT_ATTEMPTS = 4
SUBMIT_STUCK_AFTER = dt.timedelta(minutes=10)
METADATA_KEY = "portal_job_id"


def job_estimate(*, version: DatasetVersion, base_model: str, n_epochs: Any) -> dict[str, Any]:
    """Billable tokens and cost (Decimal, for the budget) of training this version."""
    e = version_training_estimate(
        version=version, model=base_model, n_epochs=n_epochs if isinstance(n_epochs, int) else None
    )
    return {
        "n_epochs": e["n_epochs"],
        "billable_tokens": e["billable_tokens"],
        "price_per_1m": None if e["price_per_1m"] is None else Decimal(str(e["price_per_1m"])),
        "cost_usd": None if e["cost_usd"] is None else Decimal(str(e["cost_usd"])),
    }


@transaction.atomic
def job_create(
    *,
    project: Project,
    dataset_version: DatasetVersion,
    base_model: str,
    method: str,
    hyperparameters: dict[str, Any],
    suffix: str,
    seed: int | None,
    user: Any,
    submit_token: str | None = None,
    base_model_shutdown_date: dt.date | None = None,
) -> Job:
    """Create the job row (QUEUED) and enqueue its submission after commit."""
    from jobs_app.tasks import job_submit as job_submit_task

    if submit_token:
        existing = Job.objects.filter(submit_token=submit_token).first()
        if existing is not None:
            return existing  # a double click: the first click's job
    if dataset_version.dataset.project_id != project.id:
        raise ValidationError("This dataset version belongs to another project.")
    if method == Job.Method.DPO and dataset_version.kind != DatasetVersion.Kind.PREFERENCE:
        raise ValidationError("DPO needs a preference dataset version.")
    link = ProjectProvider.objects.select_related("credential").filter(project=project).first()
    if link is None:
        raise ValidationError("This project has no provider yet: an admin must choose one.")
    estimate = job_estimate(
        version=dataset_version, base_model=base_model, n_epochs=hyperparameters.get("n_epochs")
    )
    job = Job(
        project=project,
        dataset_version=dataset_version,
        credential=link.credential,
        base_model=base_model,
        method=method,
        hyperparameters=hyperparameters,
        suffix=suffix,
        seed=seed,
        created_by=user,
        submit_token=submit_token or None,
        estimated_tokens=estimate["billable_tokens"],
        estimated_cost=estimate["cost_usd"],
        base_model_shutdown_date=base_model_shutdown_date,
    )
    if approval_required(project=project, estimated_cost=job.estimated_cost):
        job.status = Job.Status.AWAITING_APPROVAL
    job.full_clean(exclude=["submit_token"])
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        return Job.objects.get(submit_token=submit_token)
    budget_reserve(job=job)  # raises BudgetExceeded: the whole creation rolls back
    audit_log(
        actor=user,
        action="job_submitted",
        target=job,
        project=project,
        data={
            "model": base_model,
            "estimated_cost": str(job.estimated_cost),
            "awaiting_approval": job.status == Job.Status.AWAITING_APPROVAL,
        },
    )
    if job.status == Job.Status.QUEUED:
        transaction.on_commit(lambda: job_submit_task.delay(job.id))
    else:
        from jobs_app.tasks_notifications import notify_approval_needed

        transaction.on_commit(lambda: notify_approval_needed.delay(job.id))
    logger.info("job created job_id=%s project_id=%s model=%s", job.id, project.id, base_model)
    return job


def _spec(job: Job) -> JobSpec:
    return JobSpec(
        model=job.base_model,
        training_file=job.openai_training_file_id,
        validation_file=job.openai_validation_file_id or None,
        method=job.method,
        hyperparameters=dict(job.hyperparameters),
        suffix=job.suffix or None,
        seed=job.seed,
        metadata={METADATA_KEY: str(job.id)},
    )


def _store_created(job: Job, remote: ProviderJob) -> None:
    """Record the provider's job id at once; the row leaves SUBMITTING."""
    now = timezone.now()
    job.openai_job_id = remote.id
    apply_provider_job(job, remote)
    if job.status in (Job.Status.SUBMITTING, Job.Status.QUEUED):
        job.status = Job.Status.SUBMITTED
    Job.objects.filter(id=job.id, status=Job.Status.SUBMITTING).update(
        openai_job_id=remote.id,
        status=job.status,
        provider_status=job.provider_status,
        provider_data=job.provider_data,
        submitted_at=now,
        next_poll_at=now,
        updated_at=now,
        error_code="",
        error_message="",
        error_param="",
    )
    logger.info("job submitted job_id=%s openai_job_id=%s", job.id, remote.id)


def job_submit(*, job_id: int) -> None:
    """Upload the files and create the provider job, exactly once across retries and crashes."""
    now = timezone.now()
    claimed = Job.objects.filter(id=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.SUBMITTING, submit_attempts=F("submit_attempts") + 1, updated_at=now
    )
    if claimed != 1:
        logger.info("job submit skipped, not queued job_id=%s", job_id)
        return
    job = Job.objects.select_related("dataset_version", "credential").get(id=job_id)
    try:
        provider = provider_for(job.credential)
        version = job.dataset_version
        if not job.openai_training_file_id:
            with local_path(version.train_file) as path:
                job.openai_training_file_id = provider.upload_file(path)
            Job.objects.filter(id=job.id).update(
                openai_training_file_id=job.openai_training_file_id
            )
        if version.validation_count and not job.openai_validation_file_id:
            with local_path(version.validation_file) as path:
                job.openai_validation_file_id = provider.upload_file(path)
            Job.objects.filter(id=job.id).update(
                openai_validation_file_id=job.openai_validation_file_id
            )
        remote = None
        if job.submit_attempts > 1:
            # An earlier attempt may have created it before failing to hear back.
            found = provider.find_jobs_by_metadata(METADATA_KEY, str(job.id))
            remote = found[0] if found else None
        if remote is None:
            remote = provider.create_job(_spec(job))
        _store_created(job, remote)
    except TransientError as exc:
        _requeue_or_fail(job, exc)
    except PermanentError as exc:
        job_mark_failed(
            job_id=job.id, code=exc.code or "provider_error", message=exc.message, param=exc.param
        )


def _requeue_or_fail(job: Job, exc: TransientError) -> None:
    from jobs_app.tasks import job_submit as job_submit_task

    if job.submit_attempts >= MAX_SUBMIT_ATTEMPTS:
        job_mark_failed(
            job_id=job.id,
            code=exc.code or "provider_unavailable",
            message=f"The provider did not accept the job after {job.submit_attempts} "
            f"attempts: {exc.message}",
        )
        return
    delay = exc.retry_after or min(600, 15 * 2**job.submit_attempts)
    requeued = Job.objects.filter(id=job.id, status=Job.Status.SUBMITTING).update(
        status=Job.Status.QUEUED, updated_at=timezone.now(), error_message=exc.message
    )
    if requeued:
        logger.warning("job submit retry job_id=%s in=%ss reason=%s", job.id, delay, exc.message)
        transaction.on_commit(lambda: job_submit_task.apply_async((job.id,), countdown=delay))


def job_mark_failed(*, job_id: int, code: str, message: str, param: str = "") -> None:
    """Fail a job that has not ended; a final job stays as it is."""
    updated = (
        Job.objects.filter(id=job_id)
        .exclude(status__in=FINAL_STATUSES)
        .update(
            status=Job.Status.FAILED,
            error_code=code[:200],
            error_message=message,
            error_param=param[:200],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    )
    if updated:
        logger.warning("job failed job_id=%s code=%s", job_id, code)
        budget_settle(job=Job.objects.get(id=job_id))


def jobs_reap_stuck_submitting() -> int:
    """Settle jobs a dead worker left in SUBMITTING: adopt, retry once more, or fail."""
    from jobs_app.tasks import job_submit as job_submit_task

    cutoff = timezone.now() - SUBMIT_STUCK_AFTER
    settled = 0
    for job in Job.objects.filter(status=Job.Status.SUBMITTING, updated_at__lt=cutoff):
        try:
            remote = None
            if job.openai_job_id:
                remote = provider_for(job.credential).retrieve_job(job.openai_job_id)
            else:
                found = provider_for(job.credential).find_jobs_by_metadata(
                    METADATA_KEY, str(job.id)
                )
                remote = found[0] if found else None
        except TransientError:
            continue  # the next round tries again
        except PermanentError as exc:
            job_mark_failed(job_id=job.id, code=exc.code or "provider_error", message=exc.message)
            continue
        if remote is not None:
            _store_created(job, remote)
        elif job.submit_attempts < MAX_SUBMIT_ATTEMPTS:
            if Job.objects.filter(id=job.id, status=Job.Status.SUBMITTING).update(
                status=Job.Status.QUEUED, updated_at=timezone.now()
            ):
                job_submit_task.delay(job.id)
        else:
            job_mark_failed(
                job_id=job.id,
                code="submit_lost",
                message="The submission was interrupted and could not be completed.",
            )
        settled += 1
    return settled


def _provider_action(job: Job, action: str) -> Job:
    provider = provider_for(job.credential)
    remote = getattr(provider, f"{action}_job")(job.openai_job_id)
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(id=job.id)
        apply_provider_job(locked, remote)
        locked.next_poll_at = timezone.now()
        locked.save()
        if locked.is_final:
            budget_settle(job=locked)
    return locked


@transaction.atomic
def job_approve(*, job: Job, user: Any, comment: str = "") -> Job:
    """A team lead or admin other than the submitter lets a job over the threshold go."""
    from jobs_app.tasks import job_submit as job_submit_task

    if user.id == job.created_by_id:
        raise ValidationError("You cannot approve your own job: another team lead must.")
    if not Job.objects.filter(id=job.id, status=Job.Status.AWAITING_APPROVAL).update(
        status=Job.Status.QUEUED, approval_comment=comment, approved_by=user
    ):
        raise ValidationError("This job is not waiting for approval.")
    transaction.on_commit(lambda: job_submit_task.delay(job.id))
    logger.info("job approved job_id=%s by user_id=%s", job.id, user.id)
    audit_log(
        actor=user,
        action="job_approved",
        target=job,
        project=job.project,
        data={"comment": comment},
    )
    job.refresh_from_db()
    return job


@transaction.atomic
def job_reject(*, job: Job, user: Any, comment: str = "") -> Job:
    """Refuse a job waiting for approval; its reservation is released."""
    if not Job.objects.filter(id=job.id, status=Job.Status.AWAITING_APPROVAL).update(
        status=Job.Status.REJECTED,
        approval_comment=comment,
        approved_by=user,
        finished_at=timezone.now(),
    ):
        raise ValidationError("This job is not waiting for approval.")
    job.refresh_from_db()
    budget_settle(job=job)
    logger.info("job rejected job_id=%s by user_id=%s", job.id, user.id)
    audit_log(
        actor=user,
        action="job_rejected",
        target=job,
        project=job.project,
        data={"comment": comment},
    )
    return job


def job_cancel(*, job: Job) -> Job:
    """Cancel: locally while nothing reached the provider, else at the provider."""
    if job.is_final:
        return job
    audit_log(action="job_cancelled", target=job, project=job.project)
    if not job.openai_job_id:
        Job.objects.filter(
            id=job.id, status__in=(Job.Status.QUEUED, Job.Status.AWAITING_APPROVAL)
        ).update(status=Job.Status.CANCELLED, finished_at=timezone.now())
        job.refresh_from_db()
        budget_settle(job=job)
        return job
    return _provider_action(job, "cancel")


def job_pause(*, job: Job) -> Job:
    return _provider_action(job, "pause")


def job_resume(*, job: Job) -> Job:
    return _provider_action(job, "resume")
