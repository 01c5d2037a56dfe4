"""Zendesk Sell notes, tasks and calls through the gateway: the mappings against the records the sandbox
stores, the writes as Sell receives them, and the quirks (one parent record, organisations and persons both
`contact`, calls filtered by deal on the gateway's side)
(https://developer.zendesk.com/api-reference/sales-crm/resources/notes/, .../tasks/,
https://developers.futuresimple.com/docs/rest/reference/calls)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support import list_all

from unigate.engine.spec import INTEGRATIONS_DIR, load_integration

NAME = "zendesk_sell"


def parent_links(record: dict, organizations: set[int]) -> dict:
    """The unified links of a stored note, task or call (written independently of the YAML)."""
    kind, target = record["resource_type"], record["resource_id"]
    if kind == "contact" and target in organizations:
        return {"account": {"id": str(target)}}
    key = {"contact": "contact", "deal": "opportunity", "lead": "lead"}.get(kind)
    return {key: [{"id": str(target)}]} if key else {}


def organizations(ctl) -> set[int]:
    return {c["id"] for c in ctl.records("accounts") if c["is_organization"]}


def listed(gateway, resource: str) -> list[dict]:
    return [r for page in list_all(gateway, NAME, limit=25, resource=resource) for r in page]


def test_every_listed_note_maps_from_the_stored_record(gateway, ctl):
    stored = {str(n["id"]): n for n in ctl.records("notes")}
    orgs = organizations(ctl)
    records = listed(gateway, "notes")
    assert len(records) == len(stored)
    kinds = set()
    for record in records:
        note = stored[record["id"]]
        links = parent_links(note, orgs)
        kinds |= set(links)
        assert {k: record.get(k) for k in ("account", "contact", "opportunity", "lead") if k in record} == links
        assert record["content"] == note["content"]
        assert record["owner"] == {"id": str(note["creator_id"])}
        assert record["created_at"] == note["created_at"] and record["updated_at"] == note["updated_at"]
    assert kinds == {"account", "contact", "opportunity", "lead"}


def test_every_listed_task_maps_from_the_stored_record(gateway, ctl):
    stored = {str(t["id"]): t for t in ctl.records("tasks")}
    orgs = organizations(ctl)
    records = listed(gateway, "tasks")
    assert len(records) == len(stored)
    for record in records:
        task = stored[record["id"]]
        assert {k: record.get(k) for k in ("account", "contact", "opportunity", "lead") if k in record} \
            == parent_links(task, orgs)
        assert record["content"] == task["content"]
        assert record["owner"] == {"id": str(task["owner_id"])}
        assert record["status"] == ("completed" if task["completed"] else "open")
        assert record.get("completed_at") == task["completed_at"]
        assert record["due_date"] == task["due_date"]
    assert any("account" not in r and "contact" not in r and "opportunity" not in r for r in records)  # floating


def test_every_listed_call_maps_from_the_stored_record(gateway, ctl):
    stored = {str(c["id"]): c for c in ctl.records("engagements")}
    orgs = organizations(ctl)
    records = listed(gateway, "engagements")
    assert [r["id"] for r in records] == [str(c["id"]) for c in sorted(
        stored.values(), key=lambda c: (c["made_at"], c["id"]), reverse=True)]   # Sell's order: newest first
    for record in records:
        call = stored[record["id"]]
        links = parent_links(call, orgs)
        if call["associated_deal_ids"]:
            links["opportunity"] = [{"id": str(d)} for d in call["associated_deal_ids"]]
        assert {k: record.get(k) for k in ("account", "contact", "opportunity", "lead") if k in record} == links
        assert record["engagement_type"] == "call"
        assert record["content"] == call["summary"]
        assert record["direction"] == ("inbound" if call["incoming"] else "outbound")
        assert record["status"] == ("missed" if call["missed"] else "completed")
        assert record["start_time"] == call["made_at"]
        assert record["duration"] == str(call["duration"])
        end = datetime.fromisoformat(call["made_at"].replace("Z", "+00:00")) + timedelta(seconds=call["duration"])
        assert record["end_time"] == end.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert record["phone_numbers"] == [{"number": call["phone_number"]}]
        assert record["owner"] == {"id": str(call["user_id"])}


def test_a_note_create_and_update_as_sell_receives_them(gateway, ctl):
    person = next(c for c in ctl.records("accounts") if not c["is_organization"])
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={"content": "Line one\n<b>two</b>",
                                                  "contact": [{"id": str(person["id"])}]}, resource="notes")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/v2/notes")
    assert post["body"] == {"data": {"content": "Line one\n<b>two</b>", "resource_type": "contact",
                                     "resource_id": person["id"]}}
    note = created.json()
    assert note["content"] == "Line one\n<b>two</b>" and note["contact"] == [{"id": str(person["id"])}]

    deal = ctl.records("opportunities")[0]
    ctl.clear_requests()
    moved = gateway.unified("PATCH", NAME, note["id"], json={
        "content": "On the deal", "remote_data": {"data": {"resource_type": "deal", "resource_id": deal["id"]}}},
        resource="notes")
    assert moved.status_code == 200, moved.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"data": {"content": "On the deal", "resource_type": "deal", "resource_id": deal["id"]}}
    assert moved.json()["opportunity"] == [{"id": str(deal["id"])}] and "contact" not in moved.json()


def test_a_note_on_an_organisation_reads_as_the_account(gateway, ctl):
    org = next(c for c in ctl.records("accounts") if c["is_organization"])
    created = gateway.unified("POST", NAME, json={"content": "Company note", "remote_data": {
        "data": {"resource_type": "contact", "resource_id": org["id"]}}}, resource="notes")
    assert created.status_code == 200, created.text
    assert created.json()["account"] == {"id": str(org["id"])} and "contact" not in created.json()
    found = gateway.unified("GET", NAME, params={"account[id]": str(org["id"]), "limit": 100}, resource="notes")
    assert created.json()["id"] in [r["id"] for r in found.json()["result"]]
    assert all(r["account"] == {"id": str(org["id"])} for r in found.json()["result"])


def test_a_note_written_on_the_account_or_on_the_deal_as_sell_receives_them(gateway, ctl):
    """One parent per note: the account is a contact that is an organisation, the deal resource_type deal
    (https://developer.zendesk.com/api-reference/sales-crm/resources/notes/)."""
    org = next(c for c in ctl.records("accounts") if c["is_organization"])
    deal = ctl.records("opportunities")[0]
    ctl.clear_requests()
    on_org = gateway.unified("POST", NAME, json={"content": "For the firm", "account": {"id": str(org["id"])}},
                             resource="notes")
    assert on_org.status_code == 200, on_org.text
    assert [r for r in ctl.requests() if r["method"] == "POST"][-1]["body"] == {"data": {
        "content": "For the firm", "resource_type": "contact", "resource_id": org["id"]}}
    assert on_org.json()["account"] == {"id": str(org["id"])} and "contact" not in on_org.json()
    on_deal = gateway.unified("POST", NAME, json={"content": "For the deal", "opportunity": [{"id": str(deal["id"])}]},
                              resource="notes")
    assert on_deal.status_code == 200, on_deal.text
    assert [r for r in ctl.requests() if r["method"] == "POST"][-1]["body"] == {"data": {
        "content": "For the deal", "resource_type": "deal", "resource_id": deal["id"]}}
    assert on_deal.json()["opportunity"] == [{"id": str(deal["id"])}]
    moved = gateway.unified("PATCH", NAME, on_deal.json()["id"], json={"lead": [{"id": "50001"}]}, resource="notes")
    assert moved.status_code == 200, moved.text
    assert [r for r in ctl.requests() if r["method"] == "PUT"][-1]["body"] == {"data": {
        "resource_type": "lead", "resource_id": 50001}}
    assert moved.json()["lead"] == [{"id": "50001"}] and "opportunity" not in moved.json()


def test_a_task_create_and_completion_as_sell_receives_them(gateway, ctl):
    person = next(c for c in ctl.records("accounts") if not c["is_organization"])
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={
        "content": "Call Tom", "owner": {"id": "2127"}, "contact": [{"id": str(person["id"])}],
        "due_date": "2027-03-31T17:00:00+02:00", "status": "open"}, resource="tasks")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"data": {"content": "Call Tom", "owner_id": 2127, "resource_type": "contact",
                                     "resource_id": person["id"], "due_date": "2027-03-31T15:00:00Z",
                                     "completed": False}}
    task = created.json()
    assert task["due_date"] == "2027-03-31T15:00:00Z" and task["status"] == "open" and "completed_at" not in task
    done = gateway.unified("PATCH", NAME, task["id"], json={"status": "completed"}, resource="tasks")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["completed_at"]
    reopened = gateway.unified("PATCH", NAME, task["id"], json={"status": "open"}, resource="tasks")
    assert reopened.json()["status"] == "open" and "completed_at" not in reopened.json()


