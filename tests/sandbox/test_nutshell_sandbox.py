"""The Nutshell emulator speaks Nutshell's REST API for accounts
(https://developers.nutshell.com/, OpenAPI https://app.nutshell.com/swagger.json)."""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox.nutshell import (
    MAX_PAGE_LIMIT, PATCH_CONTENT_TYPE_ERROR, SANDBOX_API_KEY, SANDBOX_USERNAME, UNAUTHORIZED_BODY,
)

AUTH = (SANDBOX_USERNAME, SANDBOX_API_KEY)
PATCH_HEADERS = {"Content-Type": "application/json-patch+json"}


@pytest.fixture
def nutshell(sandbox):
    control = sandbox.control("nutshell")
    control.reset()
    yield control
    control.reset()


def call(control, method: str, path: str, *, auth=AUTH, **kwargs) -> requests.Response:
    return requests.request(method, control.url + path, auth=auth, timeout=10, **kwargs)


def assert_error(response: requests.Response, status: int, title: str | None = None) -> dict:
    assert response.status_code == status
    body = response.json()
    assert body["accounts"] == [] and body["links"] == {}
    error = body["errors"][0]
    assert set(error) == {"id", "type", "code", "detail", "href", "status", "title", "field"}
    assert error["type"] == "errors" and error["status"] == str(status)
    if title:
        assert error["title"] == title
    return error


def test_missing_and_wrong_credentials_are_401(nutshell):
    """docs/api-authentication: HTTP Basic with email + API key; anything else is refused with 401."""
    for auth in (None, (SANDBOX_USERNAME, "wrong-key"), ("someone@else.example", SANDBOX_API_KEY)):
        response = call(nutshell, "GET", "/rest/accounts", auth=auth)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED_BODY
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_list_envelope_and_record_shape(nutshell):
    """swagger GET /accounts and the recorded list answer: meta{count,total,facets,instanceId} + accounts."""
    body = call(nutshell, "GET", "/rest/accounts", params={"page[limit]": 5}).json()
    assert body["meta"]["count"] == 5 and body["meta"]["total"] == 60
    assert "accountType" in body["meta"]["facets"] and body["meta"]["instanceId"]
    account = body["accounts"][0]
    assert account["id"] == "1-accounts" and account["type"] == "accounts"
    assert account["href"].endswith("/rest/accounts/1-accounts")
    assert isinstance(account["createdTime"], int) and isinstance(account["employeeCount"], int)
    assert set(account["links"]) >= {"creator", "owner", "tags", "industry", "accountType", "contacts"}
    phone = account["phones"][0]["value"]
    assert set(phone) == {"countryCode", "number", "extension", "numberFormatted", "E164", "countryCodeAndNumber"}
    address = account["addresses"][0]
    assert {"address_1", "city", "state", "postalCode", "country"} <= set(address)


def test_pagination_is_zero_based_and_ends_with_an_empty_page(nutshell):
    """swagger: page[page] is 0-based; the recorded connector reads pages until one comes back empty."""
    seen, page = [], 0
    while True:
        body = call(nutshell, "GET", "/rest/accounts", params={"page[limit]": 7, "page[page]": page}).json()
        if not body["accounts"]:
            break
        seen += [a["id"] for a in body["accounts"]]
        page += 1
    assert page == 9 and len(seen) == 60 and len(set(seen)) == 60


def test_page_errors(nutshell):
    """Recorded answer: a negative page is 400 "Invalid filter" / "Invalid page number: -1"; limit max 10,000."""
    error = assert_error(call(nutshell, "GET", "/rest/accounts", params={"page[page]": -1}), 400, "Invalid filter")
    assert error["detail"] == "Invalid page number: -1"
    assert_error(call(nutshell, "GET", "/rest/accounts", params={"page[limit]": MAX_PAGE_LIMIT + 1}), 400)
    assert call(nutshell, "GET", "/rest/accounts", params={"page[limit]": MAX_PAGE_LIMIT}).status_code == 200


