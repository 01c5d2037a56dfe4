"""Outreach tasks, calls and prospect notes through the gateway: the mappings against the records the sandbox
stores, the writes as Outreach receives them, and the quirks (one task subject, completion through
markComplete, calls without PATCH, notes linked to deals by a write-only rule)
(https://developers.outreach.io/api/reference/tag/Task/, .../Call/, .../Prospect-Note/)."""

from __future__ import annotations

from datetime import datetime

from support import list_all

NAME = "outreach"


def iso(value: str | None) -> str | None:
    return value.replace(".000Z", "Z") if value else None


def link(relationships: dict, name: str) -> str | None:
    data = relationships[name]["data"]
    return str(data["id"]) if data else None


def test_every_listed_task_maps_from_the_stored_record(gateway, ctl):
    stored = {str(t["id"]): t for t in ctl.records("tasks")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="tasks") for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        a, rel = stored[record["id"]]["attributes"], stored[record["id"]]["relationships"]
        assert record["content"] == a["note"]
        assert record["type"]["id"] == a["action"]
        assert record["status"] == ("completed" if a["state"] == "complete" else "open")
        assert record["due_date"] == iso(a["dueAt"])
        assert record.get("completed_at") == iso(a["completedAt"])
        assert record["owner"] == {"id": link(rel, "owner")}
        assert (record.get("account") or {}).get("id") == link(rel, "account")
        assert [c["id"] for c in record.get("contact") or []] == [x for x in [link(rel, "prospect")] if x]
        assert [o["id"] for o in record.get("opportunity") or []] == [x for x in [link(rel, "opportunity")] if x]
        assert record["created_at"] == iso(a["createdAt"]) and record["updated_at"] == iso(a["updatedAt"])


def test_every_listed_call_maps_from_the_stored_record(gateway, ctl):
    stored = {str(c["id"]): c for c in ctl.records("engagements")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="engagements") for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        a, rel = stored[record["id"]]["attributes"], stored[record["id"]]["relationships"]
        assert record["engagement_type"] == "call"
        assert record["content"] == a["note"] and record["direction"] == a["direction"]
        assert record["start_time"] == iso(a["dialedAt"]) and record["end_time"] == iso(a["completedAt"])
        seconds = (datetime.fromisoformat(a["completedAt"]) - datetime.fromisoformat(a["dialedAt"])).total_seconds()
        assert record["duration"] == str(round(seconds))
        other = a["from"] if a["direction"] == "inbound" else a["to"]
        assert record["phone_numbers"] == [{"number": other}]
        assert record["owner"] == {"id": link(rel, "user")}
        assert [c["id"] for c in record.get("contact") or []] == [x for x in [link(rel, "prospect")] if x]
        assert [o["id"] for o in record.get("opportunity") or []] == [x for x in [link(rel, "opportunity")] if x]
        assert record["status"] == a["state"]


def test_a_task_create_and_update_as_outreach_receives_them(gateway, ctl):
    prospect = ctl.records("contacts")[2]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={
        "content": "Send the <b>pricing</b> sheet", "type": {"id": "email"}, "owner": {"id": "3"},
        "contact": [{"id": str(prospect["id"])}], "due_date": "2027-03-31T17:00:00+02:00", "status": "open"},
        resource="tasks")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/tasks")
    assert post["body"] == {"data": {"type": "task", "attributes": {
        "action": "email", "note": "Send the <b>pricing</b> sheet", "dueAt": "2027-03-31T15:00:00Z"},
        "relationships": {"owner": {"data": {"type": "user", "id": 3}},
                          "subject": {"data": {"type": "prospect", "id": prospect["id"]}}}}}
    task = created.json()
    assert task["content"] == "Send the <b>pricing</b> sheet" and task["status"] == "open"
    assert task["contact"] == [{"id": str(prospect["id"])}]
    account = prospect["relationships"]["account"]["data"]
    assert task.get("account") == ({"id": str(account["id"])} if account else None)   # the prospect's account

    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, task["id"], json={"status": "completed", "content": "Sent"},
                              resource="tasks")
    assert updated.status_code == 200, updated.text
    calls = [(r["method"], r["path"].split("/api/v2/")[1]) for r in ctl.requests()]
    assert calls == [("POST", f"tasks/{task['id']}/actions/markComplete"), ("PATCH", f"tasks/{task['id']}")]
    assert ctl.requests()[-1]["body"] == {"data": {"type": "task", "id": int(task["id"]),
                                                   "attributes": {"note": "Sent"}}}
    assert updated.json()["status"] == "completed" and updated.json()["completed_at"]


