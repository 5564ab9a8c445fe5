"""Run the ingestion pipeline on a local file and print the report; writes nothing to the database.

Exit status: 0 when the data can be used for training, 1 when it cannot, 2 on a usage error.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from datasets_app.pipeline import Mapping, PipelineOptions, ReaderError, run_pipeline, sniff
from datasets_app.pipeline.prices import model_terms
from ftportal.use_cases import guess_columns

MAP_KEYS = ("prompt", "response", "system", "context", "category", "preferred", "rejected",
            "conversation_id", "role")  # fmt: skip


class UsageError(Exception):
    pass


def parse_map(text: str, headers: list[str]) -> Mapping:
    mapping = Mapping()
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, column = item.partition("=")
        key, column = key.strip(), column.strip()
        if not sep or key not in MAP_KEYS or not column:
            raise UsageError(
                f"--map item {item!r} is not KEY=COLUMN with KEY one of {', '.join(MAP_KEYS)}."
            )
        if column not in headers:
            raise UsageError(
                f"--map names column {column!r}, but the file has: {', '.join(headers)}."
            )
        if key == "context":
            mapping.context.append(column)
        else:
            setattr(mapping, key, column)
    if not (mapping.prompt or mapping.is_multi_turn):
        raise UsageError("--map must name the prompt column (prompt=COLUMN).")
    return mapping


class Command(BaseCommand):
    help = "Validate a dataset file with the portal's pipeline; writes nothing to the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--sheet")
        parser.add_argument("--map", dest="mapping", help="prompt=COL,response=COL[,system=COL]...")
        parser.add_argument("--model", default="gpt-4o-mini-2024-07-18")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--encoding")
        parser.add_argument("--delimiter")
        parser.add_argument("--validation-fraction", type=float, default=0.1)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--n-epochs", type=int)

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except UsageError as exc:
            sys.stderr.write(f"validate_dataset: {exc}\n")
            sys.exit(2)

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["path"])
        if not path.is_file():
            raise UsageError(f"{path} is not a file.")
        try:
            sniffed = sniff(path, path.name, sheet=opts["sheet"], encoding=opts["encoding"],
                            delimiter=opts["delimiter"])  # fmt: skip
        except ReaderError as exc:
            self._refuse(opts, exc)
            return
        mapping = None
        if sniffed.format != "jsonl":
            if opts["mapping"]:
                mapping = parse_map(opts["mapping"], sniffed.headers)
            else:
                guess = guess_columns("custom", sniffed.headers)
                if "prompt" not in guess:
                    raise UsageError(
                        "No prompt column recognised; name it with --map prompt=COL,response=COL "
                        f"(columns: {', '.join(sniffed.headers)})."
                    )
                mapping = Mapping(prompt=guess["prompt"], response=guess.get("response", ""))
                if opts["format"] == "text":
                    self.stdout.write(f"Mapped columns: {guess}")
        price, limit = model_terms(opts["model"])
        options = PipelineOptions(
            mapping=mapping,
            model=opts["model"],
            max_example_tokens=limit,
            price_per_1m=price,
            validation_fraction=opts["validation_fraction"],
            seed=opts["seed"],
            n_epochs=opts["n_epochs"],
        )
        with tempfile.TemporaryDirectory(prefix="validate_dataset-") as tmp:
            try:
                result = run_pipeline(path, sniffed, options, out_dir=Path(tmp))
            except ReaderError as exc:
                self._refuse(opts, exc)
                return
        report = {
            "examples": result.stats["source_examples"],
            "valid_examples": result.stats["valid_examples"],
            "errors": result.problem_counts["error"],
            "warnings": result.problem_counts["warning"],
            "tokens": result.stats["tokens"],
            "estimate": {
                k: result.estimate[k] for k in ("model", "n_epochs", "billable_tokens", "cost_usd")
            },  # fmt: skip
        }
        if opts["format"] == "json":
            self.stdout.write(json.dumps(report))
        else:
            self._print_text(path, sniffed.notes, report, result.usable, result.problems)
        if not result.usable:
            sys.exit(1)

    def _refuse(self, opts: dict[str, Any], exc: ReaderError) -> None:
        if opts["format"] == "json":
            self.stdout.write(json.dumps({
                "examples": 0, "valid_examples": 0, "errors": {exc.code: 1}, "warnings": {},
                "tokens": {"total": 0, "min": 0, "mean": 0.0, "p50": 0, "p95": 0, "max": 0},
                "estimate": {"model": opts["model"], "n_epochs": 0, "billable_tokens": 0,
                             "cost_usd": 0.0},
                "message": exc.message,
            }))  # fmt: skip
        else:
            self.stderr.write(f"Refused: {exc.message}")
        sys.exit(1)

    def _print_text(self, path: Path, notes: list[str], report: dict[str, Any], usable: bool,
                    problems: list[Any]) -> None:  # fmt: skip
        w = self.stdout.write
        w(f"{path.name}: {report['examples']} examples read, {report['valid_examples']} valid.")
        for note in notes:
            w(f"  note: {note}")
        for severity in ("errors", "warnings"):
            for code, count in sorted(report[severity].items()):
                w(f"  {severity[:-1]:7} {code:34} {count}")
        t = report["tokens"]
        w(f"Tokens: total {t['total']:,}, min {t['min']}, mean {t['mean']}, median {t['p50']}, "
          f"p95 {t['p95']}, max {t['max']}")  # fmt: skip
        e = report["estimate"]
        cost = "no price set" if e["cost_usd"] is None else f"${e['cost_usd']:.2f}"
        w(f"Estimate for {e['model']}: {e['n_epochs']} epochs, {e['billable_tokens']:,} billable "
          f"tokens, {cost}")  # fmt: skip
        for p in problems[:20]:
            if p.severity == "error":
                where = ", ".join(
                    filter(None, [p.sheet, f"row {p.row}" if p.row else "", p.column])
                )
                w(f"  {where}: {p.message}")
        w("Usable for training." if usable else "NOT usable for training: fix the errors above.")


__all__ = ["Command", "CommandError"]
