"""Find out what an uploaded file is before anyone reads it whole.

Encodings, delimiters, sheets and the header row are detected from a bounded
sample, so a 1 GB file is sniffed as fast as a 1 KB one.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datasets_app.pipeline.errors import ReaderError

SAMPLE_BYTES = 4 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")
JSON_WHOLE_FILE_LIMIT = 200 * 1024 * 1024
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with byte-order mark",
    "utf-16-le": "UTF-16 little-endian",
    "utf-16-be": "UTF-16 big-endian",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}


@dataclass
class SniffResult:
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    header_row: int | None = None
    headers: list[str] = field(default_factory=list)
    jsonl_kind: str | None = None
    notes: list[str] = field(default_factory=list)
    # A CSV whose every line was wrapped in quotes by a second CSV writer.
    wrapped_delimiter: str | None = None
    json_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SniffResult:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def unique_headers(raw: list[str]) -> list[str]:
    """Blank names become "Column C"; repeated names get " (2)", " (3)"."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(raw):
        clean = " ".join(str(name or "").replace("\ufeff", "").split())
        if not clean:
            clean = f"Column {_column_letter(index)}"
        if clean in seen:
            seen[clean] += 1
            clean = f"{clean} ({seen[clean]})"
        else:
            seen[clean] = 1
        out.append(clean)
    return out


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sniff(
    path: Path,
    original_name: str,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SniffResult:
    size = path.stat().st_size
    if size == 0:
        raise ReaderError(f"“{original_name}” is empty: it has no bytes at all.", code="empty_file")
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    suffix = Path(original_name).suffix.lower()
    if head.startswith(b"PK\x03\x04") or suffix in SPREADSHEET_SUFFIXES:
        from datasets_app.pipeline.tabular import sniff_spreadsheet

        check_zip(path, original_name)
        return sniff_spreadsheet(path, original_name, sheet=sheet)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReaderError(
            f"“{original_name}” is an old Excel 97-2003 (.xls) or other OLE file. "
            "Save it as .xlsx or CSV and upload that.",
            code="unsupported_format",
        )
    enc = encoding or detect_encoding(head)
    _refuse_binary(head, enc, original_name)
    text = _decode_sample(head, enc, original_name, full=size <= SAMPLE_BYTES)
    stripped = text.lstrip()
    if suffix in (".jsonl", ".json", ".ndjson") or stripped[:1] in ("{", "["):
        from datasets_app.pipeline.jsonl import sniff_json

        result = sniff_json(path, original_name, text, size)
        if result is not None:
            result.encoding = enc
            return result
    return _sniff_csv(text, original_name, enc, delimiter, suffix, encoding_chosen=bool(encoding))


def check_zip(path: Path, original_name: str) -> None:
    """Refuse zip bombs before any reader decompresses a byte."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise ReaderError(
            f"“{original_name}” is not a valid spreadsheet: the file is damaged or not an "
            "Excel/OpenDocument workbook.",
            code="invalid_spreadsheet",
        ) from None
    unzipped = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unzipped > MAX_UNZIPPED_BYTES or unzipped / packed > MAX_ZIP_RATIO and unzipped > 50e6:
        raise ReaderError(
            f"“{original_name}” would unpack to {unzipped / 1e6:,.0f} MB "
            f"from {packed / 1e6:,.1f} MB "
            f"(limit {MAX_UNZIPPED_BYTES / 1e6:,.0f} MB): refused as a possible zip bomb. "
            "Remove unused sheets or formatting, or export the data as CSV.",
            code="zip_bomb",
        )


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A sample cut in the middle of a character is still UTF-8.
        if exc.start >= len(head) - 3 and exc.reason.startswith("unexpected end"):
            return "utf-8"
    # Bytes that cp1252 leaves undefined point to Latin-1.
    if any(b in head for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")):
        return "latin-1"
    return "cp1252"


def _refuse_binary(head: bytes, encoding: str, original_name: str) -> None:
    if encoding.startswith("utf-16"):
        return
    sample = head[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 11, 12))
    if sample.count(0) > 8 or controls > max(16, len(sample) // 50):
        raise ReaderError(
            f"“{original_name}” is not a text file (it holds binary data), so it cannot be read "
            "as CSV. Upload the spreadsheet itself (.xlsx, .ods) or export it as CSV.",
            code="binary_file",
        )


def _decode_sample(head: bytes, encoding: str, original_name: str, *, full: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return decoder.decode(head, final=full)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise ReaderError(
            f"“{original_name}” is not valid {ENCODING_LABELS.get(encoding, encoding)} at line "
            f"{line}. Choose the file's encoding (for example Windows-1252) and try again.",
            code="invalid_encoding",
            row=line,
        ) from None


def _sniff_csv(
    text: str,
    original_name: str,
    encoding: str,
    delimiter: str | None,
    suffix: str,
    *,
    encoding_chosen: bool,
) -> SniffResult:
    result = SniffResult(format="csv", encoding=encoding)
    if not encoding_chosen and encoding != "utf-8":
        result.notes.append(f"Detected encoding: {ENCODING_LABELS.get(encoding, encoding)}.")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:200]
    if not any(line.strip() for line in lines):
        raise ReaderError(f"“{original_name}” holds only blank lines.", code="empty_file")
    if delimiter is None:
        delimiter = "\t" if suffix == ".tsv" else _guess_delimiter(lines)
        if delimiter != ",":
            names = {";": "semicolon", "\t": "tab", "|": "pipe"}
            result.notes.append(f"Detected delimiter: {names[delimiter]}.")
    result.delimiter = delimiter
    rows = _sample_rows(text, delimiter)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ReaderError(f"“{original_name}” holds only blank lines.", code="empty_file")
    header = rows[0]
    if len(header) == 1:
        inner = _guess_delimiter([header[0]] + [r[0] for r in rows[1:20] if r])
        wrapped = [r for r in rows[1:20] if len(r) == 1 and inner in r[0]]
        if inner in header[0] and len(wrapped) >= min(len(rows) - 1, 19) * 0.8:
            result.wrapped_delimiter = inner
            result.notes = [n for n in result.notes if not n.startswith("Detected delimiter")]
            header = next(csv.reader([header[0]], delimiter=inner))
            rows = [header] + [next(csv.reader([r[0]], delimiter=inner)) for r in rows[1:] if r]
            result.notes.append(
                "Every line was wrapped in quotes by a second program; the portal unwrapped "
                f"the {'semicolon' if inner == ';' else repr(inner)}-separated values inside."
            )
    result.headers = unique_headers(header)
    result.header_row = 1
    if len(rows) < 2:
        raise ReaderError(
            f"“{original_name}” has only a header row and no data rows.", code="header_only"
        )
    return result


def _guess_delimiter(lines: list[str]) -> str:
    sample = "\n".join(line for line in lines[:50] if line.strip())
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    # Fall back to the candidate that splits the most lines the same number of times.
    best, best_score = ",", -1.0
    for candidate in DELIMITERS:
        counts = [line.count(candidate) for line in lines[:50] if line.strip()]
        if not counts or max(counts) == 0:
            continue
        most = max(set(counts), key=counts.count)
        score = counts.count(most) / len(counts) + (most > 0) * 0.01 * most
        if score > best_score:
            best, best_score = candidate, score
    return best


def _sample_rows(text: str, delimiter: str, limit: int = 50) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass  # a cell cut by the sample's end; the full read reports real errors
    return rows


def looks_like_json_lines(text: str) -> bool:
    for line in text.splitlines()[:5]:
        if line.strip():
            try:
                return isinstance(json.loads(line), dict)
            except ValueError:
                return False
    return False