def test_a_completed_task_is_not_reopened_nor_created_done(gateway, ctl):
    done = next(t for t in ctl.records("tasks") if t["attributes"]["state"] == "complete")
    ctl.clear_requests()
    refused = gateway.unified("PATCH", NAME, str(done["id"]), json={"status": "open"}, resource="tasks")
    assert refused.status_code == 400 and "reopen" in refused.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] != "GET"]
    created = gateway.unified("POST", NAME, json={"content": "x", "status": "completed"}, resource="tasks")
    assert created.status_code == 400 and "markComplete" in created.json()["message"]


def test_a_task_without_a_type_is_an_action_item(gateway, ctl):
    created = gateway.unified("POST", NAME, json={"content": "Plain to-do"}, resource="tasks")
    assert created.status_code == 200, created.text
    assert created.json()["type"] == {"id": "action_item", "name": "Action item"}


def test_task_filters_ask_outreach(gateway, ctl):
    task = next(t for t in ctl.records("tasks") if t["relationships"]["subject"]["data"]["type"] == "opportunity")
    rel = task["relationships"]
    for unified, value in (("opportunity", link(rel, "opportunity")), ("account", link(rel, "account")),
                           ("owner", link(rel, "owner"))):
        ctl.clear_requests()
        listed = gateway.unified("GET", NAME, params={f"{unified}[id]": value, "limit": 100}, resource="tasks")
        assert listed.status_code == 200, listed.text
        assert str(task["id"]) in [r["id"] for r in listed.json()["result"]]
        assert all((r.get(unified) or {}).get("id") == value if unified != "opportunity"
                   else {"id": value} in r["opportunity"] for r in listed.json()["result"])
        outreach_name = {"opportunity": "opportunity", "account": "account", "owner": "owner"}[unified]
        assert f"filter[{outreach_name}][id]={value}" in _query(ctl)
    completed = gateway.unified("GET", NAME, params={"status": "completed", "limit": 100}, resource="tasks")
    assert {r["status"] for r in completed.json()["result"]} == {"completed"}


def _query(ctl) -> str:
    from urllib.parse import unquote
    return unquote(next(r for r in ctl.requests() if r["method"] == "GET")["query"])


def test_a_call_logged_with_a_contact_and_a_deal_is_found_through_both(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    prospect = ctl.records("contacts")[1]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={
        "engagement_type": "call", "content": "Pricing call", "direction": "inbound", "owner": {"id": "2"},
        "start_time": "2027-01-15T10:00:00Z", "end_time": "2027-01-15T10:12:30Z",
        "contact": [{"id": str(prospect["id"])}], "opportunity": [{"id": str(deal["id"])}],
        "phone_numbers": [{"number": "+1 541 555 0199"}]}, resource="engagements")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"data": {"type": "call", "attributes": {
        "note": "Pricing call", "direction": "inbound", "dialedAt": "2027-01-15T10:00:00Z",
        "completedAt": "2027-01-15T10:12:30Z", "from": "+1 541 555 0199"},
        "relationships": {"user": {"data": {"type": "user", "id": 2}},
                          "prospect": {"data": {"type": "prospect", "id": prospect["id"]}},
                          "opportunity": {"data": {"type": "opportunity", "id": deal["id"]}}}}}
    call = created.json()
    assert call["duration"] == "750" and call["phone_numbers"] == [{"number": "+1 541 555 0199"}]
    for unified, value in (("contact", str(prospect["id"])), ("opportunity", str(deal["id"]))):
        listed = gateway.unified("GET", NAME, params={f"{unified}[id]": value, "limit": 100}, resource="engagements")
        assert listed.status_code == 200, listed.text
        assert call["id"] in [r["id"] for r in listed.json()["result"]]
    ctl.clear_requests()
    mine = gateway.unified("GET", NAME, params={"owner[id]": "2", "limit": 100}, resource="engagements")
    assert call["id"] in [r["id"] for r in mine.json()["result"]] and "filter[user][id]=2" in _query(ctl)
    refused = gateway.unified("GET", NAME, params={"account[id]": "1"}, resource="engagements")
    assert refused.status_code == 400   # calls have no account relationship


