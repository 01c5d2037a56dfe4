"""Hostile input from anywhere: path ids, admin filters, tenant ids, context values, cursors, and provider
answers (headers and bodies through the emulators' `hostile_headers`/`hostile_body` faults).

Every case answers a bounded JSON error in Truto's shape (`{statusCode, error, message}`), a 4xx for the
caller's input and a 502 for the provider's, never a 500. The suite runs on SQLite and, with
UNIGATE_TEST_DATABASE=postgresql, on PostgreSQL (docs/testing.md), where the column limits are real.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import uuid

import orjson
import pytest
import requests
from support import INTEGRATIONS, SPECS, mapping, start_gateway, stop_process

from unigate.store import Store


def assert_error(response: requests.Response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert body["statusCode"] == status
    assert isinstance(body["error"], str) and body["error"]
    for word in words:
        assert word in body["message"], body["message"]
    return body


def cursor_of(position) -> str:
    """A cursor as the gateway encodes one (engine/pagination.py), around any JSON position."""
    return base64.urlsafe_b64encode(orjson.dumps({"p": position})).rstrip(b"=").decode()


def environment_id(gateway) -> str:
    response = gateway.admin("GET", f"/integrated-account/{gateway.accounts['hubspot']}")
    return response.json()["environment_id"]


def stored_context(gateway, account_id: str) -> dict:
    """The account's context as the store holds it (decrypted), not as the admin API shows it."""
    environment = environment_id(gateway)

    async def read() -> dict:
        store = await Store.open(gateway.settings)
        try:
            account = await store.get_account(environment, account_id)
            assert account is not None
            return account.context
        finally:
            await store.close()

    return asyncio.run(read())


# -- ids and admin filters ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw_id", ["%ff", "%C3%28", "abc%80def", "%ED%A0%80"])
def test_an_id_that_is_not_utf8_once_decoded_is_400(gateway, raw_id):
    url = f"{gateway.url}/unified/crm/accounts/{raw_id}?integrated_account_id={gateway.accounts['hubspot']}"
    assert_error(requests.get(url, headers=gateway.headers, timeout=10), 400, "UTF-8")


@pytest.mark.parametrize("query", [
    "tenant_id=a&tenant_id=b", "tenant_id[]=a", "status[]=active", "status=active&status=disabled",
    "status[x]=active", "integration.name=hubspot&integration.name=copper", "integration[name][]=hubspot",
    "next_cursor[]=abc", "next_cursor[a]=b",
])
def test_repeated_or_bracketed_admin_filters_are_400(gateway, query):
    response = requests.get(f"{gateway.url}/integrated-account?{query}", headers=gateway.headers, timeout=10)
    assert_error(response, 400)


def test_an_unknown_status_filter_is_400_naming_the_statuses(gateway):
    response = gateway.admin("GET", "/integrated-account", params={"status": "archived"})
    assert_error(response, 400, "active", "needs_reauth", "disabled")


@pytest.mark.parametrize("cursor", ["x" * 2000, base64.urlsafe_b64encode(b"2024-01-01T00:00:00+00:00|a\x00b").decode()])
def test_an_admin_cursor_too_long_or_with_nul_is_400(gateway, cursor):
    assert_error(gateway.admin("GET", "/integrated-account", params={"next_cursor": cursor}), 400, "next_cursor")


# -- tenant ids --------------------------------------------------------------------------------------

BAD_TENANT_IDS = [pytest.param("t" * 256, "255", id="256-chars"), pytest.param("acme\x00corp", "NUL", id="nul")]


