"""The sandbox's generated large list answer (`POST /__control/<name>/large_list`), used by the
benchmark's streaming-memory figure (docs/benchmarks.md), and what the gateway makes of it."""

from __future__ import annotations

import orjson
import pytest
import requests

from unigate.sandbox.hubspot import SANDBOX_TOKEN

COMPANIES = "/crm/v3/objects/companies"
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}


@pytest.fixture
def hubspot(sandbox):
    control = sandbox.control("hubspot")
    control.reset(30)
    yield control
    requests.delete(f"{sandbox.url}/__control/hubspot/large_list", timeout=5)
    control.reset()


def arm(sandbox, name: str, body) -> requests.Response:
    return requests.post(f"{sandbox.url}/__control/{name}/large_list", json=body, timeout=5)


def test_next_list_answers_with_a_generated_body_of_the_asked_size(sandbox, hubspot):
    size = 2_000_000
    armed = arm(sandbox, "hubspot", {"bytes": size})
    assert armed.status_code == 200
    assert armed.json() == {"large_list": COMPANIES, "bytes": size}
    response = requests.get(hubspot.url + COMPANIES, headers=AUTH, timeout=30, stream=True)
    assert response.status_code == 200
    assert "content-length" not in response.headers  # produced while sent, never sized up front
    assert response.headers["content-type"].startswith("application/json")
    raw = b"".join(response.iter_content(None))
    # At least the asked size; past it by less than one block of (at most 100) records.
    assert size <= len(raw) < size + 200_000
    body = orjson.loads(raw)
    assert list(body) == ["results"]
    seeded = {record["id"]: record for record in hubspot.records()}
    assert len(body["results"]) > 1000
    # HubSpot's list envelope around the seeded companies, each with all its properties.
    assert {record["id"] for record in body["results"]} == set(seeded)
    first = body["results"][0]
    assert first["properties"] == seeded[first["id"]]["properties"]
    assert first["archived"] is False


def test_it_is_one_shot_and_other_requests_are_unchanged(sandbox, hubspot):
    assert arm(sandbox, "hubspot", {"bytes": 50_000}).status_code == 200
    single = requests.get(f"{hubspot.url}{COMPANIES}/18000000001", headers=AUTH, timeout=10)
    assert single.status_code == 200 and single.json()["id"] == "18000000001"  # a get is not a list
    large = requests.get(hubspot.url + COMPANIES, headers=AUTH, timeout=10)
    assert len(large.content) >= 50_000
    normal = requests.get(hubspot.url + COMPANIES, headers=AUTH, params={"limit": 5}, timeout=10)
    assert normal.status_code == 200
    assert len(normal.json()["results"]) == 5
    assert normal.json()["paging"]["next"]["after"] == "18000000006"
    # Both list requests were recorded like any other.
    assert [r["method"] for r in hubspot.requests()] == ["GET", "GET", "GET"]


def test_reset_and_delete_disarm_it(sandbox, hubspot):
    for disarm in (lambda: hubspot.reset(30),
                   lambda: requests.delete(f"{sandbox.url}/__control/hubspot/large_list", timeout=5)):
        assert arm(sandbox, "hubspot", {"bytes": 50_000}).status_code == 200
        disarm()
        listed = requests.get(hubspot.url + COMPANIES, headers=AUTH, timeout=10)
        assert len(listed.json()["results"]) == 10  # HubSpot's default page


@pytest.mark.parametrize("body", [{}, {"bytes": 0}, {"bytes": "100"}, {"bytes": 1.5}, {"bytes": True}, [1]])
def test_bad_sizes_are_refused(sandbox, hubspot, body):
    response = arm(sandbox, "hubspot", body)
    assert response.status_code == 400
    assert "bytes must be an integer" in response.json()["error"]


def test_emulators_without_it_and_unknown_names_are_refused(sandbox):
    assert arm(sandbox, "pipedrive", {"bytes": 1000}).status_code == 400
    assert "offers no large list" in arm(sandbox, "pipedrive", {"bytes": 1000}).json()["error"]
    assert arm(sandbox, "nosuchcrm", {"bytes": 1000}).status_code == 404


def test_empty_hubspot_offers_none(sandbox):
    control = sandbox.control("hubspot")
    control.reset(0)
    try:
        response = arm(sandbox, "hubspot", {"bytes": 1000})
        assert response.status_code == 400
    finally:
        control.reset()


def test_gateway_streams_it_in_the_stream_format(gateway, hubspot):
    """`truto_response_format=stream` passes the provider's list body through as it arrives."""
    size = 3_000_000
    assert arm(gateway.sandbox, "hubspot", {"bytes": size}).status_code == 200
    hubspot.clear_requests()
    response = gateway.unified("GET", "hubspot", params={"truto_response_format": "stream", "limit": 100},
                               stream=True)
    assert response.status_code == 200
    assert "content-length" not in response.headers
    received = 0
    chunks = 0
    parts = []
    for chunk in response.iter_content(64 * 1024):
        received += len(chunk)
        chunks += 1
        parts.append(chunk)
    assert received >= size and chunks > 10
    assert len(orjson.loads(b"".join(parts))["results"]) > 1000
    # besides the portal's property definitions (read once per account), one list call
    sent = [r for r in hubspot.requests() if not r["path"].endswith("/crm/v3/properties/companies")]
    assert [(r["method"], r["path"].endswith(COMPANIES)) for r in sent] == [("GET", True)]
    assert ("limit", "100") in [tuple(p) for p in sent[0]["query_params"]]
