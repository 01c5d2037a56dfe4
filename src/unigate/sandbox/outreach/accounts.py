"""Outreach accounts: the JSON:API v2 `account` resource (https://api.outreach.io/api/v2/accounts).

Sources: the official OpenAPI account schema and operations
(https://api.outreach.io/api/v2/schema/openapi.json) and https://developers.outreach.io/api/making-requests/.
- Ids are JSON integers (not JSON:API strings), `type` is the singular `"account"`.
- List: cursor pagination, `page[size]` (default 50, max 1000) and `links.next`, a full URL carrying the
  same query plus `page[after]=<opaque cursor>`; no `next` on the last page. `meta.count` unless
  `count=false`. Filters `filter[name|domain|id|updatedAt]`, range syntax `a..b` with `inf`/`neginf`.
- Create 201, update 200 (PATCH, `data.type` and `data.id` required and matching the URL), delete 204 with
  an empty body; deletion is permanent, so a second delete is 404.
- 404 `resourceNotFound`, 422 `validationError` with `source.pointer`.
"""

from __future__ import annotations

import bisect
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.outreach.common import (
    DEFAULT_PAGE_SIZE, ID_MISMATCH_STATUS, MAX_PAGE_SIZE, SANDBOX_USER_IDS, SEED_EPOCH, bad_request, decode_cursor,
    document, encode_cursor, error_document, iso, now_iso, validation_error,
)

# Read-only attributes: sent values are ignored, as JSON:API servers do for server-managed members.
READ_ONLY_ATTRIBUTES = ("createdAt", "updatedAt", "touchedAt", "naturalName")
CUSTOM_FIELD_COUNT = 150  # custom1..custom150 (OpenAPI account schema)
CUSTOM_KEYS = tuple(f"custom{i}" for i in range(1, CUSTOM_FIELD_COUNT + 1))
# Attribute -> accepted JSON types (None always allowed). From the OpenAPI account schema,
# https://api.outreach.io/api/v2/schema/openapi.json.
STRING = (str,)
INT = (int,)
BOOL = (bool,)
ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    "name": STRING,
    "naturalName": STRING,
    "domain": STRING,
    "websiteUrl": STRING,
    "linkedInUrl": STRING,
    "linkedInEmployees": INT,
    "followers": INT,
    "industry": STRING,
    "numberOfEmployees": INT,
    "description": STRING,
    "locality": STRING,
    "foundedAt": STRING,
    "companyType": STRING,
    "annualRevenueRange": STRING,
    "naicsCodes": STRING,
    "sicCodes": STRING,
    "tickerSymbol": STRING,
    "buyerIntentScore": (int, float),
    "tags": (list,),
    "customId": STRING,
    "externalSource": STRING,
    "named": BOOL,
    "sharingTeamId": STRING,
    "createdAt": STRING,
    "updatedAt": STRING,
    "touchedAt": STRING,
    **{key: STRING for key in CUSTOM_KEYS},
}
# Relationships that can be written (to-one); to-many ones are read-only links.
TO_ONE_RELATIONSHIPS = {"owner": "user", "creator": "user", "updater": "user"}
TO_MANY_RELATIONSHIPS = ("prospects", "tasks", "opportunities")


_COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne",
    "Soylent", "Wonka", "Gringotts", "Oscorp", "Aperture", "Black Mesa", "Massive Dynamic", "Pied Piper",
    "Dunder Mifflin", "Sterling Cooper", "Prestige Worldwide", "Monarch", "Nakatomi", "Virtucon", "Zorg",
]
_SUFFIXES = ["Inc", "Labs", "Group", "Systems", "Holdings", "Partners", "Analytics", "Logistics"]
_INDUSTRIES = ["Software", "Manufacturing", "Financial Services", "Healthcare", "Retail", "Logistics",
               "Energy", "Media", "Education", "Telecommunications"]
_LOCALITIES = ["San Francisco, CA", "New York, NY", "Austin, TX", "Seattle, WA", "London, UK", "Berlin, DE",
               "Toronto, ON", "Sydney, AU", "Boston, MA", "Chicago, IL"]
_COMPANY_TYPES = ["Public Company", "Privately Held", "Partnership", "Nonprofit"]
_REVENUE = ["$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$500M", "$500M+"]
_TAGS = ["enterprise", "smb", "vip", "partner", "churn-risk", "expansion", "q3-target"]


