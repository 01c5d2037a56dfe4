"""monday users, leads, fields and list filters through the gateway: what monday receives for a filter (items_page
query_params rules on its pseudo-columns, users arguments), the mapping against what the sandbox stores, and
monday's refusals (https://developer.monday.com/api-reference/reference/users,
https://developer.monday.com/api-reference/reference/columns,
https://developer.monday.com/api-reference/changelog/ability-to-sort-items_page-results-by-creation-or-last-updated-date)."""

from __future__ import annotations

import orjson
import requests
from support import list_all

from unigate.sandbox.monday import ACCOUNTS_BOARD_ID, LEADS_BOARD_ID
from unigate.sandbox.monday.common import DEACTIVATED_USERS, USERS

NAME = "monday"


def sent_documents(ctl) -> list[dict]:
    return [r["body"] for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith("/v2")]


def test_users_are_the_owners_other_records_name(gateway, ctl):
    users = {u["id"]: u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page}
    assert {uid for uid, _, _ in USERS} <= set(users)
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=50, resource="contacts") for r in page
              if r.get("owner")}
    assert owners and owners <= set(users)
    gone = users[DEACTIVATED_USERS[0][0]]
    assert gone["is_active"] is False and users[USERS[0][0]]["is_active"] is True
    assert users[USERS[0][0]]["email"] == USERS[0][2]


def test_a_users_page_is_a_users_page_argument_and_email_is_the_emails_argument(gateway, ctl):
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": USERS[2][2], "limit": 3}, resource="users")
    assert found.status_code == 200, found.text
    assert [u["id"] for u in found.json()["result"]] == [USERS[2][0]]
    variables = sent_documents(ctl)[-1]["variables"]
    assert variables == {"limit": 3, "page": 1, "emails": [USERS[2][2]]}


def test_a_name_filter_is_sent_with_kind_so_monday_matches_it_exactly(gateway, ctl):
    """monday matches `name` fuzzily unless `kind` (or `emails`) comes with it: the gateway sends kind: all."""
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"name": "Dana"}, resource="users")
    assert found.status_code == 200 and found.json()["result"] == []          # no member is named "Dana" alone
    assert sent_documents(ctl)[-1]["variables"]["kind"] == "all"
    exact = gateway.unified("GET", NAME, params={"name": USERS[0][1]}, resource="users").json()["result"]
    assert [u["id"] for u in exact] == [USERS[0][0]]


def test_users_newest_first(gateway, ctl):
    page = gateway.unified("GET", NAME, params={"sort_by[created_at]": "desc", "limit": 50}, resource="users")
    assert page.status_code == 200, page.text
    assert sent_documents(ctl)[-1]["variables"]["newest"] is True
    times = [u["created_at"] for u in page.json()["result"]]
    assert times == sorted(times, reverse=True)


def test_updated_since_is_a_last_updated_rule_on_the_first_page_only(gateway, ctl):
    """updated_at[gt] becomes an items_page rule on __last_updated__; the next pages go by the cursor alone,
    which carries the filter (next_items_page takes no query_params)."""
    ctl.clear_requests()
    pages = list_all(gateway, NAME, limit=2, resource="leads", params={"updated_at[gt]": "2023-01-05T00:00:00Z"})
    documents = sent_documents(ctl)
    first = next(d for d in documents if "items_page(limit: $limit, query_params: $qp)" in d["query"])
    assert first["variables"]["qp"] == {"rules": [{"column_id": "__last_updated__", "operator": "greater_than",
                                                   "compare_value": ["2023-01-05T00:00:00.000Z"],
                                                   "compare_attribute": "UPDATED_AT"}]}
    assert len(pages) > 1 and any("next_items_page" in d["query"] for d in documents)
    assert all(r["updated_at"] > "2023-01-05T00:00:00Z" for page in pages for r in page)


def test_a_time_range_and_created_sort_are_sent_together(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="accounts", params={
        "created_at[gte]": "2023-01-02T00:00:00Z", "created_at[lt]": "2023-01-04T00:00:00Z",
        "sort_by[created_at]": "desc", "limit": 50})
    assert listed.status_code == 200, listed.text
    qp = sent_documents(ctl)[-1]["variables"]["qp"]
    assert [(r["column_id"], r["operator"]) for r in qp["rules"]] == [
        ("__creation_log__", "greater_than_or_equals"), ("__creation_log__", "lower_than")]
    assert qp["order_by"] == [{"column_id": "__creation_log__", "direction": "desc"}]
    times = [r["created_at"] for r in listed.json()["result"]]
    assert times and times == sorted(times, reverse=True)
    assert all("2023-01-02" <= t < "2023-01-04" for t in times)


def test_an_operator_monday_cannot_apply_is_refused_before_monday_is_called(gateway, ctl):
    ctl.clear_requests()
    refused = gateway.unified("GET", NAME, params={"name[like]": "Acme"}, resource="accounts")
    assert refused.status_code == 400 and "eq" in refused.text
    assert not sent_documents(ctl)


def test_a_time_rule_with_a_text_operator_is_refused(sandbox, ctl):
    """`contains_text` is no time comparison: monday answers an error inside HTTP 200."""
    answer = requests.post(f"{sandbox.url}/monday/v2", headers={"Authorization": "sandbox-monday-token"}, timeout=10,
                           json={"query": "query ($qp: ItemsQuery) { boards(ids: [\"" + LEADS_BOARD_ID + "\"]) "
                                          "{ items_page(limit: 5, query_params: $qp) { items { id } } } }",
                                 "variables": {"qp": {"rules": [{"column_id": "__last_updated__", "compare_value": ["x"],
                                                                 "operator": "contains_text"}]}}})
    assert answer.status_code == 200
    assert answer.json()["errors"][0]["extensions"]["code"] == "InvalidArgumentException"


