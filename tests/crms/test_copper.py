"""Copper through the gateway: the mapping against the sandbox's stored companies, writes as Copper
receives them, and Copper's quirks seen through the unified API
(https://developer.copper.com/companies/overview.html)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import SPECS, assert_unified_record, list_all

from unigate.engine.pagination import next_position
from unigate.engine.provider_request import lower_headers
from unigate.sandbox import copper

NAME = "copper"
SOCIALS = {"linkedin", "twitter", "googleplus", "facebook", "youtube", "quora", "foursquare", "klout", "gravatar"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()
    control.default_switches()


def rfc3339(seconds):
    """What a Unix-second timestamp must read as: RFC 3339 UTC."""
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


def parsed(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def custom_field_value(definition: dict, value):
    """A stored value as the unified record shows it: Dropdown/MultiSelect option ids read as option names."""
    names = {o["id"]: o["name"] for o in definition.get("options") or []}
    if definition["data_type"] == "Dropdown":
        return names.get(value, value)
    if definition["data_type"] == "MultiSelect":
        return [names.get(v, v) for v in value]
    return value


def expected(company: dict) -> dict:
    """The unified account a stored Copper company should map to (written independently of the YAML)."""
    a = company["address"] or {}
    lines = (a.get("street") or "").split("\n")
    addresses = [] if not any(a.values()) else [{
        "street_1": lines[0] or None, "street_2": "\n".join(lines[1:]) or None, "city": a.get("city"),
        "state": a.get("state"), "postal_code": a.get("postal_code"), "country": a.get("country")}]
    return {
        "id": str(company["id"]),
        "name": company["name"],
        "description": company["details"],
        "website": company["websites"][0]["url"] if company["websites"] else None,
        "owner": {"id": str(company["assignee_id"])} if company["assignee_id"] else None,
        "addresses": addresses,
        "phone_numbers": [{"number": p["number"], "type": p["category"]} for p in company["phone_numbers"]],
        "urls": [{"url": w["url"], "type": w["category"]} for w in company["websites"] + company["socials"]],
        "tags": [{"id": t, "name": t} for t in company["tags"]],
        "custom_fields": {
            copper.CUSTOM_FIELD_DEFINITIONS_BY_ID[cf["custom_field_definition_id"]]["name"]:
                custom_field_value(copper.CUSTOM_FIELD_DEFINITIONS_BY_ID[cf["custom_field_definition_id"]], cf["value"])
            for cf in company["custom_fields"] if cf["value"] is not None},
        "last_activity_at": company.get("date_last_contacted"),
        "created_at": company["date_created"],
        "updated_at": company["date_modified"],
    }


def assert_maps(unified: dict, company: dict) -> None:
    assert_unified_record(unified, expected(company), lambda got, want: parsed(got) == rfc3339(want))
    assert unified["remote_data"]["id"] == company["id"]


def stored(ctl) -> dict[str, dict]:
    return {str(c["id"]): c for c in ctl.records()}


def test_list_maps_every_company(gateway, ctl):
    """Every stored company comes back once, each field mapped; Unix seconds become RFC 3339."""
    records = stored(ctl)
    listed = [r for page in list_all(gateway, NAME, limit=25) for r in page]
    assert sorted(r["id"] for r in listed) == sorted(records)
    for unified in listed:
        assert_maps(unified, records[unified["id"]])
    assert any(r.get("last_activity_at") for r in listed)


def test_list_is_post_search_with_headers(gateway, ctl):
    """The list is POST /companies/search, paging in the body, the three X-PW-* headers and a JSON content type."""
    ctl.clear_requests()
    list_all(gateway, NAME, limit=25)
    calls = [c for c in ctl.requests() if not c["path"].endswith("/custom_field_definitions")]
    assert [c["method"] for c in calls] == ["POST"] * 3
    for number, call in enumerate(calls, start=1):
        assert call["path"].endswith("/developer_api/v1/companies/search")
        assert call["body"]["page_number"] == number and call["body"]["page_size"] == 25
        assert call["body"]["sort_by"] == "date_created"
        headers = call["headers"]
        assert headers["x-pw-accesstoken"] == copper.SANDBOX_TOKEN
        assert headers["x-pw-application"] == "developer_api"
        assert headers["x-pw-useremail"] == copper.SANDBOX_USER_EMAIL
        assert headers["content-type"].startswith("application/json")


def test_list_stops_on_total(gateway, ctl):
    """X-PW-TOTAL tells when the last full page is the end; no extra empty search is sent."""
    ctl.reset(50)
    ctl.clear_requests()
    pages = list_all(gateway, NAME, limit=25)
    assert [len(p) for p in pages] == [25, 25]
    assert len([c for c in ctl.requests() if c["path"].endswith("/companies/search")]) == 2


@pytest.mark.parametrize("spelling", ["X-PW-TOTAL", "x-pw-total", "X-Pw-Total"])
def test_total_is_read_in_any_header_case(spelling):
    """Copper sends `X-PW-TOTAL`; expressions see header names lowercased, so the mapping reads one name."""
    pagination = SPECS[NAME].resource_method("companies", "list").pagination
    path = "/developer_api/v1/companies/search"
    assert next_position(pagination, 1, 25, 25, [], lower_headers({spelling: "50"}), path) == 2
    assert next_position(pagination, 2, 25, 25, [], lower_headers({spelling: "50"}), path) is None
    assert next_position(pagination, 2, 25, 25, [], lower_headers({}), path) == 3  # no total: a full page goes on


def test_get_maps_every_field(gateway, ctl):
    """A get maps details, websites+socials, assignee, single address, tags, custom fields, dates."""
    company = next(c for c in ctl.records() if c["socials"] and c["assignee_id"] and c.get("date_last_contacted"))
    response = gateway.unified("GET", NAME, str(company["id"]))
    assert response.status_code == 200, response.text
    assert_maps(response.json(), company)


def test_create_sends_copper_body_and_reads_back(gateway, ctl):
    """POST /companies with Copper's field names; 200 with the company; values read back."""
    owner = copper.USERS[2]
    sent = {
        "name": "Gateway Supply Co",
        "description": "Created through the unified API",
        "website": "https://gateway-supply.example",
        "owner": {"id": str(owner["id"])},
        "addresses": [{"street_1": "500 Market Street", "street_2": "Floor 3", "city": "San Francisco",
                       "state": "CA", "postal_code": "94105", "country": "US"}],
        "phone_numbers": [{"number": "4155550123", "type": "work"}, {"number": "4155550124", "type": "mobile"}],
        "urls": [{"url": "https://gateway-supply.example", "type": "work"},
                 {"url": "https://www.linkedin.com/company/gateway-supply", "type": "linkedin"}],
        "tags": [{"name": "Prospect"}],
        "custom_fields": {"Employees": 42, "Key Account": True, "Industry": "Retail"},
    }
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent)
    assert response.status_code == 200, response.text
    created = response.json()
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    retail = next(o["id"] for o in copper.CUSTOM_FIELD_DEFINITIONS_BY_ID[100764]["options"] if o["name"] == "Retail")
    assert post["path"].endswith("/developer_api/v1/companies")
    assert post["body"] == {
        "name": sent["name"],
        "details": sent["description"],
        "assignee_id": owner["id"],
        "address": {"street": "500 Market Street\nFloor 3", "city": "San Francisco", "state": "CA",
                    "postal_code": "94105", "country": "US"},
        "phone_numbers": [{"number": "4155550123", "category": "work"}, {"number": "4155550124", "category": "mobile"}],
        "websites": [{"url": "https://gateway-supply.example", "category": "work"}],
        "socials": [{"url": "https://www.linkedin.com/company/gateway-supply", "category": "linkedin"}],
        "tags": ["Prospect"],
        "custom_fields": [{"custom_field_definition_id": 100765, "value": 42},
                          {"custom_field_definition_id": 103483, "value": True},
                          {"custom_field_definition_id": 100764, "value": retail}],
    }
    for key in ("name", "description", "website", "owner", "phone_numbers", "urls"):
        assert created[key] == sent[key], key
    assert created["addresses"][0]["street_2"] == "Floor 3"
    assert created["tags"] == [{"id": "Prospect", "name": "Prospect"}]
    assert created["custom_fields"] == {"Employees": 42, "Key Account": True, "Industry": "Retail"}
    assert_maps(created, stored(ctl)[created["id"]])


