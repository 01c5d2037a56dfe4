"""Driving the OAuth connect flow over HTTP the way a browser does, and reading what the store holds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import requests

from unigate.settings import Settings
from unigate.store import Store

# The app's page the user is sent back to; never requested (the tests read the redirect's Location).
APP_PAGE = "http://127.0.0.1:9/crm-connected?from=tests"


@dataclass
class Gateway:
    url: str
    token: str
    settings: Settings

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def unified(self, method: str, account_id: str, record_id: str | None = None, **kwargs) -> requests.Response:
        url = f"{self.url}/unified/crm/accounts" + (f"/{record_id}" if record_id else "")
        params = {"integrated_account_id": account_id, **kwargs.pop("params", {})}
        return requests.request(method, url, params=params, headers=self.headers, timeout=30, **kwargs)

    def account(self, account_id: str) -> dict[str, Any]:
        response = requests.get(f"{self.url}/integrated-account/{account_id}", headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def stored_context(self, account_id: str, environment_id: str | None = None) -> dict[str, Any]:
        """The account's decrypted context as the store holds it (what a new process would read)."""
        environment_id = environment_id or self.account(account_id)["environment_id"]

        async def read() -> dict[str, Any]:
            store = await Store.open(self.settings)
            try:
                account = await store.get_account(environment_id, account_id)
                assert account is not None
                return account.context
            finally:
                await store.close()

        return asyncio.run(read())


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def start(gateway: Gateway, integration: str, **params: str) -> requests.Response:
    query = {"tenant_id": "acme", "redirect_uri": APP_PAGE, "is_sandbox": "true", **params}
    query = {k: v for k, v in query.items() if v is not None}
    return requests.get(f"{gateway.url}/connect/{integration}/start", params=query, headers=gateway.headers,
                        allow_redirects=False, timeout=10)


def authorize(start_response: requests.Response) -> str:
    """Follow the gateway's redirect to the (sandbox) CRM's authorize page; the callback URL it redirects to."""
    assert start_response.status_code == 302, start_response.text
    approved = requests.get(start_response.headers["location"], allow_redirects=False, timeout=10)
    assert approved.status_code in (302, 303), approved.text
    return approved.headers["location"]


def connect(gateway: Gateway, integration: str, **params: str) -> str:
    """Run the whole flow; the integrated account id the app gets back."""
    callback = authorize(start(gateway, integration, **params))
    back = requests.get(callback, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    location = back.headers["location"]
    assert location.startswith("http://127.0.0.1:9/crm-connected?"), location
    returned = query_of(location)
    assert "error" not in returned, returned
    assert returned["from"] == "tests"  # the app's own query survives
    return returned["integrated_account_id"]


def refresh_tokens_sent(sandbox_control, token_path: str) -> list[str]:
    """The refresh tokens the gateway sent to the sandbox's token endpoint, oldest first."""
    sent = []
    for recorded in sandbox_control.requests():
        if recorded["method"] == "POST" and recorded["path"].endswith(token_path):
            form = dict(parse_qsl(recorded["body"] if isinstance(recorded["body"], str) else ""))
            if form.get("grant_type") == "refresh_token":
                sent.append(form["refresh_token"])
    return sent
