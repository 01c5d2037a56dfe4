"""The OpenAPI 3.1 document of every route, with the unified JSON Schemas as components."""

from __future__ import annotations

import copy
from typing import Any

from unigate import __version__
from unigate.engine import proxy
from unigate.engine.formats import RESPONSE_FORMATS
from unigate.engine.spec import Integration
from unigate.models import READ_ONLY_FIELDS, UnifiedMethod, UnifiedResource
from unigate.store.webhooks import ALL_EVENTS, EVENTS

ERROR = {"$ref": "#/components/schemas/Error"}
# 401/403: a token, or an account that is not active; 413/414: size limits; 422/429/502/504: the provider.
UNIFIED_ERRORS = (400, 401, 403, 404, 405, 413, 414, 422, 429, 502, 504)


def _error_responses(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "Error", "content": {"application/json": {"schema": ERROR}}} for code in codes}


def _param(name: str, description: str, schema: dict[str, Any], required: bool = False, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


COMMON_UNIFIED_PARAMS = [
    _param("integrated_account_id", "The integrated account to call.", {"type": "string", "format": "uuid"}, True),
    _param("truto_response_format", "unified (default), normalized, raw or stream.",
           {"type": "string", "enum": list(RESPONSE_FORMATS)}),
    _param("truto_ignore_remote_data", "Leave remote_data out.", {"type": "boolean"}),
    _param("truto_exclude_fields", "Fields to leave out; dotted paths reach nested ones. Repeated, bracketed or "
           "comma-separated.", {"type": "array", "items": {"type": "string"}}),
    {"name": "remote_query", "in": "query", "style": "deepObject", "explode": True,
     "description": "Sent to the provider's query string as given, winning over mapped values.",
     "schema": {"type": "object", "additionalProperties": True}},
]

# Creates and updates only (docs/api.md, "Idempotency-Key").
WRITE_PARAMS = COMMON_UNIFIED_PARAMS + [
    _param("Idempotency-Key", "A unique value per write (e.g. a UUID), at most 255 printable ASCII characters. "
           "A repeat within 24 h gets the first answer with `Idempotent-Replayed: true` instead of a second call to "
           "the CRM; 409 while the first is still running, 422 if the key was used for a different request.",
           {"type": "string", "minLength": 1, "maxLength": 255}, where="header"),
]


PROVIDER_BODY = {"$ref": "#/components/schemas/ProviderBody"}


# raw and stream pass the provider's own success status through (e.g. 201, 204).
PROVIDER_SUCCESS = {"2XX": {"description": "With truto_response_format=raw or stream: the provider's own success "
                                           "status and body", "content": {"*/*": {"schema": PROVIDER_BODY}}}}


def _unified_ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A unified 200: the unified shape, or with truto_response_format=raw/stream the provider's own answer."""
    return {"description": f"{description}; with truto_response_format=raw or stream, the provider's answer as it "
                           "came, with its content type",
            "content": {"application/json": {"schema": {"anyOf": [schema, PROVIDER_BODY]}},
                        "*/*": {"schema": PROVIDER_BODY}}}


def _schema_name(unified: UnifiedResource) -> str:
    return "".join(part.capitalize() for part in f"{unified.model}_{unified.resource}".split("_"))


ANY_JSON = {"description": "Any JSON value: the CRM's own shape."}
# The CRM's own error statuses pass through the proxy and custom APIs (a 5xx as 502), with the error envelope.
PASSTHROUGH_ERRORS = {"4XX": {"description": "The gateway's or the CRM's error (truto_is_remote_error)",
                              "content": {"application/json": {"schema": ERROR}}},
                      "5XX": {"description": "The CRM failed or could not be reached (truto_is_remote_error)",
                              "content": {"application/json": {"schema": ERROR}}}}
ACCOUNT_PARAM = _param("integrated_account_id", "The integrated account to call.", {"type": "string", "format": "uuid"},
                       True)
IDEMPOTENCY_PARAM = WRITE_PARAMS[-1]
CRM_ANSWER = {"2XX": {"description": "The CRM's own success status and body, unchanged (an empty answer, e.g. a 204, "
                                     "is 200 {})", "content": {"*/*": {"schema": PROVIDER_BODY}}}}


def proxy_paths(resources: dict[str, list[str]]) -> dict[str, Any]:
    """`/proxy/...` for the CRMs' own resources; `resources` maps each name to its custom methods."""
    names = sorted(resources)
    resource = _param("resource", "A CRM's own resource, as declared in its integration (GET /integration/{name} "
                      "lists them per integration)", {"type": "string", "enum": names} if names else {"type": "string"},
                      True, "path")
    body = {"required": True, "content": {"application/json": {"schema": ANY_JSON}}}
    page = {"200": {"description": "A page of the CRM's own records",
                    "content": {"application/json": {"schema": {
                        "type": "object", "required": ["result", "next_cursor", "prev_cursor", "result_count"],
                        "properties": {"result": {"type": "array"}, "next_cursor": {"type": ["string", "null"]},
                                       "prev_cursor": {"type": "null"}, "result_count": {"type": "integer"}}}}}}}
    paging = [_param("limit", "Page size (clamped to the CRM's maximum)", {"type": "integer", "minimum": 1}),
              _param("next_cursor", "Cursor from the previous page; empty for the first", {"type": "string"})]
    paths: dict[str, Any] = {
        "/proxy/{resource}": {
            "parameters": [resource],
            "get": {"summary": "List a CRM resource's own records; other query parameters go to the CRM",
                    "operationId": "proxy_list", "parameters": [ACCOUNT_PARAM, *paging],
                    "responses": {**page, **PASSTHROUGH_ERRORS}},
            "post": {"summary": "Create a record from the CRM's own body", "operationId": "proxy_create",
                     "parameters": [ACCOUNT_PARAM, IDEMPOTENCY_PARAM], "requestBody": body,
                     "responses": {**CRM_ANSWER, **PASSTHROUGH_ERRORS}},
        },
        "/proxy/{resource}/{id}": {
            "parameters": [resource, _param("id", "The record's id in the CRM", {"type": "string"}, True, "path")],
            "get": {"summary": "Get a record as the CRM returns it", "operationId": "proxy_get",
                    "parameters": [ACCOUNT_PARAM], "responses": {**CRM_ANSWER, **PASSTHROUGH_ERRORS}},
            "patch": {"summary": "Update a record with the CRM's own body", "operationId": "proxy_update",
                      "parameters": [ACCOUNT_PARAM, IDEMPOTENCY_PARAM], "requestBody": body,
                      "responses": {**CRM_ANSWER, **PASSTHROUGH_ERRORS}},
            "delete": {"summary": "Delete a record", "operationId": "proxy_delete", "parameters": [ACCOUNT_PARAM],
                       "responses": {**CRM_ANSWER, **PASSTHROUGH_ERRORS}},
        },
    }
    for name in names:
        for method in resources[name]:
            paths[f"/proxy/{name}/{method}"] = {"post": {
                "summary": f"Run the custom method {method} of {name} (where an integration declares it)",
                "operationId": f"proxy_{name}_{method}", "parameters": [ACCOUNT_PARAM, IDEMPOTENCY_PARAM],
                "requestBody": {"required": False, "content": {"application/json": {"schema": ANY_JSON}}},
                "responses": {"2XX": {"description": "The CRM's answer as it came; a method that pages answers a "
                                                     "page (as GET /proxy/{resource} does)",
                                      "content": {"*/*": {"schema": PROVIDER_BODY}}},
                              **PASSTHROUGH_ERRORS}}}
    return paths


def custom_paths() -> dict[str, Any]:
    """`/custom/{path}`: any path under the integration's API base URL (it may span several segments)."""
    envelope = {"type": "object", "required": ["result", "next_cursor", "prev_cursor"],
                "properties": {"result": {}, "next_cursor": {"type": "null"}, "prev_cursor": {"type": "null"}}}
    answer = {"2XX": {"description": "The CRM's success status; a JSON body as {result, next_cursor, prev_cursor}, "
                                     "any other body unchanged with its content type",
                      "content": {"application/json": {"schema": envelope}, "*/*": {"schema": PROVIDER_BODY}}}}
    path = _param("path", "A path under the integration's API base URL, e.g. crm/v3/objects/companies; "
                  "'..', encoded slashes, backslashes, '@' and absolute URLs are refused with 400",
                  {"type": "string"}, True, "path")
    operations: dict[str, Any] = {"parameters": [path]}
    for method in ("get", "post", "put", "patch", "delete"):
        operation: dict[str, Any] = {"summary": f"{method.upper()} the CRM's own path with the account's credentials",
                                     "operationId": f"custom_{method}", "parameters": [ACCOUNT_PARAM],
                                     "responses": {**answer, **PASSTHROUGH_ERRORS}}
        if method in ("post", "put", "patch"):
            operation["parameters"] = [ACCOUNT_PARAM, IDEMPOTENCY_PARAM]
            operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": ANY_JSON}}}
        operations[method] = operation
    return {"/custom/{path}": operations}


def _custom_method_path(method: UnifiedMethod, record_ref: dict[str, Any] | None,
                        served_by: list[str]) -> dict[str, Any]:
    """`POST /unified/<model>/<resource>/<method>`: the body schema from models/, the answer `{result}`."""
    body_schema = copy.deepcopy(method.schema)
    body_schema.pop("$schema", None)
    result = body_schema.pop("x-result", {})
    if result == "record":
        result = record_ref or {"type": "object"}
    served = ", ".join(served_by) or "no integration yet"
    return {"post": {
        "summary": method.schema.get("title", method.name),
        "description": f"{method.schema.get('description', '')} Served on: {served} (GET /integration lists each "
                       "integration's custom methods; another answers 405).",
        "operationId": f"{method.name.replace('-', '_')}_{method.model}_{method.resource}",
        "parameters": WRITE_PARAMS,
        "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}},
        "responses": {"200": _unified_ok("The result", {"type": "object", "required": ["result"],
                                                       "properties": {"result": result}}),
                      **PROVIDER_SUCCESS, **_error_responses(*UNIFIED_ERRORS, 409, 503)}}}


CAPABILITY_PARAMS = [
    _param("type", "unified, proxy or all (the default)", {"type": "string", "enum": ["all", "unified", "proxy"]}),
    _param("methods", "Only these methods, comma-separated (list,get)", {"type": "string"}),
    _param("resource", "Only this resource", {"type": "string"}),
]
META_PARAMS = [
    _param("model", "The unified model (crm)", {"type": "string"}, True, "path"),
    _param("resource", "The unified resource", {"type": "string"}, True, "path"),
    _param("method", "list, get, create, update, delete or a custom method", {"type": "string"}, True, "path"),
]


WEBHOOK_INPUT: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["target_url", "event_types"],
    "properties": {"target_url": {"type": "string", "description": "https, on a public host"},
                   "event_types": {"type": "array", "minItems": 1,
                                   "items": {"type": "string", "enum": [ALL_EVENTS, *EVENTS]}},
                   "is_active": {"type": "boolean"}}}


