"""monday.com's official Python SDK (`monday-api-python-sdk`, import `monday_sdk`) drives the monday emulator.

The SDK builds its GraphQL documents by string formatting: every argument is inlined (no variables),
`column_values` is a JSON-encoded string literal, and item reads select `complexity { query after }`,
`subitems { parent_item { id } }` and inline fragments on `MirrorValue` / `BoardRelationValue` /
`DependencyValue`. These tests check the emulator answers those documents as monday does, for what the
unified API relies on: the Accounts board and its columns, reading items through `items_page` /
`next_items_page` cursors, create, change column values, delete, and errors.

Pointing the SDK at the sandbox: `MondayClient` takes no endpoint argument, and `monday_sdk.constants.API_URL`
is copied into `MondayGraphQL.endpoint` when the client is built. Every SDK module (`client.boards`,
`client.items`, ...) exposes the one shared `MondayGraphQL` handler as its public `client` attribute, so the
tests set that handler's public `endpoint` attribute after construction. `max_retry_attempts=1` (a
constructor argument) keeps the SDK from re-sending a failed request; no test touches the 429 /
ComplexityException paths, where the SDK sleeps.
"""

from __future__ import annotations

import json

import pytest
from monday_sdk import MondayClient
from monday_sdk import graphql_handler
from monday_sdk.constants import API_VERSION
from monday_sdk.exceptions import MondayQueryError
from monday_sdk.utils import extract_column_value_by_id, extract_column_value_by_title

from unigate.sandbox.monday import ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, ITEM_NOT_FOUND_CODE, SANDBOX_TOKEN


@pytest.fixture
def monday(sandbox):
    control = sandbox.control("monday")
    control.reset()
    control.clear_requests()
    yield control
    control.reset()


def sdk_client(control, token: str = SANDBOX_TOKEN) -> MondayClient:
    client = MondayClient(token=token, max_retry_attempts=1)
    handler = client.boards.client
    assert handler is client.items.client is client.custom.client  # one handler shared by every module
    handler.endpoint = control.url + "/v2"
    return client


@pytest.fixture
def client(monday) -> MondayClient:
    return sdk_client(monday)


@pytest.fixture
def query_errors(monkeypatch) -> list[MondayQueryError]:
    """The `MondayQueryError`s the SDK raises internally (its retry loop wraps them in a plain Exception)."""
    seen: list[MondayQueryError] = []
    original = graphql_handler.throw_monday_error

    def recording(*args, **kwargs):
        try:
            original(*args, **kwargs)
        except MondayQueryError as exc:
            seen.append(exc)
            raise

    monkeypatch.setattr(graphql_handler, "throw_monday_error", recording)
    return seen


def item_by_id(client: MondayClient, item_id: str):
    found = client.items.fetch_items_by_id(item_id)
    assert len(found) == 1
    return found[0]


def test_sdk_sends_raw_token_and_its_api_version(monday, client):
    """The SDK sends `Authorization: <token>` (no Bearer) and its own `API-Version`."""
    client.boards.fetch_boards()
    request = monday.requests()[-1]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert request["method"] == "POST" and request["path"].endswith("/monday/v2")
    assert headers["authorization"] == SANDBOX_TOKEN
    assert headers["api-version"] == API_VERSION


def test_fetch_boards_and_the_accounts_board_columns(client):
    """Boards list, then the Accounts board by id with its columns (id, title, type, settings_str)."""
    boards = client.boards.fetch_boards().data.boards
    by_name = {b.name: b for b in boards}
    assert by_name["Accounts"].id == ACCOUNTS_BOARD_ID and by_name["Contacts"].id == CONTACTS_BOARD_ID
    assert {g.id for g in by_name["Accounts"].groups} >= {"topics"}

    board = client.boards.fetch_boards_by_id(ACCOUNTS_BOARD_ID)
    raw = board.response_data["data"]["boards"][0]
    assert raw["permissions"] and isinstance(raw["tags"], list)
    columns = {c.title: c for c in board.data.boards[0].columns}
    assert columns["Domain"].type == "link" and columns["Industry"].type == "status"
    assert columns["Account owner"].type == "people" and columns["Contacts"].type == "board_relation"

    described = client.boards.fetch_columns_by_board_id(ACCOUNTS_BOARD_ID).response_data["data"]["boards"][0]
    industry = next(c for c in described["columns"] if c["id"] == "industry")
    assert json.loads(industry["settings_str"])["labels"]


