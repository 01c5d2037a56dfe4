"""The OAuth 2 authorization servers of the sandboxes, driven over HTTP as a client would.

Each test runs for every OAuth CRM and follows the `oauth:` block of the CRM's integration.yaml
(sandbox paths, client authentication, PKCE, refresh): the block is the contract the gateway reads.
What each vendor does is cited, with the vendor's URL, in the emulator modules.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml

from unigate.engine.spec import INTEGRATIONS_DIR
from unigate.expressions import compile_expression
from unigate.sandbox import capsule, hubspot, monday, outreach, pipedrive

REDIRECT_URI = "http://127.0.0.1:8765/connect/callback?tenant=t1"


@dataclass(frozen=True)
class Crm:
    """What a test needs to know of one vendor beyond its `oauth:` block."""

    name: str
    access_token_ttl: int | None
    rotates: bool
    # reads the vendor's own API (the accounts list) with an access token
    read_api: Callable[[str, str], requests.Response]
    # the vendor's 401 for an unknown or expired token
    is_vendor_401: Callable[[requests.Response], bool]
    # the vendor's error code in a refused token answer
    error_code: Callable[[requests.Response], str]
    # (status, code) the token endpoint answers per refusal
    refusals: dict[str, tuple[int, str]]
    # fields the token response carries besides the tokens (checked against the emulator's root)
    extras: Callable[[str], dict] = lambda root: {}
    scope: str | None = None          # the token response's `scope` (None: the vendor sends none)


def rfc_code(response: requests.Response) -> str:
    return response.json()["error"]


def hubspot_api(root: str, token: str) -> requests.Response:
    return requests.get(root + "/crm/v3/objects/companies", params={"limit": 2},
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def pipedrive_api(root: str, token: str) -> requests.Response:
    return requests.get(root + "/api/v2/organizations", params={"limit": 2},
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def zoho_api(root: str, token: str) -> requests.Response:
    return requests.get(root + "/crm/v8/Accounts", params={"fields": "Account_Name", "per_page": 2},
                        headers={"Authorization": f"Zoho-oauthtoken {token}"}, timeout=10)


def outreach_api(root: str, token: str) -> requests.Response:
    return requests.get(root + "/api/v2/accounts", params={"page[size]": 2},
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}, timeout=10)


def capsule_api(root: str, token: str) -> requests.Response:
    return requests.get(root + "/api/v2/parties", params={"perPage": 2},
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def zendesk_sell_api(root: str, token: str) -> requests.Response:
    return requests.get(root + "/v2/contacts", params={"is_organization": "true", "per_page": 2},
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                                 "User-Agent": "unigate-tests/1.0"}, timeout=10)


def monday_api(root: str, token: str) -> requests.Response:
    """A read of the Accounts board; monday's official SDK sends the raw token."""
    return requests.post(root + "/v2", json={"query": "query ($b: [ID!]) { boards(ids: $b) { id name } }",
                                             "variables": {"b": [monday.ACCOUNTS_BOARD_ID]}},
                         headers={"Authorization": token, "API-Version": "2025-07"}, timeout=10)


# RFC 6749 §5.2 answers (the sandbox's choice where the vendor documents no error body)
RFC_REFUSALS = {
    "code": (400, "invalid_grant"), "expired_code": (400, "invalid_grant"),
    "redirect_uri": (400, "invalid_grant"), "secret": (401, "invalid_client"),
    "client_method": (401, "invalid_client"), "refresh": (400, "invalid_grant"),
    "grant_type": (400, "unsupported_grant_type"), "verifier": (400, "invalid_grant"),
}

