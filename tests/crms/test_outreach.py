"""Outreach through the unified API: the mappings against the emulator's stored JSON:API records.

API: https://developers.outreach.io/api/ (accounts and prospects); mappings:
src/unigate/integrations/outreach/crm/accounts.yaml and crm/contacts.yaml.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from support import list_all

from unigate.sandbox.outreach.types import VALIDATIONS

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


def typed_custom(object_type: str, attributes: dict) -> dict:
    """The customN slots with a value, typed by the slot's validation in GET /api/v2/types (strings on the wire)."""
    typed = {}
    for key, value in attributes.items():
        if not (key.startswith("custom") and key[6:].isdigit()) or value is None:
            continue
        kind = VALIDATIONS.get(object_type, {}).get(key, {}).get("type")
        typed[key] = (float(value) if kind in ("numerical", "percentage", "currency")
                      else value == "true" if kind == "boolean"
                      else datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ")
                      if kind == "date_time" else value)
    return typed


def expected_from(record: dict) -> dict:
    a = record["attributes"]
    urls = [u for u in ({"url": a["websiteUrl"], "type": "website"} if a["websiteUrl"] else None,
                        {"url": a["linkedInUrl"], "type": "linkedin"} if a["linkedInUrl"] else None) if u]
    custom = typed_custom("account", a)
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
    """name/description/industry/websiteUrl/numberOfEmployees/owner/tags/customN/touchedAt/createdAt/updatedAt."""
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
    """page[size] on the first call, then the query of links.next (page[after]) until it is absent."""
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
    """POST with Content-Type application/vnd.api+json, integer owner id in relationships; 201."""
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
    """PATCH carries data.type and data.id (an integer equal to the URL id); only sent attributes change."""
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
    """DELETE answers 204 with no body (unified answer is the id); a second delete is 404."""
    rid = str(ctl.records("accounts")[0]["id"])
    answer = gateway.unified("DELETE", NAME, rid)
    assert answer.status_code == 200 and answer.json()["id"] == rid
    assert gateway.unified("GET", NAME, rid).status_code == 404
    assert gateway.unified("DELETE", NAME, rid).status_code == 404
    assert all(str(r["id"]) != rid for r in ctl.records("accounts"))


def test_validation_error_reaches_the_caller(gateway, ctl):
    """A 422 validationError's detail is the unified error message (a blank name sent through remote_data;
    a create without one is refused before Outreach, naming it)."""
    answer = gateway.unified("POST", NAME, json={"name": "Blank", "remote_data": {"data": {"attributes": {"name": ""}}}})
    assert answer.status_code == 422, answer.text
    assert "Name can't be blank." in answer.json()["message"]
    unnamed = gateway.unified("POST", NAME, json={"description": "no name"})
    assert unnamed.status_code == 400 and "`name`" in unnamed.json()["message"]


def test_rate_limit_headers_are_passed_on(gateway, ctl):
    """X-RateLimit-* become ratelimit-limit/-remaining/-reset (seconds until the epoch reset)."""
    answer = gateway.unified("GET", NAME, params={"limit": 1})
    assert answer.headers["ratelimit-limit"] == "10000"
    assert int(answer.headers["ratelimit-remaining"]) < 10000
    assert 0 <= int(answer.headers["ratelimit-reset"]) <= 3600


# -- contacts: Outreach prospects (https://developers.outreach.io/api/reference/tag/Prospect/) ----------------
def test_contacts_read_the_prospect_account_link_emails_and_typed_phones(gateway, ctl):
    """A prospect's `account` relationship reads as account {id, name} (name from `company`); emails and
    the typed phone arrays become email_addresses and phone_numbers."""
    stored = {str(r["id"]): r for r in ctl.records("contacts")}
    accounts = {r["id"]: r["attributes"]["name"] for r in ctl.records("accounts")}
    listed = gateway.unified("GET", NAME, params={"limit": 60}, resource="contacts")
    assert listed.status_code == 200, listed.text
    result = listed.json()["result"]
    assert len(result) == 60
    unlinked = 0
    for contact in result:
        record = stored[contact["id"]]
        a, link = record["attributes"], record["relationships"]["account"]["data"]
        if link is None:
            unlinked += 1
            assert contact.get("account") is None
        else:
            assert contact["account"] == {"id": str(link["id"]), "name": accounts[link["id"]]}
        assert contact["first_name"] == a["firstName"] and contact["last_name"] == a["lastName"]
        assert contact["name"] == f"{a['firstName']} {a['lastName']}" and contact["title"] == a["title"]
        assert [e["email"] for e in contact["email_addresses"]] == a["emails"]
        assert contact["email_addresses"][0]["type"] == "primary"
        phones = [(p["number"], p["type"]) for p in contact["phone_numbers"]]
        assert phones == [(n, "work") for n in a["workPhones"]] + [(n, "mobile") for n in a["mobilePhones"]]
        assert contact["owner"] == {"id": str(record["relationships"]["owner"]["data"]["id"])}
        assert contact["custom_fields"] == typed_custom("prospect", a)
        assert contact["addresses"][0]["city"] == a["addressCity"]
    assert 0 < unlinked < 60


