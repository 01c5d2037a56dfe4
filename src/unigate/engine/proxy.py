"""The proxy API's calls: a CRM's own resource method, run with the caller's own id, query and body.

A proxy resource is any resource declared under `resources:` in an integration.yaml (HubSpot's
`companies`, Pipedrive's `organizations`), with no unified mapping in between: the caller sends the
CRM's own fields and gets the CRM's own records. The gateway still does what only it can: the
account's credentials and refresh, retries, rate-limit headers, errors (engine/provider_call.py),
and a list's paging behind the opaque cursor (engine/pages.py). Truto's proxy API does the same
(https://truto.one/docs/guides/tools/overview: unified APIs are built on the proxy resources).

Method names map to routes as in Truto's capabilities: list, get, create, update and delete to
GET, GET /{id}, POST, PATCH /{id} and DELETE /{id}; any other declared method is a custom method,
`POST /proxy/{resource}/{method}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from unigate.engine import pages, pagination
from unigate.engine.accounts import AccountRuntime
from unigate.engine.call import JsonResult, RawResult
from unigate.engine.provider_call import CallState, ProviderCall
from unigate.engine.provider_request import build_request
from unigate.engine.spec import Integration, ResourceMethod
from unigate.errors import GatewayError
from unigate.expressions import Expression

STANDARD_METHODS = ("list", "get", "create", "update", "delete")
_ROUTES = {"list": "GET /proxy/{r}", "get": "GET /proxy/{r}/{{id}}", "create": "POST /proxy/{r}",
           "update": "PATCH /proxy/{r}/{{id}}", "delete": "DELETE /proxy/{r}/{{id}}"}
_ID_IN_PATH = re.compile(r"\{\{\s*id\s*\}\}")
# What a 204 (or any empty success) answers: JSON, because Truto's SDKs parse every answer as JSON
# (the TypeScript SDK turns a 204 into {} itself; the Python SDK would hand back b'').
EMPTY_ANSWER = b"{}"


def unavailable_reason(method: ResourceMethod) -> str | None:
    """Why the proxy cannot build `method`'s request from a caller's id, query and body; None if it can.

    Some CRMs carry the id or the paging position inside a request document (monday's GraphQL: every
    call is POST /v2 with a query). Such a method is offered when it declares `request:`, the
    expression that writes that document from the caller's id, query and body; without one it has
    no proxy form, and the custom API (`/custom/v2`) sends the caller's own document instead.
    """
    if method.request is not None:
        return None
    if "{{steps." in method.path.replace(" ", ""):
        return "its path needs values a unified mapping looks up first"
    if method.name in ("get", "update", "delete") and not _ID_IN_PATH.search(method.path):
        return (f"the record id does not go in its path ({method.http_method} {method.path}): it travels inside the "
                "request document a unified mapping writes")
    pag = method.pagination
    if pag is not None and pag.style not in ("next_url", "whole"):
        position_param = {"cursor": pag.cursor_param, "page": pag.page_param, "offset": pag.offset_param}[pag.style]
        if not position_param:
            return "its paging position travels inside the request document a unified mapping writes"
    return None


def route_of(resource: str, name: str) -> str:
    return _ROUTES.get(name, "POST /proxy/{r}/" + name).format(r=resource)


def describe(integration: Integration, resource: str) -> str:
    """The routes a resource offers (and what it does not), for error messages."""
    offered: list[str] = []
    refused: list[str] = []
    for name, method in integration.resources[resource].items():
        reason = unavailable_reason(method)
        (refused if reason else offered).append(name if reason else f"{name} ({route_of(resource, name)})")
    text = ", ".join(offered) if offered else "none"
    if refused:
        text += f"; not offered through the proxy: {', '.join(refused)} (use the custom API)"
    return text


def catalogue(integrations: list[Integration]) -> dict[str, list[str]]:
    """Every proxy resource name across `integrations`, with the custom methods offered on it."""
    found: dict[str, set[str]] = {}
    for integration in integrations:
        for resource, methods in integration.resources.items():
            customs = found.setdefault(resource, set())
            customs.update(n for n, m in methods.items() if n not in STANDARD_METHODS and unavailable_reason(m) is None)
    return {resource: sorted(customs) for resource, customs in sorted(found.items())}


def resolve(integration: Integration, resource: str, name: str) -> ResourceMethod:
    """The resource method behind a proxy route; 404 for an unknown resource or custom method, 405 for
    a route the resource does not offer."""
    methods = integration.resources.get(resource)
    if methods is None:
        raise GatewayError(404, f"{integration.label} has no proxy resource {resource[:60]!r}. Its proxy resources: "
                                f"{', '.join(integration.resources)}.")
    method = methods.get(name)
    if method is None:
        status = 405 if name in STANDARD_METHODS else 404
        what = f"{name} ({route_of(resource, name)})" if name in STANDARD_METHODS else f"a method {name[:60]!r}"
        raise GatewayError(status, f"{integration.label}'s {resource} has no {what}. It offers: "
                                   f"{describe(integration, resource)}.")
    reason = unavailable_reason(method)
    if reason is not None:
        raise GatewayError(405, f"{integration.label}'s {resource} {name} is not offered through the proxy: {reason}. "
                                f"Send the CRM's own request through the custom API instead: "
                                f"{method.http_method} /custom{method.path}.")
    return method


def paging_params(method: ResourceMethod) -> set[str]:
    pag = method.pagination
    if pag is None:
        return set()
    return {p for p in (pag.limit_param, pag.cursor_param, pag.page_param, pag.offset_param) if p}


@dataclass
class ProxyRequest:
    account: AccountRuntime
    resource: str
    method: str                 # the resource method's name: list, get, …, or a custom method
    id: str | None = None
    query: dict[str, Any] | None = None   # forwarded to the CRM as given
    body: Any = None            # forwarded to the CRM as given (None: no body)
    limit: Any = None           # a list's page size and cursor (the gateway's, not forwarded)
    cursor: str | None = None


class Proxy:
    def __init__(self, provider: ProviderCall) -> None:
        self.provider = provider

    async def run(self, request: ProxyRequest, state: CallState) -> JsonResult | RawResult:
        method = resolve(request.account.integration, request.resource, request.method)
        if self.provider.refresh_due(request.account):
            request.account = await self.provider.fresh(request.account)
        if method.http_method in ("GET", "DELETE", "HEAD") and request.body not in (None, {}):
            raise GatewayError(400, f"{request.account.integration.label}'s {request.resource} {request.method} "
                                    f"sends {method.http_method} {method.path}, which takes no body; send its "
                                    "parameters in the query string.")
        body = None if method.http_method in ("GET", "DELETE", "HEAD") else request.body
        if request.method == "list" or (method.pagination is not None and request.id is None):
            return await self._list(request, method, body, state)
        return await self._single(request, method, body, state)

    @staticmethod
    def _request_scope(request: ProxyRequest) -> dict[str, Any]:
        """What a method's `request` expression reads: the caller's id, query and body (inputs, not forwarded)."""
        return {"id": request.id, "query": request.query or {}, "body": request.body,
                "context": request.account.context, "steps": {}, "limit": None, "cursor": None}

    async def _list(self, request: ProxyRequest, method: ResourceMethod, body: Any, state: CallState) -> JsonResult:
        if method.request is not None:  # the caller's query and body are the request's inputs
            return await self._read_page(request, method, state, scope=self._request_scope(request),
                                         body_expr=method.request, remote_query=None, remote_body=None)
        owned = paging_params(method)
        sent = set(request.query or {}) | (set(body) if isinstance(body, dict) else set())
        clash = sorted(owned & sent)
        if clash:
            raise GatewayError(400, f"{', '.join(clash)} {'is' if len(clash) == 1 else 'are'} set by the gateway from "
                                    "limit and next_cursor (the CRM's own paging behind an opaque cursor); pass "
                                    "limit and next_cursor instead.")
        return await self._read_page(request, method, state, scope=None, body_expr=None,
                                     remote_query=request.query, remote_body=body)

    async def _read_page(self, request: ProxyRequest, method: ResourceMethod, state: CallState, *,
                         scope: dict[str, Any] | None, body_expr: Expression | None,
                         remote_query: dict[str, Any] | None, remote_body: Any) -> JsonResult:
        limit = pagination.clamp_limit(method.pagination, request.limit)
        position = pagination.decode_cursor(request.cursor)
        page = await pages.read_page(self.provider, request.account, method, state, position=position, limit=limit,
                                     scope=scope, body=body_expr, remote_query=remote_query, remote_body=remote_body)
        request.account = page.answer.account
        following = page.next_position
        return JsonResult(body={"result": page.records,
                                "next_cursor": pagination.encode_cursor(following) if following is not None else None,
                                "prev_cursor": None,
                                "result_count": len(page.records)},
                          headers=page.answer.headers)

    async def _single(self, request: ProxyRequest, method: ResourceMethod, body: Any, state: CallState) -> RawResult:
        if method.request is not None:  # the caller's query and body are the request's inputs
            provider_request = build_request(request.account, method, self._request_scope(request), query_expr=None,
                                             body_expr=method.request)
        else:
            scope = {"query": {}, "context": request.account.context, "id": request.id, "body": None, "steps": {}}
            provider_request = build_request(request.account, method, scope, query_expr=None, body_expr=None,
                                             remote_query=request.query, remote_body=body)
        writing = method.http_method in ("POST", "PUT", "PATCH") and not method.safe_to_repeat
        answer = await self.provider.fetch(request.account, provider_request, state, write=writing)
        request.account = answer.account
        response = answer.response
        if not response.body:
            return RawResult(200, "application/json", EMPTY_ANSWER, answer.headers)
        return RawResult(response.status, response.content_type or "application/octet-stream", response.body,
                         answer.headers)
