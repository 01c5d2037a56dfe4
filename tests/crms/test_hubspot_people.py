"""HubSpot users (the owners API) through the gateway: what HubSpot receives (GET /crm/v3/owners with its own
`email` parameter, its `after` cursor) and what it refuses (https://developers.hubspot.com/docs/api/crm/owners)."""

from __future__ import annotations

import pytest
import requests
from support import list_all

NAME = "hubspot"


def owners_requests(ctl) -> list[dict]:
    return [r for r in ctl.requests() if r["path"].endswith("/crm/v3/owners")]


def test_users_are_the_owners_records_name(gateway, ctl):
    ctl.clear_requests()
    pages = list_all(gateway, NAME, limit=5, resource="users")
    users = {u["id"]: u for page in pages for u in page}
    assert len(pages) > 1 and any(dict(r["query_params"]).get("after") for r in owners_requests(ctl))
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=100, resource="accounts") for r in page
              if r.get("owner")}
    assert owners and owners <= set(users)
    # a deactivated user is an archived owner: not in HubSpot's list, still read by id with archived=true only
    archived = [o for o in ctl.records("users") if o["archived"]]
    assert archived and not {o["id"] for o in archived} & set(users)
    assert all(u["is_active"] is True for u in users.values())
    one = next(iter(owners))
    got = gateway.unified("GET", NAME, one, resource="users").json()
    stored = next(o for o in ctl.records("users") if o["id"] == one)
    assert got["name"] == f"{stored['firstName']} {stored['lastName']}" and got["email"] == stored["email"]


def test_email_filter_is_the_owners_email_parameter(gateway, ctl):
    wanted = ctl.records("users")[3]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": wanted["email"]}, resource="users")
    assert found.status_code == 200, found.text
    assert [u["id"] for u in found.json()["result"]] == [wanted["id"]]
    assert dict(owners_requests(ctl)[-1]["query_params"])["email"] == wanted["email"]


def test_users_take_no_name_or_time_filter_and_no_sort(gateway, ctl):
    ctl.clear_requests()
    for params in ({"name": "Ada Park"}, {"updated_at[gte]": "2024-01-01T00:00:00Z"}, {"sort_by": "name"}):
        assert gateway.unified("GET", NAME, params=params, resource="users").status_code == 400, params
    assert owners_requests(ctl) == []


def test_an_unknown_owner_is_a_404(gateway, ctl):
    assert gateway.unified("GET", NAME, "1", resource="users").status_code == 404


def search_bodies(ctl) -> list[dict]:
    return [r["body"] for r in ctl.requests() if r["path"].endswith("/crm/v3/objects/companies/search")]


