"""OAuth refresh across processes: two gateways on one PostgreSQL refresh once; a process killed while
refreshing leaves the store with a refresh token that still works.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from oauth_support import Gateway, connect, refresh_tokens_sent
from sqlalchemy.engine import make_url
from support import postgres_admin, start_gateway

from unigate.app import create_app
from unigate.cli import create_token
from unigate.serving import start_in_thread
from unigate.settings import Settings

POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")
HUBSPOT_TOKEN_PATH = "/hubspot/oauth/v1/token"


@pytest.fixture
def hubspot(sandbox):
    control = sandbox.control("hubspot")
    control.reset()
    yield control
    control.clear_faults()
    control.reset()


@pytest.fixture
def two_gateways_on_postgres(sandbox, tmp_path):
    if not POSTGRES_URL:
        pytest.skip("set UNIGATE_TEST_POSTGRES_URL to run two gateways on one PostgreSQL database")
    name = f"unigate_oauth_{uuid.uuid4().hex[:12]}"
    asyncio.run(postgres_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    settings = [Settings(data_dir=tmp_path / f"gw{i}", database_url=url, secret_key="one-key-for-both-gateways",
                         sandbox_url=sandbox.url, read_timeout=5.0, cache_ttl=5.0) for i in (1, 2)]
    token = asyncio.run(create_token(settings[0], "pg", "pg-env"))
    # Two Gateway objects: separate caches, locks and connection pools, as two processes have.
    servers = [start_in_thread(create_app(s)) for s in settings]
    try:
        yield [Gateway(server.url, token, s) for server, s in zip(servers, settings)]
    finally:
        for server in servers:
            server.stop()
        asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_two_gateways_on_one_database_refresh_once(two_gateways_on_postgres, hubspot):
    first, second = two_gateways_on_postgres
    account_id = connect(first, "hubspot")
    assert second.unified("GET", account_id, params={"limit": 1}).status_code == 200  # both have it cached
    hubspot.oauth(expire_all=True)
    hubspot.fault(delay=0.5, path_contains="/oauth/", times=-1)  # both meet the expired token meanwhile

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda i: (first, second)[i % 2].unified("GET", account_id,
                                                                         params={"limit": 1}).status_code,
                                 range(50)))
    assert statuses == [200] * 50
    assert hubspot.oauth_stats()["refresh_requests"] == 1


# -- a process killed while refreshing ---------------------------------------------------------------


def serve(data_dir: Path, sandbox_url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "UNIGATE_DATA_DIR": str(data_dir), "UNIGATE_SANDBOX_URL": sandbox_url,
           "UNIGATE_READ_TIMEOUT": "30", "UNIGATE_LOG_LEVEL": "warning"}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SECRET_KEY"):
        env.pop(name, None)
    return start_gateway(env, log_path)


def test_a_process_killed_while_refreshing_leaves_a_working_refresh_token(sandbox, hubspot, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=None, secret_key=None, sandbox_url=sandbox.url)
    token = asyncio.run(create_token(settings, "kill", "kill-env"))
    process, url = serve(tmp_path, sandbox.url, tmp_path / "serve.log")
    try:
        gateway = Gateway(url, token, settings)
        account_id = connect(gateway, "hubspot")
        environment_id = gateway.account(account_id)["environment_id"]
        before = gateway.stored_context(account_id, environment_id)
        hubspot.oauth(expire_all=True)
        # The token endpoint holds the refresh long enough to kill the process while it waits; the sandbox
        # then drops the abandoned request unseen, as a CRM never reached (sandbox/_oauth.py).
        hubspot.fault(delay=5, path_contains="/oauth/", times=1)
        outcome: list[object] = []

        def call() -> None:
            try:
                outcome.append(gateway.unified("GET", account_id, params={"limit": 1}).status_code)
            except requests.RequestException as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 10
        while not refresh_tokens_sent(hubspot, HUBSPOT_TOKEN_PATH) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert refresh_tokens_sent(hubspot, HUBSPOT_TOKEN_PATH) == [before["refresh_token"]]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        caller.join(timeout=10)
        assert outcome and isinstance(outcome[0], requests.RequestException)  # the call died with the process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    # Nothing half-written: the stored tokens are the ones from before, and the account is still active.
    after_kill = gateway.stored_context(account_id, environment_id)
    assert after_kill["refresh_token"] == before["refresh_token"]
    assert after_kill["access_token"] == before["access_token"]

    hubspot.clear_faults()
    process, url = serve(tmp_path, sandbox.url, tmp_path / "serve-again.log")
    try:
        gateway = Gateway(url, token, settings)
        assert gateway.account(account_id)["status"] == "active"
        listed = gateway.unified("GET", account_id, params={"limit": 1})
        assert listed.status_code == 200, listed.text
        # The new process refreshed with the stored refresh token, which the CRM still honoured.
        assert refresh_tokens_sent(hubspot, HUBSPOT_TOKEN_PATH) == [before["refresh_token"]] * 2
        assert hubspot.oauth_stats()["refresh_requests"] == 1  # the killed one never reached the OAuth server
        assert gateway.stored_context(account_id)["refresh_token"] != before["refresh_token"]  # HubSpot rotates
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