def test_contact_create_sends_a_prospect_document_with_the_account_relationship(gateway, ctl):
    """POST /api/v2/prospects: attributes in Outreach's names, account and owner as integer relationships;
    the answer reads the account back with its name."""
    account = ctl.records("accounts")[3]
    ctl.clear_requests()
    sent = {
        "first_name": "Nora", "last_name": "Quill", "title": "CFO",
        "account": {"id": str(account["id"])}, "owner": {"id": "7"},
        "email_addresses": [{"email": "nora@quill.example"}, {"email": "nq@home.example"}],
        "phone_numbers": [{"number": "+1 555 0100", "type": "work"}, {"number": "+1 555 0199", "type": "mobile"},
                          {"number": "+1 555 0142"}],
        "addresses": [{"street_1": "9 Pier Road", "city": "Boston", "postal_code": "02110", "country": "US"}],
        "urls": [{"url": "https://www.linkedin.com/in/nora", "type": "linkedin"}],
        "tags": [{"name": "vip"}],
        "custom_fields": {"custom4": 12},
    }
    created = gateway.unified("POST", NAME, json=sent, resource="contacts")
    assert created.status_code == 200, created.text   # the unified create answers 200
    contact = created.json()
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/prospects")
    assert post["headers"]["content-type"] == JSONAPI
    assert post["body"] == {"data": {
        "type": "prospect",
        "attributes": {
            "firstName": "Nora", "lastName": "Quill", "title": "CFO",
            "emails": ["nora@quill.example", "nq@home.example"],
            "workPhones": ["+1 555 0100"], "mobilePhones": ["+1 555 0199"], "homePhones": [],
            "otherPhones": ["+1 555 0142"], "voipPhones": [],
            "addressStreet": "9 Pier Road", "addressStreet2": None, "addressCity": "Boston", "addressState": None,
            "addressZip": "02110", "addressCountry": "US",
            "linkedInUrl": "https://www.linkedin.com/in/nora", "twitterUrl": None, "facebookUrl": None,
            "githubUrl": None, "websiteUrl1": None, "websiteUrl2": None, "websiteUrl3": None,
            "tags": ["vip"], "custom4": "12",
        },
        "relationships": {"owner": {"data": {"type": "user", "id": 7}},
                          "account": {"data": {"type": "account", "id": account["id"]}}},
    }}
    fetched = gateway.unified("GET", NAME, contact["id"], resource="contacts").json()
    for got in (contact, fetched):
        assert got["account"] == {"id": str(account["id"]), "name": account["attributes"]["name"]}
        assert got["name"] == "Nora Quill" and got["owner"] == {"id": "7"}
        assert got["custom_fields"] == {"custom4": "12"}
        assert {"number": "+1 555 0142", "type": "other"} in got["phone_numbers"]


def test_contact_update_moves_the_account_and_delete_is_permanent(gateway, ctl):
    """PATCH carries data.type/data.id and only the sent members; DELETE is 204, then the prospect is 404."""
    record = ctl.records("contacts")[4]           # seeded without an account
    assert record["relationships"]["account"]["data"] is None
    target = ctl.records("accounts")[0]
    ctl.clear_requests()
    answer = gateway.unified("PATCH", NAME, str(record["id"]), json={"account": {"id": str(target["id"])}, "title": "COO"}, resource="contacts")
    assert answer.status_code == 200, answer.text
    assert answer.json()["account"] == {"id": str(target["id"]), "name": target["attributes"]["name"]}
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["path"].endswith(f"/api/v2/prospects/{record['id']}")
    assert patch["body"] == {"data": {"type": "prospect", "id": record["id"], "attributes": {"title": "COO"},
                                      "relationships": {"account": {"data": {"type": "account", "id": target["id"]}}}}}
    deleted = gateway.unified("DELETE", NAME, str(record["id"]), resource="contacts")
    assert deleted.status_code == 200 and deleted.json()["id"] == str(record["id"])
    assert gateway.unified("GET", NAME, str(record["id"]), resource="contacts").status_code == 404
    assert all(r["id"] != record["id"] for r in ctl.records("contacts"))


