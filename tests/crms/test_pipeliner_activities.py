"""Pipeliner notes, appointments (engagements) and appointment types through the gateway: the mappings against
the records the sandbox stores, what Pipeliner receives on writes, and its quirks (the vendor's v100 OpenAPI:
Note, Appointment, AppointmentType, ActivityRelation)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs

from support import list_all

from unigate.sandbox.pipeliner import CLIENTS

NAME = "pipeliner"
STATUS = {1: "scheduled", 2: "scheduled", 3: "scheduled", 4: "completed", 5: "scheduled", 6: "cancelled"}


def instant(text: str | None):
    """The moment, to the millisecond (the gateway answers milliseconds; Pipeliner keeps microseconds)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def same(record: dict, expected: dict) -> None:
    expected = {k: v for k, v in expected.items() if v not in (None, [], "")}
    for key in [k for k in record if k.endswith("_time") or k.endswith("_at")]:
        assert instant(record.pop(key)) == instant(expected.pop(key)), key
    assert record == expected


def test_every_listed_note_maps_from_the_stored_note(gateway, ctl):
    stored = {n["id"]: n for n in ctl.records("notes")}
    listed = [r for page in list_all(gateway, NAME, limit=20, resource="notes") for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        n = stored[record.pop("remote_data")["id"]]
        same(record, {"id": n["id"], "content": n["note"], "owner": {"id": n["owner_id"]},
                      "account": {"id": n["account_id"]} if n["account_id"] else None,
                      "contact": [{"id": n["contact_id"]}] if n["contact_id"] else None,
                      "opportunity": [{"id": n["lead_oppty_id"]}] if n["lead_oppty_id"] else None,
                      "created_at": n["created"], "updated_at": n["modified"]})


def test_a_note_names_its_records_and_is_owned_by_the_connected_user(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    account = deal["account_relations"][0]["account_id"]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="notes", json={
        "content": "<p>Met the <b>CFO</b></p>", "account": {"id": account}, "opportunity": [{"id": deal["id"]}]})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    ada = next(c["id"] for c in CLIENTS if c["email"] == "ada.lovelace@sandbox.example")
    assert post["path"].endswith("/entities/Notes")
    assert post["body"]["note"] == "<p>Met the <b>CFO</b></p>"
    assert (post["body"]["account_id"], post["body"]["lead_oppty_id"]) == (account, deal["id"])
    assert "contact_id" not in post["body"]
    body = created.json()
    assert body["opportunity"] == [{"id": deal["id"]}] and body["owner"] == {"id": ada}
    assert post["body"]["owner_id"] == ada


def test_note_filters_are_pipeliner_filters(gateway, ctl):
    note = next(n for n in ctl.records("notes") if n["lead_oppty_id"])
    ctl.clear_requests()
    listed = [r for page in list_all(gateway, NAME, limit=50, params={"opportunity[id]": note["lead_oppty_id"]},
                                     resource="notes") for r in page]
    assert {r["id"] for r in listed} == {n["id"] for n in ctl.records("notes")
                                         if n["lead_oppty_id"] == note["lead_oppty_id"] and not n["is_deleted"]}
    query = parse_qs(next(r for r in ctl.requests() if r["path"].endswith("/entities/Notes"))["query"])
    assert query["filter[lead_oppty_id]"] == [note["lead_oppty_id"]]


def test_a_note_with_two_contacts_is_refused(gateway, ctl):
    ids = [{"id": c["id"]} for c in ctl.records("contacts")[:2]]
    response = gateway.unified("POST", NAME, resource="notes", json={"content": "x", "contact": ids})
    assert response.status_code == 400 and "one contact" in response.json()["message"]


def test_every_listed_appointment_maps_from_the_stored_appointment(gateway, ctl):
    stored = {a["id"]: a for a in ctl.records("engagements")}
    types = {t["id"]: t["name"] for t in ctl.records("engagement_types")}
    listed = [r for page in list_all(gateway, NAME, limit=20, resource="engagements") for r in page]
    assert len(listed) == len(stored)
    assert {r["engagement_type"] for r in listed} == {"meeting", "call"}
    assert {r["status"] for r in listed} == {"completed", "cancelled", "scheduled"}
    for record in listed:
        a = stored[record.pop("remote_data")["id"]]
        start, end = instant(a["start_date"]), instant(a["end_date"])
        same(record, {
            "id": a["id"], "subject": a["subject"], "content": a["description"],
            "engagement_type": "call" if "call" in types[a["activity_type_id"]].lower() else "meeting",
            "status": STATUS[a["status"]], "start_time": a["start_date"], "end_time": a["end_date"],
            "duration": str(int((end - start).total_seconds())), "owner": {"id": a["owner_id"]},
            "account": {"id": a["account_relations"][0]["account_id"]} if a["account_relations"] else None,
            "contact": [{"id": r["contact_id"]} for r in a["contact_relations"]],
            "opportunity": [{"id": r["lead_oppty_id"]} for r in a["opportunity_relations"]],
            "created_at": a["created"], "updated_at": a["modified"]})


def test_an_appointment_write_sends_relation_rows_and_reads_back(gateway, ctl):
    deal = ctl.records("opportunities")[1]
    account = deal["account_relations"][0]["account_id"]
    contact = deal["contact_relations"][0]["contact_id"]
    call = next(t["id"] for t in ctl.records("engagement_types") if t["name"] == "Call")
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="engagements", json={
        "subject": "Pricing call", "engagement_type": "call", "status": "completed",
        "start_time": "2027-01-15T10:00:00+01:00", "end_time": "2027-01-15T09:45:00Z",
        "account": {"id": account}, "contact": [{"id": contact}], "opportunity": [{"id": deal["id"]}]})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")["body"]
    assert {k: v for k, v in post.items() if k != "owner_id"} == {
        "subject": "Pricing call", "activity_type_id": call, "status": 4, "start_date": "2027-01-15T09:00:00Z",
        "end_date": "2027-01-15T09:45:00Z", "account_relations": [{"account_id": account}],
        "contact_relations": [{"contact_id": contact}], "opportunity_relations": [{"lead_oppty_id": deal["id"]}]}
    body = created.json()
    assert (body["engagement_type"], body["status"], body["duration"]) == ("call", "completed", "2700")
    assert body["opportunity"] == [{"id": deal["id"]}] and body["account"] == {"id": account}

    ctl.clear_requests()
    moved = gateway.unified("PATCH", NAME, body["id"], resource="engagements",
                            json={"engagement_type": "meeting", "contact": []})
    assert moved.status_code == 200, moved.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")["body"]
    meeting = next(t["id"] for t in ctl.records("engagement_types") if t["name"] == "Meeting")
    assert patch == {"activity_type_id": meeting, "contact_relations": []}
    assert moved.json()["engagement_type"] == "meeting" and "contact" not in moved.json()
    assert moved.json()["opportunity"] == [{"id": deal["id"]}]


