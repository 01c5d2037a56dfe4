"""Pipedrive users and list filters through the gateway: what Pipedrive receives (GET /v1/users and /v1/users/find,
API v2's updated_since / updated_until / sort_by in whole seconds) and what it refuses
(https://developers.pipedrive.com/docs/api/v1/Users, https://developers.pipedrive.com/docs/api/v1/Persons API v2 tab)."""

from __future__ import annotations

import pytest
from support import list_all

NAME = "pipedrive"


def last_query(ctl, path: str) -> dict:
    return dict(next(r for r in reversed(ctl.requests()) if r["path"].endswith(path))["query_params"])


def test_users_are_the_owners_other_records_name(gateway, ctl):
    users = {u["id"]: u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page}
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=100, resource="contacts") for r in page
              if r.get("owner")}
    assert owners and owners <= set(users)
    stored = {str(u["id"]): u for u in ctl.records("users")}
    inactive = [uid for uid, u in stored.items() if not u["active_flag"]]
    assert inactive and all(users[uid]["is_active"] is False for uid in inactive)
    one = next(iter(owners))
    got = gateway.unified("GET", NAME, one, resource="users")
    assert got.status_code == 200 and got.json()["email"] == stored[one]["email"]
    assert got.json()["created_at"] == stored[one]["created"].replace(" ", "T") + "Z"


def test_email_filter_is_a_find_by_email_narrowed_to_the_address(gateway, ctl):
    stored = ctl.records("users")
    wanted = stored[2]["email"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": wanted.upper()}, resource="users")
    assert found.status_code == 200, found.text
    assert [u["id"] for u in found.json()["result"]] == [str(stored[2]["id"])]
    assert last_query(ctl, "/v1/users/find") == {"term": wanted.upper(), "search_by_email": "1"}
    # find matches a part of an address; the unified filter is the whole address
    part = gateway.unified("GET", NAME, params={"email": wanted.split("@")[0]}, resource="users")
    assert part.status_code == 200 and part.json()["result"] == []


def test_name_filter_is_a_find_by_name_kept_exact(gateway, ctl):
    stored = ctl.records("users")
    ctl.clear_requests()
    exact = gateway.unified("GET", NAME, params={"name": stored[0]["name"]}, resource="users").json()["result"]
    assert [u["id"] for u in exact] == [str(stored[0]["id"])]
    assert last_query(ctl, "/v1/users/find") == {"term": stored[0]["name"]}
    first_word = stored[0]["name"].split()[0]
    assert gateway.unified("GET", NAME, params={"name": first_word}, resource="users").json()["result"] == []


def test_an_unknown_user_is_a_404(gateway, ctl):
    assert gateway.unified("GET", NAME, "999", resource="users").status_code == 404


def test_users_have_no_time_filter(gateway, ctl):
    response = gateway.unified("GET", NAME, params={"updated_at[gte]": "2024-01-01T00:00:00Z"}, resource="users")
    assert response.status_code == 400


@pytest.mark.parametrize("fractions", ["reject", "accept"])
def test_time_bounds_are_sent_in_whole_seconds_that_keep_the_same_records(gateway, ctl, fractions):
    """Pipedrive keeps whole seconds and (by one source) refuses fractions: gt moves to the next second, lt rounds up."""
    ctl.switch(fractional_seconds=fractions)
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="contacts", params={
        "updated_at[gt]": "2023-03-05T10:00:00.250Z", "updated_at[lt]": "2024-06-01T08:00:00.500Z", "limit": 50})
    assert listed.status_code == 200, listed.text
    query = last_query(ctl, "/api/v2/persons")
    assert query["updated_since"] == "2023-03-05T10:00:01Z"
    assert query["updated_until"] == "2024-06-01T08:00:01Z"
    assert all("2023-03-05T10:00:00.250Z" < r["updated_at"] < "2024-06-01T08:00:00.500Z"
               for r in listed.json()["result"])


def test_gte_and_lte_and_a_sort(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="opportunities", params={
        "updated_at[gte]": "2023-01-01T00:00:00Z", "updated_at[lte]": "2030-01-01T00:00:00Z",
        "sort_by[created_at]": "desc", "limit": 20})
    assert listed.status_code == 200, listed.text
    query = last_query(ctl, "/api/v2/deals")
    assert (query["updated_since"], query["updated_until"]) == ("2023-01-01T00:00:00Z", "2030-01-01T00:00:01Z")
    assert (query["sort_by"], query["sort_direction"]) == ("add_time", "desc")
    times = [r["created_at"] for r in listed.json()["result"]]
    assert times == sorted(times, reverse=True)


