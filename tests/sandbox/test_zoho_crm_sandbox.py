"""The Zoho CRM emulator against Zoho's documented v8 behaviour for the Accounts and Contacts modules.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/get-records.html and the other v8 record pages;
Zoho's OpenAPI examples in https://github.com/zoho/crm-oas `v8.0/record/operations/*/examples/*.md`.
"""

from __future__ import annotations

import re

import pytest
import requests

from unigate.sandbox import zoho_crm
from unigate.sandbox.zoho_crm.layouts import CUSTOM_LAYOUTS
from unigate.sandbox.zoho_crm.pipelines import DEALS_LAYOUT_ID

NAME = "zoho_crm"
AUTH = {"Authorization": f"Zoho-oauthtoken {zoho_crm.SANDBOX_TOKEN}"}
FIELDS = "Account_Name,Website,Industry,Employees,Owner,Tag,Created_Time,Modified_Time"
OFFSET_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$")


@pytest.fixture
def zoho(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.default_switches()


def url(zoho, path: str) -> str:
    return f"{zoho.url}/crm/v8{path}"


def test_missing_authorization_is_authentication_failure(zoho):
    """; crm-oas cloneRecord/examples/response-401-authenticationfailure.md."""
    r = requests.get(url(zoho, "/Accounts"), params={"fields": "Account_Name"})
    assert r.status_code == 401
    assert r.json() == {"code": "AUTHENTICATION_FAILURE", "details": {}, "message": "Authentication failed",
                        "status": "error"}
    r = requests.get(url(zoho, "/Accounts"), params={"fields": "Account_Name"},
                     headers={"Authorization": f"Bearer {zoho_crm.SANDBOX_TOKEN}"})
    assert r.status_code == 401 and r.json()["code"] == "AUTHENTICATION_FAILURE"


def test_wrong_token_is_invalid_token(zoho):
    """401 `{"code":"INVALID_TOKEN",…,"message":"invalid oauth token"}`."""
    r = requests.get(url(zoho, "/Accounts"), params={"fields": "Account_Name"},
                     headers={"Authorization": "Zoho-oauthtoken 1000.expired.token"})
    assert r.status_code == 401
    assert r.json() == {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}


def test_list_requires_fields(zoho):
    """; crm-oas getRecords/examples/response-400-requiredparammissing.md."""
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH)
    assert r.status_code == 400
    assert r.json() == {"code": "REQUIRED_PARAM_MISSING", "status": "error", "details": {"param_name": "fields"},
                        "message": "required param is missing"}


def test_list_caps_fields_at_fifty(zoho):
    """crm-oas getRecords/examples/response-400-limitexceeded.md: at most 50 field API names."""
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH,
                     params={"fields": ",".join(f"F{i}" for i in range(51))})
    assert r.status_code == 400
    assert r.json()["code"] == "LIMIT_EXCEEDED" and r.json()["details"] == {"limit": 50, "param_name": "fields"}


def test_list_shape_fields_and_rate_limit_headers(zoho):
    """Response shapes (`data` + `info`); only the requested fields come back, plus id."""
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH, params={"fields": FIELDS, "per_page": 5})
    assert r.status_code == 200
    body = r.json()
    assert len(body["data"]) == 5
    assert set(body["info"]) >= {"per_page", "count", "page", "sort_by", "sort_order", "more_records",
                                 "next_page_token", "previous_page_token", "page_token_expiry"}
    assert body["info"]["sort_by"] == "id" and body["info"]["sort_order"] == "desc"
    record = body["data"][0]
    assert set(record) == {"id"} | set(FIELDS.split(","))
    assert isinstance(record["id"], str) and record["id"].isdigit() and len(record["id"]) == 19
    assert set(record["Owner"]) == {"id", "name", "email"}
    assert OFFSET_TS.match(record["Created_Time"])
    assert all(set(tag) == {"name", "id", "color_code"} for tag in record["Tag"])
    for header in ("X-RATELIMIT-LIMIT", "X-RATELIMIT-REMAINING", "X-RATELIMIT-RESET"):
        assert r.headers[header].isdigit()


def test_page_pagination_visits_every_record_once(zoho):
    """`page`/`per_page` with `info.more_records` false on the last page."""
    seen: list[str] = []
    page = 1
    while True:
        r = requests.get(url(zoho, "/Accounts"), headers=AUTH,
                         params={"fields": "Account_Name", "per_page": 7, "page": page})
        assert r.status_code == 200
        info = r.json()["info"]
        seen += [d["id"] for d in r.json()["data"]]
        assert info["page"] == page and info["count"] == len(r.json()["data"])
        if not info["more_records"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == 60
    assert seen == sorted(seen, reverse=True)


def test_past_2000_records_page_is_refused_and_page_token_continues(zoho):
    """page/per_page reach 2,000 records, then `page_token` (crm-oas
    getRecords/examples/response-400-discretepaginationlimitexceeded.md)."""
    zoho.reset(2300)
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH,
                     params={"fields": "Account_Name", "per_page": 200, "page": 11})
    assert r.status_code == 400
    assert r.json() == {"code": "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                        "message": "You can only get the first 2000 records without using page_token param",
                        "status": "error", "details": {"limit": 2000}}
    seen: list[str] = []
    params = {"fields": "Account_Name", "per_page": 200}
    while True:
        r = requests.get(url(zoho, "/Accounts"), headers=AUTH, params=params)
        assert r.status_code == 200
        body = r.json()
        seen += [d["id"] for d in body["data"]]
        if not body["info"]["more_records"]:
            assert body["info"]["next_page_token"] is None
            break
        params = {"fields": "Account_Name", "per_page": 200, "page_token": body["info"]["next_page_token"]}
    assert len(seen) == len(set(seen)) == 2300


