"""The structured party filter: `POST /api/v2/parties/filters/results`.

https://developer.capsulecrm.com/v2/operations/Filter : the body is `{"filter": {"conditions": [{field,
operator, value}, ...]}}`, conditions ANDed, the answer shaped and paged as `GET /parties`. Fields and
operators per type: https://developer.capsulecrm.com/v2/reference/filters . Filter field names differ from
the payload's (`addedOn`, not `createdAt`); a name Capsule does not know is `422 Validation Failed:
invalid field name` (NOTES §1 in https://github.com/soil-dev/capsulemcp, NOTES-ON-CAPSULE-API.md).

What this emulator applies: the fields in `FIELDS` with the operators of their type. Documented fields
it does not apply (team, hasPeople, custom:{id}, org.*) and nested groups are refused (422) rather than
ignored, so a client never relies on a condition the sandbox would skip. `orderBy` is not applied on an
ad-hoc filter (NOTES §11: sorting works on saved filters only); results come in id order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import member, read_json
from unigate.sandbox.capsule.common import error, validation_error

Party = dict[str, Any]

INVALID_FIELD_MESSAGE = "invalid field name"       # NOTES §1 (after "Validation Failed: ")


def _name(p: Party) -> list[Any]:
    if p["type"] == "organisation":
        return [p.get("name")]
    return [" ".join(n for n in (p.get("firstName"), p.get("lastName")) if n)]


def _day(value: str | None) -> date | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date() if value else None


# field -> (type, the party's values for it: a condition matches when any value does)
FIELDS: dict[str, tuple[str, Callable[[Party], list[Any]]]] = {
    "id": ("number", lambda p: [p["id"]]),
    "type": ("string", lambda p: [p["type"]]),
    "name": ("string", _name),
    "jobTitle": ("string", lambda p: [p.get("jobTitle")]),
    "email": ("string", lambda p: [e["address"] for e in p["emailAddresses"]] or [None]),
    "phone": ("string", lambda p: [n["number"] for n in p["phoneNumbers"]] or [None]),
    "city": ("string", lambda p: [a.get("city") for a in p["addresses"]] or [None]),
    "zip": ("string", lambda p: [a.get("zip") for a in p["addresses"]] or [None]),
    "state": ("string", lambda p: [a.get("state") for a in p["addresses"]] or [None]),
    "country": ("string", lambda p: [a.get("country") for a in p["addresses"]] or [None]),
    "tag": ("tag", lambda p: [t for t in p["tags"]] or [None]),
    "owner": ("number", lambda p: [(p.get("owner") or {}).get("id")]),
    "hasEmailAddress": ("boolean", lambda p: [bool(p["emailAddresses"])]),
    "hasPhoneNumber": ("boolean", lambda p: [bool(p["phoneNumbers"])]),
    "hasAddress": ("boolean", lambda p: [bool(p["addresses"])]),
    "hasTags": ("boolean", lambda p: [bool(p["tags"])]),
    "addedOn": ("date", lambda p: [_day(p["createdAt"])]),
    "updatedOn": ("date", lambda p: [_day(p["updatedAt"])]),
    "lastContactedOn": ("date", lambda p: [_day(p.get("lastContactedAt"))]),
}
OPERATORS = {
    "string": ("is", "is not", "starts with", "ends with", "contains"),
    "number": ("is", "is not", "is greater than", "is less than"),
    "tag": ("is", "is not"),
    "boolean": ("is", "is not"),
    "date": ("is", "is not", "is after", "is before", "is older than", "is within last", "is within next"),
}


def _test(kind: str, operator: str, wanted: Any) -> Callable[[Any], bool] | None:
    """A test of one value for `field operator wanted`, or None when `wanted` is not of the field's type."""
    if wanted is None:
        return (lambda v: v is None) if operator == "is" else (lambda v: v is not None)
    if kind == "string":
        if not isinstance(wanted, str):
            return None
        w = wanted.lower()
        return {"is": lambda v: (v or "").lower() == w, "is not": lambda v: (v or "").lower() != w,
                "starts with": lambda v: (v or "").lower().startswith(w),
                "ends with": lambda v: (v or "").lower().endswith(w),
                "contains": lambda v: w in (v or "").lower()}[operator]
    if kind == "number":
        if isinstance(wanted, bool) or not isinstance(wanted, (int, float)):
            return None
        return {"is": lambda v: v == wanted, "is not": lambda v: v != wanted,
                "is greater than": lambda v: v is not None and v > wanted,
                "is less than": lambda v: v is not None and v < wanted}[operator]
    if kind == "tag":   # a tag's name or id (NOTES §15)
        if isinstance(wanted, bool) or not isinstance(wanted, (int, str)):
            return None
        same = (lambda t: t is not None and t["id"] == wanted) if isinstance(wanted, int) else \
               (lambda t: t is not None and t["name"].lower() == wanted.lower())
        return same if operator == "is" else (lambda t: not same(t))
    if kind == "boolean":
        if not isinstance(wanted, bool):
            return None
        return (lambda v: v is wanted) if operator == "is" else (lambda v: v is not wanted)
    # dates: a YYYY-MM-DD value [unverified format], or a number of days for the relative operators
    today = datetime.now(timezone.utc).date()
    if operator in ("is older than", "is within last", "is within next"):
        if isinstance(wanted, bool) or not isinstance(wanted, int):
            return None
        edge = today - timedelta(days=wanted) if operator != "is within next" else today + timedelta(days=wanted)
        return {"is older than": lambda v: v is not None and v < edge,
                "is within last": lambda v: v is not None and edge <= v <= today,
                "is within next": lambda v: v is not None and today <= v <= edge}[operator]
    try:
        day = date.fromisoformat(str(wanted)[:10])
    except ValueError:
        return None
    return {"is": lambda v: v == day, "is not": lambda v: v != day,
            "is after": lambda v: v is not None and v > day, "is before": lambda v: v is not None and v < day}[operator]


def _invalid(request: Request, field: str, message: str) -> Response:
    return validation_error(request, [{"message": message, "resource": "filter", "field": field}])


async def matching_parties(request: Request, parties: Iterable[Party]) -> list[Party] | Response:
    """The parties every condition of the request's filter matches, or the error answer."""
    body = await read_json(request)
    spec = body.get("filter") if isinstance(body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("conditions"), list):
        return error(request, 400, "request body must be a JSON object with a filter")
    unknown = sorted(set(spec) - {"conditions", "orderBy"})
    if unknown:
        return _invalid(request, unknown[0], f"{unknown[0]} is not supported")
    tests = []
    for condition in spec["conditions"]:
        if not isinstance(condition, dict):
            return _invalid(request, "conditions", "condition is invalid")
        field, operator = condition.get("field"), condition.get("operator")
        if not member(field, FIELDS):
            return _invalid(request, str(field), INVALID_FIELD_MESSAGE)
        kind, values = FIELDS[field]
        if not member(operator, OPERATORS[kind]):
            return _invalid(request, field, "invalid operator")
        test = _test(kind, operator, condition.get("value"))
        if test is None:
            return _invalid(request, field, "invalid value")
        negated = operator == "is not" and condition.get("value") is not None
        # "is not": no value of the field is the one given; every other operator: some value matches.
        tests.append((lambda p, t=test, v=values: all(t(x) for x in v(p))) if negated
                     else (lambda p, t=test, v=values: any(t(x) for x in v(p))))
    return [p for p in parties if all(t(p) for t in tests)]
