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

# Page sizes. 50 is the documented default and 1000 the largest page cited (api-evangelist/outreach
# conventions/outreach-conventions.yml, from https://developers.outreach.io/api/making-requests/). The
# maximum is not confirmed by the vendor; a larger `page[size]` is clamped rather than refused (a guess).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# Rate limit: 10,000 requests per hour per user token (https://developers.outreach.io/api/rate-limiting/).
RATE_LIMIT = 10_000
RATE_WINDOW_SECONDS = 3600

# Outreach's docs require the JSON:API media type on "all requests"; clients in the wild (singer-io
# tap-outreach) send it on GETs too. Whether a body-less GET without it is refused is not documented, so the
# emulator only enforces it on requests that carry a body (POST/PATCH). Flip to True to enforce everywhere.
REQUIRE_MEDIA_TYPE_WITHOUT_BODY = False

# Error bodies. Shapes are documented ({"errors": [{id, title, detail}]}); the strings for 401 are not
# (https://developers.outreach.io/api/oauth/ gives none), the others are the ones published in
# https://developers.outreach.io/api/making-requests/ (mirrored in api-evangelist/outreach
# errors/outreach-error-codes.yml).
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
# JSON:API 1.0 (https://jsonapi.org/format/1.0/#crud-updating-responses-409): a PATCH whose `type`/`id` do
# not match the endpoint gets 409 Conflict. Outreach documents only "must match"; status taken from the spec.
ID_MISMATCH_STATUS = 409

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

