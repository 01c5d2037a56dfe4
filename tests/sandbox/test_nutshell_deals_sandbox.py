"""The Nutshell emulator's leads, stagesets and stages speak the REST API (https://app.nutshell.com/swagger.json)
and refuse what it refuses: more than one lead per create, a lead without a description, a JSON Patch sent with
another content type or empty, a stage outside the lead's pipeline, links to records that do not exist."""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox import nutshell

AUTH = (nutshell.SANDBOX_USERNAME, nutshell.SANDBOX_API_KEY)
PATCH = {"Content-Type": "application/json-patch+json"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("nutshell")
    control.reset()
    yield control
    control.reset()


def call(ctl, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{ctl.url}/rest{path}", auth=AUTH, timeout=10, **kwargs)


def title(response: requests.Response) -> str:
    return response.json()["errors"][0]["title"]


def test_seeded_leads_sit_in_their_pipelines_stages_with_accounts_people_and_currencies(ctl):
    leads = ctl.records("opportunities")
    stages = {s["id"]: s for s in ctl.records("stages")}
    assert all(stages[x["links"]["stage"]]["links"]["stageset"] == x["links"]["stageset"] for x in leads)
    assert {x["value"]["currency"] for x in leads} == {"USD", "EUR", "GBP"}
    assert {x["status"] for x in leads} == {"open", "won", "lost"}
    accounts = {a["id"]: a for a in ctl.records("accounts")}
    linked = [x for x in leads if x["links"]["accounts"]]
    assert len(linked) > len(leads) // 2
    assert all(set(x["links"]["contacts"]) <= set(accounts[x["links"]["accounts"][0]]["links"]["contacts"])
               for x in linked)


def test_stagesets_and_stages_are_bare_arrays(ctl):
    stagesets = call(ctl, "GET", "/stagesets").json()
    stages = call(ctl, "GET", "/stages").json()
    assert isinstance(stagesets, list) and [s["default"] for s in stagesets].count(True) == 1
    assert isinstance(stages, list) and all(s["links"]["stageset"] for s in stages)


def test_a_create_takes_exactly_one_lead_with_a_description(ctl):
    one = {"description": "Emulator lead", "manualValue": "99.50"}
    assert call(ctl, "POST", "/leads", json={"leads": [one, one]}).status_code == 400
    assert call(ctl, "POST", "/leads", json={"leads": [{"manualValue": "1"}]}).status_code == 422
    assert call(ctl, "POST", "/leads", json={"leads": [{**one, "manualValue": "a lot"}]}).status_code == 422
    assert call(ctl, "POST", "/leads", json={"leads": [{**one, "links": {"accounts": ["999-accounts"]}}]}
                ).status_code == 422
    created = call(ctl, "POST", "/leads", json={"leads": [one]})
    assert created.status_code == 201
    lead = created.json()["leads"][0]
    assert lead["name"] == lead["description"] == "Emulator lead"
    assert lead["value"]["amount"] == 99.5 and lead["links"]["stageset"] == "1-stagesets"
    assert lead["links"]["stage"] == "101-stages"    # the default pipeline's first stage


def test_patches_are_json_patch_and_a_stage_stays_in_the_leads_pipeline(ctl):
    lead = next(x for x in ctl.records("opportunities") if x["links"]["stageset"] == "1-stagesets")
    other = next(s for s in ctl.records("stages") if s["links"]["stageset"] == "2-stagesets")
    op = [{"op": "replace", "path": "/leads/0/links/stage", "value": other["id"]}]
    assert call(ctl, "PATCH", f"/leads/{lead['id']}", json=op).status_code == 400        # application/json
    assert call(ctl, "PATCH", f"/leads/{lead['id']}", json=[], headers=PATCH).json()["errors"][0]["title"] \
        == "No patches sent"
    refused = call(ctl, "PATCH", f"/leads/{lead['id']}", json=op, headers=PATCH)
    assert refused.status_code == 422 and title(refused) == "Invalid stage link"
    moved = call(ctl, "POST", f"/leads/{lead['id']}/stageset", json={"stageset": "2-stagesets"}).json()["leads"][0]
    assert moved["links"]["stage"] == other["id"]     # the pipeline's first stage
    last = max((s for s in ctl.records("stages") if s["links"]["stageset"] == "2-stagesets"),
               key=lambda s: s["position"])
    ok = call(ctl, "PATCH", f"/leads/{lead['id']}", headers=PATCH,
              json=[{"op": "replace", "path": "/leads/0/links/stage", "value": last["id"]}])
    assert ok.status_code == 204 and not ok.content
    assert call(ctl, "GET", f"/leads/{lead['id']}").json()["leads"][0]["links"]["stage"] == last["id"]


def test_delete_answers_the_lead_and_keeps_it_in_the_trash(ctl):
    lead = ctl.records("opportunities")[0]
    deleted = call(ctl, "DELETE", f"/leads/{lead['id']}")
    assert deleted.status_code == 200 and deleted.json()["leads"][0]["deletedTime"]
    assert call(ctl, "DELETE", f"/leads/{lead['id']}").status_code == 404
    assert call(ctl, "POST", f"/leads/{lead['id']}/undelete").json()["leads"][0].get("deletedTime") is None
