"""The Copper emulator driven by the requests Copper's own documentation shows.

No Copper client on PyPI runs on Python 3.11 (`prospyr` imports `collections.Mapping`, `prosperworks`
is Python 2 only), so each test sends, literally, a request of Copper's Postman documentation (mirrored
in https://github.com/dquimper/GitbookTest; the current pages are at https://developer.copper.com/),
with the headers of https://developer.copper.com/introduction/requests.html, and checks the answer
against the documented example answer.
"""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox import copper

# https://developer.copper.com/introduction/requests.html : the three X-PW-* headers and a JSON body.
HEADERS = {
    "X-PW-AccessToken": copper.SANDBOX_TOKEN,
    "X-PW-Application": "developer_api",
    "X-PW-UserEmail": copper.SANDBOX_USER_EMAIL,
    "Content-Type": "application/json",
}
# Keys of a company in the documented answers (4.-companies/create-a-new-company.md, fetch-a-company-by-id.md).
COMPANY_KEYS = {"id", "name", "address", "assignee_id", "contact_type_id", "details", "email_domain",
                "phone_numbers", "socials", "tags", "websites", "custom_fields", "interaction_count",
                "date_created", "date_modified"}
# Keys of a person in the documented answers (3.-people/create-a-new-person.md, update-a-person.md).
PERSON_KEYS = {"id", "name", "prefix", "first_name", "middle_name", "last_name", "suffix", "address", "assignee_id",
               "company_id", "company_name", "contact_type_id", "details", "emails", "phone_numbers", "socials",
               "tags", "title", "websites", "custom_fields", "date_created", "date_modified"}


@pytest.fixture
def base(sandbox):
    control = sandbox.control("copper")
    control.reset()
    return f"{control.url}/developer_api/v1"


def send(method: str, url: str, body: str | None = None) -> requests.Response:
    """A request as the docs write it: the body is the documented JSON text, sent as it is."""
    return requests.request(method, url, data=body, headers=HEADERS, timeout=5)


def test_create_a_new_company(base):
    """4.-companies/create-a-new-company.md: POST /companies with the documented body answers 200 (not
    201) with the company, every custom field listed with a null value."""
    answer = send("POST", f"{base}/companies", '''{
  "name":"Demo Company",
  "address": {
       "street": "123 Main Street",
    "city": "Savannah",
    "state": "Georgia",
    "postal_code": "31410",
    "country": "United States"
  },
  "email_domain":"democompany.com",
  "details":"This is a demo company",
  "phone_numbers": [
    {
    "number":"415-123-45678",
    "category":"work"
    }
  ]
}''')
    assert answer.status_code == 200
    company = answer.json()
    assert set(company) >= COMPANY_KEYS
    assert (company["name"], company["email_domain"], company["details"]) == \
        ("Demo Company", "democompany.com", "This is a demo company")
    assert company["phone_numbers"] == [{"number": "415-123-45678", "category": "work"}]
    assert company["socials"] == company["tags"] == company["websites"] == []
    assert all(row["value"] is None for row in company["custom_fields"]) and company["interaction_count"] == 0
    assert isinstance(company["id"], int) and isinstance(company["date_created"], int)

    # "email domain is a unique key for Companies" (https://developer.copper.com/companies/overview.html)
    again = send("POST", f"{base}/companies", '{"name":"Demo Company 2","email_domain":"democompany.com"}')
    assert again.status_code == 422 and again.json()["success"] is False


def test_list_companies_search(base):
    """4.-companies/list-companies-search.md: the documented body {"page_size": 25, "sort_by": "name"} answers
    a bare array of 25 companies sorted by name, the total in X-PW-TOTAL."""
    answer = send("POST", f"{base}/companies/search", '''{
  "page_size": 25,
  "sort_by": "name"
}''')
    assert answer.status_code == 200
    rows = answer.json()
    assert isinstance(rows, list) and len(rows) == 25
    assert [r["name"].lower() for r in rows] == sorted(r["name"].lower() for r in rows)
    assert int(answer.headers["X-PW-TOTAL"]) == 60


