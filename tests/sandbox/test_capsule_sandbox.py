"""The Capsule emulator over loopback HTTP: API v2 parties
(https://developer.capsulecrm.com/v2/operations/listParties)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from unigate.sandbox import capsule
from unigate.sandbox.capsule.tags import DATA_TAGS

AUTH = {"Authorization": f"Bearer {capsule.SANDBOX_TOKEN}"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("capsule")
    control.reset()
    yield control
    control.reset()     # switches back to their defaults, and the hour's request count (one test spends it) to 0


def url(ctl, path=""):
    return f"{ctl.url}/api/v2/parties{path}"


def organisations(ctl):
    return [p for p in ctl.records() if p["type"] == "organisation"]


def test_missing_token_is_401_with_www_authenticate(ctl):
    """Invalid or missing token -> 401; body and WWW-Authenticate explain."""
    answer = requests.get(url(ctl), timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.json() == {"message": capsule.AUTH_MISSING_MESSAGE}


def test_wrong_token_is_401_invalid_token(ctl):
    """A token Capsule does not know is 401 with an `invalid_token` challenge and a {"message"} body."""
    for headers in ({"Authorization": "Bearer nope"}, {"Authorization": f"Token {capsule.SANDBOX_TOKEN}"}):
        answer = requests.get(url(ctl), headers=headers, timeout=5)
        assert answer.status_code == 401
        assert "Bearer" in answer.headers["WWW-Authenticate"]
        assert set(answer.json()) == {"message"}
    wrong = requests.get(url(ctl), headers={"Authorization": "Bearer nope"}, timeout=5)
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_rate_limit_headers_on_every_success(ctl):
    """X-RateLimit-Limit/-Remaining/-Reset (epoch seconds) on successful responses."""
    first = requests.get(url(ctl), headers=AUTH, timeout=5)
    second = requests.get(url(ctl), headers=AUTH, timeout=5)
    assert first.headers["X-RateLimit-Limit"] == "4000"
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    assert int(first.headers["X-RateLimit-Reset"]) > time.time()
    assert "Retry-After" not in first.headers


def test_rate_limited_answer_shape(ctl):
    """NOTES §17: over the limit is 429 {"error":"rate limit reached"} with X-RateLimit-* and no Retry-After."""
    ctl.fault(status=429, body=capsule.RATE_LIMIT_BODY,
              headers={"X-RateLimit-Limit": "4000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1434037662"})
    answer = requests.get(url(ctl), headers=AUTH, timeout=5)
    assert answer.status_code == 429
    assert answer.json() == {"error": "rate limit reached"}
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert requests.get(url(ctl), headers=AUTH, timeout=5).status_code == 200


def test_list_wraps_parties_and_mixes_people(ctl):
    """GET /parties answers {"parties":[...]}, one collection of people *and* organisations, integer ids."""
    answer = requests.get(url(ctl), headers=AUTH, params={"perPage": 100}, timeout=5)
    assert answer.status_code == 200
    parties = answer.json()["parties"]
    assert {p["type"] for p in parties} == {"organisation", "person"}
    assert all(isinstance(p["id"], int) for p in parties)
    assert "tags" not in parties[0] and "fields" not in parties[0]


def test_default_page_size_is_50(ctl):
    """perPage defaults to 50, page to 1."""
    answer = requests.get(url(ctl), headers=AUTH, timeout=5)
    assert len(answer.json()["parties"]) == 50
    assert 'rel="next"' in answer.headers["Link"]


def test_pagination_by_link_header_no_duplicates(ctl):
    """NOTES §14: page/perPage, next page only in `Link: <...?page=N&perPage=M>; rel="next"`, none on the last page."""
    ctl.reset(250)
    seen: list[int] = []
    next_url = url(ctl) + "?perPage=30&embed=tags"
    pages = 0
    while next_url:
        answer = requests.get(next_url, headers=AUTH, timeout=5)
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) == {"parties"}  # no cursor in the body
        seen += [p["id"] for p in body["parties"]]
        assert all("tags" in p for p in body["parties"])  # embed carried to the next page
        link = answer.headers.get("Link")
        if link:
            assert link.endswith('; rel="next"')
            next_url = link[1:link.index(">")]
            assert f"page={pages + 2}" in next_url and "perPage=30" in next_url
        else:
            next_url = None
        pages += 1
    assert len(seen) == len(set(seen)) == len(ctl.records()) == 250 + 250  # organisations, then people
    assert pages == -(-len(seen) // 30)


def test_per_page_is_capped_at_100(ctl):
    """perPage is 1..100; the sandbox clamps larger values (capsule.CLAMP_PER_PAGE)."""
    answer = requests.get(url(ctl), headers=AUTH, params={"perPage": 500}, timeout=5)
    assert len(answer.json()["parties"]) == 80  # 60 organisations + 20 people, all under 100
    ctl.reset(200)
    answer = requests.get(url(ctl), headers=AUTH, params={"perPage": 500}, timeout=5)
    assert len(answer.json()["parties"]) == 100


def test_embed_tags_and_fields(ctl):
    """Tags come back only with embed=tags, custom field values only with embed=fields; NUMBER values are strings (NOTES §22)."""
    org = organisations(ctl)[0]
    plain = requests.get(url(ctl, f"/{org['id']}"), headers=AUTH, timeout=5).json()["party"]
    assert "tags" not in plain and "fields" not in plain
    full = requests.get(url(ctl, f"/{org['id']}"), headers=AUTH, params={"embed": "tags,fields"}, timeout=5).json()["party"]
    assert full["tags"][0]["name"] and isinstance(full["tags"][0]["id"], int)
    employees = next(f for f in full["fields"] if f["definition"]["name"] == "Employees")
    assert isinstance(employees["value"], str)


def test_get_party_shape(ctl):
    """https://developer.capsulecrm.com/v2/models/party: {"party": {...}} with ISO-8601 UTC timestamps, owner object, sub-collections with ids."""
    org = organisations(ctl)[0]
    party = requests.get(url(ctl, f"/{org['id']}"), headers=AUTH, timeout=5).json()["party"]
    assert party["type"] == "organisation" and party["name"] == org["name"]
    assert party["createdAt"].endswith("Z") and len(party["createdAt"]) == 20
    assert set(party["owner"]) >= {"id", "username", "name"}
    assert set(party["addresses"][0]) == {"id", "type", "street", "city", "state", "country", "zip"}
    assert set(party["websites"][0]) == {"id", "type", "service", "address", "url"}
    assert set(party["phoneNumbers"][0]) == {"id", "type", "number"}


