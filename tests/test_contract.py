"""The unified contract, on every integration, end to end over loopback HTTP (gateway -> sandbox).

Parametrized over every integration folder, so a new CRM is held to the same contract as soon as
its files exist. Contract: research/truto-semantics.md §2-§6 and research/clients-and-jsonata.md.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest
import requests
from support import (
    ACCOUNTS_SCHEMA,
    INTEGRATIONS,
    accounts_mapping,
    assert_reads_back,
    list_all,
    sample_write_body,
    supports,
    wrong_credentials,
)

pytestmark = pytest.mark.parametrize("name", INTEGRATIONS)


@pytest.fixture(autouse=True)
def fresh_sandbox(sandbox, name):
    control = sandbox.control(name)
    control.reset()
    yield
    control.clear_faults()


def first_record(gateway, name) -> dict:
    response = gateway.unified("GET", name, params={"limit": 5})
    assert response.status_code == 200, response.text
    assert response.json()["result"], f"{name}: the sandbox seed gave no accounts"
    return response.json()["result"][0]


# -- list --------------------------------------------------------------------------------------------

def test_list_walks_every_page_without_duplicates(gateway, name):
    """List answers {result, next_cursor, prev_cursor, result_count}; cursors reach the end (§3)."""
    if not supports(name, "list"):
        pytest.skip(f"{name} has no list")
    pages = list_all(gateway, name, limit=7)
    ids = [record["id"] for page in pages for record in page]
    assert len(pages) >= 3, f"{name}: the seed should span several pages"
    assert len(ids) == len(set(ids)), f"{name}: duplicate ids across pages"
    assert all(isinstance(i, str) and i for i in ids)


def test_declared_fields_are_the_mapped_fields(gateway, name):
    """`supports.fields` (coverage, GET /integration) is exactly what the mapping fills on seed data."""
    if not supports(name, "list"):
        pytest.skip(f"{name} has no list")
    filled: set[str] = set()
    for page in list_all(gateway, name, limit=25)[:3]:
        for record in page:
            filled |= {k for k, v in record.items() if v not in (None, "", [], {})}
    declared = set(accounts_mapping(name).fields)
    filled.discard("remote_data")
    assert filled <= declared, f"{name}: fills undeclared fields {sorted(filled - declared)}"
    assert declared <= filled, f"{name}: declares fields the seed never fills {sorted(declared - filled)}"


# -- get, in every format -------------------------------------------------------------------------------

def test_get_unified_carries_remote_data(gateway, name):
    record = first_record(gateway, name)
    response = gateway.unified("GET", name, record["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == record["id"]
    assert isinstance(body["remote_data"], dict) and body["remote_data"]


def test_get_normalized_conforms_to_the_schema(gateway, name):
    """normalized: only schema fields, schema types, no null/empty values; validated by the JSON Schema."""
    record = first_record(gateway, name)
    body = gateway.unified("GET", name, record["id"], params={"truto_response_format": "normalized"}).json()
    errors = [e.message for e in ACCOUNTS_SCHEMA.validator.iter_errors(body)]
    assert not errors, errors
    assert all(v not in (None, "", [], {}) for v in body.values())
    for key in ("created_at", "updated_at", "last_activity_at"):
        if key in body:
            assert body[key].endswith("Z"), f"{key} is not UTC: {body[key]}"


def test_raw_and_stream_return_the_provider_body(gateway, name):
    """raw: the provider's status, content type and bytes; stream: the same bytes, streamed."""
    record = first_record(gateway, name)
    raw = gateway.unified("GET", name, record["id"], params={"truto_response_format": "raw"})
    assert raw.status_code == 200
    assert "json" in raw.headers["content-type"]
    provider_body = orjson.loads(raw.content)
    assert "remote_data" not in provider_body
    streamed = gateway.unified("GET", name, record["id"], params={"truto_response_format": "stream"}, stream=True)
    assert streamed.status_code == 200
    assert "content-length" not in streamed.headers  # chunked: passed on as it arrives
    assert orjson.loads(b"".join(streamed.iter_content(None)))
    listed = gateway.unified("GET", name, params={"truto_response_format": "raw", "limit": 3})
    assert listed.status_code == 200 and orjson.loads(listed.content)


