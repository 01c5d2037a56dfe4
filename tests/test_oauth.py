"""OAuth end to end: the connect flow, refresh on use, single-flight refresh, needs_reauth.

Everything goes over HTTP: the gateway talks to the sandboxes' OAuth servers and APIs on loopback;
the tests play the browser (following the redirects) and read what the sandbox received.
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from oauth_support import APP_PAGE, Gateway, authorize, connect, query_of, refresh_tokens_sent, start
from prometheus_client import REGISTRY
from support import SPECS, gateway_database

from unigate.app import create_app
from unigate.cli import create_token
from unigate.engine.sandbox_spaces import space_key_of
from unigate.sandbox.server import discover_emulators
from unigate.serving import start_in_thread
from unigate.settings import Settings

OAUTH_CRMS = sorted(name for name, spec in SPECS.items() if spec.oauth is not None)
REFRESHING_CRMS = [name for name in OAUTH_CRMS if SPECS[name].oauth.refresh]


@pytest.fixture(scope="module")
def gateway(sandbox, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("oauth-gateway")
    with gateway_database("unigate_oauth") as database_url:
        settings = Settings(data_dir=data_dir, database_url=database_url, secret_key=None, sandbox_url=sandbox.url,
                            connect_timeout=2.0, read_timeout=1.0, cache_ttl=5.0)
        token = asyncio.run(create_token(settings, "oauth-tests", "oauth-env"))
        server = start_in_thread(create_app(settings))
        yield Gateway(server.url, token, settings)
        server.stop()


@pytest.fixture
def hubspot(sandbox):
    control = sandbox.control("hubspot")
    control.reset()  # also resets its OAuth server (tokens, counters, lifetimes)
    yield control
    control.clear_faults()
    control.reset()


def resent_after_refresh(integration: str = "hubspot") -> float:
    """The gateway's unigate_provider_retries_total counter for calls sent again with a refreshed token."""
    return REGISTRY.get_sample_value("unigate_provider_retries_total",
                                     {"integration": integration, "reason": "token_refreshed"}) or 0.0


def refreshes(outcome: str, integration: str = "hubspot") -> float:
    """The gateway's unigate_token_refreshes_total counter (the in-thread gateway shares this process)."""
    return REGISTRY.get_sample_value("unigate_token_refreshes_total",
                                     {"integration": integration, "outcome": outcome}) or 0.0


def token_path(name: str) -> str:
    return f"/{name}{SPECS[name].oauth.sandbox_token_path}"


def auth_header_sent(control) -> str:
    """The Authorization header of the last API (non-OAuth) request the sandbox received."""
    api_calls = [r for r in control.requests() if "/oauth" not in r["path"]]
    assert api_calls, "the sandbox received no API call"
    headers = {k.lower(): v for k, v in api_calls[-1]["headers"].items()}
    return headers.get("authorization", "")


