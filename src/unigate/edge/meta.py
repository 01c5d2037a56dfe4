"""What a CRM supports, generated from its integration files: the meta of a unified method
(https://truto.one/docs/api-reference/unified-api/meta) and an integration's capabilities (unified and proxy
methods per resource, auth fields). Nothing here is written by hand per CRM; docs/api.md "Meta and capabilities".
"""

from __future__ import annotations

from typing import Any

from unigate.engine.proxy import route_of, unavailable_reason
from unigate.engine.spec import UNIFIED_METHODS, Integration, ResourceMapping
from unigate.errors import GatewayError
from unigate.models import READ_ONLY_FIELDS, UnifiedMethod, UnifiedResource

_HTTP = {"list": "GET", "get": "GET", "create": "POST", "update": "PATCH", "delete": "DELETE"}

# The gateway's own query parameters (docs/api.md "Query parameters"), on every unified method.
_COMMON_QUERY: dict[str, Any] = {
    "integrated_account_id": {"type": "string", "format": "uuid", "description": "The integrated account to call."},
    "truto_response_format": {"type": "string", "enum": ["unified", "normalized", "raw", "stream"],
                              "default": "unified"},
    "truto_ignore_remote_data": {"type": "boolean", "description": "Leaves remote_data out."},
    "truto_exclude_fields": {"type": "array", "items": {"type": "string"},
                             "description": "Fields to leave out; dotted paths reach nested ones."},
    "remote_query": {"type": "object", "description": "Added to the CRM's query string as given."},
}


