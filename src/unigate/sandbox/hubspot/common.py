"""What every HubSpot CRM v3 object resource shares: auth, error bodies, rate-limit headers, timestamps.

Error body fields (`status`, `message`, `correlationId`, `category`, `context`, `errors`):
https://developers.hubspot.com/docs/api-reference/error-handling and the SDK's model,
https://github.com/HubSpot/hubspot-api-python/blob/master/hubspot/crm/companies/models/error.py
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import json_response, loads_json

SANDBOX_TOKEN = "sandbox-hubspot-token"
MEDIA_TYPE = "application/json;charset=utf-8"

# 401 wording as HubSpot answers it [observed: quoted from live answers by integration mocks and logs].
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
# Two spaces, as HubSpot sends [observed: a public integration test asserting HubSpot's live body].
NOT_FOUND_MESSAGE = "Object not found.  objectId are usually numeric."
# [unverified] wording of the query-parameter and body validation messages.
LIMIT_MESSAGE = "Invalid query parameter: limit must be a number between 1 and 100 (got '{value}')"
AFTER_MESSAGE = "Invalid query parameter: after must be a numeric cursor (got '{value}')"
MISSING_PROPERTIES_MESSAGE = (
    "Invalid input JSON on line 1, column 1: Cannot build {model}, some of required attributes are not set "
    "[properties]"
)
BAD_JSON_MESSAGE = "Invalid input JSON on line 1, column 1: Unexpected character or malformed JSON"
BAD_VALUE_MESSAGE = (
    "Invalid input JSON on line 1, column 1: Cannot deserialize value of type `java.lang.String` from "
    "{kind} value for property \"{name}\""
)

# Rate limits of a private app on a Professional portal. Header names:
# https://developers.hubspot.com/changelog/2018-11-06-rate-limit-information-headers-will-be-included-in-http-responses
# [the interval trio is not in official text; observed with the daily and secondly ones in a live answer
# quoted in https://github.com/HubSpot/hubspot-api-python/issues/143]. Counters
# decrement per request and reset with their window; the emulator never answers 429 by itself
# (queue a fault for that).
RATE_DAILY = 500_000
RATE_SECONDLY = 19
RATE_INTERVAL_MS = 10_000
RATE_INTERVAL_MAX = 190


def iso_ms(moment: datetime) -> str:
    """HubSpot's timestamp format: ISO 8601 UTC with milliseconds and `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso_ms(datetime.now(UTC))


class _Counter:
    """A request counter that starts over every `window` seconds."""

    __slots__ = ("window", "started", "count")

    def __init__(self, window: float) -> None:
        self.window = window
        self.started = time.monotonic()
        self.count = 0

    def hit(self, now: float) -> int:
        if now - self.started >= self.window:
            self.started = now
            self.count = 0
        self.count += 1
        return self.count


class RateLimits:
    """The portal's request budgets, shared by every object resource of one emulator."""

    def __init__(self) -> None:
        self.daily_used = 0
        self.secondly = _Counter(1.0)
        self.interval = _Counter(RATE_INTERVAL_MS / 1000)

    def headers(self) -> dict[str, str]:
        """Count one request; HubSpot's rate-limit headers after it."""
        now = time.monotonic()
        self.daily_used += 1
        second = self.secondly.hit(now)
        interval = self.interval.hit(now)
        return {
            "X-HubSpot-RateLimit-Daily": str(RATE_DAILY),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(RATE_DAILY - self.daily_used, 0)),
            "X-HubSpot-RateLimit-Secondly": str(RATE_SECONDLY),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(RATE_SECONDLY - second, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(RATE_INTERVAL_MS),
            "X-HubSpot-RateLimit-Max": str(RATE_INTERVAL_MAX),
            "X-HubSpot-RateLimit-Remaining": str(max(RATE_INTERVAL_MAX - interval, 0)),
        }


def answer(body: Any, status: int, headers: dict[str, str], correlation_id: str | None = None) -> Response:
    """A HubSpot answer: its media type and an `X-HubSpot-Correlation-Id` header."""
    headers["X-HubSpot-Correlation-Id"] = correlation_id or str(uuid.uuid4())
    return json_response(body, status=status, headers=headers, media_type=MEDIA_TYPE)


def error(status: int, category: str, message: str, headers: dict[str, str], **extra: Any) -> Response:
    correlation_id = str(uuid.uuid4())
    body = {"status": "error", "message": message, "correlationId": correlation_id, **extra, "category": category}
    return answer(body, status, headers, correlation_id)


