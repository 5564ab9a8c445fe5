"""Every file of ../shared/corpus imports with the right mapping or is refused
with a specific message (figures from ../shared/corpus/SOURCES.md)."""

from __future__ import annotations

import pytest

from datasets_app.pipeline import (
    Mapping,
    PipelineOptions,
    ReaderError,
    iter_jsonl,
    iter_table,
    run_pipeline,
    sniff,
)

# path -> (format, data rows or JSONL lines, headers prefix or JSONL kind)
READS = {
    "faq/BankFAQs.csv": ("csv", 1764, ["Question", "Answer", "Class"]),
    "faq/Bitext_Sample_Customer_Service_Training_Dataset.csv": (
        "csv", 8175, ["flags", "utterance", "category", "intent"]),
    "faq/Bitext_Sample_Customer_Service_Training_Dataset.xlsx": (
        "xlsx", 8175, ["flags", "utterance", "category", "intent"]),
    "faq/Bitext_Sample_Customer_Support_Training_Dataset.csv": (
        "csv", 4514, ["context", "role", "instruction", "intent"]),
    "faq/Ecommerce_FAQ_Chatbot_dataset.json": ("json", 79, ["question", "answer"]),
    "faq/TEXT.csv": ("csv", 10, ["Questions", "Answers"]),
    "faq/jar_app_faq/data.csv": ("csv", 54, ["prompt", "completion"]),
    "legal/cuad/master_clauses.csv": ("csv", 510, ["Filename", "Document Name"]),
    "legal/datasaur/doc-qa/qa_doc.csv": ("csv", 236, ["input", "expected_output"]),
    "legal/datasaur/legalbench-rag-qa/cuad.csv": ("csv", 50, ["prompt", "expected completion"]),
    "legal/datasaur/legalbench-rag-qa/privacy_qa.csv": (
        "csv", 50, ["prompt", "expected completion"]),
    "legal/legalbench/consumer_contracts_qa/train.tsv": (
        "csv", 4, ["index", "contract", "question", "answer"]),
    "legal/legalbench/contract_nli_confidentiality_of_agreement/train.tsv": (
        "csv", 8, ["index", "answer", "text"]),
    "legal/legalbench/contract_qa/train.tsv": ("csv", 8, ["index", "question", "text", "answer"]),
    "legal/legalbench/cuad_anti-assignment/train.tsv": ("csv", 6, ["index", "text", "answer"]),
    "legal/legalbench/definition_extraction/train.tsv": ("csv", 8, ["index", "answer", "text"]),
    "legal/legalbench/learned_hands_consumer/train.tsv": ("csv", 6, ["index", "text", "answer"]),
    "legal/legalbench/privacy_policy_qa/train.tsv": ("csv", 8, ["index", "question", "text"]),
    "legal/legalbench/unfair_tos/train.tsv": ("csv", 9, ["text", "answer", "index"]),
    "messy/csvkit/bad.csv": ("csv", 3, ["column_a", "column_b", "column_c"]),
    "messy/csvkit/blanks.csv": ("csv", 1, ["a", "b", "c", "d", "e", "f"]),
    "messy/csvkit/mac_newlines.csv": ("csv", 2, ["a", "b", "c"]),
    "messy/csvkit/null_byte.csv": ("csv", 1, ["a", "b", "c"]),
    "messy/csvkit/optional_quote_characters.csv": ("csv", 1, ["a", "b", "c"]),
    "messy/csvkit/sheets.xlsx": ("xlsx", 5, ["text", "date", "integer"]),
    "messy/csvkit/test_header_newline.csv": ("csv", 1, ["start end", "b", "c"]),
    "messy/csvkit/test_latin1.csv": ("csv", 2, ["a", "b", "c"]),
    "messy/csvkit/test_skip_lines.xlsx": ("xlsx", 5, ["text", "date", "integer"]),
    "messy/csvkit/test_utf16_big.csv": ("csv", 2, ["a", "b", "c"]),
    "messy/csvkit/test_utf16_little.csv": ("csv", 2, ["a", "b", "c"]),
    "messy/csvkit/test_utf8_bom.csv": ("csv", 2, ["foo", "bar", "baz"]),
    "messy/fivethirtyeight/avengers.csv": ("csv", 173, ["URL", "Name/Alias", "Appearances"]),
    "messy/readxl/type-me.xlsx": ("xlsx", 10, ["maybe boolean?", "description"]),
    "messy/semicolon/student-mat.csv": ("csv", 395, ["escuela", "sexo", "edad", "nota"]),
    "messy/uci_bank_marketing_resaved/bank-full.csv": ("csv", 4521, ["age", "job", "marital"]),
    "product/amazon.csv": ("csv", 1465, ["product_id", "product_name"]),
    "product/csvkit_realdata/ks_1033_data.csv": ("csv", 1575, ["state", "county"]),
    "product/csvkit_realdata/ne_1033_data.xlsx": ("xlsx", 1036, ["state", "county"]),
    "product/fine_food_reviews_1k.csv": ("csv", 1000, ["Id", "ProductId"]),
    "product/googleplaystore.csv": ("csv", 10841, ["App", "Category", "Rating"]),
    "finetune_jsonl/legacy_prompt_completion/data_prepared.jsonl": (
        "jsonl", 54, "prompt_completion"),
    "finetune_jsonl/microsoft-foundry/dpo_orca_dpo_pairs/validation.jsonl": (
        "jsonl", 284, "preference"),
    "finetune_jsonl/microsoft-foundry/sft_gsm8k/chat_train.jsonl": ("jsonl", 449, "chat"),
    "finetune_jsonl/microsoft-foundry/sft_multimodal_chartqa/training.jsonl": (
        "jsonl", 100, "chat"),
    "finetune_jsonl/microsoft-foundry/sft_tool_calling/stock_toolcall_training.jsonl": (
        "jsonl", 86, "chat"),
    "finetune_jsonl/openai-cookbook/toy_chat_fine_tuning.jsonl": ("jsonl", 5, "chat"),
}  # fmt: skip

