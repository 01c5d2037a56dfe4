"""`ANY /custom/{path}`: the caller's own request to the integration's API (engine/passthrough.py).

The path is taken from the raw path exactly as the caller encoded it (so `%2F` stays visible and is
refused rather than decoded into a separator); the query less `integrated_account_id` and the body,
with its Content-Type, are forwarded. What the route shares with /unified and /proxy is in
edge/account_calls.py.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from unigate.edge import idempotency
from unigate.edge.account_calls import AccountCallRoute
from unigate.engine.passthrough import METHODS, forwarded_query, passthrough
from unigate.engine.provider_call import CallState
from unigate.errors import GatewayError
from unigate.observability.requests import CallRecord

PREFIX = "/custom/"
_WRITE_KIND = {"POST": "create", "PUT": "update", "PATCH": "update"}  # what Idempotency-Key applies to


class CustomRoutes(AccountCallRoute):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        gateway = self.gateway
        call: CallRecord | None = scope.get("unigate.call")
        headers = dict(scope["headers"])
        caller = await self.caller(headers)
        environment_id = caller.environment_id
        http_method = scope["method"]
        if http_method not in METHODS:
            raise GatewayError(405, f"{http_method} is not allowed on /custom; use {', '.join(METHODS)}.")
        raw_path = (scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0].decode("latin-1")
        path = raw_path[len(PREFIX):] if raw_path.startswith(PREFIX) else ""
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        ids = [v for k, v in pairs if k == "integrated_account_id"] or [None]
        account_id = self.account_id(ids[0] if len(ids) == 1 else ids, caller)
        key = idempotency.read_key(headers.get(idempotency.HEADER), _WRITE_KIND.get(http_method, "read"), "raw")
        account = await self.account(environment_id, account_id, call)
        if call is not None:
            call.resource = "custom"  # never the path: a caller must not be able to mint metric series
            call.operation = http_method.lower()

        body = await self.raw_body(receive, headers) if http_method in ("POST", "PUT", "PATCH", "DELETE") else b""
        content_type = headers.get(b"content-type", b"").decode("latin-1") or None
        query: dict[str, Any] = forwarded_query(pairs, ("integrated_account_id",))
        state = CallState()
        if call is not None:
            call.state = state
        def request_fingerprint() -> str:
            fingerprint_query = {"query": query, "account": account_id,
                                 "body": hashlib.sha256(body).hexdigest(), "content_type": content_type}
            return idempotency.fingerprint(http_method, "custom", path, None, fingerprint_query, None)

        await self.answer(send, environment_id, key, request_fingerprint,
                          state, lambda: passthrough(gateway.provider, account, http_method, path, query, body,
                                                     content_type, state))
