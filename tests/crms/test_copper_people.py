"""Copper users, fields and list filters through the gateway: what Copper receives for a filter (the search body's
minimum/maximum dates, `emails`, sort_by), users paged by the search body, custom field definitions picked by
entity from Copper's one list and written as one entity's definitions, and Copper's refusals
(https://developer.copper.com/opportunities/list-opportunities-search.html,
https://developer.copper.com/custom-fields/general/list-custom-field-definitions.html and its create, update and
delete siblings)."""

from __future__ import annotations

from datetime import datetime, timezone

import requests
from support import list_all

from unigate.sandbox import copper
from unigate.sandbox.copper.common import CUSTOM_FIELD_DEFINITIONS, OTHER_USERS, USERS
from unigate.sandbox.copper.deals import CUSTOMER_SOURCES

NAME = "copper"


def searches(ctl, entity: str) -> list[dict]:
    """The body of each POST /<entity>/search the emulator received."""
    return [r["body"] for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith(f"/{entity}/search")]


def test_users_page_by_the_search_body_and_include_the_owners(gateway, ctl):
    ctl.clear_requests()
    users = [u for page in list_all(gateway, NAME, limit=6, resource="users") for u in page]
    assert [u["id"] for u in users] == [str(u["id"]) for u in USERS + OTHER_USERS]
    assert [(b["page_number"], b["page_size"]) for b in searches(ctl, "users")][:3] == [(1, 6), (2, 6), (3, 6)]
    assert users[0] == {"id": str(USERS[0]["id"]), "name": USERS[0]["name"], "email": USERS[0]["email"],
                        "remote_data": USERS[0]}
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=50, resource="opportunities") for r in page
              if r.get("owner")}
    assert owners <= {u["id"] for u in users}
    missing = gateway.unified("GET", NAME, "999", resource="users")
    assert missing.status_code == 404, missing.text


def test_users_take_no_filter(gateway, ctl):
    refused = gateway.unified("GET", NAME, params={"email": USERS[0]["email"]}, resource="users")
    assert refused.status_code == 400, refused.text


def test_fields_are_the_definitions_available_on_the_entity(gateway, ctl):
    for entity, on in (("account", "company"), ("contact", "person"), ("opportunity", "opportunity"), ("lead", "lead")):
        listed = gateway.unified("GET", NAME, resource="fields", params={"entity": entity, "limit": 100})
        assert listed.status_code == 200, listed.text
        fields = listed.json()["result"]
        assert [f["id"] for f in fields] == [str(d["id"]) for d in CUSTOM_FIELD_DEFINITIONS if on in d["available_on"]]
        assert all(f["entity_type"] == entity for f in fields)
    got = gateway.unified("GET", NAME, "100764", resource="fields", params={"entity": "account"})
    assert got.status_code == 200, got.text
    industry = got.json()
    assert industry["type"] == "enum" and industry["options"][0] == {"label": "Software", "value": "900101"}
    seats = gateway.unified("GET", NAME, "103487", resource="fields", params={"entity": "opportunity"}).json()
    assert seats["type"] == "number"
    assert gateway.unified("GET", NAME, "999", resource="fields").status_code == 404
    # a definition is found only under the entities it is available on
    assert "person" not in next(d for d in CUSTOM_FIELD_DEFINITIONS if d["id"] == 103487)["available_on"]
    assert gateway.unified("GET", NAME, "103487", resource="fields", params={"entity": "contact"}).status_code == 404


def definition_calls(ctl) -> list[dict]:
    """The requests Copper received on /custom_field_definitions (create, update, delete, reads)."""
    return [r for r in ctl.requests() if "/custom_field_definitions" in r["path"]]


