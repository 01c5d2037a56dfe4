"""The OAuth connect routes: `/connect/{integration}/start` and `/connect/{integration}/callback`.

The flow itself (states, PKCE, the code exchange, account creation) is auth/connect.py.
"""

from __future__ import annotations

import html
import logging
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from unigate.auth import connect
from unigate.auth.connect import pkce_challenge, with_query
from unigate.auth.oauth import TokenRefused, authorize_url, client_for, oauth_spec
from unigate.edge.account_input import check_tenant_id
from unigate.edge.admin import json_response
from unigate.edge.query import as_bool, parse_query
from unigate.engine.accounts import sandboxes_off
from unigate.engine.sandbox_spaces import account_space_key, new_space_key
from unigate.engine.spec import Integration
from unigate.errors import GatewayError, reason_phrase
from unigate.gateway import Gateway
from unigate.store import IntegratedAccount, OAuthState

log = logging.getLogger("unigate.auth")


def callback_url(gateway: Gateway, request: Request, integration: str) -> str:
    base = gateway.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/connect/{integration}/callback"


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
        tenant_id = check_tenant_id(query.get("tenant_id"))
        is_sandbox = as_bool("is_sandbox", query.get("is_sandbox"))
        account_id = query.get("integrated_account_id")
        space: str | None = new_space_key()  # a new sandbox account's own data space
        if account_id is not None:
            account = await self._account(environment_id, account_id)
            space = account_space_key(integration, account.context)  # a reconnect keeps its data
            if account.integration != integration.name:
                raise GatewayError(400, f"The integrated account {account.id} is a {account.integration} account, "
                                        f"not {integration.name}; reconnect it at /connect/{account.integration}/start.")
            is_sandbox = account.is_sandbox
            tenant_id = account.tenant_id  # a reconnect keeps the account as it is, tokens aside
        elif not tenant_id:
            raise GatewayError(400, "tenant_id is required to connect a new account (or integrated_account_id "
                                    "to reconnect one).")
        return await begin_oauth(self.gateway, request, integration, environment_id=environment_id,
                                 tenant_id=tenant_id, account_id=account_id, is_sandbox=is_sandbox,
                                 redirect_uri=redirect_uri, space=space)

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
        if flow.expires_at <= datetime.now(UTC):
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
            gateway = self.gateway
            assert gateway.store is not None
            account = await connect.exchange_code(gateway.store, gateway.transport, gateway.settings,
                                                  gateway.sandbox_url, integration, flow, code, extra)
        except TokenRefused as refused:
            log.warning("%s refused the authorization code of a connect flow (%s)", integration.name,
                        refused.error or refused.status)
            return self._back(flow, {"error": refused.error or "invalid_grant"})
        except GatewayError as error:
            log.warning("connecting a %s account failed: %s", integration.name, error.message)
            reason = "temporarily_unavailable" if error.status in (502, 503, 504) else "server_error"
            return self._back(flow, {"error": reason})
        return self._back(flow, {"integrated_account_id": account.id})

    @staticmethod
    def _back(flow: OAuthState, params: dict[str, str]) -> Response:
        return RedirectResponse(with_query(flow.redirect_uri, params), status_code=302,
                                headers={"Cache-Control": "no-store"})


async def begin_oauth(gateway: Gateway, request: Request, integration: Integration, *, environment_id: str,
                      tenant_id: str | None, account_id: str | None, is_sandbox: bool, redirect_uri: str,
                      space: str | None) -> Response:
    """302 to the CRM's authorize page, with a fresh state remembered for the callback (which sends the user to
    `redirect_uri`). Shared by /connect/{integration}/start and the hosted connect page (edge/link.py)."""
    if is_sandbox and not gateway.settings.sandboxes:
        raise sandboxes_off()
    spec = oauth_spec(integration)
    client = client_for(integration, is_sandbox=is_sandbox, settings=gateway.settings)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64) if spec.pkce else None  # 86 characters (RFC 7636: 43 to 128)
    callback = callback_url(gateway, request, integration.name)
    assert gateway.store is not None
    await gateway.store.create_oauth_state(
        state, environment_id=environment_id, integration=integration.name, tenant_id=tenant_id,
        account_id=account_id, is_sandbox=is_sandbox, redirect_uri=redirect_uri, callback_url=callback,
        code_verifier=verifier, lifetime=connect.STATE_LIFETIME)
    params = {"client_id": client.client_id, "redirect_uri": callback, "response_type": "code", "state": state}
    if spec.scopes:
        params["scope"] = spec.scope_separator.join(spec.scopes)
    if verifier is not None:
        params["code_challenge"] = pkce_challenge(verifier)
        params["code_challenge_method"] = "S256"
    params.update(spec.authorize_params)
    if is_sandbox and space is not None:
        # The sandbox issues tokens for this data space (engine/sandbox_spaces.py).
        params["sandbox_space"] = space
    location = authorize_url(integration, is_sandbox=is_sandbox, sandbox_url=gateway.sandbox_url, params=params)
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})


def error_page(request: Request, error: GatewayError) -> Response:
    """The error as a small HTML page for a browser, or the usual JSON body for anything else."""
    if "text/html" in request.headers.get("accept", ""):
        title = f"{error.status} {reason_phrase(error.status)}"
        page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
                f"<body><h1>Connection failed</h1><p>{html.escape(error.message)}</p></body></html>")
        return HTMLResponse(page, status_code=error.status, headers={"Cache-Control": "no-store"})
    return json_response(error.body(), error.status)

