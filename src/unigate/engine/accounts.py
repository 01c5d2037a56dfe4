"""An integrated account made ready to call its provider: base URL, headers, per-account caches.

Built once per account (and again when the account changes), so the hot path does no templating
of credentials or auth-header JSONata per request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

from unigate.engine.spec import AuthFormat, Integration
from unigate.engine.templates import render
from unigate.errors import GatewayError
from unigate.expressions import ExpressionError

USER_AGENT = "unigate/0.1 (+https://github.com/unigate/unigate)"


@dataclass
class AccountRuntime:
    id: str
    integration: Integration
    context: dict[str, Any]
    is_sandbox: bool
    base_url: str
    headers: dict[str, str]
    # Results of steps declared `cache: account` (e.g. a board's column ids), by (model, resource, step name),
    # and the query mappings built from them alone, by (model, resource, method, "query") (engine/call.py).
    step_cache: dict[tuple[str, ...], Any] = field(default_factory=dict)
    step_cache_until: float = 0.0  # time.monotonic() after which the step cache is read afresh
    environment_id: str = ""
    # When the OAuth access token expires (epoch seconds), from the context's `expires_at`; None: never/unknown.
    expires_at: float | None = None


    def step_cache_expiry(self, ttl: float) -> None:
        """Empties the step cache once it is `ttl` seconds old, so what it holds is read again from the CRM."""
        now = time.monotonic()
        if now >= self.step_cache_until:
            self.step_cache.clear()
            self.step_cache_until = now + ttl


def token_expiry(value: Any) -> float | None:
    """Epoch seconds of a context's `expires_at` (RFC 3339, or epoch seconds); None if absent or unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value:
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return instant.timestamp()
    return None


def resolve_auth(integration: Integration, method: str | None, context: dict[str, Any]) -> AuthFormat:
    """The account's auth format, checked: it exists and the context holds its required fields."""
    auth = integration.auth_format(method)
    if auth is None:
        raise GatewayError(400, f"authentication_method must be one of {integration.label}'s: "
                                f"{', '.join(a.method for a in integration.auth)}.")
    missing = auth.missing_fields(context)
    if missing:
        raise GatewayError(400, f"The context is missing {', '.join(missing)}, needed for {integration.label} "
                                f"({auth.method}). Set it on the integrated account.",
                           insight={"missing_required_body_fields": {
                               "description": "These context fields are required.",
                               "value": [f"context.{m}" for m in missing]}})
    return auth


def provider_base_url(integration: Integration, context: dict[str, Any]) -> str:
    """The account's API root, rendered from its context and checked against the integration's own hosts.

    A base URL built from context (Zoho's `api_domain`, Pipeliner's region and space) must fully match
    one of `base_url_allowed`, or the account's credentials could be sent to any host its context names.
    """
    base_url = render(integration.base_url, {"context": context}, as_segments=False).rstrip("/")
    parts = _split(base_url)
    if parts is None or parts.scheme != "https" or not parts.hostname or parts.username is not None \
            or parts.password is not None or parts.query or parts.fragment or "\\" in base_url \
            or any(c.isspace() or ord(c) < 0x20 for c in base_url):
        raise GatewayError(400, f"{integration.label}'s API base URL built from the account's context is not a "
                                "plain https URL (no user info, query or fragment); fix the account's context.")
    if integration.base_url_allowed and not any(p.fullmatch(base_url) for p in integration.base_url_allowed):
        raise GatewayError(400, f"The integrated account's API host {parts.netloc!r} is not one of "
                                f"{integration.label}'s own API hosts; fix the account's context.")
    return base_url


def sandboxes_off() -> GatewayError:
    """The answer to a sandbox account (created, connected or called) on a gateway with UNIGATE_SANDBOXES=off."""
    return GatewayError(403, "Sandbox integrated accounts are turned off on this gateway (UNIGATE_SANDBOXES=off); "
                             "connect the CRM with its real credentials instead.")


def sandbox_base_url(integration: Integration, context: dict[str, Any], sandbox_url: str) -> str:
    """The emulator URL of a sandbox account; context values may not lead it out of the emulator's root."""
    root = f"{sandbox_url.rstrip('/')}/{integration.name}"
    base_url = render(integration.sandbox_base_url, {"context": context, "sandbox_url": root}, as_segments=False)
    rest = base_url[len(root):] if base_url.startswith(root) else None
    if rest is None or (rest and not rest.startswith("/")) or any(c in rest for c in "?#@\\%") \
            or any(segment in (".", "..") for segment in rest.split("/")):
        raise GatewayError(400, f"The sandbox account's context leads outside {integration.label}'s emulator; "
                                "fix the account's context.")
    return base_url


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return parts


def check_context(integration: Integration, context: dict[str, Any], *, is_sandbox: bool,
                  sandbox_url: str | None) -> None:
    """Refuse (400) a context the account could not be called with, before it is stored."""
    if is_sandbox:
        if sandbox_url:
            sandbox_base_url(integration, context, sandbox_url)
    else:
        provider_base_url(integration, context)


def prepare_account(integration: Integration, account_id: str, context: dict[str, Any], *,
                    is_sandbox: bool, authentication_method: str | None, sandbox_url: str | None,
                    environment_id: str = "") -> AccountRuntime:
    if is_sandbox:
        if not sandbox_url:
            raise GatewayError(503, "The built-in sandboxes are not running in this gateway.")
        base_url = sandbox_base_url(integration, context, sandbox_url)
    else:
        base_url = provider_base_url(integration, context)
    auth = resolve_auth(integration, authentication_method, context)
    headers = {"User-Agent": USER_AGENT, **integration.headers}
    if auth.headers is not None:
        try:
            computed = auth.headers.evaluate({"context": context}) or {}
        except ExpressionError as exc:
            raise GatewayError(500, f"{integration.name}: the auth headers expression failed ({exc}).") from exc
        headers.update({str(k): str(v) for k, v in computed.items() if v is not None})
    for name, value in headers.items():
        # A stored value with CR, LF or NUL (from before such values were refused) must not split a
        # header: the account's calls answer 400 naming it, never a 500 from the HTTP client.
        if any(char in f"{name}{value}" for char in "\r\n\x00"):
            raise GatewayError(400, f"The integrated account's context makes the {name} header hold a CR, LF or "
                                    "NUL character; PATCH the account's context with a clean value.")
    return AccountRuntime(account_id, integration, context, is_sandbox, base_url, headers,
                          environment_id=environment_id, expires_at=token_expiry(context.get("expires_at")))
