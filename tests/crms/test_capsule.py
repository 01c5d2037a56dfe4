"""Capsule through the gateway: the mapping against the sandbox's stored parties, writes as Capsule
receives them, and Capsule's quirks seen through the unified API
(https://developer.capsulecrm.com/v2/operations/listParties, https://developer.capsulecrm.com/v2/overview/handling-api-responses)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from support import SPECS, assert_unified_record, country_code, list_all

from unigate.engine.pagination import next_position
from unigate.engine.provider_request import lower_headers
from unigate.sandbox import capsule
from unigate.sandbox.capsule import common as capsule_common
from unigate.sandbox.capsule import deals

NAME = "capsule"
# Capsule's phone and address types as unified types (https://developer.capsulecrm.com/v2/models/party).
PHONE_KINDS = {"Work": "work", "Direct": "work", "Mobile": "mobile", "Home": "home", "Fax": "fax"}
ADDRESS_KINDS = {"Office": "work", "Home": "home", "Postal": "mailing", "Billing": "billing", "Shipping": "shipping"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()
    control.default_switches()


def instant(value):
    """A timestamp as an aware datetime, whatever its ISO spelling."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc) if value else None


def typed_values(fields: list[dict], definitions: dict) -> dict:
    """A record's custom field values as crm/* reads them: by definition name, a NUMBER definition's value (a
    string in Capsule's answer) as a number."""
    def typed(f: dict):
        number = definitions.get(f["definition"]["id"], {}).get("type") == "NUMBER"
        return float(f["value"]) if number and isinstance(f["value"], str) and f["value"] else f["value"]
    return {f["definition"]["name"]: typed(f) for f in fields}


def expected(party: dict) -> dict:
    """The unified account a stored Capsule organisation should map to (written independently of the YAML)."""
    services = {"URL": "website", "LINKED_IN": "linkedin", "TWITTER": "twitter"}

    def address(a):
        lines = (a.get("street") or "").split("\n")
        return {"street_1": lines[0] or None, "street_2": "\n".join(lines[1:]) or None, "city": a["city"],
                "state": a["state"], "postal_code": a["zip"], "country": country_code(a["country"]),
                "type": ADDRESS_KINDS.get(a["type"], "other") if a["type"] else None}

    return {
        "id": str(party["id"]),
        "name": party["name"],
        "description": party["about"],
        "website": next((w["url"] for w in party["websites"] if w["service"] == "URL"), None),
        "owner": {"id": str(party["owner"]["id"])} if party["owner"] else None,
        "addresses": [address(a) for a in party["addresses"]],
        "phone_numbers": [{"number": p["number"], "type": PHONE_KINDS.get(p["type"], "other") if p["type"] else None}
                          for p in party["phoneNumbers"]],
        "urls": [{"url": w["url"], "type": services.get(w["service"], w["service"].lower())} for w in party["websites"]],
        "tags": [{"id": str(t["id"]), "name": t["name"]} for t in party["tags"]],
        "custom_fields": typed_values(party["fields"], capsule_common.FIELD_DEFINITIONS_BY_ID),
        "last_activity_at": party["lastContactedAt"],
        "created_at": party["createdAt"],
        "updated_at": party["updatedAt"],
    }


def assert_maps(unified: dict, party: dict) -> None:
    assert_unified_record(unified, expected(party), lambda got, want: instant(got) == instant(want))
    assert unified["remote_data"]["id"] == party["id"]


def stored(ctl) -> dict[str, dict]:
    return {str(p["id"]): p for p in ctl.records()}


def test_list_maps_every_organisation_and_no_person(gateway, ctl):
    """One parties collection; the unified list is organisations only, each mapped field for field."""
    records = stored(ctl)
    listed = [r for page in list_all(gateway, NAME, limit=40) for r in page]
    organisations = [p for p in records.values() if p["type"] == "organisation"]
    assert [r["id"] for r in listed] == [str(p["id"]) for p in organisations]
    for unified in listed:
        assert_maps(unified, records[unified["id"]])


