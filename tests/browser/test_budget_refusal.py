"""An admin sets a project budget; a team lead's submission over it is refused with the numbers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from datasets_app.models import Example
from ftportal.lib.crypto import encrypt_secret
from ftportal.roles import Role
from ftportal.services import project_create
from ftportal.test import make_user
from jobs_app.models import Job, ProjectProvider, ProviderCredential
from tests.browser.conftest import login
from tests.factories import DatasetFactory, make_version

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_submission_over_the_budget_is_refused_with_the_numbers(browser, live_server, settings):
    make_user("ada", Role.ADMIN)
    lead = make_user("lee", Role.TEAM_LEAD)
    project = project_create(name="Support", slug="support", use_case="support", members=[lead])
    credential = ProviderCredential.objects.create(
        name="Sandbox",
        kind="sandbox",
        base_url=f"{live_server.url}/sandbox/v1",
        secret_encrypted=encrypt_secret(settings.SANDBOX_API_KEY),
        secret_last4="ocal",
    )
    ProjectProvider.objects.create(project=project, credential=credential)
    version = make_version(DatasetFactory(project=project, name="FAQ"), lines=30)
    Example.objects.bulk_create(
        [
            Example(
                version=version,
                split="train",
                position=i,
                prompt_text=f"q{i}",
                content_hash=f"{i}",
                tokens=10_000,
                record={},
            )
            for i in range(30)
        ]
    )

    admin_page = browser.new_context().new_page()
    login(admin_page, live_server.url, "ada")
    admin_page.goto(f"{live_server.url}/manage/budgets/support/")
    admin_page.fill("#id_monthly_budget_usd", "1.50")
    admin_page.click("button:has-text('Save')")
    admin_page.wait_for_url("**/manage/budgets/")
    expect(admin_page.locator("table")).to_contain_text("$1.50")

    lead_page = browser.new_context().new_page()
    login(lead_page, live_server.url, "lee")
    lead_page.goto(f"{live_server.url}/projects/support/jobs/new/?version={version.id}")
    lead_page.select_option("#id_base_model", "gpt-4o-mini-2024-07-18")
    lead_page.fill("#id_n_epochs", "3")
    expect(lead_page.locator("#job-estimate")).to_contain_text("$2.70")  # 900,000 tokens at $3
    expect(lead_page.locator("#job-estimate")).to_contain_text("$1.50 left")
    lead_page.click("button:has-text('Start the job')")
    error = lead_page.locator("[role=alert]").first
    expect(error).to_contain_text("monthly budget of Support")
    expect(error).to_contain_text(
        "estimate $2.70, spent this month $0.00, reserved by running jobs $0.00, limit $1.50"
    )
    assert Job.objects.count() == 0