def test_get_many_and_too_many_ids(ctl):
    """NOTES §12: GET /parties/{id1},{id2} answers {"parties":[...]}; more than 10 ids is refused."""
    ids = [p["id"] for p in ctl.records()[:12]]
    answer = requests.get(url(ctl, "/" + ",".join(map(str, ids[:3]))), headers=AUTH, timeout=5)
    assert [p["id"] for p in answer.json()["parties"]] == ids[:3]
    refused = requests.get(url(ctl, "/" + ",".join(map(str, ids))), headers=AUTH, timeout=5)
    assert refused.status_code == capsule.TOO_MANY_IDS_STATUS
    assert refused.json() == {"message": "too many ids"}


def test_missing_party_and_route_are_404_message(ctl):
    """404 {"message": ...}; unknown route "Could not find resource" (NOTES §5)."""
    answer = requests.get(url(ctl, "/999"), headers=AUTH, timeout=5)
    assert answer.status_code == 404 and set(answer.json()) == {"message"}
    route = requests.get(f"{ctl.url}/api/v2/users/me", headers=AUTH, timeout=5)
    assert route.status_code == 404 and route.json() == {"message": "Could not find resource"}


def test_create_is_201_with_location(ctl):
    """POST {"party":{"type":"organisation",...}} -> 201, Location header, {"party":{...}}; owner defaults to the token user."""
    body = {"party": {"type": "organisation", "name": "Acme INC", "about": "Makes anvils",
                      "phoneNumbers": [{"type": "Work", "number": "+44 20 7946 0000"}],
                      "addresses": [{"type": "Office", "street": "1 High St", "city": "London", "country": "United Kingdom", "zip": "EC1A 1BB"}],
                      "websites": [{"service": "URL", "address": "acme.example", "type": "Work"}],
                      "tags": [{"name": "Customer"}],
                      "fields": [{"definition": {"id": 802}, "value": 250}]}}
    answer = requests.post(url(ctl), json=body, headers=AUTH, params={"embed": "tags,fields"}, timeout=5)
    assert answer.status_code == 201
    party = answer.json()["party"]
    assert answer.headers["Location"].endswith(f"/api/v2/parties/{party['id']}")
    assert party["owner"]["id"] == capsule.USERS[0]["id"]
    assert party["websites"][0]["url"] == "http://acme.example"
    assert party["tags"][0]["name"] == "Customer"
    assert party["fields"][0]["value"] == "250"
    assert party["id"] > max(p["id"] for p in ctl.records() if p["id"] != party["id"])


def test_create_validation_is_422_with_errors(ctl):
    """Validation failures are 422 {"message":..., "errors":[{"resource","field","message"}]}."""
    for party, field in (({"type": "organisation"}, "name"), ({"name": "No type"}, "type")):
        answer = requests.post(url(ctl), json={"party": party}, headers=AUTH, timeout=5)
        assert answer.status_code == 422
        body = answer.json()
        assert body["message"] and body["errors"][0]["field"] == field
        assert set(body["errors"][0]) == {"resource", "field", "message"}
    bad_country = {"type": "organisation", "name": "X", "addresses": [{"country": "Atlantis"}]}
    assert requests.post(url(ctl), json={"party": bad_country}, headers=AUTH, timeout=5).status_code == 422


def test_update_is_partial_and_nested_rules(ctl):
    """NOTES §18: PUT changes only what is sent; nested item without id is added, with id updated, with `_delete` removed, `_destroy` ignored."""
    org = organisations(ctl)[0]
    phone_id = org["phoneNumbers"][0]["id"]
    body = {"party": {"about": "Updated", "phoneNumbers": [
        {"id": phone_id, "_destroy": True}, {"number": "+1 555 0100", "type": "Mobile"}]}}
    answer = requests.put(url(ctl, f"/{org['id']}"), json=body, headers=AUTH, timeout=5)
    assert answer.status_code == 200
    party = answer.json()["party"]
    assert party["name"] == org["name"] and party["about"] == "Updated"
    assert [p["number"] for p in party["phoneNumbers"]][-1] == "+1 555 0100"
    assert any(p["id"] == phone_id for p in party["phoneNumbers"])  # _destroy is a silent no-op
    assert party["updatedAt"] >= org["updatedAt"]
    body = {"party": {"phoneNumbers": [{"id": phone_id, "_delete": True}]}}
    party = requests.put(url(ctl, f"/{org['id']}"), json=body, headers=AUTH, timeout=5).json()["party"]
    assert all(p["id"] != phone_id for p in party["phoneNumbers"])


def test_update_tags_and_owner(ctl):
    """NOTES §20/§24/§28: tags attach by name with tenant-global ids, detach with {id,_delete}; detaching a tag not on the party is 422; owner written as {"owner":{"id"}}."""
    org = organisations(ctl)[1]
    tag_id = org["tags"][0]["id"]
    body = {"party": {"tags": [{"id": tag_id, "_delete": True}, {"name": "Brand New"}], "owner": {"id": capsule.USERS[2]["id"]}}}
    party = requests.put(url(ctl, f"/{org['id']}"), json=body, headers=AUTH, params={"embed": "tags"}, timeout=5).json()["party"]
    assert [t["name"] for t in party["tags"]][-1] == "Brand New" and all(t["id"] != tag_id for t in party["tags"])
    assert party["owner"]["id"] == capsule.USERS[2]["id"]
    again = requests.put(url(ctl, f"/{org['id']}"), json={"party": {"tags": [{"id": tag_id, "_delete": True}]}}, headers=AUTH, timeout=5)
    assert again.status_code == 422 and again.json()["errors"][0]["message"] == "tag not found to delete"
    bad_owner = requests.put(url(ctl, f"/{org['id']}"), json={"party": {"owner": {"id": 1}}}, headers=AUTH, timeout=5)
    assert bad_owner.status_code == 422


