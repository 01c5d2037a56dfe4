"""HubSpot notes, tasks and calls (crm/engagements) through the gateway: the mappings against the records the
sandbox stores, the writes as HubSpot receives them (properties and associations), and the quirks: the
required `hs_timestamp`, milliseconds of call duration, link filters the gateway applies
(https://developers.hubspot.com/docs/api-reference/crm-notes-v3/guide, https://developers.hubspot.com/docs/api/crm/tasks,
https://developers.hubspot.com/docs/api/crm/calls)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support import list_all

NAME = "hubspot"
HUBSPOT_DEFINED = "HUBSPOT_DEFINED"


def _links(record: dict) -> dict:
    links = record["links"]
    return {
        "account": {"id": links["companies"][0]} if links["companies"] else None,
        "contact": [{"id": c} for c in links["contacts"]] or None,
        "opportunity": [{"id": d} for d in links["deals"]] or None,
    }


def _iso(value: str) -> str:
    return value.replace(".000Z", "Z") if value.endswith(".000Z") else value


def expected_note(note: dict) -> dict:
    p = note["properties"]
    out = {"id": note["id"], "content": p["hs_note_body"], "owner": {"id": p["hubspot_owner_id"]}, **_links(note),
           "created_at": note["createdAt"], "updated_at": note["updatedAt"]}
    return {k: v for k, v in out.items() if v is not None}


def expected_task(task: dict) -> dict:
    p = task["properties"]
    out = {
        "id": task["id"], "subject": p["hs_task_subject"], "content": p.get("hs_task_body"),
        "type": {"id": p["hs_task_type"], "name": {"TODO": "To-do", "CALL": "Call", "EMAIL": "Email"}[p["hs_task_type"]]},
        "owner": {"id": p["hubspot_owner_id"]}, **_links(task),
        "completed_at": p.get("hs_task_completion_date"), "due_date": _iso(p["hs_timestamp"]),
        "status": "completed" if p["hs_task_status"] == "COMPLETED" else "open",
        "created_at": task["createdAt"], "updated_at": task["updatedAt"],
    }
    return {k: v for k, v in out.items() if v is not None}


def expected_call(call: dict) -> dict:
    p = call["properties"]
    start = _iso(p["hs_timestamp"])
    seconds = round(int(p["hs_call_duration"]) / 1000) if p.get("hs_call_duration") else None
    end = None
    if seconds is not None:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(seconds=seconds)
        end = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = {
        "id": call["id"], "owner": {"id": p["hubspot_owner_id"]}, "content": p.get("hs_call_body"),
        "subject": p["hs_call_title"], "direction": p["hs_call_direction"].lower(), "engagement_type": "call",
        "status": p["hs_call_status"].lower(), "start_time": start, "end_time": end,
        "duration": str(seconds) if seconds is not None else None, **_links(call),
        "phone_numbers": [{"number": p["hs_call_to_number"], "type": "to"}],
        "created_at": call["createdAt"], "updated_at": call["updatedAt"],
    }
    return {k: v for k, v in out.items() if v is not None}


def _listed(gateway, resource: str, params: dict | None = None) -> list[dict]:
    return [r for page in list_all(gateway, NAME, limit=40, params=params, resource=resource) for r in page]


ACTIVITIES = [pytest.param(resource, object_name, expected, id=resource) for resource, object_name, expected in (
    ("notes", "notes", expected_note), ("tasks", "tasks", expected_task), ("engagements", "calls", expected_call))]


def test_every_listed_note_task_and_call_maps_from_the_stored_record(gateway, ctl):
    for resource, expected in (("notes", expected_note), ("tasks", expected_task), ("engagements", expected_call)):
        stored = {r["id"]: r for r in ctl.records(resource)}
        listed = _listed(gateway, resource)
        assert len(listed) == len(stored), resource
        for record in listed:
            record.pop("remote_data")
            assert record == expected(stored[record["id"]]), resource
    notes = _listed(gateway, "notes")
    assert any("<b>" in n["content"] for n in notes)  # HTML kept as HubSpot keeps it


def test_a_call_logged_with_links_is_found_through_each_filter(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["companies"] and d["contacts"])
    company = next(c for c, types in deal["companies"].items() if 5 in types)
    contact = deal["contacts"][0]
    ctl.clear_requests()
    sent = {"subject": "Pricing call", "content": "<p>Talked <i>pricing</i></p>", "engagement_type": "call",
            "direction": "outbound", "status": "completed", "owner": {"id": "51234568"},
            "start_time": "2027-01-15T11:00:00+01:00", "end_time": "2027-01-15T10:45:00Z",
            "account": {"id": company}, "contact": [{"id": contact}], "opportunity": [{"id": deal["id"]}]}
    created = gateway.unified("POST", NAME, json=sent, resource="engagements")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/crm/v3/objects/calls")
    assert post["body"] == {
        "properties": {"hs_call_title": "Pricing call", "hs_call_body": "<p>Talked <i>pricing</i></p>",
                       "hubspot_owner_id": "51234568", "hs_call_direction": "OUTBOUND", "hs_call_status": "COMPLETED",
                       "hs_timestamp": "2027-01-15T10:00:00Z", "hs_call_duration": "2700000"},
        "associations": [
            {"to": {"id": company}, "types": [{"associationCategory": HUBSPOT_DEFINED, "associationTypeId": 182}]},
            {"to": {"id": contact}, "types": [{"associationCategory": HUBSPOT_DEFINED, "associationTypeId": 194}]},
            {"to": {"id": deal["id"]}, "types": [{"associationCategory": HUBSPOT_DEFINED, "associationTypeId": 206}]},
        ]}
    call = created.json()
    assert call["start_time"] == "2027-01-15T10:00:00Z" and call["end_time"] == "2027-01-15T10:45:00Z"
    assert call["duration"] == "2700" and call["direction"] == "outbound"
    for query in ({"account[id]": company}, {"contact[id]": contact}, {"contact[][id]": contact},
                  {"opportunity[id]": deal["id"]}):
        found = _listed(gateway, "engagements", query)
        assert call["id"] in {r["id"] for r in found}, query
        key, value = next(iter(query.items()))
        field = key.split("[")[0]
        assert all(value in {x["id"] for x in (r[field] if isinstance(r.get(field), list) else [r.get(field) or {}])}
                   for r in found), query


def test_an_update_moves_the_links_through_association_batches(gateway, ctl):
    note = next(n for n in ctl.records("notes") if n["links"]["companies"] and n["links"]["deals"])
    other = next(d for d in ctl.records("opportunities") if d["id"] not in note["links"]["deals"] and d["companies"])
    company = next(c for c, types in other["companies"].items() if 5 in types)
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, note["id"], resource="notes",
                              json={"content": "Moved", "account": {"id": company}, "opportunity": [{"id": other["id"]}],
                                    "contact": []})
    assert updated.status_code == 200, updated.text
    posts = {r["path"].split("/crm/v4/associations/")[-1]: r["body"] for r in ctl.requests()
             if r["method"] == "POST" and "/crm/v4/associations/" in r["path"]}
    assert posts["notes/companies/batch/create"] == {"inputs": [{
        "from": {"id": note["id"]}, "to": {"id": company},
        "types": [{"associationCategory": HUBSPOT_DEFINED, "associationTypeId": 190}]}]}
    assert posts["notes/deals/batch/create"]["inputs"][0]["types"][0]["associationTypeId"] == 214
    assert posts["notes/deals/batch/archive"] == {"inputs": [{"from": {"id": note["id"]},
                                                              "to": [{"id": d} for d in note["links"]["deals"]]}]}
    assert posts["notes/contacts/batch/archive"]["inputs"][0]["to"] == [{"id": c} for c in note["links"]["contacts"]]
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["body"] == {"properties": {"hs_note_body": "Moved"}}
    body = updated.json()
    assert body["account"] == {"id": company} and body["opportunity"] == [{"id": other["id"]}]
    assert "contact" not in body


def test_a_task_create_and_update(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["contacts"])
    ctl.clear_requests()
    sent = {"subject": "Send the contract", "content": "Before <b>Friday</b>", "type": {"id": "EMAIL"},
            "due_date": "2027-03-31", "status": "open", "contact": [{"id": deal["contacts"][0]}],
            "opportunity": [{"id": deal["id"]}]}
    created = gateway.unified("POST", NAME, json=sent, resource="tasks")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"]["properties"] == {"hs_task_subject": "Send the contract", "hs_task_body": "Before <b>Friday</b>",
                                          "hs_task_type": "EMAIL", "hs_timestamp": "2027-03-31T00:00:00Z",
                                          "hs_task_status": "NOT_STARTED"}
    assert [a["types"][0]["associationTypeId"] for a in post["body"]["associations"]] == [204, 216]
    task = created.json()
    assert task["due_date"] == "2027-03-31T00:00:00Z"  # HubSpot keeps a due time, not a date
    assert task["type"] == {"id": "EMAIL", "name": "Email"} and "completed_at" not in task
    updated = gateway.unified("PATCH", NAME, task["id"], json={"status": "completed"}, resource="tasks")
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "completed" and updated.json()["completed_at"]
    completed = _listed(gateway, "tasks", {"status": "completed", "opportunity[id]": deal["id"]})
    assert task["id"] in {t["id"] for t in completed} and {t["status"] for t in completed} == {"completed"}


def test_a_note_create_sends_the_required_timestamp(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={"content": "<p>Plain note</p>"}, resource="notes")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert set(post["body"]["properties"]) == {"hs_note_body", "hs_timestamp"} and post["body"]["associations"] == []


def test_hubspot_refuses_a_call_without_its_time(gateway, ctl):
    ctl.clear_requests()
    answer = gateway.unified("POST", NAME, json={"subject": "No time"}, resource="engagements")
    assert answer.status_code == 400
    assert answer.json()["truto_error_insight"]["missing_required_fields"]["value"] == [["start_time"]]
    assert not ctl.requests()
    refused = gateway.unified("POST", NAME, json={"subject": "Meeting", "engagement_type": "meeting",
                                                  "start_time": "2027-01-15T10:00:00Z"}, resource="engagements")
    assert refused.status_code == 400
    assert refused.json()["truto_error_insight"]["allowed_values"]["value"] == ["call"]


def test_owner_status_and_type_filters_are_applied_by_the_gateway(gateway, ctl):
    calls = ctl.records("engagements")
    owner = calls[0]["properties"]["hubspot_owner_id"]
    mine = _listed(gateway, "engagements", {"owner[id]": owner})
    assert {c["id"] for c in mine} == {c["id"] for c in calls if c["properties"]["hubspot_owner_id"] == owner}
    missed = _listed(gateway, "engagements", {"status": "no_answer"})
    assert missed and {c["status"] for c in missed} == {"no_answer"}
    assert _listed(gateway, "engagements", {"engagement_type": "meeting"}) == []
    notes = _listed(gateway, "notes", {"owner[id]": owner})
    assert notes and {n["owner"]["id"] for n in notes} == {owner}


@pytest.mark.parametrize(("resource", "object_name", "expected"), ACTIVITIES)
def test_a_time_bound_or_sort_is_a_search_with_each_pages_links_read_in_one_batch(gateway, ctl, resource, object_name,
                                                                               expected):
    """HubSpot's activity lists take no filter or sort; its search does, on hs_lastmodifieddate and hs_createdate
    (https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm), and answers no associations:
    each page's company, contact and deal links come from one associations v4 batch read each, and the records
    map exactly as the plain list maps them."""
    stored = {r["id"]: r for r in ctl.records(resource)}
    ctl.clear_requests()
    page = gateway.unified("GET", NAME, resource=resource, params={
        "limit": 12, "updated_at[gte]": "2000-01-01T00:00:00Z", "sort_by[created_at]": "desc"})
    assert page.status_code == 200, page.text
    listed = page.json()["result"]
    newest = sorted(stored.values(), key=lambda r: r["createdAt"], reverse=True)[:12]
    assert [r["id"] for r in listed] == [r["id"] for r in newest]
    sent = ctl.requests()
    assert not [r for r in sent if r["method"] == "GET" and r["path"].endswith(f"/crm/v3/objects/{object_name}")]
    posts = [r for r in sent if r["method"] == "POST"]
    assert [r["path"].removeprefix("/hubspot") for r in posts] == [
        f"/crm/v3/objects/{object_name}/search", *(f"/crm/v4/associations/{object_name}/{kind}/batch/read"
                                                   for kind in ("companies", "contacts", "deals"))]
    assert posts[0]["body"]["filterGroups"] == [{"filters": [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "2000-01-01T00:00:00.000Z"}]}]
    assert posts[0]["body"]["sorts"] == [{"propertyName": "hs_createdate", "direction": "DESCENDING"}]
    assert posts[0]["body"]["limit"] == 12
    assert posts[1]["body"] == posts[2]["body"] == posts[3]["body"] == {"inputs": [{"id": r["id"]} for r in listed]}
    for record in listed:
        record.pop("remote_data")
        assert record == expected(stored[record["id"]])


def _filters_of(resource: str, record: dict) -> list[dict]:
    """The link and owner filters that find `record`, and the resource's status and type filters."""
    links = record["links"]
    queries = [{"account[id]": links["companies"][0]}, {"contact[id]": links["contacts"][-1]},
               {"opportunity[id]": links["deals"][0]}, {"owner[id]": record["properties"]["hubspot_owner_id"]}]
    if resource == "tasks":
        queries += [{"status": "completed"}, {"status": "open", "owner[id]": record["properties"]["hubspot_owner_id"]}]
    if resource == "engagements":
        queries += [{"status": "no_answer"}, {"engagement_type": "call", "contact[id]": links["contacts"][0]},
                    {"engagement_type": "meeting"}]
    return queries


@pytest.mark.parametrize(("resource", "object_name", "expected"), ACTIVITIES)
def test_link_owner_and_status_filters_keep_the_searched_records_as_the_plain_list_keeps_them(
        gateway, ctl, resource, object_name, expected):
    """A time bound makes the list a search, whose results carry no links: the links read per page let the
    gateway apply the link, owner and status filters to the searched records exactly as to the listed ones."""
    stored = ctl.records(resource)
    bound = sorted(r["createdAt"] for r in stored)[len(stored) // 3]
    record = next(r for r in stored if r["createdAt"] >= bound
                  and r["links"]["companies"] and r["links"]["contacts"] and r["links"]["deals"])
    for query in _filters_of(resource, record):
        plain = {r["id"]: r for r in _listed(gateway, resource, {**query, "truto_ignore_remote_data": "true"})
                 if r["created_at"] >= bound}
        ctl.clear_requests()
        searched = _listed(gateway, resource, {**query, "created_at[gte]": bound, "truto_ignore_remote_data": "true"})
        assert any(r["path"].endswith(f"/crm/v3/objects/{object_name}/search") for r in ctl.requests()), query
        assert {r["id"]: r for r in searched} == plain, query
        if query != {"engagement_type": "meeting"}:
            assert plain, query
