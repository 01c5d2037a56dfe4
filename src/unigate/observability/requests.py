"""Every request, as operators see it: its id, one access-log line, and its count in /metrics."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from unigate.observability import metrics
from unigate.observability.logs import request_id_from, request_id_var, write_info_line

access_log = logging.getLogger("unigate.access")


@dataclass
class CallRecord:
    """What a unified call turned out to be; the unified route fills it in as it goes."""

    integration: str = ""
    resource: str = ""
    operation: str = ""
    state: Any = None  # the call's engine.provider_call.CallState, for provider time and retries


def server_timing(call: CallRecord, elapsed: float) -> bytes:
    """Whose milliseconds the caller waited for: the gateway's own, the provider's, and how many
    provider calls were sent again (docs/api.md). Errors carry it too."""
    state = call.state
    provider = state.provider_seconds if state is not None else 0.0
    retries = state.retries if state is not None else 0
    gateway_ms = max(0.0, elapsed - provider) * 1000
    return f"gateway;dur={gateway_ms:.2f}, provider;dur={provider * 1000:.2f}, retries;desc={retries}".encode()


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def observed(app, scope, receive, send, *, unified: bool) -> None:
    """Run `app` for one HTTP request with a request id, then log it and count it."""
    started = time.perf_counter()
    request_id = request_id_from(_header(scope, b"x-request-id"))
    context_token = request_id_var.set(request_id)
    encoded_id = request_id.encode("latin-1")
    status = 500
    call = CallRecord() if unified else None
    if call is not None:
        scope["unigate.call"] = call

    counted = False

    async def send_with_id(message) -> None:
        nonlocal status, counted
        if call is not None and message["type"] == "http.response.body" and not message.get("more_body"):
            # Counted before the last byte goes out: a caller who has read an answer finds it in
            # /metrics (asked of any worker) straight after.
            metrics.record_request(call.integration, call.resource, call.operation, status)
            counted = True
        if message["type"] == "http.response.start":
            status = message["status"]
            extra = [(b"x-request-id", encoded_id)]
            if call is not None:
                extra.append((b"server-timing", server_timing(call, time.perf_counter() - started)))
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        elapsed = time.perf_counter() - started
        state = call.state if call is not None else None
        provider = state.provider_seconds if state is not None else 0.0
        if call is not None:
            if not counted:  # no answer went out in full (the caller left, or the app failed)
                metrics.record_request(call.integration, call.resource, call.operation, status)
            if call.integration:
                metrics.observe_gateway(call.integration, call.operation, max(0.0, elapsed - provider))
        if access_log.isEnabledFor(logging.INFO):  # UNIGATE_ACCESS_LOG=off or a higher level: no line
            fields: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "status": status,
                                      "duration_ms": round(elapsed * 1000, 3)}
            if call is not None:
                fields.update(integration=call.integration or None, resource=call.resource or None,
                              operation=call.operation or None, provider_ms=round(provider * 1000, 3),
                              retries=state.retries if state is not None else 0)
            write_info_line(access_log, f"{scope['method']} {scope['path']} {status}", fields)
        request_id_var.reset(context_token)