def test_update_missing_is_404(ctl):
    """PUT on an unknown party is 404 {"message"}."""
    answer = requests.put(url(ctl, "/12"), json={"party": {"about": "x"}}, headers=AUTH, timeout=5)
    assert answer.status_code == 404 and set(answer.json()) == {"message"}


def test_delete_204_then_404_and_tombstone(ctl):
    """DELETE is 204 with an empty body, then 404; /parties/deleted?since= lists it, and since is required (NOTES §13)."""
    org = organisations(ctl)[2]
    answer = requests.delete(url(ctl, f"/{org['id']}"), headers=AUTH, timeout=5)
    assert answer.status_code == 204 and answer.content == b""
    assert answer.headers["X-RateLimit-Limit"] == "4000"
    assert requests.get(url(ctl, f"/{org['id']}"), headers=AUTH, timeout=5).status_code == 404
    assert requests.delete(url(ctl, f"/{org['id']}"), headers=AUTH, timeout=5).status_code == 404
    tomb = requests.get(url(ctl, "/deleted"), headers=AUTH, params={"since": "2020-01-01T00:00:00Z"}, timeout=5).json()
    assert [d["id"] for d in tomb["parties"]] == [org["id"]]
    assert requests.get(url(ctl, "/deleted"), headers=AUTH, timeout=5).status_code == 422


def test_custom_field_definitions(ctl):
    """NOTES §9: custom field definitions live at /parties/fields/definitions."""
    answer = requests.get(url(ctl, "/fields/definitions"), headers=AUTH, timeout=5)
    names = [d["name"] for d in answer.json()["definitions"]]
    assert "Industry" in names and "Employees" in names


def test_seed_of_ten_thousand_pages_to_the_end(ctl):
    """A 10,000-organisation seed (and a person for every three) pages to its last page (speed is measured
    in bench/, never asserted here)."""
    ctl.reset(counts={"accounts": 10_000, "contacts": 3_333})
    last = requests.get(url(ctl), headers=AUTH, params={"page": 134, "perPage": 100}, timeout=5)
    assert last.status_code == 200 and "Link" not in last.headers
    assert len(last.json()["parties"]) == 13_333 - 133 * 100


# -- people (the contacts resource, in the same parties store) ------------------------------------------

def people(ctl):
    return [p for p in ctl.records("contacts") if p["type"] == "person"]


def test_contacts_records_are_people_in_the_parties_store(ctl):
    """models/party: one store; the reset counts people as contacts, and most people work for a seeded organisation."""
    answer = ctl.reset()
    assert answer["records"]["contacts"] == 20
    assert ctl.records("contacts") == ctl.records("accounts")
    persons = people(ctl)
    org_ids = {p["id"] for p in organisations(ctl)}
    assert len(persons) == 20
    assert sum(1 for p in persons if p["organisation"]) == 16
    assert all(p["organisation"]["id"] in org_ids for p in persons if p["organisation"])
    assert all(p["emailAddresses"] and p["phoneNumbers"] for p in persons)


def test_person_create_needs_a_name_part(ctl):
    """A person needs firstName or lastName: 422 Validation Failed with errors[{resource, field, message}]."""
    answer = requests.post(url(ctl), headers=AUTH, json={"party": {"type": "person", "jobTitle": "CTO"}}, timeout=5)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "firstName"


def test_person_create_links_an_organisation_by_id(ctl):
    """operations/Party "Create a party": organisation {id} links the person; 201, Location, the organisation {id, name, pictureURL}."""
    org = organisations(ctl)[3]
    answer = requests.post(url(ctl), headers=AUTH, timeout=5, json={"party": {
        "type": "person", "firstName": "Scott", "lastName": "Spacey", "organisation": {"id": org["id"]},
        "emailAddresses": [{"type": "Work", "address": "scott@example.com"}]}})
    assert answer.status_code == 201
    person = answer.json()["party"]
    assert answer.headers["Location"].endswith(f"/api/v2/parties/{person['id']}")
    assert person["organisation"] == {"id": org["id"], "name": org["name"], "pictureURL": org["pictureURL"]}
    assert person["type"] == "person" and "name" not in person


@pytest.mark.parametrize("which", ["person", "unknown", "text"])
def test_person_organisation_must_be_an_organisation(ctl, which):
    """An organisation id that is a person's or unknown is 404 "organisation not found"; nothing is stored."""
    ids = {"person": people(ctl)[0]["id"], "unknown": 999, "text": "180000001"}
    before = len(ctl.records("contacts"))
    answer = requests.post(url(ctl), headers=AUTH, timeout=5,
                           json={"party": {"type": "person", "firstName": "X", "organisation": {"id": ids[which]}}})
    assert answer.status_code == 404
    assert answer.json() == {"message": "organisation not found"}
    assert len(ctl.records("contacts")) == before


def test_person_organisation_by_name_links_or_creates(ctl):
    """Create a party: an organisation given by name links the one so named, else a new organisation is created."""
    org = organisations(ctl)[0]
    linked = requests.post(url(ctl), headers=AUTH, timeout=5, json={"party": {
        "type": "person", "firstName": "A", "organisation": {"name": org["name"].upper()}}}).json()["party"]
    assert linked["organisation"]["id"] == org["id"]
    created = requests.post(url(ctl), headers=AUTH, timeout=5, json={"party": {
        "type": "person", "firstName": "B", "organisation": {"name": "Brand New Org"}}}).json()["party"]
    new_org = next(p for p in ctl.records("accounts") if p["id"] == created["organisation"]["id"])
    assert new_org["type"] == "organisation" and new_org["name"] == "Brand New Org"


