"""The Pipedrive organizations emulator speaks Pipedrive's API v2 protocol
(https://developers.pipedrive.com/docs/api/v1/Organizations)."""

from __future__ import annotations

import re

import pytest
import requests

from unigate.sandbox.pipedrive import (
    CUSTOM_FIELD_KEYS,
    ERROR_INFO,
    NOT_FOUND_MESSAGE,
    SANDBOX_API_TOKEN,
    SANDBOX_OAUTH_TOKEN,
)

ORGS = "/api/v2/organizations"
AUTH = {"x-api-token": SANDBOX_API_TOKEN}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
UNAUTHORIZED = {"success": False, "error": "unauthorized access", "errorCode": 401, "error_info": ERROR_INFO,
                "data": None, "additional_data": None}
ORG_KEYS = {"id", "name", "owner_id", "add_time", "update_time", "is_deleted", "visible_to", "address",
            "label_ids", "custom_fields"}
ADDRESS_KEYS = {"value", "country", "admin_area_level_1", "admin_area_level_2", "locality", "sublocality",
                "route", "street_number", "subpremise", "postal_code"}
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-daily-requests-left")


@pytest.fixture
def pipedrive(sandbox):
    control = sandbox.control("pipedrive")
    control.reset()
    yield control
    control.reset()


def call(control, method: str, path: str, *, headers=AUTH, **kwargs) -> requests.Response:
    return requests.request(method, control.url + path, headers=headers, timeout=10, **kwargs)


def error(message: str, **extra) -> dict:
    return {"success": False, "error": message, **extra, "error_info": ERROR_INFO, "data": None,
            "additional_data": None}


