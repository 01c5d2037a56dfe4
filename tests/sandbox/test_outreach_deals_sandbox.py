"""The Outreach emulator's opportunities and opportunity stages speak JSON:API v2
(https://developers.outreach.io/api/reference/tag/Opportunity/, .../Opportunity-Stage/) and refuse what it
refuses: a fractional `amount` (an integer in the OpenAPI), a related record that does not exist (404, JSON:API
1.0), a blank name, a relationship that is not writable."""

from __future__ import annotations

import pytest
import requests

from unigate.sandbox import outreach

JSONAPI = "application/vnd.api+json"
AUTH = {"Authorization": f"Bearer {outreach.SANDBOX_TOKEN}"}
# Every request carries the media type ("All requests must specify the JSON API media type",
# https://developers.outreach.io/api/making-requests/).
WRITE = {**AUTH, "Content-Type": JSONAPI}
OPPORTUNITIES = "/api/v2/opportunities"
STAGES = "/api/v2/opportunityStages"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("outreach")
    control.reset()
    yield control
    control.reset()


def call(ctl, method: str, path: str, body: dict | None = None, **kwargs) -> requests.Response:
    return requests.request(method, ctl.url + path, headers=WRITE, json=body, timeout=10, **kwargs)


def deal(attributes: dict, relationships: dict | None = None, record_id: int | None = None) -> dict:
    data: dict = {"type": "opportunity", "attributes": attributes}
    if relationships:
        data["relationships"] = relationships
    if record_id is not None:
        data["id"] = record_id
    return {"data": data}


def link(kind: str, record_id) -> dict:
    return {"data": {"type": kind, "id": record_id}}


def test_seeded_deals_sit_in_real_stages_on_accounts_with_their_prospects_in_several_currencies(ctl):
    deals = ctl.records("opportunities")
    stages = {s["id"]: s for s in ctl.records("stages")}
    prospects = {p["id"]: p for p in ctl.records("contacts")}
    accounts = {a["id"] for a in ctl.records("accounts")}
    assert len(deals) == 60 and len(stages) == 16
    for record in deals:
        relationships = record["relationships"]
        assert relationships["opportunityStage"]["data"]["id"] in stages
        assert relationships["stage"] == relationships["opportunityStage"]
        assert relationships["account"]["data"]["id"] in accounts
        prospect = relationships["primaryProspect"]["data"]
        if prospect:
            assert prospects[prospect["id"]]["relationships"]["account"]["data"] == relationships["account"]["data"]
    assert len({d["attributes"]["currencyType"] for d in deals}) > 1
    assert {stages[d["relationships"]["stage"]["data"]["id"]]["attributes"]["isClosed"] for d in deals} == {True, False}
    assert sum(1 for d in deals if d["relationships"]["primaryProspect"]["data"]) > 30


def test_a_deal_moves_by_patching_its_opportunity_stage_and_the_mirror_follows(ctl):
    record = ctl.records("opportunities")[0]
    target = ctl.records("stages")[-1]["id"]
    moved = call(ctl, "PATCH", f"{OPPORTUNITIES}/{record['id']}",
                 deal({}, {"opportunityStage": link("opportunityStage", target)}, record["id"]))
    assert moved.status_code == 200, moved.text
    relationships = moved.json()["data"]["relationships"]
    assert relationships["opportunityStage"]["data"] == {"type": "opportunityStage", "id": target}
    assert relationships["stage"]["data"] == {"type": "opportunityStage", "id": target}
    listed = call(ctl, "GET", OPPORTUNITIES, params={"filter[stage][id]": target, "page[size]": 1000}).json()["data"]
    assert record["id"] in {d["id"] for d in listed}
    assert {d["relationships"]["stage"]["data"]["id"] for d in listed} == {target}


