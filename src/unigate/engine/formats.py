"""Shaping a mapped record for the caller: `normalized` coercion and field exclusion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unigate.expressions.functions import to_iso

RESPONSE_FORMATS = ("unified", "normalized", "raw", "stream")


Coercer = Callable[[Any], Any]


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, dict)) and not value)


def _to_string(value: Any) -> str | None:
    if type(value) is str:  # the common case first
        return value or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value)
        return text if text != "" else None
    return None


def _to_integer(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
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


def _to_number(value: Any) -> int | float | None:
    """A number, or a decimal string as one (CRMs that send every value as text: HubSpot's amounts)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return None
        if number != number or number in (float("inf"), float("-inf")):
            return None
        return int(number) if number.is_integer() and "." not in value else number
    return None


def _identity(value: Any) -> Any:
    return value


def _free_form(value: Any) -> dict[str, Any] | None:
    """custom_fields and the like: any members, less the empty ones."""
    if not isinstance(value, dict):
        return None
    kept = {k: v for k, v in value.items() if not _is_empty(v)}
    return kept or None


def _object_coercer(fields: tuple[tuple[str, Coercer | None], ...]) -> Coercer:
    def coerce(value: Any) -> dict[str, Any] | None:
        return _shape_object(value, fields) if isinstance(value, dict) else None

    return coerce


def _array_coercer(item: Coercer) -> Coercer:
    def coerce(value: Any) -> list[Any] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            value = [value]
        items = [coerced for coerced in map(item, value) if not _is_empty(coerced)]
        return items or None

    return coerce


def _compile(schema: dict[str, Any]) -> Coercer:
    """A function giving a value as the schema's type, or None when it cannot be (the field is dropped)."""
    kind = schema.get("type")
    if kind == "string":
        return to_iso if schema.get("format") == "date-time" else _to_string
    if kind == "integer":
        return _to_integer
    if kind == "number":
        return _to_number
    if kind == "object":
        properties = schema.get("properties")
        if properties is None:
            return _free_form
        return _object_coercer(_compile_fields(properties))
    if kind == "array":
        return _array_coercer(_compile(schema.get("items", {})))
    return _identity


def _compile_fields(properties: dict[str, Any]) -> tuple[tuple[str, Coercer | None], ...]:
    # remote_data is the provider's record, passed on as it is (None: no coercion).
    return tuple((name, None if name == "remote_data" else _compile(schema)) for name, schema in properties.items())


def _shape_object(record: dict[str, Any], fields: tuple[tuple[str, Coercer | None], ...]) -> dict[str, Any] | None:
    out = {}
    get = record.get
    for name, coerce in fields:  # the schema's order
        value = get(name)
        if value is None:  # absent or null: left out either way
            continue
        if coerce is not None:
            value = coerce(value)
            if value is None:
                continue
        if value == "" or (isinstance(value, (list, dict)) and not value):
            continue
        out[name] = value
    return out or None


# Compiled field lists per schema `properties` object (schemas are loaded once and kept), so the
# schema is walked once per process, not once per record.
_COMPILED: dict[int, tuple[dict[str, Any], tuple[tuple[str, Coercer | None], ...]]] = {}


def normalize_object(record: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any] | None:
    """The record with every schema field coerced to the schema's type; fields that cannot be, or
    are empty, are left out; unknown fields are dropped. None when nothing is left."""
    compiled = _COMPILED.get(id(properties))
    if compiled is None or compiled[0] is not properties:
        compiled = (properties, _compile_fields(properties))
        _COMPILED[id(properties)] = compiled
    return _shape_object(record, compiled[1])


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
