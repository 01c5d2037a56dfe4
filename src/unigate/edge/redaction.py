"""Secrets in an integrated account's context never leave the gateway: they read as a mask."""

from __future__ import annotations

from typing import Any

MASK = "********"
# Secret key names in any integration (research/truto-semantics.md §10, protected paths), plus each
# integration's fields declared `secret: true`.
GENERIC_SECRET_KEYS = frozenset({
    "api_key", "api_token", "token", "password", "secret", "client_secret", "access_token", "refresh_token",
    "id_token", "private_key", "apikey",
})


def redact(context: Any, secret_paths: set[str], prefix: str = "") -> Any:
    if not isinstance(context, dict):
        return context
    out = {}
    for key, value in context.items():
        path = f"{prefix}{key}"
        if path in secret_paths or key.lower() in GENERIC_SECRET_KEYS:
            out[key] = MASK if value not in (None, "") else value
        elif isinstance(value, dict):
            out[key] = redact(value, secret_paths, path + ".")
        else:
            out[key] = value
    return out


def without_masks(patch: dict[str, Any]) -> dict[str, Any]:
    """A context patch minus values that are the mask (a client echoing a read back keeps the secret)."""
    return {k: v for k, v in patch.items() if v != MASK}
