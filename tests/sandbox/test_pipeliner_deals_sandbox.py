"""The Pipeliner emulator's Opportunities, Pipelines and Steps speak REST v100
(https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-opportunity) and refuse what
Pipeliner refuses: an opportunity without its five required fields, a step or currency that does not exist, a
lead-process step, edits of an archived opportunity, a pipeline without steps."""

from __future__ import annotations

import uuid

import pytest
import requests

from unigate.sandbox import pipeliner
from unigate.sandbox.pipeliner.common import CURRENCIES

AUTH = (pipeliner.SANDBOX_USERNAME, pipeliner.SANDBOX_PASSWORD)
USD, EUR = (next(c["id"] for c in CURRENCIES if c["code"] == code) for code in ("USD", "EUR"))


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("pipeliner")
    control.reset()
    yield control
    control.reset()


def call(ctl, method: str, entity: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{ctl.url}/api/v100/rest/spaces/{pipeliner.SANDBOX_SPACE_ID}/entities/{entity}",
                            auth=AUTH, timeout=10, **kwargs)


def a_step(ctl, position: int = 0) -> dict:
    return next(s for s in ctl.records("stages") if s["pipeline_id"] and s["sort_order"] == position)


def new_deal(ctl, **overrides) -> dict:
    body = {"name": "Emulator deal", "owner_id": pipeliner.CLIENTS[0]["id"], "closing_date": "2027-01-31",
            "step_id": a_step(ctl)["id"], "value": {"base_value": 540, "currency_id": EUR}}
    body.update(overrides)
    return body


def field_error(response: requests.Response, field: str, code: int) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["name"] == "ERROR_ENTITY_VALIDATION" and body["success"] is False
    inner = body["field_errors"][0]
    assert inner["field_name"] == field and inner["errors"][0]["code"] == code, body


def test_seeded_deals_sit_in_pipeline_steps_with_accounts_contacts_and_currencies(ctl):
    deals = ctl.records("opportunities")
    steps = {s["id"]: s for s in ctl.records("stages")}
    assert all(steps[d["step_id"]]["pipeline_id"] for d in deals)
    assert len({d["value"]["currency_id"] for d in deals}) == len(CURRENCIES)
    assert {d["status"] for d in deals} == {1, 2, 3}
    accounts = {a["id"] for a in ctl.records("accounts")}
    contacts = {c["id"] for c in ctl.records("contacts")}
    assert sum(1 for d in deals if d["primary_account"] in accounts) > len(deals) // 2
    linked = [row["contact_id"] for d in deals for row in d["contact_relations"]]
    assert len(linked) > len(deals) // 2 and set(linked) <= contacts


@pytest.mark.parametrize("field", ["name", "owner_id", "closing_date", "step_id", "value"])
def test_each_required_field_is_refused_when_missing(ctl, field):
    body = new_deal(ctl)
    body.pop(field)
    field_error(call(ctl, "POST", "Opportunities", json=body), field, 119)


def test_a_step_or_currency_that_does_not_exist_is_a_dangling_relation(ctl):
    field_error(call(ctl, "POST", "Opportunities", json=new_deal(ctl, step_id=str(uuid.uuid4()))), "step_id", 120)
    lead_step = next(s for s in ctl.records("stages") if s["lead_process_id"])
    field_error(call(ctl, "POST", "Opportunities", json=new_deal(ctl, step_id=lead_step["id"])), "step_id", 120)
    unknown = {"base_value": 1, "currency_id": str(uuid.uuid4())}
    field_error(call(ctl, "POST", "Opportunities", json=new_deal(ctl, value=unknown)), "value.currency_id", 120)
    assert call(ctl, "POST", "Opportunities", json=new_deal(ctl, step_id="990000000099")).status_code == 400
    assert call(ctl, "POST", "Opportunities", json=new_deal(ctl, closing_date="31/01/2027")).status_code == 400


def test_the_value_is_completed_through_the_exchange_rate_and_status_is_read_only(ctl):
    created = call(ctl, "POST", "Opportunities", json=new_deal(ctl, status=3))
    assert created.status_code == 200, created.text
    data = created.json()["data"]
    assert data["value"] == {"base_value": 540, "currency_id": EUR, "value_foreign": 500.0}
    assert data["status"] == 1 and data["step"].endswith(f"/entities/Steps/{data['step_id']}")
    assert "pipeline_id" not in data


