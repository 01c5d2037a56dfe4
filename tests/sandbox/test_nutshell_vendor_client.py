"""Nutshell's emulator driven by the requests Nutshell's own documentation shows, sent as written.

Nutshell publishes no REST client; the `nutshell` package on PyPI wraps the older JSON-RPC API, which the
gateway does not use. So these are the documented REST requests themselves, each citing its page:
- [QS] https://developers.nutshell.com/docs/quickstart (HTTP Basic with the user's email and API key; a JSON
  Patch update of `/contacts/0/firstName`)
- [AU] https://developers.nutshell.com/docs/api-authentication
- [OAS] https://app.nutshell.com/swagger.json (reference pages under https://developers.nutshell.com/reference):
  the contact create example, 0-based `page[page]`, `email=`, soft delete and undelete, status codes.
- [REC] answers recorded from Nutshell in amp-labs/connectors `providers/nutshell/test/...` (error texts).
The switches cover what those sources leave open or disagree on (`nutshell.SWITCHES`).
"""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox import nutshell

NAME = "nutshell"
AUTH = (nutshell.SANDBOX_USERNAME, nutshell.SANDBOX_API_KEY)   # [AU]: email + API key, HTTP Basic
PATCH = {"Content-Type": "application/json-patch+json"}        # [QS]


@pytest.fixture
def api(sandbox):
    control = sandbox.control(NAME)
    control.reset(count=12)
    yield control
    control.clear_faults()


def rest(api, path: str) -> str:
    return f"{api.url}/rest{path}"


def test_documented_contact_lifecycle(api):
    """[OAS] create example (one contact in a list) → 200; [QS] JSON Patch of firstName → 204; DELETE → 204;
    undelete → 200."""
    account_id = api.records("accounts")[0]["id"]
    created = requests.post(rest(api, "/contacts"), auth=AUTH, timeout=5, json={"contacts": [{
        "name": "Jane Doe", "description": "Met at the trade show",
        "phones": [{"isPrimary": True, "name": "work", "value": "+1 734-555-0100"}],
        "emails": [{"isPrimary": True, "name": "work", "value": "jane@acme.example"}],
        "urls": [{"value": "https://acme.example/jane"}],
        "addresses": [{"isPrimary": True, "name": "office", "value": {
            "address_1": "206 E Huron St", "city": "Ann Arbor", "state": "MI", "postalCode": "48104", "country": "US"}}],
        "links": {"accounts": [account_id], "owner": "1-users"}}]})
    assert created.status_code == 200, created.text
    contact = created.json()["contacts"][0]
    assert contact["id"].endswith("-contacts") and contact["links"]["accounts"] == [account_id]
    assert contact["phones"][0]["value"]["E164"] == "+17345550100"          # read back as an object [OAS]
    assert contact["addresses"][0]["value"]["city"] == "Ann Arbor"
    patched = requests.patch(rest(api, f"/contacts/{contact['id']}"), auth=AUTH, headers=PATCH, timeout=5,
                             json=[{"op": "replace", "path": "/contacts/0/firstName", "value": "Nutty"}])
    assert patched.status_code == 204 and patched.content == b""
    got = requests.get(rest(api, f"/contacts/{contact['id']}"), auth=AUTH, timeout=5).json()["contacts"][0]
    assert got["firstName"] == "Nutty"
    assert requests.delete(rest(api, f"/contacts/{contact['id']}"), auth=AUTH, timeout=5).status_code == 204
    restored = requests.post(rest(api, f"/contacts/{contact['id']}/undelete"), auth=AUTH, timeout=5)
    assert restored.status_code == 200 and "deletedTime" not in restored.json()["contacts"][0]


def test_documented_paging_and_search(api):
    """[OAS]: `page[limit]` with a 0-based `page[page]`, a page past the end is empty; `email=` matches exactly.
    [REC]: a negative page is 400 "Invalid page number: -1" in the errors envelope."""
    first = requests.get(rest(api, "/accounts"), auth=AUTH, timeout=5, params={"page[limit]": 5, "page[page]": 0})
    body = first.json()
    assert first.status_code == 200 and len(body["accounts"]) == 5 and body["meta"]["total"] == 12
    beyond = requests.get(rest(api, "/accounts"), auth=AUTH, timeout=5, params={"page[limit]": 5, "page[page]": 3})
    assert beyond.status_code == 200 and beyond.json()["accounts"] == []
    negative = requests.get(rest(api, "/accounts"), auth=AUTH, timeout=5, params={"page[page]": -1})
    assert negative.status_code == 400
    assert negative.json()["errors"][0]["detail"] == "Invalid page number: -1"
    assert negative.json()["errors"][0]["status"] == "400"                 # a string [REC]
    email = api.records("contacts")[1]["emails"][0]["value"]
    found = requests.get(rest(api, "/contacts"), auth=AUTH, timeout=5, params={"email": email}).json()["contacts"]
    assert [c["emails"][0]["value"] for c in found] == [email]