def test_a_field_create_posts_a_definition_on_the_entity_asked_for(gateway, ctl):
    """create-custom-field-definition.html: name (the label), data_type, available_on and options [{name}]; Copper's
    answer is the definition, so nothing is read back."""
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "opportunity"}, json={
        "label": "Renewal Risk", "name": "renewal_risk", "type": "enum", "entity_type": "opportunity",
        "options": [{"label": "Low"}, {"value": "High"}]})
    assert created.status_code == 200, created.text
    field = created.json()
    assert {k: v for k, v in field.items() if k not in ("id", "options", "remote_data")} == {
        "name": "Renewal Risk", "label": "Renewal Risk", "type": "enum", "is_user_defined": True, "is_editable": True,
        "entity_type": "opportunity"}
    assert [o["label"] for o in field["options"]] == ["Low", "High"]
    calls = definition_calls(ctl)
    assert [(c["method"], c["path"]) for c in calls] == [("POST", "/copper/developer_api/v1/custom_field_definitions")]
    assert calls[0]["body"] == {"name": "Renewal Risk", "data_type": "Dropdown", "available_on": ["opportunity"],
                                "options": [{"name": "Low"}, {"name": "High"}]}
    stored = next(d for d in ctl.records("fields") if str(d["id"]) == field["id"])
    assert stored["available_on"] == ["opportunity"] and [o["rank"] for o in stored["options"]] == [0, 1]
    # listed under its entity only
    assert field["id"] in [f["id"] for f in gateway.unified(
        "GET", NAME, resource="fields", params={"entity": "opportunity", "limit": 100}).json()["result"]]
    assert gateway.unified("GET", NAME, field["id"], resource="fields", params={"entity": "contact"}).status_code == 404


def test_a_created_field_is_on_every_record_and_takes_a_typed_value(gateway, ctl):
    """Copper lists every definition of the entity on each record (value null when unset); a value written under
    the field's name reaches Copper by definition id and reads back typed."""
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "contact"},
                              json={"label": "Credit Limit", "type": "number"})
    assert created.status_code == 200, created.text
    field_id = int(created.json()["id"])
    people = ctl.records("contacts")
    assert all({"custom_field_definition_id": field_id, "value": None} in p["custom_fields"] for p in people)
    assert all(field_id not in [r["custom_field_definition_id"] for r in c["custom_fields"]] for c in ctl.records())
    person_id = str(people[0]["id"])
    ctl.clear_requests()
    written = gateway.unified("PATCH", NAME, person_id, resource="contacts",
                              json={"custom_fields": {"Credit Limit": 2500.5}})
    assert written.status_code == 200, written.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT" and r["path"].endswith(f"/people/{person_id}"))
    assert put["body"]["custom_fields"] == [{"custom_field_definition_id": field_id, "value": 2500.5}]
    got = gateway.unified("GET", NAME, person_id, resource="contacts").json()
    assert got["custom_fields"]["Credit Limit"] == 2500.5 and type(got["custom_fields"]["Credit Limit"]) is float
    # a person created afterwards carries it too
    new = gateway.unified("POST", NAME, resource="contacts", json={
        "first_name": "Nellie", "last_name": "Bertram", "custom_fields": {"Credit Limit": 10}})
    assert new.status_code == 200, new.text
    assert gateway.unified("GET", NAME, new.json()["id"], resource="contacts").json()["custom_fields"]["Credit Limit"] == 10


