"""Zoho CRM through the gateway: the mappings against the sandbox's stored Accounts and Contacts, writes as
Zoho receives them, and Zoho's quirks seen through the unified API
(https://www.zoho.com/crm/developer/docs/api/v8/get-records.html)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import country_code, list_all

from unigate.sandbox import zoho_crm

NAME = "zoho_crm"
STANDARD = {"id", "Owner", "Account_Name", "Account_Number", "Account_Site", "Account_Type", "Annual_Revenue",
            "Currency", "Exchange_Rate", "Description", "Employees", "Fax", "Industry", "Ownership",
            "Parent_Account", "Phone", "Rating", "SIC_Code", "Ticker_Symbol", "Website", "Billing_Street",
            "Billing_City", "Billing_State", "Billing_Code", "Billing_Country", "Shipping_Street", "Shipping_City",
            "Shipping_State", "Shipping_Code", "Shipping_Country", "Tag", "Created_By", "Modified_By",
            "Created_Time", "Modified_Time", "Last_Activity_Time", "Record_Image", "Locked__s"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()
    control.default_switches()


def utc(value: str | None) -> str | None:
    """What a Zoho `+05:30` timestamp must read as: RFC 3339 UTC."""
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def expected(account: dict) -> dict:
    """The unified account a stored Zoho record should map to (written independently of the YAML)."""
    def address(prefix: str, kind: str) -> dict | None:
        street = account[f"{prefix}_Street"] or ""
        lines = street.split("\n")
        values = {"street_1": lines[0] or None, "street_2": "\n".join(lines[1:]) or None,
                  "city": account[f"{prefix}_City"], "state": account[f"{prefix}_State"],
                  "postal_code": account[f"{prefix}_Code"], "country": country_code(account[f"{prefix}_Country"])}
        if not any(values.values()):
            return None
        return {k: v for k, v in {**values, "type": kind}.items() if v is not None}

    phones = [p for p in ({"number": account["Phone"], "type": "work"} if account["Phone"] else None,
                          {"number": account["Fax"], "type": "fax"} if account["Fax"] else None) if p]
    custom = {k: v for k, v in account.items() if k not in STANDARD and not k.startswith("$") and v is not None}
    return {
        "id": account["id"],
        "name": account["Account_Name"],
        "description": account["Description"],
        "industry": account["Industry"],
        "website": account["Website"],
        "number_of_employees": account["Employees"],
        "owner": {"id": account["Owner"]["id"]},
        "addresses": [a for a in (address("Billing", "billing"), address("Shipping", "shipping")) if a] or None,
        "phone_numbers": phones or None,
        "urls": [{"url": account["Website"], "type": "website"}] if account["Website"] else None,
        "tags": [{"id": t["id"], "name": t["name"]} for t in account["Tag"]] or None,
        "custom_fields": custom or None,
        "last_activity_at": account["Last_Activity_Time"],
        "created_at": account["Created_Time"],
        "updated_at": account["Modified_Time"],
    }


def assert_maps(unified: dict, account: dict) -> None:
    for key, value in expected(account).items():
        got = unified.get(key)
        if key.endswith("_at"):
            if value is None:
                assert got is None, key
            else:
                assert got.endswith("Z") and got[:19] == utc(value), f"{key}: {got!r} from {value!r}"
        else:
            assert got == value, f"{key}: {got!r} != {value!r}"
    assert unified["remote_data"]["id"] == account["id"]


def stored(ctl) -> dict[str, dict]:
    return {a["id"]: a for a in ctl.records()}


def test_list_maps_every_account(gateway, ctl):
    """Every stored account comes back once with each supported field mapped, custom fields included
    (the list asks for them by name, from the fields metadata); `+05:30` times become RFC 3339 UTC."""
    records = stored(ctl)
    seen = [r for page in list_all(gateway, NAME, limit=25) for r in page]
    assert sorted(r["id"] for r in seen) == sorted(records)
    for unified in seen:
        assert_maps(unified, records[unified["id"]])
    assert any(r.get("custom_fields", {}).get("Customer_Tier") for r in seen)


def test_get_maps_the_stored_account(gateway, ctl):
    """A single GET answers `{"data": [record]}`; the unified record maps every field of it."""
    account = ctl.records()[7]
    response = gateway.unified("GET", NAME, account["id"])
    assert response.status_code == 200, response.text
    assert_maps(response.json(), account)


def test_list_requests_fields_and_pages_with_page_token(gateway, ctl):
    """`fields` is mandatory (≤50 names) and pages continue with `page_token`; the field metadata is
    read once per integrated account."""
    gateway.unified("GET", NAME, params={"limit": 5})   # warm the cached layout step
    ctl.clear_requests()
    first = gateway.unified("GET", NAME, params={"limit": 5}).json()
    second = gateway.unified("GET", NAME, params={"limit": 5, "next_cursor": first["next_cursor"]}).json()
    assert not {r["id"] for r in first["result"]} & {r["id"] for r in second["result"]}
    calls = [r for r in ctl.requests() if r["method"] == "GET"]
    assert [c["path"] for c in calls] == ["/zoho_crm/crm/v8/Accounts"] * 2   # no metadata call: cached
    params = [dict(c["query_params"]) for c in calls]
    fields = params[0]["fields"].split(",")
    assert "Account_Name" in fields and "Customer_Tier" in fields and len(fields) <= 50
    assert params[0]["per_page"] == "5" and "page_token" not in params[0]
    assert params[1]["page_token"] and "page" not in params[1]
    assert calls[0]["headers"]["authorization"] == f"Zoho-oauthtoken {zoho_crm.SANDBOX_TOKEN}"


def test_paging_past_two_thousand_records(gateway, ctl):
    """page/per_page stop at 2,000 records; page_token goes on. 2,100 accounts in pages of 200."""
    ctl.reset(2100)
    ids = [r["id"] for page in list_all(gateway, NAME, limit=200) for r in page]
    assert len(ids) == len(set(ids)) == 2100


def test_create_sends_zoho_body_and_reads_back(gateway, ctl):
    """Request bodies: one record in a `data` array with Zoho API names; the answer is the record
    read back (Zoho's create answer has only the id), so every sent value is there."""
    owner = zoho_crm.USERS[3]["id"]
    sent = {
        "name": "Gateway Made Ltd", "description": "Through the unified API", "industry": "Technology",
        "website": "https://gateway-made.example", "number_of_employees": 321, "owner": {"id": owner},
        "addresses": [{"street_1": "5 Main St", "street_2": "Floor 2", "city": "Leeds", "state": "WY",
                       "postal_code": "LS1", "country": "United Kingdom", "type": "billing"},
                      {"street_1": "9 Dock Rd", "city": "Hull", "type": "shipping"}],
        "phone_numbers": [{"number": "+44 113 555 0000", "type": "work"}, {"number": "+44 113 555 0001", "type": "fax"}],
        "tags": [{"name": "Enterprise"}],
        "custom_fields": {"Customer_Tier": "Platinum", "NPS_Score": 9},
    }
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent)
    assert response.status_code == 201 or response.status_code == 200, response.text
    created = response.json()
    calls = [(r["method"], r["path"]) for r in ctl.requests()]
    # the write is the call; the record is then read back with Get Record (no `fields` needed there)
    assert calls == [("POST", "/zoho_crm/crm/v8/Accounts"), ("GET", f"/zoho_crm/crm/v8/Accounts/{created['id']}")]
    posted = [r for r in ctl.requests() if r["method"] == "POST"]
    assert posted[0]["body"] == {"data": [{
        "Account_Name": "Gateway Made Ltd", "Description": "Through the unified API", "Industry": "Technology",
        "Website": "https://gateway-made.example", "Employees": 321, "Owner": {"id": owner},
        "Phone": "+44 113 555 0000", "Fax": "+44 113 555 0001",
        "Billing_Street": "5 Main St\nFloor 2", "Billing_City": "Leeds", "Billing_State": "WY",
        "Billing_Code": "LS1", "Billing_Country": "GB",   # a name given is sent as the unified code
        "Shipping_Street": "9 Dock Rd", "Shipping_City": "Hull",
        "Tag": [{"name": "Enterprise"}], "Customer_Tier": "Platinum", "NPS_Score": 9}]}
    account = stored(ctl)[created["id"]]
    assert_maps(created, account)
    for key in ("name", "description", "industry", "website", "number_of_employees", "owner", "custom_fields"):
        got = created[key] if key != "custom_fields" else {k: created[key][k] for k in sent[key]}
        assert got == sent[key], key
    assert created["addresses"][0]["street_2"] == "Floor 2"
    assert created["tags"][0]["name"] == "Enterprise" and created["tags"][0]["id"]


