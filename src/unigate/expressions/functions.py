"""Functions every mapping can call besides JSONata's built-ins (documented in docs/integrations.md)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from unigate.models.countries import country_code, country_name

_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')
_REL = re.compile(r'rel\s*=\s*"?([^";]+)"?', re.IGNORECASE)


def link_header(value: Any, rel: str) -> str | None:
    """The target of the link with relation `rel` in an RFC 8288 Link header value."""
    if not isinstance(value, str):
        return None
    for target, params in _LINK.findall(value):
        match = _REL.search(params)
        if match and rel in match.group(1).split():
            return target
    return None


def first_non_empty(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    return None


_NUMERIC = re.compile(r"-?\d+(\.\d+)?")


def to_iso(value: Any) -> str | None:
    """A timestamp as RFC 3339 UTC (`2024-01-02T03:04:05Z`, milliseconds kept when present).

    Accepts ISO 8601 with any offset, and Unix seconds or milliseconds as numbers or digit strings.
    Anything it cannot read gives None rather than a wrong date.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    moment: datetime
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMERIC.fullmatch(value)):
        number = float(value)
        # Values past the year 5138 in seconds are taken to be milliseconds.
        seconds = number / 1000 if abs(number) >= 1e11 else number
        try:
            moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # past year 9999, or not a number (nan)
            return None
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    else:
        return None
    if moment.utcoffset():
        moment = moment.astimezone(timezone.utc)
    if moment.year < 1000:  # strftime's unpadded year, as before (isoformat would pad it)
        whole = moment.strftime("%Y-%m-%dT%H:%M:%S")
    else:
        # isoformat is several times faster than strftime, and the same for four-digit years.
        whole = moment.replace(tzinfo=None, microsecond=0).isoformat()
    if moment.microsecond:
        return f"{whole}.{moment.microsecond // 1000:03d}Z"
    return whole + "Z"


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, dict)) and not value)


def compact(value: Any) -> Any:
    """The object (or array) without null, "" and empty array/object members; not recursive."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if not is_empty(v)}
    if isinstance(value, list):
        return [v for v in value if not is_empty(v)]
    return value


def omit(value: Any, keys: Any) -> Any:
    """The object without the given keys (a list of names, or one name)."""
    if not isinstance(value, dict):
        return value
    drop = set(keys) if isinstance(keys, list) else {keys}
    kept = {k: v for k, v in value.items() if k not in drop}
    return kept or None


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def pick_matching(value: Any, pattern: str) -> Any:
    """The members whose key matches the regular expression (searched) and whose value is not null.

    One call instead of a `$sift` lambda per key: objects with hundreds of keys (Outreach's custom1..150)
    cost microseconds, not hundreds of them.
    """
    if not isinstance(value, dict) or not isinstance(pattern, str):
        return None
    matcher = _pattern(pattern).search
    kept = {k: v for k, v in value.items() if v is not None and matcher(k)}
    return kept or None


# name -> (implementation, JSONata signature or None)
CUSTOM_FUNCTIONS: dict[str, tuple[Any, str | None]] = {
    "linkHeader": (link_header, None),
    "firstNonEmpty": (first_non_empty, None),
    "toIso": (to_iso, None),
    "compact": (compact, None),
    "omit": (omit, None),
    "pickMatching": (pick_matching, None),
    # ISO 3166-1: a country (code or name) as its alpha-2 code / English name; other text unchanged.
    "countryCode": (country_code, None),
    "countryName": (country_name, None),
}
