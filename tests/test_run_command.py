"""The README's run command on an empty var/: it comes up, a task round-trips
through the worker, and Ctrl-C stops web, worker and beat."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_of(pid: int) -> set[int]:
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_run_starts_web_worker_and_beat_and_stops_them(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        PORTAL_ADDR=f"127.0.0.1:{port}",
        DJANGO_SETTINGS_MODULE="ftportal.settings",
        DEMO_ADMIN_PASSWORD="demo-admin-pass",
    )
    log = open(tmp_path / "run.log", "w+")  # noqa: SIM115 - read back on failure
    proc = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as r:
                    status = r.status
                    body = json.loads(r.read())
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert status == 200, f"/healthz never answered 200:\n{output}"
        assert body == {"status": "ok", "database": "ok", "broker": "ok"}
        assert "password: " in output  # the demo passwords are printed once
        assert "demo-admin-pass" not in output  # ...but never one taken from the environment

        # A task goes through the filesystem broker to the worker and back.
        ping = subprocess.run(
            [sys.executable, "-c",
             "import django; django.setup();"
             "from ftportal.tasks import ping; print(ping.delay().get(timeout=60))"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        assert ping.stdout.strip() == "pong", ping.stderr

        children = _children_of(proc.pid)
        assert len(children) >= 4  # make -> run_portal -> web, worker, beat
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    log.seek(0)
    output = log.read()
    assert "Stopped web, worker and beat." in output, output
    time.sleep(0.5)
    leftovers = [pid for pid in children if _alive(pid)]
    assert not leftovers, f"still running after Ctrl-C: {leftovers}\n{output}"
