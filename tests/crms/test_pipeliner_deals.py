"""Pipeliner opportunities, pipelines and steps through the gateway: the mappings against the records the
sandbox stores, and the writes as Pipeliner receives them
(https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-opportunity)."""

from __future__ import annotations

import pytest
from support import list_all

from unigate.sandbox import pipeliner
from unigate.sandbox.pipeliner import opportunities as pipeliner_opportunities
from unigate.sandbox.pipeliner.common import CURRENCIES

NAME = "pipeliner"
CODES = {c["id"]: c["code"] for c in CURRENCIES}
STATUS = {1: "open", 2: "lost", 3: "won"}


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control(NAME)
    control.reset()
    yield control
    control.clear_faults()


def expected_deal(deal: dict, steps: dict[str, dict]) -> dict:
    account = deal["primary_account"]
    out = {
        "id": deal["id"],
        "name": deal["name"],
        "description": deal["description"] or None,
        "amount": deal["value"]["value_foreign"],
        "currency": CODES[deal["value"]["currency_id"]],
        "owner": {"id": deal["owner_id"]},
        "account": {"id": account} if account else None,
        "contact": [{"id": row["contact_id"]} for row in deal["contact_relations"]] or None,
        "stage": {"id": deal["step_id"], "name": steps[deal["step_id"]]["name"]},
        "status": STATUS[deal["status"]],
        "tags": [{"id": t} for t in deal["tags"]] or None,
        "custom_fields": {k: v for k, v in deal.items() if k.startswith("cf_") and v is not None} or None,
        "close_date": deal["closing_date"] + "T00:00:00Z",
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_listed_deal_maps_from_the_stored_record(gateway, ctl):
    stored = {d["id"]: d for d in ctl.records("opportunities")}
    steps = {s["id"]: s for s in ctl.records("stages")}
    listed = [r for page in list_all(gateway, NAME, limit=25, resource="opportunities") for r in page]
    assert len(listed) == len(stored)
    assert {r["currency"] for r in listed} == {"USD", "EUR", "GBP"}
    assert {r["status"] for r in listed} == {"open", "won", "lost"}
    for record in listed:
        assert record.pop("remote_data")["id"] == record["id"]
        record.pop("created_at"), record.pop("updated_at")
        assert record == expected_deal(stored[record["id"]], steps)


def test_a_create_sends_pipeliners_fields_and_reads_the_deal_back(gateway, ctl):
    contacts = ctl.records("contacts")[:2]
    account = ctl.records("accounts")[3]
    step = next(s for s in ctl.records("stages") if s["pipeline_id"] and s["sort_order"] == 1)
    owner = pipeliner.CLIENTS[2]["id"]
    ctl.clear_requests()
    sent = {"name": "Gateway deal", "description": "Via unigate", "amount": 1000, "currency": "eur",
            "owner": {"id": owner}, "account": {"id": account["id"]},
            "contact": [{"id": c["id"]} for c in contacts], "stage": {"id": step["id"]},
            "close_date": "2027-03-31T22:30:00-05:00", "custom_fields": {"cf_competitor": "Initrode"}}
    created = gateway.unified("POST", NAME, json=sent, resource="opportunities")
    assert created.status_code == 200, created.text
    post = next(r for r in ctl.requests() if r["method"] == "POST")
    assert post["path"].endswith("/entities/Opportunities")
    eur = next(c["id"] for c in CURRENCIES if c["code"] == "EUR")
    assert post["body"] == {
        "name": "Gateway deal", "description": "Via unigate", "owner_id": owner, "step_id": step["id"],
        "closing_date": "2027-04-01", "value": {"value_foreign": 1000, "currency_id": eur},
        "account_relations": [{"account_id": account["id"], "is_primary": True}],
        "contact_relations": [{"contact_id": contacts[0]["id"], "is_primary": True},
                              {"contact_id": contacts[1]["id"], "is_primary": False}],
        "cf_competitor": "Initrode"}
    body = created.json()
    assert body["stage"] == {"id": step["id"], "name": step["name"]}
    assert body["amount"] == 1000 and body["currency"] == "EUR" and body["status"] == "open"
    assert body["account"] == {"id": account["id"]}
    stored = next(d for d in ctl.records("opportunities") if d["id"] == body["id"])
    assert stored["value"]["base_value"] == 1080.0  # Pipeliner computed the base (USD) value


def test_an_unknown_currency_is_refused_before_pipeliner(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    ctl.clear_requests()
    response = gateway.unified("PATCH", NAME, deal["id"], json={"amount": 5, "currency": "JPY"},
                               resource="opportunities")
    assert response.status_code == 400, response.text
    assert "JPY" in response.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "PATCH"]


def test_an_amount_alone_keeps_the_deals_currency(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if CODES[d["value"]["currency_id"]] == "GBP")
    updated = gateway.unified("PATCH", NAME, deal["id"], json={"amount": 777}, resource="opportunities")
    assert updated.status_code == 200, updated.text
    assert (updated.json()["amount"], updated.json()["currency"]) == (777, "GBP")


def test_the_last_step_wins_the_deal_and_an_archived_deal_is_refused(gateway, ctl):
    deal = next(d for d in ctl.records("opportunities") if d["status"] == 1)
    pipeline = next(s for s in ctl.records("stages") if s["id"] == deal["step_id"])["pipeline_id"]
    last = max((s for s in ctl.records("stages") if s["pipeline_id"] == pipeline), key=lambda s: s["sort_order"])
    won = gateway.unified("PATCH", NAME, deal["id"], json={"stage": {"id": last["id"]}}, resource="opportunities")
    assert won.status_code == 200 and won.json()["status"] == "won"
    lost = next(d for d in ctl.records("opportunities") if d["status"] == 2)
    refused = gateway.unified("PATCH", NAME, lost["id"], json={"name": "Edited"}, resource="opportunities")
    assert refused.status_code == 400 and refused.json()["truto_is_remote_error"] is True


def test_pipelines_nest_their_steps_in_order_and_stages_leave_lead_steps_out(gateway, ctl):
    steps = ctl.records("stages")
    pipelines = [p for page in list_all(gateway, NAME, limit=10, resource="pipelines") for p in page]
    assert len(pipelines) == len(ctl.records("pipelines"))
    for pipeline in pipelines:
        own = sorted((s for s in steps if s["pipeline_id"] == pipeline["id"]), key=lambda s: s["sort_order"])
        assert [s["id"] for s in pipeline["stages"]] == [s["id"] for s in own]
    stages = [s for page in list_all(gateway, NAME, limit=50, resource="stages") for s in page]
    assert len(stages) == sum(1 for s in steps if s["pipeline_id"])
    names = {p["id"]: p["name"] for p in pipelines}
    assert all(s["pipeline"]["name"] == names[s["pipeline"]["id"]] for s in stages)
    lead_step = next(s for s in steps if s["lead_process_id"])
    assert gateway.unified("GET", NAME, lead_step["id"], resource="stages").status_code == 404


def test_a_lead_step_is_not_an_opportunity_stage(gateway, ctl):
    deal = ctl.records("opportunities")[0]
    lead_step = next(s for s in ctl.records("stages") if s["lead_process_id"])
    response = gateway.unified("PATCH", NAME, deal["id"], json={"stage": {"id": lead_step["id"]}},
                               resource="opportunities")
    assert response.status_code == 422, response.text
    assert "step_id" in response.json()["message"]


@pytest.mark.parametrize("resource", ["pipelines", "stages"])
def test_pipeline_and_step_writes_the_unified_api_does_not_serve_say_why(gateway, ctl, resource):
    response = gateway.unified("POST", NAME, json={"name": "New"}, resource=resource)
    assert response.status_code == 405
    assert "proxy" in response.json()["message"]


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_a_new_account_and_contact_read_back_whether_pipeliner_replaces_or_appends_relations(gateway, ctl,
                                                                                            monkeypatch, mode):
    """Whether Pipeliner's PATCH of relation rows replaces or adds to them is undocumented: the primary account
    written is the deal's account, and every contact written is on the deal, either way."""
    monkeypatch.setattr(pipeliner_opportunities, "RELATIONS_ON_PATCH", mode)
    deal = next(d for d in ctl.records("opportunities")
                if d["primary_account"] and d["contact_relations"] and d["status"] != 2)
    account = next(a for a in ctl.records("accounts") if a["id"] != deal["primary_account"])
    contact = next(c for c in ctl.records("contacts")
                   if c["id"] not in {r["contact_id"] for r in deal["contact_relations"]})
    updated = gateway.unified("PATCH", NAME, deal["id"], resource="opportunities",
                              json={"account": {"id": account["id"]}, "contact": [{"id": contact["id"]}]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["account"] == {"id": account["id"]}
    contacts = [c["id"] for c in updated.json()["contact"]]
    assert contact["id"] in contacts
    assert (contacts == [contact["id"]]) == (mode == "replace")
