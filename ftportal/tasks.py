from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=False)
def ping() -> str:
    """Round-trip check for the worker: the run-command test and operators use it."""
    return "pong"
