"""monday CRM deals through the gateway: the mapping against the Deals board's stored items, and the
writes as monday receives them (GraphQL documents; https://developer.monday.com/api-reference/reference/items,
https://developer.monday.com/api-reference/docs/status, .../connect)."""

from __future__ import annotations

import json

from support import list_all

from unigate.sandbox.monday import DEALS_BOARD_ID
from unigate.sandbox.monday.deals import STAGES

NAME = "monday"


def expected(item: dict, contacts_of: dict[str, list[str]]) -> dict:
    """The unified opportunity a stored Deals item should map to (written independently of the YAML)."""
    by_id = {v["id"]: v for v in item["column_values"]}
    value = lambda cid: json.loads(by_id[cid]["value"]) if by_id[cid]["value"] else None  # noqa: E731
    stage = by_id["deal_stage"]["text"]
    account = value("deal_account")
    out = {
        "id": item["id"], "name": item["name"], "amount": float(by_id["deal_value"]["text"]),
        "currency": by_id["deal_currency"]["text"],
        "owner": {"id": str(value("deal_owner")["personsAndTeams"][0]["id"])},
        "account": {"id": str(account["linkedPulseIds"][0]["linkedPulseId"])} if account else None,
        "contact": [{"id": c} for c in contacts_of.get(item["id"], [])] or None,
        "stage": {"id": str(value("deal_stage")["index"]), "name": stage},
        "status": "won" if stage == "Won" else "lost" if stage == "Lost" else "open",
        "close_date": value("deal_expected_close_date")["date"] + "T00:00:00Z",
        "custom_fields": {"Close probability": float(by_id["deal_close_probability"]["text"]),   # numbers: a number
                          **({"Lead source": by_id["text_mkx3src"]["text"]} if by_id["text_mkx3src"]["text"] else {})},
        "created_at": item["created_at"], "updated_at": item["updated_at"],
    }
    return {k: v for k, v in out.items() if v is not None}


def deals_board_items(ctl) -> list[dict]:
    return [i for i in ctl.records("opportunities") if i["board_id"] == DEALS_BOARD_ID and i["state"] == "active"]


def test_every_listed_deal_maps_from_the_stored_item(gateway, ctl):
    stored = {i["id"]: i for i in deals_board_items(ctl)}
    contacts_of = {}
    for item in stored.values():
        link = next(v for v in item["column_values"] if v["id"] == "deal_contact")["value"]
        contacts_of[item["id"]] = [] if not link else [str(p["linkedPulseId"]) for p in json.loads(link)["linkedPulseIds"]]
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="opportunities") for r in page]
    assert len(listed) == len(stored)
    statuses, currencies = set(), set()
    for record in listed:
        record.pop("remote_data")
        assert record == expected(stored[record["id"]], contacts_of)
        statuses.add(record["status"])
        currencies.add(record["currency"])
    assert statuses == {"open", "won", "lost"} and len(currencies) > 1


def test_a_create_sends_the_deals_column_values_and_reads_the_deal_back(gateway, ctl):
    contacts = [i["id"] for i in ctl.records("contacts")[:2]]
    account = ctl.records("accounts")[0]["id"]
    ctl.clear_requests()
    sent = {"name": "Gateway deal", "amount": 1234.5, "currency": "EUR", "owner": {"id": "48213002"},
            "account": {"id": account}, "contact": [{"id": c} for c in contacts], "stage": {"id": "2"},
            "close_date": "2027-03-31T22:30:00-05:00", "custom_fields": {"Lead source": "Gateway"}}
    created = gateway.unified("POST", NAME, json=sent, resource="opportunities")
    assert created.status_code == 200, created.text
    mutation = next(r for r in ctl.requests() if "create_item" in r["body"]["query"])
    assert mutation["body"]["variables"]["name"] == "Gateway deal"
    assert json.loads(mutation["body"]["variables"]["values"]) == {
        "deal_stage": {"index": 2}, "deal_value": "1234.5", "deal_currency": {"label": "EUR"},
        "deal_expected_close_date": {"date": "2027-04-01"},
        "deal_owner": {"personsAndTeams": [{"id": 48213002, "kind": "person"}]},
        "deal_account": {"item_ids": [int(account)]}, "deal_contact": {"item_ids": [int(c) for c in contacts]},
        "text_mkx3src": "Gateway"}
    body = created.json()
    assert body["stage"] == {"id": "2", "name": "Discovery"} and body["status"] == "open"
    assert body["amount"] == 1234.5 and body["currency"] == "EUR"
    assert body["contact"] == [{"id": c} for c in contacts] and body["account"] == {"id": account}


def test_moving_to_a_won_or_lost_stage_is_how_a_deal_closes(gateway, ctl):
    deal_id = deals_board_items(ctl)[0]["id"]
    for index, status in (("14", "won"), ("15", "lost"), ("1", "open")):
        moved = gateway.unified("PATCH", NAME, deal_id, json={"stage": {"id": index}}, resource="opportunities")
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status and moved.json()["stage"]["id"] == index
    ctl.clear_requests()
    refused = gateway.unified("PATCH", NAME, deal_id, json={"status": "won"}, resource="opportunities")
    assert refused.status_code == 400 and "Won or Lost stage" in refused.json()["message"]
    assert not [r for r in ctl.requests() if "change_multiple_column_values" in r["body"]["query"]]


def test_a_stage_or_currency_the_board_lacks_is_mondays_refusal(gateway, ctl):
    deal_id = deals_board_items(ctl)[0]["id"]
    for body in ({"stage": {"id": "57"}}, {"currency": "XTS"}):
        refused = gateway.unified("PATCH", NAME, deal_id, json=body, resource="opportunities")
        assert refused.status_code == 400, refused.text
        assert refused.json()["truto_is_remote_error"] is True


def test_a_deal_of_another_board_is_not_found(gateway, ctl):
    contact_id = ctl.records("contacts")[0]["id"]
    for method in ("GET", "DELETE"):
        assert gateway.unified(method, NAME, contact_id, resource="opportunities").status_code == 404
    patched = gateway.unified("PATCH", NAME, contact_id, json={"name": "x"}, resource="opportunities")
    assert patched.status_code == 404


def test_stages_are_the_stage_columns_labels_on_the_deals_board(gateway, ctl):
    listed = [r for page in list_all(gateway, NAME, limit=7, resource="stages") for r in page]
    for record in listed:
        record.pop("remote_data")
    assert listed == [{"id": str(i), "name": label, "position": i, "status": "active",
                       "pipeline": {"id": DEALS_BOARD_ID, "name": "Deals"}} for i, label in enumerate(STAGES)]
    got = gateway.unified("GET", NAME, "3", resource="stages")
    assert got.status_code == 200 and got.json()["name"] == STAGES[3]
    assert gateway.unified("GET", NAME, "99", resource="stages").status_code == 404
    refused = gateway.unified("POST", NAME, json={"name": "Onboarding"}, resource="stages")
    assert refused.status_code == 405 and "2025-07" in refused.json()["message"], refused.text
