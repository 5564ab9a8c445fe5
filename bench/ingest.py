"""Benchmark of the ingestion pipeline (issue 3), quoted in the issue notes.

    .venv/bin/python bench/ingest.py [--rows N] [--small-mb N] [--large-mb N] [--skip-large]

Generates its inputs in a temporary folder, then measures for each:
- the whole pipeline, as `manage.py validate_dataset` in a fresh process
  (wall time and peak RSS of that process);
- tiktoken alone encoding the same message texts in the same run (time spent
  inside encode_ordinary_batch with the pipeline's two threads): the floor;
- for the 200,000-row XLSX, each spreadsheet reader on its own.
Timings on a shared 2-core machine are noisy: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ftportal.settings")

WORDS = [
    "account",
    "password",
    "refund",
    "order",
    "shipping",
    "invoice",
    "delivery",
    "return",
    "card",
    "bank",
    "transfer",
    "help",
    "please",
    "thanks",
    "when",
    "where",
    "how",
    "why",
    "can",
    "could",
    "would",
    "should",
    "the",
    "a",
    "an",
    "to",
    "of",
    "in",
    "on",
    "for",
    "with",
    "my",
    "your",
    "our",
    "their",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "change",
    "update",
    "cancel",
    "track",
]  # noqa: E501


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_csv(path: Path, rows: int) -> None:
    import csv

    rng = random.Random(1)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["question", "answer", "category"])
        for i in range(rows):
            w.writerow([f"{sentence(rng, 12)} #{i}", sentence(rng, 40), rng.choice("abcde")])


def make_jsonl(path: Path, megabytes: int) -> None:
    rng = random.Random(2)
    target = megabytes * 1024 * 1024
    written, i = 0, 0
    with path.open("w", encoding="utf-8") as f:
        while written < target:
            line = json.dumps({"messages": [
                {"role": "system", "content": "You are a helpful support assistant."},
                {"role": "user", "content": f"{sentence(rng, 30)} #{i}"},
                {"role": "assistant", "content": sentence(rng, 120)},
            ]}) + "\n"  # fmt: skip
            f.write(line)
            written += len(line)
            i += 1


def make_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    rng = random.Random(3)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("FAQ")
    ws.append(["question", "answer", "category"])
    for i in range(rows):
        ws.append([f"{sentence(rng, 12)} #{i}", sentence(rng, 40), rng.choice("abcde")])
    wb.save(path)


RUNNER = r"""
import json, os, resource, sys, time
import django
django.setup()
from django.core.management import call_command
start = time.perf_counter()
try:
    with open(os.devnull, "w") as sink:
        call_command("validate_dataset", *sys.argv[1:], "--format", "json", stdout=sink)
except SystemExit:
    pass
wall = time.perf_counter() - start
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "rss_mb": rss_mb}))
"""


def pipeline(path: Path, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", RUNNER, str(path), *args], cwd=ROOT,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def tiktoken_floor(texts_of) -> float:  # noqa: ANN001
    from ftportal.lib.tokens import get_encoding

    enc = get_encoding("o200k_base")
    spent = 0.0
    for batch in texts_of():
        t = time.perf_counter()
        enc.encode_ordinary_batch(batch, num_threads=2)
        spent += time.perf_counter() - t
    return spent


def jsonl_texts(path: Path):  # noqa: ANN201
    def gen():  # noqa: ANN202
        batch: list[str] = []
        with path.open(encoding="utf-8") as f:
            for line in f:
                for m in json.loads(line)["messages"]:
                    batch += [m["role"], m["content"]]
                if len(batch) >= 3000:
                    yield batch
                    batch = []
        if batch:
            yield batch

    return gen


def csv_texts(path: Path, system: str = ""):  # noqa: ANN201
    import csv

    def gen():  # noqa: ANN202
        batch: list[str] = []
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                batch += ["user", row["question"], "assistant", row["answer"]]
                if len(batch) >= 3000:
                    yield batch
                    batch = []
        if batch:
            yield batch

    return gen


def xlsx_readers(path: Path) -> list[tuple[str, float]]:
    import openpyxl
    import python_calamine

    results = []
    t = time.perf_counter()
    ws = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("FAQ")
    n = sum(1 for _ in ws.iter_rows())
    results.append((f"python-calamine iter_rows ({n} rows)", time.perf_counter() - t))
    t = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for _ in wb["FAQ"].iter_rows(values_only=True))
    wb.close()
    results.append((f"openpyxl read_only ({n} rows)", time.perf_counter() - t))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--small-mb", type=int, default=100)
    parser.add_argument("--large-mb", type=int, default=1000)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmpdir = Path(tmp)
        cases = []
        csv_path = tmpdir / "faq.csv"
        make_csv(csv_path, args.rows)
        cases.append((f"CSV {args.rows:,} rows", csv_path, csv_texts(csv_path),
                      ["--map", "prompt=question,response=answer,category=category"]))  # fmt: skip
        small = tmpdir / "small.jsonl"
        make_jsonl(small, args.small_mb)
        cases.append((f"chat JSONL {args.small_mb} MB", small, jsonl_texts(small), []))
        if not args.skip_large:
            large = tmpdir / "large.jsonl"
            make_jsonl(large, args.large_mb)
            cases.append((f"chat JSONL {args.large_mb} MB", large, jsonl_texts(large), []))
        xlsx = tmpdir / "faq.xlsx"
        make_xlsx(xlsx, args.rows)
        cases.append((f"XLSX {args.rows:,} rows", xlsx, None,
                      ["--map", "prompt=question,response=answer,category=category"]))  # fmt: skip

        print(f"{'input':28} {'size MB':>8} {'pipeline s':>11} {'peak RSS MB':>12} "
              f"{'tiktoken s':>11} {'ratio':>6}")  # fmt: skip
        for name, path, texts, extra in cases:
            size = path.stat().st_size / 1e6
            result = pipeline(path, *extra)
            floor = tiktoken_floor(texts) if texts else float("nan")
            ratio = result["wall"] / floor if texts else float("nan")
            print(f"{name:28} {size:8.0f} {result['wall']:11.1f} {result['rss_mb']:12.0f} "
                  f"{floor:11.1f} {ratio:6.2f}", flush=True)  # fmt: skip
        print()
        print(f"Spreadsheet readers on the {args.rows:,}-row XLSX:")
        for name, seconds in xlsx_readers(xlsx):
            print(f"  {name:42} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