def test_person_shows_its_organisation_as_it_is_now(ctl):
    """A renamed organisation shows its new name on its people; once deleted, they show no organisation."""
    person = next(p for p in people(ctl) if p["organisation"])
    org_id = person["organisation"]["id"]
    assert requests.put(url(ctl, f"/{org_id}"), headers=AUTH, json={"party": {"name": "Renamed Org"}}, timeout=5).status_code == 200
    shown = requests.get(url(ctl, f"/{person['id']}"), headers=AUTH, timeout=5).json()["party"]
    assert shown["organisation"]["name"] == "Renamed Org"
    assert requests.delete(url(ctl, f"/{org_id}"), headers=AUTH, timeout=5).status_code == 204
    shown = requests.get(url(ctl, f"/{person['id']}"), headers=AUTH, timeout=5).json()["party"]
    assert shown["organisation"] is None


def test_person_update_moves_or_unlinks_the_organisation(ctl):
    """PUT changes what is sent: organisation {id} moves the person, null unlinks it; other fields stay."""
    person = next(p for p in people(ctl) if p["organisation"])
    other = next(o for o in organisations(ctl) if o["id"] != person["organisation"]["id"])
    moved = requests.put(url(ctl, f"/{person['id']}"), headers=AUTH, timeout=5,
                         json={"party": {"organisation": {"id": other["id"]}}}).json()["party"]
    assert moved["organisation"]["id"] == other["id"] and moved["firstName"] == person["firstName"]
    unlinked = requests.put(url(ctl, f"/{person['id']}"), headers=AUTH, timeout=5,
                            json={"party": {"organisation": None}}).json()["party"]
    assert unlinked["organisation"] is None


def test_organisation_people_route(ctl):
    """operations/Party "List an organisation's employees": GET /parties/{id}/people, paged with Link; 404 for a person's id."""
    person = next(p for p in people(ctl) if p["organisation"])
    org_id = person["organisation"]["id"]
    for i in range(3):
        requests.post(url(ctl), headers=AUTH, timeout=5,
                      json={"party": {"type": "person", "firstName": f"E{i}", "organisation": {"id": org_id}}})
    expected = [p["id"] for p in people(ctl) if (p["organisation"] or {}).get("id") == org_id]
    first = requests.get(url(ctl, f"/{org_id}/people"), headers=AUTH, params={"perPage": 2, "embed": "tags"}, timeout=5)
    assert first.status_code == 200
    assert [p["id"] for p in first.json()["parties"]] == expected[:2]
    assert all("tags" in p for p in first.json()["parties"])
    next_url = first.headers["Link"][1:first.headers["Link"].index(">")]
    assert "page=2" in next_url and "embed=tags" in next_url
    second = requests.get(next_url, headers=AUTH, timeout=5)
    assert [p["id"] for p in second.json()["parties"]] == expected[2:4]
    assert requests.get(url(ctl, f"/{person['id']}/people"), headers=AUTH, timeout=5).status_code == 404
    assert requests.get(url(ctl, "/999/people"), headers=AUTH, timeout=5).json() == {"message": "party not found"}
    assert requests.get(url(ctl, f"/{org_id}/people"), params={"perPage": "x"}, headers=AUTH, timeout=5).status_code == 400


def test_person_delete_is_204_then_404(ctl):
    """DELETE of a person: 204 with no body; its organisation stays; the id is then 404 "party not found"."""
    person = next(p for p in people(ctl) if p["organisation"])
    answer = requests.delete(url(ctl, f"/{person['id']}"), headers=AUTH, timeout=5)
    assert answer.status_code == 204 and answer.content == b""
    assert requests.get(url(ctl, f"/{person['id']}"), headers=AUTH, timeout=5).status_code == 404
    assert requests.delete(url(ctl, f"/{person['id']}"), headers=AUTH, timeout=5).status_code == 404
    assert requests.get(url(ctl, f"/{person['organisation']['id']}"), headers=AUTH, timeout=5).status_code == 200


def filter_results(ctl, conditions, **params):
    return requests.post(url(ctl, "/filters/results"), headers=AUTH, params=params, timeout=5,
                         json={"filter": {"conditions": conditions}})


def test_filter_type_is_person_lists_people_only_paged_by_link(ctl):
    """operations/Filter: POST /parties/filters/results {"filter": {"conditions": [...]}} answers like the list, paged with Link."""
    expected = [p["id"] for p in people(ctl)]
    seen, params, pages = [], {"perPage": 7, "embed": "tags,fields"}, 0
    while params is not None:
        answer = filter_results(ctl, [{"field": "type", "operator": "is", "value": "person"}], **params)
        assert answer.status_code == 200
        assert all(p["type"] == "person" and "fields" in p for p in answer.json()["parties"])
        seen += [p["id"] for p in answer.json()["parties"]]
        link = answer.headers.get("Link")
        params = None if not link else dict(pair.split("=") for pair in link[link.index("?") + 1:link.index(">")].split("&"))
        pages += 1
    assert seen == expected and pages == 3


def test_filter_conditions_are_anded(ctl):
    """reference/filters: conditions ANDed; string operators, tag by name, `is not` with null tests for a value."""
    person = next(p for p in people(ctl) if p["tags"] and p["jobTitle"])
    found = filter_results(ctl, [{"field": "type", "operator": "is", "value": "person"},
                                 {"field": "jobTitle", "operator": "is", "value": person["jobTitle"].upper()},
                                 {"field": "tag", "operator": "is", "value": person["tags"][0]["name"]}]).json()["parties"]
    assert person["id"] in [p["id"] for p in found]
    assert all(p["jobTitle"] == person["jobTitle"] for p in found)
    email = person["emailAddresses"][0]["address"]
    assert [p["id"] for p in filter_results(ctl, [{"field": "email", "operator": "is", "value": email}]).json()["parties"]] == [person["id"]]
    titled = filter_results(ctl, [{"field": "jobTitle", "operator": "is not", "value": None}], perPage=100).json()["parties"]
    assert {p["id"] for p in titled} == {p["id"] for p in people(ctl) if p["jobTitle"]}


