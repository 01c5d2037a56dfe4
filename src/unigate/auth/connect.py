"""The OAuth connect flow's logic; its HTTP routes are edge/connect.py.

start (API token): the app's backend asks for a connect URL and sends its user to the `Location`,
the CRM's authorize page with a fresh `state` (and a PKCE S256 challenge where the integration uses
PKCE). The state is random, stored server-side (hashed) with what the flow is for, and lives
STATE_LIFETIME.

callback (no API token: the state is the credential): takes the state once, exchanges the code,
creates the integrated account (or reconnects the one named at start and sets it active), and sends
the user back to the app's `redirect_uri` with `integrated_account_id=<id>`, or `error=<code>` when
the CRM or the exchange failed. A state that is unknown, used, expired or tampered with gets a 400
page: there is no trustworthy redirect_uri to send the user to then.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from unigate.auth.oauth import client_for, oauth_spec, request_token, token_context, token_url
from unigate.engine.accounts import check_context, resolve_auth
from unigate.engine.sandbox_spaces import space_context, space_key_of
from unigate.engine.spec import Integration
from unigate.errors import GatewayError
from unigate.settings import Settings
from unigate.store import IntegratedAccount, OAuthState, Store
from unigate.transport import Transport

log = logging.getLogger("unigate.auth")

STATE_LIFETIME = timedelta(minutes=10)


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2, S256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to its query (existing parameters kept, same names replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def auth_method_for(integration: Integration) -> str | None:
    """The auth format an OAuth-connected account uses: `oauth2` where the integration has it, else its first."""
    if integration.auth_format("oauth2") is not None:
        return "oauth2"
    return integration.auth[0].method if integration.auth else None


async def exchange_code(store: Store, transport: Transport, settings: Settings, sandbox_url: str | None,
                    integration: Integration, flow: OAuthState, code: str,
                    callback_params: dict[str, str]) -> IntegratedAccount:
    """The account a callback's authorization code connects: created, or reconnected with new tokens."""
    client = client_for(integration, is_sandbox=flow.is_sandbox, settings=settings)
    url = token_url(integration, is_sandbox=flow.is_sandbox, sandbox_url=sandbox_url, context={},
                    callback=callback_params)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": flow.callback_url}
    if flow.code_verifier:
        form["code_verifier"] = flow.code_verifier
    response = await request_token(transport, integration, client, url, form)
    tokens = token_context(integration, response)
    if not flow.is_sandbox and "{{" in oauth_spec(integration).token_url:
        tokens["token_url"] = url  # chosen at connect time (e.g. the data centre): refreshes go there too
    if flow.account_id is not None:
        # Reconnect: the new tokens replace the old ones; a key the new answer lacks must not linger.
        patch = {key: None for key in ("refresh_token", "expires_at")} | tokens
        current = await store.get_account(flow.environment_id, flow.account_id)
        if current is not None:
            # The token answer may name the API host (api_domain): refused unless it is the CRM's own.
            check_context(integration, {**current.context, **patch}, is_sandbox=current.is_sandbox,
                          sandbox_url=sandbox_url)
        updated = await store.update_account(flow.environment_id, flow.account_id, status="active",
                                             context_patch=patch)
        if updated is None:
            raise GatewayError(404, "The integrated account being reconnected was deleted meanwhile.")
        log.info("reconnected %s account %s", integration.name, updated.id)
        return updated
    if flow.is_sandbox:
        # The sandbox's other credentials name the data space its access token was issued for.
        context = {**space_context(integration, space_key_of(tokens.get("access_token"))), **tokens}
    else:
        context = tokens
    method = resolve_auth(integration, auth_method_for(integration), context).method
    check_context(integration, context, is_sandbox=flow.is_sandbox, sandbox_url=sandbox_url)
    account = await store.create_account(flow.environment_id, integration.name, context,
                                         tenant_id=flow.tenant_id, is_sandbox=flow.is_sandbox,
                                         authentication_method=method)
    log.info("connected %s account %s", integration.name, account.id)
    return account
