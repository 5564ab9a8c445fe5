"""Cleaning of one text value: whitespace, Unicode, HTML; and PII detection."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{1,500}>", re.IGNORECASE | re.DOTALL)
_BLANK_LINES = re.compile(r"\n{3,}")

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|endofprompt|>",
)


@dataclass(frozen=True)
class CleanOptions:
    trim: bool = True
    nfc: bool = True
    strip_html: bool = False


def clean_text(value: str, options: CleanOptions, counts: dict[str, int]) -> str:
    """Clean one string; count each rule that changed something."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if options.strip_html and "<" in text:
        stripped = html.unescape(_TAG.sub(" ", text))
        if stripped != text:
            counts["html_stripped"] = counts.get("html_stripped", 0) + 1
            text = stripped
    if options.nfc:
        normalised = unicodedata.normalize("NFC", text)
        if normalised != text:
            counts["unicode_normalised"] = counts.get("unicode_normalised", 0) + 1
            text = normalised
    if options.trim:
        trimmed = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        trimmed = _BLANK_LINES.sub("\n\n", trimmed).strip()
        if trimmed != text:
            counts["whitespace_trimmed"] = counts.get("whitespace_trimmed", 0) + 1
            text = trimmed
    return text


def normalise_prompt(text: str) -> str:
    """The key under which two prompts count as the same question."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# PII ---------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){2,4}(?![\w-])"
)

_THREE_DIGITS = re.compile(r"\d\d\d|\d[ -]\d\d")
_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")

PII_LABELS = {
    "EMAIL": "an email address",
    "CARD": "a payment card number",
    "IBAN": "an IBAN",
    "SSN": "a US social security number",
    "PHONE": "a phone number",
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in moved))
    except ValueError:
        return False
    return number % 97 == 1


def find_pii(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) for each finding, without overlaps, in text order."""
    found: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, m: re.Match[str]) -> None:
        if any(m.start() < e and s < m.end() for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append((kind, m.start(), m.end()))

    if "@" in text:
        for m in _EMAIL.finditer(text):
            add("EMAIL", m)
    # Every other kind needs at least three digits in a row; most text has none.
    if not _THREE_DIGITS.search(text):
        return sorted(found, key=lambda f: f[1])
    for m in _IBAN.finditer(text):
        if iban_ok(m.group()):
            add("IBAN", m)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            add("CARD", m)
    for m in _SSN.finditer(text):
        add("SSN", m)
    for m in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if 7 <= digits <= 15 and not _DATE_LIKE.fullmatch(m.group()):
            add("PHONE", m)
    return sorted(found, key=lambda f: f[1])


def redact(text: str, findings: list[tuple[str, int, int]]) -> str:
    out, last = [], 0
    for kind, start, end in findings:
        out.append(text[last:start])
        out.append(f"[{kind}]")
        last = end
    out.append(text[last:])
    return "".join(out)
