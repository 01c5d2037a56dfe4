"""The HubSpot companies emulator speaks HubSpot's CRM v3 protocol
(https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/guide)."""

from __future__ import annotations

import re

import pytest
import requests

from unigate.sandbox.hubspot import AUTH_MESSAGE, NOT_FOUND_MESSAGE, SANDBOX_TOKEN

COMPANIES = "/crm/v3/objects/companies"
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
RATE_HEADERS = (
    "X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining", "X-HubSpot-RateLimit-Secondly",
    "X-HubSpot-RateLimit-Secondly-Remaining", "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining",
)


@pytest.fixture
def hubspot(sandbox):
    control = sandbox.control("hubspot")
    control.reset()
    yield control
    control.reset()


def call(control, method: str, path: str, *, headers=AUTH, **kwargs) -> requests.Response:
    return requests.request(method, control.url + path, headers=headers, timeout=10, **kwargs)


def without_correlation(body: dict) -> dict:
    assert re.fullmatch(r"[0-9a-f-]{36}", body.pop("correlationId"))
    return body


def page_all(control, limit: int, **params) -> tuple[list[dict], list[dict]]:
    """Every record and every page body, following `paging.next.after`."""
    records, pages, after = [], [], None
    while True:
        query = {"limit": limit, **params}
        if after:
            query["after"] = after
        response = call(control, "GET", COMPANIES, params=query)
        assert response.status_code == 200
        body = response.json()
        pages.append(body)
        records.extend(body["results"])
        if "paging" not in body:
            return records, pages
        after = body["paging"]["next"]["after"]


def test_missing_token_is_401_invalid_authentication(hubspot):
    """A call without a bearer token answers 401 with HubSpot's INVALID_AUTHENTICATION body."""
    response = call(hubspot, "GET", COMPANIES, headers={})
    assert response.status_code == 401
    assert without_correlation(response.json()) == {
        "status": "error", "message": AUTH_MESSAGE, "category": "INVALID_AUTHENTICATION"}
    assert AUTH_MESSAGE.startswith("Authentication credentials not found.")


@pytest.mark.parametrize("method,path", [("GET", COMPANIES), ("POST", COMPANIES), ("GET", COMPANIES + "/1"),
                                         ("PATCH", COMPANIES + "/1"), ("DELETE", COMPANIES + "/1")])
def test_wrong_token_is_401_on_every_route(hubspot, method, path):
    """Every route requires `Authorization: Bearer <token>`; a wrong token is rejected."""
    response = call(hubspot, method, path, headers={"Authorization": "Bearer not-the-token"}, json={})
    assert response.status_code == 401
    assert response.json()["category"] == "INVALID_AUTHENTICATION"
    # the legacy hapikey query parameter is gone
    response = call(hubspot, method, path, headers={}, params={"hapikey": SANDBOX_TOKEN}, json={})
    assert response.status_code == 401


def test_list_defaults_to_ten_with_default_properties(hubspot):
    """List answers `results` + `paging.next.{after,link}`; without `properties` the default set."""
    response = call(hubspot, "GET", COMPANIES)
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 10
    first = body["results"][0]
    assert set(first) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert first["id"].isdigit() and first["archived"] is False
    assert set(first["properties"]) == {"name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"}
    assert first["properties"]["hs_object_id"] == first["id"]
    assert all(isinstance(v, str) for v in first["properties"].values())
    assert ISO_MS.match(first["createdAt"]) and ISO_MS.match(first["updatedAt"])
    assert first["createdAt"] == first["properties"]["createdate"]
    nxt = body["paging"]["next"]
    assert nxt["after"] and nxt["link"].startswith(hubspot.url + COMPANIES)
    assert f"after={nxt['after']}" in nxt["link"]
    follow = requests.get(nxt["link"], headers=AUTH, timeout=10).json()
    assert follow["results"][0]["id"] not in {r["id"] for r in body["results"]}


def test_pagination_visits_every_record_once_and_last_page_has_no_paging(hubspot):
    """`after` cursor pages through all records; `paging` is omitted on the last page."""
    records, pages = page_all(hubspot, 7)
    ids = [r["id"] for r in records]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert len(pages) == 9
    assert all(len(p["results"]) == 7 for p in pages[:-1])
    assert len(pages[-1]["results"]) == 4 and set(pages[-1]) == {"results"}
    assert ids == sorted(ids, key=int)


def test_limit_bounds(hubspot):
    """Above 100, zero or a non-number is a 400 VALIDATION_ERROR; 100 is fine."""
    assert len(call(hubspot, "GET", COMPANIES, params={"limit": 100}).json()["results"]) == 60
    for bad in ("101", "0", "ten"):
        response = call(hubspot, "GET", COMPANIES, params={"limit": bad})
        assert response.status_code == 400
        body = without_correlation(response.json())
        assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"


def test_requested_properties_unset_are_null_unknown_are_left_out(hubspot):
    """`properties` chooses the properties; defined-but-unset ones come back null (HubSpot docs),
    undefined names are left out; comma lists and repeated parameters both work."""
    comma = call(hubspot, "GET", COMPANIES, params={"limit": 3, "properties": "name,address2,nosuchprop"}).json()
    repeated = call(hubspot, "GET", COMPANIES + "?limit=3&properties=name&properties=address2&properties=nosuchprop").json()
    assert comma["results"] == repeated["results"]
    for record in comma["results"]:
        props = record["properties"]
        assert "nosuchprop" not in props
        assert {"name", "address2", "hs_object_id"} <= set(props)
    assert comma["results"][0]["properties"]["address2"] == "Suite 200"
    assert comma["results"][1]["properties"]["address2"] is None
    one = call(hubspot, "GET", COMPANIES + "/" + comma["results"][1]["id"],
               params={"properties": "industry,numberofemployees,account_tier,city"}).json()
    assert one["properties"]["industry"] == "COMPUTER_SOFTWARE"
    assert one["properties"]["numberofemployees"].isdigit()
    assert one["properties"]["account_tier"] in ("Gold", "Silver", "Bronze")


