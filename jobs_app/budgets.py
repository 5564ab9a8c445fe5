"""Budgets and the spend ledger: reservations that can never together pass a limit.

A submission locks the organisation row, then the project row (always in that
order, so two submissions cannot deadlock), sums the month's ledger and either
refuses with the numbers or writes its reservation, all in one transaction. A
job that ends replaces its reservation with what it actually cost.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, F, Sum, When
from django.utils import timezone

from datasets_app.pipeline.prices import model_terms
from ftportal.models import Organization, Project
from jobs_app.models import Job, ProjectBudget, SpendEntry

logger = logging.getLogger(__name__)
ZERO = Decimal("0")


class BudgetExceeded(Exception):
    """A limit would be passed; the message names it and shows the numbers."""

    def __init__(
        self,
        limit_name: str,
        *,
        estimate: Decimal,
        spent: Decimal,
        reserved: Decimal,
        limit: Decimal,
        unit: str = "USD",
    ) -> None:
        self.limit_name, self.estimate, self.spent = limit_name, estimate, spent
        self.reserved, self.limit, self.unit = reserved, limit, unit
        if unit == "USD":
            message = (
                f"This job would exceed the {limit_name}: estimate ${estimate:,.2f}, spent "
                f"this month ${spent:,.2f}, reserved by running jobs ${reserved:,.2f}, "
                f"limit ${limit:,.2f}."
            )
        else:
            message = f"This job exceeds the {limit_name}: {estimate:,} {unit}, limit {limit:,}."
        super().__init__(message)
        self.message = message


@dataclass
class BudgetPreview:
    spent: Decimal
    reserved: Decimal
    monthly_budget: Decimal | None
    left: Decimal | None


def month_start(at: dt.datetime | None = None, org: Organization | None = None) -> dt.date:
    """The first day of the month in the organisation's time zone."""
    org = org or Organization.get_solo()
    local = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(org.time_zone))
    return local.date().replace(day=1)


def _month_totals(month: dt.date, project: Project | None = None) -> tuple[Decimal, Decimal]:
    qs = SpendEntry.objects.filter(month=month)
    if project is not None:
        qs = qs.filter(project=project)
    totals = qs.aggregate(
        spent=Sum(Case(When(state=SpendEntry.State.SETTLED, then=F("actual_usd")))),
        reserved=Sum(Case(When(state=SpendEntry.State.RESERVED, then=F("reserved_usd")))),
    )
    return totals["spent"] or ZERO, totals["reserved"] or ZERO


def budget_check(*, project: Project) -> BudgetPreview:
    """What is spent and left this month, for the job form."""
    month = month_start()
    spent, reserved = _month_totals(month, project)
    budget = ProjectBudget.objects.filter(project=project).first()
    monthly = budget.monthly_budget_usd if budget else None
    left = None if monthly is None else max(ZERO, monthly - spent - reserved)
    return BudgetPreview(spent, reserved, monthly, left)


def budget_reserve(*, job: Job) -> None:
    """Reserve the job's estimate, or raise BudgetExceeded. Call inside the job's transaction."""
    estimate = job.estimated_cost
    if estimate is None:
        raise BudgetExceeded(
            "price table (no training price is set for this model)",
            estimate=ZERO,
            spent=ZERO,
            reserved=ZERO,
            limit=ZERO,
        )
    org = Organization.objects.select_for_update().get(id=Organization.get_solo().id)
    Project.objects.select_for_update().get(id=job.project_id)
    budget = ProjectBudget.objects.filter(project_id=job.project_id).first()
    month = month_start(org=org)
    if budget is not None:
        epochs = job.hyperparameters.get("n_epochs")
        if budget.max_epochs and isinstance(epochs, int) and epochs > budget.max_epochs:
            raise BudgetExceeded(
                "maximum epochs per job",
                estimate=epochs,
                spent=ZERO,
                reserved=ZERO,
                limit=budget.max_epochs,
                unit="epochs",
            )
        tokens = job.estimated_tokens or 0
        if budget.max_tokens_per_job and tokens > budget.max_tokens_per_job:
            raise BudgetExceeded(
                "maximum billable tokens per job",
                estimate=tokens,
                spent=ZERO,
                reserved=ZERO,
                limit=budget.max_tokens_per_job,
                unit="tokens",
            )
        if budget.max_cost_per_job_usd is not None and estimate > budget.max_cost_per_job_usd:
            raise BudgetExceeded(
                "maximum cost per job",
                estimate=estimate,
                spent=ZERO,
                reserved=ZERO,
                limit=budget.max_cost_per_job_usd,
            )
        if budget.monthly_budget_usd is not None:
            spent, reserved = _month_totals(month, job.project)
            if spent + reserved + estimate > budget.monthly_budget_usd:
                raise BudgetExceeded(
                    f"monthly budget of {job.project.name}",
                    estimate=estimate,
                    spent=spent,
                    reserved=reserved,
                    limit=budget.monthly_budget_usd,
                )
    if org.monthly_cap_usd is not None:
        spent, reserved = _month_totals(month)
        if spent + reserved + estimate > org.monthly_cap_usd:
            raise BudgetExceeded(
                "organisation's monthly cap",
                estimate=estimate,
                spent=spent,
                reserved=reserved,
                limit=org.monthly_cap_usd,
            )
    SpendEntry.objects.create(
        job=job, project_id=job.project_id, month=month, reserved_usd=estimate
    )
    if budget is not None and budget.monthly_budget_usd:
        _after_commit_check_thresholds(job.project_id)
    logger.info("budget reserved job_id=%s usd=%s", job.id, estimate)


def _after_commit_check_thresholds(project_id: int) -> None:
    from jobs_app.tasks_notifications import notify_budget_thresholds

    transaction.on_commit(lambda: notify_budget_thresholds.delay(project_id))


def approval_required(*, project: Project, estimated_cost: Decimal | None) -> bool:
    budget = ProjectBudget.objects.filter(project=project).first()
    threshold = budget.approval_threshold_usd if budget else None
    return threshold is not None and estimated_cost is not None and estimated_cost > threshold


@transaction.atomic
def budget_settle(*, job: Job) -> None:
    """Replace the reservation by the actual cost: what was trained, at the model's price."""
    entry = SpendEntry.objects.select_for_update().filter(job=job).first()
    if entry is None or entry.state == SpendEntry.State.SETTLED:
        return
    price, _ = model_terms(job.base_model)
    actual = ZERO
    if job.trained_tokens and price is not None:
        actual = (Decimal(job.trained_tokens) * price / Decimal(1_000_000)).quantize(
            Decimal("0.0001")
        )
    entry.actual_usd = actual
    entry.state = SpendEntry.State.SETTLED
    entry.save(update_fields=["actual_usd", "state", "updated_at"])
    Job.objects.filter(id=job.id).update(actual_cost=actual)
    if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED):
        from jobs_app.tasks_notifications import notify_job_final

        transaction.on_commit(lambda: notify_job_final.delay(job.id))
    budgeted = ProjectBudget.objects.filter(project_id=job.project_id)
    if budgeted.filter(monthly_budget_usd__isnull=False).exists():
        _after_commit_check_thresholds(job.project_id)
    logger.info(
        "budget settled job_id=%s reserved=%s actual=%s", job.id, entry.reserved_usd, actual
    )
