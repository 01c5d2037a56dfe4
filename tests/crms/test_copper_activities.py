"""Copper notes, engagements, engagement types and tasks through the gateway: the mappings against the records the
sandbox stores, the writes as Copper receives them, the link filters and Copper's quirks
(https://developer.copper.com/activities/overview.html, https://developer.copper.com/tasks/list-tasks-search.html;
Copper's Postman docs, 7.-tasks/ and 8.-Activities/ in https://github.com/dquimper/GitbookTest)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import list_all

NAME = "copper"
PHONE_CALL, MEETING = 190711, 190712


def rfc3339(seconds: int | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parent_links(parent: dict) -> dict:
    kind, value = parent["type"], [{"id": str(parent["id"])}]
    return {"company": {"account": value[0]}, "person": {"contact": value}, "opportunity": {"opportunity": value},
            "lead": {"lead": value}}.get(
        kind, {})


def kind_of(row: dict) -> str:
    if row["category"] == "user" and row["id"] == 0:
        return "note"
    return {"Phone Call": "call", "Meeting": "meeting", "Email": "email"}.get(row["name"], row["name"])


def expected_activity(activity: dict, types: dict, engagement: bool) -> dict:
    out = {"id": str(activity["id"]), "owner": {"id": str(activity["user_id"])}, "content": activity["details"],
           **parent_links(activity["parent"]), "created_at": rfc3339(activity["date_created"]),
           "updated_at": rfc3339(activity["date_modified"])}
    if engagement:
        out["engagement_type"] = kind_of(types[(activity["type"]["category"], activity["type"]["id"])])
        out["start_time"] = rfc3339(activity["activity_date"])
    return {k: v for k, v in out.items() if v is not None}


def expected_task(task: dict, type_names: dict) -> dict:
    related = task["related_resource"]
    due = task["due_date"]
    out = {"id": str(task["id"]), "subject": task["name"], "content": task["details"],
           "type": {"id": str(task["custom_activity_type_id"]), "name": type_names[task["custom_activity_type_id"]]},
           "owner": {"id": str(task["assignee_id"])} if task["assignee_id"] else None,
           **(parent_links(related) if related["type"] else {}),
           "completed_at": rfc3339(task["completed_date"]),
           "due_date": rfc3339(due) if isinstance(due, int) else f"{due[6:]}-{due[:2]}-{due[3:5]}" if due else None,
           "status": task["status"].lower(), "created_at": rfc3339(task["date_created"]),
           "updated_at": rfc3339(task["date_modified"])}
    return {k: v for k, v in out.items() if v is not None}


def type_rows(ctl) -> dict:
    return {(t["category"], t["id"]): t for t in ctl.records("engagement_types")}


def listed(gateway, resource: str, **params) -> list[dict]:
    return [r for page in list_all(gateway, NAME, limit=25, resource=resource, params=params) for r in page]


def searches(ctl, path: str) -> list[dict]:
    return [r["body"] for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith(path)]


def last_write(ctl, method: str) -> dict:
    return [r for r in ctl.requests() if r["method"] == method][-1]


# -- reads, field by field ------------------------------------------------------------------------------

def test_notes_are_the_note_activities_mapped_field_by_field(gateway, ctl):
    types = type_rows(ctl)
    stored = {str(a["id"]): a for a in ctl.records("notes")}
    ctl.clear_requests()
    records = listed(gateway, "notes")
    assert searches(ctl, "/activities/search")[0]["activity_types"] == [{"id": 0, "category": "user"}]
    assert len(records) == len(stored)
    for record in records:
        record.pop("remote_data")
        assert record == expected_activity(stored[record["id"]], types, engagement=False)


def test_engagements_are_the_user_activities_and_emails_mapped_field_by_field(gateway, ctl):
    types = type_rows(ctl)
    counted = {(c, i) for (c, i), t in types.items() if c == "user" or t["count_as_interaction"]}
    stored = {str(a["id"]): a for a in ctl.records("engagements")
              if (a["type"]["category"], a["type"]["id"]) in counted}
    assert len(stored) < len(ctl.records("engagements"))   # property and stage changes are not engagements
    records = listed(gateway, "engagements")
    assert len(records) == len(stored)
    assert {r["engagement_type"] for r in records} >= {"note", "call", "meeting", "email", "Demo"}
    for record in records:
        record.pop("remote_data")
        assert record == expected_activity(stored[record["id"]], types, engagement=True)


def test_engagement_types_are_the_user_and_system_types(gateway, ctl):
    records = listed(gateway, "engagement_types")
    assert [(r["id"], r["name"], r.get("type")) for r in records] == [
        (str(t["id"]), t["name"], kind_of(t) if kind_of(t) in ("note", "call", "meeting", "email") else None)
        for t in ctl.records("engagement_types")]
    assert gateway.unified("GET", NAME, str(PHONE_CALL), resource="engagement_types").json()["type"] == "call"
    assert gateway.unified("GET", NAME, "999", resource="engagement_types").status_code == 404


@pytest.mark.parametrize("dates", ["epoch", "text"])
def test_tasks_mapped_field_by_field_whichever_date_form_copper_sends(gateway, ctl, dates):
    ctl.switch(task_dates=dates)
    names = {t["id"]: t["name"] for t in ctl.records("engagement_types") if t["category"] == "user"}
    stored = {str(t["id"]): t for t in ctl.records("tasks")}
    records = listed(gateway, "tasks")
    assert len(records) == len(stored)
    for record in records:
        record.pop("remote_data")
        assert record == expected_task(stored[record["id"]], names)
    assert ("T" in records[0]["due_date"]) is (dates == "epoch")   # a time, or the date Copper keeps


# -- writes ------------------------------------------------------------------------------------------------

def test_a_note_is_an_activity_of_type_note_on_the_person(gateway, ctl):
    person = ctl.records("contacts")[0]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="notes",
                              json={"content": "<p>Met at the fair</p>", "contact": [{"id": str(person["id"])}]})
    assert created.status_code == 200, created.text
    post = last_write(ctl, "POST")
    assert post["path"].endswith("/developer_api/v1/activities")
    assert post["body"] == {"parent": {"type": "person", "id": person["id"]}, "type": {"category": "user", "id": 0},
                            "details": "<p>Met at the fair</p>"}
    note = created.json()
    assert (note["content"], note["contact"]) == ("<p>Met at the fair</p>", [{"id": str(person["id"])}])
    updated = gateway.unified("PATCH", NAME, note["id"], resource="notes", json={"content": "Met at the fair."})
    assert updated.status_code == 200, updated.text
    assert last_write(ctl, "PUT")["body"] == {"details": "Met at the fair."}


def test_a_call_takes_the_accounts_phone_call_type(gateway, ctl):
    person = ctl.records("contacts")[1]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="engagements", json={
        "engagement_type": "call", "content": "Discovery call", "start_time": "2027-01-15T11:00:00+01:00",
        "contact": [{"id": str(person["id"])}]})
    assert created.status_code == 200, created.text
    assert last_write(ctl, "POST")["body"] == {
        "details": "Discovery call", "type": {"category": "user", "id": PHONE_CALL}, "activity_date": 1800007200,
        "parent": {"type": "person", "id": person["id"]}}
    call = created.json()
    assert (call["engagement_type"], call["start_time"]) == ("call", "2027-01-15T10:00:00Z")
    moved = gateway.unified("PATCH", NAME, call["id"], resource="engagements", json={"engagement_type": "meeting"})
    assert moved.status_code == 200, moved.text
    assert last_write(ctl, "PUT")["body"] == {"type": {"category": "user", "id": MEETING}}
    assert moved.json()["engagement_type"] == "meeting"
    assert gateway.unified("GET", NAME, call["id"], resource="notes").status_code == 404   # a call is not a note
    # Copper keeps a deleted activity as a stub {"id", "is_deleted": true}: read as gone.
    assert gateway.unified("DELETE", NAME, call["id"], resource="engagements").status_code == 200
    assert gateway.unified("GET", NAME, call["id"], resource="engagements").status_code == 404


def test_a_note_is_written_on_the_company_or_on_the_deal(gateway, ctl):
    """One parent per activity: the account is the parent company, the deal the parent opportunity
    (https://developer.copper.com/activities/create-a-new-activity.html)."""
    company, deal = ctl.records("accounts")[0], ctl.records("opportunities")[0]
    ctl.clear_requests()
    on_company = gateway.unified("POST", NAME, resource="notes",
                                 json={"content": "For the firm", "account": {"id": str(company["id"])}})
    assert on_company.status_code == 200, on_company.text
    assert last_write(ctl, "POST")["body"] == {"parent": {"type": "company", "id": company["id"]},
                                               "type": {"category": "user", "id": 0}, "details": "For the firm"}
    assert on_company.json()["account"] == {"id": str(company["id"])}
    on_deal = gateway.unified("POST", NAME, resource="notes",
                              json={"content": "For the deal", "opportunity": [{"id": str(deal["id"])}]})
    assert on_deal.status_code == 200, on_deal.text
    assert last_write(ctl, "POST")["body"] == {"parent": {"type": "opportunity", "id": deal["id"]},
                                               "type": {"category": "user", "id": 0}, "details": "For the deal"}
    assert on_deal.json()["opportunity"] == [{"id": str(deal["id"])}]
    moved = gateway.unified("PATCH", NAME, on_deal.json()["id"], resource="notes",
                            json={"account": {"id": str(company["id"])}})
    assert moved.status_code == 200, moved.text
    assert last_write(ctl, "PUT")["body"] == {"parent": {"type": "company", "id": company["id"]}}
    assert moved.json()["account"] == {"id": str(company["id"])} and "opportunity" not in moved.json()


def test_a_task_is_related_to_the_deal(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="tasks", json={
        "subject": "Chase the deal", "opportunity": [{"id": str(deal["id"])}]})
    assert created.status_code == 200, created.text
    assert last_write(ctl, "POST")["body"] == {"name": "Chase the deal",
                                               "related_resource": {"type": "opportunity", "id": deal["id"]}}
    assert created.json()["opportunity"] == [{"id": str(deal["id"])}]


def test_a_task_is_written_in_unix_seconds_and_completed(gateway, ctl):
    person = ctl.records("contacts")[2]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="tasks", json={
        "subject": "Send the quote", "content": "With the discount", "type": {"id": "190714"},
        "owner": {"id": "731002"}, "due_date": "2027-03-31", "status": "open",
        "contact": [{"id": str(person["id"])}]})
    assert created.status_code == 200, created.text
    assert last_write(ctl, "POST")["body"] == {
        "name": "Send the quote", "details": "With the discount", "assignee_id": 731002,
        "custom_activity_type_id": 190714, "due_date": 1806451200, "status": "Open",
        "related_resource": {"type": "person", "id": person["id"]}}
    task = created.json()
    assert (task["due_date"], task["type"]["name"]) == ("2027-03-31T00:00:00Z", "SMS")
    done = gateway.unified("PATCH", NAME, task["id"], resource="tasks", json={"status": "completed"})
    assert done.status_code == 200, done.text
    assert last_write(ctl, "PUT")["body"] == {"status": "Completed"}
    assert done.json()["status"] == "completed" and done.json()["completed_at"]