def test_calls_take_no_update_and_only_the_call_type(gateway, ctl):
    call_id = str(ctl.records("engagements")[0]["id"])
    assert gateway.unified("PATCH", NAME, call_id, json={"content": "x"}, resource="engagements").status_code == 405
    meeting = gateway.unified("POST", NAME, json={"engagement_type": "meeting", "content": "x"}, resource="engagements")
    assert meeting.status_code == 400 and "call" in meeting.json()["message"]


def test_every_listed_prospect_note_maps_from_the_stored_record(gateway, ctl):
    stored = {str(n["id"]): n for n in ctl.records("notes")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="notes") for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        a, rel = stored[record["id"]]["attributes"], stored[record["id"]]["relationships"]
        assert record["content"] == a["message"] and record["created_at"] == iso(a["createdAt"])
        assert record["owner"] == {"id": link(rel, "creator")}
        assert record["contact"] == [{"id": link(rel, "prospect")}]
        assert [o["id"] for o in record.get("opportunity") or []] == [x for x in [link(rel, "opportunity")] if x]
        assert "updated_at" not in record and "account" not in record


def test_a_prospect_note_create_and_update_as_outreach_receives_them(gateway, ctl):
    prospect = next(p for p in ctl.records("contacts") if p["relationships"]["account"]["data"])
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={
        "content": "Met at <i>the</i> fair", "contact": [{"id": str(prospect["id"])}],
        "remote_data": {"data": {"attributes": {"opportunityAssociationRule": "recent_created"}}}}, resource="notes")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/prospectNotes")
    assert post["body"] == {"data": {"type": "prospectNote", "attributes": {
        "message": "Met at <i>the</i> fair", "opportunityAssociationRule": "recent_created"},
        "relationships": {"prospect": {"data": {"type": "prospect", "id": prospect["id"]}}}}}
    note = created.json()
    assert note["content"] == "Met at <i>the</i> fair" and note["contact"] == [{"id": str(prospect["id"])}]
    account = prospect["relationships"]["account"]["data"]["id"]
    deals = [d for d in ctl.records("opportunities") if (d["relationships"]["account"]["data"] or {}).get("id") == account]
    assert note.get("opportunity") == ([{"id": str(max(deals, key=lambda d: (d["attributes"]["createdAt"], d["id"]))["id"])}]
                                       if deals else None)
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, note["id"], json={"content": "Edited"}, resource="notes")
    assert updated.status_code == 200 and updated.json()["content"] == "Edited"
    assert ctl.requests()[-1]["body"] == {"data": {"type": "prospectNote", "id": int(note["id"]),
                                                   "attributes": {"message": "Edited"}}}
    found = gateway.unified("GET", NAME, params={"contact[id]": str(prospect["id"]), "limit": 100}, resource="notes")
    assert note["id"] in [r["id"] for r in found.json()["result"]]
    assert gateway.unified("GET", NAME, params={"account[id]": str(account)}, resource="notes").status_code == 400
    missing = gateway.unified("POST", NAME, json={"content": "Nobody's"}, resource="notes")
    assert missing.status_code == 400 and "`contact`" in missing.json()["message"]
