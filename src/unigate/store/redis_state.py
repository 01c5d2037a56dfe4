"""The gateway's shared state in Redis (``UNIGATE_REDIS_URL``): idempotency keys and rate-limit counters.

Redis's own expiry purges both: an idempotency entry lives for the lease while in flight, then for the
rest of its TTL once answered; a counter lives until its window ends.

Every command is bounded (``UNIGATE_STORE_TIMEOUT``) and sent once. A Redis that fails or stops
answering is noticed once by a :class:`Circuit`: for ``UNIGATE_STORE_RETRY_INTERVAL`` seconds after the
failure, calls raise :class:`StoreUnavailable` at once instead of each waiting out the timeout; then one
call probes Redis again while the others keep failing fast.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import orjson
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from unigate.store.availability import StoreUnavailable, is_store_unavailable
from unigate.store.crypto import Cipher
from unigate.store.idempotency import (
    DONE,
    IN_FLIGHT,
    Claimed,
    ClaimOutcome,
    InFlight,
    Mismatch,
    Replay,
    StoredResponse,
    associated_data,
)

log = logging.getLogger("unigate.idempotency")

_PREFIX = "unigate:"

# Replace or delete an entry only while it still holds our claim (a compare-and-set Redis runs atomically).
_COMPLETE = """
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['claim_id'] ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""
_RELEASE = """
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['claim_id'] ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""


_T = TypeVar("_T")


def connect(url: str, timeout: float) -> redis.Redis:
    """A client whose every connect and command ends after `timeout` seconds, with no retries of its
    own (redis-py retries three times by default, which would multiply the wait)."""
    return redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                          retry=Retry(NoBackoff(), 0))


class Circuit:
    """Redis failed a moment ago: fail at once rather than wait on it again, until one probe succeeds."""

    def __init__(self, retry_interval: float) -> None:
        self._retry_interval = retry_interval
        self._open_until = 0.0  # 0: closed (Redis answered last time)
        self._probing = False

    async def call(self, operation: Callable[[], Awaitable[_T]]) -> _T:
        if self._open_until:
            if self._probing or time.monotonic() < self._open_until:
                raise StoreUnavailable("Redis", "it failed a moment ago and is not waited on again yet")
            self._probing = True  # this call is the probe; the others keep failing fast meanwhile
        try:
            result = await operation()
        except Exception as error:
            if not is_store_unavailable(error):
                raise
            if not self._open_until:
                log.warning("Redis is unavailable (%s); calls fail fast for %g s, then one probes it",
                            type(error).__name__, self._retry_interval)
            self._open_until = time.monotonic() + self._retry_interval
            raise StoreUnavailable("Redis", type(error).__name__) from error
        finally:
            self._probing = False
        if self._open_until:
            log.warning("Redis answers again")
            self._open_until = 0.0
        return result


class RedisIdempotencyKeys:
    """One Redis string per (environment, key): a JSON entry, claimed with ``SET NX``."""

    def __init__(self, client: redis.Redis, cipher: Cipher, ttl: float, lease: float, circuit: Circuit) -> None:
        self._client = client
        self._circuit = circuit
        self._cipher = cipher
        self._ttl = ttl
        self._lease_ms = max(1, int(lease * 1000))
        self._complete = client.register_script(_COMPLETE)
        self._release = client.register_script(_RELEASE)

    @staticmethod
    def _name(environment_id: str, key: str) -> str:
        # Hashed: keys may hold any printable characters and be 255 long.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{_PREFIX}idempotency:{environment_id}:{digest}"

    async def claim(self, environment_id: str, key: str, fingerprint: str) -> ClaimOutcome:
        return await self._circuit.call(lambda: self._claim(environment_id, key, fingerprint))

    async def _claim(self, environment_id: str, key: str, fingerprint: str) -> ClaimOutcome:
        name = self._name(environment_id, key)
        for _ in range(5):
            claim_id = str(uuid.uuid4())
            entry = {"state": IN_FLIGHT, "fingerprint": fingerprint, "claim_id": claim_id, "created": time.time()}
            if await self._client.set(name, orjson.dumps(entry), nx=True, px=self._lease_ms):
                return Claimed(claim_id)
            raw = await self._client.get(name)
            if raw is None:
                continue  # expired between the two calls: try to claim again
            current = orjson.loads(raw)
            if current["fingerprint"] != fingerprint:
                return Mismatch()
            if current["state"] == IN_FLIGHT:
                return InFlight()
            sealed = base64.b64decode(current["response"])
            plaintext = self._cipher.decrypt(sealed, associated_data(environment_id, key))
            return Replay(StoredResponse.from_bytes(plaintext))
        return InFlight()

    async def complete(self, environment_id: str, key: str, claim_id: str, response: StoredResponse) -> None:
        await self._circuit.call(lambda: self._complete_claim(environment_id, key, claim_id, response))

    async def _complete_claim(self, environment_id: str, key: str, claim_id: str, response: StoredResponse) -> None:
        name = self._name(environment_id, key)
        raw = await self._client.get(name)
        current = orjson.loads(raw) if raw is not None else None
        stored = False
        if current is not None and current["claim_id"] == claim_id:
            # The TTL counts from the first request, as on the database.
            remaining_ms = max(1, int((current["created"] + self._ttl - time.time()) * 1000))
            sealed = self._cipher.encrypt(response.to_bytes(), associated_data(environment_id, key))
            entry = {**current, "state": DONE, "response": base64.b64encode(sealed).decode("ascii")}
            stored = bool(await self._complete(keys=[name], args=[claim_id, orjson.dumps(entry), remaining_ms]))
        if not stored:
            log.warning("an idempotency key's claim expired before its answer was stored "
                        "(the call outlasted UNIGATE_IDEMPOTENCY_LEASE)")

    async def release(self, environment_id: str, key: str, claim_id: str) -> None:
        await self._circuit.call(lambda: self._release(keys=[self._name(environment_id, key)], args=[claim_id]))


class RedisWindowCounter:
    """``INCR`` and ``PEXPIRE`` in one transaction: the count is shared by every gateway on this Redis."""

    def __init__(self, client: redis.Redis, circuit: Circuit) -> None:
        self._client = client
        self._circuit = circuit

    async def hit(self, scope: str, subject: str, window: int, expires_in: float) -> int:
        return await self._circuit.call(lambda: self._hit(scope, subject, window, expires_in))

    async def _hit(self, scope: str, subject: str, window: int, expires_in: float) -> int:
        name = f"{_PREFIX}ratelimit:{scope}:{subject}:{window}"
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, max(1, int(expires_in * 1000)) + 1000)  # a second's slack for clock skew
            count, _ = await pipe.execute()
        return int(count)