def test_a_time_bound_on_accounts_is_a_search_filter_and_pages_by_offset(gateway, ctl):
    stamps = sorted(c["properties"]["hs_lastmodifieddate"] for c in ctl.records("accounts"))
    since = stamps[len(stamps) // 3]  # a third of the companies changed before it
    ctl.clear_requests()
    pages = list_all(gateway, NAME, limit=20, resource="accounts",
                     params={"updated_at[gte]": since, "sort_by[updated_at]": "asc"})
    bodies = search_bodies(ctl)
    assert bodies and not [r for r in ctl.requests() if r["path"].endswith("/crm/v3/objects/companies")
                           and r["method"] == "GET"]
    assert bodies[0]["filterGroups"] == [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                                       "value": since}]}]
    assert bodies[0]["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    assert bodies[0]["limit"] == 20 and "after" not in bodies[0]
    assert len(pages) > 1 and bodies[1]["after"] == "20"
    times = [r["updated_at"] for page in pages for r in page]
    assert times == sorted(times) and times[0] == since and len(times) == len(stamps) - len(stamps) // 3


def test_name_and_created_range_go_in_one_filter_group(gateway, ctl):
    name = ctl.records("accounts")[4]["properties"]["name"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, resource="accounts", params={
        "name": name, "created_at[gt]": "2000-01-01T00:00:00Z", "created_at[lte]": "2100-01-01T00:00:00Z"})
    assert found.status_code == 200, found.text
    assert {r["name"] for r in found.json()["result"]} == {name}
    filters = search_bodies(ctl)[-1]["filterGroups"][0]["filters"]
    assert {(f["propertyName"], f["operator"]) for f in filters} == {
        ("createdate", "GT"), ("createdate", "LTE"), ("name", "EQ")}


@pytest.mark.parametrize(("object_name", "resource"), [("companies", "accounts"), ("notes", "notes"), ("tasks", "tasks"),
                                                     ("calls", "engagements")])
def test_the_search_refuses_what_hubspot_refuses(gateway, ctl, sandbox, object_name, resource):
    """HubSpot's search, the same for objects and engagements: 200 a page at most, nothing past the 10,000th
    result, 5 groups / 10 / 25 filters."""
    url = f"{sandbox.url}/hubspot/crm/v3/objects/{object_name}/search"
    auth = {"Authorization": "Bearer sandbox-hubspot-token"}
    assert requests.post(url, json={"limit": 201}, headers=auth, timeout=5).status_code == 400
    assert requests.post(url, json={"limit": 100, "after": "9901"}, headers=auth, timeout=5).status_code == 400
    assert requests.post(url, json={"limit": 100, "after": "9900"}, headers=auth, timeout=5).status_code == 200
    many = [{"propertyName": "name", "operator": "HAS_PROPERTY"}] * 11
    assert requests.post(url, json={"filterGroups": [{"filters": many}]}, headers=auth, timeout=5).status_code == 400
    groups = [{"filters": [{"propertyName": "name", "operator": "HAS_PROPERTY"}]}] * 6
    assert requests.post(url, json={"filterGroups": groups}, headers=auth, timeout=5).status_code == 400
    answer = requests.post(url, json={"limit": 3}, headers=auth, timeout=5).json()
    assert answer["total"] == len(ctl.records(resource)) and answer["paging"]["next"] == {"after": "3"}


def test_a_filtered_contact_list_is_one_search_with_the_account_from_associatedcompanyid(gateway, ctl):
    """HubSpot's search answers no associations; a contact's `associatedcompanyid` property is HubSpot's copy of
    its primary company's id, so a filtered contact list needs no further call for the account."""
    stored = next(c for c in ctl.records("contacts") if c["links"] and c["properties"].get("email"))
    primary = next(company for company, types in stored["links"].items() if 1 in types)
    ctl.clear_requests()
    response = gateway.unified("GET", NAME, resource="contacts",
                               params={"email_addresses": stored["properties"]["email"].upper()})
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()["result"]] == [stored["id"]]
    assert response.json()["result"][0]["account"] == {"id": primary}
    sent = [r for r in ctl.requests() if r["method"] == "POST"]
    assert [r["path"].removeprefix("/hubspot") for r in sent] == ["/crm/v3/objects/contacts/search"]
    assert sent[0]["body"]["filterGroups"] == [{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": stored["properties"]["email"].upper()}]}]
    assert "associatedcompanyid" in sent[0]["body"]["properties"]


def test_fields_read_the_properties_of_the_entity_asked_for(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="fields", params={"entity": "opportunity", "limit": 100})
    assert listed.status_code == 200, listed.text
    assert ctl.requests()[-1]["path"].endswith("/crm/v3/properties/deals")
    by_name = {f["name"]: f for f in listed.json()["result"]}
    assert by_name["competitor"]["is_user_defined"] is True and by_name["competitor"]["type"] == "string"
    assert by_name["deal_source"]["type"] == "enum" and {o["value"] for o in by_name["deal_source"]["options"]} == {
        "inbound", "outbound", "partner"}
    assert by_name["amount"]["is_user_defined"] is False and by_name["amount"]["type"] == "number"
    one = gateway.unified("GET", NAME, "partner_code", resource="fields", params={"entity": "account"})
    assert one.status_code == 200 and one.json()["entity_type"] == "account"
    assert ctl.requests()[-1]["path"].endswith("/crm/v3/properties/companies/partner_code")
    assert gateway.unified("GET", NAME, "no_such_property", resource="fields",
                           params={"entity": "account"}).status_code == 404
    # lead properties: HubSpot's own and the portal's, the keys of a lead's custom_fields
    leads = gateway.unified("GET", NAME, resource="fields", params={"entity": "lead", "limit": 100})
    assert leads.status_code == 200 and ctl.requests()[-1]["path"].endswith("/crm/v3/properties/leads")
    lead_fields = {f["name"]: f for f in leads.json()["result"]}
    assert lead_fields["lead_score"]["type"] == "number" and lead_fields["lead_score"]["is_user_defined"] is True
    assert lead_fields["hs_lead_name"]["is_user_defined"] is False
    assert gateway.unified("GET", NAME, resource="fields", params={"entity": "note"}).status_code == 400


def test_custom_property_values_are_typed_by_their_property_type(gateway, ctl):
    """HubSpot sends every property value as a string; custom_fields types a number property as a number and a
    checkbox (bool) as true/false, by the properties API's definitions
    (https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide)."""
    stored = {c["id"]: c["properties"] for c in ctl.records("accounts")}
    seeded = next(cid for cid, props in stored.items() if "renewal_score" in props)
    custom = gateway.unified("GET", NAME, seeded).json()["custom_fields"]
    assert custom["renewal_score"] == int(stored[seeded]["renewal_score"])
    assert custom["is_strategic"] is (stored[seeded]["is_strategic"] == "true")
    assert custom["account_tier"] == stored[seeded]["account_tier"]          # an enumeration stays its value
    written = gateway.unified("PATCH", NAME, seeded, json={"custom_fields": {"renewal_score": 7.5, "is_strategic": True}})
    assert written.status_code == 200, written.text
    assert next(c for c in ctl.records("accounts") if c["id"] == seeded)["properties"]["renewal_score"] == "7.5"
    assert written.json()["custom_fields"]["renewal_score"] == 7.5
    assert written.json()["custom_fields"]["is_strategic"] is True


# -- crm/fields writes and crm/field_groups (the properties API,
# https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide) ------------------------------

def last_request(ctl) -> dict:
    return ctl.requests()[-1]


def test_a_field_is_created_as_a_property_of_the_object_entity_type_names(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", json={
        "name": "renewal_risk", "label": "Renewal risk", "description": "How likely the deal is to churn",
        "type": "enum", "entity_type": "opportunity",
        "options": [{"value": "low", "label": "Low"}, {"value": "high"}]})
    assert created.status_code == 200, created.text
    sent = last_request(ctl)
    assert (sent["method"], sent["path"].endswith("/crm/v3/properties/deals")) == ("POST", True)
    # PropertyCreate: name, label, type, fieldType and groupName (the deal information group by default)
    assert sent["body"] == {
        "name": "renewal_risk", "label": "Renewal risk", "description": "How likely the deal is to churn",
        "type": "enumeration", "fieldType": "select", "groupName": "dealinformation",
        "options": [{"label": "Low", "value": "low", "displayOrder": 0, "hidden": False},
                    {"label": "high", "value": "high", "displayOrder": 1, "hidden": False}]}
    field = created.json()
    assert field["id"] == field["name"] == "renewal_risk" and field["type"] == "enum"
    assert field["entity_type"] == "opportunity" and field["is_user_defined"] is True
    assert field["field_groups"] == [{"id": "dealinformation", "name": "dealinformation"}]
    assert field["options"] == [{"value": "low", "label": "Low"}, {"value": "high", "label": "high"}]
    got = gateway.unified("GET", NAME, "renewal_risk", resource="fields", params={"entity": "opportunity"})
    assert got.status_code == 200 and got.json()["label"] == "Renewal risk"
    # only on deals: the contacts' properties do not have it
    assert gateway.unified("GET", NAME, "renewal_risk", resource="fields").status_code == 404


@pytest.mark.parametrize(("unified", "hubspot"), [
    ("string", ("string", "text")), ("text", ("string", "textarea")), ("rich_text", ("string", "html")),
    ("number", ("number", "number")), ("date", ("date", "date")), ("datetime", ("datetime", "date")),
    ("boolean", ("bool", "booleancheckbox")), ("file", ("string", "file")),
])
def test_each_unified_type_is_a_hubspot_type_and_field_type(gateway, ctl, unified, hubspot):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "account"},
                              json={"name": f"typed_{unified}", "label": f"Typed {unified}", "type": unified})
    assert created.status_code == 200, created.text
    sent = last_request(ctl)
    assert sent["path"].endswith("/crm/v3/properties/companies")
    assert (sent["body"]["type"], sent["body"]["fieldType"]) == hubspot
    assert sent["body"]["groupName"] == "companyinformation"
    if unified == "boolean":  # HubSpot's boolean properties carry their two options
        assert [(o["label"], o["value"]) for o in sent["body"]["options"]] == [("Yes", "true"), ("No", "false")]
    else:
        assert "options" not in sent["body"]
    assert created.json()["type"] == unified and created.json()["entity_type"] == "account"