def test_list_asks_the_party_filter_for_organisations(gateway, ctl):
    """operations/Filter: the accounts list asks Capsule for `type is organisation` (no person is read and
    skipped), page after page by the filter's Link header (NOTES §14), with embed=tags,fields on every page."""
    organisations = sum(1 for p in ctl.records() if p["type"] == "organisation")
    ctl.clear_requests()
    list_all(gateway, NAME, limit=10)
    calls = [r for r in ctl.requests() if "definitions" not in r["path"]]
    assert [(c["method"], c["path"].split("/capsule")[-1]) for c in calls] == \
        [("POST", "/api/v2/parties/filters/results")] * -(-organisations // 10)
    for number, call in enumerate(calls, start=1):
        assert call["body"] == {"filter": {"conditions": [{"field": "type", "operator": "is", "value": "organisation"}]}}
        params = dict(call["query_params"])
        assert params["embed"] == "tags,fields" and params["perPage"] == "10"
        assert params.get("page", "1") == str(number)
        assert call["headers"]["authorization"] == f"Bearer {capsule.SANDBOX_TOKEN}"


@pytest.mark.parametrize("spelling", ["Link", "link", "LINK"])
def test_next_link_is_read_in_any_header_case(spelling):
    """Capsule sends `Link`; expressions see header names lowercased, so the mapping reads `headers.link` alone."""
    pagination = SPECS[NAME].resource_method("parties", "list").pagination
    url = "https://api.capsulecrm.com/api/v2/parties?embed=tags,fields&page=3&perPage=50"
    headers = lower_headers({spelling: f'<{url}>; rel="next"', "Content-Type": "application/json"})
    assert next_position(pagination, None, 50, 50, {"parties": []}, headers, "/api/v2/parties") == \
        "embed=tags,fields&page=3&perPage=50"
    assert next_position(pagination, None, 50, 20, {"parties": []}, lower_headers({}), "/api/v2/parties") is None


def test_get_maps_every_field(gateway, ctl):
    """A get of an organisation maps name/about/websites/owner/addresses/phones/tags/fields/timestamps."""
    party = next(p for p in ctl.records() if p["type"] == "organisation" and len(p["addresses"]) > 1)
    response = gateway.unified("GET", NAME, str(party["id"]))
    assert response.status_code == 200, response.text
    assert_maps(response.json(), party)
    assert response.json()["addresses"][0]["street_2"]  # multi-line street splits into street_1/street_2


def test_rate_limit_headers_are_passed_on(gateway, ctl):
    """X-RateLimit-Limit/-Remaining/-Reset (epoch seconds) come back as ratelimit-* (reset in seconds from now)."""
    response = gateway.unified("GET", NAME, params={"limit": 5})
    assert response.headers["ratelimit-limit"] == "4000"
    assert int(response.headers["ratelimit-remaining"]) < 4000
    assert 0 <= int(response.headers["ratelimit-reset"]) <= 3600


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_person_ids_are_not_accounts(gateway, ctl, method):
    """A person's id answers 404 through the accounts API, and no PUT/DELETE reaches Capsule."""
    person = next(p for p in ctl.records() if p["type"] == "person")
    ctl.clear_requests()
    response = gateway.unified(method, NAME, str(person["id"]), json={"name": "Nope"} if method == "PATCH" else None)
    assert response.status_code == 404, response.text
    assert all(r["method"] == "GET" for r in ctl.requests())
    assert stored(ctl)[str(person["id"])] == person


def test_create_sends_party_wrapper_and_reads_back(gateway, ctl):
    """POST {"party":{"type":"organisation",...}} -> 201 + Location; custom fields by definition id; NUMBER reads back as a string (NOTES §22)."""
    owner = capsule.USERS[1]
    sent = {
        "name": "Gateway Made Ltd",
        "description": "Created through the unified API",
        "website": "https://gateway-made.example",
        "owner": {"id": str(owner["id"])},
        "addresses": [{"street_1": "1 High Street", "street_2": "Floor 2", "city": "London",
                       "postal_code": "EC1A 1BB", "country": "GB", "type": "work"}],
        "phone_numbers": [{"number": "+44 20 7946 0000", "type": "work"}],
        "urls": [{"url": "https://gateway-made.example", "type": "website"},
                 {"url": "http://twitter.com/gatewaymade", "type": "twitter"}],
        "tags": [{"name": "Customer"}, {"name": "Fresh Tag"}],
        "custom_fields": {"Employees": 42, "Industry": "Retail"},
    }
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent)
    assert response.status_code == 200, response.text  # the unified answer; Capsule itself said 201
    created = response.json()
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/parties")
    party = post["body"]["party"]
    assert party["type"] == "organisation" and party["name"] == sent["name"] and party["about"] == sent["description"]
    assert party["owner"] == {"id": owner["id"]}
    assert party["addresses"] == [{"type": "Office", "street": "1 High Street\nFloor 2", "city": "London",
                                   "zip": "EC1A 1BB", "country": "United Kingdom"}]
    assert party["phoneNumbers"] == [{"type": "Work", "number": "+44 20 7946 0000"}]
    assert {"service": "URL", "type": "Work", "address": sent["website"]} in party["websites"]
    assert {"service": "TWITTER", "address": "http://twitter.com/gatewaymade"} in party["websites"]
    assert party["tags"] == [{"name": "Customer"}, {"name": "Fresh Tag"}]
    assert {"definition": {"id": 802}, "value": 42} in party["fields"]
    # read back, through the unified API and in the store
    for key in ("name", "description", "website", "owner", "phone_numbers", "urls"):
        assert created[key] == sent[key], key
    assert created["addresses"][0]["street_2"] == "Floor 2"
    assert [t["name"] for t in created["tags"]] == ["Customer", "Fresh Tag"]
    assert created["custom_fields"] == {"Employees": 42, "Industry": "Retail"}
    assert_maps(created, stored(ctl)[created["id"]])
    fetched = gateway.unified("GET", NAME, created["id"]).json()
    assert {k: v for k, v in fetched.items() if k != "remote_data"} == {k: v for k, v in created.items() if k != "remote_data"}