def test_get_unknown_id_is_404_object_not_found(hubspot):
    """GET of an unknown id answers 404 OBJECT_NOT_FOUND with the id in `context`."""
    for company_id in ("99", "not-a-number"):
        response = call(hubspot, "GET", f"{COMPANIES}/{company_id}")
        assert response.status_code == 404
        assert without_correlation(response.json()) == {
            "status": "error", "message": NOT_FOUND_MESSAGE, "context": {"id": [company_id]},
            "category": "OBJECT_NOT_FOUND"}
    assert NOT_FOUND_MESSAGE == "Object not found.  objectId are usually numeric."


def test_create_returns_201_with_string_properties(hubspot):
    """POST creates (201), assigns a numeric string id, serialises every value as a string."""
    response = call(hubspot, "POST", COMPANIES, json={"properties": {
        "name": "Acme Widgets", "domain": "acme.example", "numberofemployees": 42, "is_public": True,
        "account_tier": "Gold"}})
    assert response.status_code == 201
    created = response.json()
    assert created["id"].isdigit() and created["archived"] is False
    props = created["properties"]
    assert props["name"] == "Acme Widgets" and props["numberofemployees"] == "42" and props["is_public"] == "true"
    assert props["hs_object_id"] == created["id"] and props["account_tier"] == "Gold"
    assert ISO_MS.match(props["createdate"]) and ISO_MS.match(props["hs_lastmodifieddate"])
    assert ISO_MS.match(created["createdAt"]) and created["createdAt"] == created["updatedAt"]
    fetched = call(hubspot, "GET", f"{COMPANIES}/{created['id']}", params={"properties": "name,domain"}).json()
    assert fetched["properties"]["domain"] == "acme.example"
    records, _ = page_all(hubspot, 100)
    assert records[-1]["id"] == created["id"] and len(records) == 61


