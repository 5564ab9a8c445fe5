"""A domain expert uploads an XLSX, maps its columns, watches the progress bar,
reads the problems and the statistics, and downloads the JSONL."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from ftportal.roles import Role
from ftportal.services import project_create
from ftportal.test import make_user
from tests.browser.conftest import login
from tests.datasets_app.helpers import write_xlsx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_expert_turns_a_spreadsheet_into_training_data(page, live_server, celery_worker, tmp_path):
    expert = make_user("eve", Role.DOMAIN_EXPERT)
    project_create(name="Customer support", slug="support", use_case="support", members=[expert])
    rows = [["Support FAQ (exported)"], [], ["Question", "Answer", "Category"]]
    rows += [[f"How do I reset password {i}?", f"Open settings, step {i}.", "account"]
             for i in range(30)]  # fmt: skip
    rows += [["What about refunds?", None, "billing"]]  # an empty answer, row 34
    path = write_xlsx(tmp_path / "support-faq.xlsx", rows, sheet="FAQ")

    login(page, live_server.url, "eve")
    page.goto(f"{live_server.url}/projects/support/datasets/")
    page.click("text=Upload a spreadsheet")
    page.fill("#id_name", "Support FAQ")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('Upload')")
    page.wait_for_url("**/map/")

    # The use case pre-selected the columns; the preview shows chat bubbles.
    assert page.input_value("#id_prompt") == "Question"
    assert page.input_value("#id_response") == "Answer"
    assert page.locator("text=The header is on row 3").is_visible()
    first_answer = page.locator("#mapping-preview .bubble.assistant").first
    assert first_answer.inner_text().endswith("Open settings, step 0.")
    # Changing a column updates the preview live (HTMX), without reloading.
    answer = page.locator("#mapping-preview .bubble.assistant").first
    page.select_option("#id_response", "Category")
    expect(answer).to_contain_text("account")
    page.select_option("#id_response", "Answer")
    expect(answer).to_contain_text("Open settings, step 0.")

    page.click("button:has-text('Process the data')")
    page.wait_for_url("**/runs/*/")
    assert page.locator("progress").count() == 1
    page.click("text=Show the problems", timeout=60_000)  # appears when the run ends
    problems = page.locator("table.problems").inner_text()
    assert "row 34" in problems and "empty_response" in problems
    page.screenshot(path="/tmp/browser-problems.png", full_page=True)

    page.check("input[name=drop_codes][value=empty_response]")
    page.click("button:has-text('Process again')")
    page.click("text=Open version 1", timeout=60_000)
    stats = page.locator("section:has-text('Statistics')").first.inner_text()
    assert "30\nexamples kept" in stats or "30 examples kept" in stats
    page.screenshot(path="/tmp/browser-version.png", full_page=True)

    with page.expect_download() as download_info:
        page.click("text=Download train.jsonl")
    with open(download_info.value.path(), encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == 27
    first = json.loads(lines[0])
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