def test_no_creation_time_filter_on_api_v2_lists(gateway, ctl):
    """API v2 lists filter by modification time only: created_at is not declared, so the gateway answers 400."""
    ctl.clear_requests()
    response = gateway.unified("GET", NAME, resource="accounts", params={"created_at[gte]": "2024-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert not [r for r in ctl.requests() if r["path"].endswith("/api/v2/organizations")]


# -- crm/leads: Pipedrive's v1 Leads API (https://developers.pipedrive.com/docs/api/v1/Leads) ------------------

def writes(ctl) -> list[dict]:
    return [r for r in ctl.requests() if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]


def test_a_lead_reads_as_its_title_links_status_and_the_deal_custom_fields(gateway, ctl):
    stored = {lead["id"]: lead for lead in ctl.records("leads")}
    seeded = next(lead for lead in stored.values() if lead["person_id"] and lead["organization_id"]
                  and any(len(k) == 40 and v is not None for k, v in lead.items()))
    got = gateway.unified("GET", NAME, seeded["id"], resource="leads")
    assert got.status_code == 200, got.text
    lead = got.json()
    assert lead["id"] == seeded["id"]
    assert lead["name"] == lead["title"] == seeded["title"]
    assert lead["owner"] == {"id": str(seeded["owner_id"])}
    assert lead["contact"] == {"id": str(seeded["person_id"])}
    assert lead["account"] == {"id": str(seeded["organization_id"])}
    assert lead["status"] == "open" and lead["lead_source"] == seeded["source_name"]
    assert lead["custom_fields"] == {k: v for k, v in seeded.items() if len(k) == 40 and v is not None}
    assert lead["created_at"] == seeded["add_time"] and lead["updated_at"] == seeded["update_time"]
    assert lead["remote_data"]["value"] == seeded["value"]   # value has no unified field


def test_the_lead_list_is_the_inbox_and_status_archived_reads_the_archived_list(gateway, ctl):
    stored = ctl.records("leads")
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="leads") for r in page]
    assert [r["id"] for r in listed] == [lead["id"] for lead in stored if not lead["is_archived"]]
    ctl.clear_requests()
    archived = gateway.unified("GET", NAME, params={"status": "archived", "limit": 100}, resource="leads")
    assert archived.status_code == 200, archived.text
    assert {r["id"] for r in archived.json()["result"]} == {lead["id"] for lead in stored if lead["is_archived"]}
    assert all(r["status"] == "archived" for r in archived.json()["result"])
    assert last_query(ctl, "/v1/leads/archived") == {"start": "0", "limit": "100"}
    refused = gateway.unified("GET", NAME, params={"status": "won"}, resource="leads")
    assert refused.status_code == 400 and "open" in refused.json()["message"]


def test_lead_list_filters_and_sort_are_pipedrive_s_own_parameters(gateway, ctl):
    lead = next(lead for lead in ctl.records("leads") if lead["person_id"] and lead["organization_id"]
                and not lead["is_archived"])
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="leads", params={
        "contact[id]": str(lead["person_id"]), "account[id]": str(lead["organization_id"]),
        "owner[id]": str(lead["owner_id"]), "sort_by[updated_at]": "desc", "limit": 10})
    assert listed.status_code == 200, listed.text
    assert lead["id"] in {r["id"] for r in listed.json()["result"]}
    assert last_query(ctl, "/v1/leads") == {
        "person_id": str(lead["person_id"]), "organization_id": str(lead["organization_id"]),
        "owner_id": str(lead["owner_id"]), "sort": "update_time DESC", "start": "0", "limit": "10"}
    # the archived list takes no updated_since: a bound with status archived is refused before Pipedrive is called
    ctl.clear_requests()
    bounded = gateway.unified("GET", NAME, resource="leads",
                              params={"updated_at[gte]": "2024-01-01T00:00:00Z", "status[eq]": "archived"})
    assert bounded.status_code == 400 and not ctl.requests()
    assert "archived" in bounded.json()["message"]


