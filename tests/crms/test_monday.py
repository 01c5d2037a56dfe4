"""monday CRM through the gateway: the mapping against the sandbox's stored items, writes as monday
receives them (GraphQL documents), and monday's quirks seen through the unified API
(https://developer.monday.com/api-reference/reference/items)."""

from __future__ import annotations

import json

import pytest
from support import list_all

from unigate.sandbox.monday import ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, MondayEmulator

NAME = "monday"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()
    control.default_switches()


def expected(item: dict) -> dict:
    """The unified account a stored Accounts item should map to (written independently of the YAML)."""
    by_id = {v["id"]: v for v in item["column_values"]}
    value = lambda cid: json.loads(by_id[cid]["value"]) if by_id[cid]["value"] else None  # noqa: E731
    loc = value("location")
    tags = value("tags")["tag_ids"]
    custom_ids = {"numeric_mkx1rev": "Annual revenue", "date_mkx1ren": "Renewal date",
                  "dropdown_mkx1tier": "Tier", "text_mkx1src": "Lead source"}
    return {
        "id": item["id"], "name": item["name"],
        "description": by_id["company_description"]["text"], "industry": by_id["industry"]["text"],
        "website": value("company_domain")["url"], "number_of_employees": int(by_id["company_employees"]["text"]),
        "owner": {"id": str(value("account_owner")["personsAndTeams"][0]["id"])},
        "addresses": [{"street_1": f"{loc['streetNumber']['long_name']} {loc['street']['long_name']}",
                       "city": loc["city"]["long_name"], "country": loc["country"]["short_name"]}],
        "phone_numbers": [{"number": value("company_phone")["phone"], "type": "work"}],
        "urls": [{"url": value("company_domain")["url"], "type": "website"}],
        "tags": [{"id": str(t), "name": n} for t, n in zip(tags, by_id["tags"]["text"].split(", "))],
        # typed by column type: numbers as numbers, dropdown labels as a list
        "custom_fields": {title: (float(by_id[cid]["text"]) if cid.startswith("numeric") else
                                  by_id[cid]["text"].split(", ") if cid.startswith("dropdown") else by_id[cid]["text"])
                          for cid, title in custom_ids.items()},
        "created_at": item["created_at"], "updated_at": item["updated_at"],
    }


def test_list_maps_every_account_item_and_no_contact(gateway, ctl):
    """Accounts are Accounts-board items; Contacts-board items never appear; every field maps."""
    items = {i["id"]: i for i in ctl.records("accounts")}
    listed = [r for page in list_all(gateway, NAME, limit=25) for r in page]
    assert len(listed) == 60
    for record in listed:
        item = items[record["id"]]
        assert item["board_id"] == ACCOUNTS_BOARD_ID
        want = expected(item)
        assert {k: record.get(k) for k in want} == want


def test_get_of_a_contacts_item_is_404(gateway, ctl):
    """items(ids:) would return any board's item; the mapping reads through the Accounts board."""
    contact = next(i for i in ctl.records("contacts") if i["board_id"] == CONTACTS_BOARD_ID)
    response = gateway.unified("GET", NAME, contact["id"])
    assert response.status_code == 404


