"""Stores that fail: a database or Redis that is down or silent answers 503 with Retry-After, never a
500 or a hang, on every route; the gateway recovers when the store returns (docs/reliability.md).

The database and Redis sit behind a TCP proxy the test controls (tests/store_proxy.py), which refuses
connections ("down") or accepts them and forwards nothing ("black hole": a server or network that stops
answering). Every request below is made with a 5 s client timeout: a hang fails the test.
PostgreSQL runs when UNIGATE_TEST_POSTGRES_URL is set; Redis when UNIGATE_TEST_REDIS_URL (default
redis://127.0.0.1:6379/0) answers. Each is skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass

import pytest
import redis
import requests
from sqlalchemy.engine import make_url
from store_proxy import BLACK_HOLE, FORWARD, REFUSE, StoreProxy
from support import postgres_admin

from unigate.app import create_app
from unigate.cli import create_token
from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.serving import RunningServer, start_in_thread
from unigate.settings import Settings
from unigate.store.changes import ChangeFeed

POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("UNIGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BOUND = 5.0  # seconds any answer may take while a store fails (the client's timeout)


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="set UNIGATE_TEST_POSTGRES_URL to put a PostgreSQL "
                                                              "database behind a proxy the test can stop")
needs_redis = pytest.mark.skipif(not redis_answers(), reason=f"no Redis answers at {REDIS_URL} "
                                                             "(set UNIGATE_TEST_REDIS_URL)")


@dataclass
class Proxied:
    url: str
    server: RunningServer
    token: str
    account_id: str
    record_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def call(self, route: str) -> requests.Response:
        """One of ROUTES, with a fresh Idempotency-Key for the keyed write."""
        account = {"integrated_account_id": self.account_id}
        method, path, params, body, headers = {
            "unified list": ("GET", "/unified/crm/accounts", {**account, "limit": 2}, None, {}),
            "unified get": ("GET", f"/unified/crm/accounts/{self.record_id}", account, None, {}),
            "unified create with Idempotency-Key": ("POST", "/unified/crm/accounts", account,
                                                    {"name": f"Keyed {uuid.uuid4().hex[:8]}"},
                                                    {"Idempotency-Key": str(uuid.uuid4())}),
            "admin list": ("GET", "/integrated-account", None, None, {}),
            "admin create": ("POST", "/integrated-account", None,
                             {"integration": "hubspot", "tenant_id": "failing-stores", "is_sandbox": True}, {}),
            "connect start": ("GET", "/connect/hubspot/start",
                              {"redirect_uri": "https://app.example.com/connected", "tenant_id": "failing-stores"}, None, {}),
            "health": ("GET", "/health", None, None, {}),
        }[route]
        return requests.request(method, f"{self.url}{path}", params=params, json=body,
                                headers={**self.headers, **headers}, timeout=BOUND, allow_redirects=False)


# What each route answers while its stores are up.
ROUTES = {"unified list": 200, "unified get": 200, "unified create with Idempotency-Key": 200, "admin list": 200,
          "admin create": 201, "connect start": 302, "health": 200}


def assert_unavailable(route: str, response: requests.Response) -> None:
    assert response.status_code == 503, f"{route}: {response.status_code} {response.text}"
    assert response.headers["retry-after"].isdigit() and int(response.headers["retry-after"]) >= 1, route
    body = response.json()
    if route == "health":
        assert body["status"] == "unavailable" and body["database"] == "unreachable"
    else:
        assert body == {"statusCode": 503, "error": "Service Unavailable", "message": body["message"]}, route
        assert "not answering" in body["message"]


def assert_recovers(gateway: Proxied) -> None:
    """Every route answers as before, for a client that honours Retry-After (a pooled connection that
    died with the store may fail one request after the store is back)."""
    deadline = time.monotonic() + 30
    while gateway.call("health").status_code != 200:
        assert time.monotonic() < deadline, "the gateway did not see its database return"
        time.sleep(0.2)
    for route, status in ROUTES.items():
        for _ in range(3):
            response = gateway.call(route)
            if response.status_code != 503:
                break
            time.sleep(int(response.headers["retry-after"]))
        assert response.status_code == status, f"{route} after recovery: {response.status_code} {response.text}"


def start(settings: Settings) -> Proxied:
    token = asyncio.run(create_token(settings, "failing-stores", "failing-stores"))
    server = start_in_thread(create_app(settings))
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(f"{server.url}/integrated-account", headers=headers, timeout=10,
                            json={"integration": "hubspot", "tenant_id": "failing-stores", "is_sandbox": True})
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    record = requests.post(f"{server.url}/unified/crm/accounts", params={"integrated_account_id": account_id},
                           headers=headers, json={"name": "Before the outage"}, timeout=10)
    assert record.status_code == 200, record.text
    return Proxied(server.url, server, token, account_id, record.json()["id"])


@pytest.fixture
def postgres_and_redis_behind_proxies(sandbox, tmp_path, monkeypatch):
    name = f"unigate_failing_{uuid.uuid4().hex[:12]}"
    assert POSTGRES_URL is not None
    asyncio.run(postgres_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    database = make_url(POSTGRES_URL).set(database=name)
    database_proxy = StoreProxy(database.host or "127.0.0.1", database.port or 5432)
    redis_target = make_url(REDIS_URL)
    redis_proxy = StoreProxy(redis_target.host or "127.0.0.1", redis_target.port or 6379)
    # The connect flow's OAuth app (any values: the sandbox's authorize page is only linked to).
    monkeypatch.setenv("UNIGATE_OAUTH_HUBSPOT_CLIENT_ID", "failing-stores-client")
    monkeypatch.setenv("UNIGATE_OAUTH_HUBSPOT_CLIENT_SECRET", "failing-stores-secret")
    # Default bounds (UNIGATE_STORE_TIMEOUT, UNIGATE_STORE_RETRY_INTERVAL): they are what is tested.
    settings = Settings(data_dir=tmp_path, secret_key="failing-stores-key", sandbox_url=sandbox.url,
                        database_url=database_proxy.url_for(database.render_as_string(hide_password=False)),
                        redis_url=redis_proxy.url_for(REDIS_URL))
    gateway = start(settings)
    try:
        yield gateway, database_proxy, redis_proxy
    finally:
        database_proxy.set_mode(FORWARD)
        redis_proxy.set_mode(FORWARD)
        gateway.server.stop()
        database_proxy.close()
        redis_proxy.close()
        asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@needs_postgres
@needs_redis
@pytest.mark.parametrize("failure", [REFUSE, BLACK_HOLE])
def test_every_route_answers_503_while_the_database_and_redis_fail_and_recovers(postgres_and_redis_behind_proxies,
                                                                               failure):
    gateway, database_proxy, redis_proxy = postgres_and_redis_behind_proxies
    for route, status in ROUTES.items():
        response = gateway.call(route)
        assert response.status_code == status, f"{route} before the outage: {response.text}"

    database_proxy.set_mode(failure)
    redis_proxy.set_mode(failure)
    for _ in range(2):  # the first failure and the ones after it (a circuit open, a pool emptied)
        for route in ROUTES:
            assert_unavailable(route, gateway.call(route))

    database_proxy.set_mode(FORWARD)
    redis_proxy.set_mode(FORWARD)
    assert_recovers(gateway)


@needs_redis
def test_a_silent_redis_is_waited_on_once_then_calls_fail_fast_until_one_probe_finds_it_back(sandbox, tmp_path):
    """Idempotent writes need Redis (503 while it is silent); reads don't (200). After the first
    timeout, keyed writes fail at once without a new connection to Redis, until the retry interval
    ends and one call finds Redis again."""
    target = make_url(REDIS_URL)
    redis_proxy = StoreProxy(target.host or "127.0.0.1", target.port or 6379)
    settings = Settings(data_dir=tmp_path, secret_key="failing-redis-key", sandbox_url=sandbox.url,
                        redis_url=redis_proxy.url_for(REDIS_URL), store_timeout=1.0, store_retry_interval=4.0)
    gateway = start(settings)
    try:
        assert gateway.call("unified create with Idempotency-Key").status_code == 200
        redis_proxy.set_mode(BLACK_HOLE)
        first = gateway.call("unified create with Idempotency-Key")
        assert_unavailable("unified create with Idempotency-Key", first)
        assert "Redis" in first.json()["message"] and first.headers["retry-after"] == "4"
        connections = redis_proxy.accepted
        again = gateway.call("unified create with Idempotency-Key")
        assert_unavailable("unified create with Idempotency-Key", again)
        assert redis_proxy.accepted == connections  # answered from the open circuit: Redis was not tried
        assert gateway.call("unified list").status_code == 200  # no Redis needed
        assert gateway.call("health").status_code == 200  # the database is fine

        redis_proxy.set_mode(FORWARD)
        deadline = time.monotonic() + 30
        while (response := gateway.call("unified create with Idempotency-Key")).status_code == 503:
            assert time.monotonic() < deadline, "the gateway did not find Redis again"
            time.sleep(int(response.headers["retry-after"]))
        assert response.status_code == 200, response.text
    finally:
        redis_proxy.set_mode(FORWARD)
        gateway.server.stop()
        redis_proxy.close()


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "notify"])
def test_a_flood_of_unknown_tokens_reads_the_store_once_per_token_and_briefly(tmp_path, strict):
    """Unknown tokens are remembered for UNIGATE_INVALID_TOKEN_TTL in either cache mode (strict mode
    included, where a new token must work at once: its creation's notice forgets them)."""

    class CountingStore:
        changes = ChangeFeed()
        token_reads = 0
        known: set[str] = set()

        async def environment_for_token(self, token: str):
            self.token_reads += 1
            return "env" if token in self.known else None

    gateway = Gateway(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1", invalid_token_ttl=60))
    store = CountingStore()
    gateway.store = store  # type: ignore[assignment]
    gateway._confirm_each_use = strict

    async def refused(token: str) -> int:
        with pytest.raises(GatewayError) as error:
            await gateway.environment_for(f"Bearer {token}")
        return error.value.status

    async def run():
        for _ in range(50):
            assert await refused("flood") == 401
        assert store.token_reads == 1
        store.known.add("flood")  # created elsewhere: its notice reaches every gateway
        gateway._on_change(("token", None, None))
        assert await gateway.environment_for("Bearer flood") == "env"
        assert store.token_reads == 2

    asyncio.run(run())


def test_unknown_tokens_are_forgotten_after_their_ttl(tmp_path):
    class Store:
        changes = ChangeFeed()
        token_reads = 0

        async def environment_for_token(self, token: str):
            self.token_reads += 1

    gateway = Gateway(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1", invalid_token_ttl=0))
    store = Store()
    gateway.store = store  # type: ignore[assignment]

    async def run():
        for _ in range(3):
            with pytest.raises(GatewayError):
                await gateway.environment_for("Bearer gone")

    asyncio.run(run())
    assert store.token_reads == 3


def test_only_store_failures_become_the_503(tmp_path):
    import aiohttp
    import sqlalchemy.exc

    from unigate.edge.unavailable import unavailable_error
    from unigate.store.availability import StoreUnavailable

    settings = Settings(data_dir=tmp_path, store_retry_interval=3.0)
    store_failures = [StoreUnavailable("Redis", "silent"), TimeoutError(), ConnectionRefusedError(111, "refused"),
                      sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("database is locked")),
                      sqlalchemy.exc.TimeoutError("QueuePool limit reached"), redis.exceptions.TimeoutError()]
    for failure in store_failures:
        error = unavailable_error(failure, settings)
        assert error is not None, failure
        assert error.status == 503 and error.headers == {"retry-after": "3"}
        assert error.body() == {"statusCode": 503, "error": "Service Unavailable", "message": error.message}
    assert unavailable_error(StoreUnavailable("Redis", "silent"), settings).message.startswith("The gateway's Redis")
    # Not the store's: a provider's connection error, a programming error, a constraint violation.
    for other in [aiohttp.ClientOSError(104, "reset"), KeyError("x"),
                  sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))]:
        assert unavailable_error(other, settings) is None, other
