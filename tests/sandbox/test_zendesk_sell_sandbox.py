"""The Zendesk Sell emulator against Sell's documented behaviour for contacts (organisations and persons).

Sources: Sell's contacts reference (https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/),
its errors page (https://developer.zendesk.com/api-reference/sales-crm/errors/) and Zendesk's official Python
client `basecrm` (https://github.com/basecrm/basecrm-python: http_client.py, services.py, errors.py).
"""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit

import basecrm
import pytest
import requests

from unigate.sandbox import zendesk_sell

NAME = "zendesk_sell"
AUTH = {"Authorization": f"Bearer {zendesk_sell.SANDBOX_TOKEN}", "Accept": "application/json",
        "User-Agent": "unigate-tests/1.0"}
UTC_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def sell(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    return control


def contacts(sell, suffix: str = "") -> str:
    return f"{sell.url}/v2/contacts{suffix}"


def organisations(sell) -> list[dict]:
    return [c for c in sell.records("accounts") if c["is_organization"]]


def persons(sell) -> list[dict]:
    return [c for c in sell.records("accounts") if not c["is_organization"]]


def assert_error_envelope(response, status: int, code: str) -> dict:
    """/ Sell errors page: `{errors:[{error:{…}, meta:{type:"error"}}], meta:{type:"errors",
    http_status, logref = X-Request-Id}}`."""
    assert response.status_code == status
    body = response.json()
    assert body["meta"]["type"] == "errors"
    assert body["meta"]["http_status"].startswith(f"{status} ")
    assert body["meta"]["logref"] == response.headers["X-Request-Id"]
    error = body["errors"][0]
    assert error["meta"]["type"] == "error"
    assert error["error"]["code"] == code
    return error["error"]


def test_bad_or_missing_token_is_401_unauthorized(sell):
    """401 `unauthorized` ("access token is missing, malformed, expired, or invalid")."""
    for headers in ({"User-Agent": "t"}, {**AUTH, "Authorization": "Bearer nope"},
                    {**AUTH, "Authorization": f"Token {zendesk_sell.SANDBOX_TOKEN}"}):
        r = requests.get(contacts(sell), headers=headers)
        error = assert_error_envelope(r, 401, "unauthorized")
        assert "missing, malformed, expired, or invalid" in error["details"]


def test_user_agent_is_required(sell):
    """Sell refuses a request without User-Agent (400; the default of switch `user_agent_required`)."""
    parts = urlsplit(contacts(sell))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    headers = {k: v for k, v in AUTH.items() if k != "User-Agent"}
    connection.request("GET", parts.path, headers=headers)   # http.client adds no User-Agent of its own
    raw = connection.getresponse()
    body = json.loads(raw.read())
    connection.close()
    assert raw.status == zendesk_sell.MISSING_USER_AGENT_STATUS
    assert body["errors"][0]["error"]["code"] == zendesk_sell.MISSING_USER_AGENT_CODE
    assert body["meta"]["logref"] == raw.getheader("X-Request-Id")
    r = requests.get(contacts(sell), headers=AUTH)
    assert r.status_code == 200


def test_unsupported_accept_is_406(sell):
    """Sell responses page: a format the server does not support is rejected with 406 Not Acceptable."""
    r = requests.get(contacts(sell), headers={**AUTH, "Accept": "application/xml"})
    assert_error_envelope(r, 406, "not_acceptable")


def test_list_envelope_and_headers(sell):
    """`{items:[{data, meta}], meta:{type:"collection", count, links}}`; default per_page 25
    (https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/)."""
    r = requests.get(contacts(sell), headers=AUTH)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers["X-Request-Id"] and r.headers["X-RateLimit-Remaining"].isdigit()
    body = r.json()
    assert body["meta"]["type"] == "collection" and body["meta"]["count"] == 25 == len(body["items"])
    assert body["meta"]["links"]["self"] == r.url
    assert "page=2" in body["meta"]["links"]["next_page"]
    assert all(item["meta"]["type"] == "contact" for item in body["items"])
    assert all(item["meta"]["type"] == "contact" for item in body["items"])
    # persons and organisations share the collection: the seeded persons follow the organisations
    page = requests.get(contacts(sell), headers=AUTH, params={"page": 3}).json()
    assert {item["data"]["is_organization"] for item in page["items"]} == {True, False}


def test_is_organization_filter_pages_through_all_organisations(sell):
    """`GET /v2/contacts?is_organization=true&page=&per_page=`, next_page while more remain."""
    seen: list[int] = []
    page = 1
    while True:
        r = requests.get(contacts(sell), headers=AUTH, params={"is_organization": "true", "page": page,
                                                               "per_page": 7})
        assert r.status_code == 200
        body = r.json()
        assert all(item["data"]["is_organization"] for item in body["items"])
        seen += [item["data"]["id"] for item in body["items"]]
        if "next_page" not in body["meta"]["links"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == 60
    assert seen == [c["id"] for c in organisations(sell)]
    r = requests.get(contacts(sell), headers=AUTH, params={"is_organization": "false", "per_page": 100})
    assert {i["data"]["id"] for i in r.json()["items"]} == {c["id"] for c in persons(sell)}


def test_following_next_page_links(sell):
    """The collection's `meta.links.next_page` is a full URL for the next page."""
    next_url = contacts(sell) + "?is_organization=true&per_page=25"
    ids: list[int] = []
    while next_url:
        body = requests.get(next_url, headers=AUTH).json()
        ids += [item["data"]["id"] for item in body["items"]]
        next_url = body["meta"]["links"].get("next_page")
    assert len(ids) == len(set(ids)) == 60


def test_per_page_above_100_is_refused(sell):
    """per_page tops out at 100 (https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/)."""
    r = requests.get(contacts(sell), headers=AUTH, params={"per_page": 101})
    assert_error_envelope(r, 400, "bad_request")
    r = requests.get(contacts(sell), headers=AUTH, params={"per_page": 100})
    assert r.status_code == 200 and r.json()["meta"]["count"] == 100   # 60 organisations and 60 persons stored


def test_get_organisation_and_person(sell):
    """`GET /v2/contacts/{id}` → `{data: Contact, meta: {type: "contact"}}` for either kind."""
    org, person = organisations(sell)[0], persons(sell)[0]
    for contact in (org, person):
        r = requests.get(contacts(sell, f"/{contact['id']}"), headers=AUTH)
        assert r.status_code == 200
        assert r.json() == {"data": contact, "meta": {"type": "contact"}}
    assert person["contact_id"] in {c["id"] for c in organisations(sell)}
    assert UTC_TS.match(org["created_at"]) and UTC_TS.match(org["updated_at"])
    assert isinstance(org["id"], int) and isinstance(org["tags"], list)


def test_get_unknown_is_404_not_found(sell):
    """404 `not_found` in the errors envelope."""
    r = requests.get(contacts(sell, "/999"), headers=AUTH)
    error = assert_error_envelope(r, 404, "not_found")
    assert error["resource"] == "contact"


def test_create_organisation(sell):
    """`POST /v2/contacts` with `{data:{is_organization:true,…}}` answers the data envelope."""
    body = {"data": {"is_organization": True, "name": "Acme Rockets", "website": "https://acme.example",
                     "industry": "Aerospace", "description": "Rockets", "phone": "+1 555 0100",
                     "address": {"line1": "1 Launch Rd", "city": "Houston", "postal_code": "77058", "state": "TX",
                                 "country": "US"},
                     "owner_id": zendesk_sell.USERS[1]["id"], "tags": ["vip"],
                     "custom_fields": {"Segment": "Enterprise"}}}
    r = requests.post(contacts(sell), headers=AUTH, json=body)
    assert r.status_code == zendesk_sell.CREATE_STATUS
    data = r.json()["data"]
    assert r.json()["meta"] == {"type": "contact"}
    assert data["is_organization"] is True and data["name"] == "Acme Rockets"
    assert data["owner_id"] == zendesk_sell.USERS[1]["id"] and data["creator_id"] == zendesk_sell.TOKEN_USER["id"]
    assert data["address"]["city"] == "Houston" and data["tags"] == ["vip"]
    assert UTC_TS.match(data["created_at"])
    assert requests.get(contacts(sell, f"/{data['id']}"), headers=AUTH).json()["data"] == data


def test_create_validation_is_422(sell):
    """422 resource errors with `field` set."""
    r = requests.post(contacts(sell), headers=AUTH, json={"data": {"is_organization": True, "website": "x"}})
    error = assert_error_envelope(r, 422, "blank")
    assert error["field"] == "name" and error["resource"] == "contact"
    r = requests.post(contacts(sell), headers=AUTH, json={"data": {"name": "X", "is_organization": True,
                                                                   "owner_id": 1}})
    assert assert_error_envelope(r, 422, "invalid")["field"] == "owner_id"
    r = requests.post(contacts(sell), headers=AUTH, json={"name": "not wrapped"})
    assert_error_envelope(r, 400, "invalid_envelope")


def test_update_is_partial_tags_replace_custom_fields_merge(sell):
    """PUT partial; `tags` replaces the list; custom_fields merged (constant)."""
    org = organisations(sell)[1]
    r = requests.put(contacts(sell, f"/{org['id']}"), headers=AUTH,
                     json={"data": {"description": "New text", "tags": ["renewal"],
                                    "custom_fields": {"Segment": "SMB"}, "is_organization": False}})
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["description"] == "New text" and data["name"] == org["name"]
    assert data["tags"] == ["renewal"]
    assert data["custom_fields"] == {**org["custom_fields"], "Segment": "SMB"}
    assert data["is_organization"] is True   # fixed at creation
    assert data["updated_at"] >= org["updated_at"]


def test_delete_is_204_then_404(sell):
    """Hard delete answers 204 with no body; a second delete is 404 not_found."""
    org = organisations(sell)[2]
    r = requests.delete(contacts(sell, f"/{org['id']}"), headers=AUTH)
    assert r.status_code == 204 and r.content == b""
    assert_error_envelope(requests.delete(contacts(sell, f"/{org['id']}"), headers=AUTH), 404, "not_found")
    assert_error_envelope(requests.get(contacts(sell, f"/{org['id']}"), headers=AUTH), 404, "not_found")


def test_upsert_updates_single_match_or_creates(sell):
    """`POST /v2/contacts/upsert?name=…&is_organization=true`."""
    org = organisations(sell)[3]
    r = requests.post(contacts(sell, "/upsert"), headers=AUTH, params={"name": org["name"],
                                                                       "is_organization": "true"},
                      json={"data": {"industry": "Mining"}})
    assert r.status_code == 200 and r.json()["data"]["id"] == org["id"] and r.json()["data"]["industry"] == "Mining"
    r = requests.post(contacts(sell, "/upsert"), headers=AUTH, params={"name": "Brand New Org",
                                                                       "is_organization": "true"},
                      json={"data": {"industry": "Retail"}})
    assert r.json()["data"]["id"] not in {c["id"] for c in organisations(sell)[:-1]}
    assert r.json()["data"]["is_organization"] is True and r.json()["data"]["name"] == "Brand New Org"


def test_seed_is_deterministic_and_fills_fields(sell):
    """Seed: organisations fill every account field Sell holds; the contacts resource adds the persons."""
    first = sell.records("accounts")
    sell.reset()
    assert sell.records("accounts") == first
    org = organisations(sell)[0]
    for key in ("name", "description", "industry", "website", "phone", "address", "billing_address",
                "shipping_address", "tags", "custom_fields", "owner_id", "created_at", "updated_at"):
        assert org[key] not in (None, "", [], {}), key
    assert len(organisations(sell)) == 60 and persons(sell) == sell.records("contacts") and len(persons(sell)) == 60


def test_ten_thousand_organisations_page_cheaply(sell):
    """Seed 10,000 organisations; a deep page of the organisation filter answers like the first. Only the
    organisations are reseeded (every resource at 10,000 is eight seeds' worth of time)."""
    sell.reset(10_000, resource="accounts")
    r = requests.get(contacts(sell), headers=AUTH, params={"is_organization": "true", "page": 100,
                                                           "per_page": 100})
    assert r.status_code == 200 and r.json()["meta"]["count"] == 100
    assert "next_page" not in r.json()["meta"]["links"]


def test_official_basecrm_client_drives_the_sandbox(sell):
    """Zendesk's official Python client (`basecrm`, base_url=…) lists, retrieves, creates, updates and
    destroys contacts against the sandbox; its error classes see Sell's error envelope."""
    client = basecrm.Client(access_token=zendesk_sell.SANDBOX_TOKEN, base_url=sell.url)
    orgs = client.contacts.list(is_organization=True, per_page=10, page=1)
    assert len(orgs) == 10 and all(o.is_organization for o in orgs)
    assert client.contacts.retrieve(orgs[0].id).name == orgs[0].name
    created = client.contacts.create(is_organization=True, name="Client Made Co", industry="Testing",
                                     tags=["sdk"])
    assert created.id and created.name == "Client Made Co" and created.tags == ["sdk"]
    updated = client.contacts.update(created.id, {"website": "https://clientmade.example"})
    assert updated.website == "https://clientmade.example" and updated.industry == "Testing"
    assert client.contacts.destroy(created.id) is True
    with pytest.raises(basecrm.RequestError) as missing:
        client.contacts.retrieve(created.id)
    assert missing.value.http_status == 404 and missing.value.errors[0].code == "not_found"
    with pytest.raises(basecrm.ResourceError) as invalid:
        client.contacts.create(is_organization=True, website="https://noname.example")
    assert invalid.value.http_status == 422 and invalid.value.errors[0].field == "name"
    bad = basecrm.Client(access_token="x" * 64, base_url=sell.url)
    with pytest.raises(basecrm.RequestError) as unauthorized:
        bad.contacts.list()
    assert unauthorized.value.http_status == 401 and unauthorized.value.logref


# -- persons (the contacts resource) ---------------------------------------------------------------------
def test_persons_seeded_at_organisations(sell):
    """Persons are contacts with is_organization false; `contact_id` names the organisation they belong to
    (https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/); some belong to none."""
    orgs = {c["id"] for c in organisations(sell)}
    people = sell.records("contacts")
    assert people and all(p["is_organization"] is False and p["last_name"] for p in people)
    linked = [p for p in people if p["contact_id"] is not None]
    assert 0 < len(linked) < len(people) and all(p["contact_id"] in orgs for p in linked)
    assert any(p["custom_fields"] for p in people) and any(p["tags"] for p in people)


def test_is_organization_false_pages_through_every_person(sell):
    """`GET /v2/contacts?is_organization=false&page=&per_page=`: persons only, `next_page` while more remain,
    in the default order `last_name:asc` (basecrm-ruby contacts_service.rb), ties in creation order."""
    seen, page = [], 1
    while True:
        r = requests.get(contacts(sell), headers=AUTH, params={"is_organization": "false", "page": page,
                                                               "per_page": 25})
        assert r.status_code == 200
        body = r.json()
        assert all(item["data"]["is_organization"] is False for item in body["items"])
        seen += [item["data"]["id"] for item in body["items"]]
        if "next_page" not in body["meta"]["links"]:
            break
        page += 1
    assert seen == [p["id"] for p in sorted(sell.records("contacts"), key=lambda p: p["last_name"])]
    assert seen != sorted(seen)   # the seed's last names are not in creation order
    r = requests.get(contacts(sell), headers=AUTH, params={"is_organization": "false", "page": page + 1})
    assert r.status_code == 200 and r.json()["items"] == []   # past the end: an empty page (basecrm stops there)


def test_person_create_validation(sell):
    """422 resource errors naming the field: a person needs `last_name`; `contact_id` must be an organisation."""
    person = sell.records("contacts")[0]
    error = assert_error_envelope(requests.post(contacts(sell), headers=AUTH, json={"data": {"first_name": "Ann"}}),
                                  422, "blank")
    assert error["field"] == "last_name" and error["resource"] == "contact"
    for bad in (person["id"], 1):
        r = requests.post(contacts(sell), headers=AUTH, json={"data": {"last_name": "Roe", "contact_id": bad}})
        assert assert_error_envelope(r, 422, "invalid")["field"] == "contact_id"


def test_person_create_update_delete(sell):
    """Create a person at an organisation, move it, try to turn it into an organisation (creation-only
    attribute, kept), then delete it for good: 204, then 404."""
    first_org, second_org = organisations(sell)[:2]
    r = requests.post(contacts(sell), headers=AUTH, json={"data": {
        "first_name": "Jane", "last_name": "Roe", "contact_id": first_org["id"], "email": "jane@roe.example",
        "tags": ["vip"], "custom_fields": {"Preferred Channel": "Phone"}}})
    assert r.status_code == 200
    person = r.json()["data"]
    assert person["is_organization"] is False and person["contact_id"] == first_org["id"]
    assert person["tags"] == ["vip"] and person["custom_fields"] == {"Preferred Channel": "Phone"}
    r = requests.put(contacts(sell, f"/{person['id']}"), headers=AUTH,
                     json={"data": {"contact_id": second_org["id"], "is_organization": True}})
    assert r.status_code == 200
    assert r.json()["data"]["contact_id"] == second_org["id"] and r.json()["data"]["is_organization"] is False
    assert requests.delete(contacts(sell, f"/{person['id']}"), headers=AUTH).status_code == 204
    assert_error_envelope(requests.get(contacts(sell, f"/{person['id']}"), headers=AUTH), 404, "not_found")
    assert person["id"] not in {p["id"] for p in sell.records("contacts")}


def test_official_basecrm_client_drives_persons(sell):
    """Zendesk's official Python client lists persons with Sell's own filter and creates one at an organisation."""
    client = basecrm.Client(access_token=zendesk_sell.SANDBOX_TOKEN, base_url=sell.url)
    people = client.contacts.list(is_organization=False, per_page=100, page=1)
    assert [p.id for p in people] == [p["id"] for p in sorted(sell.records("contacts"), key=lambda p: p["last_name"])]
    org = organisations(sell)[0]
    created = client.contacts.create(first_name="Sdk", last_name="Person", contact_id=org["id"])
    assert created.is_organization is False and created.contact_id == org["id"]
    with pytest.raises(basecrm.ResourceError) as invalid:
        client.contacts.create(first_name="No last name")
    assert invalid.value.http_status == 422 and invalid.value.errors[0].field == "last_name"


# -- deals, pipelines and stages ------------------------------------------------------------------------

def test_official_client_pages_deals_to_the_end_and_writes_one(sell):
    """basecrm's DealsService (https://github.com/basecrm/basecrm-python, services.py): list pages until an empty
    page; create sends `value` as a string (Coercion.to_string) and reads it back as a Decimal; destroy is a 204."""
    client = basecrm.Client(access_token=zendesk_sell.SANDBOX_TOKEN, base_url=sell.url)
    seen, page = [], 1
    while True:
        batch = client.deals.list(page=page, per_page=25)
        if not batch:
            break
        seen += [d["id"] for d in batch]
        page += 1
    assert seen == [d["id"] for d in sell.records("opportunities")]
    person = persons(sell)[0]
    stage = sell.records("stages")[2]
    deal = client.deals.create(name="Fleet renewal", contact_id=person["id"], value=1200.5, currency="EUR",
                               stage_id=stage["id"])
    assert str(deal["value"]) == "1200.50" and deal["stage_id"] == stage["id"]
    assert deal["organization_id"] == person["contact_id"]
    assert client.deals.update(deal["id"], {"name": "Fleet renewal 2"})["name"] == "Fleet renewal 2"
    assert client.deals.destroy(deal["id"]) is True
    with pytest.raises(basecrm.errors.RequestError):
        client.deals.retrieve(deal["id"])


def test_deal_value_renders_as_integer_or_two_decimal_string(sell):
    """The deals reference: a value without decimals is an integer, with decimals a string with two places."""
    person = persons(sell)[1]
    for sent, shown in ((1000, 1000), ("1000.5", "1000.50"), (99.99, "99.99")):
        created = requests.post(f"{sell.url}/v2/deals", headers=AUTH, timeout=5,
                                json={"data": {"name": "Value", "contact_id": person["id"], "value": sent}})
        assert created.status_code == 200, created.text
        assert created.json()["data"]["value"] == shown and created.json()["meta"] == {"type": "deal"}


def test_deal_writes_are_validated_as_resource_errors(sell):
    """422 resource errors with `field`: a missing name or contact, an unknown stage, a currency not taken."""
    person = persons(sell)[0]
    answer = requests.post(f"{sell.url}/v2/deals", headers=AUTH, json={"data": {"value": 10}}, timeout=5)
    assert_error_envelope(answer, 422, "blank")
    assert {e["error"]["field"] for e in answer.json()["errors"]} == {"name", "contact_id"}
    deal = sell.records("opportunities")[0]
    for data, field in (({"stage_id": 1}, "stage_id"), ({"currency": "XXX"}, "currency"),
                        ({"estimated_close_date": "31/03/2027"}, "estimated_close_date")):
        answer = requests.put(f"{sell.url}/v2/deals/{deal['id']}", headers=AUTH, json={"data": data}, timeout=5)
        assert answer.status_code == 422 and answer.json()["errors"][0]["error"]["field"] == field
    assert requests.post(f"{sell.url}/v2/deals", headers=AUTH, json={"name": "bare"}, timeout=5).status_code == 400
    moved = requests.put(f"{sell.url}/v2/deals/{deal['id']}", headers=AUTH, timeout=5,
                         json={"data": {"stage_id": sell.records("stages")[-1]["id"], "contact_id": person["id"]}})
    assert moved.status_code == 200 and moved.json()["data"]["last_stage_change_at"] != deal["last_stage_change_at"]


def test_pipelines_and_stages_are_read_only_lists_with_filters(sell):
    """pipelines_service.rb / stages_service.rb: GET lists with ids (and pipeline_id); an empty page past the
    end; no other method."""
    pipelines = requests.get(f"{sell.url}/v2/pipelines", headers=AUTH, params={"per_page": 100}, timeout=5).json()
    assert [i["data"]["id"] for i in pipelines["items"]] == [p["id"] for p in sell.records("pipelines")]
    first = pipelines["items"][0]["data"]["id"]
    stages = requests.get(f"{sell.url}/v2/stages", headers=AUTH, params={"pipeline_id": first}, timeout=5).json()
    assert [i["data"]["position"] for i in stages["items"]] == [1, 2, 3, 4, 5, 6]
    assert {i["data"]["category"] for i in stages["items"]} >= {"in_progress", "won", "lost"}
    one = requests.get(f"{sell.url}/v2/stages", headers=AUTH, params={"ids": stages["items"][1]["data"]["id"]},
                       timeout=5).json()
    assert [i["data"]["id"] for i in one["items"]] == [stages["items"][1]["data"]["id"]]
    past = requests.get(f"{sell.url}/v2/pipelines", headers=AUTH, params={"page": 9}, timeout=5).json()
    assert past["items"] == [] and "next_page" not in past["meta"]["links"]
    assert requests.post(f"{sell.url}/v2/pipelines", headers=AUTH, json={"data": {"name": "x"}},
                         timeout=5).status_code == 404


def test_values_of_the_wrong_json_type_are_invalid_and_change_nothing(sell):
    """Strings in the references (an Address's members, a call's summary and phone number) and ids of users,
    stages and outcomes: another JSON type is a 422 `invalid` on that field, and the record stays as it was."""
    organisation = organisations(sell)[0]
    for data, field in (({"address": {"line1": {"street": "x"}}}, "address"),
                        ({"billing_address": {"city": ["Prague"]}}, "billing_address"),
                        ({"owner_id": {"id": 2119}}, "owner_id")):
        answer = requests.put(contacts(sell, f"/{organisation['id']}"), headers=AUTH, json={"data": data}, timeout=5)
        assert assert_error_envelope(answer, 422, "invalid")["field"] == field
    assert [c for c in sell.records("accounts") if c["id"] == organisation["id"]] == [organisation]
    deal = sell.records("opportunities")[0]
    answer = requests.put(f"{sell.url}/v2/deals/{deal['id']}", headers=AUTH, json={"data": {"stage_id": [1]}},
                          timeout=5)
    assert assert_error_envelope(answer, 422, "invalid")["field"] == "stage_id"
    calls = sell.records("engagements")
    for data, field in (({"summary": {"text": "x"}}, "summary"), ({"phone_number": 4155550100}, "phone_number"),
                        ({"outcome_id": [13]}, "outcome_id")):
        answer = requests.put(f"{sell.url}/v2/calls/{calls[0]['id']}", headers=AUTH, json={"data": data}, timeout=5)
        assert assert_error_envelope(answer, 422, "invalid")["field"] == field
    assert sell.records("engagements") == calls
