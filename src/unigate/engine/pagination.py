"""Declared pagination styles, and the opaque `next_cursor` handed to callers.

The caller's cursor wraps the provider's own position (a cursor string, a page number, an offset,
or the query string of a next URL). It is base64url JSON so it survives any query encoding; it is
opaque by contract, and a tampered one is refused with 400.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from unigate.engine.spec import Pagination
from unigate.errors import GatewayError
from unigate.expressions import ExpressionError

# Bounds on a position, whether read from a caller's cursor or a provider's answer: page numbers and
# offsets fit a signed 32-bit integer (what CRM backends take), cursors and next links a URL.
MAX_PAGE_NUMBER = 2**31 - 1
MAX_CURSOR_LENGTH = 8192
_BAD_CURSOR = ("next_cursor is not a cursor this gateway issued. Pass the next_cursor of the previous page "
               "unchanged, or leave it out for the first page.")


def encode_cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"p": position})).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> Any:
    """The provider position in a caller's cursor; None/empty/'None' (the Python SDK's null) is the first page."""
    if cursor is None or cursor in ("", "None", "null"):
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return orjson.loads(base64.urlsafe_b64decode(padded.encode()))["p"]
    except (ValueError, KeyError, TypeError):
        raise GatewayError(400, _BAD_CURSOR) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def valid_position(style: str, position: Any) -> bool:
    """Whether `position` is one a `style` pagination can hold (the caller's cursor carries any JSON)."""
    if style in ("page", "offset", "whole"):
        return _is_int(position) and 0 <= position <= MAX_PAGE_NUMBER
    if style == "cursor":
        if _is_int(position):
            return abs(position) <= 2**63 - 1
        return isinstance(position, str) and 0 < len(position) <= MAX_CURSOR_LENGTH
    return isinstance(position, str) and len(position) <= MAX_CURSOR_LENGTH  # next_url: a query string


def page_params(pagination: Pagination, position: Any, limit: int) -> dict[str, Any]:
    """The provider parameters for the page at `position` (None: the first page)."""
    if position is not None and not valid_position(pagination.style, position):
        raise GatewayError(400, _BAD_CURSOR)
    params: dict[str, Any] = {}
    if pagination.style == "whole":  # the provider answers everything at once; the gateway slices it
        return params
    if pagination.limit_param:
        params[pagination.limit_param] = limit
    style = pagination.style
    if style == "cursor" and pagination.cursor_param and position is not None:
        params[pagination.cursor_param] = position
    elif style == "page" and pagination.page_param:
        params[pagination.page_param] = position if position is not None else pagination.first_page
    elif style == "offset" and pagination.offset_param:
        params[pagination.offset_param] = position if position is not None else 0
    elif style == "next_url" and position is not None:
        params.update(parse_qsl(position, keep_blank_values=True))
    return params


def next_position(pagination: Pagination, position: Any, limit: int, count: int,
                  response: Any, headers: dict[str, str], request_path: str) -> Any:
    """Where the following page starts, or None when this was the last one."""
    scope = {"response": response, "headers": headers, "cursor": position, "limit": limit, "count": count}
    try:
        style = pagination.style
        if style == "cursor":
            value = pagination.next_cursor.evaluate(scope)  # type: ignore[union-attr]
            if value is None or value == "":
                return None
            if not valid_position(style, value):
                raise GatewayError(502, f"The provider's next-page cursor is not a string or an integer "
                                        f"(got {type(value).__name__}); the list cannot continue.")
            return value
        if style in ("page", "offset"):
            current = position if position is not None else (pagination.first_page if style == "page" else 0)
            scope["page"] = current
            more = pagination.has_more.evaluate(scope) if pagination.has_more else count >= limit
            if not more:
                return None
            following = current + 1 if style == "page" else current + count
            return following if valid_position(style, following) else None
        url = pagination.next_url.evaluate(scope)  # type: ignore[union-attr]
    except ExpressionError as exc:
        raise GatewayError(502, f"The provider's pagination answer could not be read ({exc}).") from exc
    if not url:
        return None
    if not isinstance(url, str) or len(url) > MAX_CURSOR_LENGTH:
        raise GatewayError(502, "The provider's next-page link is not a URL; the list cannot continue.")
    parts = urlsplit(str(url))
    # A next link pointing elsewhere would send the account's credentials there: follow same-path links only.
    if parts.path and not parts.path.endswith(request_path.split("?")[0]):
        raise GatewayError(502, "The provider's next-page link points to another path; refusing to follow it.")
    return parts.query or None


def clamp_limit(pagination: Pagination | None, requested: Any) -> int:
    default = pagination.default_limit if pagination else 25
    maximum = pagination.max_limit if pagination else 100
    if requested in (None, "", "None"):
        return min(default, maximum)
    try:
        value = int(requested)
    except (TypeError, ValueError):
        raise GatewayError(400, f"limit must be a positive integer, got {str(requested)[:40]!r}.") from None
    if value < 1:
        raise GatewayError(400, "limit must be a positive integer.")
    return min(value, maximum)
