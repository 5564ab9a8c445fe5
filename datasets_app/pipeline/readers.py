"""The readers' public face: sniff a file, then stream its rows or lines."""

from __future__ import annotations

from datasets_app.pipeline.errors import ReaderError
from datasets_app.pipeline.jsonl import JsonlLine, iter_jsonl, jsonl_kind
from datasets_app.pipeline.sniff import SniffResult, sniff
from datasets_app.pipeline.tabular import TableRow, cell_text, iter_table, preview_table

__all__ = [
    "JsonlLine",
    "ReaderError",
    "SniffResult",
    "TableRow",
    "cell_text",
    "iter_jsonl",
    "iter_table",
    "jsonl_kind",
    "preview_table",
    "sniff",
]
