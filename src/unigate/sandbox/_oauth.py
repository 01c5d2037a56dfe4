"""An in-memory OAuth 2 authorization server that a CRM emulator owns (RFC 6749 §4.1, §6; RFC 7636).

Each OAuth CRM's emulator describes its vendor in an `OAuthProfile` (paths, client authentication,
PKCE, token lifetime, refresh-token rotation, error bodies, extra response fields) and owns one
`OAuthServer` built from it. The server:

- `GET <authorize_path>`: checks `client_id`, `redirect_uri`, `response_type=code` (and the PKCE
  challenge where the vendor takes one), auto-approves (a sandbox has no user to ask) and answers
  302 to `redirect_uri` with `code` and `state`. An unknown client or a refused `redirect_uri` is a
  400 page (RFC 6749 §4.1.2.1: never redirect to an unverified URI); other bad requests redirect
  back with `error=`.
- `POST <token_path>` (form-encoded): `grant_type=authorization_code` (single-use code, short
  lifetime, same `redirect_uri`, PKCE `code_verifier`) and `grant_type=refresh_token`, with the
  vendor's client authentication, response fields and error bodies.
- drops a token request whose client disconnected before the server looked at it (while a queued
  fault delay held it), so a test can kill a client mid-refresh without voiding its refresh token.
- remembers every access and refresh token with its expiry, so the emulator's API auth can accept
  the unexpired access tokens it issued (`is_active_access_token`).
- issues tokens for a data space (spaces.py): the authorize request's `sandbox_space` (a space key;
  absent: the default space) goes with the code to the tokens, and an access token for a space other
  than the default is answered with the space's suffix (`<token>~<key>`), so the requests that carry it
  reach that space, where alone it is accepted. A refresh keeps the space.

Every sandbox accepts the client `sandbox-<name>-client-id` / `sandbox-<name>-client-secret` and any
`redirect_uri` on the loopback host (`http://127.0.0.1…`, `http://localhost…`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from unigate.sandbox.spaces import DEFAULT_SPACE, KEY_PATTERN, space_credential

# RFC 6749 §4.1.2 recommends a code lifetime of at most 10 minutes.
DEFAULT_CODE_TTL = 600
ALLOWED_REDIRECT_PREFIXES = ("http://127.0.0.1", "http://localhost")


def client_id_for(name: str) -> str:
    return f"sandbox-{name}-client-id"


def client_secret_for(name: str) -> str:
    return f"sandbox-{name}-client-secret"


def new_token() -> str:
    """A random, unguessable token (256 bits)."""
    return secrets.token_urlsafe(32)


def emulator_root(request: Request) -> str:
    """The URL of the emulator's root as the caller reached it (e.g. `http://127.0.0.1:8123/zoho_crm`)."""
    scope = request.scope
    mount_path = scope.get("root_path", "")[len(scope.get("app_root_path", "")):]
    return str(request.base_url).rstrip("/") + mount_path