def test_get_returns_account_response_with_sideloads(nutshell):
    """swagger accountResponse: accounts plus creators, owners, contacts, accountTypes, industries; links templates."""
    body = call(nutshell, "GET", "/rest/accounts/1-accounts").json()
    account = body["accounts"][0]
    assert body["owners"][0]["id"] == account["links"]["owner"]
    assert body["industries"][0]["id"] == account["links"]["industry"]
    assert body["links"]["accounts.owner"]["type"] == "owners"
    both = call(nutshell, "GET", "/rest/accounts/1-accounts,2-accounts").json()
    assert [a["id"] for a in both["accounts"]] == ["1-accounts", "2-accounts"]


def test_unknown_id_is_404(nutshell):
    """Unknown ids answer 404 (error envelope as recorded for other errors)."""
    assert_error(call(nutshell, "GET", "/rest/accounts/99999-accounts"), 404, "Not Found")
    assert_error(call(nutshell, "GET", "/rest/accounts/not-an-id"), 404)


def test_create_returns_201_and_the_account(nutshell):
    """swagger POST /accounts: {"accounts":[{...}]} with phones/urls/addresses/links/customFields -> 201."""
    response = call(nutshell, "POST", "/rest/accounts", json={"accounts": [{
        "name": "Blueberry Ltd", "description": "Fruit", "employeeCount": 42,
        "phones": [{"isPrimary": True, "name": "work", "value": "+1 734-123-4567 x12"}],
        "urls": [{"value": "https://blueberry.example"}],
        "addresses": [{"isPrimary": True, "name": "office",
                       "value": {"address_1": "1 Main St", "city": "Ann Arbor", "state": "MI",
                                 "postalCode": "48104", "country": "US"}}],
        "links": {"owner": "2-users", "industry": "3-industries", "tags": ["1-tags", "2-tags"]},
        "customFields": {"Tier": "Gold"},
    }]})
    assert response.status_code == 201
    body = response.json()
    account = body["accounts"][0]
    assert account["id"] == "61-accounts" and account["employeeCount"] == 42
    assert account["phones"][0]["value"]["E164"] == "+17341234567"
    assert account["phones"][0]["value"]["extension"] == "12"
    assert account["addresses"][0]["city"] == "Ann Arbor" and account["addresses"][0]["address_1"] == "1 Main St"
    assert account["links"]["tags"] == ["1-tags", "2-tags"] and account["customFields"] == {"Tier": "Gold"}
    assert body["industries"][0]["id"] == "3-industries"
    stored = [r for r in nutshell.records("accounts") if r["id"] == "61-accounts"][0]
    assert stored["name"] == "Blueberry Ltd"


def test_create_validation_errors(nutshell):
    """Recorded: more (or fewer) than one account -> 400; swagger: one of name/phone/email/address/url required."""
    assert_error(call(nutshell, "POST", "/rest/accounts", json={"accounts": [{"name": "a"}, {"name": "b"}]}), 400,
                 "You may only create one accounts resource per request.")
    assert_error(call(nutshell, "POST", "/rest/accounts", json={"accounts": [{"description": "x"}]}), 422)
    error = assert_error(call(nutshell, "POST", "/rest/accounts",
                              json={"accounts": [{"name": "x", "links": {"owner": "99-users"}}]}), 422)
    assert error["field"] == "links.owner"
    assert_error(call(nutshell, "POST", "/rest/accounts", data=b"{not json"), 400)


def test_patch_requires_json_patch_content_type(nutshell):
    """Recorded: PATCH without application/json-patch+json is 400 with a bare JSON string body."""
    response = call(nutshell, "PATCH", "/rest/accounts/1-accounts",
                    json=[{"op": "replace", "path": "/accounts/0/name", "value": "X"}])
    assert response.status_code == 400 and response.json() == PATCH_CONTENT_TYPE_ERROR