def test_a_field_update_renames_and_replaces_the_options(gateway, ctl):
    """update-custom-field-definition.html: PUT with the keys changed; options sent replace the list."""
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "lead"}, json={
        "label": "Channels", "type": "array", "options": [{"label": "Web"}, {"label": "Fair"}]}).json()
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, created["id"], resource="fields", params={"entity": "lead"},
                              json={"label": "Lead Channels", "options": [{"label": "Web"}, {"label": "Phone"},
                                                                          {"label": "Email"}]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["label"] == "Lead Channels" and updated.json()["name"] == "Lead Channels"
    assert [o["label"] for o in updated.json()["options"]] == ["Web", "Phone", "Email"]
    puts = [c for c in definition_calls(ctl) if c["method"] == "PUT"]
    assert [c["path"] for c in puts] == [f"/copper/developer_api/v1/custom_field_definitions/{created['id']}"]
    assert puts[0]["body"] == {"name": "Lead Channels", "options": [{"name": "Web"}, {"name": "Phone"}, {"name": "Email"}]}
    # the type stays, and a definition not on the entity asked for is not found there: no PUT either way
    ctl.clear_requests()
    retyped = gateway.unified("PATCH", NAME, created["id"], resource="fields", params={"entity": "lead"},
                              json={"type": "string"})
    assert retyped.status_code == 400, retyped.text
    elsewhere = gateway.unified("PATCH", NAME, created["id"], resource="fields", params={"entity": "contact"},
                                json={"label": "X"})
    assert elsewhere.status_code == 404, elsewhere.text
    assert not [c for c in definition_calls(ctl) if c["method"] == "PUT"]


def test_copper_s_refusals_of_a_definition_come_through(gateway, ctl):
    """Copper's 422s (MultiSelect needs two options, Dropdown one) and 404s (an unknown id) reach the caller."""
    one_option = gateway.unified("POST", NAME, resource="fields", params={"entity": "contact"},
                                 json={"label": "Tags", "type": "array", "options": [{"label": "Only"}]})
    assert one_option.status_code == 422, one_option.text
    assert "at least 2 options" in one_option.json()["message"]
    no_option = gateway.unified("POST", NAME, resource="fields", params={"entity": "contact"},
                                json={"label": "Tier", "type": "enum"})
    assert no_option.status_code == 422, no_option.text
    assert not any(d["name"] in ("Tags", "Tier") for d in ctl.records("fields"))
    for method, json in (("PATCH", {"label": "X"}), ("DELETE", None)):
        missing = gateway.unified(method, NAME, "999", resource="fields", params={"entity": "contact"}, json=json)
        assert missing.status_code == 404, missing.text
    # refused before Copper is called: a type it has no creatable match for, an entity_type not the query's
    ctl.clear_requests()
    for body in ({"label": "When", "type": "datetime"}, {"label": "Who", "type": "string", "entity_type": "account"},
                 {"label": "Free", "type": "string", "options": [{"label": "A"}]}, {"type": "string"}):
        refused = gateway.unified("POST", NAME, resource="fields", params={"entity": "contact"}, json=body)
        assert refused.status_code == 400, (body, refused.text)
    assert not [c for c in definition_calls(ctl) if c["method"] == "POST"]


def test_a_field_delete_removes_a_definition_on_that_entity_alone(gateway, ctl):
    """delete-custom-field-definition.html: {"id", "is_deleted": true}; the definition leaves the list and every
    record."""
    ctl.clear_requests()
    deleted = gateway.unified("DELETE", NAME, "103485", resource="fields", params={"entity": "contact"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["id"] == "103485"
    assert [(c["method"], c["path"]) for c in definition_calls(ctl)] == [
        ("GET", "/copper/developer_api/v1/custom_field_definitions/103485"),
        ("DELETE", "/copper/developer_api/v1/custom_field_definitions/103485")]
    assert 103485 not in [d["id"] for d in ctl.records("fields")]
    assert all(103485 not in [r["custom_field_definition_id"] for r in p["custom_fields"]] for p in ctl.records("contacts"))
    assert gateway.unified("GET", NAME, "103485", resource="fields", params={"entity": "contact"}).status_code == 404
    person = gateway.unified("GET", NAME, str(ctl.records("contacts")[0]["id"]), resource="contacts").json()
    assert "Birthday" not in person.get("custom_fields", {})


def test_a_field_delete_is_refused_for_a_definition_on_other_entities(gateway, ctl):
    """Account Notes is on companies and people: deleting it as a contact field would remove it from companies too,
    so the gateway refuses (400) and Copper sees no DELETE."""
    ctl.clear_requests()
    refused = gateway.unified("DELETE", NAME, "103481", resource="fields", params={"entity": "contact"})
    assert refused.status_code == 400, refused.text
    assert "available on other entities than the one asked for" in refused.json()["message"]
    # the gateway's own rule, not Copper's answer
    assert refused.json().get("truto_is_remote_error") is not True and "raw_response" not in refused.json()
    assert [c["method"] for c in definition_calls(ctl)] == ["GET"]
    assert 103481 in [d["id"] for d in ctl.records("fields")]
    # nor under an entity it is not on at all
    elsewhere = gateway.unified("DELETE", NAME, "103487", resource="fields", params={"entity": "contact"})
    assert elsewhere.status_code == 400, elsewhere.text
    assert 103487 in [d["id"] for d in ctl.records("fields")]


def test_a_modification_range_is_the_search_s_modified_dates_in_whole_seconds(gateway, ctl):
    deals = sorted(ctl.records("opportunities"), key=lambda d: d["date_modified"])
    low, high = deals[3]["date_modified"], deals[-4]["date_modified"]
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="opportunities", params={
        "updated_at[gt]": f"{_iso(low - 1)}.500Z", "updated_at[lte]": f"{_iso(high)}Z", "limit": 200})
    assert listed.status_code == 200, listed.text
    body = searches(ctl, "opportunities")[-1]
    assert (body["minimum_modified_date"], body["maximum_modified_date"]) == (low, high)
    assert sorted(r["id"] for r in listed.json()["result"]) == \
        sorted(str(d["id"]) for d in deals if low <= d["date_modified"] <= high)


def test_created_at_and_sort_go_to_the_people_search(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="contacts", params={
        "created_at[gte]": "2020-01-01T00:00:00Z", "sort_by[name]": "desc", "limit": 50})
    assert listed.status_code == 200, listed.text
    body = searches(ctl, "people")[-1]
    assert body["minimum_created_date"] == 1577836800 and "maximum_created_date" not in body
    assert (body["sort_by"], body["sort_direction"]) == ("name", "desc")


def test_contacts_by_email_send_emails(gateway, ctl):
    person = next(p for p in ctl.records("contacts") if p["emails"])
    email = person["emails"][0]["email"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email_addresses": email}, resource="contacts")
    assert found.status_code == 200, found.text
    assert [r["id"] for r in found.json()["result"]] == [str(person["id"])]
    assert searches(ctl, "people")[-1]["emails"] == [email]


def test_company_and_people_searches_can_refuse_a_modification_key(gateway, ctl):
    """Copper documents minimum_modified_date on leads, opportunities, projects and tasks only; the emulator can
    refuse it on people and companies (switch), which is why the gateway's updated_at bound there sends none
    (tests/crms/test_copper_since.py)."""
    ctl.switch(search_modified_dates="refused")
    headers = {"X-PW-AccessToken": copper.SANDBOX_TOKEN, "X-PW-Application": "developer_api",
               "X-PW-UserEmail": copper.SANDBOX_USER_EMAIL}
    direct = requests.post(f"{ctl.url}/developer_api/v1/people/search", json={"minimum_modified_date": 1}, headers=headers,
                           timeout=10)
    assert direct.status_code == 422, direct.text
    for resource in ("accounts", "contacts"):
        since = gateway.unified("GET", NAME, params={"updated_at[gte]": "2026-01-01T00:00:00Z"}, resource=resource)
        assert since.status_code == 200, since.text


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


# -- leads (https://developer.copper.com/leads/list-leads-search.html; 2.-leads/*.md in Copper's Postman docs) ------

def lead_writes(ctl, method: str) -> list[dict]:
    """The body of each write of `method` to /leads or /leads/{id} the emulator received."""
    return [r["body"] for r in ctl.requests() if r["method"] == method and "/developer_api/v1/leads" in r["path"]
            and not r["path"].endswith("/search")]


def test_a_lead_reads_copper_s_fields(gateway, ctl):
    """One email object, the status name, the customer source's name, typed custom fields by definition name."""
    lead = next(r for r in ctl.records("leads") if r["email"] and r["address"] and r["customer_source_id"]
                and r["assignee_id"] and r["websites"])
    got = gateway.unified("GET", NAME, str(lead["id"]), resource="leads")
    assert got.status_code == 200, got.text
    record = got.json()
    source = next(s["name"] for s in CUSTOMER_SOURCES if s["id"] == lead["customer_source_id"])
    assert {k: v for k, v in record.items() if k != "remote_data"} == {
        "id": str(lead["id"]), "name": lead["name"], "first_name": lead["first_name"], "last_name": lead["last_name"],
        **({"title": lead["title"]} if lead["title"] else {}),
        **({"company_name": lead["company_name"]} if lead["company_name"] else {}),
        "owner": {"id": str(lead["assignee_id"])}, "status": lead["status"], "lead_source": source,
        "addresses": [{"street_1": lead["address"]["street"], "city": "Scranton", "state": "PA", "postal_code": "18505",
                       "country": "US"}],
        "email_addresses": [{"email": lead["email"]["email"], "type": "work"}],
        "phone_numbers": [{"number": n["number"], "type": n["category"]} for n in lead["phone_numbers"]],
        "urls": [{"url": w["url"], "type": w["category"]} for w in lead["websites"] + lead["socials"]],
        "custom_fields": _lead_custom_fields(lead),
        "created_at": _iso(lead["date_created"]) + "Z", "updated_at": _iso(lead["date_modified"]) + "Z",
    }
    assert record["remote_data"] == lead


def _lead_custom_fields(lead: dict) -> dict:
    names = {d["id"]: d for d in CUSTOM_FIELD_DEFINITIONS}
    values = {}
    for row in lead["custom_fields"]:
        if row["value"] is None:
            continue
        definition = names[row["custom_field_definition_id"]]
        option = {o["id"]: o["name"] for o in definition.get("options", [])}
        values[definition["name"]] = option.get(row["value"], row["value"]) if definition["data_type"] == "Dropdown" else row["value"]
    return values


def test_a_lead_create_sends_copper_s_lead(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="leads", json={
        "first_name": "Grace", "last_name": "Hopper", "title": "Rear Admiral", "company_name": "Navy",
        "owner": {"id": str(USERS[1]["id"])}, "status": "Open", "lead_source": CUSTOMER_SOURCES[1]["name"],
        "email_addresses": [{"email": "grace@navy.example", "type": "personal"}],
        "phone_numbers": [{"number": "+1 541 555 0102", "type": "mobile"}, {"number": "555 0103", "type": "fax"}],
        "addresses": [{"street_1": "1 Pentagon", "street_2": "Room 4", "city": "Arlington", "country": "US"}],
        "urls": [{"url": "https://navy.example", "type": "work"}, {"url": "https://twitter.com/grace", "type": "twitter"}],
        "custom_fields": {"Industry": "Software", "Lead Score": 77.5, "Lead Notes": "Met at the conference"},
    })
    assert created.status_code == 200, created.text
    assert lead_writes(ctl, "POST") == [{
        "name": "Grace Hopper", "first_name": "Grace", "last_name": "Hopper", "title": "Rear Admiral",
        "company_name": "Navy", "assignee_id": USERS[1]["id"], "status": "Open",
        "customer_source_id": CUSTOMER_SOURCES[1]["id"],
        "address": {"street": "1 Pentagon\nRoom 4", "city": "Arlington", "country": "US"},
        "email": {"email": "grace@navy.example", "category": "personal"},
        "phone_numbers": [{"number": "+1 541 555 0102", "category": "mobile"}, {"number": "555 0103", "category": "other"}],
        "websites": [{"url": "https://navy.example", "category": "work"}],
        "socials": [{"url": "https://twitter.com/grace", "category": "twitter"}],
        "custom_fields": [{"custom_field_definition_id": 100764, "value": 900101},
                          {"custom_field_definition_id": 103600, "value": 77.5},
                          {"custom_field_definition_id": 103601, "value": "Met at the conference"}],
    }]
    record = created.json()
    assert record["status"] == "Open" and record["lead_source"] == CUSTOMER_SOURCES[1]["name"]
    assert record["email_addresses"] == [{"email": "grace@navy.example", "type": "personal"}]
    assert record["custom_fields"] == {"Industry": "Software", "Lead Score": 77.5, "Lead Notes": "Met at the conference"}
    stored = next(r for r in ctl.records("leads") if str(r["id"]) == record["id"])
    assert stored["status_id"] == 208232 and stored["address"]["street"] == "1 Pentagon\nRoom 4"


def test_a_lead_without_a_status_is_copper_s_default(gateway, ctl):
    created = gateway.unified("POST", NAME, resource="leads", json={"name": "Plain Lead"})
    assert created.status_code == 200, created.text
    assert created.json()["status"] == "New"
    assert (created.json()["first_name"], created.json()["last_name"]) == ("Plain", "Lead")


def test_a_lead_update_puts_only_what_changed(gateway, ctl):
    lead = next(r for r in ctl.records("leads") if r["email"])
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, str(lead["id"]), resource="leads",
                              json={"last_name": "Renamed", "status": "Junk", "lead_source": CUSTOMER_SOURCES[2]["name"],
                                    "owner": {}})
    assert updated.status_code == 200, updated.text
    assert lead_writes(ctl, "PUT") == [{"name": f"{lead['first_name']} Renamed", "last_name": "Renamed",
                                        "status": "Junk", "customer_source_id": CUSTOMER_SOURCES[2]["id"],
                                        "assignee_id": None}]
    record = updated.json()
    assert record["name"] == f"{lead['first_name']} Renamed" and record["status"] == "Junk"
    assert record["lead_source"] == CUSTOMER_SOURCES[2]["name"] and "owner" not in record
    assert record["email_addresses"] == [{"email": lead["email"]["email"], "type": "work"}]
    cleared = gateway.unified("PATCH", NAME, str(lead["id"]), resource="leads", json={"email_addresses": []})
    assert cleared.status_code == 200, cleared.text
    assert lead_writes(ctl, "PUT")[-1] == {"email": None}
    assert "email_addresses" not in cleared.json() or cleared.json()["email_addresses"] == []


def test_a_lead_delete_is_permanent(gateway, ctl):
    lead = ctl.records("leads")[0]
    deleted = gateway.unified("DELETE", NAME, str(lead["id"]), resource="leads")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["id"] == str(lead["id"])
    assert gateway.unified("GET", NAME, str(lead["id"]), resource="leads").status_code == 404


def test_lead_refusals(gateway, ctl):
    """What Copper cannot hold is refused before it is called; what Copper refuses is its own 4xx."""
    ctl.clear_requests()
    two = gateway.unified("POST", NAME, resource="leads", json={
        "name": "Two Mails", "email_addresses": [{"email": "a@x.example"}, {"email": "b@x.example"}]})
    assert two.status_code == 400 and "one email" in two.json()["message"], two.text
    source = gateway.unified("POST", NAME, resource="leads", json={"name": "No Source", "lead_source": "Carrier pigeon"})
    assert source.status_code == 400 and "Carrier pigeon" in source.json()["message"], source.text
    nameless = gateway.unified("POST", NAME, resource="leads", json={"title": "Nobody"})
    assert nameless.status_code == 400, nameless.text
    assert lead_writes(ctl, "POST") == []
    status = gateway.unified("POST", NAME, resource="leads", json={"name": "Odd Status", "status": "Hot"})
    assert status.status_code == 422 and "Hot" in status.json()["message"], status.text
    field = gateway.unified("POST", NAME, resource="leads", json={"name": "Odd Field", "custom_fields": {"Birthday": 1}})
    assert field.status_code == 422, field.text   # a person field, not available on leads
    assert [b["name"] for b in lead_writes(ctl, "POST")] == ["Odd Status", "Odd Field"]
    assert gateway.unified("GET", NAME, "999", resource="leads").status_code == 404


def test_lead_filters_go_to_the_leads_search(gateway, ctl):
    leads = sorted(ctl.records("leads"), key=lambda r: r["date_modified"])
    low, high = leads[2]["date_modified"], leads[-3]["date_modified"]
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="leads", params={
        "updated_at[gte]": f"{_iso(low)}Z", "updated_at[lt]": f"{_iso(high + 1)}Z", "created_at[gt]": "2017-01-01T00:00:00Z",
        "limit": 200})
    assert listed.status_code == 200, listed.text
    body = searches(ctl, "leads")[-1]
    assert (body["minimum_modified_date"], body["maximum_modified_date"]) == (low, high)
    assert body["minimum_created_date"] == 1483228801
    assert sorted(r["id"] for r in listed.json()["result"]) == \
        sorted(str(r["id"]) for r in leads if low <= r["date_modified"] <= high)

    target = next(r for r in leads if r["email"] and r["assignee_id"])
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, resource="leads", params={
        "email_addresses": target["email"]["email"].upper(), "name": target["name"].lower(),
        "owner[id]": str(target["assignee_id"])})
    assert found.status_code == 200, found.text
    assert [r["id"] for r in found.json()["result"]] == [str(target["id"])]
    body = searches(ctl, "leads")[-1]
    assert (body["emails"], body["name"], body["assignee_ids"]) == \
        (target["email"]["email"].upper(), target["name"].lower(), [target["assignee_id"]])

    ctl.clear_requests()
    by_name = gateway.unified("GET", NAME, resource="leads", params={"sort_by[name]": "desc", "limit": 5})
    assert by_name.status_code == 200, by_name.text
    assert (searches(ctl, "leads")[-1]["sort_by"], searches(ctl, "leads")[-1]["sort_direction"]) == ("name", "desc")


