"""Fixed-window request counters for the gateway's own rate limits.

``hit`` adds one request to a subject's window and returns the window's count so far, atomically.
Two implementations, both shared by every gateway process: the store's database (one ``INSERT … ON
CONFLICT DO UPDATE … RETURNING`` per check, on PostgreSQL and on SQLite alike, so several workers on one
SQLite file share the limit too) and Redis (``unigate.store.redis_state.RedisWindowCounter``).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from unigate.store.engine import Engines
from unigate.store.tables import gateway_rate_windows

log = logging.getLogger("unigate.limits")

# How often (seconds) a process deletes the windows that have ended.
PURGE_INTERVAL = 60.0


class WindowCounter(Protocol):
    async def hit(self, scope: str, subject: str, window: int, expires_in: float) -> int:
        """Count one request in `window` (a window number) and return the count, this one included.
        `expires_in`: seconds until the window ends; its count may be forgotten after that."""
        ...


_table = gateway_rate_windows


class SqlWindowCounter:
    """Counts in the store's database: one atomic upsert per request, shared by all gateway processes."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines
        self._insert = (postgresql.insert if engines.dialect == "postgresql" else sqlite.insert)(_table)
        self._next_purge = 0.0

    async def hit(self, scope: str, subject: str, window: int, expires_in: float) -> int:
        await self._purge_now_and_then()
        statement = self._insert.values(
            scope=scope, subject=subject, window=window, hits=1,
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[_table.c.scope, _table.c.subject, _table.c.window],
            set_={"hits": _table.c.hits + 1},
        ).returning(_table.c.hits)
        async with self._engines.writes.begin() as conn:
            return (await conn.execute(upsert)).scalar_one()

    async def _purge_now_and_then(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_INTERVAL
        try:
            async with self._engines.writes.begin() as conn:
                await conn.execute(delete(_table).where(_table.c.expires_at <= datetime.now(UTC)))
        except Exception:  # housekeeping: never fail the request for it
            log.warning("purging ended rate-limit windows failed", exc_info=True)
