"""The store against real databases: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from unigate.settings import Settings
from unigate.store import UNSET, DecryptionError, IntegratedAccount, Store
from unigate.store.crypto import KEY_FILE_NAME, Cipher, key_from_secret
from unigate.store.migrate import alembic_config
from unigate.store.tables import Base, api_tokens, integrated_accounts

T = TypeVar("T")
CREDENTIAL = "pat-na1-SECRET-123"


def with_store(settings: Settings, scenario: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        store = await Store.open(settings)
        try:
            return await scenario(store)
        finally:
            await store.close()

    return asyncio.run(run())


async def raw(settings: Settings, statement: Any, params: dict | None = None, *, write: bool = False) -> Any:
    """Run one statement on the database directly, behind the store's back."""
    engine = create_async_engine(settings.resolved_database_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(statement, params or {})
            return None if write else result.all()
    finally:
        await engine.dispose()


def ciphertext_of(settings: Settings, account_id: str) -> bytes:
    rows = asyncio.run(
        raw(settings, select(integrated_accounts.c.context_ciphertext).where(integrated_accounts.c.id == account_id))
    )
    return bytes(rows[0][0])


# Schema


def test_migrations_create_tables_and_match_models(settings: Settings) -> None:
    with_store(settings, lambda store: asyncio.sleep(0))
    with_store(settings, lambda store: asyncio.sleep(0))  # reopening migrates nothing and fails nothing

    async def inspect_schema() -> tuple[set[str], list[Any], list[Any]]:
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        engine = create_async_engine(settings.resolved_database_url)
        try:
            async with engine.connect() as conn:
                names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
                diff = await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
                )
                return names, version, diff
        finally:
            await engine.dispose()

    names, version, diff = asyncio.run(inspect_schema())
    assert {"environments", "api_tokens", "integrated_accounts", "idempotency_keys", "gateway_rate_windows",
            "oauth_states", "alembic_version"} <= names
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert version == [(head,)]
    assert diff == [], "the tables in tables.py and the migrations disagree"


def test_concurrent_opens_migrate_once(settings: Settings) -> None:
    async def run() -> None:
        stores = await asyncio.gather(*(Store.open(settings) for _ in range(3)))
        try:
            environment = await stores[0].ensure_environment("default")
            assert await stores[2].get_environment(environment.id) == environment
        finally:
            for store in stores:
                await store.close()

    asyncio.run(run())


def test_sqlite_creates_missing_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "a" / "b"
    with_store(Settings(data_dir=data_dir, database_url=None, secret_key=None), lambda store: asyncio.sleep(0))
    assert (data_dir / "unigate.db").is_file()


# Environments and tokens


def test_ensure_environment_is_get_or_create(settings: Settings) -> None:
    async def scenario(store: Store) -> None:
        first = await store.ensure_environment("production")
        assert await store.ensure_environment("production") == first
        other = await store.ensure_environment("staging")
        assert other.id != first.id
        assert await store.get_environment(first.id) == first
        assert await store.get_environment("no-such-id") is None
        assert first.created_at.utcoffset() is not None and first.created_at.utcoffset().total_seconds() == 0

    with_store(settings, scenario)


def test_tokens_are_stored_as_hashes_and_resolve_to_their_environment(settings: Settings) -> None:
    async def scenario(store: Store) -> tuple[str, str]:
        environment = await store.ensure_environment("default")
        other = await store.ensure_environment("other")
        token, plaintext = await store.create_token("ci", environment.id)
        _, other_plaintext = await store.create_token("ci", other.id)
        assert plaintext.startswith("ug_") and len(plaintext) > 40
        assert token.environment_id == environment.id and token.name == "ci"
        assert await store.environment_for_token(plaintext) == environment.id
        assert await store.environment_for_token(other_plaintext) == other.id
        assert await store.environment_for_token(plaintext + "x") is None
        assert await store.environment_for_token("") is None
        with pytest.raises(ValueError):
            await store.create_token("orphan", "no-such-environment")
        return token.id, plaintext

    token_id, plaintext = with_store(settings, scenario)
    rows = asyncio.run(raw(settings, select(api_tokens).where(api_tokens.c.id == token_id)))
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert all(plaintext not in str(value) for value in rows[0])


