"""Copper Developer API v1 companies: the emulator's `accounts` resource.

Paths are the vendor's (`/developer_api/v1/companies...`): https://developer.copper.com/companies/overview.html ,
https://developer.copper.com/companies/list-companies-search.html ,
https://developer.copper.com/companies/update-a-company.html , and Copper's Postman-derived docs
mirrored in https://github.com/dquimper/GitbookTest (`4.-companies/*.md`: create, fetch, delete).

Behaviours the vendor's text leaves open are module constants or small methods named after what
they decide, so they are easy to change once a live account confirms them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.copper.common import (
    CONTACT_TYPE_IDS,
    CONTACT_TYPES,
    CUSTOM_FIELD_DEFINITIONS,
    NOT_FOUND_MESSAGE,
    PHONE_CATEGORIES,
    SOCIAL_CATEGORIES,
    USERS,
    USERS_BY_ID,
    WEBSITE_CATEGORIES,
    MODIFIED_DATE_KEYS,
    SEARCH_RESULT_CAP,
    body_object,
    categorised_items,
    error,
    merge_custom_fields,
    read_search,
    validation_error,
)

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

DUPLICATE_DOMAIN_MESSAGE = "email_domain: Email domain is already taken"  # status 422 [unverified wording]

# -- search (https://developer.copper.com/companies/list-companies-search.html) ------------------------------
DEFAULT_SORT_BY = "date_modified"   # list-companies-search: sort_by default date_modified
DEFAULT_SORT_DIRECTION = "asc"      # sort_direction default asc
# Sorts the store's insertion order already satisfies (seeds and creations get growing
# date_created and ids), so a page of them is a slice rather than a sort.
CREATION_ORDER_SORTS = ("date_created",)
# The search keys this emulator applies (the documented ones it does not apply are refused, see
# common.UNKNOWN_KEY_PROBLEM); `ids` is in the current docs only.
SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "phone_number",
               "email_domains", "contact_type_ids", "assignee_ids", "city", "state", "postal_code", "country",
               "tags", "minimum_created_date", "maximum_created_date", "minimum_interaction_count",
               "maximum_interaction_count", *MODIFIED_DATE_KEYS}

# The company payload documented in companies/overview has no last-contacted timestamp, while
# people, leads and opportunities carry `date_last_contacted` (Unix seconds). Whether companies
# return it too is [unverified]: switch `company_last_contacted` (`shown` by default, `absent`).
LAST_CONTACTED_FIELD = "date_last_contacted"

# Whether Copper folds tag case is [unverified]; the sandbox keeps tags as sent.
LOWERCASE_TAGS = False

SEED_EPOCH = 1_483_988_828   # 2017-01-09: seeded date_created values count up from here
FIRST_COMPANY_ID = 9_607_580

_NAME_A = ["Dunder", "Vance", "Sabre", "Initech", "Globex", "Hooli", "Wayne", "Stark", "Umbrella",
           "Soylent", "Tyrell", "Cyberdyne", "Gringotts", "Wonka", "Oscorp", "Monarch", "Pied Piper",
           "Aperture", "Black Mesa", "Vandelay"]
_NAME_B = ["Paper", "Refrigeration", "Supply", "Industries", "Logistics", "Foods", "Analytics",
           "Robotics", "Textiles", "Freight", "Pharma", "Labs", "Energy", "Media", "Holdings", "Outdoor"]
_CITIES = [("Scranton", "PA", "18501", "US"), ("San Francisco", "CA", "94105", "US"),
           ("Philadelphia", "PA", "19135", "US"), ("Austin", "TX", "78701", "US"),
           ("Toronto", "ON", "M5H 2N2", "CA"), ("London", None, "EC1A 1BB", "GB"),
           ("Chicago", "IL", "60601", "US"), ("Seattle", "WA", "98101", "US")]
_STREETS = ["West Main Street", "Washington Ave", "Market Street", "Main Street Suite 1350",
            "Congress Ave", "King Street West", "Wacker Drive", "Pike Street"]
_TAGS = ["customer", "prospect", "partner", "vip", "reseller", "churn-risk"]


class Companies(Resource):
    name: ClassVar[str] = "accounts"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_COMPANY_ID)

    def _new_id(self) -> int:
        return self.store.new_id()

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` companies; date_created and id grow with insertion order (and so does the seeded
        date_modified, the default sort)."""
        self.store.clear()
        for i in range(count):
            company = self._seed_company(i)
            self.store.add(str(company["id"]), company)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def _seed_company(self, i: int) -> dict[str, Any]:
        base = f"{_NAME_A[i % len(_NAME_A)]} {_NAME_B[(i // len(_NAME_A)) % len(_NAME_B)]}"
        cycle = i // (len(_NAME_A) * len(_NAME_B))
        name = base if cycle == 0 else f"{base} {cycle + 1}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        city, state, zip_code, country = _CITIES[i % len(_CITIES)]
        created = SEED_EPOCH + i * 3_541
        industry_options = CUSTOM_FIELD_DEFINITIONS[0]["options"]
        values: dict[int, Any] = {
            100764: industry_options[i % len(industry_options)]["id"],
            100765: float(12 + (i * 53) % 4_980),
            103481: f"Seeded account #{i + 1}" if i % 3 else None,
            103482: created + 86_400 * 365 if i % 2 == 0 else None,
            103483: i % 4 == 0,
            103484: f"https://contracts.copper-sandbox.example/{slug}" if i % 5 == 0 else None,
        }
        phones = [{"number": f"415{(5550000 + i) % 10_000_000:07d}", "category": "work"}]
        if i % 3 == 0:
            phones.append({"number": f"415{(6550000 + i) % 10_000_000:07d}", "category": "mobile"})
        websites = [{"url": f"https://www.{slug}.example", "category": "work"}]
        if i % 4 == 1:
            websites.append({"url": f"https://shop.{slug}.example", "category": "other"})
        socials = []
        if i % 2 == 0:
            socials.append({"url": f"https://www.linkedin.com/company/{slug}", "category": "linkedin"})
        if i % 5 == 0:
            socials.append({"url": f"https://twitter.com/{slug[:15]}", "category": "twitter"})
        tags = [_TAGS[i % len(_TAGS)]] + ([_TAGS[(i + 3) % len(_TAGS)]] if i % 3 == 1 else [])
        record: dict[str, Any] = {
            "id": self._new_id(),
            "name": name,
            "address": {"street": f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}", "city": city,
                        "state": state, "postal_code": zip_code, "country": country},
            "assignee_id": USERS[i % len(USERS)]["id"] if i % 6 != 5 else None,
            "contact_type_id": CONTACT_TYPES[i % len(CONTACT_TYPES)]["id"],
            "details": f"{name} — {industry_options[i % len(industry_options)]['name'].lower()} account in {city}.",
            "email_domain": f"{slug}.example",
            "phone_numbers": phones,
            "socials": socials,
            "tags": tags,
            "websites": websites,
            "custom_fields": [{"custom_field_definition_id": fid, "value": values.get(fid)} for fid in self.emulator.definitions().ids_on("company")],
            "interaction_count": (i * 7) % 40,
            "date_created": created,
            "date_modified": created + 600 + i,   # strictly increasing with i
        }
        record[LAST_CONTACTED_FIELD] = created + 7_200 if record["interaction_count"] else None
        return record

    def find(self, raw_id: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw_id))) if raw_id.isdigit() else None

    def render(self, company: dict[str, Any]) -> dict[str, Any]:
        """A company as the API shows it: without `date_last_contacted` when the `company_last_contacted`
        switch says companies do not carry it."""
        if self.emulator.switch["company_last_contacted"] == "absent":
            return {k: v for k, v in company.items() if k != LAST_CONTACTED_FIELD}
        return company

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        v1 = "/developer_api/v1"
        return [
            Route(f"{v1}/companies", g(self.create_company), methods=["POST"]),
            Route(f"{v1}/companies/search", g(self.search_companies), methods=["POST"]),
            Route(v1 + "/companies/{id}", g(self.get_company), methods=["GET"]),
            Route(v1 + "/companies/{id}", g(self.update_company), methods=["PUT"]),
            Route(v1 + "/companies/{id}", g(self.delete_company), methods=["DELETE"]),
        ]

    # -- search -----------------------------------------------------------------------------------------
    async def search_companies(self, request: Request) -> Response:
        """POST /companies/search: a bare JSON array and the `X-PW-TOTAL` header
        (https://developer.copper.com/companies/list-companies-search.html)."""
        search = await read_search(request, SEARCH_KEYS, self.emulator.switch)
        if isinstance(search, Response):
            return search
        body, page, size = search
        sort_by = body.get("sort_by") or DEFAULT_SORT_BY
        direction = str(body.get("sort_direction") or DEFAULT_SORT_DIRECTION).lower()
        if direction not in ("asc", "desc"):
            return validation_error("sort_direction must be asc or desc")
        key = self.sort_key(sort_by) if isinstance(sort_by, str) else None
        if key is None:
            return validation_error(f"sort_by: {sort_by} is not a valid sort field")
        try:
            filters = self.filters(body)
        except (TypeError, ValueError):
            return validation_error("Invalid search criteria")
        start = (page - 1) * size
        stop = min(start + size, SEARCH_RESULT_CAP)
        if not filters and sort_by in CREATION_ORDER_SORTS and direction == "asc":
            # The store keeps creation order (date_created, then id): a page is a slice.
            total = len(self.store)
            window = self.store.window(start, max(stop, start) - start)
        else:
            matches = [c for c in self.store.values() if all(f(c) for f in filters)]
            matches.sort(key=key, reverse=direction == "desc")
            total = len(matches)
            window = matches[start:max(stop, start)]
        return json_response([self.render(c) for c in window], headers={"X-PW-TOTAL": str(total)})

    @staticmethod
    def sort_key(sort_by: str):
        def text(value: Any) -> str:
            return (value or "").lower() if isinstance(value, str) else ""
        keys = {
            "name": lambda c: (text(c["name"]), c["id"]),
            "date_modified": lambda c: (c["date_modified"], c["id"]),
            "date_created": lambda c: (c["date_created"], c["id"]),
            "email_domain": lambda c: (text(c.get("email_domain")), c["id"]),
            "city": lambda c: (text((c.get("address") or {}).get("city")), c["id"]),
            "state": lambda c: (text((c.get("address") or {}).get("state")), c["id"]),
            "country": lambda c: (text((c.get("address") or {}).get("country")), c["id"]),
            "zip": lambda c: (text((c.get("address") or {}).get("postal_code")), c["id"]),
            "assignee": lambda c: (c.get("assignee_id") or 0, c["id"]),
            "interaction_count": lambda c: (c.get("interaction_count") or 0, c["id"]),
            "last_interaction": lambda c: (c.get(LAST_CONTACTED_FIELD) or 0, c["id"]),
            "phone": lambda c: ((c.get("phone_numbers") or [{}])[0].get("number") or "", c["id"]),
            "primary_website": lambda c: ((c.get("websites") or [{}])[0].get("url") or "", c["id"]),
        }
        return keys.get(sort_by)

    @staticmethod
    def filters(body: dict[str, Any]) -> list:
        """The search criteria, ANDed; ValueError/TypeError for values of the wrong type."""
        found = []
        if body.get("ids"):
            ids = {int(x) for x in body["ids"]}
            found.append(lambda c: c["id"] in ids)
        if body.get("name"):
            needle = str(body["name"]).lower()
            found.append(lambda c: needle in c["name"].lower())
        if body.get("email_domains"):
            domains = body["email_domains"]
            domains = {d.lower() for d in (domains if isinstance(domains, list) else [domains])}
            found.append(lambda c: (c.get("email_domain") or "").lower() in domains)
        if body.get("phone_number"):
            digits = "".join(ch for ch in str(body["phone_number"]) if ch.isdigit())
            found.append(lambda c: any(digits in "".join(ch for ch in p["number"] if ch.isdigit()) for p in c["phone_numbers"]))
        if body.get("assignee_ids"):
            wanted = set(body["assignee_ids"])
            found.append(lambda c: (c.get("assignee_id") or -2) in wanted)
        if body.get("contact_type_ids"):
            types = set(body["contact_type_ids"])
            found.append(lambda c: c.get("contact_type_id") in types)
        if body.get("tags"):
            tags = {t.lower() for t in body["tags"]}
            found.append(lambda c: any(t.lower() in tags for t in c["tags"]))
        for key in ("city", "state", "postal_code", "country"):
            if body.get(key):
                wanted_value = str(body[key]).lower()
                found.append(lambda c, k=key, w=wanted_value: ((c.get("address") or {}).get(k) or "").lower() == w)
        if body.get("minimum_created_date") is not None:
            found.append(lambda c, v=int(body["minimum_created_date"]): c["date_created"] >= v)
        if body.get("maximum_created_date") is not None:
            found.append(lambda c, v=int(body["maximum_created_date"]): c["date_created"] <= v)
        if body.get("minimum_interaction_count") is not None:
            found.append(lambda c, v=int(body["minimum_interaction_count"]): c["interaction_count"] >= v)
        if body.get("maximum_interaction_count") is not None:
            found.append(lambda c, v=int(body["maximum_interaction_count"]): c["interaction_count"] <= v)
        if body.get("minimum_modified_date") is not None:
            found.append(lambda c, v=int(body["minimum_modified_date"]): c["date_modified"] >= v)
        if body.get("maximum_modified_date") is not None:
            found.append(lambda c, v=int(body["maximum_modified_date"]): c["date_modified"] <= v)
        return found

    # -- get ---------------------------------------------------------------------------------------------
    async def get_company(self, request: Request) -> Response:
        company = self.find(request.path_params["id"])
        if company is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(self.render(company))

    # -- create / update --------------------------------------------------------------------------------
    async def create_company(self, request: Request) -> Response:
        """POST /companies answers 200 (not 201) with the company (create-a-new-company in
        https://github.com/dquimper/GitbookTest)."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        company = self.build(body)
        if isinstance(company, Response):
            return company
        return json_response(self.render(self.add(company)))

    def build(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        """A new company from a create body, not stored yet, or Copper's 422."""
        if not str(body.get("name") or "").strip():
            return validation_error("name: Name is required")
        now = int(time.time())
        company: dict[str, Any] = {
            "id": 0, "name": "", "address": None, "assignee_id": None, "contact_type_id": None, "details": None,
            "email_domain": None, "phone_numbers": [], "socials": [], "tags": [], "websites": [],
            "custom_fields": [{"custom_field_definition_id": fid, "value": None} for fid in self.emulator.definitions().ids_on("company")],
            "interaction_count": 0, "date_created": now, "date_modified": now,
        }
        company[LAST_CONTACTED_FIELD] = None
        failure = self.apply_changes(company, body, own_id=None)
        return failure if failure is not None else company

    def add(self, company: dict[str, Any]) -> dict[str, Any]:
        """Store a company `build` made, under a new id."""
        company["id"] = self._new_id()
        self.store.add(str(company["id"]), company)
        return company

    async def update_company(self, request: Request) -> Response:
        """PUT /companies/{id}: only fields present change; `null` clears
        (https://developer.copper.com/companies/update-a-company.html)."""
        company = self.find(request.path_params["id"])
        if company is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if "name" in body and not str(body.get("name") or "").strip():
            return validation_error("name: Name is required")
        staged = {**company, "custom_fields": [dict(cf) for cf in company["custom_fields"]]}
        failure = self.apply_changes(staged, body, own_id=company["id"])
        if failure is not None:
            return failure
        staged["date_modified"] = max(int(time.time()), company["date_modified"])
        self.store.put(str(company["id"]), staged)
        return json_response(self.render(staged))

    def apply_changes(self, company: dict[str, Any], body: dict[str, Any], own_id: int | None) -> Response | None:
        problems: list[str] = []
        if "name" in body:
            company["name"] = str(body["name"]).strip()
        if "details" in body:
            company["details"] = body["details"]
        if "address" in body:
            address = body["address"]
            if address is None:
                company["address"] = None
            elif isinstance(address, dict):
                company["address"] = {k: address.get(k) for k in ("street", "city", "state", "postal_code", "country")}
            else:
                problems.append("address: Invalid address")
        if "assignee_id" in body:
            if body["assignee_id"] is not None and body["assignee_id"] not in USERS_BY_ID:
                problems.append("assignee_id: User not found")
            else:
                company["assignee_id"] = body["assignee_id"]
        if "contact_type_id" in body:
            if body["contact_type_id"] is not None and body["contact_type_id"] not in CONTACT_TYPE_IDS:
                problems.append("contact_type_id: Contact type not found")
            else:
                company["contact_type_id"] = body["contact_type_id"]
        if "email_domain" in body:
            domain = body["email_domain"]
            if domain:
                domain = str(domain).strip().lower()
                # https://developer.copper.com/companies/overview.html : "email domain is a unique key
                # for Companies".
                clash = next((c for c in self.store.values()
                              if c.get("email_domain") == domain and c["id"] != own_id), None)
                if clash is not None:
                    return validation_error(DUPLICATE_DOMAIN_MESSAGE)
            company["email_domain"] = domain or None
        for key, categories in (("phone_numbers", PHONE_CATEGORIES), ("websites", WEBSITE_CATEGORIES),
                                ("socials", SOCIAL_CATEGORIES)):
            if key in body:
                items = categorised_items(key, body[key], categories)
                if isinstance(items, str):
                    problems.append(items)
                else:
                    company[key] = items
        if "tags" in body:
            tags = body["tags"] or []
            if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
                problems.append("tags: Tags must be strings")
            else:
                seen: list[str] = []
                for tag in tags:
                    clean = tag.strip().lower() if LOWERCASE_TAGS else tag.strip()
                    if clean and clean not in seen:
                        seen.append(clean)
                company["tags"] = seen
        if "custom_fields" in body:
            problem = merge_custom_fields(company, body["custom_fields"], "company", self.emulator.definitions().by_id())
            if problem:
                problems.append(problem)
        if problems:
            return validation_error(*problems)
        return None

    # -- delete -----------------------------------------------------------------------------------------
    async def delete_company(self, request: Request) -> Response:
        """Permanent delete: 200 {"id":…,"is_deleted":true}; the id then answers 404 [unverified]
        (delete-a-company in https://github.com/dquimper/GitbookTest: "permanently removes a Company")."""
        company = self.find(request.path_params["id"])
        if company is None:
            return error(404, NOT_FOUND_MESSAGE)
        self.store.delete(str(company["id"]))
        return json_response({"id": company["id"], "is_deleted": True})
