"""crm/fields create on Nutshell: POST /{accounts,contacts,leads}/customfield (https://app.nutshell.com/swagger.json,
CustomFieldCreateInput), the field read back as a later get or list shows it, values written to it by name through
the records' own creates and updates, and input refused before anything is written. Where Nutshell's behaviour is
unverified (the create's answer, how the type is spelled back, duplicate names) the emulator's switches run it both
ways (src/unigate/sandbox/nutshell/customfields.py)."""

from __future__ import annotations

import pytest

NAME = "nutshell"
PATHS = {"account": "/rest/accounts/customfield", "contact": "/rest/contacts/customfield",
         "opportunity": "/rest/leads/customfield", "lead": "/rest/leads/customfield"}
ANSWERS = [pytest.param(answer, reported, id=f"{answer}-{reported}")
           for answer in ("empty", "field") for reported in ("lowercase", "as_sent")]


def posts(ctl) -> list[dict]:
    return [r for r in ctl.requests() if r["method"] == "POST"]


def create(gateway, entity: str, body: dict):
    return gateway.unified("POST", NAME, resource="fields", params={"entity": entity}, json=body)


@pytest.mark.parametrize(("answer", "reported"), ANSWERS)
def test_a_created_field_is_sent_as_nutshell_takes_it_and_answered_as_a_get_reads_it(gateway, ctl, answer, reported):
    ctl.switch(customfield_create_answer=answer, customfield_type_reported=reported)
    ctl.clear_requests()
    created = create(gateway, "account", {"name": "Segment", "label": "Market segment", "type": "enum",
                                           "entity_type": "account",
                                           "options": [{"label": "SMB", "value": "SMB"}, {"label": "Enterprise"}]})
    assert created.status_code == 200, created.text
    [post] = posts(ctl)
    assert post["path"].endswith(PATHS["account"])
    assert post["body"] == {"name": "Segment", "title": "Market segment", "type": "Decision",
                            "choices": ["SMB", "Enterprise"], "isMultiple": False}
    field = created.json()
    stored = next(f for f in ctl.records("fields") if f["entity"] == "accounts" and f["name"] == "Segment")
    assert field["id"] == stored["id"]
    assert {k: field[k] for k in ("name", "label", "type", "entity_type", "is_user_defined", "is_editable")} == {
        "name": "Segment", "label": "Market segment", "type": "enum", "entity_type": "account",
        "is_user_defined": True, "is_editable": True}
    assert field["options"] == [{"label": "SMB", "value": "SMB"}, {"label": "Enterprise", "value": "Enterprise"}]
    got = gateway.unified("GET", NAME, field["id"], resource="fields", params={"entity": "account"})
    assert got.status_code == 200 and {k: v for k, v in got.json().items() if k != "remote_data"} == \
        {k: v for k, v in field.items() if k != "remote_data"}
    listed = gateway.unified("GET", NAME, resource="fields", params={"entity": "account"}).json()["result"]
    assert [f["id"] for f in listed if f["name"] == "Segment"] == [field["id"]]


@pytest.mark.parametrize("reported", ["lowercase", "as_sent"])
@pytest.mark.parametrize(("unified", "nutshell"), [("string", "Text"), ("text", "LongText"), ("number", "Currency"),
                                                   ("date", "Date"), ("array", "Decision")])
def test_each_unified_type_is_created_as_its_nutshell_type_and_read_back_as_itself(gateway, ctl, unified, nutshell,
                                                                                   reported):
    ctl.switch(customfield_type_reported=reported)
    ctl.clear_requests()
    body = {"name": f"Probe {unified}", "type": unified}
    if unified == "array":
        body["options"] = [{"value": "Red"}, {"value": "Blue"}]
    created = create(gateway, "contact", body)
    assert created.status_code == 200, created.text
    [post] = posts(ctl)
    assert post["path"].endswith(PATHS["contact"]) and post["body"]["type"] == nutshell
    assert post["body"].get("isMultiple") is (True if unified == "array" else None)
    assert created.json()["type"] == unified and created.json()["entity_type"] == "contact"


@pytest.mark.parametrize("entity", ["opportunity", "lead"])
def test_lead_fields_are_created_on_leads_and_carry_the_entity_asked_for(gateway, ctl, entity):
    ctl.clear_requests()
    created = create(gateway, entity, {"name": f"Probe {entity}", "type": "number", "entity_type": entity})
    assert created.status_code == 200, created.text
    [post] = posts(ctl)
    assert post["path"].endswith(PATHS[entity])
    assert created.json()["entity_type"] == entity
    for asked in ("opportunity", "lead"):
        listed = gateway.unified("GET", NAME, resource="fields", params={"entity": asked}).json()["result"]
        assert {f["entity_type"] for f in listed} == {asked}
        assert f"Probe {entity}" in [f["name"] for f in listed]


