"""The ingestion pipeline: read → clean → build → validate → count → split → write.

Two streaming passes keep memory flat whatever the file size. Pass 1 cleans,
validates and counts tokens per example and writes each one to a stage file,
keeping only fixed-size numbers per example in arrays (hashes, tokens, row,
status). Between the passes, duplicates, conflicts and the split are decided
from those arrays. Pass 2 copies the kept examples from the stage file into
train.jsonl and validation.jsonl.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from datasets_app.pipeline.errors import ReaderError
from datasets_app.pipeline.estimate import estimate, known_limit
from datasets_app.pipeline.jsonl import iter_jsonl
from datasets_app.pipeline.mapping import (
    Mapping,
    SourceExample,
    examples_from_jsonl,
    examples_from_rows,
)
from datasets_app.pipeline.sniff import SniffResult
from datasets_app.pipeline.stats import build_stats
from datasets_app.pipeline.store import ExampleStore
from datasets_app.pipeline.tabular import iter_table
from datasets_app.pipeline.text import (
    PII_LABELS,
    CleanOptions,
    clean_text,
    find_pii,
    normalise_prompt,
    redact,
)
from datasets_app.pipeline.tokens import count_batch
from datasets_app.pipeline.validate import Finding, content_text, validate_chat, validate_preference
from ftportal.lib.tokens import encoding_name_for_model, get_encoding

BATCH = 512
MAX_PROBLEMS_PER_CODE = 10_000
OK, BLOCKED, DROPPED, DUPLICATE = 0, 1, 2, 3


@dataclass
class PipelineOptions:
    mapping: Mapping | None = None
    default_system_prompt: str = ""
    trim: bool = True
    nfc: bool = True
    drop_empty: bool = True
    strip_html: bool = False
    dedupe: bool = True
    pii_mode: str = "flag"  # flag | redact | drop
    model: str = "gpt-4o-mini-2024-07-18"
    max_example_tokens: int | None = None
    validation_fraction: float = 0.1
    seed: int = 42
    drop_codes: frozenset[str] = frozenset()
    price_per_1m: Decimal | None = None
    n_epochs: int | None = None


@dataclass
class ProblemRecord:
    code: str
    severity: str
    sheet: str
    row: int | None
    column: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)
    dropped: bool = False


@dataclass
class PipelineResult:
    usable: bool
    kind: str
    problems: list[ProblemRecord]
    stats: dict[str, Any]
    estimate: dict[str, Any]
    train_path: Path
    validation_path: Path
    meta_path: Path
    train_count: int
    validation_count: int
    cleaning: dict[str, int]
    problem_counts: dict[str, dict[str, int]]


class PipelineCancelled(Exception):
    """The user cancelled the run; the caller removes what was written."""


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class _Problems:
    def __init__(self) -> None:
        self.items: list[ProblemRecord] = []
        self.counts: dict[str, Counter[str]] = {"error": Counter(), "warning": Counter()}

    def add(self, p: ProblemRecord) -> None:
        self.counts[p.severity][p.code] += 1
        if self.counts[p.severity][p.code] <= MAX_PROBLEMS_PER_CODE:
            self.items.append(p)


def _kind(sniffed: SniffResult, mapping: Mapping | None) -> str:
    if mapping is not None and mapping.is_preference:
        return "preference"
    return "preference" if sniffed.jsonl_kind == "preference" else "supervised"


def _source(
    source: Path, sniffed: SniffResult, options: PipelineOptions
) -> Iterator[SourceExample]:
    if sniffed.format == "jsonl":
        return examples_from_jsonl(iter_jsonl(source), sniffed.jsonl_kind)
    if options.mapping is None or not (options.mapping.prompt or options.mapping.is_multi_turn):
        raise ReaderError("Choose which column holds the prompt.", code="mapping_missing")
    return examples_from_rows(
        iter_table(source, sniffed), options.mapping, options.default_system_prompt
    )


def _messages(kind: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    if kind == "preference":
        inp = record.get("input")
        msgs = inp.get("messages", []) if isinstance(inp, dict) else []
        outs = (record.get("preferred_output") or []) + (record.get("non_preferred_output") or [])
        return [m for m in [*msgs, *outs] if isinstance(m, dict)]
    msgs = record.get("messages")
    return [m for m in msgs if isinstance(m, dict)] if isinstance(msgs, list) else []


class _Cleaner:
    def __init__(self, options: PipelineOptions) -> None:
        self.options = CleanOptions(options.trim, options.nfc, options.strip_html)
        self.pii_mode = options.pii_mode
        self.counts: dict[str, int] = {}
        self.pii_found: Counter[str] = Counter()

    def clean(self, kind: str, record: dict[str, Any]) -> list[str]:
        """Clean every message text in place; returns the PII kinds found."""
        found: list[str] = []
        for msg in _messages(kind, record):
            content = msg.get("content")
            if isinstance(content, str):
                msg["content"] = self._one(content, found)
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        part["text"] = self._one(part["text"], found)
        return found

    def _one(self, text: str, found: list[str]) -> str:
        text = clean_text(text, self.options, self.counts)
        if self.pii_mode and text:
            hits = find_pii(text)
            if hits:
                found.extend(k for k, _, _ in hits)
                self.pii_found.update(k for k, _, _ in hits)
                if self.pii_mode == "redact":
                    text = redact(text, hits)
        return text


def _field_column(finding: Finding, mapping: Mapping | None) -> str:
    if mapping is None:
        return finding.field
    if finding.code == "empty_prompt":
        return mapping.prompt
    if finding.code == "empty_response":
        return mapping.response or mapping.preferred
    if "preferred_output" in finding.field:
        return mapping.rejected if finding.field.startswith("non_") else mapping.preferred
    return ""


def run_pipeline(
    source: Path,
    sniffed: SniffResult,
    options: PipelineOptions,
    *,
    out_dir: Path,
    progress: Callable[[int, str], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> PipelineResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = _kind(sniffed, options.mapping)
    encoding = get_encoding(encoding_name_for_model(options.model))
    limit = options.max_example_tokens or known_limit(options.model)
    problems = _Problems()
    cleaner = _Cleaner(options)
    validate = validate_preference if kind == "preference" else validate_chat
    mapping = options.mapping
    report = progress or (lambda pct, label: None)
    size = max(1, source.stat().st_size)

    store = ExampleStore(out_dir / "examples.sqlite")
    status = bytearray()  # one byte an example: the only per-example state in memory
    categories: list[str] = []
    category_ids: dict[str, int] = {}
    empty_columns: Counter[str] = Counter()
    source_examples = 0
    blank_rows = 0
    stage_path = out_dir / "stage.tmp"

    def flush(batch: list[tuple[SourceExample, dict[str, Any], list[Finding], str, str]]) -> None:
        counts = count_batch(encoding, kind, [b[1] for b in batch])
        for (ex, record, findings, prompt_text, answer_text), (total, answer_tok) in zip(
            batch, counts, strict=True
        ):
            if total > limit:
                findings.append(
                    Finding(
                        "too_many_tokens",
                        "error",
                        "",
                        f"The example has {total:,} tokens; {options.model} "
                        f"accepts at most {limit:,}. Shorten it or split it.",
                    )
                )
            errors = [f for f in findings if f.severity == "error"]
            state = OK
            if errors:
                state = DROPPED if all(f.code in options.drop_codes for f in errors) else BLOCKED
            for f in findings:
                dropped = state == DROPPED and f.severity == "error"
                column = _field_column(f, mapping)
                problems.add(
                    ProblemRecord(
                        f.code,
                        f.severity,
                        ex.sheet,
                        ex.row,
                        column,
                        f.message,
                        {"field": f.field} if f.field else {},
                        dropped,
                    )
                )
            line = json.dumps(record, ensure_ascii=False)
            stage.write(f"{json.dumps(prompt_text[:500], ensure_ascii=False)}\t{line}\n")
            cat_id = category_ids.setdefault(ex.category, len(categories))
            if cat_id == len(categories):
                categories.append(ex.category)
            store.add(
                _h64(line),
                _h64(normalise_prompt(prompt_text)),
                _h64(normalise_prompt(answer_text)),
                total,
                answer_tok,
                ex.row or 0,
                state,
                cat_id,
            )
            status.append(state)

    batch: list[tuple[SourceExample, dict[str, Any], list[Finding], str, str]] = []
    report(1, "Reading the file")
    with stage_path.open("w", encoding="utf-8") as stage:
        for ex in _source(source, sniffed, options):
            source_examples += 1
            empty_columns.update(ex.empty_columns)
            if isinstance(ex.record, ReaderError):
                err = ex.record
                problems.add(
                    ProblemRecord(
                        err.code,
                        "error",
                        ex.sheet,
                        ex.row,
                        err.column,
                        err.message,
                        {},
                        err.code in options.drop_codes,
                    )
                )
                continue
            if ex.record is None:  # a fully blank spreadsheet row
                blank_rows += 1
                if not options.drop_empty:
                    problems.add(
                        ProblemRecord(
                            "empty_row",
                            "warning",
                            ex.sheet,
                            ex.row,
                            "",
                            "The row is empty.",
                            {},
                            True,
                        )
                    )
                continue
            record = ex.record
            findings: list[Finding] = []
            if ex.ragged:
                findings.append(
                    Finding(
                        "ragged_row",
                        "warning",
                        "",
                        "The row has more cells than the header; the extra cells were ignored.",
                    )
                )
            if isinstance(record, dict):
                pii = cleaner.clean(kind, record)
                for pii_kind in sorted(set(pii)):
                    findings.append(
                        Finding(
                            "pii",
                            "error" if options.pii_mode == "drop" else "warning",
                            "",
                            f"Contains {PII_LABELS[pii_kind]}"
                            + (
                                " (redacted)."
                                if options.pii_mode == "redact"
                                else " (row dropped)."
                                if options.pii_mode == "drop"
                                else "."
                            ),
                        )
                    )
            findings.extend(validate(record))
            msgs = _messages(kind, record) if isinstance(record, dict) else []
            prompt_text = "\n".join(
                content_text(m.get("content")) for m in msgs if m.get("role") == "user"
            )
            answer_text = "\n".join(
                content_text(m.get("content")) for m in msgs if m.get("role") == "assistant"
            )
            batch.append((ex, record, findings, prompt_text, answer_text))
            if len(batch) >= BATCH:
                flush(batch)
                batch = []
                if should_cancel and should_cancel():
                    raise PipelineCancelled()
                report(min(85, 1 + int(84 * stage.tell() / (size * 1.3))), "Checking examples")
        if batch:
            flush(batch)
    report(86, "Finding duplicates and conflicts")

    # Exact duplicates: keep the first (lowest index) of each run of equal hashes.
    duplicates = 0
    prev_hash, first_row = None, 0
    for i, ch, row in store.query("SELECT i, ch, row FROM ex WHERE st = 0 ORDER BY ch, i"):
        if ch != prev_hash:
            prev_hash, first_row = ch, row
            continue
        duplicates += 1
        if options.dedupe:
            status[i] = DUPLICATE
            store.set_status(i, DUPLICATE)
        problems.add(
            ProblemRecord(
                "duplicate",
                "warning",
                sniffed.sheet or "",
                row or None,
                "",
                f"Exact duplicate of row {first_row}" + ("; removed." if options.dedupe else "."),
                {"same_as_row": first_row},
                options.dedupe,
            )
        )

    # Prompt groups (runs of one normalised prompt): conflicts, and the unit of the split.
    conflict_groups: list[dict[str, Any]] = []
    conflict_count = 0
    members: list[tuple[int, int, int]] = []
    group_prompt: int | None = None
    group_cat = 0

    def close_group() -> None:
        nonlocal conflict_count
        if not members:
            return
        answers = {a for _, _, a in members}
        if len(answers) > 1:
            conflict_count += 1
            if len(conflict_groups) < 500:
                conflict_groups.append(
                    {
                        "indices": [i for i, _, _ in members[:5]],
                        "rows": [r for _, r, _ in members[:50]],
                        "answers": len(answers),
                    }
                )
        store.add_group(
            group_prompt, _h64(f"{options.seed}:{group_prompt}"), group_cat, len(members)
        )

    query = "SELECT i, ph, ah, cat, row FROM ex WHERE st = 0 ORDER BY ph, i"
    for i, ph, ah, cat, row in store.query(query):
        if status[i] != OK:
            continue
        if ph != group_prompt:
            close_group()
            members, group_prompt, group_cat = [], ph, cat
        members.append((i, row, ah))
    close_group()
    conflict_rows = {i for g in conflict_groups for i in g["indices"]}

    # Split: whole prompt groups, stratified by category, in a seeded order.
    validation_prompts: set[int] = set()
    for (cat,) in list(store.query("SELECT DISTINCT cat FROM grp")):
        total = next(store.query("SELECT SUM(size) FROM grp WHERE cat = ?", cat))[0]
        target = round(total * options.validation_fraction)
        taken = 0
        for ph, size in store.query("SELECT ph, size FROM grp WHERE cat = ? ORDER BY rkey", cat):
            if taken >= target:
                break
            if taken + size > target and taken > 0:
                continue
            validation_prompts.add(ph)
            taken += size
    # A prompt group is never split, so no validation prompt is also a training prompt.
    leaks = 0

    valid = sum(1 for s in status if s == OK)
    blocked_rows = sum(1 for s in status if s == BLOCKED)
    reader_errors = sum(
        1
        for p in problems.items
        if p.severity == "error"
        and not p.dropped
        and p.row is not None
        and p.code in ("invalid_json", "invalid_utf8", "too_deep", "line_too_long")
    )
    if valid < 10:
        problems.add(
            ProblemRecord(
                "too_few_examples",
                "error",
                "",
                None,
                "",
                f"Only {valid} usable example(s); OpenAI needs at least 10.",
                {"valid": valid},
            )
        )
    elif valid < 50:
        problems.add(
            ProblemRecord(
                "few_examples",
                "warning",
                "",
                None,
                "",
                f"{valid} usable examples: OpenAI recommends at least 50 for a clear improvement.",
                {"valid": valid},
            )
        )
    if leaks:
        problems.add(
            ProblemRecord(
                "leak",
                "error",
                "",
                None,
                "",
                f"{leaks} validation example(s) share a prompt with training examples.",
                {"count": leaks},
            )
        )
    usable = valid >= 10 and blocked_rows == 0 and reader_errors == 0 and not leaks

    # Pass 2: write the kept examples.
    report(90, "Writing training and validation files")
    train_path = out_dir / "train.jsonl"
    validation_path = out_dir / "validation.jsonl"
    meta_path = out_dir / "meta.jsonl"
    conflict_texts: dict[int, tuple[str, str]] = {}
    train_count = validation_count = 0
    train_billable = 0
    numbers = store.query("SELECT ph, tok, row, cat, ch FROM ex ORDER BY i")
    with (
        stage_path.open(encoding="utf-8") as stage,
        train_path.open("w", encoding="utf-8") as train_f,
        validation_path.open("w", encoding="utf-8") as val_f,
        meta_path.open("w", encoding="utf-8") as meta_f,
    ):
        for i, raw in enumerate(stage):
            ph, tok, row, cat, ch = next(numbers)
            if i in conflict_rows:
                prompt_json, line = raw.rstrip("\n").split("\t", 1)
                record = json.loads(line)
                answer = "\n".join(
                    content_text(m.get("content"))
                    for m in _messages(kind, record)
                    if m.get("role") == "assistant"
                )
                conflict_texts[i] = (json.loads(prompt_json), answer)
            if status[i] != OK:
                continue
            prompt_json, line = raw.rstrip("\n").split("\t", 1)
            in_validation = ph in validation_prompts
            split = "validation" if in_validation else "train"
            if in_validation:
                val_f.write(line + "\n")
                position = validation_count
                validation_count += 1
            else:
                train_f.write(line + "\n")
                position = train_count
                train_count += 1
                train_billable += min(tok, limit)
            meta_f.write(
                json.dumps(
                    {
                        "split": split,
                        "position": position,
                        "source_row": row or None,
                        "category": categories[cat],
                        "tokens": tok,
                        "prompt_text": json.loads(prompt_json),
                        "content_hash": f"{ch % (1 << 64):016x}",
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    stage_path.unlink()

    for group in conflict_groups:
        shown = [i for i in group["indices"] if i in conflict_texts]
        problems.add(
            ProblemRecord(
                "conflict",
                "warning",
                sniffed.sheet or "",
                group["rows"][0] or None,
                "",
                f"The same prompt has {group['answers']} different answers "
                f"(rows {', '.join(str(r) for r in group['rows'][:10])}).",
                {
                    "rows": group["rows"],
                    "prompt": conflict_texts[shown[0]][0][:500] if shown else "",
                    "answers": [
                        {"row": row_of, "text": conflict_texts[i][1][:1000]}
                        for i, row_of in zip(group["indices"], group["rows"], strict=False)
                        if i in conflict_texts
                    ],
                },
            )
        )

    report(97, "Statistics")
    stats = build_stats(
        store=store,
        categories=Counter(
            {
                categories[c]: k
                for c, k in store.query("SELECT cat, COUNT(*) FROM ex WHERE st = 0 GROUP BY cat")
            }
        ),
        source_examples=source_examples,
        valid=valid,
        duplicates=duplicates,
        conflicts=conflict_count,
        blank_rows=blank_rows,
        empty_columns=dict(empty_columns),
        pii=dict(cleaner.pii_found),
        train_count=train_count,
        validation_count=validation_count,
    )
    est = estimate(
        model=options.model,
        n_train=train_count,
        tokens_per_epoch=train_billable,
        n_epochs=options.n_epochs,
        price_per_1m=options.price_per_1m,
    )
    cleaning = {
        **cleaner.counts,
        "empty_rows_dropped": blank_rows if options.drop_empty else 0,
        "duplicates_removed": duplicates if options.dedupe else 0,
        "pii_found": sum(cleaner.pii_found.values()),
    }
    store.close()
    stats["cleaning"] = cleaning
    stats["estimate"] = est
    stats["max_example_tokens"] = limit
    report(100, "Done")
    return PipelineResult(
        usable=usable,
        kind=kind,
        problems=problems.items,
        stats=stats,
        estimate=est,
        train_path=train_path,
        validation_path=validation_path,
        meta_path=meta_path,
        train_count=train_count,
        validation_count=validation_count,
        cleaning=cleaning,
        problem_counts={k: dict(v) for k, v in problems.counts.items()},
    )


def preview_examples(
    source: Path, sniffed: SniffResult, options: PipelineOptions, limit: int = 5
) -> list[dict[str, Any]]:
    """What the first rows become, cleaned as the run will clean them."""
    kind = _kind(sniffed, options.mapping)
    cleaner = _Cleaner(options)
    out: list[dict[str, Any]] = []
    for ex in _source(source, sniffed, options):
        if isinstance(ex.record, dict):
            cleaner.clean(kind, ex.record)
            out.append(
                {
                    "row": ex.row,
                    "sheet": ex.sheet,
                    "kind": kind,
                    "record": ex.record,
                    "messages": _messages(kind, ex.record),
                }
            )
            if len(out) >= limit:
                break
    return out