def test_patch_applies_json_patch_operations(nutshell):
    """swagger PATCH: RFC 6902 ops on /accounts/0/<field> and /accounts/0/links/<rel>(/-)."""
    ops = [{"op": "replace", "path": "/accounts/0/name", "value": "Renamed Co"},
           {"op": "replace", "path": "/accounts/0/employeeCount", "value": 7},
           {"op": "replace", "path": "/accounts/0/links/owner", "value": "3-users"},
           {"op": "add", "path": "/accounts/0/links/tags/-", "value": "5-tags"},
           {"op": "replace", "path": "/accounts/0/urls", "value": [{"value": "https://renamed.example"}]},
           {"op": "replace", "path": "/accounts/0/customFields/Tier", "value": "Bronze"}]
    response = call(nutshell, "PATCH", "/rest/accounts/2-accounts", data=__import__("json").dumps(ops),
                    headers=PATCH_HEADERS)
    assert response.status_code == 200
    account = response.json()["accounts"][0]
    assert account["name"] == "Renamed Co" and account["employeeCount"] == 7
    assert account["links"]["owner"] == "3-users" and "5-tags" in account["links"]["tags"]
    assert account["urls"] == [{"isPrimary": True, "name": "url", "value": "https://renamed.example"}]
    assert account["customFields"]["Tier"] == "Bronze"
    bad = call(nutshell, "PATCH", "/rest/accounts/2-accounts", headers=PATCH_HEADERS,
               data='[{"op": "replace", "path": "/accounts/0/nope", "value": 1}]')
    assert_error(bad, 400, "Invalid patch path")
    assert_error(call(nutshell, "PATCH", "/rest/accounts/999-accounts", headers=PATCH_HEADERS,
                      data='[{"op": "replace", "path": "/accounts/0/name", "value": "x"}]'), 404)


def test_delete_is_soft_and_answers_with_the_account(nutshell):
    """swagger DELETE: 200 + accountResponse (deletedTime set); restorable via undelete; gone from the list."""
    response = call(nutshell, "DELETE", "/rest/accounts/3-accounts")
    assert response.status_code == 200
    deleted = response.json()["accounts"][0]
    assert deleted["id"] == "3-accounts" and isinstance(deleted["deletedTime"], int)
    assert deleted["name"] and deleted["links"]["owner"]
    ids = [a["id"] for a in call(nutshell, "GET", "/rest/accounts", params={"page[limit]": 100}).json()["accounts"]]
    assert "3-accounts" not in ids and len(ids) == 59
    again = call(nutshell, "GET", "/rest/accounts/3-accounts").json()["accounts"][0]
    assert "deletedTime" in again
    assert_error(call(nutshell, "DELETE", "/rest/accounts/3-accounts"), 404)
    restored = call(nutshell, "POST", "/rest/accounts/3-accounts/undelete")
    assert restored.status_code == 200 and "deletedTime" not in restored.json()["accounts"][0]


def test_lookups_industries_and_custom_fields(nutshell):
    """swagger GET /industries (array) and /accounts/customfields/attributes ({customFields: [...]})."""
    industries = call(nutshell, "GET", "/rest/industries").json()
    assert industries[0] == {"id": "1-industries", "type": "industries", "name": "Software", "modifiedTime": 1677682800}
    fields = call(nutshell, "GET", "/rest/accounts/customfields/attributes").json()["customFields"]
    assert {f["name"] for f in fields} >= {"Tier", "Lead source"}


def test_large_seed_pages_cheaply(nutshell):
    """Seeding 10,000 accounts is fast and the last page is reachable by slicing."""
    nutshell.reset(10_000)
    body = call(nutshell, "GET", "/rest/accounts", params={"page[limit]": 1000, "page[page]": 9}).json()
    assert body["meta"]["total"] == 10_000 and body["accounts"][-1]["id"] == "10000-accounts"


# -- contacts (people) ------------------------------------------------------------------------------------

