"""The control API's switches: behaviours a vendor's sources leave open, set per emulator until the next reset
(`POST /__control/<name>/switches`)."""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox.server import discover_emulators

SWITCHED = {name: cls.switches for name, cls in discover_emulators().items() if cls.switches}


def test_some_emulators_declare_switches():
    assert {"hubspot", "pipedrive", "zoho_crm"} <= set(SWITCHED)


@pytest.mark.parametrize("name", sorted(SWITCHED))
def test_switches_start_at_their_defaults_take_each_value_and_reset(sandbox, name):
    control = sandbox.control(name)
    control.reset()
    url = f"{sandbox.url}/__control/{name}/switches"
    state = requests.get(url, timeout=5).json()
    choices = {switch: list(values) for switch, values in SWITCHED[name].items()}
    assert state == {"switches": {switch: values[0] for switch, values in choices.items()}, "choices": choices}
    for switch, values in choices.items():
        for value in values:
            assert control.switch(**{switch: value})["switches"][switch] == value
    control.reset()
    assert requests.get(url, timeout=5).json()["switches"] == state["switches"]


@pytest.mark.parametrize("name", sorted(SWITCHED))
def test_an_unknown_switch_or_value_is_refused_and_changes_nothing(sandbox, name):
    control = sandbox.control(name)
    control.reset()
    url = f"{sandbox.url}/__control/{name}/switches"
    before = requests.get(url, timeout=5).json()["switches"]
    switch = next(iter(SWITCHED[name]))
    for body in ({"no_such_switch": True}, {switch: "no such value"}, {switch: None},
                 {switch: SWITCHED[name][switch][-1], "no_such_switch": 1}, ["not", "an", "object"]):
        response = requests.post(url, json=body, timeout=5)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert requests.get(url, timeout=5).json()["switches"] == before


def test_switches_of_an_unknown_sandbox_are_404(sandbox):
    assert requests.get(f"{sandbox.url}/__control/no_such_crm/switches", timeout=5).status_code == 404
