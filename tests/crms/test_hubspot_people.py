"""HubSpot users (the owners API) through the gateway: what HubSpot receives (GET /crm/v3/owners with its own
`email` parameter, its `after` cursor) and what it refuses (https://developers.hubspot.com/docs/api/crm/owners)."""

from __future__ import annotations

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


def test_the_search_refuses_what_hubspot_refuses(gateway, ctl, sandbox):
    """HubSpot's search: 200 a page at most, nothing past the 10,000th result, 5 groups / 10 / 25 filters."""
    url = f"{sandbox.url}/hubspot/crm/v3/objects/companies/search"
    auth = {"Authorization": "Bearer sandbox-hubspot-token"}
    assert requests.post(url, json={"limit": 201}, headers=auth, timeout=5).status_code == 400
    assert requests.post(url, json={"limit": 100, "after": "9901"}, headers=auth, timeout=5).status_code == 400
    assert requests.post(url, json={"limit": 100, "after": "9900"}, headers=auth, timeout=5).status_code == 200
    many = [{"propertyName": "name", "operator": "HAS_PROPERTY"}] * 11
    assert requests.post(url, json={"filterGroups": [{"filters": many}]}, headers=auth, timeout=5).status_code == 400
    groups = [{"filters": [{"propertyName": "name", "operator": "HAS_PROPERTY"}]}] * 6
    assert requests.post(url, json={"filterGroups": groups}, headers=auth, timeout=5).status_code == 400
    answer = requests.post(url, json={"limit": 3}, headers=auth, timeout=5).json()
    assert answer["total"] == len(ctl.records("accounts")) and answer["paging"]["next"] == {"after": "3"}


def test_contacts_and_deals_take_no_time_filter(gateway, ctl):
    """HubSpot's search answers no associations, which contacts' and deals' links are read from: not mapped."""
    for resource in ("contacts", "opportunities"):
        response = gateway.unified("GET", NAME, resource=resource, params={"updated_at[gte]": "2024-01-01T00:00:00Z"})
        assert response.status_code == 400, resource


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
    assert gateway.unified("GET", NAME, resource="fields", params={"entity": "lead"}).status_code == 400


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
