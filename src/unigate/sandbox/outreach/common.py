"""What every Outreach resource shares: JSON:API documents and errors, the OAuth profile, cursors, timestamps.

Sources: https://developers.outreach.io/api/making-requests/ (JSON:API 1.0, the media type, error
bodies), https://developers.outreach.io/api/oauth/ (OAuth 2 authorization code),
https://developers.outreach.io/api/rate-limiting/ (limits and headers), and the official OpenAPI
(https://api.outreach.io/api/v2/schema/openapi.json).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response


SANDBOX_TOKEN = "sandbox-outreach-token"
MEDIA_TYPE = "application/vnd.api+json"

# Page sizes. 50 is the documented default ("a list of up to 50 resource objects",
# https://developers.outreach.io/api/making-requests/) and 1000 the largest page connectors ask for
# (amp-labs/connectors providers/outreach read.go). What a larger `page[size]` gets is not documented:
# switch `page_size_over_max`, clamped to 1000 (default) or refused with 400.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# Rate limit: 10,000 requests per hour per user token (https://developers.outreach.io/api/rate-limiting/).
RATE_LIMIT = 10_000
RATE_WINDOW_SECONDS = 3600

# "All requests must specify the JSON API media type (application/vnd.api+json) within the Content-Type
# request header. Requests failing to specify this content type will receive a 415"
# (https://developers.outreach.io/api/making-requests/); clients in the wild (singer-io tap-outreach) send it
# on GETs too. Switch `media_type`: enforced on every request (`all`, default, as documented) or only on
# requests that carry a body (`writes`, a lenient server: clients that send it everywhere work either way).
MEDIA_TYPE_ON = ("all", "writes")

# Error bodies. Shapes are documented ({"errors": [{id, title, detail}]}); the strings for 401 are not
# (https://developers.outreach.io/api/oauth/ gives none), the others are the ones published in
# https://developers.outreach.io/api/making-requests/ (mirrored in api-evangelist/outreach
# errors/outreach-error-codes.yml). A refused token was answered in plain text (`Invalid access token`, by
# nginx) in 2018 (hull-connectors' Outreach connector notes); today's docs describe JSON:API errors. Switch
# `unauthorized_body`: `jsonapi` (default) or `text`.
UNAUTHORIZED_TEXT = "Invalid access token"
UNAUTHORIZED_ERROR = {
    "id": "unauthorized",
    "title": "Unauthorized",
    "detail": "The access token is missing, invalid or expired.",
}
UNSUPPORTED_MEDIA_TYPE_ERROR = {
    "id": "unsupportedMediaType",
    "title": "Unsupported Media Type",
    # the documented example spells this key `details`
    "details": "Expected Content-Type header to be 'application/vnd.api+json'.",
}
# A path that names no endpoint (recorded from Outreach by amp-labs/connectors, providers/outreach
# test fixture unsupported.json).
ROUTE_NOT_FOUND_ERROR = {
    "id": "routeNotFound",
    "title": "Route Not Found",
    "detail": "The request path does not match any known resource endpoints.",
}
# JSON:API 1.0 (https://jsonapi.org/format/1.0/#crud-updating-responses-409): a PATCH whose `type`/`id` do
# not match the endpoint gets 409 Conflict. Outreach documents only "must match"; status taken from the spec
# (switch `id_mismatch_status`: 409, or 400 as a plain bad request).
ID_MISMATCH_STATUS = 409

# The behaviours above that the vendor's sources leave open, as the emulator's switches (default first).
SWITCHES: dict[str, tuple[object, ...]] = {
    "media_type": MEDIA_TYPE_ON,
    "page_size_over_max": ("clamp", "refuse"),
    "unauthorized_body": ("jsonapi", "text"),
    "id_mismatch_status": (ID_MISMATCH_STATUS, 400),
}

SANDBOX_USER_IDS = tuple(range(1, 11))
SEED_EPOCH = datetime(2023, 1, 2, 9, 0, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """Outreach timestamps: ISO 8601 UTC with a `Z` and no fractional seconds (OpenAPI account schema)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def now_iso() -> str:
    return iso(datetime.now(UTC))


def error_document(status: int, *errors: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return document(status, {"errors": list(errors)}, headers)


def document(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    content = b"" if body is None else orjson.dumps(body)
    return Response(content=content, status_code=status, headers=headers,
                    media_type=None if body is None else MEDIA_TYPE)


def validation_error(detail: str, pointer: str) -> dict[str, Any]:
    return {"id": "validationError", "title": "Validation Error", "detail": detail,
            "source": {"pointer": pointer}}


def too_long(pointer: str) -> dict[str, Any]:
    """422 validationDataTooLongError, as recorded from Outreach by product-os/jellyfish-plugin-outreach
    (test/integration/outreach-mock.ts)."""
    return {"id": "validationDataTooLongError", "title": "Validation Data Too Long Error",
            "detail": "Data provided is too long.", "source": {"pointer": pointer}}


def bad_request(detail: str, pointer: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"id": "badRequest", "title": "Bad Request", "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    return error


def encode_cursor(last_id: int) -> str:
    """An opaque base64 token (Outreach cursors are opaque base64 strings; the content is ours)."""
    return base64.urlsafe_b64encode(orjson.dumps({"after": last_id})).decode().rstrip("=")


def decode_cursor(token: str) -> int | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded))["after"]
        return value if isinstance(value, int) else None
    except Exception:
        return None

