"""A team lead starts a job from a dataset version and watches it succeed, live."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ftportal.lib.crypto import encrypt_secret
from ftportal.roles import Role
from ftportal.services import project_create
from ftportal.test import make_user
from jobs_app.models import ProjectProvider, ProviderCredential
from tests.browser.conftest import login
from tests.factories import DatasetFactory, make_version

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_lead_starts_a_job_and_watches_it_succeed(page, live_server, celery_worker, settings):
    settings.SANDBOX_SECONDS_PER_STEP = 0.2
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

    login(page, live_server.url, "lee")
    page.goto(f"{live_server.url}{version.get_absolute_url()}")
    page.click("text=Start a fine-tuning job")
    page.wait_for_url("**/jobs/new/**")
    page.select_option("#id_base_model", "gpt-4o-mini-2024-07-18")
    page.fill("#id_n_epochs", "3")
    page.fill("#id_suffix", "faq-bot")
    expect(page.locator("#job-estimate")).to_contain_text("Estimate:")
    page.click("button:has-text('Start the job')")
    page.wait_for_url("**/jobs/*/")
    url = page.url

    # Without reloading: the status moves on and the loss chart fills in.
    expect(page.locator("#job-status")).to_have_text("Succeeded", timeout=90_000)
    assert page.url == url
    assert page.locator("svg.chart polyline.train").count() == 2
    expect(page.locator("#job-live")).to_contain_text(
        "ft:gpt-4o-mini-2024-07-18:org-sandbox:faq-bot"
    )
    assert page.locator("#job-live").get_attribute("hx-trigger") is None  # polling stopped
    page.screenshot(path="/tmp/browser-job.png", full_page=True)
