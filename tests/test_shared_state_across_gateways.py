"""Two gateways, each with its own Gateway and store, as two processes behind a load balancer: an
Idempotency-Key and the rate limits hold across them, through one SQLite file, through PostgreSQL or
through Redis.

PostgreSQL runs when UNIGATE_TEST_POSTGRES_URL is set; Redis when UNIGATE_TEST_REDIS_URL (default
redis://127.0.0.1:6379/0) answers. Each is skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import uuid

import pytest
import redis
import requests
from gateway_factory import CRM, add_account, at_once, clear_of_window_edge, creates_sent, make_tokens, start_gateway
from sqlalchemy.engine import make_url
from support import postgres_admin

from unigate.settings import Settings

POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("UNIGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HOUR = 3600.0


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(
        not POSTGRES_URL, reason="set UNIGATE_TEST_POSTGRES_URL to run two gateways over one PostgreSQL")),
    pytest.param("redis", marks=pytest.mark.skipif(
        not redis_answers(), reason=f"no Redis answers at {REDIS_URL} (set UNIGATE_TEST_REDIS_URL)")),
]


@pytest.fixture(params=BACKENDS)
def start_pair(request, sandbox, tmp_path):
    """Starts two gateways sharing state through the backend; returns them and the shared token."""
    backend = request.param
    started = []
    cleanups = []

    def start(**limits):
        common = {"sandbox_url": sandbox.url, "read_timeout": 1.5, "idempotency_ttl": 60.0,
                  "idempotency_lease": 30.0, **limits}
        if backend == "postgres":
            name = f"unigate_shared_{uuid.uuid4().hex[:12]}"
            asyncio.run(postgres_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
            cleanups.append(lambda: asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
            settings = [Settings(data_dir=tmp_path / f"gw{i}", database_url=url, secret_key="a-key-both-gateways-share",
                                 **common) for i in (1, 2)]
        elif backend == "sqlite":
            # Two workers on one SQLite file: keys and counters are shared through it.
            settings = [Settings(data_dir=tmp_path / "shared", database_url=None, secret_key=None, **common)
                        for _ in (1, 2)]
        else:
            # Both on one SQLite file (accounts, tokens), but the keys and counters live in Redis.
            settings = [Settings(data_dir=tmp_path / "shared", database_url=None, secret_key=None,
                                 redis_url=REDIS_URL, **common) for _ in (1, 2)]
        token = make_tokens(settings[0], [f"shared-{backend}"])[0]
        pair = [start_gateway(s, [token]) for s in settings]
        started.extend(pair)
        return pair

    yield backend, start
    for gateway in started:
        gateway.stop()
    for cleanup in cleanups:
        cleanup()


def forget_in_redis(*subjects: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for subject in subjects:
        for name in client.scan_iter(f"unigate:*{subject}*"):
            client.delete(name)


def test_one_key_makes_one_create_across_gateways(start_pair, sandbox):
    backend, start = start_pair
    first, second = start()
    tenant = first.tenants[0]
    tenant.account_id = add_account(first, tenant)
    second.tenants[0].account_id = tenant.account_id
    sandbox.control(CRM).clear_requests()
    sandbox.control(CRM).fault(delay=0.8, method="POST", times=1)
    key = str(uuid.uuid4())
    body = {"name": f"Shared Co {backend}"}
    calls = [lambda g=g: g.call("POST", g.tenants[0], key=key, json=body) for g in (first, second, first, second)]
    answers = at_once(calls)

    fresh = [a for a in answers if a.status_code == 200 and "idempotent-replayed" not in a.headers]
    assert len(fresh) == 1, [(a.status_code, a.text) for a in answers]
    assert all(a.status_code == 409 or a.headers.get("idempotent-replayed") == "true"
               for a in answers if a is not fresh[0])
    for gateway in (first, second):
        replay = gateway.call("POST", gateway.tenants[0], key=key, json=body)
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == fresh[0].json()
    mismatch = second.call("POST", second.tenants[0], key=key, json={"name": "Another"})
    assert mismatch.status_code == 422
    assert len(creates_sent(sandbox)) == 1

    if backend == "redis":
        environment_id = _environment_of(first, tenant)
        client = redis.Redis.from_url(REDIS_URL)
        assert list(client.scan_iter(f"unigate:idempotency:{environment_id}:*"))
        with sqlite3.connect(first.settings.data_dir / "unigate.db") as db:
            assert db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0] == 0
        forget_in_redis(environment_id)


def _environment_of(gateway, tenant) -> str:
    account = requests.get(f"{gateway.url}/integrated-account/{tenant.account_id}", headers=tenant.headers, timeout=10)
    assert account.status_code == 200, account.text
    return account.json()["environment_id"]


def test_limits_hold_across_gateways(start_pair, sandbox):
    backend, start = start_pair
    first, second = start(limit_per_token="4/1h", limit_per_account="3/1h")
    tenant = first.tenants[0]
    busy, quiet = add_account(first, tenant), add_account(first, tenant)
    clear_of_window_edge(HOUR)
    try:
        # Per account: three calls in all, whichever gateway serves them.
        assert first.call("GET", tenant, params={"limit": 1}, account_id=busy).status_code == 200
        assert second.call("GET", tenant, params={"limit": 1}, account_id=busy).status_code == 200
        assert first.call("GET", tenant, params={"limit": 1}, account_id=busy).status_code == 200
        over = second.call("GET", tenant, params={"limit": 1}, account_id=busy)
        assert over.status_code == 429 and "integrated account" in over.json()["message"], over.text
        assert over.headers["ratelimit-limit"] == "3;w=3600" and int(over.headers["retry-after"]) >= 1
        # Per token: the four calls above used its budget (the refused one counts too).
        token_over = first.call("GET", tenant, params={"limit": 1}, account_id=quiet)
        assert token_over.status_code == 429 and "API token" in token_over.json()["message"], token_over.text
        assert second.call("GET", tenant, params={"limit": 1}, account_id=quiet).status_code == 429
    finally:
        if backend == "redis":
            forget_in_redis(busy, quiet, hashlib.sha256(tenant.token.encode()).hexdigest())
