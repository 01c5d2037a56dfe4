"""Token and account lookups are cached, unknown ones included (bad ids must not become store reads)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.settings import Settings
from unigate.store.changes import ChangeFeed


class CountingStore:
    def __init__(self) -> None:
        self.changes = ChangeFeed()
        self.token_reads = 0
        self.account_reads = 0

    async def environment_for_token(self, token: str):
        self.token_reads += 1
        return "env" if token == "good" else None

    async def get_account(self, environment_id: str, account_id: str):
        self.account_reads += 1
        return None


def test_unknown_tokens_and_accounts_are_read_once(tmp_path):
    gateway = Gateway(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1", cache_ttl=60))
    store = CountingStore()
    gateway.store = store  # type: ignore[assignment]

    async def run():
        for _ in range(5):
            with pytest.raises(GatewayError) as bad_token:
                await gateway.environment_for("Bearer nope")
            assert bad_token.value.status == 401
            assert await gateway.environment_for("Bearer good") == "env"
        missing = str(uuid.uuid4())
        for _ in range(5):
            with pytest.raises(GatewayError) as unknown:
                await gateway.account_runtime("env", missing)
            assert unknown.value.status == 404

    asyncio.run(run())
    assert store.token_reads == 2  # one for the bad token, one for the good one
    assert store.account_reads == 1


def test_an_unchanged_account_keeps_its_runtime_and_step_cache(tmp_path):
    """Expiry re-reads the account; when it has not changed, the prepared runtime (and the results of
    steps cached per account, such as a board's column ids) are kept."""
    from datetime import datetime, timezone

    from unigate.store import IntegratedAccount

    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    account = IntegratedAccount(id=str(uuid.uuid4()), environment_id="env", tenant_id=None, integration="hubspot",
                                status="active", is_sandbox=True, authentication_method=None,
                                context={"access_token": "t"}, created_at=stamp, updated_at=stamp)

    class Store:
        changes = ChangeFeed()

        async def get_account(self, environment_id, account_id):
            return account

    gateway = Gateway(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1", cache_ttl=0))
    gateway.store = Store()  # type: ignore[assignment]

    async def run():
        first = await gateway.account_runtime("env", account.id)
        first.step_cache["board"] = {"columns": []}
        again = await gateway.account_runtime("env", account.id)  # expired (ttl 0), unchanged
        assert again is first and again.step_cache == {"board": {"columns": []}}
        changed = IntegratedAccount(**{**account.__dict__, "updated_at": datetime(2026, 2, 1, tzinfo=timezone.utc)})
        gateway.store.get_account = lambda *_: _value(changed)  # type: ignore[method-assign]
        fresh = await gateway.account_runtime("env", account.id)
        assert fresh is not first and fresh.step_cache == {}

    async def _value(value):
        return value

    asyncio.run(run())


def test_strict_mode_confirms_each_use_and_reads_again_only_after_a_change(tmp_path):
    """On PostgreSQL (notices arrive a moment late) each use of a cached account is confirmed with its
    `updated_at`; the full account is read again only when that moved (docs/deploy.md)."""
    from datetime import datetime, timezone

    from unigate.store import IntegratedAccount

    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    account = IntegratedAccount(id=str(uuid.uuid4()), environment_id="env", tenant_id=None, integration="hubspot",
                                status="active", is_sandbox=True, authentication_method=None,
                                context={"access_token": "t"}, created_at=stamp, updated_at=stamp)

    class LateFeed(ChangeFeed):
        delivered_by_event_loop = True

    class Store:
        changes = LateFeed()
        reads = 0
        confirmations = 0
        current = account

        async def get_account(self, environment_id, account_id):
            self.reads += 1
            return self.current

        async def account_version(self, environment_id, account_id):
            self.confirmations += 1
            return self.current.updated_at

        async def ping(self):
            return None

    gateway = Gateway(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1", cache_ttl=60,
                               cache_validation="strict"))
    store = Store()
    gateway.store = store  # type: ignore[assignment]
    gateway._confirm_each_use = True  # what start() sets for a feed whose notices arrive late

    async def run():
        first = await gateway.account_runtime("env", account.id)
        for _ in range(3):
            assert await gateway.account_runtime("env", account.id) is first
        assert (store.reads, store.confirmations) == (1, 3)
        store.current = IntegratedAccount(**{**account.__dict__, "context": {"access_token": "new"},
                                             "updated_at": datetime(2026, 2, 1, tzinfo=timezone.utc)})
        fresh = await gateway.account_runtime("env", account.id)
        assert fresh is not first and fresh.headers["Authorization"] == "Bearer new"
        assert store.reads == 2

    asyncio.run(run())


def test_requests_that_miss_together_share_one_store_read(tmp_path):
    """When an entry expires under load, the requests in flight wait for one read instead of each
    making their own (measured: 128 token reads in 12 s at 64 connections before, docs/benchmarks.md)."""

    class SlowStore(CountingStore):
        async def environment_for_token(self, token: str):
            await asyncio.sleep(0.05)
            return await super().environment_for_token(token)

        async def get_account(self, environment_id: str, account_id: str):
            await asyncio.sleep(0.05)
            return await super().get_account(environment_id, account_id)

    gateway = Gateway(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1", cache_ttl=60))
    store = SlowStore()
    gateway.store = store  # type: ignore[assignment]
    missing = str(uuid.uuid4())

    async def run():
        environments = await asyncio.gather(*[gateway.environment_for("Bearer good") for _ in range(20)])
        assert environments == ["env"] * 20
        outcomes = await asyncio.gather(*[gateway.account_runtime("env", missing) for _ in range(20)],
                                        return_exceptions=True)
        assert all(isinstance(o, GatewayError) and o.status == 404 for o in outcomes)

    asyncio.run(run())
    assert (store.token_reads, store.account_reads) == (1, 1)
