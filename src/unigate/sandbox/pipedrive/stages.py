"""Pipedrive API v2 stages: the emulator's `stages` resource.

Routes are Pipedrive's (https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/api/stages-api.ts,
https://developers.pipedrive.com/docs/api/v1/Stages, API v2 tab):

- `GET    /api/v2/stages`       list, every pipeline's unless `pipeline_id` (`limit` 1..500, default 100; `cursor`;
  `sort_by` id, update_time, add_time; `sort_direction`)
- `GET    /api/v2/stages/{id}`  read
- `POST   /api/v2/stages`       create, 200 (`name` and `pipeline_id` required; `deal_probability` 0..100,
  `is_deal_rot_enabled`, `days_to_rotten`); a new stage goes last in its pipeline
- `PATCH  /api/v2/stages/{id}`  update (the same fields; `pipeline_id` moves it to another pipeline)
- `DELETE /api/v2/stages/{id}`  "Marks a stage as deleted": 200 `{"success":true,"data":{"id":N}}`

A stage (https://github.com/pipedrive/client-php, docs/versions/v2/Model/StageItem.md): `id, order_nr, name,
is_deleted, deal_probability` (an integer 0..100), `pipeline_id, is_deal_rot_enabled, days_to_rotten,
add_time, update_time`. Won and lost are a deal's status in Pipedrive, not stages.
The list's `sort_by=order_nr` is not emulated (400): only the organizations' sorts are.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from unigate.sandbox.pipedrive.accounts import Organizations
from unigate.sandbox.pipedrive.common import Invalid, required_text, rfc3339

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

STAGES_PATH = "/api/v2/stages"
NOT_FOUND_MESSAGE = "Stage not found"  # [unverified wording, as Pipedrive's "Deal not found"]
WRITABLE = frozenset({"name", "pipeline_id", "deal_probability", "is_deal_rot_enabled", "days_to_rotten"})
# The stages of a new company's first pipeline (https://support.pipedrive.com/en/article/pipeline-stages),
# with their default probabilities; later pipelines take the first 3 to 6 of a sales cycle.
STAGE_NAMES = (("Qualified", 10), ("Contact Made", 20), ("Demo Scheduled", 40), ("Proposal Made", 60),
               ("Negotiations Started", 80), ("Contract Signed", 100))
_SEED_START = datetime(2023, 2, 20, 9, 0, 0, tzinfo=UTC)


class Stages(Organizations):
    name: ClassVar[str] = "stages"
    path: ClassVar[str] = STAGES_PATH
    writable: ClassVar[frozenset[str]] = WRITABLE   # others: the `unknown_fields` switch (accounts.py)
    not_found_message: ClassVar[str] = NOT_FOUND_MESSAGE
    include_fields: ClassVar[dict[str, Any]] = {}
    emulator: PipedriveEmulator

    def seed(self, count: int) -> None:
        """Every seeded pipeline gets stages: the first all six, the others three to six (`count` is unused:
        stages follow the pipelines)."""
        self.store.clear()
        for pipeline in self.emulator.resource("pipelines").store.live():
            length = 6 if pipeline["order_nr"] == 0 else 3 + pipeline["id"] % 4
            for order, (name, probability) in enumerate(STAGE_NAMES[:length]):
                stage_id = self.store.new_id()
                added = _SEED_START + timedelta(days=pipeline["id"], minutes=order)
                self.store.add(stage_id, {
                    "id": stage_id, "order_nr": order, "name": name, "is_deleted": False,
                    "deal_probability": probability, "pipeline_id": pipeline["id"],
                    "is_deal_rot_enabled": order == 2, "days_to_rotten": 14 if order == 2 else None,
                    "add_time": rfc3339(added), "update_time": rfc3339(added + timedelta(hours=1)),
                })

    @classmethod
    def _render(cls, record: dict[str, Any], custom_keys: list[str] | None = None,
                include: list[str] | None = None) -> dict[str, Any]:
        return dict(record)

    def _list_filters(self, params) -> list[Any]:
        raw = params.get("pipeline_id")
        if raw is None:
            return []
        try:
            pipeline_id = int(raw)
        except ValueError:
            raise Invalid(f"Validation failed: pipeline_id: Parameter 'pipeline_id' must be an integer (got '{raw}')") \
                from None
        return [lambda r: r["pipeline_id"] == pipeline_id]

    def _new_record(self, stamp: str) -> dict[str, Any]:
        return {"id": 0, "order_nr": 0, "name": "", "is_deleted": False, "deal_probability": 100, "pipeline_id": 0,
                "is_deal_rot_enabled": False, "days_to_rotten": None, "add_time": stamp, "update_time": stamp}

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        changes: dict[str, Any] = required_text(body, "name", creating)
        if "pipeline_id" in body or creating:
            pipeline_id = body.get("pipeline_id")
            if self.emulator.resource("pipelines").live(pipeline_id) is None:
                raise Invalid("Validation failed: pipeline_id: Parameter 'pipeline_id' is required and must be the "
                              "id of an existing pipeline")
            if pipeline_id != record["pipeline_id"]:  # a stage joins a pipeline last
                changes["pipeline_id"] = pipeline_id
                changes["order_nr"] = 1 + max((s["order_nr"] for s in self.store.live()
                                               if s["pipeline_id"] == pipeline_id and s["id"] != record["id"]),
                                              default=-1)
        if "deal_probability" in body:
            value = body["deal_probability"]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise Invalid("Validation failed: deal_probability: must be an integer between 0 and 100")
            changes["deal_probability"] = value
        if "is_deal_rot_enabled" in body:
            if not isinstance(body["is_deal_rot_enabled"], bool):
                raise Invalid("Validation failed: is_deal_rot_enabled: must be a boolean")
            changes["is_deal_rot_enabled"] = body["is_deal_rot_enabled"]
        if "days_to_rotten" in body:
            days = body["days_to_rotten"]
            if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
                raise Invalid("Validation failed: days_to_rotten: must be a positive integer")
            changes["days_to_rotten"] = days
        record.update(changes)

    # -- what deals and pipelines ask of stages ---------------------------------------------------------
    def live(self, stage_id: Any) -> dict[str, Any] | None:
        if isinstance(stage_id, bool) or not isinstance(stage_id, int):
            return None
        return self.store.get_active(stage_id)

    def first_of(self, pipeline_id: int) -> dict[str, Any] | None:
        stages = [s for s in self.store.live() if s["pipeline_id"] == pipeline_id]
        return min(stages, key=lambda s: (s["order_nr"], s["id"])) if stages else None

    def of_pipeline(self, pipeline_id: int) -> list[dict[str, Any]]:
        return sorted((s for s in self.store.live() if s["pipeline_id"] == pipeline_id),
                      key=lambda s: (s["order_nr"], s["id"]))

    def delete_pipeline_stages(self, pipeline_id: int) -> None:
        stamp = rfc3339(datetime.now(UTC))
        for stage in self.of_pipeline(pipeline_id):
            stage["is_deleted"] = True
            stage["update_time"] = stamp
            self.store.archive(stage["id"])