def test_items_page_then_next_items_page_cursor(monday, client):
    """The SDK's pager reads `boards { items_page }` then `next_items_page(cursor)` until null."""
    every = client.boards.fetch_all_items_by_board_id(ACCOUNTS_BOARD_ID, limit=7)
    ids = [i.id for i in every]
    assert len(ids) == len(set(ids)) > 7
    sent = [r["body"]["query"] for r in monday.requests()]
    assert "items_page (limit: 7)" in sent[0] and all("next_items_page(limit: 7" in q for q in sent[1:])
    assert len(sent) == -(-len(ids) // 7)

    first = every[0]
    assert first.name and first.updated_at and first.group.id and first.subitems == []
    by_type = {cv.type: cv for cv in first.column_values}
    assert json.loads(by_type["link"].value)["url"].startswith("https://")
    assert extract_column_value_by_title(first, "Industry") == by_type["status"].text
    # `... on BoardRelationValue { display_value }` applies to the connect-boards column only.
    assert by_type["board_relation"].display_value is not None
    assert by_type["text"].display_value is None


def test_items_page_with_query_params(client):
    """`query_params` rules are inlined as a GraphQL input object and filter the page."""
    every = client.boards.fetch_all_items_by_board_id(ACCOUNTS_BOARD_ID)
    target = every[3]
    params = {"rules": [{"column_id": "name", "compare_value": [target.name], "operator": "any_of"}]}
    found = client.boards.fetch_all_items_by_board_id(ACCOUNTS_BOARD_ID, query_params=params)
    assert [i.id for i in found] == [target.id]


def test_create_item_with_column_values_then_change_and_delete(client):
    """create_item (column_values as a JSON string), change_* mutations, delete_item (soft delete)."""
    created = client.items.create_item(
        ACCOUNTS_BOARD_ID, "topics", "SDK Made Co",
        column_values={"company_domain": {"url": "https://sdkmade.example", "text": "sdkmade.example"},
                       "industry": {"label": "Software"}, "company_employees": "42",
                       "text_mkx1src": "Official SDK"})
    item_id = created.data.create_item.id
    assert item_id

    item = item_by_id(client, item_id)
    assert item.name == "SDK Made Co" and item.state == "active" and item.group.id == "topics"
    assert extract_column_value_by_id(item, "industry") == "Software"
    assert extract_column_value_by_id(item, "company_employees") == "42"
    assert extract_column_value_by_id(item, "company_domain") == "sdkmade.example - https://sdkmade.example"

    changed = client.items.change_multiple_column_values(
        ACCOUNTS_BOARD_ID, item_id, {"name": "SDK Renamed Co", "company_employees": "43"})
    assert changed.response_data["data"]["change_multiple_column_values"]["name"] == "SDK Renamed Co"
    client.items.change_simple_column_value(ACCOUNTS_BOARD_ID, item_id, "text_mkx1src", "Referral")
    client.items.change_status_column_value(ACCOUNTS_BOARD_ID, item_id, "industry", "Healthcare")
    custom = client.items.change_custom_column_value(ACCOUNTS_BOARD_ID, item_id, "company_description",
                                                     {"text": "Made through the SDK"})
    values = {cv["id"]: cv for cv in custom.response_data["data"]["change_column_value"]["column_values"]}
    assert values["company_description"]["text"] == "Made through the SDK"
    assert json.loads(values["industry"]["value"])["index"] is not None

    item = item_by_id(client, item_id)
    assert item.name == "SDK Renamed Co"
    assert extract_column_value_by_id(item, "company_employees") == "43"
    assert extract_column_value_by_id(item, "text_mkx1src") == "Referral"
    assert extract_column_value_by_id(item, "industry") == "Healthcare"

    deleted = client.items.delete_item_by_id(item_id)
    assert deleted.response_data["data"]["delete_item"]["id"] == item_id
    assert item_by_id(client, item_id).state == "deleted"  # soft delete: still readable by id
    remaining = client.boards.fetch_all_items_by_board_id(ACCOUNTS_BOARD_ID)
    assert item_id not in {i.id for i in remaining}


def test_unknown_item_raises_the_sdk_query_error(client, query_errors):
    """Deleting a missing item is HTTP 200 with `errors[]`; the SDK raises `MondayQueryError`
    (with monday's request_id) and, retries exhausted, reports it."""
    with pytest.raises(Exception, match="Item not found") as failure:
        client.items.delete_item_by_id(1)
    assert "after 1 attempts" in str(failure.value)
    [error] = query_errors
    assert isinstance(error, MondayQueryError) and str(error).startswith("Item not found")
    assert error.request_id and error.request_id in str(failure.value)
    assert error.original_errors[0]["extensions"]["code"] == ITEM_NOT_FOUND_CODE
    assert error.original_errors[0]["path"] == ["delete_item"]


def test_invalid_column_value_raises_the_sdk_query_error(client, query_errors):
    """A status label that does not exist (create_labels_if_missing false) is a ColumnValueException."""
    with pytest.raises(Exception, match="label does not exist in column"):
        client.items.create_item(ACCOUNTS_BOARD_ID, "topics", "Bad Label Co",
                                 column_values={"industry": {"label": "No Such Industry"}})
    extensions = query_errors[0].original_errors[0]["extensions"]
    # https://developer.monday.com/api-reference/changelog/bug-fix-column-value-exception-error-column_type-update
    assert (extensions["code"], extensions["status_code"], extensions["error_data"]["column_type"]) == \
        ("ColumnValueException", 200, "color")
    created = client.items.create_item(ACCOUNTS_BOARD_ID, "topics", "New Label Co",
                                       column_values={"industry": {"label": "No Such Industry"}},
                                       create_labels_if_missing=True)
    item = item_by_id(client, created.data.create_item.id)
    assert extract_column_value_by_id(item, "industry") == "No Such Industry"


def test_bad_token_is_http_401(monday):
    """A wrong token is a transport-level 401, which the SDK reports with the status."""
    client = sdk_client(monday, token="not-the-sandbox-token")
    with pytest.raises(Exception, match="HTTP 401"):
        client.boards.fetch_boards()
    assert len(monday.requests()) == 1


def test_contacts_board_items_linked_to_an_account(monday, client):
    """The Contacts board through the SDK: a contact created with its email, phone and the account it
    belongs to (a connect-boards column, `{"item_ids": [...]}`), paged with the other contacts and read
    back by id with the link."""
    account = client.boards.fetch_all_items_by_board_id(ACCOUNTS_BOARD_ID, limit=5)[0]
    created = client.items.create_item(
        CONTACTS_BOARD_ID, "topics", "Grace Hopper",
        column_values={"contact_email": {"email": "grace@navy.example", "text": "Grace"},
                       "contact_phone": {"phone": "+12025550188", "countryShortName": "US"},
                       "contact_account": {"item_ids": [int(account.id)]}, "contact_title": "Rear Admiral"})
    contact_id = created.data.create_item.id
    contacts = client.boards.fetch_all_items_by_board_id(CONTACTS_BOARD_ID, limit=50)
    assert contact_id in {c.id for c in contacts}
    contact = item_by_id(client, contact_id)
    assert contact.name == "Grace Hopper" and contact.state == "active"
    assert extract_column_value_by_id(contact, "contact_title") == "Rear Admiral"
    assert extract_column_value_by_title(contact, "Email") == "grace@navy.example"
    # The SDK reads a connect-boards column through `... on BoardRelationValue { display_value }`.
    assert extract_column_value_by_id(contact, "contact_account") == account.name
    stored = next(i for i in monday.records("contacts") if i["id"] == contact_id)
    assert {cv["id"]: cv["text"] for cv in stored["column_values"]}["contact_account"] == account.name


def test_a_document_monday_s_schema_refuses_raises_the_sdk_query_error(client, query_errors):
    """A document leaving out a required argument fails validation against monday's schema; the SDK
    raises MondayQueryError with the error's code, and nothing is created."""
    with pytest.raises(Exception, match="missing required arguments: item_name"):
        client.custom.execute_custom_query('mutation { create_item(board_id: %s) { id } }' % CONTACTS_BOARD_ID)
    assert query_errors[0].original_errors[0]["extensions"]["code"] == "missingRequiredArguments"
