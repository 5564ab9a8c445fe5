from __future__ import annotations

import threading
from decimal import Decimal
from unittest import mock

from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase

from datasets_app.models import Example
from ftportal.models import Organization, Project
from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from jobs_app import services
from jobs_app.budgets import BudgetExceeded, budget_reserve, budget_settle, month_start
from jobs_app.models import Job, ProjectBudget, ProjectProvider, SpendEntry
from tests.factories import CredentialFactory, DatasetFactory, JobFactory, make_version


def _job(project: Project, cost: str, **kw) -> Job:
    version = make_version(DatasetFactory(project=project), lines=10)
    return JobFactory(
        dataset_version=version,
        project=project,
        estimated_cost=Decimal(cost),
        estimated_tokens=1000,
        **kw,
    )


def _reserve_in_threads(jobs: list[Job]) -> list[str]:
    """Each job reserved from its own thread, with its own database connection, at once."""
    results: list[str] = []
    barrier = threading.Barrier(len(jobs))

    def attempt(job: Job) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                budget_reserve(job=job)
            results.append("ok")
        except BudgetExceeded:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


class ConcurrentReservationTestCase(TransactionTestCase):
    # Flushing would drop the roles and prices the data migration made; later tests need them.
    serialized_rollback = True

    def test_fifty_submissions_against_a_budget_for_five(self) -> None:
        project = Project.objects.create(name="P", slug="p", use_case="custom")
        ProjectBudget.objects.create(project=project, monthly_budget_usd=Decimal("50.00"))
        jobs = [_job(project, "10.00") for _ in range(50)]
        results = _reserve_in_threads(jobs)
        assert results.count("ok") == 5 and results.count("refused") == 45
        total = sum(e.reserved_usd for e in SpendEntry.objects.all())
        assert total == Decimal("50.00")

    def test_the_organisation_cap_holds_across_two_projects(self) -> None:
        org = Organization.get_solo()
        org.monthly_cap_usd = Decimal("50.00")
        org.save()
        a = Project.objects.create(name="A", slug="a", use_case="custom")
        b = Project.objects.create(name="B", slug="b", use_case="custom")
        jobs = [_job(a if i % 2 else b, "10.00") for i in range(50)]
        results = _reserve_in_threads(jobs)
        assert results.count("ok") == 5
        assert sum(e.reserved_usd for e in SpendEntry.objects.all()) <= Decimal("50.00")


class BudgetRulesTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.budget = ProjectBudget.objects.create(project=self.project)

    def test_a_refusal_names_the_limit_and_shows_the_numbers(self) -> None:
        self.budget.monthly_budget_usd = Decimal("25.00")
        self.budget.save()
        spent = _job(self.project, "8.00")
        budget_reserve(job=spent)
        spent.trained_tokens = 1_000_000
        spent.save()
        budget_settle(job=spent)  # gpt-4o-mini: 1M tokens at $3.00
        budget_reserve(job=_job(self.project, "12.00"))
        try:
            budget_reserve(job=_job(self.project, "11.00"))
        except BudgetExceeded as exc:
            assert exc.message == (
                "This job would exceed the monthly budget of Alice's support bot: estimate "
                "$11.00, spent this month $3.00, reserved by running jobs $12.00, limit $25.00."
            )
        else:
            raise AssertionError("the budget was passed")

    def test_per_job_limits(self) -> None:
        self.budget.max_cost_per_job_usd = Decimal("5")
        self.budget.max_epochs = 3
        self.budget.max_tokens_per_job = 500
        self.budget.save()
        for job, name in (
            (_job(self.project, "6"), "maximum cost per job"),
            (_job(self.project, "1", hyperparameters={"n_epochs": 4}), "maximum epochs per job"),
            (_job(self.project, "1"), "maximum billable tokens per job"),
        ):
            if name != "maximum billable tokens per job":
                job.estimated_tokens = 100
            try:
                budget_reserve(job=job)
            except BudgetExceeded as exc:
                assert exc.limit_name == name
            else:
                raise AssertionError(name)

    def test_a_model_without_a_price_cannot_be_submitted(self) -> None:
        job = _job(self.project, "1")
        job.estimated_cost = None
        try:
            budget_reserve(job=job)
        except BudgetExceeded as exc:
            assert "no training price" in exc.message
        else:
            raise AssertionError("reserved without a price")

    def test_settlement_success_cancel_and_early_failure(self) -> None:
        done, cancelled, failed = (_job(self.project, "9.00") for _ in range(3))
        for job in (done, cancelled, failed):
            budget_reserve(job=job)
        done.trained_tokens, cancelled.trained_tokens = 2_000_000, 500_000
        for job in (done, cancelled):
            job.save()
            budget_settle(job=job)
        services.job_mark_failed(job_id=failed.id, code="x", message="before training")
        amounts = {e.job_id: e.actual_usd for e in SpendEntry.objects.all()}
        assert amounts == {
            done.id: Decimal("6.0000"),
            cancelled.id: Decimal("1.5000"),
            failed.id: Decimal("0.0000"),
        }
        done.refresh_from_db()
        assert done.actual_cost == Decimal("6.0000")
        budget_settle(job=done)  # settling twice changes nothing
        assert SpendEntry.objects.get(job=done).actual_usd == Decimal("6.0000")

    def test_the_month_rolls_over_in_the_organisations_time_zone(self) -> None:
        import datetime as dt

        org = Organization.get_solo()
        org.time_zone = "Pacific/Auckland"
        org.save()
        utc_evening = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)  # Dec 1st in Auckland
        assert month_start(utc_evening, org) == dt.date(2026, 12, 1)
        org.time_zone = "America/Los_Angeles"
        assert month_start(dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC), org) == dt.date(
            2026, 11, 1
        )


