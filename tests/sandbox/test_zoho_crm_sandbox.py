"""The Zoho CRM emulator against Zoho's documented v8 behaviour for the Accounts module.

Sources: research/crm-apis-1.md §3 (Zoho CRM) and §6 (emulator checklist); Zoho's OpenAPI examples in
zoho/crm-oas `v8.0/record/operations/*/examples/*.md`.
"""

from __future__ import annotations

import re

import pytest
import requests

from unigate.sandbox import zoho_crm

NAME = "zoho_crm"
AUTH = {"Authorization": f"Zoho-oauthtoken {zoho_crm.SANDBOX_TOKEN}"}
FIELDS = "Account_Name,Website,Industry,Employees,Owner,Tag,Created_Time,Modified_Time"
OFFSET_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$")


@pytest.fixture
def zoho(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    return control


def url(zoho, path: str) -> str:
    return f"{zoho.url}/crm/v8{path}"


def test_missing_authorization_is_authentication_failure(zoho):
    """research §3.4; crm-oas cloneRecord/examples/response-401-authenticationfailure.md."""
    r = requests.get(url(zoho, "/Accounts"), params={"fields": "Account_Name"})
    assert r.status_code == 401
    assert r.json() == {"code": "AUTHENTICATION_FAILURE", "details": {}, "message": "Authentication failed",
                        "status": "error"}
    r = requests.get(url(zoho, "/Accounts"), params={"fields": "Account_Name"},
                     headers={"Authorization": f"Bearer {zoho_crm.SANDBOX_TOKEN}"})
    assert r.status_code == 401 and r.json()["code"] == "AUTHENTICATION_FAILURE"


def test_wrong_token_is_invalid_token(zoho):
    """research §3.4: 401 `{"code":"INVALID_TOKEN",…,"message":"invalid oauth token"}`."""
    r = requests.get(url(zoho, "/Accounts"), params={"fields": "Account_Name"},
                     headers={"Authorization": "Zoho-oauthtoken 1000.expired.token"})
    assert r.status_code == 401
    assert r.json() == {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}


def test_list_requires_fields(zoho):
    """research §3.3 (`fields` mandatory); crm-oas getRecords/examples/response-400-requiredparammissing.md."""
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
    """research §3.3 response shapes (`data` + `info`); only the requested fields come back, plus id."""
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
    """research §3.3: `page`/`per_page` with `info.more_records` false on the last page."""
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
    """research §3.3: page/per_page reach 2,000 records, then `page_token` (crm-oas
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
    """research §3.3: a single GET also returns a one-element `data` array with every field."""
    record = zoho.records()[3]
    r = requests.get(url(zoho, f"/Accounts/{record['id']}"), headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {"data": [record]}


def test_get_unknown_id_is_204(zoho):
    """crm-oas v8.0 getRecord "204"; research §3.4 (SDK sample handles 204). Constant GET_MISSING_STATUS."""
    r = requests.get(url(zoho, "/Accounts/5725767000009999999"), headers=AUTH)
    assert r.status_code == zoho_crm.GET_MISSING_STATUS == 204
    assert r.content == b""


def test_create_answers_201_with_action_details(zoho):
    """crm-oas createRecords/examples/response-201-success.md; research §3.3 request bodies."""
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
    """research §3.3 (PUT /Accounts/{id}, `record updated`) and §3.4 (unknown id → INVALID_DATA, HTTP 400)."""
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
    """research §0/§6.2: 200 `record deleted`, then INVALID_DATA; the record sits in the Recycle Bin (§3.6)."""
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
    assert custom == ["Customer_Tier", "NPS_Score", "Partner_Program", "Renewal_Date"]
    assert len(fields) <= zoho_crm.MAX_FIELDS


def test_seed_fills_every_account_field_and_is_deterministic(zoho):
    """research §3.5 field list: the seed fills each field a unified account maps from."""
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
    unknown-id outcomes (204 on get, INVALID_DATA on delete) as research §3.4 describes."""
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
