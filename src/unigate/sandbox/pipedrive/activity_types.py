"""Pipedrive activity types (API v1 only): the emulator's `engagement_types` resource.

Routes are Pipedrive's (https://developers.pipedrive.com/docs/api/v1/ActivityTypes;
https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v1/api/activity-types-api.ts):

- `GET    /v1/activityTypes`       every type, active or not, in one answer (no paging, no single read)
- `POST   /v1/activityTypes`       create, 200: `name` and `icon_key` required, `color` optional
- `PUT    /v1/activityTypes/{id}`  update `name`, `icon_key`, `color`, `order_nr`
- `DELETE /v1/activityTypes/{id}`  marks the type deleted (`active_flag` false) and answers it

The type (client-nodejs src/versions/v1/models/activity-type.ts): `id`, `name`, `key_string`, `icon_key`,
`color` (6 hex digits or null), `order_nr`, `active_flag`, `is_custom_flag`, `add_time`, `update_time`
(`YYYY-MM-DD HH:MM:SS`, UTC). `key_string` is made from the name when the type is created and never
changes; it is what an activity's `type` holds. The default types of a company (call, meeting, task,
deadline, email, lunch) are not custom (`is_custom_flag` false) [unverified list]; how a custom name becomes
a key_string (lower case, words joined by `_`) is unverified.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.pipedrive.common import Invalid, error, read_body, unauthorized
from unigate.sandbox.pipedrive.notes import v1_time

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

TYPES_PATH = "/v1/activityTypes"
NOT_FOUND_MESSAGE = "Activity type not found"  # [unverified wording]
# ActivityTypeIconKeyConst (client-nodejs src/versions/v1/models/activity-type.ts)
ICON_KEYS = frozenset({
    "task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow", "document", "smartphone",
    "camera", "scissors", "cogs", "bubble", "uparrow", "checkbox", "signpost", "shuffle", "addressbook",
    "linegraph", "picture", "car", "world", "search", "clip", "sound", "brush", "key", "padlock", "pricetag",
    "suitcase", "finish", "plane", "loop", "wifi", "truck", "cart", "bulb", "bell", "presentation"})
DEFAULT_TYPES = (("Call", "call"), ("Meeting", "meeting"), ("Task", "task"), ("Deadline", "deadline"),
                 ("Email", "email"), ("Lunch", "lunch"))
_CUSTOM = (("Demo", "presentation"), ("Site visit", "car"), ("Webinar", "camera"), ("Contract review", "document"),
           ("Training", "bulb"), ("Onboarding", "checkbox"), ("Workshop", "cogs"), ("Trade fair", "plane"),
           ("Text message", "smartphone"), ("Delivery", "truck"), ("Quarterly review", "linegraph"),
           ("Reference call", "sound"))
_COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")
_SEED_START = datetime(2023, 1, 2, 8, 0, 0, tzinfo=UTC)


def key_string(name: str) -> str:
    """The key a new type gets from its name [unverified rule]."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "type"


class ActivityTypes(Resource):
    name: ClassVar[str] = "engagement_types"
    default_seed_count: ClassVar[int | None] = 18
    emulator: PipedriveEmulator

    def __init__(self, emulator: PipedriveEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=1, number_of=int)

    def seed(self, count: int) -> None:
        """The six default types, then custom ones (the last of them deleted)."""
        self.store.clear()
        kinds = [(name, icon, False) for name, icon in DEFAULT_TYPES] + [(n, i, True) for n, i in _CUSTOM]
        for index in range(count):
            name, icon, custom = kinds[index % len(kinds)]
            if index >= len(kinds):
                name = f"{name} {index // len(kinds) + 1}"
            stamp = v1_time(_SEED_START + timedelta(days=index, minutes=7 * index))
            type_id = self.store.new_id()
            self.store.add(type_id, {
                "id": type_id, "order_nr": index + 1, "name": name,
                "key_string": icon if not custom else key_string(name), "icon_key": icon,
                "active_flag": not (custom and index == count - 1), "color": "FFB300" if custom and index % 2 else None,
                "is_custom_flag": custom, "add_time": stamp, "update_time": stamp})

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [Route(TYPES_PATH, self.list_or_create, methods=["GET", "POST"]),
                Route(TYPES_PATH + "/{id}", self.one, methods=["PUT", "DELETE"])]

    # Activities ask whether a type exists.
    def active_key(self, key: str) -> bool:
        return any(t["key_string"] == key and t["active_flag"] for t in self.store.live())

    def first_active_key(self) -> str | None:
        return next((t["key_string"] for t in self.store.live() if t["active_flag"]), None)

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        changes: dict[str, Any] = {}
        if creating or "name" in body:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise Invalid("Name is required")  # [unverified wording]
            changes["name"] = name
        if creating or "icon_key" in body:
            if not member(body.get("icon_key"), ICON_KEYS):
                raise Invalid("icon_key must be one of the allowed icons")  # [unverified wording]
            changes["icon_key"] = body["icon_key"]
        if "color" in body:
            color = body["color"]
            if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
                raise Invalid("color must be 6 hexadecimal digits")  # [unverified wording]
            changes["color"] = color
        if "order_nr" in body:
            if isinstance(body["order_nr"], bool) or not isinstance(body["order_nr"], int):
                raise Invalid("order_nr must be an integer")
            changes["order_nr"] = body["order_nr"]
        record.update(changes)

    async def list_or_create(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        if request.method == "GET":
            return json_response({"success": True, "data": [dict(r) for r in self.store.live()]}, headers=headers)
        try:
            body = await read_body(request)
            stamp = v1_time(datetime.now(UTC))
            record = {"id": 0, "order_nr": len(self.store) + 1, "name": "", "key_string": "", "icon_key": "",
                      "active_flag": True, "color": None, "is_custom_flag": True, "add_time": stamp,
                      "update_time": stamp}
            self._apply(record, body, creating=True)
            taken = {t["key_string"] for t in self.store.live()}
            key, suffix = key_string(record["name"]), 2
            while key in taken:  # [unverified] a clashing key gets a number
                key, suffix = f"{key_string(record['name'])}_{suffix}", suffix + 1
            record["key_string"] = key
            record["id"] = self.store.new_id()
            self.store.add(record["id"], record)
            return json_response({"success": True, "data": dict(record)}, headers=headers)
        except Invalid as exc:
            return error(400, str(exc), headers)

    async def one(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            try:
                type_id = int(request.path_params["id"])
            except ValueError:
                raise Invalid("id must be an integer") from None
            record = self.store.get_active(type_id)
            if record is None or not record["active_flag"]:
                return error(404, NOT_FOUND_MESSAGE, headers)
            if request.method == "DELETE":
                record["active_flag"] = False
                record["update_time"] = v1_time(datetime.now(UTC))
                return json_response({"success": True, "data": dict(record)}, headers=headers)
            self._apply(record, await read_body(request), creating=False)
            record["update_time"] = v1_time(datetime.now(UTC))
            return json_response({"success": True, "data": dict(record)}, headers=headers)
        except Invalid as exc:
            return error(400, str(exc), headers)
