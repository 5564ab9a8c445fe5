"""Benchmark of job polling (issue 5), quoted in the issue notes.

    .venv/bin/python bench/poll.py [--jobs 1000] [--events 10000]

Needs PostgreSQL and Redis on localhost (as `make test`). It creates a fresh
database `ftportal_bench`, serves the portal (and so the sandbox) with
gunicorn on a free port, starts a Celery worker with two processes, and:
1. makes N sandbox jobs that stay queued (active, with nothing new after the
   first look) and N portal jobs following them;
2. times one polling round (jobs_poll_active fans out N job_poll tasks) until
   every job has been polled, twice: the first round stores the first events,
   the second has nothing new; the second round's HTTP requests per job are
   counted from gunicorn's access log;
3. times the job page of one job with 10,000 events and counts its queries,
   against the same job with 100 events.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "ftportal_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        MEDIA_ROOT=str(tmp / "media"),
        SANDBOX_SECONDS_PER_STEP="1000",
        SANDBOX_API_KEY="sk-bench",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="ftportal.settings",
    )
    os.environ.update(env)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [py, "-m", "celery", "-A", "ftportal", "purge", "-f"],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    access_log = tmp / "access.log"
    web = subprocess.Popen(
        [
            py,
            "-m",
            "gunicorn",
            "ftportal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--access-logfile",
            str(access_log),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [
            py,
            "-m",
            "celery",
            "-A",
            "ftportal",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        import django

        django.setup()
        run(args, port, access_log)
    finally:
        for proc in (worker, web):
            proc.send_signal(signal.SIGTERM)
        for proc in (worker, web):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def run(args: argparse.Namespace, port: int, access_log: Path) -> None:  # noqa: PLR0915
    import httpx2
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ftportal.lib.crypto import encrypt_secret
    from ftportal.models import Project
    from jobs_app.models import Job, JobEvent, JobMetric, ProviderCredential
    from jobs_app.services import jobs_poll_active
    from tests.factories import DatasetFactory, make_version

    base = f"http://127.0.0.1:{port}/sandbox/v1"
    for _ in range(100):
        try:
            httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except httpx2.HTTPError:
            time.sleep(0.2)
    auth = {"Authorization": "Bearer sk-bench"}
    http = httpx2.Client(base_url=base, headers=auth, timeout=30)
    lines = "".join(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"q{i}"},
                    {"role": "assistant", "content": "a"},
                ]
            }
        )
        + "\n"
        for i in range(20)
    )
    file_id = http.post(
        "/files", files={"file": ("t.jsonl", lines.encode())}, data={"purpose": "fine-tune"}
    ).json()["id"]
    started = time.perf_counter()
    remote_ids = [
        http.post(
            "/fine_tuning/jobs",
            json={
                "model": "gpt-4o-mini-2024-07-18",
                "training_file": file_id,
                "metadata": {"sandbox_fail": "stay_queued"},
            },
        ).json()["id"]
        for _ in range(args.jobs)
    ]
    print(f"created {args.jobs} sandbox jobs in {time.perf_counter() - started:.1f} s")

    user = User.objects.create_superuser("bench", password="bench-password-1")
    project = Project.objects.create(name="Bench", slug="bench", use_case="custom")
    credential = ProviderCredential.objects.create(
        name="Sandbox", kind="sandbox", base_url=base, secret_encrypted=encrypt_secret("sk-bench")
    )
    version = make_version(DatasetFactory(project=project), lines=20)
    now = timezone.now()
    Job.objects.bulk_create(
        [
            Job(
                project=project,
                dataset_version=version,
                credential=credential,
                base_model="gpt-4o-mini-2024-07-18",
                status=Job.Status.SUBMITTED,
                openai_job_id=rid,
                next_poll_at=now,
            )
            for rid in remote_ids
        ]
    )

    def one_round(label: str) -> tuple[float, int]:
        Job.objects.update(next_poll_at=timezone.now())
        lines_before = access_log.read_text().count("\n") if access_log.exists() else 0
        mark = timezone.now()
        t = time.perf_counter()
        leased = jobs_poll_active()
        while Job.objects.filter(last_polled_at__gte=mark).count() < len(leased):
            time.sleep(0.2)
            if time.perf_counter() - t > 300:
                raise SystemExit(f"{label}: the round did not finish in 300 s")
        seconds = time.perf_counter() - t
        time.sleep(1)  # let gunicorn flush its access log
        requests = access_log.read_text().count("\n") - lines_before
        print(
            f"{label}: {len(leased)} jobs polled in {seconds:.1f} s, "
            f"{requests} HTTP requests = {requests / max(1, len(leased)):.2f} per job"
        )
        return seconds, requests

    one_round("round 1 (first events)")
    one_round("round 2 (nothing new)")

    job = Job.objects.first()
    client = Client()
    client.force_login(user)
    for count in (100, args.events):
        JobEvent.objects.filter(job=job).delete()
        JobEvent.objects.bulk_create(
            [
                JobEvent(job=job, provider_event_id=f"b{i}", created_at=now, message=f"Step {i}")
                for i in range(count)
            ],
            batch_size=5000,
        )
        JobMetric.objects.filter(job=job).delete()
        JobMetric.objects.bulk_create(
            [JobMetric(job=job, step=i, train_loss=1 / i) for i in range(1, count + 1)],
            batch_size=5000,
        )
        client.get(f"/jobs/{job.id}/")  # warm
        timings = []
        for _ in range(10):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                response = client.get(f"/jobs/{job.id}/")
                timings.append(time.perf_counter() - t)
            assert response.status_code == 200
        timings.sort()
        print(
            f"job page with {count:,} events and metrics: median {timings[5] * 1000:.0f} ms, "
            f"{len(queries)} queries"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
