"""The control API per resource: `/__control/<crm>/records/<resource>` and per-resource reset counts."""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox.server import discover_emulators

# HubSpot's resources in seeding order, and how many of each a reset seeds by default (pipelines: the
# default one and 15 custom ones). Property definitions and groups are the portal's configuration: a reset
# restores them whatever count it names (CONFIGURATION).
HUBSPOT_RESOURCES = ["accounts", "contacts", "leads", "pipelines", "opportunities", "notes", "tasks", "engagements",
                     "users", "fields", "field_groups"]
CONFIGURATION = {"fields": 103, "field_groups": 30}
DEFAULTS = {"accounts": 60, "contacts": 60, "leads": 60, "pipelines": 16, "opportunities": 60, "notes": 60, "tasks": 60,
            "engagements": 60, "users": 16, **CONFIGURATION}


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
    assert answer.json() == {"error": "hubspot has no resource 'widgets'", "resources": HUBSPOT_RESOURCES}


def test_reset_seeds_the_count_asked_for_each_resource(hubspot):
    every = {**{name: 7 for name in HUBSPOT_RESOURCES}, **CONFIGURATION}
    assert hubspot.reset(7) == {"reset": "hubspot", "records": every}
    assert len(hubspot.records()) == 7
    assert hubspot.reset(counts={"accounts": 3}) == {"reset": "hubspot", "records": {**DEFAULTS, "accounts": 3}}
    assert hubspot.reset(counts={"accounts": 3, "contacts": 2})["records"] == {**DEFAULTS, "accounts": 3,
                                                                              "contacts": 2}
    assert hubspot.reset(5, resource="accounts")["records"] == {**DEFAULTS, "accounts": 5}
    assert hubspot.reset()["records"] == DEFAULTS


@pytest.mark.parametrize("body", [
    {"count": -1}, {"count": "5"}, {"count": True}, {"count": 1_000_001},
    {"resource": "widgets", "count": 1}, {"counts": {"widgets": 1}}, {"counts": [1]},
    {"resource": "accounts"}, {"size": 1},
])
def test_a_bad_reset_answers_400_and_keeps_the_records(sandbox, hubspot, body):
    hubspot.reset(4)
    answer = requests.post(f"{sandbox.url}/__control/hubspot/reset", json=body, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["resources"] == HUBSPOT_RESOURCES
    assert len(hubspot.records()) == 4
