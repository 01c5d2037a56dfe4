"""Zendesk Sell's time-bounded and sorted lists through the gateway: a list with `updated_at`/`created_at`
bounds or `sort_by` runs through Sell's v3 Search API (POST /v3/{index}/search,
https://developer.zendesk.com/api-reference/sales-crm/search/query-language), which answers ids, and each page
is read whole through the v2 list's `ids=` filter, so the records are the unfiltered list's. Checked against the
records the emulator stores and the requests Sell received; what Sell cannot combine is a 400 before any call."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs

import pytest
from support import list_all

NAME = "zendesk_sell"
# unified resource -> (search index, v2 list path, the emulator's records and which of them the resource holds)
RESOURCES = {
    "accounts": ("contacts", "/v2/contacts", "accounts", lambda r: r["is_organization"]),
    "contacts": ("contacts", "/v2/contacts", "accounts", lambda r: not r["is_organization"]),
    "opportunities": ("deals", "/v2/deals", "opportunities", lambda r: True),
    "leads": ("leads", "/v2/leads", "leads", lambda r: True),
}
KIND_CLAUSE = {"accounts": [{"filter": {"attribute": {"name": "is_organisation"}, "parameter": {"eq": True}}}],
               "contacts": [{"filter": {"attribute": {"name": "is_organisation"}, "parameter": {"eq": False}}}]}


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def held(ctl, resource: str) -> list[dict]:
    _, _, records, keep = RESOURCES[resource]
    return [r for r in ctl.records(records) if keep(r)]


def searches(ctl, index: str) -> list[dict]:
    return [r["body"] for r in ctl.requests() if r["method"] == "POST" and r["path"].endswith(f"/v3/{index}/search")]


def id_reads(ctl, path: str) -> list[dict]:
    return [parse_qs(r["query"]) for r in ctl.requests() if r["method"] == "GET" and r["path"].endswith(path)]


def every(gateway, resource: str, params: dict | None = None, limit: int = 7) -> list[dict]:
    return [record for page in list_all(gateway, NAME, limit=limit, params=params, resource=resource)
            for record in page]


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_an_updated_at_bound_lists_exactly_the_matching_records_as_the_plain_list_reads_them(gateway, ctl, resource):
    index, path, _, _ = RESOURCES[resource]
    stored = held(ctl, resource)
    bound = sorted(r["updated_at"] for r in stored)[len(stored) // 2]
    plain = {r["id"]: r for r in every(gateway, resource, limit=100)}
    ctl.clear_requests()
    found = every(gateway, resource, {"updated_at[gte]": bound})
    # Sell's search orders by id when no sort is asked for (the emulator's default)
    expected = sorted(r["id"] for r in stored if when(r["updated_at"]) >= when(bound))
    assert [r["id"] for r in found] == [str(i) for i in expected]
    assert found == [plain[r["id"]] for r in found]
    sent = searches(ctl, index)
    range_clause = {"filter": {"attribute": {"name": "updated_at"},
                               "parameter": {"range": {"gte": bound.replace("Z", ".000Z")}}}}
    clauses = KIND_CLAUSE.get(resource, []) + [range_clause]
    query = {"projection": [{"name": "id"}], "filter": clauses[0] if len(clauses) == 1 else {"and": clauses}}
    assert sent[0] == {"items": [{"data": {"query": query, "per_page": 7}}]}
    assert all(body["items"][0]["data"]["query"] == query for body in sent)
    assert [body["items"][0]["data"].get("cursor") is None for body in sent] == [True] + [False] * (len(sent) - 1)
    # one read of whole records per search page, by the page's ids
    reads = id_reads(ctl, path)
    assert len(reads) == len(sent)
    assert [int(i) for read in reads for i in read["ids"][0].split(",")] == expected
    assert all(int(read["per_page"][0]) == len(read["ids"][0].split(",")) for read in reads)
    if resource in KIND_CLAUSE:
        assert {read["is_organization"][0] for read in reads} == {"true" if resource == "accounts" else "false"}


@pytest.mark.parametrize("resource", ["accounts", "opportunities"])
def test_a_range_with_a_sort_comes_back_in_the_searchs_order(gateway, ctl, resource):
    index, _, _, _ = RESOURCES[resource]
    stored = held(ctl, resource)
    low, high = sorted(r["created_at"] for r in stored)[3], sorted(r["created_at"] for r in stored)[-4]
    ctl.clear_requests()
    found = every(gateway, resource, {"created_at[gt]": low, "created_at[lte]": high, "sort_by[updated_at]": "desc"},
                  limit=5)
    chosen = sorted((r for r in stored if when(low) < when(r["created_at"]) <= when(high)), key=lambda r: r["id"])
    expected = [str(r["id"]) for r in sorted(chosen, key=lambda r: when(r["updated_at"]), reverse=True)]
    assert [r["id"] for r in found] == expected
    query = searches(ctl, index)[0]["items"][0]["data"]["query"]
    assert query["sort"] == [{"attribute": {"name": "updated_at"}, "order": "descending"}]
    clauses = KIND_CLAUSE.get(resource, []) + [{"filter": {"attribute": {"name": "created_at"}, "parameter": {
        "range": {"gt": low.replace("Z", ".000Z"), "lte": high.replace("Z", ".000Z")}}}}]
    assert query["filter"] == (clauses[0] if len(clauses) == 1 else {"and": clauses})


def test_a_sort_alone_on_contacts_is_a_search_sorted_by_that_attribute(gateway, ctl):
    stored = held(ctl, "contacts")
    ctl.clear_requests()
    found = every(gateway, "contacts", {"sort_by[last_name]": "asc"}, limit=100)
    expected = [str(r["id"]) for r in sorted(sorted(stored, key=lambda r: r["id"]),
                                             key=lambda r: (r["last_name"] is None, r["last_name"] or ""))]
    assert [r["id"] for r in found] == expected
    query = searches(ctl, "contacts")[0]["items"][0]["data"]["query"]
    assert query == {"projection": [{"name": "id"}], "filter": KIND_CLAUSE["contacts"][0],
                     "sort": [{"attribute": {"name": "last_name"}, "order": "ascending"}]}


def test_a_lead_bound_with_a_sort_sorts_in_the_search_by_the_indexs_company_name(gateway, ctl):
    stored = held(ctl, "leads")
    bound = sorted(r["created_at"] for r in stored)[2]
    ctl.clear_requests()
    found = every(gateway, "leads", {"created_at[gte]": bound, "sort_by[company_name]": "desc"}, limit=100)
    chosen = sorted((r for r in stored if when(r["created_at"]) >= when(bound)), key=lambda r: r["id"])
    named = [r for r in chosen if r["organization_name"] is not None]
    expected = sorted(named, key=lambda r: r["organization_name"], reverse=True) + \
        [r for r in chosen if r["organization_name"] is None]
    assert [r["id"] for r in found] == [str(r["id"]) for r in expected]
    sent = searches(ctl, "leads")
    assert sent[0]["items"][0]["data"]["query"]["sort"] == [{"attribute": {"name": "company_name"},
                                                             "order": "descending"}]
    assert id_reads(ctl, "/v2/leads") and not [r for r in ctl.requests() if "sort_by" in (r["query"] or "")]


def test_a_list_without_bounds_or_sort_stays_on_the_plain_list(gateway, ctl):
    ctl.clear_requests()
    response = gateway.unified("GET", NAME, params={"limit": 5}, resource="accounts")
    assert response.status_code == 200
    assert not searches(ctl, "contacts")


@pytest.mark.parametrize("resource, params, fragment", [
    ("leads", {"updated_at[gte]": "2024-01-01T00:00:00Z", "first_name": "Mark"}, "cannot combine"),
    ("leads", {"created_at[lt]": "2024-01-01", "status": "New"}, "cannot combine"),
    ("accounts", {"updated_at[gte]": "2024-01-01T00:00:00Z", "name": "Acme"}, "cannot filter"),
    ("contacts", {"updated_at[ne]": "2024-01-01T00:00:00Z"}, "with ne"),
    ("opportunities", {"updated_at[gte]": "yesterday"}, "ISO 8601"),
    ("opportunities", {"sort_by[amount]": "desc"}, "cannot sort"),
    ("accounts", {"sort_by[updated_at]": "sideways"}, "asc or desc"),
])
def test_what_sell_cannot_do_is_a_400_before_any_call(gateway, ctl, resource, params, fragment):
    ctl.clear_requests()
    response = gateway.unified("GET", NAME, params=params, resource=resource)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert not [r for r in ctl.requests() if "/v3/" in r["path"] or r["path"].endswith(RESOURCES[resource][1])]


def test_the_exclusive_groups_name_what_can_go_together(gateway, ctl):
    response = gateway.unified("GET", NAME, params={"updated_at[gte]": "2024-01-01T00:00:00Z", "last_name": "Fox"},
                               resource="leads")
    assert response.status_code == 400
    assert response.json()["truto_error_insight"]["exclusive_filters"]["value"] == ["updated_at", "last_name"]
    # bounds on both times go together, and the plain filters together
    assert gateway.unified("GET", NAME, resource="leads", params={
        "updated_at[gte]": "2024-01-01T00:00:00Z", "created_at[lt]": "2030-01-01T00:00:00Z"}).status_code == 200
    assert gateway.unified("GET", NAME, resource="leads", params={"first_name": "Mark", "status": "New"}).status_code == 200


@pytest.mark.parametrize("setting", ["json", "lenient"])
def test_the_organisation_filter_holds_whichever_way_sell_reads_booleans(gateway, ctl, setting):
    ctl.switch(search_boolean_value=setting)
    stored = held(ctl, "accounts")
    found = every(gateway, "accounts", {"created_at[gte]": "2000-01-01T00:00:00Z"}, limit=100)
    assert [r["id"] for r in found] == [str(i) for i in sorted(r["id"] for r in stored)]


def test_a_search_answer_that_is_not_sells_shape_is_the_crms_fault(gateway, ctl):
    ctl.fault(status=200, body={"items": [{"successful": True, "items": [{"data": "nope"}]}]},
              path_contains="/v3/deals/search")
    response = gateway.unified("GET", NAME, params={"updated_at[gte]": "2000-01-01T00:00:00Z"},
                               resource="opportunities")
    assert response.status_code == 502, response.text


def test_a_page_read_that_answers_no_readable_records_fails_the_page(gateway, ctl):
    ctl.fault(status=200, body={"items": "nope", "meta": {"type": "collection"}}, path_contains="/v2/deals")
    response = gateway.unified("GET", NAME, params={"updated_at[gte]": "2000-01-01T00:00:00Z"},
                               resource="opportunities")
    assert response.status_code == 502, response.text
    assert "search page" in response.json()["message"]


@pytest.mark.parametrize("position", ["not-a-sell-cursor", 3])
def test_a_cursor_sell_did_not_issue_is_a_clear_400(gateway, ctl, position):
    import base64
    import json
    forged = base64.urlsafe_b64encode(json.dumps({"p": position}).encode()).decode().rstrip("=")
    response = gateway.unified("GET", NAME, resource="opportunities",
                               params={"updated_at[gte]": "2000-01-01T00:00:00Z", "next_cursor": forged})
    assert response.status_code == 400, response.text
    assert "cursor" in response.json()["message"]
    assert searches(ctl, "deals")[-1]["items"][0]["data"]["cursor"] == position


def test_a_search_that_fails_on_the_way_is_sent_again_as_a_read(gateway, ctl):
    ctl.fault(status=503, path_contains="/v3/deals/search", headers={"Retry-After": "0"})
    response = gateway.unified("GET", NAME, resource="opportunities",
                               params={"updated_at[gte]": "2000-01-01T00:00:00Z", "limit": 5})
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]) == 5
    assert len(searches(ctl, "deals")) == 2
