"""The Pipeliner emulator over loopback HTTP: REST v100 Accounts and Contacts
(https://developers.pipelinersales.com/api-docs/)."""

from __future__ import annotations

import base64

import pytest
import requests

from unigate.sandbox import pipeliner

AUTH = (pipeliner.SANDBOX_USERNAME, pipeliner.SANDBOX_PASSWORD)


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("pipeliner")
    control.reset()
    return control


def space(ctl, space_id=pipeliner.SANDBOX_SPACE_ID):
    return f"{ctl.url}/api/v100/rest/spaces/{space_id}"


def url(ctl, path=""):
    return f"{space(ctl)}/entities/Accounts{path}"


def owner_id():
    return pipeliner.CLIENTS[1]["id"]


def test_basic_auth_failures_are_401(ctl):
    """HTTP Basic with the space's API username/password."""
    wrong = [None, (pipeliner.SANDBOX_USERNAME, "nope"), ("someone", pipeliner.SANDBOX_PASSWORD)]
    for auth in wrong:
        answer = requests.get(url(ctl), auth=auth, timeout=5)
        assert answer.status_code == 401
        body = answer.json()
        assert body["success"] is False and body["code"] == 401 and body["name"].startswith("ERROR_")
    bearer = requests.get(url(ctl), headers={"Authorization": "Bearer x"}, timeout=5)
    assert bearer.status_code == 401


def test_unknown_space_is_404_space_not_found(ctl):
    """{"code":404,"name":"ERROR_NOT_FOUND","message":"Space not found.","success":false}."""
    answer = requests.get(f"{space(ctl, 'other-space')}/entities/Accounts", auth=AUTH, timeout=5)
    assert answer.status_code == 404
    assert answer.json() == {"code": 404, "name": "ERROR_NOT_FOUND", "message": "Space not found.", "success": False}