def test_custom_fields_are_keyed_by_name(gateway, ctl):
    """custom-fields: values carry only custom_field_definition_id; names (and Dropdown option names) come from
    GET /custom_field_definitions, read once per integrated account."""
    company = ctl.records()[3]
    gateway.unified("GET", NAME, str(company["id"]))  # the definitions are cached from here on
    ctl.clear_requests()
    got = gateway.unified("GET", NAME, str(company["id"])).json()
    assert [c["method"] for c in ctl.requests()] == ["GET"]  # the company only
    industry = next(cf["value"] for cf in company["custom_fields"] if cf["custom_field_definition_id"] == 100764)
    options = {o["id"]: o["name"] for o in copper.CUSTOM_FIELD_DEFINITIONS_BY_ID[100764]["options"]}
    assert got["custom_fields"]["Industry"] == options[industry]
    assert got["custom_fields"]["Employees"] == next(cf["value"] for cf in company["custom_fields"]
                                                     if cf["custom_field_definition_id"] == 100765)
    assert not [k for k in got["custom_fields"] if k.isdigit()]


def test_custom_fields_update_by_name_and_by_id(gateway, ctl):
    """PUT custom_fields: [{custom_field_definition_id, value}]; a name or an id as the key, option names to ids."""
    company = ctl.records()[5]
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, str(company["id"]),
                               json={"custom_fields": {"Industry": "Energy", "103481": "Renewed in May"}})
    assert response.status_code == 200, response.text
    energy = next(o["id"] for o in copper.CUSTOM_FIELD_DEFINITIONS_BY_ID[100764]["options"] if o["name"] == "Energy")
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"custom_fields": [{"custom_field_definition_id": 100764, "value": energy},
                                             {"custom_field_definition_id": 103481, "value": "Renewed in May"}]}
    assert response.json()["custom_fields"]["Industry"] == "Energy"
    assert response.json()["custom_fields"]["Account Notes"] == "Renewed in May"


