"""The shared provider client keeps nothing from one account's calls for another's."""

from __future__ import annotations

import asyncio

import pytest
import requests

from unigate.app import create_app
from unigate.cli import create_token
from unigate.serving import start_in_thread
from unigate.settings import Settings


@pytest.fixture
def gateway_by_hostname(sandbox, tmp_path):
    """A gateway reaching the sandboxes as `localhost`: HTTP clients keep cookies for host names
    (not for bare IP addresses), so this is where a shared cookie jar would show."""
    port = sandbox.url.rsplit(":", 1)[1]
    settings = Settings(data_dir=tmp_path, database_url=None, secret_key=None, sandbox_url=f"http://localhost:{port}")
    token = asyncio.run(create_token(settings, "cookies", "cookies-env"))
    server = start_in_thread(create_app(settings))
    yield server.url, {"Authorization": f"Bearer {token}"}
    server.stop()


def test_a_cookie_set_for_one_account_is_never_sent_for_another(gateway_by_hostname, sandbox):
    url, headers = gateway_by_hostname
    hubspot = sandbox.control("hubspot")
    hubspot.reset()
    accounts = [requests.post(f"{url}/integrated-account", headers=headers, timeout=10,
                              json={"integration": "hubspot", "is_sandbox": True, "tenant_id": tenant}).json()["id"]
                for tenant in ("first-customer", "second-customer")]

    def list_for(account: str) -> requests.Response:
        return requests.get(f"{url}/unified/crm/accounts", headers=headers, timeout=10,
                            params={"integrated_account_id": account, "limit": 1})

    # The provider answers the first customer's call with a session cookie (any CRM's load balancer may).
    hubspot.fault(status=200, body={"results": [], "paging": None}, path_endswith="/crm/v3/objects/companies",
                  headers={"Set-Cookie": "session=first-customer-secret; Path=/"})
    assert list_for(accounts[0]).status_code == 200
    hubspot.clear_requests()
    assert list_for(accounts[1]).status_code == 200
    assert list_for(accounts[0]).status_code == 200
    sent = hubspot.requests()  # the lists, and the second account's one-time read of its property definitions
    assert [r["path"] for r in sent].count("/hubspot/crm/v3/objects/companies") == 2
    assert all("cookie" not in {name.lower() for name in request["headers"]} for request in sent)
