"""Nutshell notes, activities (engagements) and activity types through the gateway: the mappings against the
records the sandbox stores, what Nutshell receives on writes, and its quirks
(https://app.nutshell.com/swagger.json, /notes, /activities, /activitytypes)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

from support import list_all

NAME = "nutshell"


def iso(timestamp: int | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z") if timestamp else None


def kind(type_name: str) -> str | None:
    lower = type_name.lower()
    return "call" if "call" in lower else "meeting" if "meeting" in lower else "email" if "email" in lower else None


def same(record: dict, expected: dict) -> None:
    """The record equals `expected` (None values absent), times compared as instants."""
    expected = {k: v for k, v in expected.items() if v not in (None, [])}
    for key in [k for k in record if k.endswith("_time") or k.endswith("_at")]:
        assert datetime.fromisoformat(record.pop(key).replace("Z", "+00:00")) == \
            datetime.fromisoformat(expected.pop(key).replace("Z", "+00:00")), key
    assert record == expected


def test_every_listed_note_maps_from_the_stored_note(gateway, ctl):
    stored = {n["id"]: n for n in ctl.records("notes")}
    listed = [r for page in list_all(gateway, NAME, limit=20, resource="notes") for r in page]
    assert len(listed) == len(stored)
    assert {stored[r["id"]]["parentType"] for r in listed} >= {"contacts", "accounts", "leads", "activities"}
    for record in listed:
        note = stored[record.pop("remote_data")["id"]]
        parent, parent_type = note["links"]["parent"], note["parentType"]
        same(record, {"id": note["id"], "content": note["body"], "created_at": iso(note["createdTime"]),
                      "account": {"id": parent} if parent_type == "accounts" else None,
                      "contact": [{"id": parent}] if parent_type == "contacts" else None,
                      "opportunity": [{"id": parent}] if parent_type == "leads" else None})


def test_a_note_is_filed_under_its_contact_as_written(gateway, ctl):
    contact = ctl.records("contacts")[3]["id"]
    ctl.clear_requests()
    html = "<p>Asked for <b>pricing</b></p>\nTwo lines"
    created = gateway.unified("POST", NAME, json={"content": html, "contact": [{"id": contact}]}, resource="notes")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/rest/notes")
    assert post["body"] == {"data": {"body": html, "links": {"parent": contact}}}
    assert created.json()["content"] == html and created.json()["contact"] == [{"id": contact}]


def test_a_note_has_one_parent_and_no_update(gateway, ctl):
    contacts = [{"id": c["id"]} for c in ctl.records("contacts")[:2]]
    ctl.clear_requests()
    two = gateway.unified("POST", NAME, json={"content": "Hi", "contact": contacts}, resource="notes")
    assert two.status_code == 400 and "one contact" in two.json()["message"]
    assert not ctl.requests()
    note = ctl.records("notes")[0]["id"]
    edit = gateway.unified("PATCH", NAME, note, json={"content": "Edited"}, resource="notes")
    assert edit.status_code == 405 and "24 hours" in edit.json()["message"]


def test_note_filters_keep_the_notes_filed_under_that_record(gateway, ctl):
    notes = [n for n in ctl.records("notes") if n["parentType"] == "leads"]
    lead = notes[0]["links"]["parent"]
    listed = [r for page in list_all(gateway, NAME, limit=50, params={"opportunity[id]": lead}, resource="notes")
              for r in page]
    assert {r["id"] for r in listed} == {n["id"] for n in notes if n["links"]["parent"] == lead}


def test_a_deleted_note_reads_404(gateway, ctl):
    note = ctl.records("notes")[1]["id"]
    assert gateway.unified("DELETE", NAME, note, resource="notes").status_code == 200
    stored = next(n for n in ctl.records("notes") if n["id"] == note)
    assert stored["deletedTime"] is not None
    assert gateway.unified("GET", NAME, note, resource="notes").status_code == 404


def test_every_listed_activity_maps_from_the_stored_activity(gateway, ctl):
    stored = {a["id"]: a for a in ctl.records("engagements")}
    types = {t["id"]: t["name"] for t in ctl.records("engagement_types")}
    listed = [r for page in list_all(gateway, NAME, limit=20, resource="engagements") for r in page]
    assert len(listed) == len(stored)
    assert {r["status"] for r in listed} == {"completed", "cancelled", "scheduled"}
    assert {r["engagement_type"] for r in listed} == {"call", "meeting"}
    for record in listed:
        a = stored[record.pop("remote_data")["id"]]
        links = a["links"]
        type_name = types[links["activityType"]]
        same(record, {
            "id": a["id"], "subject": a["name"], "content": a["agenda"] or None,
            "engagement_type": kind(type_name) or type_name,
            "status": "cancelled" if a["isCancelled"] else "completed" if a["isLogged"] else "scheduled",
            "start_time": iso(a["startTime"]), "end_time": iso(a["endTime"]),
            "duration": str(a["endTime"] - a["startTime"]),
            "owner": {"id": links["users"][0]} if links["users"] else None,
            "account": {"id": links["accounts"][0]} if links["accounts"] else None,
            "contact": [{"id": c} for c in links["contacts"]], "opportunity": [{"id": x} for x in links["leads"]],
            "notes": [{"id": links["logNote"]}] if links["logNote"] else None,
            "created_at": iso(a["createdTime"]), "updated_at": iso(a["modifiedTime"])})


def test_an_activity_create_sends_its_participants_as_one_list(gateway, ctl):
    lead = ctl.records("opportunities")[0]
    account, contact = lead["links"]["accounts"][0], lead["links"]["contacts"][0]
    ctl.clear_requests()
    sent = {"subject": "Discovery", "content": "<p>Agenda</p>", "engagement_type": "meeting", "status": "completed",
            "start_time": "2027-01-15T10:00:00Z", "end_time": "2027-01-15T10:45:00Z", "owner": {"id": "2-users"},
            "account": {"id": account}, "contact": [{"id": contact}], "opportunity": [{"id": lead["id"]}]}
    created = gateway.unified("POST", NAME, json=sent, resource="engagements")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    meeting = next(t["id"] for t in ctl.records("engagement_types") if t["name"] == "Meeting")
    assert post["body"] == {"activities": [{
        "name": "Discovery", "description": "<p>Agenda</p>", "activityType": meeting, "startTime": 1800007200,
        "endTime": 1800009900, "isLogged": True,
        "links": {"participants": ["2-users", account, contact, lead["id"]]}}]}
    body = created.json()
    assert (body["engagement_type"], body["status"], body["duration"]) == ("meeting", "completed", "2700")
    assert body["opportunity"] == [{"id": lead["id"]}] and body["owner"] == {"id": "2-users"}


def test_an_activity_update_puts_the_whole_activity(gateway, ctl):
    activity = next(a for a in ctl.records("engagements") if a["links"]["accounts"] and a["links"]["leads"])
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, activity["id"], json={"subject": "Renamed", "engagement_type": "meeting"},
                              resource="engagements")
    assert updated.status_code == 200, updated.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    sent = put["body"]["activities"][0]
    links = activity["links"]
    assert sent["name"] == "Renamed" and sent["startTime"] == activity["startTime"]
    assert sent["description"] == activity["agenda"] and sent["isLogged"] == activity["isLogged"]
    assert sent["links"]["participants"] == links["users"] + links["accounts"] + links["contacts"] + links["leads"]
    assert updated.json()["engagement_type"] == "meeting"
    assert updated.json()["opportunity"] == [{"id": x} for x in links["leads"]]


def test_activity_filters_ask_nutshell_for_one_participant_and_check_the_others(gateway, ctl):
    activity = next(a for a in ctl.records("engagements") if a["links"]["accounts"] and a["links"]["contacts"])
    account, contact = activity["links"]["accounts"][0], activity["links"]["contacts"][0]
    ctl.clear_requests()
    listed = [r for page in list_all(gateway, NAME, limit=50, params={"account[id]": account, "contact[id]": contact},
                                     resource="engagements") for r in page]
    expected = {a["id"] for a in ctl.records("engagements")
                if account in a["links"]["accounts"] and contact in a["links"]["contacts"]}
    assert {r["id"] for r in listed} == expected and activity["id"] in expected
    calls = [r for r in ctl.requests() if r["path"].endswith("/rest/activities")]
    assert calls and all(parse_qs(r["query"])["filter[participant][]"] == [contact] for r in calls)


def test_activity_status_nutshell_cannot_write_is_refused(gateway, ctl):
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, resource="engagements", json={
        "subject": "Off", "start_time": "2027-01-15T10:00:00Z", "status": "cancelled"})
    assert response.status_code == 400 and "completed or scheduled" in response.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_activity_types_read_as_unified_kinds(gateway, ctl):
    stored = ctl.records("engagement_types")
    listed = [r for page in list_all(gateway, NAME, limit=7, resource="engagement_types") for r in page]
    assert [r["id"] for r in listed] == [t["id"] for t in stored]
    for record, t in zip(listed, stored, strict=True):
        record.pop("remote_data")
        same(record, {"id": t["id"], "name": t["name"], "type": kind(t["name"]), "updated_at": iso(t["modifiedTime"])})
    assert gateway.unified("GET", NAME, "2-activityTypes", resource="engagement_types").json()["type"] == "meeting"
    assert gateway.unified("GET", NAME, "99-activityTypes", resource="engagement_types").status_code == 404


def test_an_activity_is_deleted_through_json_rpc_with_its_current_rev(gateway, ctl):
    activity = ctl.records("engagements")[2]
    gateway.unified("PATCH", NAME, activity["id"], json={"subject": "Bumps the rev"}, resource="engagements")
    ctl.clear_requests()
    deleted = gateway.unified("DELETE", NAME, activity["id"], resource="engagements")
    assert deleted.status_code == 200, deleted.text
    calls = [r["body"] for r in ctl.requests() if r["path"].endswith("/api/v1/json")]
    number = int(activity["id"].split("-")[0])
    assert calls == [{"jsonrpc": "2.0", "method": "getActivity", "params": {"activityId": number}, "id": 1},
                     {"jsonrpc": "2.0", "method": "deleteActivity", "params": {"activityId": number, "rev": "2"},
                      "id": 2}]
    assert gateway.unified("GET", NAME, activity["id"], resource="engagements").status_code == 404
    again = gateway.unified("DELETE", NAME, activity["id"], resource="engagements")
    assert again.status_code == 404 and "not found" in again.json()["message"]