def test_unknown_custom_field_is_copper_s_422(gateway, ctl):
    """A key that names no company custom field reaches Copper as it is, and Copper refuses it."""
    response = gateway.unified("POST", NAME, json={"name": "Odd Co", "custom_fields": {"Shoe size": 44}})
    assert response.status_code == 422, response.text
    assert "Shoe size" in response.json()["message"]
    bad_option = gateway.unified("POST", NAME, json={"name": "Odd Co", "custom_fields": {"Industry": "Alchemy"}})
    assert bad_option.status_code == 422 and "Industry" in bad_option.json()["message"]


def test_update_sends_only_changed_fields(gateway, ctl):
    """PUT carries only the fields given; arrays replace; the rest of the company stays."""
    company = ctl.records()[4]
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, str(company["id"]),
                               json={"description": "Renewed", "phone_numbers": [{"number": "4155550000", "type": "home"}]})
    assert response.status_code == 200, response.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"details": "Renewed", "phone_numbers": [{"number": "4155550000", "category": "home"}]}
    after = stored(ctl)[str(company["id"])]
    assert after["websites"] == company["websites"] and after["tags"] == company["tags"]
    assert after["date_modified"] >= company["date_modified"]
    assert_maps(response.json(), after)


def test_update_website_keeps_other_websites(gateway, ctl):
    """`website` is the first of Copper's websites; changing it alone keeps the others (read before the PUT)."""
    company = next(c for c in ctl.records() if len(c["websites"]) > 1)
    response = gateway.unified("PATCH", NAME, str(company["id"]), json={"website": "https://moved.example"})
    assert response.status_code == 200, response.text
    after = stored(ctl)[str(company["id"])]
    assert after["websites"][0]["url"] == "https://moved.example"
    assert after["websites"][1:] == company["websites"][1:]
    assert response.json()["website"] == "https://moved.example"


