"""Nutshell leads (its deals), stagesets and stages through the gateway: the mappings against the records the
sandbox stores, and the calls Nutshell receives (https://app.nutshell.com/swagger.json, /leads, /stagesets,
/stages)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import list_all

NAME = "nutshell"
STATUS = {"open": "open", "pending": "open", "won": "won", "lost": "lost", "cancelled": "lost"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def expected_lead(lead: dict, stage_names: dict[str, str]) -> dict:
    links = lead["links"]
    closing = lead["closedTime"] or lead["anticipatedClosedTime"]
    out = {
        "id": lead["id"], "name": lead["name"], "amount": lead["value"]["amount"],
        "currency": lead["value"]["currency"], "owner": {"id": links["owner"]},
        "account": {"id": links["accounts"][0]} if links["accounts"] else None,
        "contact": [{"id": c} for c in links["contacts"]] or None,
        "stage": {"id": links["stage"], "name": stage_names[links["stage"]]},
        "status": STATUS[lead["status"]], "tags": [{"id": t} for t in links["tags"]] or None,
        "close_date": iso(closing["timestamp"]) if closing else None,
        "created_at": iso(lead["createdTime"]["timestamp"]),
    }
    return {k: v for k, v in out.items() if v is not None}


def same(record: dict, expected: dict) -> None:
    for key in ("close_date", "created_at"):   # the gateway writes milliseconds
        if key in record:
            assert datetime.fromisoformat(record.pop(key).replace("Z", "+00:00")) == \
                datetime.fromisoformat(expected.pop(key).replace("Z", "+00:00"))
    assert record == expected


def test_every_listed_lead_maps_from_the_stored_record(gateway, ctl):
    stored = {lead["id"]: lead for lead in ctl.records("opportunities")}
    names = {s["id"]: s["name"] for s in ctl.records("stages")}
    listed = [r for page in list_all(gateway, NAME, limit=20, resource="opportunities") for r in page]
    assert len(listed) == len(stored)
    assert {r["currency"] for r in listed} == {"USD", "EUR", "GBP"}
    assert {r["status"] for r in listed} == {"open", "won", "lost"}
    for record in listed:
        assert record.pop("remote_data")["id"] == record["id"]
        same(record, expected_lead(stored[record["id"]], names))


def test_a_create_sends_one_lead_in_the_stages_pipeline(gateway, ctl):
    stage = next(s for s in ctl.records("stages") if s["links"]["stageset"] == "2-stagesets" and s["position"] == 2)
    account = next(a for a in ctl.records("accounts") if a["links"]["contacts"])
    ctl.clear_requests()
    sent = {"name": "Gateway lead", "amount": 2500.5, "owner": {"id": "2-users"}, "account": {"id": account["id"]},
            "contact": [{"id": account["links"]["contacts"][0]}], "stage": {"id": stage["id"]},
            "close_date": "2027-03-31T00:00:00Z", "tags": [{"id": "1-tags"}]}
    created = gateway.unified("POST", NAME, json=sent, resource="opportunities")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/rest/leads")
    assert post["body"] == {"leads": [{
        "description": "Gateway lead", "manualValue": "2500.5", "anticipatedClosedTime": "2027-03-31T00:00:00Z",
        "links": {"accounts": [account["id"]], "contacts": [account["links"]["contacts"][0]], "owner": "2-users",
                  "tags": ["1-tags"], "stageset": "2-stagesets", "stage": stage["id"]}}]}
    body = created.json()
    assert body["stage"] == {"id": stage["id"], "name": stage["name"]} and body["amount"] == 2500.5


def test_a_stage_of_another_pipeline_moves_the_lead_there_first(gateway, ctl):
    lead = next(x for x in ctl.records("opportunities") if x["links"]["stageset"] == "1-stagesets")
    target = next(s for s in ctl.records("stages") if s["links"]["stageset"] == "3-stagesets" and s["position"] == 1)
    ctl.clear_requests()
    moved = gateway.unified("PATCH", NAME, lead["id"], json={"stage": {"id": target["id"]}}, resource="opportunities")
    assert moved.status_code == 200, moved.text
    writes = [(r["method"], r["path"].rsplit("/rest", 1)[-1], r["body"]) for r in ctl.requests()
              if r["method"] in ("POST", "PATCH")]
    assert writes == [("POST", f"/leads/{lead['id']}/stageset", {"stageset": "3-stagesets"}),
                      ("PATCH", f"/leads/{lead['id']}", [{"op": "replace", "path": "/leads/0/links/stage",
                                                          "value": target["id"]}])]
    stored = next(x for x in ctl.records("opportunities") if x["id"] == lead["id"])
    assert (stored["links"]["stageset"], stored["links"]["stage"]) == ("3-stagesets", target["id"])


def test_a_stage_nutshell_does_not_have_is_refused_before_anything_is_sent(gateway, ctl):
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json={"name": "Nowhere", "stage": {"id": "999-stages"}},
                               resource="opportunities")
    assert response.status_code == 400 and "999-stages" in response.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_pipelines_nest_their_stages_and_are_read_one_by_one_from_the_list(gateway, ctl):
    stages = ctl.records("stages")
    pipelines = [p for page in list_all(gateway, NAME, limit=10, resource="pipelines") for p in page]
    assert len(pipelines) == len(ctl.records("pipelines"))
    for pipeline in pipelines:
        own = sorted((s for s in stages if s["links"]["stageset"] == pipeline["id"]), key=lambda s: s["position"])
        assert [s["id"] for s in pipeline["stages"]] == [s["id"] for s in own]
    one = gateway.unified("GET", NAME, "2-stagesets", resource="pipelines")
    assert one.status_code == 200 and one.json()["name"] == "Enterprise"
    stage = gateway.unified("GET", NAME, stages[0]["id"], resource="stages").json()
    assert stage["pipeline"] == {"id": "1-stagesets", "name": "Sales Process"} and stage["position"] == 0
    assert gateway.unified("GET", NAME, "77-stagesets", resource="pipelines").status_code == 404


@pytest.mark.parametrize("resource", ["pipelines", "stages"])
def test_writes_nutshell_does_not_offer_say_why(gateway, ctl, resource):
    response = gateway.unified("POST", NAME, json={"name": "New"}, resource=resource)
    assert response.status_code == 405
    assert "no stage" in response.json()["message"]
