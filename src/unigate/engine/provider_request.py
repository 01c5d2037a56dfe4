"""Building the provider's HTTP request from a resource method and the mapping's outputs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote

import orjson

from unigate.engine.accounts import AccountRuntime
from unigate.engine.spec import ResourceMethod
from unigate.engine.templates import render
from unigate.errors import GatewayError
from unigate.expressions import Expression, ExpressionError


class Mapping(Protocol):
    """What builds part of a provider request: a compiled expression, or a value worked out earlier."""

    def evaluate(self, data: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A mapping's value worked out once (per account, engine/call.py) and reused whatever the scope.
    Callers copy before changing it, as they do with an expression's constant result."""

    value: Any

    def evaluate(self, data: Any) -> Any:
        return self.value


@dataclass
class ProviderRequest:
    method: str
    url: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    safe_to_repeat: bool = False  # the integration declares this call a read (engine/retry.py)


# Characters left as they are in provider query values: RFC 3986 allows them there, and CRMs take
# comma lists such as HubSpot's `properties=name,domain` literally. `&=+#%` and spaces are encoded.
_QUERY_SAFE = ",:/@!$'()*"


@lru_cache(maxsize=4096)
def _quote_value(value: str) -> str:
    return quote(value, safe=_QUERY_SAFE)


@lru_cache(maxsize=1024)
def _quote_key(key: str) -> str:
    return quote(key, safe="[]")


def encode_query(query: dict[str, Any]) -> str:
    """Provider query string: lists repeat the key, nested objects use brackets (`a[b]=c`), None is left out."""
    parts: list[str] = []

    def add(key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, dict):
            for sub, v in value.items():
                add(f"{key}[{sub}]", v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                add(key, v)
        else:
            if isinstance(value, bool):
                value = "true" if value else "false"
            parts.append(f"{_quote_key(key)}={_quote_value(str(value))}")

    for key, value in query.items():
        add(str(key), value)
    return "&".join(parts)


def lower_headers(headers: Any) -> dict[str, str]:
    """Response headers for expressions: names lowercased, so `headers.link` reads any spelling."""
    return {k.lower(): v for k, v in headers.items()}


def merge_remote_data(body: Any, remote_data: Any) -> Any:
    """A caller's `remote_data` merged into the provider body.

    Objects merge key by key; arrays inside them merge item by item (so `{"data": [{...}]}` reaches
    the first record of a `data`-wrapped body); a body that is itself an array (e.g. JSON Patch
    operations) gets `remote_data`, which must then be an array, appended.
    """
    if isinstance(body, list):
        if not isinstance(remote_data, list):
            raise GatewayError(400, "remote_data must be an array for this integration: its request body is an "
                                    "array (e.g. JSON Patch operations), and remote_data is appended to it.")
        return body + remote_data
    return deep_merge(body if body is not None else {}, remote_data)


def deep_merge(base: Any, extra: Any) -> Any:
    """`extra` merged into `base`: objects key by key, arrays item by item, anything else in `extra` wins."""
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = deep_merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(base, list) and isinstance(extra, list):
        merged_list = [deep_merge(b, e) for b, e in zip(base, extra)]
        return merged_list + base[len(extra):] + extra[len(base):]
    return extra


def evaluate(expression: Expression | None, scope: dict[str, Any], what: str) -> Any:
    """Evaluate a mapping of the provider's answer; a failure is the provider's shape: 502."""
    if expression is None:
        return None
    try:
        return expression.evaluate(scope)
    except ExpressionError as exc:
        raise GatewayError(502, f"The {what} mapping failed ({exc}). The provider's answer did not have the "
                                "expected shape.") from exc


def evaluate_request(expression: Mapping | None, scope: dict[str, Any], what: str) -> Any:
    """Evaluate a mapping that builds the provider request; a failure comes from the caller's values: 400."""
    if expression is None:
        return None
    try:
        return expression.evaluate(scope)
    except ExpressionError as exc:
        raise GatewayError(400, f"The request could not be translated for the provider: the {what} mapping "
                                f"failed ({exc}). Check the values sent (ids, for one, must be the CRM's own).") from exc


def build_request(account: AccountRuntime, method: ResourceMethod, scope: dict[str, Any], *,
                  query_expr: Mapping | None, body_expr: Mapping | None,
                  page_params: dict[str, Any] | None = None, page_in_body: bool = False,
                  remote_query: dict[str, Any] | None = None, remote_body: Any = None,
                  remote_merge: Expression | None = None, headers_expr: Mapping | None = None) -> ProviderRequest:
    # `body` for a write whose record is named in its body (crm/associations' entity_id); each value is one
    # encoded segment, so a body cannot reach another path.
    path = render(method.path, {"id": scope.get("id"), "context": account.context, "steps": scope.get("steps"),
                                "body": scope.get("body")}, as_segments=True)
    query = evaluate_request(query_expr, scope, "query")
    query = dict(query) if isinstance(query, dict) else {}
    body = evaluate_request(body_expr, scope, "request body")
    if page_params:
        if page_in_body:
            body = {**(body if isinstance(body, dict) else {}), **page_params}
        else:
            query.update(page_params)
    if remote_query:
        query.update(remote_query)  # the caller's remote_query wins over mapped values
    if remote_body is not None:
        if remote_merge is not None:  # the integration says how (e.g. as JSON Patch operations)
            body = evaluate_request(remote_merge, {"body": body, "remote_data": remote_body}, "remote_data")
        else:
            body = merge_remote_data(body, remote_body)
    url = account.base_url + path
    if query:
        url += "?" + encode_query(query)
    headers = dict(account.headers)
    extra = evaluate_request(headers_expr, scope, "headers")
    if extra is not None:
        if not isinstance(extra, dict):
            raise GatewayError(400, "The request could not be translated for the provider: the headers mapping "
                                    "gave something other than an object of header names.")
        # The mapping's headers add to the integration's own; a null value sends nothing. A name the account's
        # headers already carry (credentials) is not replaced.
        for name, value in extra.items():
            if value is None or any(str(name).lower() == k.lower() for k in headers):
                continue
            if any(char in f"{name}{value}" for char in "\r\n\x00"):   # a caller's value must not split a header
                raise GatewayError(400, f"The request could not be translated for the provider: the {name} header "
                                        "would hold a CR, LF or NUL character.")
            headers[str(name)] = str(value)
    payload = None
    if body is not None:
        try:
            payload = orjson.dumps(body)
        except TypeError as exc:  # orjson.JSONEncodeError, e.g. an integer beyond 64 bits
            raise GatewayError(400, f"The request body holds a value that cannot be sent to the provider ({exc}); "
                                    "integers must fit in 64 bits.") from None
        headers["Content-Type"] = method.content_type
        headers.setdefault("Accept", method.content_type if "json" in method.content_type else "application/json")
    return ProviderRequest(method.http_method, url, path, headers, payload, method.safe_to_repeat)


def parse_body(content_type: str, raw: bytes) -> Any:
    """The provider body as JSON when it is JSON, else text; None when empty."""
    if not raw:
        return None
    if "json" in content_type or raw[:1] in (b"{", b"["):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return raw.decode("utf-8", "replace")
