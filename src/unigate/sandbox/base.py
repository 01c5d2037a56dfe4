"""What every CRM emulator shares: seeded records, request recording, fault injection, JSON helpers.

An emulator is a Starlette router plus an in-memory record store. The sandbox server wraps each one
in `EmulatorMount`, which records every request (so tests can assert what the gateway sent) and
applies faults queued through the control API (`/__control/<name>/faults`) before the emulator sees
the request.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from unigate.sandbox._oauth import OAuthProfile, OAuthServer


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  media_type: str = "application/json") -> Response:
    """A JSON answer; `body=None` with a 204 gives an empty body, as the vendors do."""
    content = b"" if body is None else orjson.dumps(body)
    return Response(content=content, status_code=status, headers=headers, media_type=None if body is None else media_type)


async def read_json(request: Request) -> Any:
    """The request body as JSON, or None when it is empty or not JSON (emulators answer 400 then)."""
    raw = await request.body()
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    if value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


@dataclass
class Fault:
    """One queued misbehaviour. `times` counts how many matching requests it applies to (-1: forever)."""

    status: int | None = None          # answer with this status instead of the emulator's
    body: Any = None                   # JSON body for that answer (None: empty)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0                 # seconds to wait before answering (or before passing through)
    times: int = 1
    method: str | None = None          # only for this HTTP method
    path_contains: str | None = None   # only when the path contains this text

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not (self.path_contains and self.path_contains not in path)


@dataclass
class RecordedRequest:
    method: str
    path: str
    raw_path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float

    def as_json(self) -> dict[str, Any]:
        try:
            body: Any = orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            body = self.body.decode("utf-8", "replace")
        return {
            "method": self.method,
            "path": self.path,
            "raw_path": self.raw_path,
            "query": self.query,
            "query_params": parse_qsl(self.query, keep_blank_values=True),
            "headers": self.headers,
            "body": body,
        }


class Emulator:
    """Base class for one CRM's emulator. Subclasses set `name`, implement `routes()` and `seed()`."""

    name: ClassVar[str] = ""
    default_seed_count: ClassVar[int] = 60
    # The vendor's OAuth 2 authorization server, for CRMs that offer one (see `_oauth.py`).
    oauth_profile: ClassVar[OAuthProfile | None] = None

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.oauth: OAuthServer | None = OAuthServer(self.oauth_profile) if self.oauth_profile else None
        self.reset()

    # -- data -------------------------------------------------------------------------------------
    def reset(self, count: int | None = None) -> None:
        """Forget everything and load the deterministic seed again."""
        self.records = {}
        self.seed(self.default_seed_count if count is None else count)

    def seed(self, count: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def routes(self) -> list[Route]:  # pragma: no cover - abstract
        raise NotImplementedError

    def oauth_routes(self) -> list[Route]:
        """The authorize and token endpoints at the vendor's paths (none for CRMs without OAuth)."""
        return self.oauth.routes() if self.oauth else []

    def issued_access_token(self, token: str | None) -> bool:
        """True for an unexpired access token this emulator's OAuth server issued."""
        return self.oauth is not None and self.oauth.is_active_access_token(token)

    def snapshot(self) -> Any:
        """What `GET /__control/<name>/records` returns: the stored records, as the CRM holds them."""
        return list(self.records.values())


class EmulatorMount:
    """ASGI wrapper: record the request, apply a queued fault, then hand over to the emulator."""

    def __init__(self, emulator: Emulator, history: int = 500) -> None:
        self.emulator = emulator
        # OAuth routes first: some emulators end with a catch-all route for unknown paths.
        self.router = Router(routes=emulator.oauth_routes() + emulator.routes())
        self.requests: deque[RecordedRequest] = deque(maxlen=history)
        self.faults: list[Fault] = []

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                return fault
        return None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        method = scope["method"]
        path = scope.get("path", "")
        self.requests.append(RecordedRequest(
            method=method,
            path=path,
            raw_path=(scope.get("raw_path") or path.encode()).decode("latin-1"),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
            at=time.time(),
        ))
        fault = self.take_fault(method, path) if self.faults else None
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                response = json_response(fault.body, status=fault.status, headers=fault.headers)
                await response(scope, receive, send)
                return

        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.router(scope, replay, send)
