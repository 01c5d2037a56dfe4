"""Token and account lookups are cached, unknown ones included (bad ids must not become store reads)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.settings import Settings


class CountingStore:
    def __init__(self) -> None:
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
