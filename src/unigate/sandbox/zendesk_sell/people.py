"""Zendesk Sell users, leads and custom field definitions.

- Users (`/v2/users`, `/v2/users/self`, `/v2/users/{id}`): read-only, no create, update or delete
  (basecrm-ruby `users_service.rb`, https://github.com/zendesk/basecrm-ruby). List filters `ids`, `email`
  and `name` (both exact, "used in a strict sense"), `role`, `status`, `confirmed`; `sort_by` `id`, `name`,
  `created_at`, `updated_at` with `:asc`/`:desc`, default `id:asc` (same service's option docs).
- Leads (`/v2/leads`, `/v2/leads/{id}`; https://developer.zendesk.com/api-reference/sales-crm/resources/leads/):
  `last_name` or `organization_name` is required (422 `blank` on both otherwise); filters `first_name`,
  `last_name`, `organization_name`, `status`, `owner_id`, `creator_id`, `source_id`, `ids`; `sort_by` default
  `updated_at:asc` (basecrm-ruby `leads_service.rb`). Hard delete, 204 then 404. `custom_fields` keyed by the
  field's name, every value a string as in the v2 records (numbers `"123.45"`), a list field's value its
  choice's name. The first seeded leads are `activity.LEAD_IDS`, which notes, tasks and calls hang off.
- Custom fields (`GET /v2/{lead,contact,deal,prospect_and_customer}/custom_fields`,
  https://developer.zendesk.com/api-reference/sales-crm/resources/custom-fields/): read-only ("You can't create
  new custom fields via the API": no POST route, so a POST is Sell's 404 `incorrect_path`); `for_company` and
  `for_contact` only on contact fields; `choices` only on `list` and `multi_select_list` fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member
from unigate.sandbox.zendesk_sell.activity import LEAD_IDS, Problems, SellActivity
from unigate.sandbox.zendesk_sell.common import (
    TOKEN_USER, USER_IDS, USERS, collection, id_list, now_timestamp, page_bounds, timestamp,
)

_SEED_START = datetime(2022, 5, 2, 9, 0, 0, tzinfo=timezone.utc)

# The account's custom field definitions per resource type; the values seeded on organisations (accounts.py),
# persons (contacts.py) and leads (here) use these names.
CUSTOM_FIELDS: dict[str, list[dict[str, Any]]] = {
    "contact": [
        {"id": 304, "name": "Preferred Channel", "type": "list", "for_company": False, "for_contact": True,
         "choices": [{"id": 5, "name": "Email"}, {"id": 6, "name": "Phone"}, {"id": 7, "name": "SMS"}]},
        {"id": 305, "name": "Birthday", "type": "date", "for_company": False, "for_contact": True},
        {"id": 306, "name": "Nickname", "type": "string", "for_company": False, "for_contact": True},
        {"id": 301, "name": "Segment", "type": "list", "for_company": True, "for_contact": False,
         "choices": [{"id": 1, "name": "SMB"}, {"id": 2, "name": "Mid-Market"}, {"id": 3, "name": "Enterprise"}]},
        {"id": 302, "name": "Employees", "type": "number", "for_company": True, "for_contact": False},
        {"id": 303, "name": "Renewal Month", "type": "list", "for_company": True, "for_contact": False,
         "choices": [{"id": 4, "name": m} for m in ("January", "April", "July", "October")]},
        # more of an account's own person and shared fields, one of each kind Sell has
        *({"id": 330 + i, "name": name, "type": kind, "for_company": i % 3 == 0, "for_contact": True}
          for i, (name, kind) in enumerate([
              ("Referral Code", "string"), ("Assistant Name", "string"), ("Home Page", "url"),
              ("Second Phone", "phone"), ("Personal Email", "email"), ("Notes", "text"), ("Seniority", "number"),
              ("Opted In", "bool"), ("Last Event", "datetime"), ("Languages", "multi_select_list"),
              ("Region", "string"), ("Account Tier", "string"), ("Source Campaign", "string")])),
    ],
    "lead": [
        {"id": 311, "name": "Budget", "type": "number"},
        {"id": 312, "name": "Interest", "type": "list",
         "choices": [{"id": 8, "name": "Product"}, {"id": 9, "name": "Services"}, {"id": 10, "name": "Training"}]},
        {"id": 313, "name": "Newsletter", "type": "bool"},
    ],
    "deal": [{"id": 321, "name": "Competitor", "type": "string"},
             {"id": 322, "name": "Seats", "type": "number"}],
    "prospect_and_customer": [],
}
_FIELD_TIME = "2022-01-10T09:00:00Z"
for _field in CUSTOM_FIELDS["contact"]:
    if _field["name"] == "Languages":
        _field["choices"] = [{"id": 11, "name": "English"}, {"id": 12, "name": "German"}, {"id": 13, "name": "Spanish"}]


def _user(user: dict[str, Any], index: int) -> dict[str, Any]:
    """A user as `/v2/users` answers it (basecrm-ruby `models/user.rb`)."""
    return {**user, "role": "admin" if index == 0 else "user", "status": "inactive" if index % 4 == 2 else "active",
            "confirmed": index % 4 != 2, "created_at": timestamp(_SEED_START - timedelta(days=400 - 30 * index)),
            "updated_at": timestamp(_SEED_START + timedelta(days=10 * index))}


class Users(Resource):
    """The account's users, read-only."""

    name: ClassVar[str] = "users"
    SORTABLE: ClassVar[tuple[str, ...]] = ("id", "name", "created_at", "updated_at")

    def routes(self) -> list[Route]:
        return [Route("/v2/users", self.many, methods=["GET"]),
                Route("/v2/users/self", self.me, methods=["GET"]),
                Route("/v2/users/{user_id}", self.one, methods=["GET"])]

    def seed(self, count: int) -> None:
        """The owners records point to (common.USERS), then more of the team, some of them deactivated."""
        team = [{"id": int(str(USERS[-1]["id"])) + 8 * (n + 1), "name": f"{_FIRST[n % len(_FIRST)]} {_LAST[(n * 5) % len(_LAST)]}",
                 "email": f"user{n + 1}@sellsandbox.example"} for n in range(max(0, count - len(USERS)))]
        self.users = [_user(u, i) for i, u in enumerate([*USERS, *team])]

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.users)

    def count(self) -> int:
        return len(self.users)

    def _single(self, request: Request, user: dict[str, Any]) -> Response:
        return self.emulator.ok(request, {"data": user, "meta": {"type": "user"}})  # type: ignore[attr-defined]

    async def me(self, request: Request) -> Response:
        denied = self.emulator.check(request)  # type: ignore[attr-defined]
        return denied or self._single(request, next(u for u in self.users if u["id"] == TOKEN_USER["id"]))

    async def one(self, request: Request) -> Response:
        denied = self.emulator.check(request)  # type: ignore[attr-defined]
        if denied:
            return denied
        raw = request.path_params["user_id"]
        user = next((u for u in self.users if str(u["id"]) == raw), None)
        if user is None:
            return self.emulator.error(request, 404, "not_found",  # type: ignore[attr-defined]
                                       "The requested resource could not be found.", resource="user")
        return self._single(request, user)

    async def many(self, request: Request) -> Response:
        emulator: Any = self.emulator
        denied = emulator.check(request)
        if denied:
            return denied
        query = request.query_params
        bounds, ids = page_bounds(query), id_list(query.get("ids"))
        attribute, _, direction = query.get("sort_by", "id:asc").partition(":")
        problem = next((p for p in (bounds, ids) if isinstance(p, str)), None)
        if attribute not in self.SORTABLE or direction not in ("", "asc", "desc"):
            problem = f"sort_by takes {', '.join(self.SORTABLE)} with :asc or :desc."
        if problem is not None or isinstance(bounds, str):
            return emulator.error(request, 400, "bad_request", "Invalid query parameters", str(problem))
        confirmed = query.get("confirmed")
        chosen = [u for u in self.users if (ids is None or u["id"] in ids)
                  # email and name match exactly ("used in a strict sense", users_service.rb)
                  and all(query.get(k) in (None, u[k]) for k in ("email", "name", "role", "status"))
                  and (confirmed is None or str(u["confirmed"]).lower() == confirmed.lower())]
        chosen.sort(key=lambda u: u[attribute], reverse=direction == "desc")
        return emulator.ok(request, collection(request, chosen, *bounds, "user"))


