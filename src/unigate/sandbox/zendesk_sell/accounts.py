"""Zendesk Sell accounts: organisations, which Sell keeps as contacts with `is_organization: true` in
`/v2/contacts`, the same collection as persons
(https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/).

This module owns that collection: its routes and its store (`Accounts.records`, organisations and
persons by id, one id sequence). It seeds the organisations; the `contacts` resource (contacts.py)
adds no routes and seeds the persons into this same store (`store_contact`), linked by `contact_id`.

- Bodies in `{"data": {...}}`; answers `{"data": …, "meta": {"type": "contact"}}` and
  `{"items": [{"data": …, "meta": …}], "meta": {"type": "collection", "count", "links"}}`.
- List `page` (1-based) / `per_page` (default 25, max 100), `meta.links.next_page` while more remain;
  filters `is_organization`, `ids`, `name`, `email`, `owner_id`, `contact_id`, `sort_by=attr:dir`.
- Create, partial update (`tags` replace the list), hard delete 204 then 404, upsert.

Sources:
- https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/ (paths, fields, `is_organization`
  fixed at creation, `name` required for organisations and `last_name` for persons, hard delete).
- Zendesk's official Python client `basecrm` (https://github.com/basecrm/basecrm-python, `services.py`
  ContactsService: list/create/retrieve/update/destroy/upsert; `http_client.py`: envelopes, any 2xx).
- basecrm-ruby (https://github.com/basecrm/basecrm-ruby) `lib/basecrm/models/contact.rb` (fields) and
  `lib/basecrm/services/contacts_service.rb` (`per_page` default 25 and at most 100, 1-based `page`,
  `sort_by` default `last_name:asc`, the list filters).
- https://developer.zendesk.com/api-reference/sales-crm/firehose/contacts/ (contact statuses: `customer_status`
  none/current/past, `prospect_status` none/current).
Switchable (`POST /__control/zendesk_sell/switches`), because unverified: `create_status` (200 as the
reference page shows, or 201), `custom_fields_update` (merge the keys sent, or replace the map),
`per_page_over_max` (refused with 400, or clamped to 100), `rate_limit_headers` (sent, or not),
`is_organization_update` (an update naming `is_organization` ignored, or refused with 422).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.spaces import BoundedRecords
from unigate.sandbox.base import Resource, member, read_json
from unigate.sandbox.zendesk_sell.common import TOKEN_USER, USER_IDS, USERS, now_timestamp, timestamp

# -- behaviours the vendor's sources leave open: switches, the default first --------------------------
# Whether POST /contacts answers 200 or 201 is not settled: Sell's contacts reference shows 200, the
# official clients accept any 2xx (basecrm `http_client.py`).
CREATE_STATUS = 200
# `custom_fields` on update merging keys vs replacing the map is unverified (only `tags` is documented to
# replace the list: basecrm-ruby contacts_service.rb).
# Whether a `per_page` over 100 is refused (400) or clamped to 100 is not documented (basecrm-ruby
# contacts_service.rb: "maximum number that can be returned is 100").
# Sell documents no rate-limit headers (common.py): they are sent (`X-RateLimit-*`, default) or not.
SWITCHES: dict[str, tuple[object, ...]] = {
    "create_status": (CREATE_STATUS, 201),
    "custom_fields_update": ("merge", "replace"),
    "per_page_over_max": ("refuse", "clamp"),
    "rate_limit_headers": (True, False),
    "is_organization_update": ("ignore", "refuse"),
}
# `is_organization` can only be set at creation (contacts reference). Whether an update carrying it is
# ignored or answered 422 is unverified: switch `is_organization_update` (`ignore`, default, or `refuse`).
# Default order of the list: `last_name:asc` (basecrm-ruby contacts_service.rb, `:sort_by (last_name:asc)`);
# ties (every organisation has no last name) keep creation order.
DEFAULT_SORT = "last_name:asc"

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
SORTABLE = {"id", "name", "first_name", "last_name", "created_at", "updated_at", "customer_status",
            "prospect_status", "industry"}
WRITABLE = ["address", "billing_address", "shipping_address", "contact_id", "custom_fields",
            "customer_status", "description", "email", "facebook", "fax", "first_name", "industry",
            "is_organization", "last_name", "linkedin", "mobile", "name", "owner_id", "phone",
            "prospect_status", "skype", "tags", "title", "twitter", "website"]
STRING_FIELDS = {"customer_status", "description", "email", "facebook", "fax", "first_name", "industry",
                 "last_name", "linkedin", "mobile", "name", "phone", "prospect_status", "skype", "title",
                 "twitter", "website"}
ADDRESS_KEYS = ("line1", "city", "postal_code", "state", "country")
# Firehose contact statuses (https://developer.zendesk.com/api-reference/sales-crm/firehose/contacts/): customers
# none/current/past, prospects none/current.
STATUSES = ("none", "current", "past")
PROSPECT_STATUSES = ("none", "current")

_NAMES = ["Bluebird Analytics", "Copperline Freight", "Driftwood Studios", "Evergreen Dental", "Foxglove Foods",
          "Granite Peak Capital", "Harborview Hotels", "Ironclad Security", "Juniper Biotech", "Keystone Roofing",
          "Lighthouse Media", "Maple Leaf Logistics", "Northstar Robotics", "Oakridge Legal", "Pinecrest Schools",
          "Quarry Lane Mining", "Riverbend Energy", "Silverline Telecom", "Tidewater Marine", "Upland Outfitters"]
_FORMS = ["Inc.", "LLC", "Group", "Co.", "GmbH", "Ltd."]
_INDUSTRIES = ["Software", "Logistics", "Media", "Healthcare", "Food & Beverage", "Finance", "Hospitality",
               "Security", "Biotechnology", "Construction", "Education", "Energy", "Telecommunications"]
_PLACES = [("1 Market St", "San Francisco", "94105", "CA", "United States"),
           ("77 Hudson St", "New York", "10013", "NY", "United States"),
           ("Friedrichstrasse 68", "Berlin", "10117", "Berlin", "Germany"),
           ("Rynek Glowny 1", "Krakow", "31-042", "Malopolskie", "Poland"),
           ("10 Downing Ct", "Leeds", "LS1 4AP", "West Yorkshire", "United Kingdom"),
           ("400 Bay St", "Toronto", "M5H 2Y4", "ON", "Canada")]
_TAG_SETS = [["vip"], ["partner", "emea"], [], ["trial"], ["vip", "renewal"], ["reseller"]]
_SEED_START = datetime(2022, 3, 1, 8, 0, 0, tzinfo=timezone.utc)


class Accounts(Resource):
    """The `/v2/contacts` collection: organisations (the accounts) and the persons stored with them.
    Required headers, the errors envelope and ids come from the emulator."""

    name = "accounts"

    def routes(self) -> list[Route]:
        return [
            Route("/v2/contacts/upsert", self.upsert, methods=["POST"]),
            Route("/v2/contacts/{contact_id}", self.one, methods=["GET", "PUT", "DELETE"]),
            Route("/v2/contacts", self.many, methods=["GET", "POST"]),
        ]

    # -- seed ---------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` organisations (the `contacts` resource seeds the persons next, into the same store)."""
        self.records: dict[str, dict[str, Any]] = BoundedRecords()  # spaces.py: bounded writes
        # ids of each kind in insertion (= id) order, for cheap paging of the is_organization filter
        self.organization_ids: list[int] = []
        self.person_ids: list[int] = []
        for i in range(count):
            org_id = next(self.emulator.ids)
            line1, city, postal, state, country = _PLACES[i % len(_PLACES)]
            bill = _PLACES[(i + 2) % len(_PLACES)]
            ship = _PLACES[(i + 4) % len(_PLACES)]
            base = _NAMES[i % len(_NAMES)]
            form = _FORMS[(i // len(_NAMES)) % len(_FORMS)]
            series = i // (len(_NAMES) * len(_FORMS))
            name = f"{base} {form}" + (f" {series + 1}" if series else "")
            slug = base.lower().replace(" ", "")
            created = _SEED_START + timedelta(hours=5 * i, minutes=i % 60)
            self.store_contact({
                "id": org_id,
                "creator_id": USERS[(i + 1) % len(USERS)]["id"],
                "owner_id": USERS[i % len(USERS)]["id"],
                "is_organization": True,
                "contact_id": None,
                "parent_organization_id": None,
                "name": name,
                "first_name": None,
                "last_name": None,
                "customer_status": STATUSES[i % 3],
                "prospect_status": PROSPECT_STATUSES[(i + 1) % 2],
                "title": None,
                "description": f"{name}: {_INDUSTRIES[i % len(_INDUSTRIES)].lower()} account in {city}.",
                "industry": _INDUSTRIES[i % len(_INDUSTRIES)],
                "website": f"https://www.{slug}.example",
                "email": f"hello@{slug}.example",
                "phone": f"+1 415 555 {1000 + i % 9000:04d}",
                "mobile": f"+1 628 555 {2000 + (i * 7) % 8000:04d}",
                "fax": f"+1 415 555 {3000 + (i * 3) % 7000:04d}" if i % 2 == 0 else None,
                "twitter": slug,
                "facebook": slug,
                "linkedin": slug,   # Sell keeps the LinkedIn nickname, not a URL
                "skype": None,
                "address": {"line1": line1, "city": city, "postal_code": postal, "state": state,
                            "country": country},
                "billing_address": dict(zip(ADDRESS_KEYS, bill)) if i % 3 != 2 else None,
                "shipping_address": dict(zip(ADDRESS_KEYS, ship)) if i % 3 == 0 else None,
                "tags": list(_TAG_SETS[i % len(_TAG_SETS)]),
                "custom_fields": {"Segment": ["SMB", "Mid-Market", "Enterprise"][i % 3],
                                  "Employees": str(10 + (i * 37) % 4990),
                                  "Renewal Month": ["January", "April", "July", "October"][i % 4]},
                "created_at": timestamp(created),
                "updated_at": timestamp(created + timedelta(days=2 + i % 30, minutes=11)),
            })

    def snapshot(self) -> Any:
        """Every contact Sell stores (organisations and persons), in creation order."""
        return list(self.records.values())

    def store_contact(self, contact: dict[str, Any]) -> None:
        self.records[str(contact["id"])] = contact
        self._index(contact["is_organization"]).append(contact["id"])

    def _index(self, is_organization: bool) -> list[int]:
        return self.organization_ids if is_organization else self.person_ids

    def not_found(self, request: Request) -> Response:
        return self.emulator.error(request, 404, "not_found", "The requested resource could not be found.",
                          "Resource you are looking for was not found.", resource="contact")

    @staticmethod
    def _single(contact: dict[str, Any]) -> dict[str, Any]:
        return {"data": contact, "meta": {"type": "contact"}}

    # -- list / create --------------------------------------------------------------------------------
    async def many(self, request: Request) -> Response:
        denied = self.emulator.check(request)
        if denied:
            return denied
        if request.method == "POST":
            return await self.create(request)
        return self.list_contacts(request)

    def list_contacts(self, request: Request) -> Response:
        """Retrieve all contacts: filters, page/per_page ≤100, 1-based pages (contacts reference)."""
        q = request.query_params
        try:
            page = int(q.get("page", 1))
            per_page = int(q.get("per_page", DEFAULT_PER_PAGE))
        except ValueError:
            return self.emulator.error(request, 400, "bad_request", "page and per_page must be integers",
                              "Query parameters page and per_page take positive integers.")
        if per_page > MAX_PER_PAGE and self.emulator.switch["per_page_over_max"] == "clamp":
            per_page = MAX_PER_PAGE
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            return self.emulator.error(request, 400, "bad_request", "Invalid pagination parameters",
                              f"page must be >= 1 and per_page between 1 and {MAX_PER_PAGE}.")
        sort_by = q.get("sort_by", DEFAULT_SORT)
        attribute, _, direction = sort_by.partition(":")
        direction = direction or "asc"
        if attribute not in SORTABLE or direction not in ("asc", "desc"):
            return self.emulator.error(request, 400, "bad_request", "Invalid sort_by parameter",
                              f"sort_by takes one of {sorted(SORTABLE)} with :asc or :desc.")

        filters: list[tuple[str, Any]] = []
        is_org = q.get("is_organization")
        if is_org is not None:
            # Rails-style boolean parameters: the official client sends Python's `True`
            is_org = {"true": "true", "1": "true", "false": "false", "0": "false"}.get(is_org.lower(), is_org)
            if is_org not in ("true", "false"):
                return self.emulator.error(request, 400, "bad_request", "Invalid is_organization parameter",
                                  "is_organization takes true or false.")
        ids = None
        if q.get("ids"):
            try:
                ids = {int(x) for x in q["ids"].split(",") if x.strip()}
            except ValueError:
                return self.emulator.error(request, 400, "bad_request", "Invalid ids parameter",
                                  "ids takes a comma-separated list of integers.")
        for key in ("name", "email", "first_name", "last_name"):
            if q.get(key):
                filters.append((key, q[key]))
        for key in ("owner_id", "contact_id"):
            if q.get(key):
                try:
                    filters.append((key, int(q[key])))
                except ValueError:
                    return self.emulator.error(request, 400, "bad_request", f"Invalid {key} parameter",
                                      f"{key} takes an integer.")
        city = q.get("address[city]")

        # The filter the unified API always sends, in creation order: organisations under the default sort
        # while none has a last name (organisations rarely do).
        simple = is_org is not None and not filters and ids is None and city is None and (
            sort_by == "id:asc" or (sort_by == "last_name:asc" and is_org == "true"
                                    and not any(self.records[str(i)].get("last_name") for i in self.organization_ids)))
        start = (page - 1) * per_page
        if simple:
            # the filter the unified API always sends: page by slicing that kind's index
            window = self._index(is_org == "true")[start:start + per_page + 1]
            chosen = [self.records[str(i)] for i in window]
        else:
            def keep(c: dict[str, Any]) -> bool:
                if is_org is not None and c["is_organization"] != (is_org == "true"):
                    return False
                if ids is not None and c["id"] not in ids:
                    return False
                if city is not None and (c.get("address") or {}).get("city") != city:
                    return False
                return all(c.get(k) == v for k, v in filters)
            matched = [c for c in self.records.values() if keep(c)]
            if attribute != "id" or direction != "asc":
                matched.sort(key=lambda c: (c.get(attribute) is None, c.get(attribute) or ""),
                             reverse=direction == "desc")
            chosen = matched[start:start + per_page + 1]
        more = len(chosen) > per_page
        chosen = chosen[:per_page]

        def link(p: int) -> str:
            params = [(k, v) for k, v in q.multi_items() if k not in ("page", "per_page")]
            params += [("page", str(p)), ("per_page", str(per_page))]
            return str(request.url.replace(query=urlencode(params)))

        links = {"self": str(request.url), "first_page": link(1)}
        if page > 1:
            links["prev_page"] = link(page - 1)
        if more:
            links["next_page"] = link(page + 1)
        return self.emulator.ok(request, {
            "items": [{"data": c, "meta": {"type": "contact"}} for c in chosen],
            "meta": {"type": "collection", "count": len(chosen), "links": links},
        })

    def _validate(self, values: dict[str, Any], creating: bool, is_org: bool) -> list[dict[str, Any]]:
        """422 resource errors (https://developer.zendesk.com/api-reference/sales-crm/errors/: 422 with `field`
        set; codes unverified)."""
        problems = []

        def add(field: str, code: str, message: str) -> None:
            problems.append({"resource": "contact", "field": field, "code": code, "message": message,
                             "details": f"{field} {message}"})

        if creating:
            if is_org and not values.get("name"):
                add("name", "blank", "can't be blank")
            if not is_org and not values.get("last_name"):
                add("last_name", "blank", "can't be blank")
        else:
            if "is_organization" in values and self.emulator.switch["is_organization_update"] == "refuse":
                add("is_organization", "invalid", "can't be changed")
            if is_org and "name" in values and not values.get("name"):
                add("name", "blank", "can't be blank")
            if not is_org and "last_name" in values and not values.get("last_name"):
                add("last_name", "blank", "can't be blank")
        for key in STRING_FIELDS:
            if values.get(key) is not None and not isinstance(values[key], str):
                add(key, "invalid", "is invalid")
        for key, allowed in (("customer_status", STATUSES), ("prospect_status", PROSPECT_STATUSES)):
            if values.get(key) is not None and not member(values[key], allowed):
                add(key, "inclusion", "is not included in the list")
        if "owner_id" in values and values["owner_id"] is not None:
            if isinstance(values["owner_id"], bool) or not member(values["owner_id"], USER_IDS):
                add("owner_id", "invalid", "is invalid")
        if values.get("contact_id") is not None:
            parent = self.records.get(str(values["contact_id"]))
            if is_org or parent is None or not parent["is_organization"]:
                add("contact_id", "invalid", "is invalid")
        if "tags" in values and values["tags"] is not None:
            if not isinstance(values["tags"], list) or not all(isinstance(t, str) for t in values["tags"]):
                add("tags", "invalid", "is invalid")
        if values.get("custom_fields") is not None and not isinstance(values["custom_fields"], dict):
            add("custom_fields", "invalid", "is invalid")
        for key in ("address", "billing_address", "shipping_address"):
            value = values.get(key)
            # Each member of an Address is a string
            # (https://developer.zendesk.com/api-reference/sales-crm/resources/contacts/, "Address"); another JSON
            # type is refused like the string fields above.
            if value is not None and (not isinstance(value, dict) or set(value) - set(ADDRESS_KEYS)
                                      or any(v is not None and not isinstance(v, str) for v in value.values())):
                add(key, "invalid", "is invalid")
        return problems

    async def _payload(self, request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            return None, self.emulator.error(request, 400, "invalid_envelope", "Request body must be wrapped in data",
                                    'Send a JSON object of the form {"data": {...}}.')
        return body["data"], None

    def _write(self, contact: dict[str, Any], values: dict[str, Any]) -> None:
        for key in WRITABLE:
            if key not in values or key == "is_organization":
                continue
            value = values[key]
            if key in ("address", "billing_address", "shipping_address") and value is not None:
                value = {k: value.get(k) for k in ADDRESS_KEYS}
            if key == "custom_fields" and value is not None \
                    and self.emulator.switch["custom_fields_update"] == "merge":
                value = {**(contact.get("custom_fields") or {}), **value}
            contact[key] = value if value is not None or key not in ("tags", "custom_fields") else \
                ([] if key == "tags" else {})
        contact["updated_at"] = now_timestamp()

    async def create(self, request: Request) -> Response:
        """Create a contact (contacts reference); `is_organization` is fixed here for good."""
        values, problem = await self._payload(request)
        if problem:
            return problem
        return self._create(request, values)

    def _create(self, request: Request, values: dict[str, Any]) -> Response:
        is_org = bool(values.get("is_organization", False))
        problems = self._validate(values, creating=True, is_org=is_org)
        if problems:
            return self.emulator.errors(request, 422, problems)
        now = now_timestamp()
        contact: dict[str, Any] = {
            "id": next(self.emulator.ids), "creator_id": TOKEN_USER["id"], "owner_id": TOKEN_USER["id"],
            "is_organization": is_org, "contact_id": None, "parent_organization_id": None,
            "name": None, "first_name": None, "last_name": None, "customer_status": "none",
            "prospect_status": "none", "title": None, "description": None, "industry": None, "website": None,
            "email": None, "phone": None, "mobile": None, "fax": None, "twitter": None, "facebook": None,
            "linkedin": None, "skype": None,
            "address": {k: None for k in ADDRESS_KEYS}, "billing_address": None, "shipping_address": None,
            "tags": [], "custom_fields": {}, "created_at": now, "updated_at": now,
        }
        self._write(contact, values)
        contact["updated_at"] = now
        self.store_contact(contact)
        return self.emulator.ok(request, self._single(contact), self.emulator.switch["create_status"])

    # -- one contact ----------------------------------------------------------------------------------
    async def one(self, request: Request) -> Response:
        denied = self.emulator.check(request)
        if denied:
            return denied
        contact = self.records.get(request.path_params["contact_id"])
        if contact is None:
            return self.not_found(request)
        if request.method == "GET":
            return self.emulator.ok(request, self._single(contact))
        if request.method == "DELETE":
            # hard delete, "cannot be undone" (contacts reference): 204, then 404
            del self.records[str(contact["id"])]
            self._index(contact["is_organization"]).remove(contact["id"])
            return Response(status_code=204, headers=self.emulator._headers(request))
        values, problem = await self._payload(request)
        if problem:
            return problem
        problems = self._validate(values, creating=False, is_org=contact["is_organization"])
        if problems:
            return self.emulator.errors(request, 422, problems)
        self._write(contact, values)
        return self.emulator.ok(request, self._single(contact))

    async def upsert(self, request: Request) -> Response:
        """`POST /v2/contacts/upsert?<filters>`: update the single match or create (contacts reference)."""
        denied = self.emulator.check(request)
        if denied:
            return denied
        criteria = {k: v for k, v in request.query_params.items()}
        if not criteria:
            return self.emulator.error(request, 400, "bad_request", "At least one filter is required",
                              "Pass the attributes to match on as query parameters.")
        values, problem = await self._payload(request)
        if problem:
            return problem

        def matches(c: dict[str, Any]) -> bool:
            for key, wanted in criteria.items():
                have = c.get(key)
                if isinstance(have, bool):
                    have = "true" if have else "false"
                if str(have) != wanted:
                    return False
            return True

        found = [c for c in self.records.values() if matches(c)]
        if len(found) > 1:
            return self.emulator.error(request, 409, "conflict", "Multiple contacts match the filters",
                              "Narrow the filters so at most one contact matches.", resource="contact")
        if not found:
            merged = dict(values)
            if "is_organization" in criteria and "is_organization" not in merged:
                merged["is_organization"] = criteria["is_organization"] == "true"
            for key in ("name", "email", "first_name", "last_name"):
                if key in criteria and key not in merged:
                    merged[key] = criteria[key]
            return self._create(request, merged)
        contact = found[0]
        problems = self._validate(values, creating=False, is_org=contact["is_organization"])
        if problems:
            return self.emulator.errors(request, 422, problems)
        self._write(contact, values)
        return self.emulator.ok(request, self._single(contact))

