"""What Copper's four record resources share: companies (accounts.py), people (contacts.py), opportunities
(deals.py) and leads (leads.py).

Each is served the same way (https://developer.copper.com/ , Copper's Postman docs mirrored in
https://github.com/dquimper/GitbookTest , `2.-leads/` to `5.-opportunities/`):
- `POST /<records>` creates and answers 200 (not 201) with the record;
- `POST /<records>/search` answers a bare JSON array of one page, the number of matches in `X-PW-TOTAL`;
- `GET /<records>/{id}` reads one; an id that is not stored answers Copper's 404;
- `PUT /<records>/{id}` changes only the fields sent, `null` clearing one (changes.py);
- `DELETE /<records>/{id}` deletes for good and answers {"id", "is_deleted": true}; the id then answers 404.

`CopperRecords` holds those handlers. An entity module subclasses it with its fields (`blank`), its
writes (`apply_changes`), its search (`SEARCH_KEYS`, `filters`, `sort_keys`) and whatever else it serves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.copper.changes import NAME_REQUIRED, name_missing
from unigate.sandbox.copper.common import (
    NOT_FOUND_MESSAGE,
    body_object,
    error,
    read_search,
    validation_error,
)
from unigate.sandbox.copper.search import Criterion, page_span, search_answer

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

V1 = "/developer_api/v1"
BAD_CRITERIA = "Invalid search criteria"
BAD_DIRECTION = "sort_direction must be asc or desc"

Record = dict[str, Any]
SortKey = Callable[[Record], Any]


class CopperRecords(Resource):
    """One Copper entity's records, served under `V1/<path>`."""

    emulator: CopperEmulator
    path: ClassVar[str]                 # the vendor's plural in the URL: "companies"
    entity: ClassVar[str]               # the custom field definitions' `available_on` name: "company"
    first_id: ClassVar[int]
    # The search keys the entity applies. Copper answers 422 to a key it does not know, and the documented
    # keys not applied here are refused too, so a client never relies on a filter the sandbox would skip
    # (common.read_search, common.UNKNOWN_KEY_PROBLEM).
    SEARCH_KEYS: ClassVar[set[str]]
    DEFAULT_SORT_BY: ClassVar[str]
    # The order a search's problems are looked for in: the first one found is the 422.
    SEARCH_CHECKS: ClassVar[tuple[str, ...]] = ("criteria", "sort_by", "sort_direction")
    # Sorts whose direction is fixed whatever sort_direction says (sort_by -> descending).
    FIXED_DIRECTIONS: ClassVar[dict[str, bool]] = {}
    # Sorts the store's insertion order already satisfies ascending: a page of them is a slice, not a sort.
    CREATION_ORDER_SORTS: ClassVar[tuple[str, ...]] = ()
    # Whether an update with an empty body leaves date_modified as it is.
    EMPTY_UPDATE_KEEPS_DATE_MODIFIED: ClassVar[bool] = False

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=self.first_id)

    def snapshot(self) -> list[Record]:
        return self.store.snapshot()

    def find(self, raw_id: str) -> Record | None:
        return self.store.get(str(int(raw_id))) if raw_id.isdigit() else None

    def render(self, record: Record) -> Record:
        """The record as the API shows it (the stored one, unless an entity shows more or less)."""
        return record

    def with_current_company(self, record: Record) -> Record:
        """A person's or an opportunity's `company_id` and `company_name` as the company is now: the name it
        has today; a deleted company leaves neither id nor name [unverified]."""
        if record["company_id"] is None:
            return record
        company = self.emulator.resource("accounts").store.get(str(record["company_id"]))  # type: ignore[attr-defined]
        return {**record, "company_id": company["id"] if company else None,
                "company_name": company["name"] if company else None}

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route(f"{V1}/{self.path}", g(self.create), methods=["POST"]),
            Route(f"{V1}/{self.path}/search", g(self.search), methods=["POST"]),
            Route(V1 + f"/{self.path}/{{id}}", g(self.get), methods=["GET"]),
            Route(V1 + f"/{self.path}/{{id}}", g(self.update), methods=["PUT"]),
            Route(V1 + f"/{self.path}/{{id}}", g(self.delete), methods=["DELETE"]),
            *self.more_routes(),
        ]

    def more_routes(self) -> list[Route]:
        """The entity's endpoints beyond create, search, read, update and delete."""
        return []

    # -- read, delete -------------------------------------------------------------------------------------
    async def get(self, request: Request) -> Response:
        record = self.find(request.path_params["id"])
        if record is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(self.render(record))

    async def delete(self, request: Request) -> Response:
        """Permanent delete (delete-a-company.md, delete-a-person.md, delete-an-opportunity.md, delete-a-lead.md:
        "permanently removes"); the 404 that follows for companies is [unverified]."""
        record = self.find(request.path_params["id"])
        if record is None:
            return error(404, NOT_FOUND_MESSAGE)
        self.store.delete(str(record["id"]))
        return json_response({"id": record["id"], "is_deleted": True})

    # -- create -------------------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        record = self.build(body)
        if isinstance(record, Response):
            return record
        return json_response(self.render(self.add(record)))

    def build(self, body: dict[str, Any]) -> Record | Response:
        """A new record from a create body, not stored yet, or Copper's 422."""
        problems = self.missing(body)
        if problems:
            return validation_error(*problems)
        record = self.blank(int(time.time()))
        failure = self.apply_changes(record, body, creating=True)
        return failure if failure is not None else record

    def add(self, record: Record) -> Record:
        """Store a record `build` made, under a new id."""
        record["id"] = self.store.new_id()
        self.store.add(str(record["id"]), record)
        return record

    def missing(self, body: dict[str, Any]) -> list[str]:
        """The problems of a create body without what the entity requires (a name, for every one)."""
        return [NAME_REQUIRED] if self.name_missing(body.get("name")) else []

    @staticmethod
    def name_missing(value: Any) -> bool:
        return name_missing(value)

    def blank(self, now: int) -> Record:  # pragma: no cover - abstract
        """A record with every field unset, as a create starts it (id 0 until `add`)."""
        raise NotImplementedError

    def unset_custom_fields(self) -> list[dict[str, Any]]:
        """A value row for each custom field definition on the entity, all null (as a create lists them)."""
        return [{"custom_field_definition_id": fid, "value": None} for fid in self.emulator.definitions().ids_on(self.entity)]

    def custom_field_definitions(self) -> dict[int, dict[str, Any]]:
        return self.emulator.definitions().by_id()

    def apply_changes(self, record: Record, body: dict[str, Any], creating: bool) -> Response | None:  # pragma: no cover
        """Write the body's fields onto `record` (a staged copy when updating), or answer Copper's 422."""
        raise NotImplementedError

    # -- update -------------------------------------------------------------------------------------------
    async def update(self, request: Request) -> Response:
        record = self.find(request.path_params["id"])
        if record is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        body = self.check_update(body)
        if isinstance(body, Response):
            return body
        # Written onto a copy, so a refused update leaves the record as it was.
        staged = {**record, "tags": list(record["tags"]), "custom_fields": [dict(cf) for cf in record["custom_fields"]]}
        failure = self.apply_changes(staged, body, creating=False)
        if failure is not None:
            return failure
        if body or not self.EMPTY_UPDATE_KEEPS_DATE_MODIFIED:
            staged["date_modified"] = max(int(time.time()), record["date_modified"])
        self.store.put(str(record["id"]), staged)
        return json_response(self.render(staged))

    def check_update(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        """The body an update writes, or the 422 of one refused before any field is written (a blank name)."""
        if "name" in body and self.name_missing(body["name"]):
            return validation_error(NAME_REQUIRED)
        return body

    # -- search -------------------------------------------------------------------------------------------
    async def search(self, request: Request) -> Response:
        """POST /<records>/search: one page of the matches, sorted (sort_direction asc by default), as a bare
        JSON array, the number of matches in `X-PW-TOTAL` (list-companies-search.html, list-people-search.html)."""
        search = await self.read_search(request)
        if isinstance(search, Response):
            return search
        body, page, size = search
        plan = self.plan_search(body)
        if isinstance(plan, Response):
            return plan
        filters, sort_by, key, descending = plan
        start, stop = page_span(page, size)
        if not filters and sort_by in self.CREATION_ORDER_SORTS and not descending:
            # The store keeps creation order (date_created, then id): a page is a slice.
            total = len(self.store)
            window = self.store.window(start, stop - start)
        else:
            matches = sorted((r for r in self.store.live() if all(f(r) for f in filters)), key=key, reverse=descending)
            total = len(matches)
            window = matches[start:stop]
        return search_answer([self.render(r) for r in window], total)

    async def read_search(self, request: Request) -> tuple[dict[str, Any], int, int] | Response:
        """The search body, page number and page size, or Copper's answer to a body it refuses."""
        return await read_search(request, self.SEARCH_KEYS, self.emulator.switch)

    def plan_search(self, body: dict[str, Any]) -> tuple[list[Criterion], str, SortKey, bool] | Response:
        """The criteria, sort_by, its key and whether it runs descending; or the 422 of the first problem,
        looked for in the order SEARCH_CHECKS names."""
        direction = self.sort_direction(body)
        sort_by = body.get("sort_by") or self.DEFAULT_SORT_BY
        filters: list[Criterion] = []
        key: SortKey | None = None
        for check in self.SEARCH_CHECKS:
            if check == "criteria":
                try:
                    filters = self.filters(body)
                except (TypeError, ValueError):
                    return validation_error(BAD_CRITERIA)
            elif check == "sort_by":
                key = self.sort_key(sort_by)
                if key is None:
                    return validation_error(f"sort_by: {sort_by} is not a valid sort field")
            elif check == "sort_direction" and direction not in ("asc", "desc"):
                return validation_error(BAD_DIRECTION)
        assert key is not None
        return filters, sort_by, key, self.FIXED_DIRECTIONS.get(sort_by, direction == "desc")

    def sort_direction(self, body: dict[str, Any]) -> Any:
        return str(body.get("sort_direction") or "asc").lower()

    def sort_key(self, sort_by: Any) -> SortKey | None:
        """The key of a sort_by value, None for one the entity does not sort by."""
        return self.sort_keys().get(sort_by) if isinstance(sort_by, str) else None

    def sort_keys(self) -> dict[str, SortKey]:  # pragma: no cover - abstract
        """The entity's sort_by values and their keys (search.ties_by_id)."""
        raise NotImplementedError

    def filters(self, body: dict[str, Any]) -> list[Criterion]:  # pragma: no cover - abstract
        """The search criteria, ANDed; ValueError/TypeError for values of the wrong type (search.py)."""
        raise NotImplementedError
