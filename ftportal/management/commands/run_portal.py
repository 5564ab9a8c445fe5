"""Start the web server, a Celery worker and Celery beat together; Ctrl-C stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web + worker + beat in the foreground (development and demos)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("PORTAL_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, addr: str, concurrency: int, **options: Any) -> None:
        python = sys.executable
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [
                python, "-m", "celery", "-A", "ftportal", "worker",
                "--loglevel", "INFO", "--concurrency", str(concurrency),
                "--hostname", "worker@%h",
            ],
            "beat": [
                python, "-m", "celery", "-A", "ftportal", "beat", "--loglevel", "INFO",
                "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
                "--pidfile=",
            ],
        }  # fmt: skip
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, cmd in commands.items():
            # Own process groups, so a terminal's Ctrl-C reaches us once and we
            # stop the children in order instead of racing their own handlers.
            children[name] = subprocess.Popen(cmd, start_new_session=True)
            self.stdout.write(f"started {name} (pid {children[name].pid})")
        self.stdout.write(f"Portal running at http://{addr}/ - press Ctrl-C to stop.")
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping.")
                        exit_code = 1
                        stopping = True
                time.sleep(0.3)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for name, child in children.items():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"{name} did not stop in time; killing it.")
                    child.kill()
                    child.wait()
            self.stdout.write("Stopped web, worker and beat.")
        if exit_code:
            raise SystemExit(exit_code)
