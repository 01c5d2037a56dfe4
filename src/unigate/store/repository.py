"""The store: environments, API tokens and integrated accounts behind one async API.

The gateway reads through this on cache misses of its hot path, so reads are single
pre-built Core statements without a surrounding transaction (see ``engine.py``), and
only writes open transactions. Every account query is scoped by environment: an
account id from another environment behaves exactly like an id that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.engine import Row, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from unigate.settings import Settings
from unigate.store.changes import Change, ChangeFeed, change_feed_for
from unigate.store.crypto import Cipher, resolve_key
from unigate.store.engine import Engines, create_engines, prepare_database
from unigate.store.migrate import upgrade_to_head
from unigate.store.pagination import decode_cursor, encode_cursor
from unigate.store.records import UNSET, ApiToken, Environment, IntegratedAccount, LinkToken, OAuthState, Unset
from unigate.store.tables import api_tokens, environments, integrated_accounts, link_tokens, oauth_states
from unigate.store.webhooks import Webhooks

TOKEN_PREFIX = "ug_"
LINK_TOKEN_PREFIX = "ult_"
# Seconds each statement of the schema migration at start-up may take (it may wait for another
# process's migration); requests use UNIGATE_STORE_TIMEOUT.
MIGRATION_TIMEOUT = 120.0

_accounts = integrated_accounts

# Built once: the hot-path lookups then cost only parameter binding and the
# compiled-statement cache hit.
_TOKEN_LOOKUP = select(api_tokens.c.token_hash, api_tokens.c.environment_id).where(
    api_tokens.c.token_hash == bindparam("token_hash"))
_ENVIRONMENT_BY_ID = select(environments).where(environments.c.id == bindparam("environment_id"))
_ENVIRONMENT_BY_NAME = select(environments).where(environments.c.name == bindparam("name"))
_ACCOUNT_VERSION = select(_accounts.c.updated_at).where(
    _accounts.c.id == bindparam("account_id"),
    _accounts.c.environment_id == bindparam("environment_id"),
)
_ACCOUNT_BY_ID = select(_accounts).where(
    _accounts.c.id == bindparam("account_id"),
    _accounts.c.environment_id == bindparam("environment_id"),
)


def _link_token(row: Any) -> LinkToken:
    integrations = json.loads(row["integrations"]) if row["integrations"] else None
    return LinkToken(environment_id=row["environment_id"], tenant_id=row["tenant_id"], account_id=row["account_id"],
                     integrations=tuple(integrations) if integrations else None, redirect_uri=row["redirect_uri"],
                     is_sandbox=bool(row["is_sandbox"]), created_at=row["created_at"], expires_at=row["expires_at"],
                     used_at=row["used_at"], used_account_id=row["used_account_id"])


def hash_token(plaintext: str) -> str:
    """What is stored for a token. Plain SHA-256 suffices: tokens carry 256 random bits,
    so there is nothing to brute-force and no need for a slow hash on every request."""
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def account_summary(account: IntegratedAccount) -> dict[str, Any]:
    """An account as events carry it when nothing better is plugged in (Store.account_payload): no context."""
    return {"id": account.id, "tenant_id": account.tenant_id, "environment_id": account.environment_id,
            "integration": {"name": account.integration}, "status": account.status,
            "is_sandbox": account.is_sandbox, "authentication_method": account.authentication_method,
            "created_at": _iso(account.created_at), "updated_at": _iso(account.updated_at)}


def _status_events(before: str | None, after: str) -> list[str]:
    """The events a status change means (https://truto.one/docs/guides/webhooks/list-webhook-events)."""
    if before == after:
        return []
    if after == "needs_reauth":
        return ["integrated_account:authentication_error"]
    if after == "active":
        return ["integrated_account:reactivated" if before == "needs_reauth" else "integrated_account:active"]
    return []


class LockedAccount:
    """An integrated account read under its row lock (Store.account_for_update); changes commit on exit."""

    def __init__(self, store: Store, conn: AsyncConnection, account: IntegratedAccount) -> None:
        self._store = store
        self._conn = conn
        self.account = account
        self.changed = False
        # Webhook deliveries written in this transaction, queued once it commits.
        self.deliveries: list[str] = []

    async def update(self, *, context_patch: dict[str, Any] | None = None, updated_event: bool = False,
                     **fields: Any) -> IntegratedAccount:
        """Set `fields` (columns: status, tenant_id, …) and merge `context_patch` into the context.

        A status change sends its event (authentication_error, reactivated, active); `updated_event` also
        sends integrated_account:updated (a change the app made, not a token refresh)."""
        self.account, deliveries = await self._store._apply_update(self._conn, self.account, fields, context_patch,
                                                                   updated_event)
        self.deliveries.extend(deliveries)
        self.changed = True
        return self.account


class Store:
    """Open with :meth:`Store.open`; one instance is shared by the whole process."""

    def __init__(self, engines: Engines, cipher: Cipher, changes: ChangeFeed | None = None) -> None:
        self._engines = engines
        self._cipher = cipher
        # Tells every gateway process about writes (store/changes.py); started by the gateway.
        self.changes = changes if changes is not None else ChangeFeed()
        self.webhooks = Webhooks(engines, cipher)
        # What an integrated_account:* event carries: the gateway plugs in the admin API's own shape (secrets
        # masked); events must never carry secrets.
        self.account_payload: Callable[[IntegratedAccount], dict[str, Any]] = account_summary

    @classmethod
    async def open(cls, settings: Settings) -> Store:
        """Create the data directory, load or create the key, migrate to the newest schema."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        _create_sqlite_directory(url)
        cipher = Cipher(resolve_key(settings.secret_key, settings.data_dir))
        engines = create_engines(url, settings.store_timeout)
        try:
            # Start-up waits longer than a request: a migration may wait for another process's.
            migrating = engines if engines.in_memory else create_engines(url, max(settings.store_timeout,
                                                                                   MIGRATION_TIMEOUT))
            try:
                await prepare_database(migrating)
                await upgrade_to_head(migrating)
            finally:
                if migrating is not engines:
                    await migrating.dispose()
        except BaseException:
            await engines.dispose()
            raise
        return cls(engines, cipher, change_feed_for(url, settings.store_timeout))

    async def close(self) -> None:
        await self.changes.stop()
        await self._engines.dispose()

    @property
    def dialect(self) -> str:
        return self._engines.dialect

    @property
    def engines(self) -> Engines:
        """The connection pools, for the gateway's shared state kept in the same database."""
        return self._engines

    @property
    def cipher(self) -> Cipher:
        """The store key's cipher, for other data sealed at rest (stored idempotent responses)."""
        return self._cipher

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query (for /health)."""
        async with self._engines.reads.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def _announce(self, conn: Any, change: Change) -> None:
        await self.changes.in_transaction(conn, change)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # Environments

    async def ensure_environment(self, name: str) -> Environment:
        """The environment called ``name``, created if there is none yet."""
        existing = await self._environment_by_name(name)
        if existing is not None:
            return existing
        environment = Environment(id=str(uuid.uuid4()), name=name, created_at=_now())
        try:
            async with self._engines.writes.begin() as conn:
                await conn.execute(
                    insert(environments).values(
                        id=environment.id, name=name, created_at=environment.created_at
                    )
                )
        except IntegrityError:
            # Another process created it between our read and our insert.
            existing = await self._environment_by_name(name)
            if existing is None:
                raise
            return existing
        return environment

    async def get_environment(self, environment_id: str) -> Environment | None:
        async with self._engines.reads.connect() as conn:
            row = (await conn.execute(_ENVIRONMENT_BY_ID, {"environment_id": environment_id})).first()
        return _environment(row) if row is not None else None

    async def _environment_by_name(self, name: str) -> Environment | None:
        async with self._engines.reads.connect() as conn:
            row = (await conn.execute(_ENVIRONMENT_BY_NAME, {"name": name})).first()
        return _environment(row) if row is not None else None

    # API tokens

    async def create_token(self, name: str, environment_id: str) -> tuple[ApiToken, str]:
        """A new token for the environment, and its plaintext: shown once, stored only as a hash."""
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return await self.import_token(name, environment_id, plaintext), plaintext

    async def import_token(self, name: str, environment_id: str, plaintext: str) -> ApiToken:
        """Register a token chosen by the operator (e.g. `unigate demo --api-token`); stored as a hash."""
        if len(plaintext) < 16:
            raise ValueError("an API token must be at least 16 characters long")
        token = ApiToken(id=str(uuid.uuid4()), name=name, environment_id=environment_id, created_at=_now())
        try:
            async with self._engines.writes.begin() as conn:
                await conn.execute(
                    insert(api_tokens).values(
                        id=token.id,
                        name=name,
                        environment_id=environment_id,
                        token_hash=hash_token(plaintext),
                        created_at=token.created_at,
                    )
                )
                # Processes may remember this token as unknown (they cache refusals too).
                await self._announce(conn, ("token", None, None))
                deliveries = await self.webhooks.record(conn, environment_id, "api_token:created", _token_payload(token))
        except IntegrityError as error:
            raise ValueError(f"unknown environment {environment_id!r} or a token that already exists") from error
        self.changes.committed(("token", None, None))
        self.webhooks.committed(deliveries)
        return token

    async def list_tokens(self, environment_id: str | None = None) -> list[ApiToken]:
        """The API tokens (never their hashes) of one environment, or of all, oldest first."""
        query = select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.environment_id, api_tokens.c.created_at)
        if environment_id is not None:
            query = query.where(api_tokens.c.environment_id == environment_id)
        async with self._engines.reads.connect() as conn:
            rows = (await conn.execute(query.order_by(api_tokens.c.created_at, api_tokens.c.id))).all()
        return [ApiToken(id=r.id, name=r.name, environment_id=r.environment_id, created_at=r.created_at) for r in rows]

    async def revoke_token(self, token_id: str, environment_id: str | None = None) -> bool:
        """Delete the token (in that environment, when given); every process forgets it at the notice."""
        condition = api_tokens.c.id == token_id
        if environment_id is not None:
            condition = condition & (api_tokens.c.environment_id == environment_id)
        deliveries: list[str] = []
        async with self._engines.writes.begin() as conn:
            removed = (await conn.execute(delete(api_tokens).where(condition).returning(
                api_tokens.c.id, api_tokens.c.name, api_tokens.c.environment_id, api_tokens.c.created_at))).first()
            if removed is not None:
                await self._announce(conn, ("token", None, None))
                token = ApiToken(id=removed.id, name=removed.name, environment_id=removed.environment_id,
                                 created_at=removed.created_at)
                deliveries = await self.webhooks.record(conn, token.environment_id, "api_token:deleted",
                                                        _token_payload(token))
        if removed is not None:
            self.changes.committed(("token", None, None))
            self.webhooks.committed(deliveries)
        return removed is not None

    async def environment_for_token(self, plaintext: str) -> str | None:
        """The id of the environment a token belongs to, or None for an unknown token."""
        if not plaintext:
            return None
        wanted = hash_token(plaintext)
        async with self._engines.reads.connect() as conn:
            row = (await conn.execute(_TOKEN_LOOKUP, {"token_hash": wanted})).first()
        # The index lookup compares hashes, not tokens: its timing depends on the SHA-256 of the guess,
        # which a caller cannot steer towards a stored hash, so it reveals nothing about any token.
        # The final check is constant-time all the same (docs/reliability.md, "Secrets").
        if row is None or not hmac.compare_digest(row.token_hash, wanted):
            return None
        return row.environment_id

    # Integrated accounts

    async def create_account(
        self,
        environment_id: str,
        integration: str,
        context: dict[str, Any],
        *,
        tenant_id: str | None = None,
        is_sandbox: bool = False,
        authentication_method: str | None = None,
        status: str = "active",
    ) -> IntegratedAccount:
        if not isinstance(context, dict):
            raise TypeError("context must be a dict")
        account_id = str(uuid.uuid4())
        now = _now()
        plaintext = orjson.dumps(context)
        try:
            async with self._engines.writes.begin() as conn:
                await conn.execute(
                    insert(_accounts).values(
                        id=account_id,
                        environment_id=environment_id,
                        tenant_id=tenant_id,
                        integration=integration,
                        status=status,
                        is_sandbox=is_sandbox,
                        authentication_method=authentication_method,
                        context_ciphertext=self._seal(account_id, plaintext),
                        created_at=now,
                        updated_at=now,
                    )
                )
                await self._announce(conn, ("account", environment_id, account_id))
                created = IntegratedAccount(id=account_id, environment_id=environment_id, tenant_id=tenant_id,
                                            integration=integration, status=status, is_sandbox=is_sandbox,
                                            authentication_method=authentication_method,
                                            context=orjson.loads(plaintext), created_at=now, updated_at=now)
                # In the account's transaction: the events exist exactly when the account does.
                payload = self.account_payload(created)
                deliveries = await self.webhooks.record(conn, environment_id, "integrated_account:created", payload)
                for event in _status_events(None, status):
                    deliveries += await self.webhooks.record(conn, environment_id, event, payload)
        except IntegrityError as error:
            raise ValueError(f"unknown environment {environment_id!r}") from error
        self.changes.committed(("account", environment_id, account_id))
        self.webhooks.committed(deliveries)
        return IntegratedAccount(
            id=account_id,
            environment_id=environment_id,
            tenant_id=tenant_id,
            integration=integration,
            status=status,
            is_sandbox=is_sandbox,
            authentication_method=authentication_method,
            # Re-read from the serialised form: the caller's dict stays theirs, and the
            # value equals what get_account will return (tuples become lists, ...).
            context=orjson.loads(plaintext),
            created_at=now,
            updated_at=now,
        )

    async def get_account(self, environment_id: str, account_id: str) -> IntegratedAccount | None:
        async with self._engines.reads.connect() as conn:
            row = (
                await conn.execute(
                    _ACCOUNT_BY_ID, {"account_id": account_id, "environment_id": environment_id}
                )
            ).first()
        return self._account(row) if row is not None else None

    async def account_version(self, environment_id: str, account_id: str) -> datetime | None:
        """The account's `updated_at`, or None if it is gone: a cheap check that a cached copy is current."""
        fast = await self.changes.account_version(environment_id, account_id)
        if fast is not NotImplemented:
            return fast
        async with self._engines.reads.connect() as conn:
            return (await conn.execute(_ACCOUNT_VERSION, {"account_id": account_id,
                                                          "environment_id": environment_id})).scalar_one_or_none()

    async def list_accounts(
        self,
        environment_id: str,
        *,
        integration: str | None = None,
        tenant_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[IntegratedAccount], str | None]:
        """One page in creation order, and the cursor of the next page (None on the last).

        A cursor is returned only when at least one more row exists, so a page is never
        empty while a next cursor is set. Raises ValueError for a cursor this store did
        not issue, or a limit below 1.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        conditions = [_accounts.c.environment_id == environment_id]
        if integration is not None:
            conditions.append(_accounts.c.integration == integration)
        if tenant_id is not None:
            conditions.append(_accounts.c.tenant_id == tenant_id)
        if status is not None:
            conditions.append(_accounts.c.status == status)
        if cursor is not None:
            after_created_at, after_id = decode_cursor(cursor)
            conditions.append(
                or_(
                    _accounts.c.created_at > after_created_at,
                    and_(_accounts.c.created_at == after_created_at, _accounts.c.id > after_id),
                )
            )
        statement = (
            select(_accounts)
            .where(*conditions)
            .order_by(_accounts.c.created_at, _accounts.c.id)
            .limit(limit + 1)  # one extra row tells whether a next page exists
        )
        async with self._engines.reads.connect() as conn:
            rows = (await conn.execute(statement)).all()
        page = [self._account(row) for row in rows[:limit]]
        next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
        return page, next_cursor

    async def update_account(
        self,
        environment_id: str,
        account_id: str,
        *,
        tenant_id: str | Unset | None = UNSET,
        status: str | Unset = UNSET,
        is_sandbox: bool | Unset = UNSET,
        authentication_method: str | Unset | None = UNSET,
        context_patch: dict[str, Any] | None = None,
    ) -> IntegratedAccount | None:
        """Change the given fields; None if the account is not in this environment.

        ``context_patch`` merges shallowly, as Truto's PATCH does: each top-level key
        replaces the stored one, keys the patch leaves out are kept. The context is then
        sealed again with a fresh nonce. ``updated_at`` is always bumped.
        """
        if context_patch is not None and not isinstance(context_patch, dict):
            raise TypeError("context_patch must be a dict")
        given = {"tenant_id": tenant_id, "status": status, "is_sandbox": is_sandbox,
                 "authentication_method": authentication_method}
        fields = {name: value for name, value in given.items() if value is not UNSET}
        async with self.account_for_update(environment_id, account_id) as locked:
            if locked is None:
                return None
            return await locked.update(context_patch=context_patch, updated_event=True, **fields)

    @asynccontextmanager
    async def account_for_update(self, environment_id: str, account_id: str) -> AsyncIterator[LockedAccount | None]:
        """The account under its row lock until the block ends; its changes commit then, or roll back
        if the block raises. Another process asking for the same lock waits, then reads what was committed.

        PostgreSQL locks the row (FOR UPDATE); SQLite takes its database write lock (BEGIN IMMEDIATE).
        Keep the block short: on SQLite it holds every other writer.
        """
        async with self._engines.writes.begin() as conn:
            current = await self._account_for_update(conn, environment_id, account_id)
            locked = LockedAccount(self, conn, current) if current is not None else None
            yield locked
        if locked is not None and locked.changed:
            self.changes.committed(("account", environment_id, account_id))
            self.webhooks.committed(locked.deliveries)

    async def _account_for_update(self, conn: AsyncConnection, environment_id: str,
                                  account_id: str) -> IntegratedAccount | None:
        # FOR UPDATE (PostgreSQL; SQLite already holds its write lock): two patches
        # to one context must apply one after the other, not overwrite each other.
        row = (
            await conn.execute(
                _ACCOUNT_BY_ID.with_for_update(),
                {"account_id": account_id, "environment_id": environment_id},
            )
        ).first()
        return self._account(row) if row is not None else None

    async def _apply_update(self, conn: AsyncConnection, current: IntegratedAccount, fields: dict[str, Any],
                            context_patch: dict[str, Any] | None,
                            updated_event: bool) -> tuple[IntegratedAccount, list[str]]:
        """Write `fields` (column values) and the merged context inside the caller's locked transaction,
        with the webhook events the change means; returns the account and those deliveries."""
        changes: dict[str, Any] = {**fields, "updated_at": _now()}
        context = current.context
        if context_patch is not None:
            plaintext = orjson.dumps({**current.context, **context_patch})
            changes["context_ciphertext"] = self._seal(current.id, plaintext)
            context = orjson.loads(plaintext)
        await conn.execute(
            update(_accounts)
            .where(_accounts.c.id == current.id, _accounts.c.environment_id == current.environment_id)
            .values(**changes)
        )
        await self._announce(conn, ("account", current.environment_id, current.id))
        changes.pop("context_ciphertext", None)
        updated = replace(current, context=context, **changes)
        events = ["integrated_account:updated"] if updated_event else []
        events += _status_events(current.status, updated.status)
        deliveries: list[str] = []
        if events:
            payload = self.account_payload(updated)
            for event in events:
                deliveries += await self.webhooks.record(conn, current.environment_id, event, payload)
        return updated, deliveries

    async def delete_account(self, environment_id: str, account_id: str) -> bool:
        """True if the account existed in this environment and is now gone."""
        deliveries: list[str] = []
        async with self._engines.writes.begin() as conn:
            result = await conn.execute(
                delete(_accounts).where(
                    _accounts.c.id == account_id, _accounts.c.environment_id == environment_id
                )
            )
            if result.rowcount > 0:
                await self._announce(conn, ("account", environment_id, account_id))
                # Truto's :deleted event carries only the id.
                deliveries = await self.webhooks.record(conn, environment_id, "integrated_account:deleted",
                                                        {"id": account_id})
        if result.rowcount > 0:
            self.changes.committed(("account", environment_id, account_id))
            self.webhooks.committed(deliveries)
        return result.rowcount > 0

    # OAuth connect states

    async def create_oauth_state(
        self,
        state: str,
        *,
        environment_id: str,
        integration: str,
        tenant_id: str | None,
        account_id: str | None,
        is_sandbox: bool,
        redirect_uri: str,
        callback_url: str,
        code_verifier: str | None,
        lifetime: timedelta,
    ) -> None:
        """Remember a connect flow under its state (stored as a hash; the PKCE verifier encrypted)."""
        state_hash = hash_token(state)
        now = _now()
        verifier = self._cipher.encrypt(code_verifier.encode(), state_hash.encode()) if code_verifier else b""
        async with self._engines.writes.begin() as conn:
            # Flows never completed would pile up: each new one sweeps the expired ones.
            await conn.execute(delete(oauth_states).where(oauth_states.c.expires_at < now))
            await conn.execute(
                insert(oauth_states).values(
                    state_hash=state_hash,
                    environment_id=environment_id,
                    integration=integration,
                    tenant_id=tenant_id,
                    account_id=account_id,
                    is_sandbox=is_sandbox,
                    redirect_uri=redirect_uri,
                    callback_url=callback_url,
                    verifier_ciphertext=verifier,
                    expires_at=now + lifetime,
                    created_at=now,
                )
            )

    # Link tokens (edge/link.py: the hosted connect page)

    async def create_link_token(self, *, environment_id: str, tenant_id: str | None, account_id: str | None,
                                integrations: list[str] | None, redirect_uri: str | None, is_sandbox: bool,
                                lifetime: timedelta) -> tuple[LinkToken, str]:
        """A new link token and its plaintext (shown once; stored as a hash)."""
        plaintext = LINK_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = _now()
        row = {"token_hash": hash_token(plaintext), "environment_id": environment_id, "tenant_id": tenant_id,
               "account_id": account_id, "integrations": json.dumps(integrations) if integrations else None,
               "redirect_uri": redirect_uri, "is_sandbox": is_sandbox, "created_at": now,
               "expires_at": now + lifetime, "used_at": None, "used_account_id": None}
        async with self._engines.writes.begin() as conn:
            # Tokens past their life are kept a day (so the page can say "expired"), then swept.
            await conn.execute(delete(link_tokens).where(link_tokens.c.expires_at < now - timedelta(days=1)))
            await conn.execute(insert(link_tokens).values(**row))
        return _link_token(row), plaintext

    async def get_link_token(self, plaintext: str) -> LinkToken | None:
        """The token as stored (used or expired ones too: the page says which), or None for an unknown one."""
        if not plaintext or len(plaintext) > 200:
            return None
        async with self._engines.reads.connect() as conn:
            row = (await conn.execute(select(link_tokens).where(
                link_tokens.c.token_hash == hash_token(plaintext)))).first()
        return _link_token(row._mapping) if row is not None else None

    async def use_link_token(self, plaintext: str, account_id: str) -> bool:
        """Mark the token used for `account_id`: true for the one caller that does so while it is unused and
        unexpired (one conditional UPDATE, so two submissions cannot both use it)."""
        now = _now()
        async with self._engines.writes.begin() as conn:
            result = await conn.execute(
                update(link_tokens)
                .where(link_tokens.c.token_hash == hash_token(plaintext), link_tokens.c.used_at.is_(None),
                       link_tokens.c.expires_at > now)
                .values(used_at=now, used_account_id=account_id))
        return result.rowcount == 1

    async def take_oauth_state(self, state: str) -> OAuthState | None:
        """The flow of `state`, deleted in the same statement so only one caller ever gets it.

        An expired flow is returned too (and deleted): the caller tells the user it expired.
        """
        state_hash = hash_token(state)
        async with self._engines.writes.begin() as conn:
            row = (
                await conn.execute(
                    delete(oauth_states).where(oauth_states.c.state_hash == state_hash).returning(*oauth_states.c)
                )
            ).first()
        if row is None:
            return None
        verifier = None
        if row.verifier_ciphertext:
            verifier = self._cipher.decrypt(bytes(row.verifier_ciphertext), state_hash.encode()).decode()
        return OAuthState(
            environment_id=row.environment_id,
            integration=row.integration,
            tenant_id=row.tenant_id,
            account_id=row.account_id,
            is_sandbox=bool(row.is_sandbox),
            redirect_uri=row.redirect_uri,
            callback_url=row.callback_url,
            code_verifier=verifier,
            expires_at=row.expires_at,
        )

    # Sealing

    def _seal(self, account_id: str, plaintext: bytes) -> bytes:
        return self._cipher.encrypt(plaintext, account_id.encode("utf-8"))

    def _account(self, row: Row[Any]) -> IntegratedAccount:
        context = orjson.loads(self._cipher.decrypt(bytes(row.context_ciphertext), row.id.encode("utf-8")))
        return IntegratedAccount(
            id=row.id,
            environment_id=row.environment_id,
            tenant_id=row.tenant_id,
            integration=row.integration,
            status=row.status,
            is_sandbox=bool(row.is_sandbox),
            authentication_method=row.authentication_method,
            context=context,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _token_payload(token: ApiToken) -> dict[str, Any]:
    """An API token as its events carry it: never the token, nor its hash."""
    return {"id": token.id, "name": token.name, "environment_id": token.environment_id,
            "created_at": _iso(token.created_at)}


def _environment(row: Row[Any]) -> Environment:
    return Environment(id=row.id, name=row.name, created_at=row.created_at)


def _create_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
