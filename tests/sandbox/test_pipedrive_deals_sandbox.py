"""The Pipedrive emulator's deals, pipelines and stages speak Pipedrive's API v2
(https://developers.pipedrive.com/docs/api/v1/Deals, .../Pipelines, .../Stages, API v2 tabs) and refuse what
it refuses: a deal without a title, values of the wrong type, a stage that is not in the pipeline sent
with it, fields that only go with another status."""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox.pipedrive import ERROR_INFO, SANDBOX_API_TOKEN

DEALS = "/api/v2/deals"
PIPELINES = "/api/v2/pipelines"
STAGES = "/api/v2/stages"
AUTH = {"x-api-token": SANDBOX_API_TOKEN}


@pytest.fixture
def pipedrive(sandbox):
    control = sandbox.control("pipedrive")
    control.reset()
    yield control
    control.reset()


def call(control, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, control.url + path, headers=AUTH, timeout=10, **kwargs)


def refused(response: requests.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False and body["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
    assert body["error_info"] == ERROR_INFO and body["data"] is None
    assert f"{field}:" in body["error"], body["error"]


def stages_of(control, pipeline_id: int) -> list[dict]:
    return call(control, "GET", STAGES, params={"pipeline_id": pipeline_id, "limit": 500}).json()["data"]


def test_seeded_deals_sit_in_real_stages_with_organizations_persons_and_currencies(pipedrive):
    deals = pipedrive.records(resource="opportunities")
    stages = {s["id"]: s for s in pipedrive.records(resource="stages")}
    assert all(stages[d["stage_id"]]["pipeline_id"] == d["pipeline_id"] for d in deals)
    assert len({d["currency"] for d in deals}) > 1 and len({d["pipeline_id"] for d in deals}) > 1
    assert {d["status"] for d in deals} == {"open", "won", "lost"}
    persons = {p["id"]: p for p in pipedrive.records(resource="contacts")}
    assert all(persons[d["person_id"]]["org_id"] == d["org_id"] for d in deals if d["person_id"])


def test_list_filters_and_envelope(pipedrive):
    body = call(pipedrive, "GET", DEALS, params={"status": "won", "limit": 500}).json()
    assert body["success"] is True and set(body["additional_data"]) == {"next_cursor"}
    assert body["data"] and {d["status"] for d in body["data"]} == {"won"}
    pipeline_id = body["data"][0]["pipeline_id"]
    in_pipeline = call(pipedrive, "GET", DEALS, params={"pipeline_id": pipeline_id, "limit": 500}).json()["data"]
    assert in_pipeline and {d["pipeline_id"] for d in in_pipeline} == {pipeline_id}
    refused(call(pipedrive, "GET", DEALS, params={"status": "maybe"}), "status")


def test_a_deal_needs_a_title_and_numbers_as_numbers(pipedrive):
    refused(call(pipedrive, "POST", DEALS, json={"value": 10}), "title")
    refused(call(pipedrive, "POST", DEALS, json={"title": "X", "value": "10"}), "value")
    refused(call(pipedrive, "POST", DEALS, json={"title": "X", "currency": "XXX"}), "currency")
    refused(call(pipedrive, "POST", DEALS, json={"title": "X", "expected_close_date": "2027-03-31T00:00:00Z"}),
            "expected_close_date")
    refused(call(pipedrive, "POST", DEALS, json={"title": "X", "person_id": 990099}), "person_id")
    refused(call(pipedrive, "POST", DEALS, json={"title": "X", "surprise": 1}), "surprise")


def test_a_new_deal_starts_in_the_default_pipelines_first_stage(pipedrive):
    created = call(pipedrive, "POST", DEALS, json={"title": "Fresh"})
    assert created.status_code == 200, created.text  # API v2 creates answer 200
    deal = created.json()["data"]
    first_pipeline = min(pipedrive.records(resource="pipelines"), key=lambda p: p["order_nr"])
    assert deal["pipeline_id"] == first_pipeline["id"]
    assert deal["stage_id"] == stages_of(pipedrive, first_pipeline["id"])[0]["id"]
    assert (deal["status"], deal["currency"]) == ("open", "EUR")


def test_a_stage_implies_its_pipeline_and_a_mismatch_is_refused(pipedrive):
    deal = pipedrive.records(resource="opportunities")[0]
    other = next(p for p in pipedrive.records(resource="pipelines") if p["id"] != deal["pipeline_id"])
    target = stages_of(pipedrive, other["id"])[1]
    moved = call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"stage_id": target["id"]})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["data"]["pipeline_id"], moved.json()["data"]["stage_id"]) == (other["id"], target["id"])
    mismatch = call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}",
                    json={"stage_id": target["id"], "pipeline_id": deal["pipeline_id"]})
    refused(mismatch, "stage_id")
    refused(call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"stage_id": 990099}), "stage_id")
    by_pipeline = call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"pipeline_id": deal["pipeline_id"]})
    assert by_pipeline.json()["data"]["stage_id"] == stages_of(pipedrive, deal["pipeline_id"])[0]["id"]