CRMS: dict[str, Crm] = {
    "hubspot": Crm(
        name="hubspot",
        access_token_ttl=1800,
        rotates=True,
        read_api=hubspot_api,
        is_vendor_401=lambda r: r.status_code == 401 and r.json()["category"] == "INVALID_AUTHENTICATION"
        and r.json()["message"] == hubspot.AUTH_MESSAGE,
        error_code=lambda r: r.json()["status"],
        refusals={
            "code": (400, "BAD_AUTH_CODE"), "expired_code": (400, "BAD_AUTH_CODE"),
            "redirect_uri": (400, "BAD_REDIRECT_URI"), "secret": (400, "BAD_CLIENT_SECRET"),
            "client_method": (400, "BAD_CLIENT_ID"), "refresh": (400, "BAD_REFRESH_TOKEN"),
            "grant_type": (400, "BAD_GRANT_TYPE"),
        },
        scope=None,                 # HubSpot's token response has no scope
    ),
    "pipedrive": Crm(
        name="pipedrive",
        access_token_ttl=3599,
        rotates=True,
        read_api=pipedrive_api,
        is_vendor_401=lambda r: r.status_code == 401 and r.json() == pipedrive.UNAUTHORIZED_BODY,
        error_code=rfc_code,
        refusals={
            "code": (400, "invalid_grant"), "expired_code": (400, "invalid_grant"),
            "redirect_uri": (400, "invalid_request"), "secret": (400, "invalid_client"),
            "client_method": (400, "invalid_client"), "refresh": (400, "invalid_grant"),
            "grant_type": (400, "unsupported_grant_type"),
        },
        extras=lambda root: {"api_domain": root},
        scope="base,contacts:full",  # set at app registration, not in the authorize request
    ),
    "zoho_crm": Crm(
        name="zoho_crm",
        access_token_ttl=3600,
        rotates=False,
        read_api=zoho_api,
        is_vendor_401=lambda r: r.status_code == 401 and r.json() == {
            "code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"},
        error_code=rfc_code,
        # Zoho answers token errors with HTTP 200 and a bare {"error": ...}
        refusals={
            "code": (200, "invalid_code"), "expired_code": (200, "invalid_code"),
            "redirect_uri": (200, "invalid_redirect_uri"), "secret": (200, "invalid_client_secret"),
            "client_method": (200, "invalid_client"), "refresh": (200, "invalid_code"),
            "grant_type": (200, "unsupported_grant_type"),
        },
        extras=lambda root: {"api_domain": root},
        scope=("ZohoCRM.modules.accounts.ALL,ZohoCRM.modules.contacts.ALL,ZohoCRM.modules.deals.ALL,"
               "ZohoCRM.modules.leads.ALL,ZohoCRM.modules.notes.ALL,ZohoCRM.modules.tasks.ALL,ZohoCRM.modules.calls.ALL,"
               "ZohoCRM.modules.events.ALL,ZohoCRM.settings.fields.ALL,ZohoCRM.settings.layouts.READ,"
               "ZohoCRM.settings.pipeline.READ,ZohoCRM.users.READ"),
    ),
    "outreach": Crm(
        name="outreach",
        access_token_ttl=7200,
        rotates=True,
        read_api=outreach_api,
        is_vendor_401=lambda r: r.status_code == 401 and r.json() == {"errors": [outreach.UNAUTHORIZED_ERROR]},
        error_code=rfc_code,
        refusals=RFC_REFUSALS,
        scope=("accounts.read accounts.write accounts.delete prospects.read prospects.write prospects.delete "
               "opportunities.read opportunities.write opportunities.delete opportunityStages.read "
               "opportunityStages.write opportunityStages.delete tasks.read tasks.write tasks.delete calls.read "
               "calls.write calls.delete prospectNotes.read prospectNotes.write prospectNotes.delete users.read users.write"),
    ),
    "capsule": Crm(
        name="capsule",
        access_token_ttl=7 * 24 * 3600,
        rotates=True,
        read_api=capsule_api,
        is_vendor_401=lambda r: r.status_code == 401 and r.json() == {"message": capsule.AUTH_INVALID_MESSAGE}
        and r.headers["www-authenticate"] == capsule.WWW_AUTHENTICATE_INVALID,
        error_code=rfc_code,
        refusals=RFC_REFUSALS,
        extras=lambda root: {"subdomain": "sandbox"},
        scope="read write",
    ),
    "zendesk_sell": Crm(
        name="zendesk_sell",
        access_token_ttl=3599,
        rotates=True,
        read_api=zendesk_sell_api,
        is_vendor_401=lambda r: r.status_code == 401
        and r.json()["errors"][0]["error"]["code"] == "unauthorized",
        error_code=rfc_code,
        refusals=RFC_REFUSALS,
        scope="read write profile",
    ),
    "monday": Crm(
        name="monday",
        access_token_ttl=3600,
        rotates=True,
        read_api=monday_api,
        is_vendor_401=lambda r: r.status_code == 401 and r.json() == monday.UNAUTHENTICATED_BODY,
        error_code=rfc_code,
        refusals=RFC_REFUSALS,
        scope="boards:read boards:write",
    ),
}