class CustomFields(Resource):
    """`GET /v2/{resource_type}/custom_fields`: the definitions above, read-only."""

    name: ClassVar[str] = "custom_fields"

    def routes(self) -> list[Route]:
        return [Route("/v2/{resource_type}/custom_fields", self.many, methods=["GET"])]

    def seed(self, count: int) -> None:
        self.fields = {kind: [{**f, "created_at": _FIELD_TIME, "updated_at": _FIELD_TIME} for f in fields]
                       for kind, fields in CUSTOM_FIELDS.items()}

    def snapshot(self) -> list[dict[str, Any]]:
        """Every definition, each with the resource type whose list it is in."""
        return [{**f, "resource_type": kind} for kind, fields in self.fields.items() for f in fields]

    def count(self) -> int:
        return sum(map(len, self.fields.values()))

    async def many(self, request: Request) -> Response:
        emulator: Any = self.emulator
        denied = emulator.check(request)
        if denied:
            return denied
        kind = request.path_params["resource_type"]
        if kind not in self.fields:
            return emulator.error(request, 404, "incorrect_path", "Requested path was not found.")
        bounds = page_bounds(request.query_params)
        if isinstance(bounds, str):
            return emulator.error(request, 400, "bad_request", "Invalid query parameters", bounds)
        return emulator.ok(request, collection(request, self.fields[kind], *bounds, "custom_field"))