def contact_error(response: requests.Response, status: int, title: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["contacts"] == [] and body["links"] == {}
    error = body["errors"][0]
    assert error["type"] == "errors" and error["status"] == str(status)
    if title:
        assert error["title"] == title
    return error


def test_contacts_list_pages_and_shape(nutshell):
    """swagger GET /contacts: page[limit] + 0-based page[page], {meta{count,total}, contacts}; the recorded
    contact shape (links.accounts ids, addresses nested under value, phone value objects); linked
    accounts sideloaded."""
    first = call(nutshell, "GET", "/rest/contacts", params={"page[limit]": 15}).json()
    assert first["meta"]["count"] == 15 and first["meta"]["total"] == 40 and first["meta"]["instanceId"]
    person = first["contacts"][0]
    assert person["id"] == "1-contacts" and person["type"] == "contacts" and person["firstName"] == "Ava"
    assert person["href"].endswith("/rest/contacts/1-contacts") and isinstance(person["createdTime"], int)
    assert "modifiedTime" not in person and "customFields" not in person
    assert set(person["links"]) >= {"accounts", "owner", "tags", "creator", "emAudiences"}
    assert person["addresses"][0]["value"]["city"] and "E164" in person["phones"][0]["value"]
    assert {a["id"] for a in first["accounts"]} == {i for c in first["contacts"] for i in c["links"]["accounts"]}
    last = call(nutshell, "GET", "/rest/contacts", params={"page[limit]": 15, "page[page]": 2}).json()
    assert last["meta"]["count"] == 10 and last["contacts"][-1]["id"] == "40-contacts"
    past = call(nutshell, "GET", "/rest/contacts", params={"page[limit]": 15, "page[page]": 9}).json()
    assert past["contacts"] == [] and past["meta"]["total"] == 40
    contact_error(call(nutshell, "GET", "/rest/contacts", params={"page[page]": -1}), 400, "Invalid filter")
    contact_error(call(nutshell, "GET", "/rest/contacts", params={"page[limit]": MAX_PAGE_LIMIT + 1}), 400)


def test_contacts_email_search_and_sort(nutshell):
    """swagger: `email=` exact, `q=` fuzzy, `sort=` among the documented keys (with `-`), others refused."""
    found = call(nutshell, "GET", "/rest/contacts", params={"email": "AVA.CARTER@people.example"}).json()
    assert [c["id"] for c in found["contacts"]] == ["1-contacts"]
    names = [c["name"] for c in call(nutshell, "GET", "/rest/contacts",
                                     params={"sort": "-name", "page[limit]": 100}).json()["contacts"]]
    assert names == sorted(names, reverse=True)
    assert call(nutshell, "GET", "/rest/contacts", params={"q": "carter"}).json()["meta"]["total"] >= 1
    contact_error(call(nutshell, "GET", "/rest/contacts", params={"sort": "jobTitle"}), 400, "Invalid sort")


def test_contacts_create_one_at_a_time_answers_200(nutshell):
    """swagger POST /contacts: {"contacts": [one]} -> 200 with the contact; several or none -> 400; unknown
    fields, links and custom fields -> 422; the company lists the new person."""
    body = {"contacts": [{"name": "Grace Hopper", "emails": [{"value": "grace@navy.example"}],
                          "links": {"accounts": ["2-accounts"]}, "customFields": {"Lead source": "Conference"}}]}
    created = call(nutshell, "POST", "/rest/contacts", json=body)
    assert created.status_code == 200
    person = created.json()["contacts"][0]
    assert (person["firstName"], person["lastName"]) == ("Grace", "Hopper")
    assert person["links"]["accounts"] == ["2-accounts"] and created.json()["accounts"][0]["id"] == "2-accounts"
    account = call(nutshell, "GET", "/rest/accounts/2-accounts").json()["accounts"][0]
    assert person["id"] in account["links"]["contacts"]
    values = call(nutshell, "GET", f"/rest/contacts/{person['id']}/customfields").json()
    assert values == [{"id": "13-customfields", "type": "customfields", "name": "Lead source", "value": "Conference"}]
    two = {"contacts": [{"name": "A"}, {"name": "B"}]}
    contact_error(call(nutshell, "POST", "/rest/contacts", json=two), 400,
                  "You may only create one contacts resource per request.")
    for bad in ({"name": "X", "nickname": "x"}, {"name": "X", "links": {"accounts": ["999-accounts"]}},
                {"name": "X", "customFields": {"Shoe size": "9"}}, {"name": "X", "customFields": {"Birthday": "soon"}},
                {"description": "no name, phone or email"}):
        contact_error(call(nutshell, "POST", "/rest/contacts", json={"contacts": [bad]}), 422)


def test_contacts_json_patch_answers_204(nutshell):
    """swagger PATCH /contacts/{id}: application/json-patch+json only; replace fields and links/accounts,
    add with /-, remove with the id at the end, custom fields by name; 204 No Content."""
    assert call(nutshell, "PATCH", "/rest/contacts/1-contacts", json=[]).text == f'"{PATCH_CONTENT_TYPE_ERROR}"'
    ops = [{"op": "replace", "path": "/contacts/0/jobTitle", "value": "Chair"},
           {"op": "replace", "path": "/contacts/0/links/accounts", "value": ["3-accounts"]},
           {"op": "add", "path": "/contacts/0/links/accounts/-", "value": "4-accounts"},
           {"op": "remove", "path": "/contacts/0/links/accounts/3-accounts"},
           {"op": "replace", "path": "/contacts/0/Preferred channel", "value": "Text"}]
    patched = call(nutshell, "PATCH", "/rest/contacts/1-contacts", json=ops, headers=PATCH_HEADERS)
    assert patched.status_code == 204 and patched.content == b""
    person = call(nutshell, "GET", "/rest/contacts/1-contacts").json()["contacts"][0]
    assert person["jobTitle"] == "Chair" and person["links"]["accounts"] == ["4-accounts"]
    accounts = {a["id"]: a for a in call(nutshell, "GET", "/rest/accounts", params={"page[limit]": 10}).json()["accounts"]}
    assert "1-contacts" not in accounts["1-accounts"]["links"]["contacts"]
    assert "1-contacts" in accounts["4-accounts"]["links"]["contacts"]
    channel = [v for v in call(nutshell, "GET", "/rest/contacts/1-contacts/customfields").json()
               if v["name"] == "Preferred channel"]
    assert channel[0]["value"] == "Text"
    contact_error(call(nutshell, "PATCH", "/rest/contacts/1-contacts", json=[], headers=PATCH_HEADERS), 400,
                  "No patches sent")
    contact_error(call(nutshell, "PATCH", "/rest/contacts/1-contacts", headers=PATCH_HEADERS,
                       json=[{"op": "replace", "path": "/contacts/0/links/accounts", "value": ["1-contacts"]}]), 422)
    contact_error(call(nutshell, "PATCH", "/rest/contacts/1-contacts", headers=PATCH_HEADERS,
                       json=[{"op": "replace", "path": "/accounts/0/name", "value": "X"}]), 400)


def test_contacts_delete_204_soft_and_undelete(nutshell):
    """swagger DELETE /contacts/{id} -> 204 (accounts answer 200 with a body); the person keeps
    deletedTime, leaves its companies' links, and comes back with POST /contacts/{id}/undelete."""
    account_id = call(nutshell, "GET", "/rest/contacts/1-contacts").json()["contacts"][0]["links"]["accounts"][0]
    deleted = call(nutshell, "DELETE", "/rest/contacts/1-contacts")
    assert deleted.status_code == 204 and deleted.content == b""
    assert "deletedTime" in call(nutshell, "GET", "/rest/contacts/1-contacts").json()["contacts"][0]
    assert call(nutshell, "GET", "/rest/contacts").json()["meta"]["total"] == 39
    account = call(nutshell, "GET", f"/rest/accounts/{account_id}").json()["accounts"][0]
    assert "1-contacts" not in account["links"]["contacts"]
    contact_error(call(nutshell, "DELETE", "/rest/contacts/1-contacts"), 404)
    contact_error(call(nutshell, "GET", "/rest/contacts/1-contacts/customfields"), 404)
    restored = call(nutshell, "POST", "/rest/contacts/1-contacts/undelete")
    assert restored.status_code == 200 and "deletedTime" not in restored.json()["contacts"][0]
    account = call(nutshell, "GET", f"/rest/accounts/{account_id}").json()["accounts"][0]
    assert "1-contacts" in account["links"]["contacts"]
    for missing in ("999-contacts", "1-accounts", "abc"):
        contact_error(call(nutshell, "GET", f"/rest/contacts/{missing}"), 404, "Not Found")


def test_contacts_custom_field_definitions_are_a_bare_array(nutshell):
    """swagger GET /contacts/customfields/attributes: a bare array (accounts wrap theirs in customFields)."""
    fields = call(nutshell, "GET", "/rest/contacts/customfields/attributes").json()
    assert isinstance(fields, list) and {"Birthday", "Preferred channel", "Lead source", "Budget"} <= {f["name"] for f in fields}
    assert isinstance(call(nutshell, "GET", "/rest/accounts/customfields/attributes").json(), dict)


# -- custom field definitions: POST /{entity}/customfield (swagger CustomFieldCreateInput) -------------------------

def attributes(control, entity: str) -> list[dict]:
    answer = call(control, "GET", f"/rest/{entity}/customfields/attributes").json()
    return answer["customFields"] if entity == "accounts" else answer


@pytest.mark.parametrize("answer", ["empty", "field"])
def test_a_custom_field_create_answers_200_and_the_definition_is_listed(nutshell, answer):
    nutshell.switch(customfield_create_answer=answer)
    created = call(nutshell, "POST", "/rest/contacts/customfield",
                   json={"name": "Shoe size", "type": "Decision", "choices": ["S", "M"], "isMultiple": True})
    assert created.status_code == 200
    listed = next(f for f in attributes(nutshell, "contacts") if f["name"] == "Shoe size")
    assert listed["fieldType"] == "enum" and listed["choices"] == ["S", "M"] and listed["isMultiple"] is True
    assert created.content == b"" if answer == "empty" else created.json() == listed
    # a multi-choice field takes a list of its choices, and no value outside them
    person = call(nutshell, "POST", "/rest/contacts",
                  json={"contacts": [{"name": "Probe", "customFields": {"Shoe size": ["S", "M"]}}]})
    assert person.status_code == 200, person.text
    values = call(nutshell, "GET", f"/rest/contacts/{person.json()['contacts'][0]['id']}/customfields").json()
    assert [v["value"] for v in values if v["name"] == "Shoe size"] == [["S", "M"]]
    wrong = call(nutshell, "POST", "/rest/contacts",
                 json={"contacts": [{"name": "Probe", "customFields": {"Shoe size": ["XL"]}}]})
    assert wrong.status_code == 422


@pytest.mark.parametrize(("entity", "body", "field"), [
    ("contacts", {"type": "Text"}, "name"),
    ("contacts", {"name": "  ", "type": "Text"}, "name"),
    ("contacts", {"name": "x" * 256, "type": "Text"}, "name"),
    ("contacts", {"name": "No type"}, "type"),
    ("contacts", {"name": "Lower", "type": "text"}, "type"),
    ("accounts", {"name": "Site", "type": "URL"}, "type"),     # lead-only type
    ("contacts", {"name": "Pick", "type": "Decision"}, "choices"),
    ("contacts", {"name": "Pick", "type": "Decision", "choices": ["A", "A"]}, "choices"),
    ("contacts", {"name": "Plain", "type": "Text", "choices": ["A"]}, "choices"),
    ("accounts", {"name": "Tier", "type": "Text"}, "name"),    # seeded as an account field
    ("accounts", {"name": "tier", "type": "Text"}, "name"),
])
def test_a_custom_field_create_is_validated_and_a_refusal_stores_nothing(nutshell, entity, body, field):
    before = attributes(nutshell, entity)
    refused = call(nutshell, "POST", f"/rest/{entity}/customfield", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == field and refused.json()[entity] == []
    assert attributes(nutshell, entity) == before


def test_lead_only_types_are_taken_on_leads_and_a_duplicate_name_when_allowed(nutshell):
    assert call(nutshell, "POST", "/rest/leads/customfield", json={"name": "Site", "type": "URL"}).status_code == 200
    assert call(nutshell, "POST", "/rest/leads/customfield", json=[]).status_code == 422
    assert call(nutshell, "POST", "/rest/leads/customfield", data=b"{").status_code == 400
    nutshell.switch(customfield_duplicate_name="allowed", customfield_type_reported="as_sent")
    assert call(nutshell, "POST", "/rest/leads/customfield", json={"name": "Site", "type": "Text"}).status_code == 200
    sites = [f for f in attributes(nutshell, "leads") if f["name"] == "Site"]
    assert [f["fieldType"] for f in sites] == ["url", "Text"] and len({f["id"] for f in sites}) == 2
