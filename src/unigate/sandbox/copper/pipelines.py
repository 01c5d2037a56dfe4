"""Copper Developer API v1 pipelines: the emulator's `pipelines` resource (read-only).

`GET /developer_api/v1/pipelines` answers a bare array of every opportunity pipeline with its stages in
order, `[{"id", "name", "stages": [{"id", "name", "win_probability"}]}]` (list-pipelines.md, 5.-opportunities
in Copper's Postman docs mirrored at https://github.com/dquimper/GitbookTest). Copper documents no
pipeline read by id and no pipeline writes: any other method or path answers Copper's 404, as the
emulator's catch-all does for unknown routes. The stages themselves live in `stages.py`; `type` and
`is_revenue` are what a live account shows beside them (https://github.com/singer-io/tap-copper,
schemas/pipelines.json).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

FIRST_PIPELINE_ID = 213_214            # the list-pipelines example's first id
PIPELINE_NAMES = ("Sales", "Renewals", "Partnerships", "Enterprise", "Inbound", "Upsell")


class Pipelines(Resource):
    name: ClassVar[str] = "pipelines"
    default_seed_count: ClassVar[int | None] = 16   # enough for several pages of the unified list
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_PIPELINE_ID)

    def seed(self, count: int) -> None:
        self.store.clear()
        for index in range(count):
            pipeline_id = self.store.new_id()
            name = PIPELINE_NAMES[index % len(PIPELINE_NAMES)] + (
                f" {index // len(PIPELINE_NAMES) + 1}" if index >= len(PIPELINE_NAMES) else "")
            self.store.add(str(pipeline_id), {"id": pipeline_id, "name": name, "type": "opportunity",
                                              "is_revenue": index % 3 != 2})

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(p) for p in self.store.live()]

    def render(self, pipeline: dict[str, Any]) -> dict[str, Any]:
        stages = self.emulator.resource("stages")
        return {**pipeline, "stages": [{"id": s["id"], "name": s["name"], "win_probability": s["win_probability"]}
                                       for s in stages.of_pipeline(pipeline["id"])]}  # type: ignore[attr-defined]

    def first(self) -> dict[str, Any] | None:
        """The account's default pipeline: a create without `pipeline_id` lands in it."""
        return next(iter(self.store.live()), None)

    def routes(self) -> list[Route]:
        return [Route("/developer_api/v1/pipelines", self.emulator.guarded(self.list_pipelines), methods=["GET"])]

    async def list_pipelines(self, request: Request) -> Response:
        return json_response([self.render(p) for p in self.store.live()])
