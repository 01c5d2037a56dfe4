"""The HubSpot emulator's deals and deal pipelines speak HubSpot's CRM v3 protocol
(https://developers.hubspot.com/docs/api/crm/deals, https://developers.hubspot.com/docs/api/crm/pipelines),
and refuse what HubSpot refuses: a deal without its name or stage, a stage outside the deal's pipeline,
values outside a property's options."""

from __future__ import annotations

import json

import pytest
import requests

from unigate.sandbox.hubspot import SANDBOX_TOKEN
from unigate.sandbox.hubspot.pipelines import DEFAULT_STAGES

DEALS = "/crm/v3/objects/deals"
PIPELINES = "/crm/v3/pipelines/deals"
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}


@pytest.fixture
def hubspot(sandbox):
    control = sandbox.control("hubspot")
    control.reset()
    yield control
    control.reset()


def call(control, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, control.url + path, headers=AUTH, timeout=10, **kwargs)


def invalid_items(response: requests.Response) -> list[dict]:
    """The items of a HubSpot "Property values were not valid" 400."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["category"] == "VALIDATION_ERROR" and body["status"] == "error"
    assert body["message"].startswith("Property values were not valid: ")
    return json.loads(body["message"].removeprefix("Property values were not valid: "))


def other_pipeline(control) -> dict:
    return next(p for p in call(control, "GET", PIPELINES).json()["results"] if p["id"] != "default")


def test_the_default_pipeline_is_a_new_portals(hubspot):
    """Ids, labels, string metadata and epoch timestamps as a new portal's "Sales Pipeline"."""
    body = call(hubspot, "GET", PIPELINES).json()
    assert set(body) == {"results"}  # not paged
    default = body["results"][0]
    assert (default["id"], default["label"], default["displayOrder"]) == ("default", "Sales Pipeline", 0)
    assert default["createdAt"] == default["updatedAt"] == "1970-01-01T00:00:00Z"
    stages = default["stages"]
    assert [(s["id"], s["label"], s["metadata"]["probability"], s["metadata"]["isClosed"]) for s in stages] == \
           [(i, label, p, "true" if closed else "false") for i, label, p, closed in DEFAULT_STAGES]
    assert {s["writePermissions"] for s in stages} == {"CRM_PERMISSIONS_ENFORCEMENT"}
    assert call(hubspot, "GET", PIPELINES + "/default/stages").json()["results"] == stages
    assert call(hubspot, "GET", PIPELINES + "/default/stages/closedwon").json()["label"] == "Closed Won"


def test_pipelines_of_an_unknown_object_type_or_id(hubspot):
    unknown = call(hubspot, "GET", "/crm/v3/pipelines/butterflies")
    assert unknown.status_code == 400 and "butterflies" in unknown.json()["message"]
    assert call(hubspot, "GET", PIPELINES + "/404404").status_code == 404
    assert call(hubspot, "GET", "/crm/v3/pipelines/0-3/default").json()["id"] == "default"


def test_a_pipeline_needs_its_stages_with_probabilities_and_a_unique_label(hubspot):
    missing = call(hubspot, "POST", PIPELINES, json={"label": "New", "displayOrder": 3})
    assert missing.status_code == 400 and "stages" in missing.json()["message"]
    no_probability = call(hubspot, "POST", PIPELINES, json={
        "label": "New", "displayOrder": 3, "stages": [{"label": "One", "displayOrder": 0, "metadata": {}}]})
    assert no_probability.status_code == 400 and "probability" in no_probability.json()["message"]
    taken = call(hubspot, "POST", PIPELINES, json={"label": "Sales Pipeline", "displayOrder": 3, "stages": []})
    assert taken.status_code == 409
    created = call(hubspot, "POST", PIPELINES, json={
        "label": "New", "displayOrder": 3,
        "stages": [{"label": "One", "displayOrder": 0, "metadata": {"probability": 0.3}}]})
    assert created.status_code == 201, created.text
    assert created.json()["stages"][0]["metadata"] == {"isClosed": "false", "probability": "0.3"}


def test_a_deal_needs_a_name_and_a_stage(hubspot):
    response = call(hubspot, "POST", DEALS, json={"properties": {"amount": "10"}})
    assert response.status_code == 400
    assert response.json()["context"] == {"properties": ["dealname", "dealstage"]}


def test_a_stage_of_another_pipeline_is_refused_unless_the_pipeline_comes_with_it(hubspot):
    other = other_pipeline(hubspot)
    foreign = other["stages"][0]["id"]
    items = invalid_items(call(hubspot, "POST", DEALS, json={"properties": {"dealname": "X", "dealstage": foreign}}))
    assert items[0]["name"] == "dealstage" and items[0]["error"] == "INVALID_OPTION"
    assert "appointmentscheduled" in items[0]["message"]  # the default pipeline's options are listed

    created = call(hubspot, "POST", DEALS, json={"properties": {"dealname": "X", "dealstage": "qualifiedtobuy"}})
    assert created.status_code == 201
    deal = created.json()
    assert deal["properties"]["pipeline"] == "default"  # no pipeline: the default one
    moved = call(hubspot, "PATCH", f"{DEALS}/{deal['id']}", json={"properties": {"dealstage": foreign}})
    assert invalid_items(moved)[0]["name"] == "dealstage"
    moved = call(hubspot, "PATCH", f"{DEALS}/{deal['id']}",
                 json={"properties": {"dealstage": foreign, "pipeline": other["id"]}})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["properties"]["pipeline"], moved.json()["properties"]["dealstage"]) == (other["id"], foreign)
    unknown = call(hubspot, "PATCH", f"{DEALS}/{deal['id']}", json={"properties": {"pipeline": "nope"}})
    assert invalid_items(unknown)[0]["name"] == "pipeline"


