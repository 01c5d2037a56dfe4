"""Zendesk Sell pipelines: the emulator's `pipelines` resource (read-only).

`GET /v2/pipelines` with `ids`, `page` and `per_page` (`name` and `sort_by` are "Unsupported for now"):
basecrm-ruby `lib/basecrm/services/pipelines_service.rb` and `models/pipeline.rb`
(https://github.com/zendesk/basecrm-ruby); a pipeline is `{id, name, created_at, updated_at}`, its stages
are `/v2/stages?pipeline_id=` (stages.py). Sell's API has no pipeline read by id and no pipeline writes.
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

FIRST_PIPELINE_ID = 1_001
PIPELINE_NAMES = ("Sales Pipeline", "Renewals", "Partnerships", "Enterprise", "Inbound", "Upsell", "EMEA", "APAC")
_SEED_START = datetime(2022, 2, 1, 8, 0, 0, tzinfo=timezone.utc)


class Pipelines(Resource):
    name: ClassVar[str] = "pipelines"
    default_seed_count: ClassVar[int | None] = 16   # several pages of the unified list
    emulator: ZendeskSellEmulator

    def seed(self, count: int) -> None:
        self.records: dict[int, dict[str, Any]] = {}
        for index in range(count):
            created = _SEED_START + timedelta(days=index)
            name = PIPELINE_NAMES[index % len(PIPELINE_NAMES)] + (
                f" {index // len(PIPELINE_NAMES) + 1}" if index >= len(PIPELINE_NAMES) else "")
            pipeline_id = FIRST_PIPELINE_ID + index
            self.records[pipeline_id] = {"id": pipeline_id, "name": name, "created_at": timestamp(created),
                                         "updated_at": timestamp(created + timedelta(days=2))}

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.records.values())

    def routes(self) -> list[Route]:
        return [Route("/v2/pipelines", self.list_pipelines, methods=["GET"])]

    async def list_pipelines(self, request: Request) -> Response:
        emulator = self.emulator
        denied = emulator.check(request)
        if denied:
            return denied
        bounds = page_bounds(request.query_params)
        ids = id_list(request.query_params.get("ids"))
        if isinstance(bounds, str) or isinstance(ids, str):
            return emulator.error(request, 400, "bad_request", "Invalid query parameters",
                                  bounds if isinstance(bounds, str) else str(ids))
        chosen = [p for p in self.records.values() if ids is None or p["id"] in ids]
        return emulator.ok(request, collection(request, chosen, *bounds, "pipeline"))