def test_task_filters_ask_sell(gateway, ctl):
    deal_task = next(t for t in ctl.records("tasks") if t["resource_type"] == "deal")
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"opportunity[id]": str(deal_task["resource_id"]), "status": "open",
                                                 "owner[id]": str(deal_task["owner_id"])}, resource="tasks")
    assert found.status_code == 200, found.text
    query = dict(next(r for r in ctl.requests() if r["path"].endswith("/v2/tasks"))["query_params"])
    assert query["resource_type"] == "deal" and query["resource_id"] == str(deal_task["resource_id"])
    assert query["completed"] == "false" and query["owner_id"] == str(deal_task["owner_id"])
    assert all(r["status"] == "open" for r in found.json()["result"])


def test_a_call_logged_with_a_contact_and_deals_is_found_through_each_filter(gateway, ctl):
    person = next(c for c in ctl.records("accounts") if not c["is_organization"])
    deals = [d["id"] for d in ctl.records("opportunities")[:2]]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={
        "engagement_type": "call", "content": "Pricing call", "direction": "inbound", "owner": {"id": "2135"},
        "start_time": "2027-01-15T11:00:00+01:00", "end_time": "2027-01-15T10:12:30Z",
        "contact": [{"id": str(person["id"])}], "opportunity": [{"id": str(d)} for d in deals],
        "phone_numbers": [{"number": "+1 415 555 0199"}]}, resource="engagements")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"data": {"summary": "Pricing call", "incoming": True, "user_id": 2135,
                                     "made_at": "2027-01-15T10:00:00Z", "duration": 750, "resource_type": "contact",
                                     "resource_id": person["id"], "associated_deal_ids": deals,
                                     "phone_number": "+1 415 555 0199"}}
    call = created.json()
    assert call["duration"] == "750" and call["end_time"] == "2027-01-15T10:12:30Z"
    for params in ({"contact[id]": str(person["id"])}, {"opportunity[id]": str(deals[1])},
                   {"contact[][id]": str(person["id"]), "opportunity[id]": str(deals[0])}):
        found = gateway.unified("GET", NAME, params={**params, "limit": 100}, resource="engagements")
        assert found.status_code == 200, found.text
        assert call["id"] in [r["id"] for r in found.json()["result"]], params
    by_deal = gateway.unified("GET", NAME, params={"opportunity[id]": str(deals[1]), "limit": 100},
                              resource="engagements").json()["result"]
    assert all({"id": str(deals[1])} in r["opportunity"] for r in by_deal)   # dropped on the gateway's side
    mine = gateway.unified("GET", NAME, params={"owner[id]": "2135", "limit": 100}, resource="engagements").json()
    assert call["id"] in [r["id"] for r in mine["result"]] and {r["owner"]["id"] for r in mine["result"]} == {"2135"}