def test_page_token_survives_a_delete_between_pages(zoho):
    """Keyset page tokens: deleting an already-served record does not skip or repeat one."""
    first = requests.get(url(zoho, "/Accounts"), headers=AUTH, params={"fields": "Account_Name", "per_page": 10})
    ids = [d["id"] for d in first.json()["data"]]
    assert requests.delete(url(zoho, f"/Accounts/{ids[0]}"), headers=AUTH).status_code == 200
    second = requests.get(url(zoho, "/Accounts"), headers=AUTH, params={
        "fields": "Account_Name", "per_page": 10, "page_token": first.json()["info"]["next_page_token"]})
    next_ids = [d["id"] for d in second.json()["data"]]
    assert int(next_ids[0]) < int(ids[-1]) and not set(ids) & set(next_ids)
    assert len(next_ids) == 10


def test_modified_time_sort_orders_by_the_last_change(zoho):
    """`sort_by=Modified_Time` (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html: id, Created_Time
    and Modified_Time sort): a record changed last comes last ascending and first descending, across pages."""
    ids = [d["id"] for d in requests.get(url(zoho, "/Accounts"), headers=AUTH,
                                         params={"fields": "Account_Name", "per_page": 200}).json()["data"]]
    oldest = min(ids, key=int)
    changed = requests.put(url(zoho, f"/Accounts/{oldest}"), headers=AUTH,
                           json={"data": [{"Account_Name": "Changed last"}]})
    assert changed.status_code == 200
    seen: list[dict] = []
    params = {"fields": "Account_Name,Modified_Time", "per_page": 25, "sort_by": "Modified_Time", "sort_order": "asc"}
    while True:
        body = requests.get(url(zoho, "/Accounts"), headers=AUTH, params=params).json()
        seen += body["data"]
        if not body["info"]["more_records"]:
            break
        params = {**params, "page_token": body["info"]["next_page_token"]}
    assert len(seen) == len({d["id"] for d in seen}) == len(ids)
    assert seen[-1]["id"] == oldest
    newest_first = requests.get(url(zoho, "/Accounts"), headers=AUTH, params={
        "fields": "Account_Name", "per_page": 5, "sort_by": "Modified_Time", "sort_order": "desc"}).json()["data"]
    assert newest_first[0]["id"] == oldest


def test_page_token_errors(zoho):
    """crm-oas getRecords: `page` with `page_token` is ambiguous; an altered query invalidates the token."""
    first = requests.get(url(zoho, "/Accounts"), headers=AUTH, params={"fields": "Account_Name", "per_page": 10})
    token = first.json()["info"]["next_page_token"]
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH,
                     params={"fields": "Account_Name", "per_page": 10, "page": 2, "page_token": token})
    assert r.status_code == 400 and r.json()["code"] == "AMBIGUITY_DURING_PROCESSING"
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH,
                     params={"fields": "Account_Name,Website", "per_page": 10, "page_token": token})
    assert r.status_code == 400 and r.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"


def test_page_past_the_end_is_204(zoho):
    """crm-oas getRecords: "204: ... no records match" — an empty page has no body."""
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH, params={"fields": "Account_Name", "page": 5})
    assert r.status_code == 204 and r.content == b""