# Accounts


def test_account_round_trip(settings: Settings) -> None:
    async def scenario(store: Store) -> None:
        environment = await store.ensure_environment("default")
        created = await store.create_account(
            environment.id,
            "hubspot",
            {"api_key": CREDENTIAL, "nested": {"a": [1, 2]}},
            tenant_id="tenant-1",
            is_sandbox=True,
            authentication_method="api_key",
        )
        assert isinstance(created, IntegratedAccount)
        assert created.status == "active"
        assert created.created_at == created.updated_at
        assert created.created_at.utcoffset().total_seconds() == 0
        assert await store.get_account(environment.id, created.id) == created
        with pytest.raises(ValueError):
            await store.create_account("no-such-environment", "hubspot", {})

    with_store(settings, scenario)


def test_other_environments_accounts_are_invisible(settings: Settings) -> None:
    async def scenario(store: Store) -> None:
        mine = await store.ensure_environment("mine")
        theirs = await store.ensure_environment("theirs")
        account = await store.create_account(mine.id, "hubspot", {"api_key": CREDENTIAL})
        assert await store.get_account(theirs.id, account.id) is None
        assert await store.list_accounts(theirs.id) == ([], None)
        assert await store.update_account(theirs.id, account.id, status="disabled", context_patch={"x": 1}) is None
        assert await store.delete_account(theirs.id, account.id) is False
        assert await store.get_account(mine.id, account.id) == account  # untouched
        assert await store.delete_account(mine.id, account.id) is True
        assert await store.get_account(mine.id, account.id) is None
        assert await store.delete_account(mine.id, account.id) is False
        assert await store.update_account(mine.id, account.id, status="x") is None

    with_store(settings, scenario)


def test_context_patch_merges_shallowly(settings: Settings) -> None:
    async def scenario(store: Store) -> None:
        environment = await store.ensure_environment("default")
        context = {
            "api_key": CREDENTIAL,
            "oauth": {"token": {"access_token": "a", "refresh_token": "r"}, "scope": "crm.read"},
            "region": "eu",
        }
        account = await store.create_account(environment.id, "hubspot", context, tenant_id="t-1")
        updated = await store.update_account(
            environment.id, account.id, context_patch={"oauth": {"scope": "crm.write"}, "instance": "x"}
        )
        expected = {"api_key": CREDENTIAL, "oauth": {"scope": "crm.write"}, "region": "eu", "instance": "x"}
        assert updated is not None and updated.context == expected
        assert updated.tenant_id == "t-1" and updated.status == "active"  # UNSET fields unchanged
        assert updated.created_at == account.created_at
        assert updated.updated_at > account.updated_at
        assert await store.get_account(environment.id, account.id) == updated

        # Plain fields: None is a value, UNSET leaves a field alone.
        changed = await store.update_account(
            environment.id, account.id, tenant_id=None, status="needs_reauth", is_sandbox=True
        )
        assert changed is not None
        assert (changed.tenant_id, changed.status, changed.is_sandbox) == (None, "needs_reauth", True)
        assert changed.context == expected and changed.authentication_method is None
        assert await store.get_account(environment.id, account.id) == changed
        assert repr(UNSET) == "UNSET"

    with_store(settings, scenario)


