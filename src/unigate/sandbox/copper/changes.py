"""A create or update body written onto a Copper record, field by field (companies, people, opportunities,
leads).

Copper's PUT changes only the fields sent and `null` clears one (https://developer.copper.com/companies/update-a-company.html ,
GitbookTest `3.-people/update-a-person.md`); a create is the same writes onto a blank record. Every field
sent is checked, and the problems are collected so that one 422 names them all (`validation_error` joins
them). `Changes` holds the writes the entities share; each entity's `apply_changes` calls them in its own
field order (the order of the problems in the 422) and adds its own fields in between.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from starlette.responses import Response

from unigate.sandbox.base import member
from unigate.sandbox.copper.common import (
    EMAIL_CATEGORIES,
    PHONE_CATEGORIES,
    SOCIAL_CATEGORIES,
    WEBSITE_CATEGORIES,
    categorised_items,
    merge_custom_fields,
    validation_error,
)

NAME_REQUIRED = "name: Name is required"
USER_NOT_FOUND = "assignee_id: User not found"
TAGS_NOT_STRINGS = "tags: Tags must be strings"
ADDRESS_KEYS = ("street", "city", "state", "postal_code", "country")
# https://developer.copper.com/introduction/appendix.html : the categories each contact list takes.
CATEGORIES = {"emails": EMAIL_CATEGORIES, "phone_numbers": PHONE_CATEGORIES, "websites": WEBSITE_CATEGORIES,
              "socials": SOCIAL_CATEGORIES}
# Whether Copper folds tag case is [unverified]; the sandbox keeps tags as sent.
LOWERCASE_TAGS = False
# Whether first_name/last_name (and prefix, middle_name, suffix) are written as sent or always derived
# from `name` is [unverified] (the create example derives "My Contact" -> My / Contact; third-party
# clients send them): switch `person_name_parts` (`as_sent` by default; `from_name`).
NAME_PARTS = ("prefix", "first_name", "middle_name", "last_name", "suffix")


def split_name(name: str) -> dict[str, Any]:
    """first_name and last_name derived from a full name: the first word, then the rest
    (create-a-new-person.md: "My Contact" -> "My" / "Contact"; longer names [unverified])."""
    words = name.split()
    return {"prefix": None, "first_name": words[0] if words else None, "middle_name": None,
            "last_name": " ".join(words[1:]) or None, "suffix": None}


def tag_list(value: Any) -> list[str] | None:
    """`tags` as a record keeps them: trimmed, once each, in the order sent, null clearing them; None when they
    are not a list of strings."""
    tags = value or []
    if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
        return None
    cleaned = (t.strip().lower() if LOWERCASE_TAGS else t.strip() for t in tags)
    return list(dict.fromkeys(t for t in cleaned if t))


def name_missing(value: Any) -> bool:
    """A name that is absent or blank once made text (Copper requires one on every record it names)."""
    return not str(value or "").strip()


class Changes:
    """The body's writes onto `record` (a staged copy on update), with the problems found so far."""

    def __init__(self, record: dict[str, Any], body: dict[str, Any]) -> None:
        self.record = record
        self.body = body
        self.problems: list[str] = []

    def refusal(self) -> Response | None:
        """Copper's 422 naming every problem, or None when the body was written whole."""
        return validation_error(*self.problems) if self.problems else None

    def copy(self, *keys: str) -> None:
        """Fields written as sent, unchecked."""
        for key in keys:
            if key in self.body:
                self.record[key] = self.body[key]

    def name(self) -> None:
        if "name" in self.body:
            self.record["name"] = str(self.body["name"]).strip()

    def person_name(self, parts_as_sent: bool) -> None:
        """A person's or a lead's `name` and its parts: derived from `name`, then the parts sent written over
        them when `parts_as_sent` (switch `person_name_parts`), `name` then rebuilt from them unless sent."""
        body, record = self.body, self.record
        if "name" in body:
            record["name"] = str(body["name"]).strip()
            record.update(split_name(record["name"]))
        if parts_as_sent and any(k in body for k in NAME_PARTS):
            record.update({k: body[k] for k in NAME_PARTS if k in body})
            if "name" not in body:
                record["name"] = " ".join(str(record[k]) for k in ("first_name", "middle_name", "last_name") if record[k])

    def one_of(self, key: str, allowed: Container[Any], problem: str, *, nullable: bool = True) -> None:
        """A field whose value must be one of `allowed` (or null, when `nullable`); `problem` may name the value
        sent with `{}`."""
        if key not in self.body:
            return
        value = self.body[key]
        if (value is not None or not nullable) and not member(value, allowed):
            self.problems.append(problem.format(value))
        else:
            self.record[key] = value

    def address(self) -> None:
        """`address`: an object of street, city, state, postal_code and country (other keys dropped), or null."""
        if "address" not in self.body:
            return
        address = self.body["address"]
        if address is None or isinstance(address, dict):
            self.record["address"] = None if address is None else {k: address.get(k) for k in ADDRESS_KEYS}
        else:
            self.problems.append("address: Invalid address")

    def categorised(self, *keys: str) -> None:
        """Contact lists of {value, category} (emails, phone_numbers, websites, socials; common.categorised_items)."""
        for key in keys:
            if key in self.body:
                items = categorised_items(key, self.body[key], CATEGORIES[key])
                if isinstance(items, str):
                    self.problems.append(items)
                else:
                    self.record[key] = items

    def tags(self) -> None:
        if "tags" in self.body:
            tags = tag_list(self.body["tags"])
            if tags is None:
                self.problems.append(TAGS_NOT_STRINGS)
            else:
                self.record["tags"] = tags

    def custom_fields(self, entity: str, definitions: dict[int, dict[str, Any]]) -> None:
        """`custom_fields` values, checked against the data space's definitions on `entity` (common.merge_custom_fields)."""
        if "custom_fields" in self.body:
            problem = merge_custom_fields(self.record, self.body["custom_fields"], entity, definitions)
            if problem:
                self.problems.append(problem)

    def monetary_value(self) -> None:
        """An opportunity's or a lead's `monetary_value`: a number from 0, or null."""
        if "monetary_value" not in self.body:
            return
        value = self.body["monetary_value"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            self.problems.append("Value: must be a positive number")
        else:
            self.record["monetary_value"] = value
