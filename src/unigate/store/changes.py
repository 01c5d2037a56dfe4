"""Telling every gateway process that an account or token changed, so no process serves a stale cache.

Each process caches token checks and prepared accounts (gateway.py). A write made by one process
must reach the others' caches at once, not after the cache's lifetime:

- PostgreSQL (several processes, possibly several machines): the writing transaction sends
  `pg_notify('unigate_changes', …)`, which PostgreSQL delivers to every listening process when,
  and only if, the transaction commits. Each process keeps one extra connection that LISTENs and
  drops the named cache entry. While that connection is down the process cannot trust its cache,
  so it bypasses it until the connection is back.
- SQLite (one machine): a change counter in a small memory-mapped file next to the database. A
  writer increments it after committing; every process compares it with the value it last saw
  on each request (one memory read) and empties its caches when it moved.
- SQLite in memory: one process only, nothing to tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import mmap
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

log = logging.getLogger("unigate.changes")

CHANNEL = "unigate_changes"
# How long to wait between attempts to reopen a lost LISTEN connection.
_RECONNECT_DELAY = 1.0
# Seconds between checks that the LISTEN connection's server still answers.
_LIVENESS_INTERVAL = 2.0
_COUNTER = struct.Struct("<Q")
_CONFIRM_POOL_SIZE = 8
_ACCOUNT_VERSION_SQL = "SELECT updated_at FROM integrated_accounts WHERE id = $1 AND environment_id = $2"

# What a listener is told: ("account", environment_id, account_id), ("token", None, None) for
# new tokens, or ("all", None, None) when everything must be forgotten.
Change = tuple[str, str | None, str | None]
Listener = Callable[[Change], None]


class ChangeFeed:
    """The in-memory case and the interface: writes are seen only by this process."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, change: Change) -> None:
        for listener in self._listeners:
            listener(change)

    async def start(self) -> None:
        """Begin receiving other processes' changes."""

    async def stop(self) -> None:
        pass

    # True where notices arrive as event-loop callbacks (asyncio's call_soon), which a request may
    # have to let run before it reads a cache.
    delivered_by_event_loop = False

    @property
    def trustworthy(self) -> bool:
        """False while other processes' changes might be missed: caches must not be used then."""
        return True

    def poll(self) -> None:
        """Called on every request before the caches are read; cheap."""

    async def account_version(self, environment_id: str, account_id: str) -> Any:
        """The account's `updated_at` by the fastest path this feed has, or NotImplemented."""
        return NotImplemented

    async def in_transaction(self, conn: Any, change: Change) -> None:
        """Announce `change` as part of the write transaction `conn` (sent only if it commits)."""

    def committed(self, change: Change) -> None:
        """Announce `change` after its transaction committed."""
        self._emit(change)


class SqliteChangeFeed(ChangeFeed):
    """A shared counter in `<database>.changes`, memory-mapped by every process on the machine."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _COUNTER.size:
                os.ftruncate(fd, _COUNTER.size)  # zero-filled; a concurrent truncate to the same size is harmless
            self._map = mmap.mmap(fd, _COUNTER.size)
        finally:
            os.close(fd)
        self._seen = self._read()

    def _read(self) -> int:
        return _COUNTER.unpack_from(self._map, 0)[0]

    def poll(self) -> None:
        current = self._read()
        if current != self._seen:
            self._seen = current
            self._emit(("all", None, None))

    def committed(self, change: Change) -> None:
        with open(self.path, "rb") as lock:  # the increment is a read-modify-write: serialize it
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                _COUNTER.pack_into(self._map, 0, self._read() + 1)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        self._seen = self._read()  # our own change: we evict precisely below, no need to empty all
        self._emit(change)

    async def stop(self) -> None:
        self._map.close()


class PostgresChangeFeed(ChangeFeed):
    """LISTEN/NOTIFY on a dedicated asyncpg connection."""

    delivered_by_event_loop = True

    def __init__(self, sqlalchemy_url: str, timeout: float = 5.0) -> None:
        super().__init__()
        self._timeout = timeout
        self._dsn = make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._connected = asyncio.Event()
        self._pool: Any = None

    @property
    def trustworthy(self) -> bool:
        return self._connected.is_set()

    async def start(self) -> None:
        import asyncpg

        # Confirming a cached account is one indexed read per call (strict mode): a plain asyncpg pool
        # does it in a fraction of what a SQLAlchemy checkout costs (no reset on release: reads only).
        # Each wait is bounded like the store's own (UNIGATE_STORE_TIMEOUT): opening, each query.
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=_CONFIRM_POOL_SIZE, reset=None,
                                               timeout=self._timeout, command_timeout=self._timeout)
        self._task = asyncio.create_task(self._keep_listening(), name="unigate-change-feed")
        # Serve only once listening, so no change is missed between start-up and the first request.
        await asyncio.wait_for(self._connected.wait(), timeout=30)

    async def _keep_listening(self) -> None:
        import asyncpg

        while not self._stopping:
            lost = asyncio.Event()
            try:
                connection = await asyncpg.connect(self._dsn, timeout=self._timeout, command_timeout=self._timeout)
                connection.add_termination_listener(lambda _conn, lost=lost: lost.set())  # this connection's event
                await connection.add_listener(CHANNEL, self._notified)
                self._connection = connection
                # Anything may have changed while no connection listened.
                self._emit(("all", None, None))
                self._connected.set()
                await self._watch(connection, lost)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure means: not listening, retry
                log.warning("change feed: cannot listen on PostgreSQL (%s); caches are bypassed until it can",
                            type(error).__name__)
            self._connected.clear()
            if self._connection is not None and not self._connection.is_closed():
                self._connection.terminate()  # a silent server: drop it without waiting for a goodbye
            self._emit(("all", None, None))
            if not self._stopping:
                await asyncio.sleep(_RECONNECT_DELAY)

    async def _watch(self, connection: Any, lost: asyncio.Event) -> None:
        """Until the connection is lost. A server that stops answering closes nothing, so the connection
        is also checked now and then: a check that times out counts as lost (caches are then bypassed)."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=_LIVENESS_INTERVAL)
                return
            await connection.execute("SELECT 1", timeout=self._timeout)

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        kind, _, rest = payload.partition(" ")
        environment_id, _, account_id = rest.partition(" ")
        self._emit((kind, environment_id or None, account_id or None))

    async def account_version(self, environment_id: str, account_id: str) -> Any:
        if self._pool is None:
            return NotImplemented
        # The checkout too is bounded: a silent server can hold every pooled connection.
        async with asyncio.timeout(self._timeout):
            return await self._pool.fetchval(_ACCOUNT_VERSION_SQL, account_id, environment_id)

    async def in_transaction(self, conn: Any, change: Change) -> None:
        payload = " ".join(part for part in change if part)
        await conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})

    def committed(self, change: Change) -> None:
        # The NOTIFY reaches this process too, but a moment later: evict our own entry at once.
        self._emit(change)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        if self._pool is not None:
            await self._pool.close()


def change_feed_for(url: str, timeout: float = 5.0) -> ChangeFeed:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return PostgresChangeFeed(url, timeout)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        return SqliteChangeFeed(Path(f"{Path(database).expanduser()}.changes"))
    return ChangeFeed()
