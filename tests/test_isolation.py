"""Environments isolate everything: another environment's token can never read, change, delete or
learn of an account. Every route answers it exactly as it answers an id that does not exist
(Truto: an integrated account belongs to one environment, https://www.truto.one/docs/api-reference/admin/integrated-accounts;
docs/reliability.md, "Isolation").

The unified routes are checked on every registered (integration, resource); the admin routes and the
other checks are about integrated accounts, which hold no resource, so they use HubSpot's accounts
route only where they need a unified call at all.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from support import label_field, registered_params


def other_headers(gateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway.other_token}"}


def call(gateway, method: str, path: str, headers: dict[str, str], **kwargs) -> requests.Response:
    return requests.request(method, f"{gateway.url}{path}", headers=headers, timeout=10, **kwargs)


def assert_same_as_unknown(theirs: requests.Response, their_id: str, unknown: requests.Response,
                           unknown_id: str) -> None:
    """The two answers differ in nothing but the id the caller sent."""
    assert theirs.status_code == unknown.status_code == 404, (theirs.text, unknown.text)
    assert theirs.headers["content-type"] == unknown.headers["content-type"]
    assert theirs.text.replace(their_id, "<id>") == unknown.text.replace(unknown_id, "<id>")
    assert set(theirs.json()) == {"statusCode", "error", "message"}


@pytest.fixture
def account(gateway):
    """A fresh sandbox HubSpot account of the main environment, used once with its own token first
    so the gateway's per-process caches hold it."""
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": "hubspot", "tenant_id": "isolated", "is_sandbox": True,
                                  "context": {"note": "only for its own environment"}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert gateway.admin("GET", f"/integrated-account/{body['id']}").status_code == 200
    assert call(gateway, "GET", "/unified/crm/accounts", gateway.headers,
                params={"integrated_account_id": body["id"], "limit": 1}).status_code == 200
    yield body
    gateway.admin("DELETE", f"/integrated-account/{body['id']}")


ADMIN_CALLS = [
    ("GET", None),
    ("PATCH", {"tenant_id": "stolen"}),
    ("PATCH", {"context": {"access_token": "attacker-token"}}),
    ("PATCH", {"status": "disabled"}),
    ("DELETE", None),
]


@pytest.mark.parametrize("method, body", ADMIN_CALLS)
def test_admin_account_routes_answer_another_environments_id_as_unknown(gateway, account, method, body):
    unknown_id = str(uuid.uuid4())
    kwargs = {"json": body} if body is not None else {}
    theirs = call(gateway, method, f"/integrated-account/{account['id']}", other_headers(gateway), **kwargs)
    unknown = call(gateway, method, f"/integrated-account/{unknown_id}", other_headers(gateway), **kwargs)
    assert_same_as_unknown(theirs, account["id"], unknown, unknown_id)
    # and nothing changed: the owner still reads the account as it was
    owned = gateway.admin("GET", f"/integrated-account/{account['id']}")
    assert owned.status_code == 200
    assert owned.json() == account | {"updated_at": owned.json()["updated_at"]}
    assert owned.json()["updated_at"] == account["updated_at"]


@pytest.mark.parametrize("sent, read_as", [("not-a-uuid", "not-a-uuid"), ("%2E%2E", ".."), ("x1", "x1"),
                                           ("00000000-0000-0000-0000-00000000000g", "00000000-0000-0000-0000-00000000000g")])
def test_an_id_that_is_not_a_uuid_is_answered_like_an_unknown_one(gateway, sent, read_as):
    unknown_id = str(uuid.uuid4())
    odd = gateway.admin("GET", f"/integrated-account/{sent}")
    unknown = gateway.admin("GET", f"/integrated-account/{unknown_id}")
    assert_same_as_unknown(odd, read_as, unknown, unknown_id)


