"""Zoho CRM notes, tasks and calls (engagements) through the gateway: the mappings against the records the
sandbox stores, the writes as Zoho receives them, the link filters, and Zoho's quirks
(https://www.zoho.com/crm/developer/docs/api/v8/get-records.html, modules Notes, Tasks, Calls)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
from support import list_all

NAME = "zoho_crm"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def links(record: dict) -> dict:
    """account / opportunity from What_Id by $se_module, contact from Who_Id."""
    what, module = (record.get("What_Id") or {}).get("id"), record.get("$se_module")
    return {"account": {"id": what} if module == "Accounts" and what else None,
            "opportunity": [{"id": what}] if module == "Deals" and what else None,
            "contact": [{"id": record["Who_Id"]["id"]}] if record.get("Who_Id") else None}


def compact(out: dict) -> dict:
    return {k: v for k, v in out.items() if v is not None}


def listed(gateway, resource: str, **params) -> list[dict]:
    return [r for page in list_all(gateway, NAME, limit=50, resource=resource, params=params) for r in page]


def test_every_listed_note_maps_from_the_stored_record(gateway, ctl):
    stored = {n["id"]: n for n in ctl.records("notes")}
    notes = listed(gateway, "notes")
    assert len(notes) == len(stored)
    for note in notes:
        own = stored[note["id"]]
        parent, module = own["Parent_Id"]["id"], own["Parent_Id"]["module"]["api_name"]
        assert note.pop("remote_data")["id"] == note["id"]
        assert note == compact({
            "id": own["id"], "title": own["Note_Title"], "content": own["Note_Content"],
            "owner": {"id": own["Owner"]["id"]},
            "account": {"id": parent} if module == "Accounts" else None,
            "contact": [{"id": parent}] if module == "Contacts" else None,
            "opportunity": [{"id": parent}] if module == "Deals" else None,
            "created_at": utc(own["Created_Time"]), "updated_at": utc(own["Modified_Time"])})
    # HTML and plain text come back as Zoho keeps them
    assert any(n["content"].startswith("<p><b>") for n in notes) and any("\n" in n["content"] for n in notes)


def test_a_note_is_written_on_its_contact(gateway, ctl):
    contact = ctl.records("contacts")[2]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="notes",
                              json={"title": "Recap", "content": "<p>Agreed</p>", "contact": [{"id": contact["id"]}]})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/crm/v8/Notes")
    assert post["body"] == {"data": [{"Note_Title": "Recap", "Note_Content": "<p>Agreed</p>",
                                      "Parent_Id": {"module": {"api_name": "Contacts"}, "id": contact["id"]}}]}
    assert created.json()["contact"] == [{"id": contact["id"]}] and created.json()["content"] == "<p>Agreed</p>"
    updated = gateway.unified("PATCH", NAME, created.json()["id"], resource="notes", json={"content": "Plain now"})
    assert updated.status_code == 200, updated.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"data": [{"Note_Content": "Plain now"}]}


def test_a_note_is_written_on_an_account_or_on_a_deal(gateway, ctl):
    """Parent_Id names the one record the caller named, with its module; a create names one."""
    account, deal = ctl.records("accounts")[0], ctl.records("opportunities")[0]
    ctl.clear_requests()
    on_account = gateway.unified("POST", NAME, resource="notes",
                                 json={"content": "For the firm", "account": {"id": account["id"]}})
    assert on_account.status_code == 200, on_account.text
    assert [r for r in ctl.requests() if r["method"] == "POST"][-1]["body"] == {"data": [{
        "Note_Content": "For the firm", "Parent_Id": {"module": {"api_name": "Accounts"}, "id": account["id"]}}]}
    assert on_account.json()["account"] == {"id": account["id"]} and "contact" not in on_account.json()
    on_deal = gateway.unified("POST", NAME, resource="notes",
                              json={"content": "For the deal", "opportunity": [{"id": deal["id"]}]})
    assert on_deal.status_code == 200, on_deal.text
    assert [r for r in ctl.requests() if r["method"] == "POST"][-1]["body"] == {"data": [{
        "Note_Content": "For the deal", "Parent_Id": {"module": {"api_name": "Deals"}, "id": deal["id"]}}]}
    assert on_deal.json()["opportunity"] == [{"id": deal["id"]}]
    ctl.clear_requests()
    orphan = gateway.unified("POST", NAME, resource="notes", json={"content": "On nothing"})
    assert orphan.status_code == 400 and "`account`" in orphan.json()["message"]
    both = gateway.unified("POST", NAME, resource="notes", json={
        "content": "x", "account": {"id": account["id"]}, "opportunity": [{"id": deal["id"]}]})
    assert both.status_code == 400 and both.json()["truto_error_insight"]["exclusive_fields"]["value"] == [
        "account", "contact", "opportunity"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_a_task_is_written_on_an_account_beside_its_contact(gateway, ctl):
    account, contact = ctl.records("accounts")[0], ctl.records("contacts")[0]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="tasks", json={
        "subject": "Call the firm", "account": {"id": account["id"]}, "contact": [{"id": contact["id"]}]})
    assert created.status_code == 200, created.text
    assert [r for r in ctl.requests() if r["method"] == "POST"][-1]["body"] == {"data": [{
        "Subject": "Call the firm", "Who_Id": {"id": contact["id"]}, "What_Id": {"id": account["id"]},
        "$se_module": "Accounts"}]}
    assert (created.json()["account"], created.json()["contact"]) == ({"id": account["id"]}, [{"id": contact["id"]}])
    moved = gateway.unified("PATCH", NAME, created.json()["id"], resource="tasks", json={"opportunity": []})
    assert moved.status_code == 200, moved.text
    assert [r for r in ctl.requests() if r["method"] == "PUT"][-1]["body"] == {"data": [{"What_Id": None}]}
    assert "account" not in moved.json()


def test_a_refused_note_answers_202_with_its_items_and_is_an_error_here(gateway, ctl):
    """crm-oas v8.0 notes.json: a note create with failed items answers 202, not 4xx."""
    contact = ctl.records("contacts")[0]
    response = gateway.unified("POST", NAME, resource="notes",
                               json={"content": "x", "contact": [{"id": contact["id"]}],
                                     "remote_data": {"data": [{"Parent_Id": {"module": {"api_name": "Deals"},
                                                                             "id": "5725767000000000000"}}]}})
    assert response.status_code == 400 and response.json()["truto_is_remote_error"] is True
    assert "Parent_Id" in response.json()["message"]


def test_every_listed_task_maps_from_the_stored_record(gateway, ctl):
    stored = {t["id"]: t for t in ctl.records("tasks")}
    tasks = listed(gateway, "tasks")
    assert len(tasks) == len(stored)
    for task in tasks:
        own = stored[task["id"]]
        assert task.pop("remote_data")["id"] == task["id"]
        assert task == compact({
            "id": own["id"], "subject": own["Subject"], "content": own["Description"],
            "owner": {"id": own["Owner"]["id"]}, **links(own),
            "completed_at": utc(own["Closed_Time"]) if own["Closed_Time"] else None,
            "due_date": own["Due_Date"],   # an all-day date stays a date
            "status": "completed" if own["Status"] == "Completed" else "open",
            "created_at": utc(own["Created_Time"]), "updated_at": utc(own["Modified_Time"])})
    assert {t["status"] for t in tasks} == {"open", "completed"}


def test_a_task_is_written_on_its_deal_and_contact(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["Contact_Name"])
    contact_id = deal["Contact_Name"]["id"]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="tasks", json={
        "subject": "Send the quote", "content": "Before Friday", "owner": {"id": "5725767000000411049"},
        "due_date": "2027-03-31T23:30:00-05:00", "status": "open",
        "contact": [{"id": contact_id}], "opportunity": [{"id": deal["id"]}]})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"data": [{
        "Subject": "Send the quote", "Description": "Before Friday", "Owner": {"id": "5725767000000411049"},
        "Due_Date": "2027-04-01", "Status": "Not Started", "Who_Id": {"id": contact_id},
        "What_Id": {"id": deal["id"]}, "$se_module": "Deals"}]}
    body = created.json()
    assert (body["due_date"], body["contact"], body["opportunity"]) == (
        "2027-04-01", [{"id": contact_id}], [{"id": deal["id"]}])
    done = gateway.unified("PATCH", NAME, body["id"], resource="tasks", json={"status": "completed"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["completed_at"].endswith("Z")
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"data": [{"Status": "Completed"}]}


def test_every_listed_call_maps_from_the_stored_record(gateway, ctl):
    stored = {c["id"]: c for c in ctl.records("engagements")}
    calls = listed(gateway, "engagements")
    assert len(calls) == len(stored)
    for call in calls:
        own = stored[call["id"]]
        start = utc(own["Call_Start_Time"])
        seconds = own["Call_Duration_in_seconds"]
        status = ("Missed" if own["Call_Type"] == "Missed" else
                  "Completed" if own["Call_Type"] == "Inbound" else own["Outgoing_Call_Status"])
        assert call.pop("remote_data")["id"] == call["id"]
        assert call == compact({
            "id": own["id"], "owner": {"id": own["Owner"]["id"]}, "content": own["Description"],
            "subject": own["Subject"], "direction": "outbound" if own["Call_Type"] == "Outbound" else "inbound",
            "engagement_type": "call", "status": status, "start_time": start,
            "end_time": (datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(seconds=seconds))
            .strftime("%Y-%m-%dT%H:%M:%SZ") if seconds is not None else None,
            "duration": str(seconds) if seconds is not None else None, **links(own),
            "phone_numbers": [{"number": own["Dialled_Number"]}] if own["Dialled_Number"] else None,
            "created_at": utc(own["Created_Time"]), "updated_at": utc(own["Modified_Time"])})


def test_a_call_is_logged_in_zohos_form_and_found_through_each_link_filter(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["Contact_Name"] and d["Account_Name"])
    contact_id = deal["Contact_Name"]["id"]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="engagements", json={
        "subject": "Pricing call", "content": "<p>Asked for a discount</p>", "engagement_type": "call",
        "direction": "outbound", "start_time": "2026-01-15T10:00:00Z", "end_time": "2026-01-15T10:12:30Z",
        "contact": [{"id": contact_id}], "opportunity": [{"id": deal["id"]}]})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"data": [{
        "Subject": "Pricing call", "Description": "<p>Asked for a discount</p>", "Call_Type": "Outbound",
        "Call_Start_Time": "2026-01-15T10:00:00+00:00", "Call_Duration": "12:30",
        "Who_Id": {"id": contact_id}, "What_Id": {"id": deal["id"]}, "$se_module": "Deals"}]}
    call = created.json()
    assert (call["start_time"], call["end_time"], call["duration"], call["status"]) == (
        "2026-01-15T10:00:00Z", "2026-01-15T10:12:30Z", "750", "Completed")
    by_contact = listed(gateway, "engagements", **{"contact[id]": contact_id})
    by_deal = listed(gateway, "engagements", **{"opportunity[id]": deal["id"]})
    assert call["id"] in {c["id"] for c in by_contact} and call["id"] in {c["id"] for c in by_deal}
    assert all(c["contact"] == [{"id": contact_id}] for c in by_contact)
    assert all(c["opportunity"] == [{"id": deal["id"]}] for c in by_deal)
    account_id = next(c for c in ctl.records("engagements") if c["$se_module"] == "Accounts")["What_Id"]["id"]
    by_account = listed(gateway, "engagements", **{"account[id]": account_id})
    assert by_account and all(c["account"] == {"id": account_id} for c in by_account)


def test_activity_filters_on_notes_and_tasks(gateway, ctl):
    note = next(n for n in ctl.records("notes") if n["Parent_Id"]["module"]["api_name"] == "Deals")
    deal_id = note["Parent_Id"]["id"]
    found = listed(gateway, "notes", **{"opportunity[id]": deal_id})
    assert note["id"] in {n["id"] for n in found} and all(n["opportunity"] == [{"id": deal_id}] for n in found)
    task = next(t for t in ctl.records("tasks") if t["Who_Id"])
    found = listed(gateway, "tasks", **{"contact[][id]": task["Who_Id"]["id"]})
    assert task["id"] in {t["id"] for t in found}
    refused = gateway.unified("GET", NAME, resource="tasks", params={"status": "open"})
    assert refused.status_code == 400 and "status" in refused.json()["message"]


@pytest.mark.parametrize(("resource", "module"), [("tasks", "Tasks"), ("engagements", "Calls")])
def test_a_time_bound_searches_the_module_and_keeps_the_link_filters(gateway, ctl, resource, module):
    """updated_at / created_at bounds list through GET /crm/v8/<Module>/search?criteria= on Modified_Time /
    Created_Time (https://www.zoho.com/crm/developer/docs/api/v8/search-records.html); a link filter beside the bound
    keeps the records on that link from what the search answers."""
    stored = ctl.records(resource)
    times = sorted(r["Modified_Time"] for r in stored)
    middle = times[len(times) // 2]
    bound = utc(middle)
    ctl.clear_requests()
    found = listed(gateway, resource, **{"updated_at[gte]": bound, "created_at[lt]": "2999-01-01T00:00:00Z"})
    sent = [parse_qs(r["query"]) for r in ctl.requests() if r["path"].endswith(f"/crm/v8/{module}/search")]
    assert sent and sent[0]["criteria"] == [f"((Modified_Time:greater_equal:{bound.replace('Z', '+00:00')})and"
                                            "(Created_Time:less_than:2999-01-01T00:00:00+00:00))"]
    assert "What_Id" in sent[0]["fields"][0].split(",")
    expected = {r["id"] for r in stored if datetime.fromisoformat(r["Modified_Time"]) >= datetime.fromisoformat(middle)}
    assert {r["id"] for r in found} == expected
    contact = next(r["Who_Id"]["id"] for r in stored if r["Who_Id"] and r["id"] in expected)
    both = listed(gateway, resource, **{"updated_at[gte]": bound, "contact[id]": contact})
    assert {r["id"] for r in both} == {r["id"] for r in stored if r["id"] in expected and r["Who_Id"]
                                       and r["Who_Id"]["id"] == contact}
    assert both and all(r["contact"] == [{"id": contact}] for r in both)
    assert listed(gateway, resource, **{"updated_at[gt]": "2999-01-01T00:00:00Z"}) == []   # Zoho's 204


def test_calls_keep_zohos_rules(gateway, ctl):
    call = next(c for c in ctl.records("engagements") if c["Call_Type"] == "Outbound")
    # Zoho refuses a change of a call's type (Kaizen #38)
    turned = gateway.unified("PATCH", NAME, call["id"], resource="engagements", json={"direction": "inbound"})
    assert turned.status_code == 400 and turned.json()["truto_is_remote_error"] is True
    # a call in the past without its duration is refused by Zoho; a scheduled one needs none
    past = gateway.unified("POST", NAME, resource="engagements", json={
        "subject": "Past", "direction": "outbound", "start_time": "2025-01-15T10:00:00Z"})
    assert past.status_code == 400 and "Call_Duration" in past.json()["message"]
    later = gateway.unified("POST", NAME, resource="engagements", json={
        "subject": "Later", "direction": "outbound", "start_time": "2030-01-15T10:00:00Z"})
    assert later.status_code == 200 and later.json()["status"] == "Scheduled"
    meeting = gateway.unified("POST", NAME, resource="engagements", json={
        "subject": "Demo", "engagement_type": "meeting", "direction": "outbound", "start_time": "2030-01-15T10:00:00Z"})
    assert meeting.status_code == 400 and "call" in meeting.json()["message"]


def test_open_reopens_a_completed_task_and_keeps_an_open_tasks_own_status(gateway, ctl):
    tasks = ctl.records("tasks")
    done = next(t for t in tasks if t["Status"] == "Completed")
    busy = next(t for t in tasks if t["Status"] == "In Progress")
    ctl.clear_requests()
    assert gateway.unified("PATCH", NAME, done["id"], resource="tasks", json={"status": "open"}).status_code == 200
    assert gateway.unified("PATCH", NAME, busy["id"], resource="tasks",
                           json={"status": "open", "subject": "Still busy"}).status_code == 200
    puts = [r["body"] for r in ctl.requests() if r["method"] == "PUT"]
    assert puts == [{"data": [{"Status": "Not Started"}]}, {"data": [{"Subject": "Still busy"}]}]
    stored = {t["id"]: t for t in ctl.records("tasks")}
    assert (stored[done["id"]]["Closed_Time"], stored[busy["id"]]["Status"]) == (None, "In Progress")


def test_an_end_time_alone_is_a_duration_from_the_calls_start(gateway, ctl):
    call = next(c for c in ctl.records("engagements") if c["Call_Type"] == "Outbound")
    end = (datetime.fromisoformat(call["Call_Start_Time"]) + timedelta(minutes=20, seconds=5)).isoformat()
    ctl.clear_requests()
    updated = gateway.unified("PATCH", NAME, call["id"], resource="engagements", json={"end_time": end})
    assert updated.status_code == 200, updated.text
    assert next(r for r in ctl.requests() if r["method"] == "PUT")["body"] == {"data": [{"Call_Duration": "20:05"}]}
    assert updated.json()["duration"] == "1205"
