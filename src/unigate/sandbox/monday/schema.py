"""The slice of monday's GraphQL schema the emulator serves: each type's fields, which fields return
objects, the arguments each field takes, and the `ColumnValue` interface's implementations, whose
concrete type follows the column type (`TextValue`, `StatusValue`, `BoardRelationValue`, ...), as in
monday's schema (mondaycom/monday-graphql-api api-types; https://developer.monday.com/api-reference/reference/connect).

Arguments are monday's published SDL (https://api.monday.com/v2/get_schema?format=sdl, kept in
https://github.com/mondaycom/mcp, packages/agent-toolkit/src/monday-graphql/schema.graphql): a document
naming an argument a field does not take, or leaving out a required one, fails validation as monday's
GraphQL server answers it.
"""

from __future__ import annotations

# -- schema: which fields each type has, and which fields return objects ---------------------------
FIELDS: dict[str, dict[str, str | None]] = {
    "Query": {"boards": "Board", "items": "Item", "next_items_page": "ItemsResponse",
              "complexity": "Complexity", "version": "Version", "me": "User", "users": "User", "tags": "Tag",
              "updates": "Update", "custom_activity": "CustomActivity"},
    "Mutation": {"create_item": "Item", "change_multiple_column_values": "Item", "change_column_value": "Item",
                 "change_simple_column_value": "Item", "delete_item": "Item", "archive_item": "Item",
                 "complexity": "Complexity", "create_update": "Update", "edit_update": "Update",
                 "delete_update": "Update", "create_custom_activity": "CustomActivity",
                 "delete_custom_activity": "CustomActivity", "create_column": "Column", "change_column_title": "Column",
                 "change_column_metadata": "Column", "delete_column": "Column"},
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
             "creator": "User", "updates": "Update"},
    # An item's posts (SDL `type Update`; https://developer.monday.com/api-reference/reference/updates)
    "Update": {"id": None, "body": None, "text_body": None, "creator_id": None, "creator": "User", "created_at": None,
               "updated_at": None, "edited_at": None, "item_id": None, "item": "Item"},
    "ColumnValue": {"id": None, "type": None, "text": None, "value": None, "column": "Column"},
    # E&A activity kinds (https://developer.monday.com/api-reference/reference/custom-activity)
    "CustomActivity": {"id": None, "name": None, "type": None, "icon_id": None, "color": None},
    "Complexity": {"before": None, "after": None, "query": None, "reset_in_x_seconds": None},
    "Version": {"kind": None, "value": None, "display_name": None},
    "User": {"id": None, "name": None, "email": None, "enabled": None, "is_admin": None, "title": None,
             "created_at": None, "is_guest": None, "is_pending": None},
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

# -- arguments: field -> {argument: type}; a type ending in "!" without a default is required -------------
_NO_ARGUMENTS: dict[str, str] = {}
ARGUMENTS: dict[tuple[str, str], dict[str, str]] = {
    ("Query", "boards"): {"ids": "[ID!]", "limit": "Int", "page": "Int", "board_kind": "BoardKind",
                          "state": "State", "workspace_ids": "[ID]", "order_by": "BoardsOrderBy",
                          "hierarchy_types": "[BoardHierarchy!]", "object_type_unique_keys": "[String!]"},
    ("Query", "items"): {"ids": "[ID!]", "limit": "Int", "page": "Int", "newest_first": "Boolean",
                         "exclude_nonactive": "Boolean"},
    ("Query", "next_items_page"): {"cursor": "String!", "limit": "Int! = 25"},
    ("Query", "users"): {"ids": "[ID!]", "kind": "UserKind", "newest_first": "Boolean", "limit": "Int",
                         "page": "Int", "emails": "[String]", "name": "String", "non_active": "Boolean"},
    ("Query", "tags"): {"ids": "[ID!]"},
    ("Query", "updates"): {"limit": "Int = 25", "page": "Int = 1", "ids": "[ID!]", "from_date": "String",
                           "to_date": "String"},
    ("Item", "updates"): {"limit": "Int = 25", "page": "Int = 1", "ids": "[ID!]"},
    ("Mutation", "create_update"): {"body": "String!", "item_id": "ID", "parent_id": "ID",
                                    "original_creation_date": "String", "mentions_list": "[UpdateMention]",
                                    "use_app_info": "Boolean"},
    ("Mutation", "edit_update"): {"id": "ID!", "body": "String!"},
    ("Query", "custom_activity"): {"ids": "[String!]", "name": "String", "icon_id": "CustomActivityIcon",
                                   "color": "CustomActivityColor"},
    ("Mutation", "create_custom_activity"): {"name": "String!", "icon_id": "CustomActivityIcon!",
                                             "color": "CustomActivityColor!"},
    ("Mutation", "delete_custom_activity"): {"id": "String!"},
    ("Mutation", "delete_update"): {"id": "ID!"},
    ("Mutation", "create_item"): {"board_id": "ID!", "item_name": "String!", "column_values": "JSON",
                                  "group_id": "String", "create_labels_if_missing": "Boolean",
                                  "position_relative_method": "PositionRelative", "relative_to": "ID"},
    ("Mutation", "change_multiple_column_values"): {"board_id": "ID!", "item_id": "ID", "column_values": "JSON!",
                                                    "create_labels_if_missing": "Boolean"},
    ("Mutation", "change_column_value"): {"board_id": "ID!", "item_id": "ID", "column_id": "String!",
                                          "value": "JSON!", "create_labels_if_missing": "Boolean"},
    ("Mutation", "change_simple_column_value"): {"board_id": "ID!", "item_id": "ID", "column_id": "String!",
                                                 "value": "String", "create_labels_if_missing": "Boolean"},
    ("Mutation", "delete_item"): {"item_id": "ID"},
    ("Mutation", "archive_item"): {"item_id": "ID"},
    ("Mutation", "create_column"): {"board_id": "ID!", "title": "String!", "column_type": "ColumnType!",
                                    "description": "String", "id": "String", "after_column_id": "ID",
                                    "defaults": "JSON", "capabilities": "ColumnCapabilitiesInput"},
    ("Mutation", "change_column_title"): {"board_id": "ID!", "column_id": "String!", "title": "String!"},
    ("Mutation", "change_column_metadata"): {"board_id": "ID!", "column_id": "String!",
                                             "column_property": "ColumnProperty", "value": "String"},
    ("Mutation", "delete_column"): {"board_id": "ID!", "column_id": "String!"},
    ("Board", "columns"): {"ids": "[String]", "types": "[ColumnType!]", "capabilities": "[ColumnCapability!]"},
    ("Board", "groups"): {"ids": "[String]"},
    ("Board", "items_page"): {"limit": "Int! = 25", "cursor": "String", "query_params": "ItemsQuery"},
    ("Item", "column_values"): {"ids": "[String!]", "types": "[ColumnType!]", "capabilities": "[ColumnCapability!]"},
}


def arguments(type_name: str, field: str) -> dict[str, str]:
    """The arguments `type_name.field` takes (none unless listed; a ColumnValue implementation's fields
    take none)."""
    return ARGUMENTS.get((type_name, field), _NO_ARGUMENTS)
