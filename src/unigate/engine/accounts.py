"""An integrated account made ready to call its provider: base URL, headers, per-account caches.

Built once per account (and again when the account changes), so the hot path does no templating
of credentials or auth-header JSONata per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

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
    # Results of steps declared `cache: account` (e.g. a board's column ids), by step name.
    step_cache: dict[str, Any] = field(default_factory=dict)
    environment_id: str = ""
    # When the OAuth access token expires (epoch seconds), from the context's `expires_at`; None: never/unknown.
    expires_at: float | None = None


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
            instant = instant.replace(tzinfo=timezone.utc)
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


def prepare_account(integration: Integration, account_id: str, context: dict[str, Any], *,
                    is_sandbox: bool, authentication_method: str | None, sandbox_url: str | None,
                    environment_id: str = "") -> AccountRuntime:
    if is_sandbox:
        if not sandbox_url:
            raise GatewayError(503, "The built-in sandboxes are not running in this gateway.")
        values = {"context": context, "sandbox_url": f"{sandbox_url.rstrip('/')}/{integration.name}"}
        base_url = render(integration.sandbox_base_url, values, as_segments=False)
    else:
        base_url = render(integration.base_url, {"context": context}, as_segments=False).rstrip("/")
        if integration.base_url_allowed and not any(p.fullmatch(base_url) for p in integration.base_url_allowed):
            raise GatewayError(400, f"The integrated account's API host {base_url!r} is not one of "
                                    f"{integration.label}'s own API hosts; fix the account's context.")
        if not base_url.startswith("https://"):
            raise GatewayError(400, f"{integration.label} must be reached over https; the account's base URL is not.")
    auth = resolve_auth(integration, authentication_method, context)
    headers = {"User-Agent": USER_AGENT, **integration.headers}
    if auth.headers is not None:
        try:
            computed = auth.headers.evaluate({"context": context}) or {}
        except ExpressionError as exc:
            raise GatewayError(500, f"{integration.name}: the auth headers expression failed ({exc}).") from exc
        headers.update({str(k): str(v) for k, v in computed.items() if v is not None})
    return AccountRuntime(account_id, integration, context, is_sandbox, base_url, headers,
                          environment_id=environment_id, expires_at=token_expiry(context.get("expires_at")))
