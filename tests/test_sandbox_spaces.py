"""Sandboxes on a shared gateway: each sandbox account's own data space, sandbox accounts that can be
turned off, and bounds on what the sandboxes hold (docs/testing.md "Sandbox data spaces", docs/deploy.md
"Sandbox accounts")."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid

import pytest
import requests
from support import (
    INTEGRATIONS,
    SPECS,
    label_field,
    linked_records,
    provider_layer_params,
    sample_write_body,
    shared_sandbox,
    start_gateway,
    stop_process,
    supports,
)

from unigate.app import create_app
from unigate.cli import create_token
from unigate.engine.sandbox_spaces import account_space_key
from unigate.sandbox.server import build_sandbox_app
from unigate.sandbox.spaces import SpaceLimits
from unigate.serving import start_in_thread
from unigate.settings import Settings


def new_sandbox_account(gateway, name: str, token: str, **body) -> str:
    created = requests.post(f"{gateway.url}/integrated-account", headers={"Authorization": f"Bearer {token}"},
                            json={"integration": name, "tenant_id": "spaces", "is_sandbox": True, **body}, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def as_account(gateway, name: str, account_id: str, token: str):
    """The gateway fixture calling through `account_id` with `token` (`.unified(method, name, ...)`)."""
    return dataclasses.replace(gateway, token=token, accounts={name: account_id})


def create_in(client, name: str, resource: str) -> dict:
    """A record created through the unified API with every writable field; its unified answer."""
    listed = client.unified("GET", name, params={"limit": 1}, resource=resource)
    assert listed.status_code == 200, listed.text
    assert listed.json()["result"], f"{name}: a new data space holds the seeded {resource}"
    existing = client.unified("GET", name, listed.json()["result"][0]["id"], resource=resource).json()
    sent = sample_write_body(name, existing, resource, linked_records(client, name, resource))
    created = client.unified("POST", name, json=sent, resource=resource)
    assert created.status_code == 200, created.text
    return {**sent, **created.json()}


# -- one data space per sandbox account ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "resource"), provider_layer_params())
def test_sandbox_accounts_of_two_environments_never_see_each_others_records(gateway, name, resource):
    """Environment B neither reads nor deletes what environment A's sandbox account wrote, and each
    new account starts from the sandbox's seed."""
    if not supports(name, "create", resource):
        pytest.skip(f"{name} cannot create {resource}")
    first = as_account(gateway, name, new_sandbox_account(gateway, name, gateway.token), gateway.token)
    second = as_account(gateway, name, new_sandbox_account(gateway, name, gateway.other_token), gateway.other_token)
    created = create_in(first, name, resource)
    label = label_field(name, resource)

    seen_by_second = second.unified("GET", name, params={"limit": 100}, resource=resource)
    assert seen_by_second.status_code == 200, seen_by_second.text
    assert seen_by_second.json()["result"], "the second account's space holds the seed too"
    assert created["id"] not in [r["id"] for r in seen_by_second.json()["result"]]
    assert created.get(label) not in [r.get(label) for r in seen_by_second.json()["result"]]
    assert second.unified("GET", name, created["id"], resource=resource).status_code == 404
    if supports(name, "delete", resource):
        second.unified("DELETE", name, created["id"], resource=resource)
    read_back = first.unified("GET", name, created["id"], resource=resource)
    assert read_back.status_code == 200, read_back.text
    assert read_back.json()[label] == created[label]


def test_two_sandbox_accounts_of_one_environment_have_a_space_each(gateway, sandbox):
    name = "hubspot"
    first_id = new_sandbox_account(gateway, name, gateway.token)
    second_id = new_sandbox_account(gateway, name, gateway.token)
    created = create_in(as_account(gateway, name, first_id, gateway.token), name, "accounts")
    assert as_account(gateway, name, second_id, gateway.token).unified(
        "GET", name, created["id"]).status_code == 404
    # The credentials name the space; the documented ones (the shared default space) never hold it.
    spaces = [space["space"] for space in sandbox.control(name).spaces()["spaces"]]
    # (ids repeat across spaces, each counting from its seed: the name the test wrote is what tells them apart)
    assert created["name"] not in [r.get("properties", {}).get("name") for r in sandbox.control(name).records()]
    sent = [r for r in sandbox.control(name).requests() if r["method"] == "POST" and r["path"].endswith("/companies")]
    assert sent[-1]["space"] in spaces and sent[-1]["space"] != "default"
    assert created["id"] in [r["id"] for r in sandbox.control(name).records(space=sent[-1]["space"])]


