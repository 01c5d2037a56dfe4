"""Nutshell users, leads, fields and list filters through the gateway: what Nutshell receives for a filter
(filter[createdTime]=<from> TO <to>, sort), users paged by meta.next, leads as the same records as opportunities,
custom field definitions per entity, and Nutshell's refusals (https://app.nutshell.com/swagger.json,
https://developers.nutshell.com/docs/filters)."""

from __future__ import annotations

from urllib.parse import parse_qs

import requests
from support import list_all

from unigate.sandbox.nutshell.common import DISABLED_USER_IDS, USERS

NAME = "nutshell"


def gets(ctl, path: str) -> list[dict]:
    """The query of each GET the emulator received on `path`, parsed."""
    return [parse_qs(r["query"]) for r in ctl.requests() if r["method"] == "GET" and r["path"].endswith(path)]


def test_users_page_by_meta_next_and_include_the_owners(gateway, ctl):
    ctl.clear_requests()
    users = [u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page]
    assert len(users) == len(ctl.records("users")) and {uid for uid, _, _ in USERS} <= {u["id"] for u in users}
    sent = gets(ctl, "/rest/users")
    assert [q.get("page[page]", ["0"]) for q in sent][:3] == [["0"], ["1"], ["2"]]
    assert all(q["page[limit]"] == ["5"] for q in sent)
    disabled = next(u for u in users if u["id"] in DISABLED_USER_IDS)
    assert disabled["is_active"] is False
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=50, resource="leads") for r in page}
    assert owners <= {u["id"] for u in users}


def test_users_take_no_filter(gateway, ctl):
    refused = gateway.unified("GET", NAME, params={"email": USERS[0][2]}, resource="users")
    assert refused.status_code == 400, refused.text


def test_created_since_is_a_created_time_range_rounded_to_whole_seconds(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="leads", params={
        "created_at[gt]": "2023-03-01T18:00:00.500Z", "created_at[lte]": "2023-03-02T03:00:00Z", "limit": 50})
    assert listed.status_code == 200, listed.text
    assert gets(ctl, "/rest/leads")[-1]["filter[createdTime]"] == ["2023-03-01T18:00:01 TO 2023-03-02T03:00:00"]
    times = [r["created_at"] for r in listed.json()["result"]]
    assert times and all("2023-03-01T18:00:01Z" <= t <= "2023-03-02T03:00:00Z" for t in times)


def test_sort_by_name_is_nutshell_s_sort(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="opportunities", params={"sort_by[name]": "desc", "limit": 50})
    assert listed.status_code == 200, listed.text
    assert gets(ctl, "/rest/leads")[-1]["sort"] == ["-name"]
    names = [r["name"].lower() for r in listed.json()["result"]]
    assert names == sorted(names, reverse=True)


def test_nutshell_refuses_a_lone_timestamp_and_an_unknown_sort(sandbox, ctl):
    auth = ("api-user@sandbox-nutshell.example", "sandbox-nutshell-key")
    lone = requests.get(f"{sandbox.url}/nutshell/rest/leads", params={"filter[createdTime]": "2023-03-01T00:00:00"},
                        auth=auth, timeout=10)
    assert lone.status_code == 400 and lone.json()["errors"][0]["title"] == "Invalid filter"
    created = requests.get(f"{sandbox.url}/nutshell/rest/leads", params={"sort": "createdTime"}, auth=auth, timeout=10)
    assert created.status_code == 400     # /leads sorts by age, not createdTime (swagger)


def test_contacts_by_email_send_the_email_parameter(gateway, ctl):
    contact = ctl.records("contacts")[4]
    email = contact["emails"][0]["value"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email_addresses": email}, resource="contacts")
    assert found.status_code == 200, found.text
    assert [r["id"] for r in found.json()["result"]] == [contact["id"]]
    assert gets(ctl, "/rest/contacts")[-1]["email"] == [email]


def test_leads_and_opportunities_are_the_same_nutshell_leads(gateway, ctl):
    leads = {r["id"]: r for page in list_all(gateway, NAME, limit=50, resource="leads") for r in page}
    deals = {r["id"]: r for page in list_all(gateway, NAME, limit=50, resource="opportunities") for r in page}
    assert leads.keys() == deals.keys()
    stored = {lead["id"]: lead for lead in ctl.records("leads")}
    for lead_id, lead in leads.items():
        raw = stored[lead_id]
        assert lead["name"] == deals[lead_id]["name"] == raw["name"]
        assert lead["status"] == raw["status"]
        assert lead.get("contact") == ({"id": raw["links"]["contacts"][0]} if raw["links"]["contacts"] else None)
    created = gateway.unified("POST", NAME, json={"name": "Probe lead", "owner": {"id": "2-users"}}, resource="leads")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith("/rest/leads"))
    assert post["body"] == {"leads": [{"description": "Probe lead", "links": {"owner": "2-users"}}]}
    assert gateway.unified("GET", NAME, created.json()["id"], resource="opportunities").json()["name"] == "Probe lead"


def test_fields_are_the_entity_custom_field_definitions(gateway, ctl):
    ctl.clear_requests()
    accounts = gateway.unified("GET", NAME, params={"entity": "account"}, resource="fields").json()["result"]
    contacts = gateway.unified("GET", NAME, params={"entity": "contact", "limit": 50}, resource="fields").json()["result"]
    paths = [r["path"] for r in ctl.requests()]
    assert paths[0].endswith("/rest/accounts/customfields/attributes")
    assert paths[1].endswith("/rest/contacts/customfields/attributes")
    tier = next(f for f in accounts if f["name"] == "Tier")
    assert tier["type"] == "enum" and [o["value"] for o in tier["options"]] == ["Gold", "Silver", "Bronze"]
    assert {f["entity_type"] for f in accounts} == {"account"} and {f["entity_type"] for f in contacts} == {"contact"}
    assert next(f for f in contacts if f["name"] == "Budget")["type"] == "number"
    assert gateway.unified("GET", NAME, "1-customfields", params={"entity": "contact"},
                           resource="fields").status_code == 404


def test_lead_custom_fields_are_read_per_lead_and_written_by_name(gateway, ctl):
    stored = next(lead for lead in ctl.records("leads") if lead["customFields"])
    got = gateway.unified("GET", NAME, stored["id"], resource="leads").json()
    assert got["custom_fields"] == stored["customFields"] and isinstance(got["custom_fields"]["Seats"], int)
    assert "custom_fields" not in gateway.unified("GET", NAME, params={"limit": 5}, resource="leads").json()["result"][0]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="opportunities",
                              json={"name": "Seats probe", "custom_fields": {"Seats": 12, "Deal type": "Upsell"}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith("/rest/leads"))
    assert post["body"]["leads"][0]["customFields"] == {"Seats": 12, "Deal type": "Upsell"}
    assert created.json()["custom_fields"] == {"Seats": 12, "Deal type": "Upsell"}
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, created.json()["id"], resource="leads",
                              json={"custom_fields": {"Deal type": "Renewal"}})
    assert updated.status_code == 200, updated.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["body"] == [{"op": "replace", "path": "/leads/0/Deal type", "value": "Renewal"}]
    assert updated.json()["custom_fields"]["Deal type"] == "Renewal"
    refused = gateway.unified("PATCH", NAME, created.json()["id"], resource="leads",
                              json={"custom_fields": {"Deal type": "Someday"}})
    assert refused.status_code == 422, refused.text        # not one of the field's choices