def test_a_call_update_measures_an_end_time_from_its_start(gateway, ctl):
    call = ctl.records("engagements")[0]
    ctl.clear_requests()
    start = datetime.fromisoformat(call["made_at"].replace("Z", "+00:00"))
    end = (start + timedelta(seconds=95)).strftime("%Y-%m-%dT%H:%M:%SZ")
    updated = gateway.unified("PATCH", NAME, str(call["id"]), json={"end_time": end}, resource="engagements")
    assert updated.status_code == 200, updated.text
    assert next(r for r in ctl.requests() if r["method"] == "PUT")["body"] == {"data": {"duration": 95}}
    assert updated.json()["duration"] == "95" and updated.json()["end_time"] == end


def test_sell_takes_only_calls_and_a_note_with_several_contacts_is_refused(gateway, ctl):
    meeting = gateway.unified("POST", NAME, json={"engagement_type": "meeting", "content": "x"}, resource="engagements")
    assert meeting.status_code == 400 and "call" in meeting.json()["message"]
    persons = [str(c["id"]) for c in ctl.records("accounts") if not c["is_organization"]][:2]
    ctl.clear_requests()
    two = gateway.unified("POST", NAME, json={"content": "x", "contact": [{"id": p} for p in persons]}, resource="notes")
    assert two.status_code == 400 and not [r for r in ctl.requests() if r["method"] == "POST"]


