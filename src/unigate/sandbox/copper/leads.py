"""Copper Developer API v1 leads: the emulator's `leads` resource.

Paths are the vendor's (`/developer_api/v1/leads...`): https://developer.copper.com/leads/list-leads-search.html
and Copper's Postman-derived docs mirrored in https://github.com/dquimper/GitbookTest (`2.-leads/*.md`: overview,
create, fetch by id, update, delete, list lead statuses, list customer sources). A lead is a person, a company
name and an expected value in one record, before it is converted into a person, a company and an opportunity
(`POST /leads/{id}/convert`, 2.-leads/convert-a-lead.md; the upsert endpoint is not emulated: Copper's 404 here).

Behaviours the vendor's text leaves open are module constants, named after what they decide.
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
    EMAIL_CATEGORIES,
    MODIFIED_DATE_KEYS,
    NOT_FOUND_MESSAGE,
    PHONE_CATEGORIES,
    SEARCH_RESULT_CAP,
    SOCIAL_CATEGORIES,
    USERS,
    USERS_BY_ID,
    WEBSITE_CATEGORIES,
    body_object,
    categorised_items,
    error,
    merge_custom_fields,
    read_search,
    validation_error,
)
from unigate.sandbox.copper.accounts import Companies
from unigate.sandbox.copper.contacts import NAME_PARTS, People, split_name
from unigate.sandbox.copper.deals import CURRENCIES, CUSTOMER_SOURCES, Opportunities

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

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

# -- search (https://developer.copper.com/leads/list-leads-search.html; GitbookTest 2.-leads/list-leads-search.md) --
DEFAULT_SORT_BY = "name"            # the search table's default
# The keys applied here. Copper answers 422 to a key it does not know (https://github.com/singer-io/tap-copper
# strips other keys for that reason); the documented keys not applied here (followed, age, interaction dates,
# custom field criteria) are refused too, so a client never relies on a filter the sandbox would skip.
SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "phone_number", "emails",
               "assignee_ids", "status_ids", "customer_source_ids", "city", "state", "postal_code", "country", "tags",
               "minimum_monetary_value", "maximum_monetary_value", "minimum_interaction_count",
               "maximum_interaction_count", "minimum_created_date", "maximum_created_date", *MODIFIED_DATE_KEYS}
NO_VALUE = -2                       # "-2" in assignee_ids/customer_source_ids finds leads without one
# Footnote 1 of the search table: "date_modified and date_created: sorting is from oldest to newest";
# "inactive_days: sorting is from newest to oldest": sort_direction does not turn these around.
FIXED_ASCENDING = {"date_modified", "date_created"}
FIXED_DESCENDING = {"inactive_days"}
# Whether `name` matches the whole name or a part of it is not said ("Full name of the Lead to search for")
# [unverified]: a case-insensitive part of the name, the wider reading, so a client must narrow it itself.
# `emails` is "a string" here (not the people search's list): one address, matched whole, any case [unverified].

# -- writes -------------------------------------------------------------------------------------------------
NAME_REQUIRED = "name: Name is required"         # the people wording; a lead's name is required (overview.md)
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


class Leads(Resource):
    name: ClassVar[str] = "leads"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_LEAD_ID)

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` leads over every status and customer source; every fourth without an email."""
        self.store.clear()
        for i in range(count):
            lead = self._seed_lead(i)
            self.store.add(str(lead["id"]), lead)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

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

    # -- reading --------------------------------------------------------------------------------------
    def find(self, raw_id: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw_id))) if raw_id.isdigit() else None

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        v1 = "/developer_api/v1"
        return [
            Route(f"{v1}/leads", g(self.create_lead), methods=["POST"]),
            Route(f"{v1}/leads/search", g(self.search_leads), methods=["POST"]),
            Route(v1 + "/leads/{id}", g(self.get_lead), methods=["GET"]),
            Route(v1 + "/leads/{id}", g(self.update_lead), methods=["PUT"]),
            Route(v1 + "/leads/{id}", g(self.delete_lead), methods=["DELETE"]),
            Route(v1 + "/leads/{id}/convert", g(self.convert_lead), methods=["POST"]),
            Route(f"{v1}/lead_statuses", g(self.lead_statuses), methods=["GET"]),
        ]

    async def lead_statuses(self, request: Request) -> Response:
        """GET /lead_statuses: [{id, name, order, is_default}] (list-lead-statuses.md)."""
        return json_response(LEAD_STATUSES)

    # -- search -----------------------------------------------------------------------------------------
    async def search_leads(self, request: Request) -> Response:
        """POST /leads/search: a bare JSON array, the total in `X-PW-TOTAL`. minimum/maximum_modified_date are
        documented for leads, whatever the `search_modified_dates` switch says of people and companies."""
        switch = {**self.emulator.switch, "search_modified_dates": "applied"}
        search = await read_search(request, SEARCH_KEYS, switch)
        if isinstance(search, Response):
            return search
        body, page, size = search
        try:
            filters = self.filters(body)
        except (TypeError, ValueError):
            return validation_error("Invalid search criteria")
        direction = str(body.get("sort_direction") or "asc").lower()
        sort_by = body.get("sort_by") or DEFAULT_SORT_BY
        key = self.sort_key(sort_by) if isinstance(sort_by, str) else None
        if key is None:
            return validation_error(f"sort_by: {body.get('sort_by')} is not a valid sort field")
        if direction not in ("asc", "desc"):
            return validation_error("sort_direction must be asc or desc")
        descending = direction == "desc"
        if sort_by in FIXED_ASCENDING:
            descending = False
        elif sort_by in FIXED_DESCENDING:
            descending = True
        matches = [lead for lead in self.store.live() if all(f(lead) for f in filters)]
        matches.sort(key=key, reverse=descending)
        start = (page - 1) * size
        window = matches[start:max(min(start + size, SEARCH_RESULT_CAP), start)]
        return json_response(window, headers={"X-PW-TOTAL": str(len(matches))})

    @staticmethod
    def sort_key(sort_by: str):
        """The sort_by values of list-leads-search's footnote 1; ties broken by id."""
        def text(value: Any) -> str:
            return value.lower() if isinstance(value, str) else ""
        address = lambda r, k: text((r.get("address") or {}).get(k))  # noqa: E731
        keys = {
            "name": lambda r: (text(r["name"]), r["id"]),
            "first_name": lambda r: (text(r["first_name"]), r["id"]),
            "last_name": lambda r: (text(r["last_name"]), r["id"]),
            "company_name": lambda r: (text(r["company_name"]), r["id"]),
            "title": lambda r: (text(r["title"]), r["id"]),
            "value": lambda r: (r["monetary_value"] or 0, r["id"]),
            "email": lambda r: (text((r["email"] or {}).get("email")), r["id"]),
            "phone": lambda r: (text((r["phone_numbers"] or [{}])[0].get("number")), r["id"]),
            "date_modified": lambda r: (r["date_modified"], r["id"]),
            "date_created": lambda r: (r["date_created"], r["id"]),
            "city": lambda r: (address(r, "city"), r["id"]),
            "state": lambda r: (address(r, "state"), r["id"]),
            "country": lambda r: (address(r, "country"), r["id"]),
            "zip": lambda r: (address(r, "postal_code"), r["id"]),
            # the days since the last contact, newest contact first [unverified: what a never-contacted lead is]
            "inactive_days": lambda r: (r["date_last_contacted"] or 0, r["id"]),
        }
        return keys.get(sort_by)

    @staticmethod
    def filters(body: dict[str, Any]) -> list:
        """The search criteria, ANDed; ValueError/TypeError for values of the wrong type."""
        found = []

        def id_set(key: str) -> set[int]:
            if not isinstance(body[key], list):
                raise TypeError(key)
            return {int(x) for x in body[key]}

        if body.get("ids"):
            ids = id_set("ids")
            found.append(lambda r: r["id"] in ids)
        if body.get("name"):
            needle = str(body["name"]).lower()
            found.append(lambda r: needle in r["name"].lower())
        if body.get("emails") is not None:
            if not isinstance(body["emails"], str):      # "emails | string | Email of the Lead to search for."
                raise TypeError("emails")
            wanted = body["emails"].strip().lower()
            found.append(lambda r: bool(r["email"]) and r["email"]["email"].lower() == wanted)
        if body.get("phone_number"):
            digits = "".join(ch for ch in str(body["phone_number"]) if ch.isdigit())
            found.append(lambda r: any(digits in "".join(ch for ch in n["number"] if ch.isdigit()) for n in r["phone_numbers"]))
        for key, field in (("assignee_ids", "assignee_id"), ("status_ids", "status_id"),
                           ("customer_source_ids", "customer_source_id")):
            if body.get(key):
                wanted_ids = id_set(key)
                found.append(lambda r, f=field, w=wanted_ids: (r.get(f) if r.get(f) is not None else NO_VALUE) in w)
        if body.get("tags"):
            tags = {str(t).lower() for t in body["tags"]}
            found.append(lambda r: any(t.lower() in tags for t in r["tags"]))
        for key in ("city", "state", "postal_code", "country"):
            if body.get(key):
                value = str(body[key]).lower()
                found.append(lambda r, k=key, v=value: ((r.get("address") or {}).get(k) or "").lower() == v)
        for key, field, lower in (("minimum_created_date", "date_created", True), ("maximum_created_date", "date_created", False),
                                  ("minimum_modified_date", "date_modified", True), ("maximum_modified_date", "date_modified", False),
                                  ("minimum_interaction_count", "interaction_count", True),
                                  ("maximum_interaction_count", "interaction_count", False),
                                  ("minimum_monetary_value", "monetary_value", True),
                                  ("maximum_monetary_value", "monetary_value", False)):
            if body.get(key) is not None:
                if isinstance(body[key], bool):
                    raise TypeError(key)
                limit = float(body[key])
                if lower:
                    found.append(lambda r, f=field, v=limit: r[f] is not None and r[f] >= v)
                else:
                    found.append(lambda r, f=field, v=limit: r[f] is not None and r[f] <= v)
        return found

    # -- get ---------------------------------------------------------------------------------------------
    async def get_lead(self, request: Request) -> Response:
        lead = self.find(request.path_params["id"])
        if lead is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(lead)

    # -- create / update --------------------------------------------------------------------------------
    async def create_lead(self, request: Request) -> Response:
        """POST /leads answers 200 with the lead; `name` is required; the status defaults to the account's
        default one ("New"); every lead custom field is listed, unset ones as null (create-a-new-lead.md)."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            return validation_error(NAME_REQUIRED)
        now = int(time.time())
        lead: dict[str, Any] = {
            "id": 0, "name": "", **split_name(""), "address": None, "assignee_id": None, "company_name": None,
            "customer_source_id": None, "details": None, "email": None, "interaction_count": 0,
            "monetary_unit": None, "monetary_value": None, "socials": [], "status": DEFAULT_STATUS["name"],
            "status_id": DEFAULT_STATUS["id"], "tags": [], "title": None, "websites": [], "phone_numbers": [],
            "custom_fields": [{"custom_field_definition_id": fid, "value": None} for fid in self.emulator.definitions().ids_on("lead")],
            "date_created": now, "date_modified": now, "date_last_contacted": None,
        }
        failure = self.apply_changes(lead, body)
        if failure is not None:
            return failure
        lead["id"] = self.store.new_id()
        self.store.add(str(lead["id"]), lead)
        return json_response(lead)

    async def update_lead(self, request: Request) -> Response:
        """PUT /leads/{id}: only the fields sent change; `null` clears; an empty body changes nothing
        (update-a-lead.md)."""
        lead = self.find(request.path_params["id"])
        if lead is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
            return validation_error(NAME_REQUIRED)
        staged = {**lead, "custom_fields": [dict(cf) for cf in lead["custom_fields"]]}
        failure = self.apply_changes(staged, body)
        if failure is not None:
            return failure
        if body:
            staged["date_modified"] = max(int(time.time()), lead["date_modified"])
        self.store.put(str(lead["id"]), staged)
        return json_response(staged)

    def apply_changes(self, lead: dict[str, Any], body: dict[str, Any]) -> Response | None:
        problems: list[str] = []
        if "name" in body:
            lead["name"] = body["name"].strip()
            lead.update(split_name(lead["name"]))
        # The name parts as sent, or derived from `name`, as the people switch `person_name_parts` says
        # (create-a-new-lead.md derives "My Lead" -> My / Lead; parts sent along are [unverified]).
        if self.emulator.switch["person_name_parts"] == "as_sent" and any(k in body for k in NAME_PARTS):
            lead.update({k: body[k] for k in NAME_PARTS if k in body})
            if "name" not in body:
                lead["name"] = " ".join(str(lead[k]) for k in ("first_name", "middle_name", "last_name") if lead[k])
        for key in ("details", "title", "company_name"):
            if key in body:
                if body[key] is not None and not isinstance(body[key], str):
                    problems.append(f"{key}: must be a string")
                else:
                    lead[key] = body[key]
        if "address" in body:
            address = body["address"]
            if address is None or isinstance(address, dict):
                lead["address"] = None if address is None else {
                    k: address.get(k) for k in ("street", "city", "state", "postal_code", "country")}
            else:
                problems.append("address: Invalid address")
        if "assignee_id" in body:
            if body["assignee_id"] is not None and body["assignee_id"] not in USERS_BY_ID:
                problems.append("assignee_id: User not found")
            else:
                lead["assignee_id"] = body["assignee_id"]
        if "customer_source_id" in body:
            if body["customer_source_id"] is not None and body["customer_source_id"] not in CUSTOMER_SOURCE_IDS:
                problems.append(BAD_SOURCE_MESSAGE)
            else:
                lead["customer_source_id"] = body["customer_source_id"]
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
        if "monetary_value" in body:
            value = body["monetary_value"]
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                problems.append("Value: must be a positive number")
            else:
                lead["monetary_value"] = value
        if "monetary_unit" in body:
            if body["monetary_unit"] is not None and body["monetary_unit"] not in CURRENCIES:
                problems.append(f"Currency: {body['monetary_unit']} is not a currency of this account")
            else:
                lead["monetary_unit"] = body["monetary_unit"]
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
        for key, categories in (("phone_numbers", PHONE_CATEGORIES), ("websites", WEBSITE_CATEGORIES),
                                ("socials", SOCIAL_CATEGORIES)):
            if key in body:
                items = categorised_items(key, body[key], categories)
                if isinstance(items, str):
                    problems.append(items)
                else:
                    lead[key] = items
        if "tags" in body:
            tags = body["tags"] or []
            if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
                problems.append("tags: Tags must be strings")
            else:
                lead["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
        if "custom_fields" in body:
            problem = merge_custom_fields(lead, body["custom_fields"], "lead", self.emulator.definitions().by_id())
            if problem:
                problems.append(problem)
        return validation_error(*problems) if problems else None

    # -- delete -----------------------------------------------------------------------------------------
    async def delete_lead(self, request: Request) -> Response:
        """Permanent delete: 200 {"id": N, "is_deleted": true} (delete-a-lead.md); the id then answers 404."""
        lead = self.find(request.path_params["id"])
        if lead is None:
            return error(404, NOT_FOUND_MESSAGE)
        self.store.delete(str(lead["id"]))
        return json_response({"id": lead["id"], "is_deleted": True})

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
