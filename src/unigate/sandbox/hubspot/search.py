"""HubSpot's CRM search (`POST /crm/v3/objects/{objectType}/search`), shared by the object resources that serve it.

https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm and the SDK's
PublicObjectSearchRequest (https://github.com/HubSpot/hubspot-api-python, hubspot/crm/companies/models/):
- body `{filterGroups: [{filters: [{propertyName, operator, value | values | highValue}]}], sorts, query?,
  properties, limit, after}`; filters in a group are AND-ed, groups OR-ed;
- at most 5 groups, 10 filters a group, 25 filters in all (400 beyond;
  https://developers.hubspot.com/changelog/breaking-change-expanded-filtering-capabilities-and-error-messaging-in-hubspots-search-api);
- `limit` at most 200, `after` a numeric offset; no result past the 10,000th: a page reaching past it is a 400
  [observed: https://github.com/activepieces/activepieces/pull/10160 quoting HubSpot's Limitations section];
- `sorts`: one, as `{propertyName, direction}` or the string form `"-createdate"`; archived records never match;
- the answer `{total, results, paging?: {next: {after}}}` (no `link`).
Date-time filter values are ISO 8601 or epoch milliseconds. Exact error wording is [unverified].
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import member
from unigate.sandbox.hubspot.common import answer, authorized_body, error

MAX_LIMIT = 200
RESULTS_CAP = 10_000
MAX_GROUPS, MAX_GROUP_FILTERS, MAX_FILTERS = 5, 10, 25
OPERATORS = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                       "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})


class SearchError(Exception):
    pass


def _comparable(value: Any) -> tuple[int, Any]:
    """Values compare as instants when both read as one, else as numbers, else as lower-case text."""
    text = str(value)
    if text.isdigit() and len(text) >= 12:
        return 0, int(text)
    try:
        return 0, int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        pass
    try:
        return 1, float(text)
    except ValueError:
        return 2, text.lower()


def _matches(stored: str | None, flt: dict[str, Any]) -> bool:
    op = flt["operator"]
    if op == "HAS_PROPERTY":
        return stored not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return stored in (None, "")
    if stored in (None, ""):
        return op in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        found = str(flt.get("value", "")).lower().strip("*") in stored.lower().split()
        return found if op == "CONTAINS_TOKEN" else not found
    if op in ("IN", "NOT_IN"):
        inside = _comparable(stored) in [_comparable(v) for v in flt.get("values") or []]
        return inside if op == "IN" else not inside
    have, want = _comparable(stored), _comparable(flt.get("value"))
    if have[0] != want[0]:
        return op == "NEQ"
    if op == "BETWEEN":
        high = _comparable(flt.get("highValue"))
        return want[1] <= have[1] <= high[1]
    return {"EQ": have == want, "NEQ": have != want, "LT": have < want, "LTE": have <= want,
            "GT": have > want, "GTE": have >= want}[op]


def _undeserializable(java_type: str, value: Any) -> str:
    """HubSpot's wording for a search member of the wrong JSON type (see `_checked`)."""
    kind = {dict: "Object", list: "Array", str: "String", bool: "Boolean", int: "Integer", float: "Floating-point"}
    return (f"Invalid input JSON on line 1, column 1: Cannot deserialize value of type `{java_type}` from "
            f"{kind.get(type(value), 'Array')} value")


