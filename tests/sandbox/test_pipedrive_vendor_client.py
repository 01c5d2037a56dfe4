"""Pipedrive's documented requests, sent as written to the emulator.

Pipedrive publishes no Python client (its official clients are Node and PHP), so each request below is the
one Pipedrive's own documentation shows, at the URL named beside it: the API reference
(https://developers.pipedrive.com/docs/api/v1, API v2 endpoints on the same pages), the core concepts guides
(https://pipedrive.readme.io/docs) and the official PHP client's generated reference
(https://github.com/pipedrive/client-php/tree/master/docs/versions/v2). A plain HTTP client (`requests`) plays
the integrator, so nothing of unigate's stands between the documentation and the emulator.
"""

from __future__ import annotations

import re

import pytest
import requests

from unigate.sandbox.pipedrive import SANDBOX_API_TOKEN, SANDBOX_OAUTH_TOKEN

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
def control(sandbox):
    control = sandbox.control("pipedrive")
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def api(control):
    """A session sending the API token "in the x-api-token header for all requests", as the curl example of
    https://pipedrive.readme.io/docs/core-api-concepts-authentication does."""
    session = requests.Session()
    session.headers["x-api-token"] = SANDBOX_API_TOKEN
    session.base = control.url  # type: ignore[attr-defined]
    return session


def test_three_documented_ways_to_authenticate(control):
    """The `x-api-token` header (https://pipedrive.readme.io/docs/core-api-concepts-authentication), the
    `api_token` query parameter (the `api_key` scheme of Pipedrive's OpenAPI files, as the official PHP client
    sends it: https://github.com/pipedrive/client-php, README "Configure API key authorization") and
    `Authorization: Bearer <access token>` (https://pipedrive.readme.io/docs/marketplace-oauth-authorization);
    anything else is a 401 with
    `success: false` (https://pipedrive.readme.io/docs/core-api-concepts-http-status-codes)."""
    url = control.url + "/api/v2/organizations"
    assert requests.get(url, params={"api_token": SANDBOX_API_TOKEN}, timeout=10).status_code == 200
    assert requests.get(url, headers={"x-api-token": SANDBOX_API_TOKEN}, timeout=10).status_code == 200
    assert requests.get(url, headers={"Authorization": f"Bearer {SANDBOX_OAUTH_TOKEN}"}, timeout=10).status_code == 200
    denied = requests.get(url, params={"api_token": "not-a-token"}, timeout=10)
    assert denied.status_code == 401 and denied.json()["success"] is False


def test_cursor_pagination_as_documented(api, control):
    """`GET /api/v2/organizations?limit=N`, then `cursor=<additional_data.next_cursor>` until it is null
    (https://pipedrive.readme.io/docs/core-api-concepts-pagination, "Cursor-based pagination");
    rate-limit headers on each answer (https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting)."""
    seen, cursor = [], None
    while True:
        params = {"limit": 25, **({"cursor": cursor} if cursor else {})}
        page = api.get(api.base + "/api/v2/organizations", params=params, timeout=10)
        assert page.status_code == 200
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(page.headers)
        body = page.json()
        assert body["success"] is True and len(body["data"]) <= 25
        seen += [org["id"] for org in body["data"]]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(org["id"] for org in control.records("accounts"))


def test_organization_add_get_update_delete(api):
    """Add (`POST /api/v2/organizations`, body `name`, `owner_id`, `visible_to`, `label_ids`, `address`),
    get, update (`PATCH`) and delete (`DELETE`: "Marks an organization as deleted. After 30 days, the
    organization will be permanently deleted")
    (https://developers.pipedrive.com/docs/api/v1/Organizations#addOrganization, #getOrganization,
    #updateOrganization, #deleteOrganization; client-php docs/versions/v2/Api/OrganizationsApi.md)."""
    base = api.base + "/api/v2/organizations"
    added = api.post(base, json={"name": "Documented Org", "visible_to": 3, "label_ids": [1],
                                 "address": {"value": "Narva mnt 5, 10117 Tallinn, Estonia"}}, timeout=10)
    assert added.status_code == 200, added.text
    org = added.json()["data"]
    assert org["name"] == "Documented Org" and org["visible_to"] == 3 and org["label_ids"] == [1]
    assert org["address"]["value"] == "Narva mnt 5, 10117 Tallinn, Estonia"
    assert RFC3339.match(org["add_time"]) and org["is_deleted"] is False
    got = api.get(f"{base}/{org['id']}", timeout=10).json()
    assert got["success"] is True and got["data"]["id"] == org["id"]
    renamed = api.patch(f"{base}/{org['id']}", json={"name": "Renamed Org"}, timeout=10)
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "Renamed Org"
    deleted = api.delete(f"{base}/{org['id']}", timeout=10)
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "data": {"id": org["id"]}}
    gone = api.get(f"{base}/{org['id']}", timeout=10)
    assert gone.status_code == 404 and gone.json()["success"] is False


