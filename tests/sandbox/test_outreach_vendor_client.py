"""Outreach's emulator driven by the requests Outreach's own documentation shows, sent as written.

No client installs alongside the rest of the test tools: Outreach publishes no SDK, and the widely used
`python-outreach` (0.1.5) pulls in `singer-python`, which pins `jsonschema==2.6.0` and would break
schemathesis and openapi-spec-validator. So these are the documented requests themselves, each citing the page
it comes from:
- [MR] https://developers.outreach.io/api/making-requests/ (media type, envelopes, 201/200/204, errors)
- [CP] https://developers.outreach.io/api/common-patterns (relationship writes, filters, sorting, paging)
- [OA] https://developers.outreach.io/api/oauth/ (authorization code, refresh token)
- [RL] https://developers.outreach.io/api/rate-limiting/ (X-RateLimit-* headers)
- [PR] https://developers.outreach.io/api/reference/tag/Prospect/ (prospect attributes and relationships)
The switches cover what those pages leave open (common.py: `media_type`, `page_size_over_max`,
`unauthorized_body`, `id_mismatch_status`; calls.py: `call_update`).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from unigate.sandbox import outreach

NAME = "outreach"
JSONAPI = "application/vnd.api+json"
# [MR]: every request carries the bearer token and the JSON:API media type.
HEADERS = {"Authorization": f"Bearer {outreach.SANDBOX_TOKEN}", "Content-Type": JSONAPI}


@pytest.fixture
def api(sandbox):
    control = sandbox.control(NAME)
    control.reset(count=30)
    yield control
    control.clear_faults()


def url(api, path: str) -> str:
    return f"{api.url}/api/v2{path}"


def test_documented_prospect_lifecycle(api):
    """[MR]/[PR]: create 201 `{"data": …}`, read 200, update (type and id in the document) 200, delete 204."""
    account_id = api.records("accounts")[0]["id"]
    created = requests.post(url(api, "/prospects"), headers=HEADERS, timeout=5, json={"data": {
        "type": "prospect",
        "attributes": {"firstName": "Sally", "lastName": "Smith", "emails": ["sally.smith@example.com"],
                       "workPhones": ["+1 555 0100"], "title": "CTO", "tags": ["new"]},
        "relationships": {"account": {"data": {"type": "account", "id": account_id}},
                          "owner": {"data": {"type": "user", "id": 1}}}}})
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith(JSONAPI)
    prospect = created.json()["data"]
    assert prospect["type"] == "prospect" and isinstance(prospect["id"], int)
    assert prospect["attributes"]["name"] == "Sally Smith"           # read-only, derived [PR]
    assert prospect["relationships"]["account"]["data"] == {"type": "account", "id": account_id}
    path = f"/prospects/{prospect['id']}"
    got = requests.get(url(api, path), headers=HEADERS, timeout=5)
    assert got.status_code == 200 and got.json()["data"]["attributes"]["emails"] == ["sally.smith@example.com"]
    updated = requests.patch(url(api, path), headers=HEADERS, timeout=5, json={"data": {
        "type": "prospect", "id": prospect["id"], "attributes": {"title": "CEO"}}})
    assert updated.status_code == 200 and updated.json()["data"]["attributes"]["title"] == "CEO"
    deleted = requests.delete(url(api, path), headers=HEADERS, timeout=5)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = requests.get(url(api, path), headers=HEADERS, timeout=5)
    assert gone.status_code == 404 and gone.json()["errors"][0]["id"] == "resourceNotFound"


def test_documented_filters_sorting_and_paging(api):
    """[CP]: `filter[emails]`, `filter[updatedAt]=<from>..inf`, `sort=-updatedAt`, `page[size]`, then `links.next`
    until it is absent; `count=false` drops `meta.count`."""
    email = api.records("contacts")[3]["attributes"]["emails"][0]
    by_email = requests.get(url(api, "/prospects"), headers=HEADERS, timeout=5, params={"filter[emails]": email})
    assert [p["attributes"]["emails"][0] for p in by_email.json()["data"]] == [email]
    since = requests.get(url(api, "/prospects"), headers=HEADERS, timeout=5,
                         params={"filter[updatedAt]": "2000-01-01T00:00:00Z..inf", "count": "false"})
    assert since.status_code == 200 and "meta" not in since.json()
    newest_first = requests.get(url(api, "/accounts"), headers=HEADERS, timeout=5, params={"sort": "-updatedAt"})
    assert newest_first.status_code == 200
    seen, next_url = [], url(api, "/accounts?page%5Bsize%5D=7")
    while next_url:
        page = requests.get(next_url, headers=HEADERS, timeout=5).json()
        seen += [a["id"] for a in page["data"]]
        next_url = page["links"].get("next")
        if next_url:
            assert parse_qs(urlsplit(next_url).query)["page[size]"] == ["7"]
    assert seen == [a["id"] for a in api.records("accounts")]


def test_documented_errors(api):
    """[MR]: a write without the media type is 415 `unsupportedMediaType` (the documented body spells its key
    `details`); a refused write is 422 `validationError` with `source.pointer`."""
    plain = requests.post(url(api, "/accounts"), timeout=5, json={"data": {"type": "account", "attributes": {}}},
                          headers={"Authorization": HEADERS["Authorization"], "Content-Type": "application/json"})
    assert plain.status_code == 415
    assert plain.json()["errors"][0]["id"] == "unsupportedMediaType" and "details" in plain.json()["errors"][0]
    nameless = requests.post(url(api, "/accounts"), headers=HEADERS, timeout=5,
                             json={"data": {"type": "account", "attributes": {"domain": "x.example"}}})
    assert nameless.status_code == 422
    assert nameless.json()["errors"][0]["source"] == {"pointer": "/data/attributes/name"}


def test_documented_rate_limit_headers(api):
    """[RL]: every answer carries X-RateLimit-Limit/-Remaining/-Reset (epoch seconds), 10,000 an hour."""
    answer = requests.get(url(api, "/accounts"), headers=HEADERS, timeout=5)
    assert answer.headers["X-RateLimit-Limit"] == "10000"
    assert int(answer.headers["X-RateLimit-Remaining"]) < 10000 and int(answer.headers["X-RateLimit-Reset"]) > 0


def test_documented_oauth_code_and_refresh(api):
    """[OA]: authorize → code; `POST /oauth/token` with client_id, client_secret, redirect_uri,
    grant_type=authorization_code and code; then grant_type=refresh_token. The access token works on the API."""
    redirect = "http://127.0.0.1:9/callback"
    client = {"client_id": f"sandbox-{NAME}-client-id", "client_secret": f"sandbox-{NAME}-client-secret"}
    authorize = requests.get(f"{api.url}/oauth/authorize", allow_redirects=False, timeout=5, params={
        "client_id": client["client_id"], "redirect_uri": redirect, "response_type": "code",
        "scope": "accounts.read prospects.read"})
    assert authorize.status_code == 302
    code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
    token = requests.post(f"{api.url}/oauth/token", timeout=5, data={
        **client, "redirect_uri": redirect, "grant_type": "authorization_code", "code": code})
    assert token.status_code == 200, token.text
    tokens = token.json()
    assert tokens["token_type"].lower() == "bearer" and tokens["expires_in"] > 0
    listed = requests.get(url(api, "/accounts"), timeout=5,
                          headers={"Authorization": f"Bearer {tokens['access_token']}", "Content-Type": JSONAPI})
    assert listed.status_code == 200
    refreshed = requests.post(f"{api.url}/oauth/token", timeout=5, data={
        **client, "redirect_uri": redirect, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != tokens["access_token"]


# -- the switches -------------------------------------------------------------------------------------
@pytest.mark.parametrize("media_type", ["all", "writes"])
def test_a_get_without_the_media_type(api, media_type):
    """[MR]: "All requests must specify the JSON API media type", else 415; documented requests carry it, so
    they pass either way, and a bare GET passes only on a lenient server (`writes`)."""
    api.switch(media_type=media_type)
    assert requests.get(url(api, "/accounts"), headers=HEADERS, timeout=5).status_code == 200
    bare = requests.get(url(api, "/accounts"), headers={"Authorization": HEADERS["Authorization"]}, timeout=5)
    assert bare.status_code == (200 if media_type == "writes" else 415)


@pytest.mark.parametrize("page_size_over_max", ["clamp", "refuse"])
def test_a_page_size_over_1000(api, page_size_over_max):
    api.switch(page_size_over_max=page_size_over_max)
    answer = requests.get(url(api, "/accounts"), headers=HEADERS, timeout=5, params={"page[size]": "1001"})
    if page_size_over_max == "clamp":
        assert answer.status_code == 200 and "page%5Bsize%5D=1000" in answer.json()["links"]["first"]
    else:
        assert answer.status_code == 400 and answer.json()["errors"][0]["id"] == "badRequest"


@pytest.mark.parametrize("unauthorized_body", ["jsonapi", "text"])
def test_a_refused_token(api, unauthorized_body):
    api.switch(unauthorized_body=unauthorized_body)
    answer = requests.get(url(api, "/accounts"), timeout=5, headers={**HEADERS, "Authorization": "Bearer nope"})
    assert answer.status_code == 401
    if unauthorized_body == "text":
        assert answer.text == outreach.UNAUTHORIZED_TEXT and answer.headers["content-type"].startswith("text/plain")
    else:
        assert answer.json() == {"errors": [outreach.UNAUTHORIZED_ERROR]}


@pytest.mark.parametrize("id_mismatch_status", [409, 400])
def test_an_update_whose_id_does_not_match_the_path(api, id_mismatch_status):
    api.switch(id_mismatch_status=id_mismatch_status)
    first, second = (a["id"] for a in api.records("accounts")[:2])
    answer = requests.patch(url(api, f"/accounts/{first}"), headers=HEADERS, timeout=5,
                            json={"data": {"type": "account", "id": second, "attributes": {"name": "X"}}})
    assert answer.status_code == id_mismatch_status


def test_a_path_that_names_no_endpoint(api):
    """Recorded from Outreach (amp-labs/connectors unsupported.json): 404 `routeNotFound`."""
    answer = requests.get(url(api, "/noSuchThings"), headers=HEADERS, timeout=5)
    assert answer.status_code == 404 and answer.json()["errors"][0]["id"] == "routeNotFound"


def test_documented_task_completion(api):
    """https://developers.outreach.io/api/reference/tag/Task/: a task about a prospect (its `subject`) is
    mirrored into the read-only `prospect`; `state` changes only through `actions/markComplete`."""
    prospect = api.records("contacts")[0]
    created = requests.post(url(api, "/tasks"), headers=HEADERS, timeout=5, json={"data": {
        "type": "task", "attributes": {"action": "call", "dueAt": "2027-01-15T10:00:00Z", "note": "Call Sally",
                                       "state": "complete"},
        "relationships": {"owner": {"data": {"type": "user", "id": 5}},
                          "subject": {"data": {"type": "prospect", "id": prospect["id"]}}}}})
    assert created.status_code == 201, created.text
    task = created.json()["data"]
    assert task["attributes"]["state"] == "incomplete"   # read-only: the sent value is ignored
    assert task["relationships"]["prospect"]["data"] == {"type": "prospect", "id": prospect["id"]}
    done = requests.post(url(api, f"/tasks/{task['id']}/actions/markComplete"), headers=HEADERS, timeout=5)
    assert done.status_code == 200 and done.json()["data"]["attributes"]["state"] == "complete"
    listed = requests.get(url(api, "/tasks"), params={"filter[prospect][id]": prospect["id"], "filter[state]": "complete"},
                          headers=HEADERS, timeout=5).json()["data"]
    assert task["id"] in [t["id"] for t in listed]
    wrong = requests.post(url(api, "/tasks"), headers=HEADERS, timeout=5, json={"data": {
        "type": "task", "attributes": {"action": "nap"}}})
    assert wrong.status_code == 422


@pytest.mark.parametrize("call_update", ["refused", "allowed"])
def test_documented_call_logging(api, call_update):
    """https://developers.outreach.io/api/reference/tag/Call/: POST, GET and DELETE; the OpenAPI has no PATCH
    while the hyper-schema names an update link (switch `call_update`)."""
    api.switch(call_update=call_update)
    prospect = api.records("contacts")[0]
    created = requests.post(url(api, "/calls"), headers=HEADERS, timeout=5, json={"data": {
        "type": "call", "attributes": {"direction": "outbound", "outcome": "Answered", "note": "Intro",
                                       "dialedAt": "2027-01-15T10:00:00Z", "completedAt": "2027-01-15T10:05:00Z"},
        "relationships": {"prospect": {"data": {"type": "prospect", "id": prospect["id"]}}}}})
    assert created.status_code == 201, created.text
    call_id = created.json()["data"]["id"]
    patched = requests.patch(url(api, f"/calls/{call_id}"), headers=HEADERS, timeout=5,
                             json={"data": {"type": "call", "id": call_id, "attributes": {"note": "Changed"}}})
    assert patched.status_code == (404 if call_update == "refused" else 200)
    bad = requests.post(url(api, "/calls"), headers=HEADERS, timeout=5,
                        json={"data": {"type": "call", "attributes": {"direction": "sideways"}}})
    assert bad.status_code == 422
    assert requests.delete(url(api, f"/calls/{call_id}"), headers=HEADERS, timeout=5).status_code == 204


def test_documented_prospect_note(api):
    """https://developers.outreach.io/api/reference/tag/Prospect-Note/: `opportunityAssociationRule` is
    write-only, a note has no `updatedAt`, and `filter[prospect][id]` lists a prospect's notes."""
    prospect = api.records("contacts")[0]
    created = requests.post(url(api, "/prospectNotes"), headers=HEADERS, timeout=5, json={"data": {
        "type": "prospectNote", "attributes": {"message": "Hi", "noteType": "coffee",
                                               "opportunityAssociationRule": "recent_updated"},
        "relationships": {"prospect": {"data": {"type": "prospect", "id": prospect["id"]}}}}})
    assert created.status_code == 201, created.text
    attributes = created.json()["data"]["attributes"]
    assert attributes["noteType"] == "coffee" and "opportunityAssociationRule" not in attributes
    assert "updatedAt" not in attributes and attributes["createdAt"]
    listed = requests.get(url(api, "/prospectNotes"), params={"filter[prospect][id]": prospect["id"]},
                          headers=HEADERS, timeout=5).json()["data"]
    assert created.json()["data"]["id"] in [n["id"] for n in listed]
    wrong = requests.post(url(api, "/prospectNotes"), headers=HEADERS, timeout=5, json={"data": {
        "type": "prospectNote", "attributes": {"message": "x", "noteType": "lunch"},
        "relationships": {"prospect": {"data": {"type": "prospect", "id": prospect["id"]}}}}})
    assert wrong.status_code == 422