def test_delete_then_404(gateway, ctl):
    """DELETE answers 200 {"id","is_deleted":true} (unified {"id"}); permanent, so the next get is 404."""
    company = ctl.records()[7]
    response = gateway.unified("DELETE", NAME, str(company["id"]))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(company["id"])
    assert response.json()["remote_data"] == {"id": company["id"], "is_deleted": True}
    assert str(company["id"]) not in stored(ctl)
    missing = gateway.unified("GET", NAME, str(company["id"]))
    assert missing.status_code == 404
    assert "Resource not found" in missing.json()["message"]


def test_email_domain_is_unique_through_remote_data(gateway, ctl):
    """email_domain is a unique key; a duplicate sent via remote_data is Copper's 422, passed on."""
    taken = ctl.records()[0]["email_domain"]
    response = gateway.unified("POST", NAME, json={"name": "Clone", "remote_data": {"email_domain": taken}})
    assert response.status_code == 422, response.text
    assert "Invalid input" in response.json()["message"]
    assert len(ctl.records()) == 60


def test_wrong_key_is_401(gateway, ctl):
    """Copper's 401 envelope (as the sandbox sends it for a bad key) becomes a unified 401 carrying its message."""
    ctl.fault(status=401, body={"success": False, "status": 401, "message": copper.AUTH_FAILED_MESSAGE})
    response = gateway.unified("GET", NAME, params={"limit": 5})
    assert response.status_code == 401
    assert copper.AUTH_FAILED_MESSAGE in response.json()["message"]


def test_no_rate_limit_headers_but_429_passes(gateway, ctl):
    """Copper sends no rate-limit headers (none are invented); its 429 surfaces as a unified 429."""
    ok = gateway.unified("GET", NAME, params={"limit": 5})
    assert not [h for h in ok.headers if h.lower().startswith("ratelimit")]
    ctl.fault(status=429, body=copper.RATE_LIMIT_BODY, times=5)
    response = gateway.unified("GET", NAME, params={"limit": 5})
    assert response.status_code == 429


# -- contacts: people ------------------------------------------------------------------------------------

def expected_contact(person: dict, companies: dict[str, dict]) -> dict:
    """The unified contact a stored Copper person should map to (written independently of the YAML)."""
    company = companies.get(str(person["company_id"]))
    definitions = copper.CUSTOM_FIELD_DEFINITIONS_BY_ID
    return {
        "id": str(person["id"]),
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "name": person["name"],
        "title": person["title"],
        "account": {"id": str(company["id"]), "name": company["name"]} if company else None,
        "owner": {"id": str(person["assignee_id"])} if person["assignee_id"] else None,
        "email_addresses": [{"email": e["email"], "type": e["category"]} for e in person["emails"]],
        "phone_numbers": [{"number": p["number"], "type": p["category"]} for p in person["phone_numbers"]],
        "urls": [{"url": w["url"], "type": w["category"]} for w in person["websites"] + person["socials"]] or None,
        "tags": [{"id": t, "name": t} for t in person["tags"]] or None,
        "custom_fields": {definitions[cf["custom_field_definition_id"]]["name"]:
                          custom_field_value(definitions[cf["custom_field_definition_id"]], cf["value"])
                          for cf in person["custom_fields"] if cf["value"] is not None} or None,
        "last_activity_at": person["date_last_contacted"],
        "created_at": person["date_created"],
        "updated_at": person["date_modified"],
    }


def assert_maps_contact(unified: dict, person: dict, companies: dict[str, dict]) -> None:
    assert_unified_record(unified, expected_contact(person, companies), lambda got, want: parsed(got) == rfc3339(want))
    a = person["address"] or {}
    address = {"street_1": a.get("street"), "city": a.get("city"), "state": a.get("state"),
               "postal_code": a.get("postal_code"), "country": a.get("country")}
    assert unified.get("addresses", []) == ([{k: v for k, v in address.items() if v}] if any(a.values()) else [])
    assert unified["remote_data"]["id"] == person["id"]


def people(ctl) -> dict[str, dict]:
    return {str(p["id"]): p for p in ctl.records("contacts")}


def contact_call(gateway, method, record_id=None, **kwargs):
    return gateway.unified(method, NAME, record_id, resource="contacts", **kwargs)


