from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from ftportal.roles import is_admin
from jobs_app.models import Job


def jobs_for_user(*, user: User, project_id: int | None = None) -> QuerySet[Job]:
    qs = Job.objects.select_related("project", "dataset_version__dataset")
    if not is_admin(user):
        qs = qs.filter(project__members=user)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return qs.order_by("-created_at")


def job_get_for_user(*, user: User, job_id: int) -> Job:
    """The job, or 404 when it does not exist or its project is not the user's."""
    qs = Job.objects.select_related("project", "dataset_version__dataset", "credential")
    if not is_admin(user):
        qs = qs.filter(project__members=user)
    try:
        return qs.get(id=job_id)
    except Job.DoesNotExist:
        raise Http404("No such job") from None


LIVE_EVENTS = 100


def job_live_context(*, job: Job) -> dict[str, object]:
    """What the live part of the job page shows; a fixed number of queries, however many
    events the job has."""
    from jobs_app.charts import Series, line_chart

    events = list(job.events.order_by("-created_at", "-id")[:LIVE_EVENTS])
    metrics = list(
        job.metrics.order_by("step").values_list(
            "step", "train_loss", "valid_loss", "train_accuracy", "valid_mean_token_accuracy"
        )
    )

    def series(label: str, css: str, index: int) -> Series:
        return Series(label, css, [(m[0], m[index]) for m in metrics if m[index] is not None])

    progress = None
    if job.total_steps and job.current_step is not None:
        progress = round(100 * job.current_step / job.total_steps)
    return {
        "job": job,
        "events": events,
        "event_count": job.events.count(),
        "loss_chart": line_chart(
            "Loss", [series("training", "train", 1), series("validation", "valid", 2)]
        ),
        "accuracy_chart": line_chart(
            "Token accuracy", [series("training", "train", 3), series("validation", "valid", 4)]
        ),
        "progress": progress,
        "failure_help": failure_help(job),
    }


FAILURE_HELP = {
    "invalid_training_file": "The training file was refused. Open the dataset version's problems "
    "and statistics, fix the data, make a new version and start a new job.",
    "invalid_file_format": "The training file was refused. Re-process the dataset and try again.",
    "insufficient_quota": "The provider account has no credit left. Ask an admin to add credit "
    "or raise the quota, then start the job again.",
    "rate_limit_exceeded": "The provider is busy. The portal retries by itself; nothing to do.",
    "content_policy_violation": "The provider's safety checks refused the data. Remove the "
    "examples it names, or ask the provider to review.",
    "invalid_api_key": "The provider key is wrong or was revoked. Ask an admin to update it.",
}


def failure_help(job: Job) -> str:
    code = job.error_code
    if not code:
        return ""
    if code in FAILURE_HELP:
        return FAILURE_HELP[code]
    if "policy" in code or "moderation" in code:
        return FAILURE_HELP["content_policy_violation"]
    if "quota" in code:
        return FAILURE_HELP["insufficient_quota"]
    return "Read the provider's message above; if it is not clear, an admin can check the logs."
