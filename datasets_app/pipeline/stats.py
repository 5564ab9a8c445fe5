"""Statistics of a processed dataset, for the version page and the command's report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

HISTOGRAM_BINS = 20


def _percentile(sorted_values: Sequence[int], q: float) -> int:
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return int(sorted_values[index])


def histogram(sorted_values: Sequence[int], bins: int = HISTOGRAM_BINS) -> list[dict[str, int]]:
    if not sorted_values:
        return []
    low, high = int(sorted_values[0]), int(sorted_values[-1])
    width = max(1, -(-(high - low + 1) // bins))
    counts = Counter((int(v) - low) // width for v in sorted_values)
    return [
        {"from": low + b * width, "to": low + (b + 1) * width - 1, "count": counts.get(b, 0)}
        for b in range(min(bins, (high - low) // width + 1))
    ]


def build_stats(
    *,
    kept_tokens: Sequence[int],
    assistant_tokens: Sequence[int],
    categories: Counter[str],
    source_examples: int,
    valid: int,
    duplicates: int,
    conflicts: int,
    blank_rows: int,
    empty_columns: dict[str, int],
    pii: dict[str, int],
    train_count: int,
    validation_count: int,
) -> dict[str, Any]:
    values = sorted(kept_tokens)
    total = sum(values)
    return {
        "source_examples": source_examples,
        "examples": len(values),
        "valid_examples": valid,
        "train_examples": train_count,
        "validation_examples": validation_count,
        "tokens": {
            "total": total,
            "min": int(values[0]) if values else 0,
            "mean": round(total / len(values), 1) if values else 0.0,
            "p50": _percentile(values, 0.5),
            "p95": _percentile(values, 0.95),
            "max": int(values[-1]) if values else 0,
        },
        "assistant_tokens": sum(assistant_tokens),
        "histogram": histogram(values),
        "duplicates": duplicates,
        "conflicts": conflicts,
        "blank_rows": blank_rows,
        "empty_cells": empty_columns,
        "pii": pii,
        "categories": dict(categories.most_common()) if any(categories) else {},
    }
