"""Writing a party (organisation or person): the payload's simple fields and its nested collections.

Nested collections follow https://developer.capsulecrm.com/v2/overview/writing-to-the-api and NOTES
§18 (https://github.com/soil-dev/capsulemcp, NOTES-ON-CAPSULE-API.md): an item without `id` is
added, with `id` updated, with `id` and `_delete: true` removed (`_destroy` is silently ignored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import lookup, member
from unigate.sandbox.capsule.common import (
    ADDRESS_TYPES,
    COUNTRY_LOOKUP,
    ORGANISATION_NOT_FOUND_MESSAGE,
    USERS_BY_ID,
    WEBSITE_SERVICES,
    error,
    parse_iso,
    validation_error,
    website_url,
)

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator
    from unigate.sandbox.collection import Collection


class PartyChanges:
    """Applies create/update payloads to parties; mixed into the resources that store parties."""

    emulator: CapsuleEmulator
    # Provided by the resource that owns the parties store (accounts.Parties).
    store: Collection
    organisation_summary: Callable[[dict[str, Any] | None], dict[str, Any] | None]
    add_organisation: Callable[[str], dict[str, Any]]

    def apply_changes(self, request: Request, party: dict[str, Any], data: dict[str, Any]) -> Response | None:
        """Apply a create/update payload in place (nested collections as the module docstring says).
        Returns a Response on a validation failure."""
        simple = ["about"] + (["name"] if party["type"] == "organisation" else ["title", "firstName", "lastName", "jobTitle"])
        for key in simple:
            if key in data:
                party[key] = data[key].strip() if key == "name" and isinstance(data[key], str) else data[key]
        if "owner" in data:
            owner = data["owner"]
            if owner is None:
                party["owner"] = None
            else:
                user = lookup(USERS_BY_ID, owner.get("id") if isinstance(owner, dict) else None)
                if user is None:
                    return validation_error(request, [{"message": "owner is invalid", "resource": "party", "field": "owner"}])
                party["owner"] = dict(user)
        for key, make in (("addresses", self._address), ("phoneNumbers", self._phone),
                          ("websites", self._website), ("emailAddresses", self._email)):
            if key in data:
                failure = self._merge_collection(request, party, key, data[key], make)
                if failure is not None:
                    return failure
        if "tags" in data:
            failure = self._merge_tags(request, party, data["tags"])
            if failure is not None:
                return failure
        if "fields" in data:
            failure = self._merge_fields(request, party, data["fields"])
            if failure is not None:
                return failure
        if party["type"] == "person" and "organisation" in data:
            # Last, so a payload refused above never leaves an organisation created by name behind.
            return self._link_organisation(request, party, data["organisation"])
        return None

    def _link_organisation(self, request: Request, person: dict[str, Any], value: Any) -> Response | None:
        """A person's employer: `{"id": N}` must be an organisation (a person's id or an unknown one is
        `404 organisation not found`); `{"name": ...}` links the organisation of that name, created when
        there is none (https://developer.capsulecrm.com/v2/operations/Party, "Create a party": "organisation
        ... id or name"; wording of the 404 from the capsulemcp create_party tool docs,
        https://github.com/soil-dev/capsulemcp). `null` leaves the person without one."""
        if value is None:
            person["organisation"] = None
            return None
        if not isinstance(value, dict):
            return validation_error(request, [{"message": "organisation is invalid", "resource": "party", "field": "organisation"}])
        if value.get("id") is not None:
            raw = value["id"]
            org = self.store.get(str(raw)) if isinstance(raw, int) and not isinstance(raw, bool) else None
            if org is None or org["type"] != "organisation":
                return error(request, 404, ORGANISATION_NOT_FOUND_MESSAGE)
        elif str(value.get("name") or "").strip():
            name = str(value["name"]).strip()
            org = next((p for p in self.store.live() if p["type"] == "organisation" and p["name"].lower() == name.lower()), None)
            if org is None:
                org = self.add_organisation(name)
        else:
            return validation_error(request, [{"message": "organisation is invalid", "resource": "party", "field": "organisation"}])
        person["organisation"] = self.organisation_summary(org)
        return None

    def _merge_collection(self, request, party, key, items, make) -> Response | None:
        if not isinstance(items, list):
            return validation_error(request, [{"message": f"{key} must be an array", "resource": "party", "field": key}])
        current = party[key]
        for item in items:
            if not isinstance(item, dict):
                return validation_error(request, [{"message": f"{key} is invalid", "resource": "party", "field": key}])
            if "id" in item:
                existing = next((row for row in current if row["id"] == item["id"]), None)
                if existing is None:
                    return error(request, 404, f"{key[:-1] if key.endswith('s') else key} not found")
                if item.get("_delete") is True:
                    current.remove(existing)
                    continue
                merged = {**existing, **{k: v for k, v in item.items() if k not in ("_delete", "_destroy")}}
                built = make(merged)
            else:
                built = make({k: v for k, v in item.items() if k not in ("_delete", "_destroy")})
            if isinstance(built, str):
                return validation_error(request, [{"message": built, "resource": key[:-1] if key.endswith("s") else key, "field": key}])
            if "id" in item:
                existing.update(built)
            else:
                built["id"] = self.emulator.child_id()
                current.append({"id": built.pop("id"), **built})
        return None

    def normalise_country(self, value: Any) -> str | None:
        """Capsule keeps countries by dictionary name; anything else is a 422 (the tool docs of
        https://github.com/soil-dev/capsulemcp)."""
        if value in (None, ""):
            return None
        return COUNTRY_LOOKUP.get(str(value).strip().lower(), "")

    def _address(self, item: dict[str, Any]) -> dict[str, Any] | str:
        country = self.normalise_country(item.get("country"))
        if country == "":
            return "country is invalid"
        kind = item.get("type")
        if kind is not None and not member(kind, ADDRESS_TYPES):
            return "type is invalid"
        return {"type": kind, "street": item.get("street"), "city": item.get("city"), "state": item.get("state"),
                "country": country, "zip": item.get("zip")}

    @staticmethod
    def _phone(item: dict[str, Any]) -> dict[str, Any] | str:
        if not str(item.get("number") or "").strip():
            return "number is required"
        return {"type": item.get("type"), "number": item["number"]}

    @staticmethod
    def _email(item: dict[str, Any]) -> dict[str, Any] | str:
        if "@" not in str(item.get("address") or ""):
            return "address is invalid"
        return {"type": item.get("type"), "address": item["address"]}

    @staticmethod
    def _website(item: dict[str, Any]) -> dict[str, Any] | str:
        address = str(item.get("address") or "").strip()
        if not address:
            return "address is required"
        service = item.get("service") or "URL"
        if not member(service, WEBSITE_SERVICES):
            return "service is invalid"
        return {"type": item.get("type"), "service": service, "address": address, "url": website_url(service, address)}

    def _merge_tags(self, request, party, items) -> Response | None:
        if not isinstance(items, list):
            return validation_error(request, [{"message": "tags must be an array", "resource": "party", "field": "tags"}])
        for item in items:
            if not isinstance(item, dict):
                continue
            if item.get("_delete") is True:
                attached = next((t for t in party["tags"] if t["id"] == item.get("id")), None)
                if attached is None:
                    # NOTES §24: detaching a tag that is not on the entity is a 422.
                    return validation_error(request, [{"message": "tag not found to delete", "resource": "tag", "field": "id"}])
                party["tags"].remove(attached)
                continue
            if item.get("name"):
                tag = self.emulator.tag(str(item["name"]))
            else:
                tag = next((t for t in self.emulator.tags["parties"].values() if t["id"] == item.get("id")), None)
                if tag is None:
                    return validation_error(request, [{"message": "tag not found", "resource": "tag", "field": "id"}])
            if all(t["id"] != tag["id"] for t in party["tags"]):
                party["tags"].append(dict(tag))
        return None

    def _merge_fields(self, request, party, items) -> Response | None:
        if not isinstance(items, list):
            return validation_error(request, [{"message": "fields must be an array", "resource": "party", "field": "fields"}])
        for item in items:
            if not isinstance(item, dict):
                continue
            if "id" in item and item.get("definition") is None:
                existing = next((f for f in party["fields"] if f["id"] == item["id"]), None)
                if existing is None:
                    return error(request, 404, "field not found")
                if item.get("_delete") is True:
                    party["fields"].remove(existing)
                elif "value" in item:
                    if item["value"] is None:
                        party["fields"].remove(existing)
                    else:
                        existing["value"] = self._field_stored_value(existing["definition"]["id"], item["value"])
                continue
            definition_ref = item.get("definition") or {}
            definition = self.emulator.definition("parties", definition_ref.get("id") if isinstance(definition_ref, dict) else None)
            if definition is None:
                return validation_error(request, [{"message": "definition is invalid", "resource": "field", "field": "definition"}])
            value = item.get("value")
            problem = self._field_problem(definition, value)
            if problem:
                return validation_error(request, [{"message": problem, "resource": "field", "field": "value"}])
            existing = next((f for f in party["fields"] if f["definition"]["id"] == definition["id"]), None)
            if value is None:
                if existing is not None:
                    party["fields"].remove(existing)
                continue
            stored = self._field_stored_value(definition["id"], value)
            if existing is not None:
                existing["value"] = stored
            else:
                party["fields"].append(self.field_value(definition["id"], stored))
        return None

    @staticmethod
    def _field_problem(definition: dict[str, Any], value: Any) -> str | None:
        kind = definition["type"]
        if value is None:
            # NOTES §21: null clears most types but BOOLEAN rejects it.
            return "invalid type for field" if kind == "BOOLEAN" else None
        if kind == "NUMBER":
            try:
                float(value)
            except (TypeError, ValueError):
                return "invalid type for field"
        if kind == "BOOLEAN" and not isinstance(value, bool):
            return "invalid type for field"
        if kind == "LIST" and value not in definition.get("options", []):
            return "value is not one of the options"
        if kind == "DATE" and (not isinstance(value, str) or parse_iso(value) is None):
            return "invalid date"
        return None

    def _field_stored_value(self, definition_id: int, value: Any) -> Any:
        """NUMBER values are stored and read back as strings (NOTES §22)."""
        definition = self.emulator.definition("parties", definition_id)
        if definition is not None and definition["type"] == "NUMBER" and value is not None:
            number = float(value)
            return str(int(number)) if number.is_integer() else str(number)
        return value

    def field_value(self, definition_id: int, value: Any) -> dict[str, Any]:
        definition = self.emulator.definition("parties", definition_id)
        assert definition is not None
        return {"id": self.emulator.child_id(), "definition": {"id": definition["id"], "name": definition["name"]},
                "value": value, "tagId": None}
