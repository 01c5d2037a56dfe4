"""What every Pipedrive API v2 resource shares: auth, the error envelope, rate-limit headers, cursors, times.

Error envelope: https://pipedrive.readme.io/docs/core-api-concepts-responses ; status codes:
https://pipedrive.readme.io/docs/core-api-concepts-http-status-codes
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import json_response, loads_json
from unigate.sandbox.collection import CursorError, decode_cursor

SANDBOX_API_TOKEN = "sandbox-pipedrive-token"
SANDBOX_OAUTH_TOKEN = "sandbox-pipedrive-oauth"

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
# [observed shape: https://docs.rs/crate/pipedrive-rs/latest/source/docs/UnathorizedResponse.md ;
# the "unauthorized access" text is unverified]
UNAUTHORIZED_BODY = {
    "success": False,
    "error": "unauthorized access",
    "errorCode": 401,
    "error_info": ERROR_INFO,
    "data": None,
    "additional_data": None,
}
# [unverified wording; the code is observed live on v2 list parameters] 400 for bad input.
VALIDATION_CODE = "ERR_SCHEMA_VALIDATION_FAILED"

# Rate limits (header names: https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting): a
# 2-second burst window and a daily budget. Counters decrement per request and reset with their
# window; the emulator never answers 429 by itself (queue a fault for that).
RATE_BURST_LIMIT = 80
RATE_BURST_WINDOW = 2.0
RATE_DAILY = 10_000

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
# Switch `fractional_seconds`: whether an RFC 3339 instant may carry fractions of a second (in `updated_since`,
# `updated_until`, `add_time`, `update_time`; also in API v1 notes' `updated_since`, where no source says either
# way: notes.py). The sources disagree: the migration guide gives
# "2024-01-01T00:00:00Z or 2024-01-01T00:00:00.000Z" (https://pipedrive.readme.io/docs/pipedrive-api-v2-migration-guide,
# "accept"), while integrators report `updated_since` refusing "…T10:20:00.123Z" with ERR_SCHEMA_VALIDATION_FAILED
# "not a valid datetime", checked live against the v2 list endpoints ("reject", the default) [observed].
FRACTIONAL_SECONDS = ("reject", "accept")


def rfc3339(moment: datetime) -> str:
    """Pipedrive v2's timestamp format: RFC 3339 UTC, whole seconds, `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_time(value: str, fractions: str = "reject") -> str | None:
    """An RFC 3339 instant as this emulator stores it (whole seconds, UTC), or None when it is not one; with
    `fractions` "reject" (the `fractional_seconds` switch) an instant with fractions of a second is not one."""
    match = _RFC3339.match(value)
    if not match or (match.group(1) and fractions == "reject"):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return rfc3339(moment.astimezone(UTC))


class Invalid(Exception):
    """Bad input: answered with Pipedrive's 400 envelope."""


def decode_position(cursor: str) -> Any:
    """The position a cursor from `collection.encode_cursor` holds; Pipedrive's 400 otherwise."""
    try:
        return decode_cursor(cursor)
    except CursorError:
        raise Invalid("Validation failed: cursor: Invalid cursor") from None


class RateLimits:
    """The company's request budgets, shared by every resource of one emulator."""

    def __init__(self) -> None:
        self.daily_used = 0
        self.burst_started = time.monotonic()
        self.burst_count = 0

    def headers(self) -> dict[str, str]:
        """Count one request; Pipedrive's rate-limit headers after it."""
        now = time.monotonic()
        if now - self.burst_started >= RATE_BURST_WINDOW:
            self.burst_started = now
            self.burst_count = 0
        self.burst_count += 1
        self.daily_used += 1
        reset = max(1, round(RATE_BURST_WINDOW - (now - self.burst_started)))
        return {
            "x-ratelimit-limit": str(RATE_BURST_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_BURST_LIMIT - self.burst_count, 0)),
            "x-ratelimit-reset": str(reset),
            "x-daily-requests-left": str(max(RATE_DAILY - self.daily_used, 0)),
        }


def error(status: int, message: str, headers: dict[str, str], code: str | None = None) -> Response:
    body: dict[str, Any] = {"success": False, "error": message}
    if code is not None:
        body["code"] = code
    body.update(error_info=ERROR_INFO, data=None, additional_data=None)
    return json_response(body, status=status, headers=headers)


def invalid(message: str, headers: dict[str, str]) -> Response:
    return error(400, message, headers, VALIDATION_CODE)


def unauthorized(headers: dict[str, str]) -> Response:
    return json_response(UNAUTHORIZED_BODY, status=401, headers=headers)


def csv(params, name: str) -> list[str] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


async def read_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = loads_json(raw) if raw else None
    except orjson.JSONDecodeError:
        raise Invalid("Validation failed: request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise Invalid("Validation failed: request body must be a JSON object")
    return body


def required_text(body: dict[str, Any], field: str, creating: bool) -> dict[str, str]:
    """`{field: value}` when the write names a non-empty text `field` (a create must), else {}."""
    if field not in body and not creating:
        return {}
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"Validation failed: {field}: Parameter '{field}' is required and must be a non-empty string")
    return {field: value}


def merge_custom_fields(current: dict[str, Any], custom: Any, fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A write's `custom_fields` over the record's: the company's own custom fields only (`fields`, by field_code),
    each value of its field's type, null (or `""`) clearing
    (https://pipedrive.readme.io/docs/core-api-concepts-custom-fields)."""
    if not isinstance(custom, dict):
        raise Invalid("Validation failed: custom_fields: Parameter 'custom_fields' must be an object")
    merged = dict(current)
    for key, value in custom.items():
        field = fields.get(key)
        if field is None:  # [observed] an unknown key fails the whole request with ERR_SCHEMA_VALIDATION_FAILED
            raise Invalid(f"Validation failed: custom_fields: Unknown custom field key '{key}'")
        if value is not None and value != "":
            problem = custom_value_problem(field, value)
            if problem:
                raise Invalid(f"Validation failed: custom_fields.{key}: {problem}")
        merged[key] = None if value == "" else value
    return merged


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def custom_value_problem(field: dict[str, Any], value: Any) -> str | None:
    """Why `value` does not fit the custom field, or None. Shapes: the v2 `custom_fields` descriptions of
    https://github.com/pipedrive/client-php (PersonItem, DealItem): text types take a string, double a number, date
    YYYY-MM-DD, enum an option id, set a non-empty list of option ids ("[]" is refused), user/org/people an id;
    monetary `{value, currency}`; address, daterange and timerange an object [their keys unverified]."""
    kind = field["field_type"]
    option_ids = {o["id"] for o in field.get("options") or []}
    if kind == "double":
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "must be a number"
    if kind == "date":
        return None if isinstance(value, str) and _DATE.match(value) else "must be a date (YYYY-MM-DD)"
    if kind == "enum":
        return None if _is_int(value) and value in option_ids else "must be the id of one of the field's options"
    if kind == "set":
        ok = isinstance(value, list) and value and all(_is_int(v) and v in option_ids for v in value)
        return None if ok else "must be a non-empty array of the ids of the field's options"
    if kind in ("user", "org", "people"):
        return None if _is_int(value) else "must be an integer id"
    if kind == "monetary":
        ok = isinstance(value, dict) and isinstance(value.get("value"), (int, float)) \
            and not isinstance(value.get("value"), bool) and isinstance(value.get("currency", ""), str)
        return None if ok else "must be an object with a numeric value and a currency"
    if kind in ("address", "daterange", "timerange"):
        return None if isinstance(value, dict) else "must be an object"
    return None if isinstance(value, str) else "must be a string"