@pytest.mark.parametrize(("resource", "entity", "kind", "first", "second"), [
    ("contacts", "contact", "number", 1200, 80.5),
    ("accounts", "account", "string", "first value", "second value"),
    ("opportunities", "opportunity", "array", ["Red"], ["Red", "Blue"]),
])
def test_a_value_written_to_a_created_field_is_read_back_typed(gateway, ctl, resource, entity, kind, first, second):
    body = {"name": f"Probe {kind}", "label": f"Probe {kind}", "type": kind}
    if kind == "array":
        body["options"] = [{"value": "Red"}, {"value": "Blue"}]
    field = create(gateway, entity, body).json()
    record_body = {"name": "Probe record", "custom_fields": {field["name"]: first}}
    made = gateway.unified("POST", NAME, resource=resource, json=record_body)
    assert made.status_code == 200, made.text
    write = next(r for r in posts(ctl) if r["path"].endswith(f"/rest/{'leads' if entity == 'opportunity' else resource}"))
    sent = next(iter(write["body"].values()))[0]
    assert sent["customFields"] == {field["name"]: first}
    got = gateway.unified("GET", NAME, made.json()["id"], resource=resource).json()
    assert got["custom_fields"][field["name"]] == first and type(got["custom_fields"][field["name"]]) is type(first)
    updated = gateway.unified("PATCH", NAME, made.json()["id"], resource=resource,
                              json={"custom_fields": {field["name"]: second}})
    assert updated.status_code == 200, updated.text
    again = gateway.unified("GET", NAME, made.json()["id"], resource=resource).json()
    assert again["custom_fields"][field["name"]] == second


@pytest.mark.parametrize(("params", "body", "words"), [
    ({"entity": "contact"}, {"type": "string"}, ["`name` or `label`"]),
    ({"entity": "contact"}, {"name": "No type"}, ["`type`"]),
    ({"entity": "contact"}, {"name": "Yes or no", "type": "boolean"}, ["type"]),
    ({"entity": "contact"}, {"name": "Noted", "type": "string", "entity_type": "note"}, ["entity_type"]),
    ({"entity": "task"}, {"name": "Tasked", "type": "string"}, ["entity"]),
    ({}, {"name": "Elsewhere", "type": "string", "entity_type": "account"}, ["entity=account"]),
    ({"entity": "contact"}, {"name": "Choice", "type": "enum"}, ["options"]),
    ({"entity": "contact"}, {"name": "Plain", "type": "string", "options": [{"value": "x"}]}, ["options"]),
])
def test_bad_input_is_refused_before_anything_is_written(gateway, ctl, params, body, words):
    before = ctl.records("fields")
    ctl.clear_requests()
    refused = gateway.unified("POST", NAME, resource="fields", params=params, json=body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["statusCode"] == 400
    for word in words:
        assert word in refused.json()["message"], refused.json()["message"]
    assert posts(ctl) == [] and ctl.records("fields") == before


@pytest.mark.parametrize("duplicates", ["refused", "allowed"])
def test_a_name_the_entity_already_has_is_refused_before_the_write(gateway, ctl, duplicates):
    ctl.switch(customfield_duplicate_name=duplicates)
    ctl.clear_requests()
    refused = create(gateway, "contact", {"name": "birthday", "type": "date"})  # seeded as "Birthday"
    assert refused.status_code == 400, refused.text
    assert "already has a contact field named birthday" in refused.json()["message"]
    assert posts(ctl) == []
    # the same name on another entity is another field
    assert create(gateway, "account", {"name": "Birthday", "type": "date"}).status_code == 200


def test_nutshell_refusing_the_create_is_passed_on_and_nothing_is_stored(gateway, ctl):
    ctl.fault(status=422, method="POST", path_endswith="/customfield", times=1,
              body={"errors": [{"status": "422", "title": "Invalid custom field", "detail": "Name taken"}]})
    before = ctl.records("fields")
    refused = create(gateway, "contact", {"name": "Racing", "type": "string"})
    assert refused.status_code == 422 and refused.json()["truto_is_remote_error"] is True
    assert "Name taken" in refused.json()["message"] and ctl.records("fields") == before


def test_a_read_back_that_fails_after_the_create_says_the_field_was_made(gateway, ctl):
    # the lookup of existing names passes; the read after the create finds an empty list
    ctl.fault(delay=0.01, method="GET", path_endswith="/contacts/customfields/attributes", times=1)
    ctl.fault(status=200, body=[], method="GET", path_endswith="/contacts/customfields/attributes", times=1)
    answered = create(gateway, "contact", {"name": "Made anyway", "type": "string"})
    assert answered.status_code == 502, answered.text
    body = answered.json()
    assert "was made in Nutshell" in body["message"] and "Do not send the create again" in body["message"]
    assert body["truto_error_insight"]["write_made"]["value"] == {"id": "Made anyway"}
    assert "Made anyway" in [f["name"] for f in ctl.records("fields") if f["entity"] == "contacts"]
