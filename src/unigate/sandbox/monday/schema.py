"""The slice of monday's GraphQL schema the emulator serves: each type's fields, which fields return
objects, and the `ColumnValue` interface's implementations, whose concrete type follows the column
type (`TextValue`, `StatusValue`, `BoardRelationValue`, ...), as in monday's schema
(mondaycom/monday-graphql-api api-types; https://developer.monday.com/api-reference/reference/connect).
"""

from __future__ import annotations

# -- schema: which fields each type has, and which fields return objects ---------------------------
FIELDS: dict[str, dict[str, str | None]] = {
    "Query": {"boards": "Board", "items": "Item", "next_items_page": "ItemsResponse",
              "complexity": "Complexity", "version": "Version", "me": "User", "users": "User", "tags": "Tag"},
    "Mutation": {"create_item": "Item", "change_multiple_column_values": "Item", "change_column_value": "Item",
                 "change_simple_column_value": "Item", "delete_item": "Item", "archive_item": "Item",
                 "complexity": "Complexity"},
    "Board": {"id": None, "name": None, "state": None, "board_kind": None, "description": None,
              "workspace_id": None, "url": None, "items_count": None, "columns": "Column", "groups": "Group",
              "items_page": "ItemsResponse", "updated_at": None, "permissions": None, "tags": "Tag"},
    "Column": {"id": None, "title": None, "type": None, "settings_str": None, "description": None,
               "archived": None, "width": None},
    "Group": {"id": None, "title": None, "color": None, "position": None},
    "ItemsResponse": {"cursor": None, "items": "Item"},
    "Item": {"id": None, "name": None, "state": None, "created_at": None, "updated_at": None,
             "creator_id": None, "url": None, "relative_link": None, "email": None, "board": "Board",
             "group": "Group", "column_values": "ColumnValue", "subitems": "Item", "parent_item": "Item",
             "creator": "User"},
    "ColumnValue": {"id": None, "type": None, "text": None, "value": None, "column": "Column"},
    "Complexity": {"before": None, "after": None, "query": None, "reset_in_x_seconds": None},
    "Version": {"kind": None, "value": None, "display_name": None},
    "User": {"id": None, "name": None, "email": None, "enabled": None, "is_admin": None, "title": None},
    "Tag": {"id": None, "name": None, "color": None},
}

# The ColumnValue interface's implementing types, by column type (api-types `...Value = ColumnValue & {...}`).
VALUE_TYPES = {"text": "TextValue", "long_text": "LongTextValue", "numbers": "NumbersValue",
                "status": "StatusValue", "link": "LinkValue", "phone": "PhoneValue", "location": "LocationValue",
                "people": "PeopleValue", "tags": "TagsValue", "date": "DateValue", "dropdown": "DropdownValue",
                "board_relation": "BoardRelationValue", "mirror": "MirrorValue", "dependency": "DependencyValue",
                "email": "EmailValue"}
for _value_type in VALUE_TYPES.values():
    # Every implementation has the interface fields; all but MirrorValue add `updated_at`.
    FIELDS[_value_type] = {**FIELDS["ColumnValue"], **({} if _value_type == "MirrorValue" else {"updated_at": None})}
for _value_type in ("BoardRelationValue", "DependencyValue"):
    FIELDS[_value_type].update({"display_value": None, "linked_item_ids": None, "linked_items": "Item"})
FIELDS["EmailValue"].update({"email": None, "label": None})   # EmailValue{email, label} (api-types)
FIELDS["MirrorValue"]["display_value"] = None      # `mirrored_items` (MirroredItem) is not served
POSSIBLE_TYPES = {"ColumnValue": set(VALUE_TYPES.values())}