def _link_filter(schema: dict[str, Any]) -> dict[str, Any]:
    """A field as a list filter: a link (`account`, `contact[]`) is filtered by its id, `account[id]=…`."""
    item = schema.get("items", schema) if schema.get("type") == "array" else schema
    if item.get("type") == "object" and "id" in item.get("properties", {}):
        return {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    return {key: value for key, value in schema.items() if key in ("type", "enum", "format", "description")}


def _compared_filter(schema: dict[str, Any], operators: tuple[str, ...]) -> dict[str, Any]:
    """A filter by operator: `name=…` (when it takes eq) or `name[gte]=…`."""
    value = {key: v for key, v in schema.items() if key in ("type", "enum", "format")}
    by_operator = {"type": "object", "properties": {op: ({"type": "array", "items": value} if op in ("in", "nin") else value)
                                                    for op in operators}, "additionalProperties": False}
    return {"anyOf": [value, by_operator]} if "eq" in operators else by_operator


def _query_schema(unified_method: str, mapping: ResourceMapping, resource: UnifiedResource,
                  integration: Integration) -> dict[str, Any]:
    properties = dict(_COMMON_QUERY)
    if unified_method == "list":
        mm = mapping.methods["list"]
        method = integration.resource_method(mm.resource, mm.method)
        maximum = method.pagination.max_limit if method.pagination is not None else None
        properties["limit"] = {"type": "integer", "minimum": 1, **({"maximum": maximum} if maximum else {})}
        properties["next_cursor"] = {"type": "string", "description": "The previous page's next_cursor."}
        properties["truto_key_by"] = {"type": "string", "description": "Answers result as an object keyed by this field."}
        for name in mapping.filters:
            # A filter need not be a field of the model (contacts filter by `email`): a string then.
            field = resource.schema["properties"].get(name, {"type": "string"})
            operators = mapping.filter_operators.get(name)
            properties[name] = _link_filter(field) if operators is None else _compared_filter(field, operators)
        if mapping.sort_by:
            properties["sort_by"] = {"type": "object", "description": "One field to sort by: sort_by[<field>]=asc|desc.",
                                     "properties": {f: {"enum": ["asc", "desc"]} for f in mapping.sort_by},
                                     "maxProperties": 1}
    required = ["integrated_account_id"]
    for name, (values, required_on) in mapping.query_params.items():
        properties[name] = {"type": "string", **({"enum": list(values)} if values else {})}
        if unified_method in required_on:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


def _body_schema(unified_method: str, mapping: ResourceMapping, resource: UnifiedResource) -> dict[str, Any]:
    """What a create or update may carry on this CRM: the fields it writes, the values it takes, and (on create)
    what it requires."""
    model = resource.schema["properties"]
    properties: dict[str, Any] = {}
    for name in mapping.writable:
        if name in model and name not in READ_ONLY_FIELDS:
            field = dict(model[name])
            if name in mapping.values:
                field["enum"] = list(mapping.values[name])
            properties[name] = field
    properties["remote_data"] = {"type": "object", "description": "Sent to the CRM alongside the mapped fields."}
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if unified_method == "create" and mapping.required:
        schema["required"] = [entry[0] for entry in mapping.required if len(entry) == 1]
        alternatives = [entry for entry in mapping.required if len(entry) > 1]
        if alternatives:
            schema["allOf"] = [{"anyOf": [{"required": [name]} for name in entry]} for entry in alternatives]
    return schema


def _response_schema(unified_method: str, mapping: ResourceMapping, resource: UnifiedResource) -> dict[str, Any]:
    """The part of the unified schema this CRM's mapping fills (the rest it cannot hold: docs/coverage.md)."""
    model = resource.schema["properties"]
    names = ["id"] if unified_method == "delete" else ["id", *(f for f in mapping.fields if f != "id")]
    fields = {n: model[n] for n in names if n in model}
    fields["remote_data"] = model.get("remote_data", {"type": "object"})
    # A record answers its id; an association (no id of its own) the id of the record it links.
    record = {"type": "object", "properties": fields, "required": ["id"] if "id" in model else []}
    if unified_method != "list":
        return record
    return {"type": "object", "properties": {
        "result": {"type": "array", "items": record},
        "next_cursor": {"type": ["string", "null"]},
        "prev_cursor": {"type": "null"},
        "result_count": {"type": "integer"},
    }}


def method_meta(integration: Integration, resource: UnifiedResource, method_name: str,
                custom: UnifiedMethod | None) -> dict[str, Any]:
    """`GET /unified/{model}/{resource}/{integration}/meta/{method}`: Truto's meta fields for one method, from the
    mapping file; 404 for a method the CRM does not serve, saying why where its file says."""
    key = (resource.model, resource.resource)
    where = f"{resource.model}/{resource.resource}"
    mapping = integration.mappings.get(key)
    if mapping is None:
        why = integration.not_mapped.get(where)
        raise GatewayError(404, f"{integration.label} does not support the unified resource {where}."
                                + (f" {why}" if why else ""))
    served = [*mapping.methods, *mapping.custom_methods]
    if method_name not in served:
        why = mapping.not_supported.get(method_name)
        raise GatewayError(404, f"{integration.label} does not support {method_name[:64]!r} on {where} "
                                f"(supported: {', '.join(served) or 'none'})." + (f" {why}" if why else ""))
    meta: dict[str, Any] = {
        "method": method_name,
        "http_method": _HTTP.get(method_name, "POST"),
        "schema": resource.schema,
        "documentation_link": integration.docs_url,
    }
    if method_name in UNIFIED_METHODS:
        meta["response_schema"] = _response_schema(method_name, mapping, resource)
        meta["query_schema"] = _query_schema(method_name, mapping, resource, integration)
        if method_name in ("create", "update"):
            meta["request_body_schema"] = _body_schema(method_name, mapping, resource)
        if method_name == "create":
            meta["default_body"] = {name: expression.source for name, expression in mapping.methods["create"].defaults}
    else:
        meta["query_schema"] = {"type": "object", "properties": dict(_COMMON_QUERY),
                                "required": ["integrated_account_id"]}
        meta["request_body_schema"] = custom.schema if custom is not None else {"type": "object"}
    return meta


def proxy_json(integration: Integration) -> list[dict[str, Any]]:
    """The CRM's own resources the proxy API offers, each method with its route (and, where the gateway writes the
    CRM's request from the caller's inputs, the `example` of those); methods whose request only a unified
    mapping can build are listed as not offered, with why."""
    found = []
    for resource, methods in integration.resources.items():
        offered, not_offered = [], {}
        for name, method in methods.items():
            reason = unavailable_reason(method)
            if reason is None:
                entry: dict[str, Any] = {"method": name, "route": route_of(resource, name)}
                if method.example is not None:  # what the caller sends when the gateway writes the CRM's request
                    entry["example"] = method.example
                offered.append(entry)
            else:
                not_offered[name] = f"{reason}; use the custom API: {method.http_method} /custom{method.path}"
        found.append({"resource": resource, "methods": offered, "not_offered": not_offered})
    return found


def capabilities(integration: Integration, resources: dict[tuple[str, str], UnifiedResource],
                 kind: str = "all", methods: list[str] | None = None, resource: str | None = None) -> dict[str, Any]:
    """`GET /integration/{name}/capabilities`: the unified and proxy methods per resource and the auth fields,
    filtered as Truto filters them (`type=unified|proxy|all`, `methods=list,get`, `resource=contacts`)."""
    if kind not in ("all", "unified", "proxy"):
        raise GatewayError(400, f"type must be all, unified or proxy; got {kind[:40]!r}.")
    wanted = set(methods) if methods else None
    body: dict[str, Any] = {"integration": {"name": integration.name, "label": integration.label,
                                            "category": integration.category}}
    if kind in ("all", "unified"):
        unified = []
        for (model, name), mapping in integration.mappings.items():
            if resource is not None and name != resource:
                continue
            served = [m for m in (*mapping.methods, *mapping.custom_methods) if wanted is None or m in wanted]
            if not served:
                continue
            schema = resources[(model, name)].schema
            unified.append({"model": model, "resource": name, "description": schema.get("description"),
                            "docs_url": integration.docs_url, "methods": served,
                            "not_supported": mapping.not_supported})
        body["unified"] = unified
        body["not_mapped"] = integration.not_mapped
    if kind in ("all", "proxy"):
        proxy = []
        for entry in proxy_json(integration):
            offered = [m for m in entry["methods"] if wanted is None or m["method"] in wanted]
            if offered and (resource is None or entry["resource"] == resource):
                proxy.append({"resource": entry["resource"], "methods": offered})
        body["proxy"] = proxy
    body["auth"] = {
        "formats": [a.method for a in integration.auth],
        "fields": [{"name": f.name, "label": f.label, "required": f.required, "secret": f.secret,
                    "auth_method": a.method} for a in integration.auth for f in a.fields],
        "oauth": integration.oauth is not None,
        "documentation_link": integration.docs_url,
    }
    return body
