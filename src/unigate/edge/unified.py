"""`/unified/{model}/{resource}[/{id}]`: list, create, get, update, delete on any integration, and
`POST /unified/{model}/{resource}/{method}`: the resource's custom methods (merge, batch-delete, ...).

Raw ASGI for speed and control: the id is read from the raw path (so `%2F` in an id stays part of
the id) and the query string goes through the qs-style parser. A record id and a method name never
meet: nothing else is a POST on `/unified/{model}/{resource}/{segment}`, so after a resource that
segment is always a method name, and on GET, PATCH and DELETE always an id, except Truto's meta routes
(`GET …/meta/{method}`, `GET …/{integration}/meta/{method}`), answered from the mapping files (edge/meta.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import orjson
from jsonschema.protocols import Validator
from starlette.types import Receive, Scope, Send

from unigate.edge import idempotency
from unigate.edge.account_calls import AccountCallRoute
from unigate.edge.meta import method_meta
from unigate.edge.query import as_bool, as_list, parse_query
from unigate.edge.responses import send_json
from unigate.engine.call import UnifiedRequest
from unigate.engine.formats import RESPONSE_FORMATS
from unigate.engine.provider_call import CallState
from unigate.errors import GatewayError
from unigate.gateway import Caller
from unigate.models import FORMAT_HINTS
from unigate.observability.requests import CallRecord

_METHODS = {("GET", False): "list", ("POST", False): "create", ("GET", True): "get",
            ("PATCH", True): "update", ("DELETE", True): "delete"}
RESERVED_QUERY = ("integrated_account_id", "truto_response_format", "truto_ignore_remote_data",
                  "truto_exclude_fields", "remote_query")


def meta_target(record_id: str | None) -> tuple[str | None, str] | None:
    """(integration or None, method) when the path after the resource is `meta/{method}` (for the account's
    CRM) or `{integration}/meta/{method}`: Truto's meta routes, which win over a record id of that shape."""
    segments = (record_id or "").split("/")
    if len(segments) == 2 and segments[0] == "meta" and segments[1]:
        return None, segments[1]
    if len(segments) == 3 and segments[1] == "meta" and segments[0] and segments[2]:
        return segments[0], segments[2]
    return None


def split_path(raw_path: bytes) -> tuple[str, str, str | None]:
    """(model, resource, id) from `/unified/...`; the id is everything after the resource, decoded once."""
    parts = raw_path.decode("latin-1").split("/", 4)  # ["", "unified", model, resource, "id/with/slashes"]
    if len(parts) < 4 or not parts[2] or not parts[3]:
        raise GatewayError(404, "Unified routes are /unified/{model}/{resource}[/{id}], e.g. /unified/crm/accounts.")
    record_id = None
    if len(parts) == 5 and parts[4]:
        try:
            record_id = unquote(parts[4], errors="strict")
        except UnicodeDecodeError:
            raise GatewayError(400, "The record id in the path is not valid UTF-8 once percent-decoded; "
                                    "percent-encode the id's UTF-8 bytes.") from None
    return unquote(parts[2]), unquote(parts[3]), record_id


