"""The Copper emulator over loopback HTTP: Developer API v1 companies
(https://developer.copper.com/companies/overview.html)."""

from __future__ import annotations

import time

import pytest
import requests

from unigate.sandbox import copper
from unigate.sandbox.copper import common as copper_common

HEADERS = {
    "X-PW-AccessToken": copper.SANDBOX_TOKEN,
    "X-PW-Application": "developer_api",
    "X-PW-UserEmail": copper.SANDBOX_USER_EMAIL,
    "Content-Type": "application/json",
}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("copper")
    control.reset()
    yield control
    control.default_switches()


def url(ctl, path=""):
    return f"{ctl.url}/developer_api/v1/companies{path}"


def search(ctl, body=None, headers=HEADERS):
    return requests.post(url(ctl, "/search"), json=body or {}, headers=headers, timeout=5)


@pytest.mark.parametrize("missing", ["X-PW-AccessToken", "X-PW-Application", "X-PW-UserEmail"])
def test_each_auth_header_is_required(ctl, missing):
    """All three X-PW-* headers are required, else 401 with Copper's envelope."""
    headers = {k: v for k, v in HEADERS.items() if k != missing}
    answer = requests.get(url(ctl, f"/{ctl.records()[0]['id']}"), headers=headers, timeout=5)
    assert answer.status_code == 401
    body = answer.json()
    assert body["success"] is False and body["status"] == 401 and body["message"]


@pytest.mark.parametrize("header,value", [("X-PW-AccessToken", "nope"), ("X-PW-Application", "other"),
                                          ("X-PW-UserEmail", "someone@else.example")])
def test_wrong_auth_header_value_is_401(ctl, header, value):
    """A wrong key, application or user email is 401 {"success":false,"status":401,...}."""
    answer = search(ctl, headers={**HEADERS, header: value})
    assert answer.status_code == 401
    assert answer.json() == {"success": False, "status": 401, "message": copper.AUTH_FAILED_MESSAGE}


def test_search_is_a_bare_array_with_total_header(ctl):
    """POST /companies/search answers a bare JSON array, total in X-PW-TOTAL; default page_size 20."""
    answer = search(ctl)
    assert answer.status_code == 200
    body = answer.json()
    assert isinstance(body, list) and len(body) == 20
    assert answer.headers["X-PW-TOTAL"] == "60"
    assert all(isinstance(c["id"], int) for c in body)


def test_no_rate_limit_headers(ctl):
    """No rate-limit headers are documented, so none are sent."""
    answer = search(ctl)
    assert not [h for h in answer.headers if "ratelimit" in h.lower()]


def test_rate_limited_answer(ctl):
    """Over 180 requests/minute is 429 in Copper's envelope (injected on demand)."""
    ctl.fault(status=429, body=copper.RATE_LIMIT_BODY)
    answer = search(ctl)
    assert answer.status_code == 429 and answer.json()["status"] == 429


def test_pagination_through_all_pages_no_duplicates(ctl):
    """page_number/page_size in the body; walk pages until a short page; every company once, X-PW-TOTAL constant."""
    ctl.reset(1_013)
    seen: list[int] = []
    page = 1
    while True:
        answer = search(ctl, {"page_number": page, "page_size": 200})
        assert answer.headers["X-PW-TOTAL"] == "1013"
        rows = answer.json()
        seen += [c["id"] for c in rows]
        if len(rows) < 200:
            break
        page += 1
    assert page == 6
    assert len(seen) == len(set(seen)) == 1_013


def test_page_size_capped_at_200(ctl):
    """200 is the largest page_size; larger values are clamped, or refused with the `page_size_over_max`
    switch (the docs leave values above 200 open)."""
    ctl.reset(300)
    assert len(search(ctl, {"page_size": 500}).json()) == 200
    ctl.switch(page_size_over_max="refuse")
    refused = search(ctl, {"page_size": 500})
    assert refused.status_code == 422 and refused.json()["status"] == 422
    assert len(search(ctl, {"page_size": 200}).json()) == 200


@pytest.mark.parametrize("body", [{"followed": 1}, {"custom_fields": []}, {"minimum_interaction_date": 1},
                                  {"page": 2}, {"limit": 5}])
def test_company_search_refuses_keys_it_does_not_apply(ctl, body):
    """A key Copper does not know is its 422 (https://github.com/singer-io/tap-copper); documented keys
    the sandbox does not apply are refused the same way rather than silently skipped."""
    answer = search(ctl, body)
    assert answer.status_code == 422
    assert answer.json()["message"].startswith(copper_common.VALIDATION_PREFIX)


@pytest.mark.parametrize("body", [{"ids": ["x"]}, {"minimum_created_date": "soon"}, {"page_size": "many"},
                                  {"sort_by": ["name"]}, {"sort_direction": 1}])
def test_company_search_values_of_the_wrong_type_are_422(ctl, body):
    """Search values of the wrong type are Copper's 422, never a server error."""
    answer = search(ctl, body)
    assert answer.status_code == 422 and answer.json()["success"] is False