def pkce_s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthError(Exception):
    """A refused token request.

    `error` is the RFC 6749 §5.2 code; `reason` names the precise cause so that a vendor's renderer
    can pick its own wording (one of the `REASON_*` constants below); `basic_auth` tells whether the
    client authenticated with HTTP Basic (RFC 6749 §5.2 answers 401 then for `invalid_client`).
    """

    def __init__(self, error: str, reason: str, description: str, *, basic_auth: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.reason = reason
        self.description = description
        self.basic_auth = basic_auth


REASON_NOT_FORM = "not_form"
REASON_GRANT_TYPE_MISSING = "grant_type_missing"
REASON_GRANT_TYPE_UNSUPPORTED = "grant_type_unsupported"
REASON_CLIENT_MISSING = "client_missing"
REASON_CLIENT_UNKNOWN = "client_unknown"
REASON_CLIENT_SECRET_WRONG = "client_secret_wrong"
REASON_CLIENT_AUTH_METHOD = "client_auth_method"
REASON_CODE_MISSING = "code_missing"
REASON_CODE_INVALID = "code_invalid"
REASON_CODE_EXPIRED = "code_expired"
REASON_REDIRECT_URI_MISMATCH = "redirect_uri_mismatch"
REASON_CODE_VERIFIER = "code_verifier"
REASON_REFRESH_TOKEN_MISSING = "refresh_token_missing"
REASON_REFRESH_TOKEN_INVALID = "refresh_token_invalid"


def rfc6749_error(error: OAuthError) -> Response:
    """RFC 6749 §5.2: `{"error", "error_description"}`, 400, or 401 for `invalid_client`."""
    status = 401 if error.error == "invalid_client" else 400
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="OAuth"' if error.basic_auth else 'Bearer realm="OAuth"'
    return JSONResponse({"error": error.error, "error_description": error.description}, status, headers)


@dataclass(frozen=True)
class OAuthProfile:
    """How one vendor's authorization server behaves (the emulator module cites the vendor's documentation for each)."""

    name: str                                   # integration name: the client credentials derive from it
    authorize_path: str
    token_path: str
    access_token_ttl: int | None                # seconds (`expires_in`); None: access tokens never expire
    rotates_refresh_token: bool                 # a refresh answers a new refresh token and voids the old one
    issues_refresh_token: bool = True
    client_auth: frozenset[str] = frozenset({"body"})   # "body" (form fields) and/or "basic" (HTTP Basic)
    pkce: str = "none"                          # "none": PKCE parameters ignored; "optional"; "required" (S256)
    code_ttl: int = DEFAULT_CODE_TTL
    token_type: str = "Bearer"
    returns_scope: bool = True                  # the token response carries `scope`
    default_scope: str | None = None            # granted when the authorize request names none
    form_in_query: bool = False                 # token parameters may come in the query string too
    token_error: Callable[[OAuthError], Response] = rfc6749_error
    token_extras: Callable[[Request], dict[str, Any]] = lambda request: {}
    redirect_extras: Callable[[Request], dict[str, str]] = lambda request: {}
    new_access_token: Callable[[], str] = new_token
    new_refresh_token: Callable[[], str] = new_token
    # A second token endpoint whose access tokens never expire and come without a refresh token
    # (monday's legacy OAuth 2.0 endpoint).
    non_expiring_token_path: str | None = None

    @property
    def client_id(self) -> str:
        return client_id_for(self.name)

    @property
    def client_secret(self) -> str:
        return client_secret_for(self.name)


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scope: str | None
    code_challenge: str | None
    expires_at: float
    space: str = DEFAULT_SPACE


@dataclass
class _AccessToken:
    expires_at: float | None        # None: never expires
    scope: str | None
    space: str = DEFAULT_SPACE


@dataclass
class _RefreshToken:
    client_id: str
    scope: str | None
    space: str = DEFAULT_SPACE


@dataclass
class OAuthStats:
    token_requests: int = 0         # every request to a token endpoint, whatever the grant or outcome
    refresh_requests: int = 0       # of those, the ones with grant_type=refresh_token


@dataclass
class OAuthServer:
    """The authorization server state of one emulator: codes, tokens, settings and counters."""

    profile: OAuthProfile
    access_token_ttl: int | None = field(init=False)
    code_ttl: int = field(init=False)
    codes: dict[str, _Code] = field(init=False)
    access_tokens: dict[str, _AccessToken] = field(init=False)
    refresh_tokens: dict[str, _RefreshToken] = field(init=False)
    stats: OAuthStats = field(init=False)
    # Whether a refresh rotates the refresh token, when the emulator decides it at run time (a switch, for
    # vendors whose sources do not say); None: the profile's `rotates_refresh_token`.
    rotation: Callable[[], bool] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.reset()

    def rotates_refresh_token(self) -> bool:
        return self.profile.rotates_refresh_token if self.rotation is None else self.rotation()

    # -- state ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every code and token, and go back to the vendor's lifetimes."""
        self.access_token_ttl = self.profile.access_token_ttl
        self.code_ttl = self.profile.code_ttl
        self.codes = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.stats = OAuthStats()

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply a control request: `access_token_ttl` (null: the vendor's), `code_ttl`,
        `expire_all` (every issued access token expires now), `revoke_refresh_tokens` (every refresh
        token issued so far is refused from now on)."""
        unknown = set(settings) - {"access_token_ttl", "code_ttl", "expire_all", "revoke_refresh_tokens"}
        if unknown:
            raise ValueError(f"unknown OAuth settings: {', '.join(sorted(unknown))}")
        if "access_token_ttl" in settings:
            ttl = settings["access_token_ttl"]
            self.access_token_ttl = self.profile.access_token_ttl if ttl is None else _seconds(ttl, "access_token_ttl")
        if "code_ttl" in settings:
            ttl = settings["code_ttl"]
            self.code_ttl = self.profile.code_ttl if ttl is None else _seconds(ttl, "code_ttl")
        if settings.get("expire_all"):
            now = time.time()
            for token in self.access_tokens.values():
                token.expires_at = now
        if settings.get("revoke_refresh_tokens"):
            self.refresh_tokens.clear()

    def summary(self) -> dict[str, int]:
        now = time.time()
        return {
            "token_requests": self.stats.token_requests,
            "refresh_requests": self.stats.refresh_requests,
            "active_access_tokens": sum(1 for t in self.access_tokens.values() if _alive(t.expires_at, now)),
            "active_refresh_tokens": len(self.refresh_tokens),
        }

    def is_active_access_token(self, token: str | None, space: str = DEFAULT_SPACE) -> bool:
        """True for an access token this server issued for `space` and that has not expired."""
        if not token:
            return False
        issued = self.access_tokens.get(token)
        return issued is not None and issued.space == space and _alive(issued.expires_at, time.time())

    def knows_space(self, space: str) -> bool:
        """True when a code or token (expired or not) was issued for `space`."""
        return any(value.space == space for store in (self.access_tokens, self.refresh_tokens, self.codes)
                   for value in store.values())

    def forget_space(self, space: str) -> None:
        """Drop the codes and tokens of a data space the sandbox no longer holds."""
        for store in (self.codes, self.access_tokens, self.refresh_tokens):
            for key in [key for key, value in store.items() if value.space == space]:
                del store[key]

    # -- HTTP -------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        routes = [
            Route(self.profile.authorize_path, self.authorize, methods=["GET"]),
            Route(self.profile.token_path, self.token, methods=["POST"]),
        ]
        if self.profile.non_expiring_token_path:
            routes.append(Route(self.profile.non_expiring_token_path, self.non_expiring_token, methods=["POST"]))
        return routes

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        client_id = params.get("client_id")
        if client_id != self.profile.client_id:
            return _page(400, "invalid_client", "Unknown client_id: no OAuth app is registered with this id.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri.startswith(ALLOWED_REDIRECT_PREFIXES):
            return _page(400, "invalid_request",
                         "redirect_uri is missing or not registered for this app (the sandbox accepts "
                         + " or ".join(ALLOWED_REDIRECT_PREFIXES) + " addresses).")
        state = params.get("state")
        if params.get("response_type", "code") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        challenge = None
        if self.profile.pkce != "none":
            challenge = params.get("code_challenge")
            method = params.get("code_challenge_method", "plain")
            if challenge is None and self.profile.pkce == "required":
                return _redirect(redirect_uri, {"error": "invalid_request", "state": state,
                                                "error_description": "code_challenge is required"})
            if challenge is not None and method != "S256":
                return _redirect(redirect_uri, {"error": "invalid_request", "state": state,
                                                "error_description": "code_challenge_method must be S256"})
        space = params.get("sandbox_space") or DEFAULT_SPACE
        if space != DEFAULT_SPACE and not KEY_PATTERN.fullmatch(space):
            return _redirect(redirect_uri, {"error": "invalid_request", "state": state,
                                            "error_description": "sandbox_space must be 16 to 64 characters of "
                                                                 "A-Z, a-z, 0-9, _ and -"})
        code = new_token()
        scope = params.get("scope") or self.profile.default_scope
        self.codes[code] = _Code(client_id=client_id, redirect_uri=redirect_uri, scope=scope,
                                 code_challenge=challenge, expires_at=time.time() + self.code_ttl, space=space)
        return _redirect(redirect_uri, {"code": code, "state": state, **self.profile.redirect_extras(request)})

    async def token(self, request: Request) -> Response:
        return await self._token(request, expiring=True)

    async def non_expiring_token(self, request: Request) -> Response:
        return await self._token(request, expiring=False)

    async def _token(self, request: Request, expiring: bool) -> Response:
        form = await self._form(request)
        if await request.is_disconnected():
            # The client went away while the request was held in front of the server (a queued
            # fault delay): drop it unseen, as a proxy drops an aborted request, so a client killed
            # mid-refresh still holds a valid refresh token. Not counted.
            return Response(status_code=499)
        self.stats.token_requests += 1
        if form is not None and form.get("grant_type") == "refresh_token":
            self.stats.refresh_requests += 1
        try:
            if form is None:
                raise OAuthError("invalid_request", REASON_NOT_FORM,
                                 "The token request must be application/x-www-form-urlencoded.")
            body = self._grant(request, form, expiring)
        except OAuthError as error:
            return self.profile.token_error(error)
        body.update(self.profile.token_extras(request))
        return JSONResponse(body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def _form(self, request: Request) -> dict[str, str] | None:
        """The token request's parameters; None when the body is not form-encoded."""
        raw = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        form: dict[str, str] = dict(request.query_params) if self.profile.form_in_query else {}
        if content_type == "application/x-www-form-urlencoded":
            form.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif raw:
            return None
        return form

    # -- grants -----------------------------------------------------------------------------------
    def _grant(self, request: Request, form: dict[str, str], expiring: bool) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", REASON_GRANT_TYPE_MISSING, "Missing parameter: grant_type")
        allowed = ("authorization_code", "refresh_token") if expiring else ("authorization_code",)
        if grant_type not in allowed:
            raise OAuthError("unsupported_grant_type", REASON_GRANT_TYPE_UNSUPPORTED,
                             f"Unsupported grant type: {grant_type}")
        client_id, basic = self._authenticate_client(request, form)
        if grant_type == "authorization_code":
            return self._exchange_code(form, client_id, basic, expiring)
        return self._refresh(form, client_id, basic)

    def _authenticate_client(self, request: Request, form: dict[str, str]) -> tuple[str, bool]:
        """The client's id once its credentials check out, and whether they came as HTTP Basic."""
        basic = _basic_credentials(request)
        if basic is not None and "basic" in self.profile.client_auth:
            client_id, client_secret, used_basic = basic[0], basic[1], True
        elif "body" in self.profile.client_auth and form.get("client_id"):
            client_id, client_secret, used_basic = form.get("client_id", ""), form.get("client_secret"), False
        elif basic is None and form.get("client_id") and "basic" in self.profile.client_auth:
            raise OAuthError("invalid_client", REASON_CLIENT_AUTH_METHOD,
                             "Client authentication must use HTTP Basic.")
        else:
            raise OAuthError("invalid_client", REASON_CLIENT_MISSING,
                             "Client credentials are missing.", basic_auth=basic is not None)
        if client_id != self.profile.client_id:
            raise OAuthError("invalid_client", REASON_CLIENT_UNKNOWN, "Unknown client.", basic_auth=used_basic)
        if not client_secret or not secrets.compare_digest(client_secret, self.profile.client_secret):
            raise OAuthError("invalid_client", REASON_CLIENT_SECRET_WRONG, "Client secret is invalid.",
                             basic_auth=used_basic)
        return client_id, used_basic

    def _exchange_code(self, form: dict[str, str], client_id: str, basic: bool, expiring: bool) -> dict[str, Any]:
        value = form.get("code")
        if not value:
            raise OAuthError("invalid_request", REASON_CODE_MISSING, "Missing parameter: code", basic_auth=basic)
        code = self.codes.get(value)
        if code is None or code.client_id != client_id:
            raise OAuthError("invalid_grant", REASON_CODE_INVALID,
                             "The authorization code is invalid or was already used.", basic_auth=basic)
        if time.time() >= code.expires_at:
            del self.codes[value]
            raise OAuthError("invalid_grant", REASON_CODE_EXPIRED, "The authorization code has expired.",
                             basic_auth=basic)
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", REASON_REDIRECT_URI_MISMATCH,
                             "redirect_uri does not match the one of the authorization request.", basic_auth=basic)
        if code.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier or not secrets.compare_digest(pkce_s256(verifier), code.code_challenge):
                raise OAuthError("invalid_grant", REASON_CODE_VERIFIER,
                                 "code_verifier does not match the code_challenge.", basic_auth=basic)
        del self.codes[value]   # single use (RFC 6749 §4.1.2)
        if not expiring:
            return self._issue(client_id, code.scope, code.space, refresh=False, ttl=None)
        return self._issue(client_id, code.scope, code.space, refresh=self.profile.issues_refresh_token,
                           ttl=self.access_token_ttl)

    def _refresh(self, form: dict[str, str], client_id: str, basic: bool) -> dict[str, Any]:
        value = form.get("refresh_token")
        if not value:
            raise OAuthError("invalid_request", REASON_REFRESH_TOKEN_MISSING, "Missing parameter: refresh_token",
                             basic_auth=basic)
        stored = self.refresh_tokens.get(value)
        if stored is None or stored.client_id != client_id:
            raise OAuthError("invalid_grant", REASON_REFRESH_TOKEN_INVALID,
                             "The refresh token is invalid, expired or revoked.", basic_auth=basic)
        rotates = self.rotates_refresh_token()
        body = self._issue(client_id, stored.scope, stored.space, refresh=rotates, ttl=self.access_token_ttl)
        if rotates:
            del self.refresh_tokens[value]   # the old one is refused from now on
        return body

    def _issue(self, client_id: str, scope: str | None, space: str = DEFAULT_SPACE, *, refresh: bool,
               ttl: int | None) -> dict[str, Any]:
        access = self.profile.new_access_token()
        self.access_tokens[access] = _AccessToken(expires_at=None if ttl is None else time.time() + ttl, scope=scope,
                                                  space=space)
        body: dict[str, Any] = {"access_token": space_credential(access, space), "token_type": self.profile.token_type}
        if ttl is not None:
            body["expires_in"] = ttl
        if refresh:
            refresh_token = self.profile.new_refresh_token()
            self.refresh_tokens[refresh_token] = _RefreshToken(client_id=client_id, scope=scope, space=space)
            body["refresh_token"] = refresh_token
        if self.profile.returns_scope and scope is not None:
            body["scope"] = scope
        return body


def _alive(expires_at: float | None, now: float) -> bool:
    return expires_at is None or now < expires_at


def _seconds(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number of seconds >= 0")
    return int(value)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


def _redirect(redirect_uri: str, params: dict[str, str | None]) -> Response:
    """302 to `redirect_uri` with `params` added to its query (keeping the query it already has)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), status_code=302)


def _page(status: int, error: str, description: str) -> Response:
    """The authorize endpoint's error page (the vendor shows one to the user instead of redirecting)."""
    return JSONResponse({"error": error, "error_description": description}, status)
