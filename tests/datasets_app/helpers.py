from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl


def write_xlsx(
    path: Path, rows: list[list[Any]], *, sheet: str = "Sheet1", extra_sheets=()
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for name, extra_rows in extra_sheets:
        other = wb.create_sheet(name)
        for row in extra_rows:
            other.append(row)
    wb.save(path)
    return path


def write_jsonl(path: Path, records: list[Any]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    return path


def chat(user: str, assistant: str, system: str | None = None) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": messages}


def faq_rows(n: int, start: int = 0) -> list[list[str]]:
    return [
        [f"How do I do thing {i}?", f"You do thing {i} like this."] for i in range(start, start + n)
    ]