def test_a_lead_name_search_is_narrowed_to_the_whole_name(gateway, ctl):
    """Copper does not say whether `name` matches a part of the name; the sandbox matches parts, the gateway keeps
    the leads whose whole name it is."""
    gateway.unified("POST", NAME, resource="leads", json={"name": "Ada Lovelace"})
    gateway.unified("POST", NAME, resource="leads", json={"name": "Ada Lovelace Byron"})
    found = gateway.unified("GET", NAME, resource="leads", params={"name": "ada lovelace"})
    assert found.status_code == 200, found.text
    assert [r["name"] for r in found.json()["result"]] == ["Ada Lovelace"]


def test_leads_sort_by_name_only(gateway, ctl):
    """Copper sorts leads by date_modified/date_created oldest first whatever the direction, so no date sort."""
    for field in ("updated_at", "created_at"):
        refused = gateway.unified("GET", NAME, resource="leads", params={f"sort_by[{field}]": "desc"})
        assert refused.status_code == 400, refused.text
    refused = gateway.unified("GET", NAME, resource="leads", params={"status": "New"})
    assert refused.status_code == 400, refused.text


def test_a_lead_converts_into_a_person_a_company_and_a_deal(gateway, ctl):
    """convert-a-lead.md: POST /leads/{id}/convert {"details": {person, company, opportunity}}; the lead is removed."""
    lead = next(r for r in ctl.records("leads") if r["email"] and r["assignee_id"])
    company = ctl.records("accounts")[2]
    stage = ctl.records("stages")[1]
    ctl.clear_requests()
    converted = gateway.unified("POST", NAME, resource="leads/convert", json={
        "id": str(lead["id"]), "contact": {"name": "Converted Person", "owner": {"id": str(USERS[2]["id"])}},
        "account": {"id": str(company["id"])},
        "opportunity": {"name": "From the lead", "amount": 2500, "owner": {"id": str(USERS[0]["id"])},
                        "pipeline": {"id": str(stage["pipeline_id"])}, "stage": {"id": str(stage["id"])}}})
    assert converted.status_code == 200, converted.text
    assert lead_writes(ctl, "POST") == [{"details": {
        "person": {"name": "Converted Person", "assignee_id": USERS[2]["id"]}, "company": {"id": company["id"]},
        "opportunity": {"name": "From the lead", "monetary_value": 2500, "assignee_id": USERS[0]["id"],
                        "pipeline_id": stage["pipeline_id"], "pipeline_stage_id": stage["id"]}}}]
    result = converted.json()["result"]
    answer = result["remote_data"]
    assert {k: v for k, v in result.items() if k != "remote_data"} == {
        "id": str(lead["id"]), "converted_contact": {"id": str(answer["person"]["id"])},
        "converted_account": {"id": str(company["id"])}}
    person = gateway.unified("GET", NAME, result["converted_contact"]["id"], resource="contacts").json()
    assert person["name"] == "Converted Person" and person["account"]["id"] == str(company["id"])
    assert person["email_addresses"] == [{"email": lead["email"]["email"], "type": lead["email"]["category"]}]
    assert person["owner"] == {"id": str(USERS[2]["id"])}
    deal = gateway.unified("GET", NAME, str(answer["opportunity"]["id"]), resource="opportunities").json()
    assert (deal["name"], deal["amount"], deal["stage"]["id"], deal["contact"]) == \
        ("From the lead", 2500, str(stage["id"]), [{"id": result["converted_contact"]["id"]}])
    assert gateway.unified("GET", NAME, str(lead["id"]), resource="leads").status_code == 404


