"""Token counts per example, the way OpenAI's cookbook counts chat messages.

Each message costs 3 tokens plus the tokens of each string value (1 more for a
name), and every example 3 more for the reply priming; tools and tool calls
count as their serialised JSON. Strings are encoded in batches with tiktoken's
threaded batch encoder, which releases the GIL, so both cores work.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tiktoken

from datasets_app.pipeline.validate import content_text

PER_MESSAGE = 3
PER_NAME = 1
REPLY_PRIMING = 3
THREADS = 2
# Each role name is one token in both o200k_base and cl100k_base; counting them
# here halves the calls into the tokenizer.
_ROLE_TOKENS = {"system": 1, "user": 1, "assistant": 1, "tool": 1, "developer": 1}
_pool: ThreadPoolExecutor | None = None


def _lengths(encoding: tiktoken.Encoding, texts: list[str]) -> list[int]:
    """Token counts, in two threads: tiktoken's Rust core releases the GIL while encoding.

    One long-lived pool and one task per thread, instead of tiktoken's batch
    helper, which builds a pool and a future per string on every call.
    """
    global _pool
    if len(texts) < 64:
        return [len(encoding.encode_ordinary(t)) for t in texts]
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="tokens")
    size = -(-len(texts) // THREADS)
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    encode = encoding.encode_ordinary
    futures = [_pool.submit(lambda c: [len(encode(t)) for t in c], chunk) for chunk in chunks]
    return [n for f in futures for n in f.result()]


def _message_segments(msg: Any, assistant_flag: bool) -> tuple[list[tuple[Any, bool]], int]:
    if not isinstance(msg, dict):
        return [(json.dumps(msg, ensure_ascii=False), assistant_flag)], PER_MESSAGE
    segments: list[tuple[Any, bool]] = []
    fixed = PER_MESSAGE
    is_assistant = assistant_flag or msg.get("role") == "assistant"
    for key, value in msg.items():
        if key == "weight":
            continue
        if key == "content" and isinstance(value, list):
            text = content_text(value)
            others = [p for p in value if isinstance(p, dict) and p.get("type") != "text"]
            segments.append((text, is_assistant))
            if others:
                segments.append((json.dumps(others, ensure_ascii=False), is_assistant))
        elif key == "role" and value in _ROLE_TOKENS:
            segments.append((_ROLE_TOKENS[value], is_assistant))
        elif isinstance(value, str):
            segments.append((value, is_assistant))
        elif value is not None:
            segments.append((json.dumps(value, ensure_ascii=False), is_assistant))
        if key == "name":
            fixed += PER_NAME
    return segments, fixed


def _example_segments(kind: str, example: Any) -> tuple[list[tuple[Any, bool]], int]:
    segments: list[tuple[Any, bool]] = []
    fixed = REPLY_PRIMING
    if not isinstance(example, dict):
        return [(json.dumps(example, ensure_ascii=False), False)], fixed
    if kind == "preference":
        inp = example.get("input") or {}
        messages = inp.get("messages", []) if isinstance(inp, dict) else []
        outputs = [(m, True) for m in (example.get("preferred_output") or [])]
        outputs += [(m, False) for m in (example.get("non_preferred_output") or [])]
        tools = inp.get("tools") if isinstance(inp, dict) else None
    else:
        messages = example.get("messages") or []
        outputs = []
        tools = example.get("tools")
    for msg in messages if isinstance(messages, list) else []:
        s, f = _message_segments(msg, False)
        segments += s
        fixed += f
    for msg, counts_as_answer in outputs:
        s, f = _message_segments(msg, counts_as_answer)
        segments += [(text, counts_as_answer) for text, _ in s]
        fixed += f
    if tools:
        segments.append((json.dumps(tools, ensure_ascii=False), False))
    return segments, fixed


def count_batch(
    encoding: tiktoken.Encoding, kind: str, examples: list[Any]
) -> list[tuple[int, int]]:
    """(total tokens, assistant tokens) for each example."""
    flat: list[str] = []
    owners: list[tuple[int, bool]] = []
    totals = []
    for index, example in enumerate(examples):
        segments, fixed = _example_segments(kind, example)
        totals.append([fixed, 0])
        for text, is_assistant in segments:
            if isinstance(text, int):  # counted already
                totals[index][0] += text
                if is_assistant:
                    totals[index][1] += text
                continue
            flat.append(text)
            owners.append((index, is_assistant))
    lengths = _lengths(encoding, flat)
    for (index, is_assistant), n in zip(owners, lengths, strict=True):
        totals[index][0] += n
        if is_assistant:
            totals[index][1] += n
    return [(t, a) for t, a in totals]