# Files that make training data, with their mapping: path -> (mapping, usable, checks)
IMPORTS = {
    "faq/BankFAQs.csv": (Mapping(prompt="Question", response="Answer", category="Class"), True),
    "faq/TEXT.csv": (Mapping(prompt="Questions", response="Answers"), True),  # exactly 10
    "faq/jar_app_faq/data.csv": (Mapping(prompt="prompt", response="completion"), True),
    "faq/Bitext_Sample_Customer_Support_Training_Dataset.csv": (
        Mapping(prompt="instruction", response="response", category="category"), True),
    "faq/Ecommerce_FAQ_Chatbot_dataset.json": (Mapping(prompt="question", response="answer"), True),
    "legal/datasaur/doc-qa/qa_doc.csv": (Mapping(prompt="input", response="expected_output"), True),
    "legal/datasaur/legalbench-rag-qa/cuad.csv": (
        Mapping(prompt="prompt", response="expected completion"), True),
    "legal/datasaur/legalbench-rag-qa/privacy_qa.csv": (
        Mapping(prompt="prompt", response="expected completion"), True),
    "legal/legalbench/contract_qa/train.tsv": (
        Mapping(prompt="question", response="answer", context=["text"]), False),  # 8 rows
    "finetune_jsonl/legacy_prompt_completion/data_prepared.jsonl": (None, True),
    "finetune_jsonl/microsoft-foundry/dpo_orca_dpo_pairs/validation.jsonl": (None, True),
    "finetune_jsonl/microsoft-foundry/sft_gsm8k/chat_train.jsonl": (None, True),
    "finetune_jsonl/microsoft-foundry/sft_multimodal_chartqa/training.jsonl": (None, True),
    "finetune_jsonl/microsoft-foundry/sft_tool_calling/stock_toolcall_training.jsonl": (None, True),
    "finetune_jsonl/openai-cookbook/toy_chat_fine_tuning.jsonl": (None, False),  # 5 examples
}  # fmt: skip


def test_every_corpus_file_is_covered(corpus_dir):
    on_disk = {
        str(p.relative_to(corpus_dir)) for p in corpus_dir.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    }  # fmt: skip
    assert on_disk == set(READS)


@pytest.mark.parametrize("relative", sorted(READS))
def test_it_reads_each_corpus_file(corpus_dir, relative):
    path = corpus_dir / relative
    fmt, count, shape = READS[relative]
    try:
        sniffed = sniff(path, path.name)
    except ReaderError as exc:  # pragma: no cover - every corpus file is readable today
        pytest.fail(f"{relative} refused: {exc.message}")
    assert sniffed.format == fmt
    if fmt == "jsonl":
        assert sniffed.jsonl_kind == shape
        assert sum(1 for line in iter_jsonl(path) if line.error is None) == count
    else:
        assert sniffed.headers[: len(shape)] == shape
        assert sum(1 for row in iter_table(path, sniffed) if not row.is_blank) == count


@pytest.mark.parametrize("relative", sorted(IMPORTS))
def test_it_imports_each_training_file(corpus_dir, tmp_path, relative):
    path = corpus_dir / relative
    mapping, usable = IMPORTS[relative]
    result = run_pipeline(path, sniff(path, path.name),
                          PipelineOptions(mapping=mapping, default_system_prompt="You help."),
                          out_dir=tmp_path)  # fmt: skip
    assert result.usable is usable, (result.problem_counts, result.stats["valid_examples"])
    if not usable:
        assert result.problem_counts["error"], "a refusal always names its reason"
    assert result.train_count + result.validation_count == result.stats["examples"]


def test_bank_faq_duplicates_are_found(corpus_dir, tmp_path):
    path = corpus_dir / "faq/BankFAQs.csv"
    mapping = Mapping(prompt="Question", response="Answer", category="Class")
    result = run_pipeline(path, sniff(path, path.name), PipelineOptions(mapping=mapping),
                          out_dir=tmp_path)  # fmt: skip
    # 274 exact duplicate rows, and 3 more that only differ by stray spaces.
    assert result.stats["duplicates"] == 277
    assert result.cleaning["whitespace_trimmed"] >= 30
    assert len(result.stats["categories"]) == 7


def test_latin1_avengers_is_detected_as_windows_1252(corpus_dir):
    sniffed = sniff(corpus_dir / "messy/fivethirtyeight/avengers.csv", "avengers.csv")
    assert sniffed.encoding == "cp1252"
    assert "Windows-1252" in sniffed.notes[0]


def test_bitext_xlsx_without_an_answer_column_is_refused_specifically(corpus_dir, tmp_path):
    path = corpus_dir / "faq/Bitext_Sample_Customer_Service_Training_Dataset.xlsx"
    sniffed = sniff(path, path.name)
    assert sniffed.sheet == "Variations"
    result = run_pipeline(path, sniffed, PipelineOptions(mapping=Mapping(prompt="utterance")),
                          out_dir=tmp_path)  # fmt: skip
    assert not result.usable
    assert result.problem_counts["error"] == {"example_missing_assistant_message": 8175,
                                              "too_few_examples": 1}  # fmt: skip