def test_contacts_list_is_people_search_mapped_field_by_field(gateway, ctl):
    """people/list-people-search: POST /people/search pages in the body, sorted by date_created; every person mapped."""
    stored_people, companies = people(ctl), stored(ctl)
    ctl.clear_requests()
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="contacts") for r in page]
    assert [r["id"] for r in listed] == list(stored_people)
    for unified in listed:
        assert_maps_contact(unified, stored_people[unified["id"]], companies)
    assert any("account" not in r for r in listed) and any("account" in r for r in listed)
    searches = [c for c in ctl.requests() if c["path"].endswith("/people/search")]
    assert [c["body"] for c in searches] == [{"sort_by": "date_created", "sort_direction": "asc",
                                              "page_number": n, "page_size": 25} for n in (1, 2, 3)]


def test_contact_get_reads_company_as_account_and_custom_fields_by_name(gateway, ctl):
    """A person's company_id/company_name is the unified account; a Dropdown value reads as its option name."""
    person = next(p for p in ctl.records("contacts") if p["company_id"] and any(
        row["custom_field_definition_id"] == 103486 and row["value"] for row in p["custom_fields"]))
    response = contact_call(gateway, "GET", str(person["id"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"] == {"id": str(person["company_id"]), "name": person["company_name"]}
    assert body["custom_fields"]["Preferred Channel"] in ("Email", "Phone", "In person")
    assert_maps_contact(body, person, stored(ctl))


def test_contact_create_without_urls_sends_no_websites(gateway, ctl):
    """A person created from names and an email only: no empty website entry (Copper answers 422 "Invalid websites")."""
    ctl.clear_requests()
    response = contact_call(gateway, "POST", json={"first_name": "Ryan", "last_name": "Howard",
                                                   "email_addresses": [{"email": "ryan-temp@dunder.example"}]})
    assert response.status_code == 200, response.text
    post = next(r for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith("/developer_api/v1/people"))
    assert "websites" not in post["body"] and "socials" not in post["body"]


def test_contact_create_sends_copper_body(gateway, ctl):
    """create-a-new-person: POST /people with name (required), company_id, emails by category; 200 with the person."""
    company = next(iter(ctl.records()))
    sent = {
        "first_name": "Holly", "last_name": "Flax", "title": "HR Representative",
        "account": {"id": str(company["id"])},
        "owner": {"id": str(copper.USERS[1]["id"])},
        "email_addresses": [{"email": "holly@dunder.example", "type": "work"}, {"email": "holly@home.example", "type": "home"}],
        "phone_numbers": [{"number": "570-555-0199", "type": "mobile"}],
        "addresses": [{"street_1": "1725 Slough Avenue", "city": "Scranton", "state": "PA", "postal_code": "18505", "country": "US"}],
        "urls": [{"url": "https://www.linkedin.com/in/hollyflax", "type": "linkedin"}, {"url": "https://holly.example"}],
        "tags": [{"name": "champion"}],
        "custom_fields": {"Preferred Channel": "Phone", "Account Notes": "Transferred from Nashua"},
    }
    ctl.clear_requests()
    response = contact_call(gateway, "POST", json=sent)
    assert response.status_code == 200, response.text
    post = next(r for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith("/developer_api/v1/people"))
    body = post["body"]
    assert body["name"] == "Holly Flax" and body["first_name"] == "Holly" and body["last_name"] == "Flax"
    assert body["company_id"] == company["id"] and body["assignee_id"] == copper.USERS[1]["id"]
    assert body["emails"] == [{"email": "holly@dunder.example", "category": "work"},
                              {"email": "holly@home.example", "category": "work"}]   # "home" is no email category
    assert body["socials"] == [{"url": "https://www.linkedin.com/in/hollyflax", "category": "linkedin"}]
    assert body["websites"] == [{"url": "https://holly.example", "category": "other"}]
    assert {"custom_field_definition_id": 103486, "value": 900202} in body["custom_fields"]
    created = response.json()
    assert created["account"] == {"id": str(company["id"]), "name": company["name"]}
    assert created["custom_fields"] == {"Preferred Channel": "Phone", "Account Notes": "Transferred from Nashua"}
    assert_maps_contact(created, people(ctl)[created["id"]], stored(ctl))


def test_contact_create_with_an_unknown_or_malformed_account_is_copper_422(gateway, ctl):
    """Copper refuses a company_id it does not know, and words a non-integer one "IDs must be positive integers"."""
    before = len(ctl.records("contacts"))
    unknown = contact_call(gateway, "POST", json={"name": "Nobody Here", "account": {"id": "1"}})
    assert unknown.status_code == 422, unknown.text
    malformed = contact_call(gateway, "POST", json={"name": "Nobody Here", "account": {"id": "acme"}})
    assert malformed.status_code == 422, malformed.text
    assert "IDs must be positive integers: acme" in malformed.json()["message"]
    assert len(ctl.records("contacts")) == before


def test_contact_duplicate_email_is_422(gateway, ctl):
    """3.-people/overview.md: "email address is a unique key for People"."""
    taken = ctl.records("contacts")[0]["emails"][0]["email"]
    response = contact_call(gateway, "POST", json={"name": "Second Copy", "email_addresses": [{"email": taken}]})
    assert response.status_code == 422, response.text


def test_contact_update_renames_moves_and_unlinks(gateway, ctl):
    """update-a-person: PUT sends only what changed (a new last name sends the whole name); the company moves
    through Related Items (DELETE then POST /people/{id}/related), and `account: {}` only unrelates."""
    person = next(p for p in ctl.records("contacts") if p["company_id"])
    other = next(c for c in ctl.records() if c["id"] != person["company_id"])
    related = f"/developer_api/v1/people/{person['id']}/related"
    ctl.clear_requests()
    response = contact_call(gateway, "PATCH", str(person["id"]),
                            json={"last_name": "Beesly-Halpert", "account": {"id": str(other["id"])}})
    assert response.status_code == 200, response.text
    writes = [(r["method"], r["path"].split("/copper")[-1], r["body"]) for r in ctl.requests() if r["method"] != "GET"]
    assert writes == [
        ("DELETE", related, {"resource": {"id": person["company_id"], "type": "company"}}),
        ("POST", related, {"resource": {"id": other["id"], "type": "company"}}),
        ("PUT", f"/developer_api/v1/people/{person['id']}",
         {"name": f"{person['first_name']} Beesly-Halpert", "last_name": "Beesly-Halpert"}),
    ]
    body = response.json()
    assert body["name"] == f"{person['first_name']} Beesly-Halpert" and body["first_name"] == person["first_name"]
    assert body["account"] == {"id": str(other["id"]), "name": other["name"]}
    after = people(ctl)[str(person["id"])]
    assert after["company_id"] == other["id"]
    assert after["emails"] == person["emails"] and after["title"] == person["title"]

    ctl.clear_requests()   # the same account again: nothing to relate
    assert contact_call(gateway, "PATCH", str(person["id"]), json={"account": {"id": str(other["id"])}}).status_code == 200
    assert [r["method"] for r in ctl.requests() if r["method"] != "GET"] == ["PUT"]

    ctl.clear_requests()
    response = contact_call(gateway, "PATCH", str(person["id"]), json={"account": {}})
    assert response.status_code == 200, response.text
    writes = [(r["method"], r["body"]) for r in ctl.requests() if r["method"] != "GET"]
    assert writes == [("DELETE", {"resource": {"id": other["id"], "type": "company"}}), ("PUT", {})]
    assert "account" not in response.json()


def test_contact_update_to_an_unknown_account_is_refused(gateway, ctl):
    """Relating a company that does not exist is Copper's 404; the PUT is not sent."""
    person = next(p for p in ctl.records("contacts") if not p["company_id"])
    ctl.clear_requests()
    response = contact_call(gateway, "PATCH", str(person["id"]), json={"title": "Boss", "account": {"id": "1"}})
    assert response.status_code == 404, response.text
    assert [r["method"] for r in ctl.requests() if r["method"] != "GET"] == ["POST"]
    assert people(ctl)[str(person["id"])]["title"] == person["title"]


def test_contact_delete_is_permanent(gateway, ctl):
    """delete-a-person: 200 {"id", "is_deleted": true}; the person is gone (404 after), its company stays."""
    person = next(p for p in ctl.records("contacts") if p["company_id"])
    ctl.clear_requests()
    response = contact_call(gateway, "DELETE", str(person["id"]))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(person["id"])
    assert [(r["method"], r["path"].rsplit("/", 2)[-2:]) for r in ctl.requests()] == [("DELETE", ["people", str(person["id"])])]
    assert str(person["id"]) not in people(ctl) and str(person["company_id"]) in stored(ctl)
    assert contact_call(gateway, "GET", str(person["id"])).status_code == 404
    assert contact_call(gateway, "DELETE", str(person["id"])).status_code == 404


# Every value of every switch: behaviours Copper's documentation leaves open (sandbox/copper/__init__.py).
OPEN_BEHAVIOURS = [pytest.param(name, value, id=f"{name}={value}")
                   for name, values in copper.CopperEmulator.switches.items() for value in values]


@pytest.mark.parametrize("switch,value", OPEN_BEHAVIOURS)
def test_gateway_works_whichever_way_copper_behaves(gateway, ctl, switch, value):
    """The unified calls that meet each open behaviour answer the same either way: lists past Copper's
    page-size ceiling, a contact created with name parts, moved to another account, and read back."""
    ctl.reset(230)
    ctl.switch(**{switch: value})
    listed = gateway.unified("GET", NAME, params={"limit": 250})
    assert listed.status_code == 200, listed.text
    assert 0 < len(listed.json()["result"]) <= 200 and listed.json()["next_cursor"]
    assert len([row for page in list_all(gateway, NAME, limit=100, resource="contacts") for row in page]) == \
        len(ctl.records("contacts"))

    first, second = ctl.records()[:2]
    created = contact_call(gateway, "POST", json={"first_name": "Ada", "last_name": "Lovelace",
                                                  "account": {"id": str(first["id"])}})
    assert created.status_code in (200, 201), created.text
    contact = created.json()
    assert (contact["first_name"], contact["last_name"], contact["name"]) == ("Ada", "Lovelace", "Ada Lovelace")
    moved = contact_call(gateway, "PATCH", contact["id"], json={"account": {"id": str(second["id"])}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["account"]["id"] == str(second["id"])
    assert people(ctl)[contact["id"]]["company_id"] == second["id"]

    contacted = next(c for c in ctl.records() if c["date_last_contacted"])
    account = gateway.unified("GET", NAME, str(contacted["id"]))
    assert account.status_code == 200, account.text
    shown = contacted["date_last_contacted"] if value != "absent" else None
    assert parsed(account.json().get("last_activity_at")) == rfc3339(shown)


# -- opportunities, pipelines and stages -------------------------------------------------------------------

def test_opportunities_map_field_by_field(gateway, ctl):
    """Copper opportunities (5.-opportunities/overview.md): amount/currency from monetary_value/unit, the stage's
    name from /pipeline_stages, Abandoned read as lost, close_date M/D/YYYY as midnight UTC."""
    deals = {str(d["id"]): d for d in ctl.records("opportunities")}
    stages = {s["id"]: s for s in ctl.records("stages")}
    listed = [d for page in list_all(gateway, NAME, limit=50, resource="opportunities") for d in page]
    assert [d["id"] for d in listed] == list(deals)
    for got in listed:
        deal = deals[got["id"]]
        month, day, year = deal["close_date"].split("/")
        assert got["amount"] == deal["monetary_value"] and got["currency"] == deal["monetary_unit"]
        assert got["stage"] == {"id": str(deal["pipeline_stage_id"]), "name": stages[deal["pipeline_stage_id"]]["name"]}
        assert got["status"] == {"Open": "open", "Won": "won", "Lost": "lost", "Abandoned": "lost"}[deal["status"]]
        assert got["close_date"] == f"{year}-{int(month):02d}-{int(day):02d}T00:00:00Z"
        assert got["contact"] == [{"id": str(deal["primary_contact_id"])}]
        assert got["account"] == {"id": str(deal["company_id"])}   # the unified account holds its id only
        assert got["remote_data"]["status"] == deal["status"]
    assert {d["currency"] for d in listed} >= {"USD", "EUR", "GBP"}
    assert {d["remote_data"]["status"] for d in listed} >= {"Open", "Won", "Lost", "Abandoned"}


def test_opportunity_stage_is_sent_with_its_pipeline(gateway, ctl):
    """A stage move sends pipeline_stage_id with the stage's own pipeline_id, so a stage of another pipeline
    takes the deal there; the close date goes as M/D/YYYY."""
    deal = ctl.records("opportunities")[0]
    other = next(s for s in ctl.records("stages") if s["pipeline_id"] != deal["pipeline_id"])
    ctl.clear_requests()
    moved = gateway.unified("PATCH", NAME, str(deal["id"]), resource="opportunities",
                            json={"stage": {"id": str(other["id"])}, "close_date": "2027-03-05T00:00:00Z"})
    assert moved.status_code == 200, moved.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"pipeline_stage_id": other["id"], "pipeline_id": other["pipeline_id"],
                           "close_date": "3/5/2027"}
    assert moved.json()["stage"]["id"] == str(other["id"])


def test_opportunity_create_sends_copper_body(gateway, ctl):
    person = next(p for p in ctl.records("contacts") if p["company_id"])
    created = gateway.unified("POST", NAME, resource="opportunities", json={
        "name": "Paper for Scranton", "amount": 4200, "currency": "EUR", "contact": [{"id": str(person["id"])}],
        "status": "won", "tags": [{"name": "q1"}], "custom_fields": {"Seats": 12}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith("/opportunities"))
    assert post["body"]["primary_contact_id"] == person["id"] and post["body"]["status"] == "Won"
    assert post["body"]["monetary_value"] == 4200 and post["body"]["monetary_unit"] == "EUR"
    assert {"custom_field_definition_id": 103487, "value": 12} in post["body"]["custom_fields"]
    got = created.json()
    assert got["account"]["id"] == str(person["company_id"]) and got["status"] == "won"
    assert got["custom_fields"] == {"Seats": 12.0}
    two = gateway.unified("POST", NAME, resource="opportunities", json={
        "name": "Two", "contact": [{"id": str(person["id"])}, {"id": "1"}]})
    assert two.status_code == 400


def test_pipelines_and_stages_are_read_only_with_their_reasons(gateway, ctl):
    pipelines = [p for page in list_all(gateway, NAME, limit=10, resource="pipelines") for p in page]
    stored = ctl.records("pipelines")
    assert [p["id"] for p in pipelines] == [str(p["id"]) for p in stored]
    assert [s["id"] for s in pipelines[0]["stages"]] == [str(s["id"]) for s in stored[0]["stages"]]
    stage = gateway.unified("GET", NAME, str(stored[1]["stages"][2]["id"]), resource="stages").json()
    assert stage["position"] == 2 and stage["pipeline"] == {"id": str(stored[1]["id"]), "name": stored[1]["name"]}
    refused = gateway.unified("POST", NAME, resource="pipelines", json={"name": "x"})
    assert refused.status_code == 405 and "no pipeline writes" in refused.json()["message"]


@pytest.mark.parametrize("stage_alone_moves", [False, True])
def test_a_move_to_another_pipeline_works_whichever_way_copper_reads_a_stage_alone(gateway, ctl, monkeypatch,
                                                                                    stage_alone_moves):
    """Whether Copper moves a deal to the pipeline of a stage sent alone is undocumented; the gateway sends
    the stage's pipeline with it, so the move works under both readings of the emulator's switch."""
    from unigate.sandbox.copper import deals as copper_deals

    monkeypatch.setattr(copper_deals, "STAGE_ALONE_MOVES_PIPELINE", stage_alone_moves)
    deal = ctl.records("opportunities")[0]
    other = next(s for s in ctl.records("stages") if s["pipeline_id"] != deal["pipeline_id"])
    moved = gateway.unified("PATCH", NAME, str(deal["id"]), resource="opportunities",
                            json={"stage": {"id": str(other["id"])}})
    assert moved.status_code == 200, moved.text
    stored = next(d for d in ctl.records("opportunities") if d["id"] == deal["id"])
    assert (stored["pipeline_id"], stored["pipeline_stage_id"]) == (other["pipeline_id"], other["id"])
