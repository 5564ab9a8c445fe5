from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.http import Http404

from datasets_app.models import Dataset, DatasetVersion
from ftportal.roles import is_admin


def datasets_for_user(*, user: User, project_id: int | None = None) -> QuerySet[Dataset]:
    qs = Dataset.objects.select_related("project")
    if not is_admin(user):
        qs = qs.filter(project__members=user)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return qs.annotate(version_count=Count("versions", distinct=True)).order_by("-created_at")


def dataset_get_for_user(*, user: User, dataset_id: int) -> Dataset:
    """The dataset, or 404 when it does not exist or its project is not the user's."""
    qs = Dataset.objects.select_related("project")
    if not is_admin(user):
        qs = qs.filter(project__members=user)
    try:
        return qs.get(id=dataset_id)
    except Dataset.DoesNotExist:
        raise Http404("No such dataset") from None


def version_get_for_user(*, user: User, dataset_id: int, number: int) -> DatasetVersion:
    dataset = dataset_get_for_user(user=user, dataset_id=dataset_id)
    try:
        return dataset.versions.select_related("dataset__project", "run").get(number=number)
    except DatasetVersion.DoesNotExist:
        raise Http404("No such version") from None
