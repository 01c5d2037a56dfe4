"""What every raw-ASGI route that calls a CRM for an integrated account shares: `/unified`, `/proxy`, `/custom`.

The caller's token and the per-token limit, the `integrated_account_id` and the per-account limit
(another environment's account is answered like an unknown one: 404), the size-limited body, the
Idempotency-Key on writes, writing the engine's result, and the error envelope for anything raised.
Each route keeps only what is its own: its path, its query and body rules, which engine call it makes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from starlette.types import Receive, Scope, Send

from unigate.edge import idempotency
from unigate.edge.limits import GatewayLimits, Limit
from unigate.edge.responses import send_bytes, send_error, send_json
from unigate.edge.size_limits import asgi_body_chunks, read_limited
from unigate.edge.unavailable import unavailable_error
from unigate.engine.accounts import AccountRuntime
from unigate.engine.call import JsonResult, RawResult, Result, StreamResult
from unigate.engine.provider_call import CallState
from unigate.errors import GatewayError
from unigate.gateway import Caller, Gateway
from unigate.observability.requests import CallRecord

log = logging.getLogger("unigate.edge")


class AccountCallRoute:
    """A raw-ASGI route answering for an integrated account; subclasses implement `handle`."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        settings = gateway.settings
        self._per_token = Limit.parse(settings.limit_per_token, "UNIGATE_LIMIT_PER_TOKEN")
        self._per_account = Limit.parse(settings.limit_per_account, "UNIGATE_LIMIT_PER_ACCOUNT")
        # None when both limits are off: the hot path then skips them without a store call.
        self.limits: GatewayLimits | None = None

    def start(self) -> None:
        """Once the gateway has started: the rate limits count in its shared window counter."""
        if self._per_token is not None or self._per_account is not None:
            assert self.gateway.window_counter is not None
            self.limits = GatewayLimits(self._per_token, self._per_account, self.gateway.window_counter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.handle(scope, receive, send)
        except GatewayError as error:
            await send_error(send, error)
        except Exception as exc:
            unavailable = unavailable_error(exc, self.gateway.settings)  # a store that failed: 503, Retry-After
            if unavailable is not None:
                await send_error(send, unavailable)
                return
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            await send_error(send, GatewayError(500, "The gateway failed unexpectedly; the error is logged. Retry, "
                                                     "and report it if it persists."))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- who calls, for which account ------------------------------------------------------------------
    async def caller(self, headers: dict[bytes, bytes]) -> Caller:
        """Who calls (401 without a valid token), counted against the per-token limit."""
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        caller = await self.gateway.caller_for(authorization)
        if self.limits is not None:
            await self.limits.check_token(authorization)
        return caller

    @staticmethod
    def account_id(value: Any, caller: Caller) -> str:
        """The request's `integrated_account_id`, present and single (Truto requires it on every call); an
        integrated-account token names its own, and may not name another."""
        if caller.account_id is not None:
            if value in (None, "", "None", caller.account_id):
                return caller.account_id
            raise GatewayError(403, "This integrated-account token reaches only its own account; leave "
                                    "integrated_account_id out or name that account.")
        if value in (None, "", "None"):
            raise GatewayError(400, "integrated_account_id is required: pass ?integrated_account_id=<uuid>.",
                               insight={"missing_required_query_parameters": {
                                   "description": "These query parameters are required.",
                                   "value": ["integrated_account_id"]}})
        if not isinstance(value, str):
            raise GatewayError(400, "integrated_account_id must be a single UUID.")
        return value

    async def account(self, environment_id: str, account_id: str, call: CallRecord | None) -> AccountRuntime:
        """The account in this token's environment (404 for another environment's), counted against its limit."""
        account = await self.gateway.account_runtime(environment_id, account_id)
        if call is not None:
            call.integration = account.integration.name
        if self.limits is not None:
            await self.limits.check_account(account_id)
        return account

    async def raw_body(self, receive: Receive, headers: dict[bytes, bytes]) -> bytes:
        """The whole request body, or 413 once it is over the size limit."""
        return await read_limited(asgi_body_chunks(receive), headers.get(b"content-length", b"").decode("latin-1"),
                                  self.gateway.settings.max_body_bytes)

    # -- running the call and answering ------------------------------------------------------------------
    async def answer(self, send: Send, environment_id: str, key: str | None, request_fingerprint: Callable[[], str],
                     state: CallState, run: Callable[[], Awaitable[Result]]) -> None:
        """Run the engine call (once per Idempotency-Key, replaying its answer to repeats) and send its result.

        `request_fingerprint` is called only for a keyed request: hashing every request would cost the
        calls without a key (most of them) a canonical dump and a SHA-256 each."""
        if key is not None:
            assert self.gateway.idempotency is not None
            stored, replayed = await idempotency.run_once(self.gateway.idempotency, environment_id, key,
                                                          request_fingerprint(), state, run)
            headers = dict(stored.headers)
            if replayed:
                headers[idempotency.REPLAYED_HEADER] = "true"
            await send_bytes(send, stored.status, stored.body, stored.content_type.encode("latin-1"), headers)
            return
        await send_result(send, await run())


async def send_result(send: Send, result: Result) -> None:
    if isinstance(result, JsonResult):
        await send_json(send, result.status, result.body, result.headers)
    elif isinstance(result, RawResult):
        await send_bytes(send, result.status, result.body,
                         result.content_type.encode("latin-1") or b"application/octet-stream", result.headers)
    else:
        await stream(send, result)


async def stream(send: Send, result: StreamResult) -> None:
    response = result.response
    try:
        headers = [(b"content-type", result.content_type.encode("latin-1"))]
        headers += [(k.encode(), v.encode()) for k, v in result.headers.items()]
        await send({"type": "http.response.start", "status": result.status, "headers": headers})
        try:
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The provider's answer broke off after the caller got the first bytes: no error body
            # can follow them. Ending without the last chunk makes the server close the
            # connection, so the caller sees an incomplete answer, never a complete-looking one.
            log.warning("stream from %s broke off: %s", response.url.host, type(exc).__name__)
            return
        await send({"type": "http.response.body", "body": b""})
    finally:
        response.release()