def test_update_replaces_nested_lists(gateway, ctl):
    """NOTES §18: a unified list replaces Capsule's: old items are sent as {id, _delete: true}, new ones without id; untouched fields stay."""
    party = next(p for p in ctl.records() if p["type"] == "organisation" and len(p["phoneNumbers"]) > 1)
    old_ids = [p["id"] for p in party["phoneNumbers"]]
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, str(party["id"]),
                               json={"phone_numbers": [{"number": "+1 555 0199", "type": "mobile"}],
                                     "tags": [{"name": "Partner"}]})
    assert response.status_code == 200, response.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    body = put["body"]["party"]
    assert set(body) == {"phoneNumbers", "tags"}
    assert body["phoneNumbers"] == [{"id": i, "_delete": True} for i in old_ids] + [{"type": "Mobile", "number": "+1 555 0199"}]
    after = stored(ctl)[str(party["id"])]
    assert after["phoneNumbers"][0]["number"] == "+1 555 0199" and len(after["phoneNumbers"]) == 1
    assert [t["name"] for t in after["tags"]] == ["Partner"]
    assert after["name"] == party["name"] and after["addresses"] == party["addresses"]
    assert response.json()["phone_numbers"] == [{"number": "+1 555 0199", "type": "mobile"}]
    assert_maps(response.json(), after)


def test_update_website_only_keeps_social_profiles(gateway, ctl):
    """Website is the URL-service website; changing it leaves LinkedIn/Twitter entries in place."""
    party = next(p for p in ctl.records() if p["type"] == "organisation"
                 and any(w["service"] != "URL" for w in p["websites"]))
    socials = [w for w in party["websites"] if w["service"] != "URL"]
    response = gateway.unified("PATCH", NAME, str(party["id"]), json={"website": "https://renamed.example"})
    assert response.status_code == 200, response.text
    assert response.json()["website"] == "https://renamed.example"
    after = stored(ctl)[str(party["id"])]
    assert [w for w in after["websites"] if w["service"] != "URL"] == socials


def test_delete_is_204_then_404(gateway, ctl):
    """DELETE answers 204 (unified {"id"}), the party is gone, and the next get is 404."""
    party = next(p for p in ctl.records() if p["type"] == "organisation")
    response = gateway.unified("DELETE", NAME, str(party["id"]))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(party["id"])
    assert str(party["id"]) not in stored(ctl)
    assert any(r["method"] == "DELETE" for r in ctl.requests())
    assert gateway.unified("GET", NAME, str(party["id"])).status_code == 404
    assert gateway.unified("DELETE", NAME, str(party["id"])).status_code == 404