def not_found(object_id: str, headers: dict[str, str]) -> Response:
    return error(404, "OBJECT_NOT_FOUND", NOT_FOUND_MESSAGE, headers, context={"id": [object_id]})


def unauthorized() -> Response:
    return error(401, "INVALID_AUTHENTICATION", AUTH_MESSAGE, {})


def requested_properties(request: Request) -> list[str] | None:
    """`properties` as repeated parameters (the official SDKs) or a comma list (the docs)."""
    values = request.query_params.getlist("properties")
    if not values:
        return None
    names: list[str] = []
    for value in values:
        names.extend(part.strip() for part in value.split(",") if part.strip())
    return names


async def read_body(request: Request, headers: dict[str, str]) -> Any:
    """The JSON body (None when empty), or HubSpot's 400 for malformed JSON."""
    raw = await request.body()
    try:
        return loads_json(raw) if raw else None
    except orjson.JSONDecodeError:
        return error(400, "VALIDATION_ERROR", BAD_JSON_MESSAGE, headers)


async def authorized_body(emulator: Any, request: Request) -> tuple[dict[str, str], Any] | Response:
    """A POST's prologue: the 401 for a bad token, else the rate-limit headers and the JSON body (or its 400)."""
    denied = emulator.unauthorized(request)
    if denied is not None:
        return denied
    headers = emulator.rate_limits.headers()
    body = await read_body(request, headers)
    if isinstance(body, Response):
        return body
    return headers, body


# Switch `invalid_properties`: what a write naming a property the portal does not define, or one HubSpot
# computes (read-only), gets. "reject" (the default): 400 VALIDATION_ERROR. HubSpot's current reference
# says "Read-only and non-existent properties will result in an error"
# (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/update-contact), and
# live answers refuse an unknown property with PROPERTY_DOESNT_EXIST [observed: recorded answers in
# https://github.com/amp-labs/connectors, providers/hubspot/test/batch/create/contacts/
# err-many-invalid-properties.json]; the READ_ONLY_VALUE code and wording are unverified. "ignore": the
# write succeeds without them, as HubSpot's spec once said ("Read-only and non-existent properties will
# be ignored": `update` in hubspot-api-client 8.2.1, hubspot/crm/contacts/api/basic_api.py of
# https://github.com/HubSpot/hubspot-api-python; release 12 says "will result in an error").
INVALID_PROPERTIES = ("reject", "ignore")


def property_errors(invalid: list[tuple[str, str]], headers: dict[str, str]) -> Response:
    """HubSpot's 400 for (name, code) pairs: PROPERTY_DOESNT_EXIST or READ_ONLY_VALUE (shape from
    https://developers.hubspot.com/docs/api-reference/error-handling)."""
    wording = {"PROPERTY_DOESNT_EXIST": 'Property "{name}" does not exist',
               "READ_ONLY_VALUE": 'Property "{name}" is a read only property; its value cannot be set.'}
    results = [{
        "isValid": False,
        "message": wording[code].format(name=name),
        "error": code,
        "name": name,
        "localizedErrorMessage": wording[code].format(name=name),
        "portalId": 1234567,
    } for name, code in invalid]
    message = "Property values were not valid: " + orjson.dumps(results).decode()
    errors = [{"message": wording[code].format(name=name), "code": code,
               "context": {"propertyName": [name]}} for name, code in invalid]
    return error(400, "VALIDATION_ERROR", message, headers, errors=errors)


def validate_properties(body: Any, model: str, known: frozenset[str], headers: dict[str, str],
                        read_only: frozenset[str] = frozenset(),
                        invalid_properties: str = "reject") -> dict[str, str] | Response:
    """The `properties` of a create/update body as strings ("" = clear), or the error answer. Names
    outside `known` and names in `read_only` are refused or dropped as `invalid_properties` says."""
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return error(400, "VALIDATION_ERROR", MISSING_PROPERTIES_MESSAGE.format(model=model), headers)
    cleaned: dict[str, str] = {}
    invalid: list[tuple[str, str]] = []
    for name, value in body["properties"].items():
        if isinstance(value, (dict, list)):
            kind = "Object" if isinstance(value, dict) else "Array"
            return error(400, "VALIDATION_ERROR", BAD_VALUE_MESSAGE.format(kind=kind, name=name), headers)
        if name not in known or name in read_only:
            invalid.append((name, "READ_ONLY_VALUE" if name in known else "PROPERTY_DOESNT_EXIST"))
            continue
        if value is None:
            cleaned[name] = ""
        elif isinstance(value, bool):
            cleaned[name] = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            cleaned[name] = str(int(value))
        else:
            cleaned[name] = str(value)
    if invalid and invalid_properties == "reject":
        return property_errors(invalid, headers)
    return cleaned


