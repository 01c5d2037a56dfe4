"""Pipedrive users and list filters through the gateway: what Pipedrive receives (GET /v1/users and /v1/users/find,
API v2's updated_since / updated_until / sort_by in whole seconds) and what it refuses
(https://developers.pipedrive.com/docs/api/v1/Users, https://developers.pipedrive.com/docs/api/v1/Persons API v2 tab)."""

from __future__ import annotations

import pytest
from support import list_all

NAME = "pipedrive"


def last_query(ctl, path: str) -> dict:
    return dict(next(r for r in reversed(ctl.requests()) if r["path"].endswith(path))["query_params"])


def test_users_are_the_owners_other_records_name(gateway, ctl):
    users = {u["id"]: u for page in list_all(gateway, NAME, limit=5, resource="users") for u in page}
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=100, resource="contacts") for r in page
              if r.get("owner")}
    assert owners and owners <= set(users)
    stored = {str(u["id"]): u for u in ctl.records("users")}
    inactive = [uid for uid, u in stored.items() if not u["active_flag"]]
    assert inactive and all(users[uid]["is_active"] is False for uid in inactive)
    one = next(iter(owners))
    got = gateway.unified("GET", NAME, one, resource="users")
    assert got.status_code == 200 and got.json()["email"] == stored[one]["email"]
    assert got.json()["created_at"] == stored[one]["created"].replace(" ", "T") + "Z"


def test_email_filter_is_a_find_by_email_narrowed_to_the_address(gateway, ctl):
    stored = ctl.records("users")
    wanted = stored[2]["email"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": wanted.upper()}, resource="users")
    assert found.status_code == 200, found.text
    assert [u["id"] for u in found.json()["result"]] == [str(stored[2]["id"])]
    assert last_query(ctl, "/v1/users/find") == {"term": wanted.upper(), "search_by_email": "1"}
    # find matches a part of an address; the unified filter is the whole address
    part = gateway.unified("GET", NAME, params={"email": wanted.split("@")[0]}, resource="users")
    assert part.status_code == 200 and part.json()["result"] == []


def test_name_filter_is_a_find_by_name_kept_exact(gateway, ctl):
    stored = ctl.records("users")
    ctl.clear_requests()
    exact = gateway.unified("GET", NAME, params={"name": stored[0]["name"]}, resource="users").json()["result"]
    assert [u["id"] for u in exact] == [str(stored[0]["id"])]
    assert last_query(ctl, "/v1/users/find") == {"term": stored[0]["name"]}
    first_word = stored[0]["name"].split()[0]
    assert gateway.unified("GET", NAME, params={"name": first_word}, resource="users").json()["result"] == []


def test_an_unknown_user_is_a_404(gateway, ctl):
    assert gateway.unified("GET", NAME, "999", resource="users").status_code == 404


def test_users_have_no_time_filter(gateway, ctl):
    response = gateway.unified("GET", NAME, params={"updated_at[gte]": "2024-01-01T00:00:00Z"}, resource="users")
    assert response.status_code == 400


@pytest.mark.parametrize("fractions", ["reject", "accept"])
def test_time_bounds_are_sent_in_whole_seconds_that_keep_the_same_records(gateway, ctl, fractions):
    """Pipedrive keeps whole seconds and (by one source) refuses fractions: gt moves to the next second, lt rounds up."""
    ctl.switch(fractional_seconds=fractions)
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="contacts", params={
        "updated_at[gt]": "2023-03-05T10:00:00.250Z", "updated_at[lt]": "2024-06-01T08:00:00.500Z", "limit": 50})
    assert listed.status_code == 200, listed.text
    query = last_query(ctl, "/api/v2/persons")
    assert query["updated_since"] == "2023-03-05T10:00:01Z"
    assert query["updated_until"] == "2024-06-01T08:00:01Z"
    assert all("2023-03-05T10:00:00.250Z" < r["updated_at"] < "2024-06-01T08:00:00.500Z"
               for r in listed.json()["result"])


def test_gte_and_lte_and_a_sort(gateway, ctl):
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="opportunities", params={
        "updated_at[gte]": "2023-01-01T00:00:00Z", "updated_at[lte]": "2030-01-01T00:00:00Z",
        "sort_by[created_at]": "desc", "limit": 20})
    assert listed.status_code == 200, listed.text
    query = last_query(ctl, "/api/v2/deals")
    assert (query["updated_since"], query["updated_until"]) == ("2023-01-01T00:00:00Z", "2030-01-01T00:00:01Z")
    assert (query["sort_by"], query["sort_direction"]) == ("add_time", "desc")
    times = [r["created_at"] for r in listed.json()["result"]]
    assert times == sorted(times, reverse=True)


def test_no_creation_time_filter_on_api_v2_lists(gateway, ctl):
    """API v2 lists filter by modification time only: created_at is not declared, so the gateway answers 400."""
    ctl.clear_requests()
    response = gateway.unified("GET", NAME, resource="accounts", params={"created_at[gte]": "2024-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert not [r for r in ctl.requests() if r["path"].endswith("/api/v2/organizations")]
