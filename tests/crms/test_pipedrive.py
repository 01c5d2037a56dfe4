"""Pipedrive through the gateway: the mapping against the sandbox's stored organizations, writes as
Pipedrive receives them, custom-field hashes from the account's context
(https://developers.pipedrive.com/docs/api/v1/Organizations)."""

from __future__ import annotations

import pytest
from support import SPECS, country_code, list_all

NAME = "pipedrive"
KEYS = SPECS[NAME].sandbox_context["custom_field_keys"]


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()
    control.default_switches()


def expected(org: dict) -> dict:
    cf = org["custom_fields"]
    a = org["address"] or {}
    street = " ".join(x for x in (a.get("street_number"), a.get("route")) if x) or a.get("value")
    address = {"street_1": street, "street_2": a.get("subpremise"), "city": a.get("locality"),
               "state": a.get("admin_area_level_1"), "postal_code": a.get("postal_code"),
               "country": country_code(a.get("country"))}
    out = {
        "id": str(org["id"]),
        "name": org["name"],
        "industry": cf.get(KEYS["industry"]),
        "website": cf.get(KEYS["website"]),
        "number_of_employees": cf.get(KEYS["number_of_employees"]),
        "owner": {"id": str(org["owner_id"])} if org.get("owner_id") else None,
        "addresses": [{k: v for k, v in address.items() if v}] if org["address"] else None,
        "phone_numbers": [{"number": cf[KEYS["phone"]], "type": "work"}] if cf.get(KEYS["phone"]) else None,
        "urls": [{"url": cf[KEYS["website"]], "type": "website"}] if cf.get(KEYS["website"]) else None,
        "tags": [{"id": str(i)} for i in org["label_ids"]] or None,
        "custom_fields": {k: v for k, v in cf.items() if v is not None} or None,
        "created_at": org["add_time"],
        "updated_at": org["update_time"],
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_organization_maps_from_the_stored_record(gateway, ctl):
    stored = {str(o["id"]): o for o in ctl.records() if not o["is_deleted"]}
    listed = [r for page in list_all(gateway, NAME, limit=30) for r in page]
    assert len(listed) == len(stored)
    for record in listed:
        record.pop("remote_data")
        assert record == expected(stored[record["id"]])


def test_list_uses_pipedrives_cursor_and_token_header(gateway, ctl):
    ctl.clear_requests()
    first = gateway.unified("GET", NAME, params={"limit": 5}).json()
    gateway.unified("GET", NAME, params={"limit": 5, "next_cursor": first["next_cursor"]})
    one, two = ctl.requests()[-2:]
    assert one["headers"]["x-api-token"] == "sandbox-pipedrive-token"
    assert "cursor" not in dict(one["query_params"])
    assert dict(two["query_params"])["cursor"]  # Pipedrive's own opaque cursor, carried inside ours


def test_create_puts_mapped_fields_into_custom_field_hashes(gateway, ctl):
    sent = {"name": "Quay Analytics", "website": "https://quay.example", "industry": "Analytics",
            "number_of_employees": 30, "owner": {"id": "13053346"}, "tags": [{"id": "2"}],
            "phone_numbers": [{"number": "+49 30 555 0101"}],
            "addresses": [{"street_1": "Unter den Linden 5", "city": "Berlin", "postal_code": "10117",
                           "country": "DE"}]}
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent)
    assert response.status_code == 200, response.text
    body = ctl.requests()[-1]["body"]
    assert body["name"] == "Quay Analytics" and body["owner_id"] == 13053346 and body["label_ids"] == [2]
    assert body["custom_fields"] == {KEYS["website"]: "https://quay.example", KEYS["industry"]: "Analytics",
                                     KEYS["number_of_employees"]: 30, KEYS["phone"]: "+49 30 555 0101"}
    assert body["address"]["locality"] == "Berlin" and body["address"]["route"] == "Unter den Linden 5"
    # Pipedrive's address parts are geocoded names: the unified code goes as the country's name.
    assert body["address"]["country"] == "Germany" and body["address"]["value"].endswith(", Germany")
    created = response.json()
    stored = {str(o["id"]): o for o in ctl.records()}[created["id"]]
    created.pop("remote_data")
    assert created == expected(stored)


