"""Provider rate-limit headers, renamed to the IETF draft names Truto uses (`ratelimit-*`)."""

from __future__ import annotations

import time
from typing import Any

from unigate.engine.spec import RateLimitRules


def _first(headers: Any, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def _reset_seconds(value: str, fmt: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if fmt == "milliseconds":
        number = number / 1000
    elif fmt == "epoch_seconds":
        number = number - time.time()
    elif fmt == "epoch_milliseconds":
        number = number / 1000 - time.time()
    return str(max(0, int(round(number))))


def normalized_headers(rules: RateLimitRules, headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if not (rules.limit or rules.remaining or rules.reset):
        return out
    limit = _first(headers, rules.limit)
    if limit is not None:
        out["ratelimit-limit"] = limit
    remaining = _first(headers, rules.remaining)
    if remaining is not None:
        out["ratelimit-remaining"] = remaining
    reset = _first(headers, rules.reset)
    if reset is not None:
        seconds = _reset_seconds(reset, rules.reset_format)
        if seconds is not None:
            out["ratelimit-reset"] = seconds
    return out
