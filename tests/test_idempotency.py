"""Idempotency-Key on unified writes (docs/api.md, "Idempotency-Key"), over HTTP to a gateway and the
HubSpot emulator: what the client gets back, and how many creates the CRM received.

Why it matters: Truto's TypeScript SDK resends a POST after a 409, 502 or 504, at once and up to three
times (`src/apiClient.ts` in https://github.com/trutohq/truto-ts-sdk), so without a key a create
that timed out can become two records in the CRM.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import requests
from gateway_factory import CRM, add_account, at_once, creates_sent, make_tokens, start_gateway
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from support import gateway_database

from unigate.settings import Settings


def gateway_settings(sandbox, data_dir, database_url, **overrides) -> Settings:
    values = {"data_dir": data_dir, "database_url": database_url, "secret_key": None, "sandbox_url": sandbox.url,
              "connect_timeout": 2.0, "read_timeout": 1.5, "idempotency_ttl": 3600.0, "idempotency_lease": 30.0}
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="module")
def gateway(sandbox, tmp_path_factory):
    with gateway_database("unigate_idempotency") as database_url:
        settings = gateway_settings(sandbox, tmp_path_factory.mktemp("idempotency"), database_url)
        running = start_gateway(settings, make_tokens(settings, ["idem-a", "idem-b"]))
        for tenant in running.tenants:
            tenant.account_id = add_account(running, tenant)
        yield running
        running.stop()


@pytest.fixture
def database_url():
    """SQLite (None), or PostgreSQL in the suite's PostgreSQL run, for a test's own gateway."""
    with gateway_database("unigate_idempotency_one") as url:
        yield url


@pytest.fixture(autouse=True)
def clean_crm(sandbox):
    sandbox.control(CRM).clear_faults()
    sandbox.control(CRM).clear_requests()
    yield
    sandbox.control(CRM).clear_faults()


def new_key() -> str:
    return str(uuid.uuid4())


def assert_error(response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and isinstance(body["error"], str)
    for word in words:
        assert word in body["message"], body["message"]
    return body


def test_a_repeated_create_replays_the_first_answer_and_the_crm_creates_once(gateway, sandbox):
    tenant = gateway.tenants[0]
    records_before = len(sandbox.control(CRM).records())
    key = new_key()
    first = gateway.call("POST", tenant, key=key, json={"name": "Replay Co"})
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    second = gateway.call("POST", tenant, key=key, json={"name": "Replay Co"})

    assert second.status_code == first.status_code
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == "application/json"
    assert second.json() == first.json()
    assert second.json()["name"] == "Replay Co"
    assert "server-timing" in second.headers  # this answer's own timing, not the first one's
    assert len(creates_sent(sandbox)) == 1
    assert len(sandbox.control(CRM).records()) == records_before + 1


def test_a_repeated_update_is_sent_once(gateway, sandbox):
    tenant = gateway.tenants[0]
    record_id = gateway.call("POST", tenant, json={"name": "Before"}).json()["id"]
    key = new_key()
    answers = [gateway.call("PATCH", tenant, record_id, key=key, json={"name": "After"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], answers[0].text
    assert [a.headers.get("idempotent-replayed") for a in answers] == [None, "true", "true"]
    patches = [r for r in sandbox.control(CRM).requests() if r["method"] == "PATCH"]
    assert len(patches) == 1


def test_the_same_key_on_a_different_request_is_refused(gateway, sandbox):
    tenant = gateway.tenants[0]
    key = new_key()
    original = {"name": "Original", "description": "First"}
    assert gateway.call("POST", tenant, key=key, json=original).status_code == 200

    other_body = gateway.call("POST", tenant, key=key, json={**original, "name": "Changed"})
    assert_error(other_body, 422, key, "different request")
    other_query = gateway.call("POST", tenant, key=key, json=original, params={"truto_response_format": "raw"})
    assert_error(other_query, 422, "different request")
    other_account = gateway.call("POST", tenant, key=key, json=original, account_id=str(uuid.uuid4()))
    assert other_account.status_code == 404  # refused before the key is looked at: no such account
    other_method = gateway.call("PATCH", tenant, "18000000001", key=key, json=original)
    assert_error(other_method, 422, "different request")
    # The same body with its fields in another order is the same request.
    same = gateway.call("POST", tenant, key=key, json={"description": "First", "name": "Original"})
    assert same.headers["idempotent-replayed"] == "true"
    assert len(creates_sent(sandbox)) == 1
    assert not [r for r in sandbox.control(CRM).requests() if r["method"] == "PATCH"]


def test_concurrent_duplicates_make_one_provider_call(gateway, sandbox):
    tenant = gateway.tenants[0]
    # The CRM takes a while to answer the create, so the duplicates arrive while it is in flight.
    sandbox.control(CRM).fault(delay=0.8, method="POST", times=1)
    key = new_key()
    answers = at_once([lambda: gateway.call("POST", tenant, key=key, json={"name": "Racing Co"})] * 4)

    fresh = [a for a in answers if a.status_code == 200 and "idempotent-replayed" not in a.headers]
    assert len(fresh) == 1, [(a.status_code, a.text) for a in answers]
    waiting = [a for a in answers if a.status_code == 409]
    assert waiting, "the duplicates arrived while the first was in flight"
    for answer in waiting:
        assert_error(answer, 409, "still in progress")
        assert answer.headers["retry-after"] == "1"
    # A client retrying after Retry-After gets the first request's answer.
    retried = gateway.call("POST", tenant, key=key, json={"name": "Racing Co"})
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json() == fresh[0].json()
    assert len(creates_sent(sandbox)) == 1


def test_keys_belong_to_one_environment(gateway, sandbox):
    first_env, second_env = gateway.tenants
    key = new_key()
    first = gateway.call("POST", first_env, key=key, json={"name": "Env Co"})
    second = gateway.call("POST", second_env, key=key, json={"name": "Env Co"})
    assert first.status_code == second.status_code == 200, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert len(creates_sent(sandbox)) == 2


def test_an_expired_key_is_a_new_request(sandbox, tmp_path, database_url):
    settings = gateway_settings(sandbox, tmp_path, database_url, idempotency_ttl=0.5)
    running = start_gateway(settings, make_tokens(settings, ["idem-expiry"]))
    try:
        tenant = running.tenants[0]
        tenant.account_id = add_account(running, tenant)
        key = new_key()
        assert running.call("POST", tenant, key=key, json={"name": "Short Lived"}).status_code == 200
        assert running.call("POST", tenant, key=key, json={"name": "Short Lived"}).headers["idempotent-replayed"] == "true"
        time.sleep(0.7)
        # Expired: even a different body under the same key is a new request now.
        again = running.call("POST", tenant, key=key, json={"name": "Second Life"})
        assert again.status_code == 200, again.text
        assert "idempotent-replayed" not in again.headers
        assert again.json()["name"] == "Second Life"
        assert len(creates_sent(sandbox)) == 2
    finally:
        running.stop()


def test_provider_errors_are_kept_and_replayed(gateway, sandbox):
    tenant = gateway.tenants[0]
    sandbox.control(CRM).fault(status=400, method="POST", times=1,
                               body={"status": "error", "message": "Property values were not valid",
                                     "category": "VALIDATION_ERROR"})
    key = new_key()
    first = gateway.call("POST", tenant, key=key, json={"name": "Invalid Co"})
    body = assert_error(first, 400, "Property values were not valid")
    assert body["truto_is_remote_error"] is True
    second = gateway.call("POST", tenant, key=key, json={"name": "Invalid Co"})
    assert second.status_code == 400
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == body
    assert len(creates_sent(sandbox)) == 1


def test_a_timed_out_create_is_not_sent_again(gateway, sandbox):
    tenant = gateway.tenants[0]
    # Longer than the gateway's read timeout (1.5 s): the CRM gets the create, the gateway answers 504.
    sandbox.control(CRM).fault(delay=2.0, method="POST", times=1)
    key = new_key()
    first = gateway.call("POST", tenant, key=key, json={"name": "Slow Co"})
    assert_error(first, 504, "did not answer in time")
    # The TypeScript SDK resends at once after a 504: the CRM may already have made the record.
    second = gateway.call("POST", tenant, key=key, json={"name": "Slow Co"})
    assert second.status_code == 504
    assert second.headers["idempotent-replayed"] == "true"
    assert len(creates_sent(sandbox)) == 1


def test_a_failed_read_back_after_a_create_keeps_the_key(gateway, sandbox):
    """Zoho's create answer holds only the id, so the record is read back with a GET (the Zoho
    integration's read_back); the create was made even if that read fails, so the key is kept."""
    tenant = gateway.tenants[0]
    zoho = sandbox.control("zoho_crm")
    account_id = add_account(gateway, tenant, "zoho_crm")
    zoho.clear_requests()
    # A wait beyond the retry budget, so the rate-limited GET is answered at once (docs/api.md).
    zoho.fault(status=429, method="GET", times=1, headers={"Retry-After": "60"},
               body={"code": "TOO_MANY_REQUESTS", "status": "error",
                     "message": "The API request limit has been reached."})
    key = new_key()
    first = gateway.call("POST", tenant, key=key, json={"name": "Read Back Co"}, account_id=account_id)
    assert_error(first, 429)
    second = gateway.call("POST", tenant, key=key, json={"name": "Read Back Co"}, account_id=account_id)
    assert second.status_code == 429 and second.headers["idempotent-replayed"] == "true"
    assert len([r for r in zoho.requests() if r["method"] == "POST"]) == 1


