from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datasets_app.helpers import chat, write_jsonl, write_xlsx

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "validate_dataset", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def planted(tmp_path) -> Path:
    """60 good examples and one of each planted defect, at known lines."""
    lines: list[object] = [chat(f"Question {i}?", f"Answer {i}.", system="S") for i in range(60)]
    lines += [
        "this is not json",  # invalid_json
        chat("Question 0?", "Answer 0.", system="S"),  # duplicate of line 1
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "q"}]},
        {
            "messages": [
                {"role": "system", "content": "S"},
                {"role": "robot", "content": "q"},
                {"role": "assistant", "content": "a"},
            ]
        },  # fmt: skip
        chat("Question with <|endoftext|>?", "A.", system="S"),
        {"prompt": "not chat"},  # missing_messages_list
    ]
    return write_jsonl(tmp_path / "planted.jsonl", lines)


def test_it_reports_planted_defects_as_json(planted):
    result = _run(str(planted), "--format", "json")
    assert result.returncode == 1, result.stderr  # errors were not dropped
    report = json.loads(result.stdout)  # exactly one JSON object
    assert set(report) == {"examples", "valid_examples", "errors", "warnings", "tokens",
                           "estimate"}  # fmt: skip
    assert report["examples"] == 66
    assert report["valid_examples"] == 60
    assert report["errors"] == {
        "invalid_json": 1,
        "example_missing_assistant_message": 1,
        "unrecognized_role": 1,
        "special_tokens": 1,
        "missing_messages_list": 1,
    }
    assert report["warnings"] == {"duplicate": 1, "no_user_message": 1}
    assert report["tokens"]["min"] <= report["tokens"]["p50"] <= report["tokens"]["max"]
    estimate = report["estimate"]
    assert estimate["model"] == "gpt-4o-mini-2024-07-18"
    assert estimate["n_epochs"] == 3


def test_it_exits_0_on_usable_data_and_reads_spreadsheets(tmp_path):
    rows = [["Frage", "Antwort", "Kategorie"]]
    rows += [[f"Frage {i}?", f"Antwort {i}.", "x"] for i in range(20)]
    path = write_xlsx(tmp_path / "faq.xlsx", rows, sheet="FAQ")
    result = _run(
        str(path),
        "--sheet",
        "FAQ",
        "--map",
        "prompt=Frage,response=Antwort,category=Kategorie",
        "--format",
        "json",
        "--model",
        "gpt-3.5-turbo-0125",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid_examples"] == 20
    assert report["estimate"]["n_epochs"] == 5


def test_it_prints_a_readable_report_without_json(tmp_path):
    path = write_xlsx(tmp_path / "faq.xlsx", [["question", "answer"]] +
                      [[f"q{i}", f"a{i}"] for i in range(12)])  # fmt: skip
    result = _run(str(path))
    assert result.returncode == 0
    assert "Mapped columns" in result.stdout and "Usable for training." in result.stdout


@pytest.mark.parametrize("args", [
    ("/no/such/file.csv",),
    ("{planted}", "--format", "xml"),
])  # fmt: skip
def test_it_exits_2_on_usage_errors(planted, args):
    result = _run(*(a.format(planted=planted) for a in args))
    assert result.returncode == 2


def test_it_exits_2_on_an_unknown_column(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("q,a\nx,y\n")
    result = _run(str(path), "--map", "prompt=nope")
    assert result.returncode == 2
    assert "nope" in result.stderr and "q, a" in result.stderr


def test_a_refused_file_exits_1_with_its_reason(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = _run(str(path), "--format", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"] == {"empty_file": 1}