class UnifiedRoutes(AccountCallRoute):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        gateway = self.gateway
        # Filled in as the call is understood; the app logs it and counts it in /metrics (app.py).
        call: CallRecord | None = scope.get("unigate.call")
        headers = dict(scope["headers"])
        caller = await self.caller(headers)
        environment_id = caller.environment_id
        raw_path = scope.get("raw_path") or scope["path"].encode()
        model, resource, record_id = split_path(raw_path.split(b"?", 1)[0])
        http_method = scope["method"]
        meta = meta_target(record_id) if http_method == "GET" else None
        if meta is not None:
            await self.meta(scope, send, caller, model, resource, *meta)
            return
        names_method = http_method == "POST" and record_id is not None  # POST /unified/{model}/{resource}/{method}
        if names_method:
            method, record_id = record_id, None
        else:
            method = _METHODS.get((http_method, record_id is not None))
        if method is None:
            allowed = "GET, PATCH, DELETE" if record_id is not None else "GET, POST"
            raise GatewayError(405, f"{http_method} is not allowed on this route; use {allowed}.")
        if (model, resource) not in gateway.resources:
            known = ", ".join(f"{m}/{r}" for m, r in gateway.resources)
            raise GatewayError(404, f"Unknown unified resource {model}/{resource}. Available: {known}.")
        custom = None
        if names_method:
            custom = gateway.methods.get((model, resource, method))
            if custom is None:
                names = sorted(n for (m, r, n) in gateway.methods if (m, r) == (model, resource))
                listed = ", ".join(f"POST /unified/{model}/{resource}/{n}" for n in names) or "none"
                raise GatewayError(404, f"{model}/{resource} has no custom method {method[:64]!r} (its custom "
                                        f"methods: {listed}). A record is updated with PATCH on "
                                        f"/unified/{model}/{resource}/{{id}}, not POST.")
        if call is not None:
            # Only known resources become metric labels: a caller must not be able to mint new series.
            call.resource = f"{model}/{resource}"
            call.operation = method

        query = parse_query(scope.get("query_string", b"").decode("latin-1"))
        account_id = self.account_id(query.get("integrated_account_id"), caller)
        response_format = query.get("truto_response_format") or "unified"
        if response_format not in RESPONSE_FORMATS:
            raise GatewayError(400, f"truto_response_format must be one of {', '.join(RESPONSE_FORMATS)}; "
                                    f"got {str(response_format)[:40]!r}.")
        remote_query = query.get("remote_query") or {}
        if not isinstance(remote_query, dict):
            raise GatewayError(400, "remote_query must be an object: remote_query[name]=value.")
        idempotency_key = idempotency.read_key(headers.get(idempotency.HEADER), method, response_format)
        account = await self.account(environment_id, account_id, call)

        body = None
        if custom is not None:
            body = await self.read_body(receive, headers, f"{model}/{resource}/{method}", custom.body_validator,
                                        "The request body must be a JSON object, see "
                                        f"POST /unified/{model}/{resource}/{method} in the OpenAPI document.")
        elif method in ("create", "update"):
            unified = gateway.resources[(model, resource)]
            body = unified.canonical(await self.read_body(
                receive, headers, f"{model}/{resource}", unified.write_validator,
                "The request body must be a JSON object of unified fields, e.g. {\"name\": \"Acme\"}."))
        request = UnifiedRequest(
            model=model,
            resource=resource,
            method=method,
            account=account,
            id=record_id,
            query=query,
            body=body,
            response_format=response_format,
            remote_query=remote_query,
            exclude_paths=[p.split(".") for p in as_list(query.get("truto_exclude_fields"))],
            ignore_remote_data=as_bool("truto_ignore_remote_data", query.get("truto_ignore_remote_data")),
        )
        state = CallState()
        if call is not None:
            call.state = state
        await self.answer(send, environment_id, idempotency_key,
                          # The path's last segment: the record's id, or the custom method's name.
                          lambda: idempotency.fingerprint(http_method, model, resource,
                                                          method if custom is not None else record_id, query, body),
                          state,
                          lambda: gateway.engine.run(request, state))

    async def meta(self, scope: Scope, send: Send, caller: Caller, model: str, resource: str,
                   integration_name: str | None, method: str) -> None:
        """Truto's meta of one unified method on one CRM: named in the path, or the CRM of the
        `integrated_account_id` in the query."""
        gateway = self.gateway
        unified = gateway.resources.get((model, resource))
        if unified is None:
            known = ", ".join(f"{m}/{r}" for m, r in gateway.resources)
            raise GatewayError(404, f"Unknown unified resource {model}/{resource}. Available: {known}.")
        if integration_name is None:
            query = parse_query(scope.get("query_string", b"").decode("latin-1"))
            account_id = self.account_id(query.get("integrated_account_id"), caller)
            account = await self.account(caller.environment_id, account_id, None)
            integration = account.integration
        else:
            found = gateway.integration(integration_name)
            if found is None:
                raise GatewayError(404, f"No integration {integration_name[:64]!r}. Available: "
                                        f"{', '.join(gateway.integrations)}.")
            integration = found
        await send_json(send, 200, method_meta(integration, unified, method, gateway.methods.get((model, resource, method))))

    async def read_body(self, receive: Receive, headers: dict[bytes, bytes], what: str, validator: Validator,
                        expected: str) -> dict[str, Any]:
        """The JSON body, checked against `validator`; `what` names the route in messages."""
        raw = await self.raw_body(receive, headers)
        if not raw.strip():
            raise GatewayError(400, expected)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise GatewayError(400, f"The request body is not valid JSON ({exc}).") from None
        if not isinstance(body, dict):
            raise GatewayError(400, expected)
        problems = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
        if problems:
            details = []
            fields = []
            for problem in problems:
                path = ".".join(str(p) for p in problem.absolute_path)
                if problem.validator == "additionalProperties":
                    extra = sorted(set(problem.instance) - set(problem.schema.get("properties", {})))
                    for name in extra:
                        full = f"{path}.{name}" if path else name
                        fields.append(full)
                        details.append(f"{full} is not a field of {what}")
                elif problem.validator == "format" and problem.validator_value in FORMAT_HINTS:
                    fields.append(path)
                    details.append(f"{path}: {str(problem.instance)[:60]!r} is not {FORMAT_HINTS[problem.validator_value]}")
                else:
                    fields.append(path or "(body)")
                    details.append(f"{path or 'body'}: {problem.message}")
            raise GatewayError(400, "Invalid fields: " + "; ".join(details) + ".",
                               insight={"invalid_body_fields": {"description": "These body fields are invalid.",
                                                                "value": sorted(set(fields))}})
        return body
