"""HubSpot's pipelines API for deals: the emulator's `pipelines` resource (stages live inside them).

Routes are HubSpot's (https://developers.hubspot.com/docs/api/crm/pipelines); `{objectType}` is
`deals` (or its type id `0-3`), the only object type this emulator keeps pipelines for:

- `GET    /crm/v3/pipelines/{objectType}`                         every pipeline with its stages, unpaged
- `POST   /crm/v3/pipelines/{objectType}`                         create, 201 (`label`, `displayOrder`, `stages` required)
- `GET    /crm/v3/pipelines/{objectType}/{pipelineId}`            read
- `PATCH  /crm/v3/pipelines/{objectType}/{pipelineId}`            `label`, `displayOrder`, `archived`
- `DELETE /crm/v3/pipelines/{objectType}/{pipelineId}`            204
- `GET    /crm/v3/pipelines/{objectType}/{pipelineId}/stages`     the pipeline's stages
- `POST   /crm/v3/pipelines/{objectType}/{pipelineId}/stages`     create, 201 (`label`, `displayOrder`, `metadata.probability`)
- `GET / PATCH / DELETE  .../stages/{stageId}`                    read, update, delete (204)

Shapes and the default pipeline of a new portal (ids, labels, probabilities, closed stages, epoch
timestamps) as HubSpot answers them [observed: live captures in https://github.com/amp-labs/connectors,
providers/hubspot test/metadata-deals-external-pipelines.json]: metadata values are strings
(`{"isClosed": "false", "probability": "0.2"}`). A deal stage's `probability` is required, 0.0 to 1.0
(the spec's `PipelineStageInput.metadata` description); labels are unique per object type (pipelines)
and per pipeline (stages) (the spec's `label` descriptions).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot.common import answer, error, iso_ms, now_iso, read_body

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

PIPELINES_PATH = "/crm/v3/pipelines/{objectType}"
DEAL_TYPES = frozenset({"deals", "deal", "0-3"})
EPOCH = "1970-01-01T00:00:00Z"  # HubSpot's built-in pipeline and stages carry the epoch as timestamps
FIRST_PIPELINE_ID = 8_100_001
FIRST_STAGE_ID = 91_000_001
WRITE_PERMISSIONS = "CRM_PERMISSIONS_ENFORCEMENT"

# The default deal pipeline of a new portal: (stage id, label, probability, closed).
DEFAULT_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
)
# Seeded custom pipelines (this portal is an Enterprise one: up to 100 deal pipelines,
# https://legal.hubspot.com/hubspot-product-and-services-catalog, so a seed holds at most that many);
# each gets these stages.
MAX_PIPELINES = 100
_REGIONS = ("EMEA", "APAC", "LATAM", "North America", "Partners", "Renewals", "Upsell", "Enterprise",
            "SMB", "Public Sector", "Healthcare", "Retail", "Education", "Nonprofit", "Startups", "OEM")
CUSTOM_STAGES = (("Discovery", "0.1", False), ("Proposal", "0.5", False), ("Negotiation", "0.7", False),
                 ("Won", "1.0", True), ("Lost", "0.0", True))

UNKNOWN_TYPE_MESSAGE = "Unable to infer object type from: {name}"
# [unverified wording] what HubSpot says for a pipeline or stage id it does not have.
PIPELINE_NOT_FOUND = "Unable to find pipeline with id {id}"
STAGE_NOT_FOUND = "Unable to find stage with id {id} in pipeline {pipeline}"
# [unverified wording] validation failures of a pipeline or stage input.
MISSING_MESSAGE = ("Invalid input JSON on line 1, column 1: Cannot build {model}, some of required attributes are "
                   "not set [{names}]")
DUPLICATE_LABEL = "A {kind} with label {label} already exists"
PROBABILITY_MESSAGE = "Deal stage probability must be a number between 0.0 and 1.0 (got {value})"


def stage_object(stage_id: str, label: str, order: int, probability: str, closed: bool, stamp: str) -> dict[str, Any]:
    return {"id": stage_id, "label": label, "displayOrder": order,
            "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
            "writePermissions": WRITE_PERMISSIONS, "archived": False, "createdAt": stamp, "updatedAt": stamp}


def ordered(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stages by displayOrder, equal orders by label (the spec's `displayOrder` description)."""
    return sorted(stages, key=lambda s: (s["displayOrder"], s["label"]))