@pytest.mark.parametrize(("tenant_id", "named"), BAD_TENANT_IDS)
def test_a_tenant_id_the_column_cannot_hold_is_400_everywhere(gateway, tenant_id, named):
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": "hubspot", "is_sandbox": True, "tenant_id": tenant_id})
    assert_error(created, 400, "tenant_id", named)
    account = gateway.admin("POST", "/integrated-account", json={"integration": "hubspot", "is_sandbox": True})
    assert account.status_code == 201, account.text
    patched = gateway.admin("PATCH", f"/integrated-account/{account.json()['id']}", json={"tenant_id": tenant_id})
    assert_error(patched, 400, "tenant_id", named)
    listed = gateway.admin("GET", "/integrated-account", params={"tenant_id": tenant_id})
    assert_error(listed, 400, "tenant_id", named)
    started = requests.get(f"{gateway.url}/connect/hubspot/start", headers=gateway.headers, allow_redirects=False,
                           timeout=10, params={"tenant_id": tenant_id, "is_sandbox": "true",
                                               "redirect_uri": "http://127.0.0.1:9/crm-connected"})
    assert_error(started, 400, "tenant_id", named)
    # The longest tenant_id the column holds is accepted and found.
    # (a whole uuid in it: the PostgreSQL run shares its database with earlier runs, so a short suffix can collide)
    longest = "t" * 223 + uuid.uuid4().hex
    assert gateway.admin("PATCH", f"/integrated-account/{account.json()['id']}",
                         json={"tenant_id": longest}).status_code == 200
    found = gateway.admin("GET", "/integrated-account", params={"tenant_id": longest}).json()["result"]
    assert [a["id"] for a in found] == [account.json()["id"]]


# -- context values ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["tok\r\nX-Injected: 1", "tok\nen", "tok\x00en"])
def test_a_context_value_with_cr_lf_or_nul_is_refused_naming_the_key(gateway, value):
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": "hubspot", "is_sandbox": True, "context": {"access_token": value}})
    assert_error(created, 400, "context.access_token")
    account = gateway.admin("POST", "/integrated-account", json={"integration": "hubspot", "is_sandbox": True}).json()
    patched = gateway.admin("PATCH", f"/integrated-account/{account['id']}",
                            json={"context": {"extra": {"list": ["ok", value]}}})
    assert_error(patched, 400, "context.extra.list[1]")
    # Nothing was stored: the account still calls the CRM.
    listed = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                          params={"integrated_account_id": account["id"], "limit": 1})
    assert listed.status_code == 200, listed.text


def test_a_stored_context_value_with_crlf_answers_400_not_500(gateway, sandbox):
    """An account stored before such values were refused: its calls name the problem, no header is built."""
    environment = environment_id(gateway)

    async def create() -> str:
        store = await Store.open(gateway.settings)
        try:
            account = await store.create_account(environment, "hubspot", {"access_token": "tok\r\nX-Injected: 1"},
                                                 tenant_id="legacy", is_sandbox=True, authentication_method=None)
            return account.id
        finally:
            await store.close()

    account_id = asyncio.run(create())
    sandbox.control("hubspot").clear_requests()
    response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": account_id})
    assert_error(response, 400, "Authorization", "PATCH")
    assert sandbox.control("hubspot").requests() == []


# -- admin redaction ---------------------------------------------------------------------------------

NESTED = {
    "access_token": "sandbox-hubspot-token",
    "oauth": {"token": {"refresh_token": "rt-SECRET-1", "scope": "crm"}, "client-secret": "cs-SECRET-2"},
    "webhooks": [{"url": "https://example.com/hook", "x-api-key": "xk-SECRET-3"},
                 {"url": "https://example.com/other", "Authorization": "Basic SECRET-4"}],
    "auth_token": "at-SECRET-5",
    "region": "eu",
}


def test_secrets_in_arrays_and_under_common_names_are_masked(gateway):
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": "hubspot", "is_sandbox": True, "context": NESTED})
    assert created.status_code == 201, created.text
    for response in (created, gateway.admin("GET", f"/integrated-account/{created.json()['id']}"),
                     gateway.admin("GET", "/integrated-account", params={"limit": 1000})):
        assert "SECRET" not in response.text
    context = created.json()["context"]
    assert context == {
        "access_token": "********",
        "oauth": {"token": "********", "client-secret": "********"},
        "webhooks": [{"url": "https://example.com/hook", "x-api-key": "********"},
                     {"url": "https://example.com/other", "Authorization": "********"}],
        "auth_token": "********",
        "region": "eu",
    }