def test_an_array_field_is_a_checkbox_enumeration_and_its_group_is_the_one_named(gateway, ctl):
    created = gateway.unified("POST", NAME, resource="fields", json={
        "name": "channels", "label": "Channels", "type": "array", "field_groups": [{"name": "billing"}],
        "options": [{"value": "email"}, {"value": "phone"}]})
    assert created.status_code == 200, created.text
    sent = last_request(ctl)
    assert sent["path"].endswith("/crm/v3/properties/contacts")
    assert (sent["body"]["type"], sent["body"]["fieldType"], sent["body"]["groupName"]) == \
        ("enumeration", "checkbox", "billing")
    assert created.json()["type"] == "array" and created.json()["field_groups"][0]["name"] == "billing"
    group = gateway.unified("GET", NAME, "billing", resource="field_groups")
    assert group.status_code == 200 and group.json()["label"] == "Billing"


def test_a_new_propertys_value_is_typed_right_after_its_creation(gateway, ctl):
    """The account's property definitions are cached per account; a field write drops them, so the next record
    read asks for the new property and types its value by it."""
    account = gateway.unified("GET", NAME, params={"limit": 1}).json()["result"][0]["id"]
    assert gateway.unified("GET", NAME, account).status_code == 200   # definitions read and cached
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "account"},
                              json={"name": "seats", "label": "Seats", "type": "number"})
    assert created.status_code == 200, created.text
    written = gateway.unified("PATCH", NAME, account, json={"custom_fields": {"seats": 12}})
    assert written.status_code == 200, written.text
    stored = next(c for c in ctl.records("accounts") if c["id"] == account)["properties"]
    assert stored["seats"] == "12"            # HubSpot holds it as a string
    assert gateway.unified("GET", NAME, account).json()["custom_fields"]["seats"] == 12