def test_appointment_filters_check_the_expanded_relations(gateway, ctl):
    appointment = next(a for a in ctl.records("engagements") if a["contact_relations"])
    contact = appointment["contact_relations"][0]["contact_id"]
    listed = [r for page in list_all(gateway, NAME, limit=50, params={"contact[id]": contact}, resource="engagements")
              for r in page]
    assert {r["id"] for r in listed} == {a["id"] for a in ctl.records("engagements")
                                         if any(r["contact_id"] == contact for r in a["contact_relations"])}


def test_appointment_types_read_as_kinds_and_are_written_editable(gateway, ctl):
    stored = ctl.records("engagement_types")
    listed = [r for page in list_all(gateway, NAME, limit=7, resource="engagement_types") for r in page]
    assert [r["id"] for r in listed] == [t["id"] for t in stored]
    for record, t in zip(listed, stored, strict=True):
        record.pop("remote_data")
        same(record, {"id": t["id"], "name": t["name"], "type": "call" if "call" in t["name"].lower() else "meeting",
                      "created_at": t["created"], "updated_at": t["modified"]})
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={"name": "Coffee"}, resource="engagement_types")
    assert created.status_code == 200, created.text
    assert next(r for r in ctl.requests() if r["method"] == "POST")["body"] == {"name": "Coffee", "is_readonly": False}
    assert created.json()["type"] == "meeting"
