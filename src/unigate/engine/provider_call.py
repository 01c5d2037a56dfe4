"""One call to a provider, and nothing else: credentials, retries, timing, errors, rate-limit headers.

It takes a built ProviderRequest and the account it is sent for, and returns the provider's answer
(parsed and checked, or opened for streaming). It knows nothing of unified models or mappings, so a
unified call and a proxy call use it alike. What it did along the way (provider seconds, calls sent
again, the wait deadline, whether the token was refreshed, how far a write got) goes into the
per-call `CallState` the caller passes in and reads afterwards.

Credentials are kept current by a pluggable `CredentialFlow` (in the spirit of httpx's
`Auth.auth_flow`): refreshed early when due (`fresh`, once per incoming request), and refreshed once
after a provider 401, the request then sent again with the refreshed account's headers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import aiohttp

from unigate.engine import provider_errors
from unigate.engine.accounts import AccountRuntime
from unigate.engine.provider_request import ProviderRequest, parse_body
from unigate.engine.ratelimit import normalized_headers, retry_wait
from unigate.engine.retry import RETRY_STATUSES, RetryPolicy, reason_for
from unigate.errors import GatewayError
from unigate.observability.metrics import observe_provider, record_rate_limit_wait, record_retry
from unigate.transport import ProviderResponse, ProviderUnreachable, Transport

# How much of a failed streamed answer is read to report the error.
MAX_ERROR_BODY = 1 << 20

Answer = TypeVar("Answer", ProviderResponse, aiohttp.ClientResponse)


class CallState:
    """What the provider calls of one incoming request did; the caller makes one and reads it afterwards."""

    __slots__ = ("deadline", "provider_seconds", "refreshed_after_401", "retries", "write_progress")

    def __init__(self) -> None:
        # When the retry wait budget runs out (time.monotonic()); set by the first provider call.
        self.deadline: float | None = None
        # Seconds spent waiting for the provider, reported in the Server-Timing header and /metrics.
        self.provider_seconds = 0.0
        # Provider calls sent again (engine/retry.py, and after a token refresh).
        self.retries = 0
        # The account's OAuth token was refreshed after a provider 401 (at most once per request).
        self.refreshed_after_401 = False
        # How far a write's own provider request got: "not sent" (only lookups, if any, ran), "sent"
        # (sent, no successful answer yet) or "answered". Idempotency-Key decides from it whether the
        # provider may have acted (edge/idempotency.py).
        self.write_progress = "not sent"


class CredentialFlow(Protocol):
    """Keeps an account's credentials current (unigate.auth.refresh.TokenRefresher)."""

    def can_refresh(self, account: AccountRuntime) -> bool: ...

    def due(self, account: AccountRuntime) -> bool: ...

    async def refresh(self, account: AccountRuntime) -> AccountRuntime: ...


@dataclass(slots=True)
class ProviderAnswer:
    """A successful provider answer: parsed, with its normalized rate-limit headers."""

    account: AccountRuntime  # the account as called: its token may have been refreshed on the way
    response: ProviderResponse
    parsed: Any
    headers: dict[str, str]


@dataclass(slots=True)
class OpenAnswer:
    """A successful provider answer opened for streaming; the caller reads and releases `response`."""

    account: AccountRuntime
    response: aiohttp.ClientResponse
    headers: dict[str, str]