def test_lead_and_account_filters_ask_sell_for_the_parent(gateway, ctl):
    for resource, stored in (("notes", ctl.records("notes")), ("engagements", ctl.records("engagements"))):
        lead_id = next(r["resource_id"] for r in stored if r["resource_type"] == "lead")
        ctl.clear_requests()
        found = gateway.unified("GET", NAME, params={"lead[id]": str(lead_id), "limit": 100}, resource=resource)
        assert found.status_code == 200, found.text
        assert found.json()["result"] and all(r["lead"] == [{"id": str(lead_id)}] for r in found.json()["result"])
        query = dict(next(r for r in ctl.requests() if "/v2/contacts" not in r["path"])["query_params"])
        assert (query["resource_type"], query["resource_id"]) == ("lead", str(lead_id))
    orgs = organizations(ctl)
    org_call = next(c for c in ctl.records("engagements") if c["resource_id"] in orgs)
    found = gateway.unified("GET", NAME, params={"account[id]": str(org_call["resource_id"]), "limit": 100},
                            resource="engagements").json()["result"]
    assert str(org_call["id"]) in [r["id"] for r in found]
    assert all(r["account"] == {"id": str(org_call["resource_id"])} for r in found)


# -- updated_at lower bounds: newest first, ending at the first record past the bound ----------------------------
# Sell's v2 notes and tasks lists take no time filter but sort by `sort_by=updated_at[:desc]`
# (https://developer.zendesk.com/api-reference/sales-crm/resources/notes/ , .../tasks/).

def v2_lists(ctl, resource: str) -> list[dict]:
    return [dict(r["query_params"]) for r in ctl.requests() if r["method"] == "GET" and r["path"].endswith(f"/v2/{resource}")]


