"""One Outreach JSON:API resource type (account, prospect, ...): routes, list, get, create, update, delete.

Every Outreach type behaves the same way on the wire; a resource module (accounts.py, contacts.py) says
only what differs: its type and path, its attributes and their JSON types, its relationships, its
required attributes and its seed. Sources: the official OpenAPI
(https://api.outreach.io/api/v2/schema/openapi.json) and https://developers.outreach.io/api/making-requests/.
- Ids are JSON integers (not JSON:API strings); `type` is singular camelCase.
- List: cursor pagination, `page[size]` (default 50, max 1000) and `links.next`, a full URL carrying the
  same query plus `page[after]=<opaque cursor>`; no `next` on the last page. `meta.count` unless
  `count=false`. `filter[attr]=v`, lists `a,b`, ranges `a..b` with `inf`/`neginf` (timestamps compared as
  instants, both ends inclusive), relationship filters `filter[<relationship>][id]=<id>`; `sort=a,-b`
  (https://api.outreach.io/api/v2/docs#pagination, #filter, #sort). Only attributes the OpenAPI badges
  `filterable` / `sortable` take a filter or a sort (https://api.outreach.io/api/v2/schema/openapi.json);
  a type that lists its badges (`filterable`, `sortable`) answers any other with 400 badRequest.
- Create 201 (client-generated ids 403), update 200 (PATCH, `data.type` and `data.id` required and
  matching the URL), delete 204 with an empty body; deletion is permanent, so a second delete is 404.
- 404 `resourceNotFound`, 422 `validationError` with `source.pointer`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.outreach.common import (
    DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SANDBOX_USER_IDS, bad_request, decode_cursor, document,
    encode_cursor, error_document, now_iso, validation_error,
)

STRING = (str,)
INT = (int,)
BOOL = (bool,)
STRINGS = (list,)   # arrays of strings (tags, emails, phones): element types checked in `_validate`
TIMESTAMPS = ("createdAt", "updatedAt", "touchedAt", "engagedAt", "trashedAt")

Predicate = Callable[[dict[str, Any]], bool]


def _as_id(value: Any) -> int | None:
    """A JSON:API id as Outreach takes it: an integer, or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _instant(text: str) -> datetime | None:
    """An ISO 8601 timestamp or date as an aware instant (UTC when it names no offset); None if unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_text(value: Any) -> str:
    """An attribute as a filter value spells it: booleans as JSON does (`filter[isClosed]=true`)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class JsonApiResource(Resource):
    """An Outreach resource type over a `Collection` of integer ids in ascending order.
    Authentication, rate limit and media type come from the emulator's `_guard`."""

    type_name: ClassVar[str] = ""                       # "account"
    path: ClassVar[str] = ""                            # "accounts" in /api/v2/accounts
    attribute_types: ClassVar[dict[str, tuple[type, ...]]] = {}
    read_only_attributes: ClassVar[tuple[str, ...]] = ()   # sent values are ignored (server-managed)
    to_one: ClassVar[dict[str, str]] = {}               # relationship -> target type, all rendered
    writable_to_one: ClassVar[frozenset[str]] = frozenset()
    to_many: ClassVar[tuple[str, ...]] = ()             # read-only links to related collections
    related_filter: ClassVar[str] = ""                  # "account" in filter[account][id] of those links
    # The attributes the OpenAPI badges `filterable` / `sortable`; None: not listed for this type (not checked).
    filterable: ClassVar[frozenset[str] | None] = None
    sortable: ClassVar[frozenset[str] | None] = None

    def routes(self) -> list[Route]:
        return [
            Route(f"/api/v2/{self.path}", self.collection, methods=["GET", "POST"]),
            Route(f"/api/v2/{self.path}/{{id}}", self.member, methods=["GET", "PATCH", "DELETE"]),
        ]

    # -- hooks for the resource modules -------------------------------------------------------------
    def check(self, attributes: dict[str, Any], relations: dict[str, int | None],
              record: dict[str, Any] | None) -> dict[str, Any] | None:
        """A 422 error object when the write is refused (record is None on create), else None."""
        return None

    def defaults(self) -> dict[str, Any]:
        """Attributes a new record starts with besides nulls."""
        return {"tags": []}

    def derive(self, record: dict[str, Any]) -> None:
        """Recompute server-derived attributes after a write."""

    def created(self, record: dict[str, Any]) -> None:
        """Server-side effects of a create (before `derive`)."""

    # -- records ----------------------------------------------------------------------------------
    def new_store(self) -> None:
        self.store = Collection(number_of=int)   # ids from 1; deletion is permanent

    def store_record(self, attributes: dict[str, Any], relations: dict[str, int | None]) -> dict[str, Any]:
        record_id = self.store.new_id()
        record = {"type": self.type_name, "id": record_id, "attributes": attributes,
                  "relationships": {name: relations.get(name) for name in self.to_one}}
        self.store.add(record_id, record)
        return record

    def snapshot(self) -> Any:
        """Resource objects as the API renders them (relationship data inlined, links left out)."""
        return [self.render(record, None) for record in self.store.values()]

    def count(self) -> int:
        return len(self.store)

    def render(self, record: dict[str, Any], root: str | None) -> dict[str, Any]:
        record_id = record["id"]
        relationships: dict[str, Any] = {}
        for name, type_ in self.to_one.items():
            target = record["relationships"].get(name)
            relationships[name] = {"data": None if target is None else {"type": type_, "id": target}}
        if root is not None:
            for name in self.to_many:
                relationships[name] = {"links": {"related": (
                    f"{root}/api/v2/{name}?filter%5B{self.related_filter}%5D%5Bid%5D={record_id}")}}
        resource = {"type": self.type_name, "id": record_id, "attributes": dict(record["attributes"]),
                    "relationships": relationships}
        if root is not None:
            resource["links"] = {"self": f"{root}/api/v2/{self.path}/{record_id}"}
        return resource

    def not_found(self, resource_id: str) -> dict[str, Any]:
        return {"id": "resourceNotFound", "title": "Resource Not Found",
                "detail": f"Could not find '{self.type_name}' with ID '{resource_id}'."}

    # -- HTTP -------------------------------------------------------------------------------------
    async def collection(self, request: Request) -> Response:
        early, headers, body = await self.emulator._guard(request)
        if early is not None:
            return early
        if request.method == "POST":
            return self._create(request, body, headers)
        return self._list(request, headers)

    async def member(self, request: Request) -> Response:
        early, headers, body = await self.emulator._guard(request)
        if early is not None:
            return early
        raw_id = request.path_params["id"]
        record_id = _as_id(raw_id) if not raw_id.startswith("0") else None
        record = self.store.get(record_id) if record_id is not None else None
        if record is None:
            return error_document(404, self.not_found(raw_id), headers=headers)
        if request.method == "GET":
            return document(200, {"data": self.render(record, self.emulator._root(request))}, headers)
        if request.method == "DELETE":
            self.store.delete(record["id"])
            return document(204, None, headers)
        return self._update(request, record, body, headers)

    # -- list -------------------------------------------------------------------------------------
    def _list(self, request: Request, headers: dict[str, str]) -> Response:
        order, records = self.store.active, self.store.records   # ids ascending; records by id
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        size_text = params.get("page[size]", str(DEFAULT_PAGE_SIZE))
        if not size_text.isdigit() or int(size_text) < 1:
            return error_document(400, bad_request("page[size] must be a positive integer.", None), headers=headers)
        if int(size_text) > MAX_PAGE_SIZE and self.emulator.switch["page_size_over_max"] == "refuse":
            return error_document(400, bad_request(f"page[size] must be at most {MAX_PAGE_SIZE}."), headers=headers)
        size = min(int(size_text), MAX_PAGE_SIZE)   # switch page_size_over_max (common.py)
        sort = self._sort_keys(params.get("sort", ""))
        if isinstance(sort, Response):
            sort.headers.update(headers)
            return sort
        if sort:
            order = self._sorted(order, records, sort)
        start = 0
        if "page[after]" in params:
            after = decode_cursor(params["page[after]"])
            if after is None or (sort and after not in records):
                return error_document(400, bad_request("Invalid pagination cursor."), headers=headers)
            # the cursor is the last id of the page before: its place in id order, or in the sorted order
            start = order.index(after) + 1 if sort else bisect.bisect_right(order, after)
        filters = {k[7:-1]: v for k, v in params.items() if k.startswith("filter[") and k.endswith("]")}
        predicate = self._predicate(filters)
        if isinstance(predicate, Response):
            predicate.headers.update(headers)
            return predicate
        page: list[dict[str, Any]] = []
        index = start
        while index < len(order) and len(page) < size:
            record = records[order[index]]
            if predicate is None or predicate(record):
                page.append(record)
            index += 1
        has_more = len(page) == size and any(
            predicate is None or predicate(records[order[probe]]) for probe in range(index, len(order)))
        root = self.emulator._root(request)
        base = f"{root}/api/v2/{self.path}"
        first_query = {k: v for k, v in params.items() if k not in ("page[after]", "page[before]")}
        first_query["page[size]"] = str(size)
        links: dict[str, str] = {"first": f"{base}?{urlencode(first_query)}"}
        if page and "page[after]" in params:
            links["prev"] = f"{base}?{urlencode({**first_query, 'page[before]': encode_cursor(page[0]['id'])})}"
        if has_more:
            links["next"] = f"{base}?{urlencode({**first_query, 'page[after]': encode_cursor(page[-1]['id'])})}"
        result: dict[str, Any] = {"data": [self.render(r, root) for r in page], "links": links}
        if params.get("count", "true").lower() != "false":
            total = len(order) if predicate is None else sum(1 for rid in order if predicate(records[rid]))
            result["meta"] = {"count": total, "count_truncated": False}
        return document(200, result, headers)

    def _sort_keys(self, text: str) -> list[tuple[str, bool]] | Response:
        """`sort=a,-b`: (attribute, descending) pairs; an attribute that is not sortable is 400."""
        keys: list[tuple[str, bool]] = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            attr = part.lstrip("-")
            if attr not in self.attribute_types or (self.sortable is not None and attr not in self.sortable):
                return error_document(400, bad_request(f"Invalid sort '{attr}'."))
            keys.append((attr, part.startswith("-")))
        return keys

    @staticmethod
    def _sorted(order: list[int], records: dict[int, dict[str, Any]], keys: list[tuple[str, bool]]) -> list[int]:
        """The ids ordered by the sort keys (ties by id; nulls last), text compared case-blind."""
        ordered = list(order)
        for attr, descending in reversed(keys):
            def key(rid: int, attr: str = attr) -> Any:
                value = records[rid]["attributes"].get(attr)
                value = _instant(value) if attr in TIMESTAMPS and value else value
                return value.lower() if isinstance(value, str) else value
            present = [rid for rid in ordered if key(rid) is not None]
            present.sort(key=key, reverse=descending)
            ordered = present + [rid for rid in ordered if key(rid) is None]
        return ordered

    def _predicate(self, filters: dict[str, str]) -> Predicate | Response | None:
        """`filter[attr]=v`, lists `a,b`, ranges `a..b` with `inf`/`neginf`, `filter[rel][id]=n`
        (https://api.outreach.io/api/v2/docs#pagination)."""
        if not filters:
            return None
        checks: list[Predicate] = []
        for attr, value in filters.items():
            name = attr.split("]", 1)[0]   # filter[account][id] -> "account"
            if self.filterable is not None and name not in self.filterable:
                return error_document(400, bad_request(f"Invalid filter '{attr}': it is not filterable."))
            if attr == "id":
                check = self._id_filter(value, lambda r: r["id"])
            elif attr.endswith("][id") and attr[:-4] in self.to_one:   # filter[account][id] -> "account][id"
                check = self._id_filter(value, lambda r, rel=attr[:-4]: r["relationships"].get(rel))
            elif attr in TIMESTAMPS and attr in self.attribute_types and ".." in value:
                low, high = value.split("..", 1)
                check = self._time_filter(attr, low, high)
            elif self.attribute_types.get(attr) is STRINGS:
                wanted = set(value.split(","))
                check = lambda r, a=attr, w=wanted: bool(w & set(r["attributes"].get(a) or ()))  # noqa: E731
            elif attr in self.attribute_types:
                wanted = set(value.split(","))
                check = lambda r, a=attr, w=wanted: _as_text(r["attributes"].get(a)) in w  # noqa: E731
            else:
                check = None
            if check is None:
                return error_document(400, bad_request(f"Invalid filter '{attr}' value '{value}'."))
            checks.append(check)
        return lambda record: all(check(record) for check in checks)

    @staticmethod
    def _time_filter(attr: str, low: str, high: str) -> Predicate | None:
        """`a..b` on a timestamp attribute, both ends inclusive and compared as instants; `inf`/`neginf` (or
        nothing) leave an end open. None when an end is not a timestamp."""
        lo = None if low in ("", "neginf") else _instant(low)
        hi = None if high in ("", "inf") else _instant(high)
        if (lo is None and low not in ("", "neginf")) or (hi is None and high not in ("", "inf")):
            return None

        def check(record: dict[str, Any]) -> bool:
            value = record["attributes"].get(attr)
            at = _instant(value) if value else None
            return at is not None and (lo is None or at >= lo) and (hi is None or at <= hi)
        return check

    @staticmethod
    def _id_filter(value: str, key: Callable[[dict[str, Any]], int | None]) -> Predicate | None:
        """`1,2,3` or `a..b` (`inf`/`neginf` open ends); None when a part is not an integer."""
        if ".." in value:
            low, high = value.split("..", 1)
            lo = float("-inf") if low in ("", "neginf") else _as_id(low)
            hi = float("inf") if high in ("", "inf") else _as_id(high)
            if lo is None or hi is None:
                return None
            return lambda r: (k := key(r)) is not None and lo <= k <= hi
        wanted = {_as_id(v.strip()) for v in value.split(",")}
        if None in wanted:
            return None
        return lambda r: key(r) in wanted

    # -- writes -----------------------------------------------------------------------------------
    def _validate(self, data: dict[str, Any], record: dict[str, Any] | None
                  ) -> tuple[dict[str, Any], dict[str, int | None], dict[str, Any] | None]:
        """Clean attributes and relationships, or the error object (400 badRequest / 422 otherwise)."""
        attributes = data.get("attributes") or {}
        if not isinstance(attributes, dict):
            return {}, {}, bad_request("attributes must be an object.", "/data/attributes")
        clean: dict[str, Any] = {}
        for key, value in attributes.items():
            pointer = f"/data/attributes/{key}"
            if key not in self.attribute_types:
                return {}, {}, validation_error(f"'{key}' is not a valid attribute for {self.type_name}.", pointer)
            if key in self.read_only_attributes:
                continue
            expected = self.attribute_types[key]
            if value is not None and (not isinstance(value, expected) or (expected is INT and isinstance(value, bool))):
                return {}, {}, validation_error(f"{key} has an invalid type.", pointer)
            if expected is STRINGS and value is not None and not all(isinstance(t, str) for t in value):
                return {}, {}, validation_error(f"{key} must be an array of strings.", pointer)
            clean[key] = value
        relations: dict[str, int | None] = {}
        relationships = data.get("relationships") or {}
        if not isinstance(relationships, dict):
            return {}, {}, bad_request("relationships must be an object.", "/data/relationships")
        for rel_name, rel in relationships.items():
            pointer = f"/data/relationships/{rel_name}"
            if rel_name not in self.writable_to_one:
                return {}, {}, validation_error(
                    f"'{rel_name}' is not a writable relationship for {self.type_name}.", pointer)
            if not isinstance(rel, dict) or "data" not in rel:
                return {}, {}, bad_request("A relationship must have a data member.", pointer)
            target = rel["data"]
            if target is None:
                relations[rel_name] = None
                continue
            target_id = _as_id(target.get("id")) if isinstance(target, dict) else None
            if not isinstance(target, dict) or target.get("type") != self.to_one[rel_name] or target_id is None:
                return {}, {}, validation_error(f"{rel_name} must reference a {self.to_one[rel_name]}.", pointer + "/data")
            if self.to_one[rel_name] == "user" and self.emulator.resource("users").store.get(target_id) is None:
                return {}, {}, validation_error(f"{rel_name} references an unknown user.", pointer + "/data")
            relations[rel_name] = target_id
        failure = self.check(clean, relations, record)
        return clean, relations, failure

    def _refuse(self, error: dict[str, Any], headers: dict[str, str]) -> Response:
        status = {"badRequest": 400, "resourceNotFound": 404}.get(error["id"], 422)
        return error_document(status, error, headers=headers)

    def _create(self, request: Request, body: Any, headers: dict[str, str]) -> Response:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != self.type_name:
            return error_document(400, bad_request(
                f"The request must contain a data object of type '{self.type_name}'.", "/data"), headers=headers)
        if "id" in data:
            # JSON:API: client-generated ids are not supported -> 403 Forbidden (jsonapi.org/format/1.0/#crud-creating-responses-403)
            return error_document(403, {"id": "forbidden", "title": "Forbidden",
                                        "detail": "Client-generated ids are not supported."}, headers=headers)
        attributes, relations, failure = self._validate(data, None)
        if failure is not None:
            return self._refuse(failure, headers)
        stamp = now_iso()
        stored = dict.fromkeys(self.attribute_types)
        stored.update(self.defaults())
        stored.update(attributes)
        stored.update({"createdAt": stamp, "updatedAt": stamp})
        relations.setdefault("creator", SANDBOX_USER_IDS[0])
        relations.setdefault("updater", SANDBOX_USER_IDS[0])
        record = self.store_record(stored, relations)
        self.created(record)
        self.derive(record)
        root = self.emulator._root(request)
        return document(201, {"data": self.render(record, root)},
                        {**headers, "Location": f"{root}/api/v2/{self.path}/{record['id']}"})

    def _update(self, request: Request, record: dict[str, Any], body: Any, headers: dict[str, str]) -> Response:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return error_document(400, bad_request("The request must contain a data object.", "/data"), headers=headers)
        body_id = data.get("id")
        if body_id is None or data.get("type") is None:
            return error_document(400, bad_request("data.type and data.id are required.", "/data"), headers=headers)
        if data.get("type") != self.type_name or str(body_id) != str(record["id"]):
            return error_document(self.emulator.switch["id_mismatch_status"], {   # default ID_MISMATCH_STATUS
                "id": "conflict", "title": "Conflict",
                "detail": "The resource type and id in the document must match the endpoint.",
            }, headers=headers)
        attributes, relations, failure = self._validate(data, record)
        if failure is not None:
            return self._refuse(failure, headers)
        record["attributes"].update(attributes)
        record["relationships"].update(relations)
        record["attributes"]["updatedAt"] = now_iso()
        self.derive(record)
        return document(200, {"data": self.render(record, self.emulator._root(request))}, headers)
