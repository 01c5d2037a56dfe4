"""Provider rate-limit headers, renamed to the IETF draft names Truto uses (`ratelimit-*`).

The provider's headers are hostile input: only finite, non-negative numbers pass, waits are capped
at MAX_WAIT_SECONDS, and anything else is left out as if the provider had not sent it.
"""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime
from typing import Any

from unigate.engine.spec import RateLimitRules
from unigate.expressions import ExpressionError

# The longest wait or reset a provider header may name (a month: a monthly quota's reset).
MAX_WAIT_SECONDS = 31 * 24 * 3600
_MAX_COUNT_DIGITS = 18


def _count(value: Any) -> str | None:
    """A limit or remaining count as a non-negative integer string; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(int(value)) if math.isfinite(value) and 0 <= value < 10**_MAX_COUNT_DIGITS else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= _MAX_COUNT_DIGITS:
            return str(int(text))
    return None


def _bounded(seconds: float) -> float | None:
    """`seconds` clamped to 0..MAX_WAIT_SECONDS; None when it is not a finite number."""
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_WAIT_SECONDS)


def _first(headers: Any, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def _reset_seconds(value: str, fmt: str) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if fmt == "milliseconds":
        number = number / 1000
    elif fmt == "epoch_seconds":
        number = number - time.time()
    elif fmt == "epoch_milliseconds":
        number = number / 1000 - time.time()
    seconds = _bounded(number)
    return None if seconds is None else str(round(seconds))


def _from_expression(rules: RateLimitRules, headers: Any) -> dict[str, str]:
    try:
        values = rules.expression.evaluate({"headers": {k.lower(): v for k, v in headers.items()}})  # type: ignore[union-attr]
    except ExpressionError:
        return {}  # unreadable rate-limit headers must not fail the call
    if not isinstance(values, dict):
        return {}
    out = {}
    for key in ("limit", "remaining", "reset"):
        value = values.get(key)
        if key == "reset" and isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = _bounded(value)
            value = None if seconds is None else round(seconds)
        text = _count(value)
        if text is not None:
            out[f"ratelimit-{key}"] = text
    return out


def normalized_headers(rules: RateLimitRules, headers: Any) -> dict[str, str]:
    if rules.expression is not None:
        return _from_expression(rules, headers)
    out: dict[str, str] = {}
    if not (rules.limit or rules.remaining or rules.reset):
        return out
    limit = _count(_first(headers, rules.limit))
    if limit is not None:
        out["ratelimit-limit"] = limit
    remaining = _count(_first(headers, rules.remaining))
    if remaining is not None:
        out["ratelimit-remaining"] = remaining
    reset = _first(headers, rules.reset)
    if reset is not None:
        seconds = _reset_seconds(reset, rules.reset_format)
        if seconds is not None:
            out["ratelimit-reset"] = seconds
    return out


def _wait_seconds(value: str, fmt: str, now: float) -> float | None:
    """Seconds to wait from one header value in its declared format; None when unreadable."""
    value = value.strip()
    if fmt == "http":
        try:
            return _bounded(float(value))
        except ValueError:
            pass
        try:
            return _bounded(parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    try:
        number = float(value)
    except ValueError:
        return None
    if fmt == "milliseconds":
        number /= 1000
    elif fmt == "epoch_seconds":
        number -= now
    elif fmt == "epoch_milliseconds":
        number = number / 1000 - now
    return _bounded(number)


def retry_wait(rules: RateLimitRules, status: int, headers: Any) -> float | None:
    """How long the provider asks to wait before a retry, from the integration's `retry_after` headers.

    Read on a 429 (every declared header; the longest wait wins) and a 503 (only RFC 9110
    Retry-After, which a 503 may carry); None when the answer names no wait.
    """
    if status not in (429, 503):
        return None
    now = time.time()
    longest: float | None = None
    for name, fmt in rules.retry_after:
        if status == 503 and fmt != "http":
            continue
        value = headers.get(name)
        if value is None:
            continue
        seconds = _wait_seconds(value, fmt, now)
        if seconds is not None and (longest is None or seconds > longest):
            longest = seconds
    return longest