def test_a_leads_updated_at_bound_goes_as_its_whole_second_and_the_list_drops_what_precedes_it(gateway, ctl):
    """Lead times carry milliseconds; updated_since goes without them (rounded down) and the gateway keeps
    only the records at or past the bound itself."""
    open_leads = [r for r in ctl.records("leads") if not r["is_archived"]]
    stamps = sorted({r["update_time"] for r in open_leads})
    assert len(stamps) >= 3
    bound = stamps[len(stamps) // 2]
    for operator, keep in (("gte", lambda t: t >= bound), ("gt", lambda t: t > bound)):
        ctl.clear_requests()
        listed = gateway.unified("GET", NAME, resource="leads", params={f"updated_at[{operator}]": bound, "limit": 100})
        assert listed.status_code == 200, listed.text
        assert {r["id"] for r in listed.json()["result"]} == {r["id"] for r in open_leads if keep(r["update_time"])}
        assert last_query(ctl, "/v1/leads")["updated_since"] == bound[:19] + "Z"  # no fraction of a second


def test_a_lead_is_created_on_a_person_or_an_organization_and_pipedrive_answers_201(gateway, ctl):
    person = ctl.records("contacts")[3]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="leads", json={
        "name": "Inbound from the gateway", "contact": {"id": str(person["id"])}, "owner": {"id": "13053346"},
        "status": "open", "remote_data": {"value": {"amount": 500, "currency": "EUR"}}})
    assert created.status_code == 200, created.text
    [sent] = writes(ctl)
    assert (sent["method"], sent["path"].rsplit("/", 2)[-2:]) == ("POST", ["v1", "leads"])
    assert sent["body"] == {"title": "Inbound from the gateway", "person_id": person["id"], "owner_id": 13053346,
                            "value": {"amount": 500, "currency": "EUR"}}
    lead = created.json()
    assert lead["name"] == "Inbound from the gateway" and lead["contact"] == {"id": str(person["id"])}
    assert lead["status"] == "open" and lead["lead_source"] == "API" and "account" not in lead
    stored = next(r for r in ctl.records("leads") if r["id"] == lead["id"])
    assert stored["value"] == {"amount": 500, "currency": "EUR"}


@pytest.mark.parametrize(("body", "says"), [
    ({"name": "Nobody's lead"}, "`contact`"),
    ({"contact": {"id": "1"}}, "`name`"),
    ({"name": "Archived at birth", "contact": {"id": "1"}, "status": "archived"}, "Leads Inbox"),
    ({"name": "Wrong status", "contact": {"id": "1"}, "status": "won"}, "archived"),
])
def test_a_lead_create_pipedrive_would_refuse_is_400_before_it_is_called(gateway, ctl, body, says):
    ctl.clear_requests()
    refused = gateway.unified("POST", NAME, resource="leads", json=body)
    assert refused.status_code == 400, refused.text
    assert says in refused.json()["message"]
    assert not writes(ctl)


def test_a_lead_update_patches_only_what_changed_and_archiving_is_is_archived(gateway, ctl):
    lead = next(lead for lead in ctl.records("leads") if lead["person_id"] and lead["organization_id"]
                and not lead["is_archived"])
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, lead["id"], resource="leads",
                              json={"name": "Renamed", "remote_data": {"person_id": None}})
    assert updated.status_code == 200, updated.text
    [sent] = writes(ctl)
    assert sent["method"] == "PATCH" and sent["path"].endswith(f"/v1/leads/{lead['id']}")
    assert sent["body"] == {"title": "Renamed", "person_id": None}
    assert updated.json()["name"] == "Renamed" and "contact" not in updated.json()
    # unlinking the organization too would leave the lead on nothing: Pipedrive's refusal, passed on
    unlinked = gateway.unified("PATCH", NAME, lead["id"], resource="leads",
                               json={"remote_data": {"organization_id": None}})
    assert unlinked.status_code == 400 and unlinked.json()["truto_is_remote_error"] is True
    archived = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"status": "archived"})
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert writes(ctl)[-1]["body"] == {"is_archived": True}
    # an archived lead is not editable through the API (since Jul 15th, 2025), but can be taken out of the archive
    assert gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"name": "Again"}).status_code == 400
    reopened = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"status": "open"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_a_lead_delete_answers_its_id_and_an_unknown_lead_is_404(gateway, ctl):
    lead = ctl.records("leads")[1]
    deleted = gateway.unified("DELETE", NAME, lead["id"], resource="leads")
    assert deleted.status_code == 200 and deleted.json()["id"] == lead["id"]
    assert gateway.unified("GET", NAME, lead["id"], resource="leads").status_code == 404
    assert gateway.unified("GET", NAME, "not-a-uuid", resource="leads").status_code == 404


# -- crm/associations with entity leads: a lead's person and organization (PATCH /v1/leads/{id}) ----------------