def test_a_lookup_failing_before_an_update_releases_the_key(gateway, sandbox):
    """Capsule's update first reads the party (a `before` step); when that read fails, the update was
    never sent, so the same key may run again."""
    tenant = gateway.tenants[0]
    capsule = sandbox.control("capsule")
    account_id = add_account(gateway, tenant, "capsule")
    party_id = gateway.call("GET", tenant, params={"limit": 1}, account_id=account_id).json()["result"][0]["id"]
    capsule.clear_requests()
    capsule.fault(status=500, method="GET", times=1, body={"message": "Internal error"})
    key = new_key()
    failed = gateway.call("PATCH", tenant, party_id, key=key, json={"name": "Looked Up Co"}, account_id=account_id)
    assert_error(failed, 502)
    retried = gateway.call("PATCH", tenant, party_id, key=key, json={"name": "Looked Up Co"}, account_id=account_id)
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["name"] == "Looked Up Co"
    assert len([r for r in capsule.requests() if r["method"] != "GET"]) == 1


def test_a_provider_rate_limit_releases_the_key(gateway, sandbox):
    tenant = gateway.tenants[0]
    sandbox.control(CRM).fault(status=429, method="POST", times=1, headers={"Retry-After": "1"},
                               body={"status": "error", "message": "You have reached your secondly limit.",
                                     "errorType": "RATE_LIMIT"})
    key = new_key()
    limited = gateway.call("POST", tenant, key=key, json={"name": "Later Co"})
    assert_error(limited, 429)
    # The CRM refused before doing anything: the same key goes through once the limit has passed.
    retried = gateway.call("POST", tenant, key=key, json={"name": "Later Co"})
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert len(creates_sent(sandbox)) == 2
    assert gateway.call("POST", tenant, key=key, json={"name": "Later Co"}).headers["idempotent-replayed"] == "true"


