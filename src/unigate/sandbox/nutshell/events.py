"""Nutshell's events feed, its change log: `GET /rest/events` and `GET /rest/events/deleted`
(https://app.nutshell.com/swagger.json, "Events (Timeline)"; reference https://developers.nutshell.com/reference/get_events).

Nutshell's REST records carry no modification time and its lists take no filter on one
(https://developers.nutshell.com/docs/filters), so what changed since a time is read here: "a record of everything
that happened in Nutshell". The sandbox logs an event for every create, update, delete and undelete of its
accounts, contacts and leads (and one `create` per seeded record, at its creation time).

- `/events` parameters (swagger): `since_time` / `max_time` (unix seconds: events "after" / "before" the time),
  `since_id` (ids "greater than") / `max_id` (ids "less than or equal to"), `entity_id` (events about one
  record), `limit`, `filters[payload][]` (entity types), `events[]` opt-ins (accepted, nothing to opt into here).
- The answer (recorded from a live instance in amp-labs/connectors, providers/nutshell/test/read/events/
  1-first-page.json): `{meta: {next, previous, last, instanceId, siteId}, links: {}, events: [...], actors: [],
  payloads: [the records the events are about]}`, events newest first, each `{id "N-events", type "events",
  createdTime (unix), actorType, payloadType, action ("create", "stagechange", ...), changes: [{attribute,
  oldValue, newValue}], count, links: {comments, actor, payloads: [record ids]}}`. `meta.next` polls for newer
  events (`limit`, `since_id` and `since_time` of the newest event on the page); `meta.previous` reads older ones
  (`max_id` and `max_time` of the oldest; `last` is that id).
- Left open by the sources, so switches (`EVENTS_SWITCHES`, part of the emulator's switches):
  - `events_max_limit`: the most events one answer holds. The recorded answer's `next` carries `limit=20`
    although Ampersand's connector asks for 10,000: the feed may cap at 20 (default), or honour any limit.
  - `events_since_time_inclusive`: `since_time` keeps events "after" the time (swagger, default) or also those in
    its second.
  - `events_list_deletes`: a delete is only in `/events/deleted` (default) or also in `/events` (action `delete`).
- The action of an edit is not recorded anywhere: the sandbox writes `update` [unverified]; a moved pipeline is
  `stagechange` with the new stage in `changes` (recorded). Whether every field edit makes an event is
  [unverified]: the sandbox logs every successful write.
- `/events/deleted`: "every time an entity was deleted", `filter[types]` (one type) and `sort=-change_time`
  (newest first; oldest first without it) [unverified: the swagger gives no paging, so one answer holds them all].
"""

from __future__ import annotations

import re
import time
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.nutshell.common import HOST, NutshellError

DEFAULT_LIMIT = 20            # the recorded answer's `next` link
# Behaviours the sources leave open (see the module docstring), the default first; the emulator adds them to its
# own switches.
EVENTS_SWITCHES: dict[str, tuple[object, ...]] = {
    "events_max_limit": (20, 10_000),
    "events_since_time_inclusive": (False, True),
    "events_list_deletes": (False, True),
}
# swagger: the entity types `filters[payload][]` and `filter[types]` take.
PAYLOAD_TYPES = ("accounts", "activities", "assignments", "chats", "companyEnrichment", "constantContact", "contacts",
                 "emails", "emailInteraction", "formSubmissions", "inbox_threads", "leadUpdates", "leads",
                 "marketingEmails", "mcfxSessions", "notes", "queued", "ticketMessages", "undelivered", "unshared")
OPT_INS = ("comments", "mailchimp", "followup", "constantContact", "emailInteraction", "assignments", "formSubmissions")
LOGGED = ("accounts", "contacts", "leads")     # the sandbox's records that log their changes
MAX_LOGGED = 50_000           # the sandbox keeps the newest events of a data space, so the log stays bounded
_EVENT_ID = re.compile(r"^(\d{1,12})-events$")
_INTEGER = re.compile(r"^\d{1,12}$")


def _event_number(event_id: str) -> int:
    return int(event_id.split("-", 1)[0])


