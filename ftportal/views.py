from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ftportal import health, services
from ftportal.forms import ProjectForm
from ftportal.lib.http import AuthedHtmxRequest
from ftportal.models import UserSettings
from ftportal.selectors import project_get_for_user, projects_for_user


@require_GET
def home(request: AuthedHtmxRequest) -> HttpResponse:
    return redirect("ftportal:project-list")


@never_cache
@require_GET
def healthz(request: AuthedHtmxRequest) -> JsonResponse:
    report = health.check_all()
    status = 200 if all(ok for ok, _ in report.values()) else 503
    body = {name: ("ok" if ok else detail) for name, (ok, detail) in report.items()}
    return JsonResponse({"status": "ok" if status == 200 else "unavailable", **body}, status=status)


@login_required
@require_GET
def project_list(request: AuthedHtmxRequest) -> HttpResponse:
    projects = projects_for_user(user=request.user)
    return render(
        request, "ftportal/project_list.html", {"projects": projects, "nav_section": "projects"}
    )


@login_required
@require_GET
def project_detail(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    ctx = {
        "project": project,
        "members": project.members.order_by("username"),
        "nav_section": "projects",
    }
    return render(request, "ftportal/project_detail.html", ctx)


@login_required
@permission_required("ftportal.manage_projects", raise_exception=True)
@require_http_methods(["GET", "POST"])
def project_create(request: AuthedHtmxRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None, initial={"members": [request.user]})
    if request.method == "POST" and form.is_valid():
        project = services.project_create(**form.cleaned_data, created_by=request.user)
        messages.success(request, f"Project “{project.name}” created.")
        return redirect(project)
    return render(request, "ftportal/project_form.html", {"form": form, "project": None})


@login_required
@permission_required("ftportal.manage_projects", raise_exception=True)
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    initial = {
        "name": project.name,
        "slug": project.slug,
        "use_case": project.use_case,
        "description": project.description,
        "default_system_prompt": project.default_system_prompt,
        "members": list(project.members.all()),
    }
    form = ProjectForm(request.POST or None, initial=initial, instance=project)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "slug"}
        services.project_update(project=project, **data)
        messages.success(request, "Project saved.")
        return redirect(project)
    return render(request, "ftportal/project_form.html", {"form": form, "project": project})


class RateLimitedLoginView(auth_views.LoginView):
    """Django's login, refusing for a while after too many failures per username or address."""

    throttled = False

    def post(self, request, *args, **kwargs):  # noqa: ANN001, ANN201
        keys = login_throttle_keys(request)
        if any(cache.get(k, 0) >= settings.LOGIN_MAX_FAILURES for k in keys):
            self.throttled = True
            form = self.get_form()
            form.add_error(
                None,
                "Too many failed attempts: wait 15 minutes and try again, "
                "or ask an admin to reset your password.",
            )
            return self.form_invalid(form)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):  # noqa: ANN001, ANN201
        if self.request.method == "POST" and not self.throttled:
            for key in login_throttle_keys(self.request):
                cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
                cache.incr(key)
        return super().form_invalid(form)

    def form_valid(self, form):  # noqa: ANN001, ANN201
        cache.delete_many(login_throttle_keys(self.request))
        return super().form_valid(form)


def login_throttle_keys(request) -> list[str]:  # noqa: ANN001
    username = (request.POST.get("username") or "").strip().lower()[:150]
    address = request.META.get("REMOTE_ADDR", "")
    return [f"login-fail:user:{username}", f"login-fail:ip:{address}"]


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: AuthedHtmxRequest) -> HttpResponse:
    row, _ = UserSettings.objects.get_or_create(user=request.user)
    if request.method == "POST":
        row.email_notifications = request.POST.get("email_notifications") == "on"
        row.save(update_fields=["email_notifications"])
        messages.success(request, "Saved.")
        return redirect("notification-settings")
    return render(request, "ftportal/notification_settings.html", {"row": row})
