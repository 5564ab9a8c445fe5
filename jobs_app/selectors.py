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