def test_list_filters_and_pagination(settings: Settings) -> None:
    async def scenario(store: Store) -> None:
        environment = await store.ensure_environment("default")
        other = await store.ensure_environment("other")
        await store.create_account(other.id, "hubspot", {})
        created: list[IntegratedAccount] = []
        for index in range(7):
            created.append(
                await store.create_account(
                    environment.id,
                    "hubspot" if index % 2 == 0 else "pipedrive",
                    {"n": index},
                    tenant_id=f"tenant-{index % 3}",
                    status="active" if index < 5 else "needs_reauth",
                )
            )

        async def all_pages(**filters: Any) -> list[IntegratedAccount]:
            seen: list[IntegratedAccount] = []
            cursor = None
            while True:
                page, cursor = await store.list_accounts(environment.id, limit=2, cursor=cursor, **filters)
                assert page, "a page is never empty"
                assert len(page) <= 2
                seen.extend(page)
                if cursor is None:
                    return seen

        assert [a.id for a in await all_pages()] == [a.id for a in created]
        assert [a.id for a in await all_pages(integration="pipedrive")] == [a.id for a in created[1::2]]
        assert [a.id for a in await all_pages(tenant_id="tenant-0")] == [created[0].id, created[3].id, created[6].id]
        assert [a.id for a in await all_pages(status="needs_reauth")] == [created[5].id, created[6].id]
        combined = await all_pages(integration="hubspot", status="active", tenant_id="tenant-1")
        assert [a.id for a in combined] == [created[4].id]
        assert await store.list_accounts(environment.id, integration="zoho") == ([], None)

        # An exact fit ends without a cursor: no empty last page.
        page, cursor = await store.list_accounts(environment.id, limit=7)
        assert len(page) == 7 and cursor is None
        page, cursor = await store.list_accounts(environment.id)
        assert [a.context for a in page] == [{"n": i} for i in range(7)] and cursor is None

        # Rows deleted between pages do not shift the next page.
        _first, cursor = await store.list_accounts(environment.id, limit=3)
        await store.delete_account(environment.id, created[0].id)
        second, _ = await store.list_accounts(environment.id, limit=3, cursor=cursor)
        assert [a.id for a in second] == [a.id for a in created[3:6]]

    with_store(settings, scenario)


def test_invalid_cursor_and_limit_raise_value_error(settings: Settings) -> None:
    async def scenario(store: Store) -> None:
        environment = await store.ensure_environment("default")
        bad = [
            "not a cursor!",
            base64.urlsafe_b64encode(b"nonsense").decode(),
            base64.urlsafe_b64encode(b"2024-01-01T00:00:00|").decode(),
            base64.urlsafe_b64encode(b"2024-01-01T00:00:00|naive-time").decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
            "",
        ]
        for cursor in bad:
            with pytest.raises(ValueError):
                await store.list_accounts(environment.id, cursor=cursor)
        with pytest.raises(ValueError):
            await store.list_accounts(environment.id, limit=0)

    with_store(settings, scenario)


# Encryption at rest


def test_every_write_uses_a_fresh_nonce(settings: Settings) -> None:
    async def scenario(store: Store) -> tuple[str, str, str]:
        environment = await store.ensure_environment("default")
        first = await store.create_account(environment.id, "hubspot", {"api_key": CREDENTIAL})
        second = await store.create_account(environment.id, "hubspot", {"api_key": CREDENTIAL})
        return environment.id, first.id, second.id

    environment_id, first_id, second_id = with_store(settings, scenario)
    first = ciphertext_of(settings, first_id)
    assert first != ciphertext_of(settings, second_id)
    assert first[0] == 1 and CREDENTIAL.encode() not in first

    # The same context written again is sealed under a new nonce.
    async def rewrite(store: Store) -> None:
        await store.update_account(environment_id, first_id, context_patch={"api_key": CREDENTIAL})

    with_store(settings, rewrite)
    rewritten = ciphertext_of(settings, first_id)
    assert rewritten != first
    assert rewritten[1:5] == first[1:5]  # same key id


