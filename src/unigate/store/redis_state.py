"""The gateway's shared state in Redis (``UNIGATE_REDIS_URL``): idempotency keys and rate-limit counters.

Redis's own expiry purges both: an idempotency entry lives for the lease while in flight, then for the
rest of its TTL once answered; a counter lives until its window ends.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
import uuid

import orjson
import redis.asyncio as redis

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


# Seconds to wait for Redis before a call fails (a write then answers 503, a limit lets the call through).
REDIS_TIMEOUT = 5.0


def connect(url: str) -> redis.Redis:
    return redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)


class RedisIdempotencyKeys:
    """One Redis string per (environment, key): a JSON entry, claimed with ``SET NX``."""

    def __init__(self, client: redis.Redis, cipher: Cipher, ttl: float, lease: float) -> None:
        self._client = client
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
        await self._release(keys=[self._name(environment_id, key)], args=[claim_id])


class RedisWindowCounter:
    """``INCR`` and ``PEXPIRE`` in one transaction: the count is shared by every gateway on this Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    async def hit(self, scope: str, subject: str, window: int, expires_in: float) -> int:
        name = f"{_PREFIX}ratelimit:{scope}:{subject}:{window}"
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, max(1, int(expires_in * 1000)) + 1000)  # a second's slack for clock skew
            count, _ = await pipe.execute()
        return int(count)
