"""HubSpot leads through the gateway: the mapping against the records the sandbox stores, and the writes as HubSpot
receives them (https://developers.hubspot.com/docs/api-reference/crm-leads-v3/guide): the primary contact and
company in the create, the stage written by its label with its pipeline, what an update cannot change."""

from __future__ import annotations

import pytest
from support import list_all

from unigate.sandbox.hubspot.leads import PIPELINES

NAME = "hubspot"
STAGE_LABELS = {stage_id: label for _, _, _, stages in PIPELINES for stage_id, label, _ in stages}


def primary(links: dict[str, list[int]], type_id: int) -> dict | None:
    found = [target for target, types in links.items() if type_id in types]
    return {"id": found[0]} if found else None


def expected_lead(lead: dict, contacts: dict, companies: dict) -> dict:
    p = lead["properties"]
    contact = primary(lead["links"]["contacts"], 578)
    account = primary(lead["links"]["companies"], 580)
    person = contacts[contact["id"]]["properties"] if contact else {}
    company = companies[account["id"]]["properties"] if account else {}
    custom = {k: int(v) if k == "lead_score" else v for k, v in p.items() if k in ("lead_score", "lead_channel")}
    out = {
        "id": lead["id"],
        "name": p["hs_lead_name"],
        "first_name": person.get("firstname"),
        "last_name": person.get("lastname"),
        "company_name": company.get("name"),
        "email_addresses": [{"email": person["email"], "type": "primary"}] if person.get("email") else None,
        "owner": {"id": p["hubspot_owner_id"]},
        "lead_type": p["hs_lead_type"],
        "status": STAGE_LABELS[p["hs_pipeline_stage"]],
        "contact": contact,
        "account": account,
        "custom_fields": custom or None,
        "created_at": lead["createdAt"],
        "updated_at": lead["updatedAt"],
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_lead_maps_from_the_stored_record(gateway, ctl):
    stored = {lead["id"]: lead for lead in ctl.records("leads")}
    contacts = {c["id"]: c for c in ctl.records("contacts")}
    companies = {c["id"]: c for c in ctl.records("accounts")}
    listed = [r for page in list_all(gateway, NAME, limit=40, resource="leads") for r in page]
    assert len(listed) == len(stored)
    assert {r["status"] for r in listed} >= {"New", "Attempting", "Working", "Unqualified"}
    assert any("account" not in r for r in listed) and all("contact" in r for r in listed)
    for record in listed:
        record.pop("remote_data")
        assert record == expected_lead(stored[record["id"]], contacts, companies)
    request = next(r for r in ctl.requests() if r["path"].endswith("/crm/v3/objects/leads"))
    query = dict(request["query_params"])
    assert query["associations"] == "contacts,companies"
    assert {"hs_lead_name", "hs_pipeline_stage", "lead_score", "lead_channel"} <= set(query["properties"].split(","))


def test_a_create_sends_the_name_the_stage_and_the_primary_links_at_once(gateway, ctl):
    contact = ctl.records("contacts")[4]
    company = ctl.records("accounts")[7]["id"]
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="leads", json={
        "name": "Gateway lead", "lead_type": "EXISTING_BUSINESS", "status": "attempting", "owner": {"id": "51234569"},
        "contact": {"id": contact["id"]}, "account": {"id": company},
        "custom_fields": {"lead_score": 42, "lead_channel": "event"}})
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/crm/v3/objects/leads")
    assert post["body"]["properties"] == {
        "hs_lead_name": "Gateway lead", "hs_lead_type": "EXISTING_BUSINESS", "hubspot_owner_id": "51234569",
        "hs_pipeline_stage": "attempting-stage-id", "hs_pipeline": "lead-pipeline-id",
        "lead_score": "42", "lead_channel": "event"}
    assert post["body"]["associations"] == [
        {"to": {"id": contact["id"]}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]},
        {"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 580}]}]
    body = created.json()
    assert (body["contact"], body["account"], body["status"]) == ({"id": contact["id"]}, {"id": company}, "Attempting")
    assert (body["first_name"], body["email_addresses"]) == (
        contact["properties"]["firstname"], [{"email": contact["properties"]["email"], "type": "primary"}])
    assert body["custom_fields"] == {"lead_score": 42, "lead_channel": "event"}   # typed by their definitions


def test_a_lead_on_its_company_alone_is_created_or_refused_as_the_portal_requires(gateway, ctl):
    """HubSpot's guide asks for a primary contact; integrators create leads on a primary company alone (the
    emulator's switch `lead_primary_association`): either way the gateway sends what it is given, and HubSpot's
    own refusal comes back."""
    company = ctl.records("accounts")[3]["id"]
    body = {"name": "Company lead", "account": {"id": company}}
    created = gateway.unified("POST", NAME, resource="leads", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["account"] == {"id": company} and "contact" not in created.json()
    ctl.switch(lead_primary_association="contact")
    refused = gateway.unified("POST", NAME, resource="leads", json=body)
    assert refused.status_code == 400 and refused.json()["truto_is_remote_error"] is True
    assert "primary contact" in refused.json()["raw_response"]["message"]


def test_a_create_without_contact_or_account_never_reaches_hubspot(gateway, ctl):
    ctl.clear_requests()
    answer = gateway.unified("POST", NAME, resource="leads", json={"name": "Lonely lead"})
    assert answer.status_code == 400
    assert answer.json()["truto_error_insight"]["missing_required_fields"]["value"] == [["contact", "account"]]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_a_status_label_stays_in_the_leads_own_pipeline(gateway, ctl):
    """"New" and "Qualified" are stages of both lead pipelines: an update keeps the lead in its pipeline; a label
    only the other pipeline has moves it there; a status no pipeline has is HubSpot's refusal."""
    lead = next(x for x in ctl.records("leads") if x["properties"]["hs_pipeline"] == "8300001")
    ctl.clear_requests()
    kept = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"status": "Qualified"})
    assert kept.status_code == 200, kept.text
    patch = next(r for r in ctl.requests() if r["method"] == "PATCH")
    assert patch["body"] == {"properties": {"hs_pipeline_stage": "93000003", "hs_pipeline": "8300001"}}
    assert kept.json()["status"] == "Qualified"
    moved = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"status": "Connected"})
    assert moved.status_code == 200, moved.text
    stored = next(x for x in ctl.records("leads") if x["id"] == lead["id"])["properties"]
    assert (stored["hs_pipeline"], stored["hs_pipeline_stage"]) == ("lead-pipeline-id", "connected-stage-id")
    unknown = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"status": "Dormant"})
    assert unknown.status_code == 400 and unknown.json()["truto_is_remote_error"] is True
    assert "INVALID_OPTION" in unknown.json()["raw_response"]["message"]


@pytest.mark.parametrize("link", ["contact", "account"])
def test_an_update_cannot_change_the_primary_contact_or_company(gateway, ctl, link):
    lead = ctl.records("leads")[0]
    target = ctl.records("contacts" if link == "contact" else "accounts")[9]["id"]
    ctl.clear_requests()
    answer = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"name": "Renamed", link: {"id": target}})
    assert answer.status_code == 400 and "when it creates the lead" in answer.json()["message"]
    assert ctl.requests() == []


def test_a_rename_sends_only_the_name(gateway, ctl):
    lead = ctl.records("leads")[1]
    ctl.clear_requests()
    renamed = gateway.unified("PATCH", NAME, lead["id"], resource="leads", json={"name": "Renamed lead"})
    assert renamed.status_code == 200, renamed.text
    writes = [r for r in ctl.requests() if r["method"] != "GET"]
    assert [(r["method"], r["body"]) for r in writes] == [("PATCH", {"properties": {"hs_lead_name": "Renamed lead"}})]
    assert renamed.json()["name"] == "Renamed lead" and renamed.json()["contact"]