def test_a_lead_is_associated_with_a_contact_and_an_account_by_one_patch(gateway, ctl):
    lead = next(lead for lead in ctl.records("leads") if not lead["is_archived"])
    person = next(p for p in ctl.records("contacts") if p["id"] != lead["person_id"])
    org = next(o for o in ctl.records("accounts") if o["id"] != lead["organization_id"])
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="associations", json={
        "entity": "leads", "entity_id": lead["id"],
        "associations": {"contacts": [{"id": str(person["id"])}], "accounts": [{"id": str(org["id"])}]}})
    assert created.status_code == 200, created.text
    assert {k: v for k, v in created.json().items() if k != "remote_data"} == {
        "entity_id": lead["id"], "entity": "leads",
        "associations": {"contacts": [{"id": str(person["id"])}], "accounts": [{"id": str(org["id"])}]}}
    [sent] = writes(ctl)
    assert sent["method"] == "PATCH" and sent["path"].endswith(f"/v1/leads/{lead['id']}")
    assert sent["body"] == {"person_id": person["id"], "organization_id": org["id"]}
    got = gateway.unified("GET", NAME, lead["id"], resource="leads").json()
    assert got["contact"] == {"id": str(person["id"])} and got["account"] == {"id": str(org["id"])}
    # one of the two alone leaves the other as it was
    other = next(o for o in ctl.records("accounts") if o["id"] not in (org["id"], lead["organization_id"]))
    again = gateway.unified("POST", NAME, resource="associations", json={
        "entity": "leads", "entity_id": lead["id"], "associations": {"accounts": [{"id": str(other["id"])}]}})
    assert again.status_code == 200, again.text
    assert writes(ctl)[-1]["body"] == {"organization_id": other["id"]}
    assert again.json()["associations"] == {"contacts": [{"id": str(person["id"])}],
                                            "accounts": [{"id": str(other["id"])}]}


@pytest.mark.parametrize(("associations", "says"), [
    ({"contacts": [{"id": "1"}, {"id": "2"}]}, "one contact"),
    ({"accounts": [{"id": "1"}, {"id": "2"}]}, "one account"),
    ({"accounts": []}, "one account"),
    ({"opportunities": [{"id": "1"}]}, "opportunities"),
    ({"contacts": [{"id": "1"}], "leads": [{"id": "1"}]}, "leads"),
    ({}, "`associations`"),
    ({"contacts": [{"id": "abc"}]}, "person id is a number"),
])
def test_what_a_lead_cannot_hold_is_refused_before_pipedrive_is_called(gateway, ctl, associations, says):
    lead = ctl.records("leads")[0]
    ctl.clear_requests()
    refused = gateway.unified("POST", NAME, resource="associations",
                              json={"entity": "leads", "entity_id": lead["id"], "associations": associations})
    assert refused.status_code == 400, refused.text
    assert says in refused.json()["message"]
    assert not writes(ctl)


def test_an_unknown_lead_is_pipedrive_s_404_and_another_entity_is_refused(gateway, ctl):
    unknown = gateway.unified("POST", NAME, resource="associations", json={
        "entity": "leads", "entity_id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "associations": {"accounts": [{"id": "1"}]}})
    assert unknown.status_code == 404 and unknown.json()["truto_is_remote_error"] is True
    ctl.clear_requests()
    other = gateway.unified("POST", NAME, resource="associations", json={
        "entity": "opportunities", "entity_id": "1", "associations": {"accounts": [{"id": "1"}]}})
    assert other.status_code == 400 and "leads" in other.json()["message"]
    assert not writes(ctl)

# -- crm/fields writes (API v2 Fields, https://developers.pipedrive.com/docs/api/v1/PersonFields, API v2 tab) --------

def field_writes(ctl) -> list[dict]:
    """The field writes Pipedrive received, their paths as Pipedrive's (without the emulator's root)."""
    return [{**r, "path": r["path"].removeprefix("/pipedrive")} for r in ctl.requests()
            if r["method"] in ("POST", "PATCH", "DELETE") and "Fields" in r["path"]]


@pytest.mark.parametrize(("entity", "path"), [("account", "/api/v2/organizationFields"),
                                              ("contact", "/api/v2/personFields"),
                                              ("opportunity", "/api/v2/dealFields")])
def test_a_field_is_created_on_the_object_entity_type_names(gateway, ctl, entity, path):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "contact"},
                              json={"label": "Renewal tier", "type": "enum", "entity_type": entity,
                                    "description": "Set at renewal",
                                    "options": [{"label": "Gold", "value": "gold"}, {"value": "Silver"}]})
    assert created.status_code == 200, created.text
    [sent] = field_writes(ctl)
    assert (sent["method"], sent["path"]) == ("POST", path)
    assert sent["body"] == {"field_name": "Renewal tier", "field_type": "enum", "description": "Set at renewal",
                            "options": [{"label": "Gold"}, {"label": "Silver"}]}
    field = created.json()
    code = field["id"]
    assert len(code) == 40 and field["name"] == code  # Pipedrive generates the field_code
    stored = next(f for f in ctl.records("fields") if f["field_code"] == code)
    assert stored["object"] == path.rsplit("/", 1)[1] and stored["is_custom_field"] is True
    assert field["label"] == "Renewal tier" and field["type"] == "enum" and field["entity_type"] == entity
    assert field["is_user_defined"] is True and field["description"] == "Set at renewal"
    assert field["options"] == [{"label": o["label"], "value": str(o["id"])} for o in stored["options"]]
    read = gateway.unified("GET", NAME, code, resource="fields", params={"entity": entity})
    assert read.status_code == 200 and read.json()["label"] == "Renewal tier"


