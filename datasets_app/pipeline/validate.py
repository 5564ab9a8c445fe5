"""Per-example checks with OpenAI's rules, named by the cookbook's error codes.

The cookbook's data-preparation notebook checks data_type, missing_messages_list,
message_missing_key, message_unrecognized_key, unrecognized_role, missing_content
and example_missing_assistant_message; we extend them to what the fine-tuning
API accepts today (tool role and tool calls, weight, content parts) and to DPO.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datasets_app.pipeline.text import SPECIAL_TOKENS

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
MESSAGE_KEYS = {
    "role",
    "content",
    "name",
    "weight",
    "tool_calls",
    "tool_call_id",
    "function_call",
    "refusal",
}
CONTENT_PART_TYPES = ("text", "image_url", "input_audio", "file")


@dataclass
class Finding:
    code: str
    severity: str
    field: str
    message: str


def _err(code: str, field: str, message: str) -> Finding:
    return Finding(code, "error", field, message)


def _warn(code: str, field: str, message: str) -> Finding:
    return Finding(code, "warning", field, message)


def content_text(content: Any) -> str:
    """The text of a message's content, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _check_message(msg: Any, index: int, out: list[Finding]) -> None:
    where = f"messages[{index}]"
    if not isinstance(msg, dict):
        out.append(_err("data_type", where, f"Message {index + 1} is not an object."))
        return
    role = msg.get("role")
    if "role" not in msg:
        out.append(
            _err(
                "message_missing_key",
                f"{where}.role",
                f"Message {index + 1} has no “role”: add user, assistant or system.",
            )
        )
    elif role not in ROLES:
        out.append(
            _err(
                "unrecognized_role",
                f"{where}.role",
                f"Message {index + 1} has the role “{role}”; use system, user, assistant or tool.",
            )
        )
    extra = set(msg) - MESSAGE_KEYS
    if extra:
        out.append(
            _err(
                "message_unrecognized_key",
                where,
                f"Message {index + 1} has unknown key(s) {', '.join(sorted(extra))}; remove them.",
            )
        )
    has_tool_calls = bool(msg.get("tool_calls") or msg.get("function_call"))
    if "content" not in msg and not has_tool_calls:
        out.append(
            _err(
                "message_missing_key", f"{where}.content", f"Message {index + 1} has no “content”."
            )
        )
    content = msg.get("content")
    if isinstance(content, list):
        for p, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") not in CONTENT_PART_TYPES:
                out.append(
                    _err(
                        "invalid_content_part",
                        f"{where}.content[{p}]",
                        f"Part {p + 1} of message {index + 1} is not a text or image part.",
                    )
                )
            elif part["type"] == "text" and not isinstance(part.get("text"), str):
                out.append(
                    _err(
                        "invalid_content_part",
                        f"{where}.content[{p}]",
                        f"Text part {p + 1} of message {index + 1} has no text.",
                    )
                )
    elif content is not None and not isinstance(content, str):
        out.append(
            _err(
                "data_type", f"{where}.content", f"The content of message {index + 1} must be text."
            )
        )
    blank = "content" in msg and not content_text(content).strip()
    if blank and not has_tool_calls and not (isinstance(content, list) and content):
        out.append(
            _err(
                "missing_content",
                f"{where}.content",
                f"Message {index + 1} ({role}) is empty: write its text or drop the row.",
            )
        )
    if "weight" in msg:
        if role != "assistant":
            out.append(
                _err(
                    "invalid_weight",
                    f"{where}.weight",
                    f"“weight” is allowed only on assistant messages (message "
                    f"{index + 1} is {role}).",
                )
            )
        elif msg["weight"] not in (0, 1) or isinstance(msg["weight"], bool):
            out.append(
                _err(
                    "invalid_weight",
                    f"{where}.weight",
                    f"“weight” must be 0 or 1, not {msg['weight']!r}.",
                )
            )
    if msg.get("tool_calls") is not None:
        _check_tool_calls(msg["tool_calls"], where, index, out)
    if role == "tool" and not msg.get("tool_call_id"):
        out.append(
            _err(
                "message_missing_key",
                f"{where}.tool_call_id",
                f"Tool message {index + 1} needs the “tool_call_id” it answers.",
            )
        )
    text = content_text(content)
    if any(token in text for token in SPECIAL_TOKENS):
        out.append(
            _err(
                "special_tokens",
                f"{where}.content",
                f"Message {index + 1} contains a special token such as <|endoftext|>; remove it.",
            )
        )


