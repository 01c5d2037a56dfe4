"""Data spaces: each sandbox account's own records, chosen by its credential, with size bounds.

A real CRM keeps each customer's records apart and knows whose they are from the credential a request
carries. The sandboxes do the same: every emulator holds any number of data spaces, each a whole
emulator instance (its records, seeded on creation, and its rate-limit counters), and a request goes
to the space its credential names.

A space credential is the emulator's documented sandbox credential (`sandbox-hubspot-token`, the
Basic password `sandbox-nutshell-key`, ...) followed by `~` and the space's key, 16 to 64 characters
of `A-Z a-z 0-9 _ -`: `sandbox-hubspot-token~Vq3...`. `route()` finds the key in whichever credential
the request carries (an `Authorization` token or Basic password, `X-API-Token`, `X-PW-AccessToken`,
the `api_token` query parameter), takes it off, and the space's emulator sees the documented
credential it checks as before. A credential without a key is the shared `default` space (the one
tests drive through the control API); a credential whose key is malformed, or two credentials naming
different keys, are left as they are, so the emulator refuses them with its own 401.

OAuth access tokens a sandbox issues for a space carry the same suffix (`_oauth.py`), and the
emulator accepts them in that space only.

Bounds (`SpaceLimits`, from `UNIGATE_SANDBOX_*`), applied to requests through the CRM's API, never
to seeding through the control API:
- records per resource per space (`BoundedRecords`, the dict every store keeps its records in);
- bytes per record (its JSON) and per request body;
- the number of spaces: past it, the least recently used space other than `default` is dropped (a
  later request with its credential finds a freshly seeded space). A space whose first request the
  emulator answers 401 (a made-up credential with a well-formed key) is not kept.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

DEFAULT_SPACE = "default"
SEPARATOR = "~"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")

# Headers and query parameters that carry a credential in the ten CRMs' auth schemes.
CREDENTIAL_HEADERS = (b"authorization", b"x-api-token", b"x-pw-accesstoken")
CREDENTIAL_QUERY = "api_token"


def space_credential(credential: str, space: str) -> str:
    """The credential that reaches `space` (the documented one for the default space)."""
    return credential if space == DEFAULT_SPACE else f"{credential}{SEPARATOR}{space}"


def split_credential(value: str) -> tuple[str, str | None]:
    """(the credential without its space key, the key); (value, None) when it names no space."""
    base, separator, key = value.rpartition(SEPARATOR)
    if not separator or not base or not KEY_PATTERN.fullmatch(key):
        return value, None
    return base, key


def _split_authorization(value: str) -> tuple[str, str | None]:
    """An Authorization header without its space key: `<scheme> <token>`, a raw token, or Basic."""
    scheme, space_char, rest = value.partition(" ")
    if space_char and scheme.lower() == "basic":
        try:
            user, colon, password = base64.b64decode(rest.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return value, None
        base, key = split_credential(password)
        if key is None:
            return value, None
        return f"{scheme} " + base64.b64encode(f"{user}{colon}{base}".encode()).decode(), key
    if space_char:
        base, key = split_credential(rest.strip())
        return (f"{scheme} {base}", key) if key is not None else (value, None)
    return split_credential(value.strip())


def route(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The space a request's credentials name, and its scope with the space key taken off them.

    Without a key: the default space, scope unchanged. Keys that disagree: the default space with
    the credentials unchanged (the emulator refuses them as it refuses any unknown credential).
    """
    keys: set[str] = set()
    headers = []
    for name, raw in scope.get("headers", []):
        if name.lower() in CREDENTIAL_HEADERS:
            value = raw.decode("latin-1")
            base, key = _split_authorization(value) if name.lower() == b"authorization" else split_credential(value)
            if key is not None:
                keys.add(key)
                raw = base.encode("latin-1")
        headers.append((name, raw))
    changed: dict[str, Any] = {"headers": headers}
    query_string = scope.get("query_string", b"")
    if CREDENTIAL_QUERY.encode() in query_string:
        query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        stripped = []
        for name, value in query:
            if name == CREDENTIAL_QUERY:
                value, key = split_credential(value)
                if key is not None:
                    keys.add(key)
            stripped.append((name, value))
        changed["query_string"] = urlencode(stripped).encode("latin-1")
    if len(keys) != 1:
        return DEFAULT_SPACE, scope
    return keys.pop(), {**scope, **changed}


# -- bounds --------------------------------------------------------------------------------------------


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, not {raw!r}")
    return value


@dataclass(frozen=True)
class SpaceLimits:
    """How much one sandbox server holds; see docs/testing.md, "Sandbox data spaces"."""

    max_spaces: int = 20            # data spaces per emulator, `default` included
    max_records: int = 1_000        # records per resource store per space (live and deleted ones the CRM keeps)
    max_record_bytes: int = 16_384  # one record as JSON
    max_body_bytes: int = 262_144   # one request body

    @classmethod
    def from_environment(cls) -> SpaceLimits:
        default = cls()
        return cls(max_spaces=_env_int("UNIGATE_SANDBOX_MAX_SPACES", default.max_spaces),
                   max_records=_env_int("UNIGATE_SANDBOX_MAX_RECORDS", default.max_records),
                   max_record_bytes=_env_int("UNIGATE_SANDBOX_MAX_RECORD_BYTES", default.max_record_bytes),
                   max_body_bytes=_env_int("UNIGATE_SANDBOX_MAX_BODY_BYTES", default.max_body_bytes))


class SpaceFull(Exception):
    """A write the space's bounds refuse; the emulator answers it as a full account (`Emulator.space_full`)."""

    def __init__(self, message: str, limit: str, value: int) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit      # the UNIGATE_SANDBOX_* setting that set the bound
        self.value = value


# The bounds of the request being handled; None (no bound) while the control API seeds.
ACTIVE_LIMITS: ContextVar[SpaceLimits | None] = ContextVar("sandbox_space_limits", default=None)


class BoundedRecords(dict):
    """A store's records by id, refusing (SpaceFull) a new record past `max_records` and any record
    whose JSON is over `max_record_bytes`, while a request through the CRM's API is handled."""

    def __setitem__(self, key: Any, value: Any) -> None:
        limits = ACTIVE_LIMITS.get()
        if limits is not None:
            if key not in self and len(self) >= limits.max_records:
                raise SpaceFull(f"This sandbox account already holds {len(self)} records of this kind, its limit "
                                "(UNIGATE_SANDBOX_MAX_RECORDS); delete some or reset the sandbox.",
                                "UNIGATE_SANDBOX_MAX_RECORDS", limits.max_records)
            size = len(orjson.dumps(value, default=str))
            if size > limits.max_record_bytes:
                raise SpaceFull(f"The record would take {size} bytes, over this sandbox's limit of "
                                f"{limits.max_record_bytes} bytes per record (UNIGATE_SANDBOX_MAX_RECORD_BYTES).",
                                "UNIGATE_SANDBOX_MAX_RECORD_BYTES", limits.max_record_bytes)
        super().__setitem__(key, value)
