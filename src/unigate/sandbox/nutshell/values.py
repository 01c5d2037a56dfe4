"""Nutshell's multi-value fields (phones, emails, urls) as every entity reads and writes them: a list of
`{isPrimary, name, value}` objects, the first one primary unless one says so; a phone's `value` is read
back as an object (https://app.nutshell.com/swagger.json, `phones`/`emails`/`urls`).
"""

from __future__ import annotations

import re
from typing import Any

from unigate.sandbox.nutshell.common import NutshellError, format_phone


def list_of(value: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise NutshellError(422, f"Invalid value for {key}", f"{key} must be a list of objects", key)
    return value


def mark_primary(items: list[dict[str, Any]]) -> None:
    if items and not any(i.get("isPrimary") for i in items):
        items[0]["isPrimary"] = True


def parse_phones(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in list_of(value, "phones"):
        raw = item.get("value")
        if isinstance(raw, dict):  # the read shape, sent back
            raw = raw.get("E164") or raw.get("number")
            if raw and item["value"].get("extension"):
                raw = f"{raw} x{item['value']['extension']}"
        if not raw or not re.search(r"\d{3}", str(raw)):
            raise NutshellError(422, "Invalid phone number", f"{raw!r} is not a phone number", "phones")
        out.append({"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "phone",
                    "isOptedOut": False, "value": format_phone(str(raw))})
    mark_primary(out)
    return out


def parse_emails(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in list_of(value, "emails"):
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(item.get("value", ""))):
            raise NutshellError(422, "Invalid email address", f"{item.get('value')!r} is not valid", "emails")
        out.append({"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "email",
                    "value": item["value"]})
    mark_primary(out)
    return out


def parse_urls(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in list_of(value, "urls"):
        if not isinstance(item.get("value"), str) or not item["value"].strip():
            raise NutshellError(422, "Invalid URL", field="urls")
        out.append({"isPrimary": bool(item.get("isPrimary")), "name": item.get("name") or "url",
                    "value": item["value"]})
    mark_primary(out)
    return out