def test_delete_maps_pipedrives_answer_and_soft_deletes(gateway, ctl):
    org = ctl.records()[0]
    response = gateway.unified("DELETE", NAME, str(org["id"]))
    assert response.status_code == 200
    assert response.json()["id"] == str(org["id"])
    assert response.json()["remote_data"] == {"success": True, "data": {"id": org["id"]}}
    stored = {o["id"]: o for o in ctl.records()}[org["id"]]
    assert stored["is_deleted"] is True
    assert gateway.unified("GET", NAME, str(org["id"])).status_code == 404
    assert gateway.unified("DELETE", NAME, str(org["id"])).status_code == 404


# -- contacts (persons) -----------------------------------------------------------------------------


def expected_contact(person: dict) -> dict:
    """The unified contact a stored Pipedrive person should map to (written independently of the YAML)."""
    out = {
        "id": str(person["id"]),
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "name": person["name"],
        "account": {"id": str(person["org_id"])} if person["org_id"] else None,
        "email_addresses": [{"email": e["value"], "type": e["label"]} for e in person["emails"]] or None,
        "phone_numbers": [{"number": p["value"], "type": p["label"]} for p in person["phones"]] or None,
        "owner": {"id": str(person["owner_id"])},
        "tags": [{"id": str(i)} for i in person["label_ids"]] or None,
        "custom_fields": {k: v for k, v in person["custom_fields"].items() if v is not None} or None,
        "created_at": person["add_time"],
        "updated_at": person["update_time"],
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_person_maps_with_its_organization(gateway, ctl):
    stored = {p["id"]: p for p in ctl.records("contacts")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="contacts") for r in page]
    assert len(listed) == len(stored) == 60
    for record in listed:
        record.pop("remote_data")
        assert record == expected_contact(stored[int(record["id"])])
    assert sum("account" in r for r in listed) == 50


def test_person_create_sends_name_org_and_contact_points(gateway, ctl):
    sent = {"first_name": "Liis", "last_name": "Kask", "account": {"id": "3"}, "owner": {"id": "13053347"},
            "email_addresses": [{"email": "liis@kask.example", "type": "work"}, {"email": "liis@home.example"}],
            "phone_numbers": [{"number": "+372 5555 0000", "type": "mobile"}, {"number": "+372 5555 0001", "type": "fax"}],
            "tags": [{"id": "2"}],
            "custom_fields": {"c0ffee4d2b1a09f8e7d6c5b4a3928170f6e5d4c3": 77}}
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent, resource="contacts")
    assert response.status_code == 200, response.text
    request = ctl.requests()[-1]
    assert (request["method"], request["path"]) == ("POST", "/pipedrive/api/v2/persons")
    assert request["body"] == {
        "name": "Liis Kask", "owner_id": 13053347, "org_id": 3, "label_ids": [2],
        "emails": [{"value": "liis@kask.example", "primary": True, "label": "work"},
                   {"value": "liis@home.example", "primary": False, "label": "work"}],
        "phones": [{"value": "+372 5555 0000", "primary": True, "label": "mobile"},
                   {"value": "+372 5555 0001", "primary": False, "label": "other"}],   # Pipedrive has no fax label
        "custom_fields": {"c0ffee4d2b1a09f8e7d6c5b4a3928170f6e5d4c3": 77}}
    created = response.json()
    stored = {p["id"]: p for p in ctl.records("contacts")}[int(created["id"])]
    created.pop("remote_data")
    assert created == expected_contact(stored)
    assert created["account"] == {"id": "3"} and created["first_name"] == "Liis"


