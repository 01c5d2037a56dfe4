"""Pipedrive through the gateway: the mapping against the sandbox's stored organizations, writes as
Pipedrive receives them, custom-field hashes from the account's context
(https://developers.pipedrive.com/docs/api/v1/Organizations)."""

from __future__ import annotations

import pytest
from support import SPECS, list_all

NAME = "pipedrive"
KEYS = SPECS[NAME].sandbox_context["custom_field_keys"]


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def expected(org: dict) -> dict:
    cf = org["custom_fields"]
    a = org["address"] or {}
    street = " ".join(x for x in (a.get("street_number"), a.get("route")) if x) or a.get("value")
    address = {"street_1": street, "street_2": a.get("subpremise"), "city": a.get("locality"),
               "state": a.get("admin_area_level_1"), "postal_code": a.get("postal_code"),
               "country": a.get("country"), "type": "primary"}
    out = {
        "id": str(org["id"]),
        "name": org["name"],
        "industry": cf.get(KEYS["industry"]),
        "website": cf.get(KEYS["website"]),
        "number_of_employees": cf.get(KEYS["number_of_employees"]),
        "owner": {"id": str(org["owner_id"])} if org.get("owner_id") else None,
        "addresses": [{k: v for k, v in address.items() if v}] if org["address"] else None,
        "phone_numbers": [{"number": cf[KEYS["phone"]], "type": "primary"}] if cf.get(KEYS["phone"]) else None,
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
                           "country": "Germany"}]}
    ctl.clear_requests()
    response = gateway.unified("POST", NAME, json=sent)
    assert response.status_code == 200, response.text
    body = ctl.requests()[-1]["body"]
    assert body["name"] == "Quay Analytics" and body["owner_id"] == 13053346 and body["label_ids"] == [2]
    assert body["custom_fields"] == {KEYS["website"]: "https://quay.example", KEYS["industry"]: "Analytics",
                                     KEYS["number_of_employees"]: 30, KEYS["phone"]: "+49 30 555 0101"}
    assert body["address"]["locality"] == "Berlin" and body["address"]["route"] == "Unter den Linden 5"
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
