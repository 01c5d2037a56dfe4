"""The OAuth connect flow: `/connect/{integration}/start` and `/connect/{integration}/callback`.

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
import html
import logging
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from unigate.auth.oauth import TokenRefused, authorize_url, client_for, oauth_spec, request_token, token_context, token_url
from unigate.edge.admin import json_response
from unigate.edge.query import as_bool, parse_query
from unigate.engine.accounts import check_context, resolve_auth
from unigate.engine.spec import Integration
from unigate.errors import GatewayError, reason_phrase
from unigate.gateway import Gateway
from unigate.store import IntegratedAccount, OAuthState

log = logging.getLogger("unigate.auth")

STATE_LIFETIME = timedelta(minutes=10)


def callback_url(gateway: Gateway, request: Request, integration: str) -> str:
    base = gateway.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/connect/{integration}/callback"


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


class ConnectRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def routes(self) -> list[Route]:
        return [
            Route("/connect/{integration}/start", self.start, methods=["GET"]),
            Route("/connect/{integration}/callback", self.callback, methods=["GET"]),
        ]

    def _integration(self, request: Request) -> Integration:
        name = request.path_params["integration"]
        integration = self.gateway.integration(name)
        if integration is None:
            raise GatewayError(404, f"No integration {name!r}.")
        oauth_spec(integration)
        return integration

    # -- start ------------------------------------------------------------------------------------
    async def start(self, request: Request) -> Response:
        environment_id = await self.gateway.environment_for(request.headers.get("authorization"))
        integration = self._integration(request)
        query = parse_query(request.url.query)
        redirect_uri = query.get("redirect_uri")
        if not isinstance(redirect_uri, str) or urlsplit(redirect_uri).scheme not in ("http", "https") \
                or not urlsplit(redirect_uri).netloc:
            raise GatewayError(400, "redirect_uri is required: the absolute http(s) URL of your page the user "
                                    "returns to, e.g. https://app.example.com/crm-connected.")
        if len(redirect_uri) > 2000:
            raise GatewayError(400, "redirect_uri is too long (over 2000 characters).")
        tenant_id = query.get("tenant_id")
        if tenant_id is not None and (not isinstance(tenant_id, str) or len(tenant_id) > 255):
            raise GatewayError(400, "tenant_id must be a string of at most 255 characters.")
        is_sandbox = as_bool("is_sandbox", query.get("is_sandbox"))
        account_id = query.get("integrated_account_id")
        if account_id is not None:
            account = await self._account(environment_id, account_id)
            if account.integration != integration.name:
                raise GatewayError(400, f"The integrated account {account.id} is a {account.integration} account, "
                                        f"not {integration.name}; reconnect it at /connect/{account.integration}/start.")
            is_sandbox = account.is_sandbox
            tenant_id = account.tenant_id  # a reconnect keeps the account as it is, tokens aside
        elif not tenant_id:
            raise GatewayError(400, "tenant_id is required to connect a new account (or integrated_account_id "
                                    "to reconnect one).")
        spec = oauth_spec(integration)
        client = client_for(integration, is_sandbox=is_sandbox, settings=self.gateway.settings)
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64) if spec.pkce else None  # 86 characters (RFC 7636: 43 to 128)
        callback = callback_url(self.gateway, request, integration.name)
        assert self.gateway.store is not None
        await self.gateway.store.create_oauth_state(
            state, environment_id=environment_id, integration=integration.name, tenant_id=tenant_id,
            account_id=account_id, is_sandbox=is_sandbox, redirect_uri=redirect_uri, callback_url=callback,
            code_verifier=verifier, lifetime=STATE_LIFETIME)
        params = {"client_id": client.client_id, "redirect_uri": callback, "response_type": "code", "state": state}
        if spec.scopes:
            params["scope"] = spec.scope_separator.join(spec.scopes)
        if verifier is not None:
            params["code_challenge"] = pkce_challenge(verifier)
            params["code_challenge_method"] = "S256"
        params.update(spec.authorize_params)
        location = authorize_url(integration, is_sandbox=is_sandbox, sandbox_url=self.gateway.sandbox_url,
                                 params=params)
        return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})

    async def _account(self, environment_id: str, account_id: Any) -> IntegratedAccount:
        account = None
        if isinstance(account_id, str):
            try:
                uuid.UUID(account_id)
            except ValueError:
                pass
            else:
                assert self.gateway.store is not None
                account = await self.gateway.store.get_account(environment_id, account_id)
        if account is None:
            raise GatewayError(404, f"No integrated account {str(account_id)[:60]} in this token's environment.")
        return account

    # -- callback ---------------------------------------------------------------------------------
    async def callback(self, request: Request) -> Response:
        try:
            return await self._callback(request)
        except GatewayError as error:
            return error_page(request, error)

    async def _callback(self, request: Request) -> Response:
        integration = self._integration(request)
        params = dict(request.query_params)
        state_value = params.get("state")
        if not state_value:
            raise GatewayError(400, "The callback has no state. Start the connection again from the app.")
        assert self.gateway.store is not None
        flow = await self.gateway.store.take_oauth_state(state_value)
        if flow is None:
            raise GatewayError(400, "This connect link is not valid: it was already used, or it was altered. "
                                    "Start the connection again from the app.")
        if flow.expires_at <= datetime.now(timezone.utc):
            raise GatewayError(400, "This connect link expired (it lasts 10 minutes). Start the connection again "
                                    "from the app.")
        if flow.integration != integration.name:
            raise GatewayError(400, "This connect link belongs to another integration. Start the connection again "
                                    "from the app.")
        if params.get("error"):
            # The user declined, or the CRM refused the request (RFC 6749 §4.1.2.1): tell the app.
            return self._back(flow, {"error": params["error"][:100]})
        code = params.get("code")
        if not code:
            return self._back(flow, {"error": "invalid_request"})
        try:
            extra = {k: v for k, v in params.items() if k not in ("code", "state")}
            account = await self._exchange(integration, flow, code, extra)
        except TokenRefused as refused:
            log.warning("%s refused the authorization code of a connect flow (%s)", integration.name,
                        refused.error or refused.status)
            return self._back(flow, {"error": refused.error or "invalid_grant"})
        except GatewayError as error:
            log.warning("connecting a %s account failed: %s", integration.name, error.message)
            reason = "temporarily_unavailable" if error.status in (502, 503, 504) else "server_error"
            return self._back(flow, {"error": reason})
        return self._back(flow, {"integrated_account_id": account.id})

    async def _exchange(self, integration: Integration, flow: OAuthState, code: str,
                        callback_params: dict[str, str]) -> IntegratedAccount:
        store = self.gateway.store
        assert store is not None
        client = client_for(integration, is_sandbox=flow.is_sandbox, settings=self.gateway.settings)
        url = token_url(integration, is_sandbox=flow.is_sandbox, sandbox_url=self.gateway.sandbox_url, context={},
                        callback=callback_params)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": flow.callback_url}
        if flow.code_verifier:
            form["code_verifier"] = flow.code_verifier
        response = await request_token(self.gateway.transport, integration, client, url, form)
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
                              sandbox_url=self.gateway.sandbox_url)
            updated = await store.update_account(flow.environment_id, flow.account_id, status="active",
                                                 context_patch=patch)
            if updated is None:
                raise GatewayError(404, "The integrated account being reconnected was deleted meanwhile.")
            log.info("reconnected %s account %s", integration.name, updated.id)
            return updated
        context = {**integration.sandbox_context, **tokens} if flow.is_sandbox else tokens
        method = resolve_auth(integration, auth_method_for(integration), context).method
        check_context(integration, context, is_sandbox=flow.is_sandbox, sandbox_url=self.gateway.sandbox_url)
        account = await store.create_account(flow.environment_id, integration.name, context,
                                             tenant_id=flow.tenant_id, is_sandbox=flow.is_sandbox,
                                             authentication_method=method)
        log.info("connected %s account %s", integration.name, account.id)
        return account

    @staticmethod
    def _back(flow: OAuthState, params: dict[str, str]) -> Response:
        return RedirectResponse(with_query(flow.redirect_uri, params), status_code=302,
                                headers={"Cache-Control": "no-store"})


def error_page(request: Request, error: GatewayError) -> Response:
    """The error as a small HTML page for a browser, or the usual JSON body for anything else."""
    if "text/html" in request.headers.get("accept", ""):
        title = f"{error.status} {reason_phrase(error.status)}"
        page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
                f"<body><h1>Connection failed</h1><p>{html.escape(error.message)}</p></body></html>")
        return HTMLResponse(page, status_code=error.status, headers={"Cache-Control": "no-store"})
    return json_response(error.body(), error.status)