def test_person_update_moves_the_organization_and_keeps_the_other_name_half(gateway, ctl):
    person = ctl.records("contacts")[0]
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, str(person["id"]), json={"last_name": "Rebane", "account": {"id": "9"}}, resource="contacts")
    assert response.status_code == 200, response.text
    sent = [(r["method"], r["path"], r["body"]) for r in ctl.requests()]
    assert sent[0][:2] == ("GET", f"/pipedrive/api/v2/persons/{person['id']}")
    assert sent[1] == ("PATCH", f"/pipedrive/api/v2/persons/{person['id']}",
                       {"name": f"{person['first_name']} Rebane", "org_id": 9})
    body = response.json()
    assert body["account"] == {"id": "9"} and body["last_name"] == "Rebane"
    assert body["first_name"] == person["first_name"]


def test_person_write_refused_by_pipedrive_is_passed_on(gateway, ctl):
    response = gateway.unified("POST", NAME, json={"name": "No Org", "account": {"id": "99999"}}, resource="contacts")
    assert response.status_code == 400
    assert response.json()["raw_response"]["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
    # A person without a name is refused before Pipedrive (supports.required), naming the fields that would do.
    ctl.clear_requests()
    unnamed = gateway.unified("POST", NAME, json={"email_addresses": [{"email": "x@y.example"}]}, resource="contacts")
    assert unnamed.status_code == 400
    assert "`name` or `first_name` or `last_name`" in unnamed.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


@pytest.mark.parametrize("unknown_fields", ["reject", "ignore"])
def test_remote_data_naming_an_unknown_field_either_way(gateway, ctl, unknown_fields):
    """A caller's `remote_data` reaches Pipedrive as sent; whether Pipedrive refuses a field its schema lacks is
    undocumented (emulator switch `unknown_fields`): a refusal is Pipedrive's 400 with nothing stored, else the
    organization is created without it."""
    ctl.switch(unknown_fields=unknown_fields)
    before = len(ctl.records())
    response = gateway.unified("POST", NAME, json={"name": "Remote Extra", "remote_data": {"no_such_field": 1}})
    if unknown_fields == "reject":
        assert response.status_code == 400, response.text
        assert response.json()["raw_response"]["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
        assert len(ctl.records()) == before
        return
    assert response.status_code == 200, response.text
    stored = {str(o["id"]): o for o in ctl.records()}[response.json()["id"]]
    assert stored["name"] == "Remote Extra" and "no_such_field" not in stored


@pytest.mark.parametrize("deleted_read", ["not_found", "is_deleted"])
@pytest.mark.parametrize("resource", ["accounts", "contacts"])
def test_a_deleted_record_reads_as_404_either_way(gateway, ctl, deleted_read, resource):
    """Whether Pipedrive answers a read of a soft-deleted record with 404 or with the record flagged
    `is_deleted` is not documented (emulator switch `deleted_read`): the unified read is a 404 both ways."""
    ctl.switch(deleted_read=deleted_read)
    record = ctl.records(resource)[3]
    assert gateway.unified("DELETE", NAME, str(record["id"]), resource=resource).status_code == 200
    response = gateway.unified("GET", NAME, str(record["id"]), resource=resource)
    assert response.status_code == 404, response.text
    assert response.json()["truto_is_remote_error"] is True
    listed = {r["id"] for page in list_all(gateway, NAME, resource=resource, limit=100) for r in page}
    assert str(record["id"]) not in listed and listed


def test_person_delete_is_soft(gateway, ctl):
    person = ctl.records("contacts")[2]
    ctl.clear_requests()
    response = gateway.unified("DELETE", NAME, str(person["id"]), resource="contacts")
    assert response.status_code == 200 and response.json()["id"] == str(person["id"])
    assert [(r["method"], r["path"]) for r in ctl.requests()] == [("DELETE", f"/pipedrive/api/v2/persons/{person['id']}")]
    assert gateway.unified("GET", NAME, str(person["id"]), resource="contacts").status_code == 404
    assert {p["id"]: p for p in ctl.records("contacts")}[person["id"]]["is_deleted"] is True