# Lifecycle stage and lead status with their internal values
# (https://knowledge.hubspot.com/properties/hubspots-default-contact-properties); lifecycle stage is "a
# contact and company property" with the same stages (https://knowledge.hubspot.com/contacts/use-lifecycle-stages).
STAGE_OPTIONS = {
    "lifecyclestage": ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                       "customer", "evangelist", "other"),
    "hs_lead_status": ("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
                       "CONNECTED", "BAD_TIMING"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def value_errors(props: dict[str, str], enumerations: dict[str, tuple[str, ...]],
                 headers: dict[str, str], multi: frozenset[str] = frozenset()) -> Response | None:
    """HubSpot's 400 INVALID_OPTION / INVALID_EMAIL for values outside a property's rules, else None
    (item shape observed: https://github.com/gregorspan/csc-frodx/issues/21) [email wording unverified].
    An enumeration takes its options' internal values, not their labels
    (https://knowledge.hubspot.com/properties/hubspots-default-contact-properties); one in `multi` (a checkbox)
    takes several, joined by `;`
    (https://developers.hubspot.com/docs/faq/how-do-i-set-multiple-values-for-checkbox-properties)."""
    results = []
    for name, value in props.items():
        values = value.split(";") if name in multi else [value]
        if value and name in enumerations and any(v not in enumerations[name] for v in values):
            message = f"{value} was not one of the allowed options: [{', '.join(enumerations[name])}]"
            results.append({"isValid": False, "message": message, "error": "INVALID_OPTION", "name": name,
                            "localizedErrorMessage": message})
        if name == "email" and value and not _EMAIL.match(value):
            message = f"Email address {value} is invalid"
            results.append({"isValid": False, "message": message, "error": "INVALID_EMAIL", "name": name,
                            "localizedErrorMessage": message})
    if not results:
        return None
    return error(400, "VALIDATION_ERROR", "Property values were not valid: " + orjson.dumps(results).decode(),
                 headers)


def write_properties(stored: dict[str, str], props: dict[str, str], read_only: frozenset[str]) -> None:
    """An update's validated properties into a record's stored ones: `""` clears a property
    (the objects API's PATCH description), names in `read_only` (what HubSpot computes) are ignored."""
    for name, value in props.items():
        if name in read_only:
            continue
        if value == "":
            stored.pop(name, None)
        else:
            stored[name] = value


# Object lists (companies and contacts alike): `limit` 1..100, default 10; `after` is the next id
# (https://developers.hubspot.com/docs/api-reference/crm-companies-v3/basic/get-crm-v3-objects-companies).
# A `limit` above the maximum is a 400, not clamped [observed: https://github.com/HubSpot/hubspot-api-python/issues/143,
# limit 100 where `propertiesWithHistory` allows 50; the 100 maximum observed in integrators' clients].
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def list_page(request: Request, store: Any, headers: dict[str, str],
              render: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
    """One page of an object list from `store` (a Collection ordered by id), each record through `render`,
    with `paging.next` while more follow; HubSpot's 400 for a bad `limit` or `after`."""
    params = request.query_params
    raw_limit = params.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = -1
        if not 1 <= limit <= MAX_LIMIT:
            return error(400, "VALIDATION_ERROR", LIMIT_MESSAGE.format(value=raw_limit), headers)
    archived = params.get("archived", "false").lower() == "true"
    start = 0
    after = params.get("after")
    if after:
        if not after.isdigit():
            return error(400, "VALIDATION_ERROR", AFTER_MESSAGE.format(value=after), headers)
        start = store.index_from(int(after), archived)
    body: dict[str, Any] = {"results": [render(r) for r in store.window(start, limit, archived)]}
    if store.has_more(start, limit, archived):
        cursor = str(store.ids(archived)[start + limit])
        body["paging"] = {"next": {"after": cursor, "link": str(request.url.include_query_params(after=cursor))}}
    return answer(body, 200, headers)

