"""Copper Developer API v1 opportunities: the emulator's `opportunities` resource.

Paths are the vendor's (`/developer_api/v1/opportunities...`):
https://developer.copper.com/opportunities/list-opportunities-search.html and Copper's Postman docs mirrored in
https://github.com/dquimper/GitbookTest (`5.-opportunities/*.md`: overview, create, fetch, update, delete,
list loss reasons and customer sources). Shapes and codes as for people: bare objects, 200 on create,
`PUT` changes only the fields sent (null clears), delete answers `{"id", "is_deleted": true}` and is permanent.

An opportunity sits in one pipeline (`pipeline_id`) and one of its stages (`pipeline_stage_id`):
- a create without either lands in the default pipeline's first stage, with only `pipeline_id` in that
  pipeline's first stage (create-a-new-opportunity.md: the answer shows both filled in);
- a stage must exist, and when `pipeline_id` is sent too it must be one of that pipeline's stages (422);
- a stage of another pipeline sent alone: whether Copper moves the deal to that pipeline or refuses is not
  documented [unverified]: `STAGE_ALONE_MOVES_PIPELINE` decides (default: refused, the stricter reading).
`status` is Open, Won, Lost or Abandoned (search's `status_ids` 0..3 in that order); `close_date` a
`M/D/YYYY` string (https://developer.copper.com/introduction/best_practices.html; examples "1/23/2017").
`name` and `primary_contact_id` are required on create (overview.md); the company is the primary contact's
when none is sent (the create example). 422 wordings are Copper's envelope with [unverified] reasons.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.copper.common import (
    NOT_FOUND_MESSAGE,
    USERS,
    USERS_BY_ID,
    body_object,
    error,
    merge_custom_fields,
    validation_error,
)

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

# -- search (https://developer.copper.com/opportunities/list-opportunities-search.html) ---------------------
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
DEFAULT_SORT_BY = "name"            # GitbookTest 5.-opportunities/list-opportunities-search.md footnote
SEARCH_RESULT_CAP = 100_000
STATUSES = ("Open", "Won", "Lost", "Abandoned")        # status_ids 0, 1, 2, 3
PRIORITIES = ("None", "Low", "Medium", "High")         # priority_ids 0..3 [unverified numbering]
# Keys applied here; Copper answers 422 to a key it does not know (https://github.com/singer-io/tap-copper strips
# others for that reason), and the documented keys not applied here are refused too, so nothing is skipped silently.
SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "assignee_ids", "status_ids",
               "pipeline_ids", "pipeline_stage_ids", "priority_ids", "company_ids", "loss_reason_ids", "tags",
               "minimum_monetary_value", "maximum_monetary_value", "minimum_created_date", "maximum_created_date",
               "minimum_modified_date", "maximum_modified_date"}
NO_VALUE = -2                       # "-2" in company_ids/loss_reason_ids finds records without one
# Whether the name criterion is an exact match (the 2019 docs) or a substring (a 2026 connector) [unverified].
NAME_SEARCH_EXACT = False

# -- writes -------------------------------------------------------------------------------------------------
STAGE_ALONE_MOVES_PIPELINE = False
# The account's currencies: ISO 4217 codes; a code outside them is refused [unverified wording].
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY")
LOSS_REASONS = [{"id": 251_001, "name": "Price"}, {"id": 251_002, "name": "Went with a competitor"},
                {"id": 251_003, "name": "No budget"}]
CUSTOMER_SOURCES = [{"id": 331_001, "name": "Email"}, {"id": 331_002, "name": "Cold Call"},
                    {"id": 331_003, "name": "Advertising"}]
_CLOSE_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")

SEED_EPOCH = 1_485_988_828
FIRST_OPPORTUNITY_ID = 2_827_699    # the create example's id
_NAMES = ("Website redesign", "Annual licence", "Paper supply", "Fleet tracking", "Support renewal", "Pilot",
          "Data migration", "Training package", "Printer lease", "Expansion")
_TAGS = ("q1", "upsell", "strategic")


def close_date_text(value: Any) -> str | None:
    """A written close date as Copper keeps it (M/D/YYYY): the string form, or Unix seconds [unverified: both
    are taken on write]; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        moment = time.gmtime(value)
        return f"{moment.tm_mon}/{moment.tm_mday}/{moment.tm_year}"
    match = _CLOSE_DATE.match(value) if isinstance(value, str) else None
    if match is None or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
        return None
    return f"{int(match[1])}/{int(match[2])}/{match[3]}"


