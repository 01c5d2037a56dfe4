"""Webhooks and their deliveries: the receivers an environment registered, and the outbox of events.

An event is written as one delivery row per active webhook that wants it, inside the transaction of
the change it reports (Store calls `record` with its own connection): an account created and its
`integrated_account:created` commit together or not at all, so a process killed after the commit
still leaves the event to be sent. Rows are then taken one attempt at a time with a lease
(`claim`), so with several gateway processes one attempt runs per delivery, and an attempt whose
process died is taken again when its lease ends (at-least-once; receivers de-duplicate on `id`).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from unigate.store.crypto import Cipher
from unigate.store.engine import Engines
from unigate.store.tables import webhook_deliveries, webhooks

# The events unigate sends (https://truto.one/docs/guides/webhooks/list-webhook-events); "test" is sent
# only by POST /webhook/test, to the one webhook named.
EVENTS = (
    "integrated_account:created",
    "integrated_account:updated",
    "integrated_account:active",
    "integrated_account:authentication_error",
    "integrated_account:reactivated",
    "integrated_account:deleted",
    "api_token:created",
    "api_token:deleted",
)
ALL_EVENTS = "*"


@dataclass(frozen=True)
class Webhook:
    id: str
    environment_id: str
    target_url: str
    event_types: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime

    def wants(self, event: str) -> bool:
        return ALL_EVENTS in self.event_types or event in self.event_types


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for one attempt: what to send, where, and how it is signed."""

    id: str
    webhook_id: str
    target_url: str
    secret: str
    body: bytes
    attempts: int
    webhook_active: bool


def _now() -> datetime:
    return datetime.now(UTC)