def test_documented_refusals(api):
    """[REC]: two accounts in one create → 400 "You may only create one accounts resource per request."; a PATCH
    without the JSON Patch media type → 400 with a bare text body. [AU]: a wrong key → 401."""
    two = requests.post(rest(api, "/accounts"), auth=AUTH, timeout=5,
                        json={"accounts": [{"name": "One"}, {"name": "Two"}]})
    assert two.status_code == 400
    assert two.json()["errors"][0]["title"] == "You may only create one accounts resource per request."
    account_id = api.records("accounts")[0]["id"]
    plain = requests.patch(rest(api, f"/accounts/{account_id}"), auth=AUTH, timeout=5,
                           json=[{"op": "replace", "path": "/accounts/0/name", "value": "X"}])
    assert plain.status_code == 400 and plain.json() == nutshell.PATCH_CONTENT_TYPE_ERROR
    refused = requests.get(rest(api, "/accounts"), auth=(nutshell.SANDBOX_USERNAME, "wrong"), timeout=5)
    assert refused.status_code == 401


# -- the switches -------------------------------------------------------------------------------------
@pytest.mark.parametrize("account_patch_status", [200, 204])
def test_an_account_patch(api, account_patch_status):
    """[OAS] says 204 No Content, [REC] 200 with the account: either way the change is stored."""
    api.switch(account_patch_status=account_patch_status)
    account_id = api.records("accounts")[0]["id"]
    answer = requests.patch(rest(api, f"/accounts/{account_id}"), auth=AUTH, headers=PATCH, timeout=5,
                            json=[{"op": "replace", "path": "/accounts/0/name", "value": "Patched Co"}])
    assert answer.status_code == account_patch_status
    if account_patch_status == 200:
        assert answer.json()["accounts"][0]["name"] == "Patched Co"
    else:
        assert answer.content == b""
    assert next(a for a in api.records("accounts") if a["id"] == account_id)["name"] == "Patched Co"


@pytest.mark.parametrize("deleted_readable", [True, False])
def test_reading_a_deleted_record(api, deleted_readable):
    """[OAS]: deleted records keep `deletedTime` and can be undeleted; whether GET still answers them is open."""
    api.switch(deleted_readable=deleted_readable)
    account_id, contact_id = api.records("accounts")[1]["id"], api.records("contacts")[1]["id"]
    assert requests.delete(rest(api, f"/accounts/{account_id}"), auth=AUTH, timeout=5).status_code == 200
    assert requests.delete(rest(api, f"/contacts/{contact_id}"), auth=AUTH, timeout=5).status_code == 204
    for path, kind in ((f"/accounts/{account_id}", "accounts"), (f"/contacts/{contact_id}", "contacts")):
        answer = requests.get(rest(api, path), auth=AUTH, timeout=5)
        if deleted_readable:
            assert answer.status_code == 200 and "deletedTime" in answer.json()[kind][0]
        else:
            assert answer.status_code == 404 and answer.json()[kind] == []


@pytest.mark.parametrize("contact_created_time", [True, False])
def test_a_contact_s_created_time(api, contact_created_time):
    """`createdTime` is in the [OAS] contact schema, absent from [REC] answers."""
    api.switch(contact_created_time=contact_created_time)
    contacts = requests.get(rest(api, "/contacts"), auth=AUTH, timeout=5).json()["contacts"]
    assert contacts and all(("createdTime" in c) is contact_created_time for c in contacts)


@pytest.mark.parametrize("contact_identity_required", [True, False])
def test_a_contact_with_nothing_identifying(api, contact_identity_required):
    """[OAS] requires an identifying field on accounts; for contacts it is open."""
    api.switch(contact_identity_required=contact_identity_required)
    answer = requests.post(rest(api, "/contacts"), auth=AUTH, timeout=5,
                           json={"contacts": [{"description": "No name, phone or email"}]})
    assert answer.status_code == (422 if contact_identity_required else 200), answer.text


def test_a_path_that_names_no_endpoint(api):
    """[REC]: an unknown route is an HTML page titled "An Error Occurred: Not Found", HTTP 404."""
    answer = requests.get(rest(api, "/no-such-things"), auth=AUTH, timeout=5)
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert "<title>An Error Occurred: Not Found</title>" in answer.text


@pytest.mark.parametrize("sort", ["name", "-createdTime", "owner", "industry", "accountType", "numberOfContacts",
                                  "phone", "postalCode", "territory", "lastContactedTime"])
def test_documented_account_sort_keys(api, sort):
    """[OAS]: GET /accounts sorts by any of its listed keys, `-` for descending; another key is 400."""
    answer = requests.get(rest(api, "/accounts"), auth=AUTH, timeout=5, params={"sort": sort, "page[limit]": 50})
    assert answer.status_code == 200 and len(answer.json()["accounts"]) == 12
    if sort in ("name", "-createdTime"):
        key = sort.lstrip("-")
        values = [a[key] for a in answer.json()["accounts"]]
        assert values == sorted(values, reverse=sort.startswith("-"))


def test_an_account_sort_key_outside_the_list_and_the_email_filter(api):
    assert requests.get(rest(api, "/accounts"), auth=AUTH, timeout=5, params={"sort": "revenue"}).status_code == 400
    email = api.records("accounts")[4]["emails"][0]["value"]
    found = requests.get(rest(api, "/accounts"), auth=AUTH, timeout=5, params={"email": email}).json()["accounts"]
    assert [a["emails"][0]["value"] for a in found] == [email]