def test_countries_are_codes_to_the_caller_and_names_to_capsule(gateway, ctl):
    """Capsule keeps countries by its dictionary's names and refuses codes (422 "country is invalid", the
    tool docs of https://github.com/soil-dev/capsulemcp): a unified code, alpha-3 code or English name is
    sent as the name, and read back as the ISO 3166-1 alpha-2 code."""
    for given in ("US", "usa", "United States"):
        ctl.clear_requests()
        response = gateway.unified("POST", NAME, json={"name": f"Country {given}",
                                                       "addresses": [{"city": "Boston", "country": given}]})
        assert response.status_code == 200, response.text
        party = next(r for r in ctl.requests() if r["method"] == "POST")["body"]["party"]
        assert party["addresses"][0]["country"] == "United States"
        assert response.json()["addresses"][0]["country"] == "US"
        assert stored(ctl)[response.json()["id"]]["addresses"][0]["country"] == "United States"
    # Capsule itself refuses a code: the sandbox is no kinder than Capsule.
    refused = requests.post(f"{ctl.url}/api/v2/parties", headers={"Authorization": f"Bearer {capsule.SANDBOX_TOKEN}"},
                            json={"party": {"type": "organisation", "name": "Raw code", "addresses": [{"country": "US"}]}},
                            timeout=5)
    assert refused.status_code == 422 and "country is invalid" in refused.text


@pytest.mark.parametrize(("unified", "capsule_type"), [("work", "Office"), ("home", "Home"), ("billing", "Billing"),
                                                      ("shipping", "Shipping"), ("mailing", "Postal")])
def test_address_types_map_both_ways(gateway, ctl, unified, capsule_type):
    """Capsule's address types (Home, Office, Postal, Billing, Shipping) for the unified ones: a `work` or
    `billing` address is sent as Capsule's type and reads back as it was given, never as a default."""
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json={"name": f"Typed {unified}", "addresses": [{"city": "Leeds", "type": unified}],
                                                   "phone_numbers": [{"number": "+44 113 555 0101", "type": "fax"}]})
    assert response.status_code == 200, response.text
    party = next(r for r in ctl.requests() if r["method"] == "POST")["body"]["party"]
    assert party["addresses"][0]["type"] == capsule_type and party["phoneNumbers"][0]["type"] == "Fax"
    assert response.json()["addresses"][0]["type"] == unified and response.json()["phone_numbers"][0]["type"] == "fax"


def test_a_type_capsule_lacks_is_sent_without_one(gateway, ctl):
    """Capsule has no `other` address or phone type: such items are written untyped, and a Direct line
    (Capsule's own) reads as a work phone."""
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json={"name": "Untyped", "addresses": [{"city": "York", "type": "other"}],
                                                   "phone_numbers": [{"number": "+44 1904 555 000", "type": "other"}]})
    assert response.status_code == 200, response.text
    party = next(r for r in ctl.requests() if r["method"] == "POST")["body"]["party"]
    assert "type" not in party["addresses"][0] and "type" not in party["phoneNumbers"][0]
    assert "type" not in response.json()["addresses"][0]
    direct = requests.put(f"{ctl.url}/api/v2/parties/{response.json()['id']}",
                          headers={"Authorization": f"Bearer {capsule.SANDBOX_TOKEN}"},
                          json={"party": {"phoneNumbers": [{"type": "Direct", "number": "+44 1904 555 001"}]}}, timeout=5)
    assert direct.status_code == 200, direct.text
    read = gateway.unified("GET", NAME, response.json()["id"]).json()
    assert {"number": "+44 1904 555 001", "type": "work"} in read["phone_numbers"]


