"""Updates: the posts on an item (its "Updates" section), which monday CRM shows as notes on a contact, an
account or a deal. Read through the root `updates(ids, limit, page)` field (every board's updates, newest first)
and an item's `updates(ids, limit, page)`; written with `create_update(item_id, body)`, `edit_update(id, body)`
and `delete_update(id)`.

Sources: monday's SDL (https://api.monday.com/v2/get_schema?format=sdl, kept in https://github.com/mondaycom/mcp,
packages/agent-toolkit/src/monday-graphql/schema.graphql: `type Update`, `Query.updates`, `Item.updates`, the
three mutations) and https://developer.monday.com/api-reference/reference/updates.
- `Update {id, body (HTML), text_body (plain text), creator_id, creator, created_at, updated_at, edited_at,
  item_id (a String), item}`; `body` is kept as written, `text_body` is it without its tags.
- Pages: `limit` 25 and `page` 1 by default; newest first. [unverified: the order]
- `create_update` on an item that does not exist or is deleted is the error of a change on such an item
  (switch `item_not_found`); an empty body is 400 `InvalidArgumentException`. [unverified]
- `delete_update` removes the update from every read (whether monday keeps it is not documented). [unverified]
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any, ClassVar

from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.monday import graphql as gql
from unigate.sandbox.monday.common import (
    ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, DEALS_BOARD_ID, ITEM_NOT_FOUND_ERRORS, SEED_EPOCH, USERS, iso, now_iso,
)

FIRST_UPDATE_ID = 3100000011
UPDATES_DEFAULT_LIMIT = 25
_BODIES = ["<p>Called about the renewal; they want a <strong>quote</strong> by Friday.</p>",
           "<p>Met at the trade show.</p><p>Interested in the enterprise plan.</p>",
           "<p>Sent the security questionnaire back.</p>",
           "<p>Budget approved for Q3 &amp; Q4.</p>",
           "<p>Asked for a second demo with their IT team.</p>"]


def text_of(body: str) -> str:
    """An update's `text_body`: its HTML without tags, entities decoded, paragraphs on their own lines."""
    text = re.sub(r"</p>\s*<p>", "\n", body)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


class Updates(Resource):
    """Every board's updates in `self.store` (numeric string ids; a deleted one is removed)."""

    name = "notes"
    default_seed_count: ClassVar[int | None] = 30

    def routes(self) -> list[Route]:
        return []                                   # served by the emulator's `POST /v2`

    def seed(self, count: int) -> None:
        """Updates on contacts, accounts and deals in turn, by the sandbox's users."""
        self.store = Collection(first_id=FIRST_UPDATE_ID, step=3, make_id=str, number_of=int)
        boards = [self.emulator.boards[b] for b in (CONTACTS_BOARD_ID, ACCOUNTS_BOARD_ID, DEALS_BOARD_ID)
                  if b in self.emulator.boards and self.emulator.boards[b]["item_ids"]]
        for i in range(count):
            if not boards:
                break
            board = boards[i % len(boards)]
            item_id = board["item_ids"][(i // len(boards)) % len(board["item_ids"])]
            moment = iso(SEED_EPOCH + timedelta(hours=5 * i + 3))
            self.add(item_id, _BODIES[i % len(_BODIES)], USERS[i % len(USERS)][0], moment)

    def add(self, item_id: str, body: str, creator_id: str, moment: str) -> dict[str, Any]:
        update_id = self.store.new_id()
        return self.store.add(update_id, {"id": update_id, "body": body, "text_body": text_of(body),
                                          "creator_id": creator_id, "created_at": moment, "updated_at": moment,
                                          "edited_at": moment, "item_id": item_id})

    def snapshot(self) -> Any:
        return list(self.store.live())

    # -- GraphQL ---------------------------------------------------------------------------------------
    def page(self, args: dict[str, Any], item_id: str | None = None) -> list[dict[str, Any]]:
        """`updates(ids, limit, page)` at the root (every update) or on an item (its own), newest first."""
        ids = set(self.emulator._ids(args.get("ids")))
        limit = args.get("limit") or UPDATES_DEFAULT_LIMIT
        page = args.get("page") or 1
        if not isinstance(limit, int) or limit < 1 or not isinstance(page, int) or page < 1:
            raise gql.FieldError("limit and page must be positive integers", "InvalidArgumentException", 400)
        found = [u for u in reversed(list(self.store.live()))
                 if (not ids or u["id"] in ids) and (item_id is None or u["item_id"] == item_id)]
        return [self.obj(u) for u in found[(page - 1) * limit: page * limit]]

    @staticmethod
    def obj(update: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": "Update", "_update": update}

    def mutate(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        if name == "create_update":
            self.emulator._live_item(args.get("item_id"), None)
            body = self._body(args.get("body"))
            now = now_iso()
            return self.obj(self.add(str(args["item_id"]), body, USERS[0][0], now))
        update = self.store.get(str(args.get("id"))) if args.get("id") is not None else None
        if update is None:
            code = self.emulator.switch["item_not_found"]
            raise gql.FieldError("Update not found", code, ITEM_NOT_FOUND_ERRORS[code], {"update_id": args.get("id")})
        if name == "edit_update":
            update["body"] = self._body(args.get("body"))
            update["text_body"] = text_of(update["body"])
            update["updated_at"] = update["edited_at"] = now_iso()
            return self.obj(update)
        self.store.delete(update["id"])                 # delete_update
        return self.obj(update)

    @staticmethod
    def _body(body: Any) -> str:
        if not isinstance(body, str) or not body.strip():
            raise gql.FieldError("Update body can't be empty", "InvalidArgumentException", 400)
        return body

    def resolve(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        update = parent["_update"]
        if name == "creator":
            return self.emulator._user_obj(self.emulator.users[update["creator_id"]])
        if name == "item":
            item = self.emulator.items.records.get(update["item_id"])
            return self.emulator._item_obj(item) if item is not None else None
        return update[name]
