"""Admin routes in Truto's shapes (https://truto.one/docs/api-reference/admin/integrated-accounts), the integration catalogue, OpenAPI."""

from __future__ import annotations

import pytest
import requests
from support import INTEGRATIONS, SPECS

SECRET = "pat-na1-very-secret-value"


def create(gateway, **body) -> requests.Response:
    return gateway.admin("POST", "/integrated-account", json=body)


def test_account_shape_and_redaction(gateway):
    response = create(gateway, integration="hubspot", tenant_id="acme", context={"access_token": SECRET, "portal": 7})
    assert response.status_code == 201, response.text
    account = response.json()
    assert set(account) == {"id", "tenant_id", "environment_id", "integration", "status", "is_sandbox",
                            "authentication_method", "context", "created_at", "updated_at"}
    assert account["integration"] == {"name": "hubspot", "label": "HubSpot", "category": "crm"}
    assert account["status"] == "active" and account["is_sandbox"] is False
    assert account["context"] == {"access_token": "********", "portal": 7}
    fetched = gateway.admin("GET", f"/integrated-account/{account['id']}")
    assert SECRET not in fetched.text
    assert fetched.json()["context"]["access_token"] == "********"


def test_patch_merges_context_shallowly_and_keeps_secrets(gateway, sandbox):
    account = create(gateway, integration="pipedrive", is_sandbox=True,
                     context={"custom_field_keys": {"website": "abc"}, "region": "eu"}).json()
    patched = gateway.admin("PATCH", f"/integrated-account/{account['id']}",
                            json={"context": {"region": "us", "api_token": "********"}, "tenant_id": "t2"})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["tenant_id"] == "t2"
    assert body["context"]["region"] == "us"
    assert body["context"]["custom_field_keys"] == {"website": "abc"}  # untouched key kept
    assert body["context"]["api_token"] == "********"
    # the secret left out of the patch (and the echoed mask) kept the real token: calls still work
    response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": account["id"], "limit": 1})
    assert response.status_code == 200, response.text


def test_patch_replaces_credentials_and_the_gateway_sees_it_at_once(gateway):
    account = create(gateway, integration="hubspot", is_sandbox=True).json()
    query = {"integrated_account_id": account["id"], "limit": 1}
    url = f"{gateway.url}/unified/crm/accounts"
    assert requests.get(url, headers=gateway.headers, params=query, timeout=10).status_code == 200
    gateway.admin("PATCH", f"/integrated-account/{account['id']}", json={"context": {"access_token": "revoked"}})
    assert requests.get(url, headers=gateway.headers, params=query, timeout=10).status_code == 401


