"""Streaming row readers for CSV/TSV and spreadsheets (XLSX, XLSM, ODS).

Spreadsheets go through python-calamine (Rust): bench/xlsx_readers.py measures
it against openpyxl's read-only mode on 200,000 rows. Every cell becomes text the
way a person reads it in the sheet: 42.0 as "42", dates as 2024-03-01.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets_app.pipeline.errors import ReaderError
from datasets_app.pipeline.sniff import ENCODING_LABELS, SniffResult, unique_headers

MAX_CELL_BYTES = 16 * 1024 * 1024
HEADER_SCAN_ROWS = 30
csv.field_size_limit(MAX_CELL_BYTES)


@dataclass
class TableRow:
    sheet: str
    row: int
    cells: dict[str, str]

    @property
    def is_blank(self) -> bool:
        return not any(v.strip() for v in self.cells.values())


def iter_table(path: Path, sniffed: SniffResult) -> Iterator[TableRow]:
    if sniffed.format == "csv":
        return _iter_csv(path, sniffed)
    if sniffed.format in ("xlsx", "ods"):
        return _iter_sheet(path, sniffed)
    if sniffed.format == "json":
        from datasets_app.pipeline.jsonl import iter_json_records

        return iter_json_records(path, sniffed)
    raise ReaderError(f"{sniffed.format} files have no columns to map.", code="not_tabular")


def preview_table(path: Path, sniffed: SniffResult, limit: int = 20) -> list[TableRow]:
    rows = []
    for row in iter_table(path, sniffed):
        if row.is_blank:
            continue
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows


# CSV ---------------------------------------------------------------------------


class _LineCounter:
    """Wraps a text stream to know on which physical line each record starts."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.lines = 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        line = next(self.stream)
        self.lines += 1
        return line


