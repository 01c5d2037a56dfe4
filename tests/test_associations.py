"""crm/associations (create only) on every CRM that maps it (docs/api.md "People and schema"): a contact linked
to an account through one call is linked when the contact is read back, the CRM received one write, and what the
CRM cannot hold is refused before it is called. Parametrised over every write-only mapping of associations."""

from __future__ import annotations

import pytest
from support import WRITE_ONLY, mapping

pairs = [pytest.param(name, id=name) for name, resource in WRITE_ONLY if resource == "associations"]


def first_ids(gateway, name: str, resource: str, count: int) -> list[str]:
    listed = gateway.unified("GET", name, params={"limit": count}, resource=resource)
    assert listed.status_code == 200, listed.text
    return [record["id"] for record in listed.json()["result"]]


@pytest.mark.parametrize("name", pairs)
def test_a_contact_associated_with_an_account_reads_back_linked(gateway, ctl, name):
    assert "contacts" in mapping(name, "associations").values["entity"]
    contact = first_ids(gateway, name, "contacts", 1)[0]
    linked = {gateway.unified("GET", name, contact, resource="contacts").json().get("account", {}).get("id")}
    account = next(a for a in first_ids(gateway, name, "accounts", 5) if a not in linked)
    writes_before = [r for r in ctl.requests() if r["method"] in ("POST", "PUT", "PATCH")]
    created = gateway.unified("POST", name, resource="associations", json={
        "entity": "contacts", "entity_id": contact, "associations": {"accounts": [{"id": account}]}})
    assert created.status_code == 200, created.text
    assert created.json().get("entity_id") == contact and created.json().get("entity") == "contacts", created.text
    assert created.json()["associations"]["accounts"] == [{"id": account}]
    writes = [r for r in ctl.requests() if r["method"] in ("POST", "PUT", "PATCH")][len(writes_before):]
    assert len(writes) == 1, writes
    assert gateway.unified("GET", name, contact, resource="contacts").json()["account"]["id"] == account


@pytest.mark.parametrize("name", pairs)
@pytest.mark.parametrize(("associations", "says"), [
    ({"accounts": [{"id": "1"}, {"id": "2"}]}, "one"),
    ({"opportunities": [{"id": "1"}]}, "opportunities"),
    ({"accounts": []}, "one"),
])
def test_what_the_crm_cannot_hold_is_refused_before_it_is_called(gateway, ctl, name, associations, says):
    contact = first_ids(gateway, name, "contacts", 1)[0]
    ctl.clear_requests()
    refused = gateway.unified("POST", name, resource="associations",
                              json={"entity": "contacts", "entity_id": contact, "associations": associations})
    assert refused.status_code == 400, refused.text
    assert says in refused.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] in ("POST", "PUT", "PATCH")]


@pytest.mark.parametrize("name", pairs)
def test_an_unknown_record_is_the_crm_s_refusal_and_a_missing_field_is_named(gateway, ctl, name):
    account = first_ids(gateway, name, "accounts", 1)[0]
    unknown = gateway.unified("POST", name, resource="associations",
                              json={"entity": "contacts", "entity_id": "999999999", "associations": {"accounts": [{"id": account}]}})
    assert unknown.status_code == 404, unknown.text
    missing = gateway.unified("POST", name, resource="associations", json={"entity": "contacts", "associations": {}})
    assert missing.status_code == 400 and "entity_id" in missing.json()["message"]
    for verb, path in (("GET", None), ("GET", "1"), ("DELETE", "1")):
        answer = gateway.unified(verb, name, path, resource="associations")
        assert answer.status_code in (404, 405), answer.text
