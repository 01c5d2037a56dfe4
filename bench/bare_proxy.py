"""The floor for any Python gateway: a bare proxy, measured beside unigate in the same run (bench/run.py).

Starlette on uvicorn (uvloop, httptools, one worker: the gateway's own server settings), one pooled
aiohttp session, one upstream request per call and a few fields copied by hand. No tokens, no
accounts, no mapping language, no logs or metrics: what is left is the price of being an HTTP
server and an HTTP client at once in Python, which no gateway can go below.

    uvicorn bench.bare_proxy:app  (with BARE_UPSTREAM=http://127.0.0.1:<sandbox port>)

Routes mirror the upstream's paths under a prefix that says what to answer:

- `GET /one/<upstream path>?<query>`: the record, six of its fields (`id` first);
- `GET|POST /page/<upstream path>?<query>`: `{"result": [six fields of each record], ...}`, the
  upstream's other top-level members (its paging) copied as they are;
- `DELETE /one/<upstream path>`: `{"id": <last path segment>}`.

The request's headers (the provider's credentials, which bench/run.py sends as the gateway would)
and body go upstream unchanged. Where the records and the six fields are is found once per route
from the first answer and then read directly: the per-request work is the floor's, not a search.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import aiohttp
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from yarl import URL

UPSTREAM = os.environ.get("BARE_UPSTREAM", "http://127.0.0.1:8001")
FIELDS = 6
# Request headers not passed upstream (the connection's own).
HOP_BY_HOP = {b"host", b"content-length", b"connection", b"transfer-encoding"}

Path = tuple[Any, ...]


def find_record(body: Any, depth: int = 0) -> Path | None:
    """Where the one record is in a get's answer: the body itself, or the first object below it with an `id`."""
    if isinstance(body, dict):
        if "id" in body or depth == 3:
            return ()
        for key, value in body.items():
            found = find_record(value, depth + 1) if isinstance(value, dict) else None
            if found is not None:
                return (key, *found)
    return None


def find_records(body: Any, depth: int = 0) -> Path | None:
    """Where a page's records are: the longest list of objects within three levels."""
    if isinstance(body, list) and (not body or isinstance(body[0], dict)):
        return ()
    best: tuple[int, Path] | None = None
    children = body.items() if isinstance(body, dict) else enumerate(body) if isinstance(body, list) else ()
    if depth < 3:
        for key, value in children:
            found = find_records(value, depth + 1)
            if found is not None:
                size = len(dig(value, found))
                if best is None or size > best[0]:
                    best = (size, (key, *found))
    return best[1] if best else None


def dig(value: Any, path: Path) -> Any:
    for key in path:
        value = value[key]
    return value


def field_paths(record: dict[str, Any]) -> list[Path]:
    """Six scalar fields of a record, `id` first, looking one level into nested objects (HubSpot's `properties`)."""
    paths: list[Path] = [("id",)] if "id" in record else []
    for key, value in record.items():
        if isinstance(value, dict):
            paths += [(key, sub) for sub, v in value.items() if not isinstance(v, (dict, list))]
        elif not isinstance(value, list) and key != "id":
            paths.append((key,))
    return paths[:FIELDS]


def copy_fields(record: Any, paths: list[Path]) -> dict[str, Any]:
    out = {}
    for path in paths:
        value = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        out[path[-1]] = value
    return out


class BareProxy:
    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        # Per route (method and path without query): where the record(s) and their six fields are.
        self.record_at: dict[tuple[str, str], tuple[Path, list[Path]]] = {}
        self.records_at: dict[tuple[str, str], tuple[Path, list[Path]]] = {}

    async def upstream(self, request: Request, prefix: int) -> tuple[int, bytes]:
        scope = request.scope
        raw = scope.get("raw_path") or scope["path"].encode()
        url = UPSTREAM + raw[prefix:].decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k not in HOP_BY_HOP}
        body = await request.body() if request.method in ("POST", "PATCH", "PUT") else None
        assert self.session is not None
        async with self.session.request(request.method, URL(url, encoded=True), headers=headers,
                                        data=body) as response:
            return response.status, await response.read()

    async def one(self, request: Request) -> Response:
        status, raw = await self.upstream(request, 4)  # "/one"
        if status >= 300:
            return Response(raw, status, media_type="application/json")
        if request.method == "DELETE":
            return Response(orjson.dumps({"id": request.scope["path"].rsplit("/", 1)[-1]}),
                            media_type="application/json")
        body = orjson.loads(raw)
        key = (request.method, request.scope["path"])
        found = self.record_at.get(key)
        if found is None:
            at = find_record(body) or ()
            found = self.record_at[key] = (at, field_paths(dig(body, at)))
        return Response(orjson.dumps(copy_fields(dig(body, found[0]), found[1])), media_type="application/json")

    async def page(self, request: Request) -> Response:
        status, raw = await self.upstream(request, 5)  # "/page"
        if status >= 300:
            return Response(raw, status, media_type="application/json")
        body = orjson.loads(raw)
        key = (request.method, request.scope["path"])
        found = self.records_at.get(key)
        if found is None:
            at = find_records(body) or ()
            records = dig(body, at)
            found = self.records_at[key] = (at, field_paths(records[0]) if records else [("id",)])
        at, paths = found
        out: dict[str, Any] = {"result": [copy_fields(record, paths) for record in dig(body, at)]}
        if isinstance(body, dict):
            out.update((k, v) for k, v in body.items() if not at or k != at[0])
        return Response(orjson.dumps(out), media_type="application/json")


def build_app() -> Starlette:
    proxy = BareProxy()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        proxy.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512, limit_per_host=512),
                                              skip_auto_headers=("User-Agent",),
                                              cookie_jar=aiohttp.DummyCookieJar())
        try:
            yield
        finally:
            await proxy.session.close()

    return Starlette(routes=[Route("/one/{rest:path}", proxy.one, methods=["GET", "DELETE"]),
                             Route("/page/{rest:path}", proxy.page, methods=["GET", "POST"])],
                     lifespan=lifespan)


app = build_app()
