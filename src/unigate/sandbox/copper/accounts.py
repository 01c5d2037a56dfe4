"""Copper Developer API v1 companies: the emulator's `accounts` resource.

Paths are the vendor's (`/developer_api/v1/companies...`): https://developer.copper.com/companies/overview.html ,
https://developer.copper.com/companies/list-companies-search.html ,
https://developer.copper.com/companies/update-a-company.html , and Copper's Postman-derived docs
mirrored in https://github.com/dquimper/GitbookTest (`4.-companies/*.md`: create, fetch, delete).

Behaviours the vendor's text leaves open are module constants or small methods named after what
they decide, so they are easy to change once a live account confirms them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.responses import Response

from unigate.sandbox.copper.changes import USER_NOT_FOUND, Changes
from unigate.sandbox.copper.common import (
    CONTACT_TYPE_IDS,
    CONTACT_TYPES,
    CUSTOM_FIELD_DEFINITIONS,
    MODIFIED_DATE_KEYS,
    modified_date_bounds,
    USERS,
    USERS_BY_ID,
    validation_error,
)
from unigate.sandbox.copper.records import CopperRecords, SortKey
from unigate.sandbox.copper.search import (
    NO_VALUE,
    Criterion,
    address_sorts,
    as_stored,
    at_address,
    by_text,
    name_contains,
    phone_contains,
    text,
    ties_by_id,
    with_ids,
    within_bounds,
)

DUPLICATE_DOMAIN_MESSAGE = "email_domain: Email domain is already taken"  # status 422 [unverified wording]

# The company payload documented in companies/overview has no last-contacted timestamp, while
# people, leads and opportunities carry `date_last_contacted` (Unix seconds). Whether companies
# return it too is [unverified]: switch `company_last_contacted` (`shown` by default, `absent`).
LAST_CONTACTED_FIELD = "date_last_contacted"

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


class Companies(CopperRecords):
    name: ClassVar[str] = "accounts"
    path: ClassVar[str] = "companies"
    entity: ClassVar[str] = "company"
    first_id: ClassVar[int] = FIRST_COMPANY_ID

    # -- search (https://developer.copper.com/companies/list-companies-search.html) ----------------------
    # `ids` is in the current docs only.
    SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "phone_number",
                   "email_domains", "contact_type_ids", "assignee_ids", "city", "state", "postal_code", "country",
                   "tags", "minimum_created_date", "maximum_created_date", "minimum_interaction_count",
                   "maximum_interaction_count", *MODIFIED_DATE_KEYS}
    DEFAULT_SORT_BY = "date_modified"   # list-companies-search: sort_by default date_modified (sort_direction asc)
    # Seeds and creations get growing date_created and ids, so a page of them is a slice rather than a sort.
    CREATION_ORDER_SORTS = ("date_created",)
    # The companies search looks at sort_direction, then sort_by, then the criteria (the other searches
    # at the criteria first): which problem a body with several is answered with.
    SEARCH_CHECKS = ("sort_direction", "sort_by", "criteria")

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` companies; date_created and id grow with insertion order (and so does the seeded
        date_modified, the default sort)."""
        self.store.clear()
        for i in range(count):
            company = self._seed_company(i)
            self.store.add(str(company["id"]), company)

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
            "id": self.store.new_id(),
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

    def render(self, company: dict[str, Any]) -> dict[str, Any]:
        """A company as the API shows it: without `date_last_contacted` when the `company_last_contacted`
        switch says companies do not carry it."""
        if self.emulator.switch["company_last_contacted"] == "absent":
            return {k: v for k, v in company.items() if k != LAST_CONTACTED_FIELD}
        return company

    # -- search ---------------------------------------------------------------------------------------------
    def sort_keys(self) -> dict[str, SortKey]:
        return ties_by_id({
            **by_text("name"),
            **as_stored("date_modified", "date_created"),
            "email_domain": lambda c: text(c.get("email_domain")),
            **address_sorts(),
            "assignee": lambda c: c.get("assignee_id") or 0,
            "interaction_count": lambda c: c.get("interaction_count") or 0,
            "last_interaction": lambda c: c.get(LAST_CONTACTED_FIELD) or 0,
            "phone": lambda c: (c.get("phone_numbers") or [{}])[0].get("number") or "",
            "primary_website": lambda c: (c.get("websites") or [{}])[0].get("url") or "",
        })

    def filters(self, body: dict[str, Any]) -> list[Criterion]:
        found = [*with_ids(body), *name_contains(body)]
        if body.get("email_domains"):
            domains = body["email_domains"]
            domains = {d.lower() for d in (domains if isinstance(domains, list) else [domains])}
            found.append(lambda c: (c.get("email_domain") or "").lower() in domains)
        found += phone_contains(body)
        # Unlike the people search, the ids here are matched as sent (not made integers) and contact types
        # have no -2 for "none".
        if body.get("assignee_ids"):
            wanted = set(body["assignee_ids"])
            found.append(lambda c: (c.get("assignee_id") or NO_VALUE) in wanted)
        if body.get("contact_type_ids"):
            types = set(body["contact_type_ids"])
            found.append(lambda c: c.get("contact_type_id") in types)
        if body.get("tags"):
            tags = {t.lower() for t in body["tags"]}
            found.append(lambda c: any(t.lower() in tags for t in c["tags"]))
        found += at_address(body)
        found += within_bounds(body, ("created_date", "interaction_count", *modified_date_bounds(self.emulator.switch)))
        return found

    # -- create / update (POST answers 200, create-a-new-company in GitbookTest; PUT:
    # https://developer.copper.com/companies/update-a-company.html) --------------------------------------
    def blank(self, now: int) -> dict[str, Any]:
        return {
            "id": 0, "name": "", "address": None, "assignee_id": None, "contact_type_id": None, "details": None,
            "email_domain": None, "phone_numbers": [], "socials": [], "tags": [], "websites": [],
            "custom_fields": self.unset_custom_fields(),
            "interaction_count": 0, "date_created": now, "date_modified": now, LAST_CONTACTED_FIELD: None,
        }

    def apply_changes(self, company: dict[str, Any], body: dict[str, Any], creating: bool) -> Response | None:
        changes = Changes(company, body)
        changes.name()
        changes.copy("details")
        changes.address()
        changes.one_of("assignee_id", USERS_BY_ID, USER_NOT_FOUND)
        changes.one_of("contact_type_id", CONTACT_TYPE_IDS, "contact_type_id: Contact type not found")
        if "email_domain" in body:
            domain = body["email_domain"]
            if domain:
                domain = str(domain).strip().lower()
                # https://developer.copper.com/companies/overview.html : "email domain is a unique key
                # for Companies".
                own_id = None if creating else company["id"]
                clash = next((c for c in self.store.values()
                              if c.get("email_domain") == domain and c["id"] != own_id), None)
                if clash is not None:
                    return validation_error(DUPLICATE_DOMAIN_MESSAGE)
            company["email_domain"] = domain or None
        changes.categorised("phone_numbers", "websites", "socials")
        changes.tags()
        changes.custom_fields(self.entity, self.custom_field_definitions())
        return changes.refusal()
