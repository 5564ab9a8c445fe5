from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ftportal.lib.http import AuthedHtmxRequest
from ftportal.selectors import project_get_for_user, projects_for_user
from jobs_app.models import ACTIVE_STATUSES
from jobs_app.selectors import job_get_for_user, jobs_for_user


@login_required
@require_GET
def job_list(request: AuthedHtmxRequest) -> HttpResponse:
    ctx = {"jobs": jobs_for_user(user=request.user)[:200], "project": None, "nav_section": "jobs"}
    return render(request, "jobs_app/job_list.html", ctx)


@login_required
@require_GET
def project_jobs(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    jobs = jobs_for_user(user=request.user, project_id=project.id)[:200]
    ctx = {"jobs": jobs, "project": project, "nav_section": "jobs"}
    return render(request, "jobs_app/job_list.html", ctx)


@login_required
@require_GET
def job_detail(request: AuthedHtmxRequest, job_id: int) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    return render(request, "jobs_app/job_detail.html", {"job": job, "nav_section": "jobs"})


@login_required
@permission_required("ftportal.view_dashboard", raise_exception=True)
@require_GET
def dashboard(request: AuthedHtmxRequest) -> HttpResponse:
    jobs = jobs_for_user(user=request.user)
    ctx = {
        "projects": projects_for_user(user=request.user),
        "active_jobs": jobs.filter(status__in=ACTIVE_STATUSES)[:50],
        "recent_jobs": jobs[:10],
        "nav_section": "dashboard",
    }
    return render(request, "jobs_app/dashboard.html", ctx)


@login_required
@permission_required("ftportal.manage_users", raise_exception=True)
@require_GET
def admin_home(request: AuthedHtmxRequest) -> HttpResponse:
    return render(request, "jobs_app/admin_home.html", {"nav_section": "admin"})