def test_unknown_format_is_refused(gateway, name):
    response = gateway.unified("GET", name, params={"truto_response_format": "xml"})
    assert response.status_code == 400
    assert "unified, normalized, raw, stream" in response.json()["message"]


def test_ignore_remote_data_and_exclude_fields(gateway, name):
    record = first_record(gateway, name)
    body = gateway.unified("GET", name, record["id"],
                           params={"truto_ignore_remote_data": "true", "truto_exclude_fields[]": ["name", "addresses.city"]}).json()
    assert "remote_data" not in body and "name" not in body
    assert all("city" not in a for a in body.get("addresses") or [])


# -- writes ------------------------------------------------------------------------------------------

def test_create_reads_back_then_update_then_delete(gateway, name):
    """Create with every writable field, read it back, update it, delete it, and see it gone."""
    if not supports(name, "create"):
        pytest.skip(f"{name} cannot create accounts")
    existing = gateway.unified("GET", name, first_record(gateway, name)["id"]).json()
    sent = sample_write_body(name, existing)
    created = gateway.unified("POST", name, json=sent)
    assert created.status_code in (200, 201), created.text
    new_id = created.json()["id"]
    assert_reads_back(name, sent, created.json())
    fetched = gateway.unified("GET", name, new_id)
    assert fetched.status_code == 200, fetched.text
    assert_reads_back(name, sent, fetched.json())

    if supports(name, "update"):
        patch = {"name": sent["name"] + " renamed"}
        updated = gateway.unified("PATCH", name, new_id, json=patch)
        assert updated.status_code == 200, updated.text
        assert gateway.unified("GET", name, new_id).json()["name"] == patch["name"]

    deleted = gateway.unified("DELETE", name, new_id)
    assert deleted.status_code == 200, deleted.text
    assert deleted.headers["content-type"].startswith("application/json")
    assert deleted.json()["id"] == new_id
    assert gateway.unified("GET", name, new_id).status_code == 404


def test_delete_a_seeded_account(gateway, name):
    record = first_record(gateway, name)
    response = gateway.unified("DELETE", name, record["id"])
    assert response.status_code == 200, response.text
    assert response.json()["id"] == record["id"]
    after = gateway.unified("GET", name, record["id"])
    assert after.status_code == 404
    assert after.json()["truto_is_remote_error"] is True


def test_remote_data_in_a_write_reaches_the_provider(gateway, sandbox, name):
    if not supports(name, "update"):
        pytest.skip(f"{name} cannot update accounts")
    record = first_record(gateway, name)
    control = sandbox.control(name)
    control.clear_requests()
    marker = {"unigate_probe": "probe-value-7"}
    gateway.unified("PATCH", name, record["id"], json={"name": "Probe", "remote_data": marker})
    # Merged as given (or, where the integration declares it, turned into its write format, e.g. JSON Patch).
    bodies = [orjson.dumps(r["body"]) for r in control.requests() if r["method"] in ("PATCH", "PUT", "POST")]
    assert any(b"unigate_probe" in b and b"probe-value-7" in b for b in bodies), bodies


# -- provider errors ---------------------------------------------------------------------------------------

def test_provider_not_found_is_404(gateway, name):
    response = gateway.unified("GET", name, "990000000099")
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["truto_is_remote_error"] is True
    assert body["statusCode"] == 404 and body["error"] == "Not Found"
    assert "raw_response" in body and body["message"]