@pytest.mark.parametrize("condition,field", [
    ({"field": "createdAt", "operator": "is after", "value": "2020-01-01"}, "createdAt"),   # payload name, not addedOn
    ({"field": "type", "operator": "is greater than", "value": "person"}, "type"),
    ({"field": "hasTags", "operator": "is", "value": "yes"}, "hasTags"),
])
def test_filter_refuses_unknown_fields_operators_and_values(ctl, condition, field):
    """NOTES §1: a payload field name is 422 "invalid field name"; an operator or value outside the field's type is 422 too."""
    answer = filter_results(ctl, [condition])
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field
    assert answer.json()["message"] == "Validation Failed"


# -- behaviours the sources state, and the switches where they do not -------------------------------------

def oauth_token(ctl, scope: str) -> str:
    """An access token of the sandbox's OAuth server granted `scope` (authorise, then the code grant)."""
    redirect = "http://127.0.0.1:9/callback"
    approved = requests.get(f"{ctl.url}/oauth/authorise", allow_redirects=False, timeout=5, params={
        "client_id": "sandbox-capsule-client-id", "redirect_uri": redirect, "response_type": "code",
        "scope": scope, "state": "s"})
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    issued = requests.post(f"{ctl.url}/oauth/token", timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": "sandbox-capsule-client-id", "client_secret": "sandbox-capsule-client-secret"})
    assert issued.status_code == 200, issued.text
    return issued.json()["access_token"]


def test_a_read_scope_token_cannot_write(ctl):
    """https://developer.capsulecrm.com/v2/overview/authentication : a valid token without enough scope is
    403, the body and WWW-Authenticate explaining; reads (and the filter POST, a read) still work."""
    reader = {"Authorization": f"Bearer {oauth_token(ctl, 'read')}"}
    assert requests.get(url(ctl), headers=reader, timeout=5).status_code == 200
    assert requests.post(url(ctl, "/filters/results"), headers=reader, timeout=5,
                         json={"filter": {"conditions": [{"field": "type", "operator": "is", "value": "person"}]}}
                         ).status_code == 200
    refused = requests.post(url(ctl), headers=reader, timeout=5,
                            json={"party": {"type": "organisation", "name": "Read Only Ltd"}})
    assert refused.status_code == 403
    assert refused.json() == {"message": capsule.INSUFFICIENT_SCOPE_MESSAGE}
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert "Read Only Ltd" not in {p.get("name") for p in ctl.records()}
    writer = {"Authorization": f"Bearer {oauth_token(ctl, 'read write')}"}
    assert requests.post(url(ctl), headers=writer, timeout=5,
                         json={"party": {"type": "organisation", "name": "Writer Ltd"}}).status_code == 201


def test_over_4000_requests_an_hour_is_429(ctl):
    """handling-api-responses: 4,000 requests per user per hour; past them 429 {"error": "rate limit reached"}
    with X-RateLimit-Remaining 0 and X-RateLimit-Reset, and no Retry-After."""
    with requests.Session() as session:
        session.headers.update(AUTH)
        last = None
        for _ in range(capsule.common.RATE_LIMIT):
            last = session.get(f"{ctl.url}/api/v2/users", timeout=5)
        assert last is not None and last.status_code == 200 and last.headers["X-RateLimit-Remaining"] == "0"
        over = session.get(url(ctl), timeout=5)
    assert over.status_code == 429 and over.json() == capsule.RATE_LIMIT_BODY
    assert over.headers["X-RateLimit-Remaining"] == "0" and int(over.headers["X-RateLimit-Reset"]) > time.time()
    assert "Retry-After" not in over.headers
    other = requests.get(url(ctl), headers={"Authorization": f"Bearer {oauth_token(ctl, 'read')}"}, timeout=5)
    assert other.status_code == 200          # the limit is per user (token)


def test_per_page_over_max_switch(ctl):
    """perPage above 100 is clamped, or refused (400) with the `per_page_over_max` switch."""
    ctl.reset(200)
    ctl.switch(per_page_over_max="refuse")
    refused = requests.get(url(ctl), headers=AUTH, params={"perPage": 101}, timeout=5)
    assert refused.status_code == 400 and set(refused.json()) == {"message"}
    assert len(requests.get(url(ctl), headers=AUTH, params={"perPage": 100}, timeout=5).json()["parties"]) == 100


@pytest.mark.parametrize("switch", ["not_found", "left_out"])
def test_batch_with_an_unknown_id(ctl, switch):
    """A batch naming an unknown id: 404 for the whole call (the Pipeline page's rule, the default), or the
    id left out with the `batch_unknown_id` switch."""
    ctl.switch(batch_unknown_id=switch)
    ids = [p["id"] for p in ctl.records()[:2]]
    answer = requests.get(url(ctl, f"/{ids[0]},999,{ids[1]}"), headers=AUTH, timeout=5)
    if switch == "not_found":
        assert answer.status_code == 404 and set(answer.json()) == {"message"}
    else:
        assert answer.status_code == 200 and [p["id"] for p in answer.json()["parties"]] == ids


def test_too_many_ids_status_switch(ctl):
    """More than 10 ids is "too many ids" (NOTES §12) with 400, or 422 with the `too_many_ids_status` switch."""
    ids = ",".join(str(p["id"]) for p in ctl.records()[:11])
    ctl.switch(too_many_ids_status=422)
    refused = requests.get(url(ctl, f"/{ids}"), headers=AUTH, timeout=5)
    assert refused.status_code == 422 and refused.json() == {"message": "too many ids"}


def test_deferred_delete_switch(ctl):
    """With the `party_delete` switch at `deferred`, DELETE answers 202 Accepted, empty, with the job's
    Location (handling-api-responses); the party is gone all the same."""
    ctl.switch(party_delete="deferred")
    party = organisations(ctl)[3]
    answer = requests.delete(url(ctl, f"/{party['id']}"), headers=AUTH, timeout=5)
    assert answer.status_code == 202 and answer.content == b""
    assert answer.headers["Location"].startswith(f"{ctl.url}/api/v2/jobs/")
    assert requests.get(url(ctl, f"/{party['id']}"), headers=AUTH, timeout=5).status_code == 404


@pytest.mark.parametrize("path", ["", "/filters/results"])
def test_pages_say_whether_more_follow(ctl, path):
    """Every list page carries X-Pagination-Has-More (true, then false on the last page), as
    https://github.com/Matatika/tap-capsulecrm relies on to stop; the Link of a next page puts `page` before
    a `&` (the tap reads it with `page=(.*)&`)."""
    body = {"filter": {"conditions": [{"field": "type", "operator": "is", "value": "organisation"}]}}
    send = (lambda params: requests.post(url(ctl, path), headers=AUTH, json=body, params=params, timeout=5)) if path \
        else (lambda params: requests.get(url(ctl), headers=AUTH, params=params, timeout=5))
    first = send({"perPage": 50})
    assert first.headers["X-Pagination-Has-More"] == "true"
    assert re.search("page=(.*)&", first.headers["Link"]).group(1) == "2"
    last = send({"perPage": 50, "page": 2})
    assert last.headers["X-Pagination-Has-More"] == "false" and "Link" not in last.headers


def test_party_tag_definitions(ctl):
    """https://developer.capsulecrm.com/v2/operations/Tag : GET /parties/tags lists the tag definitions
    ({"tags": [...]}, paged with Link), GET /parties/tags/{id} shows one; an unknown id is 404."""
    first = requests.get(url(ctl, "/tags"), headers=AUTH, params={"perPage": 2}, timeout=5)
    assert first.status_code == 200
    tags = first.json()["tags"]
    assert len(tags) == 2 and all(set(t) >= {"id", "name", "dataTag"} for t in tags)
    assert 'rel="next"' in first.headers["Link"] and first.headers["X-Pagination-Has-More"] == "true"
    shown = requests.get(url(ctl, f"/tags/{tags[0]['id']}"), headers=AUTH, timeout=5)
    assert shown.status_code == 200 and shown.json() == {"tag": tags[0]}
    missing = requests.get(url(ctl, "/tags/1"), headers=AUTH, timeout=5)
    assert missing.status_code == 404 and missing.json() == {"message": "tag not found"}
    assert requests.get(f"{ctl.url}/api/v2/tags", headers=AUTH, timeout=5).status_code == 404


# -- opportunities, pipelines and milestones -----------------------------------------------------------------

def api(ctl, path):
    return f"{ctl.url}/api/v2{path}"


def milestones_of(ctl, pipeline_id):
    return requests.get(api(ctl, f"/pipelines/{pipeline_id}/milestones"), headers=AUTH, params={"perPage": 100},
                        timeout=5).json()["milestones"]


def test_opportunity_create_requires_name_party_and_milestone(ctl):
    """models/opportunity: name, party and milestone are required; 422 names each field."""
    answer = requests.post(api(ctl, "/opportunities"), headers=AUTH, json={"opportunity": {}}, timeout=5)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"name", "party", "milestone"}
    person = next(p for p in ctl.records() if p["type"] == "person")
    milestone = ctl.records("stages")[0]
    created = requests.post(api(ctl, "/opportunities"), headers=AUTH, timeout=5, json={"opportunity": {
        "name": "Consulting", "party": {"id": person["id"]}, "milestone": {"id": milestone["id"]},
        "value": {"amount": 500, "currency": "GBP"}, "expectedCloseOn": "2027-10-31"}})
    assert created.status_code == 201 and created.headers["Location"].endswith(f"/opportunities/{created.json()['opportunity']['id']}")
    assert created.json()["opportunity"]["owner"]["id"] == capsule.USERS[0]["id"]   # NOTES §28
    no_currency = requests.post(api(ctl, "/opportunities"), headers=AUTH, timeout=5, json={"opportunity": {
        "name": "x", "party": {"id": person["id"]}, "milestone": {"id": milestone["id"]}, "value": {"amount": 5}}})
    assert no_currency.status_code == 422


