"""HubSpot through the gateway: the mapping against the sandbox's stored companies, writes as HubSpot
receives them, and HubSpot's quirks
(https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/guide)."""

from __future__ import annotations

import pytest
import requests
from support import country_code, list_all

from unigate.sandbox.hubspot import contacts as contacts_module

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
    control.default_switches()


def expected(company: dict) -> dict:
    """The unified account a stored HubSpot company should map to (written independently of the YAML)."""
    p = company["properties"]
    address = {"street_1": p.get("address"), "street_2": p.get("address2"), "city": p.get("city"),
               "state": p.get("state"), "postal_code": p.get("zip"), "country": country_code(p.get("country"))}
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
        "phone_numbers": [{"number": p["phone"], "type": "work"}] if p.get("phone") else None,
        "urls": [{"url": website, "type": "website"}] if website else None,
        "custom_fields": {k: _typed(k, v) for k, v in p.items() if k not in STANDARD and v is not None} or None,
        "last_activity_at": p.get("notes_last_updated"),
        "created_at": company["createdAt"],
        "updated_at": company["updatedAt"],
    }
    return {k: v for k, v in out.items() if v is not None}


def _typed(name: str, value: str):
    """A custom property's value as custom_fields types it: renewal_score is a number property, is_strategic a
    checkbox; the others are text and enumerations."""
    return {"renewal_score": lambda v: float(v) if "." in v else int(v), "is_strategic": lambda v: v == "true"}.get(
        name, lambda v: v)(value)


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
            "addresses": [{"street_1": "5 Pier Road", "city": "Bristol", "postal_code": "BS1", "country": "United Kingdom"}],
            "phone_numbers": [{"number": "+44 117 555 0000"}], "custom_fields": {"account_tier": "Gold"}}
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent)
    assert response.status_code == 200, response.text
    body = ctl.requests()[-1]["body"]
    assert body == {"properties": {
        "name": "Kite Labs", "website": "https://www.kitelabs.example/about", "domain": "kitelabs.example",
        "numberofemployees": "12", "industry": "COMPUTER_SOFTWARE", "hubspot_owner_id": "51234568",
        "address": "5 Pier Road", "city": "Bristol", "zip": "BS1", "country": "GB", "phone": "+44 117 555 0000",
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


# -- contacts ---------------------------------------------------------------------------------------
# The portal's custom contact properties: what reaches custom_fields.
CUSTOM_CONTACT_PROPERTIES = set(contacts_module.CUSTOM_PROPERTIES)




def expected_contact(contact: dict) -> dict:
    """The unified contact a stored HubSpot contact should map to (written independently of the YAML)."""
    p = contact["properties"]
    primary = [company for company, types in contact["links"].items() if 1 in types]
    emails = ([{"email": p["email"], "type": "primary"}] if p.get("email") else []) + [
        {"email": e, "type": "other"} for e in p.get("hs_additional_emails", "").split(";") if e]
    phones = ([{"number": p["phone"], "type": "work"}] if p.get("phone") else []) + (
        [{"number": p["mobilephone"], "type": "mobile"}] if p.get("mobilephone") else [])
    address = {"street_1": p.get("address"), "city": p.get("city"), "state": p.get("state"),
               "postal_code": p.get("zip"), "country": country_code(p.get("country"))}
    out = {
        "id": contact["id"],
        "first_name": p.get("firstname"),
        "last_name": p.get("lastname"),
        "name": " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x) or None,
        "title": p.get("jobtitle"),
        "account": {"id": primary[0]} if primary else None,
        "addresses": [{k: v for k, v in address.items() if v}] if any(address.values()) else None,
        "email_addresses": emails or None,
        "phone_numbers": phones or None,
        "owner": {"id": p["hubspot_owner_id"]} if p.get("hubspot_owner_id") else None,
        "urls": [{"url": p["website"], "type": "website"}] if p.get("website") else None,
        "custom_fields": {k: v for k, v in p.items() if k in CUSTOM_CONTACT_PROPERTIES} or None,
        "last_activity_at": p.get("notes_last_updated"),
        "created_at": contact["createdAt"],
        "updated_at": contact["updatedAt"],
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_contact_maps_with_its_primary_company(gateway, ctl):
    stored = {c["id"]: c for c in ctl.records("contacts")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="contacts") for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        record.pop("remote_data")
        assert record == expected_contact(stored[record["id"]])
    assert sum("account" in r for r in listed) == 48 and sum("account" not in r for r in listed) == 12
    assert any(r.get("custom_fields", {}).get("preferred_channel") for r in listed)


def test_contact_reads_name_the_portals_custom_properties_and_companies(gateway, ctl):
    """The properties API is read once per account; its custom properties are requested by name."""
    ctl.clear_requests()
    for _ in range(2):
        assert gateway.unified("GET", NAME, params={"limit": 2}, resource="contacts").status_code == 200
    sent = [r for r in ctl.requests() if "/crm/v3/" in r["path"]]
    paths = [r["path"] for r in sent]
    assert paths.count("/hubspot/crm/v3/properties/contacts") <= 1
    listing = dict(sent[-1]["query_params"])
    assert sent[-1]["path"] == "/hubspot/crm/v3/objects/contacts"
    names = set(listing["properties"].split(","))
    assert {"firstname", "email", "preferred_channel"} <= names and "account_tier" not in names
    assert listing["associations"] == "companies"


def test_contact_create_links_the_account_in_the_create_body(gateway, ctl):
    company = ctl.records()[4]
    sent = {"first_name": "Iris", "last_name": "Vale", "title": "CTO", "account": {"id": company["id"]},
            "email_addresses": [{"email": "iris@vale.example"}, {"email": "iris.home@vale.example"}],
            "phone_numbers": [{"number": "+1 555 0101", "type": "mobile"}, {"number": "+1 555 0100"}],
            "owner": {"id": "51234569"}, "custom_fields": {"preferred_channel": "sms"}}
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent, resource="contacts")
    assert response.status_code == 200, response.text
    create = next(r for r in ctl.requests() if r["method"] == "POST")
    assert create["path"] == "/hubspot/crm/v3/objects/contacts"
    assert create["body"] == {
        "properties": {"firstname": "Iris", "lastname": "Vale", "jobtitle": "CTO", "email": "iris@vale.example",
                       "phone": "+1 555 0100",
                       "mobilephone": "+1 555 0101", "hubspot_owner_id": "51234569", "preferred_channel": "sms"},
        "associations": [{"to": {"id": company["id"]},
                          "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}]}
    created = response.json()
    stored = {c["id"]: c for c in ctl.records("contacts")}[created["id"]]
    assert stored["links"] == {company["id"]: [1, 279]}
    created.pop("remote_data")
    assert created == expected_contact(stored)
    assert created["account"] == {"id": company["id"]}


def test_contact_update_moves_the_account_through_associations_v4(gateway, ctl):
    contact = next(c for c in ctl.records("contacts") if c["links"])
    old_company = next(iter(contact["links"]))
    new_company = next(c["id"] for c in ctl.records() if c["id"] != old_company)
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, contact["id"], json={"title": "COO", "account": {"id": new_company}}, resource="contacts")
    assert response.status_code == 200, response.text
    writes = [r for r in ctl.requests() if r["method"] in ("POST", "PATCH", "PUT")]
    assert [(r["method"], r["path"]) for r in writes] == [
        ("POST", "/hubspot/crm/v4/associations/contacts/companies/batch/create"),
        ("PATCH", f"/hubspot/crm/v3/objects/contacts/{contact['id']}")]
    assert writes[0]["body"] == {"inputs": [{"from": {"id": contact["id"]}, "to": {"id": new_company},
                                             "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                        "associationTypeId": 1}]}]}
    assert writes[1]["body"] == {"properties": {"jobtitle": "COO"}}
    assert response.json()["account"] == {"id": new_company}
    stored = {c["id"]: c for c in ctl.records("contacts")}[contact["id"]]
    assert stored["links"] == {old_company: [279], new_company: [1, 279]}


def test_contact_update_without_account_leaves_the_links_alone(gateway, ctl):
    contact = next(c for c in ctl.records("contacts") if c["links"])
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, contact["id"], json={"last_name": "Quill"}, resource="contacts")
    assert response.status_code == 200, response.text
    assert not [r for r in ctl.requests() if "/crm/v4/" in r["path"]]
    assert response.json()["last_name"] == "Quill"
    assert response.json()["account"] == {"id": next(iter(contact["links"]))}


def test_contact_create_refused_by_hubspot_is_passed_on(gateway, ctl):
    taken = ctl.records("contacts")[0]["properties"]["email"]
    response = gateway.unified("POST", NAME, json={"first_name": "Dup", "email_addresses": [{"email": taken}]}, resource="contacts")
    assert response.status_code == 409
    assert response.json()["raw_response"]["category"] == "CONFLICT"


@pytest.mark.parametrize("invalid_properties", ["reject", "ignore"])
@pytest.mark.parametrize("resource, body", [
    ("contacts", {"first_name": "Xavier", "custom_fields": {"no_such_property": "1"}}),
    ("contacts", {"first_name": "Xavier", "custom_fields": {"hs_object_id": "1"}}),
    ("accounts", {"name": "Xavier Labs", "custom_fields": {"no_such_property": "1"}}),
])
def test_write_naming_an_unknown_or_read_only_property_either_way(gateway, ctl, invalid_properties, resource, body):
    """HubSpot's sources disagree on unknown and read-only properties (emulator switch `invalid_properties`):
    a refusal reaches the caller as HubSpot's 400 with nothing stored; an ignoring HubSpot creates the
    record without the property, and the answer is the record as HubSpot holds it."""
    ctl.switch(invalid_properties=invalid_properties)
    before = len(ctl.records(resource))
    response = gateway.unified("POST", NAME, json=body, resource=resource)
    if invalid_properties == "reject":
        assert response.status_code == 400, response.text
        assert response.json()["raw_response"]["category"] == "VALIDATION_ERROR"
        assert response.json()["raw_response"]["errors"][0]["code"] in ("PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE")
        assert len(ctl.records(resource)) == before
        return
    assert response.status_code == 200, response.text
    created = response.json()
    stored = {r["id"]: r for r in ctl.records(resource)}[created["id"]]
    assert "no_such_property" not in stored["properties"]
    assert stored["properties"]["hs_object_id"] == created["id"]
    assert "no_such_property" not in (created.get("custom_fields") or {})


def test_contact_delete_archives(gateway, ctl):
    contact = ctl.records("contacts")[3]
    ctl.clear_requests()
    response = gateway.unified("DELETE", NAME, contact["id"], resource="contacts")
    assert response.status_code == 200 and response.json() == {"id": contact["id"]}
    assert [(r["method"], r["path"]) for r in ctl.requests()] == [
        ("DELETE", f"/hubspot/crm/v3/objects/contacts/{contact['id']}")]
    assert gateway.unified("GET", NAME, contact["id"], resource="contacts").status_code == 404
    assert {c["id"]: c for c in ctl.records("contacts")}[contact["id"]]["archived"] is True


def test_company_reads_name_custom_properties_from_the_properties_api(gateway, ctl):
    ctl.clear_requests()
    assert gateway.unified("GET", NAME, params={"limit": 2}).status_code == 200
    listing = [r for r in ctl.requests() if r["path"] == "/hubspot/crm/v3/objects/companies"][-1]
    assert "account_tier" in dict(listing["query_params"])["properties"].split(",")


def test_contact_update_to_an_unknown_company_changes_nothing(gateway, ctl):
    contact = next(c for c in ctl.records("contacts") if c["links"])
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, contact["id"], json={"title": "Nope", "account": {"id": "999"}}, resource="contacts")
    assert response.status_code == 400
    assert response.json()["raw_response"]["errors"][0]["subCategory"] == "crm.associations.INVALID_IDENTIFIER"
    assert [r["method"] for r in ctl.requests()] == ["POST"]  # the properties were never sent
    stored = {c["id"]: c for c in ctl.records("contacts")}[contact["id"]]
    assert stored["links"] == contact["links"] and stored["properties"] == contact["properties"]


@pytest.mark.parametrize("merged_id_read", ["not_found", "survivor"])
def test_a_merged_away_contact_reads_as_404_or_as_the_survivor(gateway, ctl, merged_id_read):
    """HubSpot does not say what a read of a merged-away contact answers (emulator switch `merged_id_read`):
    the unified merge answers the survivor either way, and a read of the old id is a 404 or that survivor,
    never the old contact."""
    ctl.switch(merged_id_read=merged_id_read)
    master, duplicate = ctl.records("contacts")[:2]
    merged = gateway.unified("POST", NAME, resource="contacts/merge",
                             json={"master_record": {"id": master["id"]}, "duplicate_records": [{"id": duplicate["id"]}]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["result"]["id"] == master["id"]
    old = gateway.unified("GET", NAME, duplicate["id"], resource="contacts")
    if merged_id_read == "not_found":
        assert old.status_code == 404, old.text
    else:
        assert old.status_code == 200, old.text
        assert old.json()["id"] == master["id"]
