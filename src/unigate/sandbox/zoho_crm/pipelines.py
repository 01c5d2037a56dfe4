"""Zoho CRM v8 deal stages and pipelines: the emulator's `stages` (the values of the Deals `Stage` picklist)
and `pipelines` (the pipelines of the Deals layout) resources.

- A stage is a value of the Deals module's `Stage` picklist. `GET /crm/v8/settings/fields?module=Deals` lists
  them on the Stage field as `pick_list_values` with `id`, `display_value`, `actual_value`,
  `sequence_number`, `probability`, `forecast_type` (`Open`, `Closed Won`, `Closed Lost`) and
  `forecast_category` (crm-oas v8.0 `fields.json#pick_list_values`; the stage-to-probability and deal
  category mapping: https://help.zoho.com/portal/kb/articles/create-deals). A deal record holds the value.
- Pipelines belong to a Deals layout: `GET /crm/v8/settings/layouts?module=Deals` lists the layouts (layouts.py), and
  `GET /crm/v8/settings/pipeline?layout_id=<id>` the layout's pipelines, `{"pipeline": [{id, display_value,
  actual_value, default, child_available, maps: [stage values]}]}`; `GET /crm/v8/settings/pipeline/{id}?layout_id=`
  one, 204 when unknown; without `layout_id` 400 `REQUIRED_PARAM_MISSING`, an unknown layout 400
  `INVALID_DATA` (crm-oas v8.0 `pipeline.json`, `layouts.json`;
  https://zoho.com/developer/docs/vertical-solutions/api/v6/get-pipelines.html). A pipeline's `maps` are
  stage values picked from the Stage picklist (a pipeline is created from their ids,
  https://zoho.com/crm/developer/docs/api/v4/create-pipeline.html), so one stage may sit in several pipelines.
Seeds: Zoho's standard stages plus the sandbox org's own (17 in all); the default "Standard" pipeline holds
every stage, the others some open stages and both closed ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.zoho_crm.common import error_object

if TYPE_CHECKING:
    from unigate.sandbox.zoho_crm import ZohoCrmEmulator

# (value, probability %, forecast type, forecast category); Zoho's standard values first
# (https://www.zoho.com/crm/developer/docs/api/v2/deals-response.html, https://help.zoho.com/portal/kb/articles/create-deals)
STANDARD_STAGES: list[tuple[str, int, str, str]] = [
    ("Qualification", 10, "Open", "Pipeline"),
    ("Needs Analysis", 20, "Open", "Pipeline"),
    ("Value Proposition", 40, "Open", "Pipeline"),
    ("Identify Decision Makers", 60, "Open", "Pipeline"),
    ("Proposal/Price Quote", 75, "Open", "Best Case"),
    ("Negotiation/Review", 90, "Open", "Commit"),
    ("Closed Won", 100, "Closed Won", "Closed"),
    ("Closed Lost", 0, "Closed Lost", "Omitted"),
    ("Closed-Lost to Competition", 0, "Closed Lost", "Omitted"),
]
# the sandbox org's own stages (Zoho lets an org add Stage values, each with its probability)
ORG_STAGES: list[tuple[str, int, str, str]] = [
    ("Discovery", 15, "Open", "Pipeline"),
    ("Demo Scheduled", 30, "Open", "Pipeline"),
    ("Trial", 45, "Open", "Pipeline"),
    ("Security Review", 65, "Open", "Best Case"),
    ("Legal Review", 80, "Open", "Commit"),
    ("Procurement", 85, "Open", "Commit"),
    ("On Hold", 5, "Open", "Pipeline"),
    ("Renewal Pending", 50, "Open", "Best Case"),
]
FIRST_STAGE_ID = 5725767000000006801
FIRST_PIPELINE_ID = 5725767000000892001
DEALS_LAYOUT_ID = "5725767000000091023"
# An org keeps a handful of pipelines per layout; the seed stops at this many [the edition limits are unverified].
MAX_PIPELINES = 40
_FORECAST_CATEGORY_IDS = {"Pipeline": "5725767000000006501", "Best Case": "5725767000000006503",
                          "Commit": "5725767000000006505", "Closed": "5725767000000006507",
                          "Omitted": "5725767000000006509"}
_REGIONS = ["Enterprise", "Mid-Market", "SMB", "Renewals", "Partners", "EMEA", "APAC", "LATAM", "Public Sector",
            "Healthcare", "Education", "Retail", "Channel", "Upsell", "Inbound", "Outbound", "Startups"]


class Stages(Resource):
    """The Deals `Stage` picklist values; served through the Deals layout (fields metadata and pipelines)."""

    name: ClassVar[str] = "stages"
    default_seed_count: ClassVar[int | None] = len(STANDARD_STAGES) + len(ORG_STAGES)
    emulator: ZohoCrmEmulator

    def __init__(self, emulator: ZohoCrmEmulator) -> None:
        super().__init__(emulator)
        self.values: list[dict[str, Any]] = []

    def routes(self) -> list[Route]:
        return []

    def seed(self, count: int) -> None:
        # the standard stages are there whenever anything is seeded (`count` adds the org's own up to that many
        # in all); an empty data space (count 0) holds none, as the control API promises
        rows = STANDARD_STAGES + ORG_STAGES[: max(0, count - len(STANDARD_STAGES))] if count else []
        self.values = []
        for index, (value, probability, forecast_type, category) in enumerate(rows):
            self.values.append({
                "id": str(FIRST_STAGE_ID + 16 * index),
                "display_value": value,
                "actual_value": value,
                "sequence_number": index + 1,
                "type": "used",
                "colour_code": None,
                "probability": probability,
                "forecast_type": forecast_type,
                "forecast_category": {"id": _FORECAST_CATEGORY_IDS[category], "name": category},
                "deal_category": forecast_type,
            })

    def snapshot(self) -> list[dict[str, Any]]:
        return [dict(v) for v in self.values]

    def by_value(self, value: Any) -> dict[str, Any] | None:
        return next((v for v in self.values if v["actual_value"] == value), None)


class Pipelines(Resource):
    """The Deals layout's pipelines: `/crm/v8/settings/pipeline` (the layouts themselves: layouts.py)."""

    name: ClassVar[str] = "pipelines"
    default_seed_count: ClassVar[int | None] = 16
    emulator: ZohoCrmEmulator

    def __init__(self, emulator: ZohoCrmEmulator) -> None:
        super().__init__(emulator)
        self.pipelines: list[dict[str, Any]] = []

    def routes(self) -> list[Route]:
        return [
            Route("/crm/v8/settings/pipeline", self.list_pipelines, methods=["GET"]),
            Route("/crm/v8/settings/pipeline/{pipeline_id}", self.one_pipeline, methods=["GET"]),
        ]

    def seed(self, count: int) -> None:
        stages = self.emulator.resource("stages").values
        opened = [s for s in stages if s["forecast_type"] == "Open"]
        closed = [s for s in stages if s["forecast_type"] != "Open"][:2]   # Closed Won, Closed Lost
        self.pipelines = []
        for index in range(min(max(count, 1), MAX_PIPELINES) if count else 0):
            if index == 0:
                name, kept = "Standard", stages
            else:
                region = _REGIONS[(index - 1) % len(_REGIONS)]
                name = f"{region} Pipeline" + (f" {(index - 1) // len(_REGIONS) + 1}" if index > len(_REGIONS) else "")
                start = (index * 3) % max(len(opened) - 3, 1)
                kept = opened[start:start + 3 + index % 3] + closed
            maps = [{**{k: s[k] for k in ("id", "display_value", "actual_value", "forecast_type",
                                          "forecast_category", "colour_code")},
                     "sequence_number": position + 1}
                    for position, s in enumerate(kept)]
            self.pipelines.append({
                "id": str(FIRST_PIPELINE_ID + 16 * index),
                "display_value": name,
                "actual_value": name,
                "default": index == 0,
                "child_available": False,
                "parent": None,
                "maps": maps,
            })

    def snapshot(self) -> list[dict[str, Any]]:
        return [dict(p) for p in self.pipelines]

    def by_name(self, name: Any) -> dict[str, Any] | None:
        return next((p for p in self.pipelines if p["actual_value"] == name or p["display_value"] == name), None)

    def default(self) -> dict[str, Any] | None:
        return next((p for p in self.pipelines if p["default"]), None)

    def _layout_problem(self, request: Request) -> Response | None:
        layout_id = request.query_params.get("layout_id")
        if not layout_id:
            return self.emulator.answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                                     {"param_name": "layout_id"}), 400)
        if layout_id != DEALS_LAYOUT_ID:
            return self.emulator.answer(error_object("INVALID_DATA", "invalid data", {"param_name": "layout_id"}), 400)
        return None

    async def list_pipelines(self, request: Request) -> Response:
        denied = self.emulator.check_auth(request) or self._layout_problem(request)
        if denied:
            return denied
        return self.emulator.answer({"pipeline": self.pipelines})

    async def one_pipeline(self, request: Request) -> Response:
        denied = self.emulator.check_auth(request) or self._layout_problem(request)
        if denied:
            return denied
        found = next((p for p in self.pipelines if p["id"] == request.path_params["pipeline_id"]), None)
        if found is None:
            return self.emulator.answer(None, 204)
        return self.emulator.answer({"pipeline": [found]})
