"""Building blocks of Copper's record searches (`POST /<records>/search`): the criteria several entities
share, the sort keys' text rules and the page a search answers.

Each search's `filters` lists its criteria in its own order and keeps its own quirks; these helpers are the
criteria that read the same on every entity that has them (list-people-search.html,
list-companies-search.html, list-leads-search.html, list-opportunities-search.html). A criterion is a
predicate on a stored record; a search ANDs them. A value of the wrong type raises TypeError or ValueError,
which the search answers with Copper's 422 (records.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from starlette.responses import Response

from unigate.sandbox.base import json_response
from unigate.sandbox.copper.common import SEARCH_RESULT_CAP

Record = dict[str, Any]
Criterion = Callable[[Record], bool]

NO_VALUE = -2          # "-2" in an `*_ids` criterion finds the records without one
ADDRESS_KEYS = ("city", "state", "postal_code", "country")
# The `minimum_…`/`maximum_…` criteria: what each bounds, by the name after the prefix.
BOUNDED_FIELDS = {"created_date": "date_created", "modified_date": "date_modified",
                  "interaction_count": "interaction_count", "monetary_value": "monetary_value", "due_date": "due_date"}


def id_set(body: dict[str, Any], key: str, *, list_only: bool = False) -> set[int]:
    """The ids a criterion names, as integers; `list_only`: anything but a list is refused (leads)."""
    if list_only and not isinstance(body[key], list):
        raise TypeError(key)
    return {int(x) for x in body[key]}


def with_ids(body: dict[str, Any], *, list_only: bool = False) -> list[Criterion]:
    """`ids`: the records with those ids."""
    if not body.get("ids"):
        return []
    ids = id_set(body, "ids", list_only=list_only)
    return [lambda r: r["id"] in ids]


def name_contains(body: dict[str, Any]) -> list[Criterion]:
    """`name`: a part of the name, any case."""
    if not body.get("name"):
        return []
    needle = str(body["name"]).lower()
    return [lambda r: needle in r["name"].lower()]


def phone_contains(body: dict[str, Any]) -> list[Criterion]:
    """`phone_number`: its digits within the digits of one of the record's numbers."""
    if not body.get("phone_number"):
        return []
    digits = "".join(ch for ch in str(body["phone_number"]) if ch.isdigit())
    return [lambda r: any(digits in "".join(ch for ch in n["number"] if ch.isdigit()) for n in r["phone_numbers"])]


def linked_to(body: dict[str, Any], fields: Iterable[tuple[str, str]], *, list_only: bool = False) -> list[Criterion]:
    """Each (`<x>_ids` criterion, record field) sent: the field is one of the ids, or unset where the ids
    hold NO_VALUE."""
    def linked(field: str, wanted: set[int]) -> Criterion:
        return lambda r: (r.get(field) if r.get(field) is not None else NO_VALUE) in wanted

    return [linked(field, id_set(body, key, list_only=list_only)) for key, field in fields if body.get(key)]


def tagged(body: dict[str, Any]) -> list[Criterion]:
    """`tags`: the records with one of the tags, any case."""
    if not body.get("tags"):
        return []
    tags = {str(t).lower() for t in body["tags"]}
    return [lambda r: any(t.lower() in tags for t in r["tags"])]


def at_address(body: dict[str, Any]) -> list[Criterion]:
    """`city`, `state`, `postal_code`, `country`: that part of the address, whole, any case."""
    def at(part: str, wanted: str) -> Criterion:
        return lambda r: ((r.get("address") or {}).get(part) or "").lower() == wanted

    return [at(key, str(body[key]).lower()) for key in ADDRESS_KEYS if body.get(key)]


def within_bounds(body: dict[str, Any], names: Iterable[str], *, number: Callable[[Any], float] = int,
                  unset_as_zero: bool = False) -> list[Criterion]:
    """`minimum_<name>` and `maximum_<name>` for each name (BOUNDED_FIELDS), inclusive; `number` reads the bound.
    A record without the value matches no bound, or counts as 0 with `unset_as_zero`."""
    def bound(field: str, limit: float, lower: bool) -> Criterion:
        def within(record: Record) -> bool:
            value = record[field]
            if value is None:
                if not unset_as_zero:
                    return False
                value = 0
            return value >= limit if lower else value <= limit
        return within

    found: list[Criterion] = []
    for name in names:
        for key, lower in ((f"minimum_{name}", True), (f"maximum_{name}", False)):
            if body.get(key) is not None:
                found.append(bound(BOUNDED_FIELDS[name], number(body[key]), lower))
    return found


def number_not_boolean(value: Any) -> float:
    """A bound as a float, refusing true and false (which float() would read as 1 and 0)."""
    if isinstance(value, bool):
        raise TypeError(value)
    return float(value)


# -- sorting -----------------------------------------------------------------------------------------------
def text(value: Any) -> str:
    """A text sort key: lower case; anything else (null) sorts as ""."""
    return value.lower() if isinstance(value, str) else ""


def address_part(record: Record, part: str) -> str:
    return text((record.get("address") or {}).get(part))


def ties_by_id(keys: dict[str, Callable[[Record], Any]]) -> dict[str, Callable[[Record], Any]]:
    """Sort keys that break ties by id, as every Copper search orders its records."""
    def tied(key: Callable[[Record], Any]) -> Callable[[Record], Any]:
        return lambda r: (key(r), r["id"])

    return {name: tied(key) for name, key in keys.items()}


def by_text(*fields: str) -> dict[str, Callable[[Record], Any]]:
    """Sorts by text fields of the same name as the sort_by value (name, first_name, ...), any case."""
    def key(field: str) -> Callable[[Record], Any]:
        return lambda r: text(r[field])
    return {field: key(field) for field in fields}


def as_stored(*fields: str) -> dict[str, Callable[[Record], Any]]:
    """Sorts by fields of the same name that are never null (date_created, date_modified, ...)."""
    def key(field: str) -> Callable[[Record], Any]:
        return lambda r: r[field]
    return {field: key(field) for field in fields}


def address_sorts() -> dict[str, Callable[[Record], Any]]:
    """The sort_by values on the address (`zip` for the postal code)."""
    return {"city": lambda r: address_part(r, "city"), "state": lambda r: address_part(r, "state"),
            "country": lambda r: address_part(r, "country"), "zip": lambda r: address_part(r, "postal_code")}


# -- the answer ----------------------------------------------------------------------------------------------
def page_span(page: int, size: int) -> tuple[int, int]:
    """The positions [start, stop) of page `page` (from 1) of `size` matches; nothing past the first 100,000."""
    start = (page - 1) * size
    return start, max(min(start + size, SEARCH_RESULT_CAP), start)


def search_answer(rows: list[Record], total: int) -> Response:
    """A search's page as Copper answers it: a bare JSON array, the number of matches in `X-PW-TOTAL`."""
    return json_response(rows, headers={"X-PW-TOTAL": str(total)})
