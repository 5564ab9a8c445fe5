from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def width_class(value: float | int | None, maximum: float | int | None = 100) -> str:
    """A w-N class (N a multiple of 5) for a bar, since the CSP forbids style attributes."""
    try:
        ratio = float(value or 0) / float(maximum or 1)
    except (TypeError, ValueError, ZeroDivisionError):
        ratio = 0.0
    pct = max(0, min(100, round(ratio * 20) * 5))
    if pct == 0 and ratio > 0:
        pct = 5  # a non-zero value stays visible
    return f"w-{pct}"


@register.filter
def get_item(mapping: dict | None, key: str):  # noqa: ANN201
    return (mapping or {}).get(key)


@register.filter
def humanize_key(key: str) -> str:
    """pii_found → Pii found; for keys of statistics shown to people."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]
