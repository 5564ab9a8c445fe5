"""The ingestion pipeline, usable without Django's database: readers, cleaning,
validation, tokens, split, statistics and the estimate."""

from __future__ import annotations

from datasets_app.pipeline.errors import ReaderError
from datasets_app.pipeline.estimate import default_epochs, estimate, known_limit
from datasets_app.pipeline.jsonl import JsonlLine, iter_jsonl
from datasets_app.pipeline.mapping import Mapping
from datasets_app.pipeline.run import (
    PipelineCancelled,
    PipelineOptions,
    PipelineResult,
    ProblemRecord,
    preview_examples,
    run_pipeline,
)
from datasets_app.pipeline.sniff import SniffResult, sniff
from datasets_app.pipeline.tabular import TableRow, iter_table, preview_table

__all__ = [
    "JsonlLine",
    "Mapping",
    "PipelineCancelled",
    "PipelineOptions",
    "PipelineResult",
    "ProblemRecord",
    "ReaderError",
    "SniffResult",
    "TableRow",
    "default_epochs",
    "estimate",
    "iter_jsonl",
    "iter_table",
    "known_limit",
    "preview_examples",
    "preview_table",
    "run_pipeline",
    "sniff",
]
