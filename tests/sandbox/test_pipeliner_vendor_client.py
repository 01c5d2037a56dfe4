"""Pipeliner's emulator driven by the requests Pipeliner's own documentation shows, sent as written.

Pipeliner publishes no Python client (the `pipeliner` package on PyPI is an unrelated task runner), so these
are the documented requests themselves, each citing its page under https://developers.pipelinersales.com/api-docs/:
- [AUTH] overview/authentication: HTTP Basic with the space's API username and password.
- [ACC] tutorials-and-articles/create-account: `POST /entities/Accounts` with `name` and `owner_id`, the
  industry from the `Fields` data set, finding an account by `filter[email1]`.
- [CON] tutorials-and-articles/create-contact: `POST /entities/Contacts` with `owner_id` and a name; the
  account link as `account_relations`.
- [PAG] core-api-concepts/pagination: `first` (default 30, at most 100) and `after=<end_cursor>`.
- [PAR] core-api-concepts/api-parameters: `filter[...]`/`filter-op[...]`, `order-by`, `load-only`, `expand`,
  `include-deleted`.
- [DAT] core-api-concepts/dates: `YYYY-MM-DD HH:MM:SS.ffffff+00:00`, the `Timezone` header.
The switches cover where the vendor's sources disagree (common.SWITCHES).
"""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox import pipeliner

NAME = "pipeliner"
AUTH = (pipeliner.SANDBOX_USERNAME, pipeliner.SANDBOX_PASSWORD)   # [AUTH]


@pytest.fixture
def api(sandbox):
    control = sandbox.control(NAME)
    control.reset(count=45)
    yield control
    control.clear_faults()


def entities(api, path: str) -> str:
    return f"{api.url}/api/v100/rest/spaces/{pipeliner.SANDBOX_SPACE_ID}/entities{path}"


def test_documented_account_create_and_lookup(api):
    """[ACC]: the Industry field's data set gives `industry_id`; the create answers `{"success": true,
    "data": {...}}` with `created` in Pipeliner's date format [DAT]; `filter[email1]` finds it."""
    fields = requests.get(entities(api, "/Fields"), auth=AUTH, timeout=5,
                          params={"filter[api_name]": "industry_id", "expand": "data_set"}).json()["data"]
    industry = fields[0]["data_set"][0]["id"]
    owner = pipeliner.CLIENTS[0]["id"]
    created = requests.post(entities(api, "/Accounts"), auth=AUTH, timeout=5, json={
        "name": "Tutorial Account", "owner_id": owner, "industry_id": industry, "email1": "hello@tutorial.example"})
    assert created.status_code == 200, created.text
    account = created.json()
    assert account["success"] is True and account["data"]["industry_id"] == industry
    assert account["data"]["created"][10] == " " and account["data"]["created"].endswith("+00:00")
    found = requests.get(entities(api, "/Accounts"), auth=AUTH, timeout=5,
                         params={"filter[email1]": "hello@tutorial.example"}).json()
    assert [a["id"] for a in found["data"]] == [account["data"]["id"]] and found["total"] == 1


def test_documented_contact_create_with_its_account(api):
    """[CON]: owner, names, email and the primary account relation; `expand=primary_account` inlines it [PAR]."""
    account_id = api.records("accounts")[3]["id"]
    created = requests.post(entities(api, "/Contacts"), auth=AUTH, timeout=5, json={
        "owner_id": pipeliner.CLIENTS[1]["id"], "first_name": "John", "last_name": "Doe",
        "email1": "john.doe@example.com", "account_relations": [{"account_id": account_id, "is_primary": True}]})
    assert created.status_code == 200, created.text
    contact_id = created.json()["data"]["id"]
    got = requests.get(entities(api, f"/Contacts/{contact_id}"), auth=AUTH, timeout=5,
                       params={"expand": "primary_account"}).json()["data"]
    assert got["formatted_name"] == "John Doe" and got["primary_account"]["id"] == account_id


def test_documented_paging_filters_and_dates(api):
    """[PAG]: 30 by default, `first`/`after` until `has_next_page` is false; [PAR]: `order-by=-modified`,
    `load-only`; [DAT]: the `Timezone` header renders dates in that zone."""
    default = requests.get(entities(api, "/Accounts"), auth=AUTH, timeout=5).json()
    assert len(default["data"]) == 30 and default["total"] == 45 and default["page_info"]["has_next_page"]
    seen, after = [], None
    while True:
        params = {"first": 20, **({"after": after} if after else {})}
        page = requests.get(entities(api, "/Accounts"), auth=AUTH, timeout=5, params=params).json()
        seen += [a["id"] for a in page["data"]]
        if not page["page_info"]["has_next_page"]:
            break
        after = page["page_info"]["end_cursor"]
    assert len(seen) == len(set(seen)) == 45
    newest = requests.get(entities(api, "/Accounts"), auth=AUTH, timeout=5,
                          params={"order-by": "-modified", "load-only": "id,name,modified"}).json()["data"]
    assert set(newest[0]) == {"id", "name", "modified"}
    assert [a["modified"] for a in newest] == sorted((a["modified"] for a in newest), reverse=True)
    chicago = requests.get(entities(api, "/Accounts"), auth=AUTH, timeout=5, params={"first": 1},
                           headers={"Timezone": "America/Chicago"}).json()["data"][0]
    assert chicago["created"].endswith(("-05:00", "-06:00"))


