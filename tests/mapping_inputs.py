"""The inputs a record mapping sees, read from a running sandbox: `{"response": record, "context", "steps"}`.

The records come from the CRM's own list endpoint as its emulator answers it (the list mapping's
`before` steps first, as the gateway runs them), so the shapes are the provider's. Used by the
differential test of the expression compiler and by bench/jsonata_engines.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from unigate.engine import pagination
from unigate.engine.accounts import prepare_account
from unigate.engine.provider_request import build_request, lower_headers, parse_body
from unigate.engine.spec import Integration


async def _read(integration: Integration, resource: str, sandbox_url: str, count: int) -> list[dict[str, Any]]:
    list_mapping = integration.mappings[("crm", resource)].methods["list"]
    method = integration.resource_method(list_mapping.resource, list_mapping.method)
    account = prepare_account(integration, "samples", integration.sandbox_context, is_sandbox=True,
                              authentication_method=None, sandbox_url=sandbox_url)
    steps: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        for step in list_mapping.before:
            scope = {"context": account.context, "steps": steps, "query": {}}
            if step.when is not None and not step.when.evaluate(scope):
                continue
            step_method = integration.resource_method(step.resource, step.method)
            request = build_request(account, step_method, scope, query_expr=step.query, body_expr=step.body)
            async with session.request(request.method, request.url, headers=request.headers, data=request.body) as r:
                answer = parse_body(r.headers.get("content-type", ""), await r.read())
            # a step may keep one value picked from its answer, as the engine does
            steps[step.name] = step.result.evaluate({**scope, "response": answer}) if step.result else answer
        pag = method.pagination
        params = pagination.page_params(pag, None, count) if pag else None
        scope = {"context": account.context, "steps": steps, "query": {}, "limit": count, "cursor": None}
        request = build_request(account, method, scope, query_expr=list_mapping.query, body_expr=list_mapping.body,
                                page_params=params, page_in_body=bool(pag and pag.location == "body"))
        async with session.request(request.method, request.url, headers=request.headers, data=request.body) as r:
            parsed = parse_body(r.headers.get("content-type", ""), await r.read())
            headers = lower_headers(r.headers)
    records = method.records.evaluate({"response": parsed, "headers": headers}) if method.records else parsed
    records = records if isinstance(records, list) else [records]
    return [{"response": record, "context": account.context, "steps": steps} for record in records]


def record_inputs(integration: Integration, resource: str, sandbox_url: str, count: int = 50) -> list[dict[str, Any]]:
    """Up to `count` inputs of `integration`'s `resource` record mapping, from the sandbox at `sandbox_url`."""
    return asyncio.run(_read(integration, resource, sandbox_url, count))
