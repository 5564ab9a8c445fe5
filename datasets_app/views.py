from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from datasets_app.selectors import (
    dataset_get_for_user,
    datasets_for_user,
    version_get_for_user,
)
from ftportal.lib.http import AuthedHtmxRequest
from ftportal.selectors import project_get_for_user


@login_required
@require_GET
def dataset_list(request: AuthedHtmxRequest) -> HttpResponse:
    datasets = datasets_for_user(user=request.user)
    ctx = {"datasets": datasets, "project": None, "nav_section": "datasets"}
    return render(request, "datasets_app/dataset_list.html", ctx)


@login_required
@require_GET
def project_datasets(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    datasets = datasets_for_user(user=request.user, project_id=project.id)
    ctx = {"datasets": datasets, "project": project, "nav_section": "datasets"}
    return render(request, "datasets_app/dataset_list.html", ctx)


@login_required
@require_GET
def dataset_detail(request: AuthedHtmxRequest, dataset_id: int) -> HttpResponse:
    dataset = dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    ctx = {
        "dataset": dataset,
        "versions": dataset.versions.all(),
        "runs": dataset.runs.select_related("source_file")[:20],
        "nav_section": "datasets",
    }
    return render(request, "datasets_app/dataset_detail.html", ctx)


@login_required
@require_GET
def version_detail(request: AuthedHtmxRequest, dataset_id: int, number: int) -> HttpResponse:
    version = version_get_for_user(user=request.user, dataset_id=dataset_id, number=number)
    ctx = {"version": version, "dataset": version.dataset, "nav_section": "datasets"}
    return render(request, "datasets_app/version_detail.html", ctx)