def _check_tool_calls(calls: Any, where: str, index: int, out: list[Finding]) -> None:
    if not isinstance(calls, list) or not calls:
        out.append(
            _err(
                "invalid_tool_call",
                f"{where}.tool_calls",
                f"“tool_calls” of message {index + 1} must be a non-empty list.",
            )
        )
        return
    for c, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not (
            isinstance(fn, dict)
            and isinstance(fn.get("name"), str)
            and isinstance(fn.get("arguments"), str)
            and call.get("id")
        ):
            out.append(
                _err(
                    "invalid_tool_call",
                    f"{where}.tool_calls[{c}]",
                    f"Tool call {c + 1} of message {index + 1} needs an id and a function "
                    "with a name and arguments as a JSON string.",
                )
            )


def validate_chat(example: Any) -> list[Finding]:
    out: list[Finding] = []
    if not isinstance(example, dict):
        return [_err("data_type", "", "Each line must be a JSON object with “messages”.")]
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        return [_err("missing_messages_list", "messages", "The example has no “messages” list.")]
    for i, msg in enumerate(messages):
        _check_message(msg, i, out)
    roles = [m.get("role") for m in messages if isinstance(m, dict)]
    if "assistant" not in roles:
        out.append(
            _err(
                "example_missing_assistant_message",
                "messages",
                "The example has no assistant message, so there is nothing to learn.",
            )
        )
    if "tools" in example and not isinstance(example["tools"], list):
        out.append(_err("data_type", "tools", "“tools” must be a list of function definitions."))
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    assistants = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]
    if users and not any(content_text(m.get("content")).strip() for m in users):
        out.append(_err("empty_prompt", "messages", "The prompt (user message) is empty."))
    if assistants and not any(
        content_text(m.get("content")).strip() or m.get("tool_calls") for m in assistants
    ):
        out.append(_err("empty_response", "messages", "The answer (assistant message) is empty."))
    # An empty prompt or answer is one problem, not also a missing_content per message.
    covered = {
        role
        for code, role in (("empty_prompt", "user"), ("empty_response", "assistant"))
        if any(f.code == code for f in out)
    }
    out = [
        f
        for f in out
        if not (f.code == "missing_content" and _role_at(messages, f.field) in covered)
    ]
    if "system" not in roles and "developer" not in roles:
        out.append(
            _warn(
                "no_system_message",
                "messages",
                "No system message: the model learns without instructions.",
            )
        )
    if not users:
        out.append(_warn("no_user_message", "messages", "No user message in this example."))
    return _dedupe(out)


def _role_at(messages: list[Any], field: str) -> str | None:
    try:
        index = int(field.split("[", 1)[1].split("]", 1)[0])
    except (IndexError, ValueError):
        return None
    msg = messages[index] if index < len(messages) else None
    return msg.get("role") if isinstance(msg, dict) else None


def validate_preference(example: Any) -> list[Finding]:
    if not isinstance(example, dict):
        return [_err("data_type", "", "Each line must be a JSON object.")]
    out: list[Finding] = []
    inp = example.get("input")
    messages = inp.get("messages") if isinstance(inp, dict) else None
    if not isinstance(messages, list) or not messages:
        out.append(
            _err(
                "dpo_empty_input",
                "input.messages",
                "“input” must hold a non-empty “messages” list.",
            )
        )
    else:
        for i, msg in enumerate(messages):
            _check_message(msg, i, out)
        if not any(
            isinstance(m, dict)
            and m.get("role") == "user"
            and content_text(m.get("content")).strip()
            for m in messages
        ):
            out.append(
                _err("empty_prompt", "input.messages", "The prompt (user message) is empty.")
            )
    for key in ("preferred_output", "non_preferred_output"):
        value = example.get(key)
        if not (
            isinstance(value, list)
            and len(value) == 1
            and isinstance(value[0], dict)
            and value[0].get("role") == "assistant"
        ):
            out.append(
                _err(
                    "dpo_output_not_single_assistant",
                    key,
                    f"“{key}” must be a list with exactly one assistant message.",
                )
            )
        elif not content_text(value[0].get("content")).strip() and not value[0].get("tool_calls"):
            out.append(_err("empty_response", key, f"The {key.replace('_', ' ')} is empty."))
    return _dedupe(out)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        if (f.code, f.field) not in seen:
            seen.add((f.code, f.field))
            out.append(f)
    return out