def test_person_add_list_by_organization_update_delete(api, control):
    """Add a person with `emails`/`phones` as `[{value, primary, label}]` and `org_id`, list the
    organization's persons (`org_id` filter), update and delete
    (https://developers.pipedrive.com/docs/api/v1/Persons#addPerson, #getPersons, #updatePerson,
    #deletePerson; client-php docs/versions/v2/Api/PersonsApi.md: "Marks a person as deleted")."""
    org_id = control.records("accounts")[0]["id"]
    base = api.base + "/api/v2/persons"
    added = api.post(base, json={
        "name": "Dana Documented", "org_id": org_id,
        "emails": [{"value": "dana@documented.example", "primary": True, "label": "work"}],
        "phones": [{"value": "+372 5555 0101", "primary": True, "label": "mobile"}]}, timeout=10)
    assert added.status_code == 200, added.text
    person = added.json()["data"]
    assert (person["first_name"], person["last_name"], person["org_id"]) == ("Dana", "Documented", org_id)
    listed = api.get(base, params={"org_id": org_id, "limit": 500}, timeout=10).json()["data"]
    assert person["id"] in [p["id"] for p in listed] and {p["org_id"] for p in listed} == {org_id}
    moved = api.patch(f"{base}/{person['id']}", json={"org_id": None, "name": "Dana Moved"}, timeout=10)
    assert moved.status_code == 200
    assert (moved.json()["data"]["org_id"], moved.json()["data"]["last_name"]) == (None, "Moved")
    assert api.delete(f"{base}/{person['id']}", timeout=10).json() == {"success": True, "data": {"id": person["id"]}}


def test_person_merge_as_documented(api, control):
    """`PUT /v1/persons/{id}/merge` with `merge_with_id`: the person in the URL is merged into
    `merge_with_id`, whose data wins (https://developers.pipedrive.com/docs/api/v1/Persons#mergePersons,
    https://pipedrive.readme.io/docs/merging-two-persons)."""
    survivor, merged = control.records("contacts")[:2]
    answer = api.put(f"{api.base}/v1/persons/{merged['id']}/merge", json={"merge_with_id": survivor["id"]}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["id"] == survivor["id"]
    assert api.get(f"{api.base}/api/v2/persons/{merged['id']}", timeout=10).status_code == 404


def test_documented_validation_refusals(api):
    """API v2 is strict about types (https://pipedrive.readme.io/docs/pipedrive-api-v2-migration-guide: "Numeric
    fields no longer coerce string input to number and instead throw a validation error"): a string where a
    number belongs, a `visible_to` outside 1/3/5/7, a create without `name` are 400s with `success: false`.
    `updated_since` takes the documented whole-second form; its fractional form is refused as observed live
    (the switch `fractional_seconds` accepts it, as the guide's other example does)."""
    base = api.base + "/api/v2/organizations"
    for body in ({"name": "X", "owner_id": "5"}, {"name": "X", "visible_to": 2}, {"owner_id": 5}):
        refused = api.post(base, json=body, timeout=10)
        assert refused.status_code == 400, body
        assert refused.json()["success"] is False and refused.json()["error"]
    stale = api.get(base, params={"updated_since": "2024-01-01T10:20:00.123Z"}, timeout=10)
    assert stale.status_code == 400
    assert api.get(base, params={"updated_since": "2024-01-01T10:20:00Z"}, timeout=10).status_code == 200
