"""qs-style query strings, as both Truto SDKs send them (https://github.com/trutohq/truto-python-sdk,
https://github.com/trutohq/truto-ts-sdk).

`k[]=a&k[]=b` and `k[0]=a&k[1]=b` give lists, `k=a&k=b` too; `m[a][b]=c` gives nested maps;
`+` and `%20` are spaces. A comma list (`k=a,b`) stays a string here: the parameters that take
lists split it (`as_list`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

from unigate.errors import GatewayError

MAX_PARAMS = 512
MAX_DEPTH = 6
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"[0-9]{1,6}")  # `k[0]` list indices (ASCII digits only: "³".isdigit() is true)


def _split_key(key: str) -> tuple[str, list[str]]:
    match = _KEY.match(key)
    if not match:
        return key, []
    return match.group(1), _SEGMENT.findall(match.group(2))


def _insert(container: dict[str, Any], key: str, segments: list[str], value: str) -> None:
    if not segments:
        existing = container.get(key)
        if existing is None:
            container[key] = value
        elif isinstance(existing, list):
            existing.append(value)
        elif isinstance(existing, str):
            container[key] = [existing, value]
        # a plain value colliding with a nested one (`a=1&a[b]=2`): the nested one is kept
        return
    child = container.get(key)
    if isinstance(child, str):
        child = {"0": child}
    elif isinstance(child, list):
        child = {str(i): v for i, v in enumerate(child)}
    elif child is None:
        child = {}
    container[key] = child
    head = segments[0]
    if head == "":  # `k[]`: the next index
        head = str(len(child))
    _insert(child, head, segments[1:], value)


def _finalize(value: Any) -> Any:
    if isinstance(value, dict):
        value = {k: _finalize(v) for k, v in value.items()}
        if value and all(_INDEX.fullmatch(k) for k in value):
            return [value[k] for k in sorted(value, key=int)]
        return value
    return value


def parse_query(raw: str) -> dict[str, Any]:
    """The qs-style parse of a query string; its length is checked before, at the edge (size_limits.py)."""
    result: dict[str, Any] = {}
    if not raw:
        return result
    pairs = raw.split("&")
    if len(pairs) > MAX_PARAMS:
        raise GatewayError(414, f"The query string has {len(pairs)} parameters; at most {MAX_PARAMS} are accepted.")
    if "[" not in raw and "%" not in raw and "+" not in raw:
        # The common case (e.g. `integrated_account_id=…&limit=10`): nothing to decode or nest.
        for pair in pairs:
            if pair:
                key, _, value = pair.partition("=")
                _insert(result, key, [], value)
        return result
    for pair in pairs:
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key = unquote_plus(key)
        root, segments = _split_key(key)
        if len(segments) > MAX_DEPTH:
            raise GatewayError(400, f"The query parameter {root!r} is nested deeper than {MAX_DEPTH} levels.")
        _insert(result, root, segments, unquote_plus(value))
    return _finalize(result)


def as_list(value: Any) -> list[str]:
    """A list parameter in any of the accepted forms: repeated, bracketed, or comma-separated."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.extend(part.strip() for part in item.split(",") if part.strip())
    return out


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", "", "none", "null"}


def as_bool(name: str, value: Any) -> bool:
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise GatewayError(400, f"{name} must be true or false, got {str(value)[:40]!r}.")