def test_the_account_list_never_shows_another_environments_accounts(gateway, account):
    for params in ({}, {"tenant_id": "isolated"}, {"integration.name": "hubspot"}, {"limit": 1000},
                   {"status": "active"}):
        listed = call(gateway, "GET", "/integrated-account", other_headers(gateway), params=params)
        assert listed.status_code == 200, listed.text
        assert account["id"] not in listed.text
        assert all(a["environment_id"] != account["environment_id"] for a in listed.json()["result"])
    # the owner's listing has it, and a cursor of the owner's listing leads the other token nowhere new
    page = gateway.admin("GET", "/integrated-account", params={"limit": 1}).json()
    assert page["next_cursor"]
    followed = call(gateway, "GET", "/integrated-account", other_headers(gateway),
                    params={"limit": 1000, "next_cursor": page["next_cursor"]})
    # A cursor names a position (created_at, id), valid in any environment; it lists only the caller's.
    assert followed.status_code == 200, followed.text
    assert account["id"] not in followed.text


UNIFIED_CALLS = [
    ("GET", False, None),
    ("POST", False, "Written through another environment"),
    ("GET", True, None),
    ("PATCH", True, "Renamed through another environment"),
    ("DELETE", True, None),
]


@pytest.mark.parametrize("integration, resource", registered_params())
@pytest.mark.parametrize("method, with_id, label", UNIFIED_CALLS)
def test_unified_routes_answer_another_environments_account_as_unknown(gateway, sandbox, integration, resource,
                                                                       method, with_id, label):
    account_id = gateway.accounts[integration]
    unknown_id = str(uuid.uuid4())
    path = f"/unified/crm/{resource}" + ("/1" if with_id else "")
    kwargs = {"json": {label_field(integration, resource): label}} if label is not None else {}
    control = sandbox.control(integration)
    control.clear_requests()
    theirs = call(gateway, method, path, other_headers(gateway), params={"integrated_account_id": account_id},
                  **kwargs)
    unknown = call(gateway, method, path, other_headers(gateway), params={"integrated_account_id": unknown_id},
                   **kwargs)
    assert_same_as_unknown(theirs, account_id, unknown, unknown_id)
    assert control.requests() == [], "a request reached the CRM through another environment's token"


def test_the_integration_catalogue_is_the_same_for_every_environment(gateway):
    """Integrations are the gateway's files, not an environment's data: both tokens see the same."""
    for path in ("/integration", "/integration/hubspot", "/integration/nope"):
        mine = gateway.admin("GET", path)
        theirs = call(gateway, "GET", path, other_headers(gateway))
        assert (mine.status_code, mine.json()) == (theirs.status_code, theirs.json())
    assert "isolated" not in gateway.admin("GET", "/integration").text


def test_a_deleted_account_and_another_environments_account_answer_alike(gateway):
    """Gone, or never yours: the same 404 on the unified and the admin routes."""
    created = gateway.admin("POST", "/integrated-account", json={"integration": "hubspot", "is_sandbox": True})
    deleted_id = created.json()["id"]
    assert gateway.admin("DELETE", f"/integrated-account/{deleted_id}").status_code == 200
    for path in (f"/integrated-account/{deleted_id}", f"/unified/crm/accounts?integrated_account_id={deleted_id}"):
        gone = gateway.admin("GET", path)
        other_path = path.replace(deleted_id, gateway.accounts["hubspot"])
        theirs = call(gateway, "GET", other_path, other_headers(gateway))
        assert_same_as_unknown(theirs, gateway.accounts["hubspot"], gone, deleted_id)


def test_oauth_reconnect_of_another_environments_account_is_answered_as_unknown(gateway):
    """`/connect/{integration}/start?integrated_account_id=…` (src/unigate/edge/connect.py) reconnects an
    account: another environment's id must neither start a flow nor be told apart from an unknown one."""
    account_id = gateway.accounts["hubspot"]
    unknown_id = str(uuid.uuid4())
    params = {"redirect_uri": "http://127.0.0.1:9/connected"}
    theirs = call(gateway, "GET", "/connect/hubspot/start", other_headers(gateway), allow_redirects=False,
                  params={**params, "integrated_account_id": account_id})
    unknown = call(gateway, "GET", "/connect/hubspot/start", other_headers(gateway), allow_redirects=False,
                   params={**params, "integrated_account_id": unknown_id})
    assert_same_as_unknown(theirs, account_id, unknown, unknown_id)
    assert "location" not in theirs.headers
