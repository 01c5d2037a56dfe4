"""HubSpot deals, deal pipelines and stages through the gateway: the mappings against the records the sandbox
stores, and the writes as HubSpot receives them (https://developers.hubspot.com/docs/api/crm/deals,
https://developers.hubspot.com/docs/api/crm/pipelines)."""

from __future__ import annotations

import pytest
from support import list_all

NAME = "hubspot"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def stage_labels(ctl) -> dict[str, tuple[str, str]]:
    """stage id -> (its label, its pipeline's id)."""
    return {s["id"]: (s["label"], p["id"]) for p in ctl.records("pipelines") for s in p["stages"]}


def expected_deal(deal: dict, labels: dict[str, tuple[str, str]]) -> dict:
    p = deal["properties"]
    status = "won" if p["hs_is_closed_won"] == "true" else "lost" if p["hs_is_closed"] == "true" else "open"
    primary = [c for c, types in deal["companies"].items() if 5 in types]
    custom = {k: v for k, v in p.items() if k == "deal_source"}  # the portal's own properties
    out = {
        "id": deal["id"],
        "name": p["dealname"],
        "description": p.get("description"),
        "amount": float(p["amount"]),
        "currency": p["deal_currency_code"],
        "owner": {"id": p["hubspot_owner_id"]},
        "account": {"id": primary[0]} if primary else None,
        "contact": [{"id": c} for c in deal["contacts"]] or None,
        "stage": {"id": p["dealstage"], "name": labels[p["dealstage"]][0]},
        "status": status,
        "custom_fields": custom or None,
        "last_activity_at": p.get("notes_last_updated"),
        "close_date": p["closedate"],
        "created_at": deal["createdAt"],
        "updated_at": deal["updatedAt"],
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_deal_maps_from_the_stored_record(gateway, ctl):
    stored = {d["id"]: d for d in ctl.records("opportunities")}
    labels = stage_labels(ctl)
    listed = [r for page in list_all(gateway, NAME, limit=40, resource="opportunities") for r in page]
    assert len(listed) == len(stored)
    assert {r["status"] for r in listed} == {"open", "won", "lost"}
    for record in listed:
        record.pop("remote_data")
        assert record == expected_deal(stored[record["id"]], labels)


def test_a_filtered_list_is_a_search_with_each_pages_links_read_in_one_batch(gateway, ctl):
    """HubSpot's search answers no associations (https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm):
    each page's company and contact links come from one associations v4 batch read each, and the deals map
    exactly as the plain list maps them."""
    stored = {d["id"]: d for d in ctl.records("opportunities")}
    labels = stage_labels(ctl)
    ctl.clear_requests()
    page = gateway.unified("GET", NAME, resource="opportunities",
                           params={"limit": 12, "updated_at[gte]": "2000-01-01T00:00:00Z", "sort_by[created_at]": "asc"})
    assert page.status_code == 200, page.text
    listed = page.json()["result"]
    assert len(listed) == 12
    posts = [r for r in ctl.requests() if r["method"] == "POST"]
    assert [r["path"].removeprefix("/hubspot") for r in posts] == ["/crm/v3/objects/deals/search",
                                                                   "/crm/v4/associations/deals/companies/batch/read",
                                                                   "/crm/v4/associations/deals/contacts/batch/read"]
    assert posts[0]["body"]["filterGroups"] == [{"filters": [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "2000-01-01T00:00:00.000Z"}]}]
    assert posts[0]["body"]["sorts"] == [{"propertyName": "createdate", "direction": "ASCENDING"}]
    assert posts[1]["body"] == posts[2]["body"] == {"inputs": [{"id": r["id"]} for r in listed]}
    for record in listed:
        record.pop("remote_data")
        assert record == expected_deal(stored[record["id"]], labels)


@pytest.mark.parametrize("fault", [
    {"status": 503, "body": {"message": "down"}, "times": -1},
    {"kind": "hostile_body", "spoil": "lists_as_strings"},
    {"kind": "hostile_body", "spoil": "ids_as_objects"},
    {"kind": "malformed_json"},
])
def test_a_page_whose_links_cannot_be_read_is_a_clear_error_not_a_page_without_links(gateway, ctl, fault):
    ctl.fault(**fault, method="POST", path_endswith="/companies/batch/read")
    response = gateway.unified("GET", NAME, resource="opportunities", params={"limit": 5, "updated_at[gte]": "2000-01-01"})
    ctl.clear_faults()
    assert response.status_code in (502, 503, 504), response.text
    assert response.json()["message"] and response.json().get("truto_is_remote_error") is True


