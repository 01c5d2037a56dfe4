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
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.copper.changes import USER_NOT_FOUND, Changes
from unigate.sandbox.copper.common import (
    UNKNOWN_KEY_PROBLEM,
    USERS,
    USERS_BY_ID,
    body_object,
    validation_error,
)
from unigate.sandbox.copper.records import BAD_CRITERIA, V1, CopperRecords, SortKey
from unigate.sandbox.copper.search import (
    Criterion,
    as_stored,
    by_text,
    linked_to,
    tagged,
    text,
    ties_by_id,
    with_ids,
    within_bounds,
)

# -- search (https://developer.copper.com/opportunities/list-opportunities-search.html) ---------------------
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
STATUSES = ("Open", "Won", "Lost", "Abandoned")        # status_ids 0, 1, 2, 3
PRIORITIES = ("None", "Low", "Medium", "High")         # priority_ids 0..3 [unverified numbering]
# Whether the name criterion is an exact match (the 2019 docs) or a substring (a 2026 connector) [unverified].
NAME_SEARCH_EXACT = False

# -- writes -------------------------------------------------------------------------------------------------
PRIMARY_CONTACT_REQUIRED = "primary_contact_id: Primary Contact is required"
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


class Opportunities(CopperRecords):
    name: ClassVar[str] = "opportunities"
    path: ClassVar[str] = "opportunities"
    entity: ClassVar[str] = "opportunity"
    first_id: ClassVar[int] = FIRST_OPPORTUNITY_ID

    SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "assignee_ids", "status_ids",
                   "pipeline_ids", "pipeline_stage_ids", "priority_ids", "company_ids", "loss_reason_ids", "tags",
                   "minimum_monetary_value", "maximum_monetary_value", "minimum_created_date", "maximum_created_date",
                   "minimum_modified_date", "maximum_modified_date"}
    DEFAULT_SORT_BY = "name"            # GitbookTest 5.-opportunities/list-opportunities-search.md footnote

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

    def render(self, deal: dict[str, Any]) -> dict[str, Any]:
        return self.with_current_company(deal)

    def more_routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route(f"{V1}/loss_reasons", g(self.loss_reasons), methods=["GET"]),
            Route(f"{V1}/customer_sources", g(self.customer_sources), methods=["GET"]),
        ]

    async def loss_reasons(self, request: Request) -> Response:
        return json_response(LOSS_REASONS)

    async def customer_sources(self, request: Request) -> Response:
        return json_response(CUSTOMER_SOURCES)

    # -- search -----------------------------------------------------------------------------------------
    async def read_search(self, request: Request) -> tuple[dict[str, Any], int, int] | Response:
        """The opportunities search reads its body its own way, not with common.read_search: the modified dates
        are always applied, a page number or size that is not a number is refused like a bad criterion (and
        the criteria are checked with them, before the page bounds), and a page_size above 200 is always clamped
        (switches `search_modified_dates` and `page_size_over_max` do not apply)."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        unknown = sorted(set(body) - self.SEARCH_KEYS)
        if unknown:     # a key Copper does not know is a 422 (https://github.com/singer-io/tap-copper)
            return validation_error(UNKNOWN_KEY_PROBLEM.format(unknown[0]))
        try:
            page = int(body.get("page_number") or 1)
            size = int(body.get("page_size") or DEFAULT_PAGE_SIZE)
            self.filters(body)
        except (TypeError, ValueError):
            return validation_error(BAD_CRITERIA)
        if page < 1 or size < 1:
            return validation_error("page_number and page_size must be positive")
        return body, page, min(size, MAX_PAGE_SIZE)

    # Unlike the other searches, a sort_direction or sort_by that is not text is not refused with a 422 here:
    # its lookup fails and the answer is a 500 (as the opportunities search has always answered).
    def sort_direction(self, body: dict[str, Any]) -> Any:
        return (body.get("sort_direction") or "asc").lower()

    def sort_key(self, sort_by: Any) -> SortKey | None:
        return self.sort_keys().get(sort_by)

    def sort_keys(self) -> dict[str, SortKey]:
        """Some of list-opportunities-search's sort_by values."""
        return ties_by_id({
            **by_text("name"),
            "company_name": lambda d: text(self.render(d)["company_name"]),   # the company's name now
            "value": lambda d: d["monetary_value"] or 0,
            **as_stored("date_modified", "date_created", "interaction_count"),
            "stage": lambda d: d["pipeline_stage_id"] or 0,
            "status": lambda d: STATUSES.index(d["status"]),
            "win_probability": lambda d: d["win_probability"] or 0,
        })

    def filters(self, body: dict[str, Any]) -> list[Criterion]:
        found = with_ids(body)
        if body.get("name"):
            needle = str(body["name"]).lower()
            found.append((lambda d: d["name"].lower() == needle) if NAME_SEARCH_EXACT
                         else (lambda d: needle in d["name"].lower()))
        found += linked_to(body, (("assignee_ids", "assignee_id"), ("pipeline_ids", "pipeline_id"),
                                  ("pipeline_stage_ids", "pipeline_stage_id"), ("company_ids", "company_id"),
                                  ("loss_reason_ids", "loss_reason_id")))
        if body.get("status_ids"):
            statuses = {STATUSES[int(x)] for x in body["status_ids"]}
            found.append(lambda d: d["status"] in statuses)
        if body.get("priority_ids"):
            priorities = {PRIORITIES[int(x)] for x in body["priority_ids"]}
            found.append(lambda d: d["priority"] in priorities)
        found += tagged(body)
        # An opportunity without a value counts as 0 here (leads without one match no bound).
        found += within_bounds(body, ("monetary_value", "created_date", "modified_date"), number=float,
                               unset_as_zero=True)
        return found

    # -- create / update (POST answers 200 with the opportunity; PUT: update-an-opportunity.md) -------------
    def missing(self, body: dict[str, Any]) -> list[str]:
        problems = super().missing(body)
        if body.get("primary_contact_id") is None:
            problems.append(PRIMARY_CONTACT_REQUIRED)
        return problems

    def check_update(self, body: dict[str, Any]) -> dict[str, Any] | Response:
        checked = super().check_update(body)
        if isinstance(checked, dict) and "primary_contact_id" in body and body["primary_contact_id"] is None:
            return validation_error(PRIMARY_CONTACT_REQUIRED)
        return checked

    def blank(self, now: int) -> dict[str, Any]:
        return {
            "id": 0, "name": "", "assignee_id": None, "close_date": None, "company_id": None, "company_name": None,
            "customer_source_id": None, "details": None, "loss_reason_id": None, "pipeline_id": None,
            "pipeline_stage_id": None, "primary_contact_id": None, "priority": "None", "status": "Open", "tags": [],
            "interaction_count": 0, "monetary_unit": CURRENCIES[0], "monetary_value": None, "converted_unit": None,
            "converted_value": None, "win_probability": None, "date_stage_changed": now, "date_last_contacted": None,
            "leads_converted_from": [], "date_lead_created": None, "date_created": now, "date_modified": now,
            "custom_fields": self.unset_custom_fields(),
        }

    def apply_changes(self, deal: dict[str, Any], body: dict[str, Any], creating: bool) -> Response | None:
        changes = Changes(deal, body)
        problems = changes.problems
        changes.name()
        changes.copy("details")
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
        changes.one_of("assignee_id", USERS_BY_ID, USER_NOT_FOUND)
        changes.monetary_value()
        changes.one_of("monetary_unit", CURRENCIES, "Currency: {} is not a currency of this account", nullable=False)
        if "close_date" in body:
            close = close_date_text(body["close_date"]) if body["close_date"] is not None else None
            if body["close_date"] is not None and close is None:
                problems.append(f"Close Date: Invalid date {body['close_date']}")
            else:
                deal["close_date"] = close
        changes.one_of("status", STATUSES, f"Status: must be one of {', '.join(STATUSES)}", nullable=False)
        changes.one_of("priority", PRIORITIES, f"Priority: must be one of {', '.join(PRIORITIES)}", nullable=False)
        changes.one_of("loss_reason_id", {r["id"] for r in LOSS_REASONS}, "Loss Reason: Loss reason not found")
        changes.one_of("customer_source_id", {s["id"] for s in CUSTOMER_SOURCES}, "Source: Customer source not found")
        if "win_probability" in body:
            chance = body["win_probability"]
            if chance is not None and (isinstance(chance, bool) or not isinstance(chance, int) or not 0 <= chance <= 100):
                problems.append("Win Probability: must be an integer from 0 to 100")
            else:
                deal["win_probability"] = chance
        changes.tags()
        changes.custom_fields(self.entity, self.custom_field_definitions())
        problem = self.place(deal, body, creating)
        if problem:
            problems.append(problem)
        return changes.refusal()

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