def test_get_envelope_and_fields(ctl):
    """{"success": true, "data": Account}; UUID ids, relation links, Pipeliner date format."""
    record = ctl.records("accounts")[0]
    answer = requests.get(url(ctl, f"/{record['id']}"), auth=AUTH, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    data = body["data"]
    assert data["id"] == record["id"] and len(data["id"]) == 36
    assert data["owner"].endswith(f"/entities/Clients/{record['owner_id']}")
    # 2019-02-01 07:41:49.529970+00:00 (core-api-concepts/dates)
    assert len(data["created"]) == 32 and data["created"][10] == " " and data["created"].endswith("+00:00")
    for key in ("name", "owner_id", "industry_id", "home_page", "phone1", "email1", "address", "city",
                "state_province", "zip_code", "country", "comments", "tags", "cf_tier", "modified", "revision"):
        assert data[key] not in (None, "", []), key


def test_timezone_header_converts_dates(ctl):
    """A Timezone request header converts returned dates."""
    record = ctl.records("accounts")[0]
    answer = requests.get(url(ctl, f"/{record['id']}"), auth=AUTH, headers={"Timezone": "Europe/Bratislava"}, timeout=5)
    assert answer.json()["data"]["created"].endswith(("+01:00", "+02:00"))


def test_unknown_account_is_404(ctl):
    """A missing entity is 404 with the {code,name,message,success:false} envelope."""
    answer = requests.get(url(ctl, "/00000000-0000-0000-0000-000000000000"), auth=AUTH, timeout=5)
    assert answer.status_code == 404
    body = answer.json()
    assert body["success"] is False and body["code"] == 404 and body["name"] == pipeliner.ENTITY_NOT_FOUND_NAME


def test_pagination_first_after_until_has_next_page_false(ctl):
    """first=N + after=end_cursor until has_next_page is false; total."""
    ctl.reset(253)
    seen: list[str] = []
    params = {"first": 100}
    pages = 0
    while True:
        body = requests.get(url(ctl), params=params, auth=AUTH, timeout=5).json()
        assert body["success"] is True and body["total"] == 253
        seen += [r["id"] for r in body["data"]]
        pages += 1
        info = body["page_info"]
        assert info["end_cursor"]  # the last page still carries its end_cursor
        assert info["has_previous_page"] is (pages > 1)
        if not info["has_next_page"]:
            break
        params = {"first": 100, "after": info["end_cursor"]}
    assert pages == 3
    assert len(seen) == len(set(seen)) == 253
    assert seen == [r["id"] for r in ctl.records("accounts")]


def test_cursor_looks_like_documented_cursors(ctl):
    """Cursors are base64 JSON arrays like "WyIwMzU4NmNh...XQ==" (the documented example)."""
    body = requests.get(url(ctl), auth=AUTH, timeout=5).json()
    assert base64.b64decode(body["page_info"]["end_cursor"]).decode() == f'["{body["data"][-1]["id"]}"]'


def test_default_and_max_page_size(ctl):
    """`first` defaults to 30 and is capped at 100."""
    ctl.reset(150)
    assert len(requests.get(url(ctl), auth=AUTH, timeout=5).json()["data"]) == 30
    assert len(requests.get(url(ctl), params={"first": 500}, auth=AUTH, timeout=5).json()["data"]) == 100


def test_filter_order_by_and_load_only(ctl):
    """filter[field] + filter-op[field], order-by with '-', load-only."""
    name = ctl.records("accounts")[4]["name"]
    body = requests.get(url(ctl), params={"filter[name]": name}, auth=AUTH, timeout=5).json()
    assert [r["name"] for r in body["data"]] == [name] and body["total"] == 1
    body = requests.get(url(ctl), params={"filter[name]": "acme", "filter-op[name]": "icontains"},
                        auth=AUTH, timeout=5).json()
    assert body["total"] >= 1 and all("acme" in r["name"].lower() for r in body["data"])
    body = requests.get(url(ctl), params={"order-by": "-created", "first": 5, "load-only": "id,name"},
                        auth=AUTH, timeout=5).json()
    assert set(body["data"][0]) == {"id", "name"}
    assert body["data"][0]["id"] == ctl.records("accounts")[-1]["id"]


def test_create_returns_200_with_entity(ctl):
    """POST with name + owner_id returns 200 {"success": true, "data": Account}."""
    industry = pipeliner.INDUSTRIES[2]["id"]
    body = {"name": "Northwind s.r.o.", "owner_id": owner_id(), "industry_id": industry,
            "home_page": "https://northwind.example", "phone1": "+421 2 1234 5678", "email1": "hi@northwind.example",
            "address": "1 Main Street", "city": "Košice", "state_province": "Košický kraj", "zip_code": "040 01",
            "country": "Slovakia", "comments": "New", "cf_tier": "Tier 1"}
    answer = requests.post(url(ctl), json=body, auth=AUTH, timeout=5)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert answer.json()["success"] is True
    for key, value in body.items():
        assert data[key] == value
    assert data["unit_id"] == pipeliner.CLIENTS[1]["default_unit_id"]  # the owner's default unit
    assert data["revision"] == 1 and data["is_deleted"] is False
    assert any(r["id"] == data["id"] for r in ctl.records("accounts"))


def test_create_validation_errors(ctl):
    """`name` and `owner_id` are required and the owner must exist: 422 ERROR_ENTITY_VALIDATION naming the field
    (code 119 missing, 120 a relation that does not exist); industry_id must be a data-set value and unknown
    fields are refused (400)."""
    entity_cases = [
        ({"owner_id": owner_id()}, "name", 119),
        ({"name": "No owner"}, "owner_id", 119),
        ({"name": "X", "owner_id": "not-a-client"}, "owner_id", 120),
    ]
    for body, field, code in entity_cases:
        answer = requests.post(url(ctl), json=body, auth=AUTH, timeout=5)
        assert answer.status_code == 422, body
        refusal = answer.json()
        assert refusal["success"] is False and refusal["name"] == "ERROR_ENTITY_VALIDATION"
        assert refusal["entity_name"] == "Account" and refusal["http_status"] == 422
        assert [(f["field_name"], f["errors"][0]["code"]) for f in refusal["field_errors"]] == [(field, code)]
    cases = [
        {"name": "X", "owner_id": owner_id(), "industry_id": "not-an-option"},
        {"name": "X", "owner_id": owner_id(), "cf_unknown": 1},
    ]
    for body in cases:
        answer = requests.post(url(ctl), json=body, auth=AUTH, timeout=5)
        assert answer.status_code == pipeliner.VALIDATION_STATUS, body
        assert answer.json()["success"] is False and answer.json()["name"] == pipeliner.VALIDATION_NAME
    assert len(ctl.records("accounts")) == 60


def test_update_patch_changes_only_sent_fields(ctl):
    """PATCH with changed fields returns the entity; revision and modified move."""
    record = ctl.records("accounts")[0]
    answer = requests.patch(url(ctl, f"/{record['id']}"), json={"city": "Žilina"}, auth=AUTH, timeout=5)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["city"] == "Žilina" and data["name"] == record["name"]
    assert data["revision"] == record["revision"] + 1 and data["modified"] > record["modified"]
    assert requests.patch(url(ctl, f"/{record['id']}"), json={"name": ""}, auth=AUTH, timeout=5).status_code == 422
    missing = requests.patch(url(ctl, "/00000000-0000-0000-0000-000000000000"), json={"city": "X"}, auth=AUTH, timeout=5)
    assert missing.status_code == 404


def test_delete_is_soft(ctl):
    """DELETE answers 200 {success, data: id}; the record stays with is_deleted, reads are 404 unless
    include-deleted=true, a second delete is 404, and lists skip it."""
    record = ctl.records("accounts")[0]
    answer = requests.delete(url(ctl, f"/{record['id']}"), auth=AUTH, timeout=5)
    assert answer.status_code == 200 and answer.json() == {"success": True, "data": record["id"]}
    assert requests.get(url(ctl, f"/{record['id']}"), auth=AUTH, timeout=5).status_code == 404
    kept = requests.get(url(ctl, f"/{record['id']}"), params={"include-deleted": "true"}, auth=AUTH, timeout=5)
    assert kept.status_code == 200 and kept.json()["data"]["is_deleted"] is True
    assert requests.delete(url(ctl, f"/{record['id']}"), auth=AUTH, timeout=5).status_code == pipeliner.DELETE_DELETED_STATUS
    stored = [r for r in ctl.records("accounts") if r["id"] == record["id"]]
    assert stored[0]["is_deleted"] is True
    body = requests.get(url(ctl), params={"first": 100}, auth=AUTH, timeout=5).json()
    assert body["total"] == 59 and record["id"] not in [r["id"] for r in body["data"]]
    body = requests.get(url(ctl), params={"first": 100, "include-deleted": "true"}, auth=AUTH, timeout=5).json()
    assert body["total"] == 60


def test_side_entities_for_lookups(ctl):
    """owner_id is a Client, industry_id a value of the Industry field's data_set (Fields API)."""
    clients = requests.get(f"{space(ctl)}/entities/Clients", auth=AUTH, timeout=5).json()
    assert {c["id"] for c in clients["data"]} == pipeliner.CLIENT_IDS
    fields = requests.get(f"{space(ctl)}/entities/Fields", params={"filter[api_name]": "industry_id", "expand": "data_set"},
                          auth=AUTH, timeout=5).json()
    assert [o["option_name"] for o in fields["data"][0]["data_set"]][:2] == ["Software", "Manufacturing"]
    tags = requests.get(f"{space(ctl)}/entities/Tags", auth=AUTH, timeout=5).json()
    assert tags["total"] == len(pipeliner.TAGS)


def test_a_seed_of_ten_thousand_pages_from_a_deep_cursor(ctl):
    """10,000 records seed; a deep page starts where its cursor points (speed is measured in bench/, not here)."""
    ctl.reset(10000)
    records = ctl.records("accounts")
    cursor = base64.b64encode(f'["{records[9949]["id"]}"]'.encode()).decode()
    body = requests.get(url(ctl), params={"first": 100, "after": cursor}, auth=AUTH, timeout=5).json()
    assert len(body["data"]) == 50 and body["page_info"]["has_next_page"] is False
    assert body["data"][0]["id"] == records[9950]["id"]


def test_expand_replaces_relation_links(ctl):
    """/ api-parameters: relations are URI links unless `expand=` names them (List and Get)."""
    record = ctl.records("accounts")[0]
    body = requests.get(url(ctl, f"/{record['id']}"), params={"expand": "owner,industry"}, auth=AUTH, timeout=5).json()
    assert body["data"]["owner"]["id"] == record["owner_id"] and body["data"]["owner"]["email"]
    assert body["data"]["industry"] == next(i for i in pipeliner.INDUSTRIES if i["id"] == record["industry_id"])
    listed = requests.get(url(ctl), params={"expand": "industry", "first": 1}, auth=AUTH, timeout=5).json()
    assert listed["data"][0]["industry"]["option_name"]


# -- Contacts and ContactAccountRelations (https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-contact) --
def contacts_url(ctl, path=""):
    return f"{space(ctl)}/entities/Contacts{path}"


def test_contacts_read_account_links_as_uris_unless_expanded(ctl):
    """primary_account is an Accounts URI and account_relations ContactAccountRelations URIs; expand inlines them."""
    record = next(r for r in ctl.records("contacts") if len(r["account_relations"]) == 2)
    plain = requests.get(contacts_url(ctl, f"/{record['id']}"), auth=AUTH, timeout=5).json()["data"]
    assert plain["primary_account"].endswith(f"/entities/Accounts/{record['primary_account']}")
    assert all("/entities/ContactAccountRelations/" in uri for uri in plain["account_relations"])
    assert "primary_account_id" not in plain and plain["formatted_name"] == record["formatted_name"]
    expanded = requests.get(contacts_url(ctl, f"/{record['id']}"), params={"expand": "primary_account,account_relations"},
                            auth=AUTH, timeout=5).json()["data"]
    assert expanded["primary_account"]["id"] == record["primary_account"] and expanded["primary_account"]["name"]
    assert sorted(r["is_primary"] for r in expanded["account_relations"]) == [False, True]
    rows = requests.get(f"{space(ctl)}/entities/ContactAccountRelations", params={"filter[contact_id]": record["id"]},
                        auth=AUTH, timeout=5).json()
    assert rows["total"] == 2 and {r["contact_id"] for r in rows["data"]} == {record["id"]}
    one = requests.get(f"{space(ctl)}/entities/ContactAccountRelations/{rows['data'][0]['id']}", auth=AUTH, timeout=5)
    assert one.status_code == 200 and one.json()["data"]["account_id"] in {r["account_id"] for r in rows["data"]}


def test_contacts_page_with_first_and_after(ctl):
    """first (max 100) + after=end_cursor while has_next_page; the shared 401 guard covers the route."""
    seen, after = [], None
    while True:
        params = {"first": 25, **({"after": after} if after else {})}
        body = requests.get(contacts_url(ctl), params=params, auth=AUTH, timeout=5).json()
        assert body["success"] is True and body["total"] == 60
        seen += [c["id"] for c in body["data"]]
        if not body["page_info"]["has_next_page"]:
            break
        after = body["page_info"]["end_cursor"]
    assert len(seen) == len(set(seen)) == 60
    assert requests.get(contacts_url(ctl), params={"after": "nope"}, auth=AUTH, timeout=5).status_code == 400
    assert requests.get(contacts_url(ctl), timeout=5).status_code == 401


def test_contact_create_requires_owner_and_a_name_with_422_entity_validation(ctl):
    """owner_id and one of first_name/last_name (tutorial); missing -> 422 ERROR_ENTITY_VALIDATION code 119;
    an unknown account in account_relations -> code 120; a malformed body -> 400 code 117."""
    owner = owner_id()
    cases = [({"last_name": "X"}, "owner_id", 119), ({"owner_id": owner, "position": "CTO"}, "last_name", 119),
             ({"owner_id": owner, "last_name": "X", "account_relations": [{"account_id": "nope", "is_primary": True}]},
              "account_id", 120),
             ({"owner_id": owner, "last_name": "X", "account_relations": [{"account_id": ctl.records("accounts")[0]["id"]}]},
              "is_primary", 119)]
    for body, field, code in cases:
        answer = requests.post(contacts_url(ctl), json=body, auth=AUTH, timeout=5)
        assert answer.status_code == 422, body
        error = answer.json()
        assert error["name"] == "ERROR_ENTITY_VALIDATION" and error["success"] is False and error["http_status"] == 422
        inner = error["field_errors"][0]["errors"][0]
        assert inner["code"] == code and inner["field_name"] == field, error
    bad = requests.post(contacts_url(ctl), data=b"{", auth=AUTH, headers={"Content-Type": "application/json"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["code"] == 117
    assert len(ctl.records("contacts")) == 60


def test_contact_create_patch_and_soft_delete(ctl):
    """Create 200 with formatted_name and the owner's unit; PATCH account_relations replaces the primary;
    DELETE 200 {success, data: id}, then 404 unless include-deleted."""
    accounts = ctl.records("accounts")
    body = {"owner_id": owner_id(), "first_name": "Eva", "last_name": "Mala",
            "account_relations": [{"account_id": accounts[0]["id"], "is_primary": True}]}
    created = requests.post(contacts_url(ctl), json=body, auth=AUTH, timeout=5)
    assert created.status_code == 200
    data = created.json()["data"]
    assert data["formatted_name"] == "Eva Mala" and data["unit_id"] == pipeliner.CLIENTS[1]["default_unit_id"]
    assert data["primary_account"].endswith(accounts[0]["id"]) and data["email1"] == ""
    moved = requests.patch(contacts_url(ctl, f"/{data['id']}"), auth=AUTH, timeout=5,
                           json={"account_relations": [{"account_id": accounts[1]["id"], "is_primary": True}]})
    assert moved.status_code == 200 and moved.json()["data"]["primary_account"].endswith(accounts[1]["id"])
    assert moved.json()["data"]["revision"] == data["revision"] + 1
    deleted = requests.delete(contacts_url(ctl, f"/{data['id']}"), auth=AUTH, timeout=5)
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "data": data["id"]}
    gone = requests.get(contacts_url(ctl, f"/{data['id']}"), auth=AUTH, timeout=5)
    assert gone.status_code == 404 and gone.json()["name"] == pipeliner.ENTITY_NOT_FOUND_NAME
    kept = requests.get(contacts_url(ctl, f"/{data['id']}"), params={"include-deleted": "true"}, auth=AUTH, timeout=5)
    assert kept.status_code == 200 and kept.json()["data"]["is_deleted"] is True
    assert requests.get(contacts_url(ctl, "/no-such-id"), auth=AUTH, timeout=5).status_code == 404