def page_all(control, limit: int, **params) -> tuple[list[dict], list[dict]]:
    records, pages, cursor = [], [], None
    while True:
        query = {"limit": limit, **params}
        if cursor:
            query["cursor"] = cursor
        response = call(control, "GET", ORGS, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        records.extend(body["data"])
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return records, pages


def test_missing_or_wrong_credentials_are_401(pipedrive):
    """No token, a wrong x-api-token, a wrong api_token or a wrong bearer answer 401 with
    Pipedrive's unauthorized body."""
    attempts = [
        ({}, {}),
        ({"x-api-token": "nope"}, {}),
        ({}, {"api_token": "nope"}),
        ({"Authorization": "Bearer nope"}, {}),
        ({"Authorization": f"Bearer {SANDBOX_API_TOKEN}"}, {}),  # an API token is not an OAuth token
    ]
    for headers, params in attempts:
        for method, path in (("GET", ORGS), ("POST", ORGS), ("GET", ORGS + "/1"), ("PATCH", ORGS + "/1"),
                             ("DELETE", ORGS + "/1")):
            response = call(pipedrive, method, path, headers=headers, params=params, json={"name": "x"})
            assert response.status_code == 401, (headers, params, method, path)
            assert response.json() == UNAUTHORIZED
    assert call(pipedrive, "GET", ORGS + "/1").status_code == 200  # nothing was deleted


def test_three_ways_to_authenticate(pipedrive):
    """`x-api-token` header, `api_token` query parameter, or `Authorization: Bearer <oauth token>`."""
    for headers, params in (({"x-api-token": SANDBOX_API_TOKEN}, {}), ({}, {"api_token": SANDBOX_API_TOKEN}),
                            ({"Authorization": f"Bearer {SANDBOX_OAUTH_TOKEN}"}, {})):
        response = call(pipedrive, "GET", ORGS + "/1", headers=headers, params=params)
        assert response.status_code == 200 and response.json()["data"]["id"] == 1


def test_list_envelope_and_organization_shape(pipedrive):
    """List answers `{"success":true,"data":[…],"additional_data":{"next_cursor":null}}`; default
    limit 100 covers the 60 seeded organizations; the org object has the v2 OrganizationItem fields."""
    response = call(pipedrive, "GET", ORGS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "additional_data"} and body["success"] is True
    assert body["additional_data"] == {"next_cursor": None}
    assert len(body["data"]) == 60
    org = body["data"][0]
    assert set(org) == ORG_KEYS
    assert isinstance(org["id"], int) and isinstance(org["owner_id"], int) and org["is_deleted"] is False
    assert RFC3339.match(org["add_time"]) and RFC3339.match(org["update_time"])
    assert set(org["address"]) == ADDRESS_KEYS and org["visible_to"] == 3
    assert all(isinstance(label, int) for label in org["label_ids"])
    assert set(org["custom_fields"]) == set(CUSTOM_FIELD_KEYS.values())
    assert all(re.fullmatch(r"[0-9a-f]{40}", key) for key in org["custom_fields"])
    custom = org["custom_fields"]
    assert custom[CUSTOM_FIELD_KEYS["website"]].startswith("https://")
    assert isinstance(custom[CUSTOM_FIELD_KEYS["employees"]], int)
    assert custom[CUSTOM_FIELD_KEYS["industry"]] == "Software"


def test_cursor_pagination_visits_every_record_once(pipedrive):
    """`cursor` → `additional_data.next_cursor` pages through everything; null at the end."""
    records, pages = page_all(pipedrive, 7)
    ids = [r["id"] for r in records]
    assert len(ids) == 60 and len(set(ids)) == 60 and ids == sorted(ids)
    assert len(pages) == 9 and len(pages[-1]["data"]) == 4
    assert all(isinstance(p["additional_data"]["next_cursor"], str) for p in pages[:-1])


def test_sorting_and_filters(pipedrive):
    """sort_by id/update_time/add_time with sort_direction, owner_id, ids and updated_since filters,
    all combinable with the cursor."""
    desc, _ = page_all(pipedrive, 9, sort_direction="desc")
    assert [r["id"] for r in desc] == list(range(60, 0, -1))
    by_update, _ = page_all(pipedrive, 8, sort_by="update_time", sort_direction="desc")
    stamps = [(r["update_time"], r["id"]) for r in by_update]
    assert len(stamps) == 60 and stamps == sorted(stamps, reverse=True)
    by_add, _ = page_all(pipedrive, 11, sort_by="add_time")
    assert [r["id"] for r in by_add] == list(range(1, 61))
    owner = by_add[0]["owner_id"]
    owned, _ = page_all(pipedrive, 4, owner_id=owner)
    assert owned and all(r["owner_id"] == owner for r in owned)
    assert len(owned) == sum(1 for r in by_add if r["owner_id"] == owner)
    since = sorted(r["update_time"] for r in by_add)[30]
    recent, _ = page_all(pipedrive, 5, updated_since=since)
    assert len(recent) == sum(1 for r in by_add if r["update_time"] >= since)
    picked = call(pipedrive, "GET", ORGS, params={"ids": "3,5,77"}).json()["data"]
    assert [r["id"] for r in picked] == [3, 5]


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"limit": "many"}, {"sort_by": "name"},
                                    {"sort_direction": "up"}, {"updated_since": "2024-01-01T10:00:00.123Z"},
                                    {"updated_since": "yesterday"}, {"owner_id": "me"}, {"cursor": "!!!"}])
