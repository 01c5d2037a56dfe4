"""The monday emulator speaks monday's GraphQL API v2 for the CRM boards' items
(https://developer.monday.com/api-reference/reference/items)."""

from __future__ import annotations

import json

import pytest
import requests

from unigate.sandbox.monday import (
    ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, CURRENT_API_VERSION, DEALS_BOARD_ID, ITEM_NOT_FOUND_CODE, LEADS_BOARD_ID, SANDBOX_TOKEN, UNAUTHENTICATED_BODY,
)

HEADERS = {"Authorization": SANDBOX_TOKEN, "API-Version": "2025-07"}
ITEM_FIELDS = "id name state created_at updated_at board { id } column_values { id type text value column { title } }"


@pytest.fixture
def monday(sandbox):
    control = sandbox.control("monday")
    control.reset()
    yield control
    control.reset()


def gql(control, query: str, variables: dict | None = None, headers=HEADERS) -> requests.Response:
    return requests.post(control.url + "/v2", json={"query": query, "variables": variables or {}},
                         headers=headers, timeout=10)


def ok(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["account_id"]
    return body["data"]


def test_auth_raw_token_or_bearer_and_401(monday):
    """`Authorization: <token>` (official SDK) and `Bearer <token>` both work; otherwise HTTP 401."""
    assert ok(gql(monday, "{ me { id } }"))["me"]["id"]
    assert ok(gql(monday, "{ me { id } }", headers={**HEADERS, "Authorization": f"Bearer {SANDBOX_TOKEN}"}))
    for headers in ({"API-Version": "2025-07"}, {**HEADERS, "Authorization": "wrong"}):
        response = gql(monday, "{ me { id } }", headers=headers)
        assert response.status_code == 401 and response.json() == UNAUTHENTICATED_BODY


def test_api_version_header(monday):
    """Missing API-Version -> the current version (2026-10 since 2026-10-26, changelog
    2026-10-is-now-the-current-api-version); an unknown one is refused."""
    no_version = {"Authorization": SANDBOX_TOKEN}
    assert ok(gql(monday, "{ version { kind value } }", headers=no_version))["version"] == \
        {"kind": "current", "value": CURRENT_API_VERSION}
    assert ok(gql(monday, "{ version { kind } }", headers={**HEADERS, "API-Version": "2027-01"}))["version"] == \
        {"kind": "release_candidate"}
    response = gql(monday, "{ me { id } }", headers={**HEADERS, "API-Version": "2019-02"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "InvalidVersionException"


def test_rate_limit_headers_on_every_response(monday):
    """Rate-limits page: every response carries RateLimit-Policy and RateLimit."""
    response = gql(monday, "{ me { id } }")
    assert "q=10000000" in response.headers["RateLimit-Policy"]
    assert ";r=" in response.headers["RateLimit"]


def test_boards_columns_discovery(monday):
    """Column ids are board-specific; discover them with boards { columns { id title type settings_str } }."""
    boards = ok(gql(monday, "{ boards(limit: 50) { id name columns { id title type settings_str } } }"))["boards"]
    accounts = next(b for b in boards if b["name"] == "Accounts")
    assert accounts["id"] == ACCOUNTS_BOARD_ID
    titles = {c["title"]: c["type"] for c in accounts["columns"]}
    assert titles["Domain"] == "link" and titles["Industry"] == "status" and titles["Account owner"] == "people"
    assert json.loads(next(c for c in accounts["columns"] if c["id"] == "industry")["settings_str"])["labels"]


def test_items_page_then_next_items_page_walks_every_item_once(monday):
    """items_page returns a cursor; next_items_page(cursor) continues until cursor is null."""
    first = ok(gql(monday, "query ($b: [ID!], $l: Int) { boards(ids: $b) { items_page(limit: $l) { cursor items { id } } } }",
                   {"b": [ACCOUNTS_BOARD_ID], "l": 7}))["boards"][0]["items_page"]
    ids, cursor, pages = [i["id"] for i in first["items"]], first["cursor"], 1
    while cursor:
        page = ok(gql(monday, "query ($c: String!) { next_items_page(cursor: $c, limit: 7) { cursor items { id } } }",
                      {"c": cursor}))["next_items_page"]
        ids += [i["id"] for i in page["items"]]
        cursor, pages = page["cursor"], pages + 1
    assert pages == 9 and len(ids) == 60 and len(set(ids)) == 60


def test_item_column_values_wire_form(monday):
    """Column `value` is a JSON-encoded string, `text` the display string; ids are numeric strings."""
    data = ok(gql(monday, f"{{ boards(ids: [{ACCOUNTS_BOARD_ID}]) {{ items_page(limit: 1) {{ items {{ {ITEM_FIELDS} }} }} }} }}"))
    item = data["boards"][0]["items_page"]["items"][0]
    assert item["id"].isdigit() and item["state"] == "active" and item["created_at"].endswith("Z")
    values = {v["id"]: v for v in item["column_values"]}
    link = json.loads(values["company_domain"]["value"])
    assert link["url"].startswith("https://") and values["company_domain"]["text"].endswith(link["url"])
    assert values["company_employees"]["value"] == json.dumps(values["company_employees"]["text"])
    assert json.loads(values["account_owner"]["value"])["personsAndTeams"][0]["kind"] == "person"
    assert values["industry"]["column"]["title"] == "Industry"


def test_items_by_id_reaches_other_boards_and_skips_unknown_ids(monday):
    """items(ids:) is board-agnostic (a Contacts item comes back) and unknown ids are just left out."""
    contact = next(r for r in monday.records("contacts") if r["board_id"] == CONTACTS_BOARD_ID)
    items = ok(gql(monday, "query ($i: [ID!]) { items(ids: $i) { id board { id name } } }",
                   {"i": [contact["id"], "1"]}))["items"]
    assert items == [{"id": contact["id"], "board": {"id": CONTACTS_BOARD_ID, "name": "Contacts"}}]


def test_create_change_delete_cycle(monday):
    """create_item with column_values JSON string, change_multiple_column_values, delete_item (soft)."""
    values = {"company_domain": {"url": "https://newco.example", "text": "newco.example"},
              "industry": {"label": "Software"}, "company_employees": "42",
              "company_phone": {"phone": "+12025550123", "countryShortName": "US"},
              "account_owner": {"personsAndTeams": [{"id": 48213002, "kind": "person"}]},
              "tags": {"tag_ids": [21000001]}, "company_description": {"text": "A new company"}}
    created = ok(gql(monday, "mutation ($b: ID!, $n: String!, $cv: JSON) { create_item(board_id: $b, item_name: $n, "
                             "column_values: $cv, create_labels_if_missing: true) { id name } }",
                     {"b": ACCOUNTS_BOARD_ID, "n": "NewCo", "cv": json.dumps(values)}))["create_item"]
    stored = next(r for r in monday.records("accounts") if r["id"] == created["id"])
    texts = {v["id"]: v["text"] for v in stored["column_values"]}
    assert texts["company_phone"] == "+12025550123" and texts["account_owner"] == "Luis Ortega"
    assert texts["tags"] == "enterprise" and texts["industry"] == "Software"

    changed = ok(gql(monday, "mutation ($b: ID!, $i: ID, $cv: JSON!) { change_multiple_column_values(board_id: $b, "
                             "item_id: $i, column_values: $cv) { id name } }",
                     {"b": ACCOUNTS_BOARD_ID, "i": created["id"], "cv": {"name": "NewCo 2", "company_employees": "43"}}))
    assert changed["change_multiple_column_values"] == {"id": created["id"], "name": "NewCo 2"}

    deleted = ok(gql(monday, f"mutation {{ delete_item(item_id: {created['id']}) {{ id }} }}"))
    assert deleted == {"delete_item": {"id": created["id"]}}
    # Soft delete: items(ids:) still returns it with state "deleted" unless exclude_nonactive.
    again = ok(gql(monday, f"{{ items(ids: [{created['id']}]) {{ id state }} }}"))["items"]
    assert again == [{"id": created["id"], "state": "deleted"}]
    assert ok(gql(monday, f"{{ items(ids: [{created['id']}], exclude_nonactive: true) {{ id }} }}"))["items"] == []


def test_not_found_is_http_200_with_errors(monday):
    """Deleting a missing item answers HTTP 200 with errors[] and data.delete_item null."""
    response = gql(monday, "mutation { delete_item(item_id: 123) { id } }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"delete_item": None}
    assert body["errors"][0]["extensions"]["code"] == ITEM_NOT_FOUND_CODE
    assert body["errors"][0]["path"] == ["delete_item"]


@pytest.mark.parametrize("deprecated", ["2023-10", "2024-07", "2024-10", "2025-01"])
def test_deprecated_versions_are_routed_to_2025_04(monday, deprecated):
    """Deprecated versions are not refused but routed (to 2024-10 on 2025-01-15, then with 2024-10 and
    2025-01 to 2025-04 on 2026-02-15; the changelog entries named in common.py): they answer as 2025-04,
    errors in the one format of 2025-01 on."""
    headers = {**HEADERS, "API-Version": deprecated}
    assert ok(gql(monday, "{ version { value } }", headers=headers))["version"]["value"] == "2025-04"
    body = gql(monday, "mutation { delete_item(item_id: 123) { id } }", headers=headers).json()
    assert "error_code" not in body
    assert body["errors"][0]["extensions"]["code"] == ITEM_NOT_FOUND_CODE and body["data"] == {"delete_item": None}


def test_2026_10_removes_user_fields(monday):
    """https://developer.monday.com/api-reference/docs/migrating-user-entity-to-2026-10 : `enabled` and
    `is_admin` are gone from 2026-10 (a field the type lacks fails validation); 2025-07 still has them."""
    assert ok(gql(monday, "{ me { id enabled is_admin } }"))["me"]["enabled"] is True
    removed = gql(monday, "{ me { id enabled } }", headers={**HEADERS, "API-Version": "2026-10"}).json()
    assert removed["errors"][0]["extensions"]["code"] == "undefinedField" and "data" not in removed
    assert ok(gql(monday, "{ me { id name } }", headers={**HEADERS, "API-Version": "2026-10"}))["me"]["name"]


def test_column_value_validation_errors(monday):
    """change-column-values guide: unknown column ids and malformed values are application errors (HTTP 200)."""
    response = gql(monday, 'mutation { create_item(board_id: %s, item_name: "X", column_values: "{\\"nope\\": 1}") { id } }'
                   % ACCOUNTS_BOARD_ID)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "InvalidColumnIdException"
    response = gql(monday, "mutation ($cv: JSON) { create_item(board_id: %s, item_name: \"X\", column_values: $cv) { id } }"
                   % ACCOUNTS_BOARD_ID, {"cv": {"company_employees": "many"}})
    assert response.json()["errors"][0]["extensions"]["code"] == "ColumnValueException"
    response = gql(monday, "mutation ($cv: JSON) { create_item(board_id: %s, item_name: \"X\", column_values: $cv) { id } }"
                   % ACCOUNTS_BOARD_ID, {"cv": {"industry": {"label": "Unknown label"}}})
    # https://developer.monday.com/api-reference/changelog/bug-fix-column-value-exception-error-column_type-update :
    # the documented message, status_code 200 and the bare column type (a status column reports "color").
    error = response.json()["errors"][0]
    assert error["message"].startswith("invalid value - label does not exist in column.")
    assert error["extensions"]["code"] == "ColumnValueException" and error["extensions"]["status_code"] == 200
    assert error["extensions"]["error_data"]["column_type"] == "color"
    assert response.json()["data"] == {"create_item": None}


def test_graphql_validation_and_parse_errors(monday):
    """Unknown fields are GraphQL errors with HTTP 200; malformed queries are transport 400s."""
    response = gql(monday, "{ boards { nope } }")
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "Field 'nope' doesn't exist on type 'Board'"
    assert gql(monday, "{ boards { id ").status_code == 400
    missing = requests.post(monday.url + "/v2", json={}, headers=HEADERS, timeout=10)
    assert missing.status_code == 400


def test_query_complexity_limit(monday):
    """A single query above 5,000,000 complexity points fails with ComplexityException."""
    response = gql(monday, "{ boards(limit: 500) { items_page(limit: 500) { items { id column_values { id text } } } } }")
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "ComplexityException"
    assert body["errors"][0]["extensions"]["status_code"] == 429


def test_aliases_variables_and_inline_fragments(monday):
    """GraphQL subset: aliases, variables with defaults, inline fragments and @include are honoured."""
    data = ok(gql(monday, "query ($b: [ID!] = [%s], $more: Boolean = false) { acc: boards(ids: $b) { "
                          "... on Board { id } label: name columns @include(if: $more) { id } } }" % ACCOUNTS_BOARD_ID))
    assert data == {"acc": [{"id": ACCOUNTS_BOARD_ID, "label": "Accounts"}]}


def test_large_seed_pages_cheaply(monday):
    """Seeding 10,000 accounts is fast and a 500-item page is served by slicing."""
    monday.reset(10_000)
    page = ok(gql(monday, "{ boards(ids: [%s]) { items_count items_page(limit: 500) { cursor items { id } } } }"
                  % ACCOUNTS_BOARD_ID))["boards"][0]
    assert page["items_count"] == 10_000 and len(page["items_page"]["items"]) == 500 and page["items_page"]["cursor"]


def test_column_values_are_typed_column_value_implementations(monday):
    """api-types: `column_values` returns the ColumnValue interface; fragments apply per concrete type
    (connect-boards page: `... on BoardRelationValue { linked_item_ids display_value }`)."""
    contact = ok(gql(monday, "{ boards(ids: [%s]) { items_page(limit: 1) { items { id } } } }"
                     % CONTACTS_BOARD_ID))["boards"][0]["items_page"]["items"][0]
    values = ok(gql(monday, "{ items(ids: [%s]) { column_values { id __typename ... on ColumnValue { type } "
                            "... on BoardRelationValue { display_value linked_item_ids } "
                            "... on MirrorValue { display_value } } } }" % contact["id"]))["items"][0]["column_values"]
    by_id = {v["id"]: v for v in values}
    assert by_id["contact_title"] == {"id": "contact_title", "__typename": "TextValue", "type": "text"}
    link = by_id["contact_account"]
    assert link["__typename"] == "BoardRelationValue" and len(link["linked_item_ids"]) == 1
    linked = ok(gql(monday, "{ items(ids: %s) { name } }" % link["linked_item_ids"][0]))["items"][0]
    assert link["display_value"] == linked["name"]
    for fragment, code in (("... on NoSuchValue { id }", "undefinedType"),
                           ("... on Board { id }", "cannotSpreadFragment")):
        response = gql(monday, "{ items(ids: [%s]) { column_values { %s } } }" % (contact["id"], fragment))
        assert response.status_code == 200 and response.json()["errors"][0]["extensions"]["code"] == code


def test_items_by_ids_pages_lowest_id_first(monday):
    """QueryItemsArgs{limit, page, newest_first}: 25 a page by default, lowest id first."""
    ids = [i["id"] for i in ok(gql(monday, "{ boards(ids: [%s]) { items_page(limit: 30) { items { id } } } }"
                                   % ACCOUNTS_BOARD_ID))["boards"][0]["items_page"]["items"]]
    asked = "[%s]" % ", ".join(reversed(ids))
    default = [i["id"] for i in ok(gql(monday, "{ items(ids: %s) { id } }" % asked))["items"]]
    assert default == sorted(ids, key=int)[:25]
    second = ok(gql(monday, "{ items(ids: %s, limit: 20, page: 2) { id } }" % asked))["items"]
    assert [i["id"] for i in second] == sorted(ids, key=int)[20:]
    newest = ok(gql(monday, "{ items(ids: %s, limit: 3, newest_first: true) { id } }" % asked))["items"]
    assert [i["id"] for i in newest] == sorted(ids, key=int, reverse=True)[:3]


def test_each_board_is_a_control_resource_seeded_in_order(monday):
    """Accounts, Contacts and Deals are three boards; the control API reseeds and shows each, and contacts
    and deals (seeded after accounts) link to the accounts seeded before them."""
    answer = monday.reset(counts={"accounts": 3, "contacts": 2, "opportunities": 4})
    # the boards' records; the updates (notes) and custom activities (engagement_types) seeded after them
    assert {k: answer["records"][k] for k in ("accounts", "contacts", "opportunities")} == \
        {"accounts": 3, "contacts": 2, "opportunities": 4}
    assert set(answer["records"]) == {"accounts", "contacts", "opportunities", "leads", "fields", "notes", "engagement_types"}
    accounts, contacts = monday.records("accounts"), monday.records("contacts")
    assert [i["board_id"] for i in accounts] == [ACCOUNTS_BOARD_ID] * 3
    assert [i["board_id"] for i in contacts] == [CONTACTS_BOARD_ID] * 2
    linked = [json.loads(v["value"])["linkedPulseIds"][0]["linkedPulseId"]
              for c in contacts for v in c["column_values"] if v["id"] == "contact_account"]
    assert [str(i) for i in linked] == [accounts[0]["id"], accounts[1]["id"]]
    boards = ok(gql(monday, "{ boards { id name items_count } }"))["boards"]
    assert boards == [{"id": ACCOUNTS_BOARD_ID, "name": "Accounts", "items_count": 3},
                      {"id": CONTACTS_BOARD_ID, "name": "Contacts", "items_count": 2},
                      {"id": DEALS_BOARD_ID, "name": "Deals", "items_count": 4},
                      {"id": LEADS_BOARD_ID, "name": "Leads", "items_count": answer["records"]["leads"]}]
    deals = monday.records("opportunities")
    deal_accounts = [json.loads(v["value"])["linkedPulseIds"][0]["linkedPulseId"]
                     for d in deals for v in d["column_values"] if v["id"] == "deal_account"]
    assert [str(i) for i in deal_accounts] == [accounts[0]["id"], accounts[1]["id"], accounts[2]["id"], accounts[0]["id"]]


CONTACT_FIELDS = ("id name column_values { id type text value ... on BoardRelationValue { linked_item_ids } "
                  "... on EmailValue { email label } }")


def test_contacts_board_columns_and_connect_boards_value_by_version(monday):
    """Contacts board: Email, Phone, Title, Accounts (connect boards to the Accounts board), Owner. From
    2025-04 a connect-boards `value` is null and `linked_item_ids` carries the link (changelog
    value-field-now-returns-null-on-connect-boards-dependency-and-subtasks-columns); 2025-01 still has it."""
    board = ok(gql(monday, "{ boards(ids: [%s]) { columns { id title type settings_str } } }"
                   % CONTACTS_BOARD_ID))["boards"][0]
    columns = {c["title"]: c for c in board["columns"]}
    assert {t: columns[t]["type"] for t in ("Email", "Phone", "Title", "Accounts", "Owner")} == {
        "Email": "email", "Phone": "phone", "Title": "text", "Accounts": "board_relation", "Owner": "people"}
    assert json.loads(columns["Accounts"]["settings_str"])["boardIds"] == [int(ACCOUNTS_BOARD_ID)]
    query = "{ boards(ids: [%s]) { items_page(limit: 1) { items { %s } } } }" % (CONTACTS_BOARD_ID, CONTACT_FIELDS)
    item = ok(gql(monday, query))["boards"][0]["items_page"]["items"][0]
    values = {v["id"]: v for v in item["column_values"]}
    assert values["contact_account"]["value"] is None and len(values["contact_account"]["linked_item_ids"]) == 1
    assert values["contact_email"]["email"] == values["contact_email"]["text"] and "@" in values["contact_email"]["email"]
    # 2025-01 is routed to 2025-04 since 2026-02-15 (changelog deprecating-versions-2025-01-and-2024-10-...):
    # the value is null there too; the control API shows the link as stored.
    old = ok(gql(monday, query, headers={**HEADERS, "API-Version": "2025-01"}))["boards"][0]["items_page"]["items"][0]
    assert next(v for v in old["column_values"] if v["id"] == "contact_account")["value"] is None
    stored = next(i for i in monday.records("contacts") if i["id"] == item["id"])
    linked = json.loads(next(v for v in stored["column_values"] if v["id"] == "contact_account")["value"])
    assert [str(p["linkedPulseId"]) for p in linked["linkedPulseIds"]] == values["contact_account"]["linked_item_ids"]


def test_contacts_connect_boards_writes(monday):
    """{"item_ids": [...]} replaces the linked items; only live items of a connected board may be linked;
    an item in the trash no longer shows as linked."""
    accounts = [i["id"] for i in monday.records("accounts")[:2]]
    contact = monday.records("contacts")[0]["id"]
    mutation = ("mutation ($b: ID!, $i: ID, $cv: JSON!) { change_multiple_column_values(board_id: $b, item_id: $i, "
                "column_values: $cv) { %s } }" % CONTACT_FIELDS)
    changed = ok(gql(monday, mutation, {"b": CONTACTS_BOARD_ID, "i": contact,
                                        "cv": json.dumps({"contact_account": {"item_ids": [int(a) for a in accounts]}})}))
    link = next(v for v in changed["change_multiple_column_values"]["column_values"] if v["id"] == "contact_account")
    assert link["linked_item_ids"] == accounts
    for bad in ({"item_ids": [int(contact)]}, {"item_ids": [1]}, {"linkedPulseIds": []}, [1]):
        response = gql(monday, mutation, {"b": CONTACTS_BOARD_ID, "i": contact, "cv": {"contact_account": bad}})
        assert response.status_code == 200
        assert response.json()["errors"][0]["extensions"]["code"] == "ColumnValueException", bad
    ok(gql(monday, f"mutation {{ delete_item(item_id: {accounts[0]}) {{ id }} }}"))
    again = ok(gql(monday, "{ items(ids: [%s]) { %s } }" % (contact, CONTACT_FIELDS)))["items"][0]
    assert next(v for v in again["column_values"] if v["id"] == "contact_account")["linked_item_ids"] == accounts[1:]
    cleared = ok(gql(monday, mutation, {"b": CONTACTS_BOARD_ID, "i": contact,
                                        "cv": {"contact_account": {"item_ids": []}}}))
    link = next(v for v in cleared["change_multiple_column_values"]["column_values"] if v["id"] == "contact_account")
    assert link["linked_item_ids"] == [] and link["text"] == ""


def test_contacts_email_column_writes(monday):
    """Email column: {"email", "text"} or the simple string "email text"; a malformed address is refused."""
    create = ("mutation ($b: ID!, $n: String!, $cv: JSON) { create_item(board_id: $b, item_name: $n, column_values: $cv) "
              "{ %s } }" % CONTACT_FIELDS)
    made = ok(gql(monday, create, {"b": CONTACTS_BOARD_ID, "n": "Ada Lovelace",
                                   "cv": json.dumps({"contact_email": {"email": "ada@engine.example", "text": "Ada"}})}))
    email = next(v for v in made["create_item"]["column_values"] if v["id"] == "contact_email")
    assert (email["email"], email["label"], email["text"]) == ("ada@engine.example", "Ada", "ada@engine.example")
    simple = ok(gql(monday, create, {"b": CONTACTS_BOARD_ID, "n": "Alan Turing",
                                     "cv": {"contact_email": "alan@bletchley.example Alan"}}))
    email = next(v for v in simple["create_item"]["column_values"] if v["id"] == "contact_email")
    assert (email["email"], email["label"]) == ("alan@bletchley.example", "Alan")
    response = gql(monday, create, {"b": CONTACTS_BOARD_ID, "n": "X", "cv": {"contact_email": {"email": "nope"}}})
    assert response.json()["errors"][0]["extensions"]["code"] == "ColumnValueException"


def test_items_page_limit_above_500_is_refused(monday):
    """querying-board-items: items_page and next_items_page serve at most 500 items; more is an error, or
    capped at 500 with the `page_limit_over_max` switch (what monday does is not documented)."""
    query = "{ boards(ids: [%s]) { items_page(limit: %d) { cursor items { id } } } }"
    assert len(ok(gql(monday, query % (CONTACTS_BOARD_ID, 500)))["boards"][0]["items_page"]["items"]) == 30
    response = gql(monday, query % (CONTACTS_BOARD_ID, 501))
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "InvalidArgumentException"
    cursor = ok(gql(monday, query % (CONTACTS_BOARD_ID, 5)))["boards"][0]["items_page"]["cursor"]
    response = gql(monday, 'query ($c: String!) { next_items_page(cursor: $c, limit: 501) { cursor } }', {"c": cursor})
    assert response.json()["errors"][0]["extensions"]["code"] == "InvalidArgumentException"
    monday.switch(page_limit_over_max="clamp")
    clamped = ok(gql(monday, query % (CONTACTS_BOARD_ID, 501)))["boards"][0]["items_page"]["items"]
    assert len(clamped) == 30


@pytest.mark.parametrize("document,code,message", [
    ('mutation { create_item(board_id: %s) { id } }' % CONTACTS_BOARD_ID, "missingRequiredArguments",
     "Field 'create_item' is missing required arguments: item_name"),
    ('mutation { create_item(item_name: "X") { id } }', "missingRequiredArguments",
     "Field 'create_item' is missing required arguments: board_id"),
    ('mutation { change_multiple_column_values(board_id: %s, item_id: 1) { id } }' % CONTACTS_BOARD_ID,
     "missingRequiredArguments", "Field 'change_multiple_column_values' is missing required arguments: column_values"),
    ('mutation { create_item(board_id: %s, item_name: "X", name: "Y") { id } }' % CONTACTS_BOARD_ID,
     "argumentNotAccepted", "Field 'create_item' doesn't accept argument 'name'"),
    ('{ items(ids: [1], board_id: 2) { id } }', "argumentNotAccepted", "Field 'items' doesn't accept argument 'board_id'"),
    ('{ boards(ids: [%s]) { items_page(first: 5) { cursor } } }' % CONTACTS_BOARD_ID, "argumentNotAccepted",
     "Field 'items_page' doesn't accept argument 'first'"),
    ('{ next_items_page(limit: 5) { cursor } }', "missingRequiredArguments",
     "Field 'next_items_page' is missing required arguments: cursor"),
    ('{ me(id: 1) { id } }', "argumentNotAccepted", "Field 'me' doesn't accept argument 'id'"),
])
def test_documents_are_validated_against_monday_s_arguments(monday, document, code, message):
    """Arguments follow monday's SDL (https://api.monday.com/v2/get_schema?format=sdl): an argument a field
    does not take, or a required one left out, fails validation (HTTP 200, `errors`, no `data`) and nothing
    runs."""
    before = len(monday.records("contacts"))
    response = gql(monday, document)
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"] == message and body["errors"][0]["extensions"]["code"] == code
    assert len(monday.records("contacts")) == before


def test_api_version_header_switch(monday):
    """The changelog announces API-Version becoming required (400 API_VERSION_REQUIRED); with the
    `api_version_header` switch at `required` a request without it is refused."""
    monday.switch(api_version_header="required")
    response = gql(monday, "{ me { id } }", headers={"Authorization": SANDBOX_TOKEN})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "API_VERSION_REQUIRED"
    assert ok(gql(monday, "{ me { id } }", headers={"Authorization": SANDBOX_TOKEN, "API-Version": "current"}))


@pytest.mark.parametrize("code,status", [("ResourceNotFoundException", 404), ("InvalidItemIdException", 400)])
def test_item_not_found_switch(monday, code, status):
    """A delete of a missing item: HTTP 200 with `errors`, the code and status_code the `item_not_found`
    switch names (monday documents both codes, not which one answers this)."""
    monday.switch(item_not_found=code)
    body = gql(monday, "mutation { delete_item(item_id: 123) { id } }").json()
    assert body["data"] == {"delete_item": None}
    assert body["errors"][0]["extensions"]["code"] == code and body["errors"][0]["extensions"]["status_code"] == status


def test_columns_are_created_renamed_described_and_deleted(monday):
    """create_column / change_column_title / change_column_metadata / delete_column
    (https://developer.monday.com/api-reference/reference/columns): the board's columns follow; the mandatory name
    column cannot be deleted; a type outside ColumnType and an unknown column are refused."""
    created = ok(gql(monday, "mutation ($b: ID!) { create_column(board_id: $b, title: \"Segment\", column_type: text,"
                             " description: \"Where they came from\") { id title type description } }",
                     {"b": CONTACTS_BOARD_ID}))["create_column"]
    assert created["title"] == "Segment" and created["type"] == "text" and created["id"].startswith("text_")
    column = created["id"]
    renamed = ok(gql(monday, "mutation ($b: ID!, $c: String!) { a: change_column_title(board_id: $b, column_id: $c,"
                             " title: \"Region\") { title } b: change_column_metadata(board_id: $b, column_id: $c,"
                             " column_property: description, value: \"Sales region\") { title description } }",
                     {"b": CONTACTS_BOARD_ID, "c": column}))
    assert renamed["b"] == {"title": "Region", "description": "Sales region"}
    listed = ok(gql(monday, "query ($b: [ID!]) { boards(ids: $b) { columns { id title } } }", {"b": [CONTACTS_BOARD_ID]}))
    assert {"id": column, "title": "Region"} in listed["boards"][0]["columns"]
    assert any(c["id"] == column for c in monday.records("fields"))

    name_column = gql(monday, "mutation ($b: ID!) { delete_column(board_id: $b, column_id: \"name\") { id } }",
                      {"b": CONTACTS_BOARD_ID}).json()
    assert name_column["errors"][0]["message"] == "Cannot delete mandatory columns"
    bad_type = gql(monday, "mutation ($b: ID!) { create_column(board_id: $b, title: \"X\", column_type: $t) { id } }"
                           .replace("$t", "spreadsheet"), {"b": CONTACTS_BOARD_ID}).json()
    assert "errors" in bad_type
    assert ok(gql(monday, "mutation ($b: ID!, $c: String!) { delete_column(board_id: $b, column_id: $c) { id } }",
                  {"b": CONTACTS_BOARD_ID, "c": column}))["delete_column"]["id"] == column
    gone = gql(monday, "mutation ($b: ID!, $c: String!) { delete_column(board_id: $b, column_id: $c) { id } }",
               {"b": CONTACTS_BOARD_ID, "c": column}).json()
    assert gone["errors"][0]["extensions"]["code"] == "InvalidColumnIdException"
