"""Copper users, fields and list filters through the gateway: what Copper receives for a filter (the search body's
minimum/maximum dates, `emails`, sort_by), users paged by the search body, custom field definitions picked by
entity from Copper's one list, and Copper's refusals (https://developer.copper.com/opportunities/list-opportunities-search.html,
https://developer.copper.com/custom-fields/general/list-custom-field-definitions.html)."""

from __future__ import annotations

from datetime import datetime, timezone

import requests
from support import list_all

from unigate.sandbox import copper
from unigate.sandbox.copper.common import CUSTOM_FIELD_DEFINITIONS, OTHER_USERS, USERS

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


def test_fields_are_not_written(gateway, ctl):
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": "contact"},
                              json={"name": "x", "label": "X", "type": "string", "entity_type": "contact"})
    assert created.status_code in (400, 405, 501), created.text


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


def test_company_and_people_lists_take_no_modification_bound(gateway, ctl):
    """Copper documents minimum_modified_date on leads, opportunities, projects and tasks only; the gateway offers
    no updated_at bound on companies or people, and the emulator can refuse the key there (switch)."""
    for resource in ("accounts", "contacts"):
        refused = gateway.unified("GET", NAME, params={"updated_at[gte]": "2026-01-01T00:00:00Z"}, resource=resource)
        assert refused.status_code == 400, refused.text
    ctl.switch(search_modified_dates="refused")
    headers = {"X-PW-AccessToken": copper.SANDBOX_TOKEN, "X-PW-Application": "developer_api",
               "X-PW-UserEmail": copper.SANDBOX_USER_EMAIL}
    direct = requests.post(f"{ctl.url}/developer_api/v1/people/search", json={"minimum_modified_date": 1}, headers=headers,
                           timeout=10)
    assert direct.status_code == 422, direct.text


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
