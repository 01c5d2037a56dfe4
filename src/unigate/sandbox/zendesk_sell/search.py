"""Zendesk Sell's Search API (v3): `POST /v3/{contacts|deals|leads}/search` over the records the v2 resources
store (accounts.py's contacts, deals.py, people.py's leads). No records of its own.

The request (https://developer.zendesk.com/api-reference/sales-crm/search/query-language):
`{"items": [{"data": {"query": {"projection", "filter", "sort"}, "cursor", "page", "per_page", "offset",
"hits"}}]}`, one answer per item.
- `per_page` 0-200 (default 50); `page` non-negative (0-based); `cursor`, `offset` and `page` are mutually
  exclusive; the first request carries no cursor and the answer's `meta.links.next_page` is the next one
  (same page). A cursor the emulator did not issue is refused.
- `projection`: `[{"name": attribute}]`, by default only `id` (and Sell's `version`, which the emulator does
  not hold) are answered.
- `filter`: exactly one of `and` (list), `or` (list), `not` (filter) or `filter`
  (`{"attribute": {"name"}, "parameter": {...}}`); parameters `eq` (one value) and `range` (`gte`, `gt`, `lte`,
  `lt`: https://developer.zendesk.com/api-reference/sales-crm/search/filtering and .../search/sorting, where
  `range` bounds `added_at`). Other parameter kinds (`any`, `contains`, `is_null`, ...) are not emulated and
  answer 400.
- `sort`: `[{"attribute": {"name"}, "order": "ascending"|"descending"}]`, applied in order
  (https://developer.zendesk.com/api-reference/sales-crm/search/sorting); without one, ascending id.
The answer: `{"items": [{"successful": true, "items": [{"data": {projected}, "meta": {"type"}}],
"meta": {"type": "collection", "count", "total_count", "links": {"next_page"?}}}]}` (the sorting page's example;
`total_count` the filtering page's).

Attribute names are the indexes' own (`GET /v3/{index}/schema`, as the live schema reads in the
leag/tap-zendesk-sell tap's `schemas/search/{contacts,deals,leads}.json`): the contacts index spells
`is_organisation`, leads have `company_name` (the v2 `organization_name`). Only the attributes below are
emulated; any other name is refused as unknown [unverified: Sell's answer to an unknown attribute].
Malformed queries answer 400 in Sell's errors envelope, the problem as the message (code `bad_request`
[unverified]).

Switch `search_boolean_value` [unverified]: the filtering page writes a boolean equality as a JSON boolean
(`{"eq": true}` on `is_organisation`). `json` (default) refuses `"true"` as a type mismatch; `lenient` also
takes the strings "true" and "false".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, read_json

if TYPE_CHECKING:
    from unigate.sandbox.zendesk_sell import ZendeskSellEmulator

SEARCH_BOOLEAN_VALUE = ("json", "lenient")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
_MAX_DEPTH = 8          # nesting of and/or/not a query may have (bounded work on hostile bodies)
_MAX_CLAUSES = 100      # filters in one query
_RANGE_KEYS = ("gte", "gt", "lte", "lt")
_QUERY_LANGUAGE = "See https://developer.zendesk.com/api-reference/sales-crm/search/query-language"


class SearchError(ValueError):
    """What is wrong with a query: the 400's details."""


def _full_name(record: dict[str, Any]) -> str | None:
    name = " ".join(p for p in (record.get("first_name"), record.get("last_name")) if p)
    return name or None


