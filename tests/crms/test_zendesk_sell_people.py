"""Zendesk Sell users, leads, custom field definitions and list filters through the gateway: what Sell receives
(its own list parameters and `sort_by=<attribute>:<direction>`), custom field values typed by the definitions
both ways, and Sell's refusals (https://developer.zendesk.com/api-reference/sales-crm/resources/leads/,
https://developer.zendesk.com/api-reference/sales-crm/resources/custom-fields/, basecrm-ruby users_service.rb)."""

from __future__ import annotations

from urllib.parse import parse_qs

import requests
from support import list_all

from unigate.sandbox.zendesk_sell import SANDBOX_TOKEN, USERS

NAME = "zendesk_sell"
HEADERS = {"Authorization": f"Bearer {SANDBOX_TOKEN}", "User-Agent": "unigate-tests"}


def gets(ctl, path: str) -> list[dict]:
    """The query of each GET the emulator received on `path`, parsed."""
    return [parse_qs(r["query"]) for r in ctl.requests() if r["method"] == "GET" and r["path"].endswith(path)]


def test_users_include_the_owners_and_deactivated_users(gateway, ctl):
    users = [u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page]
    assert len(users) == len(ctl.records("users"))
    assert {str(u["id"]) for u in USERS} <= {u["id"] for u in users}
    assert any(u["is_active"] is False for u in users) and any(u["is_active"] for u in users)


def test_user_filters_are_sell_s_exact_email_and_name_and_its_sort(gateway, ctl):
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": USERS[1]["email"]}, resource="users")
    assert found.status_code == 200, found.text
    assert [u["id"] for u in found.json()["result"]] == [str(USERS[1]["id"])]
    assert gets(ctl, "/v2/users")[-1]["email"] == [USERS[1]["email"]]
    named = gateway.unified("GET", NAME, params={"name": USERS[2]["name"], "sort_by[name]": "desc"}, resource="users")
    assert [u["name"] for u in named.json()["result"]] == [USERS[2]["name"]]
    sent = gets(ctl, "/v2/users")[-1]
    assert sent["name"] == [USERS[2]["name"]] and sent["sort_by"] == ["name:desc"]
    # no modification-time filter on Sell's lists: refused before Sell is called
    since = gateway.unified("GET", NAME, params={"updated_at[gte]": "2024-01-01T00:00:00Z"}, resource="users")
    assert since.status_code == 400


def test_users_are_read_only(gateway):
    assert gateway.unified("POST", NAME, json={"name": "New User"}, resource="users").status_code == 405


def test_lead_filters_and_sort_are_sell_s_list_parameters(gateway, ctl):
    lead = ctl.records("leads")[3]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, resource="leads", params={
        "last_name": lead["last_name"], "company_name": lead["organization_name"], "sort_by[updated_at]": "desc"})
    assert found.status_code == 200, found.text
    sent = gets(ctl, "/v2/leads")[-1]
    assert sent["last_name"] == [lead["last_name"]] and sent["organization_name"] == [lead["organization_name"]]
    assert sent["sort_by"] == ["updated_at:desc"]
    results = found.json()["result"]
    assert str(lead["id"]) in {r["id"] for r in results}
    assert all(r["last_name"] == lead["last_name"] and r["company_name"] == lead["organization_name"] for r in results)
    times = [r["updated_at"] for r in results]
    assert times == sorted(times, reverse=True)


def test_a_lead_is_written_with_typed_custom_fields(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="leads", json={
        "name": "Mark Johnson", "company_name": "Design Co", "status": "New",
        "email_addresses": [{"email": "mark@design.example"}], "custom_fields": {"Budget": 2500, "Interest": "Training"}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/v2/leads")
    assert post["body"] == {"data": {"first_name": "Mark", "last_name": "Johnson", "organization_name": "Design Co",
                                     "status": "New", "email": "mark@design.example",
                                     "custom_fields": {"Budget": "2500", "Interest": "Training"}}}
    lead = created.json()
    assert lead["custom_fields"] == {"Budget": 2500, "Interest": "Training"}
    updated = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"custom_fields": {"Budget": 99.5}})
    assert updated.status_code == 200 and updated.json()["custom_fields"]["Budget"] == 99.5
    stored = next(r for r in ctl.records("leads") if str(r["id"]) == lead["id"])
    assert stored["custom_fields"]["Budget"] == "99.5"      # Sell keeps numbers as strings
    assert gateway.unified("DELETE", NAME, lead["id"], resource="leads").status_code == 200
    assert gateway.unified("GET", NAME, lead["id"], resource="leads").status_code == 404