def test_an_update_patches_the_property_and_never_renames_it(gateway, ctl):
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, "partner_code", resource="fields", params={"entity": "account"},
                              json={"label": "Partner reference", "description": "Set by the partner team",
                                    "field_groups": [{"id": "partner_program"}]})
    assert updated.status_code == 200, updated.text
    sent = last_request(ctl)
    assert (sent["method"], sent["path"].endswith("/crm/v3/properties/companies/partner_code")) == ("PATCH", True)
    assert sent["body"] == {"label": "Partner reference", "description": "Set by the partner team",
                            "groupName": "partner_program"}
    assert updated.json()["label"] == "Partner reference"
    assert updated.json()["field_groups"] == [{"id": "partner_program", "name": "partner_program"}]
    ctl.clear_requests()
    emptied = gateway.unified("PATCH", NAME, "partner_code", resource="fields", params={"entity": "account"},
                              json={"description": ""})
    assert emptied.status_code == 200, emptied.text
    assert last_request(ctl)["body"] == {"description": ""}
    assert not emptied.json().get("description")
    ctl.clear_requests()
    for body in ({"name": "partner_ref"}, {"entity_type": "contact", "label": "x"}):
        refused = gateway.unified("PATCH", NAME, "partner_code", resource="fields", params={"entity": "account"},
                                  json=body)
        assert refused.status_code == 400, refused.text
    assert ctl.requests() == []


def test_a_delete_archives_a_custom_property_and_hubspot_keeps_its_own(gateway, ctl):
    ctl.clear_requests()
    deleted = gateway.unified("DELETE", NAME, "referral_code", resource="fields")
    assert deleted.status_code == 200 and deleted.json()["id"] == "referral_code"
    sent = last_request(ctl)
    assert (sent["method"], sent["path"].endswith("/crm/v3/properties/contacts/referral_code")) == ("DELETE", True)
    assert gateway.unified("GET", NAME, "referral_code", resource="fields").status_code == 404
    # HubSpot's 400 for its own property, passed on
    refused = gateway.unified("DELETE", NAME, "email", resource="fields")
    assert refused.status_code == 400 and refused.json()["truto_is_remote_error"] is True
    assert "HubSpot-defined" in refused.json()["raw_response"]["message"]
    assert gateway.unified("GET", NAME, "email", resource="fields").status_code == 200


def test_hubspots_refusals_of_property_writes_reach_the_caller(gateway, ctl):
    body = {"name": "dup_check", "label": "Dup", "type": "string"}
    assert gateway.unified("POST", NAME, resource="fields", json=body).status_code == 200
    again = gateway.unified("POST", NAME, resource="fields", json=body)
    assert again.status_code == 409 and again.json()["raw_response"]["category"] == "CONFLICT"
    # HubSpot's own properties keep their type
    retyped = gateway.unified("PATCH", NAME, "email", resource="fields", json={"type": "number"})
    assert retyped.status_code == 400 and retyped.json()["truto_is_remote_error"] is True
    # a group HubSpot does not have
    nowhere = gateway.unified("POST", NAME, resource="fields",
                              json={**body, "name": "lost", "field_groups": [{"name": "no_such_group"}]})
    assert nowhere.status_code == 400 and nowhere.json()["truto_is_remote_error"] is True


