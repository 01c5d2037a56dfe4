"""Checks on what a caller sends about an integrated account: tenant ids, list filters, context values.

Each value is checked before it reaches the store or a provider request, so a value the database
column or an HTTP header cannot hold answers 400 naming the rule instead of failing later (a 500
from PostgreSQL, or every call on the account failing once the value is stored).
"""

from __future__ import annotations

from typing import Any

from unigate.errors import GatewayError

# The tenant_id column's width (store/tables.py, String(255)).
MAX_TENANT_ID = 255
MAX_FILTER = 255
MAX_CURSOR = 1000
# A context value becomes a header, a query parameter or a URL part: these characters would split
# or end one (a header with CR/LF is refused by every HTTP client; NUL ends strings in PostgreSQL).
_FORBIDDEN_IN_CONTEXT = {"\r": "CR", "\n": "LF", "\x00": "NUL"}


def check_tenant_id(value: Any, *, nullable: bool = True) -> str | None:
    """`value` when it is a valid tenant_id; 400 naming the limit otherwise."""
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise GatewayError(400, "tenant_id must be a string" + (" or null." if nullable else "."))
    if len(value) > MAX_TENANT_ID:
        raise GatewayError(400, f"tenant_id is {len(value)} characters long; it may be at most {MAX_TENANT_ID}.")
    if "\x00" in value:
        raise GatewayError(400, "tenant_id must not contain the NUL character.")
    return value


def list_filter(query: dict[str, Any], name: str, allowed: tuple[str, ...] | None = None) -> str | None:
    """One filter of `GET /integrated-account`: a single string, or None when absent.

    A repeated (`?tenant_id=a&tenant_id=b`) or bracketed (`?status[]=active`) filter arrives as a
    list or an object; the filters take one value each, so those answer 400 rather than a guess.
    """
    value = query.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise GatewayError(400, f"{name} takes one value: pass ?{name}=<value> once (repeated or bracketed "
                                f"forms such as {name}[]= are not accepted).")
    if name == "tenant_id":
        return check_tenant_id(value)
    if len(value) > MAX_FILTER or "\x00" in value:
        raise GatewayError(400, f"{name} must be at most {MAX_FILTER} characters, without NUL.")
    if allowed is not None and value not in allowed:
        raise GatewayError(400, f"{name} must be one of: {', '.join(allowed)}.")
    return value


def list_cursor(query: dict[str, Any]) -> str | None:
    value = query.get("next_cursor")
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > MAX_CURSOR:
        raise GatewayError(400, "next_cursor is not valid; pass the value from the previous page.")
    return value


def check_context_values(context: Any, path: str = "context") -> None:
    """400 naming the first key whose value (or name) holds CR, LF or NUL, at any depth."""
    if isinstance(context, dict):
        for key, value in context.items():
            where = f"{path}.{key}"
            _check_text(str(key), where)
            check_context_values(value, where)
    elif isinstance(context, list):
        for index, item in enumerate(context):
            check_context_values(item, f"{path}[{index}]")
    elif isinstance(context, str):
        _check_text(context, path)


def _check_text(text: str, where: str) -> None:
    for char, name in _FORBIDDEN_IN_CONTEXT.items():
        if char in text:
            raise GatewayError(400, f"{where} contains a {name} character; context values are sent in headers "
                                    "and URLs, where it cannot appear. Remove it and retry.")