def test_sell_refuses_a_lead_without_last_name_or_company_and_an_unknown_custom_field(sandbox, gateway, ctl):
    url = f"{sandbox.url}/zendesk_sell/v2/leads"
    nameless = requests.post(url, json={"data": {"first_name": "Mark"}}, headers=HEADERS, timeout=10)
    assert nameless.status_code == 422
    assert {e["error"]["field"] for e in nameless.json()["errors"]} == {"last_name", "organization_name"}
    unknown = requests.post(url, json={"data": {"last_name": "Roe", "custom_fields": {"Nope": "x"}}}, headers=HEADERS,
                            timeout=10)
    assert unknown.status_code == 422
    # the gateway refuses the missing name itself, before Sell
    refused = gateway.unified("POST", NAME, resource="leads", json={"first_name": "Only"})
    assert refused.status_code == 400


def test_fields_by_entity_read_sell_s_definition_lists(gateway, ctl):
    ctl.clear_requests()
    contact_fields = gateway.unified("GET", NAME, resource="fields", params={"entity": "contact", "limit": 100})
    account_fields = gateway.unified("GET", NAME, resource="fields", params={"entity": "account", "limit": 100})
    lead_fields = gateway.unified("GET", NAME, resource="fields", params={"entity": "lead", "limit": 100})
    deal_fields = gateway.unified("GET", NAME, resource="fields", params={"entity": "opportunity", "limit": 100})
    assert all(r.status_code == 200 for r in (contact_fields, account_fields, lead_fields, deal_fields))
    definitions = {kind: [d for d in ctl.records("custom_fields") if d["resource_type"] == kind]
                   for kind in ("contact", "lead", "deal")}
    assert {f["name"] for f in contact_fields.json()["result"]} == {d["name"] for d in definitions["contact"]
                                                                    if d["for_contact"]}
    assert {f["name"] for f in account_fields.json()["result"]} == {d["name"] for d in definitions["contact"]
                                                                    if d["for_company"]}
    assert {f["name"] for f in lead_fields.json()["result"]} == {d["name"] for d in definitions["lead"]}
    assert {f["name"] for f in deal_fields.json()["result"]} == {d["name"] for d in definitions["deal"]}
    segment = next(f for f in account_fields.json()["result"] if f["name"] == "Segment")
    assert segment["type"] == "enum" and segment["entity_type"] == "account"
    assert [o["value"] for o in segment["options"]] == ["SMB", "Mid-Market", "Enterprise"]
    paths = {r["path"] for r in ctl.requests()}
    assert {"/zendesk_sell/v2/contact/custom_fields", "/zendesk_sell/v2/lead/custom_fields",
            "/zendesk_sell/v2/deal/custom_fields"} <= paths
    one = gateway.unified("GET", NAME, str(segment["id"]), resource="fields", params={"entity": "account"})
    assert one.status_code == 200 and one.json()["name"] == "Segment"
    # a company-only field is not a contact field, though Sell lists both kinds together
    company_only = next(d for d in definitions["contact"] if d["for_company"] and not d["for_contact"])
    assert gateway.unified("GET", NAME, str(company_only["id"]), resource="fields",
                           params={"entity": "contact"}).status_code == 404
    assert gateway.unified("GET", NAME, "999999", resource="fields", params={"entity": "lead"}).status_code == 404


def test_sell_has_no_custom_field_create(sandbox, gateway, ctl):
    direct = requests.post(f"{sandbox.url}/zendesk_sell/v2/contact/custom_fields", json={"data": {"name": "X"}},
                           headers=HEADERS, timeout=10)
    assert direct.status_code == 404      # "You can't create new custom fields via the API"
    assert gateway.unified("POST", NAME, resource="fields", json={"name": "x", "label": "X", "type": "string"},
                           params={"entity": "contact"}).status_code == 405


def test_account_custom_fields_are_typed_by_the_contact_definitions(gateway, ctl):
    organisation = next(c for c in ctl.records("accounts") if c["custom_fields"].get("Employees"))
    got = gateway.unified("GET", NAME, str(organisation["id"]), resource="accounts").json()
    assert got["custom_fields"]["Employees"] == int(organisation["custom_fields"]["Employees"])
    person = next(p for p in ctl.records("contacts") if p["custom_fields"].get("Birthday"))
    month, day, year = person["custom_fields"]["Birthday"].split("/")
    got = gateway.unified("GET", NAME, str(person["id"]), resource="contacts").json()
    assert got["custom_fields"]["Birthday"] == f"{year}-{int(month):02d}-{int(day):02d}"
