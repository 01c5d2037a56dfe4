"""HubSpot through the gateway: the mapping against the sandbox's stored companies, writes as HubSpot
receives them, and HubSpot's quirks
(https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/guide)."""

from __future__ import annotations

import pytest
import requests
from support import list_all

NAME = "hubspot"
STANDARD = {"name", "domain", "website", "description", "industry", "numberofemployees", "phone", "address",
            "address2", "city", "state", "zip", "country", "hubspot_owner_id", "notes_last_updated", "createdate",
            "hs_lastmodifieddate", "hs_object_id"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def expected(company: dict) -> dict:
    """The unified account a stored HubSpot company should map to (written independently of the YAML)."""
    p = company["properties"]
    address = {"street_1": p.get("address"), "street_2": p.get("address2"), "city": p.get("city"),
               "state": p.get("state"), "postal_code": p.get("zip"), "country": p.get("country"), "type": "primary"}
    website = p.get("website") or p.get("domain")
    out = {
        "id": company["id"],
        "name": p.get("name"),
        "description": p.get("description"),
        "industry": p.get("industry"),
        "website": website,
        "number_of_employees": int(p["numberofemployees"]) if p.get("numberofemployees") else None,
        "owner": {"id": p["hubspot_owner_id"]} if p.get("hubspot_owner_id") else None,
        "addresses": [{k: v for k, v in address.items() if v}] if any(p.get(k) for k in ("address", "city", "zip")) else None,
        "phone_numbers": [{"number": p["phone"], "type": "primary"}] if p.get("phone") else None,
        "urls": [{"url": website, "type": "website"}] if website else None,
        "custom_fields": {k: v for k, v in p.items() if k not in STANDARD and v is not None} or None,
        "last_activity_at": p.get("notes_last_updated"),
        "created_at": company["createdAt"],
        "updated_at": company["updatedAt"],
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_company_maps_from_the_stored_record(gateway, ctl):
    stored = {c["id"]: c for c in ctl.records()}
    listed = [r for page in list_all(gateway, NAME, limit=25) for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        remote = record.pop("remote_data")
        assert remote["id"] == record["id"]
        assert record == expected(stored[record["id"]])
    assert any("custom_fields" in r for r in listed), "the seed's custom property (account_tier) surfaces"


def test_properties_are_requested_explicitly(gateway, ctl):
    """HubSpot returns only a default handful of properties unless they are named."""
    ctl.clear_requests()
    gateway.unified("GET", NAME, params={"limit": 2})
    request = ctl.requests()[-1]
    assert request["path"] == "/hubspot/crm/v3/objects/companies"
    query = dict(request["query_params"])
    assert query["limit"] == "2"
    assert {"name", "domain", "numberofemployees", "hubspot_owner_id"} <= set(query["properties"].split(","))
    assert request["headers"]["authorization"] == "Bearer sandbox-hubspot-token"


def test_create_sends_string_properties_and_reads_back(gateway, ctl):
    sent = {"name": "Kite Labs", "website": "https://www.kitelabs.example/about", "number_of_employees": 12,
            "industry": "COMPUTER_SOFTWARE", "owner": {"id": "51234568"},
            "addresses": [{"street_1": "5 Pier Road", "city": "Bristol", "postal_code": "BS1", "country": "UK"}],
            "phone_numbers": [{"number": "+44 117 555 0000"}], "custom_fields": {"account_tier": "Gold"}}
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent)
    assert response.status_code == 200, response.text
    body = ctl.requests()[-1]["body"]
    assert body == {"properties": {
        "name": "Kite Labs", "website": "https://www.kitelabs.example/about", "domain": "kitelabs.example",
        "numberofemployees": "12", "industry": "COMPUTER_SOFTWARE", "hubspot_owner_id": "51234568",
        "address": "5 Pier Road", "city": "Bristol", "zip": "BS1", "country": "UK", "phone": "+44 117 555 0000",
        "account_tier": "Gold"}}
    created = response.json()
    stored = {c["id"]: c for c in ctl.records()}[created["id"]]
    created.pop("remote_data")
    assert created == expected(stored)
    assert created["custom_fields"] == {"account_tier": "Gold"}


def test_delete_is_204_upstream_and_200_json_here(gateway, ctl):
    company = ctl.records()[0]
    ctl.clear_requests()
    response = gateway.unified("DELETE", NAME, company["id"])
    assert response.status_code == 200 and response.json() == {"id": company["id"]}
    assert ctl.requests()[-1]["method"] == "DELETE"
    # HubSpot archives: the company is gone from reads (404 OBJECT_NOT_FOUND) ...
    after = gateway.unified("GET", NAME, company["id"])
    assert after.status_code == 404
    assert after.json()["raw_response"]["category"] == "OBJECT_NOT_FOUND"
    # ... and a second delete is still a success (HubSpot is idempotent)
    assert gateway.unified("DELETE", NAME, company["id"]).status_code == 200


def test_hubspot_401_body_is_passed_on(gateway):
    created = gateway.admin("POST", "/integrated-account", json={"integration": NAME, "is_sandbox": True,
                                                                 "context": {"access_token": "expired"}}).json()
    response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": created["id"]})
    assert response.status_code == 401
    assert response.json()["raw_response"]["category"] == "INVALID_AUTHENTICATION"
    assert "expired" not in response.text