@pytest.mark.parametrize("body", [{}, {"name": "flat"}, {"properties": "name"}, [1]])
def test_create_without_properties_object_is_400(hubspot, body):
    """`properties` is required on create; without it HubSpot answers 400 VALIDATION_ERROR."""
    response = call(hubspot, "POST", COMPANIES, json=body)
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_invalid_json_and_object_values_are_400(hubspot):
    """A body that is not JSON, or a property value that is an object, is a 400 VALIDATION_ERROR."""
    response = call(hubspot, "POST", COMPANIES, data=b"{not json", headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    response = call(hubspot, "POST", COMPANIES, json={"properties": {"name": {"nested": 1}}})
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"


def test_unknown_property_is_property_doesnt_exist(hubspot):
    """Unknown names fail with PROPERTY_DOESNT_EXIST."""
    response = call(hubspot, "POST", COMPANIES, json={"properties": {"name": "X", "favourite_colour": "blue"}})
    assert response.status_code == 400
    body = without_correlation(response.json())
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: [")
    assert '\\"favourite_colour\\" does not exist' in body["message"]
    assert body["errors"] == [{"message": 'Property "favourite_colour" does not exist',
                               "code": "PROPERTY_DOESNT_EXIST", "context": {"propertyName": ["favourite_colour"]}}]
    assert len(call(hubspot, "GET", COMPANIES, params={"limit": 100}).json()["results"]) == 60
    first_id = call(hubspot, "GET", COMPANIES, params={"limit": 1}).json()["results"][0]["id"]
    response = call(hubspot, "PATCH", f"{COMPANIES}/{first_id}", json={"properties": {"favourite_colour": "x"}})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_update_overwrites_and_empty_string_clears(hubspot):
    """PATCH (200) overwrites the given properties and `""` clears one; updatedAt moves."""
    first = call(hubspot, "GET", COMPANIES, params={"limit": 1}).json()["results"][0]
    response = call(hubspot, "PATCH", f"{COMPANIES}/{first['id']}",
                    json={"properties": {"name": "Renamed Co", "phone": "", "numberofemployees": 7}})
    assert response.status_code == 200
    updated = response.json()
    assert updated["id"] == first["id"] and updated["properties"]["name"] == "Renamed Co"
    assert "phone" not in updated["properties"] and updated["properties"]["numberofemployees"] == "7"
    assert updated["updatedAt"] > first["updatedAt"] and updated["createdAt"] == first["createdAt"]
    assert updated["properties"]["hs_lastmodifieddate"] == updated["updatedAt"]
    fetched = call(hubspot, "GET", f"{COMPANIES}/{first['id']}", params={"properties": "name,phone,city"}).json()
    assert fetched["properties"]["name"] == "Renamed Co" and fetched["properties"]["phone"] is None
    assert fetched["properties"]["city"] == "Boston"


def test_update_unknown_id_is_404(hubspot):
    """PATCH of an unknown id answers the OBJECT_NOT_FOUND 404."""
    response = call(hubspot, "PATCH", f"{COMPANIES}/12345", json={"properties": {"name": "x"}})
    assert response.status_code == 404
    assert response.json()["category"] == "OBJECT_NOT_FOUND" and response.json()["context"] == {"id": ["12345"]}


def test_delete_archives_and_is_idempotent(hubspot):
    """DELETE answers 204 with no body, archives (get → 404, archived=true finds it),
    and answers 204 again for an archived or unknown id."""
    target = call(hubspot, "GET", COMPANIES, params={"limit": 3}).json()["results"][1]["id"]
    response = call(hubspot, "DELETE", f"{COMPANIES}/{target}")
    assert response.status_code == 204 and response.content == b""
    assert call(hubspot, "GET", f"{COMPANIES}/{target}").status_code == 404
    assert call(hubspot, "PATCH", f"{COMPANIES}/{target}", json={"properties": {"name": "x"}}).status_code == 404
    archived = call(hubspot, "GET", f"{COMPANIES}/{target}", params={"archived": "true"}).json()
    assert archived["archived"] is True and ISO_MS.match(archived["archivedAt"])
    listed = call(hubspot, "GET", COMPANIES, params={"archived": "true"}).json()
    assert [r["id"] for r in listed["results"]] == [target] and "paging" not in listed
    records, _ = page_all(hubspot, 7)
    assert len(records) == 59 and target not in {r["id"] for r in records}
    assert call(hubspot, "DELETE", f"{COMPANIES}/{target}").status_code == 204
    assert call(hubspot, "DELETE", f"{COMPANIES}/424242").status_code == 204


def test_rate_limit_headers_on_every_authenticated_answer(hubspot):
    """X-HubSpot-RateLimit-* headers (daily, secondly and the interval trio) on every answer,
    success or error; the remaining counters go down."""
    first = call(hubspot, "GET", COMPANIES)
    second = call(hubspot, "GET", COMPANIES + "/404404")
    for response in (first, second):
        for header in RATE_HEADERS:
            assert response.headers[header].isdigit(), header
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(second.headers["X-HubSpot-RateLimit-Daily-Remaining"]) < int(first.headers["X-HubSpot-RateLimit-Daily-Remaining"])
    assert int(second.headers["X-HubSpot-RateLimit-Remaining"]) <= int(first.headers["X-HubSpot-RateLimit-Remaining"])
    assert first.headers["Content-Type"].startswith("application/json")


def test_ten_thousand_records_page_to_the_end(hubspot):
    """A 10,000-record seed pages through at limit=100 cheaply (cursor + slice, no scans)."""
    hubspot.reset(10_000)
    records, pages = page_all(hubspot, 100, properties="name,domain,industry")
    assert len(records) == 10_000 and len({r["id"] for r in records}) == 10_000
    assert len(pages) == 100 and "paging" not in pages[-1]
    assert len({r["properties"]["name"] for r in records}) == 10_000


# -- HubSpot's official Python client against the sandbox ----------------------------------------

@pytest.fixture
def official(hubspot):
    from hubspot import HubSpot

    return HubSpot(access_token=SANDBOX_TOKEN, host=hubspot.url).crm.companies


def test_official_client_lists_and_gets(official):
    """hubspot-api-client (pointed at the sandbox) deserialises list pages and single reads."""
    page = official.basic_api.get_page(limit=7, properties=["name", "industry"])
    assert len(page.results) == 7 and page.paging.next.after
    assert page.results[0].properties["industry"] == "COMPUTER_SOFTWARE"
    everything = official.get_all(properties=["name"])
    assert len(everything) == 60 and len({c.id for c in everything}) == 60
    one = official.basic_api.get_by_id(page.results[0].id, properties=["name", "city"])
    assert one.properties["city"] == "Boston" and one.archived is False


def test_official_client_create_update_archive(official):
    """Create (201), update (200) and archive (204) through hubspot-api-client; then a read 404s."""
    from hubspot.crm.companies import SimplePublicObjectInput, SimplePublicObjectInputForCreate
    from hubspot.crm.companies.exceptions import ApiException

    created = official.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"name": "SDK Made Inc", "domain": "sdk.example"}))
    assert created.id.isdigit() and created.properties["name"] == "SDK Made Inc"
    updated = official.basic_api.update(created.id, SimplePublicObjectInput(properties={"city": "Leeds"}))
    assert updated.properties["city"] == "Leeds" and updated.updated_at >= created.updated_at
    official.basic_api.archive(created.id)
    with pytest.raises(ApiException) as failure:
        official.basic_api.get_by_id(created.id)
    assert failure.value.status == 404
    assert "OBJECT_NOT_FOUND" in failure.value.body


def test_official_client_rejects_a_bad_token(hubspot):
    """The official client surfaces the sandbox's 401 as ApiException(status=401)."""
    from hubspot import HubSpot
    from hubspot.crm.companies.exceptions import ApiException

    client = HubSpot(access_token="wrong", host=hubspot.url)
    with pytest.raises(ApiException) as failure:
        client.crm.companies.basic_api.get_page()
    assert failure.value.status == 401


# -- contacts, associations, merge, batch archive, properties ------------------------------------------
CONTACTS = "/crm/v3/objects/contacts"
PRIMARY_TYPE = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}


def contact_create(control, props: dict, **extra) -> requests.Response:
    return call(control, "POST", CONTACTS, json={"properties": props, **extra})


def test_contacts_list_pages_with_default_properties(hubspot):
    """Contacts list like companies: default 10, `after` cursor, the contact default property set."""
    response = call(hubspot, "GET", CONTACTS)
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 10 and body["paging"]["next"]["after"]
    assert set(body["results"][0]["properties"]) == {"createdate", "email", "firstname", "hs_object_id",
                                                     "lastmodifieddate", "lastname"}
    assert "associations" not in body["results"][0]  # only when asked for
    seen, after = [], None
    while True:
        page = call(hubspot, "GET", CONTACTS, params={"limit": 100, **({"after": after} if after else {})}).json()
        seen += [r["id"] for r in page["results"]]
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    assert len(seen) == len(set(seen)) == 60
    assert call(hubspot, "GET", CONTACTS, params={"limit": 101}).status_code == 400
    for name in RATE_HEADERS:
        assert name in response.headers


