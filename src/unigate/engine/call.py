"""One unified call, start to finish: steps, request mapping, records mapping, format.

This is the only place that knows the order of a unified call; everything CRM-specific comes from
the integration's files (engine/spec.py). Sending is engine/provider_call.py's job and reading a
list page by page engine/pages.py's: this module only maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

from unigate.engine import formats, pages, pagination
from unigate.engine.accounts import AccountRuntime
from unigate.engine.list_query import checked_list_query
from unigate.engine.provider_call import CallState, ProviderAnswer, ProviderCall
from unigate.engine.provider_request import (
    Evaluated,
    Mapping,
    ProviderRequest,
    build_request,
    evaluate,
    evaluate_request,
    lower_headers,
)
from unigate.engine.spec import (
    UNIFIED_METHODS,
    CustomMethodMapping,
    MethodMapping,
    ResourceMapping,
    ResourceMethod,
    Step,
)
from unigate.errors import GatewayError
from unigate.expressions import Expression
from unigate.models import UnifiedResource
from unigate.transport import content_type_of


@dataclass
class UnifiedRequest:
    model: str
    resource: str
    method: str
    account: AccountRuntime
    id: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    response_format: str = "unified"
    remote_query: dict[str, Any] = field(default_factory=dict)
    exclude_paths: list[list[str]] = field(default_factory=list)
    ignore_remote_data: bool = False


@dataclass
class JsonResult:
    body: Any
    headers: dict[str, str]
    status: int = 200


@dataclass
class RawResult:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


@dataclass
class StreamResult:
    status: int
    content_type: str
    response: aiohttp.ClientResponse
    headers: dict[str, str]


Result = JsonResult | RawResult | StreamResult


def prune(value: Any) -> Any:
    """Drop null members and the objects and arrays they leave empty (unified records omit unknowns)."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            item_kind = type(item)
            if item_kind is dict or item_kind is list:
                item = prune(item)
                if not item:
                    continue
            out[key] = item
        return out
    if kind is list:
        out_list = []
        for item in value:
            if item is None:
                continue
            item_kind = type(item)
            if item_kind is dict or item_kind is list:
                item = prune(item)
                if not item:
                    continue
            out_list.append(item)
        return out_list
    return value


def reads_only_account_steps(expression: Expression, before: tuple[Step, ...]) -> bool:
    """Whether `expression` reads nothing but the results of steps cached per account (and always run),
    so that its value is the same for every request of an account: HubSpot's `properties` list, built
    from the portal's property definitions, is one. Decided from the engine's analysis of what an
    expression reads; anything it cannot vouch for (the whole input, a binding) is evaluated per request."""
    reads = expression.reads()
    if reads is None:
        return False
    read = reads.get("input")
    if reads.get("bindings") or not isinstance(read, dict) or set(read) != {"steps"}:
        return False
    cached = {step.name for step in before if step.cache_per_account and step.when is None}
    return isinstance(read["steps"], dict) and set(read["steps"]) <= cached


# Resources whose records other mappings look up and cache per account (custom field definitions, stage
# lists): a write to one through the gateway drops the account's cached lookups at once.
LOOKUP_RESOURCES = frozenset({"fields", "field_groups", "pipelines", "stages", "users"})


