"""The Outreach emulator over loopback HTTP: JSON:API accounts and prospects
(https://developers.outreach.io/api/making-requests/, https://developers.outreach.io/api/reference/tag/Prospect/)."""

from __future__ import annotations

import time

import pytest
import requests

from unigate.sandbox import outreach
from unigate.sandbox.base import EmulatorMount
from unigate.serving import start_in_thread

JSONAPI = "application/vnd.api+json"
AUTH = {"Authorization": f"Bearer {outreach.SANDBOX_TOKEN}"}
# Every request carries the media type ("All requests must specify the JSON API media type",
# https://developers.outreach.io/api/making-requests/).
WRITE = {**AUTH, "Content-Type": JSONAPI}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("outreach")
    control.reset()
    return control


def url(ctl, path=""):
    return f"{ctl.url}/api/v2/accounts{path}"


def test_missing_and_wrong_token_get_401(ctl):
    """Bearer OAuth token; a missing or invalid token is 401 with a JSON:API errors[] body."""
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {outreach.SANDBOX_TOKEN}"}):
        answer = requests.get(url(ctl), headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith(JSONAPI)
        error = answer.json()["errors"][0]
        assert set(error) >= {"id", "title", "detail"}


def test_write_without_jsonapi_media_type_is_415(ctl):
    """Wrong Content-Type gives 415 unsupportedMediaType."""
    body = {"data": {"type": "account", "attributes": {"name": "X"}}}
    answer = requests.post(url(ctl), json=body, headers=AUTH, timeout=5)
    assert answer.status_code == 415
    error = answer.json()["errors"][0]
    assert error["id"] == "unsupportedMediaType"
    assert error["details"] == "Expected Content-Type header to be 'application/vnd.api+json'."
    assert len(ctl.records("accounts")) == 60


def test_get_returns_integer_ids_and_singular_type(ctl):
    """Ids are JSON integers and `type` is the singular "account"; get shape with links.self."""
    first = ctl.records("accounts")[0]
    answer = requests.get(url(ctl, f"/{first['id']}"), headers=WRITE, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(JSONAPI)
    data = answer.json()["data"]
    assert data["type"] == "account" and isinstance(data["id"], int)
    assert data["links"]["self"].endswith(f"/api/v2/accounts/{data['id']}")
    assert data["relationships"]["owner"]["data"]["type"] == "user"
    assert data["attributes"] == first["attributes"]


def test_seed_fills_account_attributes(ctl):
    """Every account attribute is filled in the seed, timestamps ISO-8601 UTC with Z."""
    record = ctl.records("accounts")[0]
    attributes = record["attributes"]
    for key in ("name", "domain", "websiteUrl", "linkedInUrl", "industry", "numberOfEmployees", "description",
                "locality", "tags", "custom1", "createdAt", "updatedAt", "touchedAt"):
        assert attributes[key] not in (None, "", []), key
    assert attributes["createdAt"].endswith("Z")
    assert "custom150" in attributes
    assert record["relationships"]["owner"]["data"]["id"] in outreach.SANDBOX_USER_IDS


def test_unknown_id_is_404_resource_not_found(ctl):
    """A missing id gives 404 with errors[{id,title,detail}] (resourceNotFound per making-requests)."""
    for path in ("/999999", "/abc"):
        answer = requests.get(url(ctl, path), headers=WRITE, timeout=5)
        assert answer.status_code == 404
        error = answer.json()["errors"][0]
        assert error["id"] == "resourceNotFound"
        assert error["detail"].startswith("Could not find 'account' with ID")


def test_pagination_follows_links_next_without_duplicates(ctl):
    """page[size] then links.next (a full URL carrying page[after]) until it is absent."""
    ctl.reset(237)
    seen: list[int] = []
    next_url = f"{url(ctl)}?page[size]=50&count=false"
    pages = 0
    while next_url:
        answer = requests.get(next_url, headers=WRITE, timeout=5)
        assert answer.status_code == 200
        body = answer.json()
        assert "meta" not in body  # count=false skips the total
        seen += [r["id"] for r in body["data"]]
        next_url = body["links"].get("next")
        if next_url:
            assert "page%5Bafter%5D=" in next_url and next_url.startswith(ctl.url)
        pages += 1
    assert pages == 5
    assert len(seen) == len(set(seen)) == 237
    assert seen == sorted(seen)


def test_default_page_size_count_and_max(ctl):
    """Default page size 50 (conventions), meta.count with the total, page[size] capped at 1000."""
    body = requests.get(url(ctl), headers=WRITE, timeout=5).json()
    assert len(body["data"]) == outreach.DEFAULT_PAGE_SIZE
    assert body["meta"]["count"] == 60
    ctl.reset(1200)
    body = requests.get(url(ctl), params={"page[size]": 5000, "count": "false"}, headers=WRITE, timeout=10).json()
    assert len(body["data"]) == outreach.MAX_PAGE_SIZE
    assert "next" in body["links"]


def test_filter_by_name_and_id_range(ctl):
    """filter[name]=... and range filters like filter[id]=a..b."""
    name = ctl.records("accounts")[3]["attributes"]["name"]
    body = requests.get(url(ctl), params={"filter[name]": name}, headers=WRITE, timeout=5).json()
    assert [r["attributes"]["name"] for r in body["data"]] == [name]
    body = requests.get(url(ctl), params={"filter[id]": "5..9"}, headers=WRITE, timeout=5).json()
    assert [r["id"] for r in body["data"]] == [5, 6, 7, 8, 9]


def test_create_is_201_with_resource_document(ctl):
    """POST /accounts with a JSON:API document returns 201 and the created resource."""
    body = {"data": {"type": "account", "attributes": {
        "name": "Northwind", "domain": "northwind.example", "websiteUrl": "https://northwind.example",
        "industry": "Retail", "numberOfEmployees": 250, "description": "Traders", "tags": ["vip"],
        "custom1": "gold"},
        "relationships": {"owner": {"data": {"type": "user", "id": 5}}}}}
    answer = requests.post(url(ctl), json=body, headers=WRITE, timeout=5)
    assert answer.status_code == 201
    data = answer.json()["data"]
    assert isinstance(data["id"], int)
    assert data["attributes"]["name"] == "Northwind" and data["attributes"]["numberOfEmployees"] == 250
    assert data["relationships"]["owner"]["data"] == {"type": "user", "id": 5}
    assert data["attributes"]["createdAt"].endswith("Z")
    stored = [r for r in ctl.records("accounts") if r["id"] == data["id"]]
    assert stored and stored[0]["attributes"]["tags"] == ["vip"]


def test_create_validation_errors_are_422_with_pointer(ctl):
    """Validation errors are 422 validationError with source.pointer."""
    cases = [
        ({"description": "no name"}, "/data/attributes/name"),
        ({"name": "X", "numberOfEmployees": "many"}, "/data/attributes/numberOfEmployees"),
        ({"name": "X", "notAnAttribute": 1}, "/data/attributes/notAnAttribute"),
    ]
    for attributes, pointer in cases:
        answer = requests.post(url(ctl), json={"data": {"type": "account", "attributes": attributes}},
                               headers=WRITE, timeout=5)
        assert answer.status_code == 422, attributes
        error = answer.json()["errors"][0]
        assert error["id"] == "validationError" and error["source"]["pointer"] == pointer


def test_update_patch_requires_matching_id(ctl):
    """PATCH with data.id matching the URL returns 200 with the full resource; a mismatch is refused."""
    record = ctl.records("accounts")[0]
    rid = record["id"]
    patch = {"data": {"type": "account", "id": rid, "attributes": {"industry": "Energy"}}}
    answer = requests.patch(url(ctl, f"/{rid}"), json=patch, headers=WRITE, timeout=5)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["attributes"]["industry"] == "Energy"
    assert data["attributes"]["name"] == record["attributes"]["name"]  # untouched attributes stay
    assert data["attributes"]["updatedAt"] != record["attributes"]["updatedAt"]
    wrong = {"data": {"type": "account", "id": rid + 1, "attributes": {"industry": "Retail"}}}
    assert requests.patch(url(ctl, f"/{rid}"), json=wrong, headers=WRITE, timeout=5).status_code == outreach.ID_MISMATCH_STATUS
    missing = {"data": {"type": "account", "attributes": {"industry": "Retail"}}}
    assert requests.patch(url(ctl, f"/{rid}"), json=missing, headers=WRITE, timeout=5).status_code == 400
    assert requests.patch(url(ctl, "/999999"), json=patch, headers=WRITE, timeout=5).status_code == 404


def test_delete_is_204_then_404(ctl):
    """DELETE returns 204 with an empty body; deletion is permanent so a second delete is 404."""
    rid = ctl.records("accounts")[0]["id"]
    answer = requests.delete(url(ctl, f"/{rid}"), headers=WRITE, timeout=5)
    assert answer.status_code == 204 and answer.content == b""
    assert requests.get(url(ctl, f"/{rid}"), headers=WRITE, timeout=5).status_code == 404
    assert requests.delete(url(ctl, f"/{rid}"), headers=WRITE, timeout=5).status_code == 404
    assert len(ctl.records("accounts")) == 59


def test_rate_limit_headers_on_every_answer(ctl):
    """Every response carries X-RateLimit-Limit/-Remaining/-Reset (epoch seconds)."""
    first = requests.get(url(ctl), headers=WRITE, timeout=5)
    second = requests.get(url(ctl, "/1"), headers=WRITE, timeout=5)
    missing = requests.get(url(ctl, "/999999"), headers=WRITE, timeout=5)
    for answer in (first, second, missing):
        assert answer.headers["X-RateLimit-Limit"] == "10000"
        assert int(answer.headers["X-RateLimit-Reset"]) > time.time()
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1


def test_exhausted_rate_limit_is_429():
    """Exceeding the hourly limit gives 429 rateLimitExceeded with the X-RateLimit-* headers."""
    emulator = outreach.OutreachEmulator()
    emulator.rate_limit = 2
    server = start_in_thread(EmulatorMount(emulator))
    try:
        target = f"{server.url}/api/v2/accounts/1"
        assert requests.get(target, headers=WRITE, timeout=5).status_code == 200
        assert requests.get(target, headers=WRITE, timeout=5).status_code == 200
        answer = requests.get(target, headers=WRITE, timeout=5)
        assert answer.status_code == 429
        assert answer.json()["errors"][0]["id"] == "rateLimitExceeded"
        assert answer.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" in answer.headers
    finally:
        server.stop()


def test_a_seed_of_ten_thousand_reads_from_its_last_ids(ctl):
    """10,000 records seed and a page starts at any id (cursor by id); speed is measured in bench/, not here.
    Only the accounts read here are reseeded (every resource at 10,000 is seven seeds' worth of time)."""
    ctl.reset(10000, resource="accounts")
    body = requests.get(url(ctl), params={"filter[id]": "9990..inf", "page[size]": 1000, "count": "false"},
                        headers=WRITE, timeout=5).json()
    assert [r["id"] for r in body["data"]][0] == 9990 and len(body["data"]) == 11


# -- prospects (https://developers.outreach.io/api/reference/tag/Prospect/) --------------------------------------
def prospects(ctl, path=""):
    return f"{ctl.url}/api/v2/prospects{path}"


def test_prospects_page_with_links_next_and_filter_by_email_and_account(ctl):
    """page[size] + links.next replaying the query; filter[emails] matches any email, filter[account][id] the link."""
    seen, link = [], prospects(ctl) + "?page[size]=25&count=false"
    while link:
        answer = requests.get(link, headers=WRITE, timeout=5)
        assert answer.status_code == 200
        body = answer.json()
        assert "meta" not in body
        seen += [p["id"] for p in body["data"]]
        link = body["links"].get("next")
        assert link is None or "page%5Bsize%5D=25" in link
    assert seen == sorted(seen) and len(seen) == 60
    second_email = next(r for r in ctl.records("contacts") if len(r["attributes"]["emails"]) > 1)
    found = requests.get(prospects(ctl), params={"filter[emails]": second_email["attributes"]["emails"][1]},
                         headers=WRITE, timeout=5).json()
    assert [p["id"] for p in found["data"]] == [second_email["id"]] and found["meta"]["count"] == 1
    account_id = second_email["relationships"]["account"]["data"]["id"]
    linked = requests.get(prospects(ctl), params={"filter[account][id]": account_id}, headers=WRITE, timeout=5).json()
    assert linked["data"] and all(p["relationships"]["account"]["data"]["id"] == account_id for p in linked["data"])
    for bad in ({"filter[account][id]": "x"}, {"filter[nope]": "1"}, {"page[size]": "0"}):
        refused = requests.get(prospects(ctl), params=bad, headers=WRITE, timeout=5)
        assert refused.status_code == 400 and refused.json()["errors"][0]["id"] == "badRequest"


def test_prospect_create_derives_name_and_company_and_links_the_account(ctl):
    """201 with the full resource: `name` is derived (read-only, a sent one is ignored), `company` is the account's name."""
    account = ctl.records("accounts")[1]
    body = {"data": {"type": "prospect",
                     "attributes": {"firstName": "Ann", "lastName": "Lee", "name": "ignored", "emails": ["ann@x.example"]},
                     "relationships": {"account": {"data": {"type": "account", "id": account["id"]}}}}}
    answer = requests.post(prospects(ctl), json=body, headers=WRITE, timeout=5)
    assert answer.status_code == 201
    data = answer.json()["data"]
    assert data["type"] == "prospect" and isinstance(data["id"], int)
    assert data["attributes"]["name"] == "Ann Lee" and data["attributes"]["company"] == account["attributes"]["name"]
    assert data["relationships"]["account"]["data"] == {"type": "account", "id": account["id"]}
    assert answer.headers["location"].endswith(f"/api/v2/prospects/{data['id']}")
    only_email = requests.post(prospects(ctl), json={"data": {"type": "prospect", "attributes": {"emails": ["solo@x.example"]}}},
                               headers=WRITE, timeout=5)
    assert only_email.status_code == 201 and only_email.json()["data"]["attributes"]["name"] == "solo@x.example"
    # no account sent: Outreach links a new unnamed account (no name, named: false), listed like any other
    unnamed_id = only_email.json()["data"]["relationships"]["account"]["data"]["id"]
    unnamed = requests.get(url(ctl, f"/{unnamed_id}"), headers=WRITE, timeout=5).json()["data"]["attributes"]
    assert unnamed["named"] is False and unnamed["name"] is None
    assert only_email.json()["data"]["attributes"]["company"] is None
    assert len(ctl.records("accounts")) == 61


def test_prospect_validation_errors_are_422_with_pointer(ctl):
    """Unknown attributes, wrong types, over-long values, duplicate emails, unknown accounts, read-only relationships."""
    taken = ctl.records("contacts")[0]["attributes"]["emails"][0]
    cases = [
        ({"attributes": {"nope": 1}}, "validationError", "/data/attributes/nope"),
        ({"attributes": {"emails": "a@b.example"}}, "validationError", "/data/attributes/emails"),
        ({"attributes": {"firstName": "x" * 256}}, "validationDataTooLongError", "/data/attributes/firstName"),
        ({"attributes": {"emails": [taken.upper()]}}, "validationError", "/data"),
        ({"relationships": {"account": {"data": {"type": "account", "id": 999999}}}}, "validationError",
         "/data/relationships/account"),
        ({"relationships": {"creator": {"data": {"type": "user", "id": 1}}}}, "validationError",
         "/data/relationships/creator"),
    ]
    for data, error_id, pointer in cases:
        answer = requests.post(prospects(ctl), json={"data": {"type": "prospect", **data}}, headers=WRITE, timeout=5)
        assert answer.status_code == 422, data
        error = answer.json()["errors"][0]
        assert error["id"] == error_id and error["source"]["pointer"] == pointer, error
    assert len(ctl.records("contacts")) == 60


def test_prospect_patch_delete_and_404(ctl):
    """PATCH needs matching type/id (409 otherwise) and may keep its own email; DELETE 204 then 404 everywhere."""
    record = ctl.records("contacts")[0]
    same = {"data": {"type": "prospect", "id": record["id"],
                     "attributes": {"emails": record["attributes"]["emails"], "lastName": "Renamed"}}}
    answer = requests.patch(prospects(ctl, f"/{record['id']}"), json=same, headers=WRITE, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["data"]["attributes"]["name"] == f"{record['attributes']['firstName']} Renamed"
    wrong = {"data": {"type": "account", "id": record["id"], "attributes": {}}}
    assert requests.patch(prospects(ctl, f"/{record['id']}"), json=wrong, headers=WRITE, timeout=5).status_code == 409
    assert requests.delete(prospects(ctl, f"/{record['id']}"), headers=WRITE, timeout=5).status_code == 204
    for method in ("GET", "DELETE"):
        gone = requests.request(method, prospects(ctl, f"/{record['id']}"), headers=WRITE, timeout=5)
        assert gone.status_code == 404
        assert gone.json()["errors"][0] == {"id": "resourceNotFound", "title": "Resource Not Found",
                                            "detail": f"Could not find 'prospect' with ID '{record['id']}'."}
    assert requests.get(prospects(ctl, "/abc"), headers=WRITE, timeout=5).status_code == 404


def test_prospects_share_auth_and_rate_limit_headers(ctl):
    """The emulator's guard covers the new routes: 401 without a token, X-RateLimit-* on every answer."""
    assert requests.get(prospects(ctl), timeout=5).status_code == 401
    answer = requests.get(prospects(ctl), headers=WRITE, timeout=5)
    assert answer.headers["X-RateLimit-Limit"] == "10000"
    assert requests.post(prospects(ctl), json={}, headers=AUTH, timeout=5).status_code == 415
