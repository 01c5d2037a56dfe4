"""Secrets in an integrated account's context never leave the gateway: they read as a mask."""

from __future__ import annotations

from typing import Any

MASK = "********"
# Secret key names in any integration (Truto's protected context paths, https://truto.one/docs/api-reference/admin/integrated-accounts), plus each
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
        if is_secret(key, path, secret_paths):
            out[key] = MASK if value not in (None, "") else value
        elif isinstance(value, dict):
            out[key] = redact(value, secret_paths, path + ".")
        else:
            out[key] = value
    return out


def without_masks(patch: dict[str, Any]) -> dict[str, Any]:
    """A context patch minus values that are the mask (a client echoing a read back keeps the secret)."""
    return {k: v for k, v in patch.items() if v != MASK}


def is_secret(key: str, path: str, secret_paths: set[str]) -> bool:
    return path in secret_paths or key.lower() in GENERIC_SECRET_KEYS


def preserve_secrets(old: Any, new: Any, secret_paths: set[str], prefix: str = "") -> Any:
    """`new` (a patch's nested object) plus the secrets of `old` it leaves out.

    The store merges a context patch shallowly; this keeps e.g. `oauth.token.refresh_token` when a
    patch sends only `{"oauth": {"scope": ...}}` (Truto's protected paths,
    https://truto.one/docs/api-reference/admin/integrated-accounts).
    """
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    out = dict(new)
    for key, value in old.items():
        path = f"{prefix}{key}"
        if key in new:
            out[key] = preserve_secrets(value, new[key], secret_paths, path + ".")
        elif is_secret(key, path, secret_paths):
            out[key] = value
        elif isinstance(value, dict):
            kept = preserve_secrets(value, {}, secret_paths, path + ".")
            if kept:
                out[key] = kept
    return out
