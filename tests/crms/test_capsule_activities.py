"""Capsule notes, engagements, engagement types and tasks through the gateway: the mappings against the records
the sandbox stores, the writes as Capsule receives them, the link filters and Capsule's quirks
(https://developer.capsulecrm.com/v2/operations/Entry, .../Activity_Type, .../Task)."""

from __future__ import annotations

from support import list_all

NAME = "capsule"
KINDS = {-1: "note", -2: "meeting", -3: "call", -4: "task", -5: "email", -6: "email"}


def links(record: dict) -> dict:
    """account, contact, opportunity as the mappings read an entry's or a task's one parent."""
    party = record.get("party")
    out: dict = {}
    if party and party["type"] == "organisation":
        out["account"] = {"id": str(party["id"])}
    elif party:
        if party.get("organisation"):
            out["account"] = {"id": str(party["organisation"]["id"])}
        out["contact"] = [{"id": str(party["id"])}]
    if record.get("opportunity"):
        out["opportunity"] = [{"id": str(record["opportunity"]["id"])}]
    return out


def expected_note(entry: dict) -> dict:
    out = {"id": str(entry["id"]), "content": entry["content"], "owner": {"id": str(entry["creator"]["id"])},
           **links(entry), "created_at": entry["createdAt"], "updated_at": entry["updatedAt"]}
    return {k: v for k, v in out.items() if v is not None}


def expected_engagement(entry: dict) -> dict:
    out = {"id": str(entry["id"]), "owner": {"id": str(entry["creator"]["id"])}, "content": entry["content"],
           "subject": entry.get("subject"),
           "engagement_type": KINDS.get(entry["activityType"]["id"], entry["activityType"]["name"]),
           "start_time": entry["entryAt"], **links(entry), "created_at": entry["createdAt"],
           "updated_at": entry["updatedAt"]}
    return {k: v for k, v in out.items() if v is not None}


def expected_task(task: dict) -> dict:
    party = task.get("party")
    out = {"id": str(task["id"]), "subject": task["description"], "content": task["detail"],
           "type": {"id": str(task["category"]["id"]), "name": task["category"]["name"]} if task["category"] else None,
           "owner": {"id": str(task["owner"]["id"]), "name": task["owner"]["name"]}, **links(task),
           "completed_at": task["completedAt"], "due_date": task["dueOn"],
           "status": "completed" if task["status"] == "COMPLETED" else "open",
           "created_at": task["createdAt"], "updated_at": task["updatedAt"]}
    if party and party["type"] == "person":
        out["contact"] = [{"id": str(party["id"]), "name": f"{party['firstName']} {party['lastName']}"}]
    if task.get("opportunity"):
        out["opportunity"] = [{"id": str(task["opportunity"]["id"]), "name": task["opportunity"]["name"]}]
    return {k: v for k, v in out.items() if v is not None}


def listed(gateway, resource: str, **params) -> list[dict]:
    return [r for page in list_all(gateway, NAME, limit=25, resource=resource, params=params) for r in page]


def last_write(ctl, method: str) -> dict:
    return [r for r in ctl.requests() if r["method"] == method][-1]


# -- reads, field by field ------------------------------------------------------------------------------

def test_notes_are_the_plain_notes_mapped_field_by_field(gateway, ctl):
    stored = {str(e["id"]): e for e in ctl.records("notes")}
    records = listed(gateway, "notes")
    assert len(records) == len(stored) < len(ctl.records("engagements"))   # calls, meetings, emails are not notes
    for record in records:
        assert record.pop("remote_data")["activityType"]["id"] == -1
        assert record == expected_note(stored[record["id"]])


def test_engagements_are_every_entry_mapped_field_by_field(gateway, ctl):
    stored = {str(e["id"]): e for e in ctl.records("engagements")}
    records = listed(gateway, "engagements")
    assert len(records) == len(stored)
    assert {r["engagement_type"] for r in records} >= {"note", "call", "meeting", "email", "task", "Demo"}
    assert [r["start_time"] for r in records] == sorted((r["start_time"] for r in records), reverse=True)
    for record in records:
        record.pop("remote_data")
        assert record == expected_engagement(stored[record["id"]])


