"""Idempotency keys: claim a key before calling the provider, then keep its answer for replays.

The claim is the atomic step: of any number of requests with one key, across any number of gateway
processes, exactly one gets :class:`Claimed` and calls the provider; the others see the key in flight,
its stored answer, or a different request under the same key. Two implementations share this
interface: :class:`SqlIdempotencyKeys` (the store's database, an insert that does nothing on conflict)
and ``unigate.store.redis_state.RedisIdempotencyKeys`` (``SET NX`` with an expiry).

Stored answers may hold CRM data, so they are sealed with the store key like account contexts
(``crypto.py``), bound to their environment and key.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import orjson
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from unigate.store.crypto import Cipher
from unigate.store.engine import Engines
from unigate.store.tables import idempotency_keys

log = logging.getLogger("unigate.idempotency")

IN_FLIGHT = "in_flight"
DONE = "done"
# How often (seconds) a process deletes expired keys; expired keys are also reclaimed on sight.
PURGE_INTERVAL = 300.0


@dataclass(frozen=True)
class StoredResponse:
    """An answer as it is replayed: status, content type, body bytes and the headers that matter."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return orjson.dumps({"status": self.status, "content_type": self.content_type, "headers": self.headers,
                             "body": base64.b64encode(self.body).decode("ascii")})

    @classmethod
    def from_bytes(cls, raw: bytes) -> StoredResponse:
        data = orjson.loads(raw)
        return cls(data["status"], data["content_type"], base64.b64decode(data["body"]), data["headers"])


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: call the provider, then complete or release the claim."""

    claim_id: str


@dataclass(frozen=True)
class InFlight:
    """Another request with this key is still running."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request."""


@dataclass(frozen=True)
class Replay:
    response: StoredResponse


ClaimOutcome = Claimed | InFlight | Mismatch | Replay


class IdempotencyKeys(Protocol):
    async def claim(self, environment_id: str, key: str, fingerprint: str) -> ClaimOutcome: ...

    async def complete(self, environment_id: str, key: str, claim_id: str, response: StoredResponse) -> None:
        """Store the answer; later requests with the key replay it until the key expires."""

    async def release(self, environment_id: str, key: str, claim_id: str) -> None:
        """Forget the claim: the next request with the key runs as a new one."""


def associated_data(environment_id: str, key: str) -> bytes:
    """Binds a sealed answer to its row: copied under another environment or key, it fails to open."""
    return b"idempotency\x00" + environment_id.encode() + b"\x00" + key.encode("utf-8", "surrogatepass")


def _now() -> datetime:
    return datetime.now(UTC)


_table = idempotency_keys
_ROW = select(_table).where(_table.c.environment_id == bindparam("environment_id"), _table.c.key == bindparam("key"))


class SqlIdempotencyKeys:
    """Keys in the store's database (SQLite or PostgreSQL); the primary key (environment, key) decides claims."""

    def __init__(self, engines: Engines, cipher: Cipher, ttl: float, lease: float) -> None:
        self._engines = engines
        self._cipher = cipher
        self._ttl = timedelta(seconds=ttl)
        self._lease = timedelta(seconds=lease)
        self._insert = (postgresql.insert if engines.dialect == "postgresql" else sqlite.insert)(_table)
        self._next_purge = 0.0

    async def claim(self, environment_id: str, key: str, fingerprint: str) -> ClaimOutcome:
        await self._purge_now_and_then()
        for _ in range(5):
            now = _now()
            claim_id = str(uuid.uuid4())
            fresh = {"fingerprint": fingerprint, "claim_id": claim_id, "state": IN_FLIGHT, "response_ciphertext": None,
                     "created_at": now, "locked_until": now + self._lease, "expires_at": now + self._ttl}
            async with self._engines.writes.begin() as conn:
                inserted = (await conn.execute(
                    self._insert.values(environment_id=environment_id, key=key, **fresh)
                    .on_conflict_do_nothing(index_elements=[_table.c.environment_id, _table.c.key])
                    .returning(_table.c.claim_id))).first()
            if inserted is not None:
                return Claimed(claim_id)
            async with self._engines.reads.connect() as conn:
                row = (await conn.execute(_ROW, {"environment_id": environment_id, "key": key})).first()
            if row is None:
                continue  # purged between the insert and the read: try to insert again
            if row.expires_at <= now or (row.state == IN_FLIGHT and row.locked_until <= now):
                # Expired, or abandoned by a process that died mid-call: take it over, unless another
                # request did so first (the claim id it read no longer matches).
                async with self._engines.writes.begin() as conn:
                    taken = await conn.execute(
                        update(_table)
                        .where(_table.c.environment_id == environment_id, _table.c.key == key,
                               _table.c.claim_id == row.claim_id)
                        .values(**fresh))
                if taken.rowcount == 1:
                    return Claimed(claim_id)
                continue
            if row.fingerprint != fingerprint:
                return Mismatch()
            if row.state == IN_FLIGHT:
                return InFlight()
            plaintext = self._cipher.decrypt(bytes(row.response_ciphertext), associated_data(environment_id, key))
            return Replay(StoredResponse.from_bytes(plaintext))
        return InFlight()  # the key changed hands on every attempt: answer as if in flight, the client retries

    async def complete(self, environment_id: str, key: str, claim_id: str, response: StoredResponse) -> None:
        sealed = self._cipher.encrypt(response.to_bytes(), associated_data(environment_id, key))
        async with self._engines.writes.begin() as conn:
            done = await conn.execute(
                update(_table)
                .where(_table.c.environment_id == environment_id, _table.c.key == key, _table.c.claim_id == claim_id)
                .values(state=DONE, response_ciphertext=sealed))
        if done.rowcount != 1:
            log.warning("an idempotency key's claim was taken over before its answer was stored "
                        "(the call outlasted UNIGATE_IDEMPOTENCY_LEASE)")

    async def release(self, environment_id: str, key: str, claim_id: str) -> None:
        async with self._engines.writes.begin() as conn:
            await conn.execute(
                delete(_table)
                .where(_table.c.environment_id == environment_id, _table.c.key == key, _table.c.claim_id == claim_id))

    async def purge_expired(self) -> int:
        """Delete expired keys; returns how many."""
        async with self._engines.writes.begin() as conn:
            result = await conn.execute(delete(_table).where(_table.c.expires_at <= _now()))
        return result.rowcount

    async def _purge_now_and_then(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_INTERVAL
        try:
            await self.purge_expired()
        except Exception:  # a purge is housekeeping: never fail the request for it
            log.warning("purging expired idempotency keys failed", exc_info=True)
