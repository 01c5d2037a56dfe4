"""Pipedrive notes, tasks, engagements and engagement types through the gateway: the mappings against the
records the sandbox stores, the writes as Pipedrive receives them, and the quirks (activities split by the
`task` type, link filters, due date and time, HH:MM durations)
(https://developers.pipedrive.com/docs/api/v1/Notes, .../Activities (API v2 tab), .../ActivityTypes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support import list_all

NAME = "pipedrive"


def _time(v1: str) -> str:
    return v1.replace(" ", "T") + "Z"


def expected_note(note: dict) -> dict:
    out = {
        "id": str(note["id"]),
        "content": note["content"],
        "owner": {"id": str(note["user_id"])},
        "account": {"id": str(note["org_id"])} if note["org_id"] else None,
        "contact": [{"id": str(note["person_id"])}] if note["person_id"] else None,
        "opportunity": [{"id": str(note["deal_id"])}] if note["deal_id"] else None,
        "lead": [{"id": note["lead_id"]}] if note["lead_id"] else None,
        "created_at": _time(note["add_time"]),
        "updated_at": _time(note["update_time"]),
    }
    return {k: v for k, v in out.items() if v is not None}


def _links(activity: dict) -> dict:
    return {
        "account": {"id": str(activity["org_id"])} if activity["org_id"] else None,
        "contact": [{"id": str(p["person_id"])} for p in activity["participants"]] or None,
        "opportunity": [{"id": str(activity["deal_id"])}] if activity["deal_id"] else None,
        "lead": [{"id": activity["lead_id"]}] if activity["lead_id"] else None,
    }


def expected_task(activity: dict) -> dict:
    due = activity["due_date"] + (f"T{activity['due_time']}:00Z" if activity["due_time"] else "")
    out = {
        "id": str(activity["id"]), "subject": activity["subject"], "content": activity["note"],
        "type": {"id": "task", "name": "Task"}, "owner": {"id": str(activity["owner_id"])}, **_links(activity),
        "completed_at": activity["marked_as_done_time"], "due_date": due,
        "status": "completed" if activity["done"] else "open",
        "created_at": activity["add_time"], "updated_at": activity["update_time"],
    }
    return {k: v for k, v in out.items() if v is not None}


def expected_engagement(activity: dict) -> dict:
    start = f"{activity['due_date']}T{activity['due_time'] or '00:00'}:00Z"
    seconds = None
    if activity["duration"]:
        hours, minutes = activity["duration"].split(":")
        seconds = (int(hours) * 60 + int(minutes)) * 60
    end = None
    if seconds is not None:
        from datetime import datetime, timedelta
        end = (datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(seconds=seconds)) \
            .strftime("%Y-%m-%dT%H:%M:%SZ")
    out = {
        "id": str(activity["id"]), "owner": {"id": str(activity["owner_id"])}, "content": activity["note"],
        "subject": activity["subject"], "engagement_type": activity["type"],
        "status": "completed" if activity["done"] else "scheduled", "start_time": start, "end_time": end,
        "duration": str(seconds) if seconds is not None else None,
        "project": {"id": str(activity["project_id"])} if activity["project_id"] else None, **_links(activity),
        "created_at": activity["add_time"], "updated_at": activity["update_time"],
    }
    return {k: v for k, v in out.items() if v is not None}


def _listed(gateway, resource: str, params: dict | None = None) -> list[dict]:
    return [r for page in list_all(gateway, NAME, limit=25, params=params, resource=resource) for r in page]


def test_every_listed_note_maps_from_the_stored_record(gateway, ctl):
    stored = {str(n["id"]): n for n in ctl.records("notes")}
    listed = _listed(gateway, "notes")
    assert len(listed) == len(stored)
    assert any("<b>" in r["content"] for r in listed)  # HTML kept as Pipedrive keeps it
    for record in listed:
        assert record.pop("remote_data")["id"] == int(record["id"])
        assert record == expected_note(stored[record["id"]])


def test_tasks_and_engagements_split_the_activities_by_type(gateway, ctl):
    stored = {str(a["id"]): a for a in ctl.records("engagements")}
    tasks = _listed(gateway, "tasks")
    engagements = _listed(gateway, "engagements")
    assert {t["id"] for t in tasks} | {e["id"] for e in engagements} == set(stored)
    assert {stored[t["id"]]["type"] for t in tasks} == {"task"}
    assert "task" not in {e["engagement_type"] for e in engagements}
    assert {"call", "meeting", "email", "deadline", "lunch"} <= {e["engagement_type"] for e in engagements}
    for record in tasks:
        record.pop("remote_data")
        assert record == expected_task(stored[record["id"]])
    for record in engagements:
        record.pop("remote_data")
        assert record == expected_engagement(stored[record["id"]])
    assert any("T" not in t["due_date"] for t in tasks) and any("T" in t["due_date"] for t in tasks)
    # A task's id is not an engagement, nor the other way round.
    assert gateway.unified("GET", NAME, tasks[0]["id"], resource="engagements").status_code == 404
    assert gateway.unified("GET", NAME, engagements[0]["id"], resource="tasks").status_code == 404
    ctl.clear_requests()
    assert gateway.unified("DELETE", NAME, tasks[0]["id"], resource="engagements").status_code == 404
    assert not [r for r in ctl.requests() if r["method"] == "DELETE"]


def test_every_listed_engagement_type_maps_from_the_stored_type(gateway, ctl):
    stored = {str(t["id"]): t for t in ctl.records("engagement_types")}
    listed = _listed(gateway, "engagement_types")
    assert {r["id"] for r in listed} == {i for i, t in stored.items() if t["active_flag"]}
    for record in listed:
        record.pop("remote_data")
        kind = stored[record["id"]]
        assert record == {"id": str(kind["id"]), "type": kind["key_string"], "name": kind["name"],
                          "created_at": _time(kind["add_time"]), "updated_at": _time(kind["update_time"])}
    inactive = next(i for i, t in stored.items() if not t["active_flag"])
    assert gateway.unified("GET", NAME, inactive, resource="engagement_types").status_code == 404


def test_an_engagement_type_create_sends_the_configured_icon(gateway, ctl):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={"name": "Video call"}, resource="engagement_types")
    assert created.status_code == 200, created.text
    assert created.json()["type"] == "video_call"
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/v1/activityTypes") and post["body"] == {"name": "Video call", "icon_key": "task"}


def test_a_call_logged_with_links_is_found_through_each_filter(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["org_id"] and d["person_id"])
    ctl.clear_requests()
    sent = {"subject": "Pricing call", "content": "<p>Talked <i>pricing</i></p>", "engagement_type": "call",
            "start_time": "2027-01-15T11:00:00+01:00", "end_time": "2027-01-15T10:45:00Z",
            "owner": {"id": "13053347"}, "account": {"id": str(deal["org_id"])},
            "contact": [{"id": str(deal["person_id"])}], "opportunity": [{"id": str(deal["id"])}]}
    created = gateway.unified("POST", NAME, json=sent, resource="engagements")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/activities")
    assert post["body"] == {"subject": "Pricing call", "type": "call", "note": "<p>Talked <i>pricing</i></p>",
                            "owner_id": 13053347, "org_id": deal["org_id"], "deal_id": deal["id"],
                            "participants": [{"person_id": deal["person_id"], "primary": True}],
                            "due_date": "2027-01-15", "due_time": "10:00", "duration": "00:45"}
    body = created.json()
    assert body["start_time"] == "2027-01-15T10:00:00Z" and body["end_time"] == "2027-01-15T10:45:00Z"
    assert body["duration"] == "2700"
    for query in ({"account[id]": deal["org_id"]}, {"contact[id]": deal["person_id"]},
                  {"contact[][id]": deal["person_id"]}, {"opportunity[id]": deal["id"]}):
        ctl.clear_requests()
        found = _listed(gateway, "engagements", query)
        assert body["id"] in {r["id"] for r in found}, query
        param = {"account[id]": "org_id", "opportunity[id]": "deal_id"}.get(next(iter(query)), "person_id")
        listed = [r for r in ctl.requests() if r["method"] == "GET" and r["path"].endswith("/api/v2/activities")]
        assert listed and all(f"{param}=" in r["query"] for r in listed)  # Pipedrive filters, not the gateway


def test_an_engagement_update_moves_its_links_and_time(gateway, ctl):
    engagement = _listed(gateway, "engagements")[0]
    deals = [d for d in ctl.records("opportunities") if d["org_id"] and d["person_id"]]
    deal = next(d for d in deals if str(d["id"]) not in {o["id"] for o in engagement.get("opportunity") or []})
    ctl.clear_requests()
    patch = {"opportunity": [{"id": str(deal["id"])}], "contact": [], "account": {"id": str(deal["org_id"])},
             "start_time": "2027-02-01T09:30:00Z", "duration": "5400", "status": "completed"}
    updated = gateway.unified("PATCH", NAME, engagement["id"], json=patch, resource="engagements")
    assert updated.status_code == 200, updated.text
    sent = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert sent["body"] == {"deal_id": deal["id"], "org_id": deal["org_id"], "participants": [],
                            "due_date": "2027-02-01", "due_time": "09:30", "duration": "01:30", "done": True}
    body = updated.json()
    assert body["opportunity"] == [{"id": str(deal["id"])}] and "contact" not in body
    assert body["end_time"] == "2027-02-01T11:00:00Z" and body["status"] == "completed"


def test_an_engagement_type_pipedrive_lacks_is_refused(gateway, ctl):
    ctl.clear_requests()
    answer = gateway.unified("POST", NAME, json={"subject": "Chat", "engagement_type": "chat"}, resource="engagements")
    assert answer.status_code == 400
    assert answer.json()["truto_error_insight"]["allowed_values"]["value"] == ["call", "meeting", "email"]
    assert not ctl.requests()


def test_a_task_create_and_update_with_links(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["org_id"] and d["person_id"])
    ctl.clear_requests()
    sent = {"subject": "Send the contract", "content": "Before <b>Friday</b>", "due_date": "2027-03-31",
            "status": "open", "account": {"id": str(deal["org_id"])}, "contact": [{"id": str(deal["person_id"])}],
            "opportunity": [{"id": str(deal["id"])}]}
    created = gateway.unified("POST", NAME, json=sent, resource="tasks")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"subject": "Send the contract", "note": "Before <b>Friday</b>", "org_id": deal["org_id"],
                            "deal_id": deal["id"], "participants": [{"person_id": deal["person_id"], "primary": True}],
                            "done": False, "due_date": "2027-03-31", "due_time": None, "type": "task"}
    task = created.json()
    assert task["due_date"] == "2027-03-31" and task["status"] == "open"  # all-day: a date
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, task["id"], resource="tasks",
                              json={"due_date": "2027-04-01T16:45:00Z", "status": "completed", "opportunity": []})
    assert updated.status_code == 200, updated.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["body"] == {"done": True, "due_date": "2027-04-01", "due_time": "16:45", "deal_id": None}
    body = updated.json()
    assert body["due_date"] == "2027-04-01T16:45:00Z" and body["status"] == "completed" and body["completed_at"]
    assert "opportunity" not in body
    found = _listed(gateway, "tasks", {"contact[id]": deal["person_id"], "status": "completed"})
    assert task["id"] in {t["id"] for t in found}
    assert task["id"] not in {t["id"] for t in _listed(gateway, "tasks", {"status": "open"})}


def test_a_note_create_and_update_with_links(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["org_id"] and d["person_id"])
    ctl.clear_requests()
    sent = {"content": "<p>Met at the <b>fair</b></p>", "owner": {"id": "13053346"},
            "account": {"id": str(deal["org_id"])}, "contact": [{"id": str(deal["person_id"])}],
            "opportunity": [{"id": str(deal["id"])}]}
    created = gateway.unified("POST", NAME, json=sent, resource="notes")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/v1/notes")
    assert post["body"] == {"content": "<p>Met at the <b>fair</b></p>", "user_id": 13053346, "org_id": deal["org_id"],
                            "person_id": deal["person_id"], "deal_id": deal["id"]}
    note = created.json()
    for query in ({"account[id]": deal["org_id"]}, {"contact[id]": deal["person_id"]}, {"opportunity[id]": deal["id"]}):
        assert note["id"] in {n["id"] for n in _listed(gateway, "notes", query)}, query
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, note["id"], json={"contact": [], "opportunity": []}, resource="notes")
    assert updated.status_code == 200, updated.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"person_id": None, "deal_id": None}
    assert "contact" not in updated.json() and updated.json()["account"] == {"id": str(deal["org_id"])}


def test_a_note_on_nothing_is_refused_before_pipedrive(gateway, ctl):
    ctl.clear_requests()
    answer = gateway.unified("POST", NAME, json={"content": "Floating"}, resource="notes")
    assert answer.status_code == 400
    assert answer.json()["truto_error_insight"]["missing_required_fields"]["value"] == [
        ["account", "contact", "opportunity", "lead"]]
    assert not ctl.requests()


def test_a_filter_pipedrive_cannot_apply_is_refused(gateway, ctl):
    answer = gateway.unified("GET", NAME, params={"visibility": "private"}, resource="notes")
    assert answer.status_code == 400
    assert "visibility" in answer.json()["message"]


def test_owner_status_and_type_filters(gateway, ctl):
    activities = [a for a in ctl.records("engagements") if a["type"] != "task"]
    owner = activities[0]["owner_id"]
    ctl.clear_requests()
    mine = _listed(gateway, "engagements", {"owner[id]": owner, "status": "scheduled"})
    assert {e["id"] for e in mine} == {str(a["id"]) for a in activities if a["owner_id"] == owner and not a["done"]}
    assert all("owner_id=" in r["query"] and "done=false" in r["query"] for r in ctl.requests()
               if r["path"].endswith("/api/v2/activities"))
    meetings = _listed(gateway, "engagements", {"engagement_type": "meeting"})
    assert meetings and {e["engagement_type"] for e in meetings} == {"meeting"}
    notes = _listed(gateway, "notes", {"owner[id]": owner})
    assert notes and {n["owner"]["id"] for n in notes} == {str(owner)}


@pytest.mark.parametrize("fractions", ["reject", "accept"])
def test_notes_updated_since_is_sent_in_whole_seconds_that_keep_the_same_records(gateway, ctl, fractions):
    """GET /v1/notes `updated_since` is inclusive and RFC 3339 (https://developers.pipedrive.com/docs/api/v1/Notes#getNotes);
    notes keep whole seconds, so gt goes to the next second and gte rounds up, with no fraction either way."""
    ctl.switch(fractional_seconds=fractions)
    stored = ctl.records("notes")
    pivot = sorted(n["update_time"] for n in stored)[len(stored) // 2]
    whole = _time(pivot)
    next_second = (_instant(whole) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for operator, bound, sent in (("gt", whole[:-1] + ".250Z", next_second), ("gte", whole, whole)):
        ctl.clear_requests()
        listed = _listed(gateway, "notes", {f"updated_at[{operator}]": bound, "sort_by[updated_at]": "desc"})
        query = dict(next(r for r in ctl.requests() if r["path"].endswith("/v1/notes"))["query_params"])
        assert (query["updated_since"], query["sort"]) == (sent, "update_time DESC")
        after = [n for n in stored if _instant(_time(n["update_time"])) > _instant(bound)
                 or (operator == "gte" and _instant(_time(n["update_time"])) == _instant(bound))]
        assert after and {r["id"] for r in listed} == {str(n["id"]) for n in after}
        assert [r["updated_at"] for r in listed] == sorted((r["updated_at"] for r in listed), reverse=True)


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_notes_have_no_upper_or_creation_time_bound(gateway, ctl):
    """GET /v1/notes has `updated_since` only (start_date / end_date are whole days): refused before Pipedrive."""
    ctl.clear_requests()
    for params in ({"updated_at[lt]": "2024-01-01T00:00:00Z"}, {"created_at[gte]": "2024-01-01T00:00:00Z"}):
        assert gateway.unified("GET", NAME, params=params, resource="notes").status_code == 400
    assert not ctl.requests()