def test_create_sends_a_create_item_mutation_and_reads_back(gateway, ctl):
    """create_item with column_values as a JSON string keyed by the discovered column ids."""
    sent = {"name": "Gateway Co", "description": "Made via unigate", "industry": "Aerospace",
            "website": "https://www.gateway-co.example/about", "number_of_employees": 77,
            "owner": {"id": "48213003"}, "phone_numbers": [{"number": "+1 202 555 0199"}],
            "tags": [{"id": "21000005"}], "custom_fields": {"Lead source": "Partner", "Tier": "Gold"}}
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json=sent)
    assert created.status_code == 200, created.text
    body = created.json()
    for key in ("name", "description", "industry", "website", "number_of_employees", "owner"):
        assert body[key] == sent[key], key
    assert body["phone_numbers"][0]["number"] == "+1 202 555 0199"
    assert body["tags"] == [{"id": "21000005", "name": "vip"}]
    assert body["custom_fields"]["Lead source"] == "Partner" and body["custom_fields"]["Tier"] == ["Gold"]
    mutation = [r for r in ctl.requests() if "create_item" in (r["body"] or {}).get("query", "")][0]
    assert mutation["headers"]["authorization"] == "sandbox-monday-token"
    assert mutation["headers"]["api-version"] == "2025-07"
    variables = mutation["body"]["variables"]
    assert variables["board"] == ACCOUNTS_BOARD_ID and variables["name"] == "Gateway Co"
    values = json.loads(variables["values"])  # a JSON string, as monday wants it
    assert values["company_domain"] == {"url": sent["website"], "text": "gateway-co.example"}
    assert values["industry"] == {"label": "Aerospace"} and values["company_employees"] == "77"
    assert values["account_owner"] == {"personsAndTeams": [{"id": 48213003, "kind": "person"}]}
    assert values["company_phone"] == {"phone": "+1 202 555 0199", "countryShortName": "US"}
    assert values["text_mkx1src"] == "Partner"
    stored = next(i for i in ctl.records("accounts") if i["id"] == body["id"])
    texts = {v["id"]: v["text"] for v in stored["column_values"]}
    assert stored["name"] == "Gateway Co" and stored["board_id"] == ACCOUNTS_BOARD_ID
    assert texts["industry"] == "Aerospace" and texts["tags"] == "vip" and texts["account_owner"] == "Priya Raman"


def test_board_discovery_is_cached_per_account(gateway, ctl):
    """The boards/columns discovery step runs once per integrated account (cache: account)."""
    gateway.unified("GET", NAME, params={"limit": 2})
    ctl.clear_requests()
    gateway.unified("GET", NAME, params={"limit": 2})
    queries = [r["body"]["query"] for r in ctl.requests()]
    assert not any("columns" in q for q in queries) and len(queries) == 1


def test_update_uses_change_multiple_column_values(gateway, ctl):
    """The name travels inside column_values under the `name` key."""
    target = next(i for i in ctl.records("accounts") if i["board_id"] == ACCOUNTS_BOARD_ID)
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, target["id"], json={"name": "Renamed", "number_of_employees": 5})
    assert updated.status_code == 200 and updated.json()["name"] == "Renamed"
    assert updated.json()["number_of_employees"] == 5
    body = ctl.requests()[-1]["body"]
    assert "change_multiple_column_values" in body["query"]
    assert json.loads(body["variables"]["values"]) == {"name": "Renamed", "company_employees": "5"}


def test_errors_with_http_200_map_to_unified_statuses(gateway, ctl):
    """Application errors arrive with HTTP 200; ResourceNotFound -> 404, Complexity -> 429, auth -> 401."""
    missing = gateway.unified("DELETE", NAME, "123")
    assert missing.status_code == 404 and missing.json()["truto_is_remote_error"] is True
    assert missing.json()["raw_response"]["errors"][0]["extensions"]["code"] == "ResourceNotFoundException"
    gateway.unified("GET", NAME, params={"limit": 1})  # board discovery cached before the fault
    for body, status in (
        ({"errors": [{"message": "Complexity budget exhausted", "extensions": {"code": "ComplexityException",
                                                                              "status_code": 429}}]}, 429),
        ({"error_code": "ComplexityException", "status_code": 429, "error_message": "Complexity budget exhausted"}, 429),
        ({"errors": [{"message": "Item not found", "extensions": {"code": "InvalidItemIdException"}}]}, 404),
        ({"errors": [{"message": "User unauthorized", "extensions": {"code": "UserUnauthorizedException",
                                                                    "status_code": 403}}]}, 403),
    ):
        ctl.fault(status=200, body=body)
        response = gateway.unified("GET", NAME, params={"limit": 1})
        assert response.status_code == status, (body, response.text)
        assert response.json()["raw_response"] == body


