"""Zoho CRM deals, stages and pipelines through the gateway: the mappings against the records the sandbox
stores, and the writes as Zoho receives them (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html,
module Deals; https://zoho.com/developer/docs/vertical-solutions/api/v6/get-pipelines.html)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import list_all

NAME = "zoho_crm"
STATUS = {"Open": "open", "Closed Won": "won", "Closed Lost": "lost"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()
    control.default_switches()


def utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_deal(deal: dict, stages: dict[str, dict]) -> dict:
    stage = stages[deal["Stage"]]
    custom = {k: deal[k] for k in ("Competitor", "Renewal", "Seats") if deal[k] is not None}
    out = {
        "id": deal["id"],
        "name": deal["Deal_Name"],
        "description": deal["Description"],
        "amount": deal["Amount"],
        "currency": deal["Currency"],
        "owner": {"id": deal["Owner"]["id"]},
        "account": {"id": deal["Account_Name"]["id"]} if deal["Account_Name"] else None,
        "contact": [{"id": deal["Contact_Name"]["id"]}] if deal["Contact_Name"] else None,
        "stage": {"id": deal["Stage"], "name": stage["display_value"]},
        "status": STATUS[stage["forecast_type"]],
        "tags": [{"id": t["id"], "name": t["name"]} for t in deal["Tag"]] or None,
        "custom_fields": custom or None,
        "last_activity_at": utc(deal["Last_Activity_Time"]) if deal["Last_Activity_Time"] else None,
        "close_date": deal["Closing_Date"] + "T00:00:00Z",
        "created_at": utc(deal["Created_Time"]),
        "updated_at": utc(deal["Modified_Time"]),
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_deal_maps_from_the_stored_record(gateway, ctl):
    stored = {d["id"]: d for d in ctl.records("opportunities")}
    stages = {s["actual_value"]: s for s in ctl.records("stages")}
    listed = [r for page in list_all(gateway, NAME, limit=50, resource="opportunities") for r in page]
    assert len(listed) == len(stored)
    assert {r["status"] for r in listed} == {"open", "won", "lost"}
    for record in listed:
        assert record.pop("remote_data")["id"] == record["id"]
        assert record == expected_deal(stored[record["id"]], stages)


def test_a_create_sends_zohos_fields_with_the_pipeline_holding_the_stage(gateway, ctl):
    contact = next(c for c in ctl.records("contacts") if c["Account_Name"])
    pipeline = ctl.records("pipelines")[2]
    stage = pipeline["maps"][1]
    ctl.clear_requests()
    sent = {"name": "Gateway deal", "amount": 1234.5, "currency": "EUR", "owner": {"id": "5725767000000411017"},
            "account": {"id": contact["Account_Name"]["id"]}, "contact": [{"id": contact["id"]}],
            "stage": {"id": stage["actual_value"]}, "tags": [{"name": "Hot"}], "custom_fields": {"Seats": 12},
            "close_date": "2027-03-31T22:30:00-05:00"}
    created = gateway.unified("POST", NAME, json=sent, resource="opportunities")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/crm/v8/Deals")
    # the first pipeline holding the stage (the default Standard one holds them all)
    assert post["body"] == {"data": [{
        "Deal_Name": "Gateway deal", "Amount": 1234.5, "Currency": "EUR", "Owner": {"id": "5725767000000411017"},
        "Account_Name": {"id": contact["Account_Name"]["id"]}, "Contact_Name": {"id": contact["id"]},
        "Stage": stage["actual_value"], "Pipeline": "Standard", "Closing_Date": "2027-04-01",
        "Tag": [{"name": "Hot"}], "Seats": 12}]}
    body = created.json()
    assert body["stage"] == {"id": stage["actual_value"], "name": stage["display_value"]}
    assert body["close_date"] == "2027-04-01T00:00:00Z" and body["custom_fields"] == {"Seats": 12}


def test_a_move_keeps_the_deal_in_its_pipeline_when_it_holds_the_stage(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["Pipeline"] != "Standard")
    own = next(p for p in ctl.records("pipelines") if p["display_value"] == deal["Pipeline"])
    target = next(m for m in own["maps"] if m["actual_value"] != deal["Stage"])
    ctl.clear_requests()
    moved = gateway.unified("PATCH", NAME, deal["id"], json={"stage": {"id": target["actual_value"]}},
                            resource="opportunities")
    assert moved.status_code == 200, moved.text
    put = next(r for r in ctl.requests() if r["method"] == "PUT")
    assert put["body"] == {"data": [{"Stage": target["actual_value"], "Pipeline": deal["Pipeline"]}]}
    # a stage the deal's pipeline lacks takes it to the first pipeline that has it
    outside = next(s for s in ctl.records("stages") if s["actual_value"] not in [m["actual_value"] for m in own["maps"]])
    moved = gateway.unified("PATCH", NAME, deal["id"], json={"stage": {"id": outside["actual_value"]}},
                            resource="opportunities")
    assert moved.status_code == 200, moved.text
    stored = next(d for d in ctl.records("opportunities") if d["id"] == deal["id"])
    assert (stored["Stage"], stored["Pipeline"]) == (outside["actual_value"], "Standard")


def test_a_stage_outside_the_pipeline_named_is_zohos_400(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    narrow = ctl.records("pipelines")[1]
    outside = next(s for s in ctl.records("stages") if s["actual_value"] not in [m["actual_value"] for m in narrow["maps"]])
    response = gateway.unified("PATCH", NAME, deal["id"], resource="opportunities",
                               json={"remote_data": {"data": [{"Stage": outside["actual_value"],
                                                               "Pipeline": narrow["display_value"]}]}})
    assert response.status_code == 400 and response.json()["truto_is_remote_error"] is True
    ctl.switch(stage_outside_pipeline="accept")
    response = gateway.unified("PATCH", NAME, deal["id"], resource="opportunities",
                               json={"remote_data": {"data": [{"Stage": outside["actual_value"],
                                                               "Pipeline": narrow["display_value"]}]}})
    assert response.status_code == 200, response.text


def test_status_and_a_second_contact_are_refused_before_zoho(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    contacts = ctl.records("contacts")[:2]
    ctl.clear_requests()
    won = gateway.unified("PATCH", NAME, deal["id"], json={"status": "won"}, resource="opportunities")
    two = gateway.unified("PATCH", NAME, deal["id"], json={"contact": [{"id": c["id"]} for c in contacts]},
                          resource="opportunities")
    assert won.status_code == 400 and "forecast type" in won.json()["message"]
    assert two.status_code == 400 and "one contact" in two.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "PUT"]


def test_an_empty_contact_list_clears_the_contact(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["Contact_Name"])
    ctl.clear_requests()
    cleared = gateway.unified("PATCH", NAME, deal["id"], json={"contact": []}, resource="opportunities")
    assert cleared.status_code == 200, cleared.text
    assert next(r for r in ctl.requests() if r["method"] == "PUT")["body"] == {"data": [{"Contact_Name": None}]}
    assert "contact" not in cleared.json()


def test_stages_are_the_stage_picklist_values(gateway, ctl):
    stored = ctl.records("stages")
    listed = [r for page in list_all(gateway, NAME, limit=50, resource="stages") for r in page]
    assert [(s.pop("remote_data")["id"], s) for s in listed] == [
        (v["id"], {"id": v["actual_value"], "name": v["display_value"], "position": v["sequence_number"],
                   "status": "active"}) for v in stored]
    slash = gateway.unified("GET", NAME, "Proposal/Price Quote", resource="stages")
    assert slash.status_code == 200 and slash.json()["name"] == "Proposal/Price Quote"
    assert gateway.unified("GET", NAME, "Nowhere", resource="stages").status_code == 404


def test_pipelines_nest_their_stages_in_order(gateway, ctl):
    stored = ctl.records("pipelines")
    listed = [r for page in list_all(gateway, NAME, limit=10, resource="pipelines") for r in page]
    assert len(listed) == len(stored)
    for pipeline, own in zip(listed, stored, strict=True):
        assert (pipeline["id"], pipeline["name"], pipeline["entity"]) == (own["id"], own["display_value"], "opportunity")
        assert pipeline["stages"] == [{"id": m["actual_value"], "name": m["display_value"], "status": "active",
                                       "pipeline": {"id": own["id"]}} for m in own["maps"]]
    ctl.clear_requests()
    got = gateway.unified("GET", NAME, stored[3]["id"], resource="pipelines")
    assert got.status_code == 200 and got.json()["name"] == stored[3]["display_value"]
    assert any("layout_id=" in r["query"] for r in ctl.requests() if "/settings/pipeline/" in r["path"])
    assert gateway.unified("GET", NAME, "5725767000000000000", resource="pipelines").status_code == 404
