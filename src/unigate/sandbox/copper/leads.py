"""Copper Developer API v1 leads: the emulator's `leads` resource.

Paths are the vendor's (`/developer_api/v1/leads...`): https://developer.copper.com/leads/list-leads-search.html
and Copper's Postman-derived docs mirrored in https://github.com/dquimper/GitbookTest (`2.-leads/*.md`: overview,
create, fetch by id, update, delete, list lead statuses, list customer sources). A lead is a person, a company
name and an expected value in one record, before it is converted into a person, a company and an opportunity
(`POST /leads/{id}/convert`, 2.-leads/convert-a-lead.md; the upsert endpoint is not emulated: Copper's 404 here).

Behaviours the vendor's text leaves open are module constants, named after what they decide.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import json_response
from unigate.sandbox.copper.accounts import Companies
from unigate.sandbox.copper.changes import USER_NOT_FOUND, Changes, split_name
from unigate.sandbox.copper.common import (
    EMAIL_CATEGORIES,
    MODIFIED_DATE_KEYS,
    NOT_FOUND_MESSAGE,
    USERS,
    USERS_BY_ID,
    body_object,
    categorised_items,
    error,
    read_search,
    validation_error,
)
from unigate.sandbox.copper.contacts import People
from unigate.sandbox.copper.deals import CURRENCIES, CUSTOMER_SOURCES, Opportunities
from unigate.sandbox.copper.records import V1, CopperRecords, SortKey
from unigate.sandbox.copper.search import (
    Criterion,
    address_sorts,
    as_stored,
    at_address,
    by_text,
    linked_to,
    name_contains,
    number_not_boolean,
    phone_contains,
    tagged,
    text,
    ties_by_id,
    with_ids,
    within_bounds,
)

# -- statuses (2.-leads/list-lead-statuses.md: GET /lead_statuses, an account's own list; this is its example) --
LEAD_STATUSES: list[dict[str, Any]] = [
    {"id": 208231, "name": "New", "order": 1, "is_default": True},
    {"id": 208232, "name": "Open", "order": 2, "is_default": False},
    {"id": 208233, "name": "Unqualified", "order": 3, "is_default": False},
    {"id": 208234, "name": "Junk", "order": 4, "is_default": False},
]
STATUS_BY_NAME = {s["name"]: s for s in LEAD_STATUSES}
STATUS_BY_ID = {s["id"]: s for s in LEAD_STATUSES}
DEFAULT_STATUS = next(s for s in LEAD_STATUSES if s["is_default"])   # create-a-new-lead.md: "status": "New"
CUSTOMER_SOURCE_IDS = {s["id"] for s in CUSTOMER_SOURCES}

# -- writes -------------------------------------------------------------------------------------------------
BAD_STATUS_MESSAGE = "status: {} is not a lead status of this account"   # [unverified wording]
BAD_SOURCE_MESSAGE = "customer_source_id: Customer source not found"      # [unverified wording]

# -- convert (2.-leads/convert-a-lead.md) -------------------------------------------------------------------
# "Valid fields are ..." for each part; another key is refused like an unknown search key [unverified: status].
CONVERT_KEYS = {"person": {"name", "contact_type_id", "assignee_id"},
                "company": {"id", "name", "exact_match"},
                "opportunity": {"name", "pipeline_id", "pipeline_stage_id", "monetary_value", "assignee_id"}}
# Without a `company` part, whether Copper makes a company from the lead's company_name is not said (the example's
# answer has a company the request did not name) [unverified]: the lead's company_name is used as a `name` would be.
# A company `name` finds an existing company by its name; "fuzzy matching will return a list of candidate
# companies" unless exact_match is true [unverified: what that list looks like]: here the name is matched
# whole, case aside, either way.

SEED_EPOCH = 1_489_018_784          # update-a-lead.md's date_created
FIRST_LEAD_ID = 8_894_157           # update-a-lead.md's id

_FIRST = ["Holly", "Ryan", "Karen", "Jan", "Roy", "David", "Todd", "Nellie", "Clark", "Pete", "Gabe", "Cathy"]
_LAST = ["Flax", "Howard", "Filippelli", "Levinson", "Anderson", "Wallace", "Packer", "Bertram", "Green", "Miller"]
_COMPANIES = ["Vance Refrigeration", "Prince Family Paper", "Staples", "Sabre", "Michael Scott Paper Company",
              "Athlead", "Cornell Alumni", "Utica Paper"]
_TITLES = ["Office Manager", "Procurement Lead", "Owner", "Purchasing Agent", "Operations Director"]
_TAGS = ["trade-show", "inbound", "referral"]


class Leads(CopperRecords):
    name: ClassVar[str] = "leads"
    path: ClassVar[str] = "leads"
    entity: ClassVar[str] = "lead"
    first_id: ClassVar[int] = FIRST_LEAD_ID

    # -- search (https://developer.copper.com/leads/list-leads-search.html; GitbookTest 2.-leads/list-leads-search.md) --
    # Documented keys not applied (followed, age, interaction dates, custom field criteria) are refused.
    SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "phone_number", "emails",
                   "assignee_ids", "status_ids", "customer_source_ids", "city", "state", "postal_code", "country",
                   "tags", "minimum_monetary_value", "maximum_monetary_value", "minimum_interaction_count",
                   "maximum_interaction_count", "minimum_created_date", "maximum_created_date", *MODIFIED_DATE_KEYS}
    DEFAULT_SORT_BY = "name"            # the search table's default
    # Footnote 1 of the search table: "date_modified and date_created: sorting is from oldest to newest";
    # "inactive_days: sorting is from newest to oldest": sort_direction does not turn these around.
    FIXED_DIRECTIONS = {"date_modified": False, "date_created": False, "inactive_days": True}
    # Whether `name` matches the whole name or a part of it is not said ("Full name of the Lead to search for")
    # [unverified]: a case-insensitive part of the name, the wider reading, so a client must narrow it itself.
    # `emails` is "a string" here (not the people search's list): one address, matched whole, any case [unverified].

    # update-a-lead.md: an empty body changes nothing.
    EMPTY_UPDATE_KEEPS_DATE_MODIFIED = True

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` leads over every status and customer source; every fourth without an email."""
        self.store.clear()
        for i in range(count):
            lead = self._seed_lead(i)
            self.store.add(str(lead["id"]), lead)

    def _seed_lead(self, i: int) -> dict[str, Any]:
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST) + i) % len(_LAST)]
        created = SEED_EPOCH + i * 2_917
        company = _COMPANIES[i % len(_COMPANIES)] if i % 5 != 4 else None
        status = LEAD_STATUSES[i % len(LEAD_STATUSES)]
        interactions = (i * 3) % 7
        values: dict[int, Any] = {
            100764: 900101 + i % 8 if i % 3 == 0 else None,            # Industry (Dropdown option id)
            103486: 900201 + i % 3 if i % 2 == 1 else None,            # Preferred Channel (Dropdown option id)
            103600: float(10 + (i * 7) % 90) if i % 2 == 0 else None,  # Lead Score (Float)
            103601: f"Asked for a quote in {i % 12 + 1}/2017" if i % 4 == 1 else None,  # Lead Notes (Text)
        }
        return {
            "id": self.store.new_id(),
            "name": f"{first} {last}",
            **split_name(f"{first} {last}"),
            "address": {"street": f"{10 + i} Slough Avenue", "city": "Scranton", "state": "PA",
                        "postal_code": "18505", "country": "US"} if i % 3 == 1 else None,
            "assignee_id": USERS[i % len(USERS)]["id"] if i % 5 != 3 else None,
            "company_name": company,
            "customer_source_id": CUSTOMER_SOURCES[i % len(CUSTOMER_SOURCES)]["id"] if i % 2 == 0 else None,
            "details": f"{first} filled in the web form." if i % 4 == 2 else None,
            "email": {"email": f"{first.lower()}.{last.lower()}{i}@leads.example", "category": "work"} if i % 4 != 3 else None,
            "interaction_count": interactions,
            "monetary_unit": "USD" if i % 3 != 2 else None,
            "monetary_value": 500 + 125 * i if i % 3 != 2 else None,
            "socials": [{"url": f"https://twitter.com/{first.lower()}{i}", "category": "twitter"}] if i % 6 == 0 else [],
            "status": status["name"],
            "status_id": status["id"],
            "tags": [_TAGS[i % len(_TAGS)]] if i % 3 != 2 else [],
            "title": _TITLES[i % len(_TITLES)] if i % 7 != 6 else None,
            "websites": [{"url": f"https://{last.lower()}{i}.example", "category": "work"}] if i % 5 == 0 else [],
            "phone_numbers": [{"number": f"570{(5551200 + i) % 10_000_000:07d}", "category": "work"}] if i % 4 != 0 else [],
            "custom_fields": [{"custom_field_definition_id": fid, "value": values.get(fid)} for fid in self.emulator.definitions().ids_on("lead")],
            "date_created": created,
            "date_modified": created + 600 + i,
            "date_last_contacted": created + 3_600 if interactions else None,
        }

    def more_routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route(V1 + "/leads/{id}/convert", g(self.convert_lead), methods=["POST"]),
            Route(f"{V1}/lead_statuses", g(self.lead_statuses), methods=["GET"]),
        ]

    async def lead_statuses(self, request: Request) -> Response:
        """GET /lead_statuses: [{id, name, order, is_default}] (list-lead-statuses.md)."""
        return json_response(LEAD_STATUSES)

    # -- search -----------------------------------------------------------------------------------------
    async def read_search(self, request: Request) -> tuple[dict[str, Any], int, int] | Response:
        """minimum/maximum_modified_date are documented for leads, whatever the `search_modified_dates` switch says
        of people and companies."""
        switch = {**self.emulator.switch, "search_modified_dates": "applied"}
        return await read_search(request, self.SEARCH_KEYS, switch)

    def sort_keys(self) -> dict[str, SortKey]:
        """The sort_by values of list-leads-search's footnote 1."""
        return ties_by_id({
            **by_text("name", "first_name", "last_name", "company_name", "title"),
            "value": lambda r: r["monetary_value"] or 0,
            "email": lambda r: text((r["email"] or {}).get("email")),
            "phone": lambda r: text((r["phone_numbers"] or [{}])[0].get("number")),
            **as_stored("date_modified", "date_created"),
            **address_sorts(),
            # the days since the last contact, newest contact first [unverified: what a never-contacted lead is]
            "inactive_days": lambda r: r["date_last_contacted"] or 0,
        })

    def filters(self, body: dict[str, Any]) -> list[Criterion]:
        # The id criteria take lists only, and a bound true or false is refused (the other searches read it as 1 or 0).
        found = [*with_ids(body, list_only=True), *name_contains(body)]
        if body.get("emails") is not None:
            if not isinstance(body["emails"], str):      # "emails | string | Email of the Lead to search for."
                raise TypeError("emails")
            wanted = body["emails"].strip().lower()
            found.append(lambda r: bool(r["email"]) and r["email"]["email"].lower() == wanted)
        found += phone_contains(body)
        found += linked_to(body, (("assignee_ids", "assignee_id"), ("status_ids", "status_id"),
                                  ("customer_source_ids", "customer_source_id")), list_only=True)
        found += tagged(body)
        found += at_address(body)
        found += within_bounds(body, ("created_date", "modified_date", "interaction_count", "monetary_value"),
                               number=number_not_boolean)
        return found

    # -- create / update (POST answers 200 with the lead; the status defaults to the account's default one
    # ("New"); every lead custom field is listed, unset ones as null: create-a-new-lead.md. PUT: update-a-lead.md)
    @staticmethod
    def name_missing(value: Any) -> bool:
        """A lead's name must be text (the people wording when it is not; a lead's name is required, overview.md)."""
        return not isinstance(value, str) or not value.strip()

    def blank(self, now: int) -> dict[str, Any]:
        return {
            "id": 0, "name": "", **split_name(""), "address": None, "assignee_id": None, "company_name": None,
            "customer_source_id": None, "details": None, "email": None, "interaction_count": 0,
            "monetary_unit": None, "monetary_value": None, "socials": [], "status": DEFAULT_STATUS["name"],
            "status_id": DEFAULT_STATUS["id"], "tags": [], "title": None, "websites": [], "phone_numbers": [],
            "custom_fields": self.unset_custom_fields(),
            "date_created": now, "date_modified": now, "date_last_contacted": None,
        }

    def apply_changes(self, lead: dict[str, Any], body: dict[str, Any], creating: bool) -> Response | None:
        changes = Changes(lead, body)
        problems = changes.problems
        # The name parts as sent, or derived from `name`, as the people switch `person_name_parts` says
        # (create-a-new-lead.md derives "My Lead" -> My / Lead; parts sent along are [unverified]).
        changes.person_name(parts_as_sent=self.emulator.switch["person_name_parts"] == "as_sent")
        for key in ("details", "title", "company_name"):
            if key in body:
                if body[key] is not None and not isinstance(body[key], str):
                    problems.append(f"{key}: must be a string")
                else:
                    lead[key] = body[key]
        changes.address()
        changes.one_of("assignee_id", USERS_BY_ID, USER_NOT_FOUND)
        changes.one_of("customer_source_id", CUSTOMER_SOURCE_IDS, BAD_SOURCE_MESSAGE)
        # A lead's status is written by name (overview.md: "status | string_enum") or by status_id; either must be
        # one of GET /lead_statuses [unverified: how a name outside them is refused].
        if "status" in body:
            status = STATUS_BY_NAME.get(body["status"]) if isinstance(body["status"], str) else None
            if status is None:
                problems.append(BAD_STATUS_MESSAGE.format(body["status"]))
            else:
                lead["status"], lead["status_id"] = status["name"], status["id"]
        if "status_id" in body:
            status = STATUS_BY_ID.get(body["status_id"]) if isinstance(body["status_id"], int) else None
            if status is None:
                problems.append(BAD_STATUS_MESSAGE.format(body["status_id"]))
            else:
                lead["status"], lead["status_id"] = status["name"], status["id"]
        changes.monetary_value()
        changes.one_of("monetary_unit", CURRENCIES, "Currency: {} is not a currency of this account")
        # One email per lead, an object {email, category} (overview.md: "email | email_address"), not a list.
        if "email" in body:
            email = body["email"]
            if email is None:
                lead["email"] = None
            elif not isinstance(email, dict):
                problems.append("email: Invalid email")
            else:
                items = categorised_items("emails", [email], EMAIL_CATEGORIES)
                if isinstance(items, str):
                    problems.append(items.replace("emails", "email", 1))
                else:
                    lead["email"] = items[0]
        changes.categorised("phone_numbers", "websites", "socials")
        changes.tags()
        changes.custom_fields(self.entity, self.custom_field_definitions())
        return changes.refusal()

    # -- convert ----------------------------------------------------------------------------------------
    async def convert_lead(self, request: Request) -> Response:
        """POST /leads/{id}/convert {"details": {person, company, opportunity}}: a person made from the lead, in a
        company (an existing one by id or name, a new one by a new name, none for ""), and an opportunity when
        one is asked for (its pipeline's first stage by default); the lead is removed. Answers
        {"person", "company", "opportunity"} (convert-a-lead.md); a part not made is null [unverified]."""
        lead = self.find(request.path_params["id"])
        if lead is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        details = body.get("details", {})
        if set(body) - {"details"} or not isinstance(details, dict):
            return validation_error("details: Invalid details")
        parts: dict[str, dict[str, Any] | None] = {}
        for part, keys in CONVERT_KEYS.items():
            given = details.get(part)
            if given is not None and not isinstance(given, dict):
                return validation_error(f"{part}: Invalid {part}")
            unknown = sorted(set(given or {}) - keys)
            if unknown:
                return validation_error(f"{part}.{unknown[0]}: Unknown attribute")
            parts[part] = given
        if set(details) - set(CONVERT_KEYS):
            return validation_error(f"{sorted(set(details) - set(CONVERT_KEYS))[0]}: Unknown attribute")
        people, companies, deals = self._people(), self._companies(), self._deals()

        company_in = parts["company"]
        company: dict[str, Any] | None = None
        new_company: dict[str, Any] | None = None
        if company_in is not None and "id" in company_in and "name" in company_in:
            return validation_error("company: id and name are mutually exclusive")
        if company_in is not None and "id" in company_in:
            raw = company_in["id"]
            company = (companies.store.get(str(raw)) if isinstance(raw, int) and not isinstance(raw, bool) else None)
            if company is None:
                return validation_error("Company Id: Company not found")
        else:
            name = company_in.get("name") if company_in is not None else lead["company_name"]
            if name is not None and not isinstance(name, str):
                return validation_error("company.name: must be a string")
            if name and name.strip():
                wanted = name.strip().lower()
                company = next((c for c in companies.store.live() if c["name"].lower() == wanted), None)
                if company is None:
                    built = companies.build({"name": name.strip(), "custom_fields": self._values_for(lead, "company")})
                    if isinstance(built, Response):
                        return built
                    new_company = built

        person_in = parts["person"] or {}
        person_body: dict[str, Any] = {
            "name": person_in.get("name") or lead["name"],
            "assignee_id": person_in.get("assignee_id", lead["assignee_id"]),
            "emails": [lead["email"]] if lead["email"] else [],
            "phone_numbers": lead["phone_numbers"], "socials": lead["socials"], "websites": lead["websites"],
            "address": lead["address"], "title": lead["title"], "details": lead["details"], "tags": lead["tags"],
            "custom_fields": self._values_for(lead, "person"),
        }
        if "contact_type_id" in person_in:
            person_body["contact_type_id"] = person_in["contact_type_id"]
        person = people.build(person_body)
        if isinstance(person, Response):
            return person
        deal_in = parts["opportunity"]
        if deal_in is not None and not str(deal_in.get("name") or "").strip():
            return validation_error("name: Name is required")

        if new_company is not None:
            company = companies.add(new_company)
        people.add(person)
        if company is not None:
            people.link_company(person, company["id"])
        deal: dict[str, Any] | Response | None = None
        if deal_in is not None:
            deal = deals.build({**deal_in, "primary_contact_id": person["id"],
                                "company_id": company["id"] if company else None})
            if isinstance(deal, Response):      # undo what was made, so a refused convert changes nothing
                people.store.delete(str(person["id"]))
                if new_company is not None:
                    companies.store.delete(str(new_company["id"]))
                return deal
            deals.add(deal)
        self.store.delete(str(lead["id"]))
        return json_response({"person": people.render(person),
                              "company": companies.render(company) if company else None,
                              "opportunity": deals.render(deal) if isinstance(deal, dict) else None})

    def _values_for(self, lead: dict[str, Any], entity: str) -> list[dict[str, Any]]:
        """The lead's custom field values whose definitions are also on `entity` (the convert example's person and
        company carry the lead's values)."""
        on_entity = set(self.emulator.definitions().ids_on(entity))
        return [dict(row) for row in lead["custom_fields"] if row["value"] is not None
                and row["custom_field_definition_id"] in on_entity]

    def _people(self) -> People:
        resource = self.emulator.resource("contacts")
        assert isinstance(resource, People)
        return resource

    def _companies(self) -> Companies:
        resource = self.emulator.resource("accounts")
        assert isinstance(resource, Companies)
        return resource

    def _deals(self) -> Opportunities:
        resource = self.emulator.resource("opportunities")
        assert isinstance(resource, Opportunities)
        return resource
