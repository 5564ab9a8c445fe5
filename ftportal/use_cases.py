"""Use cases are templates in code: a system prompt, expected columns, metrics.

A project picks one; the dataset mapping step pre-selects columns by matching
header names against `ColumnSpec.synonyms`, and evaluations offer `metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models


class UseCaseKey(models.TextChoices):
    SUPPORT = "support", "Customer support"
    LEGAL = "legal", "Legal documents"
    RECOMMENDATIONS = "recommendations", "Product recommendations"
    CUSTOM = "custom", "Custom"


@dataclass(frozen=True)
class ColumnSpec:
    role: str  # prompt, response, context, category, system
    label: str
    synonyms: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True)
class UseCase:
    key: str
    label: str
    default_system_prompt: str
    columns: tuple[ColumnSpec, ...]
    metrics: tuple[str, ...] = field(default_factory=tuple)


_PROMPT = (
    "prompt", "question", "questions", "q", "query", "instruction", "input", "utterance",
    "frage", "fragen", "pregunta", "preguntas", "question_text", "user", "user_message",
)  # fmt: skip
_RESPONSE = (
    "response", "answer", "answers", "a", "completion", "output", "expected_output",
    "expected completion", "reply", "antwort", "antworten", "respuesta", "respuestas",
    "assistant", "assistant_message",
)  # fmt: skip
_CATEGORY = ("category", "class", "intent", "topic", "label", "kategorie", "categoria")

USE_CASES: dict[str, UseCase] = {
    UseCaseKey.SUPPORT: UseCase(
        key=UseCaseKey.SUPPORT,
        label="Customer support",
        default_system_prompt=(
            "You are a friendly, accurate customer support assistant. Answer from the "
            "company's policies; if you do not know, say so and offer to connect a human."
        ),
        columns=(
            ColumnSpec("prompt", "Question", _PROMPT),
            ColumnSpec("response", "Answer", _RESPONSE),
            ColumnSpec("category", "Category", _CATEGORY, required=False),
        ),
        metrics=("exact_match", "token_f1", "answer_length_ratio", "refusal_rate"),
    ),
    UseCaseKey.LEGAL: UseCase(
        key=UseCaseKey.LEGAL,
        label="Legal documents",
        default_system_prompt=(
            "You are a careful legal assistant. Answer only from the clause or document "
            "provided, quote the relevant text, and say when the text does not answer."
        ),
        columns=(
            ColumnSpec("prompt", "Instruction", _PROMPT),
            ColumnSpec(
                "context",
                "Clause or context text",
                ("text", "clause", "context", "contract", "document", "passage", "klausel"),
            ),
            ColumnSpec("response", "Response", _RESPONSE),
        ),
        metrics=("exact_match", "token_f1", "citation_overlap"),
    ),
    UseCaseKey.RECOMMENDATIONS: UseCase(
        key=UseCaseKey.RECOMMENDATIONS,
        label="Product recommendations",
        default_system_prompt=(
            "You recommend products from our catalogue that fit the customer's profile "
            "and history, and say briefly why each one fits."
        ),
        columns=(
            ColumnSpec(
                "prompt",
                "Customer profile or history",
                ("profile", "customer", "history", "customer_profile", "purchase_history")
                + _PROMPT,
            ),
            ColumnSpec(
                "response",
                "Recommendation",
                ("recommendation", "recommendations", "product", "products") + _RESPONSE,
            ),
        ),
        metrics=("token_f1", "item_overlap", "answer_length_ratio"),
    ),
    UseCaseKey.CUSTOM: UseCase(
        key=UseCaseKey.CUSTOM,
        label="Custom",
        default_system_prompt="You are a helpful assistant.",
        columns=(
            ColumnSpec("prompt", "Prompt", _PROMPT),
            ColumnSpec("response", "Response", _RESPONSE),
        ),
        metrics=("exact_match", "token_f1"),
    ),
}


def use_case_for(key: str) -> UseCase:
    return USE_CASES[key]


def _normalise_header(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def guess_columns(use_case_key: str, headers: list[str]) -> dict[str, str]:
    """Map each role of the use case to the best-matching header, if any."""
    normalised = {_normalise_header(h): h for h in headers if h}
    taken: set[str] = set()
    guess: dict[str, str] = {}
    for spec in use_case_for(use_case_key).columns:
        for synonym in spec.synonyms:
            header = normalised.get(_normalise_header(synonym))
            if header and header not in taken:
                guess[spec.role] = header
                taken.add(header)
                break
    return guess
