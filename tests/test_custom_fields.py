"""Custom fields round-trip on every CRM that maps them (docs/api.md "Fields and custom fields").

Parametrised over every registered mapping that writes `custom_fields`: the field is created through
crm/fields where the CRM allows it (else one the CRM already has is used), a record is written with a value
in `custom_fields` under the field's unified `name`, and read back typed; an update changes it. A CRM that
gains custom fields is held to this with no test edit.
"""

from __future__ import annotations

import uuid

import pytest
from support import REGISTERED, linked_records, mapping, one_link_per_group, sample_write_body

ENTITIES = {"accounts": "account", "contacts": "contact", "opportunities": "opportunity", "leads": "lead"}
VALUES = {"string": ("first value", "second value"), "text": ("first value", "second value"), "number": (42, 7.5)}

custom_pairs = [pytest.param(name, resource, id=f"{name}-{resource}") for name, resource in REGISTERED
                if "custom_fields" in mapping(name, resource).writable]


def a_custom_field(gateway, name: str, entity: str) -> dict:
    """A user-defined text or number field of `entity`: created through crm/fields where the CRM allows it."""
    if (name, "fields") not in REGISTERED:
        pytest.skip(f"{name} maps no crm/fields, so no custom field can be named (docs/coverage.md)")
    fields = mapping(name, "fields")
    if "create" in fields.methods and "name" in fields.writable:
        marker = uuid.uuid4().hex[:8]
        created = gateway.unified("POST", name, resource="fields", params={"entity": entity},
                                  json={"name": f"unigate_{marker}", "label": f"Unigate {marker}", "type": "string",
                                        "entity_type": entity})
        assert created.status_code == 200, created.text
        field = created.json()
        assert field["is_user_defined"] is True and field["entity_type"] == entity
        return field
    listed = gateway.unified("GET", name, resource="fields", params={"entity": entity, "limit": 100})
    assert listed.status_code == 200, listed.text
    custom = [f for f in listed.json()["result"] if f.get("is_user_defined") and f.get("type") in VALUES
              and f.get("is_editable", True)]
    assert custom, f"{name} has no writable custom text or number field on {entity}s (the emulator seeds one)"
    return custom[0]


@pytest.mark.parametrize(("name", "resource"), custom_pairs)
@pytest.mark.usefixtures("ctl")
def test_a_custom_field_value_is_written_and_read_back_typed(gateway, name, resource):
    m = mapping(name, resource)
    field = a_custom_field(gateway, name, ENTITIES[resource])
    first, second = VALUES[field["type"]]
    listed = gateway.unified("GET", name, params={"limit": 1}, resource=resource).json()["result"]
    existing = gateway.unified("GET", name, listed[0]["id"], resource=resource).json() if listed else {}
    body = one_link_per_group(name, resource, sample_write_body(name, existing, resource,
                                                                links=linked_records(gateway, name, resource)))
    body["custom_fields"] = {field["name"]: first}
    created = gateway.unified("POST", name, json=body, resource=resource)
    assert created.status_code == 200, created.text
    record_id = created.json()["id"]
    got = gateway.unified("GET", name, record_id, resource=resource).json()
    assert got["custom_fields"][field["name"]] == first
    assert type(got["custom_fields"][field["name"]]) is type(first)
    if "update" in m.methods:
        updated = gateway.unified("PATCH", name, record_id, json={"custom_fields": {field["name"]: second}},
                                  resource=resource)
        assert updated.status_code == 200, updated.text
        again = gateway.unified("GET", name, record_id, resource=resource).json()
        assert again["custom_fields"][field["name"]] == second
    listed_again = gateway.unified("GET", name, params={"limit": 100}, resource=resource).json()["result"]
    for record in listed_again:
        assert isinstance(record.get("custom_fields", {}), dict)
