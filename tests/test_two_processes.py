"""Two `unigate serve` processes over one database: what one writes, the other serves at once.

Each process caches tokens and prepared accounts; the caches here live five minutes, so only the
store's change feed (LISTEN/NOTIFY on PostgreSQL, a shared counter file on SQLite) can make the
second process notice a change in time. SQLite runs always; PostgreSQL when
UNIGATE_TEST_POSTGRES_URL is set (.ci/run sets it).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy.engine import make_url
from support import postgres_admin, start_gateway, stop_process
from webhook_receiver import Receiver

from unigate.cli import create_token
from unigate.settings import Settings

POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")


@dataclass
class TwoGateways:
    token: str
    first: str
    second: str
    settings: Settings  # the store both use, for writing to it as another process (the CLI) would
    # Seconds the second process may take to see a change: none, except with UNIGATE_CACHE_VALIDATION=notify.
    propagation: float = 0.0


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-notify"])
def two_processes(request, sandbox, tmp_path):
    database_url = None
    database_name = None
    if request.param.startswith("postgresql"):
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
           "UNIGATE_SANDBOX_URL": sandbox.url, "UNIGATE_CACHE_TTL": "300", "UNIGATE_LOG_LEVEL": "warning",
           # Webhooks to the tests' loopback receiver, retried and swept fast.
           "UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "UNIGATE_WEBHOOK_RETRY_DELAY": "0.2",
           "UNIGATE_WEBHOOK_SWEEP_INTERVAL": "0.3"}
    env.pop("UNIGATE_DATABASE_URL", None)
    if database_url:
        env["UNIGATE_DATABASE_URL"] = database_url
    # "notify": no per-call confirmation read; changes arrive by LISTEN/NOTIFY a moment later.
    env["UNIGATE_CACHE_VALIDATION"] = "notify" if request.param.endswith("notify") else "strict"
    processes = []
    try:
        for index in (1, 2):
            processes.append(start_gateway(env, tmp_path / f"gateway{index}.log"))
        yield TwoGateways(token, processes[0][1], processes[1][1], settings,
                          propagation=2.0 if request.param.endswith("notify") else 0.0)
    finally:
        for process, _ in processes:
            stop_process(process)
        if database_name:
            asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))


def test_an_account_created_changed_and_deleted_through_one_is_served_accordingly_by_the_other(two_processes,
                                                                                              sandbox):
    token, first, second = two_processes.token, two_processes.first, two_processes.second
    headers = {"Authorization": f"Bearer {token}"}
    sandbox.control("hubspot").reset()

    def list_through(gateway: str, account_id: str, expect: int | None = None) -> requests.Response:
        """The list answer; in notify mode, asked again until `expect` comes or the propagation time is up."""
        deadline = time.monotonic() + two_processes.propagation
        while True:
            response = requests.get(f"{gateway}/unified/crm/accounts", headers=headers, timeout=10,
                                    params={"integrated_account_id": account_id, "limit": 2})
            if expect is None or response.status_code == expect or time.monotonic() >= deadline:
                return response
            time.sleep(0.02)

    # A token made after both started (by another process, the CLI here) works on both at once,
    # even where the token was first refused and that refusal cached.
    late = "ug_two-processes-late-token-" + uuid.uuid4().hex
    late_headers = {"Authorization": f"Bearer {late}"}
    assert requests.get(f"{second}/integrated-account", headers=late_headers, timeout=10).status_code == 401
    asyncio.run(_import_token(two_processes.settings, late))
    deadline = time.monotonic() + two_processes.propagation
    while (status := requests.get(f"{second}/integrated-account", headers=late_headers, timeout=10).status_code) != 200:
        assert time.monotonic() < deadline, status
        time.sleep(0.02)

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
    refused = list_through(second, account_id, expect=401)
    assert refused.status_code == 401, refused.text
    assert refused.json()["truto_is_remote_error"] is True
    sent = sandbox.control("hubspot").requests()[-1]
    assert sent["headers"]["authorization"] == "Bearer revoked-credential"

    # And back, to show it is not a one-way eviction.
    requests.patch(f"{first}/integrated-account/{account_id}", headers=headers, timeout=10,
                   json={"context": {"access_token": "sandbox-hubspot-token"}}).raise_for_status()
    assert list_through(second, account_id, expect=200).status_code == 200

    # An integrated-account token issued by one process is honoured by the other (one shared signing key).
    issued = requests.post(f"{first}/integrated-account/token", headers=headers, timeout=10,
                           json={"integrated_account_id": account_id})
    assert issued.status_code == 201, issued.text
    widget = {"Authorization": f"Bearer {issued.json()['integrated_account_token']}"}
    through_token = requests.get(f"{second}/unified/crm/accounts", headers=widget, params={"limit": 1}, timeout=10)
    assert through_token.status_code == 200, through_token.text

    # The late token, revoked through the first process, stops working on the second at its next call.
    tokens = requests.get(f"{first}/api-token", headers=headers, timeout=10).json()["result"]
    late_id = next(t["id"] for t in tokens if t["name"] == "late")
    assert requests.delete(f"{first}/api-token/{late_id}", headers=headers, timeout=10).status_code == 200
    deadline = time.monotonic() + two_processes.propagation
    while (status := requests.get(f"{second}/integrated-account", headers=late_headers, timeout=10).status_code) != 401:
        assert time.monotonic() < deadline, status
        time.sleep(0.02)

    deleted = requests.delete(f"{first}/integrated-account/{account_id}", headers=headers, timeout=10)
    assert deleted.status_code == 200, deleted.text
    gone = list_through(second, account_id, expect=404)
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


def test_each_event_reaches_a_webhook_once_with_two_processes(two_processes):
    """Both processes queue and consume the same deliveries (and both sweep for forgotten ones); each event
    still arrives once, signed."""
    token, first, second = two_processes.token, two_processes.first, two_processes.second
    headers = {"Authorization": f"Bearer {token}"}
    receiver = Receiver().start()
    try:
        hook = requests.post(f"{first}/webhook", headers=headers, timeout=10,
                             json={"target_url": receiver.url, "event_types": ["*"]})
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        for index in range(4):
            through, other = (first, second) if index % 2 == 0 else (second, first)
            created = requests.post(f"{through}/integrated-account", headers=headers, timeout=10,
                                    json={"integration": "hubspot", "is_sandbox": True})
            assert created.status_code == 201, created.text
            account_id = created.json()["id"]
            assert requests.patch(f"{other}/integrated-account/{account_id}", headers=headers, timeout=10,
                                  json={"tenant_id": f"t{index}"}).status_code == 200
            assert requests.delete(f"{through}/integrated-account/{account_id}", headers=headers,
                                   timeout=10).status_code == 200
        # Written by a third program (the CLI): sent by whichever process's sweep finds it first.
        asyncio.run(create_token(two_processes.settings, "third", "two-env"))
        expected = 4 * 4 + 1  # created, active, updated and deleted per account; api_token:created
        receiver.wait_for(lambda: len(receiver.events()) >= expected, timeout=30)
        time.sleep(2.0)  # a second copy of anything would have come by now
        got = receiver.events()
        assert len(got) == expected, [d.json["event"] for d in got]
        assert len({d.json["id"] for d in got}) == expected
        assert all(d.signed_by(secret) for d in got)
        assert sorted({d.json["event"] for d in got}) == ["api_token:created", "integrated_account:active",
                                                          "integrated_account:created", "integrated_account:deleted",
                                                          "integrated_account:updated"]
    finally:
        receiver.stop()