def test_closing_milestones_set_closed_on_and_probability(ctl):
    """Won/Lost are complete milestones: moving there sets closedOn and the milestone's probability; a
    probability sent with one is refused; back on an open milestone closedOn is cleared."""
    deal = next(d for d in ctl.records("opportunities") if not d["milestone"]["complete"])
    milestones = milestones_of(ctl, deal["milestone"]["pipeline"]["id"])
    won = next(m for m in milestones if m["complete"] and m["probability"] == 100)
    path = api(ctl, f"/opportunities/{deal['id']}")
    refused = requests.put(path, headers=AUTH, json={"opportunity": {"milestone": {"id": won["id"]}, "probability": 50}},
                           timeout=5)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"] == "probability can be updated only for open opportunity"
    closed = requests.put(path, headers=AUTH, json={"opportunity": {"milestone": {"id": won["id"]}}}, timeout=5)
    assert closed.json()["opportunity"]["closedOn"] and closed.json()["opportunity"]["probability"] == 100
    reopened = requests.put(path, headers=AUTH, json={"opportunity": {"milestone": {"id": milestones[0]["id"]}}},
                            timeout=5).json()["opportunity"]
    assert reopened["closedOn"] is None and reopened["probability"] == milestones[0]["probability"]


def test_a_milestone_of_another_pipeline_moves_the_deal_there(ctl):
    """NOTES §26: a milestone of another pipeline is accepted and moves the deal across pipelines."""
    deal = ctl.records("opportunities")[0]
    pipelines = requests.get(api(ctl, "/pipelines"), headers=AUTH, timeout=5).json()["pipelines"]
    other = next(p for p in pipelines if p["id"] != deal["milestone"]["pipeline"]["id"])
    target = milestones_of(ctl, other["id"])[0]
    moved = requests.put(api(ctl, f"/opportunities/{deal['id']}?embed=milestone"), headers=AUTH, timeout=5,
                         json={"opportunity": {"milestone": {"id": target["id"]}}})
    assert moved.json()["opportunity"]["milestone"]["pipeline"]["id"] == other["id"]
    assert requests.put(api(ctl, f"/opportunities/{deal['id']}"), headers=AUTH, timeout=5,
                        json={"opportunity": {"milestone": {"id": 1}}}).status_code == 422