def test_delete_is_soft_and_then_404(gateway, ctl):
    """delete_item moves the item to the trash (state deleted); the unified get is then 404."""
    target = next(i for i in ctl.records("accounts") if i["board_id"] == ACCOUNTS_BOARD_ID)
    deleted = gateway.unified("DELETE", NAME, target["id"])
    assert deleted.status_code == 200 and deleted.json()["id"] == target["id"]
    assert next(i for i in ctl.records("accounts") if i["id"] == target["id"])["state"] == "deleted"
    assert gateway.unified("GET", NAME, target["id"]).status_code == 404


def test_structured_field_rate_limit_headers_are_normalized(gateway, sandbox):
    """monday reports its complexity budget as `RateLimit: "complexity";r=…;t=…` (IETF structured fields),
    read by the integration's `rate_limit.expression` into ratelimit-* (https://developer.monday.com/api-reference/docs/rate-limits)."""
    sandbox.control("monday").reset()
    response = gateway.unified("GET", "monday", params={"limit": 2})
    assert response.status_code == 200
    assert int(response.headers["ratelimit-limit"]) >= int(response.headers["ratelimit-remaining"]) > 0
    assert 0 <= int(response.headers["ratelimit-reset"]) <= 60


# -- contacts: items of the Contacts board ---------------------------------------------------------------

def contacts_call(gateway, method: str, record_id: str | None = None, **kwargs):
    """/unified/crm/contacts[/{id}] on monday's sandbox account."""
    return gateway.unified(method, NAME, record_id, resource="contacts", **kwargs)


def expected_contact(item: dict, accounts: dict[str, dict]) -> dict:
    """The unified contact a stored Contacts item should map to (written independently of the YAML)."""
    by_id = {v["id"]: v for v in item["column_values"]}
    value = lambda cid: json.loads(by_id[cid]["value"]) if by_id[cid]["value"] else None  # noqa: E731
    first, _, last = item["name"].partition(" ")
    link = value("contact_account")
    account_id = str(link["linkedPulseIds"][0]["linkedPulseId"]) if link else None
    custom = {title: by_id[cid]["text"] for cid, title in
              (("status", "Type"), ("text_mkx2src", "Lead source"), ("date_mkx2bday", "Birthday")) if by_id[cid]["text"]}
    return {
        "id": item["id"], "name": item["name"], "first_name": first, "last_name": last,
        "title": by_id["contact_title"]["text"],
        "account": {"id": account_id, "name": accounts[account_id]["name"]} if account_id else None,
        "email_addresses": [{"email": value("contact_email")["email"], "type": "primary"}],
        "phone_numbers": [{"number": value("contact_phone")["phone"]}],
        "owner": {"id": str(value("contact_owner")["personsAndTeams"][0]["id"])},
        "custom_fields": custom,
        "created_at": item["created_at"], "updated_at": item["updated_at"],
    }


def test_contacts_list_maps_every_contact_item_with_its_account(gateway, ctl):
    """Contacts are Contacts-board items; the account link is read from the connect-boards column's
    linked items (its `value` is null on API 2025-07)."""
    accounts = {i["id"]: i for i in ctl.records("accounts")}
    items = {i["id"]: i for i in ctl.records("contacts")}
    listed = [r for page in list_all(gateway, NAME, limit=10, resource="contacts") for r in page]
    assert len(listed) == 30 and {r["id"] for r in listed} == set(items)
    for record in listed:
        want = expected_contact(items[record["id"]], accounts)
        assert {k: record.get(k) for k in want if want[k]} == {k: v for k, v in want.items() if v}
        if want["account"] is None:
            assert "account" not in record
    assert sum(1 for r in listed if "account" not in r) == 4    # every seventh person has no company
    query = [r for r in ctl.requests() if "items_page" in (r["body"] or {}).get("query", "")][0]["body"]
    assert "... on BoardRelationValue { linked_items { id name } }" in query["query"]
    assert query["variables"]["board"] == [CONTACTS_BOARD_ID]


