from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, retry_backoff_max=600)
def webhook_deliver(self, notification_id: int) -> None:  # noqa: ANN001
    """Deliver one webhook; retried with exponential backoff on 5xx, 429 and network errors."""
    from jobs_app.notifications import WebhookFailed, webhook_send

    try:
        webhook_send(notification_id)
    except WebhookFailed as exc:
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from None


@shared_task(acks_late=True)
def notify_job_final(job_id: int) -> None:
    from jobs_app.notifications import notify_job_final as service

    service(job_id)


@shared_task(acks_late=True)
def notify_budget_thresholds(project_id: int) -> None:
    from jobs_app.notifications import notify_budget_thresholds as service

    service(project_id)


@shared_task(acks_late=True)
def notify_approval_needed(job_id: int) -> None:
    from jobs_app.notifications import notify_approval_needed as service

    service(job_id)
