"""HubSpot users (the owners API) through the gateway: what HubSpot receives (GET /crm/v3/owners with its own
`email` parameter, its `after` cursor) and what it refuses (https://developers.hubspot.com/docs/api/crm/owners)."""

from __future__ import annotations

from support import list_all

NAME = "hubspot"


def owners_requests(ctl) -> list[dict]:
    return [r for r in ctl.requests() if r["path"].endswith("/crm/v3/owners")]


def test_users_are_the_owners_records_name(gateway, ctl):
    ctl.clear_requests()
    pages = list_all(gateway, NAME, limit=5, resource="users")
    users = {u["id"]: u for page in pages for u in page}
    assert len(pages) > 1 and any(dict(r["query_params"]).get("after") for r in owners_requests(ctl))
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=100, resource="accounts") for r in page
              if r.get("owner")}
    assert owners and owners <= set(users)
    # a deactivated user is an archived owner: not in HubSpot's list, still read by id with archived=true only
    archived = [o for o in ctl.records("users") if o["archived"]]
    assert archived and not {o["id"] for o in archived} & set(users)
    assert all(u["is_active"] is True for u in users.values())
    one = next(iter(owners))
    got = gateway.unified("GET", NAME, one, resource="users").json()
    stored = next(o for o in ctl.records("users") if o["id"] == one)
    assert got["name"] == f"{stored['firstName']} {stored['lastName']}" and got["email"] == stored["email"]


def test_email_filter_is_the_owners_email_parameter(gateway, ctl):
    wanted = ctl.records("users")[3]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email": wanted["email"]}, resource="users")
    assert found.status_code == 200, found.text
    assert [u["id"] for u in found.json()["result"]] == [wanted["id"]]
    assert dict(owners_requests(ctl)[-1]["query_params"])["email"] == wanted["email"]


def test_users_take_no_name_or_time_filter_and_no_sort(gateway, ctl):
    ctl.clear_requests()
    for params in ({"name": "Ada Park"}, {"updated_at[gte]": "2024-01-01T00:00:00Z"}, {"sort_by": "name"}):
        assert gateway.unified("GET", NAME, params=params, resource="users").status_code == 400, params
    assert owners_requests(ctl) == []


def test_an_unknown_owner_is_a_404(gateway, ctl):
    assert gateway.unified("GET", NAME, "1", resource="users").status_code == 404
