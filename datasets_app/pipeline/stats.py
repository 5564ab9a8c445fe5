"""Statistics of a processed dataset, for the version page and the command's report."""

from __future__ import annotations

from collections import Counter
from typing import Any

HISTOGRAM_BINS = 20


def _token_summary(store: Any) -> tuple[dict[str, Any], list[dict[str, int]], int]:
    """Tokens of the kept examples (status 0): figures, histogram, answer tokens; all in SQL."""
    count, total, low, high, answer = next(
        store.query(
            "SELECT COUNT(*), COALESCE(SUM(tok), 0), MIN(tok), MAX(tok), COALESCE(SUM(atok), 0) "
            "FROM ex WHERE st = 0"
        )
    )
    if not count:
        return {"total": 0, "min": 0, "mean": 0.0, "p50": 0, "p95": 0, "max": 0}, [], 0

    def percentile(q: float) -> int:
        offset = min(count - 1, max(0, round(q * (count - 1))))
        return int(
            next(
                store.query("SELECT tok FROM ex WHERE st = 0 ORDER BY tok LIMIT 1 OFFSET ?", offset)
            )[0]
        )

    width = max(1, -(-(high - low + 1) // HISTOGRAM_BINS))
    counts = dict(
        store.query("SELECT (tok - ?) / ?, COUNT(*) FROM ex WHERE st = 0 GROUP BY 1", low, width)
    )
    histogram = [
        {"from": low + b * width, "to": low + (b + 1) * width - 1, "count": counts.get(b, 0)}
        for b in range(min(HISTOGRAM_BINS, (high - low) // width + 1))
    ]
    summary = {
        "total": int(total),
        "min": int(low),
        "mean": round(total / count, 1),
        "p50": percentile(0.5),
        "p95": percentile(0.95),
        "max": int(high),
    }
    return summary, histogram, int(answer)


def build_stats(
    *,
    store: Any,
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
    tokens, histogram, answer_tokens = _token_summary(store)
    return {
        "source_examples": source_examples,
        "examples": train_count + validation_count,
        "valid_examples": valid,
        "train_examples": train_count,
        "validation_examples": validation_count,
        "tokens": tokens,
        "assistant_tokens": answer_tokens,
        "histogram": histogram,
        "duplicates": duplicates,
        "conflicts": conflicts,
        "blank_rows": blank_rows,
        "empty_cells": empty_columns,
        "pii": pii,
        "categories": dict(categories.most_common()) if any(categories) else {},
    }