def test_the_sandbox_credential_names_the_space_and_is_kept_secret(gateway, sandbox):
    """The admin answer shows the credential redacted; the emulator sees one new key per account."""
    name = "pipedrive"
    before = {space["space"] for space in sandbox.control(name).spaces()["spaces"]}
    for _ in range(2):
        account_id = new_sandbox_account(gateway, name, gateway.token)
        shown = gateway.admin("GET", f"/integrated-account/{account_id}").json()["context"]
        assert "~" not in str(shown) and SPECS[name].sandbox_context["api_token"] not in str(shown)
        assert as_account(gateway, name, account_id, gateway.token).unified("GET", name).status_code == 200
    new = [space["space"] for space in sandbox.control(name).spaces()["spaces"] if space["space"] not in before]
    assert len(new) == 2 and all(account_space_key(SPECS[name], {"api_token": f"t~{key}"}) == key for key in new)


def test_the_documented_credentials_reach_the_shared_default_space(gateway, sandbox):
    """A caller who gives the documented sandbox credentials opts into the shared space the control API reads."""
    sandbox.control("hubspot").reset(count=3)
    created = gateway.admin("POST", "/integrated-account", json={**shared_sandbox("hubspot"), "tenant_id": "spaces"})
    assert created.status_code == 201, created.text
    listed = as_account(gateway, "hubspot", created.json()["id"], gateway.token).unified("GET", "hubspot")
    assert [r["id"] for r in listed.json()["result"]] == [r["id"] for r in sandbox.control("hubspot").records()]


# -- the control API addresses a space ---------------------------------------------------------------

@pytest.mark.parametrize("name", INTEGRATIONS)
def test_a_space_credential_reaches_its_own_seeded_space(sandbox, name):
    """Through the CRM's own API: the documented credential plus `~<key>`; the control API reseeds and
    reads that space alone."""
    control = sandbox.control(name)
    key = uuid.uuid4().hex
    seeded = control.reset(count=3)["records"]
    reset = control.reset(count=0, space=key)
    assert reset["space"] == key and reset["records"]["accounts"] == 0
    # Every seeded resource is empty; only an instance's own lookups (Nutshell's users) stay as seeded.
    left = {resource: n for resource, n in reset["records"].items() if n}
    assert all(seeded[resource] == n for resource, n in left.items()), (left, seeded)
    assert {resource: len(control.records(resource, space=key)) for resource in reset["records"]} == reset["records"]
    held = {space["space"]: space["records"] for space in control.spaces()["spaces"]}
    assert held["default"] == seeded and held[key] == reset["records"]  # the default kept its own
    assert key in [space["space"] for space in control.spaces()["spaces"]]


def test_the_control_api_refuses_a_malformed_space_and_an_unknown_one(sandbox):
    control = sandbox.control("hubspot")
    bad = requests.post(f"{sandbox.url}/__control/hubspot/reset", params={"space": "short"}, json={}, timeout=5)
    assert bad.status_code == 400 and "space" in bad.json()["error"]
    unknown = requests.get(f"{sandbox.url}/__control/hubspot/records/accounts", params={"space": "x" * 20}, timeout=5)
    assert unknown.status_code == 404
    assert control.spaces()["spaces"][0]["space"] is not None


def test_a_key_too_short_is_not_a_space_but_a_wrong_credential(sandbox):
    """`sandbox-hubspot-token~abc` names no space: the emulator refuses it as any unknown token."""
    answer = requests.get(f"{sandbox.url}/hubspot/crm/v3/objects/companies", timeout=5,
                          headers={"Authorization": "Bearer sandbox-hubspot-token~abc"})
    assert answer.status_code == 401
    good = requests.get(f"{sandbox.url}/hubspot/crm/v3/objects/companies", timeout=5,
                        headers={"Authorization": f"Bearer sandbox-hubspot-token~{uuid.uuid4().hex}"})
    assert good.status_code == 200 and good.json()["results"]


