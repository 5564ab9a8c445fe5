from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ftportal import users as services
from ftportal.lib.csv_safe import csv_download
from ftportal.lib.http import AuthedHtmxRequest
from ftportal.models import AuditEntry, Project
from ftportal.roles import Role, role_of

NAV = {"nav_section": "admin"}


class UserForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices)
    projects = forms.ModelMultipleChoiceField(
        queryset=Project.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    password = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        help_text="Leave empty to email an invitation instead.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            for name in ("username", "email", "first_name", "last_name", "password"):
                del self.fields[name]
        else:
            del self.fields["is_active"]

    def clean_username(self) -> str:
        name = self.cleaned_data["username"]
        if User.objects.filter(username=name).exists():
            raise forms.ValidationError("This username is taken.")
        return name


@login_required
@permission_required("ftportal.manage_users", raise_exception=True)
@require_GET
def user_list(request: AuthedHtmxRequest) -> HttpResponse:
    rows = [
        (u, role_of(u))
        for u in User.objects.prefetch_related("groups", "projects").order_by("username")
    ]
    labels = dict(Role.choices)
    return render(
        request,
        "ftportal/manage_users.html",
        {"rows": [(u, labels.get(r, "No role")) for u, r in rows], **NAV},
    )


@login_required
@permission_required("ftportal.manage_users", raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_create(request: AuthedHtmxRequest) -> HttpResponse:
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                projects=list(data["projects"]),
                password=data["password"] or None,
                actor=request.user,
                site_url=settings.SITE_URL,
            )
        except ValidationError as exc:
            form.add_error("password" if data["password"] else None, exc)
        else:
            messages.success(
                request,
                f"User {user.username} created"
                + ("." if data["password"] else "; an invitation was emailed."),
            )
            return redirect("ftportal:user-list")
    return render(request, "ftportal/manage_user_form.html", {"form": form, "subject": None, **NAV})


@login_required
@permission_required("ftportal.manage_users", raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_edit(request: AuthedHtmxRequest, user_id: int) -> HttpResponse:
    subject = get_object_or_404(User, id=user_id)
    initial = {
        "role": role_of(subject),
        "projects": list(subject.projects.all()),
        "is_active": subject.is_active,
    }
    form = UserForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                user=subject,
                role=data["role"],
                projects=list(data["projects"]),
                is_active=data["is_active"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{subject.username} saved.")
            return redirect("ftportal:user-list")
    ctx = {"form": form, "subject": subject, **NAV}
    return render(request, "ftportal/manage_user_form.html", ctx)


def _audit_entries(request: AuthedHtmxRequest):  # noqa: ANN202
    f = request.GET
    qs = AuditEntry.objects.select_related("project")
    if f.get("actor"):
        qs = qs.filter(actor_label=f["actor"])
    if f.get("action"):
        qs = qs.filter(action=f["action"])
    if f.get("project"):
        qs = qs.filter(project__slug=f["project"])
    for key, lookup in (("since", "created_at__date__gte"), ("until", "created_at__date__lte")):
        try:
            if f.get(key):
                qs = qs.filter(**{lookup: dt.date.fromisoformat(f[key])})
        except ValueError:
            pass
    return qs


@login_required
@permission_required("ftportal.view_audit", raise_exception=True)
@require_GET
def audit(request: AuthedHtmxRequest) -> HttpResponse:
    page = Paginator(_audit_entries(request), 100).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "filters": request.GET,
        "actions": AuditEntry.objects.values_list("action", flat=True)
        .distinct()
        .order_by("action"),
        "projects": Project.objects.order_by("name"),
        **NAV,
    }
    return render(request, "ftportal/manage_audit.html", ctx)


@login_required
@permission_required("ftportal.view_audit", raise_exception=True)
@require_GET
def audit_csv(request: AuthedHtmxRequest) -> StreamingHttpResponse:
    rows = (
        (
            e.created_at.isoformat(),
            e.actor_label,
            e.action,
            f"{e.target_type} {e.target_label}".strip(),
            e.project.slug if e.project else "",
            e.ip or "",
            e.data,
        )
        for e in _audit_entries(request).iterator(chunk_size=2000)
    )
    header = ["time", "person", "action", "target", "project", "address", "data"]
    return csv_download(header, rows, "audit.csv")