def test_a_create_sends_the_stage_with_its_pipeline_and_links_at_once(gateway, ctl):
    other = next(p for p in ctl.records("pipelines") if p["id"] != "default")
    stage = other["stages"][0]
    company = ctl.records("accounts")[2]["id"]
    contact = ctl.records("contacts")[3]["id"]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="opportunities", json={
        "name": "Gateway deal", "amount": 1500.5, "currency": "EUR", "stage": {"id": stage["id"]},
        "account": {"id": company}, "contact": [{"id": contact}], "close_date": "2027-03-31T00:00:00Z",
        "custom_fields": {"deal_source": "partner"}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["body"]["properties"] == {"dealname": "Gateway deal", "amount": "1500.5", "deal_currency_code": "EUR",
                                          "closedate": "2027-03-31T00:00:00Z", "dealstage": stage["id"],
                                          "pipeline": other["id"], "deal_source": "partner"}
    assert post["body"]["associations"] == [
        {"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]},
        {"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]
    body = created.json()
    assert (body["stage"], body["account"], body["contact"]) == (
        {"id": stage["id"], "name": stage["label"]}, {"id": company}, [{"id": contact}])
    assert (body["amount"], body["status"]) == (1500.5, "open")


def test_moving_to_a_closed_stage_makes_the_deal_won(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["properties"]["pipeline"] == "default")
    ctl.clear_requests()
    won = gateway.unified("PATCH", NAME, deal["id"], json={"stage": {"id": "closedwon"}}, resource="opportunities")
    assert won.status_code == 200, won.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["body"] == {"properties": {"dealstage": "closedwon", "pipeline": "default"}}
    assert (won.json()["status"], won.json()["stage"]["name"]) == ("won", "Closed Won")


def test_an_unknown_stage_is_hubspots_refusal(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    response = gateway.unified("PATCH", NAME, deal["id"], json={"stage": {"id": "nosuchstage"}},
                               resource="opportunities")
    assert response.status_code == 400 and response.json()["truto_is_remote_error"] is True
    assert "INVALID_OPTION" in response.json()["raw_response"]["message"]


def test_contacts_are_the_deals_whole_list(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["contacts"])
    kept = deal["contacts"][0]
    new = next(c["id"] for c in ctl.records("contacts") if c["id"] not in deal["contacts"])
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, deal["id"], resource="opportunities",
                               json={"contact": [{"id": kept}, {"id": new}]})
    assert response.status_code == 200, response.text
    assert sorted(c["id"] for c in response.json()["contact"]) == sorted([kept, new])
    posts = {r["path"].rsplit("/", 3)[-3] + "/" + r["path"].rsplit("/", 1)[-1]: r["body"]
             for r in ctl.requests() if r["method"] == "POST"}
    assert [i["to"]["id"] for i in posts["contacts/create"]["inputs"]] == [kept, new]
    removed = [c for c in deal["contacts"] if c != kept]
    if removed:
        assert posts["contacts/archive"]["inputs"][0]["to"] == [{"id": c} for c in removed]
    stored = next(d for d in ctl.records("opportunities") if d["id"] == deal["id"])
    assert sorted(stored["contacts"]) == sorted([kept, new])


def test_pipelines_carry_their_stages_in_display_order(gateway, ctl):
    listed = [r for page in list_all(gateway, NAME, limit=5, resource="pipelines") for r in page]
    stored = ctl.records("pipelines")
    assert [p["id"] for p in listed] == [p["id"] for p in stored]  # by displayOrder: default first
    default = listed[0]
    assert (default["name"], default["entity"]) == ("Sales Pipeline", "opportunity")
    assert [s["id"] for s in default["stages"]][:2] == ["appointmentscheduled", "qualifiedtobuy"]
    assert {s["status"] for s in default["stages"]} == {"active"}
    assert default["created_at"] == "1970-01-01T00:00:00Z"


def test_stages_are_read_out_of_the_pipelines(gateway, ctl):
    listed = [r for page in list_all(gateway, NAME, limit=30, resource="stages") for r in page]
    labels = stage_labels(ctl)
    assert len(listed) == len(labels)
    won = next(s for s in listed if s["id"] == "closedwon")
    assert won["position"] == 5 and won["pipeline"] == {"id": "default", "name": "Sales Pipeline"}
    assert all(labels[s["id"]] == (s["name"], s["pipeline"]["id"]) for s in listed)
    assert gateway.unified("GET", NAME, "nosuchstage", resource="stages").status_code == 404


def test_a_stage_is_renamed_on_its_pipelines_path(gateway, ctl):
    other = next(p for p in ctl.records("pipelines") if p["id"] != "default")
    stage = other["stages"][0]
    ctl.clear_requests()
    renamed = gateway.unified("PATCH", NAME, stage["id"], json={"name": "First call", "position": 4},
                              resource="stages")
    assert renamed.status_code == 200, renamed.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["path"].endswith(f"/crm/v3/pipelines/deals/{other['id']}/stages/{stage['id']}")
    assert patch["body"] == {"label": "First call", "displayOrder": 4}
    assert (renamed.json()["name"], renamed.json()["position"]) == ("First call", 4)
    ctl.clear_requests()
    missing = gateway.unified("PATCH", NAME, "nosuchstage", json={"name": "X"}, resource="stages")
    assert missing.status_code == 404
    assert not [r for r in ctl.requests() if r["method"] == "PATCH"]


def test_a_pipeline_create_is_refused_with_the_reason(gateway, ctl):
    response = gateway.unified("POST", NAME, json={"name": "New"}, resource="pipelines")
    assert response.status_code == 405
    assert "probability" in response.json()["message"] and "update" in response.json()["message"]


def test_a_status_write_is_refused_with_how_to_win_or_lose(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    ctl.clear_requests()
    account = ctl.records("accounts")[5]["id"]
    for body in ({"status": "won"}, {"status": "won", "account": {"id": account}}):
        response = gateway.unified("PATCH", NAME, deal["id"], json=body, resource="opportunities")
        assert response.status_code == 400
        assert "closed stage" in response.json()["message"]
    assert [r for r in ctl.requests() if r["method"] in ("PATCH", "POST")] == []  # no link changed either
    created = gateway.unified("POST", NAME, json={"name": "X", "stage": {"id": "closedwon"}, "status": "won"},
                              resource="opportunities")
    assert created.status_code == 400 and "closed stage" in created.json()["message"]
