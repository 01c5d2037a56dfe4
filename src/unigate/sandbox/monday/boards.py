"""Boards: the resource-generic part of the monday emulator. Every monday CRM resource is one board
(Accounts, Contacts, ...) whose items are its records (https://support.monday.com/hc/en-us/articles/23048348706450).

`BoardResource` is a `Resource` that is one board: a subclass names the board (`board_id`,
`board_name`, `description`, `groups`), gives its `columns()` and seeds its items in
`seed_items(board, count)`. Boards are kept by id in `emulator.boards`; items of every board share
one id space in `emulator.items` (a `Collection`, so `items(ids:)` reaches any board), and each
board lists its live items in `board["item_ids"]`. Every board is reached through the one GraphQL
endpoint (`POST /v2`), so a board resource has no routes of its own.

`Boards` is the emulator's mixin resolving the GraphQL `Board` type.
"""

from __future__ import annotations

from typing import Any, ClassVar

import secrets

import orjson
from starlette.routing import Route

from unigate.sandbox.base import Resource, member
from unigate.sandbox.monday import graphql as gql
from unigate.sandbox.monday.common import MAX_PAGE_LIMIT, SEED_EPOCH, WORKSPACE_ID, iso


class BoardResource(Resource):
    """A resource that is one monday board; its records are the board's items."""

    board_id: ClassVar[str] = ""
    board_name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    groups: ClassVar[tuple[dict[str, str], ...]] = ()

    def columns(self) -> list[dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def seed_items(self, board: dict[str, Any], count: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def routes(self) -> list[Route]:
        return []                                   # served by the emulator's `POST /v2`

    def seed(self, count: int) -> None:
        board = {"id": self.board_id, "name": self.board_name, "state": "active", "board_kind": "public",
                 "description": self.description, "workspace_id": WORKSPACE_ID, "columns": self.columns(),
                 "groups": [dict(group) for group in self.groups], "item_ids": []}
        board["columns_by_id"] = {c["id"]: c for c in board["columns"]}
        self.emulator.boards[self.board_id] = board
        self.seed_items(board, count)

    def board(self) -> dict[str, Any]:
        return self.emulator.boards[self.board_id]

    def add_item(self, board: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        """Store a new live item on `board` (its id comes from `emulator.new_item_id()`)."""
        self.emulator.items.add(item["id"], item)
        board["item_ids"].append(item["id"])
        return item

    def snapshot(self) -> Any:
        """The board's items as monday stores them (deleted and archived ones too, with their `state`),
        column values in their wire form (value JSON string + text)."""
        return [self.emulator.stored_item(item) for item in self.emulator.items.values()
                if item["board_id"] == self.board_id]


class Columns(Resource):
    """Every board's columns, as the control API shows crm/fields (`/__control/monday/records/fields`); they come
    with the boards' seeds and change through the column mutations."""

    name = "fields"
    default_seed_count: ClassVar[int | None] = 0

    def routes(self) -> list[Route]:
        return []

    def seed(self, count: int) -> None:
        """Columns come with their boards."""

    def snapshot(self) -> Any:
        return [{"board_id": board["id"], **column} for board in self.emulator.boards.values()
                for column in board["columns"]]


class Boards:
    """GraphQL `Board` objects (mixed into the emulator; `self` is the emulator)."""

    def _board_obj(self, board: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": "Board", "_board": board}

    def _resolve_board(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        board = parent["_board"]
        if name in ("id", "name", "state", "board_kind", "description", "workspace_id"):
            return board[name]
        if name == "url":
            return f"https://sandbox.monday.com/boards/{board['id']}"
        if name == "items_count":
            return len(board["item_ids"])
        if name == "updated_at":
            return iso(SEED_EPOCH)
        if name == "permissions":                  # everyone | collaborators | assignee | owners
            return "everyone"
        if name == "tags":                         # the tags used on the board's items
            used = {str(t) for i in board["item_ids"] for t in
                    (self.items.records[i]["column_values"].get("tags") or {}).get("tag_ids", [])}
            return [self._obj("Tag", t) for tid, t in self.tags.items() if tid in used]
        if name == "columns":
            ids = self._ids(args.get("ids"))
            types = args.get("types") or []
            return [self._obj("Column", {**{k: c[k] for k in ("id", "title", "type", "settings_str")},
                                         "description": c.get("description"), "archived": False, "width": None})
                    for c in board["columns"] if (not ids or c["id"] in ids) and (not types or c["type"] in types)]
        if name == "groups":
            return [self._obj("Group", {**g, "position": str(i)}) for i, g in enumerate(board["groups"])]
        if name == "items_page":
            if args.get("cursor"):
                return self._page_from_cursor(args["cursor"], args.get("limit"))
            query = args.get("query_params") or {}
            return self._page(board, query, 0, self._limit(args.get("limit"), 25, maximum=MAX_PAGE_LIMIT))
        raise AssertionError(name)



# -- columns: create, rename, describe, delete (https://developer.monday.com/api-reference/reference/columns) ----
# `ColumnType` (monday's SDL enum): a create naming another type fails validation.
COLUMN_TYPES = frozenset({
    "auto_number", "board_relation", "button", "checkbox", "color_picker", "country", "creation_log", "date",
    "dependency", "doc", "dropdown", "email", "file", "formula", "group", "hour", "integration", "item_assignees",
    "item_id", "last_updated", "link", "location", "long_text", "mirror", "name", "numbers", "people", "person",
    "phone", "progress", "rating", "status", "subtasks", "tags", "team", "text", "time_tracking", "timeline",
    "unsupported", "vote", "week", "world_clock"})
# A new status column's labels as monday's board UI starts one [unverified: the API reference shows no default].
DEFAULT_STATUS_LABELS = {"0": "Working on it", "1": "Done", "2": "Stuck"}
COLUMN_MUTATIONS = frozenset({"create_column", "change_column_title", "change_column_metadata", "delete_column"})


class ColumnMutations:
    """The column mutations (mixed into the emulator; `self` is the emulator)."""

    def _column_board(self, args: dict[str, Any]) -> dict[str, Any]:
        board = self.boards.get(str(args.get("board_id")))
        if board is None:
            raise gql.FieldError("Board not found", "ResourceNotFoundException", 404, {"board_id": args.get("board_id")})
        return board

    def _board_column(self, board: dict[str, Any], column_id: Any) -> dict[str, Any]:
        column = board["columns_by_id"].get(str(column_id))
        if column is None:
            raise gql.FieldError("Column not found", "InvalidColumnIdException", 400, {"column_id": column_id})
        return column

    def _column_obj(self, column: dict[str, Any]) -> dict[str, Any]:
        return self._obj("Column", {**{k: column[k] for k in ("id", "title", "type", "settings_str")},
                                    "description": column.get("description"), "archived": False, "width": None})

    def _resolve_column_mutation(self, name: str, args: dict[str, Any]) -> Any:
        board = self._column_board(args)
        if name == "create_column":
            kind = args.get("column_type")
            if not member(kind, COLUMN_TYPES):
                raise gql.FieldError(f"Invalid column type: {kind}", "InvalidArgumentException", 400)
            title = args.get("title")
            if not isinstance(title, str) or not title.strip():
                raise gql.FieldError("Column title can't be empty", "InvalidArgumentException", 400)
            column_id = args.get("id") or f"{kind}_mk{secrets.token_hex(3)}"   # as monday's, e.g. text_mkx2src
            if column_id in board["columns_by_id"]:
                raise gql.FieldError("Column id already exists", "InvalidArgumentException", 400, {"column_id": column_id})
            settings = {"labels": DEFAULT_STATUS_LABELS} if kind == "status" else {"labels": []} if kind == "dropdown" else {}
            column = {"id": column_id, "title": title, "type": kind, "settings_str": orjson.dumps(settings).decode(),
                      "description": args.get("description")}
            board["columns"].append(column)
            board["columns_by_id"][column_id] = column
            return self._column_obj(column)
        column = self._board_column(board, args.get("column_id"))
        if name == "change_column_title":
            column["title"] = args.get("title")
        elif name == "change_column_metadata":
            # column_property: ColumnProperty (title | description); value: String
            prop = args.get("column_property")
            if prop not in ("title", "description"):
                raise gql.FieldError(f"Invalid column property: {prop}", "InvalidArgumentException", 400)
            column[prop] = args.get("value")
        else:  # delete_column
            if column["type"] == "name":
                raise gql.FieldError("Cannot delete mandatory columns", "InvalidArgumentException", 400,
                                     {"column_id": column["id"]})
            board["columns"].remove(column)
            del board["columns_by_id"][column["id"]]
        return self._column_obj(column)
