"""Exactly once with a real Celery worker process, Redis and the sandbox over real HTTP."""

from __future__ import annotations

import datetime as dt
import time
from unittest import mock

import httpx2
import pytest

from ftportal.lib.crypto import encrypt_secret
from ftportal.roles import Role
from ftportal.services import project_create
from ftportal.test import make_user
from jobs_app import services
from jobs_app.models import Job, ProjectProvider, ProviderCredential
from jobs_app.tasks import job_submit as job_submit_task
from sandbox.models import SandboxJob
from tests.factories import DatasetFactory, make_version

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait(predicate, timeout: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.fixture
def job_setup(live_server, settings):  # noqa: ANN201
    settings.SANDBOX_SECONDS_PER_STEP = 1000  # jobs stay early in their life
    lead = make_user("lee", Role.TEAM_LEAD)
    project = project_create(name="P", slug="p", use_case="custom", members=[lead])
    credential = ProviderCredential.objects.create(
        name="Sandbox",
        kind="sandbox",
        base_url=f"{live_server.url}/sandbox/v1",
        secret_encrypted=encrypt_secret(settings.SANDBOX_API_KEY),
    )
    ProjectProvider.objects.create(project=project, credential=credential)
    version = make_version(DatasetFactory(project=project), lines=20)

    def create() -> Job:
        return services.job_create(
            project=project,
            dataset_version=version,
            base_model="gpt-4o-mini-2024-07-18",
            method="supervised",
            hyperparameters={},
            suffix="",
            seed=1,
            user=lead,
        )

    return create


def test_duplicated_deliveries_make_one_provider_job(job_setup, start_worker):
    job = job_setup()  # committed: the first delivery is queued
    job_submit_task.delay(job.id)
    job_submit_task.delay(job.id)
    start_worker(beat=False)
    _wait(lambda: Job.objects.get(id=job.id).status == Job.Status.SUBMITTED)
    time.sleep(2)  # let the duplicates run too
    assert SandboxJob.objects.count() == 1
    assert Job.objects.get(id=job.id).openai_job_id == SandboxJob.objects.get().job_id


def test_a_worker_killed_during_create_ends_with_one_provider_job(
    job_setup, start_worker, live_server, settings
):
    # The provider takes 4 s to answer create: the worker dies while it waits.
    httpx2.post(
        f"{live_server.url}/sandbox/v1/_control",
        headers={"Authorization": f"Bearer {settings.SANDBOX_API_KEY}"},
        json={"faults": [{"latency_ms": 4000, "path_contains": "fine_tuning/jobs"}]},
    )
    worker = start_worker(beat=False)
    job = job_setup()
    _wait(lambda: Job.objects.get(id=job.id).openai_validation_file_id != "")
    time.sleep(1.0)
    worker.kill()
    worker.wait()
    job.refresh_from_db()
    assert job.status == Job.Status.SUBMITTING and not job.openai_job_id
    _wait(lambda: SandboxJob.objects.count() == 1, timeout=15)  # the provider did accept it
    with mock.patch("jobs_app.services.submission.SUBMIT_STUCK_AFTER", dt.timedelta(0)):
        assert services.jobs_reap_stuck_submitting() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUBMITTED
    assert SandboxJob.objects.count() == 1 and job.openai_job_id == SandboxJob.objects.get().job_id
