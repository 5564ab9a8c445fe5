from __future__ import annotations

import contextlib
import time
from unittest import mock

from django.test import override_settings
from django.utils import timezone

from ftportal.lib.crypto import encrypt_secret
from ftportal.test import BaseTestCase
from jobs_app import services
from jobs_app.models import Job, JobCheckpoint, JobEvent, JobMetric, ProjectProvider
from jobs_app.providers.base import AmbiguousCreateError
from jobs_app.providers.openai import OpenAIProvider
from jobs_app.tasks import job_submit as job_submit_task
from sandbox.models import SandboxJob
from tests.factories import CredentialFactory, DatasetFactory, make_version
from tests.sandbox.helpers import sandbox_http_client

SANDBOX = "http://testserver/sandbox/v1"


def later(seconds: float = 60, *, at: float | None = None):  # noqa: ANN201
    """Move the sandbox's clock forward instead of sleeping."""
    t = at if at is not None else time.time() + seconds
    return mock.patch("sandbox.simulation.time.time", return_value=t), mock.patch(
        "sandbox.views.time.time", return_value=t
    )


@override_settings(SANDBOX_SECONDS_PER_STEP=0.01, SANDBOX_API_KEY="sk-sandbox-test")
class JobFlowTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.credential = CredentialFactory(
            base_url=SANDBOX, secret_encrypted=encrypt_secret("sk-sandbox-test")
        )
        ProjectProvider.objects.create(project=self.project, credential=self.credential)
        self.version = make_version(DatasetFactory(project=self.project), lines=24)
        patcher = mock.patch("jobs_app.providers.default_http_client", sandbox_http_client)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.client.force_login(self.alice)

    def _create(self, **kw) -> Job:
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            job = services.job_create(
                project=self.project,
                dataset_version=self.version,
                base_model="gpt-4o-mini-2024-07-18",
                method="supervised",
                hyperparameters={"n_epochs": 2},
                suffix="faq",
                seed=3,
                user=self.alice,
                **kw,
            )
        self.callbacks = callbacks
        return job

    def _poll(self, job: Job, seconds: float = 60, *, at: float | None = None) -> Job:
        a, b = later(seconds, at=at)
        with a, b:
            services.job_poll(job_id=job.id)
        job.refresh_from_db()
        return job

    def test_it_submits_and_follows_a_job_to_success(self) -> None:
        job = self._create()
        assert job.status == Job.Status.QUEUED and len(self.callbacks) == 1
        services.job_submit(job_id=job.id)
        job.refresh_from_db()
        assert job.status == Job.Status.SUBMITTED and job.openai_job_id.startswith("ftjob-")
        assert job.openai_training_file_id and job.openai_validation_file_id
        job = self._poll(job)
        assert job.status == Job.Status.SUCCEEDED, (job.provider_status, job.error_message)
        assert job.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:org-sandbox:faq:")
        assert job.trained_tokens > 0 and job.finished_at is not None
        assert JobEvent.objects.filter(job=job).count() >= 5
        assert JobCheckpoint.objects.filter(job=job).exists()
        steps = list(JobMetric.objects.filter(job=job).values_list("step", flat=True))
        assert steps == list(range(1, job.total_steps + 1))  # from the result file
        assert job.current_step == job.total_steps

    def test_events_are_stored_once_across_polls(self) -> None:
        job = self._create()
        services.job_submit(job_id=job.id)
        job.refresh_from_db()
        moment = time.time() + 0.2
        job = self._poll(job, at=moment)
        first = JobEvent.objects.filter(job=job).count()
        Job.objects.filter(id=job.id).update(last_event_id="")  # forget the cursor
        job = self._poll(job, at=moment)
        assert JobEvent.objects.filter(job=job).count() == first

    def test_a_duplicated_or_retried_task_creates_one_provider_job(self) -> None:
        job = self._create()
        job_submit_task(job.id)
        job_submit_task(job.id)  # a duplicate delivery: nothing to claim
        assert SandboxJob.objects.count() == 1

    def test_a_double_click_makes_one_job(self) -> None:
        first = self._create(submit_token="tok-1")
        second = self._create(submit_token="tok-1")
        assert first.id == second.id and Job.objects.count() == 1

    def test_a_timeout_after_the_provider_accepted_does_not_create_twice(self) -> None:
        job = self._create()
        real_create = OpenAIProvider.create_job

        def accepted_then_timeout(provider, spec):  # noqa: ANN001, ANN202
            real_create(provider, spec)
            raise AmbiguousCreateError("The provider did not answer in time.")

        with (
            mock.patch.object(OpenAIProvider, "create_job", accepted_then_timeout),
            self.captureOnCommitCallbacks(execute=False) as retries,
        ):
            services.job_submit(job_id=job.id)
        job.refresh_from_db()
        assert job.status == Job.Status.QUEUED and len(retries) == 1
        services.job_submit(job_id=job.id)  # the retry finds it by metadata
        job.refresh_from_db()
        assert job.status == Job.Status.SUBMITTED
        assert SandboxJob.objects.count() == 1
        assert SandboxJob.objects.get().job_id == job.openai_job_id

    def test_a_worker_killed_after_create_is_settled_by_the_reaper(self) -> None:
        job = self._create()
        crash = mock.patch(
            "jobs_app.services.submission._store_created", side_effect=KeyboardInterrupt
        )
        with crash, contextlib.suppress(KeyboardInterrupt):
            services.job_submit(job_id=job.id)
        job.refresh_from_db()
        assert job.status == Job.Status.SUBMITTING and not job.openai_job_id
        Job.objects.filter(id=job.id).update(
            updated_at=timezone.now() - timezone.timedelta(hours=1)
        )
        assert services.jobs_reap_stuck_submitting() == 1
        job.refresh_from_db()
        assert job.status == Job.Status.SUBMITTED
        assert (
            SandboxJob.objects.count() == 1 and job.openai_job_id == SandboxJob.objects.get().job_id
        )

    def test_a_worker_killed_before_create_is_retried_by_the_reaper(self) -> None:
        job = self._create()
        crash = mock.patch.object(OpenAIProvider, "create_job", side_effect=KeyboardInterrupt)
        with crash, contextlib.suppress(KeyboardInterrupt):
            services.job_submit(job_id=job.id)
        Job.objects.filter(id=job.id).update(
            updated_at=timezone.now() - timezone.timedelta(hours=1)
        )
        with (
            self.captureOnCommitCallbacks(execute=False),
            mock.patch("jobs_app.tasks.job_submit.delay") as delay,
        ):
            services.jobs_reap_stuck_submitting()
        delay.assert_called_once_with(job.id)
        services.job_submit(job_id=job.id)
        job.refresh_from_db()
        # The training file was uploaded once, on the first attempt.
        assert job.status == Job.Status.SUBMITTED and SandboxJob.objects.count() == 1

    def test_429_and_500_while_polling_back_off_without_losing_the_job(self) -> None:
        job = self._create()
        services.job_submit(job_id=job.id)
        http = sandbox_http_client()
        http.post(
            "/sandbox/v1/_control",
            headers={"Authorization": "Bearer sk-sandbox-test"},
            json={"faults": [{"status": 429, "retry_after": 40, "code": "rate_limit_exceeded"}]},
        )
        before = timezone.now()
        job.refresh_from_db()
        job = self._poll(job, seconds=0.1)
        assert job.status == Job.Status.SUBMITTED and job.poll_failures == 1
        assert not job.error_message  # a transient error is not shown as a failure
        assert job.next_poll_at >= before + timezone.timedelta(seconds=39)  # Retry-After honoured
        http.post(
            "/sandbox/v1/_control",
            headers={"Authorization": "Bearer sk-sandbox-test"},
            json={"faults": [{"status": 500}]},
        )
        job = self._poll(job, seconds=0.1)
        assert job.poll_failures == 2 and job.status == Job.Status.SUBMITTED
        job = self._poll(job)
        assert job.status == Job.Status.SUCCEEDED and job.poll_failures == 0

    def test_submission_backs_off_on_429_then_gives_up_after_bounded_attempts(self) -> None:
        job = self._create()
        http = sandbox_http_client()
        http.post(
            "/sandbox/v1/_control",
            headers={"Authorization": "Bearer sk-sandbox-test"},
            json={"faults": [{"status": 429, "retry_after": 1}] * 4},
        )
        for _ in range(4):
            with self.captureOnCommitCallbacks(execute=False):
                services.job_submit(job_id=job.id)
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and "after 4 attempts" in job.error_message
        assert SandboxJob.objects.count() == 0

    def test_a_permanent_error_fails_the_job_with_its_cause_and_no_secret(self) -> None:
        self.credential.secret_encrypted = encrypt_secret("sk-wrong-secret-value-123")
        self.credential.save()
        job = self._create()
        services.job_submit(job_id=job.id)
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and job.error_code == "invalid_api_key"
        page = self.client.get(job.get_absolute_url()).content.decode()
        assert "Incorrect API key" in page and "sk-wrong-secret-value-123" not in page
        assert "Ask an admin to update it" in page

    def test_a_job_failing_mid_training_shows_the_providers_reason(self) -> None:
        from jobs_app.services.submission import _spec as real_spec

        job = self._create()
        with mock.patch("jobs_app.services.submission._spec") as spec:

            def failing(j):  # noqa: ANN001, ANN202
                s = real_spec(j)
                s.metadata["sandbox_fail"] = "mid_training"
                return s

            spec.side_effect = failing
            services.job_submit(job_id=job.id)
        job = self._poll(Job.objects.get(id=job.id))
        assert job.status == Job.Status.FAILED and job.error_code == "server_error"

    def test_cancel_reaches_the_provider(self) -> None:
        job = self._create()
        services.job_submit(job_id=job.id)
        job.refresh_from_db()
        r = self.client.post(f"/jobs/{job.id}/cancel/")
        assert r.status_code == 302
        job.refresh_from_db()
        assert job.status == Job.Status.CANCELLED and job.provider_status == "cancelled"

    def test_the_live_fragment_polls_until_final_then_stops_with_286(self) -> None:
        job = self._create()
        services.job_submit(job_id=job.id)
        r = self.client.get(f"/jobs/{job.id}/", HTTP_HX_REQUEST="true")
        body = r.content.decode()
        assert r.status_code == 200 and "<html" not in body and 'hx-trigger="every 3s"' in body
        self._poll(Job.objects.get(id=job.id))
        r = self.client.get(f"/jobs/{job.id}/", HTTP_HX_REQUEST="true")
        assert r.status_code == 286 and "hx-trigger" not in r.content.decode()
        assert "<polyline" in r.content.decode()  # the loss chart is drawn

    def test_the_job_page_costs_the_same_queries_with_many_events(self) -> None:
        job = self._create()
        now = timezone.now()
        JobEvent.objects.bulk_create(
            [
                JobEvent(job=job, provider_event_id=f"e{i}", created_at=now, message=f"event {i}")
                for i in range(3000)
            ]
        )
        JobMetric.objects.bulk_create(
            [JobMetric(job=job, step=i, train_loss=1 / (i + 1)) for i in range(1, 2000)]
        )
        # session, user, 2 permissions, job, events, metrics, count, role, checkpoints
        with self.assertNumQueries(10):
            r = self.client.get(f"/jobs/{job.id}/")
        assert r.status_code == 200 and "Showing the latest 100 events" in r.content.decode()

    def test_the_create_page_lists_fine_tunable_models_with_shutdown_dates(self) -> None:
        r = self.client.get("/projects/alice-support/jobs/new/")
        body = r.content.decode()
        assert "gpt-4o-mini-2024-07-18 (shuts down 2027-01-14)" in body
        assert "2027-01-06" in body
        post = {
            "dataset_version": self.version.id,
            "base_model": "gpt-4o-mini-2024-07-18",
            "method": "supervised",
            "n_epochs": "51",
            "batch_size": "auto",
            "learning_rate_multiplier": "0",
            "suffix": "x",
            "submit_token": "abc",
        }
        r = self.client.post("/projects/alice-support/jobs/new/", post)
        assert "Epochs must be auto or at least 1 and at most 50." in r.content.decode()
        assert "must be auto or above 0" in r.content.decode()
        post.update(n_epochs="2", learning_rate_multiplier="auto")
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            r = self.client.post("/projects/alice-support/jobs/new/", post)
            again = self.client.post("/projects/alice-support/jobs/new/", post)  # double click
        job = Job.objects.get()
        assert r["Location"] == again["Location"] == f"/jobs/{job.id}/"
        assert str(job.base_model_shutdown_date) == "2027-01-14"
        assert "shut down on 2027-01-14" in self.client.get(r["Location"]).content.decode()
        assert len(callbacks) == 1 and job.hyperparameters["n_epochs"] == 2
        estimate = self.client.post(
            "/projects/alice-support/jobs/new/", post, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert "Estimate:" in estimate and "<html" not in estimate
        assert Job.objects.count() == 1  # the HTMX estimate never creates a job
