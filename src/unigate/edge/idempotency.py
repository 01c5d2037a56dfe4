"""`Idempotency-Key` on writes (unified and proxy POST and PATCH, unified custom methods, custom POST, PUT and
PATCH): one provider call per key.

A client that resends a write (Truto's TypeScript SDK resends a POST after a 409, 502 or 504:
`src/apiClient.ts` in https://github.com/trutohq/truto-ts-sdk) sends the same key each time.
The first request claims the key and calls the CRM; its answer is kept for the key's TTL (24 h by
default) and replayed, with `Idempotent-Replayed: true`, to every repeat. A repeat that arrives while
the first is still running gets 409 with `Retry-After: 1`; the same key on a different request gets 422.

Which answers are kept (docs/api.md, "Idempotency-Key"): every answer of a write that may have reached
the CRM, errors included, because a create that failed or timed out may still have been performed by the
CRM, and calling it again could make a duplicate. The key is released, so the same key runs again, only
when the CRM certainly did not act: the write was never sent (a lookup step before it failed, or no
connection could be made), or the CRM refused it with 429 (rate limited), and when the answer is the
gateway's own failure (a 500 or 503 not from the CRM): a 24-hour replay of the gateway's bug or outage
would hide the CRM's real answer from every retry. Requests refused before the call (bad token, invalid
body, unknown account) never claim the key.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from unigate.engine.call import JsonResult, RawResult, Result, StreamResult
from unigate.engine.provider_call import CallState
from unigate.errors import GatewayError
from unigate.store.availability import is_store_unavailable
from unigate.store.crypto import DecryptionError
from unigate.store.idempotency import Claimed, IdempotencyKeys, InFlight, Mismatch, Replay, StoredResponse

log = logging.getLogger("unigate.idempotency")

HEADER = b"idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"
MAX_KEY_LENGTH = 255
# The provider's rate-limit budget at the time of the first answer: stale by the time of a replay.
# (Server-Timing and X-Request-Id are added to each answer by the app, replays included.)
_NOT_REPLAYED = frozenset({"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"})


def read_key(raw: bytes | None, method: str, response_format: str) -> str | None:
    """The request's Idempotency-Key, checked; None when it has none or the method ignores it."""
    if raw is None or method in ("list", "get", "delete", "read"):
        return None  # reads and deletes are idempotent already; creates, updates and custom methods are not
    key = raw.decode("latin-1").strip()
    if not key:
        raise GatewayError(400, "The Idempotency-Key header is empty; send a unique value per write, e.g. a UUID.")
    if len(key) > MAX_KEY_LENGTH:
        raise GatewayError(400, f"The Idempotency-Key header is {len(key)} characters long; "
                                f"it may be at most {MAX_KEY_LENGTH}. A UUID is a good key.")
    if not (key.isascii() and key.isprintable()):
        raise GatewayError(400, "The Idempotency-Key header must be printable ASCII, e.g. a UUID.")
    if response_format == "stream":
        raise GatewayError(400, "truto_response_format=stream cannot be replayed; with an Idempotency-Key, "
                                "use truto_response_format=raw for the provider's answer as it is.")
    return key