def test_engagement_types_are_the_activity_types(gateway, ctl):
    records = listed(gateway, "engagement_types")
    assert [(r["id"], r.get("type"), r["name"]) for r in records[:3]] == [
        ("-1", "note", "Note"), ("-2", "meeting", "Meeting"), ("-3", "call", "Call")]
    assert {r["id"]: r["name"] for r in records} == {str(t["id"]): t["name"] for t in ctl.records("engagement_types")}
    assert all("type" not in r for r in records[3:])        # the account's own types have no unified kind
    assert gateway.unified("GET", NAME, "-3", resource="engagement_types").json()["type"] == "call"


def test_tasks_of_every_status_mapped_field_by_field(gateway, ctl):
    stored = {str(t["id"]): t for t in ctl.records("tasks")}
    records = listed(gateway, "tasks")
    assert len(records) == len(stored)            # Capsule lists open tasks only unless asked for every status
    assert "status=open,completed,pending" in ctl.requests()[-1]["query"]
    for record in records:
        task = stored[record["id"]]
        assert record.pop("remote_data")["dueTime"] == task["dueTime"]   # the local time of day stays there
        assert record == expected_task(task)


# -- writes ------------------------------------------------------------------------------------------------

def test_a_note_is_written_on_the_contact_and_updated(gateway, ctl):
    person = next(p for p in ctl.records("contacts") if p["type"] == "person" and p.get("organisation"))
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="notes",
                              json={"content": "**Met** at the fair", "contact": [{"id": str(person["id"])}]})
    assert created.status_code == 200, created.text
    post = last_write(ctl, "POST")
    assert post["path"].endswith("/api/v2/entries")
    assert post["body"] == {"entry": {"type": "note", "content": "**Met** at the fair", "party": {"id": person["id"]}}}
    note = created.json()
    assert note["contact"] == [{"id": str(person["id"])}]
    assert note["account"] == {"id": str(person["organisation"]["id"])}    # the person's organisation
    updated = gateway.unified("PATCH", NAME, note["id"], resource="notes", json={"content": "Met at the fair."})
    assert updated.status_code == 200, updated.text
    assert last_write(ctl, "PUT")["body"] == {"entry": {"content": "Met at the fair."}}
    assert updated.json()["content"] == "Met at the fair."


def test_a_call_is_a_note_with_the_call_activity_type(gateway, ctl):
    person = next(p for p in ctl.records("contacts") if p["type"] == "person")
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="engagements",
                              json={"engagement_type": "call", "content": "Discovery call", "start_time":
                                    "2027-01-15T11:00:00+01:00", "contact": [{"id": str(person["id"])}]})
    assert created.status_code == 200, created.text
    assert last_write(ctl, "POST")["body"] == {"entry": {
        "type": "note", "content": "Discovery call", "activityType": {"id": -3},
        "entryAt": "2027-01-15T10:00:00Z", "party": {"id": person["id"]}}}
    call = created.json()
    assert (call["engagement_type"], call["start_time"]) == ("call", "2027-01-15T10:00:00Z")
    moved = gateway.unified("PATCH", NAME, call["id"], resource="engagements", json={"engagement_type": "meeting"})
    assert moved.status_code == 200, moved.text
    assert last_write(ctl, "PUT")["body"] == {"entry": {"activityType": {"id": -2}}}
    assert moved.json()["engagement_type"] == "meeting"
    # A call is not a note: the notes API does not see it.
    assert gateway.unified("GET", NAME, call["id"], resource="notes").status_code == 404
    assert gateway.unified("DELETE", NAME, call["id"], resource="notes").status_code == 404