_FIRST = ["Mark", "Olivia", "Pavel", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wim"]
_LAST = ["Johnson", "Lopez", "Nowak", "Berg", "Khan", "Fox", "Diaz", "Stone", "Meyer"]
_COMPANIES = ["Design Co", "Northwind Labs", "Blue Harbor", "Kite & Key", None]
_STATUSES = ["New", "Working", "Unqualified"]
_SOURCES = [None, 4101, 4102]   # lead source ids (Sell's /v2/lead_sources, not served here)
_LEAD_STRINGS = ("first_name", "last_name", "organization_name", "status", "title", "description", "industry",
                 "website", "email", "phone", "mobile", "fax", "twitter", "facebook", "linkedin", "skype")


class Leads(SellActivity):
    name = "leads"
    plural = "leads"
    singular = "lead"
    first_id = LEAD_IDS[0]
    int_filters = ("creator_id", "owner_id", "source_id")
    sortable = ("id", "created_at", "updated_at", "first_name", "last_name", "organization_name")

    def seed(self, count: int) -> None:
        """Leads with names, companies, e-mails and the lead custom fields; at least the LEAD_IDS ones (none in
        an empty space)."""
        self.new_store()
        for i in range(max(count, len(LEAD_IDS)) if count else 0):
            created = _SEED_START + timedelta(hours=6 * i, minutes=(i * 13) % 60)
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 4) % len(_LAST)]
            lead_id = self.store.new_id()
            self.store.add(lead_id, {
                **self.blank(), "id": lead_id,
                "creator_id": USERS[i % len(USERS)]["id"], "owner_id": USERS[(i + 1) % len(USERS)]["id"],
                "first_name": first, "last_name": last, "organization_name": _COMPANIES[i % len(_COMPANIES)],
                "status": _STATUSES[i % len(_STATUSES)], "title": "Buyer" if i % 2 else "Founder",
                "email": f"{first.lower()}.{last.lower()}{i}@leads.example",
                "phone": f"+1 503 555 {7000 + i % 3000:04d}",
                "source_id": _SOURCES[i % len(_SOURCES)],
                "address": {"line1": f"{5 + i} Market St", "city": "Portland", "postal_code": "97204", "state": "OR",
                            "country": "United States"} if i % 2 == 0 else None,
                "custom_fields": {"Budget": str(1000 * (1 + i % 9)), "Interest": ["Product", "Services", "Training"][i % 3]}
                if i % 3 != 2 else {},
                "created_at": timestamp(created), "updated_at": timestamp(created + timedelta(days=1 + i % 17)),
            })

    def blank(self) -> dict[str, Any]:
        now = now_timestamp()
        return {"id": 0, "creator_id": TOKEN_USER["id"], "owner_id": TOKEN_USER["id"], "source_id": None,
                **{key: None for key in _LEAD_STRINGS}, "address": None, "tags": [], "custom_fields": {},
                "created_at": now, "updated_at": now}

    def list_checks(self, query):
        # exact matches, as the other v2 list filters (basecrm-ruby leads_service.rb)
        wanted = {k: query[k] for k in ("first_name", "last_name", "organization_name", "status") if query.get(k)}
        return [lambda r: all(r.get(k) == v for k, v in wanted.items())]

    def apply(self, record: dict[str, Any], values: dict[str, Any], creating: bool) -> Problems:
        changes = {k: values[k] for k in (*_LEAD_STRINGS, "owner_id", "source_id", "address", "tags",
                                          "custom_fields") if k in values}
        problems: Problems = []
        for key in _LEAD_STRINGS:
            if changes.get(key) is not None and not isinstance(changes[key], str):
                problems.append(self.problem(key, "invalid", "is invalid"))
        if "owner_id" in changes and (isinstance(changes["owner_id"], bool) or not member(changes["owner_id"], USER_IDS)):
            problems.append(self.problem("owner_id", "invalid", "is invalid"))
        custom = changes.get("custom_fields")
        known = {f["name"] for f in CUSTOM_FIELDS["lead"]}
        if custom is not None and (not isinstance(custom, dict) or set(custom) - known):
            # a name the account has no field for is refused (the field must be defined first)
            problems.append(self.problem("custom_fields", "invalid", "is invalid"))
        merged = {**record, **changes}
        # "last_name or organization_name is required" (leads reference)
        if not (merged.get("last_name") or merged.get("organization_name")):
            problems += [self.problem("last_name", "blank", "can't be blank"),
                         self.problem("organization_name", "blank", "can't be blank")]
        if problems:
            return problems
        if isinstance(custom, dict):
            changes["custom_fields"] = {**(record.get("custom_fields") or {}), **custom}
        record.update(changes)
        record["updated_at"] = now_timestamp()
        return []