def test_contact_associations_on_read_list_the_primary_company_once_per_type(hubspot):
    linked = next(c for c in hubspot.records("contacts") if c["links"])
    company = next(iter(linked["links"]))
    one = call(hubspot, "GET", f"{CONTACTS}/{linked['id']}", params={"associations": "companies"}).json()
    assert one["associations"] == {"companies": {"results": [
        {"id": company, "type": "contact_to_company"}, {"id": company, "type": "contact_to_company_unlabeled"}]}}
    assert one["properties"].keys() >= {"email", "firstname"}
    lonely = next(c for c in hubspot.records("contacts") if not c["links"])
    assert "associations" not in call(hubspot, "GET", f"{CONTACTS}/{lonely['id']}",
                                      params={"associations": "companies"}).json()


def test_contact_create_validation(hubspot):
    """At least one of email/firstname/lastname; email unique (409 CONFLICT naming the holder); enumeration
    values from the options; unknown properties refused."""
    taken = hubspot.records("contacts")[0]
    response = contact_create(hubspot, {"jobtitle": "Nobody"})
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    duplicate = contact_create(hubspot, {"email": taken["properties"]["email"].upper()})
    assert duplicate.status_code == 409
    assert without_correlation(duplicate.json()) == {
        "status": "error", "message": f"Contact already exists. Existing ID: {taken['id']}", "category": "CONFLICT"}
    option = contact_create(hubspot, {"email": "a@b.example", "lifecyclestage": "friend"})
    assert option.status_code == 400 and '"error":"INVALID_OPTION"' in option.json()["message"]
    email = contact_create(hubspot, {"email": "not-an-email"})
    assert email.status_code == 400 and "INVALID_EMAIL" in email.json()["message"]
    unknown = contact_create(hubspot, {"email": "c@d.example", "shoe_size": "9"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert len(hubspot.records("contacts")) == 60


def test_contact_create_with_a_company_association(hubspot):
    companies = hubspot.records()
    response = contact_create(hubspot, {"email": "new@x.example", "firstname": "New"},
                              associations=[{"to": {"id": companies[1]["id"]}, "types": [PRIMARY_TYPE]}])
    assert response.status_code == 201
    created = response.json()
    assert created["properties"]["email"] == "new@x.example" and created["properties"]["hs_object_id"] == created["id"]
    assert created["properties"]["associatedcompanyid"] == companies[1]["id"]
    links = call(hubspot, "GET", f"/crm/v4/objects/contacts/{created['id']}/associations/companies").json()
    assert links == {"results": [{"toObjectId": int(companies[1]["id"]), "associationTypes": [
        {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
        {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}]}]}
    bad = contact_create(hubspot, {"email": "other@x.example"},
                         associations=[{"to": {"id": "42"}, "types": [PRIMARY_TYPE]}])
    assert bad.status_code == 400 and bad.json()["message"] == "42 is not a valid ID"
    wrong_type = contact_create(hubspot, {"email": "third@x.example"}, associations=[
        {"to": {"id": companies[1]["id"]}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 4}]}])
    assert wrong_type.status_code == 400


def test_associations_v4_put_labeled_default_delete_and_batch(hubspot):
    contact = next(c for c in hubspot.records("contacts") if c["links"])
    old = next(iter(contact["links"]))
    new = next(c["id"] for c in hubspot.records() if c["id"] != old)
    base = f"/crm/v4/objects/contacts/{contact['id']}/associations/companies/{new}"
    assert call(hubspot, "PUT", base).json()["message"] == (
        "Invalid JSON input: a request body was expected, but none found")
    labeled = call(hubspot, "PUT", base, json=[PRIMARY_TYPE])
    assert labeled.status_code == 201
    assert labeled.json() == {"fromObjectTypeId": "0-1", "fromObjectId": int(contact["id"]), "toObjectTypeId": "0-2",
                              "toObjectId": int(new), "labels": ["Primary"]}
    stored = {c["id"]: c for c in hubspot.records("contacts")}[contact["id"]]
    assert stored["links"] == {old: [279], new: [1, 279]}  # one primary: the old one is demoted
    # the company side sees the contact through the reverse type ids
    reverse = call(hubspot, "GET", f"/crm/v4/objects/companies/{new}/associations/contacts").json()["results"]
    assert {"toObjectId": int(contact["id"]), "associationTypes": [
        {"category": "HUBSPOT_DEFINED", "typeId": 2, "label": "Primary"},
        {"category": "HUBSPOT_DEFINED", "typeId": 280, "label": None}]} in reverse
    assert call(hubspot, "DELETE", base).status_code == 204
    default = call(hubspot, "PUT", f"/crm/v4/objects/contacts/{contact['id']}/associations/default/companies/{new}")
    assert default.status_code == 200
    assert default.json()["results"][0]["associationSpec"] == {"associationCategory": "HUBSPOT_DEFINED",
                                                               "associationTypeId": 279}
    batch = call(hubspot, "POST", "/crm/v4/associations/contacts/companies/batch/create", json={"inputs": [
        {"from": {"id": contact["id"]}, "to": {"id": old}, "types": [PRIMARY_TYPE]},
        {"from": {"id": contact["id"]}, "to": {"id": "7"}, "types": [PRIMARY_TYPE]}]})
    assert batch.status_code == 207
    assert batch.json()["numErrors"] == 1 and batch.json()["errors"][0]["message"] == "7 is not a valid ID"
    assert batch.json()["results"][0]["labels"] == ["Primary"]
    assert call(hubspot, "GET", "/crm/v4/objects/butterflies/1/associations/companies").status_code == 400


def test_contact_merge_keeps_the_primary_and_removes_the_other(hubspot):
    first, second = hubspot.records("contacts")[:2]
    response = call(hubspot, "POST", CONTACTS + "/merge",
                    json={"primaryObjectId": first["id"], "objectIdToMerge": second["id"]})
    assert response.status_code == 200
    merged = response.json()
    assert merged["id"] == first["id"]
    props = merged["properties"]
    assert props["email"] == first["properties"]["email"] and props["firstname"] == first["properties"]["firstname"]
    assert second["properties"]["email"] in props["hs_additional_emails"].split(";")
    assert props["hs_merged_object_ids"] == second["id"]
    assert call(hubspot, "GET", f"{CONTACTS}/{second['id']}").status_code == 404
    stored = {c["id"]: c for c in hubspot.records("contacts")}
    assert second["id"] not in stored and set(stored[first["id"]]["links"]) == set(first["links"]) | set(second["links"])
    assert call(hubspot, "POST", CONTACTS + "/merge", json={"primaryObjectId": first["id"]}).status_code == 400
    assert call(hubspot, "POST", CONTACTS + "/merge",
                json={"primaryObjectId": first["id"], "objectIdToMerge": first["id"]}).status_code == 400
    missing = call(hubspot, "POST", CONTACTS + "/merge",
                   json={"primaryObjectId": first["id"], "objectIdToMerge": second["id"]})
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


@pytest.mark.parametrize("path,resource", [(CONTACTS, "contacts"), (COMPANIES, "accounts")])
def test_batch_archive_is_204_and_archives(hubspot, path, resource):
    ids = [r["id"] for r in hubspot.records(resource)[:3]]
    response = call(hubspot, "POST", path + "/batch/archive", json={"inputs": [{"id": i} for i in ids] + [{"id": "1"}]})
    assert response.status_code == 204 and response.content == b""
    assert all(call(hubspot, "GET", f"{path}/{i}").status_code == 404 for i in ids)
    assert call(hubspot, "GET", f"{path}/{ids[0]}", params={"archived": "true"}).json()["archived"] is True
    assert call(hubspot, "POST", path + "/batch/archive", json={"ids": ids}).status_code == 400
    too_many = call(hubspot, "POST", path + "/batch/archive", json={"inputs": [{"id": str(i)} for i in range(101)]})
    assert too_many.status_code == 400


def test_contact_delete_archives_and_is_idempotent(hubspot):
    contact = hubspot.records("contacts")[5]
    assert call(hubspot, "DELETE", f"{CONTACTS}/{contact['id']}").status_code == 204
    assert call(hubspot, "DELETE", f"{CONTACTS}/{contact['id']}").status_code == 204
    assert call(hubspot, "GET", f"{CONTACTS}/{contact['id']}").status_code == 404
    archived = call(hubspot, "GET", CONTACTS, params={"archived": "true"}).json()["results"]
    assert [r["id"] for r in archived] == [contact["id"]] and "archivedAt" in archived[0]
    patch = call(hubspot, "PATCH", f"{CONTACTS}/{contact['id']}", json={"properties": {"firstname": "X"}})
    assert patch.status_code == 404


def test_properties_api_lists_standard_and_custom_definitions(hubspot):
    companies = call(hubspot, "GET", "/crm/v3/properties/companies")
    assert companies.status_code == 200
    by_name = {p["name"]: p for p in companies.json()["results"]}
    assert by_name["name"]["hubspotDefined"] is True and by_name["name"]["type"] == "string"
    tier = by_name["account_tier"]
    assert "hubspotDefined" not in tier and [o["value"] for o in tier["options"]] == ["Gold", "Silver", "Bronze"]
    contacts = {p["name"]: p for p in call(hubspot, "GET", "/crm/v3/properties/0-1").json()["results"]}
    assert "hubspotDefined" not in contacts["preferred_channel"] and contacts["email"]["hasUniqueValue"] is True
    assert "account_tier" not in contacts
    assert call(hubspot, "GET", "/crm/v3/properties/butterflies").status_code == 400
    assert call(hubspot, "GET", "/crm/v3/properties/contacts", headers={}).status_code == 401


def test_faults_and_recording_apply_to_contact_routes(hubspot):
    hubspot.fault(status=429, body={"status": "error", "category": "RATE_LIMITS"}, path_contains="/contacts")
    assert call(hubspot, "GET", CONTACTS).status_code == 429
    assert call(hubspot, "GET", CONTACTS).status_code == 200
    assert hubspot.requests()[-1]["path"] == "/hubspot" + CONTACTS


def test_contact_read_and_update_by_email(hubspot):
    """`idProperty=email` addresses a contact by its email on GET and PATCH."""
    contact = hubspot.records("contacts")[7]
    email = contact["properties"]["email"]
    one = call(hubspot, "GET", f"{CONTACTS}/{email}", params={"idProperty": "email"})
    assert one.status_code == 200 and one.json()["id"] == contact["id"]
    patched = call(hubspot, "PATCH", f"{CONTACTS}/{email}", params={"idProperty": "email"},
                   json={"properties": {"jobtitle": "Founder"}})
    assert patched.status_code == 200 and patched.json()["properties"]["jobtitle"] == "Founder"
    assert call(hubspot, "GET", f"{CONTACTS}/nobody@x.example", params={"idProperty": "email"}).status_code == 404
    assert call(hubspot, "GET", f"{CONTACTS}/{email}", params={"idProperty": "jobtitle"}).status_code == 400


def test_association_to_a_missing_record_names_it(hubspot):
    """A missing source record is a 404; a missing target an INVALID_IDENTIFIER 400 (in a batch, an error item)."""
    contact = hubspot.records("contacts")[0]
    company = hubspot.records()[0]
    assert call(hubspot, "PUT", f"/crm/v4/objects/contacts/1/associations/companies/{company['id']}",
                json=[PRIMARY_TYPE]).status_code == 404
    reverse = call(hubspot, "PUT", f"/crm/v4/objects/companies/{company['id']}/associations/contacts/5",
                   json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 2}])
    assert reverse.status_code == 400 and reverse.json()["message"] == "5 is not a valid ID"
    batch = call(hubspot, "POST", "/crm/v4/associations/companies/contacts/batch/create", json={"inputs": [
        {"from": {"id": "3"}, "to": {"id": contact["id"]},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 280}]}]})
    assert batch.status_code == 207 and batch.json()["errors"][0]["message"] == "3 is not a valid ID"
    wrong = call(hubspot, "PUT", f"/crm/v4/objects/contacts/{contact['id']}/associations/companies/{company['id']}",
                 json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 2}])
    assert wrong.status_code == 400  # 2 is company -> contact, not contact -> company