class Pipelines(Resource):
    name: ClassVar[str] = "pipelines"
    default_seed_count: ClassVar[int | None] = 16
    emulator: HubSpotEmulator

    def __init__(self, emulator: HubSpotEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_PIPELINE_ID, make_id=str)
        self.next_stage = FIRST_STAGE_ID

    def seed(self, count: int) -> None:
        """The default "Sales Pipeline" and `count - 1` custom ones (at most MAX_PIPELINES in all)."""
        self.store.clear()
        self.next_stage = FIRST_STAGE_ID
        count = min(count, MAX_PIPELINES)
        if count < 1:
            return
        stages = [stage_object(sid, label, i, p, closed, EPOCH) for i, (sid, label, p, closed) in enumerate(DEFAULT_STAGES)]
        self.store.add("default", {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
                                   "createdAt": EPOCH, "updatedAt": EPOCH, "stages": stages})
        start = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
        for index in range(count - 1):
            stamp = iso_ms(start + timedelta(days=index, minutes=7 * index))
            region = _REGIONS[index % len(_REGIONS)] + (f" {index // len(_REGIONS) + 1}" if index >= len(_REGIONS) else "")
            pipeline_id = self.store.new_id()
            # Pipelines differ in length: the first custom stages, then won and lost.
            kept = CUSTOM_STAGES[: 1 + index % 3] + CUSTOM_STAGES[3:]
            stages = [stage_object(self._stage_id(), f"{label}", i, p, closed, stamp)
                      for i, (label, p, closed) in enumerate(kept)]
            self.store.add(pipeline_id, {"id": pipeline_id, "label": f"{region} Pipeline", "displayOrder": index + 1,
                                         "archived": False, "createdAt": stamp, "updatedAt": stamp, "stages": stages})

    def _stage_id(self) -> str:
        self.next_stage += 1
        return str(self.next_stage - 1)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    # -- what deals ask of pipelines -----------------------------------------------------------------
    def find(self, pipeline_id: str) -> dict[str, Any] | None:
        return self.store.get_active(pipeline_id)

    def stage_in(self, pipeline: dict[str, Any], stage_id: str) -> dict[str, Any] | None:
        return next((s for s in pipeline["stages"] if s["id"] == stage_id and not s["archived"]), None)

    def live_pipelines(self) -> list[dict[str, Any]]:
        return sorted((p for p in self.store.live() if not p["archived"]),
                      key=lambda p: (p["displayOrder"], p["label"]))

    # -- routes --------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route(PIPELINES_PATH, self.pipelines, methods=["GET", "POST"]),
            Route(PIPELINES_PATH + "/{pipelineId}", self.pipeline, methods=["GET", "PATCH", "DELETE"]),
            Route(PIPELINES_PATH + "/{pipelineId}/stages", self.stages, methods=["GET", "POST"]),
            Route(PIPELINES_PATH + "/{pipelineId}/stages/{stageId}", self.stage, methods=["GET", "PATCH", "DELETE"]),
        ]

    def _begin(self, request: Request) -> dict[str, str] | Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        raw = request.path_params["objectType"]
        if raw.lower() not in DEAL_TYPES:
            return error(400, "VALIDATION_ERROR", UNKNOWN_TYPE_MESSAGE.format(name=raw), headers)
        return headers

    @staticmethod
    def render(pipeline: dict[str, Any]) -> dict[str, Any]:
        return {**pipeline, "stages": ordered(pipeline["stages"])}

    def _pipeline_or_404(self, request: Request, headers: dict[str, str]) -> dict[str, Any] | Response:
        pipeline_id = request.path_params["pipelineId"]
        pipeline = self.store.get_active(pipeline_id)
        if pipeline is None:
            return error(404, "OBJECT_NOT_FOUND", PIPELINE_NOT_FOUND.format(id=pipeline_id), headers)
        return pipeline

    def _label_taken(self, label: str, but: str | None = None) -> bool:
        return any(p["label"] == label and p["id"] != but for p in self.store.live())

    async def pipelines(self, request: Request) -> Response:
        headers = self._begin(request)
        if isinstance(headers, Response):
            return headers
        if request.method == "GET":
            return answer({"results": [self.render(p) for p in self.live_pipelines()]}, 200, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        missing = [k for k in ("label", "displayOrder", "stages") if not isinstance(body, dict) or body.get(k) is None]
        if missing:
            return error(400, "VALIDATION_ERROR", MISSING_MESSAGE.format(model="PipelineInput", names=", ".join(missing)),
                         headers)
        if self._label_taken(str(body["label"])):
            return error(409, "CONFLICT", DUPLICATE_LABEL.format(kind="pipeline", label=body["label"]), headers)
        stamp = now_iso()
        stages = []
        for raw in body["stages"] if isinstance(body["stages"], list) else []:
            stage = self._stage_input(raw, stamp, headers, [s["label"] for s in stages])
            if isinstance(stage, Response):
                return stage
            stages.append(stage)
        pipeline_id = str(body.get("pipelineId") or self.store.new_id())
        record = {"id": pipeline_id, "label": str(body["label"]), "displayOrder": body["displayOrder"],
                  "archived": False, "createdAt": stamp, "updatedAt": stamp, "stages": stages}
        self.store.add(pipeline_id, record)
        return answer(self.render(record), 201, headers)

    def _stage_input(self, raw: Any, stamp: str, headers: dict[str, str], taken: list[str]) -> dict[str, Any] | Response:
        if not isinstance(raw, dict):
            raw = {}
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else None
        missing = [k for k in ("label", "displayOrder", "metadata") if raw.get(k) is None]
        if metadata is not None and metadata.get("probability") is None:
            missing.append("metadata.probability")
        if missing:
            return error(400, "VALIDATION_ERROR",
                         MISSING_MESSAGE.format(model="PipelineStageInput", names=", ".join(missing)), headers)
        assert metadata is not None
        probability = probability_of(metadata["probability"])
        if probability is None:
            return error(400, "VALIDATION_ERROR", PROBABILITY_MESSAGE.format(value=metadata["probability"]), headers)
        if raw["label"] in taken:
            return error(409, "CONFLICT", DUPLICATE_LABEL.format(kind="stage", label=raw["label"]), headers)
        return stage_object(str(raw.get("stageId") or self._stage_id()), str(raw["label"]), raw["displayOrder"],
                            probability, probability in ("1.0", "0.0") and str(metadata.get("isClosed")) == "true",
                            stamp)

    async def pipeline(self, request: Request) -> Response:
        headers = self._begin(request)
        if isinstance(headers, Response):
            return headers
        pipeline = self._pipeline_or_404(request, headers)
        if isinstance(pipeline, Response):
            return pipeline
        if request.method == "GET":
            return answer(self.render(pipeline), 200, headers)
        if request.method == "DELETE":
            self.store.archive(pipeline["id"])
            return answer(None, 204, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        body = body if isinstance(body, dict) else {}
        taken = [p["label"] for p in self.store.live() if p["id"] != pipeline["id"]]
        refused = patch_shared(pipeline, body, taken, "pipeline", headers)
        return refused or answer(self.render(pipeline), 200, headers)

    async def stages(self, request: Request) -> Response:
        headers = self._begin(request)
        if isinstance(headers, Response):
            return headers
        pipeline = self._pipeline_or_404(request, headers)
        if isinstance(pipeline, Response):
            return pipeline
        if request.method == "GET":
            return answer({"results": ordered(pipeline["stages"])}, 200, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        stage = self._stage_input(body, now_iso(), headers, [s["label"] for s in pipeline["stages"]])
        if isinstance(stage, Response):
            return stage
        pipeline["stages"].append(stage)
        return answer(stage, 201, headers)

    async def stage(self, request: Request) -> Response:
        headers = self._begin(request)
        if isinstance(headers, Response):
            return headers
        pipeline = self._pipeline_or_404(request, headers)
        if isinstance(pipeline, Response):
            return pipeline
        stage_id = request.path_params["stageId"]
        stage = next((s for s in pipeline["stages"] if s["id"] == stage_id), None)
        if stage is None:
            return error(404, "OBJECT_NOT_FOUND", STAGE_NOT_FOUND.format(id=stage_id, pipeline=pipeline["id"]), headers)
        if request.method == "GET":
            return answer(stage, 200, headers)
        if request.method == "DELETE":
            pipeline["stages"].remove(stage)
            return answer(None, 204, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        body = body if isinstance(body, dict) else {}
        probability = None
        if isinstance(body.get("metadata"), dict) and "probability" in body["metadata"]:
            probability = probability_of(body["metadata"]["probability"])
            if probability is None:
                return error(400, "VALIDATION_ERROR", PROBABILITY_MESSAGE.format(value=body["metadata"]["probability"]),
                             headers)
        taken = [s["label"] for s in pipeline["stages"] if s is not stage]
        refused = patch_shared(stage, body, taken, "stage", headers)
        if refused is None and probability is not None:
            stage["metadata"]["probability"] = probability
        return refused or answer(stage, 200, headers)


def patch_shared(target: dict[str, Any], body: dict[str, Any], taken: list[str], kind: str,
                 headers: dict[str, str]) -> Response | None:
    """What a pipeline's and a stage's PATCH share (`label`, unique among `taken`; `displayOrder`;
    `archived`), written into `target`; HubSpot's 409 for a label in use, else None."""
    if "label" in body and body["label"] in taken:
        return error(409, "CONFLICT", DUPLICATE_LABEL.format(kind=kind, label=body["label"]), headers)
    if "label" in body:
        target["label"] = str(body["label"])
    if isinstance(body.get("displayOrder"), int):
        target["displayOrder"] = body["displayOrder"]
    if isinstance(body.get("archived"), bool):
        target["archived"] = body["archived"]
    target["updatedAt"] = now_iso()
    return None


def probability_of(value: Any) -> str | None:
    """A deal stage's probability as HubSpot stores it ("0.2"), or None when it is not 0.0 to 1.0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not 0.0 <= number <= 1.0:
        return None
    return f"{number:.1f}" if round(number, 1) == number else str(number)
