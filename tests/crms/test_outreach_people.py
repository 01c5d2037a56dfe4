"""Outreach users, fields, custom fields and list filters through the gateway: what Outreach receives for a filter
(filter[updatedAt]=<from>..<to> ranges, sort), users read and updated, custom field slots read from GET /types and
typed by their validation, and Outreach's refusals (https://developers.outreach.io/api/reference/tag/User/,
https://developers.outreach.io/api/making-requests/, https://api.outreach.io/api/v2/schema/openapi.json)."""

from __future__ import annotations

import pytest
import requests
from support import list_all

from unigate.sandbox.outreach import SANDBOX_TOKEN, SANDBOX_USER_IDS
from unigate.sandbox.outreach.types import VALIDATIONS
from unigate.sandbox.outreach.users import LOCKED_USER_IDS

NAME = "outreach"
JSONAPI = "application/vnd.api+json"


def gets(ctl, path: str) -> list[dict]:
    """The query of each GET the emulator received on `path`."""
    return [dict(r["query_params"]) for r in ctl.requests() if r["method"] == "GET" and r["path"].endswith(path)]


def outreach(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {SANDBOX_TOKEN}", "Content-Type": JSONAPI}
    return requests.request(method, f"{sandbox.url}/outreach/api/v2{path}", headers=headers, timeout=10, **kwargs)


def test_users_are_the_owners_and_a_locked_user_is_inactive(gateway, ctl):
    users = {u["id"]: u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page}
    assert set(users) == {str(u["id"]) for u in ctl.records("users")}
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=50, resource="contacts") for r in page}
    assert owners <= {str(i) for i in SANDBOX_USER_IDS} <= set(users)
    assert users[str(LOCKED_USER_IDS[0])]["is_active"] is False and users["1"]["is_active"] is True
    one = gateway.unified("GET", NAME, "2", resource="users").json()
    stored = next(u for u in ctl.records("users") if u["id"] == 2)["attributes"]
    assert one["name"] == f"{stored['firstName']} {stored['lastName']}" and one["email"] == stored["email"]


def test_an_updated_since_filter_is_an_open_ended_range_and_gt_moves_it_a_millisecond(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="contacts",
                             params={"updated_at[gt]": "2023-01-05T00:00:00Z", "sort_by[updated_at]": "asc", "limit": 50})
    assert listed.status_code == 200, listed.text
    sent = gets(ctl, "/api/v2/prospects")[-1]
    assert sent["filter[updatedAt]"] == "2023-01-05T00:00:00.001Z..inf"
    assert sent["sort"] == "updatedAt" and sent["count"] == "false"
    times = [r["updated_at"] for r in listed.json()["result"]]
    assert times and times == sorted(times) and all(t > "2023-01-05T00:00:00Z" for t in times)


def test_an_upper_bound_starts_the_range_at_1970(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="opportunities",
                             params={"created_at[lt]": "2023-01-04T00:00:00Z", "sort_by[name]": "desc"})
    assert listed.status_code == 200, listed.text
    sent = gets(ctl, "/api/v2/opportunities")[-1]
    assert sent["filter[createdAt]"] == "1970-01-01T00:00:00.000Z..2023-01-03T23:59:59.999Z"
    assert sent["sort"] == "-name"
    assert all(r["created_at"] < "2023-01-04T00:00:00Z" for r in listed.json()["result"])


def test_users_by_email_and_contacts_by_any_of_their_emails(gateway, ctl):
    user = ctl.records("users")[3]["attributes"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": user["email"]}, resource="users").json()["result"]
    assert [u["email"] for u in found] == [user["email"]]
    assert gets(ctl, "/api/v2/users")[-1]["filter[email]"] == user["email"]
    prospect = next(p for p in ctl.records("contacts") if len(p["attributes"]["emails"]) > 1)
    second = prospect["attributes"]["emails"][1]
    found = gateway.unified("GET", NAME, params={"email_addresses": second}, resource="contacts").json()["result"]
    assert [c["id"] for c in found] == [str(prospect["id"])]
    assert gets(ctl, "/api/v2/prospects")[-1]["filter[emails]"] == second


def test_a_user_update_sends_first_and_last_name_and_locked(gateway, ctl):
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, "3", json={"name": "Casey Van Dyke", "is_active": False}, resource="users")
    assert updated.status_code == 200, updated.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["path"].endswith("/api/v2/users/3")
    assert patch["body"] == {"data": {"type": "user", "id": 3, "attributes": {
        "firstName": "Casey", "lastName": "Van Dyke", "locked": True}}}
    assert updated.json()["name"] == "Casey Van Dyke" and updated.json()["is_active"] is False


