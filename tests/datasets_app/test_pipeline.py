from __future__ import annotations

import json
from decimal import Decimal

import pytest

from datasets_app.pipeline import (
    Mapping,
    PipelineCancelled,
    PipelineOptions,
    default_epochs,
    preview_examples,
    run_pipeline,
    sniff,
)
from datasets_app.pipeline.text import CleanOptions, clean_text, find_pii, iban_ok, luhn_ok
from datasets_app.pipeline.tokens import count_batch
from datasets_app.pipeline.validate import validate_chat, validate_preference
from ftportal.lib.tokens import get_encoding
from tests.datasets_app.helpers import chat, faq_rows, write_jsonl, write_xlsx

QA = Mapping(prompt="question", response="answer")


def _csv(tmp_path, rows, header=("question", "answer"), name="faq.csv"):
    import csv

    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _run(tmp_path, path, **options):
    options.setdefault("mapping", None if path.suffix == ".jsonl" else QA)
    result = run_pipeline(path, sniff(path, path.name), PipelineOptions(**options),
                          out_dir=tmp_path / "out")  # fmt: skip
    return result


def _codes(result, severity=None):
    return {(p.code, p.row) for p in result.problems if severity in (None, p.severity)}


# Cleaning ------------------------------------------------------------------------


def test_cleaning_trims_collapses_and_keeps_line_breaks():
    counts: dict[str, int] = {}
    text = clean_text("  Hello   there \t you\r\n\n\n\nsecond   line  ", CleanOptions(), counts)
    assert text == "Hello there you\n\nsecond line"
    assert counts == {"whitespace_trimmed": 1}


def test_cleaning_normalises_unicode_and_strips_html_when_asked():
    counts: dict[str, int] = {}
    decomposed = "Cafe\u0301"
    assert clean_text(decomposed, CleanOptions(), counts) == "Café"
    assert clean_text("<p>Hi <b>you</b></p><script>x()</script> &amp; me",
                      CleanOptions(strip_html=True), counts) == "Hi you & me"  # fmt: skip
    assert clean_text("<b>kept</b>", CleanOptions(), {}) == "<b>kept</b>"  # off by default
    assert counts["unicode_normalised"] == 1 and counts["html_stripped"] == 1


def test_pii_detection_checks_luhn_and_iban_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89 3704 0044 0532 0130 00") and not iban_ok("DE00 3704 0044 0532 0130 00")
    text = ("Mail ann@example.com, card 4111 1111 1111 1111, not 4111 1111 1111 1112, "
            "IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, call +49 30 1234 5678 "
            "on 2024-03-01")  # fmt: skip
    assert [k for k, _, _ in find_pii(text)] == ["EMAIL", "CARD", "IBAN", "SSN", "PHONE"]


@pytest.mark.parametrize(("mode", "kept", "text"), [
    ("flag", 12, "Write to ann@example.com"),
    ("redact", 12, "Write to [EMAIL]"),
    ("drop", 11, None),
])  # fmt: skip
def test_pii_modes(tmp_path, mode, kept, text):
    rows = faq_rows(11) + [["Who do I write to?", "Write to ann@example.com"]]
    result = _run(tmp_path, _csv(tmp_path, rows), pii_mode=mode,
                  drop_codes=frozenset({"pii"}), validation_fraction=0)  # fmt: skip
    assert result.train_count == kept
    lines = result.train_path.read_text().splitlines()
    if text:
        assert json.loads(lines[-1])["messages"][-1]["content"] == text
    assert ("pii", 13) in _codes(result)
    assert result.stats["pii"] == {"EMAIL": 1}


# Validation ------------------------------------------------------------------------


@pytest.mark.parametrize(("example", "codes"), [
    ("not a dict", {"data_type"}),
    ({"nope": 1}, {"missing_messages_list"}),
    ({"messages": [{"content": "hi"}, {"role": "assistant", "content": "x"}]},
     {"message_missing_key", "no_system_message", "no_user_message"}),
    ({"messages": [{"role": "user", "content": "hi", "mood": 1},
                   {"role": "assistant", "content": "x"}]},
     {"message_unrecognized_key", "no_system_message"}),
    ({"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "x"}]},
     {"unrecognized_role", "no_system_message", "no_user_message"}),
    ({"messages": [{"role": "system", "content": ""}, {"role": "user", "content": "q"},
                   {"role": "assistant", "content": "a"}]}, {"missing_content"}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]},
     {"example_missing_assistant_message"}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": " "},
                   {"role": "assistant", "content": "a"}]}, {"empty_prompt"}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                   {"role": "assistant", "content": ""}]}, {"empty_response"}),
    ({"messages": [{"role": "system", "content": "s"},
                   {"role": "user", "content": "q", "weight": 1},
                   {"role": "assistant", "content": "a", "weight": 0.5}]}, {"invalid_weight"}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                   {"role": "assistant", "content": "a <|endoftext|>"}]}, {"special_tokens"}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                   {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                    "function": {"name": "f", "arguments": {"not": "a string"}}}]},
                   {"role": "tool", "content": "42"}]},
     {"invalid_tool_call", "message_missing_key"}),
    ({"messages": [{"role": "system", "content": "s"},
                   {"role": "user", "content": [{"type": "text", "text": "q"}, {"type": "video"}]},
                   {"role": "assistant", "content": "a"}]}, {"invalid_content_part"}),
])  # fmt: skip
def test_chat_validation_codes(example, codes):
    assert {f.code for f in validate_chat(example)} == codes