@pytest.mark.parametrize("path", [COMPANIES, "/crm/v3/objects/contacts"])
def test_unknown_and_read_only_properties_are_refused_by_default(hubspot, path):
    """"Read-only and non-existent properties will result in an error"
    (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/update-contact)."""
    record = call(hubspot, "GET", path, params={"limit": 1}).json()["results"][0]
    read_only = "hs_object_id"
    for method, target in (("POST", path), ("PATCH", f"{path}/{record['id']}")):
        r = call(hubspot, method, target, json={"properties": {"lastname": "Q", "name": "Q", read_only: "7",
                                                                "no_such_property": "x"}})
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["category"] == "VALIDATION_ERROR"
        codes = {e["context"]["propertyName"][0]: e["code"] for e in body["errors"]}
        assert codes["no_such_property"] == "PROPERTY_DOESNT_EXIST" and codes[read_only] == "READ_ONLY_VALUE"
    assert call(hubspot, "GET", f"{path}/{record['id']}").json()["properties"] == record["properties"]


@pytest.mark.parametrize("path", [COMPANIES, "/crm/v3/objects/contacts"])
def test_switch_ignore_drops_unknown_and_read_only_properties(hubspot, path):
    """The SDKs' older text: "Read-only and non-existent properties will be ignored" (switch `invalid_properties`)."""
    hubspot.switch(invalid_properties="ignore")
    r = call(hubspot, "POST", path, json={"properties": {"name": "Quill", "lastname": "Quill", "hs_object_id": "7",
                                                         "no_such_property": "x"}})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["properties"]["hs_object_id"] == created["id"] != "7"
    assert "no_such_property" not in created["properties"]
    r = call(hubspot, "PATCH", f"{path}/{created['id']}", json={"properties": {"no_such_property": "y"}})
    assert r.status_code == 200 and "no_such_property" not in r.json()["properties"]


