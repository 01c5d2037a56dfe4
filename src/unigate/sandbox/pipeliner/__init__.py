"""Pipeliner CRM emulator: the REST v100 API (https://{region}.api.pipelinersales.com).

One module per entity (`accounts.py`, `contacts.py` with its ContactAccountRelations, `pipelines.py` with
Pipelines and their Steps, `opportunities.py`, `activities.py` with Notes, Appointments and AppointmentTypes: each a
`Resource` listed in `resources`, in seeding order),
assembled here with what every entity shares:
- Paths under `/api/v100/rest/spaces/{space_id}`; an unknown space is 404 `ERROR_NOT_FOUND` "Space not found."
  (PostHog pipeliner connector test fixture).
- HTTP Basic with the space's API username/password; anything else is 401
  (https://developers.pipelinersales.com/api-docs/overview/authentication).
- Envelope `{"success": true, "data": ...}`; errors `{"code", "name", "message", "success": false}`.
- List: `first` (default 30, max 100) + `after=<page_info.end_cursor>`, `page_info {start_cursor, end_cursor,
  has_previous_page, has_next_page}`, `total`; the last page still carries its `end_cursor`. Cursors are
  base64 of a JSON array holding the last record's id, like the documented examples. `filter[field]` with
  `filter-op[field]`, `order-by` (`-` for descending), `load-only`, `include-deleted`
  (https://developers.pipelinersales.com/api-docs/core-api-concepts/pagination, .../api-parameters).
- Dates `YYYY-MM-DD HH:MM:SS.ffffff+00:00` (https://developers.pipelinersales.com/api-docs/core-api-concepts/dates);
  a `Timezone` header converts them.
- Side entities records refer to: `Clients` (owners), `Tags`, `Currencies` (an opportunity value's currency).
  `Fields` (fields.py) holds the field definitions, the Industry data set that `industry_id` points into among
  them (create-account tutorial), and the custom fields records' `cf_` values are checked against.
Sources: https://developers.pipelinersales.com/api-docs/ (overview, core-api-concepts, tutorials), the vendor's v100
OpenAPI (entity schemas: Note, Appointment, AppointmentType, ActivityRelation, ...; mirrored in amp-labs/connectors
`providers/pipeliner/openapi/api.json`), the vendor-published PowerPlatform connector swagger, and answers recorded
from Pipeliner in amp-labs/connectors (`providers/pipeliner/test/...`).
Choices where the vendor leaves a behaviour unverified are module constants, each naming its source; where
the vendor's sources disagree they are switches (`common.SWITCHES`, set through
`POST /__control/pipeliner/switches`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, json_response
from unigate.sandbox.pipeliner.accounts import Accounts
from unigate.sandbox.pipeliner.activities import Appointments, AppointmentTypes, Notes
from unigate.sandbox.pipeliner.contacts import Contacts
from unigate.sandbox.pipeliner.fields import Fields
from unigate.sandbox.pipeliner.leads import OWNER_REQUIRED, Leads
from unigate.sandbox.pipeliner.opportunities import Opportunities
from unigate.sandbox.pipeliner.pipelines import Pipelines, Steps
from unigate.sandbox.pipeliner.common import (
    CLIENT_IDS, CLIENTS, CURRENCIES, DATE_FIELDS, ENTITIES_PATH, DEFAULT_PAGE_SIZE, DELETE_DELETED_STATUS, ENTITY_NOT_FOUND_NAME,
    INDUSTRIES, MAX_PAGE_SIZE, PERSONAS, SANDBOX_PASSWORD, SANDBOX_SPACE_ID, SANDBOX_USERNAME, SPACE_NOT_FOUND, TAGS,
    SWITCHES, UNAUTHORIZED, VALIDATION_NAME, VALIDATION_STATUS, decode_cursor, encode_cursor, error, ok, parse_date,
)

__all__ = [
    "CLIENTS",
    "CLIENT_IDS",
    "DELETE_DELETED_STATUS",
    "EMULATOR",
    "ENTITY_NOT_FOUND_NAME",
    "INDUSTRIES",
    "PERSONAS",
    "SANDBOX_PASSWORD",
    "SANDBOX_SPACE_ID",
    "SANDBOX_USERNAME",
    "TAGS",
    "VALIDATION_NAME",
    "VALIDATION_STATUS",
    "PipelinerEmulator",
]


class PipelinerEmulator(Emulator):
    name = "pipeliner"
    # Fields first: the other entities check their custom values against its definitions
    resources = (Fields, Accounts, Contacts, Pipelines, Steps, Opportunities, Leads, Notes, AppointmentTypes,
                 Appointments)
    # leads.py: whether a lead needs an owner (the connector swagger) or only a name (the OpenAPI)
    switches = {**SWITCHES, "lead_owner_required": OWNER_REQUIRED}

    # -- HTTP -------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        base = ENTITIES_PATH
        return super().routes() + [
            Route(f"{base}/Clients", self.side_list("Clients", CLIENTS), methods=["GET"]),
            Route(f"{base}/Clients/{{id}}", self.side_get("Client", CLIENTS), methods=["GET"]),
            Route(f"{base}/Tags", self.side_list("Tags", TAGS), methods=["GET"]),
            Route(f"{base}/Currencies", self.side_list("Currencies", CURRENCIES), methods=["GET"]),
            # last: an entity the space does not know, then any other path, answered as recorded from
            # Pipeliner (amp-labs/connectors, providers/pipeliner test fixtures unknown-entity and
            # resource-not-found)
            Route(f"{base}/{{entity}}", self.unknown_entity, methods=["GET", "POST", "PATCH", "DELETE"]),
            Route(f"{base}/{{entity}}/{{rest:path}}", self.unknown_entity, methods=["GET", "POST", "PATCH", "DELETE"]),
            Route("/{rest:path}", self.unknown_route, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    async def unknown_entity(self, request: Request) -> Response:
        early = self._guard(request)
        if early is not None:
            return early
        entity = request.path_params["entity"]
        return json_response({"code": 2006, "name": "ERROR_UNKNOWN_TYPE",
                              "message": f"cannot determine entity type from {entity}", "http_status": 404,
                              "success": False}, 404)

    async def unknown_route(self, request: Request) -> Response:
        return json_response({"status": 404, "message": "The requested URL was not found on the server. If you "
                              "entered the URL manually please check your spelling and try again.",
                              "errorcode": None, "traceback": None}, 404)

    @staticmethod
    def _authorised(request: Request) -> bool:
        value = request.headers.get("authorization", "")
        if value[:6].lower() != "basic ":
            return False
        try:
            decoded = base64.b64decode(value[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return decoded == f"{SANDBOX_USERNAME}:{SANDBOX_PASSWORD}"

    def _guard(self, request: Request) -> Response | None:
        # The space is part of every URL; credentials belong to one space (overview/about-the-api).
        if request.path_params["space_id"] != SANDBOX_SPACE_ID:
            return error(*SPACE_NOT_FOUND)
        if not self._authorised(request):
            response = error(*UNAUTHORIZED)
            response.headers["WWW-Authenticate"] = 'Basic realm="Pipeliner API"'
            return response
        return None

    @staticmethod
    def _zone(request: Request) -> ZoneInfo | None | Response:
        name = request.headers.get("timezone")
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return error(VALIDATION_STATUS, "ERROR_INVALID_TIMEZONE", f"Unknown timezone '{name}'.")

    @staticmethod
    def _expand(request: Request) -> list[str]:
        return [name.strip() for name in request.query_params.get("expand", "").split(",") if name.strip()]

    @staticmethod
    def _include_deleted(params) -> bool:
        # documented both as `include-deleted` (example) and `include_deleted` (parameter table)
        value = params.get("include-deleted", params.get("include_deleted", "false"))
        return value.lower() == "true"

    @staticmethod
    def _root(request: Request) -> str:
        url = str(request.url)
        return url[: url.index("/entities/")]

    # -- listing (shared by every entity) ---------------------------------------------------------
    @staticmethod
    def _filter(params: dict[str, str], include_deleted: bool):
        """`filter[field]=value` with `filter-op[field]=eq|ieq|not-eq|contains|icontains|starts|ends|gt|gte|lt|lte|null|not-null|empty`."""
        checks = []
        # `null` / `not-null` need no value: the vendor connector sends `filter-op[pipeline_id]=not-null` alone
        # (PowerPlatformConnectors, Pipeliner CRM apiDefinition.swagger.json, the Steps lists).
        terms = {key[7:-1]: value for key, value in params.items() if key.startswith("filter[") and key.endswith("]")}
        for key, op in params.items():
            if key.startswith("filter-op[") and key.endswith("]") and op in ("null", "not-null"):
                terms.setdefault(key[10:-1], "")
        for field, value in terms.items():
            op = params.get(f"filter-op[{field}]", "eq")

            def check(record, field=field, op=op, value=value):
                actual = record.get(field)
                text = "" if actual is None else str(actual)
                if op == "eq":
                    return text == value
                if op == "ieq":
                    return text.lower() == value.lower()
                if op == "not-eq":
                    return text != value
                if op == "contains":
                    return value in text
                if op == "icontains":
                    return value.lower() in text.lower()
                if op == "starts":
                    return text.startswith(value)
                if op == "ends":
                    return text.endswith(value)
                if op == "null":
                    return actual is None
                if op == "not-null":
                    return actual is not None
                if op == "empty":
                    return actual in (None, "", [])
                if actual is None:
                    return False
                if field in DATE_FIELDS:
                    left, right = parse_date(text), parse_date(value if "+" in value or "Z" in value else value + "+00:00")
                elif isinstance(actual, (int, float)):
                    left, right = actual, float(value)
                else:
                    left, right = text, value
                return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}.get(op, False)

            checks.append(check)
        if not include_deleted:
            checks.append(lambda record: not record.get("is_deleted"))
        return lambda record: all(c(record) for c in checks)

    def _page(self, request: Request, ids: list[str], lookup: dict[str, dict[str, Any]],
              position: dict[str, int] | None, render, unfiltered_total: int | None = None) -> Response:
        params = dict(request.query_params)
        first_text = params.get("first", str(DEFAULT_PAGE_SIZE))
        if not first_text.isdigit() or int(first_text) < 1:
            return error(VALIDATION_STATUS, "ERROR_INVALID_PARAMETER", "Parameter 'first' must be a positive integer.")
        size = min(int(first_text), MAX_PAGE_SIZE)
        include_deleted = self._include_deleted(params)
        keep = self._filter(params, include_deleted)
        order_by = params.get("order-by")
        if order_by:
            descending = order_by.startswith("-")
            field = order_by.lstrip("-")
            ids = sorted(ids, key=lambda i: (lookup[i].get(field) is None, lookup[i].get(field) or ""),
                         reverse=descending)
            position = None
        start = 0
        if "after" in params:
            after = decode_cursor(params["after"])
            if after is None:
                return error(VALIDATION_STATUS, "ERROR_INVALID_CURSOR", "Invalid cursor.")
            if position is None:
                position = {rid: n for n, rid in enumerate(ids)}
            if after not in position:
                return error(VALIDATION_STATUS, "ERROR_INVALID_CURSOR", "Invalid cursor.")
            start = position[after] + 1
        page: list[str] = []
        index = start
        while index < len(ids) and len(page) < size:
            if keep(lookup[ids[index]]):
                page.append(ids[index])
            index += 1
        has_next = any(keep(lookup[ids[j]]) for j in range(index, len(ids))) if len(page) == size else False
        filtered = include_deleted or any(k.startswith(("filter[", "filter-op[")) for k in params)
        if not filtered and unfiltered_total is not None:
            total = unfiltered_total
        else:
            total = sum(1 for rid in ids if keep(lookup[rid]))
        load_only = [f for f in params.get("load-only", "").split(",") if f] or None
        return ok({
            "success": True,
            "total": total,
            "page_info": {
                "start_cursor": encode_cursor(page[0]) if page else None,
                "end_cursor": encode_cursor(page[-1]) if page else None,
                "has_previous_page": start > 0,
                "has_next_page": has_next,
            },
            "data": [render(lookup[rid], load_only) for rid in page],
        })

    def side_list(self, entity: str, items: list[dict[str, Any]]):
        lookup = {item["id"]: item for item in items}
        ids = [item["id"] for item in items]
        position = {rid: n for n, rid in enumerate(ids)}

        async def handler(request: Request) -> Response:
            early = self._guard(request)
            if early is not None:
                return early

            def render(item, load_only):
                return {k: v for k, v in item.items() if not load_only or k in load_only or k == "id"}

            return self._page(request, ids, lookup, position, render, len(ids))

        handler.__name__ = f"list_{entity.lower()}"
        return handler

    def side_get(self, entity: str, items: list[dict[str, Any]]):
        """`GET /entities/<Entity>/{id}` of a side entity: the item, or 404 as for any unknown id."""
        lookup = {item["id"]: item for item in items}

        async def handler(request: Request) -> Response:
            early = self._guard(request)
            if early is not None:
                return early
            item = lookup.get(request.path_params["id"])
            if item is None or item.get("is_deleted"):
                return error(404, ENTITY_NOT_FOUND_NAME, f"{entity} with id '{request.path_params['id']}' not found.")
            return ok({"success": True, "data": item})

        handler.__name__ = f"get_{entity.lower()}"
        return handler


EMULATOR = PipelinerEmulator
