"""Nutshell notes: `/rest/notes` list, read, create, soft delete and undelete (no update in REST).

Sources: the vendor's OpenAPI (https://app.nutshell.com/swagger.json, /notes; reference pages under
https://developers.nutshell.com/reference): list with `page[limit]` + 0-based `page[page]` and no filter;
`POST /notes` takes `{"data": {"body": "...", "links": {"parent": "3-contacts"}}}` (one object under `data`,
not the plural array other entities use) and answers **201**; `DELETE /notes/{id}` answers **200** with the
note, restorable through `POST /notes/{id}/undelete`. There is no REST update (the older JSON-RPC API's
`editNote` lets only the author edit a note, within 24 hours: https://developers-rpc.nutshell.com/detail/class_core.html).

The note's shape follows a live note recorded in amp-labs/connectors (`providers/nutshell/test/read/events`):
`{id "3-notes", type, createdTime (Unix seconds), deletedTime, body (plain text), bodyHtml, bodyMarkup,
isEditable, parentType ("contacts"), href, htmlUrl, links {comments, parent, accounts, contacts, leads, users,
teams}}`. The note hangs off one record, `links.parent` (a person, a company or a lead); the recorded note's
`links.users` held the user its body mentions, so the other link lists are what a body mentions (`@[Users:1]`
in `bodyMarkup`), which the emulator leaves empty. [unverified: mentions]
The body is kept as written; `bodyHtml` is its HTML rendering (text escaped, line breaks as `<br>`). [unverified]
"""

from __future__ import annotations

import html
import re
import time
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.nutshell.common import HOST, SEED_EPOCH, NutshellError, formatted_number, json_body

CREATE_STATUS = 201          # swagger: POST /notes -> 201
DELETE_STATUS = 200          # swagger: DELETE /notes/{id} -> 200 with the note
DEFAULT_PAGE_LIMIT = 50      # as the other lists (no documented default) [unverified]
MAX_PAGE_LIMIT = 10_000
# What a note may hang off, by the id's type part (swagger example "3-contacts"; accounts and leads
# are the other records Nutshell shows notes on). [unverified beyond contacts]
PARENT_RESOURCES = {"contacts": "contacts", "accounts": "accounts", "leads": "opportunities"}
_ID = re.compile(r"^(\d+)-notes$")
_TEXTS = ["Called about the renewal; they want a quote by Friday.",
          "Met at the trade show.\nInterested in the enterprise plan.",
          "Sent the <b>security questionnaire</b> back.",
          "Budget approved for Q3.",
          "Asked for a second demo with their IT team."]


def _note_id(number: int) -> str:
    return f"{number}-notes"


def _note_number(note_id: str) -> int:
    return int(note_id.split("-", 1)[0])


def render_html(body: str) -> str:
    return html.escape(body).replace("\n", "<br>")


