"""Price and token limit of a base model from the admins' price table, with safe fallbacks."""

from __future__ import annotations

from decimal import Decimal

from datasets_app.pipeline.estimate import known_limit


def model_terms(model: str) -> tuple[Decimal | None, int]:
    """(training price per 1M tokens or None, per-example token limit) for a base model."""
    from django.db import DatabaseError

    from ftportal.models import ModelPrice

    try:
        row = ModelPrice.objects.filter(model=model).order_by("provider_kind").first()
    except DatabaseError:
        row = None
    if row is None:
        return None, known_limit(model)
    return row.training_per_1m, row.max_example_tokens or known_limit(model)