def _checked(body: Any) -> tuple[list[list[dict]], tuple[str, bool] | None, int, int]:
    if not isinstance(body, dict):
        raise SearchError("Invalid input JSON: the search request must be an object")
    # Each member of the search request is typed (https://developers.hubspot.com/docs/api/crm/search:
    # filterGroups an array of {filters: [...]}, properties an array of names, sorts an array). HubSpot's
    # JSON binding refuses a value of another JSON type with a 400 "Invalid input JSON ... Cannot
    # deserialize value of type ..." [observed: https://github.com/HubSpot/hubspot-api-python/issues/307,
    # https://github.com/Chinchilla-Software-Com/HubSpot.NET/issues/23], never reading it as something else.
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list) or not all(isinstance(g, dict) and isinstance(g.get("filters") or [], list)
                                               and all(isinstance(f, dict) for f in g.get("filters") or [])
                                               for g in groups):
        raise SearchError(_undeserializable("java.util.List<com.hubspot.crm.search.FilterGroup>", groups))
    names = body.get("properties")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise SearchError(_undeserializable("java.util.List<java.lang.String>", names))
    if not isinstance(body.get("sorts") or [], list):
        raise SearchError(_undeserializable("java.util.List<java.lang.String>", body.get("sorts")))
    if len(groups) > MAX_GROUPS:
        raise SearchError(f"Too many filter groups ({len(groups)}); the limit is {MAX_GROUPS}.")
    filters = [g.get("filters") or [] for g in groups]
    if any(len(f) > MAX_GROUP_FILTERS for f in filters):
        raise SearchError(f"Too many filters in a group; the limit is {MAX_GROUP_FILTERS}.")
    if sum(len(f) for f in filters) > MAX_FILTERS:
        raise SearchError(f"Too many filters in all; the limit is {MAX_FILTERS}.")
    for flt in (f for group in filters for f in group):
        if not member(flt.get("operator"), OPERATORS) or not isinstance(flt.get("propertyName"), str) \
                or not isinstance(flt.get("values") or [], list):
            raise SearchError(f"Invalid filter: {flt}")
    sort = None
    sorts = body.get("sorts") or []
    if sorts:
        first = sorts[0]
        if isinstance(first, str):
            sort = (first.lstrip("-"), first.startswith("-"))
        elif isinstance(first, dict) and isinstance(first.get("propertyName"), str):
            sort = (first["propertyName"], first.get("direction", "ASCENDING") == "DESCENDING")
        else:
            raise SearchError(f"Invalid sort: {first}")
    limit = body.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT} (got {limit})")
    after = body.get("after") or "0"
    if not isinstance(after, (str, int)) or isinstance(after, bool) or not str(after).isdigit():
        raise SearchError(f"after must be a numeric offset (got {after})")
    offset = int(after)
    if offset + limit > RESULTS_CAP:
        raise SearchError(f"The search can return at most {RESULTS_CAP} results; after + limit is {offset + limit}.")
    return filters, sort, limit, offset


async def serve_search(emulator: Any, request: Request, live: Callable[[], Iterable[dict[str, Any]]],
                       render: Callable[[dict[str, Any], list[str] | None], dict[str, Any]]) -> Response:
    """`POST /crm/v3/objects/{objectType}/search` over an object's `live` records: auth, then the page."""
    started = await authorized_body(emulator, request)
    if isinstance(started, Response):
        return started
    headers, body = started
    return search_page(body, live(), headers, render)


def search_page(body: Any, records: Iterable[dict[str, Any]], headers: dict[str, str],
                render: Callable[[dict[str, Any], list[str] | None], dict[str, Any]]) -> Response:
    """One page of `records` (live ones, each with its string `properties`) that `body` selects, each through
    `render(record, property names)`; HubSpot's 400 for a search it refuses."""
    try:
        groups, sort, limit, offset = _checked(body)
    except SearchError as exc:
        return error(400, "VALIDATION_ERROR", str(exc), headers)
    found = [r for r in records
             if not groups or any(all(_matches(r["properties"].get(f["propertyName"]), f) for f in group)
                                  for group in groups)]
    if sort is not None:
        name, descending = sort
        found.sort(key=lambda r: (r["properties"].get(name) in (None, ""), _comparable(r["properties"].get(name) or "")),
                   reverse=descending)
    names = body.get("properties") or None
    page = found[offset:offset + limit]
    result: dict[str, Any] = {"total": len(found), "results": [render(r, names) for r in page]}
    if offset + limit < len(found):
        result["paging"] = {"next": {"after": str(offset + limit)}}
    return answer(result, 200, headers)