def test_pipelines_create_archive_and_the_thirty_pipeline_limit(ctl):
    """operations/Pipeline: create 201 + Location; delete archives (listed with includeDeleted=true only);
    at most 30 active pipelines."""
    listed = requests.get(api(ctl, "/pipelines"), headers=AUTH, params={"perPage": 100}, timeout=5).json()["pipelines"]
    for n in range(30 - len(listed)):
        made = requests.post(api(ctl, "/pipelines"), headers=AUTH, json={"pipeline": {"name": f"P{n}"}}, timeout=5)
        assert made.status_code == 201 and "Location" in made.headers
    over = requests.post(api(ctl, "/pipelines"), headers=AUTH, json={"pipeline": {"name": "31st"}}, timeout=5)
    assert over.status_code == 422
    victim = listed[-1]["id"]
    assert requests.delete(api(ctl, f"/pipelines/{victim}"), headers=AUTH, timeout=5).status_code == 204
    live = requests.get(api(ctl, "/pipelines"), headers=AUTH, params={"perPage": 100}, timeout=5).json()["pipelines"]
    every = requests.get(api(ctl, "/pipelines"), headers=AUTH, params={"perPage": 100, "includeDeleted": "true"},
                         timeout=5).json()["pipelines"]
    assert victim not in {p["id"] for p in live} and victim in {p["id"] for p in every}
    assert requests.get(api(ctl, f"/pipelines/{victim}"), headers=AUTH, timeout=5).status_code == 404


def test_milestones_per_pipeline_in_order_and_the_legacy_list(ctl):
    """operations/Milestone: per pipeline in order (Won and Lost last, complete); GET /milestones lists the oldest
    active pipeline's only."""
    pipelines = requests.get(api(ctl, "/pipelines"), headers=AUTH, timeout=5).json()["pipelines"]
    second = milestones_of(ctl, pipelines[1]["id"])
    assert [m["complete"] for m in second[-2:]] == [True, True] and not any(m["complete"] for m in second[:-2])
    assert "daysUntilStale" not in second[-1] and second[0]["pipeline"] == {"id": pipelines[1]["id"],
                                                                               "name": pipelines[1]["name"]}
    legacy = requests.get(api(ctl, "/milestones"), headers=AUTH, params={"perPage": 100}, timeout=5).json()["milestones"]
    assert [m["id"] for m in legacy] == [m["id"] for m in milestones_of(ctl, pipelines[0]["id"])]
    assert requests.get(api(ctl, "/pipelines/1/milestones"), headers=AUTH, timeout=5).status_code == 404


# -- custom field definitions: create (https://developer.capsulecrm.com/v2/operations/Custom_Field) ----------------

def root(ctl, path: str) -> str:
    return f"{ctl.url}{path}"


@pytest.mark.parametrize("namespace", ["parties", "opportunities"])
def test_a_definition_is_created_201_with_its_location(ctl, namespace):
    path = f"/api/v2/{namespace}/fields/definitions"
    created = requests.post(root(ctl, path), headers=AUTH, timeout=10,
                            json={"definition": {"name": "Tier", "type": "list", "options": ["A", "B"],
                                                 "description": "Support tier"}})
    assert created.status_code == 201, created.text
    definition = created.json()["definition"]
    assert created.headers["Location"] == f"https://api.capsulecrm.com{path}/{definition['id']}"
    assert definition["name"] == "Tier" and definition["type"].lower() == "list"
    assert definition["options"] == ["A", "B"] and definition["description"] == "Support tier"
    listed = requests.get(root(ctl, path), headers=AUTH, timeout=10).json()["definitions"]
    assert definition["id"] in [d["id"] for d in listed]
    one = requests.get(root(ctl, f"{path}/{definition['id']}"), headers=AUTH, timeout=10)
    assert one.status_code == 200 and one.json()["definition"] == definition
    assert any(d["namespace"] == namespace and d["id"] == definition["id"] for d in ctl.records("fields"))


@pytest.mark.parametrize(("namespace", "body", "field"), [
    ("parties", {"name": "No wrapper", "type": "text"}, "definition"),
    ("parties", {"definition": {"type": "text"}}, "name"),
    ("parties", {"definition": {"name": "Kind", "type": "colour"}}, "type"),
    ("parties", {"definition": {"name": "Pick", "type": "list"}}, "options"),
    ("parties", {"definition": {"name": "Industry", "type": "text"}}, "name"),     # a name the account has
    ("parties", {"definition": {"name": "Who", "type": "text", "captureRule": "robot"}}, "captureRule"),
    ("opportunities", {"definition": {"name": "Who", "type": "text", "captureRule": "person"}}, "captureRule"),
])
def test_a_definition_capsule_cannot_take_is_422(ctl, namespace, body, field):
    before = len(ctl.records("fields"))
    answer = requests.post(root(ctl, f"/api/v2/{namespace}/fields/definitions"), headers=AUTH, json=body, timeout=10)
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"] and [e["field"] for e in answer.json()["errors"]] == [field]
    assert len(ctl.records("fields")) == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_definition_update_and_delete_are_not_routes(ctl, method):
    """Capsule's reference documents neither: the emulator answers them as any unknown path."""
    answer = requests.request(method, root(ctl, "/api/v2/parties/fields/definitions/801"), headers=AUTH,
                              json={"definition": {"name": "Sector"}}, timeout=10)
    assert answer.status_code == 404