def test_invalid_list_parameters_are_400(pipedrive, params):
    """Bad parameters answer 400 in the error envelope."""
    response = call(pipedrive, "GET", ORGS, params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error"] and body["error_info"] == ERROR_INFO
    assert body["data"] is None and body["additional_data"] is None


def test_limit_500_is_allowed(pipedrive):
    """Limit up to 500 is accepted."""
    assert len(call(pipedrive, "GET", ORGS, params={"limit": 500}).json()["data"]) == 60


def test_get_one_and_missing(pipedrive):
    """Get envelope `{"success":true,"data":Org}`; a missing id is 404 in the generic envelope."""
    response = call(pipedrive, "GET", ORGS + "/2", params={"custom_fields": CUSTOM_FIELD_KEYS["website"],
                                                           "include_fields": "people_count"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"} and body["data"]["id"] == 2
    assert list(body["data"]["custom_fields"]) == [CUSTOM_FIELD_KEYS["website"]]
    assert body["data"]["people_count"] == 0
    missing = call(pipedrive, "GET", ORGS + "/9999")
    assert missing.status_code == 404 and missing.json() == error(NOT_FOUND_MESSAGE)
    assert call(pipedrive, "GET", ORGS + "/abc").status_code == 400


def test_create(pipedrive):
    """POST creates (200, `{"success":true,"data":Org}`) with integer id, RFC 3339 times, the
    address object, labels and custom fields keyed by hash."""
    payload = {
        "name": "Globex Corporation", "owner_id": 13053347, "visible_to": 1, "label_ids": [2],
        "address": {"value": "1 Infinite Loop, Cupertino", "locality": "Cupertino", "country": "United States"},
        "custom_fields": {CUSTOM_FIELD_KEYS["website"]: "https://globex.example", CUSTOM_FIELD_KEYS["employees"]: 250},
    }
    response = call(pipedrive, "POST", ORGS, json=payload)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"} and body["success"] is True
    org = body["data"]
    assert set(org) == ORG_KEYS and org["id"] == 61 and org["name"] == "Globex Corporation"
    assert org["owner_id"] == 13053347 and org["visible_to"] == 1 and org["label_ids"] == [2]
    assert set(org["address"]) == ADDRESS_KEYS and org["address"]["locality"] == "Cupertino"
    assert org["address"]["postal_code"] is None
    assert org["custom_fields"][CUSTOM_FIELD_KEYS["employees"]] == 250
    assert org["custom_fields"][CUSTOM_FIELD_KEYS["phone"]] is None
    assert RFC3339.match(org["add_time"]) and org["add_time"] == org["update_time"]
    assert call(pipedrive, "GET", ORGS + "/61").json()["data"] == org
    records, _ = page_all(pipedrive, 500)
    assert records[-1]["id"] == 61


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": 5}, {"owner_id": 1},
                                     {"name": "x", "owner_id": "me"}, {"name": "x", "visible_to": 2},
                                     {"name": "x", "label_ids": ["a"]},
                                     {"name": "x", "custom_fields": {"0" * 40: "?"}},
                                     {"name": "x", "custom_fields": {CUSTOM_FIELD_KEYS["employees"]: "many"}},
                                     {"name": "x", "address": "Main Street"}])
def test_create_validation_is_400(pipedrive, payload):
    """Invalid bodies answer 400, nothing is created."""
    response = call(pipedrive, "POST", ORGS, json=payload)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error_info"] == ERROR_INFO and body["data"] is None
    assert len(call(pipedrive, "GET", ORGS).json()["data"]) == 60


def test_invalid_json_is_400(pipedrive):
    """A body that is not JSON answers 400 in the error envelope."""
    response = call(pipedrive, "POST", ORGS, data=b"{nope", headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["success"] is False


def test_update(pipedrive):
    """PATCH changes only the given fields (custom fields merge per key), bumps update_time."""
    before = call(pipedrive, "GET", ORGS + "/3").json()["data"]
    response = call(pipedrive, "PATCH", ORGS + "/3", json={
        "name": "Cobalt Renamed", "custom_fields": {CUSTOM_FIELD_KEYS["industry"]: "Aerospace"}, "address": None})
    assert response.status_code == 200
    after = response.json()["data"]
    assert after["name"] == "Cobalt Renamed" and after["address"] is None
    assert after["custom_fields"][CUSTOM_FIELD_KEYS["industry"]] == "Aerospace"
    assert after["custom_fields"][CUSTOM_FIELD_KEYS["website"]] == before["custom_fields"][CUSTOM_FIELD_KEYS["website"]]
    assert after["owner_id"] == before["owner_id"] and after["add_time"] == before["add_time"]
    assert after["update_time"] > before["update_time"]
    assert call(pipedrive, "PATCH", ORGS + "/3", json={"name": ""}).status_code == 400
    assert call(pipedrive, "PATCH", ORGS + "/999", json={"name": "x"}).json() == error(NOT_FOUND_MESSAGE)


def test_delete_is_soft_and_second_delete_is_404(pipedrive):
    """DELETE answers 200 `{"success":true,"data":{"id":N}}`; the org is soft-deleted
    (gone from list/get/update, `is_deleted:true` in the store); a second DELETE is 404."""
    response = call(pipedrive, "DELETE", ORGS + "/5")
    assert response.status_code == 200 and response.json() == {"success": True, "data": {"id": 5}}
    assert call(pipedrive, "GET", ORGS + "/5").json() == error(NOT_FOUND_MESSAGE)
    assert call(pipedrive, "GET", ORGS + "/5").status_code == 404
    assert call(pipedrive, "PATCH", ORGS + "/5", json={"name": "back"}).status_code == 404
    second = call(pipedrive, "DELETE", ORGS + "/5")
    assert second.status_code == 404 and second.json() == error(NOT_FOUND_MESSAGE)
    records, _ = page_all(pipedrive, 7)
    assert len(records) == 59 and 5 not in {r["id"] for r in records}
    stored = {r["id"]: r for r in pipedrive.records()}
    assert stored[5]["is_deleted"] is True


def test_rate_limit_headers_on_every_answer(pipedrive):
    """x-ratelimit-limit/-remaining/-reset and x-daily-requests-left on every answer, errors included."""
    first = call(pipedrive, "GET", ORGS)
    second = call(pipedrive, "GET", ORGS + "/404")
    third = call(pipedrive, "GET", ORGS, headers={})
    for response in (first, second, third):
        for header in RATE_HEADERS:
            assert response.headers[header].isdigit(), header
    assert int(second.headers["x-daily-requests-left"]) < int(first.headers["x-daily-requests-left"])


def test_ten_thousand_records_page_to_the_end(pipedrive):
    """A 10,000-record seed pages through at limit=100 cheaply (cursor bisect + slice)."""
    pipedrive.reset(10_000)
    records, pages = page_all(pipedrive, 100)
    assert len(records) == 10_000 and len({r["id"] for r in records}) == 10_000
    assert len(pages) == 100 and len({r["name"] for r in records}) == 10_000


# -- persons ----------------------------------------------------------------------------------------
PERSONS = "/api/v2/persons"
PERSON_KEYS = {"id", "name", "first_name", "last_name", "owner_id", "org_id", "add_time", "update_time",
               "is_deleted", "visible_to", "label_ids", "picture_id", "emails", "phones", "custom_fields"}


def test_persons_list_envelope_paging_and_org_filter(pipedrive):
    response = call(pipedrive, "GET", PERSONS, params={"limit": 7})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and len(body["data"]) == 7 and body["additional_data"]["next_cursor"]
    first = body["data"][0]
    assert set(first) == PERSON_KEYS
    assert first["emails"][0] == {"value": first["emails"][0]["value"], "primary": True, "label": "work"}
    assert RFC3339.match(first["add_time"]) and isinstance(first["org_id"], int)
    seen, cursor = [], None
    while True:
        page = call(pipedrive, "GET", PERSONS, params={"limit": 25, **({"cursor": cursor} if cursor else {})}).json()
        seen += [p["id"] for p in page["data"]]
        cursor = page["additional_data"]["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, 61))
    of_org = call(pipedrive, "GET", PERSONS, params={"org_id": first["org_id"]}).json()["data"]
    assert of_org and all(p["org_id"] == first["org_id"] for p in of_org)
    assert call(pipedrive, "GET", PERSONS, params={"org_id": "one"}).status_code == 400
    assert call(pipedrive, "GET", PERSONS, params={"limit": 501}).status_code == 400
    assert call(pipedrive, "GET", PERSONS, headers={}).status_code == 401
    for name in RATE_HEADERS:
        assert name in response.headers


def test_person_create_derives_first_and_last_name(pipedrive):
    response = call(pipedrive, "POST", PERSONS, json={
        "name": "Mari Liis Saar", "org_id": 2, "owner_id": 13053346,
        "emails": [{"value": "mari@saar.example", "label": "home"}], "phones": [{"value": "+372 5000", "primary": True}],
        "custom_fields": {"c0ffee4d2b1a09f8e7d6c5b4a3928170f6e5d4c3": 51}})
    assert response.status_code == 200  # v2 creates answer 200, not 201
    person = response.json()["data"]
    assert person["id"] == 61 and person["first_name"] == "Mari" and person["last_name"] == "Liis Saar"
    assert person["emails"] == [{"value": "mari@saar.example", "primary": True, "label": "home"}]
    assert person["phones"] == [{"value": "+372 5000", "primary": True, "label": "work"}]
    assert person["org_id"] == 2 and person["custom_fields"]["c0ffee4d2b1a09f8e7d6c5b4a3928170f6e5d4c3"] == 51
    assert call(pipedrive, "GET", f"{PERSONS}/61").json()["data"] == person


@pytest.mark.parametrize("payload", [
    {"emails": [{"value": "x@y.example"}]},                                 # name is required
    {"name": "A", "org_id": 9999},                                          # no such organization
    {"name": "A", "org_id": "2"},                                           # v2 does not coerce strings
    {"name": "A", "emails": [{"value": "x@y.example", "label": "mobile"}]},  # emails are work/home/other
    {"name": "A", "phones": "+372 5000"},
    {"name": "A", "custom_fields": {"0000000000000000000000000000000000000000": "x"}},
    {"name": "A", "custom_fields": {"c0ffee4d2b1a09f8e7d6c5b4a3928170f6e5d4c3": "high"}},
    {"name": "A", "job_title": "CEO"},                                       # not a v2 person field here
])
def test_person_create_validation_is_400(pipedrive, payload):
    response = call(pipedrive, "POST", PERSONS, json=payload)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
    assert len(pipedrive.records("contacts")) == 60


def test_person_update_and_soft_delete(pipedrive):
    response = call(pipedrive, "PATCH", f"{PERSONS}/3", json={"name": "Joana Pereira", "org_id": None})
    assert response.status_code == 200
    person = response.json()["data"]
    assert (person["first_name"], person["last_name"], person["org_id"]) == ("Joana", "Pereira", None)
    deleted = call(pipedrive, "DELETE", f"{PERSONS}/3")
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "data": {"id": 3}}
    assert call(pipedrive, "GET", f"{PERSONS}/3").json() == error("Person not found")
    assert call(pipedrive, "DELETE", f"{PERSONS}/3").status_code == 404
    assert {p["id"]: p for p in pipedrive.records("contacts")}[3]["is_deleted"] is True


def test_person_merge_keeps_merge_with_id_and_removes_the_url_person(pipedrive):
    """PUT /v1/persons/{id}/merge: the URL person goes, `merge_with_id` survives with its own values, gains
    the other's emails and phones; the answer is the survivor in API v1's shape."""
    stored = {p["id"]: p for p in pipedrive.records("contacts")}
    gone, kept = stored[2], stored[6]  # person 6 has no organization of its own
    response = call(pipedrive, "PUT", "/v1/persons/2/merge", json={"merge_with_id": 6})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["id"] == 6 and data["merge_what_id"] == 2 and data["name"] == kept["name"]
    assert data["org_id"] == gone["org_id"]  # the survivor's empty field is filled from the other
    assert [e["value"] for e in data["email"]] == [e["value"] for e in kept["emails"] + gone["emails"]]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", data["add_time"])
    assert call(pipedrive, "GET", f"{PERSONS}/2").status_code == 404
    assert call(pipedrive, "GET", f"{PERSONS}/6").json()["data"]["org_id"] == gone["org_id"]
    assert call(pipedrive, "PUT", "/v1/persons/2/merge", json={"merge_with_id": 6}).status_code == 404
    assert call(pipedrive, "PUT", "/v1/persons/6/merge", json={}).status_code == 400
    assert call(pipedrive, "PUT", "/v1/persons/6/merge", json={"merge_with_id": 6}).status_code == 400
    assert call(pipedrive, "PUT", "/v1/persons/6/merge", json={"merge_with_id": 999}).status_code == 404
    assert call(pipedrive, "PUT", "/v1/persons/6/merge", headers={}, json={"merge_with_id": 7}).status_code == 401


def test_faults_auth_and_recording_apply_to_person_routes(pipedrive):
    pipedrive.fault(status=503, body={"success": False, "error": "down"}, path_contains="/persons")
    assert call(pipedrive, "GET", PERSONS).status_code == 503
    assert call(pipedrive, "GET", PERSONS).status_code == 200
    assert pipedrive.requests()[-1]["path"] == "/pipedrive" + PERSONS
    oauth = call(pipedrive, "GET", f"{PERSONS}/1", headers={"Authorization": f"Bearer {SANDBOX_OAUTH_TOKEN}"})
    assert oauth.status_code == 200 and oauth.json()["data"]["id"] == 1
    assert call(pipedrive, "GET", f"{PERSONS}/1", headers={}, params={"api_token": SANDBOX_API_TOKEN}).status_code == 200


def test_person_name_is_required_unless_switched_off(pipedrive):
    """API v1 documents `name` as required, the v2 schema marks nothing required (switch `person_name`)."""
    body = {"emails": [{"value": "nameless@example.com", "primary": True, "label": "work"}]}
    r = call(pipedrive, "POST", "/api/v2/persons", json=body)
    assert r.status_code == 400 and r.json()["code"] == "ERR_SCHEMA_VALIDATION_FAILED" and "name" in r.json()["error"]
    pipedrive.switch(person_name="optional")
    r = call(pipedrive, "POST", "/api/v2/persons", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["emails"][0]["value"] == "nameless@example.com"
    # An organization still needs its name, and an explicit empty name is refused either way.
    assert call(pipedrive, "POST", ORGS, json={"visible_to": 3}).status_code == 400
    assert call(pipedrive, "POST", "/api/v2/persons", json={"name": " "}).status_code == 400


@pytest.mark.parametrize("path", [ORGS, "/api/v2/persons"])
def test_a_deleted_record_reads_as_404_or_flagged_as_switched(pipedrive, path):
    """Undocumented: a read of a soft-deleted record (switch `deleted_read`). Updates and lists skip it either way."""
    record_id = call(pipedrive, "GET", path, params={"limit": 1}).json()["data"][0]["id"]
    assert call(pipedrive, "DELETE", f"{path}/{record_id}").status_code == 200
    assert call(pipedrive, "GET", f"{path}/{record_id}").status_code == 404
    pipedrive.switch(deleted_read="is_deleted")
    shown = call(pipedrive, "GET", f"{path}/{record_id}")
    assert shown.status_code == 200 and shown.json()["data"]["is_deleted"] is True
    assert call(pipedrive, "PATCH", f"{path}/{record_id}", json={"name": "Back"}).status_code == 404
    listed = [r["id"] for r in call(pipedrive, "GET", path, params={"limit": 500}).json()["data"]]
    assert record_id not in listed


def test_fractional_seconds_are_refused_unless_switched(pipedrive):
    """The migration guide shows "2024-01-01T00:00:00.000Z"; integrators saw `updated_since` refuse it live
    (switch `fractional_seconds`). Accepted instants are kept to the whole second."""
    since = {"updated_since": "2023-03-05T08:00:00.250Z"}
    assert call(pipedrive, "GET", ORGS, params=since).status_code == 400
    assert call(pipedrive, "POST", ORGS, json={"name": "Frac", "add_time": "2024-01-01T00:00:00.000Z"}).status_code == 400
    pipedrive.switch(fractional_seconds="accept")
    assert call(pipedrive, "GET", ORGS, params=since).status_code == 200
    r = call(pipedrive, "POST", ORGS, json={"name": "Frac", "add_time": "2024-01-01T00:00:00.000Z"})
    assert r.status_code == 200 and r.json()["data"]["add_time"] == "2024-01-01T00:00:00Z"
    assert call(pipedrive, "GET", ORGS, params={"updated_since": "2024-01-01T00:00:00.Z"}).status_code == 400


@pytest.mark.parametrize("path, body", [(ORGS, {"name": "Extra Co"}), ("/api/v2/persons", {"name": "Extra Person"})])
def test_unknown_body_fields_are_refused_unless_switched(pipedrive, path, body):
    """Undocumented either way (switch `unknown_fields`); organizations and persons alike, on create and update."""
    r = call(pipedrive, "POST", path, json={**body, "no_such_field": 1})
    assert r.status_code == 400 and r.json()["code"] == "ERR_SCHEMA_VALIDATION_FAILED" and "no_such_field" in r.json()["error"]
    record_id = call(pipedrive, "GET", path, params={"limit": 1}).json()["data"][0]["id"]
    assert call(pipedrive, "PATCH", f"{path}/{record_id}", json={"no_such_field": 1}).status_code == 400
    pipedrive.switch(unknown_fields="ignore")
    r = call(pipedrive, "POST", path, json={**body, "no_such_field": 1})
    assert r.status_code == 200 and "no_such_field" not in r.json()["data"]
    assert call(pipedrive, "PATCH", f"{path}/{record_id}", json={"no_such_field": 1}).status_code == 200


# -- field definitions: create, update, delete (API v2, https://developers.pipedrive.com/docs/api/v1/PersonFields,
# API v2 tab; AddPersonFieldRequest / UpdatePersonFieldRequest in https://github.com/pipedrive/client-nodejs) -------

PERSON_FIELDS = "/api/v2/personFields"
VALIDATION = "ERR_SCHEMA_VALIDATION_FAILED"


def test_a_custom_field_is_created_renamed_and_deleted(pipedrive):
    created = call(pipedrive, "POST", PERSON_FIELDS,
                   json={"field_name": "Tier", "field_type": "set", "options": [{"label": "A"}, {"label": "B"}],
                         "description": "Support tier"})
    assert created.status_code == 200, created.text  # API v2 creates answer 200
    field = created.json()["data"]
    code = field["field_code"]
    assert re.fullmatch(r"[0-9a-f]{40}", code)
    assert field["field_name"] == "Tier" and field["field_type"] == "set" and field["is_custom_field"] is True
    assert [o["label"] for o in field["options"]] == ["A", "B"] and all(isinstance(o["id"], int) for o in field["options"])
    assert code in {f["field_code"] for f in call(pipedrive, "GET", PERSON_FIELDS, params={"limit": 500}).json()["data"]}

    renamed = call(pipedrive, "PATCH", f"{PERSON_FIELDS}/{code}", json={"field_name": "Support tier"})
    assert renamed.status_code == 200 and renamed.json()["data"]["field_name"] == "Support tier"
    assert renamed.json()["data"]["field_type"] == "set"

    deleted = call(pipedrive, "DELETE", f"{PERSON_FIELDS}/{code}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["field_code"] == code and deleted.json()["success"] is True
    assert call(pipedrive, "GET", f"{PERSON_FIELDS}/{code}").status_code == 404
    assert call(pipedrive, "DELETE", f"{PERSON_FIELDS}/{code}").status_code == 404


@pytest.mark.parametrize("payload", [
    {"field_type": "varchar"},                                        # field_name required
    {"field_name": "  ", "field_type": "varchar"},
    {"field_name": "X"},                                              # field_type required
    {"field_name": "X", "field_type": "boolean"},                     # not one of the 16 types
    {"field_name": "X", "field_type": "enum"},                        # options required for enum and set
    {"field_name": "X", "field_type": "set", "options": []},
    {"field_name": "X", "field_type": "enum", "options": [{"name": "A"}]},
    {"field_name": "X", "field_type": "varchar", "field_code": "mine"},  # not in the request schema
])
def test_field_create_validation_is_400(pipedrive, payload):
    response = call(pipedrive, "POST", PERSON_FIELDS, json=payload)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == VALIDATION and response.json()["success"] is False
    assert not [f for f in pipedrive.records("fields") if f["field_name"] == "X"]


def test_field_type_and_code_are_fixed_and_an_update_names_something(pipedrive):
    code = call(pipedrive, "POST", PERSON_FIELDS, json={"field_name": "Note", "field_type": "text"}).json()["data"][
        "field_code"]
    for body in ({"field_type": "varchar"}, {"field_code": "other"}, {}):
        response = call(pipedrive, "PATCH", f"{PERSON_FIELDS}/{code}", json=body)
        assert response.status_code == 400 and response.json()["code"] == VALIDATION, body
    stored = next(f for f in pipedrive.records("fields") if f["field_code"] == code)
    assert stored["field_type"] == "text" and stored["field_name"] == "Note"


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_system_fields_cannot_be_changed_or_deleted(pipedrive, method):
    response = call(pipedrive, method, f"{PERSON_FIELDS}/name", json={"field_name": "Full name"} if method == "PATCH" else None)
    assert response.status_code == 400
    assert response.json()["success"] is False and response.json()["error"]
    assert next(f for f in pipedrive.records("fields") if f["object"] == "personFields" and f["field_code"] == "name")[
        "field_name"] == "Name"


def test_record_values_follow_the_fields_as_they_are(pipedrive):
    fields = "/api/v2/organizationFields"
    choice = call(pipedrive, "POST", fields, json={"field_name": "Size", "field_type": "enum",
                                                   "options": [{"label": "S"}, {"label": "L"}]}).json()["data"]
    small = choice["options"][0]["id"]
    org = call(pipedrive, "POST", ORGS, json={"name": "Typed", "custom_fields": {choice["field_code"]: small}})
    assert org.status_code == 200, org.text
    assert org.json()["data"]["custom_fields"][choice["field_code"]] == small
    for wrong in ("S", 999999, [small]):
        refused = call(pipedrive, "PATCH", f"{ORGS}/{org.json()['data']['id']}",
                       json={"custom_fields": {choice["field_code"]: wrong}})
        assert refused.status_code == 400 and refused.json()["code"] == VALIDATION, wrong
    assert call(pipedrive, "DELETE", f"{fields}/{choice['field_code']}").status_code == 200
    after = call(pipedrive, "GET", f"{ORGS}/{org.json()['data']['id']}").json()["data"]
    assert choice["field_code"] not in after["custom_fields"]
    gone = call(pipedrive, "PATCH", f"{ORGS}/{org.json()['data']['id']}", json={"custom_fields": {choice["field_code"]: small}})
    assert gone.status_code == 400


def test_each_space_has_its_own_fields(pipedrive):
    other = {"x-api-token": f"{SANDBOX_API_TOKEN}~fieldsSpaceKey0000001"}
    code = call(pipedrive, "POST", PERSON_FIELDS, json={"field_name": "Mine", "field_type": "varchar"}).json()[
        "data"]["field_code"]
    assert call(pipedrive, "GET", f"{PERSON_FIELDS}/{code}", headers=other).status_code == 404


def test_leads_take_the_deal_fields_as_they_are(pipedrive):
    """Leads inherit the deals' custom fields (https://pipedrive.readme.io/docs/core-api-concepts-custom-fields)."""
    code = call(pipedrive, "POST", "/api/v2/dealFields", json={"field_name": "Budget", "field_type": "double"}).json()[
        "data"]["field_code"]
    lead = pipedrive.records("leads")[0]
    ok = call(pipedrive, "PATCH", f"/v1/leads/{lead['id']}", json={code: 1500})
    assert ok.status_code == 200, ok.text
    assert ok.json()["data"][code] == 1500
    assert call(pipedrive, "PATCH", f"/v1/leads/{lead['id']}", json={code: "much"}).status_code == 400
    assert call(pipedrive, "DELETE", f"/api/v2/dealFields/{code}").status_code == 200
    assert code not in next(r for r in pipedrive.records("leads") if r["id"] == lead["id"])
    assert call(pipedrive, "PATCH", f"/v1/leads/{lead['id']}", json={code: 1}).status_code == 400


def test_an_enum_fields_options_change_in_bulk_all_or_none(pipedrive):
    code = call(pipedrive, "POST", "/api/v2/dealFields", json={
        "field_name": "Tier", "field_type": "enum", "options": [{"label": "Gold"}, {"label": "Silver"}]}).json()[
        "data"]["field_code"]
    options = f"/api/v2/dealFields/{code}/options"
    added = call(pipedrive, "POST", options, json=[{"label": "Bronze"}])
    assert added.status_code == 200 and [o["label"] for o in added.json()["data"]] == ["Bronze"]
    field = call(pipedrive, "GET", f"/api/v2/dealFields/{code}").json()["data"]
    gold, silver, bronze = field["options"]
    # An unknown id fails the whole call: Silver keeps its label.
    mixed = call(pipedrive, "PATCH", options, json=[{"id": silver["id"], "label": "Silver+"}, {"id": 999999, "label": "X"}])
    assert mixed.status_code == 400 and mixed.json()["success"] is False
    relabelled = call(pipedrive, "PATCH", options, json=[{"id": silver["id"], "label": "Silver+"}])
    assert relabelled.json()["data"] == [{"id": silver["id"], "label": "Silver+"}]
    removed = call(pipedrive, "DELETE", options, json=[{"id": bronze["id"]}])
    assert removed.status_code == 200 and [o["id"] for o in removed.json()["data"]] == [bronze["id"]]
    after = call(pipedrive, "GET", f"/api/v2/dealFields/{code}").json()["data"]["options"]
    assert [(o["id"], o["label"]) for o in after] == [(gold["id"], "Gold"), (silver["id"], "Silver+")]
    for body in ([], {"label": "X"}, [{"label": " "}], "[", [{"id": True}]):
        kwargs = {"data": body} if isinstance(body, str) else {"json": body}
        refused = call(pipedrive, "POST" if body != [{"id": True}] else "DELETE", options, **kwargs)
        assert refused.status_code == 400, (body, refused.text)
    text = call(pipedrive, "POST", "/api/v2/dealFields", json={"field_name": "Note", "field_type": "varchar"}).json()[
        "data"]["field_code"]
    assert call(pipedrive, "POST", f"/api/v2/dealFields/{text}/options", json=[{"label": "A"}]).status_code == 400
    assert call(pipedrive, "POST", "/api/v2/dealFields/value/options", json=[{"label": "A"}]).status_code == 400
