"""Telling "the store cannot be reached" apart from every other failure, once, for every route.

A database or Redis that is down, refuses connections or stops answering surfaces as many exception
types: the driver's connection errors, SQLAlchemy's OperationalError or pool timeout, asyncio's
TimeoutError from a bounded wait (store/engine.py), Redis's ConnectionError and TimeoutError, or this
module's :class:`StoreUnavailable`. :func:`is_store_unavailable` recognises them all, and the edge turns
any of them into the same 503 with `Retry-After` (docs/reliability.md, "Stores that fail").
"""

from __future__ import annotations

import sqlalchemy.exc


class StoreUnavailable(Exception):
    """The database or Redis did not answer; the request may be sent again shortly."""

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(f"{store} unavailable: {reason}")
        self.store = store


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        import redis.exceptions
    except ImportError:  # Redis is optional
        return ()
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _asyncpg_errors() -> tuple[type[BaseException], ...]:
    try:
        import asyncpg
    except ImportError:  # PostgreSQL is optional
        return ()
    # Raised as they are by the change feed's own pool (store/changes.py).
    return (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError)


# SQLSTATEs of a server going away: connection exceptions (08…), admin or crash shutdown, starting up
# (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_GONE_SQLSTATES = ("08", "57P01", "57P02", "57P03")

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    StoreUnavailable,
    sqlalchemy.exc.OperationalError,  # the database refused or dropped the connection, SQLite "locked"
    sqlalchemy.exc.InterfaceError,  # the driver's connection is closed
    sqlalchemy.exc.TimeoutError,  # no pooled connection within the pool timeout
    TimeoutError,  # a bounded wait (connect, statement) ended; asyncio's is the same class
    OSError,  # a host that cannot be resolved or reached, a connection reset
    *_asyncpg_errors(),
    *_redis_errors(),
)


# Every class whose instances may be a store failure, for frameworks that dispatch on the class.
STORE_FAILURE_TYPES: tuple[type[BaseException], ...] = (*_UNAVAILABLE, sqlalchemy.exc.DBAPIError)


def is_store_unavailable(error: BaseException) -> bool:
    if isinstance(error, _UNAVAILABLE):
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        original = error.orig.__cause__ if error.orig is not None else None
        sqlstate = getattr(original, "sqlstate", None) or getattr(error.orig, "sqlstate", None)
        return isinstance(sqlstate, str) and sqlstate.startswith(_GONE_SQLSTATES)
    return False
