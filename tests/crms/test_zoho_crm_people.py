"""Zoho CRM users, leads, field metadata and list sort through the gateway: what Zoho receives (the Leads
module's `fields`, `sort_by=Created_Time`, `settings/fields?module=` by entity, `users?type=AllUsers`) and
Zoho's refusals (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/get-users.html,
https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import requests
from support import list_all, shared_sandbox

from unigate.sandbox.zoho_crm import SANDBOX_TOKEN, USERS

NAME = "zoho_crm"
HEADERS = {"Authorization": f"Zoho-oauthtoken {SANDBOX_TOKEN}"}


def gets(ctl, path: str) -> list[dict]:
    """The query of each GET the emulator received on `path`, parsed."""
    return [parse_qs(r["query"]) for r in ctl.requests() if r["method"] == "GET" and r["path"].endswith(path)]


def test_users_are_every_user_paged(gateway, ctl):
    ctl.clear_requests()
    users = [u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page]
    assert len(users) == len(ctl.records("users"))
    assert {u["id"] for u in USERS} <= {u["id"] for u in users}
    assert any(u["is_active"] is False for u in users)
    sent = gets(ctl, "/crm/v8/users")
    assert [q["page"] for q in sent][:2] == [["1"], ["2"]] and all(q["type"] == ["AllUsers"] for q in sent)
    one = gateway.unified("GET", NAME, USERS[1]["id"], resource="users")
    assert one.status_code == 200 and one.json()["email"] == USERS[1]["email"]
    assert gateway.unified("GET", NAME, "5725767000000000000", resource="users").status_code == 404


def test_users_take_no_filter_and_are_read_only(gateway):
    assert gateway.unified("GET", NAME, params={"email": USERS[0]["email"]}, resource="users").status_code == 400
    assert gateway.unified("POST", NAME, json={"name": "New User"}, resource="users").status_code == 405


@pytest.mark.parametrize("if_modified_since", ["after", "inclusive"])
def test_users_since_an_instant_are_asked_with_if_modified_since(gateway, ctl, if_modified_since):
    """updated_at[gt|gte] is Zoho's If-Modified-Since on GET /users, a whole second with its offset
    (https://www.zoho.com/crm/developer/docs/api/v8/get-users.html); 304 (none modified) is an empty list. Whether a
    user modified in that very second comes back is undocumented (switch `if_modified_since`): the list is exact
    either way."""
    ctl.switch(if_modified_since=if_modified_since)
    try:
        stored = ctl.records("users")
        user = stored[3]
        at = datetime.fromisoformat(user["Modified_Time"]).astimezone(UTC)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        later = {u["id"] for u in stored if datetime.fromisoformat(u["Modified_Time"]) > at}
        ctl.clear_requests()
        after = {u["id"] for page in list_all(gateway, NAME, limit=50, resource="users",
                                              params={"updated_at[gt]": stamp}) for u in page}
        assert after == later and user["id"] not in after
        since = {u["id"] for page in list_all(gateway, NAME, limit=50, resource="users",
                                              params={"updated_at[gte]": stamp.replace("Z", ".400Z")}) for u in page}
        assert since == later   # 400 ms past the user's own second: the next whole second on
        since = {u["id"] for page in list_all(gateway, NAME, limit=50, resource="users",
                                              params={"updated_at[gte]": stamp}) for u in page}
        assert since == later | {user["id"]}
        sent = [r for r in ctl.requests() if r["path"].endswith("/crm/v8/users")]
        headers = [{k.lower(): v for k, v in r["headers"].items()}.get("if-modified-since") for r in sent]
        iso = at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        before = (at - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        assert headers[0] == iso and before in headers and iso in headers[1:]
        assert all(parse_qs(r["query"])["type"] == ["AllUsers"] for r in sent)
        none = gateway.unified("GET", NAME, resource="users", params={"updated_at[gt]": "2999-01-01T00:00:00Z"})
        assert none.status_code == 200, none.text
        assert none.json()["result"] == [] and none.json()["next_cursor"] is None    # Zoho's 304, no body
        for response_format in ("raw", "stream"):   # Zoho's own answer, as it is
            raw = gateway.unified("GET", NAME, resource="users", params={
                "updated_at[gt]": "2999-01-01T00:00:00Z", "truto_response_format": response_format})
            assert raw.status_code == 304 and raw.content == b""
        refused = gateway.unified("GET", NAME, resource="users", params={"updated_at[lt]": stamp})
        assert refused.status_code == 400 and "updated_at" in refused.json()["message"]
    finally:
        ctl.default_switches()


def test_leads_list_asks_for_the_layout_s_custom_fields_and_sorts_by_created_time(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="leads", params={"sort_by[created_at]": "desc", "limit": 20})
    assert listed.status_code == 200, listed.text
    sent = gets(ctl, "/crm/v8/Leads")[-1]
    assert sent["sort_by"] == ["Created_Time"] and sent["sort_order"] == ["desc"]
    assert {"Budget", "Lead_Score_Band", "Follow_Up_Date", "Referral_Code"} <= set(sent["fields"][0].split(","))
    times = [r["created_at"] for r in listed.json()["result"]]
    assert times == sorted(times, reverse=True)
    # Zoho sorts by id, Created_Time and Modified_Time only; the gateway declares no updated_at sort
    assert gateway.unified("GET", NAME, resource="leads", params={"sort_by[name]": "asc"}).status_code == 400


def test_a_time_bound_is_a_search_criteria_in_whole_seconds(gateway, ctl):
    """updated_at / created_at bounds list through GET /crm/v8/<Module>/search?criteria=
    (https://www.zoho.com/crm/developer/docs/api/v8/search-records.html), each bound an ISO time with its offset;
    milliseconds go to the second that keeps the same records; a sort with a bound is refused before Zoho."""
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="leads", params={
        "updated_at[gte]": "2000-01-01T00:00:00.250Z", "created_at[lt]": "2030-01-01T00:00:00Z", "limit": 5})
    assert listed.status_code == 200, listed.text
    sent = gets(ctl, "/crm/v8/Leads/search")[-1]
    assert sent["criteria"] == ["((Modified_Time:greater_equal:2000-01-01T00:00:01+00:00)and"
                                "(Created_Time:less_than:2030-01-01T00:00:00+00:00))"]
    assert sent["per_page"] == ["5"] and "Referral_Code" in sent["fields"][0]
    assert listed.json()["result"]
    nothing = gateway.unified("GET", NAME, resource="leads", params={"updated_at[gt]": "2999-01-01T00:00:00Z"})
    assert nothing.status_code == 200 and nothing.json()["result"] == []     # Zoho's 204: no match
    both = gateway.unified("GET", NAME, resource="leads", params={"updated_at[gte]": "2024-01-01T00:00:00Z",
                                                                  "sort_by[created_at]": "desc"})
    assert both.status_code == 400 and "sort" in both.json()["message"]


def test_a_lead_is_written_with_its_custom_fields_and_read_back_typed(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="leads", json={
        "name": "Noah Adler", "company_name": "Zylker Labs", "title": "CTO", "status": "Contacted",
        "custom_fields": {"Budget": 1250.5, "Lead_Score_Band": "Hot", "Follow_Up_Date": "2027-01-31"}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/crm/v8/Leads")
    assert post["body"] == {"data": [{"First_Name": "Noah", "Last_Name": "Adler", "Company": "Zylker Labs",
                                      "Designation": "CTO", "Lead_Status": "Contacted", "Budget": 1250.5,
                                      "Lead_Score_Band": "Hot", "Follow_Up_Date": "2027-01-31"}]}
    lead = created.json()
    assert lead["custom_fields"]["Budget"] == 1250.5 and lead["custom_fields"]["Follow_Up_Date"] == "2027-01-31"
    assert lead["name"] == "Noah Adler" and lead["company_name"] == "Zylker Labs"
    updated = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"custom_fields": {"Budget": 10}})
    assert updated.status_code == 200 and updated.json()["custom_fields"]["Budget"] == 10
    assert gateway.unified("DELETE", NAME, lead["id"], resource="leads").status_code == 200
    assert gateway.unified("GET", NAME, lead["id"], resource="leads").status_code == 404


def test_zoho_refuses_a_lead_without_company_and_a_bad_custom_value(sandbox, gateway, ctl):
    url = f"{sandbox.url}/zoho_crm/crm/v8/Leads"
    missing = requests.post(url, json={"data": [{"Last_Name": "Roe"}]}, headers=HEADERS, timeout=10)
    assert missing.status_code == 400
    assert missing.json()["data"][0]["code"] == "MANDATORY_NOT_FOUND"
    assert missing.json()["data"][0]["details"]["api_name"] == "Company"
    bad = requests.post(url, json={"data": [{"Last_Name": "Roe", "Company": "X", "Budget": "lots"}]}, headers=HEADERS,
                        timeout=10)
    assert bad.status_code == 400 and bad.json()["data"][0]["details"]["api_name"] == "Budget"
    refused = gateway.unified("POST", NAME, resource="leads", json={"last_name": "Roe"})   # before Zoho
    assert refused.status_code == 400 and "company_name" in refused.json()["message"]


def test_fields_by_entity_are_the_module_s_metadata(gateway, ctl):
    ctl.clear_requests()
    for entity, module in (("account", "Accounts"), ("contact", "Contacts"), ("opportunity", "Deals"),
                           ("lead", "Leads")):
        listed = gateway.unified("GET", NAME, resource="fields", params={"entity": entity, "limit": 200})
        assert listed.status_code == 200, listed.text
        assert gets(ctl, "/crm/v8/settings/fields")[-1]["module"] == [module]
        fields = {f["name"]: f for f in listed.json()["result"]}
        assert all(f["entity_type"] == entity for f in fields.values())
    assert fields["Budget"]["type"] == "number" and fields["Budget"]["is_user_defined"] is True
    assert fields["Lead_Score_Band"]["type"] == "enum"
    assert [o["value"] for o in fields["Lead_Score_Band"]["options"]] == ["Hot", "Warm", "Cold"]
    assert fields["Last_Name"]["is_user_defined"] is False and fields["Last_Name"]["is_required"] is True
    assert fields["Full_Name"]["is_editable"] is False
    one = gateway.unified("GET", NAME, fields["Budget"]["id"], resource="fields", params={"entity": "lead"})
    assert one.status_code == 200 and one.json()["name"] == "Budget"
    assert gateway.unified("GET", NAME, "1", resource="fields", params={"entity": "lead"}).status_code == 404
    assert gateway.unified("GET", NAME, resource="fields", params={"entity": "note"}).status_code == 400


def test_zoho_refuses_field_metadata_without_a_module(sandbox):
    answer = requests.get(f"{sandbox.url}/zoho_crm/crm/v8/settings/fields", headers=HEADERS, timeout=10)
    assert answer.status_code == 400 and answer.json()["code"] == "REQUIRED_PARAM_MISSING"


def writes(ctl, path: str) -> list[dict]:
    """Each write (POST, PATCH, PUT, DELETE) the emulator received on a path ending with `path`."""
    return [r for r in ctl.requests() if r["method"] != "GET" and r["path"].endswith(path)]


def test_a_custom_picklist_field_is_created_filled_and_read_back_typed(gateway, ctl):
    """POST /crm/v8/settings/fields?module=Accounts (https://www.zoho.com/crm/developer/docs/api/v8/create-custom-field.html)
    answers only the new field's id: the gateway reads it back, and the accounts read the new field right away
    (the cached layout is dropped on a field write)."""
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "account"}, json={
        "name": "Support_Plan", "label": "Support Plan", "type": "enum",
        "options": [{"label": "Basic", "value": "Basic"}, {"label": "Premium", "value": "Premium"}]})
    assert created.status_code == 200, created.text
    field = created.json()
    assert field["name"] == "Support_Plan" and field["type"] == "enum" and field["is_user_defined"] is True
    assert field["entity_type"] == "account" and [o["value"] for o in field["options"]] == ["Basic", "Premium"]
    [post] = writes(ctl, "/crm/v8/settings/fields")
    assert parse_qs(post["query"])["module"] == ["Accounts"]
    assert post["body"] == {"fields": [{"field_label": "Support Plan", "api_name": "Support_Plan",
                                        "data_type": "picklist", "pick_list_values": [
                                            {"display_value": "Basic", "actual_value": "Basic"},
                                            {"display_value": "Premium", "actual_value": "Premium"}]}]}
    account = gateway.unified("POST", NAME, json={"name": "Picklist Ltd", "custom_fields": {"Support_Plan": "Premium"}})
    assert account.status_code == 200, account.text
    assert account.json()["custom_fields"]["Support_Plan"] == "Premium"
    # An org with restricted picklists refuses a value outside the new field's options (`picklist_values` switch)
    ctl.switch(picklist_values="reject")
    refused = gateway.unified("PATCH", NAME, account.json()["id"], json={"custom_fields": {"Support_Plan": "Gold"}})
    assert refused.status_code == 400 and "Support_Plan" in refused.json()["message"]


def test_a_custom_field_is_relabelled_and_deleted_with_its_values(gateway, ctl):
    listed = gateway.unified("GET", NAME, resource="fields", params={"entity": "account", "limit": 200}).json()["result"]
    code = next(f for f in listed if f["name"] == "Customer_Tier")
    ctl.clear_requests()
    renamed = gateway.unified("PATCH", NAME, code["id"], resource="fields", params={"entity": "account"},
                              json={"label": "Customer Code"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["label"] == "Customer Code" and renamed.json()["name"] == "Customer_Tier"
    [patch] = writes(ctl, f"/crm/v8/settings/fields/{code['id']}")
    assert patch["method"] == "PATCH" and patch["body"] == {"fields": [{"field_label": "Customer Code"}]}
    assert any(r.get("Customer_Tier") for r in ctl.records("accounts"))
    deleted = gateway.unified("DELETE", NAME, code["id"], resource="fields", params={"entity": "account"})
    assert deleted.status_code == 200, deleted.text
    assert all("Customer_Tier" not in r for r in ctl.records("accounts"))
    after = gateway.unified("GET", NAME, code["id"], resource="fields", params={"entity": "account"})
    assert after.status_code == 404
    accounts = gateway.unified("GET", NAME, params={"limit": 5}).json()["result"]
    assert all("Customer_Tier" not in (a.get("custom_fields") or {}) for a in accounts)


def test_zoho_keeps_its_system_fields_and_api_names(gateway, ctl):
    """The label of a system-defined field cannot be updated
    (https://www.zoho.com/crm/developer/docs/api/v8/update-custom-fields.html), nor a system field deleted; an
    api_name is not renamed and a field's module is the query's, both refused before Zoho."""
    listed = gateway.unified("GET", NAME, resource="fields", params={"entity": "account", "limit": 200}).json()["result"]
    system = next(f for f in listed if f["name"] == "Account_Name")
    relabel = gateway.unified("PATCH", NAME, system["id"], resource="fields", params={"entity": "account"},
                              json={"label": "Company"})
    assert relabel.status_code == 400 and "NOT_SUPPORTED" in relabel.json()["message"]
    gone = gateway.unified("DELETE", NAME, system["id"], resource="fields", params={"entity": "account"})
    assert gone.status_code == 400 and "NOT_ALLOWED" in gone.json()["message"]
    duplicate = gateway.unified("POST", NAME, resource="fields", params={"entity": "account"},
                                json={"name": "NPS_Score", "label": "Another score", "type": "number"})
    assert duplicate.status_code == 400 and "DUPLICATE_DATA" in duplicate.json()["message"]
    ctl.clear_requests()
    custom = next(f for f in listed if f["name"] == "NPS_Score")
    rename = gateway.unified("PATCH", NAME, custom["id"], resource="fields", params={"entity": "account"},
                             json={"name": "Net_Promoter"})
    assert rename.status_code == 400 and "api_name" in rename.json()["message"]
    elsewhere = gateway.unified("POST", NAME, resource="fields", params={"entity": "account"},
                                json={"name": "Region", "label": "Region", "type": "string", "entity_type": "lead"})
    assert elsewhere.status_code == 400 and "entity=lead" in elsewhere.json()["message"]
    assert writes(ctl, "/crm/v8/settings/fields") == [] and writes(ctl, f"/settings/fields/{custom['id']}") == []


def test_zoho_refuses_a_field_without_a_label_or_type(sandbox):
    url = f"{sandbox.url}/zoho_crm/crm/v8/settings/fields?module=Contacts"
    no_label = requests.post(url, json={"fields": [{"data_type": "text"}]}, headers=HEADERS, timeout=10)
    assert no_label.status_code == 400
    assert no_label.json()["fields"][0]["details"] == {"api_name": "field_label", "json_path": "$.fields[0].field_label"}
    mixed = requests.post(url, json={"fields": [{"field_label": "Shoe Size", "data_type": "double"},
                                                {"field_label": "Odd", "data_type": "hologram"}]},
                          headers=HEADERS, timeout=10)
    assert mixed.status_code == 207
    assert [item["code"] for item in mixed.json()["fields"]] == ["SUCCESS", "INVALID_DATA"]
    no_options = requests.post(url, json={"fields": [{"field_label": "Size", "data_type": "picklist"}]},
                               headers=HEADERS, timeout=10)
    assert no_options.status_code == 400 and no_options.json()["fields"][0]["code"] == "MANDATORY_NOT_FOUND"


# -- crm/field_groups: layout sections (https://www.zoho.com/crm/developer/docs/api/v8/layouts-meta.html) ----------

MODULES = {"contact": "Contacts", "account": "Accounts", "opportunity": "Deals", "lead": "Leads"}


@pytest.fixture
def own(gateway):
    """An account of its own on the shared data space: the layouts its fields name are read after this test's reset,
    not kept from an earlier test's (the test gateways keep an account's lookups for the whole run)."""
    made = gateway.admin("POST", "/integrated-account", json={**shared_sandbox(NAME), "tenant_id": "tests"})
    assert made.status_code == 201, made.text
    yield {"integrated_account_id": made.json()["id"]}
    gateway.admin("DELETE", f"/integrated-account/{made.json()['id']}")


@pytest.mark.parametrize("entity", [None, "contact", "account", "opportunity", "lead"])
def test_field_groups_are_the_module_s_layout_sections_and_fields_name_them(gateway, ctl, own, entity):
    ctl.clear_requests()
    params = {"limit": 200, **own, **({"entity": entity} if entity else {})}
    module = MODULES[entity or "contact"]
    groups = gateway.unified("GET", NAME, resource="field_groups", params=params)
    assert groups.status_code == 200, groups.text
    sections = [s for s in ctl.records("field_groups") if s["module"] == module]
    assert [(g["id"], g["name"], g["label"]) for g in groups.json()["result"]] == \
        [(s["id"], s["api_name"], s["display_label"]) for s in sections]
    assert {g["entity_type"] for g in groups.json()["result"]} == {entity or "contact"}
    assert gets(ctl, "/crm/v8/settings/layouts") == [{"module": [module]}]
    ctl.clear_requests()
    fields = gateway.unified("GET", NAME, resource="fields", params=params).json()["result"]
    assert gateway.unified("GET", NAME, resource="fields", params=params).json()["result"] == fields
    assert len(gets(ctl, "/crm/v8/settings/layouts")) == 1       # read once, then kept for the account
    for field in fields:
        holding = [s for s in sections if field["name"] in s["fields"]]
        assert field.get("field_groups", []) == [{"id": s["id"], "name": s["api_name"]} for s in holding]
    assert all(field.get("field_groups") for field in fields)     # every seeded field sits in a section
    section = sections[-1]
    one = gateway.unified("GET", NAME, section["id"], resource="field_groups", params=params)
    assert one.status_code == 200 and one.json()["name"] == section["api_name"]
    assert gateway.unified("GET", NAME, "1", resource="field_groups", params=params).status_code == 404


@pytest.mark.parametrize("placement", ["none", "standard"])
def test_a_created_field_names_the_section_zoho_places_it_in(gateway, ctl, own, placement):
    """Whether the fields API places a new custom field in a section is undocumented (switch `new_field_section`):
    the field's groups are whatever the layouts say, read again after the write."""
    ctl.switch(new_field_section=placement)
    gateway.unified("GET", NAME, resource="fields", params={"entity": "lead", **own})  # layouts cached before
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "lead", **own},
                              json={"name": "Webinar", "label": "Webinar", "type": "string"})
    assert created.status_code == 200, created.text
    standard = [s for s in ctl.records("field_groups") if s["module"] == "Leads" and s["layout"] == "Standard"]
    holding = [{"id": s["id"], "name": s["api_name"]} for s in standard if "Webinar" in s["fields"]]
    assert (holding == []) is (placement == "none")
    assert created.json().get("field_groups", []) == holding
    again = gateway.unified("GET", NAME, created.json()["id"], resource="fields", params={"entity": "lead", **own})
    assert again.json().get("field_groups", []) == holding


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_field_groups_are_read_only_here(gateway, ctl, method):
    ctl.clear_requests()
    answer = gateway.unified(method, NAME, None if method == "POST" else "1", resource="field_groups",
                             json=None if method == "DELETE" else {"name": "More", "label": "More"})
    assert answer.status_code == 405, answer.text
    assert ctl.requests() == []