def test_documented_soft_delete_and_refusals(api):
    """[PAR]: a deleted account is listed again with `include-deleted=true`; [AUTH]: wrong credentials are 401;
    a contact without `owner_id` is 422 ERROR_ENTITY_VALIDATION naming the field."""
    account_id = api.records("accounts")[0]["id"]
    deleted = requests.delete(entities(api, f"/Accounts/{account_id}"), auth=AUTH, timeout=5)
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "data": account_id}
    assert requests.get(entities(api, f"/Accounts/{account_id}"), auth=AUTH, timeout=5).status_code == 404
    kept = requests.get(entities(api, "/Accounts"), auth=AUTH, timeout=5,
                        params={"include-deleted": "true", "filter[id]": account_id}).json()["data"]
    assert [a["is_deleted"] for a in kept] == [True]
    assert requests.get(entities(api, "/Accounts"), auth=(AUTH[0], "wrong"), timeout=5).status_code == 401
    ownerless = requests.post(entities(api, "/Contacts"), auth=AUTH, timeout=5, json={"last_name": "Nobody"})
    assert ownerless.status_code == 422
    assert ownerless.json()["field_errors"][0]["field_name"] == "owner_id"


# -- the switches -------------------------------------------------------------------------------------
@pytest.mark.parametrize("create_status", [200, 201])
def test_a_create_answers_200_or_201(api, create_status):
    api.switch(create_status=create_status)
    owner = pipeliner.CLIENTS[0]["id"]
    account = requests.post(entities(api, "/Accounts"), auth=AUTH, timeout=5, json={"name": "S", "owner_id": owner})
    contact = requests.post(entities(api, "/Contacts"), auth=AUTH, timeout=5, json={"last_name": "S", "owner_id": owner})
    assert account.status_code == contact.status_code == create_status
    update = requests.patch(entities(api, f"/Accounts/{account.json()['data']['id']}"), auth=AUTH, timeout=5,
                            json={"name": "T"})
    assert update.status_code == 200


@pytest.mark.parametrize(("contact_name_required", "refused"), [
    ("first_or_last", [{}]), ("last_name", [{}, {"first_name": "Ada"}]), ("none", [])])
def test_which_name_a_contact_needs(api, contact_name_required, refused):
    api.switch(contact_name_required=contact_name_required)
    owner = pipeliner.CLIENTS[0]["id"]
    for names in ({}, {"first_name": "Ada"}, {"last_name": "Lovelace"}):
        answer = requests.post(entities(api, "/Contacts"), auth=AUTH, timeout=5, json={"owner_id": owner, **names})
        assert answer.status_code == (422 if names in refused else 200), (names, answer.text)


@pytest.mark.parametrize("account_relations_on_patch", ["replace", "append"])
def test_patching_a_contact_s_account_relations(api, account_relations_on_patch):
    api.switch(account_relations_on_patch=account_relations_on_patch)
    contact = next(c for c in api.records("contacts") if len(c["account_relations"]) == 1)
    other = next(a["id"] for a in api.records("accounts") if a["id"] != contact["primary_account"])
    answer = requests.patch(entities(api, f"/Contacts/{contact['id']}"), auth=AUTH, timeout=5,
                            json={"account_relations": [{"account_id": other, "is_primary": True}]})
    assert answer.status_code == 200
    kept = next(c for c in api.records("contacts") if c["id"] == contact["id"])
    assert len(kept["account_relations"]) == (1 if account_relations_on_patch == "replace" else 2)
    assert kept["primary_account"] == other


@pytest.mark.parametrize("delete_deleted_status", [404, 200])
def test_deleting_a_deleted_record(api, delete_deleted_status):
    api.switch(delete_deleted_status=delete_deleted_status)
    for entity in ("Accounts", "Contacts"):
        record_id = api.records(entity.lower())[2]["id"]
        assert requests.delete(entities(api, f"/{entity}/{record_id}"), auth=AUTH, timeout=5).status_code == 200
        again = requests.delete(entities(api, f"/{entity}/{record_id}"), auth=AUTH, timeout=5)
        assert again.status_code == delete_deleted_status and again.json()["success"] is (delete_deleted_status == 200)


def test_an_unknown_entity_and_an_unknown_path(api):
    """As recorded from Pipeliner (amp-labs/connectors fixtures): an entity name the API does not know is 404
    ERROR_UNKNOWN_TYPE (code 2006); a path outside the API is the framework's 404 body."""
    entity = requests.get(entities(api, "/Contact"), auth=AUTH, timeout=5)
    assert entity.status_code == 404
    assert entity.json() == {"code": 2006, "name": "ERROR_UNKNOWN_TYPE",
                             "message": "cannot determine entity type from Contact", "http_status": 404,
                             "success": False}
    elsewhere = requests.get(f"{api.url}/api/v100/nothing-here", auth=AUTH, timeout=5)
    assert elsewhere.status_code == 404 and elsewhere.json()["status"] == 404 and elsewhere.json()["errorcode"] is None