def test_writing_back_what_was_read_keeps_every_stored_secret(gateway):
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": "hubspot", "is_sandbox": True, "context": NESTED}).json()
    read = gateway.admin("GET", f"/integrated-account/{created['id']}").json()
    context = read["context"]
    context["region"] = "us"
    context["webhooks"].append({"url": "https://example.com/new", "x-api-key": "********"})  # a mask with no secret
    patched = gateway.admin("PATCH", f"/integrated-account/{created['id']}", json={"context": context})
    assert patched.status_code == 200, patched.text
    stored = stored_context(gateway, created["id"])
    assert "********" not in orjson.dumps(stored).decode()
    assert stored == {**NESTED, "region": "us",
                      "webhooks": [*NESTED["webhooks"], {"url": "https://example.com/new"}]}
    # The real token is still the one sent to the CRM.
    listed = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                          params={"integrated_account_id": created["id"], "limit": 1})
    assert listed.status_code == 200, listed.text


# -- cursors -----------------------------------------------------------------------------------------

# Positions no pagination style can hold, each wrapped the way the gateway wraps its own: a list, an
# integer beyond 64 bits, a negative offset, an object, a boolean, a float, an overlong string, and
# cursors that are not the gateway's envelope at all.
HOSTILE_CURSORS = {
    "list": cursor_of([1, 2]),
    "huge-int": base64.urlsafe_b64encode(b'{"p":' + b"9" * 40 + b"}").rstrip(b"=").decode(),
    "negative": cursor_of(-5),
    "object": cursor_of({"page": 2}),
    "bool": cursor_of(True),
    "float": cursor_of(1.5),
    "overlong": cursor_of("x" * 10_000),
    "not-an-envelope": base64.urlsafe_b64encode(b"[1]").rstrip(b"=").decode(),
    "not-base64-json": "%%%not-a-cursor%%%",
}


@pytest.mark.parametrize("name", INTEGRATIONS)
@pytest.mark.parametrize("case", sorted(HOSTILE_CURSORS))
def test_a_cursor_holding_an_impossible_position_is_400(gateway, name, case):
    response = gateway.unified("GET", name, params={"next_cursor": HOSTILE_CURSORS[case], "limit": 2})
    body = assert_error(response, 400)
    # A negative number is a position a cursor-style CRM may hold: that CRM refuses it itself.
    if not body.get("truto_is_remote_error"):
        assert "next_cursor" in body["message"]


@pytest.mark.parametrize("form", ["next_cursor[]=abc", "next_cursor[a]=b", "next_cursor=a&next_cursor=b"])
def test_a_bracketed_or_repeated_cursor_is_400(gateway, form):
    url = f"{gateway.url}/unified/crm/accounts?integrated_account_id={gateway.accounts['hubspot']}&{form}"
    assert_error(requests.get(url, headers=gateway.headers, timeout=10), 400, "cursor")


# -- provider answers: hostile headers ---------------------------------------------------------------

@pytest.mark.parametrize("name", INTEGRATIONS)
def test_garbage_rate_limit_headers_are_left_out(gateway, sandbox, name):
    sandbox.control(name).fault(kind="hostile_headers")
    response = gateway.unified("GET", name, params={"limit": 2})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["result"], list)
    for header in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        value = response.headers.get(header)
        assert value is None or (value.isdigit() and int(value) <= 31 * 24 * 3600), (header, value)


@pytest.mark.parametrize("retry_after", ["99999999999999999999999", "-5", "soon", "NaN", "inf", "1e999",
                                         "Wed, 21 Oct 9999 07:28:00 GMT"])
