from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from ftportal.lib.http import AuthedHtmxRequest
from ftportal.selectors import project_get_for_user, projects_for_user
from jobs_app import services
from jobs_app.budgets import BudgetExceeded, budget_check
from jobs_app.forms import JobForm
from jobs_app.models import ACTIVE_STATUSES, ProjectProvider
from jobs_app.providers import ProviderError, provider_for
from jobs_app.selectors import job_get_for_user, job_live_context, jobs_for_user

NAV = {"nav_section": "jobs"}
OPENAI_SELF_SERVE_END = "2027-01-06"


@login_required
@require_GET
def job_list(request: AuthedHtmxRequest) -> HttpResponse:
    ctx = {"jobs": jobs_for_user(user=request.user)[:200], "project": None, **NAV}
    return render(request, "jobs_app/job_list.html", ctx)


@login_required
@require_GET
def project_jobs(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    jobs = jobs_for_user(user=request.user, project_id=project.id)[:200]
    return render(request, "jobs_app/job_list.html", {"jobs": jobs, "project": project, **NAV})


def _models_for(project) -> tuple[list, str]:  # noqa: ANN001
    """The provider's models, cached briefly; an error in plain words instead of a crash."""
    link = ProjectProvider.objects.select_related("credential").filter(project=project).first()
    if link is None:
        return [], "This project has no provider yet: an admin must choose one."
    key = f"provider-models:{link.credential_id}:{link.credential.updated_at.timestamp()}"
    models = cache.get(key)
    if models is None:
        try:
            models = provider_for(link.credential).list_models()
        except ProviderError as exc:
            return [], f"The provider's model list is unavailable: {exc.message}"
        cache.set(key, models, 300)
    return models, ""


@login_required
@permission_required("ftportal.manage_jobs", raise_exception=True)
@require_http_methods(["GET", "POST"])
def job_create(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    models, model_error = _models_for(project)
    form = JobForm(
        request.POST or None,
        project=project,
        models=models,
        initial={"dataset_version": request.GET.get("version")},
    )
    estimate = None
    if form.is_bound and form.is_valid():
        kwargs = form.service_kwargs()
        estimate = services.job_estimate(
            version=kwargs["dataset_version"],
            base_model=kwargs["base_model"],
            n_epochs=kwargs["hyperparameters"]["n_epochs"],
        )
        if not request.htmx:
            try:
                shutdown = {m.id: m.shutdown_date for m in models}.get(kwargs["base_model"])
                job = services.job_create(
                    project=project, user=request.user, base_model_shutdown_date=shutdown, **kwargs
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except BudgetExceeded as exc:
                form.add_error(None, exc.message)
            else:
                if job.status == job.Status.AWAITING_APPROVAL:
                    messages.info(request, f"Job #{job.id} waits for a team lead's approval.")
                else:
                    messages.success(request, f"Job #{job.id} queued: it is being submitted.")
                return redirect(job)
    ctx = {
        "project": project,
        "budget": budget_check(project=project),
        "form": form,
        "model_error": model_error,
        "estimate": estimate,
        "shutdowns": {m.id: m.shutdown_date for m in models if m.shutdown_date},
        "self_serve_end": OPENAI_SELF_SERVE_END,
        **NAV,
    }
    template = "jobs_app/job_form.html"
    if request.htmx:
        template += "#job-estimate"
    return render(request, template, ctx)


@login_required
@require_GET
def job_detail(request: AuthedHtmxRequest, job_id: int) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    ctx = {**job_live_context(job=job), "self_serve_end": OPENAI_SELF_SERVE_END, **NAV}
    ctx["checkpoints"] = job.checkpoints.all()
    if request.htmx:
        response = render(request, "jobs_app/job_detail.html#job-live", ctx)
        if job.is_final:
            # The final fragment carries no hx-trigger; 286 also stops htmx 2.
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "jobs_app/job_detail.html", ctx)


@login_required
@permission_required("ftportal.manage_jobs", raise_exception=True)
@require_POST
def job_action(request: AuthedHtmxRequest, job_id: int, action: str) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    if action in ("approve", "reject"):
        review = services.job_approve if action == "approve" else services.job_reject
        try:
            review(job=job, user=request.user, comment=request.POST.get("comment", "")[:2000])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Job {action}d.")
        return redirect(job)
    service = {
        "cancel": services.job_cancel,
        "pause": services.job_pause,
        "resume": services.job_resume,
    }.get(action)
    if service is None:
        return HttpResponse(status=404)
    try:
        service(job=job)
    except ProviderError as exc:
        messages.error(request, f"The provider refused to {action} the job: {exc.message}")
    else:
        messages.success(request, f"{action.capitalize()} requested.")
    return redirect(job)


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