class ApprovalTestCase(BaseTestCase):
    def setUp(self) -> None:
        ProjectBudget.objects.create(
            project=self.project, approval_threshold_usd=Decimal("0.00001")
        )
        ProjectProvider.objects.create(project=self.project, credential=CredentialFactory())
        self.version = make_version(DatasetFactory(project=self.project), lines=10)
        Example.objects.create(
            version=self.version,
            split="train",
            position=0,
            prompt_text="q",
            content_hash="0",
            tokens=5000,
            record={},
        )
        self.carol = make_user("carol", Role.TEAM_LEAD)
        self.project.members.add(self.carol)

    def _create(self) -> Job:
        submit = mock.patch("jobs_app.tasks.job_submit.delay")
        approval = mock.patch("jobs_app.tasks_notifications.notify_approval_needed.delay")
        with submit as submitted, approval as asked, self.captureOnCommitCallbacks(execute=True):
            job = services.job_create(
                project=self.project,
                dataset_version=self.version,
                base_model="gpt-4o-mini-2024-07-18",
                method="supervised",
                hyperparameters={"n_epochs": 3},
                suffix="",
                seed=None,
                user=self.alice,
            )
        submitted.assert_not_called()  # nothing reaches the provider before approval
        asked.assert_called_once_with(job.id)
        return job

    def test_a_job_over_the_threshold_waits_and_only_another_lead_approves(self) -> None:
        job = self._create()
        assert job.status == Job.Status.AWAITING_APPROVAL
        self.client.force_login(self.alice)
        page = self.client.get(job.get_absolute_url()).content.decode()
        assert "Waiting for approval" in page and "Approve and submit" not in page
        self.client.post(f"/jobs/{job.id}/approve/")
        job.refresh_from_db()
        assert job.status == Job.Status.AWAITING_APPROVAL  # not by the submitter
        self.client.force_login(self.carol)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post(f"/jobs/{job.id}/approve/", {"comment": "Fine by me"})
        job.refresh_from_db()
        assert job.status == Job.Status.QUEUED and len(callbacks) == 1
        assert job.approved_by == self.carol and job.approval_comment == "Fine by me"

    def test_a_rejected_job_releases_its_reservation(self) -> None:
        job = self._create()
        self.client.force_login(self.carol)
        self.client.post(f"/jobs/{job.id}/reject/", {"comment": "Too big"})
        job.refresh_from_db()
        entry = SpendEntry.objects.get(job=job)
        assert job.status == Job.Status.REJECTED and entry.actual_usd == Decimal("0")


class TestCaseImportGuard(TestCase):
    def test_budget_module_is_importable_without_side_effects(self) -> None:
        import jobs_app.budgets  # noqa: F401
