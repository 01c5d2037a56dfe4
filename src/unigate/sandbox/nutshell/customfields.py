"""Nutshell custom field definitions created through REST: `POST /rest/accounts/customfield`,
`/rest/contacts/customfield` and `/rest/leads/customfield` (https://app.nutshell.com/swagger.json, operation
"Create a custom field", body `CustomFieldCreateInput`).

- Body `{name, type, choices, isMultiple, title}`: `choices` and `isMultiple` "For enums only"; of the types,
  "Email, location, phone, and URL are only applicable to leads" (swagger, `CustomFieldCreateInput.type`). The
  swagger marks no field required and lists no type names; a definition without a name or a type could not hold
  values (they are written by name), so both are refused here (422, the emulator's validation status).
- Type names as Composio's Nutshell toolkit docs spell them: Text, LongText, Currency, Date, Decision (dropdown)
  (docs.composio.dev, the `nutshell` toolkit) [unverified]; Email, Location, Phone and URL (the swagger's
  lead-only types) on leads only; any other name is refused. Choices are required on a Decision and refused on
  the other types.
- The answer is 200 with no body schema (swagger). Whether it is empty or holds the new definition is unverified:
  switch `customfield_create_answer`, "empty" (default) or "field" (the definition as the attributes list has it).
- How the attributes list then spells the type is unverified (the seeded definitions use text, currency, date,
  enum): switch `customfield_type_reported`, "lowercase" (default: those spellings, Decision as enum, LongText as
  longtext) or "as_sent" (Text, Decision, ...).
- A second definition with a name the entity already has (compared without case): values are keyed by name, so
  it is refused (422) by default; whether Nutshell refuses it is unverified: switch `customfield_duplicate_name`,
  "refused" or "allowed".
- No update or delete of a definition exists in REST (swagger).
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.nutshell.common import NutshellError, json_body

TYPES = ("Text", "LongText", "Currency", "Date", "Decision")
LEAD_ONLY_TYPES = ("Email", "Location", "Phone", "URL")
ENTITIES = ("accounts", "contacts", "leads")
MAX_NAME_LENGTH = 255          # bounded like the other names the emulator stores [unverified]
MAX_CHOICES = 500

CREATE_ANSWER = ("empty", "field")
TYPE_REPORTED = ("lowercase", "as_sent")
DUPLICATE_NAME = ("refused", "allowed")


def check_multiple(spec: dict[str, Any], name: str, value: Any) -> bool:
    """A multi-choice Decision's value (a list of its choices): checked here, True when it was one."""
    if not spec.get("isMultiple") or not isinstance(value, list):
        return False
    for item in value:
        if item not in (spec.get("choices") or []):
            raise NutshellError(422, "Invalid custom field value",
                                f"{item!r} is not one of {', '.join(spec.get('choices') or [])}", "customFields")
    return True


class CustomFieldDefinitions(Resource):
    """Creates definitions into the tables each entity reads its own from: the emulator's account fields,
    the contacts' `field_specs` and the leads' (held by the `opportunities` resource)."""

    name = "fields"
    default_seed_count: ClassVar[int | None] = 0

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [Route(f"/rest/{entity}/customfield", g(self._create_for(entity)), methods=["POST"])
                for entity in ENTITIES]

    def seed(self, count: int) -> None:
        """The seeded definitions come with each entity's own resource."""

    def _table(self, entity: str) -> dict[str, dict[str, Any]]:
        if entity == "accounts":
            return self.emulator.custom_fields
        return self.emulator.resource("contacts" if entity == "contacts" else "opportunities").field_specs

    def snapshot(self) -> Any:
        """Every entity's definitions, each with the entity it belongs to (`entity`: accounts, contacts, leads)."""
        return [{**spec, "entity": entity} for entity in ENTITIES for spec in self._table(entity).values()]

    def _next_id(self) -> str:
        numbers = [int(str(spec["id"]).split("-", 1)[0]) for entity in ENTITIES
                   for spec in self._table(entity).values()]
        return f"{max(numbers, default=0) + 1}-customfields"

    def _create_for(self, entity: str):
        async def create(request: Request) -> Response:
            return await self._create(entity, request)
        return create

    async def _create(self, entity: str, request: Request) -> Response:
        data = await json_body(request)
        if not isinstance(data, dict):
            raise NutshellError(422, "Invalid custom field", "The body must be a JSON object")
        name, kind, title = data.get("name"), data.get("type"), data.get("title")
        if not isinstance(name, str) or not name.strip():
            raise NutshellError(422, "Invalid custom field", "A custom field needs a name", "name")
        if len(name) > MAX_NAME_LENGTH or (title is not None and (not isinstance(title, str)
                                                                   or len(title) > MAX_NAME_LENGTH)):
            raise NutshellError(422, "Invalid custom field", f"Names are at most {MAX_NAME_LENGTH} characters", "name")
        allowed = TYPES + (LEAD_ONLY_TYPES if entity == "leads" else ())
        if kind not in allowed:
            raise NutshellError(422, "Invalid custom field type",
                                f"{kind!r} is not a {entity[:-1]} custom field type ({', '.join(allowed)})", "type")
        choices, multiple = data.get("choices"), data.get("isMultiple", False)
        if kind == "Decision":
            if (not isinstance(choices, list) or not choices or len(choices) > MAX_CHOICES
                    or not all(isinstance(c, str) and c.strip() for c in choices) or len(set(choices)) != len(choices)):
                raise NutshellError(422, "Invalid custom field", "A Decision field needs distinct text choices",
                                    "choices")
            if not isinstance(multiple, bool):
                raise NutshellError(422, "Invalid custom field", "isMultiple is true or false", "isMultiple")
        elif choices is not None or data.get("isMultiple") is not None:
            raise NutshellError(422, "Invalid custom field", "choices and isMultiple are for Decision fields only",
                                "choices")
        table = self._table(entity)
        if self.emulator.switch["customfield_duplicate_name"] == "refused" \
                and any(existing.lower() == name.lower() for existing in table):
            raise NutshellError(422, "Invalid custom field", f"A custom field named {name!r} already exists", "name")
        reported = kind if self.emulator.switch["customfield_type_reported"] == "as_sent" \
            else ("enum" if kind == "Decision" else kind.lower())
        spec = {"id": self._next_id(), "type": "customfields", "name": name, "title": title or name,
                "fieldType": reported, "choices": list(choices) if kind == "Decision" else None}
        if kind == "Decision":
            spec["isMultiple"] = multiple
        # keyed by name as values are; an allowed duplicate keeps the first under the name (values go to it)
        key = name if name not in table else f"{name}\x00{spec['id']}"
        table[key] = spec
        if self.emulator.switch["customfield_create_answer"] == "field":
            return json_response(spec)
        return Response(b"", 200)