# -- filters --------------------------------------------------------------------------------------------

def test_a_call_is_found_again_through_its_parent(gateway, ctl):
    person = ctl.records("contacts")[3]
    call = gateway.unified("POST", NAME, resource="engagements", json={
        "engagement_type": "call", "content": "Filter me", "contact": [{"id": str(person["id"])}]}).json()
    ctl.clear_requests()
    by_contact = listed(gateway, "engagements", **{"contact[id]": str(person["id"])})
    assert call["id"] in {r["id"] for r in by_contact}
    assert searches(ctl, "/activities/search")[0]["parent"] == {"type": "person", "id": person["id"]}
    assert [r["id"] for r in listed(gateway, "engagements", **{"contact[][id]": str(person["id"])})] == \
        [r["id"] for r in by_contact]
    company = next(a for a in ctl.records("engagements") if a["parent"]["type"] == "company")["parent"]["id"]
    by_account = listed(gateway, "engagements", **{"account[id]": str(company)})
    assert by_account and all(r["account"] == {"id": str(company)} for r in by_account)
    deal = next(a for a in ctl.records("notes") if a["parent"]["type"] == "opportunity")
    by_deal = listed(gateway, "notes", **{"opportunity[id]": str(deal["parent"]["id"])})
    assert str(deal["id"]) in {r["id"] for r in by_deal}
    # One parent per activity: a contact and a company together match nothing.
    assert not listed(gateway, "engagements", **{"contact[id]": str(person["id"]), "account[id]": str(company)})


