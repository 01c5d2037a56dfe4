"""Shared fixtures: the sandbox server (every CRM emulator) on a loopback port."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from support import RESOURCE_CASES

from unigate.sandbox.server import build_sandbox_app
from unigate.serving import start_in_thread

pytest_plugins = ["leakscan", "pytester"]  # leakscan: the whole-suite secret-leak scan

# The test gateways keep an account's lookups (field definitions, board columns) for the whole run: a lookup
# read again mid-suite would take a fault a test queued for the call it makes. Their expiry is
# tests/test_engine.py's to check (UNIGATE_LOOKUP_TTL, docs/deploy.md).
os.environ.setdefault("UNIGATE_LOOKUP_TTL", "86400")


@dataclass
class SandboxControl:
    """Drives one emulator through the sandbox control API."""

    base: str
    name: str

    @property
    def url(self) -> str:
        """The emulator's root: where the CRM's real paths start."""
        return f"{self.base}/{self.name}"

    def _control(self, suffix: str) -> str:
        return f"{self.base}/__control/{self.name}/{suffix}"

    def reset(self, count: int | None = None, resource: str | None = None,
              counts: dict[str, int] | None = None, space: str | None = None) -> dict:
        """Reseed every resource: `count` records each (or only of `resource`), or `counts` per resource;
        in data space `space` only when given (else the default space, and faults and requests are cleared)."""
        body: dict = {} if count is None else {"count": count}
        if resource is not None:
            body["resource"] = resource
        if counts is not None:
            body["counts"] = counts
        response = requests.post(self._control("reset"), json=body, params={"space": space} if space else None,
                                 timeout=30)
        response.raise_for_status()
        return response.json()

    def fault(self, **fault) -> None:
        requests.post(self._control("faults"), json=fault, timeout=5).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(self._control("faults"), timeout=5).raise_for_status()

    def requests(self, space: str | None = None) -> list[dict]:
        return requests.get(self._control("requests"), params={"space": space} if space else None, timeout=5).json()

    def clear_requests(self) -> None:
        requests.delete(self._control("requests"), timeout=5).raise_for_status()

    def records(self, resource: str = "accounts", space: str | None = None):
        """The records of `resource` as the emulated CRM stores them (in data space `space`, else the default)."""
        response = requests.get(self._control(f"records/{resource}"), params={"space": space} if space else None,
                                timeout=5)
        response.raise_for_status()
        return response.json()

    def oauth(self, **settings) -> dict:
        """Tune the emulator's OAuth server: access_token_ttl, code_ttl, expire_all, revoke_refresh_tokens."""
        response = requests.post(self._control("oauth"), json=settings, timeout=5)
        response.raise_for_status()
        return response.json()

    def switch(self, **settings) -> dict:
        """Set the emulator's switches (behaviours the vendor's sources leave open) until the next reset."""
        response = requests.post(self._control("switches"), json=settings, timeout=5)
        response.raise_for_status()
        return response.json()

    def default_switches(self) -> dict:
        """Put every switch back to its default (what a reset does, without reseeding)."""
        choices = requests.get(self._control("switches"), timeout=5).json()["choices"]
        return self.switch(**{name: values[0] for name, values in choices.items()})

    def spaces(self) -> dict:
        """The data spaces the emulator holds, least recently used first, and its bounds."""
        response = requests.get(self._control("spaces"), timeout=5)
        response.raise_for_status()
        return response.json()

    def oauth_stats(self) -> dict:
        """token_requests, refresh_requests, active_access_tokens, active_refresh_tokens since the last reset."""
        response = requests.get(self._control("oauth"), timeout=5)
        response.raise_for_status()
        return response.json()


@dataclass
class Sandbox:
    url: str

    def control(self, name: str) -> SandboxControl:
        return SandboxControl(self.url, name)


@pytest.fixture(scope="session")
def sandbox():
    server = start_in_thread(build_sandbox_app())
    yield Sandbox(server.url)
    server.stop()


# -- the gateway -----------------------------------------------------------------------------------

import asyncio  # noqa: E402

from unigate.app import create_app  # noqa: E402
from unigate.cli import create_token  # noqa: E402
from unigate.settings import Settings  # noqa: E402
from support import INTEGRATIONS, gateway_database, reset_for_test, shared_sandbox  # noqa: E402


@dataclass
class GatewayClient:
    """A running gateway with an API token and one sandbox integrated account per integration."""

    url: str
    token: str
    other_token: str  # a token of another environment
    accounts: dict[str, str]
    sandbox: Sandbox
    settings: Settings
    app: Any = None  # the in-process ASGI app, for forget_lookups

    def forget_lookups(self) -> None:
        """After a sandbox reset: the CRM's custom field definitions and stage lists are new, so the
        gateway's cached ones (kept per account for the lookup TTL) are dropped, as a fresh gateway would."""
        if self.app is not None:
            self.app.gateway.forget_lookups()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def unified(self, method: str, integration: str, record_id: str | None = None, *, resource: str = "accounts",
                params=None, json=None, headers=None, **kwargs) -> requests.Response:
        """Call /unified/crm/<resource>[/{id}] for `integration`'s sandbox account."""
        url = f"{self.url}/unified/crm/{resource}" + (f"/{record_id}" if record_id is not None else "")
        query = {"integrated_account_id": self.accounts[integration]}
        query.update(RESOURCE_CASES[resource].query if resource in RESOURCE_CASES else {})
        query.update(params or {})
        return requests.request(method, url, params=query, json=json, headers=self.headers if headers is None else headers,
                                timeout=30, **kwargs)

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("headers", self.headers)
        return requests.request(method, f"{self.url}{path}", timeout=30, **kwargs)


@pytest.fixture
def ctl(sandbox, name, request):
    """The sandbox control of the CRM a test is parametrised by (`name`), reseeded first; its faults cleared
    after (tests/crms/ has its own, by the file's CRM)."""
    control = reset_for_test(sandbox, name, request)
    yield control
    control.clear_faults()


@pytest.fixture(scope="session")
def gateway_database_url():
    """None (SQLite) or, in the PostgreSQL run of the suite, a database of the session's own."""
    with gateway_database("unigate_session") as url:
        yield url


@pytest.fixture(scope="session")
def gateway(sandbox, tmp_path_factory, gateway_database_url):
    data_dir = tmp_path_factory.mktemp("gateway-data")
    settings = Settings(data_dir=data_dir, database_url=gateway_database_url, secret_key=None, sandbox_url=sandbox.url,
                        connect_timeout=2.0, read_timeout=1.5, cache_ttl=5.0,
                        # A budget under the read timeout: a timed-out call is not sent again, and
                        # a test's Retry-After of a few seconds is answered at once (docs/api.md).
                        retry_budget=1.0, retry_base_delay=0.01)
    token = asyncio.run(create_token(settings, "tests", "test-env"))
    other_token = asyncio.run(create_token(settings, "tests-other", "other-env"))
    app = create_app(settings)
    server = start_in_thread(app)
    client = GatewayClient(server.url, token, other_token, {}, sandbox, settings, app)
    for name in INTEGRATIONS:
        response = client.admin("POST", "/integrated-account", json={**shared_sandbox(name), "tenant_id": "tests"})
        assert response.status_code == 201, response.text
        client.accounts[name] = response.json()["id"]
    yield client
    server.stop()
