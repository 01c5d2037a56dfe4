"""One unified call, start to finish: steps, provider request, errors, pagination, mapping, format.

This is the only place that knows the order of a call; everything CRM-specific comes from the
integration's files (engine/spec.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import aiohttp

from unigate.engine import formats, pagination, provider_errors
from unigate.engine.accounts import AccountRuntime
from unigate.engine.provider_request import ProviderRequest, build_request, evaluate, lower_headers, parse_body
from unigate.engine.ratelimit import normalized_headers, retry_wait
from unigate.engine.retry import RETRY_STATUSES, RetryPolicy, reason_for
from unigate.engine.spec import MethodMapping, ResourceMapping, ResourceMethod
from unigate.errors import GatewayError
from unigate.models import UnifiedResource
from unigate.observability.metrics import observe_provider, record_rate_limit_wait, record_retry
from unigate.transport import ProviderResponse, ProviderUnreachable, Transport

# How many provider pages a list may read to find one with records (see docs/integrations.md).
MAX_EMPTY_HOPS = 20
# How much of a failed streamed answer is read to report the error.
MAX_ERROR_BODY = 1 << 20


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
    # Seconds spent waiting for the provider, reported in the Server-Timing header.
    provider_seconds: float = 0.0
    # Provider calls sent again (engine/retry.py), reported in Server-Timing and /metrics.
    retries: int = 0
    # How far a create's or update's own provider request got: "not sent" (only lookups, if any, ran),
    # "sent" (sent, no successful answer yet) or "answered". Idempotency-Key decides from it whether the
    # CRM may have acted (edge/idempotency.py).
    write_progress: str = "not sent"
    # When the retry wait budget runs out (time.monotonic()); set when the engine starts the call.
    deadline: float | None = None
    # The account's OAuth token was refreshed after a provider 401 (done at most once per request).
    refreshed_after_401: bool = False


class TokenRefresh(Protocol):
    """OAuth refresh on use (unigate.auth.refresh.TokenRefresher)."""

    def can_refresh(self, account: AccountRuntime) -> bool: ...

    def due(self, account: AccountRuntime) -> bool: ...

    async def refresh(self, account: AccountRuntime) -> AccountRuntime: ...


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
Answer = TypeVar("Answer", ProviderResponse, aiohttp.ClientResponse)


@dataclass
class Exchange:
    """A successful provider answer, parsed, with its normalized rate-limit headers."""

    parsed: Any
    response: ProviderResponse
    headers: dict[str, str]


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


class Engine:
    def __init__(self, resources: dict[tuple[str, str], UnifiedResource], transport: Transport,
                 retry_policy: RetryPolicy | None = None) -> None:
        self.resources = resources
        self.transport = transport
        self.refresher: TokenRefresh | None = None
        self.retry_policy = retry_policy or RetryPolicy()

    # -- entry point -------------------------------------------------------------------------------
    async def run(self, request: UnifiedRequest) -> Result:
        integration = request.account.integration
        mapping = integration.mappings.get((request.model, request.resource))
        if mapping is None:
            raise GatewayError(404, f"{integration.label} does not support the unified resource "
                                    f"{request.model}/{request.resource}.")
        method_mapping = mapping.methods.get(request.method)
        if method_mapping is None:
            supported = ", ".join(mapping.methods) or "none"
            raise GatewayError(405, f"{integration.label} does not support {request.method} on "
                                    f"{request.model}/{request.resource} (supported: {supported}).")
        if request.deadline is None:
            request.deadline = time.monotonic() + self.retry_policy.budget
        if self.refresher is not None and self.refresher.due(request.account):
            request.account = await self._refreshed_early(request.account)
        scope: dict[str, Any] = {
            "query": request.query,
            "context": request.account.context,
            "id": request.id,
            "body": request.body,
            "steps": {},
        }
        scope["steps"] = await self._run_steps(request, method_mapping, scope)
        method = integration.resource_method(method_mapping.resource, method_mapping.method)
        if request.method == "list":
            return await self._list(request, mapping, method_mapping, method, scope)
        return await self._single(request, mapping, method_mapping, method, scope)

    # -- steps ---------------------------------------------------------------------------------------
    async def _run_steps(self, request: UnifiedRequest, mm: MethodMapping, scope: dict[str, Any]) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for step in mm.before:
            account = request.account  # a step's 401 may have refreshed the account's token
            if step.cache_per_account and step.name in account.step_cache:
                results[step.name] = account.step_cache[step.name]
                continue
            method = account.integration.resource_method(step.resource, step.method)
            provider_request = build_request(account, method, {**scope, "steps": results},
                                             query_expr=step.query, body_expr=step.body)
            response = await self._send(request, provider_request)
            parsed = self._checked(request.account, response)
            if step.fail_if is not None and evaluate(step.fail_if, {"response": parsed, "status": response.status,
                                                                     "id": request.id}, f"step {step.name}"):
                raise GatewayError(step.fail_status, step.fail_message, remote=True, raw_response=parsed,
                                   insight=None)
            results[step.name] = parsed
            if step.cache_per_account:
                account.step_cache[step.name] = parsed
        return results

    # -- list ---------------------------------------------------------------------------------------
    async def _list(self, request: UnifiedRequest, mapping: ResourceMapping, mm: MethodMapping,
                    method: ResourceMethod, scope: dict[str, Any]) -> Result:
        pag = method.pagination
        limit = pagination.clamp_limit(pag, request.query.get("limit"))
        position = pagination.decode_cursor(request.query.get("next_cursor"))
        schema = self.resources.get((request.model, request.resource))
        for _ in range(MAX_EMPTY_HOPS):
            scope["limit"] = limit
            scope["cursor"] = position
            params = pagination.page_params(pag, position, limit) if pag else None
            provider_request = build_request(
                request.account, method, scope, query_expr=mm.query, body_expr=mm.body,
                page_params=params, page_in_body=bool(pag and pag.location == "body"),
                remote_query=request.remote_query)
            exchange = await self._exchange(request, provider_request)
            if not isinstance(exchange, Exchange):
                return exchange  # raw or stream: the provider's answer as it is
            parsed, response, headers = exchange.parsed, exchange.response, exchange.headers
            records = self._records(method, parsed, response)
            result = []
            for record in records:
                unified = self._map(mm, record, request, schema, scope["steps"])
                if unified is not None:
                    result.append(unified)
            following = None
            if pag is not None:
                following = pagination.next_position(pag, position, limit, len(records), parsed,
                                                     lower_headers(response.headers), provider_request.path)
            if result or following is None:
                break
            position = following  # an empty page with more to come: read on (docs/integrations.md)
        else:
            raise GatewayError(502, f"{request.account.integration.label} returned {MAX_EMPTY_HOPS} pages in a row "
                                    "with no matching records; narrow the query.")
        return JsonResult(
            body={
                "result": result,
                "next_cursor": pagination.encode_cursor(following) if following is not None else None,
                "prev_cursor": None,
                "result_count": len(result),
            },
            headers=headers,
        )

    @staticmethod
    def _records(method: ResourceMethod, parsed: Any, response: ProviderResponse) -> list[Any]:
        records = parsed
        if method.records is not None:
            records = evaluate(method.records, {"response": parsed, "headers": lower_headers(response.headers)}, "records")
        if records is None:
            return []
        return records if isinstance(records, list) else [records]

    # -- get / create / update / delete ---------------------------------------------------------------
    async def _single(self, request: UnifiedRequest, mapping: ResourceMapping, mm: MethodMapping,
                      method: ResourceMethod, scope: dict[str, Any]) -> Result:
        remote_body = None
        if request.method in ("create", "update") and request.body is not None:
            remote_body = request.body.get("remote_data")
            scope["body"] = {k: v for k, v in request.body.items() if k != "remote_data"}
        provider_request = build_request(request.account, method, scope, query_expr=mm.query, body_expr=mm.body,
                                         remote_query=request.remote_query, remote_body=remote_body,
                                         remote_merge=mm.remote_data)
        writing = request.method in ("create", "update")
        if writing:
            request.write_progress = "sent"
        exchange = await self._exchange(request, provider_request)
        if writing:
            request.write_progress = "answered"
        if not isinstance(exchange, Exchange):
            return exchange  # raw or stream: the provider's answer as it is
        parsed, response, headers = exchange.parsed, exchange.response, exchange.headers
        schema = self.resources.get((request.model, request.resource))
        if mm.read_back is not None:
            # The write's answer lacks the record (e.g. only an id): read it back through `get`.
            new_id = evaluate(mm.read_back, {"response": parsed, "id": request.id}, "read_back")
            if new_id in (None, ""):
                raise GatewayError(502, f"{request.account.integration.label} did not say which record was written.",
                                   remote=True, raw_response=parsed)
            get = mapping.methods["get"]
            read_request = replace(request, method="get", id=str(new_id), body=None, remote_query={},
                                   provider_seconds=0.0, retries=0)
            read_scope = {**scope, "id": str(new_id), "body": None}
            read_scope["steps"] = await self._run_steps(read_request, get, read_scope)
            result = await self._single(read_request, mapping, get,
                                        request.account.integration.resource_method(get.resource, get.method),
                                        read_scope)
            request.provider_seconds += read_request.provider_seconds
            request.retries += read_request.retries
            return result
        if request.method == "delete":
            return JsonResult(self._deleted(request, mm, parsed, schema), headers)
        record = parsed
        if method.record is not None:
            record = evaluate(method.record, {"response": parsed, "headers": lower_headers(response.headers)}, "record")
        label = request.account.integration.label
        if mm.not_found_if is not None and evaluate(mm.not_found_if, {"response": record}, "not_found_if"):
            raise GatewayError(404, f"{label} has no {request.resource[:-1] if request.resource.endswith('s') else request.resource} "
                                    f"with id {request.id!r}.", remote=True, raw_response=parsed)
        if not isinstance(record, dict):
            raise GatewayError(502, f"{label} answered {response.status} without the record it should return.",
                               remote=True, raw_response=parsed)
        unified = self._map(mm, record, request, schema, scope["steps"], apply_filter=False)
        if unified is None:
            raise GatewayError(502, f"{label}'s record could not be mapped.", remote=True, raw_response=parsed)
        return JsonResult(unified, headers)

    def _deleted(self, request: UnifiedRequest, mm: MethodMapping, parsed: Any,
                 schema: UnifiedResource | None) -> dict[str, Any]:
        mapped = evaluate(mm.response, {"response": parsed, "id": request.id, "context": request.account.context},
                          "delete response") if mm.response is not None else None
        result: dict[str, Any] = {"id": request.id}
        if isinstance(mapped, dict):
            result.update(mapped)
            result["id"] = str(mapped["id"]) if mapped.get("id") is not None else request.id
        if isinstance(parsed, (dict, list)):
            result["remote_data"] = parsed if isinstance(parsed, dict) else {"items": parsed}
        return self._shape(result, request, schema)

    # -- shared pieces -----------------------------------------------------------------------------
    def _map(self, mm: MethodMapping, record: Any, request: UnifiedRequest, schema: UnifiedResource | None,
             steps: dict[str, Any], apply_filter: bool = True) -> dict[str, Any] | None:
        if apply_filter and mm.filter is not None and not evaluate(mm.filter, {"response": record}, "filter"):
            return None
        unified = evaluate(mm.record, {"response": record, "context": request.account.context, "steps": steps},
                           "record")
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

    async def _exchange(self, request: UnifiedRequest, provider_request: ProviderRequest) -> Exchange | Result:
        """Call the provider; a provider error raises. Raw and stream formats end the call here."""
        if request.response_format == "stream":
            return await self._stream(request, provider_request)
        response = await self._send(request, provider_request)
        parsed = self._checked(request.account, response)
        headers = normalized_headers(request.account.integration.rate_limit, response.headers)
        if request.response_format == "raw":
            return RawResult(response.status, response.content_type, response.body, headers)
        return Exchange(parsed, response, headers)

    async def _send(self, request: UnifiedRequest, provider_request: ProviderRequest) -> ProviderResponse:
        def attempt() -> Awaitable[ProviderResponse]:
            return self.transport.request(provider_request.method, provider_request.url, provider_request.headers,
                                          provider_request.body)

        async def discard(_: ProviderResponse) -> None:
            return None

        response = await self._retrying(request, provider_request, attempt, discard)
        if response.status == 401 and await self._refreshed_after_401(request, provider_request):
            response = await self._retrying(request, provider_request, attempt, discard)
        return response

    async def _retrying(self, request: UnifiedRequest, provider_request: ProviderRequest,
                        attempt: Callable[[], Awaitable[Answer]],
                        discard: Callable[[Answer], Awaitable[None]]) -> Answer:
        """Send through `attempt`, again while the retry policy allows it and the budget lasts (engine/retry.py).

        Returns the last answer (an error status included, for the caller to report) or raises the
        last failure.
        """
        policy = self.retry_policy
        name = request.account.integration.name
        rules = request.account.integration.rate_limit
        deadline = request.deadline if request.deadline is not None else time.monotonic() + policy.budget
        sent_again = 0
        while True:
            started = time.perf_counter()
            try:
                answer = await attempt()
            except ProviderUnreachable as failure:
                seconds = time.perf_counter() - started
                request.provider_seconds += seconds
                observe_provider(name, failure.reason, seconds)
                if not policy.may_retry(provider_request.method, sent_again, failure=failure.reason,
                                        safe=provider_request.safe_to_repeat):
                    raise
                wait = policy.backoff(sent_again)
                if time.monotonic() + wait >= deadline:
                    raise
                await self._pause(request, name, reason_for(None, failure.reason), wait, provider_asked=False)
                sent_again += 1
                continue
            seconds = time.perf_counter() - started
            request.provider_seconds += seconds
            status = answer.status
            observe_provider(name, status, seconds)
            if status not in RETRY_STATUSES or not policy.may_retry(provider_request.method, sent_again, status=status,
                                                                      safe=provider_request.safe_to_repeat):
                return answer
            asked = retry_wait(rules, status, answer.headers)
            wait = asked if asked is not None else policy.backoff(sent_again)
            if time.monotonic() + wait >= deadline:
                # Not worth waiting: the caller gets this answer now, with the provider's wait as
                # Retry-After (provider_errors.detect).
                return answer
            await discard(answer)
            await self._pause(request, name, reason_for(status, None), wait, provider_asked=asked is not None)
            sent_again += 1

    @staticmethod
    async def _pause(request: UnifiedRequest, integration: str, reason: str, seconds: float, *,
                     provider_asked: bool) -> None:
        await asyncio.sleep(seconds)
        request.retries += 1
        record_retry(integration, reason)
        if provider_asked:
            record_rate_limit_wait(integration, seconds)

    async def _refreshed_early(self, account: AccountRuntime) -> AccountRuntime:
        """The account with a token refreshed ahead of its expiry. If the token endpoint is down meanwhile,
        the current token, while it still lasts: an outage of the CRM's OAuth server alone fails no call."""
        assert self.refresher is not None
        try:
            return await self.refresher.refresh(account)
        except GatewayError as error:
            still_valid = account.expires_at is not None and account.expires_at > time.time()
            if error.status in (502, 503, 504) and still_valid:
                return account
            raise

    async def _refreshed_after_401(self, request: UnifiedRequest, provider_request: ProviderRequest) -> bool:
        """After a provider 401: refresh the OAuth token once and point `provider_request` at the new one.

        A 401 means the provider did not perform the call, so sending it again (even a create) is safe.
        """
        if (self.refresher is None or request.refreshed_after_401
                or not self.refresher.can_refresh(request.account)):
            return False
        request.refreshed_after_401 = True
        request.account = await self.refresher.refresh(request.account)
        provider_request.headers.update(request.account.headers)
        request.retries += 1
        record_retry(request.account.integration.name, "token_refreshed")
        return True

    @staticmethod
    def _checked(account: AccountRuntime, response: ProviderResponse) -> Any:
        parsed = parse_body(response.content_type, response.body)
        error = provider_errors.detect(account.integration, response.status, response.headers, parsed)
        if error is not None:
            error.headers.update(normalized_headers(account.integration.rate_limit, response.headers))
            raise error
        if isinstance(parsed, str) and ("json" in response.content_type or response.body[:1] in (b"{", b"[")):
            # A success whose JSON is cut short or malformed: its records can't be trusted, and a
            # write it answers may still have been applied.
            label = account.integration.label
            raise GatewayError(502, f"{label} answered {response.status} with a body that is not valid JSON (cut "
                                    "short or malformed). Retry the request; if it was a write, check whether it "
                                    "was applied first.", remote=True, raw_response=parsed[:2000],
                               insight={"remote_error": {"description": f"The answer came from {label}; "
                                                                        "its body is in raw_response."}},
                               headers=normalized_headers(account.integration.rate_limit, response.headers))
        return parsed

    async def _stream(self, request: UnifiedRequest, provider_request: ProviderRequest) -> StreamResult:
        """Open the provider's answer for streaming; retried only here, before any byte reaches the caller."""

        def attempt() -> Awaitable[aiohttp.ClientResponse]:
            return self.transport.open(provider_request.method, provider_request.url, provider_request.headers,
                                       provider_request.body)

        async def discard(response: aiohttp.ClientResponse) -> None:
            response.release()

        response = await self._retrying(request, provider_request, attempt, discard)
        if response.status == 401 and await self._refreshed_after_401(request, provider_request):
            response.release()
            response = await self._retrying(request, provider_request, attempt, discard)
        account = request.account
        headers = normalized_headers(account.integration.rate_limit, response.headers)
        if response.status >= 300:  # errors, and redirects (never followed)
            try:
                raw = await response.content.read(MAX_ERROR_BODY)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                raw = b""  # the error body broke off; the status still says what happened
            finally:
                response.release()
            self._checked(account, ProviderResponse(response.status, response.headers, raw))
        return StreamResult(response.status, response.headers.get("content-type", "application/octet-stream"),
                            response, headers)