def test_fetch_update_and_delete_a_company(base):
    """fetch-a-company-by-id.md, update-a-company.md ({"details":"This is an update"}: only that field
    changes) and delete-a-company.md ({"id": N, "is_deleted": true}; the company is gone: Copper's 404)."""
    company = send("POST", f"{base}/companies/search", '{"page_size": 1}').json()[0]
    fetched = send("GET", f"{base}/companies/{company['id']}")
    assert fetched.status_code == 200 and fetched.json() == company

    updated = send("PUT", f"{base}/companies/{company['id']}", '''{
  "details":"This is an update"
}''')
    assert updated.status_code == 200
    assert updated.json()["details"] == "This is an update"
    assert {k: v for k, v in updated.json().items() if k not in ("details", "date_modified")} == \
        {k: v for k, v in company.items() if k not in ("details", "date_modified")}

    deleted = send("DELETE", f"{base}/companies/{company['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"id": company["id"], "is_deleted": True}
    gone = send("GET", f"{base}/companies/{company['id']}")
    # The live envelope quoted in https://github.com/verbb/formie/issues/653
    assert gone.status_code == 404
    assert gone.json() == {"success": False, "status": 404, "message": "Resource not found"}


def test_create_fetch_update_and_delete_a_person(base):
    """3.-people/create-a-new-person.md ("My Contact" -> first_name My, last_name Contact, the Uncategorized
    contact type 451492), fetch-a-person-by-email.md, update-a-person.md and delete-a-person.md."""
    created = send("POST", f"{base}/people", '''{
  "name":"My Contact",
  "emails": [
    {
    "email":"mycontact_1233@noemail.com",
    "category":"work"
    }
  ],
  "address": {
   \t"street": "123 Main Street",
    "city": "Savannah",
    "state": "Georgia",
    "postal_code": "31410",
    "country": "United States"
  },
  "phone_numbers": [
    {
    "number":"415-123-45678",
    "category":"mobile"
    }
  ]
}''')
    assert created.status_code == 200
    person = created.json()
    assert set(person) >= PERSON_KEYS
    assert (person["first_name"], person["middle_name"], person["last_name"]) == ("My", None, "Contact")
    assert person["contact_type_id"] == 451492 and person["company_id"] is None
    assert person["emails"] == [{"email": "mycontact_1233@noemail.com", "category": "work"}]

    fetched = send("POST", f"{base}/people/fetch_by_email", '''{
  "email": "mycontact_1233@noemail.com"
}''')
    assert fetched.status_code == 200 and fetched.json()["id"] == person["id"]

    # "Email address is a unique key for People records in Copper" (fetch-a-person-by-email.md)
    twin = send("POST", f"{base}/people", '{"name":"Twin","emails":[{"email":"mycontact_1233@noemail.com","category":"work"}]}')
    assert twin.status_code == 422 and twin.json()["status"] == 422

    updated = send("PUT", f"{base}/people/{person['id']}", '''{
  "details":"This is an update"
}''')
    assert updated.status_code == 200
    assert updated.json()["details"] == "This is an update" and updated.json()["emails"] == person["emails"]

    deleted = send("DELETE", f"{base}/people/{person['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"id": person["id"], "is_deleted": True}
    assert send("GET", f"{base}/people/{person['id']}").status_code == 404


def test_list_people_search(base):
    """https://developer.copper.com/people/list-people-search.html : a bare array, X-PW-TOTAL, sorted by the
    documented sort_by value; a key Copper does not know is its 422."""
    answer = send("POST", f"{base}/people/search", '{"page_size": 25, "sort_by": "name"}')
    assert answer.status_code == 200
    rows = answer.json()
    assert len(rows) == 25 and [r["name"].lower() for r in rows] == sorted(r["name"].lower() for r in rows)
    assert int(answer.headers["X-PW-TOTAL"]) >= 25
    refused = send("POST", f"{base}/people/search", '{"page_size": 25, "order": "name"}')
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("Invalid input: Validation errors: ")


def test_missing_headers_are_refused(base):
    """requests.html: every request carries the three headers; without them Copper answers 401 in its envelope."""
    answer = requests.post(f"{base}/companies/search", json={}, headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["success"] is False and answer.json()["status"] == 401


def test_account_and_users(base):
    """1.-account-and-users/: fetch-account-details.md (GET /account: {id, name}), list-users.md
    (POST /users/search with the documented body: a bare array of {id, name, email}) and
    fetch-user-by-id.md (GET /users/{id}; an unknown id is Copper's 404)."""
    account = send("GET", f"{base}/account")
    assert account.status_code == 200 and set(account.json()) == {"id", "name"}
    users = send("POST", f"{base}/users/search", '''{

  "page_number":1,
  "page_size": 200
}''')
    assert users.status_code == 200
    assert users.json() and all(set(u) == {"id", "name", "email"} for u in users.json())
    first = users.json()[0]
    fetched = send("GET", f"{base}/users/{first['id']}")
    assert fetched.status_code == 200 and fetched.json() == first
    assert send("GET", f"{base}/users/1").status_code == 404