def test_an_unreachable_crm_releases_the_key(sandbox, tmp_path, database_url):
    # A sandbox URL where nothing listens: the connection is refused, so nothing reached the CRM.
    settings = gateway_settings(sandbox, tmp_path, database_url, sandbox_url="http://127.0.0.1:9")
    running = start_gateway(settings, make_tokens(settings, ["idem-unreachable"]))
    try:
        tenant = running.tenants[0]
        tenant.account_id = add_account(running, tenant)
        key = new_key()
        for _ in range(2):
            answer = running.call("POST", tenant, key=key, json={"name": "Nowhere Co"})
            assert_error(answer, 502, "Could not connect")
            assert "idempotent-replayed" not in answer.headers
    finally:
        running.stop()


def test_key_checks(gateway, sandbox):
    tenant = gateway.tenants[0]
    too_long = gateway.call("POST", tenant, key="k" * 256, json={"name": "Long Key Co"})
    assert_error(too_long, 400, "at most 255")
    assert_error(gateway.call("POST", tenant, key="", json={"name": "Empty Key Co"}), 400, "empty")
    assert_error(gateway.call("POST", tenant, key="cl\u00e9", json={"name": "Accent Co"}), 400, "printable ASCII")
    streamed = gateway.call("POST", tenant, key=new_key(), json={"name": "Stream Co"},
                            params={"truto_response_format": "stream"})
    assert_error(streamed, 400, "stream")
    assert creates_sent(sandbox) == []

    longest = gateway.call("POST", tenant, key="k" * 255, json={"name": "Longest Key Co"})
    assert longest.status_code == 200, longest.text
    # Reads ignore the header: they are idempotent already.
    listed = gateway.call("GET", tenant, key=new_key(), params={"limit": 1})
    assert listed.status_code == 200 and "idempotent-replayed" not in listed.headers