def test_leads_map_the_leads_board_items(gateway, ctl):
    stored = {i["id"]: i for i in ctl.records("leads") if i["state"] == "active"}
    listed = [r for page in list_all(gateway, NAME, limit=10, resource="leads") for r in page]
    assert {r["id"] for r in listed} == set(stored)
    for record in listed:
        item = stored[record["id"]]
        by_id = {v["id"]: v for v in item["column_values"]}
        assert item["board_id"] == LEADS_BOARD_ID
        assert record["status"] == by_id["lead_status"]["text"]
        assert record["company_name"] == by_id["lead_company"]["text"]
        assert record["email_addresses"] == [{"email": orjson.loads(by_id["lead_email"]["value"])["email"]}]
        custom = record.get("custom_fields") or {}
        assert set(custom) <= {"Region", "Lead score"}
        if by_id["numeric_mkx4scr"]["text"]:
            assert custom["Lead score"] == float(by_id["numeric_mkx4scr"]["text"])


def test_a_lead_status_monday_lacks_is_monday_s_column_value_error(gateway, ctl):
    created = gateway.unified("POST", NAME, json={"name": "Ada Probe", "status": "Maybe later"}, resource="leads")
    assert created.status_code == 400, created.text
    assert created.json()["raw_response"]["errors"][0]["extensions"]["code"] == "ColumnValueException"


def test_fields_are_the_entity_board_columns(gateway, ctl):
    leads = gateway.unified("GET", NAME, params={"entity": "lead", "limit": 50}, resource="fields").json()["result"]
    by_name = {f["name"]: f for f in leads}
    assert by_name["Lead score"] == {"id": "numeric_mkx4scr", "name": "Lead score", "label": "Lead score",
                                     "description": "How likely the lead is to buy (0-100)", "type": "number",
                                     "is_user_defined": True, "is_editable": True, "entity_type": "lead",
                                     "remote_data": by_name["Lead score"]["remote_data"]}
    assert by_name["Status"]["type"] == "enum" and by_name["Status"]["is_user_defined"] is False
    assert [o["value"] for o in by_name["Status"]["options"]][:2] == ["New lead", "Attempted to contact"]
    assert by_name["Owner"]["reference_entity"] == "user" and by_name["Owner"]["is_editable"] is False
    deals = gateway.unified("GET", NAME, params={"entity": "opportunity", "limit": 50}, resource="fields").json()
    assert {f["entity_type"] for f in deals["result"]} == {"opportunity"}
    one = gateway.unified("GET", NAME, "numeric_mkx4scr", params={"entity": "lead"}, resource="fields")
    assert one.status_code == 200 and one.json()["label"] == "Lead score"
    assert gateway.unified("GET", NAME, "numeric_mkx4scr", params={"entity": "account"},
                           resource="fields").status_code == 404


def test_a_field_is_a_column_created_on_its_entity_board_then_renamed_and_deleted(gateway, ctl):
    """create_column on the board `entity_type` names, typed from the unified type; the label renames it
    (change_column_title), and a typed custom field value on an account reads back as a number."""
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={"label": "Renewal score", "type": "number", "entity_type": "account",
                                                  "description": "0-10"}, resource="fields")
    assert created.status_code == 200, created.text
    field = created.json()
    assert (field["entity_type"], field["type"], field["label"], field["is_user_defined"]) == \
        ("account", "number", "Renewal score", True)
    sent = sent_documents(ctl)[-1]
    assert "create_column" in sent["query"]
    assert sent["variables"] == {"board": ACCOUNTS_BOARD_ID, "title": "Renewal score", "type": "numbers",
                                 "description": "0-10"}
    column = next(c for c in ctl.records("fields") if c["id"] == field["id"])
    assert (column["board_id"], column["type"]) == (ACCOUNTS_BOARD_ID, "numbers")

    account = gateway.unified("GET", NAME, params={"limit": 1}, resource="accounts").json()["result"][0]
    written = gateway.unified("PATCH", NAME, account["id"], json={"custom_fields": {"Renewal score": 8}})
    assert written.status_code == 200, written.text
    assert gateway.unified("GET", NAME, account["id"]).json()["custom_fields"]["Renewal score"] == 8

    renamed = gateway.unified("PATCH", NAME, field["id"], params={"entity": "account"}, json={"label": "Renewal odds"},
                              resource="fields")
    assert renamed.status_code == 200 and renamed.json()["label"] == "Renewal odds"
    refused = gateway.unified("PATCH", NAME, field["id"], params={"entity": "account"}, json={"type": "text"},
                              resource="fields")
    assert refused.status_code == 400 and "type" in refused.json()["message"]
    deleted = gateway.unified("DELETE", NAME, field["id"], params={"entity": "account"}, resource="fields")
    assert deleted.status_code == 200, deleted.text
    assert field["id"] not in {c["id"] for c in ctl.records("fields")}
    name_column = gateway.unified("DELETE", NAME, "name", params={"entity": "account"}, resource="fields")
    assert name_column.status_code == 400 and "mandatory" in name_column.json()["message"]
