"""Pipeliner users, leads, fields, custom fields and list filters through the gateway: what Pipeliner receives for a
filter (filter[modified] with one filter-op, order-by), Clients as users, Leads, the Fields entity read and written,
dropdown custom values by option name, and Pipeliner's refusals
(https://developers.pipelinersales.com/api-docs/core-api-concepts/api-parameters,
https://developers.pipelinersales.com/api-docs/core-api-concepts/fields)."""

from __future__ import annotations

import base64

import pytest
import requests
from support import list_all

from unigate.sandbox import pipeliner

NAME = "pipeliner"
AUTH = "Basic " + base64.b64encode(f"{pipeliner.SANDBOX_USERNAME}:{pipeliner.SANDBOX_PASSWORD}".encode()).decode()


def gets(ctl, entity: str) -> list[dict]:
    """The query of each GET the emulator received on /entities/<entity>."""
    return [dict(r["query_params"]) for r in ctl.requests()
            if r["method"] == "GET" and r["path"].endswith(f"/entities/{entity}")]


def api(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    url = f"{sandbox.url}/pipeliner/api/v100/rest/spaces/{pipeliner.SANDBOX_SPACE_ID}/entities{path}"
    return requests.request(method, url, headers={"Authorization": AUTH}, timeout=10, **kwargs)


def test_users_are_the_space_clients(gateway, ctl):
    users = {u["id"]: u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page}
    assert set(users) == {c["id"] for c in pipeliner.CLIENTS}
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=50, resource="leads") for r in page}
    assert owners <= set(users)
    client = pipeliner.CLIENTS[3]
    one = gateway.unified("GET", NAME, client["id"], resource="users").json()
    assert one["name"] == client["formatted_name"] and one["email"] == client["email"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": client["email"].upper()}, resource="users").json()
    assert [u["id"] for u in found["result"]] == [client["id"]]
    sent = gets(ctl, "Clients")[-1]
    assert sent["filter[email]"] == client["email"].upper() and sent["filter-op[email]"] == "ieq"
    assert gateway.unified("PATCH", NAME, client["id"], json={"name": "X"}, resource="users").status_code == 405


def test_updated_since_is_filter_modified_with_one_operator(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="accounts", params={
        "updated_at[gt]": "2022-03-05T00:00:00Z", "created_at[lt]": "2022-03-09T00:00:00Z",
        "sort_by[updated_at]": "desc", "limit": 100})
    assert listed.status_code == 200, listed.text
    sent = gets(ctl, "Accounts")[-1]
    assert (sent["filter[modified]"], sent["filter-op[modified]"]) == ("2022-03-05T00:00:00.000Z", "gt")
    assert (sent["filter[created]"], sent["filter-op[created]"]) == ("2022-03-09T00:00:00.000Z", "lt")
    assert sent["order-by"] == "-modified"
    records = listed.json()["result"]
    assert records and all(r["updated_at"] > "2022-03-05T00:00:00Z" and r["created_at"] < "2022-03-09T00:00:00Z"
                           for r in records)
    assert [r["updated_at"] for r in records] == sorted((r["updated_at"] for r in records), reverse=True)


def test_a_range_on_one_field_is_refused_before_pipeliner_is_called(gateway, ctl):
    """Pipeliner takes one operator per field in a request: gte and lt on `modified` cannot go together."""
    ctl.clear_requests()
    refused = gateway.unified("GET", NAME, resource="contacts", params={
        "updated_at[gte]": "2022-03-05T00:00:00Z", "updated_at[lt]": "2022-03-09T00:00:00Z"})
    assert refused.status_code == 400 and "one operator" in refused.text
    assert not gets(ctl, "Contacts")
    assert gateway.unified("GET", NAME, resource="contacts",
                           params={"email_addresses": "a@b.example"}).status_code == 400   # not declared


def test_leads_map_the_leads_entity(gateway, ctl):
    stored = {r["id"]: r for r in ctl.records("leads")}
    listed = [r for page in list_all(gateway, NAME, limit=10, resource="leads") for r in page]
    assert {r["id"] for r in listed} == {i for i, r in stored.items() if not r["is_deleted"]}
    for lead in listed:
        raw = stored[lead["id"]]
        assert lead["name"] == raw["name"] and lead["owner"] == {"id": raw["owner_id"]}
        assert lead["status"] == ("lost" if raw["is_archived"] else "open")
        assert lead.get("company_name") == (raw["quick_account_name"] or None)
        assert lead.get("account") == ({"id": raw["primary_account"]} if raw["primary_account"] else None)
        assert lead.get("contact") == ({"id": raw["primary_contact"]} if raw["primary_contact"] else None)
        if raw["cf_budget"] is not None:
            assert lead["custom_fields"]["cf_budget"] == raw["cf_budget"]
    contact = ctl.records("contacts")[2]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="leads", json={
        "name": "Probe lead", "company_name": "Probe Co", "contact": {"id": contact["id"]},
        "email_addresses": [{"email": "probe@probe.example"}], "custom_fields": {"cf_referrer": "Webinar"}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith("/entities/Leads"))
    assert post["body"] == {"name": "Probe lead", "owner_id": pipeliner.CLIENTS[0]["id"],   # the connected user
                            "quick_account_name": "Probe Co", "quick_email": "probe@probe.example",
                            "contact_relations": [{"contact_id": contact["id"], "is_primary": True}],
                            "cf_referrer": "Webinar"}
    assert created.json()["contact"] == {"id": contact["id"]} and created.json()["status"] == "open"


@pytest.mark.parametrize("owner_required", [True, False])
def test_pipeliner_refuses_a_lead_in_a_pipeline_step_and_maybe_one_without_owner(sandbox, ctl, owner_required):
    ctl.switch(lead_owner_required=owner_required)
    pipeline_step = next(s for s in ctl.records("stages") if s["pipeline_id"])
    owner = pipeliner.CLIENTS[1]["id"]
    wrong = api(sandbox, "POST", "/Leads", json={"name": "L", "owner_id": owner, "step_id": pipeline_step["id"]})
    assert wrong.status_code == 422 and wrong.json()["field_errors"][0]["errors"][0]["code"] == 120
    ownerless = api(sandbox, "POST", "/Leads", json={"name": "L"})
    assert ownerless.status_code == (422 if owner_required else 200)


def test_fields_are_an_entity_s_definitions_with_their_options(gateway, ctl):
    ctl.clear_requests()
    contact_fields = gateway.unified("GET", NAME, params={"entity": "contact", "limit": 100},
                                     resource="fields").json()["result"]
    sent = gets(ctl, "Fields")[-1]
    assert sent["filter[entity_name]"] == "Contact" and sent["expand"] == "data_set"
    by_name = {f["name"]: f for f in contact_fields}
    assert by_name["cf_persona"]["type"] == "enum" and by_name["cf_persona"]["is_user_defined"] is True
    assert [o["value"] for o in by_name["cf_persona"]["options"]] == [p["option_name"] for p in pipeliner.PERSONAS]
    assert by_name["cf_newsletter"]["type"] == "boolean" and by_name["first_name"]["is_user_defined"] is False
    assert {f["entity_type"] for f in contact_fields} == {"contact"}
    lead_fields = gateway.unified("GET", NAME, params={"entity": "lead"}, resource="fields").json()["result"]
    assert {f["name"] for f in lead_fields} == {"cf_budget", "cf_referrer", "cf_follow_up"}


def test_a_dropdown_field_is_created_and_its_value_written_by_option_name(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, params={"entity": "lead"}, resource="fields", json={
        "label": "Lead grade", "type": "enum", "entity_type": "lead",
        "options": [{"label": "A", "value": "A"}, {"label": "B", "value": "B"}]})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"name": "Lead grade", "type_id": "dropdown", "entity_name": "Lead",
                            "data_set": [{"option_name": "A", "calc_value": 1}, {"option_name": "B", "calc_value": 1}]}
    field = created.json()
    assert field["name"] == "cf_lead_grade" and [o["value"] for o in field["options"]] == ["A", "B"]
    lead = ctl.records("leads")[0]
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"custom_fields": {"cf_lead_grade": "B"}})
    assert updated.status_code == 200, updated.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    stored = next(f for f in ctl.records("fields") if f["api_name"] == "cf_lead_grade")
    option_b = next(o["id"] for o in stored["data_set"] if o["option_name"] == "B")
    assert patch["body"] == {"cf_lead_grade": option_b}      # Pipeliner holds the option's id
    assert updated.json()["custom_fields"]["cf_lead_grade"] == "B"
    refused = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"custom_fields": {"cf_lead_grade": "Z"}})
    assert refused.status_code == 400          # not an option of the field
    renamed = gateway.unified("PATCH", NAME, field["id"], resource="fields", json={"label": "Grade"})
    assert renamed.status_code == 200 and renamed.json()["label"] == "Grade"
    assert gateway.unified("DELETE", NAME, field["id"], resource="fields").status_code == 200
    assert gateway.unified("GET", NAME, field["id"], resource="fields").status_code == 404


