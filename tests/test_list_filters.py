"""Unified list filters do what they say on every CRM that declares them (docs/api.md "List filters").

Parametrised over every registered mapping and every filter it declares by operator (`supports.filters`): a
CRM that gains one is held to this with no test edit.
- `updated_at` / `created_at` lower bounds: after records are written, the list since an instant holds exactly
  the records changed (created) since then, as the unfiltered list shows them (or, where the records do not hold
  the time they are bounded by, exactly the records written); an upper bound holds the rest.
  This is what an incremental sync relies on.
- `eq` on a text, boolean or number field: the record with that value is found, and every record returned has it.
- `sort_by`: a page comes back in the order asked for.
- Truto's Python SDK sends filters its own way (`k[sub]=`, `k[]=`) and gets the filtered list.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from support import REGISTERED, label_field, linked_records, list_all, mapping, one_link_per_group, sample_write_body

TIME_FILTERS = ("updated_at", "created_at")


def _pairs_with(predicate) -> list:
    return [pytest.param(name, resource, id=f"{name}-{resource}")
            for name, resource in REGISTERED if "list" in mapping(name, resource).methods and predicate(mapping(name, resource))]


def _lower_bound(m, field: str) -> str | None:
    operators = m.filter_operators.get(field, ())
    return next((op for op in ("gte", "gt") if op in operators), None)


time_pairs = [pytest.param(name, resource, field, id=f"{name}-{resource}-{field}")
              for name, resource in REGISTERED for field in TIME_FILTERS
              if "list" in mapping(name, resource).methods and _lower_bound(mapping(name, resource), field)]


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ids(pages: list[list[dict]]) -> list[str]:
    return [record["id"] for page in pages for record in page]


def first_page(gateway, name: str, resource: str, **params) -> list[dict]:
    response = gateway.unified("GET", name, params=params, resource=resource)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def next_whole_second() -> datetime:
    """Waits past the next whole second and returns it: records written before are older than it even where
    the CRM keeps whole seconds, and records written after are not."""
    now = time.time()
    time.sleep(int(now) + 1 - now + 0.05)
    return datetime.fromtimestamp(int(now) + 1, tz=UTC)


def write_changes(gateway, name: str, resource: str) -> set[str]:
    """Creates one record and renames another through the unified API; their ids."""
    m = mapping(name, resource)
    changed = set()
    existing = first_page(gateway, name, resource, limit=5)
    if "create" in m.methods and existing:
        body = one_link_per_group(name, resource, sample_write_body(
            name, gateway.unified("GET", name, existing[0]["id"], resource=resource).json(), resource,
            links=linked_records(gateway, name, resource)))
        created = gateway.unified("POST", name, json=body, resource=resource)
        assert created.status_code == 200, created.text
        changed.add(created.json()["id"])
    if "update" in m.methods and existing:
        target = existing[-1]["id"]
        field = label_field(name, resource)
        updated = gateway.unified("PATCH", name, target, json={field: f"Changed {target}"}, resource=resource)
        assert updated.status_code == 200, updated.text
        changed.add(target)
    return changed


@pytest.mark.parametrize(("name", "resource", "field"), time_pairs)
@pytest.mark.usefixtures("ctl")
def test_a_time_lower_bound_lists_exactly_the_records_changed_since(gateway, name, resource, field):
    m = mapping(name, resource)
    since = next_whole_second()
    changed = write_changes(gateway, name, resource)
    everything = [record for page in list_all(gateway, name, limit=50, resource=resource) for record in page]
    operator = _lower_bound(m, field)
    # `gt` a second before: a record written in the second `since` starts is after it even where the CRM keeps
    # whole seconds, and the records seeded before are not.
    bound = since if operator == "gte" else since - timedelta(seconds=1)
    stamp = bound.strftime("%Y-%m-%dT%H:%M:%SZ")
    if field in m.fields:
        assert all(record.get(field) for record in everything), f"{name} {resource} records must carry {field}"
        expected = {r["id"] for r in everything
                    if (instant(r[field]) >= bound if operator == "gte" else instant(r[field]) > bound)}
    else:
        # A bound on a time the records do not hold (Nutshell's events feed): what changed since is what was
        # written here after it, and nothing else writes to the sandbox meanwhile.
        expected = changed
    filtered = ids(list_all(gateway, name, limit=50, resource=resource, params={f"{field}[{operator}]": stamp}))
    assert len(filtered) == len(set(filtered)), "a record came back twice"
    assert set(filtered) == expected
    wanted = changed if field == "updated_at" else {i for i in changed if i not in {r["id"] for r in everything
                                                                                   if instant(r[field]) < since}}
    assert wanted <= set(filtered), "a record written after the bound is missing"
    if "lt" in m.filter_operators[field]:
        before = ids(list_all(gateway, name, limit=50, resource=resource, params={f"{field}[lt]": stamp}))
        assert set(before) == {r["id"] for r in everything if instant(r[field]) < bound}


@pytest.mark.parametrize(("name", "resource", "field"), time_pairs)
def test_a_filtered_list_answers_each_record_as_the_unfiltered_list_does(gateway, name, resource, field):
    """Where a filter makes the gateway call another endpoint (a CRM's search), the records are still whole: the
    same unified record as the plain list gives (a search that answers no links has them read per page)."""
    operator = _lower_bound(mapping(name, resource), field)
    plain = {r["id"]: r for page in list_all(gateway, name, limit=50, resource=resource, params={"truto_ignore_remote_data": "true"})
             for r in page}
    filtered = {r["id"]: r for page in list_all(gateway, name, limit=50, resource=resource,
                                                 params={f"{field}[{operator}]": "2000-01-01T00:00:00Z",
                                                         "truto_ignore_remote_data": "true"})
                for r in page}
    assert filtered.keys() == plain.keys()
    for record_id, record in plain.items():
        assert filtered[record_id] == record, f"{name} {resource} {record_id} differs when filtered"


@pytest.mark.parametrize(("name", "resource"), _pairs_with(lambda m: any(
    "eq" in ops and f not in TIME_FILTERS for f, ops in m.filter_operators.items())))
@pytest.mark.usefixtures("ctl")
def test_an_equality_filter_finds_the_record_and_only_records_that_match(gateway, name, resource):
    m = mapping(name, resource)
    records = [record for page in list_all(gateway, name, limit=50, resource=resource) for record in page]
    for field, operators in m.filter_operators.items():
        if "eq" not in operators or field in TIME_FILTERS:
            continue
        target = next((r for r in records if _scalar(r.get(field)) is not None or _text(r.get(field))), None)
        assert target is not None, f"no {resource} record of {name} carries {field}"
        scalar = _scalar(target[field])
        if scalar is not None:  # a boolean or a number: sent as its text, matched exactly
            value = str(scalar).lower() if isinstance(scalar, bool) else str(scalar)
            found = [r for page in list_all(gateway, name, limit=50, resource=resource, params={field: value}) for r in page]
            assert target["id"] in {r["id"] for r in found}
            assert all(r.get(field) == scalar for r in found), f"{name} {resource}?{field}={value} answered another value"
            continue
        value = _text(target[field])
        found = [r for page in list_all(gateway, name, limit=50, resource=resource, params={field: value}) for r in page]
        assert target["id"] in {r["id"] for r in found}
        assert all(value.lower() in [v.lower() for v in _texts(r.get(field))] for r in found), \
            f"{name} {resource}?{field}={value} answered a record without it"


def _scalar(value):
    """A boolean or a number, else None."""
    return value if isinstance(value, (bool, int, float)) else None


def _texts(value) -> list[str]:
    """The text values of a field: itself, or an e-mail address list's addresses."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item.get("email") or item.get("number") or "" for item in value if isinstance(item, dict)]
    return []


def _text(value) -> str | None:
    return next((v for v in _texts(value) if v), None)


@pytest.mark.parametrize(("name", "resource"), _pairs_with(lambda m: bool(m.sort_by)))
@pytest.mark.usefixtures("ctl")
def test_sort_by_orders_the_list(gateway, name, resource):
    for field in mapping(name, resource).sort_by:
        for direction in ("asc", "desc"):
            page = first_page(gateway, name, resource, limit=50, **{f"sort_by[{field}]": direction})
            values = [r.get(field) for r in page if r.get(field) is not None]
            keys = [instant(v) if field in TIME_FILTERS else v if _scalar(v) is not None else str(v).lower()
                    for v in values]
            assert keys == sorted(keys, reverse=direction == "desc"), f"{name} {resource} by {field} {direction}"


@pytest.mark.parametrize(("name", "resource", "field"), time_pairs[:2])
def test_the_python_sdk_sends_filters_and_gets_the_filtered_list(gateway, name, resource, field):
    """Truto's Python SDK (https://github.com/trutohq/truto-python-sdk) encodes `{"updated_at": {"gte": …}}` as
    `updated_at[gte]=…`; the gateway reads it as the same filter and the SDK pages through the answer."""
    truto = pytest.importorskip("truto_python_sdk")
    operator = _lower_bound(mapping(name, resource), field)

    async def listed(bound: str) -> list[str]:
        client = truto.TrutoApi(token=gateway.token, base_url=gateway.url)
        query = {"integrated_account_id": gateway.accounts[name], "limit": 7, field: {operator: bound}}
        return [record["id"] async for record in client.unified_api.list("crm", resource, query)]

    assert asyncio.run(listed("2999-01-01T00:00:00Z")) == []
    assert sorted(asyncio.run(listed("2000-01-01T00:00:00Z"))) == sorted(ids(list_all(gateway, name, limit=50,
                                                                                     resource=resource)))


@pytest.mark.parametrize(("name", "resource"), _pairs_with(lambda m: _lower_bound(m, "updated_at") is None))
def test_a_crm_that_cannot_bound_updated_at_says_so(gateway, name, resource):
    """An incremental sync is told plainly, before the CRM is called, that this list has no modification-time
    bound: a 400 naming the filter and what the CRM can filter by, never the whole unfiltered list."""
    response = gateway.unified("GET", name, params={"updated_at[gte]": "2026-01-01T00:00:00Z"}, resource=resource)
    assert response.status_code == 400, response.text
    body = response.json()
    assert "updated_at" in body["message"] and "filters it takes" in body["message"]
    assert body["truto_error_insight"]["unsupported_filters"]["value"] == ["updated_at"]
