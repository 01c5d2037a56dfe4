"""Link tokens and the hosted connect page: how an app's end user connects their own CRM.

`POST /link-token` (API token) gives a single-use token (7 days) for a new account (`tenant_id`) or a reconnect
(`integrated_account_id`) (https://www.truto.one/docs/api-reference/admin/link-token/create.md).
`GET /connect-account?link_token=…` is the page Truto's Link SDK opens
(https://github.com/trutohq/truto-link-sdk): it lists the CRMs the token allows, shows each one's credential
form built from its integration file (or starts its OAuth flow), checks the credentials with one real call
before storing them, and reports back as the SDK expects: `postMessage` of `{is_truto: true, result,
integration, integrated_account_id}` to the window that opened it (popup mode), or a redirect to the token's
`redirect_uri` (same-window mode). The page's HTML is built here; its script and style are static files.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from unigate.auth.connect import auth_method_for, with_query
from unigate.edge.account_input import check_context_values, check_tenant_id
from unigate.edge.admin import json_response
from unigate.edge.connect import begin_oauth
from unigate.edge.size_limits import json_object_body, read_limited
from unigate.engine.accounts import check_context, resolve_auth, sandboxes_off
from unigate.engine.sandbox_spaces import account_space_key, new_space_key, space_context
from unigate.engine.spec import AuthFormat, CredentialField, Integration
from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.store import IntegratedAccount, LinkToken

log = logging.getLogger("unigate.connect")

LINK_TOKEN_LIFETIME = timedelta(days=7)
ASSETS = Path(__file__).parent / "connect_page"
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self' http: https:; base-uri 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link token is in the page's URL
}


class PageError(Exception):
    """A failure shown on the page (and reported to the opener as the Link SDK's `error_type`)."""

    def __init__(self, status: int, message: str, error_type: str) -> None:
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type


class LinkRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def routes(self) -> list[Route]:
        return [
            Route("/link-token", self.create_link_token, methods=["POST"]),
            Route("/connect-account", self.page, methods=["GET"]),
            Route("/connect-account", self.submit, methods=["POST"]),
            Route("/connect-account/oauth", self.oauth, methods=["GET"]),
            Route("/connect-account/result", self.oauth_result, methods=["GET"]),
            Route("/connect-account/connect.js", _asset("connect.js", "text/javascript; charset=utf-8")),
            Route("/connect-account/connect.css", _asset("connect.css", "text/css; charset=utf-8")),
        ]

    @property
    def store(self):
        assert self.gateway.store is not None
        return self.gateway.store

    # -- POST /link-token ------------------------------------------------------------------------------
    async def create_link_token(self, request: Request) -> Response:
        environment_id = await self.gateway.environment_for(request.headers.get("authorization"))
        body = await json_object_body(request, self.gateway.settings.max_body_bytes)
        tenant_id = check_tenant_id(body.get("tenant_id"))
        account_id = body.get("integrated_account_id")
        if (tenant_id is None) == (account_id is None):
            # Truto lets one of the two win silently; naming both is refused here (docs/api.md).
            raise GatewayError(400, "Send tenant_id to connect a new account, or integrated_account_id to reconnect "
                                    "one: exactly one of them.")
        integrations = body.get("integrations")
        if integrations is not None and (not isinstance(integrations, list) or not integrations
                                         or not all(isinstance(n, str) for n in integrations)):
            raise GatewayError(400, "integrations must be a non-empty list of integration names.")
        unknown = [n for n in integrations or [] if self.gateway.integration(n) is None]
        if unknown:
            raise GatewayError(400, f"Unknown integrations {', '.join(repr(n[:40]) for n in unknown)}; available: "
                                    f"{', '.join(self.gateway.integrations)}.")
        redirect_uri = body.get("redirect_uri")
        if redirect_uri is not None and (not isinstance(redirect_uri, str) or len(redirect_uri) > 2000
                                         or urlsplit(redirect_uri).scheme not in ("http", "https")
                                         or not urlsplit(redirect_uri).netloc):
            raise GatewayError(400, "redirect_uri must be an absolute http(s) URL of at most 2000 characters.")
        is_sandbox = body.get("is_sandbox", False)
        if not isinstance(is_sandbox, bool):
            raise GatewayError(400, "is_sandbox must be true or false.")
        if account_id is not None:
            if not isinstance(account_id, str):
                raise GatewayError(400, "integrated_account_id must be a string.")
            account = await self._account(environment_id, account_id)
            if account is None:
                raise GatewayError(404, f"No integrated account {account_id[:60]} in this token's environment.")
            integrations, is_sandbox, tenant_id = [account.integration], account.is_sandbox, account.tenant_id
        if is_sandbox and not self.gateway.settings.sandboxes:
            raise sandboxes_off()
        token, plaintext = await self.store.create_link_token(
            environment_id=environment_id, tenant_id=tenant_id, account_id=account_id, integrations=integrations,
            redirect_uri=redirect_uri, is_sandbox=is_sandbox, lifetime=LINK_TOKEN_LIFETIME)
        base = (self.gateway.settings.public_url or str(request.base_url)).rstrip("/")
        return json_response({"link_token": plaintext, "expires_at": _iso(token.expires_at),
                              "url": f"{base}/connect-account?{urlencode({'link_token': plaintext})}"}, 201)

    async def _account(self, environment_id: str, account_id: str) -> IntegratedAccount | None:
        try:
            return await self.store.get_account(environment_id, account_id)
        except ValueError:
            return None

    # -- the page ------------------------------------------------------------------------------------
    async def _token(self, value: Any) -> LinkToken:
        token = await self.store.get_link_token(value) if isinstance(value, str) else None
        if token is None:
            raise PageError(400, "This connection link is not valid. Ask the app for a new one.", "invalid_token")
        if token.used_at is not None:
            raise PageError(410, "This connection link was already used. Ask the app for a new one.", "invalid_token")
        if token.expires_at <= datetime.now(UTC):
            raise PageError(410, "This connection link expired (links last 7 days). Ask the app for a new one.",
                            "invalid_token")
        return token

    def _allowed(self, token: LinkToken) -> list[Integration]:
        names = token.integrations or tuple(self.gateway.integrations)
        return [i for n in names if (i := self.gateway.integration(n)) is not None]

    def _chosen(self, token: LinkToken, name: Any) -> Integration:
        allowed = self._allowed(token)
        match = next((i for i in allowed if i.name == name), None)
        if match is None:
            raise PageError(400, "This connection link does not offer that CRM.", "invalid_integration")
        return match

    async def page(self, request: Request) -> Response:
        params = request.query_params
        try:
            token = await self._token(params.get("link_token"))
            allowed = self._allowed(token)
            if params.get("integrations"):
                # The Link SDK's own narrowing (`integrations: [...]`, sent comma-separated), within the token's.
                wanted = params["integrations"].split(",")
                allowed = [i for i in allowed if i.name in wanted]
                if not allowed:
                    raise PageError(400, "This connection link offers none of the CRMs asked for.",
                                    "invalid_integration")
            name = params.get("integration") or (allowed[0].name if len(allowed) == 1 else None)
            if name is None:
                return _page("Connect your CRM", _picker(params["link_token"], allowed), token)
            return _page(f"Connect {self._chosen(token, name).label}",
                         _forms(params["link_token"], self._chosen(token, name), token, None, {}), token)
        except PageError as error:
            return _error_page(error, None)

    async def submit(self, request: Request) -> Response:
        """The credential form: checked with one real call, then stored, and the token used."""
        raw = await read_limited(request.stream(), request.headers.get("content-length"), 64 * 1024)
        form = _parse_form(raw)
        token = None
        entered: dict[str, str] = {}
        try:
            token = await self._token(form.get("link_token"))
            integration = self._chosen(token, form.get("integration"))
            auth = next((a for a in integration.auth if a.method == form.get("auth_method")), None)
            if auth is None:
                raise PageError(400, "Choose how to connect.", "validation_error")
            entered = {f.name: form.get(f"field.{f.name}", "").strip() for f in auth.fields}
            missing = [f.label for f in auth.fields if f.required and not entered[f.name]]
            if missing:
                return _page(f"Connect {integration.label}", _forms(form["link_token"], integration, token,
                             f"Fill in: {', '.join(missing)}.", entered, auth.method), token, status=422)
            account = await self._connect(token, integration, auth, {k: v for k, v in entered.items() if v})
        except PageError as error:
            return _error_page(error, token)
        except _Refused as refused:
            assert token is not None
            # The form again with what was typed, secrets aside (_forms never fills a secret field).
            return _page(f"Connect {refused.integration.label}",
                         _forms(form["link_token"], refused.integration, token, refused.message, entered,
                                refused.method), token, status=refused.status)
        if not await self.store.use_link_token(form["link_token"], account.id):
            if token.account_id is None:
                await self.store.delete_account(account.environment_id, account.id)  # the other submission won
            return _error_page(PageError(410, "This connection link was already used. Ask the app for a new one.",
                                         "invalid_token"), token)
        return _success_page(token, integration, account)

    async def _connect(self, token: LinkToken, integration: Integration, auth: AuthFormat,
                       entered: dict[str, str]) -> IntegratedAccount:
        try:
            check_context_values(entered)
        except GatewayError as error:
            raise _Refused(integration, auth.method, 422, error.message) from None
        current = await self._account(token.environment_id, token.account_id) if token.account_id else None
        if token.account_id is not None and current is None:
            raise PageError(404, "The account this link reconnects was deleted.", "invalid_token")
        context: dict[str, Any] = dict(entered)
        if token.is_sandbox:
            if not self.gateway.settings.sandboxes:
                raise PageError(403, sandboxes_off().message, "connection_error")
            # What the person did not enter comes from the sandbox, naming a data space of the account's own.
            space = account_space_key(integration, current.context) if current else new_space_key()
            context = {**space_context(integration, space), **entered}
        if current is not None:
            context = {**current.context, **entered}
        method = resolve_auth(integration, auth.method, context).method
        try:
            check_context(integration, context, is_sandbox=token.is_sandbox, sandbox_url=self.gateway.sandbox_url)
            await self.gateway.try_credentials(integration, context, is_sandbox=token.is_sandbox,
                                               authentication_method=method, environment_id=token.environment_id)
        except GatewayError as error:
            if error.status in (401, 403):
                raise _Refused(integration, auth.method, 422,
                               f"{integration.label} refused these credentials. Check them and try again.") from None
            if error.status >= 500:
                log.warning("checking %s credentials on the connect page failed: %s", integration.name, error.status)
                raise _Refused(integration, auth.method, 503,
                               f"{integration.label} is not answering right now. Try again in a few minutes.") from None
            raise _Refused(integration, auth.method, 422,
                           f"{integration.label} did not accept these details: {error.message}") from None
        if current is not None:
            updated = await self.store.update_account(token.environment_id, current.id, status="active",
                                                      authentication_method=method, context_patch=entered)
            if updated is None:
                raise PageError(404, "The account this link reconnects was deleted.", "invalid_token")
            return updated
        return await self.store.create_account(token.environment_id, integration.name, context,
                                               tenant_id=token.tenant_id, is_sandbox=token.is_sandbox,
                                               authentication_method=method)

    # -- OAuth ---------------------------------------------------------------------------------------
    async def oauth(self, request: Request) -> Response:
        params = request.query_params
        try:
            token = await self._token(params.get("link_token"))
            integration = self._chosen(token, params.get("integration"))
            if integration.oauth is None:
                raise PageError(400, f"{integration.label} does not connect through OAuth here.", "invalid_integration")
            base = (self.gateway.settings.public_url or str(request.base_url)).rstrip("/")
            back = f"{base}/connect-account/result?" + urlencode({"link_token": params["link_token"],
                                                                  "integration": integration.name})
            current = await self._account(token.environment_id, token.account_id) if token.account_id else None
            space = account_space_key(integration, current.context) if current else new_space_key()
            return await begin_oauth(self.gateway, request, integration, environment_id=token.environment_id,
                                     tenant_id=token.tenant_id, account_id=token.account_id,
                                     is_sandbox=token.is_sandbox, redirect_uri=back, space=space)
        except PageError as error:
            return _error_page(error, None)
        except GatewayError as error:
            return _error_page(PageError(error.status, error.message, "connection_error"), None)

    async def oauth_result(self, request: Request) -> Response:
        """Where the OAuth callback sends the person back: the token is used for the account it connected,
        once the account is seen to be the one this token asked for (the query alone proves nothing)."""
        params = request.query_params
        token = None
        try:
            token = await self._token(params.get("link_token"))
            integration = self._chosen(token, params.get("integration"))
            if params.get("error"):
                raise PageError(400, f"{integration.label} did not connect ({params['error'][:100]}). Try again.",
                                "connection_error")
            account = await self._account(token.environment_id, params.get("integrated_account_id", ""))
            expected = account is not None and account.integration == integration.name and (
                account.id == token.account_id if token.account_id else
                account.tenant_id == token.tenant_id and account.created_at >= token.created_at)
            if not expected or account is None:
                raise PageError(400, "This connection could not be confirmed. Start again from the app.",
                                "connection_error")
            if not await self.store.use_link_token(params["link_token"], account.id):
                raise PageError(410, "This connection link was already used. Ask the app for a new one.",
                                "invalid_token")
        except PageError as error:
            return _error_page(error, token)
        return _success_page(token, integration, account)


class _Refused(Exception):
    """Credentials the CRM refused (or could not check): the form again, with the reason."""

    def __init__(self, integration: Integration, method: str, status: int, message: str) -> None:
        super().__init__(message)
        self.integration, self.method, self.status, self.message = integration, method, status, message


# -- HTML ----------------------------------------------------------------------------------------------
def _asset(name: str, media_type: str):
    async def serve(_: Request) -> Response:
        return FileResponse(ASSETS / name, media_type=media_type, headers={"Cache-Control": "no-cache"})
    return serve


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _parse_form(raw: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=64))
    except (UnicodeDecodeError, ValueError):
        return {}


