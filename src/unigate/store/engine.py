"""Async engines tuned per database.

Two views of one connection pool:

* ``reads``: single statements with no surrounding transaction (PostgreSQL autocommit,
  SQLite without ``BEGIN``), which saves the BEGIN/ROLLBACK round trips on the hot path.
* ``writes``: real transactions. On SQLite they start with ``BEGIN IMMEDIATE``, so a
  read-then-write (a context patch) takes the write lock up front instead of failing
  with "database is locked" when another process wrote in between; the busy timeout
  makes a second writer wait rather than fail.

Every wait has a bound, the ``timeout`` given (``UNIGATE_STORE_TIMEOUT``): opening a connection (TCP and
PostgreSQL's start-up), each statement, a pool checkout, and SQLite's wait for a lock. A database that is
down or silent then fails the request within seconds (``store/availability.py``) instead of holding it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

_SQLITE_BEGIN = "unigate_sqlite_begin"
_WAL_ATTEMPTS = 100


@dataclass(frozen=True)
class Engines:
    base: AsyncEngine
    reads: AsyncEngine
    writes: AsyncEngine
    # SQLite in memory: one shared connection, so no second engine may be opened on the same database.
    in_memory: bool = False

    @property
    def dialect(self) -> str:
        return self.base.dialect.name

    async def dispose(self) -> None:
        await self.base.dispose()


def create_engines(url: str, timeout: float) -> Engines:
    """Engines whose every wait on the database ends after `timeout` seconds."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engines(url, timeout, in_memory=parsed.database in (None, "", ":memory:"))
    engine = create_async_engine(
        url,
        pool_timeout=timeout,
        # asyncpg: `timeout` bounds the connection's opening (TCP and start-up), `command_timeout` each
        # statement, ROLLBACK included (https://magicstack.github.io/asyncpg/current/api/index.html#connection).
        connect_args={"timeout": timeout, "command_timeout": timeout},
    )
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    return Engines(base=engine, reads=reads, writes=engine)


def _sqlite_engines(url: str, timeout: float, *, in_memory: bool) -> Engines:
    # Every connection to ":memory:" is a new, empty database: share one connection.
    engine = (create_async_engine(url, poolclass=StaticPool) if in_memory
              else create_async_engine(url, pool_timeout=timeout))
    busy_timeout_ms = max(1, int(timeout * 1000))

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions start
        # (the documented recipe for pysqlite/aiosqlite); see _on_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Per-connection settings only; WAL is a property of the file (see prepare_database).
        # A lock held by another process is waited for at most `timeout`, then "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        # NORMAL is durable across application crashes in WAL mode and far cheaper than FULL.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN)
        if mode:
            conn.exec_driver_sql(f"BEGIN {mode}")
        # No mode: a read; each statement runs in SQLite's own implicit transaction.

    writes = engine.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
    return Engines(base=engine, reads=engine, writes=writes, in_memory=in_memory)


async def prepare_database(engines: Engines) -> None:
    """One-time settings of the database itself, before the first migration."""
    if engines.dialect != "sqlite":
        return
    # WAL: readers never block the writer and the writer never blocks readers. The mode
    # is stored in the file, so it is set once here rather than on every connection.
    # Two processes switching a new file at the same moment can get an immediate
    # "database is locked" (SQLite does not wait there), hence the retries.
    for attempt in range(_WAL_ATTEMPTS):
        try:
            async with engines.reads.connect() as conn:
                await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == _WAL_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.05)
