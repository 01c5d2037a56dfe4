"""Column values: how monday stores, shows and accepts each column type's value.

A stored value is the column's JSON value; on the wire it is `value` (that JSON, encoded as a string)
plus `text` (a display string), and writes take the simple string or the JSON form per column type
(https://developer.monday.com/api-reference/docs/change-column-values and the per-column pages, e.g.
https://developer.monday.com/api-reference/docs/link, .../phone, .../location).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from unigate.sandbox.base import loads_json
from unigate.sandbox.monday import graphql as gql
from unigate.sandbox.monday.common import (
    BOARD_RELATION_VALUE_NULL_SINCE, COLUMN_VALUE_EXCEPTION, COLUMN_VALUE_EXCEPTION_STATUS, LABEL_MISSING_MESSAGE,
    ColumnValueError, column_type_of_error, now_iso,
)
from unigate.sandbox.monday.schema import VALUE_TYPES


class ColumnValues:
    """Column values of items on any board (mixed into the emulator; `self` is the emulator)."""

    def stored_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """An item as monday stores it, with column values in their wire form (value JSON string + text)."""
        board = self.boards[item["board_id"]]
        return {
            "id": item["id"], "name": item["name"], "board_id": item["board_id"], "board_name": board["name"],
            "group_id": item["group_id"], "state": item["state"], "created_at": item["created_at"],
            "updated_at": item["updated_at"], "creator_id": item["creator_id"],
            "column_values": [self._column_value(item, col) for col in board["columns"] if col["type"] != "name"],
        }

    # -- column values: wire form ----------------------------------------------------------------
    def _column_text(self, board: dict[str, Any], col: dict[str, Any], stored: Any) -> str | None:
        if stored is None:
            return None if col["type"] not in ("board_relation",) else ""
        kind = col["type"]
        if kind == "link":
            return f"{stored.get('text') or stored.get('url')} - {stored.get('url')}"
        if kind == "status":
            labels = orjson.loads(col["settings_str"]).get("labels", {})
            return labels.get(str(stored.get("index")))
        if kind in ("numbers", "text"):
            return str(stored)
        if kind == "phone":
            return stored.get("phone")
        if kind == "email":
            return stored.get("email")
        if kind == "location":
            return stored.get("address")
        if kind == "people":
            return ", ".join(self.users.get(str(p["id"]), {}).get("name", "") for p in stored.get("personsAndTeams", []))
        if kind == "tags":
            return ", ".join(self.tags[str(t)]["name"] for t in stored.get("tag_ids", []) if str(t) in self.tags)
        if kind == "long_text":
            return stored.get("text")
        if kind == "date":
            return stored.get("date")
        if kind == "dropdown":
            labels = {lab["id"]: lab["name"] for lab in orjson.loads(col["settings_str"]).get("labels", [])}
            return ", ".join(labels.get(i, "") for i in stored.get("ids", []))
        if kind == "board_relation":
            linked = (self.items.records.get(str(p["linkedPulseId"])) for p in stored.get("linkedPulseIds", []))
            return ", ".join(i["name"] for i in linked if i is not None and i["state"] == "active")
        return str(stored)

    def _column_value(self, item: dict[str, Any], col: dict[str, Any], version: str | None = None) -> dict[str, Any]:
        """A column value in its wire form; `version` is the caller's API-Version (None: as stored)."""
        board = self.boards[item["board_id"]]
        stored = item["column_values"].get(col["id"])
        hidden = (version is not None and version >= BOARD_RELATION_VALUE_NULL_SINCE
                  and col["type"] in ("board_relation", "dependency"))
        return {
            "__typename": "ColumnValue",
            "id": col["id"], "type": col["type"],
            "text": self._column_text(board, col, stored),
            "value": None if stored is None or hidden else orjson.dumps(stored).decode(),
            "column": {"__typename": "Column", **{k: col[k] for k in ("id", "title", "type", "settings_str")},
                       "description": None, "archived": False, "width": None},
        }

    def _value_obj(self, item: dict[str, Any], col: dict[str, Any]) -> dict[str, Any]:
        """A column value as a GraphQL object: its concrete `ColumnValue` implementation."""
        return {**self._column_value(item, col, self._version), "__typename": VALUE_TYPES.get(col["type"], "TextValue"),
                "_stored": item["column_values"].get(col["id"])}

    def _resolve_column_value(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        stored = parent["_stored"]
        if name == "updated_at":
            return stored.get("changed_at") if isinstance(stored, dict) else None
        if name in ("linked_item_ids", "linked_items"):
            # Items in the trash no longer show as linked.
            linked = [str(p["linkedPulseId"]) for p in (stored or {}).get("linkedPulseIds", [])
                      if self.items.records.get(str(p["linkedPulseId"]), {}).get("state") == "active"]
            if name == "linked_item_ids":
                return linked
            return [self._item_obj(self.items.records[i]) for i in linked]
        if name == "display_value":                 # String!: the linked items' names, comma-separated
            return parent.get("text") or ""
        if name == "email":                         # EmailValue{email, label}
            return (stored or {}).get("email")
        if name == "label":
            return (stored or {}).get("text")
        return parent.get(name)

    # -- column values: writes -------------------------------------------------------------------
    def _parse_column_write(self, board: dict[str, Any], col: dict[str, Any], raw: Any,
                            create_labels: bool) -> Any:
        """What monday would store for `raw` written to `col` (simple string or JSON value forms)."""
        kind = col["type"]
        changed = now_iso()
        if raw is None or raw == "" or raw == {}:
            return None
        if kind == "text":
            if not isinstance(raw, (str, int, float)):
                raise ColumnValueError("invalid value, please check our API documentation for the correct data "
                                       "structure for this column", data={"column_id": col["id"]})
            return str(raw)
        if kind == "numbers":
            text = str(raw).strip()
            try:
                float(text)
            except ValueError:
                raise ColumnValueError(f"The value {text!r} is not a valid number",
                                       data={"column_id": col["id"]}) from None
            return text
        if kind == "long_text":
            text = raw.get("text") if isinstance(raw, dict) else str(raw)
            return {"text": text, "changed_at": changed}
        if kind == "link":
            if isinstance(raw, dict):
                url, text = raw.get("url"), raw.get("text")
            else:
                url, _, text = str(raw).partition(" ")
            if not url:
                raise ColumnValueError("Link column value must include a url", data={"column_id": col["id"]})
            return {"url": url, "text": text or url, "changed_at": changed}
        if kind == "status":
            settings = orjson.loads(col["settings_str"])
            labels: dict[str, str] = settings.setdefault("labels", {})
            if isinstance(raw, dict) and "index" in raw:
                if str(raw["index"]) not in labels:
                    raise ColumnValueError("This status label index doesn't exist", data={"column_id": col["id"]})
                return {"index": int(raw["index"]), "post_id": None, "changed_at": changed}
            label = raw.get("label") if isinstance(raw, dict) else str(raw)
            for index, existing in labels.items():
                if existing == label:
                    return {"index": int(index), "post_id": None, "changed_at": changed}
            if not create_labels:
                raise ColumnValueError(LABEL_MISSING_MESSAGE, data={"column_id": col["id"], "label": label})
            index = str(max((int(k) for k in labels), default=-1) + 1)
            labels[index] = label
            col["settings_str"] = orjson.dumps(settings).decode()
            return {"index": int(index), "post_id": None, "changed_at": changed}
        if kind == "phone":
            if isinstance(raw, dict):
                phone, country = raw.get("phone"), raw.get("countryShortName")
            else:
                phone, _, country = str(raw).rpartition(" ") if " " in str(raw) else (str(raw), "", "")
            # Stored as entered (the phone column page's examples keep the leading "+").
            digits = str(phone or "").strip()
            if not re.search(r"\d{3}", digits):
                raise ColumnValueError("Phone number is empty", data={"column_id": col["id"]})
            # The phone column page: the phone plus an ISO-2 country code are required.
            if not country or not re.fullmatch(r"[A-Za-z]{2}", str(country)):
                raise ColumnValueError("Phone column value requires a valid countryShortName (ISO-2)",
                                       data={"column_id": col["id"]})
            return {"phone": digits, "countryShortName": str(country).upper(), "changed_at": changed}
        if kind == "location":
            if isinstance(raw, dict):
                lat, lng, address = raw.get("lat"), raw.get("lng"), raw.get("address")
            else:
                parts = str(raw).split(" ", 2)
                lat, lng, address = (parts + [None, None, None])[:3]
            try:
                float(str(lat))
                float(str(lng))
            except ValueError:
                raise ColumnValueError("Location column value requires numeric lat and lng",
                                       data={"column_id": col["id"]}) from None
            return {"lat": str(lat), "lng": str(lng), "address": address or "", "changed_at": changed}
        if kind == "people":
            if isinstance(raw, dict):
                people = raw.get("personsAndTeams") or []
            else:
                people = [{"id": p.strip(), "kind": "person"} for p in str(raw).split(",") if p.strip()]
            out = []
            for person in people:
                pid = str(person.get("id"))
                if person.get("kind", "person") == "person" and pid not in self.users:
                    raise ColumnValueError(f"User {pid} not found", code="InvalidUserIdException",
                                           data={"column_id": col["id"], "user_id": pid})
                out.append({"id": int(pid), "kind": person.get("kind", "person")})
            return {"personsAndTeams": out, "changed_at": changed}
        if kind == "tags":
            ids = raw.get("tag_ids") if isinstance(raw, dict) else [t.strip() for t in str(raw).split(",")]
            out_ids = []
            for tag in ids or []:
                if str(tag) not in self.tags:
                    raise ColumnValueError(f"Tag {tag} not found", data={"column_id": col["id"], "tag_id": tag})
                out_ids.append(int(tag))
            return {"tag_ids": out_ids}
        if kind == "date":
            day = raw.get("date") if isinstance(raw, dict) else str(raw).split(" ")[0]
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(day)):
                raise ColumnValueError("Date column value must be YYYY-MM-DD", data={"column_id": col["id"]})
            return {"date": day, "icon": None, "changed_at": changed}
        if kind == "dropdown":
            settings = orjson.loads(col["settings_str"])
            labels_list: list[dict[str, Any]] = settings.setdefault("labels", [])
            by_name = {lab["name"]: lab["id"] for lab in labels_list}
            if isinstance(raw, dict) and "ids" in raw:
                return {"ids": [int(i) for i in raw["ids"]], "changed_at": changed}
            names = raw.get("labels") if isinstance(raw, dict) else [s.strip() for s in str(raw).split(",")]
            out_ids = []
            for name in names or []:
                if name not in by_name:
                    if not create_labels:
                        raise ColumnValueError(f"The dropdown label {name!r} does not exist",
                                               data={"column_id": col["id"]})
                    new_id = max((lab["id"] for lab in labels_list), default=0) + 1
                    labels_list.append({"id": new_id, "name": name})
                    by_name[name] = new_id
                    col["settings_str"] = orjson.dumps(settings).decode()
                out_ids.append(by_name[name])
            return {"ids": out_ids, "changed_at": changed}
        if kind == "email":
            # Email column: {"email": "a@b.com", "text": "shown text"}, or the simple string "a@b.com shown text"
            # (https://developer.monday.com/api-reference/docs/email).
            if isinstance(raw, dict):
                email, text = raw.get("email"), raw.get("text")
            else:
                email, _, text = str(raw).strip().partition(" ")
            if not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ColumnValueError("invalid email address", data={"column_id": col["id"], "email": email})
            return {"email": email, "text": text or email, "changed_at": changed}
        if kind == "board_relation":
            return self._board_relation_write(col, raw)
        raise ColumnValueError(f"Column type {kind} cannot be changed through the API",
                               data={"column_id": col["id"]})

    def _board_relation_write(self, col: dict[str, Any], raw: Any) -> dict[str, Any] | None:
        """Connect boards: `{"item_ids": [...]}` replaces the linked items; each must be a live item of a
        board the column connects (https://developer.monday.com/api-reference/docs/connect; the error
        for a foreign item is not documented, ColumnValueException assumed [unverified])."""
        ids = raw.get("item_ids") if isinstance(raw, dict) else None
        if not isinstance(ids, list):
            raise ColumnValueError("Connect boards column value must be {\"item_ids\": [...]}",
                                   data={"column_id": col["id"]})
        allowed = {str(b) for b in orjson.loads(col["settings_str"]).get("boardIds", [])}
        linked = []
        for raw_id in ids:
            item = self.items.records.get(str(raw_id))
            if item is None or item["state"] != "active" or item["board_id"] not in allowed:
                raise ColumnValueError(f"Item {raw_id} is not on a board this column connects",
                                       data={"column_id": col["id"], "item_id": str(raw_id)})
            if int(raw_id) not in linked:
                linked.append(int(raw_id))
        return {"linkedPulseIds": [{"linkedPulseId": i} for i in linked]} if linked else None

    def _apply_column_values(self, item: dict[str, Any], board: dict[str, Any], raw: Any,
                             create_labels: bool) -> dict[str, Any]:
        if raw is None:
            return {}
        if isinstance(raw, str):
            try:
                raw = loads_json(raw) if raw.strip() else {}
            except orjson.JSONDecodeError:
                raise gql.FieldError("Invalid column_values JSON", COLUMN_VALUE_EXCEPTION,
                                     COLUMN_VALUE_EXCEPTION_STATUS) from None
        if not isinstance(raw, dict):
            raise gql.FieldError("column_values must be a JSON object", COLUMN_VALUE_EXCEPTION,
                                 COLUMN_VALUE_EXCEPTION_STATUS)
        changes: dict[str, Any] = {}
        for col_id, value in raw.items():
            if col_id == "name":
                if not isinstance(value, str) or not value.strip():
                    raise gql.FieldError("Item name can't be empty", "InvalidArgumentException", 400)
                if len(value) > 255:
                    raise gql.FieldError("Item name is too long", "ItemNameTooLongException", 400)
                changes["__name__"] = value
                continue
            col = board["columns_by_id"].get(col_id)
            if col is None:
                raise gql.FieldError("This column ID doesn't exist for the board", "InvalidColumnIdException", 400,
                                     {"column_id": col_id, "board_id": int(board["id"])})
            try:
                changes[col_id] = self._parse_column_write(board, col, value, create_labels)
            except ColumnValueError as exc:
                if exc.code == COLUMN_VALUE_EXCEPTION:
                    raise gql.FieldError(exc.message, exc.code, COLUMN_VALUE_EXCEPTION_STATUS,
                                         {**exc.data, "column_type": column_type_of_error(col["type"])}) from None
                raise gql.FieldError(exc.message, exc.code, 400, exc.data) from None
        return changes

