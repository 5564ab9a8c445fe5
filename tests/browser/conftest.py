from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop; Django refuses ORM calls from
    # async contexts unless told that this test process is single-threaded.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def login(page, live_server_url: str, username: str, password: str = "password") -> None:
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/projects/")


@pytest.fixture
def celery_worker(live_server, settings, tmp_path):
    """A real Celery worker process (with beat, polling every second) on the live server's
    database, broker and media folder."""
    import subprocess
    import sys
    import time

    from django.db import connection

    root = Path(__file__).resolve().parents[2]
    db = connection.settings_dict
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if db["ENGINE"].endswith("postgresql"):
        user = db["USER"] or "postgres"
        env["DATABASE_URL"] = (
            f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        pytest.skip("a worker process needs a database it can share: run with PostgreSQL")
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["JOBS_POLL_INTERVAL_SECONDS"] = "1"
    cmd = [sys.executable, "-m", "celery", "-A", "ftportal", "worker", "--pool", "solo",
           "--without-heartbeat", "--without-mingle", "--without-gossip",
           "--beat", "--schedule", str(tmp_path / "beat-schedule"),
           "--loglevel", "WARNING"]  # fmt: skip
    subprocess.run([sys.executable, "-m", "celery", "-A", "ftportal", "purge", "-f"], cwd=root,
                   env=env, capture_output=True, timeout=60)  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=root, env=env)
    time.sleep(1)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests start from a flushed database in some orders: put back what the
    data migration made (role groups and their permissions, the price table)."""
    if "django_db_setup" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    import_module("ftportal.migrations.0002_roles_and_prices").forwards(apps, None)
    yield
