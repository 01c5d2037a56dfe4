"""Each sandbox account's own data space, reached through its own sandbox credential.

A real CRM tells its customers apart by the credential a request carries; the built-in sandboxes do
the same (unigate/sandbox/spaces.py, docs/testing.md "Sandbox data spaces"). A sandbox account's
credential is the emulator's documented one (the integration file's `sandbox.context`) with `~<key>`
appended, the key random and the account's own, so no other account, in its environment or another,
reaches its records. The documented credential without a key reaches the sandbox's shared `default`
space; a caller may still give it (or any credential) in the account's context, and it is used as given.

For OAuth sandbox accounts the key goes to the sandbox's authorize endpoint (`sandbox_space`) and comes
back on the access token it issues (`<token>~<key>`), so refreshed tokens stay in the same space.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from unigate.engine.spec import Integration

SEPARATOR = "~"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_space_key() -> str:
    """A new data space's key: 128 random bits (22 characters of the URL-safe alphabet)."""
    return secrets.token_urlsafe(16)


def space_key_of(credential: Any) -> str | None:
    """The data space a sandbox credential names; None for the default space (or not a credential)."""
    if not isinstance(credential, str):
        return None
    base, separator, key = credential.rpartition(SEPARATOR)
    return key if separator and base and KEY_PATTERN.fullmatch(key) else None


def account_space_key(integration: Integration, context: dict[str, Any]) -> str | None:
    """The data space a sandbox account's credentials name (the first secret field that names one)."""
    for name in sorted(integration.secret_fields()):
        key = space_key_of(context.get(name))
        if key is not None:
            return key
    return None


def space_context(integration: Integration, key: str | None) -> dict[str, Any]:
    """The integration's sandbox context with every secret credential naming data space `key`."""
    if key is None:
        return dict(integration.sandbox_context)
    secret = integration.secret_fields()
    return {name: f"{value}{SEPARATOR}{key}" if name in secret and isinstance(value, str) else value
            for name, value in integration.sandbox_context.items()}