def fingerprint(http_method: str, model: str, resource: str, record_id: str | None, query: dict[str, Any],
                body: Any) -> str:
    """Hex SHA-256 of the request's canonical form (the query includes the integrated account)."""
    canonical = orjson.dumps({"method": http_method, "model": model, "resource": resource, "id": record_id,
                              "query": query, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def crm_did_not_act(state: CallState, error: Exception) -> bool:
    """True when the CRM certainly did not perform the write, so the key may run again."""
    if state.write_progress == "not sent":
        return True  # failed before the write was sent (e.g. in a lookup step)
    if state.write_progress == "answered" or not isinstance(error, GatewayError):
        return False  # the write succeeded; what failed came after it (a read-back, the mapping)
    if error.remote and error.status == 429:
        return True  # the write was refused by the provider's rate limit before any work
    # The transport raises its 502 from the connection error: the write was never sent.
    return isinstance(error.__cause__, aiohttp.ClientConnectorError)


def gateway_failed(error: GatewayError) -> bool:
    """True for the gateway's own failure (not the CRM's answer): such an answer is never kept."""
    return not error.remote and error.status in (500, 503)


def stored_answer(result: Result) -> StoredResponse:
    headers = {k: v for k, v in result.headers.items() if k.lower() not in _NOT_REPLAYED}
    if isinstance(result, JsonResult):
        return StoredResponse(result.status, "application/json", orjson.dumps(result.body), headers)
    if isinstance(result, RawResult):
        return StoredResponse(result.status, result.content_type or "application/octet-stream", result.body, headers)
    assert not isinstance(result, StreamResult), "read_key refuses streams with a key"
    raise TypeError(f"unexpected result {type(result).__name__}")


def stored_error(error: GatewayError) -> StoredResponse:
    return StoredResponse(error.status, "application/json", orjson.dumps(error.body()), dict(error.headers))


async def run_once(keys: IdempotencyKeys, environment_id: str, key: str, request_fingerprint: str,
                   state: CallState, run: Callable[[], Awaitable[Result]]) -> tuple[StoredResponse, bool]:
    """This request's answer and whether it is a replay; `run` is called only if this request claims the key.

    An error answer is raised as the GatewayError (after it is stored), like any unified error.
    """
    try:
        outcome = await keys.claim(environment_id, key, request_fingerprint)
    except DecryptionError:
        log.error("a stored idempotent answer could not be opened (was the store key changed?)")
        raise GatewayError(500, "The stored answer for this Idempotency-Key cannot be read by this gateway "
                                "(its store key differs). Send the write with a new key.") from None
    except Exception as exc:
        if is_store_unavailable(exc):
            raise  # the edge's one answer for a store that is down (edge/unavailable.py); nothing was sent
        log.exception("claiming an idempotency key failed")
        raise GatewayError(503, "The gateway could not record the Idempotency-Key, so the write was not sent. "
                                "Retry with the same key.", headers={"retry-after": "1"}) from None
    if isinstance(outcome, Replay):
        return outcome.response, True
    if isinstance(outcome, Mismatch):
        raise GatewayError(422, f"The Idempotency-Key {key!r} was already used for a different request (method, "
                                "path, integrated account, query or body differ). Use a new key for a new write.")
    if isinstance(outcome, InFlight):
        raise GatewayError(409, f"A request with the Idempotency-Key {key!r} is still in progress. Retry in a "
                                "second to receive its answer.", headers={"retry-after": "1"})
    assert isinstance(outcome, Claimed)

    try:
        result = await run()
    except Exception as exc:
        error: GatewayError
        if isinstance(exc, GatewayError):
            error = exc
        else:
            log.exception("an idempotent write failed unexpectedly")
            error = GatewayError(500, "The gateway failed unexpectedly during this write; the error is logged. The "
                                      "key is not kept: check whether the CRM performed the write before sending "
                                      "it again.")
        if crm_did_not_act(state, exc) or gateway_failed(error):
            await _settle(keys.release(environment_id, key, outcome.claim_id))
        else:
            # The CRM may have acted: the failure is kept like any answer, so a resend makes no duplicate.
            await _settle(keys.complete(environment_id, key, outcome.claim_id, stored_error(error)))
        if error is exc:
            raise
        raise error from None
    answer = stored_answer(result)
    await _settle(keys.complete(environment_id, key, outcome.claim_id, answer))
    return answer, False


async def _settle(step: Awaitable[None]) -> None:
    # The CRM has answered: its answer goes to the client even if the key store fails now. The claim then
    # stays in flight until its lease ends (UNIGATE_IDEMPOTENCY_LEASE).
    try:
        await step
    except Exception:
        log.exception("storing the outcome of an idempotency key failed")