# index -> attribute -> (type, value of a v2 record)
_Attr = tuple[str, Callable[[dict[str, Any]], Any]]
ATTRIBUTES: dict[str, dict[str, _Attr]] = {
    "contacts": {
        "id": ("id", lambda r: r["id"]),
        "is_organisation": ("boolean", lambda r: r["is_organization"]),
        "name": ("string", lambda r: r.get("name") if r["is_organization"] else _full_name(r)),
        "display_name": ("string", lambda r: r.get("name") if r["is_organization"] else _full_name(r)),
        "first_name": ("string", lambda r: r.get("first_name")),
        "last_name": ("string", lambda r: r.get("last_name")),
        "email": ("keyword", lambda r: r.get("email")),
        "industry": ("keyword", lambda r: r.get("industry")),
        "created_at": ("date_time", lambda r: r.get("created_at")),
        "updated_at": ("date_time", lambda r: r.get("updated_at")),
    },
    "deals": {
        "id": ("id", lambda r: r["id"]),
        "name": ("string", lambda r: r.get("name")),
        "hot": ("boolean", lambda r: r.get("hot")),
        "added_at": ("date", lambda r: r.get("added_at")),
        "created_at": ("date_time", lambda r: r.get("created_at")),
        "updated_at": ("date_time", lambda r: r.get("updated_at")),
    },
    "leads": {
        "id": ("id", lambda r: r["id"]),
        "first_name": ("string", lambda r: r.get("first_name")),
        "last_name": ("string", lambda r: r.get("last_name")),
        "company_name": ("string", lambda r: r.get("organization_name")),
        "email": ("keyword", lambda r: r.get("email")),
        "created_at": ("date_time", lambda r: r.get("created_at")),
        "updated_at": ("date_time", lambda r: r.get("updated_at")),
    },
}
_META_TYPE = {"contacts": "contact", "deals": "deal", "leads": "lead"}


