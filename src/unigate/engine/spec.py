"""Integration and mapping files, loaded and compiled once at start-up.

The formats are documented in docs/integrations.md. Loading validates each file against its JSON
Schema (integrations/schema/), resolves `$ref`s to the integration's `shared:` pieces, applies the
integration's method `defaults:`, then checks what a schema cannot (expressions compile, referenced
methods exist), so a broken file fails the process at start-up, not a caller's request.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from unigate.expressions import Expression, ExpressionError, compile_expression
from unigate.models import load_methods

INTEGRATIONS_DIR = Path(__file__).resolve().parent.parent / "integrations"
SCHEMA_DIR = INTEGRATIONS_DIR / "schema"
INTEGRATION_SCHEMA = "integration.schema.json"
RESOURCE_SCHEMA = "resource.schema.json"
SHARED_PREFIX = "#/shared/"
UNIFIED_METHODS = ("list", "get", "create", "update", "delete")
# A custom method's name is one path segment (`POST /unified/crm/contacts/merge`).
CUSTOM_METHOD_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
PAGINATION_STYLES = ("cursor", "page", "offset", "next_url", "whole")
RESET_FORMATS = ("seconds", "milliseconds", "epoch_seconds", "epoch_milliseconds")
CLIENT_AUTH_STYLES = ("body", "basic")
# `http`: RFC 9110 Retry-After, delay seconds or an HTTP date.
RETRY_AFTER_FORMATS = ("http", *RESET_FORMATS)
_PLACEHOLDER_NAMES = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")


class SpecError(Exception):
    """An integration or mapping file is malformed; the message names the file and the key."""


def _expression_text(source: Any) -> Any:
    """An expression given as a list of parts (shared fragments by `$ref` among them) is one block.

    The parts are joined flat into `( part; part; ... )`, so variables a fragment binds
    (`$board := ...`) are visible to the parts after it.
    """
    if not isinstance(source, list):
        return source
    parts = [str(p).strip().rstrip(";").strip() for p in source if p is not None and str(p).strip()]
    return "(\n" + ";\n".join(parts) + "\n)" if parts else None


def _expr(where: str, source: Any) -> Expression | None:
    try:
        return compile_expression(_expression_text(source))
    except ExpressionError as exc:
        raise SpecError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class _MappingConfig:
    """A resource file's `config:` block, its unified resource name and its deprecated context keys."""

    resource: str
    config: dict[str, Any]
    aliases: dict[str, str]


class ConfiguredExpression(Expression):
    """A mapping expression that reads `config`: the resource file's `config:` block.

    An account overrides a declared key in its context under `resources.<resource>.<key>`; where the
    expression's input carries no `context` (records, filter, not_found_if, fail_if, read_back) the
    file's values apply. Keys listed in `deprecated_context_keys` are also read from the context's top
    level (older accounts), below the `resources.<resource>` override.
    """

    __slots__ = ("_aliases", "_config", "_resource")

    def __init__(self, source: str, config: dict[str, Any], resource: str, aliases: dict[str, str]) -> None:
        super().__init__(source)
        self._config = config
        self._resource = resource
        self._aliases = aliases

    def config_for(self, context: Any) -> dict[str, Any]:
        if not isinstance(context, dict):
            return self._config
        resources = context.get("resources")
        override = resources.get(self._resource) if isinstance(resources, dict) else None
        found = {key: context[old] for key, old in self._aliases.items() if context.get(old) not in (None, "")}
        if isinstance(override, dict):
            found.update({k: v for k, v in override.items() if k in self._config})
        return {**self._config, **found} if found else self._config

    def prepare(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {**data, "config": self.config_for(data.get("context"))}
        return data


def _mapping_expr(where: str, source: Any, mapping: _MappingConfig) -> Expression | None:
    """Compile a mapping expression; one that reads `config` gets it in its input."""
    text = _expression_text(source)
    if text is None or not str(text).strip() or "config" not in str(text):
        return _expr(where, text)
    try:
        return ConfiguredExpression(str(text), mapping.config, mapping.resource, mapping.aliases)
    except ExpressionError as exc:
        raise SpecError(f"{where}: {exc}") from exc


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.lower(),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.lower() for v in value)
    raise SpecError(f"{where}: expected a header name or a list of them")


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool
    required: bool


@dataclass(frozen=True)
class AuthFormat:
    method: str
    label: str
    fields: tuple[CredentialField, ...]
    headers: Expression | None

    def missing_fields(self, context: dict[str, Any]) -> list[str]:
        missing = []
        for f in self.fields:
            if f.required and _dotted(context, f.name) in (None, ""):
                missing.append(f.name)
        return missing


