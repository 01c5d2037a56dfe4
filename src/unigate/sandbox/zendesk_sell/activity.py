"""What Zendesk Sell's notes, tasks and calls share (notes.py, tasks.py, calls.py): one parent record, the
v2 routes and envelopes, the list's paging, `ids` filter and sort, and the 422 resource errors.

- Routes `GET/POST /v2/<plural>`, `GET/PUT/DELETE /v2/<plural>/{id}` (basecrm-ruby `notes_service.rb`,
  `tasks_service.rb`, `calls_service.rb`, https://github.com/zendesk/basecrm-ruby); bodies in
  `{"data": {...}}`, answers `{"data": …, "meta": {"type": "<singular>"}}`; lists page as every v2 list
  (common.py `collection`); delete is hard, 204 then 404.
- The parent is one record, `resource_type` + `resource_id`: `contact` (a person or an organisation, both
  in `/v2/contacts`), `deal` or `lead` (people.py's leads; the first seeded ones are `LEAD_IDS`, which seeded records hang
  off). An id that names nothing is 422
  `invalid` on `resource_id` (the code [unverified]).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, read_json
from unigate.sandbox.collection import Collection
from unigate.sandbox.zendesk_sell.common import collection, id_list, page_bounds

# The first seeded leads' ids (people.py), which seeded notes, tasks and calls hang off.
LEAD_IDS = tuple(range(50_001, 50_007))

if TYPE_CHECKING:
    from unigate.sandbox.zendesk_sell import ZendeskSellEmulator

Problems = list[dict[str, Any]]


class SellActivity(Resource):
    """One of Sell's activity collections over a `Collection` of integer ids; subclasses say what differs."""

    emulator: ZendeskSellEmulator
    plural: ClassVar[str] = ""             # "notes" in /v2/notes
    singular: ClassVar[str] = ""           # "note", the answers' meta.type and the errors' resource
    first_id: ClassVar[int] = 1
    resource_types: ClassVar[tuple[str, ...]] = ("lead", "contact", "deal")
    int_filters: ClassVar[tuple[str, ...]] = ()     # list filters taking one integer (owner_id, resource_id)
    sortable: ClassVar[tuple[str, ...]] = ()        # sort_by attributes; empty: the list has a fixed order
    default_sort: ClassVar[str] = "updated_at:asc"

    def routes(self) -> list[Route]:
        return [Route(f"/v2/{self.plural}", self.many, methods=["GET", "POST"]),
                Route(f"/v2/{self.plural}/{{record_id}}", self.one, methods=["GET", "PUT", "DELETE"])]

    def new_store(self) -> None:
        self.store = Collection(first_id=self.first_id, number_of=int)

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(r) for r in self.store.values()]

    def count(self) -> int:
        return len(self.store)

    # -- hooks ---------------------------------------------------------------------------------------
    def render(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record as Sell answers it (derived fields filled in)."""
        return dict(record)

    def blank(self) -> dict[str, Any]:
        """A new record before the create's values are applied."""
        raise NotImplementedError

    def apply(self, record: dict[str, Any], values: dict[str, Any], creating: bool) -> Problems:
        """Validate and apply a write; the 422 resource errors when it is refused."""
        raise NotImplementedError

    def list_checks(self, query) -> list[Callable[[dict[str, Any]], bool]] | str:
        """Filters beyond `ids` and `int_filters`, or what is wrong with them."""
        return []

    def ordered(self, records: list[dict[str, Any]], sort_by: str | None) -> list[dict[str, Any]] | str:
        """The list's order: `sort_by=attr[:asc|:desc]` among `sortable`, or what is wrong with it."""
        attribute, _, direction = (sort_by or self.default_sort).partition(":")
        if attribute not in self.sortable or direction not in ("", "asc", "desc"):
            return f"sort_by takes {', '.join(self.sortable)} with :asc or :desc."
        return sorted(records, key=lambda r: (r.get(attribute) is None, r.get(attribute) or 0
                                              if attribute == "id" else str(r.get(attribute) or "")),
                      reverse=direction == "desc")

    # -- shared validation ------------------------------------------------------------------------------
    def problem(self, field: str, code: str, message: str) -> dict[str, Any]:
        return {"resource": self.singular, "field": field, "code": code, "message": message,
                "details": f"{field} {message}"}

    def parent_exists(self, resource_type: str, resource_id: Any) -> bool:
        if isinstance(resource_id, bool) or not isinstance(resource_id, int):
            return False
        if resource_type == "contact":
            return str(resource_id) in self.emulator.resource("accounts").records  # type: ignore[attr-defined]
        if resource_type == "deal":
            return resource_id in self.emulator.resource("opportunities").records  # type: ignore[attr-defined]
        return resource_type == "lead" and resource_id in self.emulator.resource("leads").store  # type: ignore[attr-defined]

    def check_parent(self, record: dict[str, Any], changes: dict[str, Any], required: bool) -> Problems:
        """`resource_type` and `resource_id` name one existing record, together."""
        kind = changes.get("resource_type", record.get("resource_type"))
        target = changes.get("resource_id", record.get("resource_id"))
        if kind is None and target is None:
            return [self.problem("resource_type", "blank", "can't be blank")] if required else []
        if kind not in self.resource_types:
            return [self.problem("resource_type", "inclusion", "is not included in the list")]
        if not self.parent_exists(kind, target):
            return [self.problem("resource_id", "invalid", "is invalid")]
        return []

    # -- HTTP -----------------------------------------------------------------------------------------
    def single(self, request: Request, record: dict[str, Any], status: int = 200) -> Response:
        return self.emulator.ok(request, {"data": self.render(record), "meta": {"type": self.singular}}, status)

    def not_found(self, request: Request) -> Response:
        return self.emulator.error(request, 404, "not_found", "The requested resource could not be found.",
                                   "Resource you are looking for was not found.", resource=self.singular)

    async def payload(self, request: Request) -> dict[str, Any] | Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            return self.emulator.error(request, 400, "invalid_envelope", "Request body must be wrapped in data",
                                       'Send a JSON object of the form {"data": {...}}.')
        return body["data"]

    async def many(self, request: Request) -> Response:
        denied = self.emulator.check(request)
        if denied:
            return denied
        if request.method == "GET":
            return self.list_records(request)
        values = await self.payload(request)
        if isinstance(values, Response):
            return values
        record = self.blank()
        problems = self.apply(record, values, creating=True)
        if problems:
            return self.emulator.errors(request, 422, problems)
        record["id"] = self.store.new_id()
        self.store.add(record["id"], record)
        return self.single(request, record, self.emulator.switch["create_status"])

    def list_records(self, request: Request) -> Response:
        query = request.query_params
        bounds = page_bounds(query)
        ids = id_list(query.get("ids"))
        checks = self.list_checks(query)
        wanted: dict[str, int] = {}
        problem = next((p for p in (bounds, ids, checks) if isinstance(p, str)), None)
        for key in self.int_filters:
            if query.get(key):
                try:
                    wanted[key] = int(query[key])
                except ValueError:
                    problem = f"{key} takes an integer."
        if problem is not None or isinstance(bounds, str) or isinstance(checks, str):
            return self.emulator.error(request, 400, "bad_request", "Invalid query parameters", str(problem))
        kind = query.get("resource_type")
        chosen = [r for r in (self.render(r) for r in self.store.live())
                  if (ids is None or r["id"] in ids) and all(r.get(k) == v for k, v in wanted.items())
                  and (not kind or r.get("resource_type") == kind) and all(check(r) for check in checks)]
        ordered = self.ordered(chosen, query.get("sort_by"))
        if isinstance(ordered, str):
            return self.emulator.error(request, 400, "bad_request", "Invalid sort_by parameter", ordered)
        return self.emulator.ok(request, collection(request, ordered, *bounds, self.singular))

    async def one(self, request: Request) -> Response:
        denied = self.emulator.check(request)
        if denied:
            return denied
        raw = request.path_params["record_id"]
        record = self.store.get(int(raw)) if raw.isdigit() and len(raw) < 19 else None
        if record is None:
            return self.not_found(request)
        if request.method == "GET":
            return self.single(request, record)
        if request.method == "DELETE":
            self.store.delete(record["id"])
            return Response(status_code=204, headers=self.emulator._headers(request))
        values = await self.payload(request)
        if isinstance(values, Response):
            return values
        staged = {**record}
        problems = self.apply(staged, values, creating=False)
        if problems:
            return self.emulator.errors(request, 422, problems)
        self.store.put(record["id"], staged)
        return self.single(request, staged)