def test_an_oauth_token_works_in_its_own_space_only(sandbox):
    """Tokens the sandbox issues for a space carry its key; with another key or none they are refused."""
    from oauth_support import query_of

    key = uuid.uuid4().hex
    root = f"{sandbox.url}/hubspot"
    redirect = "http://127.0.0.1:9/callback"
    authorized = requests.get(f"{root}/oauth/authorize", allow_redirects=False, timeout=5, params={
        "client_id": "sandbox-hubspot-client-id", "redirect_uri": redirect, "response_type": "code",
        "sandbox_space": key})
    code = query_of(authorized.headers["location"])["code"]
    token = requests.post(f"{root}/oauth/v1/token", timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": "sandbox-hubspot-client-id", "client_secret": "sandbox-hubspot-client-secret"}).json()
    access = token["access_token"]
    assert access.endswith(f"~{key}")
    raw = access[:-len(key) - 1]
    path = f"{root}/crm/v3/objects/companies"
    assert requests.get(path, headers={"Authorization": f"Bearer {access}"}, timeout=5).status_code == 200
    assert requests.get(path, headers={"Authorization": f"Bearer {raw}"}, timeout=5).status_code == 401
    other = f"{raw}~{uuid.uuid4().hex}"
    assert requests.get(path, headers={"Authorization": f"Bearer {other}"}, timeout=5).status_code == 401
    refreshed = requests.post(f"{root}/oauth/v1/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "client_id": "sandbox-hubspot-client-id", "client_secret": "sandbox-hubspot-client-secret"}).json()
    assert refreshed["access_token"].endswith(f"~{key}")


# -- sandbox accounts turned off -------------------------------------------------------------------

@pytest.fixture
def gateways_on_and_off(tmp_path, sandbox):
    """Two gateways on one database: sandbox accounts on, then off."""
    on = Settings(data_dir=tmp_path, secret_key=None, sandbox_url=sandbox.url, sandboxes=True)
    off = dataclasses.replace(on, sandboxes=False)
    token = asyncio.run(create_token(on, "spaces", "spaces-env"))
    servers = [start_in_thread(create_app(settings)) for settings in (on, off)]
    yield token, servers[0].url, servers[1].url, servers[1]
    for server in servers:
        server.stop()


def test_with_sandboxes_off_a_sandbox_account_is_refused_in_trutos_shape(gateways_on_and_off):
    token, on, off, _ = gateways_on_and_off
    headers = {"Authorization": f"Bearer {token}"}
    refused = requests.post(f"{off}/integrated-account", headers=headers, timeout=10,
                            json={"integration": "hubspot", "tenant_id": "t", "is_sandbox": True})
    assert refused.status_code == 403
    assert refused.json()["statusCode"] == 403 and "UNIGATE_SANDBOXES" in refused.json()["message"]
    connect = requests.get(f"{off}/connect/hubspot/start", headers=headers, allow_redirects=False, timeout=10,
                           params={"tenant_id": "t", "is_sandbox": "true", "redirect_uri": "https://app.example/done"})
    assert connect.status_code == 403 and "UNIGATE_SANDBOXES" in connect.json()["message"]
    # A sandbox account made while they were on is refused too, not sent anywhere.
    made = requests.post(f"{on}/integrated-account", headers=headers, timeout=10,
                         json={"integration": "hubspot", "tenant_id": "t", "is_sandbox": True})
    assert made.status_code == 201, made.text
    called = requests.get(f"{off}/unified/crm/accounts", headers=headers, timeout=10,
                          params={"integrated_account_id": made.json()["id"]})
    assert called.status_code == 403 and "UNIGATE_SANDBOXES" in called.json()["message"]
    # Real accounts are unaffected: created as before.
    real = requests.post(f"{off}/integrated-account", headers=headers, timeout=10,
                         json={"integration": "hubspot", "tenant_id": "t", "context": {"access_token": "pat-na1-x"}})
    assert real.status_code == 201, real.text


def test_with_sandboxes_off_no_sandbox_server_is_started(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key=None, sandbox_url=None, sandboxes=False)
    app = create_app(settings)
    server = start_in_thread(app)
    try:
        assert app.gateway.sandbox_url is None
        assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    finally:
        server.stop()


def test_unigate_serve_turns_sandbox_accounts_off_unless_asked(tmp_path, sandbox):
    token = asyncio.run(create_token(Settings(data_dir=tmp_path, secret_key=None), "serve", "serve-env"))
    headers = {"Authorization": f"Bearer {token}"}
    body = {"integration": "hubspot", "tenant_id": "t", "is_sandbox": True}
    env = {**os.environ, "UNIGATE_DATA_DIR": str(tmp_path), "UNIGATE_SANDBOX_URL": sandbox.url,
           "UNIGATE_LOG_LEVEL": "warning"}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SECRET_KEY"):
        env.pop(name, None)
    for setting, status in (("", 403), ("on", 201)):  # "": not set
        process, url = start_gateway({**env, "UNIGATE_SANDBOXES": setting}, tmp_path / f"serve-{setting or 'unset'}.log")
        try:
            created = requests.post(f"{url}/integrated-account", headers=headers, json=body, timeout=10)
            assert created.status_code == status, created.text
        finally:
            stop_process(process)


# -- bounds ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_sandbox():
    """A sandbox server with small bounds, and a gateway in front of it."""
    limits = SpaceLimits(max_spaces=3, max_records=2, max_record_bytes=4000, max_body_bytes=8000)
    server = start_in_thread(build_sandbox_app(limits=limits))
    yield server.url
    server.stop()


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_a_full_sandbox_account_refuses_the_next_create_clearly(gateway, small_sandbox, name, tmp_path):
    """Past UNIGATE_SANDBOX_MAX_RECORDS a create is refused by the sandbox (403 naming the bound) and the
    gateway passes the refusal on as the CRM's 4xx; nothing more is stored."""
    # One account seeded (some CRMs keep accounts and contacts in one store: no contacts), one more fits.
    requests.post(f"{small_sandbox}/__control/{name}/reset", timeout=10,
                  json={"count": 0, "counts": {"accounts": 1}}).raise_for_status()
    settings = dataclasses.replace(gateway.settings, data_dir=tmp_path, database_url=None, sandbox_url=small_sandbox)
    token = asyncio.run(create_token(settings, "bounds", "bounds-env"))
    server = start_in_thread(create_app(settings))
    try:
        client = dataclasses.replace(gateway, url=server.url, token=token, accounts={})
        created = client.admin("POST", "/integrated-account", json={**shared_sandbox(name), "tenant_id": "b"})
        assert created.status_code == 201, created.text
        client.accounts[name] = created.json()["id"]
        create_in(client, name, "accounts")
        existing = client.unified("GET", name, params={"limit": 1}).json()["result"][0]
        second = client.unified("POST", name, json=sample_write_body(name, existing, "accounts"))
        assert second.status_code == 403, second.text
        assert "UNIGATE_SANDBOX_MAX_RECORDS" in str(second.json()["raw_response"])
        stored = requests.get(f"{small_sandbox}/__control/{name}/records/accounts", timeout=10).json()
        assert len(stored) == 2
    finally:
        server.stop()


def test_a_record_or_body_over_the_bound_is_refused(small_sandbox):
    requests.post(f"{small_sandbox}/__control/hubspot/reset", json={"count": 0}, timeout=10).raise_for_status()
    url = f"{small_sandbox}/hubspot/crm/v3/objects/companies"
    auth = {"Authorization": "Bearer sandbox-hubspot-token"}
    large = requests.post(url, headers=auth, json={"properties": {"name": "n" * 5000}}, timeout=10)
    assert large.status_code == 403 and "UNIGATE_SANDBOX_MAX_RECORD_BYTES" in large.json()["message"]
    huge = requests.post(url, headers=auth, json={"properties": {"name": "n" * 9000}}, timeout=10)
    assert huge.status_code == 413 and "UNIGATE_SANDBOX_MAX_BODY_BYTES" in huge.json()["message"]
    assert requests.get(f"{small_sandbox}/__control/hubspot/records/accounts", timeout=10).json() == []


def test_past_the_bound_on_spaces_the_least_recently_used_is_dropped(small_sandbox):
    """`default` and the two most recently used spaces stay; a dropped space comes back freshly seeded."""
    url = f"{small_sandbox}/hubspot/crm/v3/objects/companies"
    keys = [uuid.uuid4().hex for _ in range(3)]

    def call(key: str) -> requests.Response:
        return requests.get(url, headers={"Authorization": f"Bearer sandbox-hubspot-token~{key}"}, timeout=10)

    for key in keys:
        assert call(key).status_code == 200
    held = [space["space"] for space in requests.get(f"{small_sandbox}/__control/hubspot/spaces", timeout=10)
            .json()["spaces"]]
    assert held == ["default", keys[1], keys[2]]
    assert call(keys[0]).status_code == 200  # back, seeded afresh, and keys[1] goes
    held = [space["space"] for space in requests.get(f"{small_sandbox}/__control/hubspot/spaces", timeout=10)
            .json()["spaces"]]
    assert held == ["default", keys[2], keys[0]]


def test_the_gateway_and_the_sandboxes_read_space_credentials_alike():
    """The format is written on both sides of the import layers (the sandboxes know nothing of the gateway)."""
    from unigate.engine import sandbox_spaces as gateway_side
    from unigate.sandbox import spaces as sandbox_side

    assert gateway_side.SEPARATOR == sandbox_side.SEPARATOR
    assert gateway_side.KEY_PATTERN.pattern == sandbox_side.KEY_PATTERN.pattern
    key = gateway_side.new_space_key()
    for name in INTEGRATIONS:
        context = gateway_side.space_context(SPECS[name], key)
        assert gateway_side.account_space_key(SPECS[name], context) == key
        for field, value in context.items():
            if field in SPECS[name].secret_fields():
                assert sandbox_side.split_credential(value) == (SPECS[name].sandbox_context[field], key)


def test_a_fault_for_one_space_leaves_the_others_alone(sandbox):
    control = sandbox.control("pipedrive")
    control.reset()
    key = uuid.uuid4().hex
    control.fault(status=503, body={"success": False}, space=key, times=-1)
    url = f"{sandbox.url}/pipedrive/api/v2/organizations"
    try:
        faulted = requests.get(url, headers={"x-api-token": f"sandbox-pipedrive-token~{key}"}, timeout=5)
        untouched = requests.get(url, headers={"x-api-token": "sandbox-pipedrive-token"}, timeout=5)
        by_query = requests.get(url, params={"api_token": f"sandbox-pipedrive-token~{key}"}, timeout=5)
    finally:
        control.clear_faults()
    assert faulted.status_code == 503 and by_query.status_code == 503
    assert untouched.status_code == 200
    assert [r["space"] for r in control.requests(space=key)] == [key, key]


def test_a_refused_credential_leaves_no_space_behind(sandbox):
    """`wrong~<key>` is answered 401 by the emulator and the space it named is not kept."""
    key = uuid.uuid4().hex
    answer = requests.get(f"{sandbox.url}/hubspot/crm/v3/objects/companies", timeout=5,
                          headers={"Authorization": f"Bearer not-the-sandbox-token~{key}"})
    assert answer.status_code == 401
    assert key not in [space["space"] for space in sandbox.control("hubspot").spaces()["spaces"]]


def test_switches_describe_the_crm_in_every_data_space(sandbox):
    """A switch set through the control API (a behaviour the vendor's sources leave open) holds in every
    space of the CRM, one created later included, and a reset puts it back everywhere."""
    from unigate.sandbox.pipedrive import SANDBOX_API_TOKEN

    control = sandbox.control("pipedrive")
    nameless = {"emails": [{"value": "nameless@example.com", "primary": True, "label": "work"}]}

    def create_in(space: str) -> int:
        headers = {"x-api-token": f"{SANDBOX_API_TOKEN}~{space}"}
        return requests.post(f"{control.url}/api/v2/persons", json=nameless, headers=headers, timeout=10).status_code

    earlier = uuid.uuid4().hex
    assert create_in(earlier) == 400                 # the default: a person needs a name
    try:
        control.switch(person_name="optional")
        assert create_in(earlier) == 200
        assert create_in(uuid.uuid4().hex) == 200    # a space created after the switch
    finally:
        control.reset()
    assert create_in(earlier) == 400