def test_tasks_filter_by_copper_search_keys_and_by_related_record(gateway, ctl):
    tasks = ctl.records("tasks")
    deal = next(t for t in tasks if t["related_resource"]["type"] == "opportunity")["related_resource"]["id"]
    ctl.clear_requests()
    by_deal = listed(gateway, "tasks", **{"opportunity[id]": str(deal), "status": "open", "owner[id]": "731001"})
    assert searches(ctl, "/tasks/search")[0] == {"sort_by": "date_created", "sort_direction": "asc",
                                                 "opportunity_ids": [deal], "assignee_ids": [731001],
                                                 "statuses": ["Open"], "page_number": 1, "page_size": 25}
    assert {r["id"] for r in by_deal} == {str(t["id"]) for t in tasks if t["related_resource"]["id"] == deal
                                           and t["status"] == "Open" and t["assignee_id"] == 731001}
    person = next(t for t in tasks if t["related_resource"]["type"] == "person")["related_resource"]["id"]
    by_contact = listed(gateway, "tasks", **{"contact[id]": str(person)})
    assert by_contact and {r["id"] for r in by_contact} == {
        str(t["id"]) for t in tasks if t["related_resource"] == {"id": person, "type": "person"}}


@pytest.mark.parametrize("switch", ["applied", "refused", "ignored"])
def test_tasks_bound_by_modification_and_creation_time_through_the_search(gateway, ctl, switch):
    """minimum/maximum_modified_date and _created_date are documented for the tasks search
    (https://developer.copper.com/tasks/list-tasks-search.html), bounds included: Copper applies them, whatever the
    `search_modified_dates` switch says of people and companies. gt starts a second later, lt ends a second earlier."""
    ctl.switch(search_modified_dates=switch)
    tasks = ctl.records("tasks")
    modified = sorted(t["date_modified"] for t in tasks)
    low, high = modified[5], modified[-5]
    created = sorted(t["date_created"] for t in tasks)[-3]
    ctl.clear_requests()
    found = listed(gateway, "tasks", **{"updated_at[gt]": rfc3339(low), "updated_at[lte]": rfc3339(high),
                                        "created_at[lt]": rfc3339(created), "sort_by[updated_at]": "desc"})
    assert searches(ctl, "/tasks/search")[0] == {
        "sort_by": "date_modified", "sort_direction": "desc", "minimum_modified_date": low + 1,
        "maximum_modified_date": high, "maximum_created_date": created - 1, "page_number": 1, "page_size": 25}
    expected = [t for t in tasks if low < t["date_modified"] <= high and t["date_created"] < created]
    assert expected and {r["id"] for r in found} == {str(t["id"]) for t in expected}
    stamps = [r["updated_at"] for r in found]
    assert stamps == sorted(stamps, reverse=True)