def test_a_created_definition_takes_values_on_parties(ctl):
    created = requests.post(root(ctl, "/api/v2/parties/fields/definitions"), headers=AUTH, timeout=10,
                            json={"definition": {"name": "Score", "type": "number"}}).json()["definition"]
    party = organisations(ctl)[0]
    ok = requests.put(url(ctl, f"/{party['id']}"), headers=AUTH, timeout=10,
                      params={"embed": "fields"},
                      json={"party": {"fields": [{"definition": {"id": created["id"]}, "value": 7}]}})
    assert ok.status_code == 200, ok.text
    assert {"id": created["id"], "name": "Score"} in [f["definition"] for f in ok.json()["party"]["fields"]]
    wrong = requests.put(url(ctl, f"/{party['id']}"), headers=AUTH, timeout=10,
                         json={"party": {"fields": [{"definition": {"id": created["id"]}, "value": "seven"}]}})
    assert wrong.status_code == 422


def test_each_entity_has_its_own_tags_and_definitions_name_their_data_tag(ctl):
    """GET /{parties|opportunities}/tags (https://developer.capsulecrm.com/v2/operations/Tag): one list per entity;
    a definition in a data tag names it as `tag: {id, name, dataTag}` (models/field_definition)."""
    def every(namespace):
        return requests.get(f"{ctl.url}/api/v2/{namespace}/tags", headers=AUTH, params={"perPage": 100},
                            timeout=5).json()["tags"]
    party_tags, deal_tags = every("parties"), every("opportunities")
    assert {t["name"] for t in party_tags if t["dataTag"]} == {n for n, _ in DATA_TAGS["parties"]}
    assert {t["name"] for t in deal_tags if t["dataTag"]} == {n for n, _ in DATA_TAGS["opportunities"]}
    assert not {t["id"] for t in party_tags} & {t["id"] for t in deal_tags}
    deal_tag = deal_tags[0]
    assert requests.get(url(ctl, f"/tags/{deal_tag['id']}"), headers=AUTH, timeout=5).status_code == 404
    shown = requests.get(f"{ctl.url}/api/v2/opportunities/tags/{deal_tag['id']}", headers=AUTH, timeout=5)
    assert shown.json() == {"tag": deal_tag}
    definitions = requests.get(url(ctl, "/fields/definitions"), headers=AUTH, timeout=5).json()["definitions"]
    industry = next(d for d in definitions if d["id"] == 801)
    company = next(t for t in party_tags if t["name"] == "Company Profile")
    assert industry["tag"] == {"id": company["id"], "name": "Company Profile", "dataTag": True}
    assert next(d for d in definitions if d["id"] == 803)["tag"] is None


@pytest.mark.parametrize(("tag", "status"), [({"name": "billing details"}, 201), ({"id": "by-id"}, 201),
                                              ({"name": "Customer"}, 422), ({"id": 1}, 422), ("Billing", 422)])
def test_a_definition_is_created_in_a_data_tag_named_by_id_or_name(ctl, tag, status):
    billing = next(t for t in requests.get(url(ctl, "/tags"), headers=AUTH, params={"perPage": 100},
                                           timeout=5).json()["tags"] if t["name"] == "Billing Details")
    tag = {"id": billing["id"]} if tag == {"id": "by-id"} else tag
    answer = requests.post(url(ctl, "/fields/definitions"), headers=AUTH, timeout=5,
                           json={"definition": {"name": "VAT number", "type": "text", "tag": tag}})
    assert answer.status_code == status, answer.text
    if status == 201:
        assert answer.json()["definition"]["tag"] == {"id": billing["id"], "name": "Billing Details", "dataTag": True}
    else:
        assert answer.json()["errors"][0]["field"] == "tag"


def test_tags_are_defined_and_changed_per_entity(ctl):
    """POST /{entity}/tags {"tag": {...}} answers 201 + Location; PUT /{entity}/tags/{id} changes it
    (https://developer.capsulecrm.com/v2/operations/Tag). A taken name, a missing one and a data tag with fields
    turned plain are 422; an unknown id 404."""
    created = requests.post(f"{ctl.url}/api/v2/opportunities/tags", headers=AUTH, timeout=5,
                            json={"tag": {"name": "Nice Guy", "description": None, "dataTag": False}})
    assert created.status_code == 201, created.text
    tag = created.json()["tag"]
    assert created.headers["Location"].endswith(f"/api/v2/opportunities/tags/{tag['id']}")
    assert (tag["name"], tag["dataTag"]) == ("Nice Guy", False)
    for body in ({"tag": {"name": "nice guy"}}, {"tag": {"description": "no name"}}, {"name": "unwrapped"}):
        refused = requests.post(f"{ctl.url}/api/v2/opportunities/tags", headers=AUTH, json=body, timeout=5)
        assert refused.status_code == 422, body
    # the same name is another entity's own tag
    assert requests.post(url(ctl, "/tags"), headers=AUTH, json={"tag": {"name": "Nice Guy"}}, timeout=5).status_code == 201
    changed = requests.put(f"{ctl.url}/api/v2/opportunities/tags/{tag['id']}", headers=AUTH, timeout=5,
                           json={"tag": {"name": "Nicer Guy", "dataTag": True}})
    assert changed.status_code == 200 and changed.json()["tag"] == {**tag, "name": "Nicer Guy", "dataTag": True}
    company = next(t for t in requests.get(url(ctl, "/tags"), headers=AUTH, params={"perPage": 100},
                                           timeout=5).json()["tags"] if t["name"] == "Company Profile")
    plain = requests.put(url(ctl, f"/tags/{company['id']}"), headers=AUTH, json={"tag": {"dataTag": False}}, timeout=5)
    assert plain.status_code == 422 and plain.json()["errors"][0]["field"] == "dataTag"
    assert requests.put(url(ctl, "/tags/1"), headers=AUTH, json={"tag": {"name": "x"}}, timeout=5).status_code == 404