class Engine:
    def __init__(self, resources: dict[tuple[str, str], UnifiedResource], provider: ProviderCall,
                 lookup_ttl: float = 300.0) -> None:
        self.resources = resources
        self.provider = provider
        # How long an account's cached lookups (steps with `cache: account`: field definitions, board
        # columns, stage lists) are used before they are read again, so a change made in the CRM shows.
        self.lookup_ttl = lookup_ttl
        # Per method mapping (by id: they live as long as the process): is its query the same for
        # every request of an account (reads_only_account_steps)?
        self._query_per_account: dict[int, bool] = {}

    def _query(self, request: UnifiedRequest, mm: MethodMapping, scope: dict[str, Any]) -> Mapping | None:
        """The method's query mapping, or its value for this account when that is the same for all of
        its requests: worked out once per account (kept with the per-account step results), not per request."""
        expression = mm.query
        if expression is None:
            return None
        per_account = self._query_per_account.get(id(mm))
        if per_account is None:
            per_account = self._query_per_account[id(mm)] = reads_only_account_steps(expression, mm.before)
        if not per_account:
            return expression
        cache = request.account.step_cache
        key = (request.model, request.resource, mm.unified_method, "query", str(id(mm)))
        found = cache.get(key)
        if found is None:
            found = cache[key] = Evaluated(evaluate_request(expression, scope, "query"))
        return found

    # -- entry point -------------------------------------------------------------------------------
    async def run(self, request: UnifiedRequest, state: CallState) -> Result:
        """The unified answer to `request`; what its provider calls did is added to `state`."""
        integration = request.account.integration
        mapping = integration.mappings.get((request.model, request.resource))
        if mapping is None:
            why = integration.not_mapped.get(f"{request.model}/{request.resource}")
            raise GatewayError(404, f"{integration.label} does not support the unified resource "
                                    f"{request.model}/{request.resource}." + (f" {why}" if why else ""))
        if request.method not in UNIFIED_METHODS:
            return await self._custom(request, state, mapping)
        method_mapping = mapping.methods.get(request.method)
        if method_mapping is None:
            supported = ", ".join(mapping.methods) or "none"
            why = mapping.not_supported.get(request.method)
            raise GatewayError(405, f"{integration.label} does not support {request.method} on "
                                    f"{request.model}/{request.resource} (supported: {supported})."
                                    + (f" {why}" if why else ""))
        self._refuse_query_params(request, mapping)
        if request.method == "list":
            schema = self.resources.get((request.model, request.resource))
            request.query = checked_list_query(request.query, mapping,
                                               schema.schema.get("properties", {}) if schema is not None else {},
                                               integration.label, f"{request.model}/{request.resource}")
        elif request.method in ("create", "update"):
            self._refuse_unknown_values(request, mapping)
        # Before any request is built: a refreshed token may come with another API host (its context).
        if self.provider.refresh_due(request.account):
            request.account = await self.provider.fresh(request.account)
        scope: dict[str, Any] = {
            "query": request.query,
            "context": request.account.context,
            "id": request.id,
            "body": request.body,
            "steps": {},
        }
        method_mapping = self._alternative(method_mapping, scope, request.method)
        request.account.step_cache_expiry(self.lookup_ttl)
        scope["steps"] = await self._run_steps(request, state, method_mapping, scope)
        method = integration.resource_method(method_mapping.resource, method_mapping.method)
        if request.method == "list":
            return await self._list(request, state, method_mapping, method, scope)
        return await self._single(request, state, mapping, method_mapping, method, scope)

    @staticmethod
    def _alternative(mm: MethodMapping, scope: dict[str, Any], method: str) -> MethodMapping:
        """The first of the method's alternatives whose `when` holds, else the method itself."""
        for when, alternative in mm.alternatives:
            if evaluate_request(when, scope, f"{method} alternative when"):
                return alternative
        return mm

    @staticmethod
    def _refuse_query_params(request: UnifiedRequest, mapping: ResourceMapping) -> None:
        """A query parameter the mapping reads (`entity`) with a value it cannot use, or missing where required."""
        for name, (values, required_on) in mapping.query_params.items():
            value = request.query.get(name)
            label = request.account.integration.label
            if value is None and request.method in required_on:
                raise GatewayError(400, f"{label} needs the query parameter `{name}` on {request.method} of "
                                        f"{request.model}/{request.resource}: one of {', '.join(values)}.",
                                   insight={"allowed_values": {"description": f"The values {label} takes for {name}.",
                                                               "value": list(values)}})
            if value is not None and values and value not in values:
                raise GatewayError(400, f"{label} takes `{name}` {', '.join(values)} on {request.model}/"
                                        f"{request.resource}, not {str(value)[:60]!r}.",
                                   insight={"allowed_values": {"description": f"The values {label} takes for {name}.",
                                                               "value": list(values)}})

    def _refuse_unknown_values(self, request: UnifiedRequest, mapping: ResourceMapping) -> None:
        """A write the CRM cannot hold is answered 400 before the CRM is called: more than one parent where it
        takes one (`supports.exclusive`), or a value it does not take (an engagement type it lacks)."""
        body = request.body if isinstance(request.body, dict) else {}
        for group in mapping.exclusive:
            named = [name for name in group if body.get(name) not in (None, {}, [], "")]
            items = sum(len(body[name]) if isinstance(body[name], list) else 1 for name in named)
            if items > 1:
                label = request.account.integration.label
                schema = self.resources.get((request.model, request.resource))
                singular = schema.singular if schema is not None else request.resource
                raise GatewayError(400, f"{label} links a {singular} to one record of "
                                        f"{', '.join(group)}; this write names {items} ({', '.join(named)}).",
                                   insight={"exclusive_fields": {
                                       "description": "Fields of which a write may carry one item in all.",
                                       "value": list(group)}})
        for name, allowed in mapping.values.items():
            value = body.get(name)
            if value is not None and value not in allowed:
                label = request.account.integration.label
                raise GatewayError(400, f"{label} takes {name} {', '.join(allowed)} on {request.model}/"
                                        f"{request.resource}, not {value!r}.",
                                   insight={"allowed_values": {"description": f"The values {label} takes for {name}.",
                                                               "value": list(allowed)}})

    # -- steps ---------------------------------------------------------------------------------------
    async def _run_steps(self, request: UnifiedRequest, state: CallState, mm: MethodMapping | CustomMethodMapping,
                         scope: dict[str, Any]) -> dict[str, Any]:
        return await self._steps(request, state, mm.before, scope, {})

    async def _steps(self, request: UnifiedRequest, state: CallState, steps: tuple[Step, ...], scope: dict[str, Any],
                     results: dict[str, Any]) -> dict[str, Any]:
        """Runs `steps` in order, each seeing the results before it (`results`, added to); returns them."""
        for step in steps:
            if step.when is not None and not evaluate_request(step.when, {**scope, "steps": results}, f"step {step.name} when"):
                continue  # a skipped step leaves no result: `steps.<name>` is absent
            account = request.account  # a step's 401 may have refreshed the account's token
            # Cached per account under the mapping's own name: another resource's step of the same
            # name is another lookup.
            cache_key = (request.model, request.resource, step.name)
            if step.cache_per_account and cache_key in account.step_cache:
                results[step.name] = account.step_cache[cache_key]
                continue
            method = account.integration.resource_method(step.resource, step.method)
            provider_request = build_request(account, method, {**scope, "steps": results},
                                             query_expr=step.query, body_expr=step.body)
            answer = await self.provider.fetch(account, provider_request, state)
            request.account = answer.account
            parsed = answer.parsed
            if step.fail_if is not None and evaluate(step.fail_if, {"response": parsed, "status": answer.response.status,
                                                                     "id": request.id, "query": request.query},
                                                     f"step {step.name}"):
                raise GatewayError(step.fail_status, step.fail_message, remote=step.fail_remote,
                                   raw_response=parsed if step.fail_remote else None, insight=None)
            if step.result is not None:
                parsed = evaluate(step.result, {**scope, "steps": results, "response": parsed}, f"step {step.name}")
            results[step.name] = parsed
            if step.cache_per_account:
                answer.account.step_cache[cache_key] = parsed
        return results

    # -- list ---------------------------------------------------------------------------------------
    async def _list(self, request: UnifiedRequest, state: CallState, mm: MethodMapping, method: ResourceMethod,
                    scope: dict[str, Any]) -> Result:
        limit = pagination.clamp_limit(method.pagination, request.query.get("limit"))
        position = pagination.decode_cursor(request.query.get("next_cursor"))
        if request.response_format in ("raw", "stream"):
            # The provider's first page as it is.
            provider_request = pages.page_request(request.account, method, scope, position, limit,
                                                  query=self._query(request, mm, scope), body=mm.body,
                                                  remote_query=request.remote_query, headers=mm.headers)
            return await self._as_is(request, state, provider_request)
        schema = self.resources.get((request.model, request.resource))
        steps = scope["steps"]

        async def mapped(records: list[Any]) -> list[Any]:
            # `per_page` steps: one batch read per page of what its answer leaves out (a search's links).
            page_steps = steps
            if mm.per_page and records:
                page_steps = await self._steps(request, state, mm.per_page, {**scope, "records": records}, dict(steps))
                for step in mm.per_page:
                    if step.replaces_records and step.name in page_steps:
                        records = self._replacement_records(request, step, page_steps[step.name])
            result = []
            for record in records:
                unified = self._map(mm, record, request, schema, page_steps)
                if unified is not None:
                    result.append(unified)
            return result

        page = await pages.read_page(self.provider, request.account, method, state, position=position, limit=limit,
                                     scope=scope, query=self._query(request, mm, scope), body=mm.body,
                                     remote_query=request.remote_query,
                                     keep=mapped, headers=mm.headers)
        request.account = page.answer.account
        following = page.next_position
        return JsonResult(
            body={
                "result": page.records,
                "next_cursor": pagination.encode_cursor(following) if following is not None else None,
                "prev_cursor": None,
                "result_count": len(page.records),
            },
            headers=page.answer.headers,
        )

    @staticmethod
    def _replacement_records(request: UnifiedRequest, step: Step, found: Any) -> list[Any]:
        """A `replaces_records` step's result as the page's records: a list of objects, else the CRM's fault."""
        if found is None:
            return []
        if not isinstance(found, list):
            found = [found]
        if not all(isinstance(record, dict) for record in found):
            raise GatewayError(502, f"{request.account.integration.label} answered the page's records ({step.name}) "
                                    "with something other than JSON objects; the list cannot be read.", remote=True)
        return found

    # -- get / create / update / delete ---------------------------------------------------------------
    async def _single(self, request: UnifiedRequest, state: CallState, mapping: ResourceMapping, mm: MethodMapping,
                      method: ResourceMethod, scope: dict[str, Any]) -> Result:
        remote_body = None
        if request.method in ("create", "update") and request.body is not None:
            remote_body = request.body.get("remote_data")
            scope["body"] = {k: v for k, v in request.body.items() if k != "remote_data"}
        if request.method == "create":
            scope["body"] = self._completed(request, mapping, mm, scope)
        provider_request = build_request(request.account, method, scope, query_expr=self._query(request, mm, scope),
                                         body_expr=mm.body,
                                         remote_query=request.remote_query, remote_body=remote_body,
                                         remote_merge=mm.remote_data, headers_expr=mm.headers)
        writing = request.method in ("create", "update")
        if request.response_format in ("raw", "stream"):
            return await self._as_is(request, state, provider_request, write=writing)
        answer = await self.provider.fetch(request.account, provider_request, state, write=writing)
        request.account = answer.account
        if request.method in ("create", "update", "delete") and request.resource in LOOKUP_RESOURCES:
            request.account.step_cache.clear()  # what other mappings looked up (fields, stages) has changed
        parsed, response, headers = answer.parsed, answer.response, answer.headers
        schema = self.resources.get((request.model, request.resource))
        if mm.read_back is not None:
            # The write's answer lacks the record (e.g. only an id): read it back through `get`.
            new_id = evaluate(mm.read_back, {"response": parsed, "id": request.id, "body": scope.get("body")},
                              "read_back")
            if new_id in (None, ""):
                raise GatewayError(502, f"{request.account.integration.label} did not say which record was written.",
                                   remote=True, raw_response=parsed)
            return await self._read_back(request, state, mapping, str(new_id), scope)
        if request.method == "delete":
            return JsonResult(self._deleted(request, mm, parsed, schema), headers)
        record = parsed
        if method.record is not None:
            # `id` lets a record be picked out of an answer that holds several (a stage among its pipelines').
            record = evaluate(method.record, {"response": parsed, "headers": lower_headers(response.headers),
                                              "id": request.id}, "record")
        label = request.account.integration.label
        if mm.not_found_if is not None and evaluate(mm.not_found_if, {"response": record, "query": request.query},
                                                    "not_found_if"):
            singular = schema.singular if schema is not None else request.resource
            raise GatewayError(404, f"{label} has no {singular} with id {request.id!r}.", remote=True,
                               raw_response=parsed)
        if not isinstance(record, dict):
            raise GatewayError(502, f"{label} answered {response.status} without the record it should return.",
                               remote=True, raw_response=parsed)
        unified = self._map(mm, record, request, schema, scope["steps"], apply_filter=False)
        if unified is None:
            raise GatewayError(502, f"{label}'s record could not be mapped.", remote=True, raw_response=parsed)
        return JsonResult(unified, headers)

    async def _read_back(self, request: UnifiedRequest, state: CallState, mapping: ResourceMapping, record_id: str,
                         scope: dict[str, Any]) -> Result:
        """The written record through the resource's get (its alternative chosen as a get of it would); a read
        that fails says the write was made."""
        read_request = replace(request, method="get", id=record_id, body=None, remote_query={})
        read_scope = {**scope, "id": record_id, "body": None, "steps": {}}
        get = self._alternative(mapping.methods["get"], read_scope, "get")
        try:
            read_scope["steps"] = await self._run_steps(read_request, state, get, read_scope)
            return await self._single(read_request, state, mapping, get,
                                      request.account.integration.resource_method(get.resource, get.method),
                                      read_scope)
        except GatewayError as exc:
            raise self._unread(request, record_id, exc) from exc

    @staticmethod
    def _unread(request: UnifiedRequest, record_id: str, error: GatewayError) -> GatewayError:
        """The write succeeded but its record could not be read back: an error that says the write was made,
        so the caller does not send it again. A rate limit or the CRM's failure keeps its status; anything else
        (the record not found right after the write, an answer that does not map) is the CRM's 502."""
        label = request.account.integration.label
        status = error.status if error.status == 429 or error.status >= 500 else 502
        return GatewayError(status, f"The {request.method} was made in {label} (record {record_id!r}), but reading it "
                                    f"back failed: {error.message} Do not send the {request.method} again; read the "
                                    "record instead.",
                            remote=True, raw_response=error.raw_response if error.remote else None,
                            headers=error.headers,
                            insight={"write_made": {"description": "The write succeeded; only the read-back failed.",
                                                    "value": {"id": record_id}}})

    @staticmethod
    def _completed(request: UnifiedRequest, mapping: ResourceMapping, mm: MethodMapping,
                   scope: dict[str, Any]) -> dict[str, Any]:
        """A create's unified body with the declared defaults filled in, refused (400, naming the field)
        when a field the CRM requires is still missing: the caller learns it before the CRM is called."""
        body = dict(scope["body"] or {})
        for name, expression in mm.defaults:
            if body.get(name) in (None, "", {}, []):
                value = evaluate_request(expression, {**scope, "body": body}, f"defaults.{name}")
                if value not in (None, "", {}, []):
                    body[name] = value
        missing = [" or ".join(f"`{name}`" for name in entry) for entry in mapping.required
                   if all(body.get(name) in (None, "", {}, []) for name in entry)]
        if missing:
            label = request.account.integration.label
            raise GatewayError(400, f"{label} requires {', '.join(missing)} to create {request.model}/{request.resource}.",
                               insight={"missing_required_fields": {
                                   "description": "Fields the CRM requires on create (one of each group).",
                                   "value": [list(entry) for entry in mapping.required
                                             if all(body.get(n) in (None, "", {}, []) for n in entry)]}})
        return body

    def _deleted(self, request: UnifiedRequest, mm: MethodMapping, parsed: Any,
                 schema: UnifiedResource | None) -> dict[str, Any]:
        mapped = evaluate(mm.response, {"response": parsed, "id": request.id, "context": request.account.context},
                          "delete response") if mm.response is not None else None
        result: dict[str, Any] = {"id": request.id}
        if isinstance(mapped, dict):
            mapped = prune(mapped)  # like every mapped record: a missing field is omitted, never null
            result.update(mapped)
            result["id"] = str(mapped["id"]) if mapped.get("id") is not None else request.id
        if isinstance(parsed, (dict, list)):
            result["remote_data"] = parsed if isinstance(parsed, dict) else {"items": parsed}
        return self._shape(result, request, schema)

    # -- custom methods (merge, batch-delete, ...) -----------------------------------------------------
    async def _custom(self, request: UnifiedRequest, state: CallState, mapping: ResourceMapping) -> Result:
        """`POST /unified/<model>/<resource>/<method>`: steps, one provider call (or one per item of
        `each`), then the result, `{"result": ...}`, from the `response` mapping or read back through `get`."""
        integration = request.account.integration
        custom = mapping.custom_methods.get(request.method)
        if custom is None:
            supported = ", ".join(mapping.custom_methods) or "none"
            raise GatewayError(405, f"{integration.label} does not support the method {request.method!r} on "
                                    f"{request.model}/{request.resource} (its custom methods there: {supported}).")
        if self.provider.refresh_due(request.account):
            request.account = await self.provider.fresh(request.account)
        body = request.body or {}
        remote_body = body.get("remote_data")
        scope: dict[str, Any] = {"query": request.query, "context": request.account.context, "id": None,
                                 "body": {k: v for k, v in body.items() if k != "remote_data"}, "steps": {}}
        scope["steps"] = await self._run_steps(request, state, custom, scope)
        items: list[Any] = [None]
        if custom.each is not None:
            found = evaluate_request(custom.each, scope, "each")
            items = found if isinstance(found, list) else [found] if found is not None else []
            if not items:
                raise GatewayError(400, "The request names no record to act on.")
        method = integration.resource_method(custom.resource, custom.method)
        answers: list[ProviderAnswer] = []
        for index, item in enumerate(items):
            call_scope = {**scope, "item": item, "index": index, "responses": [a.parsed for a in answers]}
            if custom.id is not None:
                call_scope["id"] = evaluate_request(custom.id, call_scope, "id")
            provider_request = build_request(request.account, method, call_scope, query_expr=custom.query,
                                             body_expr=custom.body, remote_query=request.remote_query,
                                             remote_body=remote_body)
            last = index == len(items) - 1
            if last and request.response_format in ("raw", "stream"):
                return await self._as_is(request, state, provider_request, write=True)
            try:
                answer = await self.provider.fetch(request.account, provider_request, state, write=True)
            except Exception:
                if answers:
                    # An earlier call of this method has changed the CRM: the method as a whole may not
                    # run again under the same Idempotency-Key.
                    state.write_progress = "answered"
                raise
            request.account = answer.account
            answers.append(answer)
        parsed = [a.parsed for a in answers]
        headers = answers[-1].headers
        schema = self.resources.get((request.model, request.resource))
        if custom.read_back is not None:
            record_id = evaluate(custom.read_back, {"response": parsed[-1], "responses": parsed,
                                                    "body": scope["body"]}, "read_back")
            if record_id in (None, ""):
                raise GatewayError(502, f"{integration.label} did not say which record the {request.method} left.",
                                   remote=True, raw_response=parsed[-1])
            record = await self._read_back(request, state, mapping, str(record_id), scope)
            assert isinstance(record, JsonResult)
            return JsonResult({"result": record.body}, record.headers)
        result = evaluate(custom.response, {"response": parsed[-1], "responses": parsed, "body": scope["body"],
                                            "context": request.account.context, "steps": scope["steps"]},
                          f"{request.method} response")
        if isinstance(result, dict):
            result = self._shape(prune(result), request, schema)
        elif isinstance(result, list):
            result = [self._shape(prune(r), request, schema) if isinstance(r, dict) else r for r in result]
        return JsonResult({"result": result}, headers)

    # -- shared pieces -----------------------------------------------------------------------------
    async def _as_is(self, request: UnifiedRequest, state: CallState, provider_request: ProviderRequest, *,
                     write: bool = False) -> Result:
        """The raw and stream formats: the provider's answer as it is (a provider error still raises)."""
        if request.response_format == "stream":
            opened = await self.provider.open(request.account, provider_request, state, write=write)
            response = opened.response
            return StreamResult(response.status, content_type_of(response.headers, "application/octet-stream"),
                                response, opened.headers)
        answer: ProviderAnswer = await self.provider.fetch(request.account, provider_request, state, write=write)
        raw = answer.response
        return RawResult(raw.status, raw.content_type, raw.body, answer.headers)

    def _map(self, mm: MethodMapping, record: Any, request: UnifiedRequest, schema: UnifiedResource | None,
             steps: dict[str, Any], apply_filter: bool = True) -> dict[str, Any] | None:
        # `steps` holds a page's `per_page` results too: a search page's links, which a link filter reads.
        if apply_filter and mm.filter is not None and not evaluate(mm.filter, {"response": record, "query": request.query,
                                                                                "steps": steps}, "filter"):
            return None
        # `query` and `body` let a record say what its answer leaves out (the entity a created field belongs to).
        unified = evaluate(mm.record, {"response": record, "context": request.account.context, "steps": steps,
                                       "query": request.query, "body": request.body}, "record")
        if not isinstance(unified, dict):
            return None
        unified = prune(unified)
        if unified.get("id") is not None and not isinstance(unified["id"], str):
            unified["id"] = str(unified["id"])
        unified["remote_data"] = record
        return self._shape(unified, request, schema)

    @staticmethod
    def _shape(record: dict[str, Any], request: UnifiedRequest, schema: UnifiedResource | None) -> dict[str, Any]:
        if request.response_format == "normalized" and schema is not None:
            record = formats.normalize_object(record, schema.schema["properties"]) or {}
        if request.ignore_remote_data:
            record.pop("remote_data", None)
        if request.exclude_paths:
            formats.exclude(record, request.exclude_paths)
        return record