def test_provider_refusing_credentials_is_401(gateway, name):
    created = gateway.admin("POST", "/integrated-account",
                            json={"integration": name, "is_sandbox": True, "context": wrong_credentials(name)})
    assert created.status_code == 201, created.text
    response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": created.json()["id"]})
    assert response.status_code == 401, response.text
    assert response.json()["truto_is_remote_error"] is True
    assert "wrong-credential" not in response.text


def test_provider_rate_limit_is_429_with_retry_after(gateway, sandbox, name):
    sandbox.control(name).fault(status=429, body={"message": "slow down"}, headers={"Retry-After": "7"})
    response = gateway.unified("GET", name, params={"limit": 2})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["truto_error_insight"]["rate_limit_error"]


def test_provider_failure_is_502(gateway, sandbox, name):
    sandbox.control(name).fault(status=500, body={"message": "boom"})
    response = gateway.unified("GET", name, params={"limit": 2})
    assert response.status_code == 502
    assert response.json()["raw_response"] == {"message": "boom"}


def test_provider_too_slow_is_504(gateway, sandbox, name):
    sandbox.control(name).fault(delay=gateway.settings.read_timeout + 1.0)
    response = gateway.unified("GET", name, params={"limit": 2})
    assert response.status_code == 504
    assert "did not answer in time" in response.json()["message"]
    # the gateway keeps serving
    assert gateway.unified("GET", name, params={"limit": 2}).status_code == 200


@pytest.mark.parametrize("hostile", ["a/b", "a%2Fb", "a?b=c", "a#b", "..", "../..", "%2E%2E"])
def test_hostile_ids_stay_one_path_segment(gateway, sandbox, name, hostile):
    """An id is percent-encoded into the provider path: it can never change which path is called."""
    control = sandbox.control(name)
    gateway.unified("GET", name, "plainid")  # steps cached per account (discovery) run now, not in one call only
    control.clear_requests()
    encoded = requests.utils.quote(hostile, safe="").replace(".", "%2E")  # clients would fold a bare ..
    response = requests.get(f"{gateway.url}/unified/crm/accounts/{encoded}", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": gateway.accounts[name]})
    assert response.status_code in (400, 404), response.text
    recorded = control.requests()
    assert recorded, "the provider was called"
    for request in recorded:
        assert "/../" not in request["raw_path"] and not request["raw_path"].endswith("/..")
        assert request["raw_path"].startswith(f"/{name}/")
    control.clear_requests()
    gateway.unified("GET", name, "plainid")
    baseline = {r["raw_path"].count("/") for r in control.requests()}
    assert {r["raw_path"].count("/") for r in recorded} <= baseline


# -- Truto's own Python SDK ----------------------------------------------------------------------------

def test_truto_python_sdk_round_trip(gateway, name):
    """truto-python-sdk with base_url pointed at the gateway: list all pages, get, create, update, delete."""
    from truto_python_sdk import TrutoApi

    async def run():
        api = TrutoApi(token=gateway.token, base_url=gateway.url)
        query = {"integrated_account_id": gateway.accounts[name], "limit": 9}
        listed = await api.unified_api.list("crm", "accounts", dict(query)).to_array()
        direct = [r["id"] for page in list_all(gateway, name, limit=9) for r in page]
        assert [r["id"] for r in listed] == direct
        one = await api.unified_api.get("crm", "accounts", listed[0]["id"], dict(query))
        assert one["id"] == listed[0]["id"]
        if supports(name, "create"):
            existing = one
            sent = sample_write_body(name, existing)
            created = await api.unified_api.create("crm", "accounts", sent, dict(query))
            assert_reads_back(name, sent, created)
            target = created["id"]
            if supports(name, "update"):
                updated = await api.unified_api.update("crm", "accounts", target, {"name": "SDK renamed"}, dict(query))
                assert updated["name"] == "SDK renamed"
        else:
            target = listed[-1]["id"]
        deleted = await api.unified_api.delete("crm", "accounts", target, dict(query))
        assert deleted["id"] == target

    asyncio.run(run())