def test_fields_that_go_with_a_status(pipedrive):
    deal = next(d for d in pipedrive.records(resource="opportunities") if d["status"] == "open")
    refused(call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"lost_reason": "Price"}), "lost_reason")
    refused(call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"won_time": "2026-01-02T03:04:05Z"}),
            "won_time")
    refused(call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"status": "stalled"}), "status")
    won = call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"status": "won"}).json()["data"]
    assert won["won_time"] and won["close_time"] and won["lost_time"] is None
    lost = call(pipedrive, "PATCH", f"{DEALS}/{deal['id']}", json={"status": "lost", "lost_reason": "Price"})
    assert lost.json()["data"]["lost_reason"] == "Price" and lost.json()["data"]["won_time"] is None


def test_delete_is_soft_and_a_deleted_deal_is_not_found(pipedrive):
    deal_id = pipedrive.records(resource="opportunities")[0]["id"]
    deleted = call(pipedrive, "DELETE", f"{DEALS}/{deal_id}")
    assert deleted.json() == {"success": True, "data": {"id": deal_id}}
    gone = call(pipedrive, "GET", f"{DEALS}/{deal_id}")
    assert gone.status_code == 404 and gone.json()["error"] == "Deal not found"
    assert next(d for d in pipedrive.records(resource="opportunities") if d["id"] == deal_id)["is_deleted"] is True


def test_stages_are_created_last_in_an_existing_pipeline(pipedrive):
    pipeline_id = pipedrive.records(resource="pipelines")[2]["id"]
    refused(call(pipedrive, "POST", STAGES, json={"name": "Orphan"}), "pipeline_id")
    refused(call(pipedrive, "POST", STAGES, json={"name": "Odd", "pipeline_id": pipeline_id,
                                                  "deal_probability": 150}), "deal_probability")
    created = call(pipedrive, "POST", STAGES, json={"name": "Review", "pipeline_id": pipeline_id})
    assert created.status_code == 200, created.text
    stages = stages_of(pipedrive, pipeline_id)
    assert stages[-1]["id"] == created.json()["data"]["id"]
    assert created.json()["data"]["order_nr"] == max(s["order_nr"] for s in stages)


def test_pipelines_need_a_name_and_take_their_stages_when_deleted(pipedrive):
    refused(call(pipedrive, "POST", PIPELINES, json={}), "name")
    refused(call(pipedrive, "POST", PIPELINES, json={"name": "P", "is_deal_probability_enabled": 1}),
            "is_deal_probability_enabled")
    created = call(pipedrive, "POST", PIPELINES, json={"name": "Partners 2"}).json()["data"]
    assert created["order_nr"] == max(p["order_nr"] for p in pipedrive.records(resource="pipelines"))
    pipeline_id = pipedrive.records(resource="pipelines")[1]["id"]
    assert stages_of(pipedrive, pipeline_id)
    assert call(pipedrive, "DELETE", f"{PIPELINES}/{pipeline_id}").json() == {"success": True,
                                                                              "data": {"id": pipeline_id}}
    assert call(pipedrive, "GET", f"{PIPELINES}/{pipeline_id}").status_code == 404
    assert stages_of(pipedrive, pipeline_id) == []
