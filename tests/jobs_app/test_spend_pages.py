from __future__ import annotations

from decimal import Decimal

from ftportal.models import Organization
from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from jobs_app.budgets import budget_reserve, budget_settle
from jobs_app.models import ProjectBudget
from tests.factories import DatasetFactory, JobFactory, make_version


class SpendPagesTestCase(BaseTestCase):
    def test_admins_set_budgets_and_the_spend_page_shows_them(self) -> None:
        admin = make_user("root", Role.ADMIN)
        self.client.force_login(admin)
        r = self.client.post("/manage/budgets/alice-support/",
                             {"monthly_budget_usd": "100", "max_cost_per_job_usd": "",
                              "max_epochs": "", "max_tokens_per_job": "",
                              "approval_threshold_usd": "40"})  # fmt: skip
        assert r.status_code == 302
        budget = ProjectBudget.objects.get(project=self.project)
        assert budget.monthly_budget_usd == Decimal("100") and budget.max_epochs is None
        self.client.post(
            "/manage/budgets/", {"monthly_cap_usd": "500", "time_zone": "Europe/Berlin"}
        )
        assert Organization.get_solo().monthly_cap_usd == Decimal("500")
        bad = self.client.post(
            "/manage/budgets/", {"monthly_cap_usd": "5", "time_zone": "Mars/Base"}
        )
        assert "is not a known time zone" in bad.content.decode()

        version = make_version(DatasetFactory(project=self.project))
        running = JobFactory(dataset_version=version, estimated_cost=Decimal("30"))
        done = JobFactory(dataset_version=version, estimated_cost=Decimal("20"),
                          trained_tokens=2_000_000)  # fmt: skip
        for job in (running, done):
            budget_reserve(job=job)
        budget_settle(job=done)
        self.client.force_login(self.alice)
        body = self.client.get("/spend/").content.decode()
        assert (
            "$6.00" in body and "$30.00" in body and "$100.00" in body
        )  # actual, reserved, budget
        assert 'class="w-35' in body  # 36 of 100 used
