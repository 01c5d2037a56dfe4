"""Request size limits, the same on every route (docs/reliability.md, "Limits").

A query string over `max_query_bytes` answers 414 before routing; a body over `max_body_bytes`
answers 413, at once when Content-Length says so, else as soon as the bytes read pass the limit
(so a chunked upload is never held in memory whole).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import Receive

from unigate.errors import GatewayError


def check_query_length(query_string: bytes, limit: int) -> None:
    if len(query_string) > limit:
        raise GatewayError(414, f"The query string is {len(query_string)} bytes; at most {limit} are accepted. "
                                "Send fewer or shorter parameters.")


def body_too_large(limit: int) -> GatewayError:
    return GatewayError(413, f"The request body is over {limit} bytes; send a smaller one.")


async def read_limited(chunks: AsyncIterator[bytes], content_length: str | None, limit: int) -> bytes:
    """The whole body, or 413 once it is known to be over `limit` bytes."""
    if content_length and content_length.strip().isdigit() and int(content_length) > limit:
        raise body_too_large(limit)
    parts = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


async def asgi_body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body of a raw ASGI request, chunk by chunk."""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        more = message.get("more_body", False)


async def json_object_body(request: Request, limit: int) -> dict[str, Any]:
    """An admin route's JSON object body (413 over `limit`, 400 when it is not a JSON object)."""
    raw = await read_limited(request.stream(), request.headers.get("content-length"), limit)
    try:
        body = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError as exc:
        raise GatewayError(400, f"The request body is not valid JSON ({exc}).") from None
    if not isinstance(body, dict):
        raise GatewayError(400, "The request body must be a JSON object.")
    return body