def _instant(value: Any, kind: str) -> datetime:
    """A date_time (ISO 8601, `Z` or an offset) or date (YYYY-MM-DD) bound; SearchError otherwise."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise SearchError(f"a {kind} value takes an ISO 8601 string, not {str(value)[:40]!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"a {kind} value takes an ISO 8601 string, not {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"offset": offset})).decode().rstrip("=")


def _offset_of(cursor: Any) -> int:
    if not isinstance(cursor, str) or not 0 < len(cursor) <= 200:
        raise SearchError("cursor is not a pagination token this search issued")
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = decoded["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise SearchError("cursor is not a pagination token this search issued") from None
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise SearchError("cursor is not a pagination token this search issued")
    return offset


class Search(Resource):
    """The search endpoint; it reads the v2 resources' stores, so it seeds nothing."""

    name = "search"
    emulator: ZendeskSellEmulator

    def routes(self) -> list[Route]:
        return [Route("/v3/{index}/search", self.search, methods=["POST"])]

    def seed(self, count: int) -> None:
        """Nothing: the indexes are the stored contacts, deals and leads."""

    def snapshot(self) -> Any:
        return []

    def _records(self, index: str) -> Iterable[dict[str, Any]]:
        if index == "contacts":
            return list(self.emulator.resource("accounts").records.values())  # type: ignore[attr-defined]
        if index == "deals":
            deals = self.emulator.resource("opportunities")
            return [deals.render(d) for d in deals.records.values()]  # type: ignore[attr-defined]
        leads = self.emulator.resource("leads")
        return [leads.render(r) for r in leads.store.values()]  # type: ignore[attr-defined]

    async def search(self, request: Request) -> Response:
        emulator = self.emulator
        denied = emulator.check(request)
        if denied:
            return denied
        index = request.path_params["index"]
        if index not in ATTRIBUTES:
            return emulator.error(request, 404, "incorrect_path", "Requested path was not found.")
        body = await read_json(request)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items or len(items) > 10:
            return emulator.error(request, 400, "bad_request",
                                  'the body takes {"items": [{"data": {"query": {...}}}]} with 1 to 10 items',
                                  _QUERY_LANGUAGE)
        answers = []
        for item in items:
            try:
                answers.append(self._answer(index, item))
            except SearchError as problem:
                return emulator.error(request, 400, "bad_request", str(problem), _QUERY_LANGUAGE)
        return emulator.ok(request, {"items": answers})

    # -- one item -------------------------------------------------------------------------------------
    def _answer(self, index: str, item: Any) -> dict[str, Any]:
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(data, dict):
            raise SearchError('each item takes {"data": {...}}')
        query = data.get("query", {})
        if not isinstance(query, dict):
            raise SearchError("query takes an object")
        attributes = ATTRIBUTES[index]
        start, per_page = self._window(data)
        projection = self._projection(query.get("projection"), attributes)
        matches = self._compile(query.get("filter"), attributes, 0, [0]) if "filter" in query else (lambda r: True)
        records = [r for r in self._records(index) if matches(r)]
        records = self._sorted(records, query.get("sort"), attributes)
        chosen = records[start:start + per_page] if data.get("hits", True) is not False else []
        meta: dict[str, Any] = {"type": "collection", "count": len(chosen), "total_count": len(records), "links": {}}
        if data.get("hits", True) is not False and start + per_page < len(records) and per_page > 0:
            meta["links"]["next_page"] = _cursor(start + per_page)
        kind = _META_TYPE[index]
        return {"successful": True,
                "items": [{"data": {name: attributes[name][1](r) for name in projection}, "meta": {"type": kind}}
                          for r in chosen],
                "meta": meta}

    @staticmethod
    def _window(data: dict[str, Any]) -> tuple[int, int]:
        """The first record's position and the page size: cursor, offset and page are mutually exclusive."""
        given = [key for key in ("cursor", "offset", "page") if data.get(key) is not None]
        if len(given) > 1:
            raise SearchError("cursor, offset and page are mutually exclusive")
        per_page = data.get("per_page", DEFAULT_PER_PAGE)
        if isinstance(per_page, bool) or not isinstance(per_page, int) or not 0 <= per_page <= MAX_PER_PAGE:
            raise SearchError(f"per_page must be within range 0-{MAX_PER_PAGE}")
        if "cursor" in given:
            return _offset_of(data["cursor"]), per_page
        for key in ("offset", "page"):
            if key in given:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31:
                    raise SearchError(f"{key} must be non-negative")
                return (value if key == "offset" else value * per_page), per_page
        return 0, per_page

    @staticmethod
    def _projection(value: Any, attributes: dict[str, _Attr]) -> list[str]:
        if value is None:
            return ["id"]
        if not isinstance(value, list) or len(value) > len(attributes) + 50:
            raise SearchError('projection takes a list of {"name": attribute}')
        names = ["id"]
        for entry in value:
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or name not in attributes:
                raise SearchError(f"unknown attribute in projection: {str(name)[:60]!r}")
            if name not in names:
                names.append(name)
        return names

    def _compile(self, node: Any, attributes: dict[str, _Attr], depth: int,
                 clauses: list[int]) -> Callable[[dict[str, Any]], bool]:
        """A filter as a predicate; exactly one of `and`, `or`, `not`, `filter` per node."""
        if depth > _MAX_DEPTH:
            raise SearchError(f"filters nest at most {_MAX_DEPTH} deep")
        if not isinstance(node, dict) or len(node) != 1 or next(iter(node)) not in ("and", "or", "not", "filter"):
            raise SearchError("a filter takes exactly one of and, or, not, filter")
        (operator, operand), = node.items()
        if operator in ("and", "or"):
            if not isinstance(operand, list) or not operand:
                raise SearchError(f"{operator} takes a non-empty list of filters")
            parts = [self._compile(part, attributes, depth + 1, clauses) for part in operand]
            if operator == "and":
                return lambda r: all(p(r) for p in parts)
            return lambda r: any(p(r) for p in parts)
        if operator == "not":
            inner = self._compile(operand, attributes, depth + 1, clauses)
            return lambda r: not inner(r)
        clauses[0] += 1
        if clauses[0] > _MAX_CLAUSES:
            raise SearchError(f"a query takes at most {_MAX_CLAUSES} filters")
        return self._condition(operand, attributes)

    def _condition(self, operand: Any, attributes: dict[str, _Attr]) -> Callable[[dict[str, Any]], bool]:
        if not isinstance(operand, dict) or set(operand) != {"attribute", "parameter"}:
            raise SearchError('filter takes {"attribute": {"name": ...}, "parameter": {...}}')
        name = operand["attribute"].get("name") if isinstance(operand["attribute"], dict) else None
        if not isinstance(name, str) or name not in attributes:
            raise SearchError(f"unknown attribute in filter: {str(name)[:60]!r}")
        kind, read = attributes[name]
        parameter = operand["parameter"]
        if not isinstance(parameter, dict) or len(parameter) != 1:
            raise SearchError("parameter takes exactly one of eq, range")
        (op, value), = parameter.items()
        if op == "eq":
            wanted = self._comparable(value, kind, name)
            return lambda r: self._comparable_stored(read(r), kind) == wanted
        if op == "range":
            if kind not in ("date_time", "date", "id") or not isinstance(value, dict) or not value \
                    or set(value) - set(_RANGE_KEYS):
                raise SearchError(f"range on {name} takes gte, gt, lte and lt bounds")
            bounds = {k: self._comparable(v, kind, name) for k, v in value.items()}

            def within(record: dict[str, Any]) -> bool:
                stored = self._comparable_stored(read(record), kind)
                if stored is None:
                    return False
                return all((k == "gte" and stored >= b) or (k == "gt" and stored > b)
                           or (k == "lte" and stored <= b) or (k == "lt" and stored < b) for k, b in bounds.items())
            return within
        raise SearchError(f"unsupported parameter {str(op)[:30]!r} (the emulator takes eq and range)")

    def _comparable(self, value: Any, kind: str, name: str) -> Any:
        """A query value in the attribute's type; SearchError on a mismatch."""
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if self.emulator.switch["search_boolean_value"] == "lenient" and value in ("true", "false"):
                return value == "true"
            raise SearchError(f"{name} is a boolean: eq takes true or false")
        if kind in ("date_time", "date"):
            return _instant(value, kind)
        if kind == "id":
            if isinstance(value, bool) or not isinstance(value, int):
                raise SearchError(f"{name} takes an integer")
            return value
        if not isinstance(value, str):
            raise SearchError(f"{name} takes a string")
        return value

    @staticmethod
    def _comparable_stored(value: Any, kind: str) -> Any:
        if value is None or kind not in ("date_time", "date"):
            return value
        return _instant(value, kind)

    @staticmethod
    def _sorted(records: list[dict[str, Any]], sort: Any, attributes: dict[str, _Attr]) -> list[dict[str, Any]]:
        records = sorted(records, key=lambda r: r["id"])
        if sort is None:
            return records
        if not isinstance(sort, list) or len(sort) > 10:
            raise SearchError('sort takes a list of {"attribute": {"name"}, "order": "ascending"|"descending"}')
        keys = []
        for entry in sort:
            attribute = entry.get("attribute") if isinstance(entry, dict) else None
            name = attribute.get("name") if isinstance(attribute, dict) else None
            if not isinstance(name, str) or name not in attributes:
                raise SearchError(f"unknown attribute in sort: {str(name)[:60]!r}")
            order = entry.get("order", "ascending")
            if order not in ("ascending", "descending"):
                raise SearchError("order takes ascending or descending")
            keys.append((attributes[name], order == "descending"))
        # stable sorts from the last key to the first: the first sort decides, the next breaks its ties
        for (kind, read), descending in reversed(keys):
            present = [r for r in records if read(r) is not None]
            missing = [r for r in records if read(r) is None]   # records without the value last either way
            present.sort(key=lambda r: Search._comparable_stored(read(r), kind)
                         if kind in ("date_time", "date") else read(r), reverse=descending)
            records = present + missing
        return records
