"""Outreach through the unified API: the mapping against the emulator's stored JSON:API records.

Research: crm-apis-2.md §3 (Outreach); mapping: src/unigate/integrations/outreach/crm/accounts.yaml.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from support import list_all

NAME = "outreach"
JSONAPI = "application/vnd.api+json"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def iso_equal(unified: str | None, provider: str | None) -> bool:
    if provider is None:
        return unified is None
    return datetime.fromisoformat(unified.replace("Z", "+00:00")) == datetime.fromisoformat(provider.replace("Z", "+00:00"))


def expected_from(record: dict) -> dict:
    a = record["attributes"]
    urls = [u for u in ({"url": a["websiteUrl"], "type": "website"} if a["websiteUrl"] else None,
                        {"url": a["linkedInUrl"], "type": "linkedin"} if a["linkedInUrl"] else None) if u]
    custom = {k: v for k, v in a.items() if k.startswith("custom") and k[6:].isdigit() and v is not None}
    owner = record["relationships"]["owner"]["data"]
    return {
        "id": str(record["id"]),
        "name": a["name"],
        "description": a["description"],
        "industry": a["industry"],
        "website": a["websiteUrl"] or a["domain"],
        "number_of_employees": a["numberOfEmployees"],
        "owner": {"id": str(owner["id"])} if owner else None,
        "urls": urls or None,
        "tags": [{"name": t} for t in a["tags"]] or None,
        "custom_fields": custom or None,
    }


def test_every_supported_field_matches_the_stored_record(gateway, ctl):
    """§3.4: name/description/industry/websiteUrl/numberOfEmployees/owner/tags/customN/touchedAt/createdAt/updatedAt."""
    stored = {str(r["id"]): r for r in ctl.records("accounts")}
    listed = gateway.unified("GET", NAME, params={"limit": 60}).json()["result"]
    assert len(listed) == 60  # page[size]=60 (up to 1000 per page)
    for account in listed:
        record = stored[account["id"]]
        for key, value in expected_from(record).items():
            assert account.get(key) == value, (key, account.get(key), value)
        a = record["attributes"]
        assert iso_equal(account["created_at"], a["createdAt"])
        assert iso_equal(account["updated_at"], a["updatedAt"])
        assert iso_equal(account["last_activity_at"], a["touchedAt"])
        assert "addresses" not in account or account["addresses"] is None
        assert account["remote_data"]["id"] == record["id"]  # integer id kept in remote_data


def test_list_sends_page_size_and_follows_links_next(gateway, ctl):
    """§3.3: page[size] on the first call, then the query of links.next (page[after]) until it is absent."""
    ctl.reset(130)
    ctl.clear_requests()
    seen = [r["id"] for page in list_all(gateway, NAME, limit=50) for r in page]
    assert len(seen) == len(set(seen)) == 130
    calls = [r for r in ctl.requests() if r["method"] == "GET"]
    assert len(calls) == 3
    first = dict(calls[0]["query_params"])
    assert first["page[size]"] == "50" and "page[after]" not in first and first["count"] == "false"
    assert all("page[after]" in dict(c["query_params"]) for c in calls[1:])
    assert all(c["headers"]["authorization"] == "Bearer sandbox-outreach-token" for c in calls)


def test_create_sends_a_jsonapi_document_and_reads_back(gateway, ctl):
    """§3.1/§3.2: POST with Content-Type application/vnd.api+json, integer owner id in relationships; 201."""
    ctl.clear_requests()
    sent = {
        "name": "Northwind Traders",
        "description": "Speciality foods",
        "industry": "Retail",
        "website": "https://www.northwind.example/shop",
        "number_of_employees": 120,
        "owner": {"id": "4"},
        "urls": [{"url": "https://www.linkedin.com/company/northwind", "type": "linkedin"}],
        "tags": [{"name": "vip"}, {"name": "partner"}],
        "custom_fields": {"custom1": "Tier 1", "custom7": 42},
    }
    created = gateway.unified("POST", NAME, json=sent)
    assert created.status_code == 200, created.text
    account = created.json()
    posts = [r for r in ctl.requests() if r["method"] == "POST"]
    assert len(posts) == 1
    assert posts[0]["headers"]["content-type"] == JSONAPI
    assert posts[0]["body"] == {"data": {
        "type": "account",
        "attributes": {
            "name": "Northwind Traders", "description": "Speciality foods", "industry": "Retail",
            "websiteUrl": "https://www.northwind.example/shop", "domain": "northwind.example",
            "linkedInUrl": "https://www.linkedin.com/company/northwind", "numberOfEmployees": 120,
            "tags": ["vip", "partner"], "custom1": "Tier 1", "custom7": "42",
        },
        "relationships": {"owner": {"data": {"type": "user", "id": 4}}},
    }}
    fetched = gateway.unified("GET", NAME, account["id"]).json()
    for got in (account, fetched):
        assert got["name"] == sent["name"] and got["description"] == sent["description"]
        assert got["industry"] == "Retail" and got["number_of_employees"] == 120
        assert got["website"] == sent["website"] and got["owner"] == {"id": "4"}
        assert {"url": "https://www.linkedin.com/company/northwind", "type": "linkedin"} in got["urls"]
        assert got["tags"] == [{"name": "vip"}, {"name": "partner"}]
        assert got["custom_fields"] == {"custom1": "Tier 1", "custom7": "42"}
    stored = next(r for r in ctl.records("accounts") if str(r["id"]) == account["id"])
    assert stored["attributes"]["numberOfEmployees"] == 120


def test_update_patches_with_the_integer_id(gateway, ctl):
    """§3.2: PATCH carries data.type and data.id (an integer equal to the URL id); only sent attributes change."""
    record = ctl.records("accounts")[2]
    ctl.clear_requests()
    answer = gateway.unified("PATCH", NAME, str(record["id"]), json={"industry": "Energy"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["industry"] == "Energy" and answer.json()["name"] == record["attributes"]["name"]
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["path"].endswith(f"/api/v2/accounts/{record['id']}")
    assert patch["headers"]["content-type"] == JSONAPI
    assert patch["body"] == {"data": {"type": "account", "id": record["id"], "attributes": {"industry": "Energy"}}}


def test_delete_is_permanent(gateway, ctl):
    """§3.2: DELETE answers 204 with no body (unified answer is the id); a second delete is 404."""
    rid = str(ctl.records("accounts")[0]["id"])
    answer = gateway.unified("DELETE", NAME, rid)
    assert answer.status_code == 200 and answer.json()["id"] == rid
    assert gateway.unified("GET", NAME, rid).status_code == 404
    assert gateway.unified("DELETE", NAME, rid).status_code == 404
    assert all(str(r["id"]) != rid for r in ctl.records("accounts"))


def test_validation_error_reaches_the_caller(gateway, ctl):
    """§3.2: a 422 validationError's detail is the unified error message."""
    answer = gateway.unified("POST", NAME, json={"description": "no name"})
    assert answer.status_code == 422
    assert "Name can't be blank." in answer.json()["message"]


def test_rate_limit_headers_are_passed_on(gateway, ctl):
    """§3.5: X-RateLimit-* become ratelimit-limit/-remaining/-reset (seconds until the epoch reset)."""
    answer = gateway.unified("GET", NAME, params={"limit": 1})
    assert answer.headers["ratelimit-limit"] == "10000"
    assert int(answer.headers["ratelimit-remaining"]) < 10000
    assert 0 <= int(answer.headers["ratelimit-reset"]) <= 3600