def oauth_block(name: str) -> dict:
    raw = yaml.safe_load((INTEGRATIONS_DIR / name / "integration.yaml").read_text())
    return raw["oauth"]


@pytest.fixture(params=sorted(CRMS))
def crm(request, sandbox):
    name = request.param
    control = sandbox.control(name)
    control.reset()
    yield Vendor(CRMS[name], oauth_block(name), control)
    control.reset()


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class Vendor:
    """One CRM's sandbox seen through its `oauth:` block, as the gateway drives it."""

    crm: Crm
    spec: dict
    control: object
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def root(self) -> str:
        return self.control.url

    @property
    def client_id(self) -> str:
        return f"sandbox-{self.crm.name}-client-id"

    @property
    def client_secret(self) -> str:
        return f"sandbox-{self.crm.name}-client-secret"

    def authorize(self, *, redirect_uri: str = REDIRECT_URI, state: str = "state-123",
                  **overrides) -> requests.Response:
        params = {"client_id": self.client_id, "redirect_uri": redirect_uri, "response_type": "code",
                  "state": state}
        if self.spec.get("scopes"):
            params["scope"] = self.spec.get("scope_separator", " ").join(self.spec["scopes"])
        if self.spec.get("pkce"):
            params.update(code_challenge=s256(self.verifier), code_challenge_method="S256")
        params.update(overrides)
        params = {k: v for k, v in params.items() if v is not None}
        return requests.get(self.root + self.spec["sandbox_authorize_path"], params=params,
                            allow_redirects=False, timeout=10)

    def code(self, **overrides) -> str:
        response = self.authorize(**overrides)
        assert response.status_code == 302, response.text
        return redirect_params(response)["code"]

    def token(self, form: dict, *, client_secret: str | None = None, client_auth: str | None = None,
              path: str | None = None) -> requests.Response:
        """POST the token endpoint with the client authentication of the `oauth:` block."""
        secret = self.client_secret if client_secret is None else client_secret
        method = client_auth or self.spec["client_auth"]
        headers = {}
        form = dict(form)
        if method == "basic":
            raw = f"{self.client_id}:{secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            form.update(client_id=self.client_id, client_secret=secret)
        return requests.post(self.root + (path or self.spec["sandbox_token_path"]), data=form, headers=headers,
                             timeout=10)

    def exchange(self, code: str, **kwargs) -> requests.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        if self.spec.get("pkce"):
            form["code_verifier"] = self.verifier
        form.update(kwargs.pop("form", {}))
        return self.token(form, **kwargs)

    def connect(self) -> dict:
        response = self.exchange(self.code())
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token: str, **kwargs) -> requests.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token}, **kwargs)

    def assert_refused(self, response: requests.Response, refusal: str) -> None:
        status, code = self.crm.refusals[refusal]
        assert (response.status_code, self.crm.error_code(response)) == (status, code), response.text
        assert "access_token" not in response.json()


def redirect_params(response: requests.Response) -> dict[str, str]:
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {key: values[-1] for key, values in query.items()}


# -- authorize ---------------------------------------------------------------------------------------

def test_authorize_redirects_back_with_code_and_state(crm):
    response = crm.authorize(state="opaque-state-42")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://127.0.0.1:8765/connect/callback?")
    params = redirect_params(response)
    assert params["state"] == "opaque-state-42"
    assert params["tenant"] == "t1"            # the redirect_uri's own query is kept
    assert len(params["code"]) >= 32


def test_authorize_refuses_unknown_client_and_foreign_redirect_uri_without_redirecting(crm):
    for response in (crm.authorize(client_id="someone-else"),
                     crm.authorize(redirect_uri="https://attacker.example/callback"),
                     crm.authorize(redirect_uri=None)):
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_authorize_bad_response_type_redirects_with_error(crm):
    response = crm.authorize(response_type="token", state="s-9")
    assert response.status_code == 302
    params = redirect_params(response)
    assert params["error"] == "unsupported_response_type" and params["state"] == "s-9"
    assert "code" not in params


# -- code exchange ---------------------------------------------------------------------------------