def test_valid_tool_call_and_content_parts_pass():
    example = {
        "tools": [{"type": "function", "function": {"name": "get_price", "parameters": {}}}],
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": [{"type": "text", "text": "price?"},
                                         {"type": "image_url", "image_url": {"url": "x"}}]},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
             "function": {"name": "get_price", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "3"},
            {"role": "assistant", "content": "It costs 3.", "weight": 1},
        ],
    }  # fmt: skip
    assert validate_chat(example) == []


def test_preference_validation():
    good = {"input": {"messages": [{"role": "user", "content": "q"}]},
            "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}]}  # fmt: skip
    assert validate_preference(good) == []
    two = dict(good, preferred_output=good["preferred_output"] * 2)
    assert {f.code for f in validate_preference(two)} == {"dpo_output_not_single_assistant"}
    empty = dict(good, input={"messages": []})
    assert {f.code for f in validate_preference(empty)} == {"dpo_empty_input"}


# Tokens ------------------------------------------------------------------------


def test_token_counts_follow_openais_recipe():
    enc = get_encoding("o200k_base")
    example = chat("Hello there", "General Kenobi", system="Be brief")
    total, answer = count_batch(enc, "supervised", [example])[0]
    strings = ["system", "Be brief", "user", "Hello there", "assistant", "General Kenobi"]
    assert total == 3 * 3 + sum(len(enc.encode(s)) for s in strings) + 3
    assert answer == len(enc.encode("assistant")) + len(enc.encode("General Kenobi"))
    named = {"messages": [{"role": "user", "name": "bob", "content": "x"}]}
    plain = {"messages": [{"role": "user", "content": "x"}]}
    n_named = count_batch(enc, "supervised", [named])[0][0]
    n_plain = count_batch(enc, "supervised", [plain])[0][0]
    assert n_named == n_plain + len(enc.encode("bob")) + 1


def test_too_many_tokens_uses_the_models_limit(tmp_path):
    rows = faq_rows(12) + [["Long one?", "word " * 300]]
    result = _run(tmp_path, _csv(tmp_path, rows), max_example_tokens=200)
    assert ("too_many_tokens", 14) in _codes(result, "error")
    assert not result.usable
    dropped = _run(tmp_path, _csv(tmp_path, rows), max_example_tokens=200,
                   drop_codes=frozenset({"too_many_tokens"}))  # fmt: skip
    assert dropped.usable and dropped.train_count + dropped.validation_count == 12


# The whole run -------------------------------------------------------------------


def test_it_builds_chat_examples_with_context_system_and_category(tmp_path):
    path = write_xlsx(tmp_path / "legal.xlsx", [
        ["Clause", "Instruction", "Response", "Topic"],
        *[[f"Clause {i} text", f"Explain clause {i}", f"It means {i}.", "a" if i % 2 else "b"]
          for i in range(40)],
    ])  # fmt: skip
    mapping = Mapping(prompt="Instruction", response="Response", context=["Clause"],
                      category="Topic")  # fmt: skip
    result = _run(tmp_path, path, mapping=mapping, default_system_prompt="Be careful.",
                  validation_fraction=0.2)  # fmt: skip
    first = json.loads(result.train_path.read_text().splitlines()[0])
    assert first["messages"][0] == {"role": "system", "content": "Be careful."}
    assert first["messages"][1]["content"].startswith("Clause:\nClause ")
    assert result.validation_count == 8
    # Stratified: each category keeps its share in validation.
    meta = [json.loads(x) for x in result.meta_path.read_text().splitlines()]
    val_categories = sorted(m["category"] for m in meta if m["split"] == "validation")
    assert val_categories == ["a"] * 4 + ["b"] * 4
    assert result.stats["categories"] == {"a": 20, "b": 20}


def test_it_removes_duplicates_and_lists_conflicts(tmp_path):
    rows = faq_rows(20) + [faq_rows(1)[0], ["How do I do thing 3?", "Differently."]]
    result = _run(tmp_path, _csv(tmp_path, rows), validation_fraction=0.25)
    assert ("duplicate", 22) in _codes(result, "warning")
    conflict = next(p for p in result.problems if p.code == "conflict")
    assert conflict.detail["rows"] == [5, 23]
    assert {a["text"] for a in conflict.detail["answers"]} == {"You do thing 3 like this.",
                                                               "Differently."}  # fmt: skip
    assert result.stats["duplicates"] == 1 and result.stats["conflicts"] == 1
    # The two answers to one prompt land in the same split: no leak.
    meta = [json.loads(x) for x in result.meta_path.read_text().splitlines()]
    splits = {m["split"] for m in meta if m["prompt_text"] == "How do I do thing 3?"}
    assert len(splits) == 1
    assert "leak" not in result.problem_counts["error"]


def test_blocking_errors_make_the_data_unusable_until_dropped(tmp_path):
    rows = faq_rows(15) + [["", "orphan answer"], ["orphan question", ""]]
    result = _run(tmp_path, _csv(tmp_path, rows))
    assert not result.usable
    assert {("empty_prompt", 17), ("empty_response", 18)} <= _codes(result, "error")
    problem = next(p for p in result.problems if p.code == "empty_prompt")
    assert problem.column == "question"
    ok = _run(tmp_path, _csv(tmp_path, rows),
              drop_codes=frozenset({"empty_prompt", "empty_response"}))  # fmt: skip
    assert ok.usable and ok.train_count + ok.validation_count == 15


def test_dataset_level_rules(tmp_path):
    few = _run(tmp_path, _csv(tmp_path, faq_rows(9)))
    assert not few.usable and "too_few_examples" in few.problem_counts["error"]
    some = _run(tmp_path, _csv(tmp_path, faq_rows(30)))
    assert some.usable and "few_examples" in some.problem_counts["warning"]


def test_legacy_prompt_completion_and_bad_lines(tmp_path):
    lines = [{"prompt": f"p{i}", "completion": f"c{i}"} for i in range(12)] + ["{broken"]
    result = _run(tmp_path, write_jsonl(tmp_path / "legacy.jsonl", lines))
    first = json.loads(result.train_path.read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    assert ("invalid_json", 13) in _codes(result, "error")
    assert not result.usable  # a bad line stops the run unless dropped
    assert _run(tmp_path, write_jsonl(tmp_path / "l.jsonl", lines),
                drop_codes=frozenset({"invalid_json"})).usable  # fmt: skip


def test_multi_turn_rows_group_into_conversations(tmp_path):
    rows = [["conv", "speaker", "text"]]
    for c in range(12):
        rows += [[f"c{c}", "customer", f"Hi {c}"], [f"c{c}", "agent", f"Hello {c}"],
                 [f"c{c}", "customer", "Thanks"], [f"c{c}", "agent", "Bye"]]  # fmt: skip
    path = write_xlsx(tmp_path / "chats.xlsx", rows)
    mapping = Mapping(prompt="text", conversation_id="conv", role="speaker")
    result = _run(tmp_path, path, mapping=mapping, validation_fraction=0)
    first = json.loads(result.train_path.read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["user", "assistant", "user", "assistant"]
    assert result.train_count == 12


def test_preference_mapping_builds_dpo_records(tmp_path):
    rows = [[f"q{i}", f"good {i}", f"bad {i}"] for i in range(12)]
    path = _csv(tmp_path, rows, header=("question", "chosen", "rejected"))
    result = _run(tmp_path, path, mapping=Mapping(prompt="question", preferred="chosen",
                                                  rejected="rejected"))  # fmt: skip
    record = json.loads(result.train_path.read_text().splitlines()[0])
    assert set(record) == {"input", "preferred_output", "non_preferred_output"}
    assert result.kind == "preference" and result.usable


def test_estimate_and_epochs_rule(tmp_path):
    assert [default_epochs(n) for n in (1, 10, 34, 100, 8_333, 9_000, 30_000)] == [
        25, 10, 3, 3, 3, 2, 1]  # fmt: skip
    result = _run(tmp_path, _csv(tmp_path, faq_rows(20)), price_per_1m=Decimal("3.00"),
                  validation_fraction=0)  # fmt: skip
    tokens = result.stats["tokens"]["total"]
    assert result.estimate["n_epochs"] == 5  # 100 // 20
    assert result.estimate["billable_tokens"] == tokens * 5
    assert result.estimate["cost_usd"] == pytest.approx(tokens * 5 * 3 / 1e6, abs=1e-4)


def test_cancel_stops_the_run(tmp_path):
    path = _csv(tmp_path, faq_rows(2000))
    with pytest.raises(PipelineCancelled):
        run_pipeline(path, sniff(path, path.name), PipelineOptions(mapping=QA),
                     out_dir=tmp_path / "out", should_cancel=lambda: True)  # fmt: skip


def test_preview_shows_what_rows_become(tmp_path):
    path = _csv(tmp_path, [["  Where   is it? ", "Here."]] * 3)
    preview = preview_examples(
        path,
        sniff(path, path.name),
        PipelineOptions(mapping=QA, default_system_prompt="S"),
        limit=2,
    )
    assert len(preview) == 2
    assert [m["content"] for m in preview[0]["messages"]] == ["S", "Where is it?", "Here."]


def test_the_split_is_seeded(tmp_path):
    path = _csv(tmp_path, faq_rows(100))
    a = _run(tmp_path, path, seed=7).validation_path.read_text()
    b = _run(tmp_path, path, seed=7).validation_path.read_text()
    c = _run(tmp_path, path, seed=8).validation_path.read_text()
    assert a == b and a != c
