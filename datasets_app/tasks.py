from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=40 * 60, time_limit=45 * 60)
def dataset_ingest(run_id: int) -> None:
    """Process one ingestion run (claimed by compare-and-set, so a duplicate is a no-op)."""
    from datasets_app.services import run_execute

    run_execute(run_id=run_id)