def test_a_task_is_written_with_a_date_and_completed(gateway, ctl):
    person = next(p for p in ctl.records("contacts") if p["type"] == "person")
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="tasks", json={
        "subject": "Send the quote", "content": "With the **discount**", "type": {"id": "4102"},
        "owner": {"id": "61202"}, "due_date": "2027-03-31T23:30:00-05:00", "status": "open",
        "contact": [{"id": str(person["id"])}]})
    assert created.status_code == 200, created.text
    assert last_write(ctl, "POST")["body"] == {"task": {
        "description": "Send the quote", "detail": "With the **discount**", "dueOn": "2027-04-01",
        "category": {"id": 4102}, "owner": {"id": 61202}, "status": "OPEN", "party": {"id": person["id"]}}}
    task = created.json()
    assert (task["due_date"], task["type"]["name"], task["owner"]["id"]) == ("2027-04-01", "Email", "61202")
    done = gateway.unified("PATCH", NAME, task["id"], resource="tasks", json={"status": "completed"})
    assert done.status_code == 200, done.text
    assert last_write(ctl, "PUT")["body"] == {"task": {"status": "COMPLETED"}}
    assert done.json()["status"] == "completed" and done.json()["completed_at"]


def test_a_note_is_written_on_the_account_or_on_the_deal(gateway, ctl):
    """One parent per entry: the account is the organisation party, the deal the opportunity; an update naming
    the other kind clears the first."""
    org = next(p for p in ctl.records("contacts") if p["type"] == "organisation")
    deal = ctl.records("opportunities")[0]
    ctl.clear_requests()
    on_account = gateway.unified("POST", NAME, resource="notes",
                                 json={"content": "For the firm", "account": {"id": str(org["id"])}})
    assert on_account.status_code == 200, on_account.text
    assert last_write(ctl, "POST")["body"] == {"entry": {"type": "note", "content": "For the firm",
                                                         "party": {"id": org["id"]}}}
    assert on_account.json()["account"] == {"id": str(org["id"])} and "contact" not in on_account.json()
    on_deal = gateway.unified("POST", NAME, resource="notes",
                              json={"content": "For the deal", "opportunity": [{"id": str(deal["id"])}]})
    assert on_deal.status_code == 200, on_deal.text
    assert last_write(ctl, "POST")["body"] == {"entry": {"type": "note", "content": "For the deal",
                                                         "opportunity": {"id": deal["id"]}}}
    assert on_deal.json()["opportunity"] == [{"id": str(deal["id"])}] and "account" not in on_deal.json()
    moved = gateway.unified("PATCH", NAME, on_account.json()["id"], resource="notes",
                            json={"opportunity": [{"id": str(deal["id"])}]})
    assert moved.status_code == 200, moved.text
    assert last_write(ctl, "PUT")["body"] == {"entry": {"opportunity": {"id": deal["id"]}, "party": None}}
    assert moved.json()["opportunity"] == [{"id": str(deal["id"])}] and "account" not in moved.json()


def test_a_task_is_written_on_the_deal(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="tasks", json={
        "subject": "Chase the deal", "due_date": "2027-03-31", "opportunity": [{"id": str(deal["id"])}]})
    assert created.status_code == 200, created.text
    assert last_write(ctl, "POST")["body"] == {"task": {"description": "Chase the deal", "dueOn": "2027-03-31",
                                                        "opportunity": {"id": deal["id"]}}}
    assert created.json()["opportunity"][0]["id"] == str(deal["id"])


# -- filters --------------------------------------------------------------------------------------------

def test_a_call_is_found_again_through_each_link_filter(gateway, ctl):
    person = next(p for p in ctl.records("contacts") if p["type"] == "person" and p.get("organisation"))
    org = str(person["organisation"]["id"])
    call = gateway.unified("POST", NAME, resource="engagements", json={
        "engagement_type": "call", "content": "Filter me", "contact": [{"id": str(person["id"])}]}).json()
    by_contact = listed(gateway, "engagements", **{"contact[id]": str(person["id"])})
    assert call["id"] in {r["id"] for r in by_contact}
    assert all(r["contact"] == [{"id": str(person["id"])}] for r in by_contact)
    by_list_form = listed(gateway, "engagements", **{"contact[][id]": str(person["id"])})
    assert [r["id"] for r in by_list_form] == [r["id"] for r in by_contact]
    by_account = listed(gateway, "engagements", **{"account[id]": org})
    assert call["id"] in {r["id"] for r in by_account} and all(r["account"]["id"] == org for r in by_account)
    assert listed(gateway, "engagements", **{"engagement_type": "call", "contact[id]": str(person["id"])})
    deal_entry = next(e for e in ctl.records("engagements") if e["opportunity"])
    by_deal = listed(gateway, "engagements", **{"opportunity[id]": str(deal_entry["opportunity"]["id"])})
    assert str(deal_entry["id"]) in {r["id"] for r in by_deal} and call["id"] not in {r["id"] for r in by_deal}
    # One parent per entry: a contact and a deal together match nothing.
    assert not listed(gateway, "engagements", **{"contact[id]": str(person["id"]),
                                                 "opportunity[id]": str(deal_entry["opportunity"]["id"])})