def test_a_refused_request_does_not_use_up_the_key(gateway, sandbox):
    tenant = gateway.tenants[0]
    key = new_key()
    invalid = gateway.call("POST", tenant, key=key, json={"name": "Bad Co", "not_a_field": 1})
    assert_error(invalid, 400, "not_a_field")
    fixed = gateway.call("POST", tenant, key=key, json={"name": "Bad Co"})
    assert fixed.status_code == 200, fixed.text
    assert "idempotent-replayed" not in fixed.headers


def test_stored_answers_are_encrypted_at_rest(gateway):
    tenant = gateway.tenants[0]
    marker = f"Secret Customer {uuid.uuid4().hex}"
    assert gateway.call("POST", tenant, key=new_key(), json={"name": marker}).status_code == 200

    async def stored() -> list[bytes]:
        engine = create_async_engine(gateway.settings.resolved_database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT response_ciphertext FROM idempotency_keys WHERE state = 'done'"))
                return [bytes(row[0]) for row in rows]
        finally:
            await engine.dispose()

    answers = asyncio.run(stored())
    assert answers
    assert not any(marker.encode() in answer for answer in answers)


def test_the_openapi_document_offers_the_header_on_writes(gateway):
    spec = requests.get(f"{gateway.url}/openapi.json", timeout=10).json()
    accounts = spec["paths"]["/unified/crm/accounts"]
    one = spec["paths"]["/unified/crm/accounts/{id}"]
    for operation in (accounts["post"], one["patch"]):
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"]
        assert {"409", "422"} <= set(operation["responses"])
    assert not [p for p in accounts["get"]["parameters"] if p["in"] == "header"]


def test_an_unreachable_key_store_sends_nothing_and_limits_fail_open(sandbox, tmp_path, database_url):
    # Nothing listens on this Redis port: keys cannot be claimed and counts cannot be kept.
    settings = gateway_settings(sandbox, tmp_path, database_url, redis_url="redis://127.0.0.1:9/0",
                                limit_per_token="1/1h")
    running = start_gateway(settings, make_tokens(settings, ["idem-no-redis"]))
    try:
        tenant = running.tenants[0]
        tenant.account_id = add_account(running, tenant)
        write = running.call("POST", tenant, key=new_key(), json={"name": "Unrecorded Co"})
        assert_error(write, 503, "Redis is not answering", "not served")
        assert write.headers["retry-after"] == "2"  # UNIGATE_STORE_RETRY_INTERVAL
        assert creates_sent(sandbox) == []
        # The limit of one call per hour cannot be counted, so it lets calls through.
        assert [running.call("GET", tenant, params={"limit": 1}).status_code for _ in range(2)] == [200, 200]
    finally:
        running.stop()