def test_company_enumerations_take_only_their_options(hubspot):
    """A company's lifecycle stage and the portal's `account_tier` take their options' internal values (400
    INVALID_OPTION otherwise), as contacts' enumerations do."""
    for props in ({"name": "Tiered", "account_tier": "Platinum"}, {"name": "Staged", "lifecyclestage": "Customer"}):
        r = call(hubspot, "POST", COMPANIES, json={"properties": props})
        assert r.status_code == 400, r.text
        assert r.json()["category"] == "VALIDATION_ERROR" and '"error":"INVALID_OPTION"' in r.json()["message"]
    r = call(hubspot, "POST", COMPANIES, json={"properties": {"name": "Fine", "account_tier": "Gold",
                                                              "lifecyclestage": "customer"}})
    assert r.status_code == 201, r.text
    r = call(hubspot, "PATCH", f"{COMPANIES}/{r.json()['id']}", json={"properties": {"account_tier": "Tin"}})
    assert r.status_code == 400
    definitions = {d["name"]: d for d in call(hubspot, "GET", "/crm/v3/properties/companies").json()["results"]}
    assert [o["value"] for o in definitions["account_tier"]["options"]] == ["Gold", "Silver", "Bronze"]
    assert definitions["lifecyclestage"]["options"][0]["value"] == "subscriber"


def test_a_merged_away_id_reads_as_404_or_the_survivor_as_switched(hubspot):
    """Unverified either way (switch `merged_id_read`); writes to the old id stay 404."""
    first, second = call(hubspot, "GET", CONTACTS, params={"limit": 2}).json()["results"]
    r = call(hubspot, "POST", f"{CONTACTS}/merge", json={"primaryObjectId": first["id"], "objectIdToMerge": second["id"]})
    assert r.status_code == 200
    assert call(hubspot, "GET", f"{CONTACTS}/{second['id']}").status_code == 404
    hubspot.switch(merged_id_read="survivor")
    r = call(hubspot, "GET", f"{CONTACTS}/{second['id']}")
    assert r.status_code == 200 and r.json()["id"] == first["id"]
    assert call(hubspot, "PATCH", f"{CONTACTS}/{second['id']}", json={"properties": {"jobtitle": "x"}}).status_code == 404


def test_the_properties_api_and_the_writes_agree_on_what_is_read_only(hubspot):
    """Every property whose definition says `readOnlyValue` is refused on write (READ_ONLY_VALUE); `createdate`
    is writable by both."""
    for object_type, path, base in (("companies", COMPANIES, {"name": "RO Co"}),
                                    ("contacts", "/crm/v3/objects/contacts", {"lastname": "RO"})):
        definitions = call(hubspot, "GET", f"/crm/v3/properties/{object_type}").json()["results"]
        read_only = {d["name"] for d in definitions if d["modificationMetadata"]["readOnlyValue"]}
        assert read_only and "createdate" not in read_only
        for name in sorted(read_only):
            r = call(hubspot, "POST", path, json={"properties": {**base, name: "2024-01-01T00:00:00.000Z"}})
            assert r.status_code == 400 and r.json()["errors"][0]["code"] == "READ_ONLY_VALUE", (object_type, name)
        r = call(hubspot, "POST", path, json={"properties": {**base, "createdate": "2020-05-01T00:00:00.000Z"}})
        assert r.status_code == 201 and r.json()["createdAt"] == "2020-05-01T00:00:00.000Z"


# -- the properties API's writes and property groups
# (https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide) ---------------------------

PROPERTIES = "/crm/v3/properties"
NEW_PROPERTY = {"name": "fleet_size", "label": "Fleet size", "type": "number", "fieldType": "number",
                "groupName": "companyinformation"}


