from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parent.parent / "shared" / "corpus"


@pytest.fixture(scope="session", autouse=True)
def _session_settings(django_test_environment, tmp_path_factory):
    # Session-wide, so users and files made in setUpTestData (class setup) use them too.
    from django.test import override_settings

    override = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS_DIR} (CI always has it)")
    return CORPUS_DIR


@pytest.fixture
def start_worker(live_server, settings, tmp_path):
    """Start real Celery worker processes on the live server's database, broker and media
    folder; each is stopped (or found already killed) at the end of the test."""
    import subprocess
    import sys

    from django.db import connection

    db = connection.settings_dict
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("a worker process needs a database it can share: run with PostgreSQL")
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env["DATABASE_URL"] = f"postgres://{db['USER'] or 'postgres'}@{host}:{port}/{db['NAME']}"
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["JOBS_POLL_INTERVAL_SECONDS"] = "1"
    root = Path(__file__).resolve().parent
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "ftportal", "purge", "-f"],
        cwd=root,
        env=env,
        capture_output=True,
        timeout=60,
    )
    started: list[subprocess.Popen[bytes]] = []

    def start(*, beat: bool = True) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ftportal",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"w{len(started)}@%h",
        ]
        if beat:
            cmd += ["--beat", "--schedule", str(tmp_path / f"beat-{len(started)}")]
        proc = subprocess.Popen(cmd, cwd=root, env=env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def celery_worker(start_worker):
    """One real worker with beat (polling every second)."""
    import time

    proc = start_worker()
    time.sleep(1)
    return proc


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests can start from a flushed database: put back what the data
    migration made (role groups and their permissions, the price table)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    import_module("ftportal.migrations.0002_roles_and_prices").forwards(apps, None)
    yield