def test_a_related_record_that_does_not_exist_is_404_and_nothing_changes(ctl):
    record = ctl.records("opportunities")[0]
    for relationship, kind in (("opportunityStage", "opportunityStage"), ("account", "account"),
                               ("primaryProspect", "prospect")):
        answer = call(ctl, "PATCH", f"{OPPORTUNITIES}/{record['id']}",
                      deal({}, {relationship: link(kind, 990000)}, record["id"]))
        assert answer.status_code == 404, answer.text
        error = answer.json()["errors"][0]
        assert error["id"] == "resourceNotFound" and error["source"]["pointer"] == f"/data/relationships/{relationship}"
    assert ctl.records("opportunities")[0] == record
    created = call(ctl, "POST", OPPORTUNITIES, deal({"name": "Nowhere"}, {"opportunityStage": link("opportunityStage", 990000)}))
    assert created.status_code == 404
    assert len(ctl.records("opportunities")) == 60


def test_what_a_create_refuses(ctl):
    cases = [
        (deal({"amount": 10.5, "name": "Half"}), 422, "/data/attributes/amount"),      # amount is an integer
        (deal({"amount": "10", "name": "Text"}), 422, "/data/attributes/amount"),
        (deal({"amount": 10}), 422, "/data/attributes/name"),                          # a name is required
        (deal({"name": "  "}), 422, "/data/attributes/name"),
        (deal({"name": "Long", "amountPrecise": "1" * 16}), 422, "/data/attributes/amountPrecise"),
        (deal({"name": "Unknown", "isWon": True}), 422, "/data/attributes/isWon"),       # no such attribute
        (deal({"name": "Mirror"}, {"stage": link("opportunityStage", 1)}), 422, "/data/relationships/stage"),
    ]
    for body, status, pointer in cases:
        answer = call(ctl, "POST", OPPORTUNITIES, body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["errors"][0]["source"]["pointer"] == pointer, answer.text
    assert len(ctl.records("opportunities")) == 60


def test_a_create_answers_201_with_the_relationships_and_the_stage_mirror(ctl):
    prospect = ctl.records("contacts")[0]
    account_id = prospect["relationships"]["account"]["data"]["id"]
    body = deal({"name": "New deal", "amount": 1200, "amountPrecise": "1200.50", "currencyType": "EUR",
                 "closeDate": "2027-01-31T00:00:00.000Z", "tags": ["inbound"], "custom1": "x"},
                {"account": link("account", account_id), "primaryProspect": link("prospect", prospect["id"]),
                 "opportunityStage": link("opportunityStage", 2), "owner": link("user", 3)})
    created = call(ctl, "POST", OPPORTUNITIES, body)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert created.headers["location"].endswith(f"{OPPORTUNITIES}/{data['id']}")
    assert data["attributes"]["amountPrecise"] == "1200.50" and data["attributes"]["amount"] == 1200
    assert data["relationships"]["stage"]["data"] == {"type": "opportunityStage", "id": 2}
    assert data["relationships"]["primaryProspect"]["data"] == {"type": "prospect", "id": prospect["id"]}
    assert call(ctl, "DELETE", f"{OPPORTUNITIES}/{data['id']}").status_code == 204
    assert call(ctl, "GET", f"{OPPORTUNITIES}/{data['id']}").status_code == 404


def test_opportunity_stages_are_ordered_named_and_validated(ctl):
    listed = call(ctl, "GET", STAGES, params={"filter[isClosed]": "true"}).json()
    assert [s["attributes"]["name"] for s in listed["data"]] == ["Closed Won", "Closed Lost"]
    for attributes, pointer in (({"order": 3}, "/data/attributes/name"), ({"name": "No order"}, "/data/attributes/order"),
                                ({"name": "x" * 256, "order": 1}, "/data/attributes/name")):
        answer = call(ctl, "POST", STAGES, {"data": {"type": "opportunityStage", "attributes": attributes}})
        assert answer.status_code == 422 and answer.json()["errors"][0]["source"]["pointer"] == pointer
    created = call(ctl, "POST", STAGES, {"data": {"type": "opportunityStage",
                                                   "attributes": {"name": "Onboarding", "order": 17}}})
    assert created.status_code == 201 and created.json()["data"]["attributes"]["isClosed"] is False
    wrong_type = call(ctl, "POST", STAGES, {"data": {"type": "stage", "attributes": {"name": "Lifecycle", "order": 1}}})
    assert wrong_type.status_code == 400