def test_won_and_lost_follow_the_stage(hubspot):
    deal = call(hubspot, "POST", DEALS, json={"properties": {"dealname": "X", "dealstage": "contractsent"}}).json()
    assert (deal["properties"]["hs_is_closed"], deal["properties"]["hs_is_closed_won"]) == ("false", "false")
    won = call(hubspot, "PATCH", f"{DEALS}/{deal['id']}", json={"properties": {"dealstage": "closedwon"}}).json()
    assert (won["properties"]["hs_is_closed"], won["properties"]["hs_is_closed_won"]) == ("true", "true")
    assert won["properties"]["hs_deal_stage_probability"] == "1.0"
    lost = call(hubspot, "PATCH", f"{DEALS}/{deal['id']}", json={"properties": {"dealstage": "closedlost"}}).json()
    assert (lost["properties"]["hs_is_closed"], lost["properties"]["hs_is_closed_won"]) == ("true", "false")


@pytest.mark.parametrize(("name", "value", "error"), [
    ("deal_currency_code", "XXX", "INVALID_OPTION"), ("dealtype", "bigbusiness", "INVALID_OPTION"),
    ("amount", "lots", "INVALID_DECIMAL"), ("closedate", "next tuesday", "INVALID_DATE"),
])
def test_values_outside_a_propertys_rules_are_refused(hubspot, name, value, error):
    response = call(hubspot, "POST", DEALS, json={"properties": {"dealname": "X", "dealstage": "qualifiedtobuy",
                                                                 name: value}})
    assert [(i["name"], i["error"]) for i in invalid_items(response)] == [(name, error)]


def test_unknown_property_is_refused(hubspot):
    response = call(hubspot, "POST", DEALS, json={"properties": {"dealname": "X", "dealstage": "qualifiedtobuy",
                                                                 "not_a_property": "1"}})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_seeded_deals_sit_in_pipelines_with_companies_contacts_and_currencies(hubspot):
    deals = hubspot.records(resource="opportunities")
    assert len({d["properties"]["deal_currency_code"] for d in deals}) > 1
    assert len({d["properties"]["pipeline"] for d in deals}) > 1
    assert all(d["companies"] for d in deals) and any(d["contacts"] for d in deals)
    first = deals[0]
    got = call(hubspot, "GET", f"{DEALS}/{first['id']}", params={"associations": "companies,contacts"}).json()
    companies = got["associations"]["companies"]["results"]
    assert {c["type"] for c in companies} == {"deal_to_company", "deal_to_company_unlabeled"}
    assert [c["id"] for c in got["associations"]["contacts"]["results"]] == first["contacts"]


def test_associations_on_create_and_through_v4_batches(hubspot):
    company = hubspot.records(resource="accounts")[1]["id"]
    contacts = [c["id"] for c in hubspot.records(resource="contacts")[:2]]
    created = call(hubspot, "POST", DEALS, json={
        "properties": {"dealname": "Linked", "dealstage": "qualifiedtobuy"},
        "associations": [
            {"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]},
            {"to": {"id": contacts[0]}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]},
        ]})
    assert created.status_code == 201, created.text
    deal_id = created.json()["id"]
    bad = call(hubspot, "POST", DEALS, json={
        "properties": {"dealname": "Linked", "dealstage": "qualifiedtobuy"},
        "associations": [{"to": {"id": "404"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                          "associationTypeId": 3}]}]})
    assert bad.status_code == 400 and bad.json()["subCategory"] == "crm.associations.INVALID_IDENTIFIER"

    linked = call(hubspot, "POST", "/crm/v4/associations/deals/contacts/batch/create", json={"inputs": [
        {"from": {"id": deal_id}, "to": {"id": contacts[1]},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]},
        {"from": {"id": deal_id}, "to": {"id": "404"},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]})
    assert linked.status_code == 207 and linked.json()["numErrors"] == 1
    unlinked = call(hubspot, "POST", "/crm/v4/associations/deals/contacts/batch/archive",
                    json={"inputs": [{"from": {"id": deal_id}, "to": [{"id": contacts[0]}]}]})
    assert unlinked.status_code == 204
    stored = next(d for d in hubspot.records(resource="opportunities") if d["id"] == deal_id)
    assert stored["contacts"] == [contacts[1]] and stored["companies"] == {company: [5, 341]}


def test_delete_archives_and_repeats_quietly(hubspot):
    deal_id = hubspot.records(resource="opportunities")[0]["id"]
    assert call(hubspot, "DELETE", f"{DEALS}/{deal_id}").status_code == 204
    assert call(hubspot, "GET", f"{DEALS}/{deal_id}").status_code == 404
    assert call(hubspot, "GET", f"{DEALS}/{deal_id}", params={"archived": "true"}).json()["archived"] is True
    assert call(hubspot, "DELETE", f"{DEALS}/{deal_id}").status_code == 204
    assert call(hubspot, "GET", "/crm/v3/objects/0-3/" + deal_id).status_code == 404
