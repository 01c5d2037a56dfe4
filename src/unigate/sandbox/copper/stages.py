"""Copper Developer API v1 pipeline stages: the emulator's `stages` resource (read-only).

- `GET /developer_api/v1/pipeline_stages`: every pipeline's stages, a bare array of
  `{"id", "name", "pipeline_id", "win_probability"}` (list-pipeline-stages.md);
- `GET /developer_api/v1/pipeline_stages/pipeline/{pipeline_id}`: one pipeline's, in order
  (list-stages-in-a-pipeline.md; an unknown pipeline answers Copper's 404 [unverified]).
Both pages are in Copper's Postman docs, 5.-opportunities, mirrored at https://github.com/dquimper/GitbookTest.
Stages have no write endpoint and no explicit order field: their order is the order listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.copper.common import NOT_FOUND_MESSAGE, error

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

FIRST_STAGE_ID = 324_112               # the list-pipeline-stages example's ids are of this size
# Each seeded pipeline's stages, with their win probability (0-100).
STAGE_PLANS = (
    (("Qualified", 10), ("Follow-up", 25), ("Presentation", 50), ("Contract Sent", 75), ("Negotiation", 90)),
    (("Renewal Due", 20), ("Quote Sent", 50), ("Verbal Yes", 80)),
    (("Introduced", 10), ("Discovery", 30), ("Proposal", 60), ("Signed", 95)),
)


class Stages(Resource):
    name: ClassVar[str] = "stages"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_STAGE_ID)

    def seed(self, count: int) -> None:
        """Each seeded pipeline's stages (`count` is not used: a pipeline's stages are its plan's)."""
        self.store.clear()
        self.by_pipeline: dict[int, list[dict[str, Any]]] = {}
        for index, pipeline in enumerate(self.emulator.resource("pipelines").store.live()):  # type: ignore[attr-defined]
            for name, probability in STAGE_PLANS[index % len(STAGE_PLANS)]:
                stage_id = self.store.new_id()
                stage = {"id": stage_id, "name": name, "pipeline_id": pipeline["id"], "win_probability": probability}
                self.store.add(str(stage_id), stage)
                self.by_pipeline.setdefault(pipeline["id"], []).append(stage)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def of_pipeline(self, pipeline_id: int) -> list[dict[str, Any]]:
        return self.by_pipeline.get(pipeline_id, [])

    def find(self, stage_id: Any) -> dict[str, Any] | None:
        if isinstance(stage_id, bool) or not isinstance(stage_id, int):
            return None
        return self.store.get(str(stage_id))

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/developer_api/v1/pipeline_stages", g(self.list_stages), methods=["GET"]),
            Route("/developer_api/v1/pipeline_stages/pipeline/{pipeline_id}", g(self.list_pipeline_stages),
                  methods=["GET"]),
        ]

    async def list_stages(self, request: Request) -> Response:
        return json_response(list(self.store.live()))

    async def list_pipeline_stages(self, request: Request) -> Response:
        raw = request.path_params["pipeline_id"]
        pipelines = self.emulator.resource("pipelines").store  # type: ignore[attr-defined]
        if not raw.isdigit() or pipelines.get(str(int(raw))) is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(self.of_pipeline(int(raw)))
