"""Custom activities: the kinds of activity the Emails & Activities (E&A) app logs on a CRM item's timeline
(Meeting, Call summary, and the account's own). Read with the root `custom_activity(ids, name, icon_id, color)`
query (at most 50, root only), written with `create_custom_activity(name, icon_id, color)` and
`delete_custom_activity(id)`.

Sources: https://developer.monday.com/api-reference/reference/custom-activity (fields `id name type icon_id color`,
the 50 limit, "default activities, like Meeting or Call Summary"),
https://developer.monday.com/api-reference/changelog/new-custom-activity-object (API 2024-10 and later), and the
`CustomActivityColor` / `CustomActivityIcon` enums of https://github.com/mondaycom/monday-graphql-api (api-types).
- `type` is documented as a string without its values: the emulator answers "default" for the built-in kinds and
  "custom" for the account's own. [unverified]
- The timeline items themselves are read one item at a time (`timeline(id:)`), which the emulator does not serve.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.routing import Route

from unigate.sandbox.base import Resource, member
from unigate.sandbox.monday import graphql as gql

MAX_CUSTOM_ACTIVITIES = 50
COLORS = ("BRINK_PINK", "CELTIC_BLUE", "CORNFLOWER_BLUE", "DINGY_DUNGEON", "GO_GREEN", "GRAY", "LIGHT_DEEP_PINK",
          "LIGHT_HOT_PINK", "MAYA_BLUE", "MEDIUM_TURQUOISE", "PARADISE_PINK", "PHILIPPINE_GREEN", "PHILIPPINE_YELLOW",
          "SLATE_BLUE", "VIVID_CERULEAN", "YANKEES_BLUE", "YELLOW_GREEN", "YELLOW_ORANGE")
ICONS = ("ASCENDING", "CAMERA", "CONFERENCE", "FLAG", "GIFT", "HEADPHONES", "HOMEKEYS", "LOCATION", "NOTEBOOK",
         "PAPERPLANE", "PLANE", "PLIERS", "TRIPOD", "TWOFLAGS", "UTENCILS")
_SEED = [("Meeting", "CONFERENCE"), ("Call summary", "HEADPHONES"), ("Demo", "TRIPOD"), ("Site visit", "LOCATION"),
         ("Lunch", "UTENCILS"), ("Trade show", "FLAG"), ("Sent proposal", "PAPERPLANE"), ("Gift sent", "GIFT"),
         ("Onboarding call", "HEADPHONES"), ("Travel", "PLANE"), ("Workshop", "NOTEBOOK"), ("Photo shoot", "CAMERA"),
         ("Office visit", "HOMEKEYS"), ("Upsell", "ASCENDING"), ("Repair visit", "PLIERS"), ("Kick-off", "TWOFLAGS")]
_BUILT_IN = 2


class CustomActivities(Resource):
    """The account's custom activities by id (`self.records`, in creation order)."""

    name = "engagement_types"
    default_seed_count: ClassVar[int | None] = len(_SEED)

    def routes(self) -> list[Route]:
        return []                                   # served by the emulator's `POST /v2`

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.next_id = 1
        for i in range(min(max(count, _BUILT_IN), MAX_CUSTOM_ACTIVITIES) if count else 0):  # empty space: none
            name, icon = _SEED[i] if i < len(_SEED) else (f"Custom activity {i + 1}", ICONS[i % len(ICONS)])
            self._add(name, icon, COLORS[i % len(COLORS)], "default" if i < _BUILT_IN else "custom")

    def _add(self, name: str, icon: str, color: str, kind: str) -> dict[str, Any]:
        activity_id = f"{self.next_id:04d}a1c3-5e7f-4b2d-9c0e-{self.next_id:012d}"
        self.next_id += 1
        record = {"id": activity_id, "name": name, "type": kind, "icon_id": icon, "color": color}
        self.records[activity_id] = record
        return record

    def snapshot(self) -> Any:
        return list(self.records.values())

    # -- GraphQL ---------------------------------------------------------------------------------------
    def query(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        ids = set(self.emulator._ids(args.get("ids")))
        name = (args.get("name") or "").lower()
        found = [a for a in self.records.values()
                 if (not ids or a["id"] in ids) and name in a["name"].lower()
                 and args.get("icon_id") in (None, a["icon_id"]) and args.get("color") in (None, a["color"])]
        return [{"__typename": "CustomActivity", **a} for a in found[:MAX_CUSTOM_ACTIVITIES]]

    def mutate(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        if name == "create_custom_activity":
            label = args.get("name")
            if not isinstance(label, str) or not label.strip():
                raise gql.FieldError("Custom activity name can't be empty", "InvalidArgumentException", 400)
            if not member(args.get("icon_id"), ICONS) or not member(args.get("color"), COLORS):
                raise gql.FieldError("Invalid icon_id or color", "InvalidArgumentException", 400)
            if len(self.records) >= MAX_CUSTOM_ACTIVITIES:
                raise gql.FieldError(f"An account has at most {MAX_CUSTOM_ACTIVITIES} custom activities",
                                     "InvalidArgumentException", 400)
            return {"__typename": "CustomActivity", **self._add(label, args["icon_id"], args["color"], "custom")}
        record = self.records.pop(str(args.get("id")), None)        # delete_custom_activity
        if record is None:
            raise gql.FieldError("Custom activity not found", "ResourceNotFoundException", 404, {"id": args.get("id")})
        return {"__typename": "CustomActivity", **record}
