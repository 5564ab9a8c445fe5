"""Turn spreadsheet rows into chat (or preference) examples, as the user mapped them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from datasets_app.pipeline.tabular import TableRow

ROLE_ALIASES = {
    "user": "user",
    "customer": "user",
    "human": "user",
    "question": "user",
    "client": "user",
    "assistant": "assistant",
    "agent": "assistant",
    "bot": "assistant",
    "answer": "assistant",
    "support": "assistant",
    "system": "system",
}


@dataclass
class Mapping:
    prompt: str = ""
    response: str = ""
    system: str = ""
    context: list[str] = field(default_factory=list)
    category: str = ""
    preferred: str = ""
    rejected: str = ""
    conversation_id: str = ""
    role: str = ""

    @property
    def is_preference(self) -> bool:
        return bool(self.preferred and self.rejected)

    @property
    def is_multi_turn(self) -> bool:
        return bool(self.conversation_id and self.role)

    def columns(self) -> list[str]:
        cols = [
            self.prompt,
            self.response,
            self.system,
            *self.context,
            self.category,
            self.preferred,
            self.rejected,
            self.conversation_id,
            self.role,
        ]
        return [c for c in cols if c]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mapping:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class SourceExample:
    """One example before cleaning, with where it came from."""

    sheet: str
    row: int | None
    record: Any  # the chat/preference object, or a raw JSON value from a JSONL line
    category: str = ""
    # Cells the mapping names that were empty, by column, for the statistics.
    empty_columns: tuple[str, ...] = ()
    ragged: bool = False


def _user_content(row: TableRow, mapping: Mapping) -> str:
    prompt = row.cells.get(mapping.prompt, "")
    parts = [
        f"{name}:\n{row.cells.get(name, '').strip()}"
        for name in mapping.context
        if row.cells.get(name, "").strip()
    ]
    if not parts:
        return prompt
    return "\n\n".join([*parts, prompt])


def _system(row: TableRow, mapping: Mapping, default_system: str) -> list[dict[str, str]]:
    text = row.cells.get(mapping.system, "") if mapping.system else ""
    text = text if text.strip() else default_system
    return [{"role": "system", "content": text}] if text.strip() else []


def examples_from_rows(
    rows: Iterator[TableRow], mapping: Mapping, default_system: str
) -> Iterator[SourceExample]:
    if mapping.is_multi_turn:
        yield from _conversations(rows, mapping, default_system)
        return
    for row in rows:
        empties = tuple(c for c in mapping.columns() if not row.cells.get(c, "").strip())
        ragged = "__extra__" in row.cells
        if row.is_blank:
            yield SourceExample(row.sheet, row.row, None, empty_columns=empties)
            continue
        category = row.cells.get(mapping.category, "").strip() if mapping.category else ""
        user = {"role": "user", "content": _user_content(row, mapping)}
        if mapping.is_preference:
            record = {
                "input": {"messages": [*_system(row, mapping, default_system), user]},
                "preferred_output": [
                    {"role": "assistant", "content": row.cells.get(mapping.preferred, "")}
                ],
                "non_preferred_output": [
                    {"role": "assistant", "content": row.cells.get(mapping.rejected, "")}
                ],
            }
        else:
            # Without an answer column there is nothing to learn; validation says so.
            answer = (
                [{"role": "assistant", "content": row.cells.get(mapping.response, "")}]
                if mapping.response
                else []
            )
            record = {"messages": [*_system(row, mapping, default_system), user, *answer]}
        yield SourceExample(row.sheet, row.row, record, category, empties, ragged)


def _conversations(
    rows: Iterator[TableRow], mapping: Mapping, default_system: str
) -> Iterator[SourceExample]:
    """Rows sharing a conversation id become one multi-turn example, in sheet order."""
    open_: dict[str, SourceExample] = {}
    text_column = mapping.prompt or mapping.response
    for row in rows:
        if row.is_blank:
            continue
        key = row.cells.get(mapping.conversation_id, "").strip()
        raw_role = row.cells.get(mapping.role, "").strip().lower()
        role = ROLE_ALIASES.get(raw_role, raw_role)
        text = row.cells.get(text_column, "")
        if mapping.prompt and mapping.response and role == "assistant":
            text = row.cells.get(mapping.response, "") or text
        example = open_.get(key)
        if example is None:
            category = row.cells.get(mapping.category, "").strip() if mapping.category else ""
            example = SourceExample(
                row.sheet, row.row, {"messages": _system(row, mapping, default_system)}, category
            )
            open_[key] = example
        example.record["messages"].append({"role": role, "content": text})
    yield from open_.values()


def examples_from_jsonl(lines: Iterator[Any], kind: str | None) -> Iterator[SourceExample]:
    """JSONL lines as examples; legacy prompt/completion lines become chat."""
    for line in lines:
        if line.error is not None:
            yield SourceExample("", line.line, line.error)
            continue
        obj = line.obj
        if kind == "prompt_completion" and isinstance(obj, dict) and "prompt" in obj:
            obj = {
                "messages": [
                    {"role": "user", "content": str(obj.get("prompt", ""))},
                    {"role": "assistant", "content": str(obj.get("completion", ""))},
                ]
            }
        yield SourceExample("", line.line, obj)
