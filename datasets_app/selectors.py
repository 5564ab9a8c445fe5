from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from datasets_app.models import Dataset, DatasetVersion, IngestionRun, Problem, SourceFile
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


def run_get_for_user(*, user: User, dataset_id: int, run_id: int) -> IngestionRun:
    dataset = dataset_get_for_user(user=user, dataset_id=dataset_id)
    try:
        return dataset.runs.select_related("dataset__project", "source_file").get(id=run_id)
    except IngestionRun.DoesNotExist:
        raise Http404("No such run") from None


def source_get_for_user(*, user: User, dataset_id: int, source_id: int) -> SourceFile:
    dataset = dataset_get_for_user(user=user, dataset_id=dataset_id)
    try:
        return dataset.source_files.select_related("dataset__project").get(id=source_id)
    except SourceFile.DoesNotExist:
        raise Http404("No such file") from None


def run_problems(
    *, run: IngestionRun, code: str = "", severity: str = "", column: str = ""
) -> QuerySet[Problem]:
    qs = run.problems.all()
    if code:
        qs = qs.filter(code=code)
    if severity:
        qs = qs.filter(severity=severity)
    if column:
        qs = qs.filter(column=column)
    return qs.order_by("id")


def problem_summary(*, run: IngestionRun) -> list[dict[str, object]]:
    """One line per problem kind: code, severity, how many, how many dropped."""
    return list(
        run.problems.values("code", "severity")
        .annotate(count=Count("id"), dropped=Count("id", filter=Q(dropped=True)))
        .order_by("severity", "-count")
    )


def version_examples(*, version: DatasetVersion, split: str = "", query: str = "") -> QuerySet:
    qs = version.examples.all()
    if split:
        qs = qs.filter(split=split)
    if query:
        qs = qs.filter(prompt_text__icontains=query)
    return qs.order_by("split", "position")