@pytest.mark.parametrize("resource", ["notes", "tasks"])
def test_a_lower_bound_lists_exactly_the_records_changed_since_newest_first(gateway, ctl, resource):
    seeded = sorted(ctl.records(resource), key=lambda r: r["updated_at"])
    bound = seeded[-4]["updated_at"]          # three seeded records after it, one on it
    deal = ctl.records("opportunities")[0]["id"]
    created = gateway.unified("POST", NAME, json={"content": "Since", "opportunity": [{"id": str(deal)}]},
                              resource=resource)
    assert created.status_code == 200, created.text
    changed = gateway.unified("PATCH", NAME, str(seeded[0]["id"]), json={"content": "Changed"}, resource=resource)
    assert changed.status_code == 200, changed.text
    stored = ctl.records(resource)
    for operator, keep in (("gte", lambda t: t >= bound), ("gt", lambda t: t > bound)):
        expected = {str(r["id"]) for r in stored if keep(r["updated_at"])}
        ctl.clear_requests()
        found = [r for page in list_all(gateway, NAME, limit=2, resource=resource,
                                        params={f"updated_at[{operator}]": bound}) for r in page]
        assert {r["id"] for r in found} == expected and len(found) == len(expected)
        assert {created.json()["id"], str(seeded[0]["id"])} <= expected
        assert (str(seeded[-4]["id"]) in expected) == (operator == "gte")   # the record on the bound
        stamps = [r["updated_at"] for r in found]
        assert stamps == sorted(stamps, reverse=True)
        sent = v2_lists(ctl, resource)
        # newest first, one list call per page up to the first page holding an older record: never the whole list
        assert all(q["sort_by"] == "updated_at:desc" and q["per_page"] == "2" for q in sent)
        assert [q["page"] for q in sent] == [str(n) for n in range(1, len(expected) // 2 + 2)]


@pytest.mark.parametrize("resource", ["notes", "tasks"])
def test_what_the_bound_cannot_take_is_refused_before_sell_is_called(gateway, ctl, resource):
    ctl.clear_requests()
    for params in ({"updated_at[gte]": "2026-01-01T00:00:00Z", "sort_by[updated_at]": "asc"},
                   {"updated_at[lt]": "2026-01-01T00:00:00Z"}, {"updated_at[lte]": "2026-01-01T00:00:00Z"},
                   {"created_at[gte]": "2026-01-01T00:00:00Z"}):
        answer = gateway.unified("GET", NAME, params=params, resource=resource)
        assert answer.status_code == 400, (params, answer.text)
    assert v2_lists(ctl, resource) == []
    sorted_only = gateway.unified("GET", NAME, params={"sort_by[updated_at]": "desc"}, resource=resource)
    assert sorted_only.status_code == 200, sorted_only.text
    assert v2_lists(ctl, resource)[-1]["sort_by"] == "updated_at:desc"


@pytest.mark.parametrize("resource", ["notes", "tasks"])
def test_a_page_of_hostile_modification_times_keeps_only_the_records_past_the_bound(resource):
    """A record whose updated_at is not a readable time (a number, null, missing, text) is not past the bound: the
    page keeps the others and comes back short, so the list ends there (though Sell names a next page) rather
    than failing or reading on."""
    method = load_integration(INTEGRATIONS_DIR / "zendesk_sell").resource_method(resource, "list")
    since = "2024-05-01T10:00:00Z"
    items = [{"data": {"id": 1, "updated_at": since}}, {"data": {"id": 2, "updated_at": 1_800_000_000}},
             {"data": {"id": 3, "updated_at": None}}, {"data": {"id": 4}}, {"data": {"id": 5, "updated_at": "soon"}},
             {"data": {"id": 6, "updated_at": "2024-05-01T09:59:59Z"}},
             {"data": {"id": 7, "updated_at": "2024-05-01T12:00:00+02:00"}},
             {"data": {"id": 8, "updated_at": "2024-05-01T10:00:00.500Z"}}]
    response = {"items": items, "meta": {"links": {"next_page": "https://api.getbase.com/v2/x?page=2"}}}

    def kept(query: dict) -> list[int]:
        return [r["id"] for r in method.records.evaluate({"response": response, "headers": {}, "query": query})]

    def more(count: int) -> bool:
        return method.pagination.has_more.evaluate({"response": response, "headers": {}, "page": 1, "limit": 8,
                                                    "count": count})

    assert kept({"updated_at": {"gte": since}}) == [1, 7, 8]   # 7 is the bound's instant in another zone
    assert kept({"updated_at": {"gt": since}}) == [8]
    assert kept({}) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert more(8) and not more(3)   # a page the bound shortened is the last one read