def test_a_created_property_answers_201_with_its_definition_and_is_listed(hubspot):
    created = call(hubspot, "POST", f"{PROPERTIES}/companies", json={**NEW_PROPERTY, "description": "Vehicles"})
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith("/crm/v3/properties/companies/fleet_size")
    body = created.json()
    assert {k: body[k] for k in (*NEW_PROPERTY, "description")} == {**NEW_PROPERTY, "description": "Vehicles"}
    assert "hubspotDefined" not in body and body["archived"] is False and ISO_MS.match(body["createdAt"])
    assert body["modificationMetadata"] == {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False}
    listed = call(hubspot, "GET", f"{PROPERTIES}/companies").json()["results"]
    assert [p for p in listed if p["name"] == "fleet_size"] == [body]
    assert call(hubspot, "GET", f"{PROPERTIES}/0-2/fleet_size").json() == body   # the type id names it too
    assert call(hubspot, "GET", f"{PROPERTIES}/contacts/fleet_size").status_code == 404
    # a record of the object takes a value for it from now on
    written = call(hubspot, "POST", COMPANIES, json={"properties": {"name": "Fleet Co", "fleet_size": "12"}})
    assert written.status_code == 201 and written.json()["properties"]["fleet_size"] == "12"


@pytest.mark.parametrize(("change", "wanted"), [
    ({"fieldType": None, "groupName": None}, "some of required attributes are not set [fieldType, groupName]"),
    ({"type": "integer"}, "Cannot deserialize value of type `PropertyType` from String \"integer\""),
    ({"fieldType": "select"}, "does not support the field type select"),
    ({"type": "enumeration", "fieldType": "select"}, "must have at least one option"),
    ({"type": "enumeration", "fieldType": "select", "options": [{"label": "A", "value": "a"}]},
     "OptionInput, some of required attributes are not set [hidden]"),
    ({"name": "Bad/Name"}, "is invalid"),
    ({"groupName": "no_such_group"}, "Property group no_such_group does not exist."),
])
def test_a_property_create_hubspot_refuses_is_a_400_and_creates_nothing(hubspot, change, wanted):
    body = {k: v for k, v in {**NEW_PROPERTY, **change}.items() if v is not None}
    response = call(hubspot, "POST", f"{PROPERTIES}/companies", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["category"] == "VALIDATION_ERROR" and wanted in response.json()["message"]
    assert call(hubspot, "GET", f"{PROPERTIES}/companies/fleet_size").status_code == 404


def test_a_taken_property_name_is_a_409(hubspot):
    response = call(hubspot, "POST", f"{PROPERTIES}/contacts", json={**NEW_PROPERTY, "name": "email",
                                                                    "groupName": "contactinformation"})
    assert response.status_code == 409
    assert without_correlation(response.json()) == {
        "status": "error", "message": "A property named 'email' already exists.", "category": "CONFLICT"}


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"x"', b'{"name": 5, "label": [], "type": {}}'])
@pytest.mark.parametrize("path", ["", "/partner_code", "/groups", "/groups/custom_properties"])
def test_a_malformed_property_or_group_write_is_a_400(hubspot, raw, path):
    method = "POST" if path in ("", "/groups") else "PATCH"
    response = call(hubspot, method, f"{PROPERTIES}/companies{path}", data=raw,
                    headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_an_update_changes_a_custom_property_and_hubspots_own_keep_their_type(hubspot):
    changed = call(hubspot, "PATCH", f"{PROPERTIES}/companies/partner_code",
                   json={"label": "Partner ref", "type": "enumeration", "fieldType": "radio",
                         "options": [{"label": "A", "value": "a", "hidden": False}], "name": "ignored"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["label"], body["type"], body["fieldType"]) == ("partner_code", "Partner ref",
                                                                               "enumeration", "radio")
    assert body["options"] == [{"label": "A", "value": "a", "displayOrder": 0, "hidden": False}]
    # its values are checked against the new options
    refused = call(hubspot, "POST", COMPANIES, json={"properties": {"name": "X", "partner_code": "b"}})
    assert refused.status_code == 400 and "INVALID_OPTION" in refused.json()["message"]
    own = call(hubspot, "PATCH", f"{PROPERTIES}/companies/numberofemployees", json={"type": "string",
                                                                                  "fieldType": "text"})
    assert own.status_code == 400 and "HubSpot-defined" in own.json()["message"]
    relabelled = call(hubspot, "PATCH", f"{PROPERTIES}/companies/numberofemployees", json={"label": "Headcount"})
    assert relabelled.status_code == 200 and relabelled.json()["type"] == "number"
    assert call(hubspot, "PATCH", f"{PROPERTIES}/companies/no_such", json={"label": "x"}).status_code == 404
    emptied = call(hubspot, "PATCH", f"{PROPERTIES}/companies/account_tier", json={"options": []})
    assert emptied.status_code == 400 and "at least one option" in emptied.json()["message"]


def test_archiving_takes_custom_properties_only_and_keeps_their_names(hubspot):
    own = call(hubspot, "DELETE", f"{PROPERTIES}/companies/name")
    assert own.status_code == 400 and "cannot be archived" in own.json()["message"]
    assert call(hubspot, "DELETE", f"{PROPERTIES}/companies/partner_code").status_code == 204
    assert call(hubspot, "GET", f"{PROPERTIES}/companies/partner_code").status_code == 404
    archived = call(hubspot, "GET", f"{PROPERTIES}/companies", params={"archived": "true"}).json()["results"]
    assert [p["name"] for p in archived] == ["partner_code"] and archived[0]["archived"] is True
    assert call(hubspot, "GET", f"{PROPERTIES}/companies/partner_code", params={"archived": "true"}).status_code == 200
    assert call(hubspot, "DELETE", f"{PROPERTIES}/companies/partner_code").status_code == 404
    # records no longer take it, and its name stays taken
    refused = call(hubspot, "POST", COMPANIES, json={"properties": {"name": "X", "partner_code": "p"}})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    again = call(hubspot, "POST", f"{PROPERTIES}/companies", json={**NEW_PROPERTY, "name": "partner_code",
                                                                  "type": "string", "fieldType": "text"})
    assert again.status_code == 409


def test_a_checkbox_property_takes_several_of_its_options(hubspot):
    created = call(hubspot, "POST", f"{PROPERTIES}/companies", json={
        **NEW_PROPERTY, "name": "regions", "type": "enumeration", "fieldType": "checkbox",
        "options": [{"label": "EU", "value": "eu", "hidden": False}, {"label": "US", "value": "us", "hidden": False}]})
    assert created.status_code == 201, created.text
    ok = call(hubspot, "POST", COMPANIES, json={"properties": {"name": "Both", "regions": "eu;us"}})
    assert ok.status_code == 201 and ok.json()["properties"]["regions"] == "eu;us"
    bad = call(hubspot, "POST", COMPANIES, json={"properties": {"name": "Odd", "regions": "eu;apac"}})
    assert bad.status_code == 400 and "INVALID_OPTION" in bad.json()["message"]


def test_property_groups_are_listed_created_and_relabelled(hubspot):
    listed = call(hubspot, "GET", f"{PROPERTIES}/deals/groups")
    assert listed.status_code == 200
    groups = listed.json()["results"]
    assert groups[0] == {"name": "dealinformation", "label": "Deal information", "displayOrder": 0, "archived": False}
    # every property names a group of its object
    names = {g["name"] for g in groups}
    assert {p["groupName"] for p in call(hubspot, "GET", f"{PROPERTIES}/deals").json()["results"]} <= names
    created = call(hubspot, "POST", f"{PROPERTIES}/deals/groups", json={"name": "renewals", "label": "Renewals"})
    assert created.status_code == 201 and created.headers["Location"].endswith("/crm/v3/properties/deals/groups/renewals")
    assert created.json() == {"name": "renewals", "label": "Renewals", "displayOrder": -1, "archived": False}
    assert call(hubspot, "POST", f"{PROPERTIES}/deals/groups", json={"name": "renewals", "label": "R"}).status_code == 409
    missing = call(hubspot, "POST", f"{PROPERTIES}/deals/groups", json={"name": "nolabel"})
    assert missing.status_code == 400 and "[label]" in missing.json()["message"]
    relabelled = call(hubspot, "PATCH", f"{PROPERTIES}/deals/groups/renewals", json={"label": "Renewal desk",
                                                                                   "displayOrder": 3})
    assert relabelled.json() == {"name": "renewals", "label": "Renewal desk", "displayOrder": 3, "archived": False}
    assert call(hubspot, "GET", f"{PROPERTIES}/deals/groups/renewals").json()["label"] == "Renewal desk"
    assert call(hubspot, "GET", f"{PROPERTIES}/companies/groups/renewals").status_code == 404
    assert call(hubspot, "GET", f"{PROPERTIES}/widgets/groups").status_code == 400
    # a property joins the new group
    joined = call(hubspot, "POST", f"{PROPERTIES}/deals", json={**NEW_PROPERTY, "groupName": "renewals"})
    assert joined.status_code == 201 and joined.json()["groupName"] == "renewals"


def test_a_reset_restores_the_seeded_definitions(hubspot):
    assert call(hubspot, "POST", f"{PROPERTIES}/companies", json=NEW_PROPERTY).status_code == 201
    assert any(f["name"] == "fleet_size" for f in hubspot.records("fields"))
    hubspot.reset()
    assert all(f["name"] != "fleet_size" for f in hubspot.records("fields"))
    assert call(hubspot, "GET", f"{PROPERTIES}/companies/fleet_size").status_code == 404


@pytest.mark.parametrize(("object_name", "resource", "company_type"), [
    ("notes", "notes", 190), ("0-27", "tasks", 192), ("calls", "engagements", 182)])
def test_activities_are_searched_by_their_times_and_their_links_read_in_batches(hubspot, object_name, resource,
                                                                                company_type):
    """Notes, tasks and calls are searched as the other objects are, on hs_createdate and hs_lastmodifieddate
    among their properties, without associations; their links come from the associations v4 batch read."""
    stored = hubspot.records(resource)
    since = sorted(r["properties"]["hs_lastmodifieddate"] for r in stored)[len(stored) // 2]
    found = call(hubspot, "POST", f"/crm/v3/objects/{object_name}/search", json={
        "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since}]}],
        "sorts": [{"propertyName": "hs_createdate", "direction": "DESCENDING"}], "limit": 200})
    assert found.status_code == 200
    results = found.json()["results"]
    wanted = sorted((r for r in stored if r["properties"]["hs_lastmodifieddate"] >= since),
                    key=lambda r: r["createdAt"], reverse=True)
    assert [r["id"] for r in results] == [r["id"] for r in wanted] and found.json()["total"] == len(wanted)
    assert all("associations" not in r and r["properties"]["hs_createdate"] == r["createdAt"] for r in results)
    linked = next(r for r in stored if r["links"]["companies"] and not r["links"]["deals"])
    read = call(hubspot, "POST", f"/crm/v4/associations/{object_name}/companies/batch/read",
                json={"inputs": [{"id": linked["id"]}]})
    assert read.status_code == 200
    assert read.json()["results"] == [{"from": {"id": linked["id"]}, "to": [
        {"toObjectId": int(company), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": company_type,
                                                           "label": None}]} for company in linked["links"]["companies"]]}]
    none = call(hubspot, "POST", f"/crm/v4/associations/{object_name}/deals/batch/read",
                json={"inputs": [{"id": linked["id"]}]})
    assert none.status_code == 207 and none.json()["results"] == []
    assert none.json()["errors"][0]["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
