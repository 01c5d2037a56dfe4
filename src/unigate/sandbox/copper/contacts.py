"""Copper Developer API v1 people: the emulator's `contacts` resource.

Paths are the vendor's (`/developer_api/v1/people...`): https://developer.copper.com/people/list-people-search.html
and Copper's Postman-derived docs mirrored in https://github.com/dquimper/GitbookTest (`3.-people/*.md`:
overview, create, fetch by id and by email, update, delete). A person belongs to at most one company
(`company_id`, with the read-only `company_name`).

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
from unigate.sandbox.copper.accounts import Companies
from unigate.sandbox.copper.common import (
    CONTACT_TYPE_IDS,
    CONTACT_TYPES,
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

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

# -- search (https://developer.copper.com/people/list-people-search.html) ------------------------------------
DEFAULT_SORT_BY = "first_name"      # GitbookTest 3.-people/list-people-search.md footnote
# The search keys this emulator applies. Copper answers 422 to a key it does not know (singer-io/tap-copper
# strips other keys for that reason: https://github.com/singer-io/tap-copper); the documented keys this
# emulator does not apply (followed, opportunity_ids, interaction dates, custom field criteria) are refused
# too, so a gateway never relies on a filter the sandbox would silently skip.
SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "emails", "phone_number",
               "company_ids", "assignee_ids", "contact_type_ids", "tags", "city", "state", "postal_code", "country",
               "minimum_created_date", "maximum_created_date", "minimum_interaction_count", "maximum_interaction_count",
               *MODIFIED_DATE_KEYS}
NO_VALUE = -2              # "-2" in assignee_ids/company_ids finds records without one

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
# Whether first_name/last_name (and prefix, middle_name, suffix) are written as sent or always derived
# from `name` is [unverified] (the create example derives "My Contact" -> My / Contact; third-party
# clients send them): switch `person_name_parts` (`as_sent` by default; `from_name`).
NAME_PARTS = ("prefix", "first_name", "middle_name", "last_name", "suffix")
DEFAULT_CONTACT_TYPE_ID = 451492   # "Uncategorized" (create-a-new-person.md answer)

SEED_EPOCH = 1_484_988_828
FIRST_PERSON_ID = 27_140_448       # the create example's id

_FIRST = ["Pam", "Jim", "Dwight", "Angela", "Oscar", "Kevin", "Kelly", "Stanley", "Phyllis", "Toby", "Erin", "Darryl"]
_LAST = ["Beesly", "Halpert", "Schrute", "Martin", "Martinez", "Malone", "Kapoor", "Hudson", "Vance", "Flenderson"]
_TITLES = ["Receptionist", "Sales Representative", "Assistant Regional Manager", "Head of Accounting", "HR Manager"]
_TAGS = ["decision-maker", "champion", "newsletter"]


def split_name(name: str) -> dict[str, Any]:
    """first_name and last_name derived from a full name: the first word, then the rest
    (create-a-new-person.md: "My Contact" -> "My" / "Contact"; longer names [unverified])."""
    words = name.split()
    return {"prefix": None, "first_name": words[0] if words else None, "middle_name": None,
            "last_name": " ".join(words[1:]) or None, "suffix": None}


class People(Resource):
    name: ClassVar[str] = "contacts"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_PERSON_ID)

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

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

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

    # -- reading --------------------------------------------------------------------------------------
    def find(self, raw_id: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw_id))) if raw_id.isdigit() else None

    def render(self, person: dict[str, Any]) -> dict[str, Any]:
        """A person as the API shows it: `company_name` is the company's name now [unverified: a
        deleted company leaves the person with neither id nor name]."""
        if person["company_id"] is None:
            return person
        company = self.companies.store.get(str(person["company_id"]))
        return {**person, "company_id": company["id"] if company else None,
                "company_name": company["name"] if company else None}

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        v1 = "/developer_api/v1"
        return [
            Route(f"{v1}/people", g(self.create_person), methods=["POST"]),
            Route(f"{v1}/people/search", g(self.search_people), methods=["POST"]),
            Route(f"{v1}/people/fetch_by_email", g(self.fetch_by_email), methods=["POST"]),
            Route(v1 + "/people/{id}", g(self.get_person), methods=["GET"]),
            Route(v1 + "/people/{id}", g(self.update_person), methods=["PUT"]),
            Route(v1 + "/people/{id}", g(self.delete_person), methods=["DELETE"]),
            Route(v1 + "/people/{id}/related", g(self.related), methods=["GET"]),
            Route(v1 + "/people/{id}/related", g(self.relate), methods=["POST"]),
            Route(v1 + "/people/{id}/related", g(self.unrelate), methods=["DELETE"]),
        ]

    # -- search -----------------------------------------------------------------------------------------
    async def search_people(self, request: Request) -> Response:
        """POST /people/search: a bare JSON array, the total in `X-PW-TOTAL`."""
        search = await read_search(request, SEARCH_KEYS, self.emulator.switch)
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
        matches = [self.render(p) for p in self.store.live() if all(f(p) for f in filters)]
        matches.sort(key=key, reverse=direction == "desc")
        start = (page - 1) * size
        window = matches[start:max(min(start + size, SEARCH_RESULT_CAP), start)]
        return json_response(window, headers={"X-PW-TOTAL": str(len(matches))})

    @staticmethod
    def sort_key(sort_by: str):
        """The sort_by values of list-people-search; ties broken by id."""
        def text(value: Any) -> str:
            return value.lower() if isinstance(value, str) else ""
        address = lambda p, k: text((p.get("address") or {}).get(k))  # noqa: E731
        keys = {
            "name": lambda p: (text(p["name"]), p["id"]),
            "first_name": lambda p: (text(p["first_name"]), p["id"]),
            "last_name": lambda p: (text(p["last_name"]), p["id"]),
            "title": lambda p: (text(p["title"]), p["id"]),
            "email": lambda p: (text((p["emails"] or [{}])[0].get("email")), p["id"]),
            "phone": lambda p: (text((p["phone_numbers"] or [{}])[0].get("number")), p["id"]),
            "date_modified": lambda p: (p["date_modified"], p["id"]),
            "date_created": lambda p: (p["date_created"], p["id"]),
            "city": lambda p: (address(p, "city"), p["id"]),
            "state": lambda p: (address(p, "state"), p["id"]),
            "country": lambda p: (address(p, "country"), p["id"]),
            "zip": lambda p: (address(p, "postal_code"), p["id"]),
        }
        return keys.get(sort_by)

    @staticmethod
    def filters(body: dict[str, Any]) -> list:
        """The search criteria, ANDed; ValueError/TypeError for values of the wrong type."""
        found = []

        def id_set(key: str) -> set[int]:
            return {int(x) for x in body[key]}

        if body.get("ids"):
            ids = id_set("ids")
            found.append(lambda p: p["id"] in ids)
        if body.get("name"):
            needle = str(body["name"]).lower()
            found.append(lambda p: needle in p["name"].lower())
        if body.get("emails"):
            emails = {str(e).lower() for e in body["emails"]}
            found.append(lambda p: any(e["email"].lower() in emails for e in p["emails"]))
        if body.get("phone_number"):
            digits = "".join(ch for ch in str(body["phone_number"]) if ch.isdigit())
            found.append(lambda p: any(digits in "".join(ch for ch in n["number"] if ch.isdigit()) for n in p["phone_numbers"]))
        for key, field in (("company_ids", "company_id"), ("assignee_ids", "assignee_id"),
                           ("contact_type_ids", "contact_type_id")):
            if body.get(key):
                wanted = id_set(key)
                found.append(lambda p, f=field, w=wanted: (p.get(f) if p.get(f) is not None else NO_VALUE) in w)
        if body.get("tags"):
            tags = {str(t).lower() for t in body["tags"]}
            found.append(lambda p: any(t.lower() in tags for t in p["tags"]))
        for key in ("city", "state", "postal_code", "country"):
            if body.get(key):
                value = str(body[key]).lower()
                found.append(lambda p, k=key, v=value: ((p.get("address") or {}).get(k) or "").lower() == v)
        for key, field, bound in (("minimum_created_date", "date_created", min), ("maximum_created_date", "date_created", max),
                                  ("minimum_modified_date", "date_modified", min), ("maximum_modified_date", "date_modified", max),
                                  ("minimum_interaction_count", "interaction_count", min),
                                  ("maximum_interaction_count", "interaction_count", max)):
            if body.get(key) is not None:
                limit = int(body[key])
                if bound is min:
                    found.append(lambda p, f=field, v=limit: p[f] >= v)
                else:
                    found.append(lambda p, f=field, v=limit: p[f] <= v)
        return found

    # -- get ---------------------------------------------------------------------------------------------
    async def get_person(self, request: Request) -> Response:
        person = self.find(request.path_params["id"])
        if person is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(self.render(person))

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

    # -- create / update --------------------------------------------------------------------------------
    async def create_person(self, request: Request) -> Response:
        """POST /people answers 200 with the person; `name` is required; contact type defaults to Uncategorized."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        person = self.build(body)
        if isinstance(person, Response):
            return person
        return json_response(self.render(self.add(person)))

    def build(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        """A new person from a create body, not stored yet, or Copper's 422."""
        if not str(body.get("name") or "").strip():
            return validation_error("name: Name is required")
        now = int(time.time())
        person: dict[str, Any] = {
            "id": 0, "name": "", **split_name(""), "address": None, "assignee_id": None, "company_id": None,
            "company_name": None, "contact_type_id": DEFAULT_CONTACT_TYPE_ID, "details": None, "emails": [],
            "phone_numbers": [], "socials": [], "tags": [], "title": None, "websites": [],
            "custom_fields": [{"custom_field_definition_id": fid, "value": None} for fid in self.emulator.definitions().ids_on("person")],
            "date_created": now, "date_modified": now, "date_last_contacted": None, "interaction_count": 0,
            "leads_converted_from": [], "date_lead_created": None,
        }
        failure = self.apply_changes(person, body, own_id=None)
        return failure if failure is not None else person

    def add(self, person: dict[str, Any]) -> dict[str, Any]:
        """Store a person `build` made, under a new id."""
        person["id"] = self.store.new_id()
        self.store.add(str(person["id"]), person)
        return person

    async def update_person(self, request: Request) -> Response:
        """PUT /people/{id}: only the fields sent change; `null` clears (update-a-person.md)."""
        person = self.find(request.path_params["id"])
        if person is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if "name" in body and not str(body.get("name") or "").strip():
            return validation_error("name: Name is required")
        if self.emulator.switch["person_update_company_id"] == "ignored":
            body = {k: v for k, v in body.items() if k != "company_id"}
        staged = {**person, "custom_fields": [dict(cf) for cf in person["custom_fields"]]}
        failure = self.apply_changes(staged, body, own_id=person["id"])
        if failure is not None:
            return failure
        staged["date_modified"] = max(int(time.time()), person["date_modified"])
        self.store.put(str(person["id"]), staged)
        return json_response(self.render(staged))

    def apply_changes(self, person: dict[str, Any], body: dict[str, Any], own_id: int | None) -> Response | None:
        problems: list[str] = []
        if "name" in body:
            person["name"] = str(body["name"]).strip()
            person.update(split_name(person["name"]))
        if self.emulator.switch["person_name_parts"] == "as_sent" and any(k in body for k in NAME_PARTS):
            person.update({k: body[k] for k in NAME_PARTS if k in body})
            if "name" not in body:
                person["name"] = " ".join(str(person[k]) for k in ("first_name", "middle_name", "last_name") if person[k])
        for key in ("details", "title"):
            if key in body:
                person[key] = body[key]
        if "address" in body:
            address = body["address"]
            if address is None or isinstance(address, dict):
                person["address"] = None if address is None else {
                    k: address.get(k) for k in ("street", "city", "state", "postal_code", "country")}
            else:
                problems.append("address: Invalid address")
        if "assignee_id" in body:
            if body["assignee_id"] is not None and body["assignee_id"] not in USERS_BY_ID:
                problems.append("assignee_id: User not found")
            else:
                person["assignee_id"] = body["assignee_id"]
        if "contact_type_id" in body:
            if body["contact_type_id"] not in CONTACT_TYPE_IDS:
                problems.append("contact_type_id: Contact type not found")
            else:
                person["contact_type_id"] = body["contact_type_id"]
        if "company_id" in body:
            problem = self.link_company(person, body["company_id"])
            if problem:
                problems.append(problem)
        for key, categories in (("emails", EMAIL_CATEGORIES), ("phone_numbers", PHONE_CATEGORIES),
                                ("websites", WEBSITE_CATEGORIES), ("socials", SOCIAL_CATEGORIES)):
            if key in body:
                items = categorised_items(key, body[key], categories)
                if isinstance(items, str):
                    problems.append(items)
                else:
                    person[key] = items
        if "tags" in body:
            tags = body["tags"] or []
            if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
                problems.append("tags: Tags must be strings")
            else:
                person["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
        if "custom_fields" in body:
            problem = merge_custom_fields(person, body["custom_fields"], "person", self.emulator.definitions().by_id())
            if problem:
                problems.append(problem)
        if problems:
            return validation_error(*problems)
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

    # -- delete -----------------------------------------------------------------------------------------
    async def delete_person(self, request: Request) -> Response:
        """Permanent delete: 200 {"id": N, "is_deleted": true} (delete-a-person.md); the id then answers 404."""
        person = self.find(request.path_params["id"])
        if person is None:
            return error(404, NOT_FOUND_MESSAGE)
        self.store.delete(str(person["id"]))
        return json_response({"id": person["id"], "is_deleted": True})

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
