"""Outreach opportunities and opportunity stages through the gateway: the mappings against the records the
sandbox stores, and the writes as Outreach receives them
(https://developers.outreach.io/api/reference/tag/Opportunity/, .../Opportunity-Stage/)."""

from __future__ import annotations

from support import list_all

NAME = "outreach"


def expected_status(stage: dict, deal: dict) -> str:
    attributes = stage["attributes"]
    if not attributes["isClosed"]:
        return "open"
    return "lost" if "lost" in attributes["name"].lower() or deal["attributes"]["lostReason"] else "won"


def test_every_listed_deal_maps_from_the_stored_record(gateway, ctl):
    stored = {str(d["id"]): d for d in ctl.records("opportunities")}
    stages = {s["id"]: s for s in ctl.records("stages")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="opportunities") for r in page]
    assert len(listed) == len(stored)
    statuses = set()
    for record in listed:
        deal = stored[record["id"]]
        a, rel = deal["attributes"], deal["relationships"]
        stage = stages[rel["opportunityStage"]["data"]["id"]]
        assert record["name"] == a["name"]
        assert record["amount"] == float(a["amountPrecise"])
        assert record["currency"] == a["currencyType"]
        assert record["stage"] == {"id": str(stage["id"]), "name": stage["attributes"]["name"]}
        assert record["status"] == expected_status(stage, deal)
        assert record["account"] == {"id": str(rel["account"]["data"]["id"])}
        assert record["owner"] == {"id": str(rel["owner"]["data"]["id"])}
        prospect = rel["primaryProspect"]["data"]
        assert record.get("contact") == ([{"id": str(prospect["id"])}] if prospect else None)
        assert record["close_date"] == a["closeDate"].replace(".000Z", "Z")
        assert record["custom_fields"]["custom1"] == a["custom1"]
        assert record.get("tags") == ([{"name": t} for t in a["tags"]] or None)
        statuses.add(record["status"])
    assert statuses == {"open", "won", "lost"}


def test_a_create_sends_outreachs_document_and_reads_the_deal_back(gateway, ctl):
    prospect = ctl.records("contacts")[0]
    account_id = prospect["relationships"]["account"]["data"]["id"]
    stage = ctl.records("stages")[3]
    ctl.clear_requests()
    sent = {"name": "Gateway deal", "amount": 1234.5, "currency": "GBP", "owner": {"id": "4"},
            "account": {"id": str(account_id)}, "contact": [{"id": str(prospect["id"])}],
            "stage": {"id": str(stage["id"])}, "tags": [{"name": "inbound"}], "custom_fields": {"custom2": 7},
            "close_date": "2027-03-31T22:30:00-05:00", "description": "From the gateway"}
    created = gateway.unified("POST", NAME, json=sent, resource="opportunities")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/api/v2/opportunities")
    assert post["body"] == {"data": {"type": "opportunity", "attributes": {
        "name": "Gateway deal", "description": "From the gateway", "amount": 1234, "amountPrecise": "1234.5",
        "currencyType": "GBP", "closeDate": "2027-04-01T03:30:00Z", "tags": ["inbound"], "custom2": "7"},
        "relationships": {
            "owner": {"data": {"type": "user", "id": 4}},
            "account": {"data": {"type": "account", "id": account_id}},
            "primaryProspect": {"data": {"type": "prospect", "id": prospect["id"]}},
            "opportunityStage": {"data": {"type": "opportunityStage", "id": stage["id"]}}}}}
    body = created.json()
    assert body["amount"] == 1234.5 and body["status"] == "open"
    assert body["stage"] == {"id": str(stage["id"]), "name": stage["attributes"]["name"]}


def test_moving_to_a_closed_stage_is_how_a_deal_is_won_or_lost(gateway, ctl):
    deal_id = str(ctl.records("opportunities")[0]["id"])
    stages = {s["attributes"]["name"]: str(s["id"]) for s in ctl.records("stages")}
    for stage_name, status in (("Closed Won", "won"), ("Closed Lost", "lost"), ("Discovery", "open")):
        moved = gateway.unified("PATCH", NAME, deal_id, json={"stage": {"id": stages[stage_name]}},
                                resource="opportunities")
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status and moved.json()["stage"]["name"] == stage_name
    refused = gateway.unified("PATCH", NAME, deal_id, json={"status": "won"}, resource="opportunities")
    assert refused.status_code == 400, refused.text


def test_more_than_one_contact_is_refused_before_outreach(gateway, ctl):
    prospects = ctl.records("contacts")[:2]
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, resource="opportunities",
                               json={"name": "Two people", "contact": [{"id": str(p["id"])} for p in prospects]})
    assert response.status_code == 400
    assert "one primary prospect" in response.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_stages_map_from_opportunity_stages_and_a_new_one_goes_last(gateway, ctl):
    stored = ctl.records("stages")
    listed = [r for page in list_all(gateway, NAME, limit=7, resource="stages") for r in page]
    assert [(s["id"], s["name"], s["position"], s["status"]) for s in listed] == [
        (str(s["id"]), s["attributes"]["name"], s["attributes"]["order"], "active") for s in stored]
    assert all("pipeline" not in s for s in listed)
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={"name": "Onboarding"}, resource="stages")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    last = max(s["attributes"]["order"] for s in stored)
    assert post["body"] == {"data": {"type": "opportunityStage", "attributes": {"name": "Onboarding", "order": last + 1}}}
    assert created.json()["position"] == last + 1
    moved = gateway.unified("PATCH", NAME, created.json()["id"], json={"position": 2}, resource="stages")
    assert moved.status_code == 200 and moved.json()["position"] == 2


def test_outreach_maps_no_pipelines(gateway, ctl):
    response = gateway.unified("GET", NAME, resource="pipelines")
    assert response.status_code in (404, 405), response.text
