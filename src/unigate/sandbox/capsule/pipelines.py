"""Capsule API v2 pipelines: the emulator's `pipelines` resource.

https://developer.capsulecrm.com/v2/operations/Pipeline :
- `GET /api/v2/pipelines?includeDeleted=&page=&perPage=` → `{"pipelines": [...]}`, `Link` to the next page;
- `GET /api/v2/pipelines/{id}` → `{"pipeline": {...}}`; `GET /api/v2/pipelines/{id1},{id2}` (at most 10; any
  unknown id is a 404 for the whole call, as that page says);
- `POST /api/v2/pipelines` `{"pipeline": {"name", "description"}}` → 201 with `Location`;
- `PUT /api/v2/pipelines/{id}` (fields left out stay as they are) → 200;
- `DELETE /api/v2/pipelines/{id}` archives → 204; archived pipelines are listed only with `includeDeleted=true`.
An archived pipeline reads as a 404 by id [unverified]. A pipeline is `{id, name, description, createdAt, updatedAt}`; its milestones are `/pipelines/{id}/milestones`
(stages.py). "An account can have at most 30 active pipelines" (the Create a Pipeline operation): the 31st
is refused with 422 [unverified wording]. Writes need an administrator; the sandbox token is one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, read_json
from unigate.sandbox.capsule.common import (
    TOO_MANY_IDS_MESSAGE, TOO_MANY_IDS_STATUS, answer, error, iso, validation_error,
)
from unigate.sandbox.collection import Collection

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

MAX_ACTIVE_PIPELINES = 30
PIPELINE_NOT_FOUND_MESSAGE = "pipeline not found"     # [unverified wording, as "party not found"]
FIRST_PIPELINE_ID = 11_001
SEED_EPOCH = 1_600_100_000
PIPELINE_NAMES = ("Sales", "Renewals", "Partnerships", "Enterprise", "Inbound", "Upsell", "Consulting", "Channel")


class Pipelines(Resource):
    name: ClassVar[str] = "pipelines"
    default_seed_count: ClassVar[int | None] = 16   # several pages of the unified list, within the 30 allowed
    emulator: CapsuleEmulator

    def __init__(self, emulator: CapsuleEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_PIPELINE_ID)

    def seed(self, count: int) -> None:
        self.store.clear()
        for index in range(count):
            pipeline_id = self.store.new_id()
            name = PIPELINE_NAMES[index % len(PIPELINE_NAMES)] + (
                f" {index // len(PIPELINE_NAMES) + 1}" if index >= len(PIPELINE_NAMES) else "")
            stamp = iso(SEED_EPOCH + 3_600 * index)
            self.store.add(str(pipeline_id), {"id": pipeline_id, "name": name,
                                              "description": f"{name} opportunities" if index % 2 == 0 else None,
                                              "createdAt": stamp, "updatedAt": stamp})

    def snapshot(self) -> list[dict[str, Any]]:
        live = set(self.store.ids())
        return [{**p, "archived": str(p["id"]) not in live} for p in self.store.values()]

    def active(self, pipeline_id: Any) -> dict[str, Any] | None:
        if isinstance(pipeline_id, bool) or not isinstance(pipeline_id, int):
            return None
        return self.store.get_active(str(pipeline_id))

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/api/v2/pipelines", g(self.list_pipelines), methods=["GET"]),
            Route("/api/v2/pipelines", g(self.create), methods=["POST"]),
            Route("/api/v2/pipelines/{ids}", g(self.show), methods=["GET"]),
            Route("/api/v2/pipelines/{id}", g(self.update), methods=["PUT"]),
            Route("/api/v2/pipelines/{id}", g(self.archive), methods=["DELETE"]),
        ]

    def find(self, raw: str) -> dict[str, Any] | None:
        """A live pipeline: an archived one is listed with includeDeleted=true only, and read by id as a 404
        [unverified: the Pipeline page says only that archived pipelines are kept]."""
        return self.store.get_active(str(int(raw))) if raw.isdigit() else None

    async def list_pipelines(self, request: Request) -> Response:
        parties = self.emulator.resource("accounts")
        paging = parties.page_params(request)  # type: ignore[attr-defined]
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        archived = request.query_params.get("includeDeleted", "").lower() == "true"
        everything = list(self.store.values()) if archived else list(self.store.live())
        start = (page - 1) * per_page
        window = everything[start:start + per_page + 1]
        headers = {"Link": parties.next_link(request, page, per_page)} if len(window) > per_page else {}  # type: ignore[attr-defined]
        return answer(request, {"pipelines": window[:per_page]}, headers=headers)

    async def show(self, request: Request) -> Response:
        raw = request.path_params["ids"]
        ids = [part for part in raw.split(",") if part]
        if len(ids) > 10:
            return error(request, TOO_MANY_IDS_STATUS, TOO_MANY_IDS_MESSAGE)
        found = [self.find(part) for part in ids]
        if not ids or any(p is None for p in found):
            return error(request, 404, PIPELINE_NOT_FOUND_MESSAGE)
        if "," in raw:
            return answer(request, {"pipelines": found})
        return answer(request, {"pipeline": found[0]})

    async def _payload(self, request: Request) -> dict[str, Any] | Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("pipeline"), dict):
            return error(request, 400, "request body must be a JSON object with a pipeline")
        return body["pipeline"]

    @staticmethod
    def problems(data: dict[str, Any], creating: bool) -> list[dict[str, Any]]:
        found = []
        if (creating or "name" in data) and not (isinstance(data.get("name"), str) and data["name"].strip()):
            found.append({"message": "name is required", "resource": "pipeline", "field": "name"})
        if data.get("description") is not None and not isinstance(data["description"], str):
            found.append({"message": "description is invalid", "resource": "pipeline", "field": "description"})
        return found

    async def create(self, request: Request) -> Response:
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        problems = self.problems(data, creating=True)
        if not problems and len(self.store.ids()) >= MAX_ACTIVE_PIPELINES:
            problems.append({"message": f"an account can have at most {MAX_ACTIVE_PIPELINES} active pipelines",
                             "resource": "pipeline", "field": "name"})
        if problems:
            return validation_error(request, problems)
        now = iso(time.time())
        pipeline = {"id": self.store.new_id(), "name": data["name"].strip(), "description": data.get("description"),
                    "createdAt": now, "updatedAt": now}
        self.store.add(str(pipeline["id"]), pipeline)
        location = str(request.url.replace(path=f"{request.url.path.rstrip('/')}/{pipeline['id']}", query=""))
        return answer(request, {"pipeline": pipeline}, 201, {"Location": location})

    async def update(self, request: Request) -> Response:
        pipeline = self.find(request.path_params["id"])
        if pipeline is None:
            return error(request, 404, PIPELINE_NOT_FOUND_MESSAGE)
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        problems = self.problems(data, creating=False)
        if problems:
            return validation_error(request, problems)
        for key in ("name", "description"):
            if key in data:
                pipeline[key] = data[key].strip() if key == "name" else data[key]
        pipeline["updatedAt"] = iso(time.time())
        return answer(request, {"pipeline": pipeline})

    async def archive(self, request: Request) -> Response:
        pipeline = self.find(request.path_params["id"])
        if pipeline is None:
            return error(request, 404, PIPELINE_NOT_FOUND_MESSAGE)
        self.store.archive(str(pipeline["id"]))
        return Response(status_code=204, headers=request.state.rate_headers)