@pytest.mark.parametrize("name", INTEGRATIONS)
def test_a_429_with_a_garbage_retry_after_is_a_bounded_429(gateway, sandbox, name, retry_after):
    sandbox.control(name).fault(kind="hostile_headers", status=429, headers={"retry-after": retry_after}, times=-1)
    try:
        response = gateway.unified("GET", name, params={"limit": 2})
    finally:
        sandbox.control(name).clear_faults()
    body = assert_error(response, 429)
    assert body["truto_is_remote_error"] is True
    wait = response.headers.get("retry-after")
    assert wait is None or (wait.isdigit() and int(wait) <= 31 * 24 * 3600), wait


# -- provider answers: hostile bodies ----------------------------------------------------------------

def list_method(name: str):
    listing = mapping(name).methods["list"]
    return SPECS[name].resource_method(listing.resource, listing.method)


def next_position_from_body(name: str) -> bool:
    """Whether the CRM's next page is named in its answer's body (not a page counter or a Link header)."""
    pagination = list_method(name).pagination
    expression = pagination.next_cursor or pagination.next_url if pagination else None
    return expression is not None and "response" in expression.source


@pytest.mark.parametrize("spoil", ["cursors_as_lists", "cursors_as_numbers"])
@pytest.mark.parametrize("name", INTEGRATIONS)
def test_a_next_cursor_of_the_wrong_type_is_502(gateway, sandbox, name, spoil):
    sandbox.control(name).fault(kind="hostile_body", spoil=spoil)
    response = gateway.unified("GET", name, params={"limit": 2})
    if next_position_from_body(name):
        assert_error(response, 502, "next-page")
    else:  # the spoiled values are not where this CRM keeps its next page: the page reads as usual
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is not None


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_records_that_are_strings_are_502_or_no_records(gateway, sandbox, name):
    sandbox.control(name).fault(kind="hostile_body", spoil="lists_as_strings")
    response = gateway.unified("GET", name, params={"limit": 2})
    if response.status_code == 502:
        body = assert_error(response, 502, "JSON")
        assert body["truto_is_remote_error"] is True
    else:  # the CRM's records sit under a path the spoiled answer no longer has
        assert response.status_code == 200, response.text
        assert all(isinstance(record, dict) for record in response.json()["result"])


@pytest.mark.parametrize("spoil", ["ids_as_objects", "ids_as_floats"])
@pytest.mark.parametrize("name", INTEGRATIONS)
def test_ids_of_odd_types_never_fail_the_gateway(gateway, sandbox, name, spoil):
    sandbox.control(name).fault(kind="hostile_body", spoil=spoil)
    listed = gateway.unified("GET", name, params={"limit": 2})
    assert listed.status_code == 200, listed.text
    assert all(isinstance(record["id"], str) for record in listed.json()["result"])
    record_id = gateway.unified("GET", name, params={"limit": 1}).json()["result"][0]["id"]
    sandbox.control(name).fault(kind="hostile_body", spoil=spoil)
    got = gateway.unified("GET", name, record_id)
    assert got.status_code == 200, got.text
    assert isinstance(got.json()["id"], str)


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_a_page_that_is_a_string_is_502(gateway, sandbox, name):
    sandbox.control(name).fault(status=200, body="<html>not a page</html>")
    body = assert_error(gateway.unified("GET", name, params={"limit": 2}), 502)
    assert body["truto_is_remote_error"] is True


# -- HTTP-level errors -------------------------------------------------------------------------------

def raw_exchange(base_url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as bytes on a new connection; the status, headers and body of the answer."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        try:
            connection.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading the whole request
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), {k.lower(): v for k, v in headers.items()}, body


BROKEN_REQUESTS = [
    pytest.param(b"GET /unified/crm/accounts?q=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                 id="request-line-over-64KiB"),
    pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431,
                 id="one-header-over-64KiB"),
    pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300)) + b"\r\n",
                 431, id="300-headers"),
    pytest.param(b"GARBAGE\x00\x01 nonsense\r\n\r\n", 400, id="not-http"),
    pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n", 400, id="bad-header-name"),
    pytest.param(b"POST /integrated-account HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
                 400, id="two-content-lengths"),
]