# -- quirks ---------------------------------------------------------------------------------------------

def test_what_copper_cannot_take_is_refused_before_it_is_called(gateway, ctl):
    ctl.clear_requests()
    chat = gateway.unified("POST", NAME, resource="engagements", json={"content": "x", "engagement_type": "chat"})
    assert chat.status_code == 400 and "call, meeting, note" in chat.json()["message"]
    untyped = gateway.unified("POST", NAME, resource="engagements", json={"content": "x"})
    assert untyped.status_code == 400 and "`engagement_type`" in untyped.json()["message"]
    owner = gateway.unified("GET", NAME, params={"owner[id]": "731001"}, resource="notes")
    assert owner.status_code == 400 and "`owner`" in owner.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] in ("POST", "PUT") and not r["path"].endswith("/search")]


def test_a_system_activity_is_read_but_not_written(gateway, ctl):
    email = next(a for a in ctl.records("engagements") if a["type"] == {"id": 6, "category": "system"})
    read = gateway.unified("GET", NAME, str(email["id"]), resource="engagements")
    assert read.status_code == 200 and read.json()["engagement_type"] == "email"
    refused = gateway.unified("PATCH", NAME, str(email["id"]), resource="engagements", json={"content": "Edited"})
    assert refused.status_code == 422 and "System activities" in refused.json()["message"]


