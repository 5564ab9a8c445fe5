from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, DecimalField, F, Sum, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ftportal.audit import audit_log
from ftportal.lib.crypto import encrypt_secret
from ftportal.lib.http import AuthedHtmxRequest
from ftportal.models import Organization
from ftportal.selectors import project_get_for_user, projects_for_user
from jobs_app.budgets import month_start
from jobs_app.models import ProjectBudget, SpendEntry

AMOUNT = Case(
    When(state=SpendEntry.State.SETTLED, then=F("actual_usd")),
    default=F("reserved_usd"),
    output_field=DecimalField(),
)


class BudgetForm(forms.ModelForm):
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Signs each webhook (X-Portal-Signature: sha256=HMAC); empty keeps the old one.",
    )

    class Meta:
        model = ProjectBudget
        fields = (
            "monthly_budget_usd",
            "max_cost_per_job_usd",
            "max_epochs",
            "max_tokens_per_job",
            "approval_threshold_usd",
            "webhook_url",
        )
        labels = {
            "monthly_budget_usd": "Monthly budget (USD)",
            "max_cost_per_job_usd": "Maximum cost per job (USD)",
            "max_epochs": "Maximum epochs per job",
        }


class OrgCapForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ("monthly_cap_usd", "time_zone")


@login_required
@permission_required("ftportal.view_dashboard", raise_exception=True)
@require_GET
def spend(request: AuthedHtmxRequest) -> HttpResponse:
    month = month_start()
    projects = list(projects_for_user(user=request.user).select_related("budget"))
    entries = SpendEntry.objects.filter(project__in=projects)
    this_month = entries.filter(month=month)
    per_project = {
        row["project"]: row
        for row in this_month.values("project").annotate(
            actual=Sum(Case(When(state=SpendEntry.State.SETTLED, then=F("actual_usd")))),
            reserved=Sum(Case(When(state=SpendEntry.State.RESERVED, then=F("reserved_usd")))),
        )
    }
    rows = []
    for project in projects:
        totals = per_project.get(project.id, {})
        actual = totals.get("actual") or Decimal(0)
        reserved = totals.get("reserved") or Decimal(0)
        budget = getattr(getattr(project, "budget", None), "monthly_budget_usd", None)
        rows.append(
            {
                "project": project,
                "actual": actual,
                "reserved": reserved,
                "used": actual + reserved,
                "budget": budget,
            }
        )
    by_month = list(entries.values("month").annotate(total=Sum(AMOUNT)).order_by("month"))[-12:]
    top = max((m["total"] for m in by_month), default=Decimal(1)) or Decimal(1)
    ctx = {
        "month": month,
        "rows": rows,
        "by_month": by_month,
        "top": top,
        "jobs": this_month.select_related("job", "project").order_by("-created_at")[:200],
        "org": Organization.get_solo(),
        "nav_section": "dashboard",
    }
    return render(request, "jobs_app/spend.html", ctx)


@login_required
@permission_required("ftportal.manage_budgets", raise_exception=True)
@require_http_methods(["GET", "POST"])
def budgets(request: AuthedHtmxRequest) -> HttpResponse:
    org = Organization.get_solo()
    form = OrgCapForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit_log(
            action="organisation_budget_changed",
            target=org,
            data={k: str(v) for k, v in form.cleaned_data.items()},
        )
        messages.success(request, "Organisation settings saved.")
        return redirect("jobs_app:budgets")
    projects = projects_for_user(user=request.user).select_related("budget")
    return render(
        request,
        "jobs_app/budgets.html",
        {"form": form, "projects": projects, "nav_section": "admin"},
    )


@login_required
@permission_required("ftportal.manage_budgets", raise_exception=True)
@require_http_methods(["GET", "POST"])
def project_budget(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, slug=slug)
    budget, _ = ProjectBudget.objects.get_or_create(project=project)
    form = BudgetForm(request.POST or None, instance=budget)
    if request.method == "POST" and form.is_valid():
        budget = form.save(commit=False)
        if form.cleaned_data["webhook_secret"]:
            budget.webhook_secret_encrypted = encrypt_secret(form.cleaned_data["webhook_secret"])
        budget.save()
        audit_log(
            action="budget_changed",
            target=budget,
            project=project,
            data={k: str(v) for k, v in form.cleaned_data.items()},
        )
        messages.success(request, f"Budget of {project.name} saved.")
        return redirect("jobs_app:budgets")
    return render(
        request,
        "jobs_app/budget_form.html",
        {"form": form, "project": project, "nav_section": "admin"},
    )
