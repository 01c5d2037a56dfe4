"""Items: the records of every board. Reading them (`items(ids:)`, `items_page`, `next_items_page`
with `query_params` rules and cursors) and the item mutations (`create_item`,
`change_multiple_column_values`, `change_column_value`, `change_simple_column_value`, `delete_item`,
`archive_item`). A deleted item keeps `state: "deleted"` and is still returned by `items(ids:)`.

Sources: https://developer.monday.com/api-reference/reference/items,
https://developer.monday.com/api-reference/docs/querying-board-items (at most 500 items a page,
cursors valid 60 minutes, cursor null on the last page).
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from unigate.sandbox.base import loads_json, member
from unigate.sandbox.monday import graphql as gql
from unigate.sandbox.monday.boards import COLUMN_MUTATIONS
from unigate.sandbox.monday.common import (
    COLUMN_VALUE_EXCEPTION, COLUMN_VALUE_EXCEPTION_STATUS, CURSOR_TTL_SECONDS, ITEM_NOT_FOUND_ERRORS, MAX_PAGE_LIMIT,
    USERS, now_iso,
)


# The pseudo-columns every board can be filtered and sorted by, and the item time each stands for
# (https://developer.monday.com/api-reference/changelog/ability-to-sort-items_page-results-by-creation-or-last-updated-date).
PSEUDO_TIME_COLUMNS = {"__last_updated__": "updated_at", "__creation_log__": "created_at"}


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Items:
    """Items of any board (mixed into the emulator; `self` is the emulator)."""

    def _item_obj(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": "Item", "_item": item}

    def _resolve_mutation(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        if name == "complexity":
            return self._obj("Complexity", dict(self._complexity_info))
        if name in ("create_update", "edit_update", "delete_update"):
            return self.resource("notes").mutate(name, args)
        if name in ("create_custom_activity", "delete_custom_activity"):
            return self.resource("engagement_types").mutate(name, args)
        if name in COLUMN_MUTATIONS:
            return self._resolve_column_mutation(name, args)
        if name == "create_item":
            board = self.boards.get(str(args.get("board_id")))
            if board is None:
                raise gql.FieldError("Board not found", "ResourceNotFoundException", 404,
                                     {"board_id": args.get("board_id")})
            item_name = args.get("item_name")
            if not isinstance(item_name, str) or not item_name.strip():
                raise gql.FieldError("Item name can't be empty", "InvalidArgumentException", 400)
            if len(item_name) > 255:
                raise gql.FieldError("Item name is too long", "ItemNameTooLongException", 400)
            group_id = args.get("group_id") or board["groups"][0]["id"]
            if group_id not in {g["id"] for g in board["groups"]}:
                raise gql.FieldError("Group not found", "InvalidGroupIdException", 400, {"group_id": group_id})
            now = now_iso()
            item = {"id": "", "name": item_name, "board_id": board["id"], "group_id": group_id,
                    "state": "active", "created_at": now, "updated_at": now, "creator_id": USERS[0][0],
                    "column_values": {}}
            changes = self._apply_column_values(item, board, args.get("column_values"),
                                                bool(args.get("create_labels_if_missing")))
            item["name"] = changes.pop("__name__", item_name)
            item["column_values"].update(changes)
            item["id"] = self.new_item_id()
            self.items.add(item["id"], item)
            board["item_ids"].append(item["id"])
            return self._item_obj(item)
        if name in ("change_multiple_column_values", "change_column_value", "change_simple_column_value"):
            board = self.boards.get(str(args.get("board_id")))
            if board is None:
                raise gql.FieldError("Board not found", "ResourceNotFoundException", 404,
                                     {"board_id": args.get("board_id")})
            item = self._live_item(args.get("item_id"), board)
            if name == "change_simple_column_value":
                raw: Any = {str(args.get("column_id")): args.get("value")}
            elif name == "change_column_value":     # value: JSON! - the column's JSON value, encoded
                value = args.get("value")
                if isinstance(value, str):
                    try:
                        value = loads_json(value)
                    except orjson.JSONDecodeError:
                        raise gql.FieldError("Invalid value JSON", COLUMN_VALUE_EXCEPTION, COLUMN_VALUE_EXCEPTION_STATUS,
                                             {"column_id": args.get("column_id")}) from None
                raw = {str(args.get("column_id")): value}
            else:
                raw = args.get("column_values")
                if raw is None:
                    raise gql.FieldError("column_values is required", "InvalidArgumentException", 400)
            changes = self._apply_column_values(item, board, raw, bool(args.get("create_labels_if_missing")))
            if "__name__" in changes:
                item["name"] = changes.pop("__name__")
            item["column_values"].update(changes)
            item["updated_at"] = now_iso()
            return self._item_obj(item)
        if name in ("delete_item", "archive_item"):
            item = self._live_item(args.get("item_id"), None)
            item["state"] = "deleted" if name == "delete_item" else "archived"
            item["updated_at"] = now_iso()
            board = self.boards[item["board_id"]]
            try:
                board["item_ids"].remove(item["id"])
            except ValueError:
                pass
            return self._item_obj(item)
        raise AssertionError(name)

    def _live_item(self, item_id: Any, board: dict[str, Any] | None) -> dict[str, Any]:
        item = self.items.records.get(str(item_id)) if item_id is not None else None
        if item is None or item["state"] != "active" or (board is not None and item["board_id"] != board["id"]):
            code = self.switch["item_not_found"]
            raise gql.FieldError("Item not found", code, ITEM_NOT_FOUND_ERRORS[code],
                                 {"item_id": None if item_id is None else str(item_id)})
        return item

    def _matching_ids(self, board: dict[str, Any], query: dict[str, Any]) -> list[str]:
        ids = self._ids(query.get("ids"))
        rules = query.get("rules") or []
        order_by = query.get("order_by") or []
        candidates = [i for i in board["item_ids"] if not ids or i in set(ids)]
        if rules:
            operator = (query.get("operator") or "and").lower()
            out = []
            for item_id in candidates:
                item = self.items.records[item_id]
                hits = [self._rule_matches(board, item, rule) for rule in rules]
                if (all(hits) if operator == "and" else any(hits)):
                    out.append(item_id)
            candidates = out
        # order_by: [{column_id, direction = asc}], the first key sorting first; the pseudo-columns
        # __last_updated__ and __creation_log__ sort by the item's times even on a board without such a column
        # (https://developer.monday.com/api-reference/changelog/ability-to-sort-items_page-results-by-creation-or-last-updated-date).
        for order in reversed(order_by if isinstance(order_by, list) else [order_by]):
            col_id = order.get("column_id")
            if not member(col_id, PSEUDO_TIME_COLUMNS) and col_id != "name" and not member(col_id, board["columns_by_id"]):
                raise gql.FieldError("This column ID doesn't exist for the board", "InvalidColumnIdException", 400,
                                     {"column_id": col_id})
            def key(item_id: str, col_id: str = col_id) -> Any:
                item = self.items.records[item_id]
                if col_id in PSEUDO_TIME_COLUMNS:
                    return item[PSEUDO_TIME_COLUMNS[col_id]]
                if col_id == "name":
                    return item["name"].lower()
                col = board["columns_by_id"][col_id]
                return (self._column_text(board, col, item["column_values"].get(col_id)) or "").lower()
            candidates = sorted(candidates, key=key, reverse=str(order.get("direction") or "asc").lower() == "desc")
        return candidates

    def _time_rule_matches(self, item: dict[str, Any], rule: dict[str, Any]) -> bool:
        """A rule on `__last_updated__` (the item's updated_at) or `__creation_log__` (created_at), compared with
        ISO 8601 timestamps in `compare_value` as a third-party sync client sends them (compare_attribute
        UPDATED_AT; https://developer.monday.com/api-reference/docs/last-updated,
        https://developer.monday.com/api-reference/docs/creation-log) [unverified: the reference gives no
        example of the timestamp form]. Operators: greater_than, greater_than_or_equals, lower_than,
        lower_than_or_equal, between (two values); others refused."""
        col_id = rule["column_id"]
        compare = rule.get("compare_value")
        values = compare if isinstance(compare, list) else [compare]
        try:
            bounds = [_instant(str(v)) for v in values]
        except ValueError:
            raise gql.FieldError(f"Invalid compare_value for column {col_id}", "InvalidArgumentException", 400,
                                 {"column_id": col_id, "compare_value": compare}) from None
        at = _instant(item[PSEUDO_TIME_COLUMNS[col_id]])
        operator = rule.get("operator") or "any_of"
        if operator == "between":
            if len(bounds) != 2:
                raise gql.FieldError("between takes two values", "InvalidArgumentException", 400,
                                     {"column_id": col_id})
            return bounds[0] <= at <= bounds[1]
        if len(bounds) != 1:
            raise gql.FieldError(f"{operator} takes one value", "InvalidArgumentException", 400, {"column_id": col_id})
        checks = {"greater_than": at > bounds[0], "greater_than_or_equals": at >= bounds[0],
                  "lower_than": at < bounds[0], "lower_than_or_equal": at <= bounds[0]}
        if operator not in checks:
            raise gql.FieldError(f"Operator {operator} is not supported for column {col_id}",
                                 "InvalidArgumentException", 400, {"column_id": col_id, "operator": operator})
        return checks[operator]

    def _rule_matches(self, board: dict[str, Any], item: dict[str, Any], rule: dict[str, Any]) -> bool:
        col_id = rule.get("column_id")
        if col_id in PSEUDO_TIME_COLUMNS:
            return self._time_rule_matches(item, rule)
        if col_id == "name":
            text = item["name"]
        else:
            col = board["columns_by_id"].get(col_id)
            if col is None:
                raise gql.FieldError("This column ID doesn't exist for the board", "InvalidColumnIdException", 400,
                                     {"column_id": col_id})
            text = self._column_text(board, col, item["column_values"].get(col_id)) or ""
        compare = rule.get("compare_value")
        values = [str(v) for v in (compare if isinstance(compare, list) else [compare])]
        operator = rule.get("operator") or "any_of"
        if operator == "any_of":
            return text in values
        if operator == "not_any_of":
            return text not in values
        if operator == "contains_text":
            return any(v.lower() in text.lower() for v in values)
        if operator == "is_empty":
            return text == ""
        if operator == "is_not_empty":
            return text != ""
        raise gql.FieldError(f"Operator {operator} is not supported by this sandbox", "InvalidArgumentException", 400)

    def _page(self, board: dict[str, Any], query: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
        ids = self._matching_ids(board, query)
        chunk = ids[offset: offset + limit]
        cursor = None
        if offset + limit < len(ids):
            state = {"b": board["id"], "o": offset + limit, "q": query, "t": int(time.time())}
            cursor = base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")
        return {"__typename": "ItemsResponse", "cursor": cursor,
                "items": [self._item_obj(self.items.records[i]) for i in chunk]}

    def _page_from_cursor(self, cursor: Any, limit: Any) -> dict[str, Any]:
        try:
            padded = str(cursor) + "=" * (-len(str(cursor)) % 4)
            state = orjson.loads(base64.urlsafe_b64decode(padded))
            board = self.boards[state["b"]]
            offset = int(state["o"])
        except Exception:  # noqa: BLE001 - any undecodable cursor is the caller's error
            raise gql.FieldError("Invalid cursor", "InvalidArgumentException", 400, {"cursor": cursor}) from None
        if time.time() - state.get("t", 0) > CURSOR_TTL_SECONDS:
            raise gql.FieldError("Cursor has expired", "CursorExpiredError", 400, {"cursor": cursor})
        return self._page(board, state.get("q") or {}, offset, self._limit(limit, 25, maximum=MAX_PAGE_LIMIT))

    def _resolve_items_response(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        return parent[name]

    def _resolve_item(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        item = parent["_item"]
        board = self.boards[item["board_id"]]
        if name in ("id", "name", "state", "created_at", "updated_at", "creator_id"):
            return item[name]
        if name == "url":
            return f"https://sandbox.monday.com/boards/{board['id']}/pulses/{item['id']}"
        if name == "relative_link":
            return f"/boards/{board['id']}/pulses/{item['id']}"
        if name == "email":
            return f"pulse-{item['id']}@sandbox.monday.com"
        if name == "board":
            return self._board_obj(board)
        if name == "group":
            group = next(g for g in board["groups"] if g["id"] == item["group_id"])
            return self._obj("Group", {**group, "position": "0"})
        if name == "creator":
            return self._user_obj(self.users[item["creator_id"]])
        if name == "subitems":
            return []
        if name == "parent_item":                   # only subitems have a parent; these are top-level items
            return None
        if name == "updates":
            return self.resource("notes").page(args, item["id"])
        if name == "column_values":
            ids = self._ids(args.get("ids"))
            types = args.get("types") or []
            return [self._value_obj(item, col) for col in board["columns"]
                    if col["type"] != "name" and (not ids or col["id"] in ids) and (not types or col["type"] in types)]
        raise AssertionError(name)

    def _plain(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        return parent.get(name)

