"""Zendesk Sell stages: the emulator's `stages` resource (read-only).

`GET /v2/stages` with `pipeline_id`, `ids`, `page` and `per_page` (`active`, `name` and `sort_by` are
"Unsupported for now"): basecrm-ruby `lib/basecrm/services/stages_service.rb` and `models/stage.rb`
(https://github.com/zendesk/basecrm-ruby). A stage is `{id, name, category, active, likelihood, position,
pipeline_id, created_at, updated_at}` (the Firehose stages page,
https://developer.zendesk.com/api-reference/sales-crm/firehose/stages/, shows `category: "in_progress"`);
`active` is false on the stages that hold finished deals (the model's wording: "whether or not the stage
contains finalized deals"). Every pipeline has incoming, in-progress stages, won and lost (the category
names besides `in_progress` are [unverified]). Listed in pipeline, then position order.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.zendesk_sell.common import collection, id_list, page_bounds, timestamp

if TYPE_CHECKING:
    from unigate.sandbox.zendesk_sell import ZendeskSellEmulator

FIRST_STAGE_ID = 7_001
# (name, category, likelihood) of each pipeline's stages, in order.
STAGE_PLAN = (("Incoming", "incoming", 10), ("Qualified", "in_progress", 25), ("Quote", "in_progress", 50),
              ("Closure", "in_progress", 80), ("Won", "won", 100), ("Lost", "lost", 0))
_SEED_START = datetime(2022, 2, 1, 9, 0, 0, tzinfo=timezone.utc)


class Stages(Resource):
    name: ClassVar[str] = "stages"
    emulator: ZendeskSellEmulator

    def seed(self, count: int) -> None:
        """Each seeded pipeline's stages (`count` is not used: every pipeline has the same plan)."""
        self.records: dict[int, dict[str, Any]] = {}
        stage_id = FIRST_STAGE_ID
        for pipeline in self.emulator.resource("pipelines").snapshot():
            for position, (name, category, likelihood) in enumerate(STAGE_PLAN, start=1):
                created = _SEED_START + timedelta(minutes=stage_id - FIRST_STAGE_ID)
                self.records[stage_id] = {
                    "id": stage_id, "name": name, "category": category, "active": category not in ("won", "lost"),
                    "likelihood": likelihood, "position": position, "pipeline_id": pipeline["id"],
                    "created_at": timestamp(created), "updated_at": timestamp(created)}
                stage_id += 1

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.records.values())

    def routes(self) -> list[Route]:
        return [Route("/v2/stages", self.list_stages, methods=["GET"])]

    async def list_stages(self, request: Request) -> Response:
        emulator = self.emulator
        denied = emulator.check(request)
        if denied:
            return denied
        query = request.query_params
        bounds = page_bounds(query)
        ids = id_list(query.get("ids"))
        problem = bounds if isinstance(bounds, str) else ids if isinstance(ids, str) else None
        pipeline_id: int | None = None
        if problem is None and query.get("pipeline_id"):
            try:
                pipeline_id = int(query["pipeline_id"])
            except ValueError:
                problem = "pipeline_id takes an integer."
        if problem is not None or isinstance(bounds, str) or isinstance(ids, str):
            return emulator.error(request, 400, "bad_request", "Invalid query parameters", str(problem))
        chosen = [s for s in self.records.values()
                  if (ids is None or s["id"] in ids) and (pipeline_id is None or s["pipeline_id"] == pipeline_id)]
        return emulator.ok(request, collection(request, chosen, *bounds, "stage"))
