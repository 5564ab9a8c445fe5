"""Writes for fine-tuning jobs. Views, tasks and the admin call these."""

from __future__ import annotations

from jobs_app.services.polling import job_poll, jobs_poll_active
from jobs_app.services.submission import (
    job_approve,
    job_cancel,
    job_create,
    job_estimate,
    job_mark_failed,
    job_pause,
    job_reject,
    job_resume,
    job_submit,
    jobs_reap_stuck_submitting,
)

__all__ = [
    "job_approve",
    "job_cancel",
    "job_create",
    "job_estimate",
    "job_mark_failed",
    "job_pause",
    "job_poll",
    "job_reject",
    "job_resume",
    "job_submit",
    "jobs_poll_active",
    "jobs_reap_stuck_submitting",
]