def test_code_exchange_answers_the_vendor_token_response(crm):
    response = crm.exchange(crm.code())
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert body.get("expires_in") == crm.crm.access_token_ttl
    assert ("refresh_token" in body) == crm.spec["refresh"]
    assert body["access_token"] != body.get("refresh_token")
    for key, value in crm.crm.extras(crm.root).items():
        assert body[key] == value
    assert body.get("scope") == crm.crm.scope
    assert crm.control.oauth_stats() == {"token_requests": 1, "refresh_requests": 0,
                                         "active_access_tokens": 1,
                                         "active_refresh_tokens": 1 if crm.spec["refresh"] else 0}


def test_code_is_single_use(crm):
    code = crm.code()
    assert crm.exchange(code).status_code == 200
    crm.assert_refused(crm.exchange(code), "code")
    crm.assert_refused(crm.exchange("never-issued"), "code")


def test_code_expires(crm):
    crm.control.oauth(code_ttl=0)
    crm.assert_refused(crm.exchange(crm.code()), "expired_code")


def test_wrong_redirect_uri_is_refused(crm):
    code = crm.code()
    crm.assert_refused(crm.exchange(code, form={"redirect_uri": "http://127.0.0.1:8765/other"}), "redirect_uri")
    assert crm.exchange(code).status_code == 200   # the refused attempt did not use the code up


def test_wrong_client_secret_is_refused(crm):
    code = crm.code()
    crm.assert_refused(crm.exchange(code, client_secret="not-the-secret"), "secret")
    crm.assert_refused(crm.refresh("whatever", client_secret="not-the-secret"), "secret")


def test_client_authentication_the_vendor_does_not_use_is_refused(crm):
    other = "body" if crm.spec["client_auth"] == "basic" else "basic"
    response = crm.exchange(crm.code(), client_auth=other)
    if crm.crm.name in ACCEPTS_BOTH_CLIENT_AUTH:
        assert response.status_code == 200
    else:
        crm.assert_refused(response, "client_method")


ACCEPTS_BOTH_CLIENT_AUTH = {"zendesk_sell"}   # "Basic auth (or as form fields)": https://developer.zendesk.com/api-reference/sales-crm/authentication/


def test_unknown_grant_type_is_refused(crm):
    crm.assert_refused(crm.token({"grant_type": "password", "username": "u", "password": "p"}), "grant_type")


# -- PKCE (RFC 7636) ----------------------------------------------------------------------------------

PKCE_CRMS = sorted(name for name in CRMS if oauth_block(name).get("pkce"))


@pytest.fixture(params=PKCE_CRMS)
def pkce_crm(request, sandbox):
    control = sandbox.control(request.param)
    control.reset()
    yield Vendor(CRMS[request.param], oauth_block(request.param), control)
    control.reset()


def test_pkce_verifier_must_match_the_challenge(pkce_crm):
    code = pkce_crm.code()
    pkce_crm.assert_refused(pkce_crm.exchange(code, form={"code_verifier": secrets.token_urlsafe(48)}), "verifier")
    pkce_crm.assert_refused(pkce_crm.exchange(code, form={"code_verifier": ""}), "verifier")
    assert pkce_crm.exchange(code).status_code == 200


def test_pkce_challenge_is_required_and_s256(pkce_crm):
    for overrides in ({"code_challenge": None, "code_challenge_method": None},
                      {"code_challenge_method": "plain"}):
        response = pkce_crm.authorize(state="p-1", **overrides)
        assert response.status_code == 302
        params = redirect_params(response)
        assert params["error"] == "invalid_request" and params["state"] == "p-1" and "code" not in params