def _dotted(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


@dataclass(frozen=True)
class RateLimitRules:
    limit: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    reset: tuple[str, ...] = ()
    reset_format: str = "seconds"
    # For headers the name lists can't read (e.g. IETF structured fields): JSONata over {headers}
    # giving {limit, remaining, reset} (reset in seconds).
    expression: Expression | None = None
    # Headers that say how long to wait before retrying a 429, as (name, format); the longest wait
    # found wins. On a 503 only `http` ones (Retry-After) count.
    retry_after: tuple[tuple[str, str], ...] = (("retry-after", "http"),)


@dataclass(frozen=True)
class ErrorRules:
    is_error: Expression | None = None
    status: Expression | None = None
    message: Expression | None = None


@dataclass(frozen=True)
class Pagination:
    style: str
    location: str  # "query" or "body"
    cursor_param: str | None
    page_param: str | None
    offset_param: str | None
    limit_param: str | None
    first_page: int
    default_limit: int
    max_limit: int
    next_cursor: Expression | None
    has_more: Expression | None
    next_url: Expression | None


@dataclass(frozen=True)
class ResourceMethod:
    resource: str
    name: str
    http_method: str
    path: str
    content_type: str
    records: Expression | None
    record: Expression | None
    pagination: Pagination | None
    # A read sent as POST (a GraphQL query, a search): safe to send again like a GET (engine/retry.py).
    safe_to_repeat: bool = False
    # Proxy only: the provider body built from the caller's {id, query, body, limit, cursor, context},
    # for a CRM whose id or paging travels inside a request document (a GraphQL query); see engine/proxy.py.
    request: Expression | None = None
    # The caller's query and body for a method with `request` (documentation, shown in GET /integration).
    example: dict[str, Any] | None = None


@dataclass(frozen=True)
class Step:
    name: str
    resource: str
    method: str
    query: Expression | None
    body: Expression | None
    cache_per_account: bool
    fail_if: Expression | None
    fail_status: int
    fail_message: str
    # Whether a `fail_if` refusal is the CRM's (its answer says no: truto_is_remote_error) or the gateway's own rule
    # about an answer the CRM gave without complaint (false: the gateway refuses, nothing of the CRM's is passed on).
    fail_remote: bool = True
    # Run the step only when this is true (input: the method's, with the earlier steps' results).
    when: Expression | None = None
    # What `steps.<name>` holds instead of the whole answer (input: the method's, with `response`): a value
    # picked out of it, e.g. the pipeline that holds a stage, for a path placeholder.
    result: Expression | None = None
    # per_page only: the step's result (a list of records) is the page's records from then on, mapped instead of
    # the page read: a search that answers ids or a projection, followed by one batch read of the whole records.
    replaces_records: bool = False


@dataclass(frozen=True)
class MethodMapping:
    unified_method: str
    resource: str
    method: str
    query: Expression | None
    body: Expression | None
    record: Expression | None
    filter: Expression | None
    not_found_if: Expression | None
    response: Expression | None
    remote_data: Expression | None
    read_back: Expression | None  # input {response, id, body (the unified body)}: the id to read through get
    before: tuple[Step, ...]
    # list only: steps run once per provider page, after it is read and before its records are mapped; they see
    # the page's records as `records` (one batch read of what the page's answer leaves out: a search's links).
    per_page: tuple[Step, ...] = ()
    # create only: unified field -> JSONata (input {body, context, steps, config}) giving its value when
    # the caller's body lacks it (Pipeliner's owner: the connected user); undefined leaves it absent.
    defaults: tuple[tuple[str, Expression], ...] = ()
    # Other provider methods for the calls that need them (a list whose filter only a CRM's search endpoint
    # applies), each with its `when` (input {query, body, id, context}); the first that holds is used instead.
    alternatives: tuple[tuple[Expression, MethodMapping], ...] = ()
    # Request headers besides the integration's own (input as for `query`): {name: text}; null values send nothing
    # (Zoho's If-Modified-Since on a list bounded by modification time).
    headers: Expression | None = None


@dataclass(frozen=True)
class CustomMethodMapping:
    """How one integration serves a unified custom method (`POST /unified/<model>/<resource>/<name>`).

    One provider call, or one per item of `each`; `response` maps the answers to the `result`, or
    `read_back` names the record to answer with through the resource's `get`.
    """

    name: str
    resource: str
    method: str
    each: Expression | None     # input {body, context, steps}: a list, one provider call per item
    # input {body, item, index, responses (the earlier calls' answers), context, steps}: the path's {{id}}
    id: Expression | None
    query: Expression | None    # input as for `id`
    body: Expression | None     # input as for `id`
    response: Expression | None  # input {response, responses, body, context, steps}: the result
    read_back: Expression | None  # input {response, responses, body}: the id of the record to answer with
    before: tuple[Step, ...]


@dataclass(frozen=True)
class ResourceMapping:
    """How one integration serves one unified (model, resource) pair, e.g. crm/accounts."""

    model: str
    resource: str
    methods: dict[str, MethodMapping]
    fields: tuple[str, ...]
    writable: tuple[str, ...]
    not_held: dict[str, str] = field(default_factory=dict)  # field -> why the CRM cannot hold it
    not_supported: dict[str, str] = field(default_factory=dict)  # unified method -> why the CRM lacks it
    beyond_truto: dict[str, str] = field(default_factory=dict)  # method served beyond Truto's coverage -> source
    # The file's `config:` block (e.g. monday's board name), as expressions see it when the account
    # overrides nothing (see ConfiguredExpression).
    config: dict[str, Any] = field(default_factory=dict)
    # Custom methods by name (`merge`, `batch-delete`), besides list/get/create/update/delete.
    custom_methods: dict[str, CustomMethodMapping] = field(default_factory=dict)
    # What the CRM requires on create (after `create.defaults`), each entry one field or alternatives
    # of which one will do: a create without one is answered 400 naming it, before the CRM is called.
    required: tuple[tuple[str, ...], ...] = ()
    # The value formats the CRM takes (`country`, `phone`, `dates`; FORMATS), for docs/coverage.md.
    formats: dict[str, str] = field(default_factory=dict)
    # The unified list filters the mapping honours (`account` is `?account[id]=…`); a list naming
    # another field of the resource is refused rather than answered unfiltered.
    filters: tuple[str, ...] = ()
    # Filters compared by operator (`updated_at[gte]=…`, `name=…` is `eq`): name -> the operators the CRM
    # applies. Such a filter reaches the mappings as `query.<name>.<operator>`; engine/list_query.py.
    filter_operators: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Query parameters besides the filters (crm/fields' `entity`): name -> (the values it takes, the unified
    # methods that require it); another value, or a missing required one, is answered 400.
    query_params: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    # The fields a list may be sorted by (`sort_by[<field>]=asc|desc`); empty: the CRM's own order only.
    sort_by: tuple[str, ...] = ()
    # The values the CRM takes for a field the model leaves open (engagement_type), checked on writes.
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Groups of links of which a write may carry one item in all (a record with one parent), checked on writes.
    exclusive: tuple[tuple[str, ...], ...] = ()
    # Groups of list filters of which a list may name one (the CRM applies them through different endpoints).
    exclusive_filters: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class OAuthSpec:
    """The `oauth:` block: how the gateway connects an account and refreshes its tokens (docs/api.md, OAuth)."""

    authorize_url: str
    token_url: str
    sandbox_authorize_path: str
    sandbox_token_path: str
    scopes: tuple[str, ...]
    scope_separator: str
    client_auth: str  # "body": client_id/client_secret in the form; "basic": HTTP Basic
    pkce: bool
    refresh: bool
    # JSONata over {"response": <token response>}: context fields to keep besides the tokens.
    context: Expression | None
    # Regexes the rendered token URL must match in full (when token_url uses {{context.x}}).
    token_url_allowed: tuple[re.Pattern[str], ...]
    # Extra authorize-URL parameters some vendors need (e.g. Zoho's access_type=offline).
    authorize_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Integration:
    name: str
    label: str
    category: str
    docs_url: str | None
    base_url: str
    base_url_allowed: tuple[re.Pattern[str], ...]
    sandbox_base_url: str
    sandbox_context: dict[str, Any]
    headers: dict[str, str]
    auth: tuple[AuthFormat, ...]
    rate_limit: RateLimitRules
    errors: ErrorRules
    resources: dict[str, dict[str, ResourceMethod]]
    mappings: dict[tuple[str, str], ResourceMapping] = field(default_factory=dict)
    oauth: OAuthSpec | None = None
    # The `shared:` pieces resource files reference with `$ref: "#/shared/<name>"` (resolved at load).
    shared: dict[str, Any] = field(default_factory=dict)
    # Why the CRM has no mapping of a unified resource, by "model/resource" (docs/coverage.md, the 404).
    not_mapped: dict[str, str] = field(default_factory=dict)

    def auth_format(self, method: str | None) -> AuthFormat | None:
        if method is None:
            return self.auth[0] if self.auth else None
        return next((a for a in self.auth if a.method == method), None)

    def secret_fields(self) -> set[str]:
        return {f.name for a in self.auth for f in a.fields if f.secret}

    def resource_method(self, resource: str, method: str) -> ResourceMethod:
        try:
            return self.resources[resource][method]
        except KeyError:
            raise SpecError(f"{self.name}: no method {method!r} on resource {resource!r}") from None


# -- files: schema, $ref, defaults ----------------------------------------------------------------


@functools.cache
def _validator(schema_name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / schema_name).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate(where: str, data: Any, schema_name: str, note: str = "") -> None:
    """Refuse `data` unless it matches the schema; the message names the file and the JSON path of
    each problem (the first few, in file order; for a value matching none of a choice's forms, the
    closest form's complaint)."""
    errors = [jsonschema.exceptions.best_match([e]) for e in _validator(schema_name).iter_errors(data)]
    if not errors:
        return
    errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
    shown = "; ".join(f"{e.json_path}: {_schema_message(e)}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    raise SpecError(f"{where}: {shown}{more}{note} (schema {schema_name})")


def _schema_message(error: jsonschema.ValidationError) -> str:
    """The validator's message; for a value matching none of a choice's forms, what the forms are."""
    described = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "anyOf" and described:
        return f"{error.message}; expected: {described.rstrip('.')}"
    return error.message


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: $: the file must be a mapping of keys")
    return raw


def _shared_target(where: str, ref: Any, shared: dict[str, Any], at: str) -> Any:
    if not isinstance(ref, str) or not ref.startswith(SHARED_PREFIX) or ref == SHARED_PREFIX:
        raise SpecError(f"{where}: {at}.$ref: {ref!r} must be \"{SHARED_PREFIX}<name>\"")
    node: Any = shared
    for part in ref[len(SHARED_PREFIX):].split("/"):
        if not isinstance(node, dict) or part not in node:
            known = ", ".join(sorted(shared)) or "none"
            raise SpecError(f"{where}: {at}.$ref: unknown reference {ref!r} (shared pieces: {known})")
        node = node[part]
    return node


def _resolve_refs(where: str, node: Any, shared: dict[str, Any], at: str = "$", seen: tuple[str, ...] = ()) -> Any:
    """`node` with every `{$ref: "#/shared/..."}` replaced by a copy of the shared piece.

    Keys beside `$ref` override the piece's own (the piece must then be a mapping). A piece may
    reference other pieces; a reference back to one being resolved is a cycle, refused.
    """
    if isinstance(node, list):
        return [_resolve_refs(where, item, shared, f"{at}[{i}]", seen) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    if "$ref" not in node:
        return {k: _resolve_refs(where, v, shared, f"{at}.{k}", seen) for k, v in node.items()}
    ref = node["$ref"]
    target = _shared_target(where, ref, shared, at)
    if ref in seen:
        raise SpecError(f"{where}: {at}.$ref: reference cycle {' -> '.join((*seen, ref))}")
    resolved = _resolve_refs(where, copy.deepcopy(target), shared, f"{at}<{ref}>", (*seen, ref))
    siblings = {k: _resolve_refs(where, v, shared, f"{at}.{k}", seen) for k, v in node.items() if k != "$ref"}
    if siblings:
        if not isinstance(resolved, dict):
            raise SpecError(f"{where}: {at}: keys beside $ref need {ref!r} to be a mapping")
        resolved = {**resolved, **siblings}
    return resolved


def _with_defaults(defaults: dict[str, Any], method: dict[str, Any]) -> dict[str, Any]:
    """A resource method over the integration's `defaults:`: its own keys win; a mapping value
    (pagination) is merged key by key; an explicit null drops the default."""
    merged = dict(defaults)
    for key, value in method.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return {k: v for k, v in merged.items() if v is not None}


# -- loading ------------------------------------------------------------------------------------


def _pagination(where: str, raw: dict[str, Any] | None) -> Pagination | None:
    if not raw:
        return None
    style = raw.get("style")
    if style not in PAGINATION_STYLES:
        raise SpecError(f"{where}.style: must be one of {', '.join(PAGINATION_STYLES)}")
    location = raw.get("in", "query")
    if location not in ("query", "body"):
        raise SpecError(f"{where}.in: must be query or body")
    pagination = Pagination(
        style=style,
        location=location,
        cursor_param=raw.get("cursor_param"),
        page_param=raw.get("page_param"),
        offset_param=raw.get("offset_param"),
        limit_param=raw.get("limit_param"),
        first_page=int(raw.get("first_page", 1)),
        default_limit=int(raw.get("default_limit", 25)),
        max_limit=int(raw.get("max_limit", 100)),
        next_cursor=_expr(f"{where}.next_cursor", raw.get("next_cursor")),
        has_more=_expr(f"{where}.has_more", raw.get("has_more")),
        next_url=_expr(f"{where}.next_url", raw.get("next_url")),
    )
    if style == "cursor" and pagination.next_cursor is None:
        raise SpecError(f"{where}: the cursor style needs next_cursor")
    if style == "page" and not pagination.page_param:
        raise SpecError(f"{where}: the page style needs page_param")
    if style == "offset" and not pagination.offset_param:
        raise SpecError(f"{where}: the offset style needs offset_param")
    if style == "next_url" and pagination.next_url is None:
        raise SpecError(f"{where}: the next_url style needs next_url")
    return pagination


def _resources(where: str, raw: Any, defaults: dict[str, Any] | None = None) -> dict[str, dict[str, ResourceMethod]]:
    if not isinstance(raw, dict) or not raw:
        raise SpecError(f"{where}: resources must be a non-empty mapping")
    resources: dict[str, dict[str, ResourceMethod]] = {}
    for resource, methods in raw.items():
        resources[resource] = {}
        for name, m in (methods or {}).items():
            at = f"{where}.{resource}.{name}"
            m = _with_defaults(defaults or {}, m or {})
            if not isinstance(m, dict) or "path" not in m or "method" not in m:
                raise SpecError(f"{at}: needs method and path")
            resources[resource][name] = ResourceMethod(
                resource=resource,
                name=name,
                http_method=str(m["method"]).upper(),
                path=str(m["path"]),
                content_type=m.get("content_type", "application/json"),
                records=_expr(f"{at}.records", m.get("records")),
                record=_expr(f"{at}.record", m.get("record")),
                pagination=_pagination(f"{at}.pagination", m.get("pagination")),
                safe_to_repeat=_flag(f"{at}.safe_to_repeat", m.get("safe_to_repeat", False)),
                request=_expr(f"{at}.request", m.get("request")),
                example=_example(f"{at}.example", m.get("example"), "request" in m),
            )
    return resources


def _example(where: str, value: Any, has_request: bool) -> dict[str, Any] | None:
    if value is None:
        return None
    if not has_request:
        raise SpecError(f"{where}: documents a method's `request`; this method has none")
    if not isinstance(value, dict) or set(value) - {"query", "body"} or not isinstance(value.get("query", {}), dict):
        raise SpecError(f"{where}: must be {{query: {{...}}, body: ...}}")
    return value


def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{where}: must be true or false")
    return value


def _auth(where: str, raw: Any) -> tuple[AuthFormat, ...]:
    formats = []
    for i, a in enumerate(raw or []):
        at = f"{where}[{i}]"
        if "method" not in a:
            raise SpecError(f"{at}: needs method")
        fields = tuple(
            CredentialField(
                name=f["name"],
                label=f.get("label", f["name"]),
                secret=bool(f.get("secret", False)),
                required=bool(f.get("required", True)),
            )
            for f in a.get("fields", [])
        )
        formats.append(AuthFormat(a["method"], a.get("label", a["method"]), fields, _expr(f"{at}.headers", a.get("headers"))))
    return tuple(formats)


def _oauth(where: str, raw: Any) -> OAuthSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: must be a mapping")
    for key in ("authorize_url", "token_url", "sandbox_authorize_path", "sandbox_token_path"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise SpecError(f"{where}.{key}: required")
    client_auth = raw.get("client_auth", "body")
    if client_auth not in CLIENT_AUTH_STYLES:
        raise SpecError(f"{where}.client_auth: must be one of {', '.join(CLIENT_AUTH_STYLES)}")
    scopes = raw.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise SpecError(f"{where}.scopes: must be a list of strings")
    try:
        allowed = tuple(re.compile(p) for p in raw.get("token_url_allowed") or [])
    except re.error as exc:
        raise SpecError(f"{where}.token_url_allowed: {exc}") from exc
    if "{{" in raw["token_url"] and not allowed:
        raise SpecError(f"{where}.token_url_allowed: a templated token_url needs the list of allowed token URLs")
    return OAuthSpec(
        authorize_url=raw["authorize_url"],
        token_url=raw["token_url"],
        sandbox_authorize_path="/" + raw["sandbox_authorize_path"].lstrip("/"),
        sandbox_token_path="/" + raw["sandbox_token_path"].lstrip("/"),
        scopes=tuple(scopes),
        scope_separator=str(raw.get("scope_separator", " ")),
        client_auth=client_auth,
        pkce=bool(raw.get("pkce", False)),
        refresh=bool(raw.get("refresh", True)),
        context=_expr(f"{where}.context", raw.get("context")),
        token_url_allowed=allowed,
        authorize_params={str(k): str(v) for k, v in (raw.get("authorize_params") or {}).items()},
    )


def _steps(where: str, raw: Any, default_resource: str, config: _MappingConfig,
           per_page: bool = False) -> tuple[Step, ...]:
    steps = []
    for i, s in enumerate(raw or []):
        at = f"{where}[{i}]"
        if "name" not in s or "method" not in s:
            raise SpecError(f"{at}: a step needs name and method")
        if s.get("replaces_records") and not per_page:
            raise SpecError(f"{at}.replaces_records: only a list's per_page step replaces a page's records")
        cache = s.get("cache")
        if cache not in (None, "account"):
            raise SpecError(f"{at}.cache: only 'account' is supported")
        steps.append(Step(
            name=s["name"],
            resource=s.get("resource", default_resource),
            method=s["method"],
            query=_mapping_expr(f"{at}.query", s.get("query"), config),
            body=_mapping_expr(f"{at}.body", s.get("body"), config),
            cache_per_account=cache == "account",
            fail_if=_mapping_expr(f"{at}.fail_if", s.get("fail_if"), config),
            fail_status=int(s.get("fail_status", 404)),
            fail_message=s.get("fail_message", "The provider rejected the request"),
            fail_remote=bool(s.get("fail_remote", True)),
            when=_mapping_expr(f"{at}.when", s.get("when"), config),
            result=_mapping_expr(f"{at}.result", s.get("result"), config),
            replaces_records=bool(s.get("replaces_records", False)),
        ))
    return tuple(steps)


def _defaults(where: str, raw: Any, config: _MappingConfig) -> tuple[tuple[str, Expression], ...]:
    found = []
    for name, source in (raw or {}).items():
        expression = _mapping_expr(f"{where}.{name}", source, config)
        if expression is None:
            raise SpecError(f"{where}.{name}: needs an expression")
        found.append((str(name), expression))
    return tuple(found)


def _method_mapping(at: str, integration: Integration, unified_method: str, m: dict[str, Any],
                    provider_resource: str, provider_method: str, record: Expression | None,
                    config: _MappingConfig) -> MethodMapping:
    alternatives = []
    for i, alternative in enumerate(m.get("alternatives") or []):
        where = f"{at}.alternatives[{i}]"
        resource = alternative.get("resource", provider_resource)
        method = alternative.get("method", provider_method)
        integration.resource_method(resource, method)  # must exist
        when = _mapping_expr(f"{where}.when", alternative.get("when"), config)
        if when is None:
            raise SpecError(f"{where}.when: an alternative needs the condition it is used on")
        chosen = _method_mapping(where, integration, unified_method, alternative, resource, method,
                                 _mapping_expr(f"{at}.record", m.get("record"), config) or record, config)
        for step in chosen.before:
            integration.resource_method(step.resource, step.method)
        alternatives.append((when, chosen))
    per_page = _steps(f"{at}.per_page", m.get("per_page"), provider_resource, config, per_page=True)
    if per_page and unified_method != "list":
        raise SpecError(f"{at}.per_page: only a list reads pages")
    for step in per_page:
        if step.cache_per_account:
            raise SpecError(f"{at}.per_page: {step.name} reads one page's records; it cannot be cached per account")
        integration.resource_method(step.resource, step.method)
    return MethodMapping(
            unified_method=unified_method,
            resource=provider_resource,
            method=provider_method,
            query=_mapping_expr(f"{at}.query", m.get("query"), config),
            body=_mapping_expr(f"{at}.body", m.get("body"), config),
            record=_mapping_expr(f"{at}.record", m.get("record"), config) or record,
            filter=_mapping_expr(f"{at}.filter", m.get("filter"), config),
            not_found_if=_mapping_expr(f"{at}.not_found_if", m.get("not_found_if"), config),
            response=_mapping_expr(f"{at}.response", m.get("response"), config),
            remote_data=_mapping_expr(f"{at}.remote_data", m.get("remote_data"), config),
            read_back=_mapping_expr(f"{at}.read_back", (m.get("read_back") or {}).get("id"), config),
            before=_steps(f"{at}.before", m.get("before"), provider_resource, config),
            per_page=per_page,
            defaults=_defaults(f"{at}.defaults", m.get("defaults"), config),
            alternatives=tuple(alternatives),
            headers=_mapping_expr(f"{at}.headers", m.get("headers"), config),
        )


FILTER_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "like")


def _filters(where: str, raw: list[Any]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """`supports.filters`: a name (a link filter, its value as sent) or `{name: [operators]}`."""
    names: list[str] = []
    operators: dict[str, tuple[str, ...]] = {}
    for entry in raw:
        if isinstance(entry, str):
            names.append(entry)
            continue
        for name, ops in entry.items():
            unknown = [op for op in ops if op not in FILTER_OPERATORS]
            if unknown or not ops:
                raise SpecError(f"{where}: $.supports.filters.{name}: operators are some of {', '.join(FILTER_OPERATORS)}")
            names.append(str(name))
            operators[str(name)] = tuple(ops)
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: $.supports.filters: a filter is named twice")
    return tuple(names), operators


def load_mapping(integration: Integration, model: str, resource: str, path: Path) -> ResourceMapping:
    where = f"{path}"
    raw = _read_yaml(path)
    _validate(where, raw, RESOURCE_SCHEMA)
    raw = _resolve_refs(where, raw, integration.shared)
    _validate(where, raw, RESOURCE_SCHEMA, " (after resolving $ref)")
    config = _MappingConfig(resource, dict(raw.get("config") or {}),
                            {str(k): str(v) for k, v in (raw.get("deprecated_context_keys") or {}).items()})
    unknown_aliases = sorted(set(config.aliases) - set(config.config))
    if unknown_aliases:
        raise SpecError(f"{where}: $.deprecated_context_keys: {unknown_aliases} are not keys of config")
    default_resource = raw.get("resource")
    supports = raw.get("supports") or {}
    record = _mapping_expr(f"{where}.record", raw.get("record"), config)
    methods: dict[str, MethodMapping] = {}
    for unified_method in supports.get("methods", []):
        if unified_method not in UNIFIED_METHODS:
            raise SpecError(f"{where}.supports.methods: unknown method {unified_method!r}")
        m = raw.get(unified_method) or {}
        at = f"{where}.{unified_method}"
        provider_resource = m.get("resource", default_resource)
        provider_method = m.get("method", unified_method)
        if provider_resource is None:
            raise SpecError(f"{at}: no resource given (set `resource` at the top or on the method)")
        integration.resource_method(provider_resource, provider_method)  # must exist
        methods[unified_method] = _method_mapping(at, integration, unified_method, m, provider_resource,
                                                  provider_method, record, config)
        if methods[unified_method].defaults and unified_method != "create":
            raise SpecError(f"{at}.defaults: only create fills in defaults")
        for step in methods[unified_method].before:
            integration.resource_method(step.resource, step.method)
        if methods[unified_method].read_back is not None and unified_method not in ("create", "update"):
            raise SpecError(f"{at}.read_back: only create and update can read back")
        if unified_method in ("list", "get", "create", "update") and methods[unified_method].record is None:
            raise SpecError(f"{at}: needs a record mapping (top-level `record` or the method's own)")
    unsupported = [name for name in UNIFIED_METHODS if name in raw and name not in methods]
    if unsupported:
        raise SpecError(f"{where}: $.{unsupported[0]}: the method is mapped but not in supports.methods")
    explained = [name for name in supports.get("not_supported") or {} if name in methods]
    if explained:
        raise SpecError(f"{where}: $.supports.not_supported.{explained[0]}: the method is in supports.methods")
    if any(m.read_back is not None for m in methods.values()) and "get" not in methods:
        raise SpecError(f"{where}: read_back needs a get method")
    custom = _custom_methods(where, integration, model, resource, raw.get("custom_methods") or {},
                             default_resource, config)
    if any(c.read_back is not None for c in custom.values()) and "get" not in methods:
        raise SpecError(f"{where}: read_back needs a get method")
    writable = tuple(supports.get("writable", []))
    required = tuple(tuple(entry) if isinstance(entry, list) else (entry,) for entry in supports.get("required", []))
    defaults = {name for name, _ in methods["create"].defaults} if "create" in methods else set()
    for name in (*(f for entry in required for f in entry), *defaults):
        if name not in writable:
            raise SpecError(f"{where}: $.supports: {name!r} is required or defaulted on create but not writable")
    if required and "create" not in methods:
        raise SpecError(f"{where}: $.supports.required: the resource has no create")
    filters, filter_operators = _filters(where, supports.get("filters", []))
    if filters and "list" not in methods:
        raise SpecError(f"{where}: $.supports.filters: the resource has no list")
    query_params = {str(name): (tuple(spec.get("values") or ()), tuple(spec.get("required") or ()))
                    for name, spec in (supports.get("query_params") or {}).items()}
    for name, (_, required_on) in query_params.items():
        if set(required_on) - set(methods):
            raise SpecError(f"{where}: $.supports.query_params.{name}.required: names a method the resource lacks")
    sort_by = tuple(supports.get("sort_by", []))
    if sort_by and "list" not in methods:
        raise SpecError(f"{where}: $.supports.sort_by: the resource has no list")
    values = {str(k): tuple(v) for k, v in (supports.get("values") or {}).items()}
    for name in values:
        if name not in writable:
            raise SpecError(f"{where}: $.supports.values.{name}: the field is not writable")
    exclusive = tuple(tuple(group) for group in supports.get("exclusive", []))
    for group in exclusive:
        for name in group:
            if name not in writable:
                raise SpecError(f"{where}: $.supports.exclusive: {name!r} is not writable")
    exclusive_filters = tuple(tuple(group) for group in supports.get("exclusive_filters", []))
    for group in exclusive_filters:
        for name in group:
            # `sort_by` may join a group: a filter the CRM applies only in an order of its own.
            if name not in filters and not (name == "sort_by" and sort_by):
                raise SpecError(f"{where}: $.supports.exclusive_filters: {name!r} is not in supports.filters "
                                "(or `sort_by`, where the resource sorts)")
    return ResourceMapping(
        model=model,
        resource=resource,
        methods=methods,
        custom_methods=custom,
        fields=tuple(supports.get("fields", [])),
        writable=writable,
        required=required,
        formats={str(k): str(v) for k, v in (supports.get("formats") or {}).items()},
        filters=filters,
        filter_operators=filter_operators,
        sort_by=sort_by,
        query_params=query_params,
        values=values,
        exclusive=exclusive,
        exclusive_filters=exclusive_filters,
        not_held={str(k): str(v) for k, v in (supports.get("not_held") or {}).items()},
        not_supported={str(k): str(v) for k, v in (supports.get("not_supported") or {}).items()},
        beyond_truto={str(k): str(v) for k, v in (supports.get("beyond_truto") or {}).items()},
        config=config.config,
    )


@functools.cache
def _unified_methods() -> dict[tuple[str, str, str], Any]:
    return load_methods()


def _custom_methods(where: str, integration: Integration, model: str, resource: str, raw: dict[str, Any],
                    default_resource: str | None, config: _MappingConfig) -> dict[str, CustomMethodMapping]:
    """The file's `custom_methods:`; each must be a unified method with a body schema in models/."""
    unified = _unified_methods()
    found: dict[str, CustomMethodMapping] = {}
    for name, m in raw.items():
        at = f"{where}: $.custom_methods.{name}"
        if not CUSTOM_METHOD_NAME.match(name) or name in UNIFIED_METHODS:
            raise SpecError(f"{at}: a custom method's name is lowercase letters, digits, - and _, and not one of "
                            f"{', '.join(UNIFIED_METHODS)}")
        if (model, resource, name) not in unified:
            known = sorted(n for (mo, r, n) in unified if (mo, r) == (model, resource)) or ["none"]
            raise SpecError(f"{at}: {model}/{resource} has no unified method {name!r} (models/{model}/methods/"
                            f"{resource}/ defines: {', '.join(known)})")
        provider_resource = m.get("resource", default_resource)
        if provider_resource is None:
            raise SpecError(f"{at}: no resource given (set `resource` at the top or on the method)")
        integration.resource_method(provider_resource, m["method"])  # must exist
        method = CustomMethodMapping(
            name=name,
            resource=provider_resource,
            method=m["method"],
            each=_mapping_expr(f"{at}.each", m.get("each"), config),
            id=_mapping_expr(f"{at}.id", m.get("id"), config),
            query=_mapping_expr(f"{at}.query", m.get("query"), config),
            body=_mapping_expr(f"{at}.body", m.get("body"), config),
            response=_mapping_expr(f"{at}.response", m.get("response"), config),
            read_back=_mapping_expr(f"{at}.read_back", (m.get("read_back") or {}).get("id"), config),
            before=_steps(f"{at}.before", m.get("before"), provider_resource, config),
        )
        for step in method.before:
            integration.resource_method(step.resource, step.method)
        if (method.response is None) == (method.read_back is None):
            raise SpecError(f"{at}: needs exactly one of response and read_back (what the result is)")
        found[name] = method
    return found


def _retry_after(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """`retry_after:` entries: a header name (RFC 9110 Retry-After format) or {header, format}."""
    if value is None:
        return (("retry-after", "http"),)
    if not isinstance(value, list):
        raise SpecError(f"{where}: expected a list of header names or {{header, format}} objects")
    found = []
    for index, entry in enumerate(value):
        if isinstance(entry, str):
            entry = {"header": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("header"), str):
            raise SpecError(f"{where}[{index}]: expected a header name or {{header, format}}")
        fmt = entry.get("format", "http")
        if fmt not in RETRY_AFTER_FORMATS:
            raise SpecError(f"{where}[{index}].format: must be one of {', '.join(RETRY_AFTER_FORMATS)}")
        found.append((entry["header"].lower(), fmt))
    return tuple(found)


def _check_base_urls(where: str, integration: Integration) -> None:
    """A base URL templated from an account's context must name the hosts it may reach.

    Without patterns, whoever can write an account's context could send its credentials to any
    host (docs/reliability.md, "Outbound hosts"); such a file is refused at start-up.
    """
    names = _PLACEHOLDER_NAMES.findall(integration.base_url)
    unknown = [n for n in names if not n.startswith("context.")]
    if unknown:
        raise SpecError(f"{where}.base_url: only {{{{context.*}}}} placeholders are allowed, not {unknown}")
    if names and not integration.base_url_allowed:
        raise SpecError(f"{where}.base_url: it is built from the account's context ({', '.join(names)}), so "
                        "base_url_allowed must list the patterns of the provider's own hosts")
    for pattern in integration.base_url_allowed:
        if not pattern.pattern.lstrip("^").startswith("https://"):
            raise SpecError(f"{where}.base_url_allowed: {pattern.pattern!r} must start with https:// "
                            "(optionally after ^)")
    sandbox_names = _PLACEHOLDER_NAMES.findall(integration.sandbox_base_url)
    if not re.match(r"\{\{\s*sandbox_url\s*\}\}", integration.sandbox_base_url) or \
            any(n != "sandbox_url" and not n.startswith("context.") for n in sandbox_names):
        raise SpecError(f"{where}.sandbox.base_url: must start with {{{{sandbox_url}}}} and may add only "
                        "{{context.*}} placeholders")


def load_integration(folder: Path) -> Integration:
    path = folder / "integration.yaml"
    where = str(path)
    raw = _read_yaml(path)
    _validate(where, raw, INTEGRATION_SCHEMA)
    shared = raw.get("shared") or {}
    raw = {k: (v if k == "shared" else _resolve_refs(where, v, shared, f"$.{k}")) for k, v in raw.items()}
    _validate(where, raw, INTEGRATION_SCHEMA, " (after resolving $ref)")
    for key in ("name", "base_url", "resources"):
        if key not in raw:
            raise SpecError(f"{where}: missing {key}")
    sandbox = raw.get("sandbox") or {}
    rate = raw.get("rate_limit") or {}
    reset_format = rate.get("reset_format", "seconds")
    if reset_format not in RESET_FORMATS:
        raise SpecError(f"{where}.rate_limit.reset_format: must be one of {', '.join(RESET_FORMATS)}")
    errors = raw.get("errors") or {}
    integration = Integration(
        name=raw["name"],
        label=raw.get("label", raw["name"]),
        category=raw.get("category", "crm"),
        docs_url=raw.get("docs_url"),
        base_url=str(raw["base_url"]).rstrip("/"),
        base_url_allowed=tuple(re.compile(p) for p in raw.get("base_url_allowed", [])),
        sandbox_base_url=str(sandbox.get("base_url", "{{sandbox_url}}")).rstrip("/"),
        sandbox_context=dict(sandbox.get("context") or {}),
        headers={str(k): str(v) for k, v in (raw.get("headers") or {}).items()},
        auth=_auth(f"{where}.auth", raw.get("auth")),
        rate_limit=RateLimitRules(
            limit=_names(rate.get("limit"), f"{where}.rate_limit.limit"),
            remaining=_names(rate.get("remaining"), f"{where}.rate_limit.remaining"),
            reset=_names(rate.get("reset"), f"{where}.rate_limit.reset"),
            reset_format=reset_format,
            expression=_expr(f"{where}.rate_limit.expression", rate.get("expression")),
            retry_after=_retry_after(rate.get("retry_after"), f"{where}.rate_limit.retry_after"),
        ),
        errors=ErrorRules(
            is_error=_expr(f"{where}.errors.is_error", errors.get("is_error")),
            status=_expr(f"{where}.errors.status", errors.get("status")),
            message=_expr(f"{where}.errors.message", errors.get("message")),
        ),
        resources=_resources(f"{where}.resources", raw["resources"], raw.get("defaults")),
        oauth=_oauth(f"{where}.oauth", raw.get("oauth")),
        shared=shared,
        not_mapped={str(k): str(v) for k, v in (raw.get("not_mapped") or {}).items()},
    )
    if integration.name != folder.name:
        raise SpecError(f"{where}: name {integration.name!r} must match its folder {folder.name!r}")
    _check_base_urls(where, integration)
    for model_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for mapping_file in sorted(model_dir.glob("*.yaml")):
            integration.mappings[(model_dir.name, mapping_file.stem)] = load_mapping(
                integration, model_dir.name, mapping_file.stem, mapping_file)
    explained = sorted(key for key in integration.not_mapped if tuple(key.split("/", 1)) in integration.mappings)
    if explained:
        raise SpecError(f"{where}: $.not_mapped.{explained[0]}: the resource has a mapping file")
    return integration


def load_integrations(root: Path = INTEGRATIONS_DIR) -> dict[str, Integration]:
    """Every integration folder under `root` that has an integration.yaml, by name."""
    found = {}
    for folder in sorted(p for p in root.iterdir() if (p / "integration.yaml").is_file()):
        integration = load_integration(folder)
        found[integration.name] = integration
    return found