def test_contacts_get_of_an_account_item_is_404(gateway, ctl):
    """items(ids:) would return any board's item; the contacts mapping reads through the Contacts board."""
    account = ctl.records("accounts")[0]
    assert contacts_call(gateway, "GET", account["id"]).status_code == 404
    contact = ctl.records("contacts")[0]
    got = contacts_call(gateway, "GET", contact["id"])
    assert got.status_code == 200 and got.json()["id"] == contact["id"]


def test_contacts_create_sends_item_ids_and_reads_the_account_back(gateway, ctl):
    """create_item with the connect-boards value {"item_ids": [...]}, the email and phone JSON values."""
    account = ctl.records("accounts")[3]
    sent = {"first_name": "Grace", "last_name": "Hopper", "title": "Rear Admiral",
            "account": {"id": account["id"]}, "email_addresses": [{"email": "grace@navy.example"}],
            "phone_numbers": [{"number": "+1 202 555 0142"}], "owner": {"id": "48213004"},
            "custom_fields": {"Lead source": "Conference", "Type": "Partner"}}
    ctl.clear_requests()
    created = contacts_call(gateway, "POST", json=sent)
    assert created.status_code == 200, created.text     # Truto answers a create with 200
    body = created.json()
    assert body["name"] == "Grace Hopper" and body["first_name"] == "Grace" and body["last_name"] == "Hopper"
    assert body["account"] == {"id": account["id"], "name": account["name"]}
    assert body["email_addresses"] == [{"email": "grace@navy.example", "type": "primary"}]
    assert body["owner"] == {"id": "48213004"} and body["title"] == "Rear Admiral"
    assert body["custom_fields"] == {"Lead source": "Conference", "Type": "Partner"}
    mutation = [r for r in ctl.requests() if "create_item" in (r["body"] or {}).get("query", "")][0]["body"]
    assert mutation["variables"]["board"] == CONTACTS_BOARD_ID and mutation["variables"]["name"] == "Grace Hopper"
    assert json.loads(mutation["variables"]["values"]) == {
        "contact_title": "Rear Admiral", "contact_email": {"email": "grace@navy.example", "text": "grace@navy.example"},
        "contact_phone": {"phone": "+1 202 555 0142", "countryShortName": "US"},
        "contact_account": {"item_ids": [int(account["id"])]},
        "contact_owner": {"personsAndTeams": [{"id": 48213004, "kind": "person"}]},
        "text_mkx2src": "Conference", "status": "Partner"}
    stored = next(i for i in ctl.records("contacts") if i["id"] == body["id"])
    link = next(v for v in stored["column_values"] if v["id"] == "contact_account")
    assert json.loads(link["value"]) == {"linkedPulseIds": [{"linkedPulseId": int(account["id"])}]}