class Webhooks:
    """The webhook rows of one store (Store.webhooks)."""

    def __init__(self, engines: Engines, cipher: Cipher) -> None:
        self._engines = engines
        self._cipher = cipher
        # Called with the ids of deliveries just committed, to queue them at once (engine/webhooks.py);
        # without it they wait for the next sweep.
        self.on_committed: Callable[[list[str]], None] | None = None

    # -- the webhooks themselves -----------------------------------------------------------------
    async def create(self, environment_id: str, target_url: str, event_types: list[str],
                     is_active: bool = True) -> tuple[Webhook, str]:
        """A new webhook and its signing secret: returned here only, stored encrypted."""
        webhook_id = str(uuid.uuid4())
        secret = secrets.token_hex(32)
        now = _now()
        async with self._engines.writes.begin() as conn:
            await conn.execute(insert(webhooks).values(
                id=webhook_id, environment_id=environment_id, target_url=target_url,
                event_types=orjson.dumps(event_types).decode(), is_active=is_active,
                secret_ciphertext=self._cipher.encrypt(secret.encode(), webhook_id.encode()),
                created_at=now, updated_at=now))
        return Webhook(webhook_id, environment_id, target_url, list(event_types), is_active, now, now), secret

    async def get(self, environment_id: str, webhook_id: str) -> Webhook | None:
        async with self._engines.reads.connect() as conn:
            row = (await conn.execute(select(webhooks).where(
                webhooks.c.id == webhook_id, webhooks.c.environment_id == environment_id))).first()
        return _webhook(row) if row is not None else None

    async def all(self, environment_id: str) -> list[Webhook]:
        async with self._engines.reads.connect() as conn:
            rows = (await conn.execute(select(webhooks).where(webhooks.c.environment_id == environment_id)
                                       .order_by(webhooks.c.created_at, webhooks.c.id))).all()
        return [_webhook(row) for row in rows]

    async def update(self, environment_id: str, webhook_id: str, **fields: Any) -> Webhook | None:
        """Set target_url, event_types and/or is_active; None if there is no such webhook."""
        values = dict(fields)
        if "event_types" in values:
            values["event_types"] = orjson.dumps(values["event_types"]).decode()
        values["updated_at"] = _now()
        async with self._engines.writes.begin() as conn:
            result = await conn.execute(update(webhooks).where(
                webhooks.c.id == webhook_id, webhooks.c.environment_id == environment_id).values(**values))
        if result.rowcount == 0:
            return None
        return await self.get(environment_id, webhook_id)

    async def delete(self, environment_id: str, webhook_id: str) -> bool:
        """Gone with its deliveries (cascade): nothing more is sent to it."""
        async with self._engines.writes.begin() as conn:
            await conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id.in_(
                select(webhooks.c.id).where(webhooks.c.id == webhook_id,
                                            webhooks.c.environment_id == environment_id))))
            result = await conn.execute(delete(webhooks).where(
                webhooks.c.id == webhook_id, webhooks.c.environment_id == environment_id))
        return result.rowcount > 0

    # -- the outbox ------------------------------------------------------------------------------
    async def record(self, conn: AsyncConnection, environment_id: str, event: str, payload: dict[str, Any],
                     *, only: str | None = None) -> list[str]:
        """One delivery row per active webhook of the environment that wants `event` (or only the webhook
        `only`), written on the caller's connection so it commits with the change. Returns their ids."""
        query = select(webhooks.c.id, webhooks.c.event_types).where(
            webhooks.c.environment_id == environment_id, webhooks.c.is_active.is_(True))
        if only is not None:
            query = query.where(webhooks.c.id == only)
        targets = [row.id for row in (await conn.execute(query)).all()
                   if only is not None or _wants(orjson.loads(row.event_types), event)]
        if not targets:
            return []
        event_id = str(uuid.uuid4())
        now = _now()
        created_at = now.isoformat().replace("+00:00", "Z")
        rows = []
        for webhook_id in targets:
            body = orjson.dumps({"id": event_id, "event": event, "payload": payload, "environment_id": environment_id,
                                 "webhook_id": webhook_id, "created_at": created_at})
            rows.append({"id": str(uuid.uuid4()), "webhook_id": webhook_id, "event_id": event_id, "event": event,
                         "body": body, "state": "pending", "attempts": 0, "available_at": now,
                         "last_status": None, "created_at": now})
        await conn.execute(insert(webhook_deliveries), rows)
        return [row["id"] for row in rows]

    def committed(self, delivery_ids: Iterable[str]) -> None:
        ids = list(delivery_ids)
        if ids and self.on_committed is not None:
            self.on_committed(ids)

    async def record_now(self, environment_id: str, event: str, payload: dict[str, Any],
                         *, only: str | None = None) -> list[str]:
        """`record` in a transaction of its own (an event with no other write, such as `test`)."""
        async with self._engines.writes.begin() as conn:
            ids = await self.record(conn, environment_id, event, payload, only=only)
        self.committed(ids)
        return ids

    async def due(self, older_than: timedelta, limit: int = 200) -> list[str]:
        """Pending deliveries whose time came at least `older_than` ago: not queued (their process died
        before queueing them, or they were written by another program), or whose attempt's lease ended."""
        async with self._engines.reads.connect() as conn:
            rows = (await conn.execute(
                select(webhook_deliveries.c.id)
                .where(webhook_deliveries.c.state == "pending",
                       webhook_deliveries.c.available_at <= _now() - older_than)
                .order_by(webhook_deliveries.c.available_at).limit(limit))).all()
        return [row.id for row in rows]

    async def claim(self, delivery_id: str, lease: timedelta) -> Claimed | None:
        """Take a pending delivery whose time has come for one attempt, until `lease` from now; None when
        it is done, not due, or another process has it."""
        now = _now()
        async with self._engines.writes.begin() as conn:
            # One conditional UPDATE: of several processes handed the same id, one changes the row.
            taken = await conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.state == "pending",
                       webhook_deliveries.c.available_at <= now)
                .values(available_at=now + lease, attempts=webhook_deliveries.c.attempts + 1))
            if taken.rowcount == 0:
                return None
            row = (await conn.execute(
                select(webhook_deliveries.c.id, webhook_deliveries.c.webhook_id, webhook_deliveries.c.body,
                       webhook_deliveries.c.attempts, webhooks.c.target_url, webhooks.c.is_active,
                       webhooks.c.secret_ciphertext)
                .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
                .where(webhook_deliveries.c.id == delivery_id))).one()
        secret = self._cipher.decrypt(bytes(row.secret_ciphertext), row.webhook_id.encode()).decode()
        return Claimed(row.id, row.webhook_id, row.target_url, secret, bytes(row.body), row.attempts,
                       bool(row.is_active))

    async def finish(self, delivery_id: str, state: str, status: int | None = None) -> None:
        """The attempt's outcome: delivered, failed (no attempts left) or skipped (the webhook is off)."""
        async with self._engines.writes.begin() as conn:
            await conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                               .values(state=state, last_status=status))

    async def retry_at(self, delivery_id: str, when: datetime, status: int | None) -> None:
        async with self._engines.writes.begin() as conn:
            await conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                               .values(available_at=when, last_status=status))

    async def deactivate(self, webhook_id: str) -> None:
        """A webhook that keeps failing stops receiving: is_active false, its pending deliveries skipped."""
        async with self._engines.writes.begin() as conn:
            await conn.execute(update(webhooks).where(webhooks.c.id == webhook_id)
                               .values(is_active=False, updated_at=_now()))
            await conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id,
                                                                webhook_deliveries.c.state == "pending")
                               .values(state="skipped"))

    async def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        """Every delivery of a webhook, oldest first (state, attempts, last status): for tests and support."""
        async with self._engines.reads.connect() as conn:
            rows = (await conn.execute(
                select(webhook_deliveries.c.id, webhook_deliveries.c.event_id, webhook_deliveries.c.event,
                       webhook_deliveries.c.state, webhook_deliveries.c.attempts, webhook_deliveries.c.last_status)
                .where(webhook_deliveries.c.webhook_id == webhook_id)
                .order_by(webhook_deliveries.c.created_at))).all()
        return [dict(row._mapping) for row in rows]


def _wants(event_types: list[str], event: str) -> bool:
    return ALL_EVENTS in event_types or event in event_types


def _webhook(row: Any) -> Webhook:
    return Webhook(id=row.id, environment_id=row.environment_id, target_url=row.target_url,
                   event_types=orjson.loads(row.event_types), is_active=bool(row.is_active),
                   created_at=row.created_at, updated_at=row.updated_at)