class Events(Resource):
    """The change log of one data space, oldest first (`self.log`; deletions also in `self.deleted`)."""

    name = "events"
    default_seed_count: ClassVar[int | None] = 0

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [
            Route("/rest/events", g(self.list_events), methods=["GET"]),
            Route("/rest/events/deleted", g(self.list_deleted), methods=["GET"]),
        ]

    def snapshot(self) -> Any:
        return list(self.log)

    def count(self) -> int:
        return len(self.log)

    def seed(self, count: int) -> None:
        """One `create` event per seeded record, at its creation time, in time order (`count` is not used: the
        log follows the records seeded before it)."""
        self.log: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self._next_number = 1
        seeded = []
        for kind in LOGGED:
            for record in self._store(kind).values():
                created = record.get("createdTime")
                if isinstance(created, dict):          # a lead's time object
                    created = created.get("timestamp")
                seeded.append((created or 0, kind, record["id"]))
        for created, kind, record_id in sorted(seeded, key=lambda s: s[0]):
            self._append(kind, record_id, "create", [], created)

    def _store(self, kind: str) -> Any:
        return self.emulator.resource({"leads": "opportunities"}.get(kind, kind)).store

    # -- what the other resources call ---------------------------------------------------------------
    def record(self, kind: str, record_id: str, action: str, changes: list[dict[str, Any]] | None = None) -> None:
        """Log a change of a record of `kind` (accounts, contacts, leads) made now."""
        now = int(time.time())
        if action == "delete":
            self.deleted.append(self._event(kind, record_id, action, [], now))
            if not self.emulator.switch["events_list_deletes"]:
                return
        self._append(kind, record_id, action, changes or [], now)

    def _append(self, kind: str, record_id: str, action: str, changes: list[dict[str, Any]], at: int) -> None:
        self.log.append(self._event(kind, record_id, action, changes, at))
        if len(self.log) > MAX_LOGGED:
            del self.log[: len(self.log) - MAX_LOGGED]

    def _event(self, kind: str, record_id: str, action: str, changes: list[dict[str, Any]], at: int) -> dict[str, Any]:
        event_id = f"{self._next_number}-events"
        self._next_number += 1
        return {"id": event_id, "type": "events", "createdTime": at, "actorType": "users", "payloadType": kind,
                "action": action, "changes": changes, "count": None,
                "links": {"comments": [], "actor": "1-users", "payloads": [record_id]}}

    # -- handlers -------------------------------------------------------------------------------------
    async def list_events(self, request: Request) -> Response:
        params = request.query_params
        raw_limit = params.get("limit", str(DEFAULT_LIMIT))
        if not _INTEGER.match(raw_limit) or int(raw_limit) < 1:
            raise NutshellError(400, "Invalid filter", f"Invalid limit: {raw_limit[:40]}")
        limit = min(int(raw_limit), self.emulator.switch["events_max_limit"])
        since_time, max_time = self._time(params, "since_time"), self._time(params, "max_time")
        since_id, max_id = self._id(params, "since_id"), self._id(params, "max_id")
        types = params.getlist("filters[payload][]")
        for kind in types:
            if kind not in PAYLOAD_TYPES:
                raise NutshellError(400, "Invalid filter", f"Unknown payload type: {kind[:40]}")
        for opt_in in params.getlist("events[]"):
            if opt_in not in OPT_INS:
                raise NutshellError(400, "Invalid filter", f"Unknown event type: {opt_in[:40]}")
        entity = params.get("entity_id")
        inclusive = self.emulator.switch["events_since_time_inclusive"]
        page = []
        for event in reversed(self.log):                   # newest first
            number, at = _event_number(event["id"]), event["createdTime"]
            if max_id is not None and number > max_id:
                continue
            if since_id is not None and number <= since_id:
                break                                      # ids only fall from here on
            if since_time is not None and (at < since_time if inclusive else at <= since_time):
                continue
            if max_time is not None and at >= max_time:
                continue
            if types and event["payloadType"] not in types:
                continue
            if entity is not None and entity not in event["links"]["payloads"]:
                continue
            page.append(event)
            if len(page) == limit:
                break
        meta: dict[str, Any] = {"next": None, "previous": None, "last": None}
        if page:
            newest, oldest = page[0], page[-1]
            meta = {"next": f"{HOST}/rest/events?limit={limit}&since_id={newest['id']}&since_time={newest['createdTime']}",
                    "previous": f"{HOST}/rest/events?limit={limit}&max_id={oldest['id']}&max_time={oldest['createdTime']}",
                    "last": oldest["id"]}
        return json_response({"meta": {**meta, **self.emulator._meta()}, "links": {}, "events": page, "actors": [],
                              "payloads": self._payloads(page)})

    async def list_deleted(self, request: Request) -> Response:
        params = request.query_params
        kind = params.get("filter[types]")
        if kind is not None and kind not in PAYLOAD_TYPES:
            raise NutshellError(400, "Invalid filter", f"Unknown type: {kind[:40]}")
        sort = params.get("sort")
        if sort is not None and sort != "-change_time":
            raise NutshellError(400, "Invalid sort", f"Cannot sort by {sort[:40]}")
        events = [e for e in self.deleted if kind is None or e["payloadType"] == kind]
        if sort:
            events.reverse()
        return json_response({"meta": {"next": None, "previous": None, **self.emulator._meta()}, "links": {},
                              "events": events, "actors": [], "payloads": []})

    # -- helpers --------------------------------------------------------------------------------------
    @staticmethod
    def _time(params: Any, name: str) -> int | None:
        raw = params.get(name)
        if raw is None:
            return None
        if not _INTEGER.match(raw):
            raise NutshellError(400, "Invalid filter", f"{name} must be a unix timestamp, not {raw[:40]!r}")
        return int(raw)

    @staticmethod
    def _id(params: Any, name: str) -> int | None:
        raw = params.get(name)
        if raw is None:
            return None
        match = _EVENT_ID.match(raw)
        if not match:
            raise NutshellError(400, "Invalid filter", f"{name} must be an event id, not {raw[:40]!r}")
        return int(match.group(1))

    def _payloads(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records the events are about, as stored now (once each; a contact without createdTime when the
        contacts' answers leave it out)."""
        seen: dict[str, dict[str, Any]] = {}
        for event in events:
            kind = event["payloadType"]
            for record_id in event["links"]["payloads"]:
                record = self._store(kind).get(record_id) if kind in LOGGED else None
                if record is not None and record_id not in seen:
                    if kind == "contacts" and not self.emulator.switch["contact_created_time"]:
                        record = {k: v for k, v in record.items() if k != "createdTime"}
                    seen[record_id] = {k: v for k, v in record.items() if k != "customFields"}
        return list(seen.values())
