"""The custom API (docs/api.md, "Custom API") over loopback HTTP against the emulators: the caller's own
path under the account's API base URL, with its credentials; path escapes refused with nothing sent.
"""

from __future__ import annotations

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest
import requests


def custom(gateway, method: str, integration: str, path: str, *, params=None, body=None, headers=None,
           account: str | None = None) -> requests.Response:
    query = {"integrated_account_id": account or gateway.accounts[integration], **(params or {})}
    return requests.request(method, f"{gateway.url}/custom/{path}", params=query, json=body,
                            headers=headers or gateway.headers, timeout=30)


def raw_request(gateway, method: str, target: str) -> tuple[int, dict]:
    """Send `target` exactly as written (no client normalises its dots or slashes)."""
    parts = urlsplit(gateway.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, target, headers={"Authorization": f"Bearer {gateway.token}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def api_requests(control) -> list[dict]:
    return [r for r in control.requests() if "/oauth" not in r["path"]]


def test_a_get_on_hubspot_answers_the_crms_json_in_the_envelope(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    response = custom(gateway, "GET", "hubspot", "crm/v3/objects/companies",
                      params={"limit": 2, "properties": "name", "truto_ignore_remote_data": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"result", "next_cursor", "prev_cursor"}
    assert body["next_cursor"] is None and body["prev_cursor"] is None
    assert len(body["result"]["results"]) == 2 and body["result"]["paging"]["next"]["after"]
    (sent,) = control.requests()
    assert (sent["method"], sent["path"]) == ("GET", "/hubspot/crm/v3/objects/companies")
    assert sorted(tuple(p) for p in sent["query_params"]) == [("limit", "2"), ("properties", "name")]
    assert sent["headers"]["authorization"].startswith("Bearer ")
    assert gateway.token not in json.dumps(sent["headers"])  # the gateway's token never reaches the CRM


def test_a_post_on_hubspot_sends_the_body_and_passes_the_status(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    name = f"Custom Co {uuid.uuid4().hex[:6]}"
    created = custom(gateway, "POST", "hubspot", "crm/v3/objects/companies", body={"properties": {"name": name}})
    assert created.status_code == 201, created.text
    record = created.json()["result"]
    assert record["properties"]["name"] == name
    (sent,) = control.requests()
    assert sent["method"] == "POST" and sent["body"] == {"properties": {"name": name}}
    assert sent["headers"]["content-type"] == "application/json"
    # A 204 (HubSpot's delete) is a JSON envelope with a null result.
    deleted = custom(gateway, "DELETE", "hubspot", f"crm/v3/objects/companies/{record['id']}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"result": None, "next_cursor": None, "prev_cursor": None}


def test_a_get_and_a_post_on_pipedrive(gateway, sandbox):
    control = sandbox.control("pipedrive")
    control.clear_requests()
    listed = custom(gateway, "GET", "pipedrive", "api/v2/organizations", params={"limit": 3})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["result"]["data"]) == 3
    name = f"Custom Org {uuid.uuid4().hex[:6]}"
    created = custom(gateway, "POST", "pipedrive", "api/v2/organizations", body={"name": name})
    assert created.status_code == 200, created.text
    assert created.json()["result"]["data"]["name"] == name
    sent = control.requests()
    assert [(r["method"], r["path"]) for r in sent] == [("GET", "/pipedrive/api/v2/organizations"),
                                                        ("POST", "/pipedrive/api/v2/organizations")]
    assert sent[0]["query_params"] == [["limit", "3"]]
    assert sent[1]["body"] == {"name": name}


def test_the_accounts_base_url_prefix_is_kept(gateway, sandbox):
    """Zoho's API root is /crm/v8 (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html): the path
    is under it."""
    control = sandbox.control("zoho_crm")
    control.clear_requests()
    response = custom(gateway, "GET", "zoho_crm", "Accounts", params={"fields": "Account_Name", "per_page": 2})
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]["data"]) == 2
    (sent,) = api_requests(control)
    assert sent["path"] == "/zoho_crm/crm/v8/Accounts"


def test_pipeliners_space_in_the_base_url_is_kept(gateway, sandbox):
    control = sandbox.control("pipeliner")
    control.clear_requests()
    response = custom(gateway, "GET", "pipeliner", "entities/Accounts", params={"first": 2})
    assert response.status_code == 200, response.text
    (sent,) = api_requests(control)
    assert sent["path"].endswith("/entities/Accounts") and "/spaces/" in sent["path"]


def test_a_graphql_crm_is_reached_through_the_custom_api(gateway, sandbox):
    """monday's proxy offers no list (the cursor is inside the GraphQL document); /custom/v2 takes the caller's."""
    control = sandbox.control("monday")
    control.clear_requests()
    document = {"query": "query { boards(limit: 10) { id name } }"}
    response = custom(gateway, "POST", "monday", "v2", body=document)
    assert response.status_code == 200, response.text
    assert "Accounts" in {b["name"] for b in response.json()["result"]["data"]["boards"]}
    (sent,) = control.requests()
    assert sent["body"] == document


def test_a_crm_error_is_the_error_envelope(gateway, sandbox):
    response = custom(gateway, "GET", "hubspot", "crm/v3/objects/companies/999")
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["truto_is_remote_error"] is True and body["raw_response"]["category"] == "OBJECT_NOT_FOUND"


ESCAPES = [
    "/custom/crm/v3/../../../oauth/v1/token",
    "/custom/crm/%2e%2e/%2E%2E/x",
    "/custom/.%2e/x",
    "/custom/crm%2Fv3/objects",
    "/custom/crm%2fv3",
    "/custom/crm%5Cv3",
    "/custom/crm\\v3",
    "/custom/http://evil.example/x",
    "/custom/https:evil.example",
    "/custom//evil.example/x",
    "/custom/crm@evil.example/x",
    "/custom/%252e%252e/x",
    "/custom/crm/%00",
    "/custom/crm/%zz",
    "/custom/",
    "/custom/crm//v3/objects",
    "/custom/crm;x=1/v3",
]


@pytest.mark.parametrize("target", ESCAPES)
def test_a_path_that_could_leave_the_base_url_is_refused_and_nothing_is_sent(gateway, sandbox, target):
    control = sandbox.control("hubspot")
    control.clear_requests()
    status, body = raw_request(gateway, "GET", f"{target}?integrated_account_id={gateway.accounts['hubspot']}")
    assert status == 400, body
    assert body["statusCode"] == 400 and "nothing was sent" in body["message"]
    assert control.requests() == []


def test_idempotency_key_replays_a_custom_post(gateway, sandbox):
    control = sandbox.control("pipedrive")
    control.clear_requests()
    headers = {**gateway.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"name": f"Once {uuid.uuid4().hex[:6]}"}
    first = custom(gateway, "POST", "pipedrive", "api/v2/organizations", body=body, headers=headers)
    second = custom(gateway, "POST", "pipedrive", "api/v2/organizations", body=body, headers=headers)
    assert first.status_code == second.status_code == 200, first.text
    assert second.headers["idempotent-replayed"] == "true" and second.json() == first.json()
    assert len([r for r in control.requests() if r["method"] == "POST"]) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_environments_account_is_unknown(gateway, sandbox, method):
    control = sandbox.control("hubspot")
    control.clear_requests()
    other = {"Authorization": f"Bearer {gateway.other_token}"}
    unknown_id = str(uuid.uuid4())
    body = {"properties": {"name": "x"}} if method == "POST" else None
    theirs = custom(gateway, method, "hubspot", "crm/v3/objects/companies", body=body, headers=other)
    unknown = custom(gateway, method, "hubspot", "crm/v3/objects/companies", body=body, headers=other,
                     account=unknown_id)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text.replace(gateway.accounts["hubspot"], "<id>") == unknown.text.replace(unknown_id, "<id>")
    assert control.requests() == []


def test_methods_and_the_account_id_are_checked(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    assert custom(gateway, "OPTIONS", "hubspot", "crm/v3/objects/companies").status_code == 405
    missing = requests.get(f"{gateway.url}/custom/crm/v3/objects/companies", headers=gateway.headers, timeout=10)
    assert missing.status_code == 400 and "integrated_account_id" in missing.json()["message"]
    assert requests.get(f"{gateway.url}/custom/crm", timeout=10).status_code == 401
    assert control.requests() == []
