"""The gateway's own rate limits per API token and per integrated account (docs/api.md, "Gateway rate
limits"), over HTTP: Truto answers them with 429 and Retry-After (https://truto.one/docs/api-reference/overview/rate-limits)."""

from __future__ import annotations

import asyncio

import pytest
from gateway_factory import CRM, add_account, clear_of_window_edge, make_tokens, start_gateway
from prometheus_client import REGISTRY
from support import gateway_database

from unigate.edge.limits import Limit
from unigate.edge.unified import UnifiedRoutes
from unigate.gateway import Gateway
from unigate.settings import Settings

HOUR = 3600.0


@pytest.fixture
def database_url():
    """SQLite (None), or PostgreSQL in the suite's PostgreSQL run."""
    with gateway_database("unigate_limits") as url:
        yield url


def limited_gateway(sandbox, data_dir, database_url, environments, **limits):
    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key=None, sandbox_url=sandbox.url,
                        **limits)
    return start_gateway(settings, make_tokens(settings, environments))


def limited_count(scope: str) -> float:
    return REGISTRY.get_sample_value("unigate_gateway_rate_limited_total", {"scope": scope}) or 0.0


def assert_limited(response, limit: str, what: str) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["statusCode"] == 429 and body["error"] == "Too Many Requests"
    assert what in body["message"]
    assert "truto_is_remote_error" not in body  # the gateway's limit, not the CRM's
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= HOUR
    assert response.headers["ratelimit-limit"] == limit
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-reset"] == response.headers["retry-after"]


def test_the_limit_per_token(sandbox, tmp_path, database_url):
    running = limited_gateway(sandbox, tmp_path, database_url, ["limit-a", "limit-b"], limit_per_token="3/1h")
    try:
        first, second = running.tenants
        first.account_id = add_account(running, first)
        second.account_id = add_account(running, second)
        clear_of_window_edge(HOUR)
        before = limited_count("token")
        assert [running.call("GET", first, params={"limit": 1}).status_code for _ in range(3)] == [200] * 3
        assert_limited(running.call("GET", first, params={"limit": 1}), "3;w=3600", "API token")
        # Writes count against the same budget, and nothing reaches the CRM past the limit.
        sandbox.control(CRM).clear_requests()
        assert_limited(running.call("POST", first, json={"name": "Over Co"}), "3;w=3600", "API token")
        assert sandbox.control(CRM).requests() == []
        assert limited_count("token") == before + 2
        # Another token has its own budget.
        assert running.call("GET", second, params={"limit": 1}).status_code == 200
    finally:
        running.stop()


def test_the_limit_per_account(sandbox, tmp_path, database_url):
    running = limited_gateway(sandbox, tmp_path, database_url, ["limit-accounts"], limit_per_account="2/1h")
    try:
        tenant = running.tenants[0]
        busy, quiet = add_account(running, tenant), add_account(running, tenant)
        clear_of_window_edge(HOUR)
        before = limited_count("account")
        answers = [running.call("GET", tenant, params={"limit": 1}, account_id=busy).status_code for _ in range(2)]
        assert answers == [200, 200]
        assert_limited(running.call("GET", tenant, params={"limit": 1}, account_id=busy), "2;w=3600",
                       "integrated account")
        assert limited_count("account") == before + 1
        assert running.call("GET", tenant, params={"limit": 1}, account_id=quiet).status_code == 200
    finally:
        running.stop()


def test_a_new_window_starts_a_new_budget(sandbox, tmp_path, database_url):
    running = limited_gateway(sandbox, tmp_path, database_url, ["limit-window"], limit_per_token="1/1s")
    try:
        tenant = running.tenants[0]
        tenant.account_id = add_account(running, tenant)
        clear_of_window_edge(1.0, margin=0.5)
        assert running.call("GET", tenant, params={"limit": 1}).status_code == 200
        limited = running.call("GET", tenant, params={"limit": 1})
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        clear_of_window_edge(1.0, margin=1.0)  # waits for the next window
        assert running.call("GET", tenant, params={"limit": 1}).status_code == 200
    finally:
        running.stop()


@pytest.mark.parametrize(("text", "limit"), [
    ("10", Limit(10, 1.0)),
    ("500/10s", Limit(500, 10.0)),
    ("50/10", Limit(50, 10.0)),
    ("100/m", Limit(100, 60.0)),
    ("5000 / 1h", Limit(5000, 3600.0)),
    ("20/500ms", Limit(20, 0.5)),
    ("", None),
    ("off", None),
    (None, None),
])
def test_limit_settings(text, limit):
    assert Limit.parse(text, "UNIGATE_LIMIT_PER_TOKEN") == limit


@pytest.mark.parametrize("text", ["ten", "0/1s", "5/0s", "5/1d", "-1"])
def test_unreadable_limit_settings_name_the_setting(text):
    with pytest.raises(ValueError, match="UNIGATE_LIMIT_PER_ACCOUNT"):
        Limit.parse(text, "UNIGATE_LIMIT_PER_ACCOUNT")


def test_limits_are_off_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("UNIGATE_LIMIT_PER_TOKEN", raising=False)
    monkeypatch.delenv("UNIGATE_LIMIT_PER_ACCOUNT", raising=False)

    def limits_after_start(settings: Settings):
        gateway = Gateway(settings)
        unified = UnifiedRoutes(gateway)

        async def run():
            await gateway.start()
            try:
                unified.start()
                return unified.limits
            finally:
                await gateway.stop()

        return asyncio.run(run())

    assert limits_after_start(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1")) is None
    monkeypatch.setenv("UNIGATE_LIMIT_PER_ACCOUNT", "50/10s")
    limits = limits_after_start(Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:1"))
    assert limits is not None and limits.per_account == Limit(50, 10.0) and limits.per_token is None
