"""`/proxy/{resource}[/{id}]` and `POST /proxy/{resource}/{method}`: a CRM's own resources (engine/proxy.py).

Like the unified route (edge/account_calls.py holds what they share), with the CRM's own query and
body: every query parameter but `integrated_account_id`, `limit`, `next_cursor` and the gateway's own
`truto_*` ones is forwarded to the CRM; the body is any JSON value, sent as it came.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson
from starlette.types import Receive, Scope, Send

from unigate.edge import idempotency
from unigate.edge.account_calls import AccountCallRoute
from unigate.engine.passthrough import forwarded_query
from unigate.engine.provider_call import CallState
from unigate.engine.proxy import STANDARD_METHODS, ProxyRequest
from unigate.errors import GatewayError
from unigate.observability.requests import CallRecord

# The gateway's own parameters, never forwarded: Truto forwards integrated_account_id too
# (https://github.com/trutohq/truto-skills, proxy-and-custom-api.md); unigate does not, since it names
# nothing in the CRM and CRMs that check their query strictly would refuse it (docs/api.md, "Proxy API").
GATEWAY_QUERY = ("integrated_account_id", "limit", "next_cursor")
_WRITE_KIND = {"POST": "create", "PATCH": "update"}  # what Idempotency-Key applies to (edge/idempotency.py)


def split_path(raw_path: bytes) -> tuple[str, str | None]:
    """(resource, rest) from `/proxy/{resource}[/{rest}]`; the rest (an id or a method) is decoded once."""
    parts = raw_path.decode("latin-1").split("/", 3)  # ["", "proxy", resource, "id/with/slashes"]
    if len(parts) < 3 or not parts[2]:
        raise GatewayError(404, "Proxy routes are /proxy/{resource}[/{id}] and POST /proxy/{resource}/{method}, "
                                "with the CRM's own resource names (GET /integration/{name} lists them).")
    try:
        rest = unquote(parts[3], errors="strict") if len(parts) == 4 and parts[3] else None
        return unquote(parts[2], errors="strict"), rest
    except UnicodeDecodeError:
        raise GatewayError(400, "The path holds percent-encoded bytes that are not UTF-8.") from None


def method_name(http_method: str, rest: str | None) -> str:
    if rest is None:
        name = {"GET": "list", "POST": "create"}.get(http_method)
        allowed = "GET, POST"
    else:
        name = {"GET": "get", "PATCH": "update", "DELETE": "delete"}.get(http_method)
        if http_method == "POST":
            if rest in STANDARD_METHODS:
                raise GatewayError(404, f"{rest} is not a custom method: it is called as "
                                        f"{'GET' if rest in ('list', 'get') else 'POST/PATCH/DELETE'} on the resource.")
            name = rest  # a custom method
        allowed = "GET, PATCH, DELETE, or POST for a custom method"
    if name is None:
        raise GatewayError(405, f"{http_method} is not allowed on this route; use {allowed}.")
    return name


class ProxyRoutes(AccountCallRoute):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        gateway = self.gateway
        call: CallRecord | None = scope.get("unigate.call")
        headers = dict(scope["headers"])
        caller = await self.caller(headers)
        environment_id = caller.environment_id
        raw_path = scope.get("raw_path") or scope["path"].encode()
        resource, rest = split_path(raw_path.split(b"?", 1)[0])
        http_method = scope["method"]
        name = method_name(http_method, rest)
        record_id = rest if name in ("get", "update", "delete") else None

        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        gateway_query: dict[str, Any] = {}
        for key, value in pairs:
            if key in GATEWAY_QUERY:
                gateway_query.setdefault(key, []).append(value)
        ids = gateway_query.get("integrated_account_id") or [None]
        account_id = self.account_id(ids[0] if len(ids) == 1 else ids, caller)
        key = idempotency.read_key(headers.get(idempotency.HEADER), _WRITE_KIND.get(http_method, "read"), "raw")
        account = await self.account(environment_id, account_id, call)
        if call is not None and resource in account.integration.resources:
            # Only declared resources become metric labels: a caller must not be able to mint new series.
            call.resource = f"proxy/{resource}"
            call.operation = name if name in STANDARD_METHODS or name in account.integration.resources[resource] \
                else "unknown"

        body = None
        if http_method in ("POST", "PATCH"):
            body = self.json_body(await self.raw_body(receive, headers), required=name in ("create", "update"))
        query = forwarded_query(pairs, GATEWAY_QUERY)
        request = ProxyRequest(account=account, resource=resource, method=name, id=record_id, query=query, body=body,
                               limit=(gateway_query.get("limit") or [None])[0],
                               cursor=(gateway_query.get("next_cursor") or [None])[0])
        state = CallState()
        if call is not None:
            call.state = state
        fingerprint_query = {"forwarded": query, "gateway": gateway_query}
        await self.answer(send, environment_id, key,
                          lambda: idempotency.fingerprint(http_method, "proxy", resource, rest, fingerprint_query, body),
                          state, lambda: gateway.proxy.run(request, state))

    @staticmethod
    def json_body(raw: bytes, *, required: bool) -> Any:
        """The caller's JSON body, any JSON value (the CRM's own shape); None when there is none."""
        if not raw.strip():
            if required:
                raise GatewayError(400, "The request body must be the CRM's own JSON for this write, e.g. "
                                        "{\"properties\": {\"name\": \"Acme\"}} for HubSpot.")
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise GatewayError(400, f"The request body is not valid JSON ({exc}).") from None