def test_notes_and_tasks_filter_by_link_and_tasks_by_status(gateway, ctl):
    note = next(e for e in ctl.records("notes") if e["party"] and e["party"]["type"] == "organisation")
    found = listed(gateway, "notes", **{"account[id]": str(note["party"]["id"])})
    assert str(note["id"]) in {r["id"] for r in found}
    tasks = ctl.records("tasks")
    completed = listed(gateway, "tasks", status="completed")
    assert {r["id"] for r in completed} == {str(t["id"]) for t in tasks if t["status"] == "COMPLETED"}
    assert "status=completed" in ctl.requests()[-1]["query"]
    open_ = listed(gateway, "tasks", status="open")
    assert {r["id"] for r in open_} == {str(t["id"]) for t in tasks if t["status"] in ("OPEN", "PENDING")}
    deal_task = next(t for t in tasks if t["opportunity"])
    by_deal = listed(gateway, "tasks", **{"opportunity[id]": str(deal_task["opportunity"]["id"])})
    assert str(deal_task["id"]) in {r["id"] for r in by_deal}
    assert gateway.unified("GET", NAME, params={"status": "waiting"}, resource="tasks").status_code == 400
    mine = listed(gateway, "tasks", **{"owner[id]": "61202"})
    assert "owner=61202" in ctl.requests()[-1]["query"]
    assert {r["id"] for r in mine} == {str(t["id"]) for t in tasks if t["owner"]["id"] == 61202}


# -- quirks ---------------------------------------------------------------------------------------------

def test_what_capsule_cannot_take_is_refused_before_it_is_called(gateway, ctl):
    people = [p for p in ctl.records("contacts") if p["type"] == "person"][:2]
    ctl.clear_requests()
    two = gateway.unified("POST", NAME, resource="notes", json={"content": "x", "contact": [
        {"id": str(p["id"])} for p in people]})
    assert two.status_code == 400 and "one record of account, contact, opportunity" in two.json()["message"]
    email = gateway.unified("POST", NAME, resource="engagements", json={"content": "x", "engagement_type": "email"})
    assert email.status_code == 400 and "call, meeting, note" in email.json()["message"]
    owner = gateway.unified("GET", NAME, params={"owner[id]": "61201"}, resource="notes")
    assert owner.status_code == 400 and "`owner`" in owner.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] in ("POST", "PUT")]


def test_capsule_refuses_a_second_parent(gateway, ctl):
    """remote_data can name a deal instead of the contact; naming both is Capsule's own 422."""
    person = next(p for p in ctl.records("contacts") if p["type"] == "person")
    deal = ctl.records("opportunities")[0]
    on_deal = gateway.unified("POST", NAME, resource="notes", json={
        "content": "On the deal", "remote_data": {"entry": {"opportunity": {"id": deal["id"]}}}})
    assert on_deal.status_code == 200, on_deal.text
    assert on_deal.json()["opportunity"] == [{"id": str(deal["id"])}]
    both = gateway.unified("POST", NAME, resource="notes", json={
        "content": "Both", "contact": [{"id": str(person["id"])}],
        "remote_data": {"entry": {"opportunity": {"id": deal["id"]}}}})
    assert both.status_code == 422
    assert "entry must be linked to either a party, opportunity or kase" in both.json()["message"]
