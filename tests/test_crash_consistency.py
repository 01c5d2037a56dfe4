"""Crash consistency: `unigate serve` killed with SIGKILL in the middle of account creations leaves a
store where every account is whole (docs/reliability.md, "Crash consistency").

Each creation is one transaction (src/unigate/store/repository.py `create_account`): the row, with
its sealed context, is written whole or not at all. After the restart every account the API lists
must decrypt and be callable, and every creation answered 201 before the kill must be there.
Runs on SQLite, and on PostgreSQL when UNIGATE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import leakscan
import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from support import free_port, postgres_admin

import unigate
from unigate.cli import create_token
from unigate.settings import Settings
from unigate.store import Store
from unigate.store.tables import integrated_accounts

SRC = str(Path(unigate.__file__).resolve().parents[1])
POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")
WORKERS = 6
KILL_AFTER = 40  # acknowledged creations before the SIGKILL; the other workers are mid-request then
MAX_ATTEMPTS = 400  # bounds the load if the kill were late


class Served:
    """`unigate serve` as a subprocess over one data directory and database."""

    def __init__(self, settings: Settings, sandbox_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "UNIGATE_DATA_DIR": str(settings.data_dir), "UNIGATE_SANDBOX_URL": sandbox_url,
                    "UNIGATE_LOG_LEVEL": "debug", "PYTHONPATH": SRC,
                    "UNIGATE_SANDBOXES": "on"}
        self.env.pop("UNIGATE_SECRET_KEY", None)
        self.env.pop("UNIGATE_DATABASE_URL", None)
        if settings.database_url:
            self.env["UNIGATE_DATABASE_URL"] = settings.database_url
        self.process = None

    def start(self) -> None:
        self.process = leakscan.start_process([sys.executable, "-m", "unigate.cli", "serve", "--port", str(self.port)],
                                              name="unigate-serve", env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "unigate serve exited at start-up"
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("unigate serve did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except Exception:  # noqa: BLE001 - any failure to stop: kill
                self.process.kill()
                self.process.wait(timeout=15)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_settings(request, tmp_path):
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path, database_url=None, secret_key=None)
        return
    if not POSTGRES_URL:
        pytest.skip("set UNIGATE_TEST_POSTGRES_URL to run the crash test on PostgreSQL")
    name = f"unigate_crash_{uuid.uuid4().hex[:12]}"
    asyncio.run(postgres_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield Settings(data_dir=tmp_path, database_url=url, secret_key=None)
    finally:
        asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def account_body(marker: str) -> dict:
    """Sandbox HubSpot accounts (callable after the restart) with a secret and a marker to match them by."""
    return {"integration": "hubspot", "tenant_id": f"crash-{marker}", "is_sandbox": True,
            "context": {"marker": marker, "access_token": "sandbox-hubspot-token",
                        "notes": {"padding": "p" * 2048, "marker": marker}}}


def fire_creations(served: Served, headers: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """Create accounts from WORKERS threads; SIGKILL the server once KILL_AFTER were acknowledged.

    Returns (acknowledged marker -> id, every marker sent).
    """
    acknowledged: dict[str, str] = {}
    sent: set[str] = set()
    lock = threading.Lock()
    killed = threading.Event()

    def worker() -> None:
        while not killed.is_set():
            marker = uuid.uuid4().hex
            with lock:
                if len(sent) >= MAX_ATTEMPTS:
                    return
                sent.add(marker)
            try:
                response = requests.post(f"{served.url}/integrated-account", headers=headers, timeout=10,
                                         json=account_body(marker))
            except requests.RequestException:
                return  # the server is gone
            assert response.status_code == 201, response.text
            with lock:
                acknowledged[marker] = response.json()["id"]
                if len(acknowledged) == KILL_AFTER and not killed.is_set():
                    served.kill()
                    killed.set()

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(worker) for _ in range(WORKERS)]:
            future.result()
    assert killed.is_set(), "the server was not killed"
    return acknowledged, sent


def list_accounts(served: Served, headers: dict[str, str]) -> list[dict]:
    accounts, cursor = [], None
    while True:
        params = {"limit": 100, **({"next_cursor": cursor} if cursor else {})}
        page = requests.get(f"{served.url}/integrated-account", headers=headers, params=params, timeout=10)
        assert page.status_code == 200, page.text
        accounts += page.json()["result"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return accounts


async def stored_rows(settings: Settings) -> tuple[int, list]:
    """The raw row count, and every account as the store opens it (each context decrypted)."""
    store = await Store.open(settings)
    try:
        async with store._engines.reads.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(integrated_accounts))).scalar_one()
        environment = await store.ensure_environment("crash-env")
        accounts, cursor = [], None
        while True:
            page, cursor = await store.list_accounts(environment.id, limit=100, cursor=cursor)
            accounts += page
            if cursor is None:
                return count, accounts
    finally:
        await store.close()


def test_sigkill_during_creations_leaves_every_account_whole(store_settings, sandbox):
    token = asyncio.run(create_token(store_settings, "crash", "crash-env"))
    headers = {"Authorization": f"Bearer {token}"}
    served = Served(store_settings, sandbox.url)
    served.start()
    try:
        acknowledged, sent = fire_creations(served, headers)
        served.start()  # the same data directory and database, after the kill
        listed = list_accounts(served, headers)
        listed_ids = {a["id"] for a in listed}

        # every 201 before the kill survived
        missing = set(acknowledged.values()) - listed_ids
        assert not missing, f"{len(missing)} acknowledged accounts are gone"
        # nothing appeared that was not sent, and nothing twice
        assert len(listed_ids) == len(listed)
        assert len(acknowledged) <= len(listed) <= len(sent)

        sandbox.control("hubspot").reset()
        for account in listed:
            marker = account["tenant_id"].removeprefix("crash-")
            assert marker in sent
            fetched = requests.get(f"{served.url}/integrated-account/{account['id']}", headers=headers, timeout=10)
            assert fetched.status_code == 200, fetched.text
            context = fetched.json()["context"]
            assert context["marker"] == marker and context["notes"]["marker"] == marker
            assert context["notes"]["padding"] == "p" * 2048
            assert context["access_token"] == "********"
            if acknowledged.get(marker) is not None:
                assert acknowledged[marker] == account["id"]
        # the gateway calls the CRM with the stored (decrypted) credentials of a sample of them
        for account in listed[:: max(1, len(listed) // 8)]:
            called = requests.get(f"{served.url}/unified/crm/accounts", headers=headers, timeout=10,
                                  params={"integrated_account_id": account["id"], "limit": 1})
            assert called.status_code == 200, called.text
    finally:
        served.stop()

    # no row the API leaves out: every row in the table opens with the key
    count, opened = asyncio.run(stored_rows(store_settings))
    assert count == len(opened) == len(listed)
    assert all(a.context["marker"] == a.tenant_id.removeprefix("crash-") for a in opened)
