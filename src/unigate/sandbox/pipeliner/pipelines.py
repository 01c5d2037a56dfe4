"""Pipeliner pipelines and their steps: the `Pipelines` and `Steps` entities.

Sources: the vendor's v100 OpenAPI (Pipeline and Step schemas; mirrored in api-evangelist/pipeliner,
openapi/pipeliner-openapi.json), the create-opportunity tutorial
(https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-opportunity: "Opportunity is
always part of the Pipeline and pipeline step"; pipelines listed with `expand=steps`) and the vendor-published
PowerPlatform connector swagger (microsoft/PowerPlatformConnectors, certified-connectors/Pipeliner CRM).
- A pipeline holds its steps in order; read plainly, `steps` are URIs of the Step entities, with
  `expand=steps` the steps themselves (tutorial).
- A step's `pipeline_id` and `sort_order` are read-only (OpenAPI `readOnly`): a step belongs to the pipeline
  it was created in. Lead-process steps are Steps too, with `lead_process_id` set and no `pipeline_id`; the
  vendor connector lists opportunity steps with `filter-op[pipeline_id]=not-null&filter-op[lead_process_id]=null`.
- Creating a pipeline needs `color`, `name` and `steps` (OpenAPI createPipelineInput); a PATCH may carry
  `steps`, where an item with `id` updates that step and one without adds a step at the end.
- Reaching the pipeline's last step marks an opportunity won (OpenAPI Opportunity.step description).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, read_json
from unigate.sandbox.pipeliner.common import (
    ENTITIES_PATH, ENTITY_NOT_FOUND_NAME, SEED_EPOCH, VALIDATION_NAME, VALIDATION_STATUS, det_uuid, entity_validation,
    error, invalid_body, ok, pipeliner_date,
)

# (name, color, [(step name, percent)]): the opportunity pipelines of the sandbox space.
_PIPELINES = [
    ("Sales", 1, [("Qualification", 10), ("Needs Analysis", 25), ("Proposal", 50), ("Negotiation", 75),
                  ("Closed Won", 100)]),
    ("Partnerships", 4, [("Introduction", 10), ("Evaluation", 40), ("Contracting", 70), ("Signed", 100)]),
    ("Renewals", 7, [("Upcoming", 30), ("Quoted", 60), ("Renewed", 100)]),
]
_REGIONS = ["DACH", "Nordics", "Benelux", "Iberia", "UK & Ireland", "France", "Italy", "CEE", "Baltics",
            "North America", "LATAM", "APAC", "Middle East"]


def _pipeline_plan(index: int) -> tuple[str, int, list[tuple[str, int]]]:
    """The seeded pipeline `index`: the three above, then one regional copy of the Sales steps per region."""
    if index < len(_PIPELINES):
        return _PIPELINES[index]
    region = _REGIONS[(index - len(_PIPELINES)) % len(_REGIONS)]
    round_ = (index - len(_PIPELINES)) // len(_REGIONS)
    name = f"{region} Sales" + (f" {round_ + 1}" if round_ else "")
    return name, index % 10, _PIPELINES[0][2][index % 2:]


# Lead-process steps share the Steps entity (OpenAPI Step.lead_process_id) and must not be read as stages.
_LEAD_PROCESS_ID = det_uuid("lead-process", 0)
_LEAD_STEPS = ["New Lead", "Contacted", "Qualified"]
STEP_WRITABLE: dict[str, tuple[type, ...]] = {
    "name": (str,), "description": (str,), "percent": (int, float), "timeframe": (int,),
    "has_readonly_form": (bool,), "has_version_increment": (bool,),
}
STEP_READ_ONLY = ("id", "created", "modified", "is_deleted", "is_delete_protected", "revision", "pipeline_id",
                  "sort_order", "lead_process_id", "quote_process_id", "pipeline", "lead_process")
PIPELINE_WRITABLE: dict[str, tuple[type, ...]] = {"name": (str,), "color": (int,), "steps": (list,)}
PIPELINE_READ_ONLY = ("id", "created", "modified", "is_deleted", "is_delete_protected", "revision",
                      "opportunity_types")


def _field_error(entity: str, key: str) -> Response:
    return error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{key}' has an invalid value for entity {entity}.")


def _clean(body: dict[str, Any], writable: dict[str, tuple[type, ...]], read_only: tuple[str, ...],
           entity: str) -> tuple[dict[str, Any], Response | None]:
    clean: dict[str, Any] = {}
    for key, value in body.items():
        if key in read_only:
            continue
        if key not in writable:
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown field '{key}' for entity {entity}.")
        expected = writable[key]
        if value is not None and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
            return {}, _field_error(entity, key)
        clean[key] = value
    return clean, None


class Steps(Resource):
    """Every Step of the space (opportunity and lead-process ones), by id; `self.order` in insertion order."""

    name = "stages"

    def routes(self) -> list[Route]:
        return [
            Route(f"{ENTITIES_PATH}/Steps", self.list_steps, methods=["GET"]),
            Route(f"{ENTITIES_PATH}/Steps/{{id}}", self.step, methods=["GET", "PATCH"]),
        ]

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        n = 0
        for pipeline in self.emulator.resource("pipelines").live():
            for position, (name, percent) in enumerate(_pipeline_plan(pipeline["seed_index"])[2]):
                self.add(pipeline["id"], name, percent, position, step_id=det_uuid("step", n))
                n += 1
        if count <= 0:   # an empty space: no lead process either
            return
        for position, name in enumerate(_LEAD_STEPS):
            step = self.add(None, name, 0, position, step_id=det_uuid("lead-step", position))
            step["lead_process_id"] = _LEAD_PROCESS_ID

    def add(self, pipeline_id: str | None, name: str, percent: float, position: int, step_id: str | None = None,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
        stamp = pipeliner_date(SEED_EPOCH - timedelta(days=200 - len(self.order)) if step_id else datetime.now(UTC))
        record = {"id": step_id or str(uuid.uuid4()), "name": name, "description": "", "percent": percent,
                  "sort_order": position, "pipeline_id": pipeline_id, "lead_process_id": None,
                  "quote_process_id": None, "timeframe": 14, "has_readonly_form": False,
                  "has_version_increment": False, "is_deleted": False, "is_delete_protected": False,
                  "created": stamp, "modified": stamp, "revision": 1}
        record.update(extra or {})
        self.records[record["id"]] = record
        self.order.append(record["id"])
        return record

    def of_pipeline(self, pipeline_id: str) -> list[dict[str, Any]]:
        return sorted((s for s in self.records.values() if s["pipeline_id"] == pipeline_id and not s["is_deleted"]),
                      key=lambda s: s["sort_order"])

    def is_last(self, step_id: str) -> bool:
        step = self.records[step_id]
        steps = self.of_pipeline(step["pipeline_id"]) if step["pipeline_id"] else []
        return bool(steps) and steps[-1]["id"] == step_id

    def snapshot(self) -> Any:
        return [dict(self.records[i]) for i in self.order]

    def render(self, step: dict[str, Any], root: str | None, expand: list[str] | None = None,
               load_only: list[str] | None = None) -> dict[str, Any]:
        out = dict(step)
        pipelines = self.emulator.resource("pipelines")
        if root is not None:
            out["pipeline"] = f"{root}/entities/Pipelines/{step['pipeline_id']}" if step["pipeline_id"] else None
            out["lead_process"] = (f"{root}/entities/LeadProcesses/{step['lead_process_id']}"
                                   if step["lead_process_id"] else None)
        if "pipeline" in (expand or ()) and step["pipeline_id"]:
            out["pipeline"] = pipelines.render(pipelines.records[step["pipeline_id"]], root)
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    async def list_steps(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        root = self.emulator._root(request)
        expand = self.emulator._expand(request)
        return self.emulator._page(request, self.order, self.records, None,
                                   lambda step, load_only: self.render(step, root, expand, load_only))

    async def step(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        step = self.records.get(request.path_params["id"])
        if step is None or step["is_deleted"]:
            return error(404, ENTITY_NOT_FOUND_NAME, f"Step with id '{request.path_params['id']}' not found.")
        root = self.emulator._root(request)
        if request.method == "PATCH":
            body = await read_json(request)
            if not isinstance(body, dict):
                return invalid_body()
            clean, failure = _clean(body, STEP_WRITABLE, STEP_READ_ONLY, "Step")
            if failure is not None:
                return failure
            if "name" in clean and not clean["name"]:
                return entity_validation("Step", step["id"], "name", 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Step[{step['id']}].name' is null or empty.")
            step.update(clean)
            step["modified"] = pipeliner_date(datetime.now(UTC))
            step["revision"] += 1
        return ok({"success": True, "data": self.render(step, root, self.emulator._expand(request))})


class Pipelines(Resource):
    """Opportunity pipelines by id; their steps live in the `stages` resource (Steps)."""

    name = "pipelines"
    default_seed_count: ClassVar[int | None] = 16      # several list pages at the contract suite's page size

    def routes(self) -> list[Route]:
        return [
            Route(f"{ENTITIES_PATH}/Pipelines", self.pipelines, methods=["GET", "POST"]),
            Route(f"{ENTITIES_PATH}/Pipelines/{{id}}", self.pipeline, methods=["GET", "PATCH"]),
        ]

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        for i in range(min(count, 100)):    # a space keeps a handful of pipelines; large resets stay small
            name, color, _ = _pipeline_plan(i)
            stamp = pipeliner_date(SEED_EPOCH - timedelta(days=300 - i))
            record = {"id": det_uuid("pipeline", i), "name": name, "color": color, "seed_index": i,
                      "is_deleted": False, "is_delete_protected": False, "created": stamp, "modified": stamp,
                      "revision": 1}
            self.records[record["id"]] = record
            self.order.append(record["id"])

    def live(self) -> list[dict[str, Any]]:
        return [self.records[i] for i in self.order if not self.records[i]["is_deleted"]]

    def _steps(self) -> Steps:
        steps = self.emulator.resource("stages")
        assert isinstance(steps, Steps)
        return steps

    def snapshot(self) -> Any:
        return [self.render(self.records[i], None) for i in self.order]

    def render(self, pipeline: dict[str, Any], root: str | None, expand: list[str] | None = None,
               load_only: list[str] | None = None) -> dict[str, Any]:
        out = {k: v for k, v in pipeline.items() if k != "seed_index"}
        steps = self._steps().of_pipeline(pipeline["id"])
        if "steps" in (expand or ()):
            out["steps"] = [self._steps().render(s, root) for s in steps]
        elif root is not None:
            out["steps"] = [f"{root}/entities/Steps/{s['id']}" for s in steps]
        else:
            out["steps"] = [s["id"] for s in steps]
        out["opportunity_types"] = []
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    async def pipelines(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        root = self.emulator._root(request)
        if request.method == "POST":
            return await self._write(request, None, root)
        expand = self.emulator._expand(request)
        return self.emulator._page(request, self.order, self.records, None,
                                   lambda p, load_only: self.render(p, root, expand, load_only))

    async def pipeline(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        record = self.records.get(request.path_params["id"])
        if record is None or record["is_deleted"]:
            return error(404, ENTITY_NOT_FOUND_NAME, f"Pipeline with id '{request.path_params['id']}' not found.")
        root = self.emulator._root(request)
        if request.method == "PATCH":
            return await self._write(request, record, root)
        return ok({"success": True, "data": self.render(record, root, self.emulator._expand(request))})

    async def _write(self, request: Request, record: dict[str, Any] | None, root: str) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return invalid_body()
        entity_id = record["id"] if record else str(uuid.uuid4())
        clean, failure = _clean(body, PIPELINE_WRITABLE, PIPELINE_READ_ONLY, "Pipeline")
        if failure is not None:
            return failure
        merged = {**(record or {}), **clean}
        for required in ("name", "color", "steps") if record is None else ("name",):
            if merged.get(required) in (None, "", []):
                return entity_validation("Pipeline", entity_id, required, 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Pipeline[{entity_id}].{required}' is null or empty.")
        steps = self._steps()
        rows = clean.pop("steps", None) or []
        for row in rows:
            if not isinstance(row, dict):
                return _field_error("Pipeline", "steps")
            if "id" in row and (row["id"] not in steps.records or steps.records[row["id"]]["pipeline_id"] != entity_id):
                return entity_validation("Pipeline", entity_id, "steps", 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                         f"[steps] Relation Pipeline.steps={row['id']} to Step doesn't exist!")
            _, failure = _clean({k: v for k, v in row.items() if k != "id"}, STEP_WRITABLE, STEP_READ_ONLY, "Step")
            if failure is not None:
                return failure
            if "id" not in row and not row.get("name"):
                return entity_validation("Step", entity_id, "name", 119, "ERROR_PARAMETER_MISSING",
                                         "Non-null field 'Step.name' is null or empty.")
        stamp = pipeliner_date(datetime.now(UTC))
        if record is None:
            record = {"id": entity_id, "name": clean["name"], "color": clean["color"], "seed_index": None,
                      "is_deleted": False, "is_delete_protected": False, "created": stamp, "modified": stamp,
                      "revision": 1}
            self.records[entity_id] = record
            self.order.append(entity_id)
        else:
            record.update(clean)
            record["modified"] = stamp
            record["revision"] += 1
        for row in rows:
            fields = {k: v for k, v in row.items() if k != "id"}
            if "id" in row:
                steps.records[row["id"]].update({**fields, "modified": stamp})
            else:
                position = len(steps.of_pipeline(entity_id))
                steps.add(entity_id, fields.pop("name"), fields.pop("percent", 0), position, extra=fields)
        return ok({"success": True, "data": self.render(record, root)})