def test_update_sends_only_changed_fields_and_answers_the_record(gateway, ctl):
    """PUT /Accounts/{id} with `{"data": [...]}` holding only what changed; the answer is the record."""
    account = ctl.records()[2]
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, account["id"], json={"description": "Changed",
                                                                   "remote_data": {"trigger": ["workflow"]}})
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "Changed" and response.json()["name"] == account["Account_Name"]
    calls = ctl.requests()
    assert [(c["method"], c["path"]) for c in calls] == [("PUT", f"/zoho_crm/crm/v8/Accounts/{account['id']}"),
                                                         ("GET", f"/zoho_crm/crm/v8/Accounts/{account['id']}")]
    # remote_data deep-merged by the engine: Zoho's top-level parameters beside the mapped `data`
    assert calls[0]["body"] == {"data": [{"Description": "Changed"}], "trigger": ["workflow"]}


def test_raw_writes_answer_zoho_s_own_write_answer(gateway, ctl):
    """Raw format returns what Zoho answered to the write (code SUCCESS and details), not a read-back."""
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, json={"name": "Raw Ltd", "remote_data": {"trigger": []}},
                              params={"truto_response_format": "raw"})
    assert created.status_code == 201, created.text
    item = created.json()["data"][0]
    assert item["code"] == "SUCCESS" and item["message"] == "record added" and item["details"]["id"]
    assert [r["method"] for r in ctl.requests()] == ["POST"]  # no read-back in raw format
    assert ctl.requests()[0]["body"] == {"data": [{"Account_Name": "Raw Ltd"}], "trigger": []}
    new_id = item["details"]["id"]
    updated = gateway.unified("PATCH", NAME, new_id, json={"industry": "Banking"},
                              params={"truto_response_format": "raw"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"][0]["message"] == "record updated"
    assert updated.json()["data"][0]["details"]["id"] == new_id
    assert stored(ctl)[new_id]["Industry"] == "Banking"
    assert gateway.unified("GET", NAME, new_id).json()["industry"] == "Banking"


@pytest.mark.parametrize("shape", ["item", "flat"])
@pytest.mark.parametrize("resource", ["accounts", "contacts"])
def test_unknown_ids_are_404(gateway, ctl, shape, resource):
    """Get answers 204 (no body), update/delete answer INVALID_DATA (HTTP 400): all 404 here, whichever
    of the two documented error shapes Zoho sends (emulator switch `unknown_id_body`)."""
    ctl.switch(unknown_id_body=shape)
    missing = "5725767000009999999"
    got = gateway.unified("GET", NAME, missing, resource=resource)
    assert got.status_code == 404 and got.json()["truto_is_remote_error"] is True
    body = {"name": "x"} if resource == "accounts" else {"last_name": "x"}
    for method, sent in (("PATCH", body), ("DELETE", None)):
        response = gateway.unified(method, NAME, missing, json=sent, resource=resource)
        assert response.status_code == 404, response.text
        raw = response.json()["raw_response"]
        item = raw["data"][0] if shape == "item" else raw
        assert item["code"] == "INVALID_DATA"
        wording = "the id given seems to be invalid" if shape == "item" else "invalid record id"
        assert wording in response.json()["message"]


def test_delete_then_gone_and_in_the_recycle_bin(gateway, ctl):
    """Delete moves the record to the Recycle Bin; the unified delete answers the id, then 404."""
    account = ctl.records()[4]
    response = gateway.unified("DELETE", NAME, account["id"])
    assert response.status_code == 200 and response.json()["id"] == account["id"]
    assert response.json()["remote_data"]["data"][0]["message"] == "record deleted"
    assert gateway.unified("GET", NAME, account["id"]).status_code == 404
    assert account["id"] not in stored(ctl)


@pytest.mark.parametrize("picklist_values", ["accept", "reject"])
def test_an_industry_outside_the_picklist_either_way(gateway, ctl, picklist_values):
    """Whether Zoho takes a picklist value its layout lacks is unverified (emulator switch `picklist_values`):
    taken, the account reads back with it; refused, Zoho's INVALID_DATA naming the field reaches the caller
    as a 400 and nothing is stored."""
    ctl.switch(picklist_values=picklist_values)
    response = gateway.unified("POST", NAME, json={"name": "Picky Ltd", "industry": "Basket Weaving"})
    names = {a["Account_Name"] for a in ctl.records()}
    if picklist_values == "reject":
        assert response.status_code == 400, response.text
        assert "INVALID_DATA" in response.json()["message"] and "Industry" in response.json()["message"]
        assert "Picky Ltd" not in names
        return
    assert response.status_code in (200, 201), response.text
    assert response.json()["industry"] == "Basket Weaving" and "Picky Ltd" in names


def test_validation_error_stays_400(gateway, ctl):
    """A field INVALID_DATA item (not an unknown id) is a 400 with Zoho's message."""
    response = gateway.unified("POST", NAME, json={"name": "Bad", "owner": {"id": "42"}})
    assert response.status_code == 400, response.text
    assert "INVALID_DATA" in response.json()["message"] and "Owner" in response.json()["message"]


@pytest.mark.parametrize("rate_limit_headers", ["send", "omit"])
def test_rate_limit_headers_reach_the_caller(gateway, ctl, rate_limit_headers):
    """X-RATELIMIT-* (epoch-millisecond reset) surface as the unified rate-limit headers; v8's docs do not
    list them (emulator switch `rate_limit_headers`), and without them the call answers as usual, with none."""
    ctl.switch(rate_limit_headers=rate_limit_headers)
    response = gateway.unified("GET", NAME, params={"limit": 2})
    assert response.status_code == 200
    assert len(response.json()["result"]) == 2
    lowered = {k.lower(): v for k, v in response.headers.items()}
    if rate_limit_headers == "omit":
        assert "ratelimit-limit" not in lowered and "ratelimit-remaining" not in lowered
        return
    assert lowered.get("ratelimit-limit") == str(zoho_crm.RATE_LIMIT)
    assert lowered.get("ratelimit-remaining", "").isdigit()


def test_api_domain_must_be_a_zoho_host(gateway):
    """The API host comes from the account's `api_domain`; a host that is not Zoho's is refused."""
    created = gateway.admin("POST", "/integrated-account", json={
        "integration": NAME, "context": {"access_token": "t", "api_domain": "https://evil.example"}})
    assert created.status_code == 400, created.text  # refused before it is stored (tests/test_outbound_hosts.py)
    assert "not one of Zoho CRM's own API hosts" in created.json()["message"]


# -- contacts (the Contacts module) ------------------------------------------------------------------
def contacts(gateway, method: str, record_id: str | None = None, **kwargs):
    return gateway.unified(method, NAME, record_id, resource="contacts", **kwargs)


CONTACT_STANDARD = {"id", "Owner", "Salutation", "First_Name", "Last_Name", "Full_Name", "Title", "Department",
                    "Account_Name", "Vendor_Name", "Reporting_To", "Email", "Secondary_Email", "Phone", "Mobile",
                    "Home_Phone", "Other_Phone", "Asst_Phone", "Assistant", "Fax", "Mailing_Street", "Mailing_City",
                    "Mailing_State", "Mailing_Zip", "Mailing_Country", "Other_Street", "Other_City", "Other_State",
                    "Other_Zip", "Other_Country", "Description", "Date_of_Birth", "Lead_Source", "Email_Opt_Out",
                    "Twitter", "Skype_ID", "Tag", "Created_By", "Modified_By", "Created_Time", "Modified_Time",
                    "Last_Activity_Time", "Record_Image", "Locked__s"}


def expected_contact(contact: dict) -> dict:
    """The unified contact a stored Zoho contact should map to (written independently of the YAML)."""
    street = (contact["Mailing_Street"] or "").split("\n")
    mailing = {"street_1": street[0] or None, "street_2": "\n".join(street[1:]) or None,
               "city": contact["Mailing_City"], "state": contact["Mailing_State"],
               "postal_code": contact["Mailing_Zip"], "country": country_code(contact["Mailing_Country"]), "type": "mailing"}
    phones = [{"number": contact[key], "type": kind} for key, kind in (
        ("Phone", "work"), ("Mobile", "mobile"), ("Home_Phone", "home"), ("Other_Phone", "other"),
        ("Asst_Phone", "assistant"), ("Fax", "fax")) if contact[key]]
    emails = [{"email": contact[key], "type": kind} for key, kind in (
        ("Email", "primary"), ("Secondary_Email", "secondary")) if contact[key]]
    custom = {k: v for k, v in contact.items() if k not in CONTACT_STANDARD and not k.startswith("$") and v is not None}
    account = contact["Account_Name"]
    return {
        "id": contact["id"], "first_name": contact["First_Name"], "last_name": contact["Last_Name"],
        "name": contact["Full_Name"], "title": contact["Title"],
        "account": {"id": account["id"], "name": account["name"]} if account else None,
        "addresses": [{k: v for k, v in mailing.items() if v is not None}] if contact["Mailing_City"] else None,
        "email_addresses": emails or None, "phone_numbers": phones or None,
        "tags": [{"id": t["id"], "name": t["name"]} for t in contact["Tag"]] or None,
        "custom_fields": custom or None, "owner": {"id": contact["Owner"]["id"]},
        "urls": [{"url": f"https://twitter.com/{contact['Twitter']}", "type": "twitter"}] if contact["Twitter"] else None,
        "last_activity_at": contact["Last_Activity_Time"], "created_at": contact["Created_Time"],
        "updated_at": contact["Modified_Time"],
    }


def assert_maps_contact(unified: dict, contact: dict) -> None:
    for key, value in expected_contact(contact).items():
        got = unified.get(key)
        if key.endswith("_at"):
            assert (got is None) if value is None else (got.endswith("Z") and got[:19] == utc(value)), key
        else:
            assert got == value, f"{key}: {got!r} != {value!r}"
    assert unified["remote_data"]["id"] == contact["id"]


def test_contacts_list_maps_every_contact_with_its_account(gateway, ctl):
    """Every stored contact comes back once, the `Account_Name` lookup as `account {id, name}`, the org's
    custom fields (asked for by name from the Contacts layout) in custom_fields."""
    records = {c["id"]: c for c in ctl.records("contacts")}
    seen = [r for page in list_all(gateway, NAME, limit=9, resource="contacts") for r in page]
    assert sorted(r["id"] for r in seen) == sorted(records)
    for unified in seen:
        assert_maps_contact(unified, records[unified["id"]])
    assert any(r.get("account") for r in seen) and any(not r.get("account") for r in seen)
    assert any(r.get("custom_fields", {}).get("Loyalty_Points") is not None for r in seen)
    calls = [c for c in ctl.requests() if c["path"] == "/zoho_crm/crm/v8/Contacts"]
    fields = dict(calls[0]["query_params"])["fields"].split(",")
    # the custom fields come from the Contacts layout (read once per account, so perhaps before this test)
    assert {"Account_Name", "Full_Name", "Preferred_Language", "Loyalty_Points"} <= set(fields)


def test_contact_get_maps_the_stored_contact(gateway, ctl):
    contact = ctl.records("contacts")[3]
    response = contacts(gateway, "GET", contact["id"])
    assert response.status_code == 200, response.text
    assert_maps_contact(response.json(), contact)
    assert contacts(gateway, "GET", "5725767000009999999").status_code == 404


def test_contact_create_writes_the_account_link_and_reads_back(gateway, ctl):
    """Insert Records body: one record in `data`, the account written as the `Account_Name` lookup {id}."""
    account = ctl.records("accounts")[1]
    sent = {"first_name": "Jane", "last_name": "Roe", "title": "CFO", "account": {"id": account["id"]},
            "owner": {"id": zoho_crm.USERS[1]["id"]},
            "email_addresses": [{"email": "jane@roe.example", "type": "primary"},
                                {"email": "jr@home.example", "type": "secondary"}],
            "phone_numbers": [{"number": "+1 555 0100", "type": "work"}, {"number": "+1 555 0101", "type": "mobile"}],
            "addresses": [{"street_1": "1 Main St", "street_2": "Unit 5", "city": "Austin", "type": "mailing"}],
            "tags": [{"name": "VIP"}], "custom_fields": {"Loyalty_Points": 40, "Preferred_Language": "German"}}
    ctl.clear_requests()
    response = contacts(gateway, "POST", json=sent)
    assert response.status_code == 200, response.text   # the read-back's answer, as for accounts
    created = response.json()
    calls = ctl.requests()
    assert [(c["method"], c["path"]) for c in calls] == [
        ("POST", "/zoho_crm/crm/v8/Contacts"), ("GET", f"/zoho_crm/crm/v8/Contacts/{created['id']}")]
    assert calls[0]["body"] == {"data": [{
        "First_Name": "Jane", "Last_Name": "Roe", "Title": "CFO", "Account_Name": {"id": account["id"]},
        "Owner": {"id": zoho_crm.USERS[1]["id"]}, "Email": "jane@roe.example", "Secondary_Email": "jr@home.example",
        "Phone": "+1 555 0100", "Mobile": "+1 555 0101", "Mailing_Street": "1 Main St\nUnit 5", "Mailing_City": "Austin",
        "Tag": [{"name": "VIP"}], "Loyalty_Points": 40, "Preferred_Language": "German"}]}
    assert created["account"] == {"id": account["id"], "name": account["Account_Name"]}
    assert created["name"] == "Jane Roe"
    assert {k: created["custom_fields"][k] for k in sent["custom_fields"]} == sent["custom_fields"]
    assert_maps_contact(created, {c["id"]: c for c in ctl.records("contacts")}[created["id"]])


def test_contact_create_with_name_only_splits_it(gateway, ctl):
    """Last_Name is mandatory in Zoho: a unified `name` alone is split at its last space."""
    ctl.clear_requests()
    response = contacts(gateway, "POST", json={"name": "Mary Ann Smith"})
    assert response.status_code == 200, response.text
    assert ctl.requests()[0]["body"] == {"data": [{"First_Name": "Mary Ann", "Last_Name": "Smith"}]}
    assert response.json()["name"] == "Mary Ann Smith"
    ctl.clear_requests()
    refused = contacts(gateway, "POST", json={"first_name": "Only"})
    assert refused.status_code == 400, refused.text
    assert "`last_name` or `name`" in refused.json()["message"] and not ctl.requests()  # refused before Zoho


def test_contact_update_moves_the_account_link(gateway, ctl):
    contact = next(c for c in ctl.records("contacts") if c["Account_Name"])
    other = next(a for a in ctl.records("accounts") if a["id"] != contact["Account_Name"]["id"])
    ctl.clear_requests()
    response = contacts(gateway, "PATCH", contact["id"], json={"account": {"id": other["id"]}, "title": "COO"})
    assert response.status_code == 200, response.text
    assert ctl.requests()[0]["method"] == "PUT"
    assert ctl.requests()[0]["body"] == {"data": [{"Title": "COO", "Account_Name": {"id": other["id"]}}]}
    assert response.json()["account"] == {"id": other["id"], "name": other["Account_Name"]}
    missing = contacts(gateway, "PATCH", contact["id"], json={"account": {"id": "5725767000009999999"}})
    assert missing.status_code == 400 and "Account_Name" in missing.json()["message"]


def test_contact_delete_goes_to_the_recycle_bin(gateway, ctl):
    contact = ctl.records("contacts")[5]
    ctl.clear_requests()
    response = contacts(gateway, "DELETE", contact["id"])
    assert response.status_code == 200 and response.json()["id"] == contact["id"]
    assert [(c["method"], c["path"]) for c in ctl.requests()] == [("DELETE", f"/zoho_crm/crm/v8/Contacts/{contact['id']}")]
    assert contacts(gateway, "GET", contact["id"]).status_code == 404
    assert contacts(gateway, "DELETE", contact["id"]).status_code == 404
