"""Pipedrive API v2 pipelines: the emulator's `pipelines` resource.

Routes are Pipedrive's (https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/api/pipelines-api.ts,
https://developers.pipedrive.com/docs/api/v1/Pipelines, API v2 tab):

- `GET    /api/v2/pipelines`       list (`limit` 1..500, default 100; `cursor`; `sort_by` id, update_time, add_time;
  `sort_direction`)
- `GET    /api/v2/pipelines/{id}`  read
- `POST   /api/v2/pipelines`       create, 200 (`name` required; `is_deal_probability_enabled`)
- `PATCH  /api/v2/pipelines/{id}`  update
- `DELETE /api/v2/pipelines/{id}`  "Marks a pipeline as deleted": 200 `{"success":true,"data":{"id":N}}`

A pipeline (https://github.com/pipedrive/client-php, docs/versions/v2/Model/PipelineItem.md): `id, name,
order_nr` (the lowest is the default pipeline), `is_deleted, is_deal_probability_enabled, add_time,
update_time`; no stages inside (they are `/api/v2/stages`, stages.py). Listing, reads and the soft
delete are the organizations' (`accounts.Organizations`). A deleted pipeline's stages are deleted with it
[unverified: the API text says only "marks a pipeline as deleted"].
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.pipedrive.accounts import Organizations
from unigate.sandbox.pipedrive.common import Invalid, required_text, rfc3339

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

PIPELINES_PATH = "/api/v2/pipelines"
NOT_FOUND_MESSAGE = "Pipeline not found"  # [unverified wording, as Pipedrive's "Deal not found"]
WRITABLE = frozenset({"name", "is_deal_probability_enabled"})
PIPELINE_NAMES = ("Sales", "Partnerships", "Renewals", "Enterprise", "Inbound", "Outbound", "Upsell", "EMEA",
                  "APAC", "Americas", "Channel", "Public sector", "Education", "Healthcare", "Retail", "OEM")
_SEED_START = datetime(2023, 2, 20, 8, 0, 0, tzinfo=UTC)


class Pipelines(Organizations):
    name: ClassVar[str] = "pipelines"
    path: ClassVar[str] = PIPELINES_PATH
    writable: ClassVar[frozenset[str]] = WRITABLE   # others: the `unknown_fields` switch (accounts.py)
    not_found_message: ClassVar[str] = NOT_FOUND_MESSAGE
    include_fields: ClassVar[dict[str, Any]] = {}
    default_seed_count: ClassVar[int | None] = 16
    emulator: PipedriveEmulator

    def seed(self, count: int) -> None:
        self.store.clear()
        for index in range(count):
            pipeline_id = self.store.new_id()
            added = _SEED_START + timedelta(days=index, minutes=3 * index)
            name = PIPELINE_NAMES[index % len(PIPELINE_NAMES)] + (
                f" {index // len(PIPELINE_NAMES) + 1}" if index >= len(PIPELINE_NAMES) else "")
            self.store.add(pipeline_id, {
                "id": pipeline_id, "name": name, "order_nr": index, "is_deleted": False,
                "is_deal_probability_enabled": index % 2 == 0, "add_time": rfc3339(added),
                "update_time": rfc3339(added + timedelta(days=3)),
            })

    @classmethod
    def _render(cls, record: dict[str, Any], custom_keys: list[str] | None = None,
                include: list[str] | None = None) -> dict[str, Any]:
        return dict(record)

    def _new_record(self, stamp: str) -> dict[str, Any]:
        order = max((r["order_nr"] for r in self.store.live()), default=-1) + 1
        return {"id": 0, "name": "", "order_nr": order, "is_deleted": False, "is_deal_probability_enabled": False,
                "add_time": stamp, "update_time": stamp}

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        changes: dict[str, Any] = required_text(body, "name", creating)
        if "is_deal_probability_enabled" in body:
            if not isinstance(body["is_deal_probability_enabled"], bool):  # v2 takes booleans only
                raise Invalid("Validation failed: is_deal_probability_enabled: must be a boolean")
            changes["is_deal_probability_enabled"] = body["is_deal_probability_enabled"]
        record.update(changes)

    async def one(self, request: Request) -> Response:
        answer = await super().one(request)
        if request.method == "DELETE" and answer.status_code == 200:
            self.emulator.resource("stages").delete_pipeline_stages(int(request.path_params["id"]))
        return answer

    def live(self, pipeline_id: Any) -> dict[str, Any] | None:
        if isinstance(pipeline_id, bool) or not isinstance(pipeline_id, int):
            return None
        return self.store.get_active(pipeline_id)