def test_monday_legacy_token_endpoint_issues_tokens_that_never_expire(sandbox):
    """monday's legacy OAuth 2.0 (`/oauth2/token`, https://developer.monday.com/apps/docs/oauth-2-0): no expiry, no refresh token."""
    control = sandbox.control("monday")
    control.reset()
    vendor = Vendor(CRMS["monday"], oauth_block("monday"), control)
    response = vendor.exchange(vendor.code(), path=monday.OAUTH_LEGACY_TOKEN_PATH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "expires_in" not in body and "refresh_token" not in body
    assert monday_api(vendor.root, body["access_token"]).status_code == 200
    refused = vendor.token({"grant_type": "refresh_token", "refresh_token": "x"}, path=monday.OAUTH_LEGACY_TOKEN_PATH)
    assert (refused.status_code, refused.json()["error"]) == (400, "unsupported_grant_type")
    control.reset()


def test_oauth_block_context_keeps_the_vendor_extras(crm):
    """The `context` JSONata of the oauth: block, run over a real token response, keeps what the
    gateway needs besides the tokens (Pipedrive's and Zoho's api_domain, Capsule's subdomain)."""
    body = crm.connect()
    expression = compile_expression(crm.spec.get("context"))
    kept = expression.evaluate({"response": body}) if expression else {}
    assert kept == crm.crm.extras(crm.root)


# -- using the tokens --------------------------------------------------------------------------------

def test_issued_token_reads_the_vendor_api_and_an_expired_one_gets_the_vendor_401(crm):
    tokens = crm.connect()
    assert crm.crm.read_api(crm.root, tokens["access_token"]).status_code == 200
    assert crm.crm.is_vendor_401(crm.crm.read_api(crm.root, "never-issued-" + tokens["access_token"][:10]))
    assert crm.control.oauth(expire_all=True)["active_access_tokens"] == 0
    assert crm.crm.is_vendor_401(crm.crm.read_api(crm.root, tokens["access_token"]))


def test_access_token_lifetime_is_set_from_the_control_api(crm):
    crm.control.oauth(access_token_ttl=0)
    tokens = crm.connect()
    assert tokens["expires_in"] == 0
    assert crm.crm.is_vendor_401(crm.crm.read_api(crm.root, tokens["access_token"]))
    crm.control.oauth(access_token_ttl=None)     # back to the vendor's lifetime
    tokens = crm.connect()
    assert tokens["expires_in"] == crm.crm.access_token_ttl
    assert crm.crm.read_api(crm.root, tokens["access_token"]).status_code == 200


# -- refresh -----------------------------------------------------------------------------------------

def refreshing(crm) -> Vendor:
    if not crm.spec["refresh"]:
        pytest.skip(f"{crm.crm.name} issues no refresh token")
    return crm


def test_refresh_issues_a_working_access_token(crm):
    crm = refreshing(crm)
    tokens = crm.connect()
    crm.control.oauth(expire_all=True)
    response = crm.refresh(tokens["refresh_token"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"] != tokens["access_token"]
    assert body["expires_in"] == crm.crm.access_token_ttl
    for key, value in crm.crm.extras(crm.root).items():
        assert body[key] == value
    assert crm.crm.read_api(crm.root, body["access_token"]).status_code == 200
    assert crm.crm.is_vendor_401(crm.crm.read_api(crm.root, tokens["access_token"]))
    stats = crm.control.oauth_stats()
    assert (stats["token_requests"], stats["refresh_requests"], stats["active_access_tokens"]) == (2, 1, 1)


def test_refresh_token_rotation_as_the_vendor_does_it(crm):
    crm = refreshing(crm)
    first = crm.connect()["refresh_token"]
    answer = crm.refresh(first).json()
    if crm.crm.rotates:
        second = answer["refresh_token"]
        assert second != first
        crm.assert_refused(crm.refresh(first), "refresh")        # the old one is void
        assert crm.refresh(second).status_code == 200
    else:
        assert "refresh_token" not in answer                      # the refresh token is kept
        assert crm.refresh(first).status_code == 200
    assert crm.control.oauth_stats()["active_refresh_tokens"] == 1


def test_revoked_refresh_tokens_are_refused_until_reconnected(crm):
    crm = refreshing(crm)
    tokens = crm.connect()
    assert crm.control.oauth(revoke_refresh_tokens=True)["active_refresh_tokens"] == 0
    crm.assert_refused(crm.refresh(tokens["refresh_token"]), "refresh")
    crm.assert_refused(crm.refresh("never-issued"), "refresh")
    again = crm.connect()                                          # a new authorization works
    assert crm.refresh(again["refresh_token"]).status_code == 200


def test_reset_clears_the_oauth_server(crm):
    tokens = crm.connect()
    crm.control.oauth(access_token_ttl=5)
    crm.control.reset()
    assert crm.control.oauth_stats() == {"token_requests": 0, "refresh_requests": 0,
                                         "active_access_tokens": 0, "active_refresh_tokens": 0}
    assert crm.crm.is_vendor_401(crm.crm.read_api(crm.root, tokens["access_token"]))
    assert crm.connect()["expires_in"] == crm.crm.access_token_ttl


def test_token_endpoint_answers_through_queued_faults(crm):
    """The control API's faults apply to the token endpoint like to any vendor path."""
    crm = refreshing(crm)
    tokens = crm.connect()
    crm.control.fault(status=503, path_contains=crm.spec["sandbox_token_path"], times=1)
    assert crm.refresh(tokens["refresh_token"]).status_code == 503
    assert crm.refresh(tokens["refresh_token"]).status_code == 200


# -- the contract ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CRMS))
def test_oauth_block_matches_the_emulator(name):
    from unigate.sandbox.server import discover_emulators

    spec = oauth_block(name)
    profile = discover_emulators()[name].oauth_profile
    assert profile is not None
    assert spec["sandbox_authorize_path"] == profile.authorize_path
    assert spec["sandbox_token_path"] == profile.token_path
    assert spec["client_auth"] in profile.client_auth
    assert spec["pkce"] == (profile.pkce != "none")
    assert spec["refresh"] == profile.issues_refresh_token
    assert spec["authorize_url"].startswith("https://")
    assert spec["authorize_url"].endswith(profile.authorize_path)
    allowed = [re.compile(pattern) for pattern in spec.get("token_url_allowed", [])]
    if "{{" in spec["token_url"]:
        # Chosen at connect time (Zoho's data centre): the allowed list must then exist and admit the
        # vendor's default host.
        assert allowed and spec["token_url"].endswith(profile.token_path)
        default = spec["token_url"].replace("{{context.accounts-server}}", "https://accounts.zoho.com")
        assert any(pattern.match(default) for pattern in allowed)
    else:
        assert spec["token_url"].startswith("https://")
        assert not allowed or any(pattern.match(spec["token_url"]) for pattern in allowed)
    assert set(spec) <= {"authorize_url", "authorize_params", "token_url", "sandbox_authorize_path", "sandbox_token_path", "scopes",
                         "scope_separator", "client_auth", "pkce", "refresh", "context", "token_url_allowed"}


def test_control_api_refuses_bad_settings(sandbox):
    control = sandbox.control("hubspot")
    response = requests.post(f"{sandbox.url}/__control/hubspot/oauth", json={"access_token_ttl": -1}, timeout=5)
    assert response.status_code == 400
    response = requests.post(f"{sandbox.url}/__control/hubspot/oauth", json={"ttl": 5}, timeout=5)
    assert response.status_code == 400 and "ttl" in response.json()["error"]
    response = requests.get(f"{sandbox.url}/__control/copper/oauth", timeout=5)
    assert response.status_code == 404
    control.reset()


# -- official clients --------------------------------------------------------------------------------

def test_hubspot_official_client_exchanges_and_refreshes(sandbox):
    """hubspot-api-client's OAuth tokens API (`POST /oauth/v1/token`) against the sandbox:
    code exchange, refresh, the new token reads companies, the rotated-out refresh token is refused."""
    from hubspot import HubSpot
    from hubspot.oauth.exceptions import ApiException

    control = sandbox.control("hubspot")
    control.reset()
    vendor = Vendor(CRMS["hubspot"], oauth_block("hubspot"), control)
    client = HubSpot(host=control.url)
    credentials = {"client_id": vendor.client_id, "client_secret": vendor.client_secret}
    issued = client.oauth.tokens_api.create(grant_type="authorization_code", code=vendor.code(),
                                            redirect_uri=REDIRECT_URI, **credentials)
    assert issued.expires_in == 1800 and issued.token_type == "bearer"
    refreshed = client.oauth.tokens_api.create(grant_type="refresh_token", refresh_token=issued.refresh_token,
                                               **credentials)
    assert refreshed.access_token != issued.access_token
    companies = HubSpot(access_token=refreshed.access_token, host=control.url).crm.companies
    assert len(companies.basic_api.get_page(limit=3).results) == 3
    with pytest.raises(ApiException) as refused:
        client.oauth.tokens_api.create(grant_type="refresh_token", refresh_token=issued.refresh_token,
                                       **credentials)
    assert refused.value.status == 400 and "BAD_REFRESH_TOKEN" in refused.value.body
    assert control.oauth_stats()["refresh_requests"] == 2
    control.reset()


def test_zoho_official_sdk_exchanges_a_grant_token_and_refreshes(sandbox, tmp_path):
    """zohocrmsdk8-0's OAuthToken against the sandbox's accounts server: a grant token
    becomes access + refresh tokens, then an SDK with only the refresh token refreshes by itself
    before its first call; the `api_domain` it is told is the sandbox's, so its calls land there."""
    sdk = pytest.importorskip("zohocrmsdk.src.com.zoho.crm.api.initializer")
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
    from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
    from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
    from zohocrmsdk.src.com.zoho.crm.api.record import GetRecordsParam, RecordOperations
    from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

    control = sandbox.control("zoho_crm")
    control.reset()
    vendor = Vendor(CRMS["zoho_crm"], oauth_block("zoho_crm"), control)
    environment = DataCenter.Environment(control.url, control.url + "/oauth/v2/token", control.url)

    def list_two(token: OAuthToken, store: str) -> int:
        sdk.Initializer.initialize(environment=environment, token=token, store=FileStore(str(tmp_path / store)),
                                   sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
                                   resource_path=str(tmp_path))
        params = ParameterMap()
        params.add(GetRecordsParam.fields, "Account_Name")
        params.add(GetRecordsParam.per_page, 2)
        response = RecordOperations("Accounts").get_records(params)
        assert len(response.get_object().get_data()) == 2
        return response.get_status_code()

    granted = OAuthToken(client_id=vendor.client_id, client_secret=vendor.client_secret, grant_token=vendor.code(),
                         redirect_url=REDIRECT_URI, find_user=False)
    assert list_two(granted, "granted.csv") == 200
    assert granted.get_refresh_token() and granted.get_access_token().startswith("1000.")
    assert control.oauth_stats()["refresh_requests"] == 0

    refreshed = OAuthToken(client_id=vendor.client_id, client_secret=vendor.client_secret,
                           refresh_token=granted.get_refresh_token(), find_user=False)
    assert list_two(refreshed, "refreshed.csv") == 200
    assert refreshed.get_access_token() != granted.get_access_token()
    assert refreshed.get_refresh_token() == granted.get_refresh_token()   # Zoho keeps its refresh token
    assert control.oauth_stats() == {"token_requests": 2, "refresh_requests": 1, "active_access_tokens": 2,
                                     "active_refresh_tokens": 1}
    control.reset()


def test_a_token_request_abandoned_during_a_fault_delay_is_dropped(sandbox):
    """A client that dies while its refresh is held by a queued fault delay (before the CRM sees it)
    keeps a working refresh token: the abandoned request neither rotates nor counts."""
    control = sandbox.control("hubspot")
    control.reset()
    vendor = Vendor(CRMS["hubspot"], oauth_block("hubspot"), control)
    tokens = vendor.connect()
    control.fault(delay=0.3, path_contains=vendor.spec["sandbox_token_path"], times=1)
    with pytest.raises(requests.Timeout):
        requests.post(vendor.root + vendor.spec["sandbox_token_path"], timeout=0.05,
                      data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                            "client_id": vendor.client_id, "client_secret": vendor.client_secret})
    time.sleep(1.0)   # let the held request run out its delay (no timing is asserted)
    assert control.oauth_stats()["refresh_requests"] == 0
    assert vendor.refresh(tokens["refresh_token"]).status_code == 200
    control.reset()


def test_zendesk_sell_official_client_reads_with_an_issued_token(sandbox):
    """basecrm takes only 64-character tokens (its `AccessToken` check); the issued ones are."""
    import basecrm

    control = sandbox.control("zendesk_sell")
    control.reset()
    vendor = Vendor(CRMS["zendesk_sell"], oauth_block("zendesk_sell"), control)
    tokens = vendor.connect()
    assert len(tokens["access_token"]) == 64
    client = basecrm.Client(access_token=tokens["access_token"], base_url=control.url)
    assert len(client.contacts.list(is_organization=True, per_page=3, page=1)) == 3
    control.reset()


def test_zoho_redirect_names_the_accounts_server(sandbox):
    """Zoho's redirect carries the user's data centre and the accounts server that takes the token
    request; in the sandbox that is the emulator itself."""
    control = sandbox.control("zoho_crm")
    control.reset()
    vendor = Vendor(CRMS["zoho_crm"], oauth_block("zoho_crm"), control)
    params = redirect_params(vendor.authorize(access_type="offline"))
    assert params["accounts-server"] == control.url and params["location"] == "us"
    response = requests.post(params["accounts-server"] + vendor.spec["sandbox_token_path"], timeout=10,
                             params={"grant_type": "authorization_code", "code": params["code"],
                                     "redirect_uri": REDIRECT_URI, "client_id": vendor.client_id,
                                     "client_secret": vendor.client_secret})
    assert response.status_code == 200 and response.json()["access_token"].startswith("1000.")
    control.reset()
