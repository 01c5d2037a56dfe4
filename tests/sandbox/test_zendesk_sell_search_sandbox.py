"""The Zendesk Sell emulator's Search API (POST /v3/{index}/search) against Sell's search documentation.

Sources: https://developer.zendesk.com/api-reference/sales-crm/search/query-language (request shape, paging
rules: per_page 0-200, cursor/offset/page mutually exclusive, default projection), .../search/filtering (the
`is_organisation` boolean equality, total_count), .../search/sorting (range on dates, sort orders, the answer).
"""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from unigate.sandbox import zendesk_sell

NAME = "zendesk_sell"
AUTH = {"Authorization": f"Bearer {zendesk_sell.SANDBOX_TOKEN}", "Accept": "application/json",
        "User-Agent": "unigate-tests/1.0"}


@pytest.fixture
def sell(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    return control


def search(sell, index: str, data: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(f"{sell.url}/v3/{index}/search", json={"items": [{"data": data}]},
                         headers=AUTH if headers is None else headers, timeout=10)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def time_filter(attribute: str, **bounds) -> dict:
    return {"filter": {"attribute": {"name": attribute}, "parameter": {"range": bounds}}}


def assert_bad_request(response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["meta"]["type"] == "errors" and body["errors"][0]["error"]["code"] == "bad_request"
    return body["errors"][0]["error"]["message"]


def test_the_default_projection_is_the_id_and_the_answer_has_sells_shape(sell):
    response = search(sell, "contacts", {"query": {}, "per_page": 5})
    assert response.status_code == 200
    answer = response.json()["items"][0]
    assert answer["successful"] is True
    stored = sorted(c["id"] for c in sell.records("accounts"))
    assert [item["data"] for item in answer["items"]] == [{"id": i} for i in stored[:5]]
    assert {item["meta"]["type"] for item in answer["items"]} == {"contact"}
    assert answer["meta"]["total_count"] == len(stored) and answer["meta"]["count"] == 5
    assert answer["meta"]["links"]["next_page"]


def test_a_range_on_updated_at_and_a_boolean_equality_keep_exactly_the_matching_records(sell):
    stored = sell.records("accounts")
    bound = sorted(c["updated_at"] for c in stored if c["is_organization"])[5]
    query = {"filter": {"and": [time_filter("updated_at", gte=bound),
                                {"filter": {"attribute": {"name": "is_organisation"}, "parameter": {"eq": True}}}]},
             "projection": [{"name": "updated_at"}, {"name": "is_organisation"}]}
    answer = search(sell, "contacts", {"query": query, "per_page": 200}).json()["items"][0]
    expected = sorted(c["id"] for c in stored if c["is_organization"] and when(c["updated_at"]) >= when(bound))
    assert [item["data"]["id"] for item in answer["items"]] == expected
    assert all(item["data"]["is_organisation"] is True for item in answer["items"])
    assert answer["meta"]["total_count"] == len(expected)


@pytest.mark.parametrize("op", ["gt", "gte", "lt", "lte"])
def test_each_range_bound_compares_as_its_name_says(sell, op):
    deals = sell.records("opportunities")
    bound = deals[3]["created_at"]
    answer = search(sell, "deals", {"query": {"filter": time_filter("created_at", **{op: bound})},
                                    "per_page": 200}).json()["items"][0]
    compare = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
               "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}[op]
    expected = sorted(d["id"] for d in deals if compare(when(d["created_at"]), when(bound)))
    assert [item["data"]["id"] for item in answer["items"]] == expected


def test_sort_orders_and_breaks_ties_by_the_next_sort(sell):
    query = {"sort": [{"attribute": {"name": "updated_at"}, "order": "descending"}],
             "projection": [{"name": "updated_at"}]}
    answer = search(sell, "leads", {"query": query, "per_page": 200}).json()["items"][0]
    leads = sell.records("leads")
    expected = [r["id"] for r in sorted(sorted(leads, key=lambda r: r["id"]), key=lambda r: when(r["updated_at"]),
                                        reverse=True)]
    assert [item["data"]["id"] for item in answer["items"]] == expected


def test_the_cursor_pages_through_every_match_once(sell):
    seen: list[int] = []
    data: dict = {"query": {"sort": [{"attribute": {"name": "created_at"}, "order": "ascending"}]}, "per_page": 7}
    for _ in range(50):
        answer = search(sell, "deals", data).json()["items"][0]
        seen += [item["data"]["id"] for item in answer["items"]]
        cursor = answer["meta"]["links"].get("next_page")
        if not cursor:
            break
        data = {**data, "cursor": cursor}
    deals = sell.records("opportunities")
    assert seen == [d["id"] for d in sorted(deals, key=lambda d: (when(d["created_at"]), d["id"]))]


@pytest.mark.parametrize("data, fragment", [
    ({"query": {}, "per_page": 201}, "per_page must be within range 0-200"),
    ({"query": {}, "per_page": -1}, "per_page"),
    ({"query": {}, "page": 1, "offset": 3}, "mutually exclusive"),
    ({"query": {}, "cursor": "abc", "page": 0}, "mutually exclusive"),
    ({"query": {}, "page": -1}, "non-negative"),
    ({"query": {}, "cursor": "not-a-cursor"}, "cursor"),
    ({"query": {}, "cursor": ["a"]}, "cursor"),
    ({"query": {"filter": {"attribute": {"name": "updated_at"}}}}, "exactly one of and, or, not, filter"),
    ({"query": {"filter": {"and": [], "or": []}}}, "exactly one of"),
    ({"query": {"filter": {"and": []}}}, "non-empty list"),
    ({"query": {"filter": time_filter("no_such_attribute", gte="2024-01-01T00:00:00Z")}}, "unknown attribute"),
    ({"query": {"filter": time_filter("updated_at", since="2024-01-01T00:00:00Z")}}, "range on updated_at"),
    ({"query": {"filter": time_filter("updated_at", gte="yesterday")}}, "ISO 8601"),
    ({"query": {"filter": time_filter("updated_at", gte=1700000000)}}, "ISO 8601"),
    ({"query": {"filter": {"filter": {"attribute": {"name": "name"},
                                      "parameter": {"contains": "x"}}}}}, "unsupported parameter"),
    ({"query": {"projection": [{"name": "secret"}]}}, "unknown attribute in projection"),
    ({"query": {"sort": [{"attribute": {"name": "updated_at"}, "order": "up"}]}}, "ascending or descending"),
    ({"query": {"sort": [{"attribute": {"name": "nope"}}]}}, "unknown attribute in sort"),
])
def test_malformed_queries_are_refused_with_400(sell, data, fragment):
    assert fragment in assert_bad_request(search(sell, "contacts", data))


def test_hostile_bodies_are_a_bounded_400(sell):
    deep: dict = time_filter("updated_at", gte="2024-01-01T00:00:00Z")
    for _ in range(50):
        deep = {"not": deep}
    for body in (None, [], {"items": []}, {"items": "x"}, {"items": [{"data": 1}]},
                 {"items": [{"data": {"query": {"filter": deep}}}]},
                 {"items": [{"data": {"query": {}}}] * 11}):
        response = requests.post(f"{sell.url}/v3/contacts/search", json=body, headers=AUTH, timeout=10)
        assert_bad_request(response)


def test_an_unknown_index_is_404_and_a_missing_token_401(sell):
    assert search(sell, "widgets", {"query": {}}).status_code == 404
    response = search(sell, "contacts", {"query": {}}, headers={**AUTH, "Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_a_boolean_equality_written_as_a_string_follows_the_switch(sell):
    query = {"filter": {"filter": {"attribute": {"name": "is_organisation"}, "parameter": {"eq": "true"}}}}
    assert "boolean" in assert_bad_request(search(sell, "contacts", {"query": query}))
    sell.switch(search_boolean_value="lenient")
    answer = search(sell, "contacts", {"query": query, "per_page": 200}).json()["items"][0]
    organisations = sorted(c["id"] for c in sell.records("accounts") if c["is_organization"])
    assert [item["data"]["id"] for item in answer["items"]] == organisations


def test_the_index_follows_writes(sell):
    created = requests.post(f"{sell.url}/v2/leads", json={"data": {"last_name": "Searchable"}},
                            headers=AUTH, timeout=10).json()["data"]
    query = {"filter": {"filter": {"attribute": {"name": "last_name"}, "parameter": {"eq": "Searchable"}}},
             "projection": [{"name": "last_name"}]}
    answer = search(sell, "leads", {"query": query}).json()["items"][0]
    assert [item["data"] for item in answer["items"]] == [{"id": created["id"], "last_name": "Searchable"}]
