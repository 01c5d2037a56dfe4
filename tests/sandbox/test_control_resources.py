"""The control API per resource: `/__control/<crm>/records/<resource>` and per-resource reset counts."""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox.server import discover_emulators


@pytest.fixture
def hubspot(sandbox):
    ctl = sandbox.control("hubspot")
    yield ctl
    ctl.reset()


def test_every_emulator_lists_accounts_among_its_resources(sandbox):
    for name in discover_emulators():
        answer = requests.get(f"{sandbox.url}/__control/{name}/records", timeout=5)
        assert answer.status_code == 400, name
        assert "accounts" in answer.json()["resources"], name
        assert isinstance(sandbox.control(name).records("accounts"), list), name


def test_an_unknown_resource_answers_404_with_the_resources(sandbox):
    answer = requests.get(f"{sandbox.url}/__control/hubspot/records/widgets", timeout=5)
    assert answer.status_code == 404
    assert answer.json() == {"error": "hubspot has no resource 'widgets'", "resources": ["accounts", "contacts"]}


def test_reset_seeds_the_count_asked_for_each_resource(hubspot):
    assert hubspot.reset(7) == {"reset": "hubspot", "records": {"accounts": 7, "contacts": 7}}
    assert len(hubspot.records()) == 7
    assert hubspot.reset(counts={"accounts": 3}) == {"reset": "hubspot", "records": {"accounts": 3, "contacts": 60}}
    assert hubspot.reset(counts={"accounts": 3, "contacts": 2})["records"] == {"accounts": 3, "contacts": 2}
    assert hubspot.reset(5, resource="accounts")["records"] == {"accounts": 5, "contacts": 60}
    assert hubspot.reset()["records"] == {"accounts": 60, "contacts": 60}


@pytest.mark.parametrize("body", [
    {"count": -1}, {"count": "5"}, {"count": True}, {"count": 1_000_001},
    {"resource": "widgets", "count": 1}, {"counts": {"widgets": 1}}, {"counts": [1]},
    {"resource": "accounts"}, {"size": 1},
])
def test_a_bad_reset_answers_400_and_keeps_the_records(sandbox, hubspot, body):
    hubspot.reset(4)
    answer = requests.post(f"{sandbox.url}/__control/hubspot/reset", json=body, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["resources"] == ["accounts", "contacts"]
    assert len(hubspot.records()) == 4