def _page(title: str, content: str, token: LinkToken | None, *, status: int = 200,
          result: dict[str, Any] | None = None) -> HTMLResponse:
    """The page around `content`; `result` (for connect.js) is what the opener or redirect_uri is told."""
    report = ""
    if result is not None:
        target = token.redirect_uri if token is not None and token.redirect_uri else ""
        report = (f' data-result="{html.escape(json.dumps(result))}"'
                  f' data-redirect="{html.escape(with_query(target, _flat(result)) if target else "")}"'
                  f' data-origin="{html.escape(_origin(target))}"')
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title><link rel="stylesheet" href="/connect-account/connect.css"></head>'
            f'<body><main class="connect"{report}><h1>{html.escape(title)}</h1>{content}</main>'
            f'<script src="/connect-account/connect.js"></script></body></html>')
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _flat(result: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in result.items() if k != "is_truto" and v is not None}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _picker(link_token: str, allowed: list[Integration]) -> str:
    items = "".join(
        f'<li><a class="crm" href="/connect-account?{html.escape(urlencode({"link_token": link_token, "integration": i.name}))}">'
        f'{html.escape(i.label)}</a></li>' for i in allowed)
    return f'<p>Choose the CRM you use.</p><ul class="crms">{items}</ul>'


def _forms(link_token: str, integration: Integration, token: LinkToken, error: str | None,
           entered: dict[str, str], method: str | None = None) -> str:
    """The OAuth button where the integration has an OAuth flow, and a form per credential format."""
    parts = []
    if error:
        parts.append(f'<p class="error" role="alert">{html.escape(error)}</p>')
    if integration.oauth is not None:
        href = "/connect-account/oauth?" + urlencode({"link_token": link_token, "integration": integration.name})
        parts.append(f'<p><a class="button" href="{html.escape(href)}">Sign in with {html.escape(integration.label)}'
                     f'</a></p>')
    oauth_method = auth_method_for(integration) if integration.oauth is not None else None
    for auth in integration.auth:
        if auth.method == oauth_method:
            continue  # its tokens come from the OAuth flow above, not from a form
        # What was typed comes back after a refusal, in this form only and never in a secret field.
        kept = entered if method == auth.method else {}
        fields = "".join(_field(auth.method, f, kept.get(f.name, "")) for f in auth.fields)
        parts.append(
            f'<form method="post" action="/connect-account"><fieldset><legend>{html.escape(auth.label)}</legend>'
            f'<input type="hidden" name="link_token" value="{html.escape(link_token)}">'
            f'<input type="hidden" name="integration" value="{html.escape(integration.name)}">'
            f'<input type="hidden" name="auth_method" value="{html.escape(auth.method)}">{fields}'
            f'<button type="submit">Connect</button></fieldset></form>')
    if len(token.integrations or ()) != 1:
        back = "/connect-account?" + urlencode({"link_token": link_token})
        parts.append(f'<p><a href="{html.escape(back)}">Choose another CRM</a></p>')
    return "".join(parts)


def _field(method: str, field: CredentialField, typed: str) -> str:
    """One labelled input of a credential form; a secret is a password input and never refilled."""
    ident = f"{method}-{html.escape(field.name)}"
    value = f' value="{html.escape(typed)}"' if typed and not field.secret else ""
    return (f'<label for="{ident}">{html.escape(field.label)}{"" if field.required else " (optional)"}</label>'
            f'<input id="{ident}" name="field.{html.escape(field.name)}" '
            f'type="{"password" if field.secret else "text"}" autocomplete="off"'
            f'{" required" if field.required else ""}{value}>')


def _success_page(token: LinkToken, integration: Integration, account: IntegratedAccount) -> HTMLResponse:
    result = {"is_truto": True, "result": "success", "integration": integration.name,
              "integrated_account_id": account.id}
    return _page(f"{integration.label} is connected",
                 "<p>You can close this window.</p>", token, result=result)


def _error_page(error: PageError, token: LinkToken | None) -> HTMLResponse:
    result = {"is_truto": True, "result": "error", "error": error.message, "error_type": error.error_type}
    return _page("Connection failed", f'<p class="error" role="alert">{html.escape(error.message)}</p>', token,
                 status=error.status, result=result)
