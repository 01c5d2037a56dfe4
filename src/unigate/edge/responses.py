"""Writing answers over raw ASGI (the unified hot path avoids a framework's per-request objects)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Send

from unigate.errors import GatewayError

JSON = b"application/json"


def _headers(content_type: bytes, extra: dict[str, str] | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", content_type)]
    if extra:
        headers.extend((k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in extra.items())
    return headers


async def send_bytes(send: Send, status: int, body: bytes, content_type: bytes, headers: dict[str, str] | None = None) -> None:
    start = _headers(content_type, headers)
    start.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    await send_bytes(send, status, orjson.dumps(body), JSON, headers)


async def send_error(send: Send, error: GatewayError) -> None:
    await send_json(send, error.status, error.body(), error.headers)
