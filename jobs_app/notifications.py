"""Telling people: emails to those concerned and a signed webhook per project.

Each event has a unique key, so it is notified once however often the code
that noticed it runs. Emails go out at once; the webhook is a Celery task with
retries and backoff, so a dead webhook never slows job processing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q

from ftportal.lib.crypto import decrypt_secret
from ftportal.models import Project, UserSettings
from jobs_app.models import Job, Notification, ProjectBudget

logger = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 5


class WebhookFailed(Exception):
    pass


def _leads(project: Project, exclude: User | None = None) -> list[User]:
    """Team leads and admins of the project (admins see every project)."""
    people = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(projects=project, groups__name__in=["Team lead", "Admin"]))
        .distinct()
    )
    return [u for u in people if u != exclude]


def _notify(*, key: str, project: Project, subject: str, text: str, people: list[User]) -> bool:
    """Record the event once; email whoever wants it; enqueue the webhook. False if known."""
    from jobs_app.tasks_notifications import webhook_deliver

    try:
        with transaction.atomic():
            note = Notification.objects.create(key=key, project=project, subject=subject, text=text)
    except IntegrityError:
        return False
    recipients = sorted({u.email for u in people if u.email and UserSettings.wants_email(u)})
    if recipients:
        send_mail(subject=subject, message=text, from_email=None, recipient_list=recipients)
        Notification.objects.filter(id=note.id).update(emailed_to=recipients)
    budget = ProjectBudget.objects.filter(project=project).first()
    if budget and budget.webhook_url:
        transaction.on_commit(lambda: webhook_deliver.delay(note.id))
    logger.info("notified key=%s emails=%s", key, len(recipients))
    return True


def notify_job_final(job_id: int) -> None:
    job = Job.objects.select_related("project", "created_by").get(id=job_id)
    link = f"{settings.SITE_URL}{job.get_absolute_url()}"
    detail = {
        "succeeded": f"The fine-tuned model is {job.fine_tuned_model}.",
        "failed": f"The provider said: {job.error_message}",
        "cancelled": "It was cancelled.",
    }.get(job.status, "")
    people = _leads(job.project)
    if job.created_by and job.created_by not in people:
        people.append(job.created_by)
    _notify(
        key=f"job:{job.id}:{job.status}",
        project=job.project,
        subject=f"Fine-tuning job #{job.id} {job.get_status_display().lower()}",
        text=f"Job #{job.id} ({job.base_model}) in {job.project.name} "
        f"{job.get_status_display().lower()}. {detail}\n{link}",
        people=people,
    )


def notify_approval_needed(job_id: int) -> None:
    job = Job.objects.select_related("project", "created_by").get(id=job_id)
    _notify(
        key=f"job:{job.id}:approval",
        project=job.project,
        subject=f"Job #{job.id} waits for your approval",
        text=f"{job.created_by} asks to run a fine-tuning job in {job.project.name}, "
        f"estimated at ${job.estimated_cost:,.2f}.\n"
        f"{settings.SITE_URL}{job.get_absolute_url()}",
        people=_leads(job.project, exclude=job.created_by),
    )


def notify_budget_thresholds(project_id: int) -> None:
    """When month-to-date spend and reservations pass 80% and 100% of the budget."""
    from jobs_app.budgets import _month_totals, month_start

    project = Project.objects.get(id=project_id)
    budget = ProjectBudget.objects.filter(project=project).first()
    if not budget or not budget.monthly_budget_usd:
        return
    month = month_start()
    spent, reserved = _month_totals(month, project)
    used = (spent + reserved) / budget.monthly_budget_usd * 100
    for level in (80, 100):
        if used >= Decimal(level):
            _notify(
                key=f"budget:{project.id}:{month}:{level}",
                project=project,
                subject=f"{project.name} has used {level}% of its monthly budget",
                text=f"{project.name}: ${spent:,.2f} spent and ${reserved:,.2f} reserved of "
                f"${budget.monthly_budget_usd:,.2f} this month.",
                people=_leads(project),
            )


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_send(notification_id: int) -> None:
    """POST the event as Slack-compatible JSON, signed with the project's secret."""
    note = Notification.objects.select_related("project").get(id=notification_id)
    budget = ProjectBudget.objects.get(project=note.project)
    body = json.dumps({"text": f"{note.subject}\n{note.text}", "event": note.key}).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "ftportal-webhook"}
    if budget.webhook_secret_encrypted:
        secret = decrypt_secret(budget.webhook_secret_encrypted)
        headers["X-Portal-Signature"] = sign(secret, body)
    request = urllib.request.Request(budget.webhook_url, data=body, headers=headers, method="POST")
    Notification.objects.filter(id=note.id).update(webhook_attempts=note.webhook_attempts + 1)
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        Notification.objects.filter(id=note.id).update(webhook_status="unreachable")
        raise WebhookFailed(f"webhook unreachable: {type(exc).__name__}") from None
    Notification.objects.filter(id=note.id).update(webhook_status=str(status))
    if status >= 500 or status == 429:
        raise WebhookFailed(f"webhook answered {status}")
