from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.server
import json
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail

from ftportal.lib.crypto import encrypt_secret
from ftportal.models import UserSettings
from ftportal.roles import Role
from ftportal.test import BaseTestCase, make_user
from jobs_app import notifications
from jobs_app.budgets import BudgetExceeded, budget_reserve
from jobs_app.models import Job, Notification, ProjectBudget
from jobs_app.tasks_notifications import webhook_deliver
from tests.factories import DatasetFactory, JobFactory, make_version


class _Hook(http.server.BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).answers.pop(0) if type(self).answers else 200)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def hook_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


class NotificationsTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.job = JobFactory(
            dataset_version=make_version(DatasetFactory(project=self.project)),
            status=Job.Status.SUCCEEDED,
            fine_tuned_model="ft:x",
            created_by=self.alice,
        )

    def test_a_final_job_emails_once_and_respects_opt_outs(self) -> None:
        lead = make_user("lead2", Role.TEAM_LEAD)
        self.project.members.add(lead)
        UserSettings.objects.create(user=lead, email_notifications=False)
        notifications.notify_job_final(self.job.id)
        notifications.notify_job_final(self.job.id)  # a second look at the same event
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["alice@example.org"]
        assert "ft:x" in mail.outbox[0].body

    def test_budget_thresholds_notify_at_80_and_100_percent_once(self) -> None:
        ProjectBudget.objects.create(project=self.project, monthly_budget_usd=Decimal("10"))
        for cost in ("8.50", "2.00"):
            job = JobFactory(
                dataset_version=self.job.dataset_version,
                estimated_cost=Decimal(cost),
                estimated_tokens=1,
            )
            with contextlib.suppress(BudgetExceeded):  # the second passes the budget
                budget_reserve(job=job)
            notifications.notify_budget_thresholds(self.project.id)
        keys = sorted(Notification.objects.values_list("key", flat=True))
        assert [k.rsplit(":", 1)[1] for k in keys] == ["80"]
        assert "used 80%" in mail.outbox[0].subject


@pytest.mark.django_db
def test_the_webhook_is_signed_and_retried_on_500(hook_server, settings):
    from ftportal.services import project_create

    project = project_create(name="P", slug="p", use_case="custom")
    ProjectBudget.objects.create(
        project=project,
        webhook_url=f"http://127.0.0.1:{hook_server.server_port}/",
        webhook_secret_encrypted=encrypt_secret("hook-secret"),
    )
    note = Notification.objects.create(key="k1", project=project, subject="S", text="T")
    _Hook.answers, _Hook.received = [500, 200], []
    with mock.patch.object(webhook_deliver, "retry", side_effect=RuntimeError("retry")) as retry:
        with pytest.raises(RuntimeError):
            webhook_deliver.run(note.id)  # 500: the task asks Celery to retry
        retry.assert_called_once()
        webhook_deliver.run(note.id)  # the retry gets 200
    headers, body = _Hook.received[-1]
    expected = "sha256=" + hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()
    assert headers["X-Portal-Signature"] == expected
    assert json.loads(body)["text"] == "S\nT"
    note.refresh_from_db()
    assert note.webhook_status == "200" and note.webhook_attempts == 2


@pytest.mark.django_db
def test_a_dead_webhook_never_runs_inside_job_processing(settings):
    """Polling and settlement only enqueue notifications after commit; the webhook is a task."""
    from ftportal.services import project_create
    from jobs_app.budgets import budget_settle

    project = project_create(name="P", slug="p", use_case="custom")
    ProjectBudget.objects.create(project=project, webhook_url="http://127.0.0.1:9/dead")
    job = JobFactory(
        dataset_version=make_version(DatasetFactory(project=project)),
        status=Job.Status.FAILED,
        estimated_cost=Decimal("1"),
    )
    budget_reserve(job=job)
    with mock.patch("urllib.request.urlopen") as urlopen:
        budget_settle(job=job)  # what polling calls when a job ends
    urlopen.assert_not_called()
