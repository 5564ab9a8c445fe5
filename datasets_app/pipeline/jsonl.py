"""JSONL read line by line in binary, and pretty-printed JSON holding a list of records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets_app.pipeline.errors import ReaderError
from datasets_app.pipeline.sniff import JSON_WHOLE_FILE_LIMIT, SniffResult, unique_headers
from datasets_app.pipeline.tabular import TableRow, cell_text

MAX_LINE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64


@dataclass
class JsonlLine:
    line: int
    obj: Any | None
    error: ReaderError | None = None


def _depth_exceeds(raw: bytes, limit: int) -> bool:
    """Cheap pre-check so a line nested thousands deep never reaches the parser's recursion."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def parse_line(raw: bytes, number: int) -> JsonlLine:
    if len(raw) > MAX_LINE_BYTES:
        return JsonlLine(
            number,
            None,
            ReaderError(
                f"Line {number} is {len(raw) / 1e6:,.1f} MB long; lines over "
                f"{MAX_LINE_BYTES // (1024 * 1024)} MB are refused.",
                code="line_too_long",
                row=number,
            ),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return JsonlLine(
            number,
            None,
            ReaderError(
                f"Line {number} is not valid UTF-8 (byte {exc.start + 1} of the line). "
                "Save the file as UTF-8 and upload it again.",
                code="invalid_utf8",
                row=number,
            ),
        )
    if _depth_exceeds(raw, MAX_DEPTH):
        return JsonlLine(
            number,
            None,
            ReaderError(
                f"Line {number} is nested more than {MAX_DEPTH} levels deep; no training example "
                "needs that, so it is refused.",
                code="too_deep",
                row=number,
            ),
        )
    try:
        return JsonlLine(number, json.loads(text))
    except json.JSONDecodeError as exc:
        return JsonlLine(
            number,
            None,
            ReaderError(
                f"Line {number} is not valid JSON: {exc.msg} at character {exc.colno}.",
                code="invalid_json",
                row=number,
            ),
        )
    except RecursionError:
        return JsonlLine(
            number,
            None,
            ReaderError(f"Line {number} is nested too deeply.", code="too_deep", row=number),
        )


def iter_jsonl(path: Path) -> Iterator[JsonlLine]:
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            raw = raw.strip()
            if not raw:
                continue
            yield parse_line(raw, number)


def jsonl_kind(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    if "messages" in obj:
        return "chat"
    if {"input", "preferred_output", "non_preferred_output"} <= obj.keys():
        return "preference"
    if "prompt" in obj and "completion" in obj:
        return "prompt_completion"
    return None


def _find_records(data: Any) -> tuple[list[dict[str, Any]], str] | None:
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data[:100]):
        return data, ""
    if isinstance(data, dict):
        lists = [(k, v) for k, v in data.items() if isinstance(v, list) and v]
        for key, value in lists:
            if all(isinstance(x, dict) for x in value[:100]):
                return value, key
    return None


def sniff_json(path: Path, original_name: str, text: str, size: int) -> SniffResult | None:
    """JSONL (one object per line) or a JSON document with a list of records."""
    first_lines = [line for line in text.splitlines()[:20] if line.strip()]
    parsed = [parse_line(line.encode(), i) for i, line in enumerate(first_lines[:5], start=1)]
    if parsed and all(p.error is None and isinstance(p.obj, dict) for p in parsed[:2]):
        kinds = [jsonl_kind(p.obj) for p in parsed if p.obj is not None]
        kind = next((k for k in kinds if k), None)
        notes = (
            []
            if kind
            else [
                "No line looks like a training example (messages, input/"
                "preferred_output, or prompt/completion)."
            ]
        )
        return SniffResult(format="jsonl", jsonl_kind=kind, notes=notes)
    if size > JSON_WHOLE_FILE_LIMIT:
        raise ReaderError(
            f"“{original_name}” is a single JSON document over "
            f"{JSON_WHOLE_FILE_LIMIT // (1024 * 1024)} MB; convert it to JSONL (one example per "
            "line) so it can be streamed.",
            code="json_too_large",
        )
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        if Path(original_name).suffix.lower() in (".json", ".jsonl", ".ndjson"):
            raise ReaderError(
                f"“{original_name}” is neither JSON Lines nor a JSON document: "
                f"{getattr(exc, 'msg', 'nested too deeply')}"
                + (f" at line {exc.lineno}." if hasattr(exc, "lineno") else "."),
                code="invalid_json",
                row=getattr(exc, "lineno", None),
            ) from None
        return None
    found = _find_records(data)
    if found is None:
        raise ReaderError(
            f"“{original_name}” is JSON but holds no list of records to read examples from.",
            code="no_records",
        )
    records, key = found
    headers: list[str] = []
    for record in records[:200]:
        for k in record:
            if k not in headers:
                headers.append(k)
    notes = [f"Read {len(records)} records from the “{key}” list."] if key else []
    return SniffResult(
        format="json", headers=unique_headers(headers), header_row=None, json_path=key, notes=notes
    )


def iter_json_records(path: Path, sniffed: SniffResult) -> Iterator[TableRow]:
    data = json.loads(path.read_bytes().decode("utf-8-sig"))
    records = data[sniffed.json_path] if sniffed.json_path else data
    for index, record in enumerate(records, start=1):
        cells = {h: _as_text(record.get(h)) for h in sniffed.headers}
        yield TableRow(sheet="", row=index, cells=cells)


def _as_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)