def test_what_hubspot_cannot_hold_is_refused_before_the_call(gateway, ctl):
    ctl.clear_requests()
    for body in ({"name": "picked", "label": "Picked", "type": "enum"},        # an enumeration needs options
                 {"name": "when", "label": "When", "type": "time"},           # no HubSpot type
                 {"name": "note_only", "label": "Note", "type": "string", "entity_type": "note"},
                 {"label": "Nameless", "type": "string"}):                     # PropertyCreate requires a name
        refused = gateway.unified("POST", NAME, resource="fields", json=body)
        assert refused.status_code == 400, (body, refused.text)
    assert ctl.requests() == []


def test_a_lead_property_is_created_and_its_value_written_on_a_lead(gateway, ctl):
    """Lead properties are the properties API's like the other objects'
    (https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide; object type leads / 0-136)."""
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "lead"},
                              json={"name": "budget_band", "label": "Budget band", "type": "enum",
                                    "options": [{"value": "small"}, {"value": "large"}]})
    assert created.status_code == 200, created.text
    assert created.json()["entity_type"] == "lead" and created.json()["field_groups"] == [
        {"id": "leadinformation", "name": "leadinformation"}]
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/crm/v3/properties/leads") and post["body"]["groupName"] == "leadinformation"
    lead = gateway.unified("GET", NAME, params={"limit": 1}, resource="leads").json()["result"][0]
    written = gateway.unified("PATCH", NAME, lead["id"], resource="leads",
                              json={"custom_fields": {"budget_band": "large"}})
    assert written.status_code == 200, written.text
    assert written.json()["custom_fields"]["budget_band"] == "large"
    refused = gateway.unified("PATCH", NAME, lead["id"], resource="leads",
                              json={"custom_fields": {"budget_band": "huge"}})
    assert refused.status_code == 400 and refused.json()["truto_is_remote_error"] is True


def test_field_groups_are_the_property_groups_of_the_entity_asked_for(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="field_groups", params={"entity": "account", "limit": 100})
    assert listed.status_code == 200, listed.text
    assert last_request(ctl)["path"].endswith("/crm/v3/properties/companies/groups")
    groups = {g["name"]: g for g in listed.json()["result"]}
    assert groups["companyinformation"] == {"id": "companyinformation", "name": "companyinformation",
                                            "label": "Company information", "entity_type": "account",
                                            "status": "active", "remote_data": groups["companyinformation"]["remote_data"]}
    # every field names a group the list has
    fields = gateway.unified("GET", NAME, resource="fields", params={"entity": "account", "limit": 100}).json()["result"]
    assert {f["field_groups"][0]["name"] for f in fields} <= set(groups)
    assert gateway.unified("GET", NAME, "no_such_group", resource="field_groups").status_code == 404


def test_a_field_group_is_created_and_relabelled_never_renamed_or_deleted(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="field_groups",
                              json={"name": "renewals", "label": "Renewals", "entity_type": "opportunity"})
    assert created.status_code == 200, created.text
    sent = last_request(ctl)
    assert (sent["method"], sent["path"].endswith("/crm/v3/properties/deals/groups")) == ("POST", True)
    assert sent["body"] == {"name": "renewals", "label": "Renewals"}
    assert created.json()["id"] == "renewals" and created.json()["entity_type"] == "opportunity"
    updated = gateway.unified("PATCH", NAME, "renewals", resource="field_groups", params={"entity": "opportunity"},
                              json={"label": "Renewal desk"})
    assert updated.status_code == 200 and updated.json()["label"] == "Renewal desk"
    sent = last_request(ctl)
    assert (sent["method"], sent["path"].endswith("/crm/v3/properties/deals/groups/renewals")) == ("PATCH", True)
    assert sent["body"] == {"label": "Renewal desk"}
    # a field joins it
    field = gateway.unified("POST", NAME, resource="fields", json={
        "name": "renewal_owner", "label": "Renewal owner", "type": "string", "entity_type": "opportunity",
        "field_groups": [{"id": "renewals"}]})
    assert field.status_code == 200 and field.json()["field_groups"][0]["id"] == "renewals"
    ctl.clear_requests()
    assert gateway.unified("PATCH", NAME, "renewals", resource="field_groups", params={"entity": "opportunity"},
                           json={"name": "renewal"}).status_code == 400
    assert gateway.unified("DELETE", NAME, "renewals", resource="field_groups",
                           params={"entity": "opportunity"}).status_code == 405
    assert ctl.requests() == []
    # HubSpot's 409 for a name the object's groups already have
    taken = gateway.unified("POST", NAME, resource="field_groups", json={"name": "billing", "label": "Billing 2"})
    assert taken.status_code == 409 and taken.json()["truto_is_remote_error"] is True