def test_moving_to_the_last_step_wins_and_archiving_loses_then_freezes(ctl):
    deal = call(ctl, "POST", "Opportunities", json=new_deal(ctl)).json()["data"]
    pipeline = a_step(ctl)["pipeline_id"]
    last = max((s for s in ctl.records("stages") if s["pipeline_id"] == pipeline), key=lambda s: s["sort_order"])
    moved = call(ctl, "PATCH", f"Opportunities/{deal['id']}", json={"step_id": last["id"]})
    assert moved.json()["data"]["status"] == 3
    archived = call(ctl, "PATCH", f"Opportunities/{deal['id']}", json={"is_archived": True})
    assert archived.json()["data"]["status"] == 2
    assert call(ctl, "PATCH", f"Opportunities/{deal['id']}", json={"name": "x"}).status_code == 400
    reopened = call(ctl, "PATCH", f"Opportunities/{deal['id']}", json={"is_archived": False, "step_id": a_step(ctl)["id"]})
    assert reopened.json()["data"]["status"] == 1


def test_expand_inlines_the_step_account_and_contact_rows(ctl):
    deal = next(d for d in ctl.records("opportunities") if d["contact_relations"])
    got = call(ctl, "GET", f"Opportunities/{deal['id']}",
               params={"expand": "step,primary_account,contact_relations"}).json()["data"]
    assert got["step"]["id"] == deal["step_id"] and got["primary_account"]["id"] == deal["primary_account"]
    assert [r["contact_id"] for r in got["contact_relations"]] == [r["contact_id"] for r in deal["contact_relations"]]
    plain = call(ctl, "GET", f"Opportunities/{deal['id']}").json()["data"]
    assert all("/entities/LeadOpptyContactRelations/" in uri for uri in plain["contact_relations"])


def test_delete_is_soft(ctl):
    deal = ctl.records("opportunities")[0]
    assert call(ctl, "DELETE", f"Opportunities/{deal['id']}").json() == {"success": True, "data": deal["id"]}
    assert call(ctl, "GET", f"Opportunities/{deal['id']}").status_code == 404
    assert call(ctl, "GET", f"Opportunities/{deal['id']}", params={"include-deleted": "true"}).json()["data"]["is_deleted"]


def test_steps_filter_on_null_relations_and_keep_their_pipeline(ctl):
    steps = ctl.records("stages")
    listed = call(ctl, "GET", "Steps", params={"first": 100, "filter-op[pipeline_id]": "not-null",
                                                "filter-op[lead_process_id]": "null"}).json()
    assert listed["total"] == sum(1 for s in steps if s["pipeline_id"])
    leads = call(ctl, "GET", "Steps", params={"filter-op[pipeline_id]": "null"}).json()["data"]
    assert leads and all(s["lead_process_id"] for s in leads)
    step = a_step(ctl)
    other = next(p for p in ctl.records("pipelines") if p["id"] != step["pipeline_id"])
    patched = call(ctl, "PATCH", f"Steps/{step['id']}", json={"name": "Renamed", "pipeline_id": other["id"]})
    assert patched.json()["data"]["name"] == "Renamed"
    assert patched.json()["data"]["pipeline_id"] == step["pipeline_id"]   # read-only


def test_a_pipeline_needs_color_name_and_steps_and_grows_steps_through_a_patch(ctl):
    field_error(call(ctl, "POST", "Pipelines", json={"name": "Bare", "color": 2}), "steps", 119)
    created = call(ctl, "POST", "Pipelines", json={"name": "New", "color": 2,
                                                   "steps": [{"name": "One", "percent": 20}, {"name": "Two"}]})
    assert created.status_code == 200, created.text
    pipeline_id = created.json()["data"]["id"]
    call(ctl, "PATCH", f"Pipelines/{pipeline_id}", json={"steps": [{"name": "Three", "percent": 90}]})
    read = call(ctl, "GET", f"Pipelines/{pipeline_id}", params={"expand": "steps"}).json()["data"]
    assert [(s["name"], s["sort_order"]) for s in read["steps"]] == [("One", 0), ("Two", 1), ("Three", 2)]