class Notes(Resource):
    """Nutshell notes in `self.store` (`N-notes` ids; a deleted note is archived and keeps `deletedTime`)."""

    name = "notes"
    default_seed_count: ClassVar[int | None] = 30

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [
            Route("/rest/notes", g(self.list_notes), methods=["GET"]),
            Route("/rest/notes", g(self.create_note), methods=["POST"]),
            Route("/rest/notes/{id}", g(self.get_note), methods=["GET"]),
            Route("/rest/notes/{id}", g(self.delete_note), methods=["DELETE"]),
            Route("/rest/notes/{id}/undelete", g(self.undelete_note), methods=["POST"]),
        ]

    def snapshot(self) -> Any:
        return list(self.store.values())

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Notes on people, companies and leads in turn."""
        self.store = Collection(make_id=_note_id, number_of=_note_number)
        parents = {kind: list(self.emulator.resource(resource).store.ids()) for kind, resource in PARENT_RESOURCES.items()}
        kinds = [k for k in ("contacts", "accounts", "leads") if parents[k]]
        for i in range(count):
            if not kinds:
                break
            kind = kinds[i % len(kinds)]
            parent = parents[kind][(i // len(kinds)) % len(parents[kind])]
            created = int(SEED_EPOCH.timestamp()) + 3600 * (3 * i + 2)
            self.store.add(*self._new(_TEXTS[i % len(_TEXTS)], parent, created))

    def _new(self, body: str, parent: str, created: int) -> tuple[str, dict[str, Any]]:
        note_id = self.store.new_id()
        number = _note_number(note_id)
        return note_id, {
            "id": note_id, "type": "notes", "createdTime": created, "deletedTime": None, "body": body,
            "bodyHtml": render_html(body), "bodyMarkup": body, "isEditable": True,
            "parentType": parent.split("-", 1)[1], "href": f"{HOST}/rest/notes/{note_id}",
            "htmlUrl": f"{HOST}/note/{number}", "htmlUrlPath": f"/note/{number}",
            "links": {"comments": [], "parent": parent, "accounts": [], "contacts": [], "leads": [], "users": [],
                      "teams": []},
        }

    def add_log_note(self, body: str, parent: str, created: int | None = None) -> str:
        """An activity's internal note (`note` on an activity write): a note on the activity."""
        note_id, note = self._new(body, parent, int(time.time()) if created is None else created)
        self.store.add(note_id, note)
        return note_id

    # -- envelopes ------------------------------------------------------------------------------------
    def _response(self, notes: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"meta": {**(meta or {}), **self.emulator._meta()}, "links": {}, "notes": notes}

    def _find(self, raw_id: str) -> dict[str, Any]:
        note = self.store.get(raw_id) if _ID.match(raw_id) else None
        if note is None:
            raise NutshellError(404, "Not Found", f"Could not find note with id {raw_id}")
        return note

    def _parent(self, ref: Any) -> str:
        kind = ref.split("-", 1)[1] if isinstance(ref, str) and re.fullmatch(r"\d+-[A-Za-z]+", ref) else None
        resource = PARENT_RESOURCES.get(kind or "")
        if resource is None or self.emulator.resource(resource).store.get_active(ref) is None:
            raise NutshellError(422, "Invalid parent link", f"{ref!r} is not a person, company or lead",
                                "links.parent")
        return ref

    # -- handlers -------------------------------------------------------------------------------------
    async def list_notes(self, request: Request) -> Response:
        params = request.query_params
        raw_limit = params.get("page[limit]", str(DEFAULT_PAGE_LIMIT))
        raw_page = params.get("page[page]", "0")
        if not re.fullmatch(r"-?\d+", raw_page) or int(raw_page) < 0:
            raise NutshellError(400, "Invalid filter", f"Invalid page number: {raw_page}")
        if not re.fullmatch(r"-?\d+", raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE_LIMIT:
            raise NutshellError(400, "Invalid filter", f"Invalid page limit: {raw_limit}")
        limit, page = int(raw_limit), int(raw_page)
        chunk = self.store.window(page * limit, limit)
        total = len(self.store.ids())
        meta = {"count": len(chunk), "countFormatted": formatted_number(len(chunk)), "total": total,
                "totalFormatted": formatted_number(total)}
        return json_response(self._response(chunk, meta))

    async def get_note(self, request: Request) -> Response:
        # Soft delete: a deleted note is still read by id, with deletedTime (as leads). [unverified]
        return json_response(self._response([self._find(request.path_params["id"])]))

    async def create_note(self, request: Request) -> Response:
        body = await json_body(request)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise NutshellError(400, "Invalid note", "The note goes in a `data` object", "data")
        unknown = sorted(set(data) - {"body", "links"})
        if unknown:
            raise NutshellError(422, "Invalid note", f"Unknown field(s): {', '.join(unknown)}", unknown[0])
        text = data.get("body")
        if not isinstance(text, str) or not text.strip():
            raise NutshellError(422, "Invalid note", "A note needs a body.", "body")
        links = data.get("links") or {}
        if not isinstance(links, dict) or set(links) - {"parent"}:
            raise NutshellError(422, "Invalid links", "A note links only its parent", "links")
        note_id, note = self._new(text, self._parent(links.get("parent")), int(time.time()))
        self.store.add(note_id, note)
        return json_response(self._response([note]), CREATE_STATUS)

    async def delete_note(self, request: Request) -> Response:
        note = self._find(request.path_params["id"])
        if note["deletedTime"] is not None:
            raise NutshellError(404, "Not Found", f"Could not find note with id {note['id']}")
        note["deletedTime"] = int(time.time())
        self.store.archive(note["id"])
        return json_response(self._response([note]), DELETE_STATUS)

    async def undelete_note(self, request: Request) -> Response:
        note = self._find(request.path_params["id"])
        if note["deletedTime"] is not None:
            note["deletedTime"] = None
            self.store.restore(note["id"])
        return json_response(self._response([note]))
