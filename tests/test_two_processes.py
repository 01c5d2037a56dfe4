"""Two `unigate serve` processes over one database: what one writes, the other serves at once.

Each process caches tokens and prepared accounts; the caches here live five minutes, so only the
store's change feed (LISTEN/NOTIFY on PostgreSQL, a shared counter file on SQLite) can make the
second process notice a change in time. SQLite runs always; PostgreSQL when
UNIGATE_TEST_POSTGRES_URL is set (.ci/run sets it).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url
from support import postgres_admin

from unigate.cli import create_token
from unigate.settings import Settings

UNIGATE = str(Path(sys.executable).parent / "unigate")
POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gateway(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([UNIGATE, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"unigate serve exited: {log_path.read_text()}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"unigate serve did not answer: {log_path.read_text()}")


@dataclass
class TwoGateways:
    token: str
    first: str
    second: str
    settings: Settings  # the store both use, for writing to it as another process (the CLI) would


@pytest.fixture(params=["sqlite", "postgresql"])
def two_processes(request, sandbox, tmp_path):
    database_url = None
    database_name = None
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("set UNIGATE_TEST_POSTGRES_URL to run two gateways on PostgreSQL")
        database_name = f"unigate_two_{uuid.uuid4().hex[:12]}"
        asyncio.run(postgres_admin(POSTGRES_URL, f'CREATE DATABASE "{database_name}"'))
        database_url = make_url(POSTGRES_URL).set(database=database_name).render_as_string(hide_password=False)
    data_dir = tmp_path / "data"  # shared by both: the SQLite file (or only the key file on PostgreSQL)
    secret = "two-processes-share-this-secret-key"
    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key=secret)
    token = asyncio.run(create_token(settings, "two", "two-env"))
    env = {**os.environ, "UNIGATE_DATA_DIR": str(data_dir), "UNIGATE_SECRET_KEY": secret,
           "UNIGATE_SANDBOX_URL": sandbox.url, "UNIGATE_CACHE_TTL": "300", "UNIGATE_LOG_LEVEL": "warning"}
    env.pop("UNIGATE_DATABASE_URL", None)
    if database_url:
        env["UNIGATE_DATABASE_URL"] = database_url
    processes = []
    try:
        for index in (1, 2):
            processes.append(start_gateway(env, tmp_path / f"gateway{index}.log"))
        yield TwoGateways(token, processes[0][1], processes[1][1], settings)
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if database_name:
            asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))


def test_an_account_created_changed_and_deleted_through_one_is_served_accordingly_by_the_other(two_processes,
                                                                                              sandbox):
    token, first, second = two_processes.token, two_processes.first, two_processes.second
    headers = {"Authorization": f"Bearer {token}"}
    sandbox.control("hubspot").reset()

    def list_through(gateway: str, account_id: str) -> requests.Response:
        return requests.get(f"{gateway}/unified/crm/accounts", headers=headers, timeout=10,
                            params={"integrated_account_id": account_id, "limit": 2})

    # A token made after both started (by another process, the CLI here) works on both at once,
    # even where the token was first refused and that refusal cached.
    late = "ug_two-processes-late-token-" + uuid.uuid4().hex
    late_headers = {"Authorization": f"Bearer {late}"}
    assert requests.get(f"{second}/integrated-account", headers=late_headers, timeout=10).status_code == 401
    asyncio.run(_import_token(two_processes.settings, late))
    assert requests.get(f"{second}/integrated-account", headers=late_headers, timeout=10).status_code == 200

    created = requests.post(f"{first}/integrated-account", headers=headers, timeout=10,
                            json={"integration": "hubspot", "is_sandbox": True})
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    served = list_through(second, account_id)
    assert served.status_code == 200, served.text
    assert served.json()["result_count"] == 2

    # Changed through the first: a wrong credential must be used by the second at its very next call.
    patched = requests.patch(f"{first}/integrated-account/{account_id}", headers=headers, timeout=10,
                             json={"context": {"access_token": "revoked-credential"}})
    assert patched.status_code == 200, patched.text
    refused = list_through(second, account_id)
    assert refused.status_code == 401, refused.text
    assert refused.json()["truto_is_remote_error"] is True
    sent = sandbox.control("hubspot").requests()[-1]
    assert sent["headers"]["authorization"] == "Bearer revoked-credential"

    # And back, to show it is not a one-way eviction.
    requests.patch(f"{first}/integrated-account/{account_id}", headers=headers, timeout=10,
                   json={"context": {"access_token": "sandbox-hubspot-token"}}).raise_for_status()
    assert list_through(second, account_id).status_code == 200

    deleted = requests.delete(f"{first}/integrated-account/{account_id}", headers=headers, timeout=10)
    assert deleted.status_code == 200, deleted.text
    gone = list_through(second, account_id)
    assert gone.status_code == 404, gone.text
    assert requests.get(f"{second}/integrated-account/{account_id}", headers=headers, timeout=10).status_code == 404


async def _import_token(settings: Settings, plaintext: str) -> None:
    from unigate.store import Store

    store = await Store.open(settings)
    try:
        environment = await store.ensure_environment("two-env")
        await store.import_token("late", environment.id, plaintext)
    finally:
        await store.close()
