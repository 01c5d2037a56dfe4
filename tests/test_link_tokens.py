"""Link tokens and the hosted connect page over HTTP (docs/api.md "Link tokens and the connect page"): a CRM
connected with an API key and one over OAuth, credentials checked with a real call before they are stored,
refused and unreachable CRMs, used, expired and forged links. tests/browser/ drives the same page with
Truto's Link SDK in Chromium."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlsplit

import pytest
import requests
from oauth_support import authorize, query_of
from support import SPECS


def link_token(gateway, **body) -> dict:
    response = requests.post(f"{gateway.url}/link-token", headers=gateway.headers, json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def page(gateway, **params) -> requests.Response:
    return requests.get(f"{gateway.url}/connect-account", params=params, timeout=30, allow_redirects=False)


def submit(gateway, token: str, integration: str, method: str, fields: dict) -> requests.Response:
    data = {"link_token": token, "integration": integration, "auth_method": method,
            **{f"field.{k}": v for k, v in fields.items()}}
    return requests.post(f"{gateway.url}/connect-account", data=data, timeout=30)


def reported(response: requests.Response) -> dict:
    """What the page tells the opener (connect.js posts it): the data-result attribute."""
    found = re.search(r'data-result="([^"]*)"', response.text)
    assert found, response.text
    return json.loads(html.unescape(found.group(1)))


def sandbox_credentials(name: str, method: str) -> dict:
    fields = next(a for a in SPECS[name].auth if a.method == method).fields
    return {f.name: SPECS[name].sandbox_context[f.name] for f in fields if f.name in SPECS[name].sandbox_context}


@pytest.fixture
def copper(sandbox):
    control = sandbox.control("copper")
    control.clear_faults()
    yield control
    control.clear_faults()


def test_a_link_token_is_refused_unless_it_names_one_account_or_tenant(gateway):
    def post(body):
        return requests.post(f"{gateway.url}/link-token", headers=gateway.headers, json=body, timeout=30)
    assert post({}).status_code == 400
    assert post({"tenant_id": "acme", "integrated_account_id": gateway.accounts["copper"]}).status_code == 400
    assert post({"tenant_id": "acme", "integrations": ["nope"]}).status_code == 400
    assert post({"tenant_id": "acme", "redirect_uri": "javascript:alert(1)"}).status_code == 400
    assert post({"integrated_account_id": "00000000-0000-4000-8000-000000000000"}).status_code == 404
    anonymous = requests.post(f"{gateway.url}/link-token", json={"tenant_id": "acme"}, timeout=30)
    assert anonymous.status_code == 401
    made = link_token(gateway, tenant_id="acme")
    assert made["link_token"].startswith("ult_") and made["url"].endswith(made["link_token"])


def test_the_page_lists_the_allowed_crms_and_shows_each_ones_own_form(gateway):
    token = link_token(gateway, tenant_id="acme", integrations=["copper", "hubspot"], is_sandbox=True)["link_token"]
    listing = page(gateway, link_token=token)
    assert listing.status_code == 200
    assert "Copper" in listing.text and "HubSpot" in listing.text and "Pipedrive" not in listing.text
    assert "default-src 'self'" in listing.headers["content-security-policy"]
    form = page(gateway, link_token=token, integration="copper")
    for field in next(a for a in SPECS["copper"].auth if a.method == "api_key").fields:
        assert f'name="field.{field.name}"' in form.text
    assert 'type="password"' in form.text  # the API key
    oauth = page(gateway, link_token=token, integration="hubspot")
    assert "/connect-account/oauth?" in oauth.text and 'name="field.access_token"' not in oauth.text
    refused = page(gateway, link_token=token, integration="pipedrive")
    assert refused.status_code == 400 and reported(refused)["error_type"] == "invalid_integration"


def test_credentials_are_checked_with_a_real_call_then_stored_once(gateway, copper):
    token = link_token(gateway, tenant_id="tenant-link", integrations=["copper"], is_sandbox=True,
                       redirect_uri="https://app.example.com/connected?from=tests")["link_token"]
    wrong = submit(gateway, token, "copper", "api_key", {**sandbox_credentials("copper", "api_key"),
                                                         "api_key": "not-the-key"})
    assert wrong.status_code == 422 and "refused these credentials" in wrong.text
    assert "not-the-key" not in wrong.text  # a secret is never echoed back

    copper.fault(status=503, times=-1)
    down = submit(gateway, token, "copper", "api_key", sandbox_credentials("copper", "api_key"))
    assert down.status_code == 503 and "not answering" in down.text
    copper.clear_faults()
    accounts = requests.get(f"{gateway.url}/integrated-account", headers=gateway.headers,
                            params={"tenant_id": "tenant-link"}, timeout=30).json()["result"]
    assert accounts == []  # nothing stored by the refused or failed attempts

    done = submit(gateway, token, "copper", "api_key", sandbox_credentials("copper", "api_key"))
    assert done.status_code == 200, done.text
    result = reported(done)
    assert result["is_truto"] is True and result["result"] == "success" and result["integration"] == "copper"
    redirect = re.search(r'data-redirect="([^"]*)"', done.text).group(1)
    assert query_of(html.unescape(redirect)) == {"from": "tests", "result": "success", "integration": "copper",
                                                 "integrated_account_id": result["integrated_account_id"]}
    account = requests.get(f"{gateway.url}/integrated-account/{result['integrated_account_id']}",
                           headers=gateway.headers, timeout=30).json()
    assert account["tenant_id"] == "tenant-link" and account["is_sandbox"] is True
    listed = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=30,
                          params={"integrated_account_id": account["id"], "limit": 1})
    assert listed.status_code == 200, listed.text

    again = submit(gateway, token, "copper", "api_key", sandbox_credentials("copper", "api_key"))
    assert again.status_code == 410 and reported(again)["error_type"] == "invalid_token"
    assert page(gateway, link_token=token).status_code == 410


def test_an_oauth_crm_connects_through_its_own_flow(gateway, sandbox):
    sandbox.control("hubspot").clear_faults()
    token = link_token(gateway, tenant_id="tenant-oauth", integrations=["hubspot"], is_sandbox=True)["link_token"]
    started = requests.get(f"{gateway.url}/connect-account/oauth", params={"link_token": token, "integration": "hubspot"},
                           allow_redirects=False, timeout=30)
    assert started.status_code == 302 and started.headers["location"].startswith(sandbox.url)
    callback = authorize(started)
    back = requests.get(callback, allow_redirects=False, timeout=30)
    assert back.status_code == 302 and urlsplit(back.headers["location"]).path == "/connect-account/result"
    done = requests.get(back.headers["location"], timeout=30)
    assert done.status_code == 200, done.text
    result = reported(done)
    assert result["result"] == "success" and result["integration"] == "hubspot"
    account = requests.get(f"{gateway.url}/integrated-account/{result['integrated_account_id']}",
                           headers=gateway.headers, timeout=30).json()
    assert account["tenant_id"] == "tenant-oauth" and account["authentication_method"] == "oauth2"
    assert requests.get(back.headers["location"], timeout=30).status_code == 410  # used


def test_a_result_page_that_names_another_account_confirms_nothing(gateway):
    token = link_token(gateway, tenant_id="tenant-forged", integrations=["hubspot"], is_sandbox=True)["link_token"]
    forged = requests.get(f"{gateway.url}/connect-account/result", timeout=30, params={
        "link_token": token, "integration": "hubspot", "integrated_account_id": gateway.accounts["hubspot"]})
    assert forged.status_code == 400 and reported(forged)["error_type"] == "connection_error"
    assert page(gateway, link_token=token).status_code == 200  # still unused


def test_unknown_and_malformed_links_get_a_clear_page(gateway):
    for params in ({}, {"link_token": "ult_nope"}, {"link_token": "x" * 5000}):
        response = page(gateway, **params)
        assert response.status_code == 400 and "not valid" in response.text
        assert reported(response) == {"is_truto": True, "result": "error", "error_type": "invalid_token",
                                      "error": "This connection link is not valid. Ask the app for a new one."}
    assert requests.post(f"{gateway.url}/connect-account", data=b"\xff\xfe", timeout=30).status_code == 400


def test_a_reconnect_replaces_the_credentials_of_its_account(gateway, copper):
    created = requests.post(f"{gateway.url}/integrated-account", headers=gateway.headers, timeout=30,
                            json={"integration": "copper", "is_sandbox": True, "tenant_id": "tenant-re"}).json()
    token = link_token(gateway, integrated_account_id=created["id"])["link_token"]
    form = page(gateway, link_token=token)  # straight to the account's CRM
    assert form.status_code == 200 and 'name="field.api_key"' in form.text
    done = submit(gateway, token, "copper", "api_key", sandbox_credentials("copper", "api_key"))
    assert done.status_code == 200, done.text
    assert reported(done)["integrated_account_id"] == created["id"]