def test_a_deal_is_a_parent_through_remote_data(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    created = gateway.unified("POST", NAME, resource="notes", json={
        "content": "On the deal", "remote_data": {"parent": {"type": "opportunity", "id": deal["id"]}}})
    assert created.status_code == 200, created.text
    assert created.json()["opportunity"] == [{"id": str(deal["id"])}]


def test_a_note_and_a_call_on_a_lead_are_found_through_it(gateway, ctl):
    """A lead is an activity parent like a person (activities/overview.md: parent type lead); the search's `parent`
    takes it, and a note or call on a lead reads back with `lead`."""
    lead = ctl.records("leads")[0]
    ctl.clear_requests()
    note = gateway.unified("POST", NAME, resource="notes", json={"content": "Called back", "lead": [{"id": str(lead["id"])}]})
    assert note.status_code == 200, note.text
    assert last_write(ctl, "POST")["body"] == {"parent": {"type": "lead", "id": lead["id"]},
                                               "type": {"category": "user", "id": 0}, "details": "Called back"}
    assert note.json()["lead"] == [{"id": str(lead["id"])}]
    call = gateway.unified("POST", NAME, resource="engagements", json={
        "content": "Intro call", "engagement_type": "call", "lead": [{"id": str(lead["id"])}]})
    assert call.status_code == 200, call.text
    assert last_write(ctl, "POST")["body"]["parent"] == {"type": "lead", "id": lead["id"]}
    ctl.clear_requests()
    notes = listed(gateway, "notes", **{"lead[id]": str(lead["id"])})
    assert [n["id"] for n in notes] == [note.json()["id"]]
    assert searches(ctl, "/activities/search")[0]["parent"] == {"type": "lead", "id": lead["id"]}
    engagements = listed(gateway, "engagements", **{"lead[id]": str(lead["id"])})   # the note is one too
    assert sorted(e["id"] for e in engagements) == sorted([note.json()["id"], call.json()["id"]])
    two = gateway.unified("POST", NAME, resource="notes", json={
        "content": "x", "lead": [{"id": str(lead["id"])}], "account": {"id": str(ctl.records("accounts")[0]["id"])}})
    assert two.status_code == 400, two.text
    missing = gateway.unified("POST", NAME, resource="notes", json={"content": "x", "lead": [{"id": "999"}]})
    assert missing.status_code == 422, missing.text


def test_a_task_is_related_to_a_lead(gateway, ctl):
    """related-items/*.md: a task relates to one record, a lead among them."""
    lead = ctl.records("leads")[1]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="tasks", json={"subject": "Qualify", "lead": [{"id": str(lead["id"])}]})
    assert created.status_code == 200, created.text
    assert last_write(ctl, "POST")["body"] == {"name": "Qualify", "related_resource": {"type": "lead", "id": lead["id"]}}
    assert created.json()["lead"] == [{"id": str(lead["id"])}]
    found = listed(gateway, "tasks", **{"lead[id]": str(lead["id"])})
    assert [t["id"] for t in found] == [created.json()["id"]]
