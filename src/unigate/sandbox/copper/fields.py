"""Copper Developer API v1 custom field definitions: the emulator's `fields` resource.

One list for every entity, each definition naming the entities it is on (`available_on`):
https://developer.copper.com/custom-fields/general/list-custom-field-definitions.html ,
fetch-custom-field-definition-by-id.html, create-custom-field-definition.html, update-custom-field-definition.html
and delete-custom-field-definition.html (same folder). Each data space holds its own definitions, copied from
common.CUSTOM_FIELD_DEFINITIONS at every reset (seeded ids kept); a record lists every definition available on its
entity in `custom_fields` (value null when unset), so a definition created, made available elsewhere or deleted
changes every record of those entities.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, member
from unigate.sandbox.spaces import BoundedRecords
from unigate.sandbox.copper.common import (
    CUSTOM_FIELD_DEFINITIONS,
    NOT_FOUND_MESSAGE,
    body_object,
    error,
    validation_error,
)

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

# create-custom-field-definition.html: the data types a create takes (Connect, which pairs two definitions, is
# listed among the types a definition has but not among those the API creates).
CREATABLE_TYPES = ("String", "Text", "Dropdown", "Date", "Checkbox", "Float", "URL", "Percentage", "Currency",
                   "MultiSelect")
# list-custom-field-definitions.html: the entities `available_on` names.
ENTITIES = ("lead", "person", "opportunity", "company", "project", "task")
# The fewest options a create or an update that sends `options` takes (create-custom-field-definition.html:
# "Dropdown ... at least one option", "MultiSelect ... at least two").
MIN_OPTIONS = {"Dropdown": 1, "MultiSelect": 2}
# The record resources whose records carry custom_fields, by the entity Copper names them with (projects and tasks
# are not rows of this emulator's definitions: tasks keep an empty custom_fields list).
RECORD_RESOURCES = {"company": "accounts", "person": "contacts", "opportunity": "opportunities", "lead": "leads"}
FIRST_DEFINITION_ID = 110_000   # after the seeded ids (100764..103601)
FIRST_OPTION_ID = 910_000       # after the seeded option ids (900101..900203)


class Definitions(Resource):
    """The account's custom field definitions; the control API shows them as `fields`."""

    name: ClassVar[str] = "fields"
    default_seed_count: ClassVar[int | None] = 0
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        # By id, in list order; bounded like every store (spaces.py), so a space holds a bounded number of them.
        self.records: dict[int, dict[str, Any]] = BoundedRecords()
        self._next_id = FIRST_DEFINITION_ID
        self._next_option_id = FIRST_OPTION_ID

    # -- state ----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """The seeded definitions, whatever the record count (they are the account's settings, not records)."""
        self.records = BoundedRecords()
        for definition in copy.deepcopy(CUSTOM_FIELD_DEFINITIONS):
            self.records[definition["id"]] = definition
        self._next_id = FIRST_DEFINITION_ID
        self._next_option_id = FIRST_OPTION_ID

    def snapshot(self) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self.records.values()))

    def find(self, definition_id: Any) -> dict[str, Any] | None:
        return self.records.get(definition_id)

    def by_id(self) -> dict[int, dict[str, Any]]:
        return self.records

    def ids_on(self, entity: str) -> list[int]:
        """The ids of the definitions available on `entity` (company, person, opportunity, lead), in list order."""
        return [d["id"] for d in self.records.values() if entity in d["available_on"]]

    def sync_records(self) -> None:
        """Every stored record's custom_fields as Copper lists them: one row per definition available on its entity,
        in list order, keeping the values set (rows of definitions gone or no longer on the entity are dropped)."""
        for entity, resource_name in RECORD_RESOURCES.items():
            store = getattr(self.emulator.resource(resource_name), "store", None)
            if store is None:
                continue
            ids = self.ids_on(entity)
            for record in store.values():
                values = {row["custom_field_definition_id"]: row["value"] for row in record.get("custom_fields", [])}
                record["custom_fields"] = [{"custom_field_definition_id": fid, "value": values.get(fid)} for fid in ids]

    # -- routes ---------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        base = "/developer_api/v1/custom_field_definitions"
        return [
            Route(base, g(self.list_definitions), methods=["GET"]),
            Route(base, g(self.create_definition), methods=["POST"]),
            Route(base + "/{id}", g(self.get_definition), methods=["GET"]),
            Route(base + "/{id}", g(self.update_definition), methods=["PUT"]),
            Route(base + "/{id}", g(self.delete_definition), methods=["DELETE"]),
        ]

    def _path_definition(self, request: Request) -> dict[str, Any] | None:
        raw = request.path_params["id"]
        return self.find(int(raw)) if raw.isdigit() else None

    async def list_definitions(self, request: Request) -> Response:
        """GET /custom_field_definitions: a bare array of every definition (list-custom-field-definitions.html)."""
        return json_response(list(self.records.values()))

    async def get_definition(self, request: Request) -> Response:
        """GET /custom_field_definitions/{id} (fetch-custom-field-definition-by-id.html); 404 for an unknown id."""
        found = self._path_definition(request)
        return json_response(found) if found is not None else error(404, NOT_FOUND_MESSAGE)

    async def create_definition(self, request: Request) -> Response:
        """POST /custom_field_definitions (create-custom-field-definition.html): `name` and `data_type` required;
        answers 200 with the definition."""
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        problems = []
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append("name: Name is required")
        data_type = body.get("data_type")
        if data_type is None:
            problems.append("data_type: Data type is required")
        elif not member(data_type, CREATABLE_TYPES):
            problems.append(f"data_type: Invalid data type {str(data_type)[:60]}")
        available_on = self._available_on(body.get("available_on", []), problems)
        options = self._options(body.get("options"), data_type, problems, required=True)
        if problems:
            return validation_error(*problems)
        definition: dict[str, Any] = {"id": self._next_id, "name": name.strip(), "canonical_name": None,
                                      "data_type": data_type, "available_on": available_on}
        if options is not None:
            definition["options"] = options
        if data_type == "Currency" and isinstance(body.get("currency"), str):
            definition["currency"] = body["currency"][:3]   # the 3-letter code a Currency field keeps
        self.records[definition["id"]] = definition     # SpaceFull past the space's bounds
        self._next_id += 1
        self.sync_records()
        return json_response(definition)

    async def update_definition(self, request: Request) -> Response:
        """PUT /custom_field_definitions/{id} (update-custom-field-definition.html): the keys sent change; sending
        `options` replaces the list, re-ranked from 0 with new ids (the page's example). 404 for an unknown id."""
        definition = self._path_definition(request)
        if definition is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        problems = []
        if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
            problems.append("name: Name is required")
        # The update page changes names and options; whether a data_type change is taken is not documented
        # [unverified]: refused, so a client does not rely on a conversion Copper may not make.
        if "data_type" in body and body["data_type"] != definition["data_type"]:
            problems.append("data_type: Data type cannot be changed")
        available_on = self._available_on(body["available_on"], problems) if "available_on" in body else None
        options = self._options(body["options"], definition["data_type"], problems, required=True) \
            if "options" in body else None
        if problems:
            return validation_error(*problems)
        changed = dict(definition)
        if "name" in body:
            changed["name"] = body["name"].strip()
        if available_on is not None:
            changed["available_on"] = available_on
        if options is not None:
            # Values naming options that are gone are kept as they are [unverified: Copper's docs do not say].
            changed["options"] = options
        self.records[definition["id"]] = changed        # SpaceFull for a definition past the bytes bound
        definition = changed
        self.sync_records()
        return json_response(definition)

    async def delete_definition(self, request: Request) -> Response:
        """DELETE /custom_field_definitions/{id} (delete-custom-field-definition.html): gone for good, from every
        entity it was on (records lose its values); answers {"id", "is_deleted": true}. 404 for an unknown id."""
        definition = self._path_definition(request)
        if definition is None:
            return error(404, NOT_FOUND_MESSAGE)
        del self.records[definition["id"]]
        self.sync_records()
        return json_response({"id": definition["id"], "is_deleted": True})

    # -- validation -----------------------------------------------------------------------------------
    @staticmethod
    def _available_on(value: Any, problems: list[str]) -> list[str]:
        """`available_on` as stored, or [] with the problem added: a list of the entities Copper names. Whether
        Copper refuses a definition on no entity is not documented [unverified]: taken."""
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            problems.append("available_on: Invalid available_on")
            return []
        unknown = [v for v in value if not member(v, ENTITIES)]
        if unknown:
            problems.append(f"available_on: Invalid entity {str(unknown[0])[:60]}")
            return []
        return list(dict.fromkeys(value))

    def _options(self, value: Any, data_type: Any, problems: list[str], *, required: bool) -> list[dict[str, Any]] | None:
        """Dropdown and MultiSelect options as stored ({id, name, rank}, ranked from 0), or None for the other
        types (whose options, if sent, are not kept [unverified: the docs do not say whether they are refused])."""
        if not member(data_type, MIN_OPTIONS):
            return None
        if value is None:
            value = []
        if not isinstance(value, list) or any(not isinstance(o, dict) or not isinstance(o.get("name"), str)
                                              or not o["name"].strip() for o in value):
            problems.append("options: Each option needs a name")
            return None
        if required and len(value) < MIN_OPTIONS[data_type]:
            needed = MIN_OPTIONS[data_type]
            problems.append(f"options: {data_type} fields need at least {needed} option{'s' if needed > 1 else ''}")
            return None
        options = []
        for rank, option in enumerate(value):
            options.append({"id": self._next_option_id, "name": option["name"].strip(), "rank": rank})
            self._next_option_id += 1
        return options
