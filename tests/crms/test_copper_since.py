"""Copper's `updated_at` lower bound on crm/accounts and crm/contacts (docs/api.md, the Copper paragraph of "List
filters").

Copper documents minimum_modified_date on its leads, opportunities, projects and tasks searches, not on
https://developer.copper.com/companies/list-companies-search.html or
https://developer.copper.com/people/list-people-search.html; whether those searches apply, refuse (422) or ignore
it is unverified (the emulator's `search_modified_dates` switch). So the gateway sends none there: the search
reads newest first (sort_by date_modified, documented for both), each page keeps the records at or past the bound,
and the first page holding an older record ends the list. Checked under each switch value against the emulator's
own records: exactly the records changed since the bound, what Copper was sent, how many searches it took, gt and
gte at the boundary, and the refusals.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import list_all

from unigate.engine.spec import INTEGRATIONS_DIR, load_integration

NAME = "copper"
SWITCH_VALUES = ("applied", "refused", "ignored")
# unified resource -> (the emulator's records, Copper's search entity, a body to create one, a field to change)
RESOURCES = {
    "accounts": ("accounts", "companies", {"name": "Since Co"}, "name"),
    "contacts": ("contacts", "people", {"name": "Since Person"}, "title"),
}


def stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def searches(ctl, entity: str) -> list[dict]:
    """The body of each POST /<entity>/search the emulator received."""
    return [r["body"] for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith(f"/{entity}/search")]


def write(gateway, resource: str, existing: str) -> set[str]:
    """Creates one record and changes `existing` through the gateway; their ids."""
    _, _, body, field = RESOURCES[resource]
    created = gateway.unified("POST", NAME, json=body, resource=resource)
    assert created.status_code == 200, created.text
    changed = gateway.unified("PATCH", NAME, existing, json={field: f"Changed {existing}"}, resource=resource)
    assert changed.status_code == 200, changed.text
    return {created.json()["id"], existing}


@pytest.mark.parametrize("switch", SWITCH_VALUES)
@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_a_lower_bound_lists_exactly_the_records_changed_since_newest_first(gateway, ctl, resource, switch):
    records, entity, _, _ = RESOURCES[resource]
    ctl.switch(search_modified_dates=switch)
    seeded = sorted(ctl.records(records), key=lambda r: r["date_modified"])
    bound = seeded[-4]["date_modified"]          # three seeded records after it, one on it
    written = write(gateway, resource, str(seeded[0]["id"]))   # the oldest one changed: now past the bound
    stored = ctl.records(records)
    for operator, keep in (("gte", lambda m: m >= bound), ("gt", lambda m: m > bound)):
        expected = {str(r["id"]) for r in stored if keep(r["date_modified"])}
        ctl.clear_requests()
        pages = list_all(gateway, NAME, limit=2, resource=resource, params={f"updated_at[{operator}]": stamp(bound)})
        found = [r for page in pages for r in page]
        assert [r["id"] for r in found if r["id"] in expected] == [r["id"] for r in found], "an older record came back"
        assert {r["id"] for r in found} == expected and len(found) == len(expected)
        assert written <= expected
        assert (str(seeded[-4]["id"]) in expected) == (operator == "gte")   # the record on the bound
        stamps = [r["updated_at"] for r in found]
        assert stamps == sorted(stamps, reverse=True)
        sent = searches(ctl, entity)
        # Newest first, no modified-date key (Copper may refuse it there), and one search per page up to the
        # first page holding an older record: never the whole list.
        assert all(b["sort_by"] == "date_modified" and b["sort_direction"] == "desc" for b in sent)
        assert not any({"minimum_modified_date", "maximum_modified_date"} & set(b) for b in sent)
        assert [b["page_number"] for b in sent] == list(range(1, len(expected) // 2 + 2))
        assert all(b["page_size"] == 2 for b in sent)


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_a_bound_on_an_unchanged_list_reads_one_page(gateway, ctl, resource):
    records, entity, _, _ = RESOURCES[resource]
    newest = max(r["date_modified"] for r in ctl.records(records))
    ctl.clear_requests()
    answer = gateway.unified("GET", NAME, params={"updated_at[gt]": stamp(newest), "limit": 50}, resource=resource)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == [] and answer.json()["next_cursor"] is None
    assert len(searches(ctl, entity)) == 1


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_a_bound_with_a_created_at_bound_sends_both_ways(gateway, ctl, resource):
    records, entity, _, _ = RESOURCES[resource]
    stored = sorted(ctl.records(records), key=lambda r: r["date_modified"])
    since, created = stored[-6]["date_modified"], stored[-3]["date_created"]
    ctl.clear_requests()
    found = {r["id"] for page in list_all(gateway, NAME, limit=50, resource=resource,
                                          params={"updated_at[gte]": stamp(since), "created_at[lte]": stamp(created)})
             for r in page}
    assert found == {str(r["id"]) for r in stored if r["date_modified"] >= since and r["date_created"] <= created}
    body = searches(ctl, entity)[0]
    assert body["maximum_created_date"] == created and body["sort_by"] == "date_modified"


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_what_the_bound_cannot_take_is_refused_before_copper_is_called(gateway, ctl, resource):
    _, entity, _, _ = RESOURCES[resource]
    ctl.clear_requests()
    sorted_too = gateway.unified("GET", NAME, resource=resource,
                                 params={"updated_at[gte]": "2026-01-01T00:00:00Z", "sort_by[name]": "asc"})
    assert sorted_too.status_code == 400, sorted_too.text
    body = sorted_too.json()
    assert "`updated_at`, `sort_by`" in body["message"]
    assert body["truto_error_insight"]["exclusive_filters"]["value"] == ["updated_at", "sort_by"]
    for operator in ("lte", "lt"):
        upper = gateway.unified("GET", NAME, resource=resource, params={f"updated_at[{operator}]": "2026-01-01T00:00:00Z"})
        assert upper.status_code == 400, upper.text
        assert f"with {operator}" in upper.json()["message"] and "gte, gt" in upper.json()["message"]
    assert searches(ctl, entity) == []


@pytest.mark.parametrize("entity", ["companies", "people"])
def test_a_page_of_hostile_modification_times_keeps_only_the_records_past_the_bound(entity):
    """A record whose date_modified is not a number (text, null, missing, a list) is not past the bound: the page
    keeps the others, and comes back short, so the list ends there rather than failing or reading on."""
    method = load_integration(INTEGRATIONS_DIR / "copper").resource_method(entity, "list")
    since = 1_700_000_000
    page = [{"id": 1, "date_modified": since}, {"id": 2, "date_modified": str(since + 5)},
            {"id": 3, "date_modified": None}, {"id": 4}, {"id": 5, "date_modified": [since + 9]},
            {"id": 6, "date_modified": since - 1}, {"id": 7, "date_modified": since + 0.5}]
    kept = method.records.evaluate({"response": page, "headers": {}, "query": {"updated_at": {"gte": stamp(since)}}})
    assert [r["id"] for r in kept] == [1, 7]
    kept = method.records.evaluate({"response": page, "headers": {}, "query": {"updated_at": {"gt": stamp(since)}}})
    assert [r["id"] for r in kept] == [7]   # past the bound, though Copper stamps whole seconds
    assert method.records.evaluate({"response": page, "headers": {}, "query": {}}) == page
