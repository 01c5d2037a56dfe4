"""The HubSpot emulator's leads speak HubSpot's CRM v3 protocol, driven by HubSpot's official client
(hubspot-api-client: hubspot.crm.objects.leads, pipelines and properties;
https://developers.hubspot.com/docs/api-reference/crm-leads-v3/guide), and refuse what HubSpot refuses: a lead
without its name or its primary association, a stage outside the lead's pipeline, a value outside a property's
options, a write to what HubSpot copies from the contact and company."""

from __future__ import annotations

import json

import pytest
import requests

from unigate.sandbox.hubspot import SANDBOX_TOKEN

from hubspot import HubSpot
from hubspot.crm.objects.leads import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.leads.exceptions import ApiException

LEADS = "/crm/v3/objects/leads"
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}


@pytest.fixture
def control(sandbox):
    control = sandbox.control("hubspot")
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def client(control):
    return HubSpot(access_token=SANDBOX_TOKEN, host=control.url)


def linked(target: str, type_id: int) -> PublicAssociationsForObject:
    return PublicAssociationsForObject(to=PublicObjectId(id=target), types=[
        AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)])


def refusal(call) -> tuple[int, dict]:
    with pytest.raises(ApiException) as failure:
        call()
    return failure.value.status, json.loads(failure.value.body)


def test_the_guides_example_create_with_its_primary_contact(client, control):
    """The leads guide's create: hs_lead_name, hs_lead_type, hs_lead_label and association 578 to a contact."""
    contact = control.records("contacts")[2]
    lead = client.crm.objects.leads.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"hs_lead_name": "Jane Doe", "hs_lead_type": "NEW_BUSINESS", "hs_lead_label": "WARM"},
        associations=[linked(contact["id"], 578)]))
    assert lead.properties["hs_lead_name"] == "Jane Doe"
    assert (lead.properties["hs_pipeline"], lead.properties["hs_pipeline_stage"]) == ("lead-pipeline-id", "new-stage-id")
    assert lead.properties["hs_associated_contact_email"] == contact["properties"]["email"]
    read = client.crm.objects.leads.basic_api.get_by_id(lead.id, properties=["hs_lead_name"],
                                                        associations=["contacts", "companies"])
    assert [(a.id, a.type) for a in read.associations["contacts"].results] == [
        (contact["id"], "lead_to_primary_contact"), (contact["id"], "lead_to_contact")]
    stored = next(x for x in control.records("leads") if x["id"] == lead.id)
    assert stored["links"]["contacts"] == {contact["id"]: [578, 608]}


def test_a_create_needs_the_lead_name_and_a_primary_association(client, control):
    contact = control.records("contacts")[0]["id"]
    company = control.records("accounts")[0]["id"]
    create = client.crm.objects.leads.basic_api.create
    status, body = refusal(lambda: create(SimplePublicObjectInputForCreate(
        properties={"hs_lead_type": "NEW_BUSINESS"}, associations=[linked(contact, 578)])))
    assert (status, body["category"], body["context"]) == (400, "VALIDATION_ERROR", {"properties": ["hs_lead_name"]})
    status, body = refusal(lambda: create(SimplePublicObjectInputForCreate(properties={"hs_lead_name": "X"},
                                                                           associations=[])))
    assert status == 400 and "primary contact" in body["message"]
    status, body = refusal(lambda: create(SimplePublicObjectInputForCreate(
        properties={"hs_lead_name": "X"}, associations=[linked(contact, 608)])))   # unlabeled: not the primary
    assert status == 400 and "primary contact" in body["message"]
    status, body = refusal(lambda: create(SimplePublicObjectInputForCreate(
        properties={"hs_lead_name": "X"}, associations=[linked("999", 578)])))
    assert (status, body["subCategory"]) == (400, "crm.associations.INVALID_IDENTIFIER")
    status, body = refusal(lambda: create(SimplePublicObjectInputForCreate(
        properties={"hs_lead_name": "X"}, associations=[linked(contact, 3)])))      # a deal's type
    assert status == 400 and body["message"] == ("associationTypeId 3 (HUBSPOT_DEFINED) is not valid between lead "
                                                 "and contact or company")
    on_company = create(SimplePublicObjectInputForCreate(properties={"hs_lead_name": "Company lead"},
                                                         associations=[linked(company, 580)]))
    assert on_company.properties["hs_associated_company_name"] == control.records("accounts")[0]["properties"]["name"]
    control.switch(lead_primary_association="contact")   # the guide's own words: "an existing contact"
    status, body = refusal(lambda: create(SimplePublicObjectInputForCreate(properties={"hs_lead_name": "Y"},
                                                                           associations=[linked(company, 580)])))
    assert status == 400 and "primary contact (associationTypeId 578)" in body["message"]