class Opportunities(Resource):
    name: ClassVar[str] = "opportunities"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_OPPORTUNITY_ID)

    def _store_of(self, resource: str) -> Collection:
        return self.emulator.resource(resource).store  # type: ignore[attr-defined,no-any-return]

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Deals of people who work for a company, over every pipeline's stages, in three currencies;
        one in five won, one in seven lost, one in eleven abandoned."""
        self.store.clear()
        people = [p for p in self._store_of("contacts").live() if p["company_id"] is not None]
        pipelines = list(self._store_of("pipelines").live())
        stages = self.emulator.resource("stages")
        for i in range(count):
            person = people[i % len(people)] if people else None
            pipeline = pipelines[0 if i % 2 == 0 else (i // 2) % len(pipelines)] if pipelines else None
            in_pipeline = stages.of_pipeline(pipeline["id"]) if pipeline else []  # type: ignore[attr-defined]
            stage = in_pipeline[i % len(in_pipeline)] if in_pipeline else None
            status = "Won" if i % 5 == 3 else "Lost" if i % 7 == 6 else "Abandoned" if i % 11 == 10 else "Open"
            created = SEED_EPOCH + i * 4_177
            close = time.gmtime(created + 86_400 * (30 + i % 60))
            deal_id = self.store.new_id()
            self.store.add(str(deal_id), {
                "id": deal_id, "name": f"{_NAMES[i % len(_NAMES)]} {i + 1}",
                "assignee_id": USERS[i % len(USERS)]["id"] if i % 6 != 5 else None,
                "close_date": f"{close.tm_mon}/{close.tm_mday}/{close.tm_year}",
                "company_id": person["company_id"] if person else None,
                "company_name": person["company_name"] if person else None,
                "customer_source_id": CUSTOMER_SOURCES[i % 3]["id"] if i % 2 else None,
                "details": f"Opened at the {i % 12 + 1}/2017 review." if i % 3 == 0 else None,
                "loss_reason_id": LOSS_REASONS[i % 3]["id"] if status == "Lost" else None,
                "pipeline_id": pipeline["id"] if pipeline else None,
                "pipeline_stage_id": stage["id"] if stage else None,
                "primary_contact_id": person["id"] if person else None,
                "priority": PRIORITIES[i % 4], "status": status,
                "tags": [_TAGS[i % 3]] if i % 3 != 1 else [],
                "interaction_count": i % 9, "monetary_unit": ("USD", "EUR", "GBP")[i % 3],
                "monetary_value": 1_000 + 250 * i, "converted_unit": None, "converted_value": None,
                "win_probability": stage["win_probability"] if stage else None,
                "date_stage_changed": created + 3_600, "date_last_contacted": created + 7_200 if i % 4 else None,
                "leads_converted_from": [], "date_lead_created": None,
                "date_created": created, "date_modified": created + 900 + i,
                "custom_fields": [{"custom_field_definition_id": 103487, "value": float(5 + i % 40) if i % 2 else None},
                                  {"custom_field_definition_id": 103488, "value": "Globex" if i % 4 == 0 else None}],
            })

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(d) for d in self.store.live()]

    def find(self, raw_id: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw_id))) if raw_id.isdigit() else None

    def render(self, deal: dict[str, Any]) -> dict[str, Any]:
        """The company's name as it is now (a deleted company leaves neither id nor name [unverified])."""
        if deal["company_id"] is None:
            return deal
        company = self._store_of("accounts").get(str(deal["company_id"]))
        return {**deal, "company_id": company["id"] if company else None,
                "company_name": company["name"] if company else None}

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        v1 = "/developer_api/v1"
        return [
            Route(f"{v1}/opportunities", g(self.create), methods=["POST"]),
            Route(f"{v1}/opportunities/search", g(self.search), methods=["POST"]),
            Route(v1 + "/opportunities/{id}", g(self.get), methods=["GET"]),
            Route(v1 + "/opportunities/{id}", g(self.update), methods=["PUT"]),
            Route(v1 + "/opportunities/{id}", g(self.delete), methods=["DELETE"]),
            Route(f"{v1}/loss_reasons", g(self.loss_reasons), methods=["GET"]),
            Route(f"{v1}/customer_sources", g(self.customer_sources), methods=["GET"]),
        ]

    async def loss_reasons(self, request: Request) -> Response:
        return json_response(LOSS_REASONS)

    async def customer_sources(self, request: Request) -> Response:
        return json_response(CUSTOMER_SOURCES)

    # -- search -----------------------------------------------------------------------------------------
    async def search(self, request: Request) -> Response:
        """POST /opportunities/search: a bare JSON array, the total in `X-PW-TOTAL`."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        unknown = sorted(set(body) - SEARCH_KEYS)
        if unknown:
            return validation_error(f"{unknown[0]}: Unknown attribute")
        try:
            page = int(body.get("page_number") or 1)
            size = int(body.get("page_size") or DEFAULT_PAGE_SIZE)
            filters = self.filters(body)
        except (TypeError, ValueError):
            return validation_error("Invalid search criteria")
        if page < 1 or size < 1:
            return validation_error("page_number and page_size must be positive")
        size = min(size, MAX_PAGE_SIZE)
        direction = (body.get("sort_direction") or "asc").lower()
        key = self.sort_key(body.get("sort_by") or DEFAULT_SORT_BY)
        if key is None:
            return validation_error(f"sort_by: {body.get('sort_by')} is not a valid sort field")
        if direction not in ("asc", "desc"):
            return validation_error("sort_direction must be asc or desc")
        matches = [self.render(d) for d in self.store.live() if all(f(d) for f in filters)]
        matches.sort(key=key, reverse=direction == "desc")
        start = (page - 1) * size
        window = matches[start:max(min(start + size, SEARCH_RESULT_CAP), start)]
        return json_response(window, headers={"X-PW-TOTAL": str(len(matches))})

    @staticmethod
    def sort_key(sort_by: str):
        """Some of list-opportunities-search's sort_by values; ties broken by id."""
        def text(value: Any) -> str:
            return value.lower() if isinstance(value, str) else ""
        keys = {
            "name": lambda d: (text(d["name"]), d["id"]),
            "company_name": lambda d: (text(d["company_name"]), d["id"]),
            "value": lambda d: (d["monetary_value"] or 0, d["id"]),
            "date_modified": lambda d: (d["date_modified"], d["id"]),
            "date_created": lambda d: (d["date_created"], d["id"]),
            "stage": lambda d: (d["pipeline_stage_id"] or 0, d["id"]),
            "status": lambda d: (STATUSES.index(d["status"]), d["id"]),
            "win_probability": lambda d: (d["win_probability"] or 0, d["id"]),
            "interaction_count": lambda d: (d["interaction_count"], d["id"]),
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
            found.append(lambda d: d["id"] in ids)
        if body.get("name"):
            needle = str(body["name"]).lower()
            found.append((lambda d: d["name"].lower() == needle) if NAME_SEARCH_EXACT
                         else (lambda d: needle in d["name"].lower()))
        for key, field in (("assignee_ids", "assignee_id"), ("pipeline_ids", "pipeline_id"),
                           ("pipeline_stage_ids", "pipeline_stage_id"), ("company_ids", "company_id"),
                           ("loss_reason_ids", "loss_reason_id")):
            if body.get(key):
                wanted = id_set(key)
                found.append(lambda d, f=field, w=wanted: (d.get(f) if d.get(f) is not None else NO_VALUE) in w)
        if body.get("status_ids"):
            statuses = {STATUSES[int(x)] for x in body["status_ids"]}
            found.append(lambda d: d["status"] in statuses)
        if body.get("priority_ids"):
            priorities = {PRIORITIES[int(x)] for x in body["priority_ids"]}
            found.append(lambda d: d["priority"] in priorities)
        if body.get("tags"):
            tags = {str(t).lower() for t in body["tags"]}
            found.append(lambda d: any(t.lower() in tags for t in d["tags"]))
        for key, field, lower in (("minimum_monetary_value", "monetary_value", True),
                                  ("maximum_monetary_value", "monetary_value", False),
                                  ("minimum_created_date", "date_created", True),
                                  ("maximum_created_date", "date_created", False),
                                  ("minimum_modified_date", "date_modified", True),
                                  ("maximum_modified_date", "date_modified", False)):
            if body.get(key) is not None:
                limit = float(body[key])
                found.append((lambda d, f=field, v=limit: (d[f] or 0) >= v) if lower
                             else (lambda d, f=field, v=limit: (d[f] or 0) <= v))
        return found

    # -- read, create, update, delete -------------------------------------------------------------------
    async def get(self, request: Request) -> Response:
        deal = self.find(request.path_params["id"])
        if deal is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(self.render(deal))

    async def create(self, request: Request) -> Response:
        """POST /opportunities answers 200 with the opportunity."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        deal = self.build(body)
        if isinstance(deal, Response):
            return deal
        return json_response(self.render(self.add(deal)))

    def build(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        """A new opportunity from a create body, not stored yet, or Copper's 422."""
        problems = []
        if not str(body.get("name") or "").strip():
            problems.append("name: Name is required")
        if body.get("primary_contact_id") is None:
            problems.append("primary_contact_id: Primary Contact is required")
        if problems:
            return validation_error(*problems)
        now = int(time.time())
        deal: dict[str, Any] = {
            "id": 0, "name": "", "assignee_id": None, "close_date": None, "company_id": None, "company_name": None,
            "customer_source_id": None, "details": None, "loss_reason_id": None, "pipeline_id": None,
            "pipeline_stage_id": None, "primary_contact_id": None, "priority": "None", "status": "Open", "tags": [],
            "interaction_count": 0, "monetary_unit": CURRENCIES[0], "monetary_value": None, "converted_unit": None,
            "converted_value": None, "win_probability": None, "date_stage_changed": now, "date_last_contacted": None,
            "leads_converted_from": [], "date_lead_created": None, "date_created": now, "date_modified": now,
            "custom_fields": [{"custom_field_definition_id": fid, "value": None} for fid in self.emulator.definitions().ids_on("opportunity")],
        }
        failure = self.apply_changes(deal, body, creating=True)
        return failure if failure is not None else deal

    def add(self, deal: dict[str, Any]) -> dict[str, Any]:
        """Store an opportunity `build` made, under a new id."""
        deal["id"] = self.store.new_id()
        self.store.add(str(deal["id"]), deal)
        return deal

    async def update(self, request: Request) -> Response:
        """PUT /opportunities/{id}: only the fields sent change; `null` clears (update-an-opportunity.md)."""
        deal = self.find(request.path_params["id"])
        if deal is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if "name" in body and not str(body.get("name") or "").strip():
            return validation_error("name: Name is required")
        if "primary_contact_id" in body and body["primary_contact_id"] is None:
            return validation_error("primary_contact_id: Primary Contact is required")
        staged = {**deal, "tags": list(deal["tags"]), "custom_fields": [dict(cf) for cf in deal["custom_fields"]]}
        failure = self.apply_changes(staged, body, creating=False)
        if failure is not None:
            return failure
        staged["date_modified"] = max(int(time.time()), deal["date_modified"])
        self.store.put(str(deal["id"]), staged)
        return json_response(self.render(staged))

    async def delete(self, request: Request) -> Response:
        """Permanent delete: 200 {"id": N, "is_deleted": true} (delete-an-opportunity.md); the id then answers 404."""
        deal = self.find(request.path_params["id"])
        if deal is None:
            return error(404, NOT_FOUND_MESSAGE)
        self.store.delete(str(deal["id"]))
        return json_response({"id": deal["id"], "is_deleted": True})

    # -- validation -------------------------------------------------------------------------------------
    def apply_changes(self, deal: dict[str, Any], body: dict[str, Any], creating: bool) -> Response | None:
        problems: list[str] = []
        if "name" in body:
            deal["name"] = str(body["name"]).strip()
        if "details" in body:
            deal["details"] = body["details"]
        if "primary_contact_id" in body:
            person = self._record("contacts", body["primary_contact_id"])
            if person is None:
                problems.append("Primary Contact: Person not found")
            else:
                deal["primary_contact_id"] = person["id"]
                if creating and "company_id" not in body:
                    deal["company_id"] = person["company_id"]
        if body.get("company_id") is not None or ("company_id" in body and not creating):
            company = self._record("accounts", body["company_id"]) if body["company_id"] is not None else None
            if body["company_id"] is not None and company is None:
                problems.append("Company Id: Company not found")
            else:
                deal["company_id"] = company["id"] if company else None
        if "assignee_id" in body:
            if body["assignee_id"] is not None and body["assignee_id"] not in USERS_BY_ID:
                problems.append("assignee_id: User not found")
            else:
                deal["assignee_id"] = body["assignee_id"]
        if "monetary_value" in body:
            value = body["monetary_value"]
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                problems.append("Value: must be a positive number")
            else:
                deal["monetary_value"] = value
        if "monetary_unit" in body:
            if body["monetary_unit"] not in CURRENCIES:
                problems.append(f"Currency: {body['monetary_unit']} is not a currency of this account")
            else:
                deal["monetary_unit"] = body["monetary_unit"]
        if "close_date" in body:
            text = close_date_text(body["close_date"]) if body["close_date"] is not None else None
            if body["close_date"] is not None and text is None:
                problems.append(f"Close Date: Invalid date {body['close_date']}")
            else:
                deal["close_date"] = text
        if "status" in body:
            if body["status"] not in STATUSES:
                problems.append(f"Status: must be one of {', '.join(STATUSES)}")
            else:
                deal["status"] = body["status"]
        if "priority" in body:
            if body["priority"] not in PRIORITIES:
                problems.append(f"Priority: must be one of {', '.join(PRIORITIES)}")
            else:
                deal["priority"] = body["priority"]
        if "loss_reason_id" in body:
            if body["loss_reason_id"] is not None and body["loss_reason_id"] not in {r["id"] for r in LOSS_REASONS}:
                problems.append("Loss Reason: Loss reason not found")
            else:
                deal["loss_reason_id"] = body["loss_reason_id"]
        if "customer_source_id" in body:
            if body["customer_source_id"] is not None and body["customer_source_id"] not in {
                    s["id"] for s in CUSTOMER_SOURCES}:
                problems.append("Source: Customer source not found")
            else:
                deal["customer_source_id"] = body["customer_source_id"]
        if "win_probability" in body:
            chance = body["win_probability"]
            if chance is not None and (isinstance(chance, bool) or not isinstance(chance, int) or not 0 <= chance <= 100):
                problems.append("Win Probability: must be an integer from 0 to 100")
            else:
                deal["win_probability"] = chance
        if "tags" in body:
            tags = body["tags"] or []
            if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
                problems.append("tags: Tags must be strings")
            else:
                deal["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
        if "custom_fields" in body:
            problem = merge_custom_fields(deal, body["custom_fields"], "opportunity", self.emulator.definitions().by_id())
            if problem:
                problems.append(problem)
        problem = self.place(deal, body, creating)
        if problem:
            problems.append(problem)
        return validation_error(*problems) if problems else None

    def _record(self, resource: str, raw: Any) -> dict[str, Any] | None:
        if isinstance(raw, bool) or not isinstance(raw, int):
            return None
        return self._store_of(resource).get(str(raw))

    def place(self, deal: dict[str, Any], body: dict[str, Any], creating: bool) -> str | None:
        """Put the deal in the pipeline and stage the body names (the module docstring has the rules)."""
        stages = self.emulator.resource("stages")
        pipelines = self.emulator.resource("pipelines")
        pipeline_id, stage_id = body.get("pipeline_id"), body.get("pipeline_stage_id")
        if pipeline_id is None and stage_id is None and not creating:
            return None
        pipeline = self._record("pipelines", pipeline_id) if pipeline_id is not None else None
        if pipeline_id is not None and pipeline is None:
            return "Pipeline: Pipeline not found"
        stage = stages.find(stage_id) if stage_id is not None else None  # type: ignore[attr-defined]
        if stage_id is not None and stage is None:
            return "Pipeline Stage: Pipeline stage not found"
        if stage is None:
            pipeline = pipeline or pipelines.first()  # type: ignore[attr-defined]
            first = stages.of_pipeline(pipeline["id"]) if pipeline else []  # type: ignore[attr-defined]
            stage = first[0] if first else None
        home = pipeline["id"] if pipeline else (deal["pipeline_id"] if not creating and not STAGE_ALONE_MOVES_PIPELINE
                                                else stage["pipeline_id"] if stage else None)
        if stage is not None and home is not None and stage["pipeline_id"] != home:
            return "Pipeline Stage: Pipeline stage does not belong to the pipeline"
        if stage is not None and stage["id"] != deal["pipeline_stage_id"]:
            deal["date_stage_changed"] = int(time.time())
            if "win_probability" not in body:
                deal["win_probability"] = stage["win_probability"]
        deal["pipeline_id"] = stage["pipeline_id"] if stage else home
        deal["pipeline_stage_id"] = stage["id"] if stage else None
        return None