# -- connect -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OAUTH_CRMS)
def test_connect_flow_ends_in_a_working_unified_call(gateway, sandbox, name):
    control = sandbox.control(name)
    control.reset()
    spec = SPECS[name].oauth

    started = start(gateway, name)
    assert started.status_code == 302
    location = started.headers["location"]
    assert location.startswith(f"{sandbox.url}/{name}{spec.sandbox_authorize_path}?")
    sent = query_of(location)
    assert sent["client_id"] == f"sandbox-{name}-client-id"
    assert sent["redirect_uri"] == f"{gateway.url}/connect/{name}/callback"
    assert sent["response_type"] == "code"
    assert len(sent["state"]) >= 32
    assert ("code_challenge" in sent) == spec.pkce
    if spec.pkce:
        assert sent["code_challenge_method"] == "S256"
    if spec.scopes:
        assert sent["scope"] == spec.scope_separator.join(spec.scopes)
    for key, value in spec.authorize_params.items():  # e.g. Zoho's access_type=offline
        assert sent[key] == str(value)

    callback = authorize(started)
    back = requests.get(callback, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    account_id = query_of(back.headers["location"])["integrated_account_id"]

    account = gateway.account(account_id)
    assert account["status"] == "active"
    assert account["tenant_id"] == "acme"
    assert account["is_sandbox"] is True
    assert account["integration"]["name"] == name
    # Tokens are secrets: masked in admin answers.
    assert account["context"]["access_token"] == "********"
    if spec.refresh:
        assert account["context"]["refresh_token"] == "********"

    listed = gateway.unified("GET", account_id, params={"limit": 2})
    assert listed.status_code == 200, listed.text
    assert listed.json()["result"]
    # The CRM was called with the token its OAuth server issued, not the sandbox's fixed credential.
    issued = gateway.stored_context(account_id)["access_token"]
    assert issued not in {v for v in SPECS[name].sandbox_context.values() if isinstance(v, str)}
    assert auth_header_sent(control).endswith(issued)


def test_connect_start_needs_the_api_token(gateway):
    response = requests.get(f"{gateway.url}/connect/hubspot/start",
                            params={"tenant_id": "acme", "redirect_uri": APP_PAGE}, allow_redirects=False, timeout=10)
    assert response.status_code == 401
    assert set(response.json()) >= {"statusCode", "error", "message"}


@pytest.mark.parametrize("params, status, words", [
    ({"redirect_uri": None}, 400, "redirect_uri is required"),
    ({"redirect_uri": "javascript:alert(1)"}, 400, "redirect_uri is required"),
    ({"tenant_id": None}, 400, "tenant_id is required"),
    ({"integrated_account_id": "00000000-0000-4000-8000-000000000000"}, 404, "No integrated account"),
])
def test_connect_start_checks_its_parameters(gateway, params, status, words):
    response = start(gateway, "hubspot", **params)
    assert response.status_code == status, response.text
    assert words in response.json()["message"]


def test_connect_start_refuses_integrations_without_oauth(gateway):
    no_oauth = next(name for name, spec in SPECS.items() if spec.oauth is None)
    response = start(gateway, no_oauth)
    assert response.status_code == 400
    assert "no OAuth connect flow" in response.json()["message"]
    assert start(gateway, "no-such-crm").status_code == 404


def test_production_connect_uses_the_configured_oauth_app(gateway, monkeypatch):
    monkeypatch.delenv("UNIGATE_OAUTH_HUBSPOT_CLIENT_ID", raising=False)
    missing = start(gateway, "hubspot", is_sandbox=None)
    assert missing.status_code == 400
    assert "UNIGATE_OAUTH_HUBSPOT_CLIENT_ID" in missing.json()["message"]

    monkeypatch.setenv("UNIGATE_OAUTH_HUBSPOT_CLIENT_ID", "customer-app-id")
    monkeypatch.setenv("UNIGATE_OAUTH_HUBSPOT_CLIENT_SECRET", "customer-app-secret")
    response = start(gateway, "hubspot", is_sandbox=None)
    assert response.status_code == 302
    location = response.headers["location"]
    # HubSpot's real authorize URL (https://developers.hubspot.com/docs/methods/oauth2/oauth-quickstart-guide), with the customer's app.
    assert location.startswith(SPECS["hubspot"].oauth.authorize_url + "?")
    assert query_of(location)["client_id"] == "customer-app-id"
    assert "customer-app-secret" not in location


def test_public_url_names_the_callback(sandbox, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=None, secret_key=None, sandbox_url=sandbox.url,
                        public_url="https://gateway.example.com/")
    token = asyncio.run(create_token(settings, "t", "env"))
    server = start_in_thread(create_app(settings))
    try:
        response = start(Gateway(server.url, token, settings), "hubspot")
        assert query_of(response.headers["location"])["redirect_uri"] == \
            "https://gateway.example.com/connect/hubspot/callback"
    finally:
        server.stop()


def test_a_replayed_state_is_refused(gateway, hubspot):
    callback = authorize(start(gateway, "hubspot"))
    first = requests.get(callback, allow_redirects=False, timeout=10)
    assert first.status_code == 302
    replay = requests.get(callback, allow_redirects=False, timeout=10)
    assert replay.status_code == 400
    body = replay.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert "already used" in body["message"]
    # A browser gets a page saying the same.
    page = requests.get(callback, allow_redirects=False, timeout=10, headers={"Accept": "text/html"})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "already used" in page.text


def test_a_tampered_or_missing_state_is_refused(gateway, hubspot):
    callback = authorize(start(gateway, "hubspot"))
    state = query_of(callback)["state"]
    tampered = callback.replace(state, ("A" if state[0] != "A" else "B") + state[1:])
    response = requests.get(tampered, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "altered" in response.json()["message"]
    no_state = requests.get(f"{gateway.url}/connect/hubspot/callback", params={"code": "x"},
                            allow_redirects=False, timeout=10)
    assert no_state.status_code == 400
    # The untouched state still works once: tampering didn't consume it.
    assert requests.get(callback, allow_redirects=False, timeout=10).status_code == 302


def test_a_state_is_bound_to_its_integration(gateway, hubspot):
    callback = authorize(start(gateway, "hubspot"))
    elsewhere = callback.replace("/connect/hubspot/", "/connect/pipedrive/")
    response = requests.get(elsewhere, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "another integration" in response.json()["message"]


def test_an_expired_state_is_refused(gateway, hubspot, monkeypatch):
    from datetime import timedelta

    import unigate.auth.connect as connect_module

    monkeypatch.setattr(connect_module, "STATE_LIFETIME", timedelta(seconds=-1))
    callback = authorize(start(gateway, "hubspot"))
    response = requests.get(callback, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "expired" in response.json()["message"]


def test_the_crm_refusing_the_user_goes_back_to_the_app_with_the_error(gateway, hubspot):
    callback = authorize(start(gateway, "hubspot"))
    state = query_of(callback)["state"]
    declined = requests.get(f"{gateway.url}/connect/hubspot/callback",
                            params={"state": state, "error": "access_denied"}, allow_redirects=False, timeout=10)
    assert declined.status_code == 302
    assert query_of(declined.headers["location"]) == {"from": "tests", "error": "access_denied"}


def test_a_code_the_crm_refuses_goes_back_to_the_app_with_the_error(gateway, hubspot):
    callback = authorize(start(gateway, "hubspot"))
    state = query_of(callback)["state"]
    bad = requests.get(f"{gateway.url}/connect/hubspot/callback", params={"state": state, "code": "not-a-code"},
                       allow_redirects=False, timeout=10)
    assert bad.status_code == 302
    returned = query_of(bad.headers["location"])
    assert returned["error"] and "integrated_account_id" not in returned


# -- refresh on use --------------------------------------------------------------------------------


def test_a_token_about_to_expire_is_refreshed_before_the_call(gateway, hubspot):
    hubspot.oauth(access_token_ttl=30)  # under the 60 s margin: due at once
    account_id = connect(gateway, "hubspot")
    first = gateway.stored_context(account_id)
    assert hubspot.oauth_stats()["refresh_requests"] == 0
    hubspot.clear_requests()
    ok_before = refreshes("ok")

    listed = gateway.unified("GET", account_id, params={"limit": 1})
    assert listed.status_code == 200, listed.text
    assert hubspot.oauth_stats()["refresh_requests"] == 1
    assert refreshes("ok") == ok_before + 1
    now = gateway.stored_context(account_id)
    assert now["access_token"] != first["access_token"]
    assert auth_header_sent(hubspot) == f"Bearer {now['access_token']}"
    # Refreshed first, then the API calls (the portal's property definitions, the list): the old token
    # was never sent.
    api_calls = [r for r in hubspot.requests() if "/oauth" not in r["path"]]
    assert [r["path"] for r in api_calls] == ["/hubspot/crm/v3/properties/companies", "/hubspot/crm/v3/objects/companies"]
    assert {r["headers"]["authorization"] for r in api_calls} == {f"Bearer {now['access_token']}"}
    assert "retries;desc=0" in listed.headers["server-timing"]


def test_a_token_still_valid_is_used_while_the_token_endpoint_is_down(gateway, hubspot):
    hubspot.oauth(access_token_ttl=30)  # due for a refresh, still valid for 30 s
    account_id = connect(gateway, "hubspot")
    issued = gateway.stored_context(account_id)["access_token"]
    failed_before = refreshes("failed")
    hubspot.fault(status=503, body={"message": "maintenance"}, path_contains="/oauth/", times=1)

    listed = gateway.unified("GET", account_id, params={"limit": 1})
    assert listed.status_code == 200, listed.text
    assert auth_header_sent(hubspot) == f"Bearer {issued}"
    assert refreshes("failed") == failed_before + 1
    assert gateway.account(account_id)["status"] == "active"
    # The next call tries again, and this time refreshes.
    assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200
    assert gateway.stored_context(account_id)["access_token"] != issued


def test_a_provider_401_refreshes_once_and_repeats_the_call(gateway, hubspot):
    account_id = connect(gateway, "hubspot")
    before = gateway.stored_context(account_id)
    hubspot.oauth(expire_all=True)
    hubspot.clear_requests()
    resent_before = resent_after_refresh()

    created = gateway.unified("POST", account_id, json={"name": "Refreshed Co"})
    assert created.status_code == 200, created.text
    assert hubspot.oauth_stats()["refresh_requests"] == 1
    # Sent again once because of the refresh. The caller's count of retries (Server-Timing) includes it; on a
    # loaded machine it may also hold a resend of a pooled connection the sandbox closed meanwhile.
    assert resent_after_refresh() == resent_before + 1
    retries = re.search(r"retries;desc=(\d+)", created.headers["server-timing"])
    assert retries is not None and int(retries.group(1)) >= 1, created.headers["server-timing"]
    # The first call (the create, or the property lookup before it) was refused with the old token and sent
    # again with the new one (the company is stored once, below).
    calls = [r for r in hubspot.requests() if "/oauth" not in r["path"]]
    renewed = f"Bearer {gateway.stored_context(account_id)['access_token']}"
    assert calls[0]["headers"]["authorization"] == f"Bearer {before['access_token']}"
    assert (calls[1]["method"], calls[1]["path"]) == (calls[0]["method"], calls[0]["path"])
    assert all(r["headers"]["authorization"] == renewed for r in calls[1:])
    # A connected sandbox account has a data space of its own, named by its tokens.
    space = space_key_of(gateway.stored_context(account_id)["access_token"])
    assert space is not None
    names = [r.get("properties", {}).get("name") for r in hubspot.records(space=space)]
    assert names.count("Refreshed Co") == 1
    assert "Refreshed Co" not in [r.get("properties", {}).get("name") for r in hubspot.records()]


def test_a_401_after_a_refresh_is_the_providers_answer(gateway, hubspot):
    account_id = connect(gateway, "hubspot")
    hubspot.fault(status=401, body={"status": "error", "message": "no", "category": "INVALID_AUTHENTICATION"},
                  times=2, path_contains="/crm/")
    response = gateway.unified("GET", account_id)
    assert response.status_code == 401
    assert response.json()["truto_is_remote_error"] is True
    assert hubspot.oauth_stats()["refresh_requests"] == 1  # refreshed once, not in a loop
    assert gateway.account(account_id)["status"] == "active"


def test_fifty_concurrent_calls_on_an_expired_token_refresh_once(gateway, hubspot):
    account_id = connect(gateway, "hubspot")
    hubspot.oauth(expire_all=True)
    # A slow token endpoint: every call meets the expired token while the one refresh is under way.
    hubspot.fault(delay=0.5, path_contains="/oauth/", times=-1)
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: gateway.unified("GET", account_id, params={"limit": 1}).status_code,
                                 range(50)))
    assert statuses == [200] * 50
    assert hubspot.oauth_stats()["refresh_requests"] == 1


@pytest.mark.parametrize("name", REFRESHING_CRMS)
def test_a_rotated_refresh_token_is_stored_and_used_next(gateway, sandbox, name):
    control = sandbox.control(name)
    control.reset()
    try:
        account_id = connect(gateway, name)
        original = gateway.stored_context(account_id)
        control.oauth(expire_all=True)
        assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200
        after_first = gateway.stored_context(account_id)
        assert after_first["access_token"] != original["access_token"]

        control.oauth(expire_all=True)
        assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200
        # Each refresh sent the refresh token stored at that moment: a rotated one was kept, not lost.
        assert refresh_tokens_sent(control, token_path(name)) == [original["refresh_token"],
                                                                  after_first["refresh_token"]]
        assert control.oauth_stats()["refresh_requests"] == 2
    finally:
        control.reset()


# CRMs whose sources do not say whether a refresh rotates the refresh token: their emulators switch it.
ROTATION_SWITCHED = [name for name in REFRESHING_CRMS
                     if "refresh_token_rotation" in discover_emulators()[name].switches]


@pytest.mark.parametrize("rotation", [True, False])
@pytest.mark.parametrize("name", ROTATION_SWITCHED)
def test_refreshes_work_whether_or_not_the_refresh_token_rotates(gateway, sandbox, name, rotation):
    """Switch `refresh_token_rotation`: a rotated refresh token is stored and sent next; an answer without
    one keeps the stored token, which the CRM still takes."""
    control = sandbox.control(name)
    control.reset()
    try:
        account_id = connect(gateway, name)
        original = gateway.stored_context(account_id)
        control.switch(refresh_token_rotation=rotation)
        for _ in range(2):
            control.oauth(expire_all=True)
            assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200
        stored = gateway.stored_context(account_id)
        sent = refresh_tokens_sent(control, token_path(name))
        if rotation:
            assert len(set(sent)) == 2 and sent[0] == original["refresh_token"] and stored["refresh_token"] not in sent
        else:
            assert sent == [original["refresh_token"]] * 2 and stored["refresh_token"] == original["refresh_token"]
        assert stored["access_token"] != original["access_token"]
    finally:
        control.reset()


def test_a_refused_refresh_needs_reauth_until_reconnected(gateway, hubspot):
    account_id = connect(gateway, "hubspot")
    hubspot.oauth(expire_all=True, revoke_refresh_tokens=True)
    refused_before = refreshes("refused")

    refused = gateway.unified("GET", account_id)
    assert refused.status_code == 401
    assert refreshes("refused") == refused_before + 1
    body = refused.json()
    assert body["truto_is_remote_error"] is True
    assert "must be reconnected" in body["message"]
    assert f"/connect/hubspot/start?integrated_account_id={account_id}" in body["message"]
    assert body["raw_response"]["error"] == "invalid_grant"
    assert gateway.account(account_id)["status"] == "needs_reauth"

    # Later calls answer the same without asking the CRM again.
    again = gateway.unified("GET", account_id)
    assert again.status_code == 401 and "must be reconnected" in again.json()["message"]
    assert hubspot.oauth_stats()["refresh_requests"] == 1

    reconnected = connect(gateway, "hubspot", integrated_account_id=account_id, tenant_id=None, is_sandbox=None)
    assert reconnected == account_id
    account = gateway.account(account_id)
    assert account["status"] == "active" and account["tenant_id"] == "acme"
    assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200


def test_a_token_endpoint_that_is_down_is_not_a_refusal(gateway, hubspot):
    account_id = connect(gateway, "hubspot")
    hubspot.oauth(expire_all=True)
    failed_before = refreshes("failed")
    hubspot.fault(status=503, body={"message": "maintenance"}, path_contains="/oauth/", times=1)
    down = gateway.unified("GET", account_id)
    assert down.status_code == 502
    assert "token endpoint" in down.json()["message"]
    assert gateway.account(account_id)["status"] == "active"

    hubspot.fault(delay=1.5, path_contains="/oauth/", times=1)  # longer than the gateway's read timeout
    slow = gateway.unified("GET", account_id)
    assert slow.status_code == 504
    assert gateway.account(account_id)["status"] == "active"
    assert refreshes("failed") == failed_before + 2

    assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200


def test_a_refresh_holds_the_account_lock_for_a_bounded_time(gateway, hubspot, monkeypatch):
    import unigate.auth.refresh as refresh_module

    monkeypatch.setattr(refresh_module, "refresh_deadline", lambda _settings: 0.3)  # the read timeout is 1 s
    account_id = connect(gateway, "hubspot")
    hubspot.oauth(expire_all=True)
    # Slower than the deadline, within the read timeout: only the deadline ends the wait.
    hubspot.fault(delay=0.8, path_contains="/oauth/", times=1)
    slow = gateway.unified("GET", account_id)
    assert slow.status_code == 504
    assert "did not answer in time" in slow.json()["message"]
    assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200
    assert gateway.account(account_id)["status"] == "active"


def test_tokens_never_reach_admin_answers_errors_or_logs(gateway, hubspot, caplog):
    caplog.set_level(logging.DEBUG)
    account_id = connect(gateway, "hubspot")
    hubspot.oauth(expire_all=True)
    assert gateway.unified("GET", account_id, params={"limit": 1}).status_code == 200  # a refresh, logged or not
    stored = gateway.stored_context(account_id)
    listed = requests.get(f"{gateway.url}/integrated-account", headers=gateway.headers, timeout=10).text
    hubspot.oauth(expire_all=True, revoke_refresh_tokens=True)
    refused = gateway.unified("GET", account_id).text
    for secret in (stored["access_token"], stored["refresh_token"], "sandbox-hubspot-client-secret"):
        assert secret not in listed
        assert secret not in refused
        assert secret not in gateway.account(account_id).__repr__()
        assert secret not in caplog.text
    assert "needs reconnecting" in caplog.text  # the refusal was logged, without the tokens