def test_a_user_email_change_is_refused_before_outreach_is_called(gateway, ctl):
    ctl.clear_requests()
    refused = gateway.unified("PATCH", NAME, "3", json={"email": "new@example.com"}, resource="users")
    assert refused.status_code == 400 and "email" in refused.text
    assert not [r for r in ctl.requests() if r["method"] == "PATCH"]
    assert gateway.unified("POST", NAME, json={"name": "New User", "email": "n@example.com"},
                           resource="users").status_code == 405
    assert gateway.unified("DELETE", NAME, "3", resource="users").status_code == 405


@pytest.mark.parametrize("behaviour", ["refuse", "ignore"])
def test_outreach_never_changes_a_user_email(sandbox, ctl, behaviour):
    """The OpenAPI: a user's email "cannot be updated via the API"; refused or ignored (switch user_email_update)."""
    ctl.switch(user_email_update=behaviour)
    answer = outreach(sandbox, "PATCH", "/users/2", json={"data": {"type": "user", "id": 2,
                                                                    "attributes": {"email": "x@example.com"}}})
    assert answer.status_code == (422 if behaviour == "refuse" else 200)
    assert ctl.records("users")[1]["attributes"]["email"] != "x@example.com"


def test_outreach_refuses_a_user_delete_and_an_unbadged_filter_or_sort(sandbox, ctl):
    assert outreach(sandbox, "DELETE", "/users/2").json()["errors"][0]["id"] == "routeNotFound"
    assert outreach(sandbox, "GET", "/users", params={"filter[title]": "SDR"}).status_code == 400
    assert outreach(sandbox, "GET", "/users", params={"sort": "title"}).status_code == 400
    ranged = outreach(sandbox, "GET", "/users", params={"filter[updatedAt]": "yesterday..inf"})
    assert ranged.status_code == 400


def test_fields_are_the_types_slots_of_the_entity(gateway, ctl):
    ctl.clear_requests()
    accounts = gateway.unified("GET", NAME, params={"entity": "account"}, resource="fields").json()["result"]
    assert gets(ctl, "/api/v2/types")
    by_name = {f["name"]: f for f in accounts}
    assert set(by_name) == set(VALIDATIONS["account"])
    assert by_name["custom1"]["label"] == "Tier" and by_name["custom1"]["type"] == "enum"
    assert [o["value"] for o in by_name["custom1"]["options"]] == VALIDATIONS["account"]["custom1"]["definition"]
    assert by_name["custom4"]["type"] == "number" and by_name["custom5"]["type"] == "date"
    assert {f["entity_type"] for f in accounts} == {"account"}
    deal = gateway.unified("GET", NAME, "custom2", params={"entity": "opportunity"}, resource="fields")
    assert deal.status_code == 200 and deal.json()["label"] == "Discount" and deal.json()["type"] == "number"
    assert gateway.unified("GET", NAME, "custom99", params={"entity": "contact"}, resource="fields").status_code == 404
    assert gateway.unified("POST", NAME, json={"label": "X", "type": "string"}, resource="fields").status_code == 405


def test_custom_fields_are_typed_by_their_slot_and_written_as_strings(gateway, ctl):
    prospect = next(p for p in ctl.records("contacts")
                    if p["attributes"]["custom2"] and p["attributes"]["custom3"])
    got = gateway.unified("GET", NAME, str(prospect["id"]), resource="contacts").json()["custom_fields"]
    assert got["custom2"] is (prospect["attributes"]["custom2"] == "true")
    assert got["custom3"] == float(prospect["attributes"]["custom3"]) and isinstance(got["custom3"], (int, float))
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, str(prospect["id"]), resource="contacts",
                              json={"custom_fields": {"custom2": False, "custom3": 77, "custom1": "Mid-market"}})
    assert updated.status_code == 200, updated.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert {k: v for k, v in patch["body"]["data"]["attributes"].items() if k.startswith("custom")} == {
        "custom2": "false", "custom3": "77", "custom1": "Mid-market"}
    assert {k: updated.json()["custom_fields"][k] for k in ("custom1", "custom2", "custom3")} == {
        "custom1": "Mid-market", "custom2": False, "custom3": 77}


def test_outreach_has_no_leads_or_field_groups(gateway, ctl):
    for resource in ("leads", "field_groups"):
        answer = gateway.unified("GET", NAME, resource=resource)
        assert answer.status_code == 404 and "Outreach" in answer.text


def test_active_users_are_the_unlocked_ones(gateway, ctl):
    ctl.clear_requests()
    gone = gateway.unified("GET", NAME, params={"is_active": "false"}, resource="users").json()["result"]
    assert sorted(int(u["id"]) for u in gone) == sorted(LOCKED_USER_IDS)
    assert gets(ctl, "/api/v2/users")[-1]["filter[locked]"] == "true"
