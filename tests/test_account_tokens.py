"""Integrated-account tokens and API token management (docs/api.md "Integrated-account tokens", "API tokens").

An integrated-account token (https://preview.truto.one/docs/api-reference/admin/integrated-accounts/create-token)
reaches one account through /unified, /proxy, /custom and /integrated-account/me, for 15 minutes, and nothing
else; a revoked API token stops working at once."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests

from unigate.auth.account_tokens import AccountTokens
from unigate.cli import create_token


def call(gateway, method: str, path: str, token: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{gateway.url}{path}", headers={"Authorization": f"Bearer {token}"},
                            timeout=30, **kwargs)


@pytest.fixture
def account_token(gateway):
    issued = requests.post(f"{gateway.url}/integrated-account/token", headers=gateway.headers, timeout=30,
                           json={"integrated_account_id": gateway.accounts["hubspot"]})
    assert issued.status_code == 201, issued.text
    return issued.json()


def test_a_token_reaches_its_account_through_unified_proxy_and_custom(gateway, sandbox, account_token):
    sandbox.control("hubspot").clear_faults()
    token = account_token["integrated_account_token"]
    assert token.startswith("uiat_")
    expires = time.strptime(account_token["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert 14 * 60 <= time.mktime(expires) - time.mktime(time.gmtime()) <= 15 * 60 + 5
    unified = call(gateway, "GET", "/unified/crm/accounts", token, params={"limit": 2})
    assert unified.status_code == 200, unified.text
    assert unified.json()["result_count"] == 2
    own = call(gateway, "GET", "/unified/crm/accounts", token,
               params={"limit": 1, "integrated_account_id": gateway.accounts["hubspot"]})
    assert own.status_code == 200, own.text
    assert call(gateway, "GET", "/proxy/companies", token, params={"limit": 1}).status_code == 200
    assert call(gateway, "GET", "/custom/crm/v3/objects/companies", token, params={"limit": 1}).status_code == 200
    meta = call(gateway, "GET", "/unified/crm/accounts/meta/list", token)
    assert meta.status_code == 200 and meta.json()["method"] == "list"


def test_a_token_reaches_no_other_account_and_no_admin_route(gateway, account_token):
    token = account_token["integrated_account_token"]
    other = call(gateway, "GET", "/unified/crm/accounts", token,
                 params={"integrated_account_id": gateway.accounts["pipedrive"]})
    assert other.status_code == 403, other.text
    assert "only its own account" in other.json()["message"]
    for method, path in (("GET", "/integrated-account"), ("GET", f"/integrated-account/{gateway.accounts['hubspot']}"),
                         ("POST", "/integrated-account/token"), ("GET", "/integration"), ("GET", "/api-token"),
                         ("DELETE", f"/integrated-account/{gateway.accounts['hubspot']}")):
        response = call(gateway, method, path, token, json={"integrated_account_id": gateway.accounts["hubspot"]})
        assert response.status_code == 403, (method, path, response.text)
        assert "/integrated-account/me" in response.json()["message"]


def test_me_answers_the_tokens_account_and_lets_it_change_its_context_only(gateway, account_token):
    token = account_token["integrated_account_token"]
    me = call(gateway, "GET", "/integrated-account/me", token)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == gateway.accounts["hubspot"]
    assert "sandbox-hubspot-token" not in me.text  # secrets stay redacted
    changed = call(gateway, "PATCH", "/integrated-account/me", token, json={"context": {"widget_theme": "dark"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["context"]["widget_theme"] == "dark"
    refused = call(gateway, "PATCH", "/integrated-account/me", token, json={"status": "disabled"})
    assert refused.status_code == 400 and "status" in refused.json()["message"]
    assert call(gateway, "GET", "/integrated-account/me", gateway.token).status_code == 403


def test_a_forged_expired_or_foreign_token_is_refused(gateway, account_token):
    token = account_token["integrated_account_token"]
    payload, signature = token[len("uiat_"):].split(".")
    tampered = "uiat_" + payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    for bad in (tampered, token + "x", "uiat_", "uiat_a.b", "uiat_" + "A" * 500):
        response = call(gateway, "GET", "/unified/crm/accounts", bad)
        assert response.status_code == 401, (bad[:40], response.text)
    # Signed with another key (another deployment's), or expired: refused the same way.
    foreign, _ = AccountTokens(b"k" * 32).issue("env", gateway.accounts["hubspot"])
    assert call(gateway, "GET", "/unified/crm/accounts", foreign).status_code == 401
    tokens = AccountTokens(b"k" * 32, lifetime=-1)
    expired, _ = tokens.issue("env", "account")
    assert tokens.verify(expired) is None and AccountTokens(b"k" * 32).verify(foreign) is not None


def test_a_token_for_an_unknown_or_deleted_account(gateway):
    missing = requests.post(f"{gateway.url}/integrated-account/token", headers=gateway.headers, timeout=30,
                            json={"integrated_account_id": "00000000-0000-4000-8000-000000000000"})
    assert missing.status_code == 404
    assert requests.post(f"{gateway.url}/integrated-account/token", headers=gateway.headers, timeout=30,
                         json={}).status_code == 400
    created = requests.post(f"{gateway.url}/integrated-account", headers=gateway.headers, timeout=30,
                            json={"integration": "pipedrive", "is_sandbox": True})
    account_id = created.json()["id"]
    token = requests.post(f"{gateway.url}/integrated-account/token", headers=gateway.headers, timeout=30,
                          json={"integrated_account_id": account_id}).json()["integrated_account_token"]
    requests.delete(f"{gateway.url}/integrated-account/{account_id}", headers=gateway.headers,
                    timeout=30).raise_for_status()
    assert call(gateway, "GET", "/unified/crm/accounts", token).status_code == 404
    assert call(gateway, "GET", "/integrated-account/me", token).status_code == 404


def test_api_tokens_are_listed_without_secrets_and_a_revoked_one_stops_at_once(gateway):
    made = asyncio.run(create_token(gateway.settings, "to-revoke", "test-env"))
    listed = requests.get(f"{gateway.url}/api-token", headers=gateway.headers, timeout=30)
    assert listed.status_code == 200, listed.text
    entry = next(t for t in listed.json()["result"] if t["name"] == "to-revoke")
    assert set(entry) == {"id", "name", "created_at"} and made not in listed.text
    assert call(gateway, "GET", "/integrated-account", made).status_code == 200
    assert requests.delete(f"{gateway.url}/api-token/{entry['id']}", headers=gateway.headers, timeout=30).status_code == 200
    assert call(gateway, "GET", "/integrated-account", made).status_code == 401
    assert requests.delete(f"{gateway.url}/api-token/{entry['id']}", headers=gateway.headers, timeout=30).status_code == 404
    # Another environment's token cannot be revoked from here.
    others = requests.get(f"{gateway.url}/api-token", headers={"Authorization": f"Bearer {gateway.other_token}"},
                          timeout=30).json()["result"]
    response = requests.delete(f"{gateway.url}/api-token/{others[0]['id']}", headers=gateway.headers, timeout=30)
    assert response.status_code == 404