class ProviderCall:
    def __init__(self, transport: Transport, retry_policy: RetryPolicy | None = None,
                 credentials: CredentialFlow | None = None) -> None:
        self.transport = transport
        self.retry_policy = retry_policy or RetryPolicy()
        self.credentials = credentials

    async def fetch(self, account: AccountRuntime, request: ProviderRequest, state: CallState, *,
                    write: bool = False) -> ProviderAnswer:
        """The provider's answer to `request`, parsed; a provider error (in any status) raises.

        `write`: this is the write itself (not a lookup), so `state.write_progress` follows it.
        """
        if write:
            state.write_progress = "sent"
        account, response = await self.send(account, request, state)
        parsed = None if not_modified(request, response.status) else checked(account, response)
        if write:
            state.write_progress = "answered"
        return ProviderAnswer(account, response, parsed,
                              normalized_headers(account.integration.rate_limit, response.headers))

    async def send(self, account: AccountRuntime, request: ProviderRequest,
                   state: CallState) -> tuple[AccountRuntime, ProviderResponse]:
        """The provider's answer as it came (error statuses included), and the account as called."""
        transport = self.transport

        def attempt() -> Awaitable[ProviderResponse]:
            return transport.request(request.method, request.url, request.headers, request.body)

        async def discard(_: ProviderResponse) -> None:
            return None

        response = await self._retrying(account, request, state, attempt, discard)
        if response.status == 401:
            refreshed = await self._refreshed_after_401(account, request, state)
            if refreshed is not None:
                account = refreshed
                response = await self._retrying(account, request, state, attempt, discard)
        return account, response

    async def open(self, account: AccountRuntime, request: ProviderRequest, state: CallState, *,
                   write: bool = False) -> OpenAnswer:
        """The provider's answer opened for streaming; retried only here, before any byte reaches the caller.
        An error status (or a redirect, never followed) is read and raised like `fetch`'s."""
        transport = self.transport

        def attempt() -> Awaitable[aiohttp.ClientResponse]:
            return transport.open(request.method, request.url, request.headers, request.body)

        async def discard(response: aiohttp.ClientResponse) -> None:
            response.release()

        if write:
            state.write_progress = "sent"
        response = await self._retrying(account, request, state, attempt, discard)
        if response.status == 401:
            refreshed = await self._refreshed_after_401(account, request, state)
            if refreshed is not None:
                account = refreshed
                response.release()
                response = await self._retrying(account, request, state, attempt, discard)
        headers = normalized_headers(account.integration.rate_limit, response.headers)
        if response.status >= 300 and not not_modified(request, response.status):  # errors, and redirects
            try:
                raw = await response.content.read(MAX_ERROR_BODY)
            except (TimeoutError, aiohttp.ClientError):
                raw = b""  # the error body broke off; the status still says what happened
            finally:
                response.release()
            checked(account, ProviderResponse(response.status, response.headers, raw))
        if write:
            state.write_progress = "answered"
        return OpenAnswer(account, response, headers)

    # -- retries -------------------------------------------------------------------------------------
    async def _retrying(self, account: AccountRuntime, request: ProviderRequest, state: CallState,
                        attempt: Callable[[], Awaitable[Answer]],
                        discard: Callable[[Answer], Awaitable[None]]) -> Answer:
        """Send through `attempt`, again while the retry policy allows it and the budget lasts (engine/retry.py).

        Returns the last answer (an error status included, for the caller to report) or raises the
        last failure.
        """
        policy = self.retry_policy
        name = account.integration.name
        rules = account.integration.rate_limit
        deadline = state.deadline
        if deadline is None:
            deadline = state.deadline = time.monotonic() + policy.budget
        sent_again = 0
        while True:
            started = time.perf_counter()
            try:
                answer = await attempt()
            except ProviderUnreachable as failure:
                seconds = time.perf_counter() - started
                state.provider_seconds += seconds
                observe_provider(name, failure.reason, seconds)
                if not policy.may_retry(request.method, sent_again, failure=failure.reason,
                                        safe=request.safe_to_repeat):
                    raise
                wait = policy.backoff(sent_again)
                if time.monotonic() + wait >= deadline:
                    raise
                await _pause(state, name, reason_for(None, failure.reason), wait, provider_asked=False)
                sent_again += 1
                continue
            seconds = time.perf_counter() - started
            state.provider_seconds += seconds
            status = answer.status
            observe_provider(name, status, seconds)
            if status not in RETRY_STATUSES or not policy.may_retry(request.method, sent_again, status=status,
                                                                      safe=request.safe_to_repeat):
                return answer
            asked = retry_wait(rules, status, answer.headers)
            wait = asked if asked is not None else policy.backoff(sent_again)
            if time.monotonic() + wait >= deadline:
                # Not worth waiting: the caller gets this answer now, with the provider's wait as
                # Retry-After (provider_errors.detect).
                return answer
            await discard(answer)
            await _pause(state, name, reason_for(status, None), wait, provider_asked=asked is not None)
            sent_again += 1

    # -- credentials -----------------------------------------------------------------------------------
    def refresh_due(self, account: AccountRuntime) -> bool:
        """Whether `fresh` would refresh the account's token (a check that costs no coroutine)."""
        flow = self.credentials
        return flow is not None and flow.due(account)

    async def fresh(self, account: AccountRuntime) -> AccountRuntime:
        """The account with a token refreshed ahead of its expiry when it is due. Called once per incoming
        request, before its provider requests are built (a refreshed token may come with another API host).

        If the token endpoint is down meanwhile, the current token, while it still lasts: an outage of
        the CRM's OAuth server alone fails no call.
        """
        flow = self.credentials
        if flow is None or not flow.due(account):
            return account
        try:
            return await flow.refresh(account)
        except GatewayError as error:
            still_valid = account.expires_at is not None and account.expires_at > time.time()
            if error.status in (502, 503, 504) and still_valid:
                return account
            raise

    async def _refreshed_after_401(self, account: AccountRuntime, request: ProviderRequest,
                                   state: CallState) -> AccountRuntime | None:
        """After a provider 401: the account with its OAuth token refreshed (once per request), `request`
        pointed at it; None when there is nothing to refresh.

        A 401 means the provider did not perform the call, so sending it again (even a create) is safe.
        """
        flow = self.credentials
        if flow is None or state.refreshed_after_401 or not flow.can_refresh(account):
            return None
        state.refreshed_after_401 = True
        refreshed = await flow.refresh(account)
        request.headers.update(refreshed.headers)
        state.retries += 1
        record_retry(refreshed.integration.name, "token_refreshed")
        return refreshed


async def _pause(state: CallState, integration: str, reason: str, seconds: float, *, provider_asked: bool) -> None:
    await asyncio.sleep(seconds)
    state.retries += 1
    record_retry(integration, reason)
    if provider_asked:
        record_rate_limit_wait(integration, seconds)


# The request headers that make a GET conditional on a change, so that 304 Not Modified answers it
# (RFC 9110 section 15.4.5).
CONDITIONAL_HEADERS = ("if-modified-since", "if-none-match")


def not_modified(request: ProviderRequest, status: int) -> bool:
    """A 304 answering a request the mapping made conditional (a list since an instant, with If-Modified-Since):
    nothing changed, an answer with no body (so no records), not a redirect. A 304 to a request that asked for no
    such condition stays the redirect-class error engine/provider_errors.py makes of it."""
    return status == 304 and any(name.lower() in CONDITIONAL_HEADERS for name in request.headers)


def checked(account: AccountRuntime, response: ProviderResponse) -> Any:
    """The provider's body, parsed; raises the provider's error, whatever its status (engine/provider_errors.py),
    and a success whose JSON is cut short or malformed."""
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