def not_found(resource_id: str) -> dict[str, Any]:
    return {
        "id": "resourceNotFound",
        "title": "Resource Not Found",
        "detail": f"Could not find 'account' with ID '{resource_id}'.",
    }



class Accounts(Resource):
    """Outreach accounts: routes, seed and store (`self.store`, a `Collection` of integer ids in
    ascending order). Authentication, rate limit and media type come from the emulator's `_guard`."""

    name = "accounts"

    def routes(self) -> list[Route]:
        return [
            Route("/api/v2/accounts", self.collection, methods=["GET", "POST"]),
            Route("/api/v2/accounts/{id}", self.member, methods=["GET", "PATCH", "DELETE"]),
        ]

    def seed(self, count: int) -> None:
        self.store = Collection(number_of=int)   # ids from 1; deletion is permanent
        blank_custom = dict.fromkeys(CUSTOM_KEYS)
        for i in range(count):
            company = f"{_COMPANIES[i % len(_COMPANIES)]} {_SUFFIXES[(i // len(_COMPANIES)) % len(_SUFFIXES)]}"
            if i >= len(_COMPANIES) * len(_SUFFIXES):
                company = f"{company} {i // (len(_COMPANIES) * len(_SUFFIXES)) + 1}"
            slug = company.lower().replace(" ", "")
            created = SEED_EPOCH + timedelta(hours=7 * i)
            updated = created + timedelta(days=3, minutes=i % 60)
            touched = updated + timedelta(hours=5)
            attributes = dict(blank_custom)
            attributes.update({
                "name": company,
                "naturalName": company.rsplit(" ", 1)[0],
                "domain": f"{slug}.com",
                "websiteUrl": f"https://www.{slug}.com",
                "linkedInUrl": f"https://www.linkedin.com/company/{slug}",
                "linkedInEmployees": 40 + (i * 37) % 5000,
                "followers": 100 + (i * 211) % 90000,
                "industry": _INDUSTRIES[i % len(_INDUSTRIES)],
                "numberOfEmployees": 50 + (i * 53) % 9950,
                "description": f"{company} builds {_INDUSTRIES[i % len(_INDUSTRIES)].lower()} products.",
                "locality": _LOCALITIES[i % len(_LOCALITIES)],
                "foundedAt": f"{1950 + i % 70}-01-01T00:00:00.000Z",
                "companyType": _COMPANY_TYPES[i % len(_COMPANY_TYPES)],
                "annualRevenueRange": _REVENUE[i % len(_REVENUE)],
                "naicsCodes": str(511210 + i % 50),
                "sicCodes": str(7372 + i % 20),
                "tickerSymbol": slug[:4].upper(),
                "buyerIntentScore": round((i * 7 % 100) / 100, 2),
                "tags": [_TAGS[i % len(_TAGS)], _TAGS[(i + 3) % len(_TAGS)]],
                "customId": f"CRM-{10000 + i}",
                "externalSource": "salesforce",
                "named": i % 3 == 0,
                "sharingTeamId": f"team-{i % 4 + 1}",
                "custom1": f"Tier {i % 3 + 1}",
                "custom2": _LOCALITIES[(i + 1) % len(_LOCALITIES)].split(",")[0],
                "custom3": f"+1-555-{1000 + i % 9000:04d}",
                "createdAt": iso(created),
                "updatedAt": iso(updated),
                "touchedAt": iso(touched),
            })
            owner = SANDBOX_USER_IDS[i % len(SANDBOX_USER_IDS)]
            self._store(attributes, {"owner": owner, "creator": SANDBOX_USER_IDS[0], "updater": owner})

    def _store(self, attributes: dict[str, Any], relations: dict[str, int | None]) -> dict[str, Any]:
        record_id = self.store.new_id()
        record = {"type": "account", "id": record_id, "attributes": attributes,
                  "relationships": {name: relations.get(name) for name in TO_ONE_RELATIONSHIPS}}
        self.store.add(record_id, record)
        return record

    def snapshot(self) -> Any:
        """Resource objects as the API renders them (relationship data inlined, links left out)."""
        return [self.render(record, None) for record in self.store.values()]

    def render(self, record: dict[str, Any], root: str | None) -> dict[str, Any]:
        record_id = record["id"]
        relationships: dict[str, Any] = {}
        for name, type_ in TO_ONE_RELATIONSHIPS.items():
            target = record["relationships"].get(name)
            relationships[name] = {"data": None if target is None else {"type": type_, "id": target}}
        for name in TO_MANY_RELATIONSHIPS:
            if root is not None:
                relationships[name] = {"links": {"related": f"{root}/api/v2/{name}?filter%5Baccount%5D%5Bid%5D={record_id}"}}
        resource = {"type": "account", "id": record_id, "attributes": dict(record["attributes"]),
                    "relationships": relationships}
        if root is not None:
            resource["links"] = {"self": f"{root}/api/v2/accounts/{record_id}"}
        return resource

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
        record = self.store.get(int(raw_id)) if raw_id.isdigit() and not raw_id.startswith("0") else None
        if record is None:
            return error_document(404, not_found(raw_id), headers=headers)
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
        size = min(int(size_text), MAX_PAGE_SIZE)
        start = 0
        if "page[after]" in params:
            after = decode_cursor(params["page[after]"])
            if after is None:
                return error_document(400, bad_request("Invalid pagination cursor."), headers=headers)
            start = bisect.bisect_right(order, after)
        filters = {k[7:-1]: v for k, v in params.items() if k.startswith("filter[") and k.endswith("]")}
        predicate = self._predicate(filters)
        if isinstance(predicate, Response):
            return predicate
        page: list[dict[str, Any]] = []
        index = start
        while index < len(order) and len(page) < size:
            record = records[order[index]]
            if predicate is None or predicate(record):
                page.append(record)
            index += 1
        has_more = False
        if len(page) == size:
            probe = index
            while probe < len(order):
                if predicate is None or predicate(records[order[probe]]):
                    has_more = True
                    break
                probe += 1
        root = self.emulator._root(request)
        base = f"{root}/api/v2/accounts"
        first_query = {k: v for k, v in params.items() if k not in ("page[after]", "page[before]")}
        first_query["page[size]"] = str(size)
        links: dict[str, str] = {"first": f"{base}?{urlencode(first_query)}"}
        if page and "page[after]" in params:
            links["prev"] = f"{base}?{urlencode({**first_query, 'page[before]': encode_cursor(page[0]['id'])})}"
        if has_more:
            links["next"] = f"{base}?{urlencode({**first_query, 'page[after]': encode_cursor(page[-1]['id'])})}"
        result: dict[str, Any] = {"data": [self.render(r, root) for r in page], "links": links}
        if params.get("count", "true").lower() != "false":
            total = len(order) if predicate is None else sum(
                1 for rid in order if predicate(records[rid]))
            result["meta"] = {"count": total, "count_truncated": False}
        return document(200, result, headers)

    def _predicate(self, filters: dict[str, str]):
        """`filter[attr]=v`, lists `a,b`, ranges `a..b` with `inf`/`neginf` (https://api.outreach.io/api/v2/docs#pagination)."""
        if not filters:
            return None
        checks = []
        for attr, value in filters.items():
            if attr == "id":
                if ".." in value:
                    low, high = value.split("..", 1)
                    lo = float("-inf") if low in ("", "neginf") else int(low)
                    hi = float("inf") if high in ("", "inf") else int(high)
                    checks.append(lambda r, lo=lo, hi=hi: lo <= r["id"] <= hi)
                else:
                    wanted = {int(v) for v in value.split(",") if v.strip().isdigit()}
                    checks.append(lambda r, wanted=wanted: r["id"] in wanted)
            elif attr in ("createdAt", "updatedAt", "touchedAt") and ".." in value:
                low, high = value.split("..", 1)
                checks.append(lambda r, a=attr, low=low, high=high: (
                    r["attributes"].get(a) is not None
                    and (low in ("", "neginf") or r["attributes"][a] >= low)
                    and (high in ("", "inf") or r["attributes"][a] <= high)))
            elif attr in ATTRIBUTE_TYPES:
                wanted_values = set(value.split(","))
                checks.append(lambda r, a=attr, w=wanted_values: str(r["attributes"].get(a)) in w)
            else:
                return error_document(400, bad_request(f"Unknown filter attribute '{attr}'."))
        return lambda record: all(check(record) for check in checks)

    # -- writes -----------------------------------------------------------------------------------
    def _validate(self, data: Any, creating: bool) -> tuple[dict[str, Any], dict[str, int | None], Response | None]:
        attributes = data.get("attributes") or {}
        if not isinstance(attributes, dict):
            return {}, {}, error_document(400, bad_request("attributes must be an object.", "/data/attributes"))
        clean: dict[str, Any] = {}
        for key, value in attributes.items():
            pointer = f"/data/attributes/{key}"
            if key not in ATTRIBUTE_TYPES:
                return {}, {}, error_document(422, validation_error(f"'{key}' is not a valid attribute for account.", pointer))
            if key in READ_ONLY_ATTRIBUTES:
                continue
            expected = ATTRIBUTE_TYPES[key]
            if value is not None and (not isinstance(value, expected) or (expected is INT and isinstance(value, bool))):
                return {}, {}, error_document(422, validation_error(f"{key} has an invalid type.", pointer))
            if key == "tags" and value is not None and not all(isinstance(t, str) for t in value):
                return {}, {}, error_document(422, validation_error("tags must be an array of strings.", pointer))
            clean[key] = value
        if (creating or "name" in clean) and not (clean.get("name") or "").strip():
            return {}, {}, error_document(422, validation_error("Name can't be blank.", "/data/attributes/name"))
        relations: dict[str, int | None] = {}
        for rel_name, rel in (data.get("relationships") or {}).items():
            pointer = f"/data/relationships/{rel_name}"
            if rel_name not in TO_ONE_RELATIONSHIPS:
                return {}, {}, error_document(422, validation_error(f"'{rel_name}' is not a writable relationship for account.", pointer))
            if not isinstance(rel, dict) or "data" not in rel:
                return {}, {}, error_document(400, bad_request("A relationship must have a data member.", pointer))
            target = rel["data"]
            if target is None:
                relations[rel_name] = None
                continue
            target_id = target.get("id") if isinstance(target, dict) else None
            if isinstance(target_id, str) and target_id.isdigit():
                target_id = int(target_id)
            if not isinstance(target, dict) or target.get("type") != TO_ONE_RELATIONSHIPS[rel_name] or not isinstance(target_id, int):
                return {}, {}, error_document(422, validation_error(f"{rel_name} must reference a {TO_ONE_RELATIONSHIPS[rel_name]}.", pointer + "/data"))
            relations[rel_name] = target_id
        return clean, relations, None

    def _create(self, request: Request, body: Any, headers: dict[str, str]) -> Response:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != "account":
            return error_document(400, bad_request("The request must contain a data object of type 'account'.", "/data"), headers=headers)
        if "id" in data:
            # JSON:API: client-generated ids are not supported -> 403 Forbidden (jsonapi.org/format/1.0/#crud-creating-responses-403)
            return error_document(403, {"id": "forbidden", "title": "Forbidden",
                                        "detail": "Client-generated ids are not supported."}, headers=headers)
        attributes, relations, failure = self._validate(data, creating=True)
        if failure is not None:
            failure.headers.update(headers)
            return failure
        stamp = now_iso()
        stored = dict.fromkeys(ATTRIBUTE_TYPES)
        stored.update({"tags": [], "named": False})
        stored.update(attributes)
        stored.update({"createdAt": stamp, "updatedAt": stamp, "touchedAt": None,
                       "naturalName": stored.get("name")})
        relations.setdefault("creator", SANDBOX_USER_IDS[0])
        relations.setdefault("updater", SANDBOX_USER_IDS[0])
        record = self._store(stored, relations)
        root = self.emulator._root(request)
        return document(201, {"data": self.render(record, root)},
                        {**headers, "Location": f"{root}/api/v2/accounts/{record['id']}"})

    def _update(self, request: Request, record: dict[str, Any], body: Any, headers: dict[str, str]) -> Response:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return error_document(400, bad_request("The request must contain a data object.", "/data"), headers=headers)
        body_id = data.get("id")
        if body_id is None or data.get("type") is None:
            return error_document(400, bad_request("data.type and data.id are required.", "/data"), headers=headers)
        if data.get("type") != "account" or str(body_id) != str(record["id"]):
            return error_document(ID_MISMATCH_STATUS, {
                "id": "conflict", "title": "Conflict",
                "detail": "The resource type and id in the document must match the endpoint.",
            }, headers=headers)
        attributes, relations, failure = self._validate(data, creating=False)
        if failure is not None:
            failure.headers.update(headers)
            return failure
        record["attributes"].update(attributes)
        if "name" in attributes:
            record["attributes"]["naturalName"] = attributes["name"]
        record["relationships"].update(relations)
        record["attributes"]["updatedAt"] = now_iso()
        return document(200, {"data": self.render(record, self.emulator._root(request))}, headers)

