"""The job queue webhook deliveries run on: huey, over a store unigate already runs on.

huey keeps its queue in Redis when UNIGATE_REDIS_URL is set, else beside the database: its own tables
in the same PostgreSQL database (psycopg), or a SQLite file next to the SQLite database. Every gateway
process sharing the database shares the queue; the queue's name is derived from the database URL, so
gateways on other databases sharing one Redis never take each other's jobs. Why huey: docs/deploy.md,
"Webhook deliveries".
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey
from sqlalchemy.engine import make_url

from unigate.settings import Settings

# Seconds huey's SQLite connections wait for another writer.
_SQLITE_BUSY_TIMEOUT = 30.0


def open_queue(settings: Settings) -> Huey:
    """The queue, its tables created if needed (blocking I/O: call it off the event loop)."""
    url = make_url(settings.resolved_database_url)
    name = "unigate-webhooks-" + hashlib.sha256(settings.resolved_database_url.encode()).hexdigest()[:12]
    # Results are not kept: a delivery's outcome is its row (store/webhooks.py).
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False, utc=True)
    if url.get_backend_name() == "postgresql":
        # huey uses psycopg (3) with a libpq connection string: the same URL without the async driver.
        # asyncpg's `ssl=` is libpq's `sslmode=`.
        query = dict(url.query)
        if "ssl" in query:
            query.setdefault("sslmode", query.pop("ssl"))
        dsn = url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)
        return PostgresHuey(name, dsn=dsn, table_prefix="unigate_jobs", results=False, utc=True)
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("mode") == "memory":
        # An in-memory store lives in one process; so does its queue.
        return MemoryHuey(name, results=False, utc=True)
    return SqliteHuey(name, filename=str(Path(database).with_name(Path(database).name + ".jobs")),
                      # Off the event loop (jobs run on huey's threads): waiting for another process's write
                      # lock, e.g. several workers creating the file at once, costs no request anything.
                      results=False, utc=True, timeout=max(settings.store_timeout, _SQLITE_BUSY_TIMEOUT))