def test_tampered_or_moved_ciphertext_fails_to_decrypt(settings: Settings) -> None:
    async def create(store: Store) -> tuple[str, str, str]:
        environment = await store.ensure_environment("default")
        one = await store.create_account(environment.id, "hubspot", {"api_key": CREDENTIAL})
        two = await store.create_account(environment.id, "hubspot", {"api_key": "other"})
        return environment.id, one.id, two.id

    environment_id, one_id, two_id = with_store(settings, create)
    original = ciphertext_of(settings, one_id)
    tampered = bytearray(original)
    tampered[-5] ^= 0x01

    def put(account_id: str, value: bytes) -> None:
        statement = (
            update(integrated_accounts)
            .where(integrated_accounts.c.id == account_id)
            .values(context_ciphertext=value)
        )
        asyncio.run(raw(settings, statement, write=True))

    async def read(store: Store, account_id: str) -> Any:
        return await store.get_account(environment_id, account_id)

    put(one_id, bytes(tampered))
    with pytest.raises(DecryptionError):
        with_store(settings, lambda store: read(store, one_id))

    # A valid ciphertext copied into another row is bound to its own row id.
    put(two_id, original)
    with pytest.raises(DecryptionError):
        with_store(settings, lambda store: read(store, two_id))

    put(one_id, original)
    assert with_store(settings, lambda store: read(store, one_id)).context == {"api_key": CREDENTIAL}


def test_key_file_is_owner_only_and_reused(settings: Settings) -> None:
    async def create(store: Store) -> tuple[str, str]:
        environment = await store.ensure_environment("default")
        account = await store.create_account(environment.id, "hubspot", {"api_key": CREDENTIAL})
        return environment.id, account.id

    environment_id, account_id = with_store(settings, create)
    key_file = settings.data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_bytes()

    async def read(store: Store) -> Any:
        return await store.get_account(environment_id, account_id)

    assert with_store(settings, read).context == {"api_key": CREDENTIAL}
    assert key_file.read_bytes() == before

    # Another key cannot read what this one sealed.
    foreign = Settings(
        data_dir=settings.data_dir,
        database_url=settings.resolved_database_url,
        secret_key=base64.urlsafe_b64encode(os.urandom(32)).decode(),
    )
    with pytest.raises(DecryptionError, match="different key"):
        with_store(foreign, read)


def test_secret_key_setting_overrides_key_file(tmp_path: Path) -> None:
    raw_key = os.urandom(32)
    encoded = base64.urlsafe_b64encode(raw_key).decode()
    assert key_from_secret(encoded) == raw_key
    assert key_from_secret(encoded.rstrip("=")) == raw_key
    derived = key_from_secret("correct horse battery staple")
    assert len(derived) == 32 and derived == key_from_secret("correct horse battery staple")
    assert derived != key_from_secret("correct horse battery staplf")

    settings = Settings(data_dir=tmp_path / "data", database_url=None, secret_key="correct horse battery staple")

    async def scenario(store: Store) -> IntegratedAccount:
        environment = await store.ensure_environment("default")
        return await store.create_account(environment.id, "hubspot", {"api_key": CREDENTIAL})

    account = with_store(settings, scenario)
    assert not (settings.data_dir / KEY_FILE_NAME).exists()
    sealed = ciphertext_of(settings, account.id)
    assert Cipher(derived).decrypt(sealed, account.id.encode()) == b'{"api_key":"pat-na1-SECRET-123"}'


def test_sqlite_files_hold_neither_credentials_nor_token_plaintext(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    database = settings.data_dir / "unigate.db"

    def database_bytes() -> bytes:
        files = sorted(settings.data_dir.glob("unigate.db*"))  # the database, -wal and -shm
        assert database in files
        return b"".join(path.read_bytes() for path in files)

    async def scenario(store: Store) -> str:
        environment = await store.ensure_environment("default")
        _, token = await store.create_token("ci", environment.id)
        account = await store.create_account(
            environment.id, "hubspot", {"api_key": CREDENTIAL, "oauth": {"token": {"access_token": CREDENTIAL}}}
        )
        await store.update_account(environment.id, account.id, context_patch={"password": CREDENTIAL})
        # While the store is open, the rows sit in the write-ahead log.
        assert (settings.data_dir / "unigate.db-wal").exists()
        contents = database_bytes()
        assert b"hubspot" in contents  # the rows are there in readable form...
        assert CREDENTIAL.encode() not in contents  # ...but not the credential
        assert token.encode() not in contents
        return token

    token = with_store(settings, scenario)
    contents = database_bytes()  # after close: checkpointed into the main file
    assert b"hubspot" in contents
    assert CREDENTIAL.encode() not in contents
    assert token.encode() not in contents
    assert token[3:].encode() not in contents