def test_a_lead_converted_without_details_takes_its_company_name(gateway, ctl):
    made = gateway.unified("POST", NAME, resource="leads", json={"name": "Lone Lead", "company_name": "Lone Co"})
    assert made.status_code == 200, made.text
    lead = made.json()["remote_data"]
    accounts = len(ctl.records("accounts"))
    converted = gateway.unified("POST", NAME, resource="leads/convert", json={"id": str(lead["id"])})
    assert converted.status_code == 200, converted.text
    result = converted.json()["result"]
    assert result["remote_data"].get("opportunity") is None
    account = gateway.unified("GET", NAME, result["converted_account"]["id"], resource="accounts").json()
    assert account["name"] == "Lone Co" and len(ctl.records("accounts")) == accounts + 1
    other = next(r for r in ctl.records("leads") if r["company_name"] and r["email"])
    none = gateway.unified("POST", NAME, resource="leads/convert", json={"id": str(other["id"]), "account": {}})
    assert none.status_code == 200, none.text
    assert "converted_account" not in none.json()["result"] and none.json()["result"]["remote_data"].get("company") is None


def test_a_refused_conversion_changes_nothing(gateway, ctl):
    lead = next(r for r in ctl.records("leads") if r["email"])
    people, deals = len(ctl.records("contacts")), len(ctl.records("opportunities"))
    stages = ctl.records("stages")
    foreign = next(s for s in stages if s["pipeline_id"] != stages[0]["pipeline_id"])
    ctl.clear_requests()
    both = gateway.unified("POST", NAME, resource="leads/convert", json={
        "id": str(lead["id"]), "account": {"id": "1", "name": "Both"}})
    assert both.status_code == 400, both.text
    assert lead_writes(ctl, "POST") == []
    misplaced = gateway.unified("POST", NAME, resource="leads/convert", json={
        "id": str(lead["id"]), "account": {"name": "Misplaced Inc"},
        "opportunity": {"name": "Wrong stage", "pipeline": {"id": str(stages[0]["pipeline_id"])},
                        "stage": {"id": str(foreign["id"])}}})
    assert misplaced.status_code == 422, misplaced.text
    assert len(ctl.records("contacts")) == people and len(ctl.records("opportunities")) == deals
    assert not [a for a in ctl.records("accounts") if a["name"] == "Misplaced Inc"]
    assert gateway.unified("GET", NAME, str(lead["id"]), resource="leads").status_code == 200
    missing = gateway.unified("POST", NAME, resource="leads/convert", json={"id": "999"})
    assert missing.status_code == 404, missing.text


def test_a_field_update_sending_no_options_is_copper_s_refusal(gateway, ctl):
    """Sent `options` always reach Copper, an empty list too: a Dropdown keeps at least one (Copper's 422)."""
    ctl.clear_requests()
    emptied = gateway.unified("PATCH", NAME, "100764", resource="fields", params={"entity": "account"},
                              json={"options": []})
    assert emptied.status_code == 422, emptied.text
    assert [c["body"] for c in definition_calls(ctl) if c["method"] == "PUT"] == [{"options": []}]
    assert len(next(d for d in ctl.records("fields") if d["id"] == 100764)["options"]) == 8