def assert_json_http_error(base_url: str, request: bytes, status: int) -> None:
    got, headers, body = raw_exchange(base_url, request)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    error = orjson.loads(body)
    assert error["statusCode"] == status and error["error"] and error["message"]


@pytest.mark.parametrize(("request_bytes", "status"), BROKEN_REQUESTS)
def test_broken_http_requests_answer_json_errors(gateway, request_bytes, status):
    assert_json_http_error(gateway.url, request_bytes, status)
    assert requests.get(f"{gateway.url}/health", timeout=10).status_code == 200  # and it keeps serving


def test_unigate_serve_answers_broken_requests_in_json(sandbox, tmp_path):
    env = {**os.environ, "UNIGATE_DATA_DIR": str(tmp_path), "UNIGATE_SANDBOX_URL": sandbox.url,
           "UNIGATE_LOG_LEVEL": "warning"}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SECRET_KEY"):
        env.pop(name, None)
    process, base = start_gateway(env, tmp_path / "serve.log")
    try:
        for param in BROKEN_REQUESTS[:3]:
            assert_json_http_error(base, *param.values)
    finally:
        stop_process(process)


# -- idempotency -------------------------------------------------------------------------------------

def test_the_gateways_own_500_is_never_kept_as_the_idempotent_answer(gateway, sandbox, monkeypatch):
    """A 500 kept for the key's 24 hours would answer every retry with the gateway's failure."""
    from unigate.engine.call import Engine

    def broken_mapping(*args, **kwargs):
        raise RuntimeError("a failure of the gateway's own")

    headers = {**gateway.headers, "Idempotency-Key": f"hostile-{uuid.uuid4()}"}
    with monkeypatch.context() as patch:
        patch.setattr(Engine, "_map", broken_mapping)
        first = gateway.unified("POST", "hubspot", json={"name": "Own Failure Co"}, headers=headers)
    assert_error(first, 500)
    second = gateway.unified("POST", "hubspot", json={"name": "Own Failure Co"}, headers=headers)
    assert second.status_code == 200, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["name"] == "Own Failure Co"
    third = gateway.unified("POST", "hubspot", json={"name": "Own Failure Co"}, headers=headers)
    assert third.headers["idempotent-replayed"] == "true"
    assert third.json() == second.json()


@pytest.mark.parametrize("response_format", ["raw", "stream", "unified"])
def test_provider_headers_the_gateway_cannot_send_on_are_dropped(gateway, sandbox, response_format):
    """A Content-Type that is not ASCII (passed on by the raw and stream formats) and a rate-limit header
    that is not a number: the answer arrives without them, not as a 500."""
    sandbox.control("hubspot").fault(kind="hostile_headers", headers={
        "content-type": "application/json; charset=\xff\xfe", "x-hubspot-ratelimit-max": "\xff"})
    response = gateway.unified("GET", "hubspot", params={"limit": 1, "truto_response_format": response_format})
    assert response.status_code == 200, response.text
    expected = "application/json" if response_format == "unified" else "application/octet-stream"
    assert response.headers["content-type"] == expected
    assert "ratelimit-limit" not in response.headers
    assert b"18000000001" in response.content


@pytest.mark.parametrize("inner_status", [1e30, 99999, 1.5e3, -400])
def test_a_status_read_from_the_providers_body_stays_an_http_error_status(gateway, sandbox, inner_status):
    """monday names an error's status inside a 200's body (`status_code` of a legacy `error_code`
    answer, https://developer.monday.com/api-reference/docs/error-handling); one out of HTTP's range
    answers 502, never a 500 or a status line HTTP cannot carry."""
    sandbox.control("monday").fault(status=200, body={"error_code": "SomethingOdd", "status_code": inner_status,
                                                      "error_message": "odd"})
    body = assert_error(gateway.unified("GET", "monday", params={"limit": 1}),
                        400 if inner_status < 400 else 502)
    assert body["truto_is_remote_error"] is True
