"""Nutshell pipelines and stages: `GET /rest/stagesets` and `GET /rest/stages` (https://app.nutshell.com/swagger.json).

- Both answer a bare JSON array (swagger "type: array"); REST has no get, create, update or delete for them.
- Stageset: {id "1-stagesets", type, name, default, canAccess, status (1 active, 2 draft, 3 retired)}.
- Stage: {id "101-stages", type, name, description, position, numSteps, canAdvanceStage, links}; the swagger
  types `links` as an array of {stageset}, every other entity (and a lead's `links.stage`) as an object, so
  the stage carries the object form `{"stageset": "1-stagesets"}`. [unverified: no capture of /stages]
- Won and lost are outcomes, not stages (swagger /outcomes).
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response

# (name, [stage names]): the seeded pipelines, the first the instance's default.
_STAGESETS = [
    ("Sales Process", ["Qualify", "Present", "Propose", "Negotiate", "Close"]),
    ("Enterprise", ["Discovery", "Solution Design", "Security Review", "Procurement"]),
    ("Renewals", ["Review", "Quote", "Commit"]),
]
_TEAMS = ["East", "West", "Central", "Channel", "Inside Sales", "Public Sector", "Healthcare", "Education",
          "Retail", "Startups", "Agencies", "Nonprofit", "International"]
STATUS_ACTIVE = 1


def _stageset_plan(index: int) -> tuple[str, list[str]]:
    """The seeded stageset `index`: the three above, then one team copy of the sales process per team."""
    if index < len(_STAGESETS):
        return _STAGESETS[index]
    team = _TEAMS[(index - len(_STAGESETS)) % len(_TEAMS)]
    round_ = (index - len(_STAGESETS)) // len(_TEAMS)
    return f"{team} Sales" + (f" {round_ + 1}" if round_ else ""), _STAGESETS[0][1][index % 2:]


class Stagesets(Resource):
    """Pipelines by id (`self.records`, in id order)."""

    name = "pipelines"
    default_seed_count: ClassVar[int | None] = 16      # several list pages at the contract suite's page size

    def routes(self) -> list[Route]:
        return [Route("/rest/stagesets", self.emulator._guard(self.list_stagesets), methods=["GET"])]

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        for i in range(min(count, 100)):    # an instance keeps a handful of pipelines; large resets stay small
            name = _stageset_plan(i)[0]
            sid = f"{i + 1}-stagesets"
            self.records[sid] = {"id": sid, "type": "stagesets", "name": name, "default": i == 0,
                                 "canAccess": True, "status": STATUS_ACTIVE, "seed_index": i}

    def snapshot(self) -> Any:
        return [self.render(s) for s in self.records.values()]

    @staticmethod
    def render(stageset: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in stageset.items() if k != "seed_index"}

    def default(self) -> dict[str, Any] | None:
        return next((s for s in self.records.values() if s["default"]), None)

    async def list_stagesets(self, request: Request) -> Response:
        return json_response([self.render(s) for s in self.records.values()])


class Stages(Resource):
    """Stages by id, each in one stageset (`links.stageset`), ordered by `position` within it."""

    name = "stages"

    def routes(self) -> list[Route]:
        return [Route("/rest/stages", self.emulator._guard(self.list_stages), methods=["GET"])]

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        n = 101
        for stageset in self.emulator.resource("pipelines").records.values():
            for position, name in enumerate(_stageset_plan(stageset["seed_index"])[1]):
                sid = f"{n}-stages"
                self.records[sid] = {"id": sid, "type": "stages", "name": name, "description": "",
                                     "position": position, "numSteps": 0, "canAdvanceStage": True,
                                     "links": {"stageset": stageset["id"]}}
                n += 1

    def snapshot(self) -> Any:
        return list(self.records.values())

    def of(self, stageset_id: str) -> list[dict[str, Any]]:
        return sorted((s for s in self.records.values() if s["links"]["stageset"] == stageset_id),
                      key=lambda s: s["position"])

    async def list_stages(self, request: Request) -> Response:
        return json_response(list(self.records.values()))