def test_contact_refusals_and_the_unnamed_account(gateway, ctl):
    """A duplicate email and an unknown account are Outreach 422 validationErrors, passed on as remote errors;
    a prospect created without an account reads back linked to the unnamed account Outreach made for it."""
    taken = ctl.records("contacts")[0]["attributes"]["emails"][0]
    duplicate = gateway.unified("POST", NAME, json={"last_name": "Twin", "email_addresses": [{"email": taken}]}, resource="contacts")
    assert duplicate.status_code == 422
    assert "Contacts email hash has already been taken." in duplicate.json()["message"]
    assert duplicate.json()["truto_is_remote_error"] is True
    accountless = gateway.unified("POST", NAME, json={"last_name": "Solo"}, resource="contacts")
    assert accountless.status_code == 200, accountless.text
    unnamed = ctl.records("accounts")[-1]            # Outreach links a new unnamed account (no name)
    assert accountless.json()["account"] == {"id": str(unnamed["id"])} and unnamed["attributes"]["named"] is False
    dangling = gateway.unified("POST", NAME, json={"last_name": "Lost", "account": {"id": "999999"}}, resource="contacts")
    assert dangling.status_code == 422
    assert "Could not find 'account'" in dangling.json()["message"]


# -- behaviours Outreach's sources leave open (emulator switches) ---------------------------------------
@pytest.mark.parametrize("media_type", ["all", "writes"])
def test_reads_writes_and_deletes_whether_or_not_reads_need_the_media_type(gateway, ctl, media_type):
    """Outreach's docs ask for `Content-Type: application/vnd.api+json` on "all requests", else 415
    (https://developers.outreach.io/api/making-requests/; switch `media_type`, `writes` for a lenient server).
    The gateway sends it on every request, so every unified method works either way."""
    ctl.switch(media_type=media_type)
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, params={"limit": 5})
    assert listed.status_code == 200, listed.text
    record_id = listed.json()["result"][0]["id"]
    assert gateway.unified("GET", NAME, record_id).status_code == 200
    assert gateway.unified("PATCH", NAME, record_id, json={"industry": "Media"}).status_code == 200
    created = gateway.unified("POST", NAME, json={"name": "Media Type Co"})
    assert created.status_code == 200, created.text
    assert gateway.unified("DELETE", NAME, created.json()["id"]).status_code == 200
    assert all(r["headers"].get("content-type", "").startswith(JSONAPI) for r in ctl.requests())


@pytest.mark.parametrize("unauthorized_body", ["jsonapi", "text"])
def test_refused_token_is_401_whatever_the_body(gateway, ctl, unauthorized_body):
    """A refused token was answered in plain text (`Invalid access token`) in 2018 and as JSON:API errors
    since (switch `unauthorized_body`): either way the caller gets a 401 in the unified error shape."""
    ctl.switch(unauthorized_body=unauthorized_body)
    created = gateway.admin("POST", "/integrated-account", json={
        "integration": NAME, "is_sandbox": True, "context": {"access_token": "not-a-token"}})
    response = gateway.admin("GET", "/unified/crm/accounts", params={"integrated_account_id": created.json()["id"]})
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["truto_is_remote_error"] is True and body["message"]
    if unauthorized_body == "text":
        assert body["raw_response"] == "Invalid access token"
    else:
        assert body["raw_response"]["errors"][0]["id"] == "unauthorized"


@pytest.mark.parametrize("page_size_over_max", ["clamp", "refuse"])
def test_a_large_limit_is_capped_at_outreach_s_largest_page(gateway, ctl, page_size_over_max):
    """What a `page[size]` over 1000 gets is unverified (switch `page_size_over_max`): the gateway never asks
    for more than 1000, so a unified limit of 5000 works either way."""
    ctl.switch(page_size_over_max=page_size_over_max)
    ctl.reset(1010)
    ctl.switch(page_size_over_max=page_size_over_max)   # a reset restores the defaults
    ctl.clear_requests()
    response = gateway.unified("GET", NAME, params={"limit": 5000})
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]) == 1000
    first = next(r for r in ctl.requests() if r["path"].endswith("/api/v2/accounts"))   # after /types, when read
    assert dict(first["query_params"])["page[size]"] == "1000"
