"""Shaping a mapped record for the caller: `normalized` coercion and field exclusion."""

from __future__ import annotations

from typing import Any

from unigate.expressions.functions import is_empty, to_iso

RESPONSE_FORMATS = ("unified", "normalized", "raw", "stream")


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    """`value` as the schema's type, or None when it cannot be (the field is then dropped)."""
    if value is None:
        return None
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date-time":
            return to_iso(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            text = str(value)
            return text if text != "" else None
        return None
    if kind == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip().replace(",", "")
            try:
                number = float(text)
            except ValueError:
                return None
            return int(number) if number.is_integer() else None
        return None
    if kind == "object":
        if not isinstance(value, dict):
            return None
        properties = schema.get("properties")
        if properties is None:  # free-form (custom_fields, remote_data)
            kept = {k: v for k, v in value.items() if not is_empty(v)}
            return kept or None
        return normalize_object(value, properties)
    if kind == "array":
        if not isinstance(value, list):
            value = [value]
        items = [_coerce(item, schema.get("items", {})) for item in value]
        items = [item for item in items if not is_empty(item)]
        return items or None
    return value


def normalize_object(record: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any] | None:
    out = {}
    for name, field_schema in properties.items():
        if name in record:
            value = record[name] if name == "remote_data" else _coerce(record[name], field_schema)
            if not is_empty(value):
                out[name] = value
    return out or None


def exclude(record: Any, paths: list[list[str]]) -> None:
    """Remove dotted paths in place; a path through an array applies to each of its items."""
    for path in paths:
        _remove(record, path)


def _remove(node: Any, path: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _remove(item, path)
        return
    if not isinstance(node, dict) or not path:
        return
    head, rest = path[0], path[1:]
    if not rest:
        node.pop(head, None)
    elif head in node:
        _remove(node[head], rest)
