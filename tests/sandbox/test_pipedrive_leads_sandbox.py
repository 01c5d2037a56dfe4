"""The Pipedrive emulator's leads speak Pipedrive's API v1 (https://developers.pipedrive.com/docs/api/v1/Leads):
UUID ids, the v1 envelope paged by start/limit, 201 on create, the archived leads on their own list and not
editable, and the refusals: no title, no person and no organization, links to records that do not exist, values
of the wrong shape."""

from __future__ import annotations

import uuid

import pytest
import requests

from unigate.sandbox.pipedrive import ERROR_INFO, SANDBOX_API_TOKEN
from unigate.sandbox.pipedrive.deals import DEAL_FIELD_KEYS
from unigate.sandbox.pipedrive.leads import LEAD_LABELS, NO_LINK_MESSAGE

LEADS = "/v1/leads"
AUTH = {"x-api-token": SANDBOX_API_TOKEN}


@pytest.fixture
def pipedrive(sandbox):
    control = sandbox.control("pipedrive")
    control.reset()
    yield control
    control.reset()


def call(control, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, control.url + path, headers=AUTH, timeout=10, **kwargs)


def refused(response: requests.Response, says: str) -> None:
    """Pipedrive's v1 error envelope (no `code`, unlike API v2's validation errors)."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body == {"success": False, "error": body["error"], "error_info": ERROR_INFO, "data": None,
                    "additional_data": None}
    assert says in body["error"], body["error"]


def test_seeded_leads_are_linked_to_seeded_persons_and_organizations(pipedrive):
    leads = pipedrive.records(resource="leads")
    persons = {p["id"]: p for p in pipedrive.records(resource="contacts")}
    orgs = {o["id"] for o in pipedrive.records(resource="accounts")}
    assert len(leads) == 60
    for lead in leads:
        assert str(uuid.UUID(lead["id"])) == lead["id"]
        assert lead["person_id"] is not None or lead["organization_id"] is not None
        assert lead["person_id"] is None or lead["person_id"] in persons
        assert lead["organization_id"] is None or lead["organization_id"] in orgs
    assert any(lead["is_archived"] for lead in leads) and not all(lead["is_archived"] for lead in leads)
    assert any(lead["person_id"] and lead["organization_id"] for lead in leads)


def test_the_list_pages_by_start_and_holds_no_archived_lead(pipedrive):
    stored = pipedrive.records(resource="leads")
    open_ids = [lead["id"] for lead in stored if not lead["is_archived"]]
    first = call(pipedrive, "GET", LEADS, params={"limit": 20}).json()
    assert first["success"] is True
    assert first["additional_data"]["pagination"] == {"start": 0, "limit": 20, "more_items_in_collection": True,
                                                      "next_start": 20}
    seen, start = [], 0
    while True:
        page = call(pipedrive, "GET", LEADS, params={"limit": 20, "start": start}).json()
        seen += [lead["id"] for lead in page["data"] or []]
        if not page["additional_data"]["pagination"]["more_items_in_collection"]:
            break
        start = page["additional_data"]["pagination"]["next_start"]
    assert seen == open_ids   # oldest first, archived ones left out
    archived = call(pipedrive, "GET", LEADS + "/archived", params={"limit": 500}).json()["data"]
    assert {lead["id"] for lead in archived} == {lead["id"] for lead in stored if lead["is_archived"]}
    # archived_status is still taken, but brings no archived lead back into /v1/leads
    again = call(pipedrive, "GET", LEADS, params={"archived_status": "archived", "limit": 500}).json()["data"]
    assert not any(lead["is_archived"] for lead in again)
    refused(call(pipedrive, "GET", LEADS, params={"archived_status": "maybe"}), "archived_status")


def test_list_filters_and_sort(pipedrive):
    stored = [lead for lead in pipedrive.records(resource="leads") if not lead["is_archived"]]
    person = next(lead["person_id"] for lead in stored if lead["person_id"])
    by_person = call(pipedrive, "GET", LEADS, params={"person_id": person, "limit": 500}).json()["data"]
    assert by_person and all(lead["person_id"] == person for lead in by_person)
    org = next(lead["organization_id"] for lead in stored if lead["organization_id"])
    by_org = call(pipedrive, "GET", LEADS, params={"organization_id": org, "limit": 500}).json()["data"]
    assert by_org and all(lead["organization_id"] == org for lead in by_org)
    newest = call(pipedrive, "GET", LEADS, params={"sort": "update_time DESC", "limit": 500}).json()["data"]
    times = [lead["update_time"] for lead in newest]
    assert times == sorted(times, reverse=True)
    refused(call(pipedrive, "GET", LEADS, params={"sort": "value ASC"}), "sort")
    refused(call(pipedrive, "GET", LEADS, params={"owner_id": "me"}), "owner_id")


def test_create_answers_201_with_the_lead_and_custom_fields_set(pipedrive):
    person = pipedrive.records(resource="contacts")[0]
    body = {"title": "From the API", "person_id": person["id"], "value": {"amount": 1200, "currency": "USD"},
            "expected_close_date": "2027-01-31", "label_ids": [LEAD_LABELS["Hot"]],
            DEAL_FIELD_KEYS["seats"]: 12}
    created = call(pipedrive, "POST", LEADS, json=body)
    assert created.status_code == 201, created.text
    lead = created.json()["data"]
    assert str(uuid.UUID(lead["id"])) == lead["id"]
    assert lead["title"] == "From the API" and lead["person_id"] == person["id"] and lead["organization_id"] is None
    assert lead["value"] == {"amount": 1200, "currency": "USD"} and lead["is_archived"] is False
    assert lead["source_name"] == "API" and lead["visible_to"] == "3"
    assert lead[DEAL_FIELD_KEYS["seats"]] == 12
    assert DEAL_FIELD_KEYS["source"] not in lead   # a custom field not set is left out
    assert lead["add_time"].endswith("Z") and "." in lead["add_time"]
    assert call(pipedrive, "GET", f"{LEADS}/{lead['id']}").json()["data"] == lead


@pytest.mark.parametrize(("body", "says"), [
    ({"person_id": 1}, "title"),
    ({"title": "Nobody"}, NO_LINK_MESSAGE),
    ({"title": "x", "person_id": 999999}, "person_id"),
    ({"title": "x", "organization_id": "1"}, "organization_id"),
    ({"title": "x", "person_id": 1, "value": 100}, "value"),
    ({"title": "x", "person_id": 1, "value": {"amount": 1, "currency": "XXX"}}, "currency"),
    ({"title": "x", "person_id": 1, "label_ids": [1]}, "label_ids"),
    ({"title": "x", "person_id": 1, "expected_close_date": "31/01/2027"}, "expected_close_date"),
    ({"title": "x", "person_id": 1, "is_archived": True}, "is_archived"),
    ({"title": "x", "person_id": 1, "0" * 40: "a"}, "0" * 40),
])
def test_create_refuses_what_pipedrive_refuses(pipedrive, body, says):
    before = len(pipedrive.records(resource="leads"))
    refused(call(pipedrive, "POST", LEADS, json=body), says)
    assert len(pipedrive.records(resource="leads")) == before


def test_update_unsets_with_null_but_never_leaves_a_lead_unlinked(pipedrive):
    lead = next(lead for lead in pipedrive.records(resource="leads")
                if lead["person_id"] and lead["organization_id"] and not lead["is_archived"])
    path = f"{LEADS}/{lead['id']}"
    updated = call(pipedrive, "PATCH", path, json={"person_id": None, "value": None})
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["person_id"] is None and updated.json()["data"]["value"] is None
    refused(call(pipedrive, "PATCH", path, json={"organization_id": None}), NO_LINK_MESSAGE)


def test_an_archived_lead_is_not_editable_but_can_be_unarchived(pipedrive):
    lead = next(lead for lead in pipedrive.records(resource="leads") if not lead["is_archived"])
    path = f"{LEADS}/{lead['id']}"
    assert call(pipedrive, "PATCH", path, json={"is_archived": True}).json()["data"]["is_archived"] is True
    refused(call(pipedrive, "PATCH", path, json={"title": "Renamed"}), "Archived")
    assert call(pipedrive, "GET", path).json()["data"]["is_archived"] is True   # still read by id
    unarchived = call(pipedrive, "PATCH", path, json={"is_archived": False})
    assert unarchived.status_code == 200 and unarchived.json()["data"]["is_archived"] is False


def test_delete_answers_the_id_and_the_lead_is_gone(pipedrive):
    lead = pipedrive.records(resource="leads")[0]
    path = f"{LEADS}/{lead['id']}"
    deleted = call(pipedrive, "DELETE", path)
    assert deleted.json() == {"success": True, "data": {"id": lead["id"]}}
    for method in ("GET", "PATCH", "DELETE"):
        missing = call(pipedrive, method, path, json={"title": "x"} if method == "PATCH" else None)
        assert missing.status_code == 404
        assert missing.json() == {"success": False, "error": "Lead not found", "error_info": ERROR_INFO,
                                  "data": None, "additional_data": None}


def test_leads_need_the_api_token(pipedrive):
    answer = requests.get(pipedrive.url + LEADS, timeout=10)
    assert answer.status_code == 401 and answer.json()["success"] is False


def test_notes_and_activities_link_to_leads_that_exist(pipedrive):
    leads = {lead["id"] for lead in pipedrive.records(resource="leads")}
    linked = [r["lead_id"] for kind in ("notes", "engagements") for r in pipedrive.records(resource=kind)
              if r["lead_id"]]
    assert linked and set(linked) <= leads
    lead = next(iter(leads))
    person = pipedrive.records(resource="contacts")[0]["id"]
    note = call(pipedrive, "POST", "/v1/notes", json={"content": "On a lead", "lead_id": lead})
    assert note.status_code == 200 and note.json()["data"]["lead_id"] == lead
    unknown = str(uuid.uuid4())
    assert call(pipedrive, "POST", "/v1/notes", json={"content": "x", "lead_id": unknown}).status_code == 400
    activity = call(pipedrive, "POST", "/api/v2/activities", json={"subject": "x", "person_id": person,
                                                                   "lead_id": unknown})
    assert activity.status_code == 400 and "lead_id" in activity.json()["error"]


@pytest.mark.parametrize("fractions", ["reject", "accept"])
def test_notes_updated_since_is_inclusive_and_rfc3339(pipedrive, fractions):
    """GET /v1/notes `updated_since`: "only notes with an update_time later than or equal to this time", RFC 3339
    (https://developers.pipedrive.com/docs/api/v1/Notes#getNotes); fractions of a second as the switch says."""
    pipedrive.switch(fractional_seconds=fractions)
    everything = call(pipedrive, "GET", "/v1/notes", params={"limit": 500}).json()["data"]
    pivot = sorted(n["update_time"] for n in everything)[len(everything) // 2]
    since = pivot.replace(" ", "T") + "Z"
    listed = call(pipedrive, "GET", "/v1/notes", params={"limit": 500, "updated_since": since}).json()["data"]
    assert {n["id"] for n in listed} == {n["id"] for n in everything if n["update_time"] >= pivot}
    assert pivot in {n["update_time"] for n in listed}
    fraction = call(pipedrive, "GET", "/v1/notes", params={"updated_since": since[:-1] + ".500Z"})
    if fractions == "reject":
        refused(fraction, "updated_since")
    else:
        assert {n["id"] for n in fraction.json()["data"]} == {n["id"] for n in listed}
    refused(call(pipedrive, "GET", "/v1/notes", params={"updated_since": pivot}), "updated_since")