@pytest.mark.parametrize(("unified", "pipedrive"), [("string", "varchar"), ("text", "text"), ("number", "double"),
                                                    ("date", "date")])
def test_unified_types_are_pipedrive_field_types(gateway, ctl, unified, pipedrive):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", json={"name": "Plain", "type": unified})
    assert created.status_code == 200, created.text
    assert field_writes(ctl)[0]["body"] == {"field_name": "Plain", "field_type": pipedrive}
    assert created.json()["type"] == unified and created.json()["entity_type"] == "contact"


@pytest.mark.parametrize(("body", "says"), [
    ({"label": "No type"}, "`type`"),
    ({"type": "string"}, "`label` or `name`"),
    ({"label": "Flag", "type": "boolean"}, "boolean"),
    ({"label": "Choice", "type": "enum"}, "options"),
    ({"label": "Text", "type": "string", "options": [{"label": "A"}]}, "options"),
])
def test_a_create_pipedrive_cannot_take_is_400_before_the_call(gateway, ctl, body, says):
    ctl.clear_requests()
    answer = gateway.unified("POST", NAME, resource="fields", json=body)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["message"]
    assert field_writes(ctl) == []


def test_a_custom_field_is_renamed_then_deleted_and_records_lose_its_value(gateway, ctl):
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "account"},
                              json={"label": "Region", "type": "string"}).json()
    code = created["id"]
    account = gateway.unified("POST", NAME, resource="accounts",
                              json={"name": "Fieldwork Ltd", "custom_fields": {code: "EMEA"}})
    assert account.status_code == 200, account.text
    assert account.json()["custom_fields"][code] == "EMEA"
    ctl.clear_requests()
    renamed = gateway.unified("PATCH", NAME, code, resource="fields", params={"entity": "account"},
                              json={"label": "Sales region", "description": "Where it sells"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["label"] == "Sales region" and renamed.json()["entity_type"] == "account"
    [sent] = field_writes(ctl)
    assert (sent["method"], sent["path"]) == ("PATCH", f"/api/v2/organizationFields/{code}")
    assert sent["body"] == {"field_name": "Sales region", "description": "Where it sells"}
    ctl.clear_requests()
    deleted = gateway.unified("DELETE", NAME, code, resource="fields", params={"entity": "account"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["id"] == code
    assert [(r["method"], r["path"]) for r in field_writes(ctl)] == [("DELETE", f"/api/v2/organizationFields/{code}")]
    assert gateway.unified("GET", NAME, code, resource="fields", params={"entity": "account"}).status_code == 404
    again = gateway.unified("GET", NAME, account.json()["id"], resource="accounts").json()
    assert code not in again.get("custom_fields", {})
    # A value for the deleted field is Pipedrive's refusal, passed on.
    refused = gateway.unified("PATCH", NAME, account.json()["id"], resource="accounts",
                              json={"custom_fields": {code: "APAC"}})
    assert refused.status_code == 400 and refused.json()["truto_is_remote_error"] is True


def test_an_update_with_options_adds_relabels_and_removes_them_through_the_options_endpoints(gateway, ctl):
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "opportunity"},
                              json={"label": "Tier", "type": "enum", "entity_type": "opportunity",
                                    "options": [{"label": "Gold"}, {"label": "Silver"}, {"label": "Bronze"}]}).json()
    code = created["id"]
    gold, silver, _bronze = created["options"]
    ctl.clear_requests()
    # Gold kept as it is, Silver relabelled, Bronze left out (removed), Platinum new.
    wanted = [gold, {"value": silver["value"], "label": "Silver+"}, {"label": "Platinum"}]
    updated = gateway.unified("PATCH", NAME, code, resource="fields", params={"entity": "opportunity"},
                              json={"options": wanted})
    assert updated.status_code == 200, updated.text
    base = f"/api/v2/dealFields/{code}"
    assert [(r["method"], r["path"], r["body"]) for r in field_writes(ctl)] == [
        ("POST", f"{base}/options", [{"label": "Platinum"}]),
        ("PATCH", f"{base}/options", [{"id": int(silver["value"]), "label": "Silver+"}]),
        ("DELETE", f"{base}/options", [{"id": int(_bronze["value"])}]),
        ("PATCH", base, {"field_name": "Tier"}),   # the field's own name again: the PATCH needs a field
    ]
    labels = [o["label"] for o in updated.json()["options"]]
    assert labels == ["Gold", "Silver+", "Platinum"]
    stored = next(f for f in ctl.records("fields") if f["field_code"] == code)
    assert [o["label"] for o in stored["options"]] == labels
    # The same list again changes nothing but the PATCH of the field itself.
    ctl.clear_requests()
    again = gateway.unified("PATCH", NAME, code, resource="fields", params={"entity": "opportunity"},
                            json={"options": updated.json()["options"]})
    assert again.status_code == 200, again.text
    assert [(r["method"], r["path"]) for r in field_writes(ctl)] == [("PATCH", base)]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_pipedrive_refuses_to_change_or_delete_its_own_fields(gateway, ctl, method):
    ctl.clear_requests()
    answer = gateway.unified(method, NAME, "name", resource="fields", params={"entity": "contact"},
                             json={"label": "Full name"} if method == "PATCH" else None)
    assert answer.status_code == 400, answer.text
    assert answer.json()["truto_is_remote_error"] is True
    assert answer.json()["raw_response"]["success"] is False
    assert [(r["method"], r["path"]) for r in field_writes(ctl)] == [(method, "/api/v2/personFields/name")]
    assert next(f for f in ctl.records("fields") if f["object"] == "personFields" and f["field_code"] == "name")[
        "field_name"] == "Name"


@pytest.mark.parametrize(("body", "says"), [({"type": "number"}, "type"), ({"options": [{"label": "A"}]}, "enum and set"), ({"options": []}, "options"),
                                            ({"label": "X", "entity_type": "account"}, "entity")])
def test_an_update_pipedrive_cannot_make_is_400_before_the_call(gateway, ctl, body, says):
    code = gateway.unified("POST", NAME, resource="fields", json={"label": "Typed", "type": "string"}).json()["id"]
    ctl.clear_requests()
    answer = gateway.unified("PATCH", NAME, code, resource="fields", json=body)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["message"]
    assert field_writes(ctl) == []


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_the_custom_fields_accounts_map_are_not_changed_through_crm_fields(gateway, ctl, method):
    website = "ed1d6d314ab9b97a0c9c0f84720c598fd98eec84"
    field = gateway.unified("GET", NAME, website, resource="fields", params={"entity": "account"}).json()
    assert field["is_user_defined"] is False
    ctl.clear_requests()
    answer = gateway.unified(method, NAME, website, resource="fields", params={"entity": "account"},
                             json={"label": "Site"} if method == "PATCH" else None)
    assert answer.status_code == 400, answer.text
    assert "custom_field_keys" in answer.json()["message"]
    assert field_writes(ctl) == []


def test_a_created_field_takes_typed_values_on_records(gateway, ctl):
    code = gateway.unified("POST", NAME, resource="fields", params={"entity": "opportunity"},
                           json={"label": "Seats sold", "type": "number", "entity_type": "opportunity"}).json()["id"]
    deal = gateway.unified("GET", NAME, params={"limit": 1}, resource="opportunities").json()["result"][0]
    ok = gateway.unified("PATCH", NAME, deal["id"], resource="opportunities", json={"custom_fields": {code: 12.5}})
    assert ok.status_code == 200, ok.text
    assert gateway.unified("GET", NAME, deal["id"], resource="opportunities").json()["custom_fields"][code] == 12.5
    # Pipedrive's API v2 does not coerce: a number field refuses text.
    refused = gateway.unified("PATCH", NAME, deal["id"], resource="opportunities",
                              json={"custom_fields": {code: "twelve"}})
    assert refused.status_code == 400, refused.text