def test_get_one_record_is_a_one_element_data_array(zoho):
    """A single GET also returns a one-element `data` array with every field."""
    record = zoho.records()[3]
    r = requests.get(url(zoho, f"/Accounts/{record['id']}"), headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {"data": [record]}


def test_get_unknown_id_is_204(zoho):
    """crm-oas v8.0 getRecord "204" (Zoho's SDK sample handles 204 too). Constant GET_MISSING_STATUS."""
    r = requests.get(url(zoho, "/Accounts/5725767000009999999"), headers=AUTH)
    assert r.status_code == zoho_crm.GET_MISSING_STATUS == 204
    assert r.content == b""


def test_create_answers_201_with_action_details(zoho):
    """crm-oas createRecords/examples/response-201-success.md; request bodies."""
    body = {"data": [{"Account_Name": "Fresh Start Ltd", "Website": "https://fresh.example", "Employees": 42,
                      "Industry": "Technology", "Owner": {"id": zoho_crm.USERS[2]["id"]},
                      "Tag": [{"name": "Key Account"}, {"name": "Brand New"}],
                      "Billing_City": "Austin", "Customer_Tier": "Gold", "Not_A_Field": "ignored"}],
            "trigger": ["workflow"]}
    r = requests.post(url(zoho, "/Accounts"), headers=AUTH, json=body)
    assert r.status_code == 201
    item = r.json()["data"][0]
    assert item["code"] == "SUCCESS" and item["message"] == "record added" and item["status"] == "success"
    assert OFFSET_TS.match(item["details"]["Created_Time"])
    new_id = item["details"]["id"]
    stored = requests.get(url(zoho, f"/Accounts/{new_id}"), headers=AUTH).json()["data"][0]
    assert stored["Account_Name"] == "Fresh Start Ltd" and stored["Employees"] == 42
    assert stored["Owner"] == zoho_crm.USERS[2]
    assert [t["name"] for t in stored["Tag"]] == ["Key Account", "Brand New"]
    assert all(t["id"] for t in stored["Tag"])
    assert stored["Customer_Tier"] == "Gold" and "Not_A_Field" not in stored
    assert stored["Created_By"]["id"] == zoho_crm.TOKEN_USER["id"]


def test_create_validation_items(zoho):
    """crm-oas createRecords: MANDATORY_NOT_FOUND / INVALID_DATA items; 207 when the batch is mixed."""
    r = requests.post(url(zoho, "/Accounts"), headers=AUTH, json={"data": [{"Website": "https://x.example"}]})
    assert r.status_code == 400
    assert r.json() == {"data": [{"code": "MANDATORY_NOT_FOUND", "status": "error",
                                  "message": "required field not found",
                                  "details": {"api_name": "Account_Name", "json_path": "$.data[0].Account_Name"}}]}
    r = requests.post(url(zoho, "/Accounts"), headers=AUTH,
                      json={"data": [{"Account_Name": "Good"}, {"Account_Name": "Bad", "Employees": "many"}]})
    assert r.status_code == 207
    good, bad = r.json()["data"]
    assert good["status"] == "success"
    assert bad["code"] == "INVALID_DATA" and bad["details"]["expected_data_type"] == "integer"
    assert bad["details"]["json_path"] == "$.data[1].Employees"


def test_update_answers_200_and_unknown_id_is_invalid_data(zoho):
    """(unknown id → INVALID_DATA, HTTP 400)."""
    record = zoho.records()[0]
    r = requests.put(url(zoho, f"/Accounts/{record['id']}"), headers=AUTH,
                     json={"data": [{"Description": "Updated", "Tag": [{"name": "Referral"}]}]})
    assert r.status_code == 200
    assert r.json()["data"][0]["message"] == "record updated"
    stored = requests.get(url(zoho, f"/Accounts/{record['id']}"), headers=AUTH).json()["data"][0]
    assert stored["Description"] == "Updated" and [t["name"] for t in stored["Tag"]] == ["Referral"]
    assert stored["Account_Name"] == record["Account_Name"]
    assert stored["Modified_Time"] != record["Modified_Time"]
    r = requests.put(url(zoho, "/Accounts/5725767000009999999"), headers=AUTH,
                     json={"data": [{"Description": "x"}]})
    assert r.status_code == zoho_crm.UNKNOWN_ID_STATUS == 400
    assert r.json() == {"data": [{"code": "INVALID_DATA", "details": {"id": "5725767000009999999"},
                                  "message": "the id given seems to be invalid", "status": "error"}]}


def test_delete_then_repeat(zoho):
    """200 `record deleted`, then INVALID_DATA; the record sits in the Recycle Bin."""
    record_id = zoho.records()[5]["id"]
    r = requests.delete(url(zoho, f"/Accounts/{record_id}"), headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {"data": [{"code": "SUCCESS", "details": {"id": record_id}, "message": "record deleted",
                                  "status": "success"}]}
    r = requests.delete(url(zoho, f"/Accounts/{record_id}"), headers=AUTH)
    assert r.status_code == 400
    assert r.json()["data"][0]["code"] == "INVALID_DATA"
    assert r.json()["data"][0]["message"] == "the id given seems to be invalid"
    assert requests.get(url(zoho, f"/Accounts/{record_id}"), headers=AUTH).status_code == 204
    bin_ = requests.get(url(zoho, "/Accounts/deleted"), headers=AUTH, params={"type": "recycle"}).json()
    assert [d["id"] for d in bin_["data"]] == [record_id]
    assert bin_["data"][0]["type"] == "recycle"


def test_bulk_delete_mixed_is_207(zoho):
    """crm-oas deleteRecords: `?ids=` (≤100), 207 with per-record results when some ids are invalid."""
    record_id = zoho.records()[1]["id"]
    r = requests.delete(url(zoho, "/Accounts"), headers=AUTH, params={"ids": f"{record_id},123"})
    assert r.status_code == 207
    assert [d["status"] for d in r.json()["data"]] == ["success", "error"]
    r = requests.delete(url(zoho, "/Accounts"), headers=AUTH)
    assert r.status_code == 400 and r.json()["details"] == {"param_name": "ids"}


def test_unknown_module_and_url(zoho):
    """crm-oas getRecord examples: INVALID_MODULE (400) and INVALID_URL_PATTERN (404)."""
    r = requests.get(url(zoho, "/Acounts"), headers=AUTH, params={"fields": "Account_Name"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_MODULE"
    r = requests.get(f"{zoho.url}/crm/v2x/Accounts", headers=AUTH)
    assert r.status_code == 404 and r.json()["code"] == "INVALID_URL_PATTERN"


def test_field_metadata_flags_custom_fields(zoho):
    """Fields metadata (`GET /crm/v8/settings/fields?module=Accounts`): custom fields are flagged."""
    r = requests.get(url(zoho, "/settings/fields"), headers=AUTH, params={"module": "Accounts"})
    assert r.status_code == 200
    fields = {f["api_name"]: f for f in r.json()["fields"]}
    assert fields["Account_Name"]["custom_field"] is False and fields["Account_Name"]["system_mandatory"]
    custom = sorted(n for n, f in fields.items() if f["custom_field"])
    assert custom == ["Account_Code", "Customer_Tier", "NPS_Score", "Partner_Program", "Renewal_Date"]
    assert len(fields) <= zoho_crm.MAX_FIELDS


def test_seed_fills_every_account_field_and_is_deterministic(zoho):
    """Field list: the seed fills each field a unified account maps from."""
    first = zoho.records()
    zoho.reset()
    assert zoho.records() == first
    sample = first[10]
    for name in ("Account_Name", "Description", "Industry", "Website", "Employees", "Owner", "Phone", "Fax",
                 "Billing_Street", "Billing_City", "Billing_State", "Billing_Code", "Billing_Country",
                 "Shipping_Street", "Shipping_City", "Shipping_State", "Shipping_Code", "Shipping_Country",
                 "Tag", "Created_Time", "Modified_Time", "Last_Activity_Time", "Customer_Tier"):
        assert sample[name] not in (None, "", []), name


def test_seeding_ten_thousand_is_cheap_to_page(zoho):
    """Seed 10,000; the last page_token page answers like the first (slicing, no scans)."""
    zoho.reset(10_000)
    r = requests.get(url(zoho, "/Accounts"), headers=AUTH,
                     params={"fields": "Account_Name", "per_page": 200, "page": 10})
    assert r.status_code == 200 and r.json()["info"]["more_records"]
    assert len(zoho.records()) == 10_000


def test_official_zoho_sdk_drives_the_sandbox(zoho, tmp_path):
    """Zoho's official v8 Python SDK (`zohocrmsdk8-0`) with a custom `DataCenter.Environment` pointing at the
    sandbox: it reads field metadata, lists, creates, updates, gets and deletes Accounts, and sees the
    unknown-id outcomes (204 on get, INVALID_DATA on delete) as Zoho documents
    (https://www.zoho.com/crm/developer/docs/api/v8/delete-records.html)."""
    sdk = pytest.importorskip("zohocrmsdk.src.com.zoho.crm.api.initializer")
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
    from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
    from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
    from zohocrmsdk.src.com.zoho.crm.api.record import (APIException, BodyWrapper, GetRecordsParam, Record,
                                                         RecordOperations)
    from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

    environment = DataCenter.Environment(zoho.url, zoho.url + "/oauth/v2/token", zoho.url)
    sdk.Initializer.initialize(
        environment=environment,
        token=OAuthToken(access_token=zoho_crm.SANDBOX_TOKEN, find_user=False),
        store=FileStore(str(tmp_path / "tokens.csv")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
        resource_path=str(tmp_path))
    accounts = RecordOperations("Accounts")

    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Account_Name,Website,Employees")
    params.add(GetRecordsParam.per_page, 5)
    listed = accounts.get_records(params)
    assert listed.get_status_code() == 200
    page = listed.get_object()
    assert len(page.get_data()) == 5 and page.get_info().get_more_records() is True

    record = Record()
    record.add_key_value("Account_Name", "SDK Made Ltd")
    record.add_key_value("Employees", 12)
    body = BodyWrapper()
    body.set_data([record])
    created = accounts.create_records(body)
    assert created.get_status_code() == 201
    item = created.get_object().get_data()[0]
    assert item.get_code().get_value() == "SUCCESS"
    new_id = item.get_details()["id"]

    change = Record()
    change.add_key_value("Website", "https://sdk.example")
    body = BodyWrapper()
    body.set_data([change])
    assert accounts.update_record(int(new_id), body).get_status_code() == 200

    fetched = accounts.get_record(int(new_id))
    assert fetched.get_status_code() == 200
    got = fetched.get_object().get_data()[0]
    assert got.get_key_value("Account_Name") == "SDK Made Ltd"
    assert got.get_key_value("Website") == "https://sdk.example"

    deleted = accounts.delete_record(int(new_id))
    assert deleted.get_status_code() == 200
    assert deleted.get_object().get_data()[0].get_message().get_value() == "record deleted"
    assert accounts.get_record(int(new_id)).get_status_code() == 204
    again = accounts.delete_record(int(new_id))
    assert again.get_status_code() == 400
    failure = again.get_object()
    failure = failure.get_data()[0] if hasattr(failure, "get_data") else failure
    assert isinstance(failure, APIException) and failure.get_code().get_value() == "INVALID_DATA"


# -- Contacts module ------------------------------------------------------------------------------------
CONTACT_FIELDS = "First_Name,Last_Name,Full_Name,Email,Account_Name,Owner,Tag"


def test_contacts_seeded_with_account_lookups(zoho):
    """Most seeded contacts work at a seeded account (`Account_Name` lookup `{name, id}`), some at none."""
    accounts = {a["id"]: a for a in zoho.records("accounts")}
    contacts = zoho.records("contacts")
    linked = [c for c in contacts if c["Account_Name"]]
    assert 0 < len(linked) < len(contacts)
    for contact in linked:
        assert contact["Account_Name"] == {"name": accounts[contact["Account_Name"]["id"]]["Account_Name"],
                                           "id": contact["Account_Name"]["id"]}
    assert all(c["Full_Name"] == " ".join(p for p in (c["First_Name"], c["Last_Name"]) if p) for c in contacts)
    assert not set(accounts) & {c["id"] for c in contacts}, "ids are unique across modules"


def test_contacts_list_pages_and_validation(zoho):
    """Get Records on Contacts (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html): `fields`
    mandatory, per_page ≤ 200, page_token paging, only the asked fields plus id."""
    r = requests.get(url(zoho, "/Contacts"), headers=AUTH)
    assert r.status_code == 400 and r.json()["code"] == "REQUIRED_PARAM_MISSING"
    r = requests.get(url(zoho, "/Contacts"), headers=AUTH, params={"fields": CONTACT_FIELDS, "per_page": 201})
    assert r.status_code == 400 and r.json()["details"]["param_name"] == "per_page"
    seen, token = [], None
    while True:
        params = {"fields": CONTACT_FIELDS, "per_page": 7, "sort_order": "asc"}
        if token:
            params["page_token"] = token
        r = requests.get(url(zoho, "/Contacts"), headers=AUTH, params=params)
        assert r.status_code == 200
        body = r.json()
        assert all(set(rec) <= {"id", *CONTACT_FIELDS.split(",")} for rec in body["data"])
        seen += [rec["id"] for rec in body["data"]]
        if not body["info"]["more_records"]:
            break
        token = body["info"]["next_page_token"]
    assert seen == [c["id"] for c in zoho.records("contacts")]


def test_contact_create_requires_last_name_and_a_live_account(zoho):
    """Insert Records (https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html): Last_Name
    mandatory; a lookup must name an existing record."""
    r = requests.post(url(zoho, "/Contacts"), headers=AUTH, json={"data": [{"First_Name": "Ana"}]})
    assert r.status_code == 400
    assert r.json() == {"data": [{"code": "MANDATORY_NOT_FOUND", "status": "error",
                                  "message": "required field not found",
                                  "details": {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"}}]}
    r = requests.post(url(zoho, "/Contacts"), headers=AUTH,
                      json={"data": [{"Last_Name": "Roe", "Account_Name": {"id": "5725767000009999999"}}]})
    assert r.status_code == 400
    assert r.json()["data"][0]["code"] == "INVALID_DATA"
    assert r.json()["data"][0]["details"] == {"api_name": "Account_Name", "json_path": "$.data[0].Account_Name"}
    r = requests.post(url(zoho, "/Contacts"), headers=AUTH,
                      json={"data": [{"Last_Name": "Roe", "Vendor_Name": {"id": "5725767000009999999"}}]})
    assert r.status_code == 400 and r.json()["data"][0]["details"]["api_name"] == "Vendor_Name"
    r = requests.post(url(zoho, "/Contacts"), headers=AUTH, json={"data": [{"Last_Name": "Roe", "Date_of_Birth": "5/4/1990"}]})
    assert r.status_code == 400
    assert r.json()["data"][0]["details"] == {"api_name": "Date_of_Birth", "json_path": "$.data[0].Date_of_Birth",
                                              "expected_data_type": "date"}


def test_contact_create_update_account_link(zoho):
    """The account link is written as `{"id"}` (or a bare id) and read back as `{name, id}`."""
    first, second = zoho.records("accounts")[:2]
    r = requests.post(url(zoho, "/Contacts"), headers=AUTH, json={"data": [{
        "First_Name": "Jane", "Last_Name": "Roe", "Email": "jane@roe.example", "Account_Name": {"id": first["id"]},
        "Tag": [{"name": "VIP"}], "Loyalty_Points": 12, "Full_Name": "ignored (read-only)"}]})
    assert r.status_code == 201
    new_id = r.json()["data"][0]["details"]["id"]
    stored = requests.get(url(zoho, f"/Contacts/{new_id}"), headers=AUTH).json()["data"][0]
    assert stored["Account_Name"] == {"name": first["Account_Name"], "id": first["id"]}
    assert stored["Full_Name"] == "Jane Roe" and stored["Loyalty_Points"] == 12
    assert stored["Owner"] == zoho_crm.TOKEN_USER and [t["name"] for t in stored["Tag"]] == ["VIP"]
    r = requests.put(url(zoho, f"/Contacts/{new_id}"), headers=AUTH,
                     json={"data": [{"Account_Name": second["id"], "First_Name": "Janet"}]})
    assert r.status_code == 200 and r.json()["data"][0]["message"] == "record updated"
    stored = requests.get(url(zoho, f"/Contacts/{new_id}"), headers=AUTH).json()["data"][0]
    assert stored["Account_Name"] == {"name": second["Account_Name"], "id": second["id"]}
    assert stored["Full_Name"] == "Janet Roe"
    requests.put(url(zoho, f"/Accounts/{second['id']}"), headers=AUTH, json={"data": [{"Account_Name": "Renamed Co"}]})
    stored = requests.get(url(zoho, f"/Contacts/{new_id}"), headers=AUTH).json()["data"][0]
    assert stored["Account_Name"] == {"name": "Renamed Co", "id": second["id"]}, "lookups read the current name"
    r = requests.put(url(zoho, f"/Contacts/{new_id}"), headers=AUTH, json={"data": [{"Last_Name": ""}]})
    assert r.status_code == 400 and r.json()["data"][0]["code"] == "MANDATORY_NOT_FOUND"


def test_contact_delete_goes_to_recycle_bin(zoho):
    """Delete Records: 200 `record deleted`; the get then answers 204; a second delete INVALID_DATA."""
    record = zoho.records("contacts")[2]
    r = requests.delete(url(zoho, f"/Contacts/{record['id']}"), headers=AUTH)
    assert r.status_code == 200 and r.json()["data"][0]["message"] == "record deleted"
    assert requests.get(url(zoho, f"/Contacts/{record['id']}"), headers=AUTH).status_code == 204
    assert requests.delete(url(zoho, f"/Contacts/{record['id']}"), headers=AUTH).status_code == 400
    bin_ = requests.get(url(zoho, "/Contacts/deleted"), headers=AUTH, params={"type": "recycle"}).json()
    assert [(d["id"], d["display_name"]) for d in bin_["data"]] == [(record["id"], record["Full_Name"])]


def test_contact_layout_lists_custom_fields(zoho):
    """GET /settings/fields?module=Contacts: Last_Name system-mandatory, custom fields flagged, lookups named."""
    fields = requests.get(url(zoho, "/settings/fields"), headers=AUTH, params={"module": "Contacts"}).json()["fields"]
    by_name = {f["api_name"]: f for f in fields}
    assert by_name["Last_Name"]["system_mandatory"] is True and by_name["Full_Name"]["read_only"] is True
    assert by_name["Account_Name"]["lookup"] == {"module": {"api_name": "Accounts"}}
    assert {f["api_name"] for f in fields if f["custom_field"]} == {"Nickname", "Preferred_Language", "Newsletter",
                                                                     "Loyalty_Points"}


def test_contact_merge_as_documented(zoho):
    """Merge Records (https://www.zoho.com/crm/developer/docs/api/v8/merge-records.html) with the documented
    body; the status route (https://www.zoho.com/crm/developer/docs/api/v8/get-merge-status.html)."""
    master, child1, child2 = zoho.records("contacts")[:3]
    body = {"merge": [{"data": [{"id": child1["id"], "_fields": [{"api_name": "Email"}, {"api_name": "Phone"}]},
                                {"id": child2["id"]}]}]}
    r = requests.post(url(zoho, f"/Contacts/{master['id']}/actions/merge"), headers=AUTH, json=body)
    assert r.status_code == 201
    (item,) = r.json()["merge"]
    assert item["code"] == "SCHEDULED" and item["status"] == "success" and item["details"]["job_id"]
    stored = requests.get(url(zoho, f"/Contacts/{master['id']}"), headers=AUTH).json()["data"][0]
    assert stored["Email"] == child1["Email"] and stored["Phone"] == child1["Phone"]
    assert stored["Last_Name"] == master["Last_Name"], "the master keeps the fields not chosen"
    for child in (child1, child2):
        assert requests.get(url(zoho, f"/Contacts/{child['id']}"), headers=AUTH).status_code == 204
    r = requests.get(url(zoho, f"/Contacts/{master['id']}/actions/merge"), headers=AUTH,
                     params={"job_id": item["details"]["job_id"]})
    assert r.status_code == 200
    assert r.json() == {"merge": [{"job_id": item["details"]["job_id"], "status": "COMPLETED"}]}


def test_contact_merge_refusals(zoho):
    """Merge errors come as items of `merge` with HTTP 400 (crm-oas v8.0 find_and_merge.json)."""
    ids = [c["id"] for c in zoho.records("contacts")[:4]]
    merge_url = url(zoho, f"/Contacts/{ids[0]}/actions/merge")

    def refused(body, code, master=merge_url):
        r = requests.post(master, headers=AUTH, json=body)
        assert r.status_code == 400, r.text
        assert r.json()["merge"][0]["code"] == code and r.json()["merge"][0]["status"] == "error"
        return r.json()["merge"][0]

    refused({}, "MANDATORY_NOT_FOUND")
    refused({"merge": [{"data": []}]}, "MANDATORY_NOT_FOUND")
    refused({"merge": [{"data": [{"id": i} for i in ids[1:4]]}]}, "NOT_ALLOWED")      # four records
    refused({"merge": [{"data": [{"id": ids[0]}]}]}, "NOT_ALLOWED")                    # itself
    refused({"merge": [{"data": [{"id": ids[1]}, {"id": ids[1]}]}]}, "DUPLICATE_DATA")
    assert refused({"merge": [{"data": [{"id": "5725767000009999999"}]}]}, "INVALID_DATA")["details"]["api_name"] == "id"
    refused({"merge": [{"data": [{"id": ids[1], "_fields": [{"api_name": "Nope"}]}]}]}, "INVALID_DATA")
    refused({"merge": [{"data": [{"id": ids[1], "_fields": [{"api_name": ["x"]}]}]}]}, "INVALID_DATA")
    refused({"merge": [{"data": ["not an object"]}]}, "MANDATORY_NOT_FOUND")
    item = refused({"merge": [{"data": [{"id": ids[1]}]}]}, "INVALID_DATA",
                   url(zoho, "/Contacts/5725767000009999999/actions/merge"))
    assert item["message"] == "Specified master record ID is invalid"
    assert all(requests.get(url(zoho, f"/Contacts/{i}"), headers=AUTH).status_code == 200 for i in ids)
    r = requests.post(merge_url, json={"merge": [{"data": [{"id": ids[1]}]}]})
    assert r.status_code == 401


def test_contact_routes_go_through_the_shared_mount(zoho):
    """Rate-limit headers, request recording and queued faults apply to the Contacts routes too."""
    zoho.clear_requests()
    r = requests.get(url(zoho, "/Contacts"), headers=AUTH, params={"fields": CONTACT_FIELDS, "per_page": 2})
    assert r.status_code == 200 and r.headers["X-RATELIMIT-REMAINING"].isdigit()
    assert [(c["method"], c["path"]) for c in zoho.requests()] == [("GET", "/zoho_crm/crm/v8/Contacts")]
    zoho.fault(status=503, body={"code": "INTERNAL_ERROR"}, path_contains="/Contacts", times=1)
    try:
        assert requests.get(url(zoho, "/Contacts"), headers=AUTH, params={"fields": "Last_Name"}).status_code == 503
        assert requests.get(url(zoho, "/Contacts"), headers=AUTH, params={"fields": "Last_Name"}).status_code == 200
    finally:
        zoho.clear_faults()


@pytest.mark.parametrize("module", ["Accounts", "Contacts"])
def test_unknown_id_error_takes_either_documented_shape(zoho, module):
    """Public clients show an INVALID_DATA item under `data`; crm-oas v8.0 (deleteRecord examples) a top-level
    INVALID_DATA with `resource_path_index` (switch `unknown_id_body`). Both are HTTP 400."""
    missing = "5725767000009999999"
    r = requests.delete(url(zoho, f"/{module}/{missing}"), headers=AUTH, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"data": [{"code": "INVALID_DATA", "details": {"id": missing},
                                  "message": "the id given seems to be invalid", "status": "error"}]}
    zoho.switch(unknown_id_body="flat")
    for method, body in (("DELETE", None), ("PUT", {"data": [{"Description": "x"}]})):
        r = requests.request(method, url(zoho, f"/{module}/{missing}"), headers=AUTH, json=body, timeout=10)
        assert r.status_code == 400
        assert r.json() == {"code": "INVALID_DATA", "details": {"resource_path_index": 0},
                            "message": "invalid record id", "status": "error"}


def test_a_value_outside_a_picklist_is_taken_or_refused_as_switched(zoho):
    """The SDK's README implies the API takes a new picklist value; a restricted picklist refuses it
    (switch `picklist_values`)."""
    body = {"data": [{"Account_Name": "Picky Ltd", "Industry": "Basket Weaving"}]}
    r = requests.post(url(zoho, "/Accounts"), headers=AUTH, json=body)
    assert r.status_code == 201
    new_id = r.json()["data"][0]["details"]["id"]
    assert requests.get(url(zoho, f"/Accounts/{new_id}"), headers=AUTH).json()["data"][0]["Industry"] == "Basket Weaving"
    zoho.switch(picklist_values="reject")
    r = requests.post(url(zoho, "/Accounts"), headers=AUTH, json=body)
    assert r.status_code == 400
    assert r.json() == {"data": [{"code": "INVALID_DATA", "message": "invalid data", "status": "error",
                                  "details": {"api_name": "Industry", "json_path": "$.data[0].Industry"}}]}
    r = requests.put(url(zoho, f"/Accounts/{new_id}"), headers=AUTH, json={"data": [{"Industry": "Retail"}]})
    assert r.status_code == 200


def test_search_by_time_criteria_pages_and_refuses_what_it_does_not_read(zoho):
    """GET /crm/v8/<Module>/search?criteria= (https://www.zoho.com/crm/developer/docs/api/v8/search-records.html):
    time conditions compared as instants, page/per_page, 204 for no match, INVALID_QUERY for a criteria it cannot
    read, REQUIRED_PARAM_MISSING without one."""
    stored = zoho.records("accounts")
    times = sorted(r["Modified_Time"] for r in stored)
    middle = times[len(times) // 2]
    criteria = f"(Modified_Time:greater_equal:{middle})"
    first = requests.get(url(zoho, "/Accounts/search"), headers=AUTH,
                         params={"criteria": criteria, "per_page": 3, "page": 1, "fields": "Account_Name,Modified_Time"})
    assert first.status_code == 200, first.text
    expected = [r["id"] for r in stored if r["Modified_Time"] >= middle]   # one offset for every seeded time
    found, page = [], 1
    while True:
        answer = requests.get(url(zoho, "/Accounts/search"), headers=AUTH,
                              params={"criteria": criteria, "per_page": 3, "page": page})
        if answer.status_code == 204:
            break
        found += [r["id"] for r in answer.json()["data"]]
        if not answer.json()["info"]["more_records"]:
            break
        page += 1
    assert sorted(found) == sorted(expected)
    assert set(first.json()["data"][0]) == {"id", "Account_Name", "Modified_Time"}
    none = requests.get(url(zoho, "/Accounts/search"), headers=AUTH,
                        params={"criteria": "(Modified_Time:greater_than:2999-01-01T00:00:00+00:00)"})
    assert none.status_code == 204 and none.content == b""
    for bad in ("Modified_Time:greater_equal:2020-01-01", "(Modified_Time:like:2020-01-01T00:00:00+00:00)",
                "((Account_Name:equals:A)and(Account_Name:equals:B)or(Account_Name:equals:C))"):
        refused = requests.get(url(zoho, "/Accounts/search"), headers=AUTH, params={"criteria": bad})
        assert refused.status_code == 400 and refused.json()["code"] == "INVALID_QUERY", bad
    missing = requests.get(url(zoho, "/Accounts/search"), headers=AUTH)
    assert missing.status_code == 400 and missing.json()["code"] == "REQUIRED_PARAM_MISSING"


@pytest.mark.parametrize("if_modified_since", ["after", "inclusive"])
def test_users_if_modified_since_keeps_the_users_modified_after_it_and_304_when_none(zoho, if_modified_since):
    """GET /crm/v8/users with If-Modified-Since (https://www.zoho.com/crm/developer/docs/api/v8/get-users.html):
    only the users modified after the instant, 304 with no body when none; whether "after" takes in a user modified
    in that very second is the switch `if_modified_since`."""
    zoho.switch(if_modified_since=if_modified_since)
    stored = zoho.records("users")
    user = stored[2]

    def since(value: str) -> requests.Response:
        return requests.get(url(zoho, "/users"), headers={**AUTH, "If-Modified-Since": value},
                            params={"type": "AllUsers", "per_page": 200}, timeout=5)

    answer = since(user["Modified_Time"])
    assert answer.status_code == 200, answer.text
    later = {u["id"] for u in stored if u["Modified_Time"] > user["Modified_Time"]}   # one offset for every seed
    found = {u["id"] for u in answer.json()["users"]}
    assert found == (later | {user["id"]} if if_modified_since == "inclusive" else later)
    none = since("2999-01-01T00:00:00+05:30")
    assert none.status_code == 304 and none.content == b""
    bad = since("yesterday")
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_DATA"


def test_layouts_list_every_layout_s_sections_with_their_fields(zoho):
    """GET /crm/v8/settings/layouts?module= (https://www.zoho.com/crm/developer/docs/api/v8/layouts-meta.html):
    `module` is mandatory; each section has its own id and lists fields the fields metadata knows."""
    missing = requests.get(url(zoho, "/settings/layouts"), headers=AUTH, timeout=5)
    assert missing.status_code == 400 and missing.json()["code"] == "REQUIRED_PARAM_MISSING"
    unknown = requests.get(url(zoho, "/settings/layouts"), headers=AUTH, params={"module": "Widgets"}, timeout=5)
    assert unknown.status_code == 400 and unknown.json()["code"] == "INVALID_MODULE"
    deals = requests.get(url(zoho, "/settings/layouts"), headers=AUTH, params={"module": "Deals"}, timeout=5).json()
    assert [layout["id"] for layout in deals["layouts"]] == [DEALS_LAYOUT_ID]   # the pipelines API's layout
    contacts = requests.get(url(zoho, "/settings/layouts"), headers=AUTH, params={"module": "Contacts"},
                            timeout=5).json()["layouts"]
    assert [layout["name"] for layout in contacts] == ["Standard", *CUSTOM_LAYOUTS["Contacts"]]
    sections = [s for layout in contacts for s in layout["sections"]]
    assert len({s["id"] for s in sections}) == len(sections)
    assert [s["display_label"] for s in contacts[0]["sections"]] == \
        ["Contact Information", "Address Information", "Description Information", "Preferences"]
    metadata = requests.get(url(zoho, "/settings/fields"), headers=AUTH, params={"module": "Contacts"},
                            timeout=5).json()["fields"]
    for layout in contacts:
        placed = [f["api_name"] for s in layout["sections"] for f in s["fields"]]
        assert sorted(placed) == sorted(f["api_name"] for f in metadata)   # each field in one section of a layout
    assert {f["api_name"] for f in contacts[0]["sections"][1]["fields"]} >= {"Mailing_City", "Other_Street"}
    assert "Other_Phone" not in {f["api_name"] for f in contacts[0]["sections"][1]["fields"]}
