"""HubSpot's official Python client (hubspot-api-client, https://github.com/HubSpot/hubspot-api-python) driving
the emulator's contacts, associations v4, merge, batch archive and properties API (definitions and groups).
Companies and OAuth through the same client: test_hubspot_sandbox.py and test_oauth_sandboxes.py."""

from __future__ import annotations

import json

import pytest

from unigate.sandbox.hubspot import SANDBOX_TOKEN

from hubspot import HubSpot
from hubspot.crm.contacts import (
    AssociationSpec,
    BatchInputSimplePublicObjectId,
    PublicAssociationsForObject,
    PublicMergeInput,
    PublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate, PropertyGroupUpdate, PropertyUpdate
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException


@pytest.fixture
def control(sandbox):
    control = sandbox.control("hubspot")
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def client(control):
    return HubSpot(access_token=SANDBOX_TOKEN, host=control.url)


def refusal(call) -> tuple[int, dict]:
    with pytest.raises(ApiException) as failure:
        call()
    return failure.value.status, json.loads(failure.value.body)


def test_contacts_list_pages_and_reads_with_company_associations(client, control):
    contacts = client.crm.contacts
    page = contacts.basic_api.get_page(limit=5, properties=["email", "lifecyclestage"], associations=["companies"])
    assert len(page.results) == 5 and page.paging.next.after
    linked = next(c for c in page.results if c.associations)
    company_ids = {a.id for a in linked.associations["companies"].results}
    stored = {c["id"]: c for c in control.records("contacts")}
    assert company_ids == set(stored[linked.id]["links"])
    everyone = contacts.get_all(properties=["email"])
    assert sorted(c.id for c in everyone) == sorted(stored)
    by_email = contacts.basic_api.get_by_id(linked.properties["email"], id_property="email", properties=["firstname"])
    assert by_email.id == linked.id
    assert by_email.properties["firstname"] == stored[linked.id]["properties"]["firstname"]


def test_contact_create_update_and_archive(client, control):
    contacts = client.crm.contacts
    company = control.records("accounts")[0]
    created = contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "sdk.person@example.com", "firstname": "Sdk", "lifecyclestage": "lead"},
        associations=[PublicAssociationsForObject(
            to=PublicObjectId(id=company["id"]),
            types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)])]))
    assert created.id.isdigit() and created.properties["lifecyclestage"] == "lead"
    stored = {c["id"]: c for c in control.records("contacts")}[created.id]
    assert company["id"] in stored["links"]
    updated = contacts.basic_api.update(created.id, SimplePublicObjectInput(properties={"jobtitle": "Tester"}))
    assert updated.properties["jobtitle"] == "Tester"
    contacts.basic_api.archive(created.id)
    status, body = refusal(lambda: contacts.basic_api.get_by_id(created.id))
    assert status == 404 and body["category"] == "OBJECT_NOT_FOUND"


def test_contact_refusals_reach_the_client_as_hubspot_sends_them(client, control):
    contacts = client.crm.contacts
    taken = control.records("contacts")[0]
    status, body = refusal(lambda: contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": taken["properties"]["email"]})))
    assert status == 409 and body["category"] == "CONFLICT" and body["message"].endswith(taken["id"])
    status, body = refusal(lambda: contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"firstname": "Opt", "lifecyclestage": "not_a_stage"})))
    assert status == 400 and '"error":"INVALID_OPTION"' in body["message"]
    status, body = refusal(lambda: contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"firstname": "Opt", "no_such_property": "x"})))
    assert status == 400 and body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    status, body = refusal(lambda: contacts.basic_api.update(taken["id"], SimplePublicObjectInput(
        properties={"lastmodifieddate": "2020-01-01T00:00:00Z"})))
    assert status == 400 and body["errors"][0]["code"] == "READ_ONLY_VALUE"
    status, body = refusal(lambda: contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"jobtitle": "Nobody"})))
    assert status == 400 and body["category"] == "VALIDATION_ERROR"


def test_merge_and_batch_archive(client, control):
    contacts = client.crm.contacts
    first, second, third, fourth = control.records("contacts")[:4]
    merged = contacts.basic_api.merge(PublicMergeInput(primary_object_id=first["id"], object_id_to_merge=second["id"]))
    assert merged.id == first["id"]
    assert second["id"] in merged.properties["hs_merged_object_ids"].split(";")
    contacts.batch_api.archive(BatchInputSimplePublicObjectId(inputs=[{"id": third["id"]}, {"id": fourth["id"]}]))
    archived = {c["id"]: c["archived"] for c in control.records("contacts")}
    assert archived[third["id"]] and archived[fourth["id"]]


def test_associations_v4_and_the_properties_api(client, control):
    contact = next(c for c in control.records("contacts") if not c["links"])
    company = control.records("accounts")[1]
    v4 = client.crm.associations.v4.basic_api
    v4.create_default("contacts", contact["id"], "companies", company["id"])
    page = v4.get_page("contacts", contact["id"], "companies")
    assert [str(r.to_object_id) for r in page.results] == [company["id"]]
    v4.archive("contacts", contact["id"], "companies", company["id"])
    assert v4.get_page("contacts", contact["id"], "companies").results == []
    definitions = {p.name: p for p in client.crm.properties.core_api.get_all("contacts").results}
    assert definitions["email"].has_unique_value is True
    assert [o.value for o in definitions["preferred_channel"].options] == ["email", "phone", "sms"]
    assert [o.value for o in definitions["lifecyclestage"].options][:2] == ["subscriber", "lead"]


def test_the_properties_api_writes_definitions_and_groups(client, control):
    properties = client.crm.properties
    group = properties.groups_api.create("contacts", PropertyGroupCreate(name="sdk_group", label="SDK group"))
    assert (group.name, group.label, group.archived) == ("sdk_group", "SDK group", False)
    group = properties.groups_api.update("contacts", "sdk_group", PropertyGroupUpdate(label="SDK properties"))
    assert properties.groups_api.get_by_name("contacts", "sdk_group").label == "SDK properties"
    assert "sdk_group" in {g.name for g in properties.groups_api.get_all("contacts").results}
    created = properties.core_api.create("contacts", PropertyCreate(
        name="sdk_tier", label="SDK tier", type="enumeration", field_type="select", group_name="sdk_group",
        options=[OptionInput(label="Gold", value="gold", hidden=False, display_order=5),
                 OptionInput(label="Silver", value="silver", hidden=False)]))
    assert (created.name, created.type, created.field_type, created.group_name) == (
        "sdk_tier", "enumeration", "select", "sdk_group")
    assert [(o.value, o.display_order) for o in created.options] == [("gold", 0), ("silver", 1)]
    updated = properties.core_api.update("contacts", "sdk_tier", PropertyUpdate(label="Tier"))
    assert updated.label == "Tier" and properties.core_api.get_by_name("contacts", "sdk_tier").label == "Tier"
    properties.core_api.archive("contacts", "sdk_tier")
    assert "sdk_tier" not in {p.name for p in properties.core_api.get_all("contacts").results}
    with pytest.raises(PropertiesApiException) as refused:
        properties.core_api.archive("contacts", "email")
    assert refused.value.status == 400 and json.loads(refused.value.body)["category"] == "VALIDATION_ERROR"