def test_list_filters_and_pages(gateway):
    for _ in range(3):
        create(gateway, integration="copper" if "copper" in SPECS else "hubspot", tenant_id="pager", is_sandbox=True)
    seen = []
    cursor = None
    while True:
        params = {"tenant_id": "pager", "limit": 2}
        if cursor:
            params["next_cursor"] = cursor
        page = gateway.admin("GET", "/integrated-account", params=params).json()
        assert set(page) == {"result", "next_cursor", "limit"}
        seen += [a["id"] for a in page["result"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 == len(set(seen))
    hubspot_only = gateway.admin("GET", "/integrated-account", params={"integration.name": "hubspot"}).json()
    assert hubspot_only["result"] and all(a["integration"]["name"] == "hubspot" for a in hubspot_only["result"])
    bracketed = gateway.admin("GET", "/integrated-account", params={"integration[name]": "hubspot"}).json()
    assert [a["id"] for a in bracketed["result"]] == [a["id"] for a in hubspot_only["result"]]


def test_delete_account_then_unified_calls_are_404(gateway):
    account = create(gateway, integration="hubspot", is_sandbox=True).json()
    deleted = gateway.admin("DELETE", f"/integrated-account/{account['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"id": account["id"]}
    assert gateway.admin("GET", f"/integrated-account/{account['id']}").status_code == 404
    response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": account["id"]})
    assert response.status_code == 404


@pytest.mark.parametrize("body, fragment", [
    ({"integration": "salesforce"}, "integration must be one of"),
    ({"integration": "hubspot", "context": "x"}, "context must be an object"),
    ({"integration": "hubspot", "context": {}}, "access_token"),
    ({"integration": "hubspot", "is_sandbox": "yes"}, "is_sandbox"),
    ({"integration": "pipedrive", "authentication_method": "magic", "is_sandbox": True}, "authentication_method"),
])
def test_bad_account_bodies(gateway, body, fragment):
    response = create(gateway, **body)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_bad_json_body(gateway):
    response = gateway.admin("POST", "/integrated-account", data=b"{oops")
    assert response.status_code == 400 and "not valid JSON" in response.json()["message"]


def test_integration_catalogue_is_read_from_the_files(gateway):
    body = gateway.admin("GET", "/integration").json()
    names = [i["name"] for i in body["result"]]
    assert names == INTEGRATIONS
    for entry in body["result"]:
        spec = SPECS[entry["name"]]
        mapping = spec.mappings[("crm", "accounts")]
        assert entry["label"] == spec.label
        assert [a["method"] for a in entry["auth"]] == [a.method for a in spec.auth]
        accounts = next(u for u in entry["unified"] if (u["model"], u["resource"]) == ("crm", "accounts"))
        assert accounts["methods"] == list(mapping.methods)
        assert accounts["fields"] == list(mapping.fields)
        assert accounts["required_fields"] == [list(entry) for entry in mapping.required]
        assert accounts["value_formats"] == mapping.formats
    pipeliner = gateway.admin("GET", "/integration/pipeliner").json()
    accounts = next(u for u in pipeliner["unified"] if u["resource"] == "accounts")
    assert accounts["required_fields"] == [["name"], ["owner"]] and accounts["defaulted_fields"] == ["owner"]
    assert accounts["value_formats"]["country"] == "free_text"
    hubspot = gateway.admin("GET", "/integration/hubspot").json()
    assert hubspot["name"] == "hubspot"
    for entry in hubspot["unified"]:  # why a method is missing, and what is served beyond Truto's coverage
        mapping = SPECS["hubspot"].mappings[(entry["model"], entry["resource"])]
        assert (entry["not_supported"], entry["beyond_truto"]) == (mapping.not_supported, mapping.beyond_truto)
    assert gateway.admin("GET", "/integration/nope").status_code == 404


def test_openapi_document(gateway):
    from openapi_spec_validator import validate

    document = requests.get(f"{gateway.url}/openapi.json", timeout=5).json()
    validate(document)  # a valid OpenAPI 3.1 document
    assert document["openapi"].startswith("3.1")
    for path in ("/unified/crm/accounts", "/unified/crm/accounts/{id}", "/integrated-account",
                 "/integrated-account/{id}", "/integration", "/health"):
        assert path in document["paths"], path
    assert set(document["paths"]["/unified/crm/accounts/{id}"]) >= {"get", "patch", "delete"}
    assert "CrmAccounts" in document["components"]["schemas"]
    assert document["components"]["schemas"]["CrmAccounts"]["properties"]["number_of_employees"]["type"] == "integer"


def test_patch_keeps_nested_protected_secrets(gateway):
    """A patch of {"oauth": {"scope": ...}} keeps oauth.token.* (Truto's protected paths survive a PATCH)."""
    context = {"access_token": "top", "oauth": {"scope": "read", "token": {"access_token": "A1", "refresh_token": "R1",
                                                                        "expires_in": 1800}}}
    account = create(gateway, integration="hubspot", is_sandbox=True, context=context).json()
    patched = gateway.admin("PATCH", f"/integrated-account/{account['id']}",
                            json={"context": {"oauth": {"scope": "write"}}}).json()
    assert patched["context"]["oauth"]["scope"] == "write"
    assert patched["context"]["oauth"]["token"] == "********"  # kept, and redacted whole
    assert patched["context"]["access_token"] == "********"


def test_patch_replaces_nested_values_that_are_not_secret(gateway):
    account = create(gateway, integration="hubspot", is_sandbox=True,
                     context={"settings": {"region": "eu", "api_key": "k1"}}).json()
    patched = gateway.admin("PATCH", f"/integrated-account/{account['id']}",
                            json={"context": {"settings": {"locale": "de"}}}).json()
    assert patched["context"]["settings"] == {"locale": "de", "api_key": "********"}
