"""Zoho's official v8 Python SDK (zohocrmsdk8-0, https://github.com/zoho/zohocrm-python-sdk-8.0) driving the
emulator's Contacts module: field metadata, listing, lookups to Accounts, the mandatory Last_Name, update,
merge and delete. Accounts through the same SDK: test_zoho_crm_sandbox.py; OAuth: test_oauth_sandboxes.py."""

from __future__ import annotations

import pytest

from unigate.sandbox import zoho_crm

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.fields import FieldsOperations, GetFieldsParam
from zohocrmsdk.src.com.zoho.crm.api.find_and_merge import BodyWrapper as MergeBody
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.find_and_merge import (
    DataFields,
    FindAndMergeOperations,
    Merge,
    MergeData,
)
from zohocrmsdk.src.com.zoho.crm.api.record import (
    APIException,
    BodyWrapper,
    GetRecordsParam,
    Record,
    RecordOperations,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

CONTACT_FIELDS = "First_Name,Last_Name,Email,Account_Name"


@pytest.fixture
def control(sandbox):
    control = sandbox.control("zoho_crm")
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def contacts(control, tmp_path):
    """The SDK initialised with a `DataCenter.Environment` whose API and accounts URLs are the emulator's."""
    environment = DataCenter.Environment(control.url, control.url + "/oauth/v2/token", control.url)
    Initializer.initialize(
        environment=environment,
        token=OAuthToken(access_token=zoho_crm.SANDBOX_TOKEN, find_user=False),
        store=FileStore(str(tmp_path / "tokens.csv")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
        resource_path=str(tmp_path))
    return RecordOperations("Contacts")


def body_of(*records: Record) -> BodyWrapper:
    body = BodyWrapper()
    body.set_data(list(records))
    return body


def first_item(response):
    obj = response.get_object()
    return obj.get_data()[0] if hasattr(obj, "get_data") else obj


def test_field_metadata_and_listing(contacts, control):
    """`GET /crm/v8/settings/fields?module=Contacts` and Get Records with `fields` and `per_page`
    (https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html,
    https://www.zoho.com/crm/developer/docs/api/v8/get-records.html)."""
    params = ParameterMap()
    params.add(GetFieldsParam.module, "Contacts")
    fields = FieldsOperations().get_fields(params)
    assert fields.get_status_code() == 200
    names = {f.get_api_name(): f for f in fields.get_object().get_fields()}
    assert names["Last_Name"].get_system_mandatory() is True
    assert names["Account_Name"].get_data_type() == "lookup"
    params = ParameterMap()
    params.add(GetRecordsParam.fields, CONTACT_FIELDS)
    params.add(GetRecordsParam.per_page, 10)
    listed = contacts.get_records(params)
    assert listed.get_status_code() == 200
    page = listed.get_object()
    stored = {c["id"]: c for c in control.records("contacts")}
    for record in page.get_data():
        assert record.get_key_value("Last_Name") == stored[str(record.get_id())]["Last_Name"]
    assert len(page.get_data()) == 10 and page.get_info().get_more_records() is True


def test_create_with_an_account_lookup_update_and_delete(contacts, control):
    """Insert Records with a lookup written as `{"id"}` (https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html),
    update, delete to the Recycle Bin; the deleted id then reads as 204 No Content."""
    account = control.records("accounts")[0]
    link = Record()
    link.set_id(int(account["id"]))
    contact = Record()
    contact.add_key_value("First_Name", "Sdk")
    contact.add_key_value("Last_Name", "Contact")
    contact.add_key_value("Email", "sdk.contact@example.com")
    contact.add_key_value("Account_Name", link)
    created = contacts.create_records(body_of(contact))
    assert created.get_status_code() == 201
    item = first_item(created)
    assert item.get_code().get_value() == "SUCCESS"
    new_id = int(item.get_details()["id"])
    got = first_item(contacts.get_record(new_id))
    assert got.get_key_value("Full_Name") == "Sdk Contact"
    assert got.get_key_value("Account_Name").get_key_value("name") == account["Account_Name"]
    change = Record()
    change.add_key_value("Email", "moved@example.com")
    assert contacts.update_record(new_id, body_of(change)).get_status_code() == 200
    assert first_item(contacts.get_record(new_id)).get_key_value("Email") == "moved@example.com"
    deleted = contacts.delete_record(new_id)
    assert deleted.get_status_code() == 200
    assert first_item(deleted).get_message().get_value() == "record deleted"
    assert contacts.get_record(new_id).get_status_code() == 204


def test_refusals_reach_the_sdk_as_zoho_documents_them(contacts, control):
    """Last_Name is mandatory (MANDATORY_NOT_FOUND) and a lookup must name a live record (INVALID_DATA)."""
    nameless = Record()
    nameless.add_key_value("First_Name", "Only")
    refused = contacts.create_records(body_of(nameless))
    assert refused.get_status_code() == 400
    item = first_item(refused)
    assert isinstance(item, APIException) and item.get_code().get_value() == "MANDATORY_NOT_FOUND"
    assert item.get_details()["api_name"] == "Last_Name"
    missing = Record()
    missing.set_id(5725767000009999999)
    orphan = Record()
    orphan.add_key_value("Last_Name", "Orphan")
    orphan.add_key_value("Account_Name", missing)
    item = first_item(contacts.create_records(body_of(orphan)))
    assert isinstance(item, APIException) and item.get_details()["api_name"] == "Account_Name"
    assert not [c for c in control.records("contacts") if c["Last_Name"] == "Orphan" or c["First_Name"] == "Only"]


def test_merge_through_the_find_and_merge_api(contacts, control):
    """Merge Records (https://www.zoho.com/crm/developer/docs/api/v8/merge-records.html): the master takes
    the chosen `_fields` of the child, which is gone afterwards."""
    master, child = control.records("contacts")[:2]
    field = DataFields()
    field.set_api_name("Email")
    data = MergeData()
    data.set_id(int(child["id"]))
    data.set_fields([field])
    merge = Merge()
    merge.set_data([data])
    body = MergeBody()
    body.set_merge([merge])
    answer = FindAndMergeOperations("Contacts", int(master["id"])).merge_records(body)
    assert answer.get_status_code() == 201
    job = answer.get_object().get_merge()[0]
    assert job.get_code().get_value() == "SCHEDULED"
    assert first_item(contacts.get_record(int(master["id"]))).get_key_value("Email") == child["Email"]
    assert contacts.get_record(int(child["id"])).get_status_code() == 204
