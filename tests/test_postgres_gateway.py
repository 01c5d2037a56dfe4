"""Two gateways over one PostgreSQL database: what one writes, the other serves.

Runs when UNIGATE_TEST_POSTGRES_URL is set (.ci/run sets it); skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
import requests
from sqlalchemy.engine import make_url
from support import postgres_admin

from unigate.app import create_app
from unigate.cli import create_token
from unigate.serving import start_in_thread
from unigate.settings import Settings

POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="set UNIGATE_TEST_POSTGRES_URL to run the gateway on PostgreSQL")


async def admin(statement: str) -> None:
    await postgres_admin(POSTGRES_URL, statement)


@pytest.fixture
def two_gateways(sandbox, tmp_path):
    name = f"unigate_gw_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    key = "a-shared-secret-key-for-both-gateways"
    settings = [Settings(data_dir=tmp_path / f"gw{i}", database_url=url, secret_key=key, sandbox_url=sandbox.url,
                         cache_ttl=0.3) for i in (1, 2)]
    token = asyncio.run(create_token(settings[0], "pg", "pg-env"))
    servers = [start_in_thread(create_app(s)) for s in settings]
    try:
        yield token, [s.url for s in servers]
    finally:
        for server in servers:
            server.stop()
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_an_account_made_on_one_gateway_is_served_by_the_other(two_gateways, sandbox):
    token, (first, second) = two_gateways
    headers = {"Authorization": f"Bearer {token}"}
    sandbox.control("pipedrive").reset()
    account = requests.post(f"{first}/integrated-account", headers=headers, timeout=10,
                            json={"integration": "pipedrive", "is_sandbox": True}).json()
    listed = requests.get(f"{second}/unified/crm/accounts", headers=headers, timeout=10,
                          params={"integrated_account_id": account["id"], "limit": 2})
    assert listed.status_code == 200, listed.text
    assert listed.json()["result_count"] == 2

    requests.delete(f"{first}/integrated-account/{account['id']}", headers=headers, timeout=10)
    # The other gateway forgets the account once its cache entry expires (cache_ttl): poll, bounded.
    deadline = time.monotonic() + 10
    while True:
        gone = requests.get(f"{second}/unified/crm/accounts", headers=headers, timeout=10,
                            params={"integrated_account_id": account["id"]})
        if gone.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert gone.status_code == 404, gone.text
