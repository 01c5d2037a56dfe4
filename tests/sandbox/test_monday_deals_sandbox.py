"""The monday emulator's Deals board: items linked to accounts and contacts through connect-boards columns,
a Stage status column whose labels are the stages (https://developer.monday.com/api-reference/docs/status),
and monday's refusal of a label or index the column lacks."""

from __future__ import annotations

import json

import pytest
import requests

from unigate.sandbox.monday import DEALS_BOARD_ID, SANDBOX_TOKEN
from unigate.sandbox.monday.deals import STAGES

HEADERS = {"Authorization": SANDBOX_TOKEN, "API-Version": "2025-07"}
CHANGE = ("mutation ($board: ID!, $id: ID, $values: JSON!) { change_multiple_column_values(board_id: $board, "
          "item_id: $id, column_values: $values) { id column_values(ids: [\"deal_stage\"]) { text value } } }")


@pytest.fixture
def monday(sandbox):
    control = sandbox.control("monday")
    control.reset()
    yield control
    control.reset()


def gql(control, query: str, variables: dict | None = None) -> dict:
    response = requests.post(control.url + "/v2", json={"query": query, "variables": variables or {}},
                             headers=HEADERS, timeout=10)
    assert response.status_code in (200, 400), response.text
    return response.json()


def values_of(item: dict) -> dict:
    return {v["id"]: v for v in item["column_values"]}


def test_seeded_deals_link_accounts_and_their_contacts_in_every_stage_and_several_currencies(monday):
    deals = [i for i in monday.records("opportunities") if i["board_id"] == DEALS_BOARD_ID]
    contacts = {i["id"]: values_of(i) for i in monday.records("contacts")}
    accounts = {i["id"] for i in monday.records("accounts")}
    assert len(deals) == 60
    stages, currencies, with_contact = set(), set(), 0
    for deal in deals:
        values = values_of(deal)
        account = str(json.loads(values["deal_account"]["value"])["linkedPulseIds"][0]["linkedPulseId"])
        assert account in accounts
        if values["deal_contact"]["value"]:
            contact = str(json.loads(values["deal_contact"]["value"])["linkedPulseIds"][0]["linkedPulseId"])
            linked = json.loads(contacts[contact]["contact_account"]["value"])["linkedPulseIds"][0]["linkedPulseId"]
            assert str(linked) == account
            with_contact += 1
        stages.add(values["deal_stage"]["text"])
        currencies.add(values["deal_currency"]["text"])
    assert stages == set(STAGES) and len(STAGES) == 16
    assert len(currencies) == 3 and with_contact > 20


def test_the_stage_moves_by_index_or_label_and_an_unknown_one_is_refused(monday):
    deal = next(i for i in monday.records("opportunities") if i["board_id"] == DEALS_BOARD_ID)
    for values, label in (({"deal_stage": {"index": 3}}, "Needs analysis"), ({"deal_stage": {"label": "Won"}}, "Won")):
        body = gql(monday, CHANGE, {"board": DEALS_BOARD_ID, "id": deal["id"], "values": json.dumps(values)})
        assert body["data"]["change_multiple_column_values"]["column_values"][0]["text"] == label
    for values in ({"deal_stage": {"index": 42}}, {"deal_stage": {"label": "Maybe"}}):
        body = gql(monday, CHANGE, {"board": DEALS_BOARD_ID, "id": deal["id"], "values": json.dumps(values)})
        assert body["errors"][0]["extensions"]["code"] == "ColumnValueException", body
    assert values_of(next(i for i in monday.records("opportunities") if i["id"] == deal["id"]))["deal_stage"]["text"] == "Won"


def test_the_stage_labels_are_the_columns_settings(monday):
    body = gql(monday, 'query ($b: [ID!]) { boards(ids: $b) { columns(ids: ["deal_stage"]) { settings_str } } }',
               {"b": [DEALS_BOARD_ID]})
    settings = json.loads(body["data"]["boards"][0]["columns"][0]["settings_str"])
    assert settings["labels"] == {str(i): label for i, label in enumerate(STAGES)}
