"""The OAuth 2 token endpoint: exchanging a code (RFC 6749 §4.1.3), refreshing (§6), and what the
answer leaves in an integrated account's context.

Which OAuth app is used: for sandbox accounts the sandbox's own (`sandbox-<name>-client-id` /
`sandbox-<name>-client-secret`, served at the emulator's paths); otherwise the customer's, from
`UNIGATE_OAUTH_<NAME>_CLIENT_ID` / `_CLIENT_SECRET` (docs/api.md, OAuth). Tokens and client secrets
are never logged and never put in error messages.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson

from unigate.engine.accounts import USER_AGENT
from unigate.engine.spec import Integration, OAuthSpec
from unigate.engine.templates import render
from unigate.errors import GatewayError
from unigate.expressions import ExpressionError
from unigate.settings import Settings
from unigate.transport import Transport

# Context keys the gateway itself keeps for an OAuth account (besides the integration's `context` fields).
TOKEN_KEYS = ("access_token", "refresh_token", "expires_at", "token_type", "scope")
# Token endpoint answers that are a refusal of the grant (invalid_grant, invalid_client, ...), not an outage.
REFUSAL_STATUSES = (400, 401)


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str


class TokenRefused(Exception):
    """The token endpoint refused the grant: the code or refresh token is no good; the user must connect again."""

    def __init__(self, status: int, error: str | None, description: str | None) -> None:
        super().__init__(error or f"HTTP {status}")
        self.status = status
        self.error = error
        self.description = description

    def details(self) -> dict[str, Any]:
        """The provider's own words, for `raw_response` (the error fields only: nothing else is echoed)."""
        return {"status": self.status, "error": self.error, "error_description": self.description}


def oauth_spec(integration: Integration) -> OAuthSpec:
    if integration.oauth is None:
        raise GatewayError(400, f"{integration.label} has no OAuth connect flow; create its accounts with "
                                "POST /integrated-account and the credentials it needs.")
    return integration.oauth


def client_for(integration: Integration, *, is_sandbox: bool, settings: Settings) -> OAuthClient:
    if is_sandbox:
        return OAuthClient(f"sandbox-{integration.name}-client-id", f"sandbox-{integration.name}-client-secret")
    configured = settings.oauth_client(integration.name)
    if configured is None:
        prefix = f"UNIGATE_OAUTH_{integration.name.upper()}_"
        raise GatewayError(400, f"No OAuth app is configured for {integration.label}: set {prefix}CLIENT_ID and "
                                f"{prefix}CLIENT_SECRET on the gateway (or connect a sandbox account with "
                                "is_sandbox=true).")
    return OAuthClient(*configured)


def authorize_url(integration: Integration, *, is_sandbox: bool, sandbox_url: str | None,
                  params: dict[str, str]) -> str:
    spec = oauth_spec(integration)
    if is_sandbox:
        base = f"{_sandbox_root(integration, sandbox_url)}{spec.sandbox_authorize_path}"
    else:
        base = render(spec.authorize_url, {"context": {}}, as_segments=False)
    separator = "&" if "?" in base else "?"
    return base + separator + urlencode(params, quote_via=quote)


def token_url(integration: Integration, *, is_sandbox: bool, sandbox_url: str | None, context: dict[str, Any],
              callback: dict[str, str] | None = None) -> str:
    """Where to exchange codes and refresh tokens; checked against the integration's allowed token hosts.

    A templated token URL (e.g. Zoho's data-centre host) is filled from the callback's parameters at
    connect time (`callback`, e.g. `{{context.accounts-server}}/oauth/v2/token`) and kept in the
    account's context as `token_url`; refreshes use that, else fill the template from the context.
    """
    spec = oauth_spec(integration)
    if is_sandbox:
        return f"{_sandbox_root(integration, sandbox_url)}{spec.sandbox_token_path}"
    if callback is not None:
        url = render(spec.token_url, {"context": callback}, as_segments=False)
    elif "{{" in spec.token_url and isinstance(context.get("token_url"), str):
        url = context["token_url"]
    else:
        url = render(spec.token_url, {"context": context}, as_segments=False)
    if spec.token_url_allowed and not any(p.fullmatch(url) for p in spec.token_url_allowed):
        raise GatewayError(400, f"The token URL {url!r} is not one of {integration.label}'s own token endpoints; "
                                "fix the account's context.")
    if not url.startswith("https://"):
        raise GatewayError(400, f"{integration.label}'s token endpoint must be reached over https.")
    return url


def _sandbox_root(integration: Integration, sandbox_url: str | None) -> str:
    if not sandbox_url:
        raise GatewayError(503, "The built-in sandboxes are not running in this gateway.")
    return f"{sandbox_url.rstrip('/')}/{integration.name}"


async def request_token(transport: Transport, integration: Integration, client: OAuthClient, url: str,
                        form: dict[str, str]) -> dict[str, Any]:
    """POST a grant to the token endpoint; the token response, or TokenRefused, or a 502/504 GatewayError."""
    spec = oauth_spec(integration)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               "User-Agent": USER_AGENT}
    form = dict(form)
    if spec.client_auth == "basic":
        # RFC 6749 §2.3.1: each part form-encoded before the Basic encoding.
        pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form["client_id"] = client.client_id
        form["client_secret"] = client.client_secret
    response = await transport.request("POST", url, headers, urlencode(form).encode())
    parsed = _parse(response.body)
    if 200 <= response.status < 300 and isinstance(parsed.get("access_token"), str) and parsed["access_token"]:
        return parsed
    if response.status in REFUSAL_STATUSES or (200 <= response.status < 300 and parsed.get("error")):
        # Zoho answers some refusals with 200 and {"error": "invalid_code"}: `parse_response`
        # in https://github.com/zoho/zohocrm-python-sdk-8.0 reads the body whatever the status.
        raise TokenRefused(response.status, _text(parsed.get("error")),
                           _text(parsed.get("error_description") or parsed.get("message")))
    raise GatewayError(502, f"{integration.label}'s token endpoint answered HTTP {response.status}; the account is "
                            "unchanged. Retry later.")


def _parse(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        # A few servers still answer form-encoded (RFC 6749 says JSON).
        parsed = dict(parse_qsl(body.decode("utf-8", "replace")))
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any) -> str | None:
    return str(value)[:500] if value not in (None, "") else None


def token_context(integration: Integration, response: dict[str, Any]) -> dict[str, Any]:
    """The context patch a token response gives: the tokens, their expiry, and the integration's own fields.

    A refresh that issues no new refresh token leaves the stored one in place (the key is left out).
    `expires_at` is RFC 3339 UTC; None when the token does not expire.
    """
    spec = oauth_spec(integration)
    patch: dict[str, Any] = {"access_token": response["access_token"]}
    if response.get("refresh_token"):
        patch["refresh_token"] = response["refresh_token"]
    patch["expires_at"] = _expires_at(response.get("expires_in"))
    if response.get("token_type"):
        patch["token_type"] = str(response["token_type"])
    if response.get("scope"):
        patch["scope"] = response["scope"]
    if spec.context is not None:
        try:
            extra = spec.context.evaluate({"response": response})
        except ExpressionError as exc:
            raise GatewayError(502, f"{integration.name}: the oauth.context expression failed on the token "
                                    f"response ({exc}).") from exc
        if isinstance(extra, dict):
            patch.update({str(k): v for k, v in extra.items() if v is not None})
    return patch


def _expires_at(expires_in: Any) -> str | None:
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return None
    return format_instant(time.time() + seconds)


def format_instant(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).isoformat().replace("+00:00", "Z")
