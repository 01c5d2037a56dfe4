"""Functions every mapping can call besides JSONata's built-ins (documented in docs/integrations.md)."""

from __future__ import annotations

import operator
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
# What to_iso writes: a four-digit year from 1000, whole seconds or non-zero milliseconds, Z.
_CANONICAL = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.(?!000)[0-9]{3})?Z")


def to_iso(value: Any) -> str | None:
    """A timestamp as RFC 3339 UTC (`2024-01-02T03:04:05Z`, milliseconds kept when present).

    Accepts ISO 8601 with any offset, and Unix seconds or milliseconds as numbers or digit strings.
    Anything it cannot read gives None rather than a wrong date.
    """
    if type(value) is str and _CANONICAL.fullmatch(value):
        # already RFC 3339 UTC as this function writes it (most CRMs' timestamps): checked, answered as it is
        try:
            datetime.fromisoformat(value[:-1])
        except ValueError:
            return None
        return value
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
    """The object without the given keys (a list of names, a set of them, or one name)."""
    if not isinstance(value, dict):
        return value
    drop = keys if isinstance(keys, frozenset) else set(keys) if isinstance(keys, list) else {keys}
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


_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _as_number(value: Any) -> Any:
    """Decimal text (`-12`, `3.50`) as the number it writes, as JSONata's $number gives it; anything else unchanged."""
    if type(value) is not str or not _DECIMAL.fullmatch(value):
        return value
    number = float(value)
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _as_boolean(value: Any) -> Any:
    """`true` / `false` text, in any case, as a boolean; anything else unchanged."""
    if type(value) is str and value.isascii():
        lowered = value.lower()
        if lowered == "true" or lowered == "false":
            return lowered == "true"
    return value


def _as_datetime(value: Any) -> Any:
    """A timestamp $toIso reads as RFC 3339 UTC; anything else unchanged."""
    if type(value) is bool:
        return value
    moment = to_iso(value)
    return value if moment is None else moment


def _as_date_mdy(value: Any) -> Any:
    """`M/D/YYYY` (a time after a space ignored) as `YYYY-MM-DD`; anything else unchanged."""
    if type(value) is not str:
        return value
    parts = value.split(" ", 1)[0].split("/")
    if len(parts) != 3:
        return value
    return f"{parts[2]}-{parts[0].rjust(2, '0')}-{parts[1].rjust(2, '0')}"


# The conversions $typeValues applies, by the name a mapping gives them.
CONVERSIONS = {"number": _as_number, "boolean": _as_boolean, "datetime": _as_datetime, "date_mdy": _as_date_mdy}

# definitions (by identity) -> (definitions, name -> type). A CRM's definitions are read once per account and
# shared by every record of every page, so their index is built once, not once per record. Entries keep their
# definitions alive (an id is never reused while cached); a few suffice (one per resource in use).
_TYPE_INDEXES: dict[int, tuple[Any, dict[str, Any]]] = {}
_TYPE_INDEXES_KEPT = 8


def _types_by_name(definitions: Any) -> dict[str, Any]:
    entry = _TYPE_INDEXES.get(id(definitions))
    if entry is not None and entry[0] is definitions:
        return entry[1]
    index: dict[str, Any] = {}
    if isinstance(definitions, dict):  # name -> type, or name -> {"type": ...}
        for name, definition in definitions.items():
            index[name] = definition.get("type") if isinstance(definition, dict) else definition
    elif isinstance(definitions, list):  # [{"name": ..., "type": ...}]; the first of a repeated name counts
        for definition in definitions:
            if isinstance(definition, dict) and isinstance(name := definition.get("name"), str):
                index.setdefault(name, definition.get("type"))
    else:
        return index
    if len(_TYPE_INDEXES) >= _TYPE_INDEXES_KEPT:
        _TYPE_INDEXES.clear()
    _TYPE_INDEXES[id(definitions)] = (definitions, index)
    return index


def type_values(values: Any, definitions: Any, conversions: Any) -> Any:
    """Custom field values typed by their field definitions (undefined when there are none).

    `definitions` gives each field's type: an object of name -> type (or -> `{"type": ...}`), or a list of
    `{"name", "type"}` (the first of a repeated name counts);
    `conversions` maps a definition's type to the conversion its values take: `number` (decimal text as a
    number), `boolean` (true/false text), `datetime` (as $toIso) or `date_mdy` (M/D/YYYY as YYYY-MM-DD).
    A value that does not read as its type, null, and a value of a field without a definition or a
    conversion stay as given; the members keep their order. One call replaces a per-value lambda, and the
    index of the definitions is built once for all records that share them.
    """
    if not isinstance(values, dict) or not values:
        return None
    if conversions is None:
        conversions = {}
    if not isinstance(conversions, dict):
        raise ValueError("$typeValues: conversions must be an object of type -> conversion")
    converters = {}
    for kind, name in conversions.items():
        converter = CONVERSIONS.get(name) if isinstance(name, str) else None
        if converter is None:
            raise ValueError(f"$typeValues: unknown conversion {name!r} (known: {', '.join(CONVERSIONS)})")
        converters[kind] = converter
    types = _types_by_name(definitions)
    typed = {}
    for key, value in values.items():
        kind = types.get(key)
        converter = converters.get(kind) if value is not None and type(kind) is str else None
        typed[key] = value if converter is None else converter(value)
    return typed


_BOUND_TESTS = {"gte": operator.ge, "gt": operator.gt, "lte": operator.le, "lt": operator.lt}


def _instant(value: Any) -> datetime | None:
    text = to_iso(value)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:  # a year before 1000, which to_iso writes unpadded
        return None


def within_bounds(value: Any, bounds: Any) -> bool:
    """Whether a time (what `to_iso` reads) lies within a unified list's time bounds (`query.updated_at`:
    `gte`, `gt`, `lte`, `lt`). Without bounds, any value is; with one, a value that is not a time is not.

    Lists whose CRM can only bound them roughly (to the second, or a sort to stop at) keep exactly the
    records the caller asked for with it.
    """
    if not isinstance(bounds, dict):
        return True
    limits = [(test, bounds[name]) for name, test in _BOUND_TESTS.items() if bounds.get(name) is not None]
    if not limits:
        return True
    at = _instant(value)
    if at is None:
        return False
    for test, limit in limits:
        bound = _instant(limit)
        if bound is None or not test(at, bound):
            return False
    return True


# name -> (implementation, JSONata signature or None)
CUSTOM_FUNCTIONS: dict[str, tuple[Any, str | None]] = {
    "linkHeader": (link_header, None),
    "firstNonEmpty": (first_non_empty, None),
    "toIso": (to_iso, None),
    "compact": (compact, None),
    "omit": (omit, None),
    "pickMatching": (pick_matching, None),
    "typeValues": (type_values, None),
    "withinBounds": (within_bounds, None),
    # ISO 3166-1: a country (code or name) as its alpha-2 code / English name; other text unchanged.
    "countryCode": (country_code, None),
    "countryName": (country_name, None),
}
