"""Secrets in an integrated account's context never leave the gateway: they read as a mask.

A client may write back what it read (GET the account, PATCH the same context): wherever the patch
holds the mask, at any depth and inside arrays, the stored secret is kept, so the mask itself is
never stored (docs/api.md).
"""

from __future__ import annotations

from typing import Any

MASK = "********"
# Secret key names in any integration (Truto's protected context paths,
# https://truto.one/docs/api-reference/admin/integrated-accounts), plus each integration's fields declared
# `secret: true`. Compared lower-cased with `-` read as `_`, so `Authorization`, `x-api-key` and
# `client-secret` are secret too.
GENERIC_SECRET_KEYS = frozenset({
    "api_key", "api_token", "token", "password", "secret", "client_secret", "access_token", "refresh_token",
    "id_token", "private_key", "apikey", "auth_token", "authorization", "x_api_key", "x_api_token",
    "api_secret", "secret_key", "session_token", "bearer_token", "passphrase", "proxy_authorization",
})
_ABSENT: Any = object()


def redact(context: Any, secret_paths: set[str], prefix: str = "") -> Any:
    """`context` with every secret value masked, in nested objects and in arrays."""
    if isinstance(context, list):
        return [redact(item, secret_paths, prefix) for item in context]
    if not isinstance(context, dict):
        return context
    out = {}
    for key, value in context.items():
        path = f"{prefix}{key}"
        if is_secret(key, path, secret_paths):
            out[key] = MASK if value not in (None, "") else value
        else:
            out[key] = redact(value, secret_paths, path + ".")
    return out


def is_secret(key: str, path: str, secret_paths: set[str]) -> bool:
    return path in secret_paths or str(key).lower().replace("-", "_") in GENERIC_SECRET_KEYS


def context_patch(old_context: dict[str, Any], patch: dict[str, Any], secret_paths: set[str]) -> dict[str, Any]:
    """The patch the store merges (shallowly) into `old_context`: masks replaced by the stored secrets,
    and nested secrets the patch leaves out kept."""
    out = {}
    for key, value in patch.items():
        kept = preserve_secrets(old_context.get(key, _ABSENT), value, secret_paths, f"{key}.")
        if kept is not _ABSENT:
            out[key] = kept
    return out


def preserve_secrets(old: Any, new: Any, secret_paths: set[str], prefix: str = "") -> Any:
    """`new` (a patch's value) with each mask replaced by the value `old` holds there, plus the
    secrets of `old` it leaves out. A mask with nothing stored under it is dropped (`_ABSENT`).

    The store merges a context patch shallowly; this keeps e.g. `oauth.token.refresh_token` when a
    patch sends only `{"oauth": {"scope": ...}}` (Truto's protected paths,
    https://truto.one/docs/api-reference/admin/integrated-accounts).
    """
    if isinstance(new, str) and new == MASK:
        return old
    if isinstance(new, list):
        old_items = old if isinstance(old, list) else []
        items = [preserve_secrets(old_items[i] if i < len(old_items) else _ABSENT, item, secret_paths, prefix)
                 for i, item in enumerate(new)]
        return [item for item in items if item is not _ABSENT]
    if not isinstance(new, dict):
        return new
    old_fields = old if isinstance(old, dict) else {}
    out = {}
    for key, value in new.items():
        kept = preserve_secrets(old_fields.get(key, _ABSENT), value, secret_paths, f"{prefix}{key}.")
        if kept is not _ABSENT:
            out[key] = kept
    for key, value in old_fields.items():
        path = f"{prefix}{key}"
        if key in new:
            continue
        if is_secret(key, path, secret_paths):
            out[key] = value
        elif isinstance(value, dict):
            kept = preserve_secrets(value, {}, secret_paths, path + ".")
            if kept:
                out[key] = kept
    return out