def test_values_follow_the_pipeline_and_the_options(client, control):
    lead = next(x for x in control.records("leads") if x["properties"]["hs_pipeline"] == "lead-pipeline-id")
    update = client.crm.objects.leads.basic_api.update
    status, body = refusal(lambda: update(lead["id"], SimplePublicObjectInput(properties={"hs_pipeline_stage": "93000002"})))
    assert status == 400 and '"error":"INVALID_OPTION"' in body["message"] and "hs_pipeline_stage" in body["message"]
    moved = update(lead["id"], SimplePublicObjectInput(properties={"hs_pipeline": "8300001",
                                                                  "hs_pipeline_stage": "93000002"}))
    assert (moved.properties["hs_pipeline"], moved.properties["hs_pipeline_stage"]) == ("8300001", "93000002")
    for bad in ({"hs_lead_label": "LUKEWARM"}, {"lead_channel": "billboard"}, {"lead_score": "many"}):
        status, body = refusal(lambda bad=bad: update(lead["id"], SimplePublicObjectInput(properties=bad)))
        assert status == 400 and body["category"] == "VALIDATION_ERROR", bad
    status, body = refusal(lambda: update(lead["id"], SimplePublicObjectInput(
        properties={"hs_associated_contact_email": "x@example.com"})))
    assert status == 400 and body["errors"][0]["code"] == "READ_ONLY_VALUE"
    status, body = refusal(lambda: update(lead["id"], SimplePublicObjectInput(properties={"hs_lead_name": ""})))
    assert status == 400


def test_list_pages_archive_and_the_object_type_id(client, control):
    page = client.crm.objects.leads.basic_api.get_page(limit=7, associations=["contacts"])
    assert len(page.results) == 7 and page.paging.next.after
    assert all(lead.associations["contacts"].results for lead in page.results)
    every = client.crm.objects.get_all("leads")   # the official client pages by `after` to the end
    assert sorted(x.id for x in every) == sorted(x["id"] for x in control.records("leads"))
    target = every[0].id
    client.crm.objects.leads.basic_api.archive(target)
    client.crm.objects.leads.basic_api.archive(target)   # archived again: 204 all the same
    status, _ = refusal(lambda: client.crm.objects.leads.basic_api.get_by_id(target))
    assert status == 404
    assert client.crm.objects.leads.basic_api.get_by_id(target, archived=True).archived is True
    by_type_id = requests.get(f"{control.url}/crm/v3/objects/0-136/{every[1].id}", headers=AUTH, timeout=5)
    assert by_type_id.status_code == 200 and by_type_id.json()["id"] == every[1].id


def test_lead_pipelines_and_properties(client, control):
    pipelines = client.crm.pipelines.pipelines_api.get_all("leads").results
    default = pipelines[0]
    assert (default.id, default.label) == ("lead-pipeline-id", "Lead pipeline")
    assert [s.id for s in default.stages] == ["new-stage-id", "attempting-stage-id", "connected-stage-id",
                                              "qualified-stage-id", "unqualified-stage-id"]
    assert client.crm.pipelines.pipelines_api.get_by_id("0-136", "8300001").label == "Partner leads"
    assert requests.get(f"{control.url}/crm/v3/pipelines/leads/nope", headers=AUTH, timeout=5).status_code == 404
    definitions = {p.name: p for p in client.crm.properties.core_api.get_all("leads").results}
    assert definitions["lead_score"].type == "number" and definitions["lead_score"].hubspot_defined is None
    assert definitions["hs_lead_name"].hubspot_defined is True
    assert [o.value for o in definitions["hs_pipeline_stage"].options][:2] == ["new-stage-id", "attempting-stage-id"]
    assert definitions["hs_associated_contact_email"].modification_metadata.read_only_value is True
    assert client.crm.properties.core_api.get_by_name("0-136", "lead_channel").type == "enumeration"
    missing = requests.get(f"{control.url}/crm/v3/properties/leads/nope", headers=AUTH, timeout=5)
    assert missing.status_code == 404
