"""OpenAI's default epochs rule and the billable-token estimate."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

KNOWN_LIMITS = {
    "gpt-4o-mini": 65_536,
    "gpt-4o": 65_536,
    "gpt-4.1": 65_536,
    "gpt-3.5-turbo-0125": 16_385,
    "gpt-3.5-turbo": 16_385,
}
DEFAULT_LIMIT = 65_536


def known_limit(model: str) -> int:
    """The per-example training limit; the longest matching family prefix wins."""
    base = model.removeprefix("ft:")
    for prefix in sorted(KNOWN_LIMITS, key=len, reverse=True):
        if base.startswith(prefix):
            return KNOWN_LIMITS[prefix]
    return DEFAULT_LIMIT


def default_epochs(n_train: int) -> int:
    """OpenAI's rule for n_epochs=auto: 3, raised towards 100 examples seen, lowered to 25,000."""
    if n_train <= 0:
        return TARGET_EPOCHS
    n_epochs = TARGET_EPOCHS
    if n_train * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        n_epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_train)
    elif n_train * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        n_epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_train)
    return n_epochs


def billable_tokens_per_epoch(token_counts: Iterable[int], limit: int) -> int:
    return sum(min(limit, t) for t in token_counts)


def estimate(
    *,
    model: str,
    n_train: int,
    tokens_per_epoch: int,
    n_epochs: int | None,
    price_per_1m: Decimal | None,
) -> dict[str, object]:
    epochs = n_epochs or default_epochs(n_train)
    billable = tokens_per_epoch * epochs
    cost = None
    if price_per_1m is not None:
        cost = (Decimal(billable) * Decimal(price_per_1m) / Decimal(1_000_000)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
    return {
        "model": model,
        "n_epochs": epochs,
        "epochs_auto": n_epochs is None,
        "tokens_per_epoch": tokens_per_epoch,
        "billable_tokens": billable,
        "price_per_1m": None if price_per_1m is None else float(price_per_1m),
        "cost_usd": None if cost is None else float(cost),
    }
