"""Capsule API v2 milestones (an opportunity pipeline's stages): the emulator's `stages` resource.

https://developer.capsulecrm.com/v2/operations/Milestone :
- `GET /api/v2/pipelines/{pipelineId}/milestones?page=&perPage=` → `{"milestones": [...]}` in the pipeline's
  order, `Link` to the next page (an unknown pipeline is a 404);
- `GET /api/v2/milestones`: the milestones of the oldest active pipeline only (the legacy list);
- `GET /api/v2/milestones/{id}` → `{"milestone": {...}}`;
- `POST /api/v2/milestones` `{"milestone": {"name", "description", "probability", "pipeline": {"id"}}}` → 201 with
  `Location`; `PUT /api/v2/milestones/{id}`; `DELETE /api/v2/milestones/{id}` → 204. These three are listed on the
  operations page but their bodies beyond name/description/probability are [unverified]: the pipeline is
  named as `pipeline: {id}` (required here, the stricter reading), and a milestone an opportunity sits in
  cannot be deleted (422) [unverified].
A milestone is `{id, name, description, complete, probability, daysUntilStale, pipeline {id, name}, createdAt,
updatedAt}`; Won (complete, probability 100) and Lost (complete, 0) are ordinary milestones, and
`daysUntilStale` is absent on complete ones (the page's examples). No order field: the list's order is the
pipeline's, new milestones going before the pipeline's complete ones [unverified].
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, read_json
from unigate.sandbox.capsule.common import answer, error, iso, validation_error
from unigate.sandbox.collection import Collection

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

MILESTONE_NOT_FOUND_MESSAGE = "milestone not found"   # [unverified wording, as "party not found"]
FIRST_MILESTONE_ID = 14                               # the Create an Opportunity example uses milestone 14
SEED_EPOCH = 1_600_100_000
# (name, probability, complete) per seeded pipeline: the open milestones, then Won and Lost.
# The oldest pipeline is a long one (its milestones are what GET /milestones lists, several pages of them).
MILESTONE_PLANS = (
    (("Lead", 5, False), ("Contacted", 10, False), ("Needs Analysis", 15, False), ("Qualified", 20, False),
     ("Demo Booked", 25, False), ("Demo Done", 30, False), ("Proposal", 40, False), ("Revised Proposal", 50, False),
     ("Negotiation", 60, False), ("Legal Review", 70, False), ("Verbal Yes", 80, False), ("Contract Sent", 90, False),
     ("Contract Signed", 95, False), ("Kick-off", 95, False)),
    (("New", 10, False), ("Qualified", 30, False), ("Proposal", 60, False), ("Negotiation", 80, False)),
    (("Renewal Due", 50, False), ("Quote Sent", 70, False)),
    (("Introduced", 10, False), ("Discovery", 25, False), ("Pilot", 60, False)),
)
CLOSING = (("Won", 100, True), ("Lost", 0, True))


class Stages(Resource):
    name: ClassVar[str] = "stages"
    emulator: CapsuleEmulator

    def __init__(self, emulator: CapsuleEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_MILESTONE_ID)

    def seed(self, count: int) -> None:
        """Each seeded pipeline's milestones (`count` is not used: a pipeline's are its plan's)."""
        self.store.clear()
        self.order: dict[int, list[int]] = {}
        for index, pipeline in enumerate(self._pipelines().live()):
            for name, probability, complete in (*MILESTONE_PLANS[index % len(MILESTONE_PLANS)], *CLOSING):
                self._add(pipeline, {"name": name, "probability": probability, "complete": complete,
                                     "description": None}, iso(SEED_EPOCH + index))

    def _pipelines(self) -> Collection:
        return self.emulator.resource("pipelines").store  # type: ignore[attr-defined,no-any-return]

    def _add(self, pipeline: dict[str, Any], data: dict[str, Any], stamp: str) -> dict[str, Any]:
        milestone = {"id": self.store.new_id(), "name": data["name"], "description": data.get("description"),
                     "complete": data["complete"], "probability": data["probability"],
                     "pipeline": {"id": pipeline["id"], "name": pipeline["name"]}, "createdAt": stamp,
                     "updatedAt": stamp}
        if not data["complete"]:
            milestone["daysUntilStale"] = 30
        self.store.add(str(milestone["id"]), milestone)
        ordered = self.order.setdefault(pipeline["id"], [])
        if data["complete"]:
            ordered.append(milestone["id"])
        else:   # open milestones go before the closing ones
            closing = next((n for n, i in enumerate(ordered) if self.store.get(str(i))["complete"]), len(ordered))
            ordered.insert(closing, milestone["id"])
        return milestone

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(m) for m in self.store.live()]

    def render(self, milestone: dict[str, Any]) -> dict[str, Any]:
        pipeline = self._pipelines().get(str(milestone["pipeline"]["id"]))
        return {**milestone, "pipeline": {"id": pipeline["id"], "name": pipeline["name"]}} if pipeline else milestone

    def of_pipeline(self, pipeline_id: int) -> list[dict[str, Any]]:
        return [self.store.get(str(i)) for i in self.order.get(pipeline_id, [])]  # type: ignore[misc]

    def find(self, milestone_id: Any) -> dict[str, Any] | None:
        if isinstance(milestone_id, bool) or not isinstance(milestone_id, int):
            return None
        return self.store.get(str(milestone_id))

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/api/v2/pipelines/{pipeline_id}/milestones", g(self.list_of_pipeline), methods=["GET"]),
            Route("/api/v2/milestones", g(self.list_legacy), methods=["GET"]),
            Route("/api/v2/milestones", g(self.create), methods=["POST"]),
            Route("/api/v2/milestones/{id}", g(self.show), methods=["GET"]),
            Route("/api/v2/milestones/{id}", g(self.update), methods=["PUT"]),
            Route("/api/v2/milestones/{id}", g(self.delete), methods=["DELETE"]),
        ]

    def _page(self, request: Request, milestones: list[dict[str, Any]]) -> Response:
        parties = self.emulator.resource("accounts")
        paging = parties.page_params(request)  # type: ignore[attr-defined]
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        start = (page - 1) * per_page
        window = milestones[start:start + per_page + 1]
        headers = {"Link": parties.next_link(request, page, per_page)} if len(window) > per_page else {}  # type: ignore[attr-defined]
        return answer(request, {"milestones": [self.render(m) for m in window[:per_page]]}, headers=headers)

    async def list_of_pipeline(self, request: Request) -> Response:
        raw = request.path_params["pipeline_id"]
        pipeline = self._pipelines().get(str(int(raw))) if raw.isdigit() else None
        if pipeline is None:
            return error(request, 404, "pipeline not found")
        return self._page(request, self.of_pipeline(pipeline["id"]))

    async def list_legacy(self, request: Request) -> Response:
        oldest = next(iter(self._pipelines().live()), None)
        return self._page(request, self.of_pipeline(oldest["id"]) if oldest else [])

    async def show(self, request: Request) -> Response:
        raw = request.path_params["id"]
        milestone = self.store.get_active(str(int(raw))) if raw.isdigit() else None
        if milestone is None:
            return error(request, 404, MILESTONE_NOT_FOUND_MESSAGE)
        return answer(request, {"milestone": self.render(milestone)})

    async def _payload(self, request: Request) -> dict[str, Any] | Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("milestone"), dict):
            return error(request, 400, "request body must be a JSON object with a milestone")
        return body["milestone"]

    @staticmethod
    def problems(data: dict[str, Any], creating: bool) -> list[dict[str, Any]]:
        found = []
        if (creating or "name" in data) and not (isinstance(data.get("name"), str) and data["name"].strip()):
            found.append({"message": "name is required", "resource": "milestone", "field": "name"})
        chance = data.get("probability")
        if chance is not None and (isinstance(chance, bool) or not isinstance(chance, int) or not 0 <= chance <= 100):
            found.append({"message": "probability must be between 0 and 100", "resource": "milestone",
                          "field": "probability"})
        return found

    async def create(self, request: Request) -> Response:
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        problems = self.problems(data, creating=True)
        pipeline_ref = data.get("pipeline")
        pipeline_id = pipeline_ref.get("id") if isinstance(pipeline_ref, dict) else None
        pipeline = self.emulator.resource("pipelines").active(pipeline_id)  # type: ignore[attr-defined]
        if pipeline is None:
            problems.append({"message": "pipeline not found", "resource": "milestone", "field": "pipeline"})
        if problems:
            return validation_error(request, problems)
        milestone = self._add(pipeline, {"name": data["name"].strip(), "description": data.get("description"),
                                         "probability": data.get("probability") or 0, "complete": False},
                              iso(time.time()))
        location = str(request.url.replace(path=f"{request.url.path.rstrip('/')}/{milestone['id']}", query=""))
        return answer(request, {"milestone": self.render(milestone)}, 201, {"Location": location})

    async def update(self, request: Request) -> Response:
        raw = request.path_params["id"]
        milestone = self.store.get_active(str(int(raw))) if raw.isdigit() else None
        if milestone is None:
            return error(request, 404, MILESTONE_NOT_FOUND_MESSAGE)
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        problems = self.problems(data, creating=False)
        if problems:
            return validation_error(request, problems)
        for key in ("name", "description", "probability"):
            if key in data:
                milestone[key] = data[key].strip() if key == "name" else data[key]
        milestone["updatedAt"] = iso(time.time())
        return answer(request, {"milestone": self.render(milestone)})

    async def delete(self, request: Request) -> Response:
        raw = request.path_params["id"]
        milestone = self.store.get_active(str(int(raw))) if raw.isdigit() else None
        if milestone is None:
            return error(request, 404, MILESTONE_NOT_FOUND_MESSAGE)
        deals = self.emulator.resource("opportunities").store  # type: ignore[attr-defined]
        if any(d["milestone"]["id"] == milestone["id"] for d in deals.live()):
            return validation_error(request, [{"message": "milestone has opportunities", "resource": "milestone",
                                               "field": "id"}])
        self.store.delete(str(milestone["id"]))
        self.order[milestone["pipeline"]["id"]].remove(milestone["id"])
        return Response(status_code=204, headers=request.state.rate_headers)