@pytest.mark.parametrize("path", ["", "people"])
def test_modified_date_search_switch(ctl, path):
    """minimum_modified_date on companies and people searches is applied, or refused as an unknown key, or taken and
    ignored, with the `search_modified_dates` switch (documented for leads, opportunities, projects and tasks only)."""
    target = people_url(ctl, "/search") if path else url(ctl, "/search")
    rows = requests.post(target, json={"page_size": 200}, headers=HEADERS, timeout=5).json()
    cutoff = sorted(r["date_modified"] for r in rows)[len(rows) // 2]
    applied = requests.post(target, json={"page_size": 200, "minimum_modified_date": cutoff}, headers=HEADERS, timeout=5)
    assert applied.status_code == 200
    assert applied.json() and all(r["date_modified"] >= cutoff for r in applied.json())
    ctl.switch(search_modified_dates="refused")
    refused = requests.post(target, json={"minimum_modified_date": cutoff}, headers=HEADERS, timeout=5)
    assert refused.status_code == 422
    ctl.switch(search_modified_dates="ignored")
    ignored = requests.post(target, json={"page_size": 200, "minimum_modified_date": cutoff,
                                          "maximum_modified_date": cutoff}, headers=HEADERS, timeout=5)
    assert ignored.status_code == 200, ignored.text
    assert sorted(r["id"] for r in ignored.json()) == sorted(r["id"] for r in rows)


@pytest.mark.parametrize("path", ["", "people"])
def test_searches_sort_by_date_modified_both_ways_and_updates_bump_it(ctl, path):
    """sort_by date_modified with sort_direction asc or desc (list-companies-search.html, list-people-search.html),
    and a PUT moves the record to the newest."""
    target = people_url(ctl, "/search") if path else url(ctl, "/search")
    for direction in ("asc", "desc"):
        rows = requests.post(target, json={"page_size": 200, "sort_by": "date_modified", "sort_direction": direction},
                             headers=HEADERS, timeout=5).json()
        stamps = [r["date_modified"] for r in rows]
        assert len(rows) > 2 and stamps == sorted(stamps, reverse=direction == "desc")
    oldest = rows[-1]
    record_url = people_url(ctl, f"/{oldest['id']}") if path else url(ctl, f"/{oldest['id']}")
    changed = requests.put(record_url, json={"details": "changed"}, headers=HEADERS, timeout=5)
    assert changed.status_code == 200, changed.text
    assert changed.json()["date_modified"] > oldest["date_modified"]
    newest = requests.post(target, json={"page_size": 1, "sort_by": "date_modified", "sort_direction": "desc"},
                           headers=HEADERS, timeout=5).json()
    assert [r["id"] for r in newest] == [oldest["id"]]


def test_company_last_contacted_switch(ctl):
    """Companies carry date_last_contacted, or not with the `company_last_contacted` switch (the company
    examples never show it)."""
    company = ctl.records()[1]
    assert "date_last_contacted" in requests.get(url(ctl, f"/{company['id']}"), headers=HEADERS, timeout=5).json()
    ctl.switch(company_last_contacted="absent")
    assert "date_last_contacted" not in requests.get(url(ctl, f"/{company['id']}"), headers=HEADERS, timeout=5).json()
    assert all("date_last_contacted" not in c for c in search(ctl).json())


def test_default_order_is_date_modified_ascending(ctl):
    """sort_by defaults to date_modified, sort_direction to asc; an updated company moves to the end."""
    rows = search(ctl, {"page_size": 200}).json()
    assert [c["date_modified"] for c in rows] == sorted(c["date_modified"] for c in rows)
    first = rows[0]
    requests.put(url(ctl, f"/{first['id']}"), json={"details": "touched"}, headers=HEADERS, timeout=5)
    rows = search(ctl, {"page_size": 200}).json()
    assert rows[-1]["id"] == first["id"]


def test_sort_by_date_created_is_stable_under_updates(ctl):
    """sort_by date_created keeps a company's place when it is modified mid-paging (date_modified does not)."""
    before = [c["id"] for c in search(ctl, {"page_size": 200, "sort_by": "date_created"}).json()]
    requests.put(url(ctl, f"/{before[0]}"), json={"details": "touched"}, headers=HEADERS, timeout=5)
    after = [c["id"] for c in search(ctl, {"page_size": 200, "sort_by": "date_created"}).json()]
    assert before == after


def test_search_filters_and_sort(ctl):
    """Search filters (name, email_domains, assignee_ids with -2 = unassigned, tags) and sort_by/sort_direction."""
    records = ctl.records()
    target = records[3]
    assert [c["id"] for c in search(ctl, {"email_domains": [target["email_domain"]]}).json()] == [target["id"]]
    unassigned = search(ctl, {"assignee_ids": [-2], "page_size": 200}).json()
    assert unassigned and all(c["assignee_id"] is None for c in unassigned)
    names = [c["name"] for c in search(ctl, {"sort_by": "name", "sort_direction": "desc", "page_size": 200}).json()]
    assert names == sorted(names, key=str.lower, reverse=True)


def test_company_shape(ctl):
    """Integer id, single address, Unix-second dates, all company custom fields listed."""
    company = ctl.records()[0]
    answer = requests.get(url(ctl, f"/{company['id']}"), headers=HEADERS, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body["address"]) == {"street", "city", "state", "postal_code", "country"}
    assert isinstance(body["date_created"], int) and 1_400_000_000 < body["date_created"] < 2_000_000_000
    assert all(isinstance(t, str) for t in body["tags"])
    assert {cf["custom_field_definition_id"] for cf in body["custom_fields"]} == set(copper.COMPANY_FIELD_IDS)
    assert set(body["phone_numbers"][0]) == {"number", "category"}
    assert "interaction_count" in body


def test_get_missing_is_404_envelope(ctl):
    """404 {"success":false,"status":404,"message":"Resource not found"}."""
    answer = requests.get(url(ctl, "/1"), headers=HEADERS, timeout=5)
    assert answer.status_code == 404
    assert answer.json() == {"success": False, "status": 404, "message": "Resource not found"}


def test_create_is_200_with_company(ctl):
    """POST /companies answers 200 (not 201) with the full company."""
    body = {"name": "Demo Company", "details": "This is a demo company", "email_domain": "democompany.com",
            "address": {"street": "123 Main Street", "city": "Savannah", "state": "GA", "postal_code": "31410", "country": "US"},
            "phone_numbers": [{"number": "415-123-45678", "category": "work"}],
            "websites": [{"url": "https://democompany.com", "category": "work"}],
            "tags": ["Customer"], "assignee_id": copper.USERS[1]["id"],
            "custom_fields": [{"custom_field_definition_id": 100765, "value": 42}]}
    answer = requests.post(url(ctl), json=body, headers=HEADERS, timeout=5)
    assert answer.status_code == 200
    company = answer.json()
    assert company["name"] == "Demo Company" and isinstance(company["id"], int)
    assert company["date_created"] == company["date_modified"] and abs(company["date_created"] - time.time()) < 5
    assert next(cf for cf in company["custom_fields"] if cf["custom_field_definition_id"] == 100765)["value"] == 42.0
    assert company["interaction_count"] == 0
    assert len(ctl.records()) == 61


def test_create_validation_is_422(ctl):
    """Validation failures are 422 {"success":false,"status":422,"message":"Invalid input: Validation errors: ..."}."""
    answer = requests.post(url(ctl), json={"details": "no name"}, headers=HEADERS, timeout=5)
    assert answer.status_code == 422
    body = answer.json()
    assert body["success"] is False and body["status"] == 422
    assert body["message"].startswith("Invalid input: Validation errors: ")


def test_email_domain_is_unique(ctl):
    """email_domain is a unique key; a second company with the same domain fails."""
    taken = ctl.records()[0]["email_domain"]
    answer = requests.post(url(ctl), json={"name": "Clone", "email_domain": taken}, headers=HEADERS, timeout=5)
    assert answer.status_code == 422
    assert len(ctl.records()) == 60


def test_update_is_partial_and_null_clears(ctl):
    """PUT changes only fields sent; null clears; answers 200 with the full company."""
    company = ctl.records()[0]
    answer = requests.put(url(ctl, f"/{company['id']}"), json={"details": None, "tags": ["vip"]}, headers=HEADERS, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert body["details"] is None and body["tags"] == ["vip"]
    assert body["name"] == company["name"] and body["websites"] == company["websites"]
    assert body["date_modified"] >= company["date_modified"]


def test_update_missing_is_404(ctl):
    """PUT on an unknown id is 404 in the envelope."""
    answer = requests.put(url(ctl, "/5"), json={"details": "x"}, headers=HEADERS, timeout=5)
    assert answer.status_code == 404 and answer.json()["message"] == "Resource not found"


def test_delete_200_then_404(ctl):
    """200 {"id":N,"is_deleted":true}; permanent, so GET and DELETE then 404."""
    company = ctl.records()[5]
    answer = requests.delete(url(ctl, f"/{company['id']}"), headers=HEADERS, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"id": company["id"], "is_deleted": True}
    for method in (requests.get, requests.delete):
        again = method(url(ctl, f"/{company['id']}"), headers=HEADERS, timeout=5)
        assert again.status_code == 404
        assert again.json() == {"success": False, "status": 404, "message": "Resource not found"}


def test_unknown_route_is_404_envelope(ctl):
    """There is no GET collection endpoint; listing is POST /companies/search."""
    answer = requests.get(url(ctl), headers=HEADERS, timeout=5)
    assert answer.status_code == 404 and answer.json()["status"] == 404


def test_custom_field_definitions(ctl):
    """Custom fields are keyed by custom_field_definition_id; definitions list names and types."""
    answer = requests.get(f"{ctl.url}/developer_api/v1/custom_field_definitions", headers=HEADERS, timeout=5)
    assert {d["name"] for d in answer.json()} >= {"Industry", "Employees"}


def test_seed_of_ten_thousand_pages_to_the_end(ctl):
    """A 10,000-record seed pages to its last page (speed is measured in bench/, never asserted here)."""
    ctl.reset(10_000)
    answer = search(ctl, {"page_number": 50, "page_size": 200, "sort_by": "date_created"})
    assert len(answer.json()) == 200 and answer.headers["X-PW-TOTAL"] == "10000"
    assert answer.json()[-1]["id"] == copper.FIRST_COMPANY_ID + 9_999


# -- people (the contacts resource) ---------------------------------------------------------------------

def people_url(ctl, path=""):
    return f"{ctl.url}/developer_api/v1/people{path}"


def search_people(ctl, body=None):
    return requests.post(people_url(ctl, "/search"), json=body or {}, headers=HEADERS, timeout=5)


def test_people_search_is_a_bare_array_sorted_by_first_name(ctl):
    """people/list-people-search: a bare array, X-PW-TOTAL, page_size 20 by default, sort_by first_name by default."""
    answer = search_people(ctl)
    assert answer.status_code == 200
    body = answer.json()
    assert isinstance(body, list) and len(body) == 20
    assert answer.headers["X-PW-TOTAL"] == "60"
    names = [(p["first_name"].lower(), p["id"]) for p in body]
    assert names == sorted(names)


def test_people_search_pages_by_date_created_without_duplicates(ctl):
    """page_number/page_size in the body, sort_by date_created asc: every person once, in creation order."""
    seen = []
    for page in range(1, 5):
        seen += [p["id"] for p in search_people(ctl, {"page_number": page, "page_size": 25, "sort_by": "date_created"}).json()]
    assert seen == [p["id"] for p in ctl.records("contacts")]


@pytest.mark.parametrize("body", [{"followed": 1}, {"sort_by": "interaction_count"}, {"sort_direction": "up"},
                                  {"page_size": "many"}, {"company_ids": ["x"]}])
def test_people_search_refuses_what_it_does_not_apply(ctl, body):
    """singer-io/tap-copper: an unknown search key is a 422; so are an unknown sort and values of the wrong type."""
    answer = search_people(ctl, body)
    assert answer.status_code == 422
    assert answer.json()["success"] is False and answer.json()["status"] == 422


def test_people_search_filters(ctl):
    """company_ids (-2: none), emails, name, ids, ANDed."""
    records = ctl.records("contacts")
    company_id = next(p["company_id"] for p in records if p["company_id"])
    by_company = search_people(ctl, {"company_ids": [company_id], "page_size": 200}).json()
    assert {p["id"] for p in by_company} == {p["id"] for p in records if p["company_id"] == company_id}
    without = search_people(ctl, {"company_ids": [-2], "page_size": 200}).json()
    assert {p["id"] for p in without} == {p["id"] for p in records if p["company_id"] is None} != set()
    email = records[7]["emails"][0]["email"]
    assert [p["id"] for p in search_people(ctl, {"emails": [email.upper()]}).json()] == [records[7]["id"]]
    assert search_people(ctl, {"emails": [email], "ids": [records[8]["id"]]}).json() == []


def test_person_create_derives_name_parts_and_defaults(ctl):
    """create-a-new-person: 200 (not 201); "My Contact" -> first My, last Contact; contact type Uncategorized;
    custom_fields lists every person definition, null when unset."""
    answer = requests.post(people_url(ctl), headers=HEADERS, timeout=5, json={
        "name": "My Contact", "emails": [{"email": "mycontact_1233@noemail.com", "category": "work"}],
        "phone_numbers": [{"number": "415-123-45678", "category": "mobile"}]})
    assert answer.status_code == 200
    person = answer.json()
    assert (person["first_name"], person["last_name"], person["middle_name"]) == ("My", "Contact", None)
    assert person["contact_type_id"] == 451492 and person["company_id"] is None and person["address"] is None
    person_fields = [d["id"] for d in copper.CUSTOM_FIELD_DEFINITIONS_BY_ID.values() if "person" in d["available_on"]]
    assert person["custom_fields"] == [{"custom_field_definition_id": i, "value": None} for i in person_fields]


def test_person_name_parts_switch(ctl):
    """first_name/last_name are taken as sent, or derived from `name` with the `person_name_parts` switch
    (the create example derives them; whether sent parts win is not documented)."""
    body = {"name": "Ada Lovelace", "first_name": "Augusta", "last_name": "King"}
    sent = requests.post(people_url(ctl), headers=HEADERS, timeout=5, json=body).json()
    assert (sent["first_name"], sent["last_name"]) == ("Augusta", "King")
    ctl.switch(person_name_parts="from_name")
    derived = requests.post(people_url(ctl), headers=HEADERS, timeout=5, json=body).json()
    assert (derived["name"], derived["first_name"], derived["last_name"]) == ("Ada Lovelace", "Ada", "Lovelace")


@pytest.mark.parametrize("body,fragment", [
    ({"emails": [{"email": "x@y.example", "category": "work"}]}, "name"),
    ({"name": "A B", "emails": [{"email": "x@y.example", "category": "home"}]}, "Invalid category home"),
    ({"name": "A B", "company_id": "test"}, "IDs must be positive integers: test"),
    ({"name": "A B", "company_id": 1}, "Company"),
    ({"name": "A B", "custom_fields": [{"custom_field_definition_id": 100765, "value": 3}]}, "100765"),
    ({"name": "A B", "assignee_id": 1}, "User not found"),
])
def test_person_create_validation_is_422(ctl, body, fragment):
    """Copper's 422 "Invalid input: Validation errors: ..." for a missing name, a bad category, company or
    custom field (100765 is a company field), an unknown user; nothing stored."""
    answer = requests.post(people_url(ctl), headers=HEADERS, json=body, timeout=5)
    assert answer.status_code == 422
    assert answer.json()["message"].startswith("Invalid input: Validation errors: ") and fragment in answer.json()["message"]
    assert len(ctl.records("contacts")) == 60


def test_person_email_is_a_unique_key(ctl):
    """3.-people/overview.md: "email address is a unique key for People": a second person with it is refused."""
    taken = ctl.records("contacts")[0]["emails"][0]["email"]
    answer = requests.post(people_url(ctl), headers=HEADERS, timeout=5,
                           json={"name": "Copy Cat", "emails": [{"email": taken.upper(), "category": "work"}]})
    assert answer.status_code == 422
    mine = ctl.records("contacts")[0]
    same = requests.put(people_url(ctl, f"/{mine['id']}"), headers=HEADERS, json={"emails": mine["emails"]}, timeout=5)
    assert same.status_code == 200   # keeping one's own email is no clash


def test_person_company_link_and_company_name(ctl):
    """company_id links a person to a company; company_name is that company's name, also after a rename."""
    company = ctl.records()[4]
    person = requests.post(people_url(ctl), headers=HEADERS, timeout=5,
                           json={"name": "Link Me", "company_id": str(company["id"])}).json()
    assert person["company_id"] == company["id"] and person["company_name"] == company["name"]
    requests.put(url(ctl, f"/{company['id']}"), headers=HEADERS, json={"name": "Renamed Co"}, timeout=5)
    assert requests.get(people_url(ctl, f"/{person['id']}"), headers=HEADERS, timeout=5).json()["company_name"] == "Renamed Co"


def test_person_company_changes_through_related_items(ctl):
    """update-a-person: a PUT's company_id is not how a company changes (ignored unless the switch says
    otherwise); Related Items relate (limit one company) and unrelate it."""
    person = next(p for p in ctl.records("contacts") if p["company_id"])
    other = next(c for c in ctl.records() if c["id"] != person["company_id"])
    related = people_url(ctl, f"/{person['id']}/related")
    ignored = requests.put(people_url(ctl, f"/{person['id']}"), headers=HEADERS, json={"company_id": other["id"]}, timeout=5)
    assert ignored.status_code == 200 and ignored.json()["company_id"] == person["company_id"]
    assert requests.get(related, headers=HEADERS, timeout=5).json() == [{"id": person["company_id"], "type": "company"}]
    second = requests.post(related, headers=HEADERS, json={"resource": {"id": other["id"], "type": "company"}}, timeout=5)
    assert second.status_code == 422   # "People: Companies (limit 1)"
    removed = requests.delete(related, headers=HEADERS, json={"resource": {"id": person["company_id"], "type": "company"}}, timeout=5)
    assert removed.status_code == 200
    assert removed.json() == {"removed": True, "resource": {"id": person["company_id"], "type": "company"}}
    assert requests.delete(related, headers=HEADERS, json={"resource": {"id": person["company_id"], "type": "company"}},
                           timeout=5).status_code == 422
    added = requests.post(related, headers=HEADERS, json={"resource": {"id": other["id"], "type": "company"}}, timeout=5)
    assert added.status_code == 200 and added.json() == {"added": True, "resource": {"id": other["id"], "type": "company"}}
    shown = requests.get(people_url(ctl, f"/{person['id']}"), headers=HEADERS, timeout=5).json()
    assert (shown["company_id"], shown["company_name"]) == (other["id"], other["name"])
    assert str(person["company_id"]) in {str(c["id"]) for c in ctl.records()}   # unrelating deletes nothing
    missing = requests.post(related, headers=HEADERS, json={"resource": {"id": 1, "type": "company"}}, timeout=5)
    assert missing.status_code == 404
    ctl.switch(person_update_company_id="applied")
    applied = requests.put(people_url(ctl, f"/{person['id']}"), headers=HEADERS, json={"company_id": None}, timeout=5).json()
    assert applied["company_id"] is None and applied["company_name"] is None


def test_person_update_is_partial_and_null_clears(ctl):
    """update-a-person: only fields sent change; null clears; an empty body changes nothing."""
    person = next(p for p in ctl.records("contacts") if p["title"] and p["company_id"])
    updated = requests.put(people_url(ctl, f"/{person['id']}"), headers=HEADERS, timeout=5,
                           json={"details": "This is an update", "title": None}).json()
    assert updated["details"] == "This is an update" and updated["title"] is None
    assert updated["emails"] == person["emails"] and updated["company_id"] == person["company_id"]
    same = requests.put(people_url(ctl, f"/{person['id']}"), headers=HEADERS, timeout=5).json()
    assert {k: v for k, v in same.items() if k != "date_modified"} == {k: v for k, v in updated.items() if k != "date_modified"}


def test_fetch_person_by_email(ctl):
    """fetch-a-person-by-email: POST /people/fetch_by_email {"email"} answers the person; an unknown email is 404."""
    person = ctl.records("contacts")[5]
    found = requests.post(people_url(ctl, "/fetch_by_email"), headers=HEADERS, json={"email": person["emails"][0]["email"]}, timeout=5)
    assert found.status_code == 200 and found.json()["id"] == person["id"]
    missing = requests.post(people_url(ctl, "/fetch_by_email"), headers=HEADERS, json={"email": "nobody@nowhere.example"}, timeout=5)
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_person_delete_200_then_404(ctl):
    """delete-a-person: 200 {"id", "is_deleted": true}, permanent: the id then answers Copper's 404 envelope."""
    person = ctl.records("contacts")[0]
    answer = requests.delete(people_url(ctl, f"/{person['id']}"), headers=HEADERS, timeout=5)
    assert answer.status_code == 200 and answer.json() == {"id": person["id"], "is_deleted": True}
    missing = requests.get(people_url(ctl, f"/{person['id']}"), headers=HEADERS, timeout=5)
    assert missing.status_code == 404 and missing.json() == {"success": False, "status": 404, "message": "Resource not found"}
    assert requests.delete(people_url(ctl, f"/{person['id']}"), headers=HEADERS, timeout=5).status_code == 404
    assert requests.get(people_url(ctl, "/abc"), headers=HEADERS, timeout=5).status_code == 404


def test_people_routes_need_auth(ctl):
    """The X-PW-* headers guard the people routes as every other."""
    answer = requests.post(people_url(ctl, "/search"), json={}, headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 401


# -- opportunities, pipelines and stages ------------------------------------------------------------------

def v1(ctl, path):
    return f"{ctl.url}/developer_api/v1{path}"


def test_pipelines_list_their_stages_in_order_and_stages_list_by_pipeline(ctl):
    """list-pipelines.md: a bare array, each pipeline with its stages; list-pipeline-stages.md and
    list-stages-in-a-pipeline.md: every stage with its pipeline_id, or one pipeline's."""
    pipelines = requests.get(v1(ctl, "/pipelines"), headers=HEADERS, timeout=5).json()
    assert len(pipelines) == 16 and all({"id", "name", "stages"} <= set(p) for p in pipelines)
    stages = requests.get(v1(ctl, "/pipeline_stages"), headers=HEADERS, timeout=5).json()
    first = pipelines[0]
    assert [s["id"] for s in first["stages"]] == [s["id"] for s in stages if s["pipeline_id"] == first["id"]]
    one = requests.get(v1(ctl, f"/pipeline_stages/pipeline/{first['id']}"), headers=HEADERS, timeout=5)
    assert [s["id"] for s in one.json()] == [s["id"] for s in first["stages"]]
    assert requests.get(v1(ctl, "/pipeline_stages/pipeline/1"), headers=HEADERS, timeout=5).status_code == 404
    # no pipeline writes: Copper's 404
    assert requests.post(v1(ctl, "/pipelines"), json={"name": "x"}, headers=HEADERS, timeout=5).status_code == 404


def test_opportunity_create_requires_name_and_primary_contact(ctl):
    """5.-opportunities/overview.md: name and primary_contact_id are required (422 in Copper's envelope)."""
    person = next(p for p in ctl.records("contacts") if p["company_id"])
    missing = requests.post(v1(ctl, "/opportunities"), json={"name": "No contact"}, headers=HEADERS, timeout=5)
    assert missing.status_code == 422
    assert missing.json()["message"].startswith("Invalid input: Validation errors: ")
    created = requests.post(v1(ctl, "/opportunities"), json={"name": "Paper", "primary_contact_id": person["id"]},
                            headers=HEADERS, timeout=5)
    assert created.status_code == 200, created.text
    deal = created.json()
    pipelines = requests.get(v1(ctl, "/pipelines"), headers=HEADERS, timeout=5).json()
    # the default pipeline's first stage; the company from the primary contact
    assert deal["pipeline_id"] == pipelines[0]["id"] and deal["pipeline_stage_id"] == pipelines[0]["stages"][0]["id"]
    assert deal["company_id"] == person["company_id"] and deal["status"] == "Open"


def test_opportunity_stage_must_belong_to_its_pipeline(ctl):
    """A stage sent with another pipeline's id is refused; sent with its own pipeline it moves the deal there;
    sent alone for another pipeline it is refused (STAGE_ALONE_MOVES_PIPELINE off); unknown: 422."""
    from unigate.sandbox.copper import deals as copper_deals

    assert copper_deals.STAGE_ALONE_MOVES_PIPELINE is False
    deal = ctl.records("opportunities")[0]
    pipelines = requests.get(v1(ctl, "/pipelines"), headers=HEADERS, timeout=5).json()
    other = next(p for p in pipelines if p["id"] != deal["pipeline_id"])
    path = v1(ctl, f"/opportunities/{deal['id']}")
    mixed = requests.put(path, json={"pipeline_id": deal["pipeline_id"], "pipeline_stage_id": other["stages"][0]["id"]},
                         headers=HEADERS, timeout=5)
    assert mixed.status_code == 422
    alone = requests.put(path, json={"pipeline_stage_id": other["stages"][1]["id"]}, headers=HEADERS, timeout=5)
    assert alone.status_code == 422
    moved = requests.put(path, json={"pipeline_id": other["id"], "pipeline_stage_id": other["stages"][1]["id"]},
                         headers=HEADERS, timeout=5)
    assert moved.status_code == 200
    assert (moved.json()["pipeline_id"], moved.json()["pipeline_stage_id"]) == (other["id"], other["stages"][1]["id"])
    assert moved.json()["win_probability"] == other["stages"][1]["win_probability"]
    unknown = requests.put(path, json={"pipeline_stage_id": 1}, headers=HEADERS, timeout=5)
    assert unknown.status_code == 422


def test_opportunity_search_pages_filters_and_refuses_unknown_keys(ctl):
    """list-opportunities-search: X-PW-TOTAL, page_number/page_size, status_ids 0..3; an unknown key is 422."""
    everything = ctl.records("opportunities")
    page = requests.post(v1(ctl, "/opportunities/search"), json={"page_size": 7, "page_number": 2,
                                                                 "sort_by": "date_created"}, headers=HEADERS, timeout=5)
    assert page.headers["X-PW-TOTAL"] == str(len(everything)) and len(page.json()) == 7
    won = requests.post(v1(ctl, "/opportunities/search"), json={"status_ids": [1], "page_size": 200},
                        headers=HEADERS, timeout=5).json()
    assert won and {d["status"] for d in won} == {"Won"}
    assert len(won) == sum(d["status"] == "Won" for d in everything)
    bad = requests.post(v1(ctl, "/opportunities/search"), json={"stage": "x"}, headers=HEADERS, timeout=5)
    assert bad.status_code == 422


def test_opportunity_close_date_and_delete(ctl):
    """close_date is M/D/YYYY (best_practices.html); a malformed one is 422; delete answers {id, is_deleted}."""
    deal = ctl.records("opportunities")[0]
    path = v1(ctl, f"/opportunities/{deal['id']}")
    assert requests.put(path, json={"close_date": "2027-03-31"}, headers=HEADERS, timeout=5).status_code == 422
    assert requests.put(path, json={"close_date": "03/05/2027"}, headers=HEADERS, timeout=5).json()["close_date"] == "3/5/2027"
    deleted = requests.delete(path, headers=HEADERS, timeout=5)
    assert deleted.json() == {"id": deal["id"], "is_deleted": True}
    assert requests.get(path, headers=HEADERS, timeout=5).status_code == 404


# -- leads (https://developer.copper.com/leads/list-leads-search.html; 2.-leads/*.md in Copper's Postman docs) ------

def leads_url(ctl, path=""):
    return f"{ctl.url}/developer_api/v1/leads{path}"


def test_a_lead_needs_a_name_and_answers_copper_s_record(ctl):
    """create-a-new-lead.md: 200 with the lead; name split into first/last; status the default "New"; every lead
    custom field listed, unset ones null. Without a name: 422 in Copper's envelope."""
    missing = requests.post(leads_url(ctl), json={"email": {"email": "x@y.example", "category": "work"}},
                            headers=HEADERS, timeout=5)
    assert missing.status_code == 422
    assert missing.json() == {"success": False, "status": 422,
                              "message": copper_common.VALIDATION_PREFIX + "name: Name is required"}
    created = requests.post(leads_url(ctl), json={"name": "My Lead", "email": {"email": "mylead@noemail.com",
                                                                              "category": "work"}},
                            headers=HEADERS, timeout=5)
    assert created.status_code == 200, created.text
    lead = created.json()
    assert (lead["first_name"], lead["last_name"], lead["status"], lead["status_id"]) == ("My", "Lead", "New", 208231)
    assert lead["email"] == {"email": "mylead@noemail.com", "category": "work"}
    assert [row["custom_field_definition_id"] for row in lead["custom_fields"]] == copper_common.LEAD_FIELD_IDS
    assert all(row["value"] is None for row in lead["custom_fields"])


@pytest.mark.parametrize("body", [
    {"name": "A", "email": [{"email": "a@x.example", "category": "work"}]},   # one object, not a list
    {"name": "A", "email": {"email": "a@x.example", "category": "home"}},     # not an email category
    {"name": "A", "status": "Hot"},                                           # not one of GET /lead_statuses
    {"name": "A", "customer_source_id": 1},
    {"name": "A", "custom_fields": [{"custom_field_definition_id": 103485, "value": 1}]},   # a person field
])
def test_a_lead_write_copper_cannot_hold_is_422(ctl, body):
    response = requests.post(leads_url(ctl), json=body, headers=HEADERS, timeout=5)
    assert response.status_code == 422, response.text
    assert response.json()["success"] is False


def test_a_lead_update_changes_what_is_sent_and_an_empty_one_nothing(ctl):
    lead = ctl.records("leads")[0]
    same = requests.put(leads_url(ctl, f"/{lead['id']}"), json={}, headers=HEADERS, timeout=5)
    assert same.status_code == 200 and same.json() == lead
    changed = requests.put(leads_url(ctl, f"/{lead['id']}"), json={"status_id": 208234, "title": None},
                           headers=HEADERS, timeout=5).json()
    assert (changed["status"], changed["title"], changed["name"]) == ("Junk", None, lead["name"])
    assert changed["date_modified"] >= lead["date_modified"]
    deleted = requests.delete(leads_url(ctl, f"/{lead['id']}"), headers=HEADERS, timeout=5)
    assert deleted.json() == {"id": lead["id"], "is_deleted": True}
    assert requests.get(leads_url(ctl, f"/{lead['id']}"), headers=HEADERS, timeout=5).status_code == 404


def test_the_leads_search_sorts_dates_oldest_first_whatever_the_direction(ctl):
    """list-leads-search footnote 1: "date_modified and date_created: sorting is from oldest to newest"."""
    for direction in ("asc", "desc"):
        page = requests.post(leads_url(ctl, "/search"), json={"sort_by": "date_modified", "sort_direction": direction,
                                                              "page_size": 200}, headers=HEADERS, timeout=5).json()
        stamps = [r["date_modified"] for r in page]
        assert stamps == sorted(stamps)
    by_name = requests.post(leads_url(ctl, "/search"), json={"sort_direction": "desc", "page_size": 200},
                            headers=HEADERS, timeout=5).json()
    names = [r["name"].lower() for r in by_name]
    assert names == sorted(names, reverse=True)   # the default sort_by is name, and it follows the direction


def test_the_leads_search_applies_its_documented_keys(ctl):
    """minimum/maximum_modified_date are documented for leads (whatever the people/company switch says); `emails`
    is one string; an unknown key is 422."""
    ctl.switch(search_modified_dates="refused")
    leads = ctl.records("leads")
    low = sorted(r["date_modified"] for r in leads)[5]
    found = requests.post(leads_url(ctl, "/search"), json={"minimum_modified_date": low, "page_size": 200},
                          headers=HEADERS, timeout=5)
    assert found.status_code == 200, found.text
    assert {r["id"] for r in found.json()} == {r["id"] for r in leads if r["date_modified"] >= low}
    assert found.headers["X-PW-TOTAL"] == str(len(found.json()))
    target = next(r for r in leads if r["email"])
    by_email = requests.post(leads_url(ctl, "/search"), json={"emails": target["email"]["email"].upper()},
                             headers=HEADERS, timeout=5).json()
    assert [r["id"] for r in by_email] == [target["id"]]
    as_list = requests.post(leads_url(ctl, "/search"), json={"emails": [target["email"]["email"]]},
                            headers=HEADERS, timeout=5)
    assert as_list.status_code == 422
    unknown = requests.post(leads_url(ctl, "/search"), json={"followed": 1}, headers=HEADERS, timeout=5)
    assert unknown.status_code == 422


def test_lead_statuses_are_the_account_s_list(ctl):
    statuses = requests.get(f"{ctl.url}/developer_api/v1/lead_statuses", headers=HEADERS, timeout=5).json()
    assert [s["name"] for s in statuses] == ["New", "Open", "Unqualified", "Junk"]
    assert [s["is_default"] for s in statuses] == [True, False, False, False]


def test_a_lead_convert_makes_the_person_company_and_deal_and_removes_the_lead(ctl):
    """convert-a-lead.md: a new company name makes a company; the opportunity lands in its pipeline's first stage
    when no stage is named; the answer is {person, company, opportunity}; the lead is gone."""
    lead = next(r for r in ctl.records("leads") if r["email"])
    answer = requests.post(leads_url(ctl, f"/{lead['id']}/convert"), headers=HEADERS, timeout=5, json={"details": {
        "person": {"name": "John Doe"}, "company": {"name": "Brand New Paper"},
        "opportunity": {"name": "Demo Project", "monetary_value": 1000}}})
    assert answer.status_code == 200, answer.text
    made = answer.json()
    assert made["person"]["name"] == "John Doe" and made["person"]["emails"] == [lead["email"]]
    assert made["person"]["company_id"] == made["company"]["id"] and made["company"]["name"] == "Brand New Paper"
    first_pipeline = ctl.records("pipelines")[0]
    first_stage = next(s for s in ctl.records("stages") if s["pipeline_id"] == first_pipeline["id"])
    assert (made["opportunity"]["primary_contact_id"], made["opportunity"]["company_id"]) == \
        (made["person"]["id"], made["company"]["id"])
    assert made["opportunity"]["pipeline_stage_id"] == first_stage["id"]
    assert requests.get(leads_url(ctl, f"/{lead['id']}"), headers=HEADERS, timeout=5).status_code == 404


@pytest.mark.parametrize("details", [
    {"person": {"email": "x@y.example"}},                   # not one of the person's valid fields
    {"company": {"id": 1, "name": "Both"}},                 # id and name are mutually exclusive
    {"company": {"id": 1}},                                 # no such company
    {"opportunity": {"monetary_value": 5}},                 # an opportunity needs a name
    {"project": {}},
])
def test_a_lead_convert_copper_refuses_is_422_and_keeps_the_lead(ctl, details):
    lead = ctl.records("leads")[0]
    refused = requests.post(leads_url(ctl, f"/{lead['id']}/convert"), json={"details": details}, headers=HEADERS,
                            timeout=5)
    assert refused.status_code == 422, refused.text
    assert requests.get(leads_url(ctl, f"/{lead['id']}"), headers=HEADERS, timeout=5).status_code == 200


# -- custom field definitions written (https://developer.copper.com/custom-fields/general/create-custom-field-definition.html,
# update-custom-field-definition.html, delete-custom-field-definition.html) ------------------------------------------

@pytest.mark.parametrize("switch", ["applied", "refused", "ignored"])
def test_the_tasks_search_applies_its_documented_modified_dates(ctl, switch):
    """minimum/maximum_modified_date are documented for tasks (https://developer.copper.com/tasks/list-tasks-search.html),
    bounds included, whatever the people/company switch says."""
    ctl.switch(search_modified_dates=switch)
    tasks = ctl.records("tasks")
    stamps = sorted(t["date_modified"] for t in tasks)
    low, high = stamps[3], stamps[-3]
    found = requests.post(ctl.url + "/developer_api/v1/tasks/search", headers=HEADERS, timeout=5, json={
        "minimum_modified_date": low, "maximum_modified_date": high, "page_size": 200})
    assert found.status_code == 200, found.text
    assert {r["id"] for r in found.json()} == {t["id"] for t in tasks if low <= t["date_modified"] <= high}


def definitions_url(ctl, path=""):
    return f"{ctl.url}/developer_api/v1/custom_field_definitions{path}"


def test_a_created_definition_is_listed_and_on_every_record_of_its_entities(ctl):
    answer = requests.post(definitions_url(ctl), headers=HEADERS, timeout=5, json={
        "name": "Region", "data_type": "Dropdown", "available_on": ["company", "opportunity"],
        "options": [{"name": "North"}, {"name": "South"}]})
    assert answer.status_code == 200, answer.text
    made = answer.json()
    assert {k: v for k, v in made.items() if k not in ("id", "options")} == {
        "name": "Region", "canonical_name": None, "data_type": "Dropdown", "available_on": ["company", "opportunity"]}
    assert [(o["name"], o["rank"]) for o in made["options"]] == [("North", 0), ("South", 1)]
    listed = requests.get(definitions_url(ctl), headers=HEADERS, timeout=5).json()
    assert listed[-1] == made and made["id"] not in copper_common.CUSTOM_FIELD_DEFINITIONS_BY_ID
    assert requests.get(definitions_url(ctl, f"/{made['id']}"), headers=HEADERS, timeout=5).json() == made
    row = {"custom_field_definition_id": made["id"], "value": None}
    assert all(row in c["custom_fields"] for c in ctl.records())
    assert all(row in d["custom_fields"] for d in ctl.records("opportunities"))
    assert all(made["id"] not in [r["custom_field_definition_id"] for r in p["custom_fields"]]
               for p in ctl.records("contacts"))
    # a record write takes it (an option id), and a person's does not
    company = ctl.records()[0]
    south = made["options"][1]["id"]
    written = requests.put(url(ctl, f"/{company['id']}"), headers=HEADERS, timeout=5,
                           json={"custom_fields": [{"custom_field_definition_id": made["id"], "value": south}]})
    assert written.status_code == 200, written.text
    assert {"custom_field_definition_id": made["id"], "value": south} in written.json()["custom_fields"]
    person = ctl.records("contacts")[0]
    refused = requests.put(f"{ctl.url}/developer_api/v1/people/{person['id']}", headers=HEADERS, timeout=5,
                           json={"custom_fields": [{"custom_field_definition_id": made["id"], "value": south}]})
    assert refused.status_code == 422, refused.text


def test_a_definition_in_one_data_space_is_not_in_another(ctl):
    other = {**HEADERS, "X-PW-AccessToken": f"{copper.SANDBOX_TOKEN}~copper-fields-space-0001"}
    made = requests.post(definitions_url(ctl), headers=other, timeout=5,
                         json={"name": "Elsewhere", "data_type": "String", "available_on": ["person"]}).json()
    assert made["name"] == "Elsewhere"
    assert "Elsewhere" in [d["name"] for d in requests.get(definitions_url(ctl), headers=other, timeout=5).json()]
    assert "Elsewhere" not in [d["name"] for d in requests.get(definitions_url(ctl), headers=HEADERS, timeout=5).json()]
    assert "Elsewhere" not in [d["name"] for d in ctl.records("fields")]


@pytest.mark.parametrize(("body", "problem"), [
    ({"data_type": "String"}, "name"),
    ({"name": "No type"}, "data_type"),
    ({"name": "Link", "data_type": "Connect"}, "data_type"),                 # Connect is not created through the API
    ({"name": "Deal", "data_type": "String", "available_on": ["deal"]}, "available_on"),
    ({"name": "Pick", "data_type": "Dropdown", "options": []}, "options"),
    ({"name": "Many", "data_type": "MultiSelect", "options": [{"name": "One"}]}, "options"),
    ({"name": "Bad", "data_type": "Dropdown", "options": [{"label": "No name"}]}, "options"),
])
def test_a_definition_copper_refuses_is_422_with_its_message(ctl, body, problem):
    before = len(ctl.records("fields"))
    refused = requests.post(definitions_url(ctl), headers=HEADERS, json=body, timeout=5)
    assert refused.status_code == 422, refused.text
    answer = refused.json()
    assert answer["success"] is False and answer["status"] == 422
    assert answer["message"].startswith(copper_common.VALIDATION_PREFIX + problem)
    assert len(ctl.records("fields")) == before


def test_a_definition_update_replaces_the_options_and_keeps_the_type(ctl):
    industry = copper_common.CUSTOM_FIELD_DEFINITIONS_BY_ID[100764]
    answer = requests.put(definitions_url(ctl, "/100764"), headers=HEADERS, timeout=5,
                          json={"name": "Sector", "options": [{"name": "Public"}, {"name": "Private"}]})
    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert changed["name"] == "Sector" and changed["available_on"] == industry["available_on"]
    assert [(o["name"], o["rank"]) for o in changed["options"]] == [("Public", 0), ("Private", 1)]
    assert not {o["id"] for o in changed["options"]} & {o["id"] for o in industry["options"]}
    retyped = requests.put(definitions_url(ctl, "/100764"), headers=HEADERS, timeout=5, json={"data_type": "String"})
    assert retyped.status_code == 422, retyped.text
    emptied = requests.put(definitions_url(ctl, "/100764"), headers=HEADERS, timeout=5, json={"options": []})
    assert emptied.status_code == 422, emptied.text
    missing = requests.put(definitions_url(ctl, "/999"), headers=HEADERS, timeout=5, json={"name": "X"})
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "status": 404, "message": copper_common.NOT_FOUND_MESSAGE}


def test_a_deleted_definition_leaves_the_list_and_the_records(ctl):
    answer = requests.delete(definitions_url(ctl, "/103481"), headers=HEADERS, timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": 103481, "is_deleted": True}
    assert 103481 not in [d["id"] for d in requests.get(definitions_url(ctl), headers=HEADERS, timeout=5).json()]
    assert requests.get(definitions_url(ctl, "/103481"), headers=HEADERS, timeout=5).status_code == 404
    for resource in ("accounts", "contacts"):
        assert all(103481 not in [r["custom_field_definition_id"] for r in c["custom_fields"]]
                   for c in ctl.records(resource))
    company = ctl.records()[0]
    refused = requests.put(url(ctl, f"/{company['id']}"), headers=HEADERS, timeout=5,
                           json={"custom_fields": [{"custom_field_definition_id": 103481, "value": "x"}]})
    assert refused.status_code == 422, refused.text
    again = requests.delete(definitions_url(ctl, "/103481"), headers=HEADERS, timeout=5)
    assert again.status_code == 404
    # a reset brings the seeded definitions back
    ctl.reset()
    assert 103481 in [d["id"] for d in ctl.records("fields")]