def test_pipeliner_keeps_system_fields_and_expands_options_only_when_asked(gateway, sandbox, ctl):
    industry = next(f for f in ctl.records("fields") if f["api_name"] == "industry_id")
    refused = gateway.unified("DELETE", NAME, industry["id"], resource="fields")
    assert refused.status_code == 403
    plain = api(sandbox, "GET", f"/Fields/{industry['id']}").json()["data"]
    assert isinstance(plain["data_set"], str) and plain["data_set"].endswith(industry["data_set_id"])
    expanded = api(sandbox, "GET", f"/Fields/{industry['id']}", params={"expand": "data_set"}).json()["data"]
    assert [o["option_name"] for o in expanded["data_set"]][:2] == ["Software", "Manufacturing"]
    unknown = api(sandbox, "PATCH", f"/Accounts/{ctl.records('accounts')[0]['id']}", json={"cf_nope": "x"})
    assert unknown.status_code == 400 and "cf_nope" in unknown.json()["message"]


@pytest.mark.parametrize("behaviour", ["replace", "merge"])
def test_new_options_reach_the_field_whichever_way_pipeliner_patches_them(gateway, ctl, behaviour):
    """Whether a PATCH of data_set replaces a field's options or adds to them is not documented (switch)."""
    ctl.switch(field_options_on_patch=behaviour)
    persona = next(f for f in ctl.records("fields") if f["api_name"] == "cf_persona")
    names = [p["option_name"] for p in pipeliner.PERSONAS]
    updated = gateway.unified("PATCH", NAME, persona["id"], resource="fields", json={
        "options": [{"value": n} for n in [*names, "Blocker"]]})
    assert updated.status_code == 200, updated.text
    assert [o["value"] for o in updated.json()["options"]] == [*names, "Blocker"]


@pytest.mark.parametrize("owner_required", [True, False])
def test_the_gateway_creates_a_lead_whichever_way_pipeliner_requires_an_owner(gateway, ctl, owner_required):
    """The gateway always sends an owner (the caller's, else the connected user), so both answers work."""
    ctl.switch(lead_owner_required=owner_required)
    created = gateway.unified("POST", NAME, json={"name": "Switch lead"}, resource="leads")
    assert created.status_code == 200, created.text
    assert created.json()["owner"] == {"id": pipeliner.CLIENTS[0]["id"]}