def test_contacts_update_relinks_and_clears_the_account(gateway, ctl):
    """change_multiple_column_values replaces the linked items; an account without an id clears them."""
    contact, account = ctl.records("contacts")[0], ctl.records("accounts")[5]
    ctl.clear_requests()
    moved = contacts_call(gateway, "PATCH", contact["id"], json={"account": {"id": account["id"]}, "title": "COO"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["account"] == {"id": account["id"], "name": account["name"]} and moved.json()["title"] == "COO"
    body = ctl.requests()[-1]["body"]
    assert "change_multiple_column_values" in body["query"]
    assert json.loads(body["variables"]["values"]) == {"contact_account": {"item_ids": [int(account["id"])]},
                                                       "contact_title": "COO"}
    cleared = contacts_call(gateway, "PATCH", contact["id"], json={"account": {}})
    assert cleared.status_code == 200 and "account" not in cleared.json()
    assert json.loads(ctl.requests()[-1]["body"]["variables"]["values"]) == {"contact_account": {"item_ids": []}}


def test_contacts_link_to_a_contact_is_refused(gateway, ctl):
    """A connect-boards column only links items of the boards it connects (here Accounts)."""
    first, second = ctl.records("contacts")[:2]
    response = contacts_call(gateway, "PATCH", first["id"], json={"account": {"id": second["id"]}})
    assert response.status_code == 400, response.text
    assert response.json()["raw_response"]["errors"][0]["extensions"]["code"] == "ColumnValueException"


def test_contacts_delete_checks_the_board_then_deletes_softly(gateway, ctl):
    """delete_item takes any item: an Accounts item id is a 404 without a delete; a contact goes to the trash."""
    account, contact = ctl.records("accounts")[0], ctl.records("contacts")[1]
    ctl.clear_requests()
    refused = contacts_call(gateway, "DELETE", account["id"])
    assert refused.status_code == 404, refused.text
    assert not any("delete_item" in (r["body"] or {}).get("query", "") for r in ctl.requests())
    assert next(i for i in ctl.records("accounts") if i["id"] == account["id"])["state"] == "active"
    deleted = contacts_call(gateway, "DELETE", contact["id"])
    assert deleted.status_code == 200 and deleted.json()["id"] == contact["id"]
    assert next(i for i in ctl.records("contacts") if i["id"] == contact["id"])["state"] == "deleted"
    assert contacts_call(gateway, "GET", contact["id"]).status_code == 404
    assert contacts_call(gateway, "DELETE", contact["id"]).status_code == 404


def test_contacts_update_of_one_name_part_keeps_the_other(gateway, ctl):
    """monday holds one item name: last_name alone replaces its part of "first last" (read first)."""
    contact = ctl.records("contacts")[4]
    first = contact["name"].split(" ")[0]
    ctl.clear_requests()
    updated = contacts_call(gateway, "PATCH", contact["id"], json={"last_name": "Lamarr"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == f"{first} Lamarr" and updated.json()["first_name"] == first
    mutation = [r["body"] for r in ctl.requests() if "change_multiple_column_values" in r["body"]["query"]][0]
    assert json.loads(mutation["variables"]["values"]) == {"name": f"{first} Lamarr"}
    missing = contacts_call(gateway, "PATCH", ctl.records("accounts")[0]["id"], json={"title": "X"})
    assert missing.status_code == 404, missing.text


# Every value of every switch: behaviours monday's documentation leaves open (sandbox/monday/__init__.py).
OPEN_BEHAVIOURS = [pytest.param(name, value, id=f"{name}={value}")
                   for name, values in MondayEmulator.switches.items() for value in values]


@pytest.mark.parametrize("switch,value", OPEN_BEHAVIOURS)
@pytest.mark.parametrize("resource", ["accounts", "contacts"])
def test_gateway_works_whichever_way_monday_behaves(gateway, ctl, switch, value, resource):
    """The unified calls that meet each open behaviour answer the same either way: a list asked for more
    than monday's 500 a page (and paged to the end), a get, a delete, and the 404 of the deleted id."""
    ctl.switch(**{switch: value})
    listed = gateway.unified("GET", NAME, params={"limit": 600}, resource=resource)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["result"]
    assert 0 < len(rows) <= 500
    assert len([r for page in list_all(gateway, NAME, limit=25, resource=resource) for r in page]) == \
        len([i for i in ctl.records(resource) if i["state"] == "active"])
    assert gateway.unified("GET", NAME, rows[0]["id"], resource=resource).status_code == 200
    deleted = gateway.unified("DELETE", NAME, rows[1]["id"], resource=resource)
    assert deleted.status_code == 200, deleted.text
    for method in ("GET", "DELETE"):
        gone = gateway.unified(method, NAME, rows[1]["id"], resource=resource)
        assert gone.status_code == 404, gone.text
    missing = gateway.unified("PATCH", NAME, rows[1]["id"], resource=resource, json={"name": "Ghost"})
    assert missing.status_code == 404, missing.text
