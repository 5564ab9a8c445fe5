from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ftportal.lib.http import AuthedHtmxRequest
from jobs_app import credentials as services
from jobs_app.forms_credentials import CredentialForm, ProjectCredentialForm, RotateForm
from jobs_app.models import ProviderCredential

NAV = {"nav_section": "admin"}
ADMIN = "ftportal.manage_providers"


def _get(credential_id: int) -> ProviderCredential:
    try:
        return ProviderCredential.objects.get(id=credential_id)
    except ProviderCredential.DoesNotExist:
        raise Http404("No such credential") from None


@login_required
@permission_required(ADMIN, raise_exception=True)
@require_GET
def credential_list(request: AuthedHtmxRequest) -> HttpResponse:
    rows = ProviderCredential.objects.prefetch_related("projects__project").order_by("name")
    return render(request, "jobs_app/credential_list.html", {"credentials": rows, **NAV})


@login_required
@permission_required(ADMIN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def credential_create(request: AuthedHtmxRequest) -> HttpResponse:
    form = CredentialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        credential = services.credential_create(**form.cleaned_data, user=request.user)
        messages.success(request, f"Credential “{credential.name}” saved.")
        return redirect("jobs_app:credential-edit", credential.id)
    return render(
        request, "jobs_app/credential_form.html", {"form": form, "credential": None, **NAV}
    )


@login_required
@permission_required(ADMIN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def credential_edit(request: AuthedHtmxRequest, credential_id: int) -> HttpResponse:
    credential = _get(credential_id)
    initial = {
        f: getattr(credential, f)
        for f in ("name", "base_url", "organization", "openai_project", "api_version")
    }
    form = CredentialForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        services.credential_update(credential=credential, **form.cleaned_data)
        messages.success(request, "Saved.")
        return redirect("jobs_app:credential-edit", credential.id)
    ctx = {
        "form": form,
        "credential": credential,
        "rotate_form": RotateForm(),
        "project_form": ProjectCredentialForm(),
        **NAV,
    }
    return render(request, "jobs_app/credential_form.html", ctx)


@login_required
@permission_required(ADMIN, raise_exception=True)
@require_POST
def credential_rotate(request: AuthedHtmxRequest, credential_id: int) -> HttpResponse:
    credential = _get(credential_id)
    form = RotateForm(request.POST)
    if form.is_valid():
        services.credential_rotate_secret(credential=credential, secret=form.cleaned_data["secret"])
        messages.success(request, f"New key saved (ending in {credential.secret_last4}).")
    return redirect("jobs_app:credential-edit", credential.id)


@login_required
@permission_required(ADMIN, raise_exception=True)
@require_POST
def credential_test(request: AuthedHtmxRequest, credential_id: int) -> HttpResponse:
    credential = _get(credential_id)
    models, error = services.credential_test(credential=credential)
    ctx = {"credential": credential, "models": models, "error": error, "tested": True, **NAV}
    if request.htmx:
        return render(request, "jobs_app/credential_form.html#credential-test", ctx)
    if error:
        messages.error(request, f"The provider answered: {error}")
    else:
        messages.success(request, f"Connected: {len(models)} fine-tunable model(s).")
    return redirect("jobs_app:credential-edit", credential.id)


@login_required
@permission_required(ADMIN, raise_exception=True)
@require_POST
def credential_delete(request: AuthedHtmxRequest, credential_id: int) -> HttpResponse:
    credential = _get(credential_id)
    try:
        services.credential_delete(credential=credential)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("jobs_app:credential-edit", credential.id)
    messages.success(request, "Credential deleted.")
    return redirect("jobs_app:credential-list")


@login_required
@permission_required(ADMIN, raise_exception=True)
@require_POST
def credential_assign(request: AuthedHtmxRequest, credential_id: int) -> HttpResponse:
    credential = _get(credential_id)
    form = ProjectCredentialForm(request.POST)
    if form.is_valid():
        services.project_set_credential(project=form.cleaned_data["project"], credential=credential)
        messages.success(
            request, f"{form.cleaned_data['project'].name} now uses {credential.name}."
        )
    return redirect("jobs_app:credential-edit", credential.id)
