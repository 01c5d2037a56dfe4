"""Nutshell through the gateway: the mapping against the sandbox's stored accounts, writes as Nutshell
receives them, and Nutshell's quirks seen through the unified API
(https://developers.nutshell.com/, OpenAPI https://app.nutshell.com/swagger.json)."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
import requests
from support import list_all

NAME = "nutshell"
USERNAME, API_KEY = "api-user@sandbox-nutshell.example", "sandbox-nutshell-key"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def industry_names(ctl) -> dict[str, str]:
    """GET /rest/industries straight from the sandbox: industry id -> name."""
    answer = requests.get(f"{ctl.url}/rest/industries", auth=(USERNAME, API_KEY), timeout=5)
    answer.raise_for_status()
    return {i["id"]: i["name"] for i in answer.json()}


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected(a: dict, industries: dict[str, str]) -> dict:
    """The unified account a stored Nutshell account should map to (written independently of the YAML)."""
    def address(x):
        out = {"street_1": x["address_1"], "street_2": x["address_2"], "city": x["city"], "state": x["state"],
               "postal_code": x["postalCode"], "country": x["country"], "type": x["name"]}
        return {k: v for k, v in out.items() if v}
    return {
        "id": a["id"], "name": a["name"], "description": a["description"],
        "industry": industries[a["links"]["industry"]],
        "website": next(u["value"] for u in a["urls"] if u["isPrimary"]),
        "number_of_employees": a["employeeCount"], "owner": {"id": a["links"]["owner"]},
        "addresses": [address(x) for x in a["addresses"]],
        "phone_numbers": [{k: v for k, v in {"number": p["value"]["E164"], "extension": p["value"]["extension"],
                                             "type": p["name"]}.items() if v} for p in a["phones"]],
        "urls": [{"url": u["value"], "type": u["name"]} for u in a["urls"]],
        "tags": [{"id": t} for t in a["links"]["tags"]],
        "custom_fields": a["customFields"],
        "created_at": iso(a["createdTime"]), "updated_at": iso(a["modifiedTime"]),
    }


def test_list_maps_every_account(gateway, ctl):
    """GET /rest/accounts pages with page[limit]/0-based page[page]; every field maps, the industry
    name included (the list has no sideloads: the name comes from the cached GET /rest/industries)."""
    stored = {a["id"]: a for a in ctl.records("accounts")}
    industries = industry_names(ctl)
    listed = [r for page in list_all(gateway, NAME, limit=9) for r in page]
    assert len(listed) == 60
    for record in listed:
        want = expected(stored[record["id"]], industries)
        assert {k: record.get(k) for k in want} == want
    assert {r["industry"] for r in listed} == set(industries.values())


def test_get_reads_the_industry_name(gateway, ctl):
    """GET /rest/accounts/{id}: the industry link (an id) reads as its name."""
    stored = next(a for a in ctl.records("accounts") if a["id"] == "7-accounts")
    got = gateway.unified("GET", NAME, "7-accounts")
    assert got.status_code == 200, got.text
    assert got.json()["industry"] == industry_names(ctl)[stored["links"]["industry"]]
    assert got.json()["remote_data"]["links"]["industry"] == stored["links"]["industry"]


def test_list_sends_zero_based_pages(gateway, ctl):
    """swagger: page[page] starts at 0."""
    ctl.clear_requests()
    list_all(gateway, NAME, limit=25)
    pages = [dict(r["query_params"])["page[page]"] for r in ctl.requests() if r["path"].endswith("/rest/accounts")]
    assert pages == ["0", "1", "2"]


def test_create_body_and_read_back(gateway, ctl):
    """swagger POST /accounts: {"accounts":[{...}]} with links.owner/industry/tags and customFields; Basic auth."""
    sent = {"name": "Gateway Co", "description": "Made via unigate", "website": "https://gateway.example",
            "number_of_employees": 12, "owner": {"id": "2-users"}, "industry": "Retail",
            "addresses": [{"street_1": "5 Main St", "city": "Ann Arbor", "state": "MI", "postal_code": "48104",
                           "country": "US"}],
            "phone_numbers": [{"number": "+1 734-555-0101", "extension": "9"}],
            "tags": [{"id": "2-tags"}], "custom_fields": {"Tier": "Silver"}}
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json=sent)
    assert created.status_code == 200, created.text
    body = created.json()
    for key in ("name", "description", "industry", "website", "number_of_employees", "owner", "custom_fields"):
        assert body[key] == sent[key], key
    assert body["tags"] == [{"id": "2-tags"}]
    assert body["phone_numbers"] == [{"number": "+17345550101", "extension": "9", "type": "work"}]
    assert body["addresses"][0]["street_1"] == "5 Main St" and body["addresses"][0]["postal_code"] == "48104"
    post = [r for r in ctl.requests() if r["method"] == "POST"][0]
    user, _, key = base64.b64decode(post["headers"]["authorization"][6:]).decode().partition(":")
    assert (user, key) == ("api-user@sandbox-nutshell.example", "sandbox-nutshell-key")
    account = post["body"]["accounts"][0]
    assert account["links"] == {"owner": "2-users", "industry": "5-industries", "tags": ["2-tags"]}
    assert account["addresses"][0]["value"]["address_1"] == "5 Main St"
    assert account["phones"][0]["value"] == "+1 734-555-0101 x9"
    stored = next(a for a in ctl.records("accounts") if a["id"] == body["id"])
    want = expected(stored, industry_names(ctl))
    assert {k: body.get(k) for k in want} == want


def test_update_is_a_json_patch(gateway, ctl):
    """swagger PATCH: application/json-patch+json, replace ops on /accounts/0/... and /accounts/0/links/..."""
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, "4-accounts",
                              json={"name": "Renamed", "owner": {"id": "3-users"}, "industry": "Energy",
                                    "custom_fields": {"Tier": "Gold"}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Renamed" and updated.json()["owner"] == {"id": "3-users"}
    assert updated.json()["industry"] == "Energy"
    energy = next(i for i, n in industry_names(ctl).items() if n == "Energy")
    patch = [r for r in ctl.requests() if r["method"] == "PATCH"][0]
    assert patch["headers"]["content-type"] == "application/json-patch+json"
    assert patch["body"] == [{"op": "replace", "path": "/accounts/0/name", "value": "Renamed"},
                             {"op": "replace", "path": "/accounts/0/links/owner", "value": "3-users"},
                             {"op": "replace", "path": "/accounts/0/links/industry", "value": energy},
                             {"op": "replace", "path": "/accounts/0/customFields/Tier", "value": "Gold"}]
    assert gateway.unified("GET", NAME, "4-accounts").json()["industry"] == "Energy"


def test_industries_are_read_once_per_account(gateway, ctl):
    """The industries step is cached per integrated account: later calls do not repeat GET /rest/industries."""
    gateway.unified("GET", NAME, params={"limit": 3})  # warms the cache if no earlier test did
    ctl.clear_requests()
    gateway.unified("GET", NAME, params={"limit": 3})
    gateway.unified("GET", NAME, "3-accounts")
    gateway.unified("PATCH", NAME, "3-accounts", json={"industry": "Retail"})
    assert not [r for r in ctl.requests() if r["path"].endswith("/rest/industries")]


def test_unknown_industry_is_refused_not_dropped(gateway, ctl):
    """A name GET /rest/industries does not list reaches Nutshell as the link, which refuses it (422)."""
    ctl.clear_requests()
    bad = gateway.unified("POST", NAME, json={"name": "Nowhere Co", "industry": "Underwater Basket Weaving"})
    assert bad.status_code == 422, bad.text
    assert "Invalid industry link" in bad.json()["message"]
    post = [r for r in ctl.requests() if r["method"] == "POST"][0]
    assert post["body"]["accounts"][0]["links"]["industry"] == "Underwater Basket Weaving"


def test_delete_answers_with_the_full_deleted_account(gateway, ctl):
    """swagger DELETE: 200 + the deleted account, so the unified delete carries the whole model (Truto: Nutshell)."""
    stored = next(a for a in ctl.records("accounts") if a["id"] == "5-accounts")
    deleted = gateway.unified("DELETE", NAME, "5-accounts")
    assert deleted.status_code == 200
    body = deleted.json()
    want = expected(stored, industry_names(ctl))
    want.pop("updated_at")
    assert {k: body.get(k) for k in want} == want
    assert body["industry"] == "Retail" and body["updated_at"]  # 5-industries, from the sideload
    assert gateway.unified("GET", NAME, "5-accounts").status_code == 404  # soft-deleted: readable, but gone


def test_provider_errors(gateway, ctl):
    """Unknown id -> 404; validation -> 422 with Nutshell's title/detail as the message."""
    assert gateway.unified("GET", NAME, "999-accounts").status_code == 404
    bad = gateway.unified("POST", NAME, json={"name": "X", "owner": {"id": "99-users"}})
    assert bad.status_code == 422
    assert "Invalid owner link" in bad.json()["message"]