def test_an_unknown_country_is_400_naming_the_field(gateway, ctl):
    """A country no ISO 3166-1 entry names is the gateway's 400 naming the field; Capsule is not called."""
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json={"name": "Bad Country",
                                                   "addresses": [{"street_1": "x", "country": "Atlantis"}]})
    assert response.status_code == 400, response.text
    assert "addresses.0.country" in response.json()["message"] and "Atlantis" in response.json()["message"]
    assert response.json()["truto_error_insight"]["invalid_body_fields"]["value"] == ["addresses.0.country"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_validation_error_comes_through(gateway, ctl):
    """Capsule's 422 {"message","errors"} is a unified 422 whose message names the failing field."""
    response = gateway.unified("POST", NAME, json={"name": "Bad Field", "custom_fields": {"No Such Field": 1}})
    assert response.status_code == 422, response.text


def test_rate_limited_is_429(gateway, ctl):
    """Capsule's 429 {"error":"rate limit reached"} surfaces as a unified 429 with its message."""
    ctl.fault(status=429, body=capsule.RATE_LIMIT_BODY, times=5,
              headers={"X-RateLimit-Limit": "4000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"})
    response = gateway.unified("GET", NAME, params={"limit": 5})
    assert response.status_code == 429, response.text
    assert "rate limit reached" in response.json()["message"]


# -- contacts: parties of type person -------------------------------------------------------------------

def expected_contact(person: dict, parties: dict[str, dict]) -> dict:
    """The unified contact a stored Capsule person should map to (written independently of the YAML)."""
    services = {"URL": "website", "LINKED_IN": "linkedin", "TWITTER": "twitter"}
    org = parties.get(str((person["organisation"] or {}).get("id")))
    names = [n for n in (person["firstName"], person["lastName"]) if n]
    return {
        "id": str(person["id"]),
        "first_name": person["firstName"],
        "last_name": person["lastName"],
        "name": " ".join(names) or None,
        "title": person["jobTitle"],
        "account": {"id": str(org["id"]), "name": org["name"]} if org else None,
        "owner": {"id": str(person["owner"]["id"])} if person["owner"] else None,
        "email_addresses": [{"email": e["address"], "type": e["type"].lower()} for e in person["emailAddresses"]] or None,
        "phone_numbers": [{"number": p["number"], "type": PHONE_KINDS.get(p["type"], "other")} for p in person["phoneNumbers"]] or None,
        "urls": [{"url": w["url"], "type": services[w["service"]]} for w in person["websites"]] or None,
        "tags": [{"id": str(t["id"]), "name": t["name"]} for t in person["tags"]] or None,
        "custom_fields": typed_values(person["fields"], capsule_common.FIELD_DEFINITIONS_BY_ID) or None,
        "last_activity_at": person["lastContactedAt"],
        "created_at": person["createdAt"],
        "updated_at": person["updatedAt"],
    }


def assert_maps_contact(unified: dict, person: dict, parties: dict[str, dict]) -> None:
    assert_unified_record(unified, expected_contact(person, parties), lambda got, want: instant(got) == instant(want))
    addresses = [{"street_1": a["street"], "city": a["city"], "state": a["state"], "postal_code": a["zip"],
                  "country": country_code(a["country"]), "type": ADDRESS_KINDS[a["type"]]} for a in person["addresses"]]
    assert unified.get("addresses", []) == [{k: v for k, v in a.items() if v is not None} for a in addresses]
    assert unified["remote_data"]["id"] == person["id"]


def contact_call(gateway, method, record_id=None, **kwargs):
    return gateway.unified(method, NAME, record_id, resource="contacts", **kwargs)


def test_contacts_list_maps_every_person_and_no_organisation(gateway, ctl):
    """models/party: people share /parties with organisations; the contacts list asks Capsule's party filter for
    `type is person` (operations/Filter), page after page by its Link header, and maps each person field for field."""
    parties = stored(ctl)
    ctl.clear_requests()
    listed = [r for page in list_all(gateway, NAME, limit=8, resource="contacts") for r in page]
    calls = [c for c in ctl.requests() if "definitions" not in c["path"]]   # definitions type the custom fields
    assert [(c["method"], c["path"].split("/capsule")[-1]) for c in calls] == \
        [("POST", "/api/v2/parties/filters/results")] * 3
    for number, call in enumerate(calls, start=1):
        assert call["body"] == {"filter": {"conditions": [{"field": "type", "operator": "is", "value": "person"}]}}
        assert dict(call["query_params"]) == {"embed": "tags,fields", "perPage": "8", **({"page": str(number)} if number > 1 else {})}
    people = [p for p in parties.values() if p["type"] == "person"]
    assert [r["id"] for r in listed] == [str(p["id"]) for p in people]
    assert any("account" not in r for r in listed) and any("account" in r for r in listed)
    for unified in listed:
        assert_maps_contact(unified, parties[unified["id"]], parties)


def test_contact_get_reads_the_organisation_as_account(gateway, ctl):
    """models/party: a person's `organisation` {id, name} is the unified `account`; custom fields by name."""
    parties = stored(ctl)
    person = next(p for p in parties.values() if p["type"] == "person" and p["organisation"] and p["fields"])
    response = contact_call(gateway, "GET", str(person["id"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"] == {"id": str(person["organisation"]["id"]), "name": parties[str(person["organisation"]["id"])]["name"]}
    assert body["custom_fields"] == typed_values(person["fields"], capsule_common.FIELD_DEFINITIONS_BY_ID)
    assert_maps_contact(body, person, parties)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_organisation_ids_are_not_contacts(gateway, ctl, method):
    """An organisation's id answers 404 through the contacts API, and no PUT/DELETE reaches Capsule."""
    org = next(p for p in ctl.records() if p["type"] == "organisation")
    ctl.clear_requests()
    response = contact_call(gateway, method, str(org["id"]), json={"first_name": "Nope"} if method == "PATCH" else None)
    assert response.status_code == 404, response.text
    assert all(r["method"] == "GET" for r in ctl.requests())
    assert stored(ctl)[str(org["id"])] == org


def test_contact_create_sends_a_person_linked_to_its_organisation(gateway, ctl):
    """operations/Party "Create a party": {"party": {"type": "person", ..., "organisation": {"id"}}} -> 201; read back with the organisation's name."""
    org = next(p for p in ctl.records() if p["type"] == "organisation")
    sent = {
        "first_name": "Grace", "last_name": "Hopper", "title": "Rear Admiral",
        "account": {"id": str(org["id"])},
        "owner": {"id": str(capsule.USERS[2]["id"])},
        "email_addresses": [{"email": "grace@navy.example", "type": "work"}],
        "phone_numbers": [{"number": "+1 202 555 0111", "type": "mobile"}],
        "addresses": [{"street_1": "1 Navy Yard", "city": "Washington", "country": "US", "type": "work"}],
        "urls": [{"url": "gracehopper", "type": "linkedin"}],
        "tags": [{"name": "Champion"}],
        "custom_fields": {"Preferred Channel": "Phone", "Newsletter": True},
    }
    ctl.clear_requests()
    response = contact_call(gateway, "POST", json=sent)
    assert response.status_code == 200, response.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/parties")
    party = post["body"]["party"]
    assert party["type"] == "person" and party["firstName"] == "Grace" and party["lastName"] == "Hopper"
    assert party["jobTitle"] == "Rear Admiral" and "title" not in party   # Capsule's title is the salutation
    assert party["organisation"] == {"id": org["id"]}
    assert party["emailAddresses"] == [{"type": "Work", "address": "grace@navy.example"}]
    assert party["websites"] == [{"service": "LINKED_IN", "address": "gracehopper"}]
    assert {"definition": {"id": 806}, "value": "Phone"} in party["fields"]
    created = response.json()
    assert created["account"] == {"id": str(org["id"]), "name": org["name"]}
    assert created["name"] == "Grace Hopper" and created["title"] == "Rear Admiral"
    assert created["custom_fields"] == {"Preferred Channel": "Phone", "Newsletter": True}
    assert created["urls"] == [{"url": "http://www.linkedin.com/company/gracehopper", "type": "linkedin"}]
    parties = stored(ctl)
    assert parties[created["id"]]["type"] == "person"
    assert_maps_contact(created, parties[created["id"]], parties)


def test_contact_create_from_a_full_name_splits_it(gateway, ctl):
    """Capsule has no full-name field on people: `name` alone is sent as firstName (first word) and lastName (the rest)."""
    ctl.clear_requests()
    response = contact_call(gateway, "POST", json={"name": "Mary Ann Evans"})
    assert response.status_code == 200, response.text
    party = next(r for r in ctl.requests() if r["method"] == "POST")["body"]["party"]
    assert party == {"type": "person", "firstName": "Mary", "lastName": "Ann Evans"}
    assert response.json()["name"] == "Mary Ann Evans" and "account" not in response.json()


def test_contact_create_with_an_account_that_is_not_an_organisation_is_404(gateway, ctl):
    """Capsule answers 404 "organisation not found" for a person linked to an id that is not an organisation."""
    person = next(p for p in ctl.records() if p["type"] == "person")
    before = len(ctl.records())
    response = contact_call(gateway, "POST", json={"first_name": "Linked", "account": {"id": str(person["id"])}})
    assert response.status_code == 404, response.text
    assert "organisation not found" in response.json()["message"]
    assert response.json()["truto_is_remote_error"] is True
    assert len(ctl.records()) == before


def test_contact_update_moves_and_unlinks_the_account(gateway, ctl):
    """PUT {"party": {"organisation": {"id"}}} moves the person; an account without an id (`{}`) sends organisation null; other fields stay."""
    parties = stored(ctl)
    person = next(p for p in parties.values() if p["type"] == "person" and p["organisation"] and len(p["emailAddresses"]) > 1)
    other = next(p for p in parties.values() if p["type"] == "organisation" and p["id"] != person["organisation"]["id"])
    old_emails = [e["id"] for e in person["emailAddresses"]]
    ctl.clear_requests()
    response = contact_call(gateway, "PATCH", str(person["id"]),
                            json={"account": {"id": str(other["id"])}, "email_addresses": [{"email": "new@x.example"}]})
    assert response.status_code == 200, response.text
    body = next(r for r in ctl.requests() if r["method"] == "PUT")["body"]["party"]
    assert body == {"organisation": {"id": other["id"]},
                    "emailAddresses": [{"id": i, "_delete": True} for i in old_emails] + [{"type": None, "address": "new@x.example"}]}
    assert response.json()["account"] == {"id": str(other["id"]), "name": other["name"]}
    assert response.json()["email_addresses"] == [{"email": "new@x.example"}]
    after = stored(ctl)[str(person["id"])]
    assert after["firstName"] == person["firstName"] and after["phoneNumbers"] == person["phoneNumbers"]
    ctl.clear_requests()
    response = contact_call(gateway, "PATCH", str(person["id"]), json={"account": {}})
    assert response.status_code == 200, response.text
    assert next(r for r in ctl.requests() if r["method"] == "PUT")["body"]["party"] == {"organisation": None}
    assert "account" not in response.json()
    assert stored(ctl)[str(person["id"])]["organisation"] is None


def test_contact_account_name_follows_the_organisation(gateway, ctl):
    """A person shows its organisation as it is now: renaming the account renames the contact's `account.name`."""
    person = next(p for p in ctl.records() if p["type"] == "person" and p["organisation"])
    org_id = str(person["organisation"]["id"])
    assert gateway.unified("PATCH", NAME, org_id, json={"name": "Renamed Holdings"}).status_code == 200
    response = contact_call(gateway, "GET", str(person["id"]))
    assert response.json()["account"] == {"id": org_id, "name": "Renamed Holdings"}


def test_contact_delete_is_204_then_404(gateway, ctl):
    """DELETE /parties/{id} answers 204 (unified {"id"}); the person is gone, its organisation stays, a second delete is 404."""
    person = next(p for p in ctl.records() if p["type"] == "person" and p["organisation"])
    ctl.clear_requests()
    response = contact_call(gateway, "DELETE", str(person["id"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"id": str(person["id"])}
    assert [r["method"] for r in ctl.requests()] == ["GET", "DELETE"]
    parties = stored(ctl)
    assert str(person["id"]) not in parties and str(person["organisation"]["id"]) in parties
    assert contact_call(gateway, "GET", str(person["id"])).status_code == 404
    assert contact_call(gateway, "DELETE", str(person["id"])).status_code == 404


def test_contact_account_id_that_is_no_number_is_refused_before_capsule(gateway, ctl):
    """Capsule party ids are integers: an account id that is not one is a 400 from the gateway, and no party is written."""
    ctl.clear_requests()
    response = contact_call(gateway, "POST", json={"first_name": "Bad", "account": {"id": "acme"}})
    assert response.status_code == 400, response.text
    assert set(response.json()) >= {"statusCode", "error", "message"}
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


# Every value of every switch: behaviours Capsule's documentation leaves open (sandbox/capsule/__init__.py).
OPEN_BEHAVIOURS = [pytest.param(name, value, id=f"{name}={value}")
                   for name, values in capsule.CapsuleEmulator.switches.items() for value in values]


@pytest.mark.parametrize("switch,value", OPEN_BEHAVIOURS)
@pytest.mark.parametrize("resource", ["accounts", "contacts"])
def test_gateway_works_whichever_way_capsule_behaves(gateway, ctl, switch, value, resource):
    """The unified calls that meet each open behaviour answer the same either way: a list asked for more
    than Capsule's 100 a page, a get, and a delete (immediate, or deferred as a 202 with a job's Location)."""
    ctl.reset(150)
    ctl.switch(**{switch: value})
    listed = gateway.unified("GET", NAME, params={"limit": 150}, resource=resource)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["result"]
    assert 0 < len(rows) <= 100
    got = gateway.unified("GET", NAME, rows[0]["id"], resource=resource)
    assert got.status_code == 200 and got.json()["id"] == rows[0]["id"]
    deleted = gateway.unified("DELETE", NAME, rows[1]["id"], resource=resource)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["id"] == rows[1]["id"]
    assert int(rows[1]["id"]) not in {p["id"] for p in ctl.records()}
    assert gateway.unified("GET", NAME, rows[1]["id"], resource=resource).status_code == 404


# -- opportunities, pipelines and milestones ------------------------------------------------------------------

def test_opportunities_map_field_by_field(gateway, ctl):
    """Capsule opportunities with embed=tags,party,milestone: a person party is the contact and its organisation
    the account, an organisation party the account; the status from the milestone."""
    deals = {str(d["id"]): d for d in ctl.records("opportunities")}
    listed = [d for page in list_all(gateway, NAME, limit=50, resource="opportunities") for d in page]
    assert [d["id"] for d in listed] == list(deals)
    for got in listed:
        deal = deals[got["id"]]
        party, milestone = deal["party"], deal["milestone"]
        assert got["amount"] == deal["value"]["amount"] and got["currency"] == deal["value"]["currency"]
        assert got["stage"] == {"id": str(milestone["id"]), "name": milestone["name"]}
        status = ("won" if milestone["probability"] > 0 else "lost") if milestone["complete"] else "open"
        assert got["status"] == status
        if party["type"] == "person":
            assert got["contact"] == [{"id": str(party["id"])}]
            org = party["organisation"]
            assert got.get("account") == ({"id": str(org["id"])} if org else None)
        else:
            assert "contact" not in got and got["account"] == {"id": str(party["id"])}
        assert got["close_date"] == (deal["closedOn"] or deal["expectedCloseOn"]) + "T00:00:00Z"
    assert {d["status"] for d in listed} == {"open", "won", "lost"}


def test_opportunity_update_keeps_the_currency_and_moves_the_milestone(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    won = next(m for m in ctl.records("stages") if m["complete"] and m["probability"] == 100
               and m["pipeline"]["id"] != deal["milestone"]["pipeline"]["id"])
    ctl.clear_requests()
    moved = gateway.unified("PATCH", NAME, str(deal["id"]), resource="opportunities",
                            json={"amount": 999, "stage": {"id": str(won["id"])}, "tags": [{"name": "Referral"}]})
    assert moved.status_code == 200, moved.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"]["opportunity"]["value"] == {"amount": 999, "currency": deal["value"]["currency"]}
    assert put["body"]["opportunity"]["milestone"] == {"id": won["id"]}
    got = moved.json()
    assert got["status"] == "won" and got["stage"]["id"] == str(won["id"])
    assert [t["name"] for t in got["tags"]] == ["Referral"]


def test_stages_list_a_pipeline_by_pipeline_id(gateway, ctl):
    """Capsule lists milestones per pipeline: the oldest active one by default, another by pipeline_id."""
    pipelines = ctl.records("pipelines")
    default = gateway.unified("GET", NAME, resource="stages", params={"limit": 100}).json()["result"]
    assert {s["pipeline"]["id"] for s in default} == {str(pipelines[0]["id"])}
    second = gateway.unified("GET", NAME, resource="stages",
                             params={"limit": 100, "pipeline_id": str(pipelines[1]["id"])}).json()["result"]
    stored = [m for m in ctl.records("stages") if m["pipeline"]["id"] == pipelines[1]["id"]]
    assert [(s["id"], s["position"]) for s in second] == [(str(m["id"]), n) for n, m in enumerate(stored)]
    unknown = gateway.unified("GET", NAME, resource="stages", params={"pipeline_id": "1"})
    assert unknown.status_code == 404 and unknown.json()["truto_is_remote_error"] is True
    pipeline = gateway.unified("GET", NAME, str(pipelines[1]["id"]), resource="pipelines").json()
    assert [s["id"] for s in pipeline["stages"]] == [s["id"] for s in second]


def test_opportunity_custom_fields_by_definition_name(gateway, ctl):
    """The opportunities' own definitions (/opportunities/fields/definitions): values read by name (NUMBER read as a
    number from Capsule's string), written as {definition: {id}, value}; a null clears one."""
    deal = next(d for d in ctl.records("opportunities") if d["fields"])
    got = gateway.unified("GET", NAME, str(deal["id"]), resource="opportunities").json()
    assert got["custom_fields"] == typed_values(deal["fields"], deals.FIELD_DEFINITIONS_BY_ID)
    ctl.clear_requests()
    changed = gateway.unified("PATCH", NAME, str(deal["id"]), resource="opportunities",
                              json={"custom_fields": {"Competitor": "Globex", "Seats": None}})
    assert changed.status_code == 200, changed.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"]["opportunity"]["fields"] == [{"definition": {"id": 903}, "value": "Globex"},
                                                    {"definition": {"id": 901}, "value": None}]
    assert changed.json()["custom_fields"].get("Competitor") == "Globex" and "Seats" not in changed.json()["custom_fields"]
    unknown = gateway.unified("PATCH", NAME, str(deal["id"]), resource="opportunities",
                              json={"custom_fields": {"Nope": 1}})
    assert unknown.status_code == 422
