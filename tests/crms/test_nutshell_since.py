"""Nutshell's `updated_at` lower bound through its events feed (docs/api.md "Nutshell: changed since").

Nutshell's REST lists have no modification-time filter, so `updated_at[gte|gt]=T` on crm/accounts, crm/contacts,
crm/leads and crm/opportunities reads GET /rest/events since T for the record type, then the records each page of
events names, in one list by id (`filter[id][]`). Checked here against the emulator's own records and change log:
exactly the records written since the bound come back, deleted ones do not, what Nutshell was sent, the
combinations refused before Nutshell is called, and both ways of each switch the feed's open questions have.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from support import list_all

NAME = "nutshell"
# unified resource -> (Nutshell's record type, the emulator's records, a body to create one, a field to rename)
RESOURCES = {
    "accounts": ("accounts", "accounts", {"name": "Since Co"}, "name"),
    "contacts": ("contacts", "contacts", {"first_name": "Since", "last_name": "Person"}, "first_name"),
    "leads": ("leads", "opportunities", {"name": "Since lead"}, "name"),
    "opportunities": ("leads", "opportunities", {"name": "Since deal"}, "name"),
}


def next_whole_second() -> datetime:
    """Waits past the next whole second and returns it (Nutshell's event times are whole seconds)."""
    now = time.time()
    time.sleep(int(now) + 1 - now + 0.05)
    return datetime.fromtimestamp(int(now) + 1, tz=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def listed(gateway, resource: str, limit: int = 50, **params) -> list[str]:
    return [r["id"] for page in list_all(gateway, NAME, limit=limit, resource=resource, params=params) for r in page]


def live_ids(ctl, records: str) -> set[str]:
    return {r["id"] for r in ctl.records(records) if r.get("deletedTime") is None}


def changed_since(ctl, kind: str, records: str, since: int) -> set[str]:
    """The live records the emulator's change log has an event for after `since` (unix seconds)."""
    logged = {i for e in ctl.records("events") if e["payloadType"] == kind and e["createdTime"] > since
              for i in e["links"]["payloads"]}
    return logged & live_ids(ctl, records)


def write(gateway, resource: str, existing: str) -> set[str]:
    """Creates one record and renames `existing`; their ids."""
    _, _, body, field = RESOURCES[resource]
    created = gateway.unified("POST", NAME, json=body, resource=resource)
    assert created.status_code == 200, created.text
    renamed = gateway.unified("PATCH", NAME, existing, json={field: f"Renamed {existing}"}, resource=resource)
    assert renamed.status_code == 200, renamed.text
    return {created.json()["id"], existing}


@pytest.mark.parametrize("resource", sorted(RESOURCES))
@pytest.mark.parametrize("operator", ["gte", "gt"])
def test_the_bound_lists_exactly_the_records_changed_since(gateway, ctl, resource, operator):
    kind, records, _, _ = RESOURCES[resource]
    existing = sorted(live_ids(ctl, records), key=lambda i: int(i.split("-")[0]))
    since = next_whole_second()
    wanted = write(gateway, resource, existing[3])
    bound = since if operator == "gte" else since - timedelta(seconds=1)
    ctl.clear_requests()
    found = listed(gateway, resource, **{f"updated_at[{operator}]": stamp(bound)})
    assert sorted(found) == sorted(wanted)
    assert set(found) == changed_since(ctl, kind, records, int(since.timestamp()) - 1)
    # What Nutshell was sent: the events feed since the second before the bound's (events "after" it), for the
    # one record type, then the records its page names, by id.
    sent = ctl.requests()
    feed = [dict(r["query_params"]) for r in sent if r["path"].endswith("/rest/events")]
    assert feed[0] == {"since_time": str(int(since.timestamp()) - 1), "filters[payload][]": kind, "limit": "20"}
    reads = [r for r in sent if r["path"].endswith(f"/rest/{kind}")]
    assert len(reads) == 1
    assert sorted(v for k, v in reads[0]["query_params"] if k == "filter[id][]") == sorted(wanted)
    assert ["page[limit]", "2"] in reads[0]["query_params"]


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_from_long_ago_every_live_record_comes_back_as_the_plain_list_has_it(gateway, ctl, resource):
    _, records, _, _ = RESOURCES[resource]
    plain = {r["id"]: r for page in list_all(gateway, NAME, limit=50, resource=resource) for r in page}
    ctl.clear_requests()
    since = [r for page in list_all(gateway, NAME, limit=50, resource=resource,
                                    params={"updated_at[gte]": "1960-01-01T00:00:00Z"}) for r in page]
    feed = [dict(r["query_params"]) for r in ctl.requests() if r["path"].endswith("/rest/events")]
    assert {q["since_time"] for q in feed} == {"0"}   # Nutshell's times start at 1970
    assert len(since) == len({r["id"] for r in since}) == len(live_ids(ctl, records))
    assert {r["id"]: r for r in since} == plain


def test_pages_follow_the_feed_back_by_event_id(gateway, ctl):
    """20 events a page, newest first; the next page asks for the ids below the oldest one (max_id includes it),
    and a page of fewer than 20 events, or one ending at the first event, is the last."""
    newest_first = sorted((e for e in ctl.records("events") if e["payloadType"] == "accounts"),
                          key=lambda e: int(e["id"].split("-")[0]), reverse=True)
    ctl.clear_requests()
    pages = list_all(gateway, NAME, limit=50, params={"updated_at[gt]": "2000-01-01T00:00:00Z"})
    assert [len(p) for p in pages] == [20, 20, 20]
    assert newest_first[-1]["id"] == "1-events"   # the seed's first record: no page below it
    for number, page in enumerate(pages[:3]):
        assert {r["id"] for r in page} == {e["links"]["payloads"][0] for e in newest_first[20 * number: 20 * number + 20]}
    feed = [dict(r["query_params"]) for r in ctl.requests() if r["path"].endswith("/rest/events")]
    below = [f"{int(newest_first[n]['id'].split('-')[0]) - 1}-events" for n in (19, 39)]
    assert [q.get("max_id") for q in feed] == [None, *below]


def test_a_record_changed_twice_on_two_pages_comes_back_on_each(gateway, ctl):
    """The feed is read a page at a time, so a record whose changes fall on two pages is on both (docs/api.md)."""
    since = next_whole_second()
    gateway.unified("PATCH", NAME, "1-accounts", json={"name": "First change"})
    for number in range(2, 22):
        assert gateway.unified("PATCH", NAME, f"{number}-accounts", json={"name": f"Change {number}"}).status_code == 200
    gateway.unified("PATCH", NAME, "1-accounts", json={"name": "Second change"})
    pages = list_all(gateway, NAME, limit=50, params={"updated_at[gte]": stamp(since)})
    ids = [r["id"] for p in pages for r in p]
    assert ids.count("1-accounts") == 2 and len(set(ids)) == 21
    assert all(len(p) == len({r["id"] for r in p}) for p in pages)


@pytest.mark.parametrize("resource", ["contacts", "opportunities"])
def test_a_deleted_record_is_not_listed_whichever_feed_logs_its_delete(gateway, ctl, resource):
    """A delete is in /events/deleted (and, switch events_list_deletes, maybe in /events too); the list by id
    answers live records only, so a record deleted since the bound is left out (the unified list has no tombstones)."""
    _, records, _, field = RESOURCES[resource]
    for logs_deletes in (False, True):
        ctl.switch(events_list_deletes=logs_deletes)
        target, kept = sorted(live_ids(ctl, records), key=lambda i: int(i.split("-")[0]))[5:7]
        since = next_whole_second()
        assert gateway.unified("PATCH", NAME, target, json={field: "About to go"}, resource=resource).status_code == 200
        assert gateway.unified("PATCH", NAME, kept, json={field: "Stays"}, resource=resource).status_code == 200
        assert gateway.unified("DELETE", NAME, target, resource=resource).status_code == 200
        assert listed(gateway, resource, **{"updated_at[gte]": stamp(since)}) == [kept]
        deleted = [e for e in ctl.records("events") if e["action"] == "delete" and target in e["links"]["payloads"]]
        assert len(deleted) == (1 if logs_deletes else 0)


@pytest.mark.parametrize(("switch", "value"), [("events_since_time_inclusive", True), ("events_max_limit", 10_000)])
def test_the_answer_is_the_same_either_way_the_feed_behaves(gateway, ctl, switch, value):
    since = next_whole_second()
    wanted = write(gateway, "contacts", "7-contacts")
    ctl.switch(**{switch: value})
    assert sorted(listed(gateway, "contacts", **{"updated_at[gte]": stamp(since)})) == sorted(wanted)
    # 7-contacts' creation and rename are on different pages of the feed: it comes back twice
    everything = listed(gateway, "contacts", limit=50, **{"updated_at[gt]": "2000-01-01T00:00:00Z"})
    assert set(everything) == live_ids(ctl, "contacts") and len(everything) == len(live_ids(ctl, "contacts")) + 1


def test_other_filters_narrow_the_read_by_id(gateway, ctl):
    since = next_whole_second()
    wanted = write(gateway, "contacts", "4-contacts")
    created = next(i for i in wanted if i != "4-contacts")
    ctl.clear_requests()
    found = listed(gateway, "contacts", **{"updated_at[gte]": stamp(since), "created_at[gte]": stamp(since)})
    assert found == [created]
    read = next(r for r in ctl.requests() if r["path"].endswith("/rest/contacts"))
    assert dict(read["query_params"])["filter[createdTime]"].startswith(since.strftime("%Y-%m-%dT%H:%M:%S") + " TO ")
    email = next(c for c in ctl.records("contacts") if c["id"] == "4-contacts")["emails"][0]["value"]
    assert listed(gateway, "contacts", **{"updated_at[gte]": stamp(since), "email_addresses": email}) == ["4-contacts"]


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_a_sorted_or_upper_bounded_list_since_is_refused_before_nutshell_is_called(gateway, ctl, resource):
    kind = RESOURCES[resource][0]
    ctl.clear_requests()
    sorted_ = gateway.unified("GET", NAME, resource=resource,
                              params={"updated_at[gte]": "2026-01-01T00:00:00Z", "sort_by[name]": "asc"})
    assert sorted_.status_code == 400, sorted_.text
    assert "updated_at cannot be combined with sort_by" in sorted_.json()["message"]
    upper = gateway.unified("GET", NAME, resource=resource, params={"updated_at[lt]": "2026-01-01T00:00:00Z"})
    assert upper.status_code == 400, upper.text
    assert "updated_at" in upper.json()["message"] and "gte, gt" in upper.json()["message"]
    assert not [r for r in ctl.requests() if r["path"].endswith(("/rest/events", f"/rest/{kind}"))]


def test_the_feed_refuses_what_it_cannot_read(ctl):
    """The emulator's /rest/events: a bounded 400 in Nutshell's error envelope for a bad time, id, limit or type."""
    import requests as http

    auth = ("api-user@sandbox-nutshell.example", "sandbox-nutshell-key")
    for query in ({"since_time": "yesterday"}, {"max_id": "12-accounts"}, {"limit": "0"}, {"limit": "x" * 5000},
                  {"filters[payload][]": "planets"}):
        answer = http.get(f"{ctl.url}/rest/events", params=query, auth=auth, timeout=5)
        assert answer.status_code == 400, query
        assert answer.json()["errors"][0]["title"] == "Invalid filter"
    page = http.get(f"{ctl.url}/rest/events", params={"limit": "3", "filters[payload][]": "leads"}, auth=auth,
                    timeout=5).json()
    assert [e["payloadType"] for e in page["events"]] == ["leads"] * 3
    assert page["meta"]["previous"].endswith(f"max_id={page['events'][-1]['id']}"
                                             f"&max_time={page['events'][-1]['createdTime']}")
    assert {p["id"] for p in page["payloads"]} == {e["links"]["payloads"][0] for e in page["events"]}


def test_truto_python_sdk_lists_what_changed_since(gateway, ctl):
    """Truto's Python SDK (https://github.com/trutohq/truto-python-sdk) sends `{"updated_at": {"gte": …}}` as
    `updated_at[gte]=…` and pages through the answer by next_cursor: the records written since, and from long ago
    every live record (some twice: a record is listed once per page of events naming it)."""
    import asyncio

    truto = pytest.importorskip("truto_python_sdk")
    since = next_whole_second()
    wanted = write(gateway, "opportunities", "1010-leads")

    async def listed_by_sdk(bound: str) -> list[str]:
        client = truto.TrutoApi(token=gateway.token, base_url=gateway.url)
        query = {"integrated_account_id": gateway.accounts[NAME], "limit": 7, "updated_at": {"gte": bound}}
        return [record["id"] async for record in client.unified_api.list("crm", "opportunities", query)]

    assert sorted(asyncio.run(listed_by_sdk(stamp(since)))) == sorted(wanted)
    assert set(asyncio.run(listed_by_sdk("2000-01-01T00:00:00Z"))) == live_ids(ctl, "opportunities")


def test_a_deal_moved_to_another_pipeline_comes_back_once(gateway, ctl):
    """Moving a deal to a stage of another pipeline is two writes, so two events (a recorded-shape `stagechange`
    from POST /leads/{id}/stageset, then the update): one page of events names the deal twice, it is listed once."""
    lead = next(x for x in ctl.records("opportunities") if x["id"] == "1004-leads")
    stage = next(s for s in ctl.records("stages") if s["links"]["stageset"] != lead["links"]["stageset"])
    since = next_whole_second()
    moved = gateway.unified("PATCH", NAME, lead["id"], json={"stage": {"id": stage["id"]}}, resource="opportunities")
    assert moved.status_code == 200, moved.text
    logged = [e for e in ctl.records("events") if lead["id"] in e["links"]["payloads"] and e["createdTime"] >= since.timestamp()]
    assert [e["action"] for e in logged] == ["stagechange", "update"]
    assert logged[0]["changes"][0]["attribute"] == "stage"
    assert listed(gateway, "opportunities", **{"updated_at[gte]": stamp(since)}) == [lead["id"]]


def test_a_forged_cursor_and_the_deletion_feed(gateway, ctl):
    """A next_cursor naming no event id reaches Nutshell's own 400 (never a 500); a delete is in /events/deleted,
    newest first with sort=-change_time."""
    import base64

    import orjson
    import requests as http

    forged = base64.urlsafe_b64encode(orjson.dumps({"p": "../1-accounts"})).rstrip(b"=").decode()
    answer = gateway.unified("GET", NAME, params={"updated_at[gte]": "2000-01-01T00:00:00Z", "next_cursor": forged})
    assert answer.status_code == 400, answer.text
    assert "max_id must be an event id" in answer.json()["message"]
    for contact_id in ("2-contacts", "3-contacts"):
        assert gateway.unified("DELETE", NAME, contact_id, resource="contacts").status_code == 200
    deleted = http.get(f"{ctl.url}/rest/events/deleted", params={"filter[types]": "contacts", "sort": "-change_time"},
                       auth=("api-user@sandbox-nutshell.example", "sandbox-nutshell-key"), timeout=5).json()
    assert [(e["action"], e["links"]["payloads"]) for e in deleted["events"]] == [
        ("delete", ["3-contacts"]), ("delete", ["2-contacts"])]