def _first_undecodable_line(path: Path, encoding: str) -> int:
    """The exact line of the first bad byte (the text reader decodes ahead in blocks)."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    newline = "\n".encode(encoding.replace("-sig", ""))
    lines_before = 0
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return lines_before + chunk[: max(0, exc.start)].count(newline) + 1
            lines_before += chunk.count(newline)
    return lines_before + 1


def _iter_csv(path: Path, sniffed: SniffResult) -> Iterator[TableRow]:
    encoding = sniffed.encoding or "utf-8"
    headers = sniffed.headers
    with path.open(encoding=encoding, newline="", errors="strict") as f:
        counter = _LineCounter(f)
        reader = csv.reader(counter, delimiter=sniffed.delimiter or ",")
        start = 1
        header_seen = False
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                line = _first_undecodable_line(path, encoding)
                raise ReaderError(
                    f"The file is not valid {ENCODING_LABELS.get(encoding, encoding)} at line "
                    f"{line}. Choose its encoding (for example Windows-1252) on "
                    "the mapping page and try again.",
                    code="invalid_encoding",
                    row=line,
                ) from None
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise ReaderError(
                        f"A cell starting at line {start} is larger than "
                        f"{MAX_CELL_BYTES // (1024 * 1024)} MB; no training example can be that "
                        "long. Check for an unclosed quote above it.",
                        code="cell_too_large",
                        row=start,
                    ) from None
                raise ReaderError(
                    f"Line {start} cannot be read as CSV: {exc}.", code="invalid_csv", row=start
                ) from None
            row_number = start
            start = counter.lines + 1
            if sniffed.wrapped_delimiter and raw:
                raw = next(csv.reader([raw[0]], delimiter=sniffed.wrapped_delimiter))
            if not header_seen:
                if any(c.strip() for c in raw):
                    header_seen = True
                continue
            # NUL bytes survive Python's csv module but are never wanted in text.
            cells = {
                h: (raw[i].replace("\x00", "") if i < len(raw) else "")
                for i, h in enumerate(headers)
            }
            if len(raw) > len(headers) and any(c.strip() for c in raw[len(headers) :]):
                cells["__extra__"] = "\x1f".join(raw[len(headers) :])
            yield TableRow(sheet="", row=row_number, cells=cells)


# Spreadsheets ------------------------------------------------------------------


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, dt.timedelta):
        total = int(value.total_seconds())
        return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
    return str(value)


def _open_workbook(path: Path, original_name: str) -> Any:
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises several unrelated types
        raise ReaderError(
            f"“{original_name}” cannot be opened as a spreadsheet ({type(exc).__name__}). "
            "Open it in Excel or LibreOffice, save it again as .xlsx, and retry.",
            code="invalid_spreadsheet",
        ) from None


def _row_values(row: list[Any]) -> list[str]:
    return [cell_text(v) for v in row]


def _find_header(rows: list[list[str]]) -> int | None:
    """Index of the header row: the first row as wide as the data below it.

    Title rows ("Customer FAQ, exported 2024") have one or two cells; the
    header has about as many cells as the rows that follow.
    """
    widths = [sum(1 for c in r if c.strip()) for r in rows]
    nonblank = [w for w in widths if w]
    if not nonblank:
        return None
    typical = max(set(nonblank), key=lambda w: (nonblank.count(w), w))
    for index, width in enumerate(widths):
        if width and width >= max(1, min(typical, 2)) and width >= typical * 0.6:
            return index
    return widths.index(nonblank[0])


def _merged_header(sheet: Any, header_index: int, raw: list[str]) -> list[str]:
    """A header cell merged across columns names each column it covers."""
    names = list(raw)
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:  # noqa: BLE001 - not every format records merged cells
        ranges = []
    start_row = sheet.start[0] if sheet.start else 0
    for (r0, c0), (r1, c1) in ranges:
        if r0 - start_row <= header_index <= r1 - start_row and c1 > c0:
            label = names[c0 - sheet.start[1]] if c0 - sheet.start[1] < len(names) else ""
            for n, col in enumerate(range(c0 + 1, c1 + 1), start=2):
                idx = col - sheet.start[1]
                if idx < len(names) and not names[idx].strip() and label:
                    names[idx] = f"{label} ({n})"
    return names


def sniff_spreadsheet(path: Path, original_name: str, *, sheet: str | None) -> SniffResult:
    wb = _open_workbook(path, original_name)
    fmt = "ods" if Path(original_name).suffix.lower() == ".ods" else "xlsx"
    names = list(wb.sheet_names)
    result = SniffResult(format=fmt, sheets=names)
    if sheet is not None and sheet not in names:
        raise ReaderError(
            f"“{original_name}” has no sheet called “{sheet}”: it has {', '.join(names)}.",
            code="unknown_sheet",
        )
    candidates = [sheet] if sheet else names
    for name in candidates:
        ws = wb.get_sheet_by_name(name)
        head = [_row_values(r) for r in itertools.islice(ws.iter_rows(), HEADER_SCAN_ROWS)]
        header_index = _find_header(head)
        if header_index is None:
            continue
        data_rows = [r for r in head[header_index + 1 :] if any(c.strip() for c in r)]
        if not data_rows and sheet is None:
            continue
        result.sheet = name
        first_row = (ws.start[0] if ws.start else 0) + 1
        result.header_row = first_row + header_index
        width = max(len(r) for r in head)
        raw_header = head[header_index] + [""] * (width - len(head[header_index]))
        result.headers = unique_headers(_merged_header(ws, header_index, raw_header))
        if header_index:
            result.notes.append(
                f"The header is on row {result.header_row}; the {header_index} row(s) above it "
                "were skipped."
            )
        if sheet is None and name != names[0]:
            result.notes.append(f"The data is on sheet “{name}”.")
        if not data_rows:
            raise ReaderError(
                f"Sheet “{name}” has only a header row and no data rows.",
                code="header_only",
                sheet=name,
            )
        return result
    raise ReaderError(
        f"“{original_name}” has no sheet with data."
        if sheet is None
        else f"Sheet “{sheet}” of “{original_name}” is empty.",
        code="empty_file",
        sheet=sheet or "",
    )


def _iter_sheet(path: Path, sniffed: SniffResult) -> Iterator[TableRow]:
    wb = _open_workbook(path, Path(path).name)
    ws = wb.get_sheet_by_name(sniffed.sheet)
    first_row = (ws.start[0] if ws.start else 0) + 1
    headers = sniffed.headers
    blank_since: int | None = None
    for offset, raw in enumerate(ws.iter_rows()):
        number = first_row + offset
        if number <= (sniffed.header_row or 0):
            continue
        values = _row_values(raw)
        cells = {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers)}
        row = TableRow(sheet=sniffed.sheet or "", row=number, cells=cells)
        # Formatting can stretch a sheet over a million empty rows: remember
        # where blank rows began and report them only if data follows.
        if row.is_blank:
            if blank_since is None:
                blank_since = number
            continue
        if blank_since is not None:
            empty = dict.fromkeys(headers, "")
            for blank in range(blank_since, number):
                yield TableRow(sheet=row.sheet, row=blank, cells=dict(empty))
            blank_since = None
        yield row
