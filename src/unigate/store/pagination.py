"""Opaque keyset cursors over (created_at, id).

A cursor names the last row of a page; the next page starts strictly after it. Rows
created or deleted between pages neither shift nor repeat the rows already returned,
which offset pagination cannot promise.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

_SEPARATOR = "|"


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = f"{created_at.astimezone(timezone.utc).isoformat()}{_SEPARATOR}{row_id}"
    return base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) a cursor names; ValueError for anything this module did not write."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
        stamp, row_id = raw.split(_SEPARATOR, 1)
        created_at = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error
    # Row ids are UUIDs: anything longer or holding NUL (which PostgreSQL refuses) was not written here.
    if created_at.tzinfo is None or not row_id or len(row_id) > 64 or "\x00" in row_id:
        raise ValueError(f"invalid cursor {cursor!r}")
    return created_at, row_id