def build_openapi(resources: dict[tuple[str, str], UnifiedResource], integrations: list[str],
                  loaded: list[Integration] | None = None,
                  methods: dict[tuple[str, str, str], UnifiedMethod] | None = None) -> dict[str, Any]:
    """The document; `methods`: the unified custom methods (those of a served resource are listed)."""
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["statusCode", "error", "message"],
            "properties": {
                "statusCode": {"type": "integer"},
                "error": {"type": "string"},
                "message": {"type": "string"},
                "truto_is_remote_error": {"type": "boolean"},
                "raw_response": {},
                "truto_error_insight": {"type": "object"},
            },
        },
        "Webhook": {
            "type": "object",
            "required": ["id", "target_url", "event_types", "is_active", "secret"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "environment_id": {"type": "string"},
                "target_url": {"type": "string"},
                "event_types": {"type": "array", "items": {"type": "string"}},
                "is_active": {"type": "boolean"},
                "secret": {"type": "string", "description": "In full only in the answer to POST /webhook."},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
            },
        },
        "ProviderBody": {"description": "The provider's response body, unchanged (raw and stream formats)."},
        "IntegratedAccount": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "tenant_id": {"type": ["string", "null"]},
                "environment_id": {"type": "string"},
                "integration": {"type": "object", "properties": {"name": {"type": "string", "enum": integrations},
                                                                 "label": {"type": "string"},
                                                                 "category": {"type": "string"}}},
                "status": {"type": "string"},
                "is_sandbox": {"type": "boolean"},
                "authentication_method": {"type": ["string", "null"]},
                "context": {"type": "object", "description": "Credentials and settings; secrets are redacted."},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
            },
        },
    }
    paths: dict[str, Any] = {
        "/health": {"get": {"summary": "Liveness check (no token needed)", "security": [],
                            "responses": {"200": {"description": "OK"}}}},
        "/integration": {"get": {"summary": "List integrations with their auth formats and unified coverage",
                                 "responses": {"200": {"description": "Integrations"}, **_error_responses(401)}}},
        "/integration/{name}": {
            "parameters": [_param("name", "Integration name", {"type": "string"}, True, "path")],
            "get": {"summary": "One integration: auth formats and unified coverage",
                    "responses": {"200": {"description": "The integration"}, **_error_responses(401, 404)}}},
        "/integrated-account": {
            "get": {"summary": "List integrated accounts",
                    "parameters": [_param("integration.name", "Filter by integration", {"type": "string"}),
                                   _param("tenant_id", "Filter by tenant", {"type": "string"}),
                                   _param("status", "Filter by status", {"type": "string"}),
                                   _param("limit", "Page size", {"type": "integer"}),
                                   _param("next_cursor", "Cursor from the previous page", {"type": "string"})],
                    "responses": {"200": {"description": "A page of accounts"}, **_error_responses(400, 401)}},
            "post": {"summary": "Create an integrated account",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["integration"],
                         "properties": {"integration": {"type": "string", "enum": integrations},
                                        "tenant_id": {"type": "string"}, "context": {"type": "object"},
                                        "is_sandbox": {"type": "boolean"},
                                        "authentication_method": {"type": "string"}}}}}},
                     "responses": {"201": {"description": "Created", "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/IntegratedAccount"}}}},
                         # 403: is_sandbox on a gateway with UNIGATE_SANDBOXES=off
                         **_error_responses(400, 401, 403)}},
        },
        "/integrated-account/{id}": {
            "parameters": [_param("id", "Integrated account id", {"type": "string"}, True, "path")],
            "get": {"summary": "Get an integrated account", "responses": {"200": {"description": "The account"},
                                                                          **_error_responses(401, 404)}},
            "patch": {"summary": "Update tenant_id, status or context (context merges shallowly; secrets left out "
                                 "are kept)",
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "additionalProperties": False,
                          "properties": {"tenant_id": {"type": ["string", "null"]},
                                         "status": {"type": "string", "enum": ["active", "needs_reauth", "disabled"]},
                                         "authentication_method": {"type": "string"},
                                         "context": {"type": "object"}}}}}},
                      "responses": {"200": {"description": "The account", "content": {"application/json": {
                          "schema": {"$ref": "#/components/schemas/IntegratedAccount"}}}},
                          **_error_responses(400, 401, 404, 413)}},
            "delete": {"summary": "Delete an integrated account", "responses": {"200": {"description": "{id}"},
                                                                                 **_error_responses(401, 404)}},
        },
        "/integration/{name}/capabilities": {
            "parameters": [_param("name", "Integration name", {"type": "string"}, True, "path")],
            "get": {"summary": "What the integration serves: unified and proxy methods per resource, auth fields",
                    "parameters": CAPABILITY_PARAMS,
                    "responses": {"200": {"description": "Capabilities"}, **_error_responses(400, 401, 404)}}},
        "/integrated-account/{id}/capabilities": {
            "parameters": [_param("id", "Integrated account id", {"type": "string"}, True, "path")],
            "get": {"summary": "What the account's integration serves, with the account's status",
                    "parameters": CAPABILITY_PARAMS,
                    "responses": {"200": {"description": "Capabilities"}, **_error_responses(400, 401, 404)}}},
        "/integrated-account/token": {
            "post": {"summary": "A 15-minute token that reaches one integrated account only (for a browser widget)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["integrated_account_id"],
                         "properties": {"integrated_account_id": {"type": "string", "format": "uuid"}}}}}},
                     "responses": {"201": {"description": "{integrated_account_token, expires_at}"},
                                   **_error_responses(400, 401, 403, 404)}}},
        "/integrated-account/me": {
            "get": {"summary": "The account of an integrated-account token",
                    "responses": {"200": {"description": "The account", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/IntegratedAccount"}}}},
                        **_error_responses(401, 403, 404)}},
            "patch": {"summary": "Change the context of an integrated-account token's account",
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "additionalProperties": False,
                          "properties": {"context": {"type": "object"}}}}}},
                      "responses": {"200": {"description": "The account"}, **_error_responses(400, 401, 403, 404)}}},
        "/api-token": {
            "get": {"summary": "The environment's API tokens (id, name, created_at; never the token)",
                    "responses": {"200": {"description": "{result: [...]}"}, **_error_responses(401, 403)}}},
        "/api-token/{id}": {
            "parameters": [_param("id", "The API token's id", {"type": "string"}, True, "path")],
            "delete": {"summary": "Revoke an API token: every process refuses it from its next call",
                       "responses": {"200": {"description": "{id}"}, **_error_responses(401, 403, 404)}}},
        "/webhook": {
            "get": {"summary": "The environment's webhooks (secrets masked)",
                    "responses": {"200": {"description": "{result: [...], next_cursor, limit}"},
                                  **_error_responses(401, 403)}},
            "post": {"summary": "Register a webhook: events POSTed to target_url, signed with the secret this answer "
                                "holds (shown only here)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": WEBHOOK_INPUT}}},
                     "responses": {"201": {"description": "The webhook, with its secret", "content": {
                         "application/json": {"schema": {"$ref": "#/components/schemas/Webhook"}}}},
                         **_error_responses(400, 401, 403, 413)}},
        },
        "/webhook/test": {
            "post": {"summary": "Send the `test` event (payload {\"foo\": \"bar\"}) to one webhook",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}},
                     "responses": {"200": {"description": "{success: true}"},
                                   **_error_responses(400, 401, 403, 404, 413)}},
        },
        "/webhook/{id}": {
            "parameters": [_param("id", "The webhook's id", {"type": "string"}, True, "path")],
            "get": {"summary": "One webhook (secret masked)",
                    "responses": {"200": {"description": "The webhook", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Webhook"}}}}, **_error_responses(401, 403, 404)}},
            "patch": {"summary": "Change target_url, event_types or is_active",
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          **WEBHOOK_INPUT, "required": []}}}},
                      "responses": {"200": {"description": "The webhook", "content": {"application/json": {
                          "schema": {"$ref": "#/components/schemas/Webhook"}}}},
                          **_error_responses(400, 401, 403, 404, 413)}},
            "delete": {"summary": "Delete a webhook; nothing more is sent to it",
                       "responses": {"200": {"description": "{id}"}, **_error_responses(401, 403, 404)}},
        },
        "/unified/{model}/{resource}/meta/{method}": {
            "parameters": META_PARAMS,
            "get": {"summary": "Meta of a unified method on the CRM of the account named in the query",
                    "parameters": [_param("integrated_account_id", "The integrated account", {"type": "string"}, True)],
                    "responses": {"200": {"description": "method, schema, response_schema, query_schema, "
                                                         "request_body_schema, documentation_link"},
                                  **_error_responses(400, 401, 403, 404)}}},
        "/unified/{model}/{resource}/{integration}/meta/{method}": {
            "parameters": [*META_PARAMS, _param("integration", "Integration name", {"type": "string"}, True, "path")],
            "get": {"summary": "Meta of a unified method on one CRM, from its mapping files",
                    "responses": {"200": {"description": "method, schema, response_schema, query_schema, "
                                                         "request_body_schema, documentation_link"},
                                  **_error_responses(401, 404)}}},
        "/connect/{integration}/start": {
            "get": {"summary": "Start connecting an account over OAuth: answers 302 to the CRM's authorize page "
                               "(the app's backend calls it and sends its user to the Location)",
                    "parameters": [_param("integration", "An integration with an OAuth flow", {"type": "string"},
                                          True, "path"),
                                   _param("redirect_uri", "The app's page the user returns to", {"type": "string"},
                                          True),
                                   _param("tenant_id", "The app's tenant (required for a new account)",
                                          {"type": "string"}),
                                   _param("integrated_account_id", "Reconnect this account instead",
                                          {"type": "string"}),
                                   _param("is_sandbox", "Connect to the built-in sandbox", {"type": "boolean"})],
                    "responses": {"302": {"description": "To the CRM's authorize URL"},
                                  **_error_responses(400, 401, 403, 404)}},
        },
        "/connect/{integration}/callback": {
            "get": {"summary": "Where the CRM sends the user back; the state authenticates it. Answers 302 to "
                               "the app's redirect_uri with integrated_account_id (or error)",
                    "security": [],
                    "parameters": [_param("integration", "The integration", {"type": "string"}, True, "path"),
                                   _param("state", "The state from the start", {"type": "string"}, True),
                                   _param("code", "The authorization code", {"type": "string"}),
                                   _param("error", "The CRM's refusal", {"type": "string"})],
                    "responses": {"302": {"description": "To the app's redirect_uri"},
                                  **_error_responses(400, 404)}},
        },
    }
    for (model, resource), unified in resources.items():
        name = _schema_name(unified)
        schemas[name] = copy.deepcopy(unified.schema)
        schemas[name].pop("$schema", None)
        schemas[name].pop("$id", None)
        writable = {k: v for k, v in unified.schema["properties"].items() if k not in READ_ONLY_FIELDS}
        schemas[f"{name}Input"] = {"type": "object", "additionalProperties": False,
                                   "properties": {**copy.deepcopy(writable),
                                                  "remote_data": {"type": "object", "description":
                                                                  "Merged into the provider's body as given."}}}
        ref = {"$ref": f"#/components/schemas/{name}"}
        body = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Input"}}}}
        one = {"200": _unified_ok("The record", ref), **PROVIDER_SUCCESS, **_error_responses(*UNIFIED_ERRORS)}
        written = {**one, **_error_responses(409, 503)}
        paths[f"/unified/{model}/{resource}"] = {
            "get": {"summary": f"List {resource}", "operationId": f"list_{model}_{resource}",
                    "parameters": COMMON_UNIFIED_PARAMS + [
                        _param("limit", "Page size", {"type": "integer", "minimum": 1}),
                        _param("next_cursor", "Cursor from the previous page; empty for the first", {"type": "string"})],
                    "responses": {"200": _unified_ok("A page", {
                        "type": "object", "required": ["result", "next_cursor"],
                        "properties": {"result": {"type": "array", "items": ref},
                                       "next_cursor": {"type": ["string", "null"]},
                                       "prev_cursor": {"type": ["string", "null"]},
                                       "result_count": {"type": "integer"}}}),
                        **PROVIDER_SUCCESS, **_error_responses(*UNIFIED_ERRORS)}},
            "post": {"summary": f"Create a record in {resource}", "operationId": f"create_{model}_{resource}",
                     "parameters": WRITE_PARAMS, "requestBody": body, "responses": written},
        }
        paths[f"/unified/{model}/{resource}/{{id}}"] = {
            "parameters": [_param("id", "The record's id in the provider", {"type": "string"}, True, "path")],
            "get": {"summary": f"Get a record of {resource}", "operationId": f"get_{model}_{resource}",
                    "parameters": COMMON_UNIFIED_PARAMS, "responses": one},
            "patch": {"summary": f"Update a record of {resource}", "operationId": f"update_{model}_{resource}",
                      "parameters": WRITE_PARAMS, "requestBody": body, "responses": written},
            "delete": {"summary": f"Delete a record of {resource}", "operationId": f"delete_{model}_{resource}",
                       "parameters": COMMON_UNIFIED_PARAMS,
                       "responses": {"200": _unified_ok("At least {id}, plus what the provider's answer maps to", ref),
                                     **PROVIDER_SUCCESS, **_error_responses(*UNIFIED_ERRORS)}},
        }
    for (model, resource, name), method in (methods or {}).items():
        if (model, resource) not in resources:
            continue
        mappings = [(i.name, i.mappings.get((model, resource))) for i in loaded or []]
        served_by = sorted(n for n, mapping in mappings if mapping is not None and name in mapping.custom_methods)
        record = {"$ref": f"#/components/schemas/{_schema_name(resources[(model, resource)])}"}
        paths[f"/unified/{model}/{resource}/{name}"] = _custom_method_path(method, record, served_by)
    paths.update(proxy_paths(proxy.catalogue(loaded or [])))
    paths.update(custom_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "unigate", "version": __version__,
                 "description": "Unified CRM API, wire-compatible with Truto's unified API."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    }
