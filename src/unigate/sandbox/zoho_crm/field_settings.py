"""Zoho CRM's custom field settings: create, update and delete a module's custom fields.

Paths and shapes from Zoho's v8 docs and OpenAPI spec (https://github.com/zoho/crm-oas, v8.0/fields):
- `POST /crm/v8/settings/fields?module=` with `{"fields": [...]}`: `field_label` and `data_type` mandatory
  (https://www.zoho.com/crm/developer/docs/api/v8/create-custom-field.html); answers 201 with one
  `{"code": "SUCCESS", "details": {"id"}, "message": "field created"}` item per field, 207 when some failed,
  400 when all did (crm-oas createFields examples).
- `PATCH /crm/v8/settings/fields/{id}?module=` with `{"fields": [{...}]}`: 200 "field updated"
  (https://www.zoho.com/crm/developer/docs/api/v8/update-custom-fields.html). "The field label for
  system-defined fields cannot be updated", and a field's type is not converted here.
- `DELETE /crm/v8/settings/fields/{id}?module=`: 200 "field deleted"; only custom fields go
  (https://www.zoho.com/crm/developer/docs/api/v8/delete-field.html). The deleted field's values leave the
  module's records.
- `GET /crm/v8/settings/fields/{id}?module=`: `{"fields": [field]}`.
- `module` is required on each (400 `REQUIRED_PARAM_MISSING`); an unknown module is 400 `INVALID_MODULE`.

Not documented per case, so chosen here and said so: the error codes for a system field's label or type
change and for its deletion (`NOT_SUPPORTED` and `NOT_ALLOWED`, both among the codes crm-oas lists for these
operations), an unknown field id (400 `INVALID_DATA` on `resource_path_index`, as for record ids), a taken
api_name or label (`DUPLICATE_DATA`), and a picklist without `pick_list_values` (refused).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member, read_json
from unigate.sandbox.zoho_crm.common import error_object

if TYPE_CHECKING:
    from unigate.sandbox.zoho_crm import ZohoCrmEmulator
    from unigate.sandbox.zoho_crm.module import ModuleResource

# data_type -> the json_type a record's value has (crm-oas v8.0 fields `json_type`).
JSON_TYPES = {"text": "string", "textarea": "string", "email": "string", "phone": "string", "website": "string",
              "integer": "integer", "bigint": "string", "double": "double", "currency": "double",
              "percent": "double", "decimal": "double", "boolean": "boolean", "date": "string",
              "datetime": "string", "picklist": "string", "multiselectpicklist": "jsonarray"}
PICKLIST_TYPES = ("picklist", "multiselectpicklist")
_UNKNOWN_FIELD = error_object("INVALID_DATA", "the id given seems to be invalid", {"resource_path_index": 2})


def _problem(code: str, message: str, key: str, index: int) -> dict[str, Any]:
    return error_object(code, message, {"api_name": key, "json_path": f"$.fields[{index}].{key}"})


def _item(message: str, field_id: str) -> dict[str, Any]:
    return {"code": "SUCCESS", "details": {"id": field_id}, "message": message, "status": "success"}


class FieldSettings:
    """The `/crm/v8/settings/fields` routes of one emulator, over its modules' layouts."""

    def __init__(self, emulator: ZohoCrmEmulator) -> None:
        self.emulator = emulator

    def _module(self, request: Request) -> tuple[ModuleResource | None, Response | None]:
        denied = self.emulator.check_auth(request)
        if denied:
            return None, denied
        module = request.query_params.get("module")
        if not module:
            return None, self.emulator.answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                                           {"param_name": "module"}), 400)
        resource = self.emulator.modules().get(module)
        if resource is None:
            return None, self.emulator.answer(error_object("INVALID_MODULE", "the module name given seems to be invalid",
                                                           {"param_name": "module"}), 400)
        return resource, None

    async def _fields(self, request: Request) -> tuple[list[Any], Response | None]:
        payload = await read_json(request)
        fields = payload.get("fields") if isinstance(payload, dict) else None
        if not isinstance(fields, list) or not fields:
            return [], self.emulator.answer(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                                         {"api_name": "fields", "json_path": "$.fields"}), 400)
        return fields, None

    async def listed(self, request: Request) -> Response:
        """`GET` lists the module's fields; `POST` creates custom ones."""
        module, problem = self._module(request)
        if problem:
            return problem
        assert module is not None
        if request.method == "GET":
            return self.emulator.answer({"fields": module.field_list()})
        fields, problem = await self._fields(request)
        if problem:
            return problem
        items = [self._create(module, spec, index) for index, spec in enumerate(fields)]
        ok = sum(1 for item in items if item["status"] == "success")
        status = 201 if ok == len(items) else 400 if ok == 0 else 207
        return self.emulator.answer({"fields": items}, status)

    def _create(self, module: ModuleResource, spec: Any, index: int) -> dict[str, Any]:
        if not isinstance(spec, dict):
            return error_object("INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject",
                                                                 "json_path": f"$.fields[{index}]"})
        label, data_type = spec.get("field_label"), spec.get("data_type")
        for key, value in (("field_label", label), ("data_type", data_type)):
            if not isinstance(value, str) or not value.strip():
                return _problem("MANDATORY_NOT_FOUND", "required field not found", key, index)
        if not member(data_type, JSON_TYPES):
            return _problem("INVALID_DATA", "invalid data", "data_type", index)
        api_name = spec.get("api_name") or re.sub(r"[^A-Za-z0-9]+", "_", label.strip()).strip("_")
        if not isinstance(api_name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,49}", api_name):
            return _problem("INVALID_DATA", "invalid data", "api_name", index)
        taken = {name.lower() for name, *_ in module.layout()}
        labels = {field_label.lower() for _n, _j, _d, field_label, _c in module.layout()}
        if api_name.lower() in taken:
            return _problem("DUPLICATE_DATA", "duplicate data", "api_name", index)
        if label.strip().lower() in labels:
            return _problem("DUPLICATE_DATA", "duplicate data", "field_label", index)
        values = self._picklist(spec, data_type)
        if isinstance(values, dict):
            return {**values, "details": {**values["details"], "json_path": f"$.fields[{index}].pick_list_values"}}
        field_id = module.add_field(api_name, JSON_TYPES[data_type], data_type, label.strip(), values)
        return _item("field created", field_id)

    @staticmethod
    def _picklist(spec: dict[str, Any], data_type: str) -> list[str] | dict[str, Any] | None:
        """A picklist's values (actual_value, else display_value), an error item, or None for other types."""
        if not member(data_type, PICKLIST_TYPES):
            return None
        given = spec.get("pick_list_values")
        if not isinstance(given, list) or not given:
            return error_object("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "pick_list_values"})
        values = [v.get("actual_value") or v.get("display_value") for v in given if isinstance(v, dict)]
        if len(values) != len(given) or not all(isinstance(v, str) and v for v in values):
            return error_object("INVALID_DATA", "invalid data", {"api_name": "pick_list_values"})
        return values

    async def one(self, request: Request) -> Response:
        module, problem = self._module(request)
        if problem:
            return problem
        assert module is not None
        field_id = request.path_params["field_id"]
        field = next((f for f in module.field_list() if f["id"] == field_id), None)
        if field is None:
            return self.emulator.answer(_UNKNOWN_FIELD, 400)
        if request.method == "GET":
            return self.emulator.answer({"fields": [field]})
        if request.method == "DELETE":
            if not field["custom_field"]:
                return self.emulator.answer(error_object("NOT_ALLOWED", "system-defined fields cannot be deleted",
                                                         {"resource_path_index": 2}), 400)
            module.remove_field(field["api_name"])
            return self.emulator.answer({"fields": [_item("field deleted", field_id)]})
        fields, problem = await self._fields(request)
        if problem:
            return problem
        item = self._update(module, field, fields[0])
        return self.emulator.answer({"fields": [item]}, 200 if item["status"] == "success" else 400)

    def _update(self, module: ModuleResource, field: dict[str, Any], spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict):
            return error_object("INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject",
                                                                 "json_path": "$.fields[0]"})
        if "data_type" in spec and spec["data_type"] != field["data_type"]:
            return _problem("NOT_SUPPORTED", "the field's data type cannot be changed", "data_type", 0)
        label = spec.get("field_label", spec.get("display_label"))
        if label is not None and (not isinstance(label, str) or not label.strip()):
            return _problem("INVALID_DATA", "invalid data", "field_label", 0)
        if label is not None and not field["custom_field"] and label != field["field_label"]:
            return _problem("NOT_SUPPORTED", "the label of a system-defined field cannot be updated", "field_label", 0)
        if label is not None and label.strip().lower() != field["field_label"].lower() and label.strip().lower() in {
                field_label.lower() for _n, _j, _d, field_label, _c in module.layout()}:
            return _problem("DUPLICATE_DATA", "duplicate data", "field_label", 0)
        values = self._picklist(spec, field["data_type"]) if "pick_list_values" in spec else None
        if isinstance(values, dict):
            return {**values, "details": {**values["details"], "json_path": "$.fields[0].pick_list_values"}}
        module.change_field(field["api_name"], label.strip() if label is not None else None, values)
        return _item("field updated", field["id"])


class LayoutFields(Resource):
    """Every module's fields as the control API shows crm/fields (`/__control/zoho_crm/records/fields`); they
    come with the modules' layouts and change through the routes above."""

    name = "fields"
    default_seed_count: ClassVar[int | None] = 0
    emulator: ZohoCrmEmulator

    def routes(self) -> list[Route]:
        return []

    def seed(self, count: int) -> None:
        """Fields come with their modules."""

    def snapshot(self) -> Any:
        return [{"module": module_name, **field} for module_name, module in self.emulator.modules().items()
                for field in module.field_list()]
