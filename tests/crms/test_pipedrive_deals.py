"""Pipedrive deals, pipelines and stages through the gateway: the mappings against the records the sandbox
stores, and the writes as Pipedrive receives them (https://developers.pipedrive.com/docs/api/v1/Deals,
.../Pipelines, .../Stages, API v2 tabs)."""

from __future__ import annotations

import pytest
from support import list_all

NAME = "pipedrive"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def expected_deal(deal: dict, stage_names: dict[int, str]) -> dict:
    out = {
        "id": str(deal["id"]),
        "name": deal["title"],
        "amount": deal["value"],
        "currency": deal["currency"],
        "owner": {"id": str(deal["owner_id"])},
        "account": {"id": str(deal["org_id"])} if deal["org_id"] else None,
        "contact": [{"id": str(deal["person_id"])}] if deal["person_id"] else None,
        "stage": {"id": str(deal["stage_id"]), "name": stage_names[deal["stage_id"]]},
        "status": deal["status"],
        "tags": [{"id": str(i)} for i in deal["label_ids"]] or None,
        "custom_fields": {k: v for k, v in deal["custom_fields"].items() if v is not None} or None,
        "close_date": deal["expected_close_date"] + "T00:00:00Z",
        "created_at": deal["add_time"],
        "updated_at": deal["update_time"],
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_deal_maps_from_the_stored_record(gateway, ctl):
    stored = {str(d["id"]): d for d in ctl.records("opportunities")}
    names = {s["id"]: s["name"] for s in ctl.records("stages")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="opportunities") for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        assert record.pop("remote_data")["id"] == int(record["id"])
        assert record == expected_deal(stored[record["id"]], names)


def test_a_create_sends_pipedrives_fields_and_reads_the_deal_back(gateway, ctl):
    person = ctl.records("contacts")[0]
    stage = ctl.records("stages")[8]
    ctl.clear_requests()
    sent = {"name": "Gateway deal", "amount": 1234.5, "currency": "GBP", "owner": {"id": "13053346"},
            "account": {"id": str(person["org_id"])}, "contact": [{"id": str(person["id"])}],
            "stage": {"id": str(stage["id"])}, "status": "open", "tags": [{"id": "2"}],
            "close_date": "2027-03-31T22:30:00-05:00"}
    created = gateway.unified("POST", NAME, json=sent, resource="opportunities")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/deals")
    assert post["body"] == {"title": "Gateway deal", "value": 1234.5, "currency": "GBP", "owner_id": 13053346,
                            "org_id": person["org_id"], "person_id": person["id"], "stage_id": stage["id"],
                            "status": "open", "label_ids": [2], "expected_close_date": "2027-04-01"}
    body = created.json()
    assert body["stage"] == {"id": str(stage["id"]), "name": stage["name"]}
    stored = next(d for d in ctl.records("opportunities") if str(d["id"]) == body["id"])
    assert stored["pipeline_id"] == stage["pipeline_id"]  # the stage took the deal to its pipeline


def test_more_than_one_contact_is_refused_before_pipedrive(gateway, ctl):
    persons = ctl.records("contacts")[:2]
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, resource="opportunities",
                               json={"name": "Two people", "contact": [{"id": str(p["id"])} for p in persons]})
    assert response.status_code == 400
    assert "one contact" in response.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_status_is_written_and_the_crms_own_value_kept(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["status"] == "open")
    won = gateway.unified("PATCH", NAME, str(deal["id"]), json={"status": "won"}, resource="opportunities")
    assert won.status_code == 200, won.text
    assert won.json()["status"] == "won" and won.json()["remote_data"]["status"] == "won"
    assert won.json()["remote_data"]["won_time"]
    refused = gateway.unified("PATCH", NAME, str(deal["id"]), json={"status": "stalled"}, resource="opportunities")
    assert refused.status_code == 400 and refused.json()["truto_error_insight"]["invalid_body_fields"]


def test_a_stage_of_the_deals_pipeline_named_with_another_pipeline_is_pipedrives_400(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    foreign = next(s for s in ctl.records("stages") if s["pipeline_id"] != deal["pipeline_id"])
    response = gateway.unified("PATCH", NAME, str(deal["id"]), resource="opportunities",
                               json={"stage": {"id": str(foreign["id"])},
                                     "remote_data": {"pipeline_id": deal["pipeline_id"]}})
    assert response.status_code == 400 and response.json()["truto_is_remote_error"] is True
    assert next(d for d in ctl.records("opportunities") if d["id"] == deal["id"])["stage_id"] == deal["stage_id"]


def test_pipelines_nest_their_stages_in_order(gateway, ctl):
    stages = ctl.records("stages")
    listed = [r for page in list_all(gateway, NAME, limit=10, resource="pipelines") for r in page]
    assert len(listed) == len(ctl.records("pipelines"))
    for pipeline in listed:
        own = sorted((s for s in stages if str(s["pipeline_id"]) == pipeline["id"]), key=lambda s: s["order_nr"])
        assert pipeline["entity"] == "opportunity"
        assert pipeline["stages"] == [{"id": str(s["id"]), "name": s["name"], "status": "active",
                                       "pipeline": {"id": pipeline["id"]}} for s in own]


def test_stages_carry_position_and_their_pipelines_name(gateway, ctl):
    pipelines = {p["id"]: p["name"] for p in ctl.records("pipelines")}
    listed = [r for page in list_all(gateway, NAME, limit=50, resource="stages") for r in page]
    stored = {str(s["id"]): s for s in ctl.records("stages")}
    assert len(listed) == len(stored)
    for stage in listed:
        own = stored[stage["id"]]
        assert (stage["name"], stage["position"], stage["status"]) == (own["name"], own["order_nr"], "active")
        assert stage["pipeline"] == {"id": str(own["pipeline_id"]), "name": pipelines[own["pipeline_id"]]}


def test_a_stage_is_created_in_the_pipeline_named(gateway, ctl):
    pipeline = ctl.records("pipelines")[3]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="stages",
                              json={"name": "Security review", "pipeline": {"id": str(pipeline["id"])}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"] == {"name": "Security review", "pipeline_id": pipeline["id"]}
    assert created.json()["pipeline"] == {"id": str(pipeline["id"]), "name": pipeline["name"]}


def test_empty_contact_and_tag_lists_clear_them(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["person_id"] and d["label_ids"])
    ctl.clear_requests()
    cleared = gateway.unified("PATCH", NAME, str(deal["id"]), json={"contact": [], "tags": []},
                              resource="opportunities")
    assert cleared.status_code == 200, cleared.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["body"] == {"person_id": None, "label_ids": []}
    assert "contact" not in cleared.json() and "tags" not in cleared.json()
