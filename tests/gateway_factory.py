"""Gateways started with their own settings, for the idempotency and rate-limit tests.

Each runs in its own thread and event loop with its own Gateway and store, as separate gateway
processes do; several may share one database (or one Redis).
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from support import shared_sandbox

from unigate.app import create_app
from unigate.cli import create_token
from unigate.serving import RunningServer, start_in_thread
from unigate.settings import Settings

CRM = "hubspot"
CREATE_PATH = "/hubspot/crm/v3/objects/companies"


@dataclass
class Tenant:
    """An environment's API token and its HubSpot sandbox account."""

    token: str
    account_id: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class RunningGateway:
    url: str
    server: RunningServer
    settings: Settings
    tenants: list[Tenant] = field(default_factory=list)

    def call(self, method: str, tenant: Tenant, record_id: str | None = None, *, key: str | None = None,
             json=None, params=None, account_id: str | None = None) -> requests.Response:
        url = f"{self.url}/unified/crm/accounts" + (f"/{record_id}" if record_id else "")
        headers = dict(tenant.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        query = {"integrated_account_id": account_id or tenant.account_id, **(params or {})}
        return requests.request(method, url, params=query, json=json, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.stop()


def start_gateway(settings: Settings, tokens: list[str]) -> RunningGateway:
    server = start_in_thread(create_app(settings))
    return RunningGateway(server.url, server, settings, [Tenant(t) for t in tokens])


def make_tokens(settings: Settings, environments: list[str]) -> list[str]:
    return [asyncio.run(create_token(settings, f"tests-{name}", name)) for name in environments]


def add_account(gateway: RunningGateway, tenant: Tenant, integration: str = CRM) -> str:
    response = requests.post(f"{gateway.url}/integrated-account", headers=tenant.headers, timeout=10,
                             json={**shared_sandbox(integration), "tenant_id": "tests"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def creates_sent(sandbox) -> list[dict]:
    """The create requests the HubSpot emulator received (recorded by the sandbox server)."""
    return [r for r in sandbox.control(CRM).requests() if r["method"] == "POST" and r["path"] == CREATE_PATH]


def at_once(calls) -> list[requests.Response]:
    """Run the calls concurrently, each on its own connection; answers in the calls' order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def clear_of_window_edge(window: float, margin: float = 3.0) -> None:
    """Wait, if needed, until the current fixed window has at least `margin` seconds left, so a test's
    requests all fall in one window (windows are aligned on the clock)."""
    left = (math.floor(time.time() / window) + 1) * window - time.time()
    if left < margin:
        time.sleep(left + 0.05)
