from __future__ import annotations

import pytest

from ftportal.roles import Role
from ftportal.services import project_create
from ftportal.test import make_user
from tests.browser.conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_team_lead_sees_their_projects_opens_one_and_logs_out(page, live_server):
    lead = make_user("lead", Role.TEAM_LEAD, first_name="Lee")
    other = make_user("other", Role.TEAM_LEAD)
    project_create(name="Customer support", slug="support", use_case="support", members=[lead])
    project_create(name="Legal documents", slug="legal", use_case="legal", members=[lead])
    project_create(name="Secret project", slug="secret", use_case="custom", members=[other])

    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    login(page, live_server.url, "lead")
    titles = page.locator(".project-card h2").all_inner_texts()
    assert sorted(titles) == ["Customer support", "Legal documents"]
    assert page.locator("nav.mainnav").inner_text().split() == [
        "Projects", "Datasets", "Jobs", "Dashboard",
    ]  # fmt: skip
    page.screenshot(path="/tmp/browser-projects.png", full_page=True)

    page.click("text=Legal documents")
    page.wait_for_url(f"{live_server.url}/projects/legal/")
    assert page.locator("h1").inner_text() == "Legal documents"
    assert "Clause or context text" in page.content()

    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/projects/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    # htmx loads from our own static files and the strict CSP blocks nothing.
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
