"""Copper Developer API v1 people: the emulator's `contacts` resource.

Paths are the vendor's (`/developer_api/v1/people...`): https://developer.copper.com/people/list-people-search.html
and Copper's Postman-derived docs mirrored in https://github.com/dquimper/GitbookTest (`3.-people/*.md`:
overview, create, fetch by id and by email, update, delete). A person belongs to at most one company
(`company_id`, with the read-only `company_name`).

Behaviours the vendor's text leaves open are module constants, named after what they decide.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import json_response
from unigate.sandbox.copper.accounts import Companies
from unigate.sandbox.copper.changes import USER_NOT_FOUND, Changes, split_name
from unigate.sandbox.copper.common import (
    CONTACT_TYPE_IDS,
    CONTACT_TYPES,
    MODIFIED_DATE_KEYS,
    modified_date_bounds,
    NOT_FOUND_MESSAGE,
    USERS,
    USERS_BY_ID,
    body_object,
    error,
    validation_error,
)
from unigate.sandbox.copper.records import V1, CopperRecords, SortKey
from unigate.sandbox.copper.search import (
    Criterion,
    address_sorts,
    as_stored,
    at_address,
    by_text,
    linked_to,
    name_contains,
    phone_contains,
    tagged,
    text,
    ties_by_id,
    with_ids,
    within_bounds,
)

# -- writes -------------------------------------------------------------------------------------------------
# "email address is a unique key for People" (3.-people/overview.md); the 422 wording is [unverified].
DUPLICATE_EMAIL_MESSAGE = "emails: Email already exists"
# A non-integer company id, as a live answer words it (https://github.com/verbb/formie/issues/653).
BAD_COMPANY_ID_MESSAGE = "Company Id: Invalid value for Company Id: IDs must be positive integers: {}"
UNKNOWN_COMPANY_MESSAGE = "Company Id: Company not found"        # [unverified wording]
# update-a-person.md: "if you would like to unrelate and relate a new company_id, use the related items
# API"; whether a PUT's company_id is applied anyway is [unverified]: switch `person_update_company_id`
# (`ignored` by default, the stricter reading; `applied`).
# Related Items (related-items/*.md in https://github.com/dquimper/GitbookTest): "People: Companies
# (limit 1)"; both records must exist. The statuses and wording of the refusals are [unverified].
RELATED_LIMIT_MESSAGE = "resource: A person can be related to only one company"
NOT_RELATED_MESSAGE = "resource: The resources are not related"
UNSUPPORTED_RELATION_MESSAGE = "resource: Only companies are related to people in this sandbox"
DEFAULT_CONTACT_TYPE_ID = 451492   # "Uncategorized" (create-a-new-person.md answer)

SEED_EPOCH = 1_484_988_828
FIRST_PERSON_ID = 27_140_448       # the create example's id

_FIRST = ["Pam", "Jim", "Dwight", "Angela", "Oscar", "Kevin", "Kelly", "Stanley", "Phyllis", "Toby", "Erin", "Darryl"]
_LAST = ["Beesly", "Halpert", "Schrute", "Martin", "Martinez", "Malone", "Kapoor", "Hudson", "Vance", "Flenderson"]
_TITLES = ["Receptionist", "Sales Representative", "Assistant Regional Manager", "Head of Accounting", "HR Manager"]
_TAGS = ["decision-maker", "champion", "newsletter"]


class People(CopperRecords):
    name: ClassVar[str] = "contacts"
    path: ClassVar[str] = "people"
    entity: ClassVar[str] = "person"
    first_id: ClassVar[int] = FIRST_PERSON_ID

    # -- search (https://developer.copper.com/people/list-people-search.html) --------------------------------
    # Documented keys not applied (followed, opportunity_ids, interaction dates, custom field criteria) are refused.
    SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "emails", "phone_number",
                   "company_ids", "assignee_ids", "contact_type_ids", "tags", "city", "state", "postal_code", "country",
                   "minimum_created_date", "maximum_created_date", "minimum_interaction_count",
                   "maximum_interaction_count", *MODIFIED_DATE_KEYS}
    DEFAULT_SORT_BY = "first_name"      # GitbookTest 3.-people/list-people-search.md footnote

    @property
    def companies(self) -> Companies:
        resource = self.emulator.resource("accounts")
        assert isinstance(resource, Companies)
        return resource

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` people; most work for a seeded company (every fifth for none)."""
        self.store.clear()
        companies = list(self.companies.store.live())
        for i in range(count):
            company = companies[(i * 2 + 1) % len(companies)] if companies and i % 5 != 4 else None
            person = self._seed_person(i, company)
            self.store.add(str(person["id"]), person)

    def _seed_person(self, i: int, company: dict[str, Any] | None) -> dict[str, Any]:
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST) + i) % len(_LAST)]
        created = SEED_EPOCH + i * 3_541
        domain = company["email_domain"] if company and company.get("email_domain") else "copper-people.example"
        emails = [{"email": f"{first.lower()}.{last.lower()}{i}@{domain}", "category": "work"}]
        if i % 3 == 0:
            emails.append({"email": f"{first.lower()}{i}@home.example", "category": "personal"})
        phones = [{"number": f"570{(5550100 + i) % 10_000_000:07d}", "category": "mobile"}]
        if i % 2 == 0:
            phones.append({"number": f"570{(6550100 + i) % 10_000_000:07d}", "category": "work"})
        values: dict[int, Any] = {
            103481: f"Met at the {i % 12 + 1}/2017 trade fair" if i % 4 == 0 else None,
            103485: created - 86_400 * 365 * 30 if i % 3 == 1 else None,
            103486: 900201 + i % 3 if i % 2 == 1 else None,
        }
        interactions = (i * 5) % 17
        return {
            "id": self.store.new_id(),
            "name": f"{first} {last}",
            **split_name(f"{first} {last}"),
            "address": {"street": f"{1 + i} Kellum Court", "city": "Scranton", "state": "PA",
                        "postal_code": "18503", "country": "US"} if i % 3 == 2 else None,
            "assignee_id": USERS[(i + 1) % len(USERS)]["id"] if i % 6 != 5 else None,
            "company_id": company["id"] if company else None,
            "company_name": company["name"] if company else None,
            "contact_type_id": CONTACT_TYPES[i % len(CONTACT_TYPES)]["id"],
            "details": f"{first} joined the account in 2017." if i % 4 == 1 else None,
            "emails": emails,
            "phone_numbers": phones,
            "socials": [{"url": f"https://www.linkedin.com/in/{first.lower()}{last.lower()}{i}", "category": "linkedin"}] if i % 2 == 0 else [],
            "tags": [_TAGS[i % len(_TAGS)]] if i % 3 != 2 else [],
            "title": _TITLES[i % len(_TITLES)] if i % 7 != 6 else None,
            "websites": [{"url": f"https://{first.lower()}{i}.example", "category": "personal"}] if i % 5 == 0 else [],
            "custom_fields": [{"custom_field_definition_id": fid, "value": values.get(fid)} for fid in self.emulator.definitions().ids_on("person")],
            "date_created": created,
            "date_modified": created + 900 + i,
            "date_last_contacted": created + 7_200 if interactions else None,
            "interaction_count": interactions,
            "leads_converted_from": [],
            "date_lead_created": None,
        }

    def render(self, person: dict[str, Any]) -> dict[str, Any]:
        return self.with_current_company(person)

    def more_routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route(f"{V1}/people/fetch_by_email", g(self.fetch_by_email), methods=["POST"]),
            Route(V1 + "/people/{id}/related", g(self.related), methods=["GET"]),
            Route(V1 + "/people/{id}/related", g(self.relate), methods=["POST"]),
            Route(V1 + "/people/{id}/related", g(self.unrelate), methods=["DELETE"]),
        ]

    async def fetch_by_email(self, request: Request) -> Response:
        """POST /people/fetch_by_email {"email"}: the person with that email (any case), else 404 [unverified]."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        wanted = str(body.get("email") or "").strip().lower()
        person = next((p for p in self.store.live() if any(e["email"].lower() == wanted for e in p["emails"])), None) if wanted else None
        if person is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(self.render(person))

    # -- search ---------------------------------------------------------------------------------------------
    def sort_keys(self) -> dict[str, SortKey]:
        """The sort_by values of list-people-search."""
        return ties_by_id({
            **by_text("name", "first_name", "last_name", "title"),
            "email": lambda p: text((p["emails"] or [{}])[0].get("email")),
            "phone": lambda p: text((p["phone_numbers"] or [{}])[0].get("number")),
            **as_stored("date_modified", "date_created"),
            **address_sorts(),
        })

    def filters(self, body: dict[str, Any]) -> list[Criterion]:
        found = [*with_ids(body), *name_contains(body)]
        if body.get("emails"):
            emails = {str(e).lower() for e in body["emails"]}
            found.append(lambda p: any(e["email"].lower() in emails for e in p["emails"]))
        found += phone_contains(body)
        found += linked_to(body, (("company_ids", "company_id"), ("assignee_ids", "assignee_id"),
                                  ("contact_type_ids", "contact_type_id")))
        found += tagged(body)
        found += at_address(body)
        found += within_bounds(body, ("created_date", *modified_date_bounds(self.emulator.switch), "interaction_count"))
        return found

    # -- create / update (POST answers 200 with the person; contact type Uncategorized by default;
    # PUT: update-a-person.md) ---------------------------------------------------------------------------
    def blank(self, now: int) -> dict[str, Any]:
        return {
            "id": 0, "name": "", **split_name(""), "address": None, "assignee_id": None, "company_id": None,
            "company_name": None, "contact_type_id": DEFAULT_CONTACT_TYPE_ID, "details": None, "emails": [],
            "phone_numbers": [], "socials": [], "tags": [], "title": None, "websites": [],
            "custom_fields": self.unset_custom_fields(),
            "date_created": now, "date_modified": now, "date_last_contacted": None, "interaction_count": 0,
            "leads_converted_from": [], "date_lead_created": None,
        }

    def check_update(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        checked = super().check_update(body)
        if isinstance(checked, dict) and self.emulator.switch["person_update_company_id"] == "ignored":
            return {k: v for k, v in checked.items() if k != "company_id"}
        return checked

    def apply_changes(self, person: dict[str, Any], body: dict[str, Any], creating: bool) -> Response | None:
        changes = Changes(person, body)
        changes.person_name(parts_as_sent=self.emulator.switch["person_name_parts"] == "as_sent")
        changes.copy("details", "title")
        changes.address()
        changes.one_of("assignee_id", USERS_BY_ID, USER_NOT_FOUND)
        changes.one_of("contact_type_id", CONTACT_TYPE_IDS, "contact_type_id: Contact type not found", nullable=False)
        if "company_id" in body:
            problem = self.link_company(person, body["company_id"])
            if problem:
                changes.problems.append(problem)
        changes.categorised("emails", "phone_numbers", "websites", "socials")
        changes.tags()
        changes.custom_fields(self.entity, self.custom_field_definitions())
        refusal = changes.refusal()
        if refusal is not None:
            return refusal
        own_id = None if creating else person["id"]
        taken = {e["email"].lower() for e in person["emails"]}
        if taken and any(p["id"] != own_id and any(e["email"].lower() in taken for e in p["emails"])
                         for p in self.store.values()):
            return validation_error(DUPLICATE_EMAIL_MESSAGE)
        return None

    def link_company(self, person: dict[str, Any], value: Any) -> str | None:
        """`company_id`: null unlinks; a positive integer (or its digits) must name a company."""
        if value is None:
            person["company_id"] = person["company_name"] = None
            return None
        text = str(value)
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            return BAD_COMPANY_ID_MESSAGE.format(value)
        company = self.companies.store.get(str(int(text)))
        if company is None:
            return UNKNOWN_COMPANY_MESSAGE
        person["company_id"], person["company_name"] = company["id"], company["name"]
        return None

    # -- related items (a person's company) ---------------------------------------------------------------
    async def related(self, request: Request) -> Response:
        """GET /people/{id}/related: the related records as [{"id", "type"}]."""
        person = self.find(request.path_params["id"])
        if person is None:
            return error(404, NOT_FOUND_MESSAGE)
        company_id = self.render(person)["company_id"]
        return json_response([{"id": company_id, "type": "company"}] if company_id else [])

    async def _related_company(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]] | Response:
        """The person and the `{"resource": {"id", "type": "company"}}` of a relate/unrelate request."""
        person = self.find(request.path_params["id"])
        if person is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        resource = body.get("resource")
        if not isinstance(resource, dict) or not isinstance(resource.get("id"), int) or isinstance(resource.get("id"), bool):
            return validation_error("resource: Invalid resource")
        if resource.get("type") != "company":
            return validation_error(UNSUPPORTED_RELATION_MESSAGE)
        return person, {"id": resource["id"], "type": "company"}

    async def relate(self, request: Request) -> Response:
        """POST /people/{id}/related {"resource": {"id", "type": "company"}} -> 200 {"added": true, "resource"}."""
        found = await self._related_company(request)
        if isinstance(found, Response):
            return found
        person, resource = found
        if self.companies.store.get(str(resource["id"])) is None:
            return error(404, NOT_FOUND_MESSAGE)
        current = self.render(person)["company_id"]
        if current not in (None, resource["id"]):
            return validation_error(RELATED_LIMIT_MESSAGE)
        self.link_company(person, resource["id"])
        person["date_modified"] = max(int(time.time()), person["date_modified"])
        return json_response({"added": True, "resource": resource})

    async def unrelate(self, request: Request) -> Response:
        """DELETE /people/{id}/related {"resource": {...}} -> 200 {"removed": true, "resource"}; the company stays."""
        found = await self._related_company(request)
        if isinstance(found, Response):
            return found
        person, resource = found
        if self.render(person)["company_id"] != resource["id"]:
            return validation_error(NOT_RELATED_MESSAGE)
        self.link_company(person, None)
        person["date_modified"] = max(int(time.time()), person["date_modified"])
        return json_response({"removed": True, "resource": resource})
