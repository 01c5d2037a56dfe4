"""Capsule users, fields and list filters through the gateway: what Capsule receives for a filter (`since` on
opportunities, conditions of the party filter), users in one answer, custom field definitions per namespace,
custom field values typed by their definition, and Capsule's refusals
(https://developer.capsulecrm.com/v2/operations/User, https://developer.capsulecrm.com/v2/operations/Custom_Field,
https://developer.capsulecrm.com/v2/reference/filters)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs

import pytest
import requests
from support import list_all

from unigate.sandbox import capsule
from unigate.sandbox.capsule import deals
from unigate.sandbox.capsule.common import FIELD_DEFINITIONS, OTHER_USERS, USERS
from unigate.sandbox.capsule.tags import DATA_TAGS

NAME = "capsule"


def calls(ctl, method: str, path: str) -> list[dict]:
    return [r for r in ctl.requests() if r["method"] == method and r["path"].endswith(path)]


def test_users_are_one_answer_handed_out_by_limit(gateway, ctl):
    ctl.clear_requests()
    users = [u for page in list_all(gateway, NAME, limit=6, resource="users") for u in page]
    assert [u["id"] for u in users] == [str(u["id"]) for u in USERS + OTHER_USERS]
    sent = calls(ctl, "GET", "/api/v2/users")
    assert sent and all(parse_qs(r["query"]).get("embed") == ["party"] for r in sent)
    assert "perPage" not in parse_qs(sent[0]["query"])      # GET /users has no paging parameters
    assert {u["id"]: u["is_active"] for u in users}[str(OTHER_USERS[-1]["id"])] is False
    owners = {r["owner"]["id"] for page in list_all(gateway, NAME, limit=50, resource="opportunities") for r in page
              if r.get("owner")}
    assert owners <= {u["id"] for u in users}
    one = gateway.unified("GET", NAME, str(USERS[1]["id"]), resource="users")
    assert one.status_code == 200 and one.json()["name"] == USERS[1]["name"]
    assert gateway.unified("GET", NAME, "1", resource="users").status_code == 404


def test_users_take_no_filter(gateway, ctl):
    assert gateway.unified("GET", NAME, params={"name": USERS[0]["name"]}, resource="users").status_code == 400


def test_fields_come_from_the_entity_s_namespace(gateway, ctl):
    ctl.clear_requests()
    parties = gateway.unified("GET", NAME, resource="fields", params={"entity": "account", "limit": 100}).json()
    assert [f["id"] for f in parties["result"]] == [str(d["id"]) for d in FIELD_DEFINITIONS]
    types = {f["name"]: f["type"] for f in parties["result"]}
    assert (types["Industry"], types["Employees"], types["Key Account"], types["Customer Since"]) == \
        ("enum", "number", "boolean", "date")
    deal_fields = gateway.unified("GET", NAME, resource="fields", params={"entity": "opportunity", "limit": 100}).json()
    assert [f["id"] for f in deal_fields["result"]] == [str(d["id"]) for d in deals.FIELD_DEFINITIONS]
    assert calls(ctl, "GET", "/api/v2/opportunities/fields/definitions")
    seats = gateway.unified("GET", NAME, "901", resource="fields", params={"entity": "opportunity"})
    assert seats.status_code == 200 and seats.json()["name"] == "Seats"
    assert calls(ctl, "GET", "/api/v2/opportunities/fields/definitions/901")
    assert gateway.unified("GET", NAME, "999", resource="fields").status_code == 404


def test_a_number_field_reads_as_a_number(gateway, ctl):
    """Capsule answers a NUMBER value as a string (NOTES §21, https://github.com/soil-dev/capsulemcp)."""
    party = next(p for p in ctl.records("accounts") if any(f["definition"]["id"] == 802 for f in p["fields"]))
    stored = next(f["value"] for f in party["fields"] if f["definition"]["id"] == 802)
    assert isinstance(stored, str)
    got = gateway.unified("GET", NAME, str(party["id"]), resource="accounts").json()
    assert got["custom_fields"]["Employees"] == float(stored)


def test_opportunities_since_is_a_whole_second_lower_bound(gateway, ctl):
    records = sorted(ctl.records("opportunities"), key=lambda d: d["updatedAt"])
    mark = records[len(records) // 2]["updatedAt"]          # YYYY-MM-DDTHH:MM:SSZ
    ctl.clear_requests()
    listed = gateway.unified("GET", NAME, resource="opportunities",
                             params={"updated_at[gte]": mark.replace("Z", ".250Z"), "limit": 100})
    assert listed.status_code == 200, listed.text
    since = parse_qs(calls(ctl, "GET", "/api/v2/opportunities")[-1]["query"])["since"]
    # .250 is rounded up to the next whole second, and `since` is sent one second before it (since_filter)
    next_second = (datetime.fromisoformat(mark.replace("Z", "+00:00")) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert since == [mark]
    assert all(r["updated_at"] >= next_second for r in listed.json()["result"])
    upper = gateway.unified("GET", NAME, resource="opportunities", params={"updated_at[lte]": mark})
    assert upper.status_code == 400, upper.text      # Capsule's `since` has no upper bound


def test_party_lists_filter_by_name_and_email_in_the_party_filter(gateway, ctl):
    person = next(p for p in ctl.records("contacts") if p["type"] == "person" and p["emailAddresses"])
    email = person["emailAddresses"][0]["address"]
    ctl.clear_requests()
    found = gateway.unified("GET", NAME, params={"email_addresses": email}, resource="contacts")
    assert found.status_code == 200, found.text
    assert str(person["id"]) in [r["id"] for r in found.json()["result"]]
    assert {"field": "email", "operator": "is", "value": email} in \
        calls(ctl, "POST", "/api/v2/parties/filters/results")[-1]["body"]["filter"]["conditions"]
    org = next(p for p in ctl.records("accounts") if p["type"] == "organisation")
    named = gateway.unified("GET", NAME, params={"name": org["name"]}, resource="accounts").json()["result"]
    assert [r["id"] for r in named] == [str(p["id"]) for p in ctl.records("accounts")
                                        if p["type"] == "organisation" and p["name"].lower() == org["name"].lower()]
    refused = gateway.unified("GET", NAME, params={"updated_at[gte]": "2026-01-01T00:00:00Z", "name": org["name"]},
                              resource="accounts")
    assert refused.status_code == 400, refused.text
    assert refused.json()["truto_error_insight"]["exclusive_filters"]["value"] == ["updated_at", "name"]


@pytest.mark.parametrize(("resource", "party_type"), [("accounts", "organisation"), ("contacts", "person")])
def test_an_updated_at_bound_is_capsules_since_with_the_other_party_type_dropped(gateway, ctl, resource, party_type):
    """`GET /parties?since=` (https://developer.capsulecrm.com/v2/operations/Party) lists both party types changed
    since the bound; the list keeps the resource's own."""
    parties = ctl.records(resource)
    own = sorted(p["updatedAt"] for p in parties if p["type"] == party_type)
    middle = own[len(own) // 2]
    ctl.clear_requests()
    listed = [r for page in list_all(gateway, NAME, limit=5, resource=resource, params={"updated_at[gte]": middle})
              for r in page]
    expected = {str(p["id"]) for p in parties if p["type"] == party_type and p["updatedAt"] >= middle}
    assert expected and {r["id"] for r in listed} == expected
    sent = calls(ctl, "GET", "/api/v2/parties")
    second_before = (datetime.fromisoformat(middle.replace("Z", "+00:00")) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sent and all(dict(r["query_params"]).get("since") == second_before for r in sent)


@pytest.mark.parametrize("comparison", ["inclusive", "exclusive"])
@pytest.mark.parametrize("resource", ["accounts", "contacts", "opportunities"])
def test_an_updated_at_bound_is_exact_whether_since_keeps_its_own_second_or_not(gateway, ctl, comparison, resource):
    """Capsule's docs say `since` keeps what "changed after this date"; the Singer tap steps a second past its mark as
    if it kept that second too. The gateway's answer is the same, exact list under either reading."""
    ctl.switch(since_comparison=comparison)
    own = {"accounts": "organisation", "contacts": "person"}.get(resource)
    stored = [r for r in ctl.records(resource) if own is None or r["type"] == own]
    marks = sorted(r["updatedAt"] for r in stored)
    mark = marks[len(marks) // 3]
    for operator, keep in (("gte", lambda t: t >= mark), ("gt", lambda t: t > mark)):
        listed = {r["id"] for page in list_all(gateway, NAME, limit=50, resource=resource,
                                                params={f"updated_at[{operator}]": mark}) for r in page}
        assert listed == {str(r["id"]) for r in stored if keep(r["updatedAt"])}, operator


def test_capsule_refuses_a_since_it_cannot_read(sandbox, ctl):
    answer = requests.get(f"{ctl.url}/api/v2/opportunities", params={"since": "yesterday"},
                          headers={"Authorization": f"Bearer {capsule.SANDBOX_TOKEN}"}, timeout=10)
    assert answer.status_code == 422, answer.text


# -- crm/fields create (https://developer.capsulecrm.com/v2/operations/Custom_Field) --------------------------------

def definitions_in_capsule(ctl, namespace: str) -> list[dict]:
    answer = requests.get(f"{ctl.url}/api/v2/{namespace}/fields/definitions",
                          headers={"Authorization": f"Bearer {capsule.SANDBOX_TOKEN}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["definitions"]


@pytest.mark.parametrize(("entity", "namespace", "capture"), [("account", "parties", "organisation"),
                                                              ("contact", "parties", "person"),
                                                              ("opportunity", "opportunities", None)])
def test_a_field_is_created_in_the_entity_s_namespace(gateway, ctl, entity, namespace, capture):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="fields", params={"entity": entity},
                              json={"label": "Renewal tier", "name": "renewal_tier", "type": "enum",
                                    "description": "Set at renewal",
                                    "options": [{"label": "Gold", "value": "Gold"}, {"label": "Silver"}]})
    assert created.status_code == 200, created.text
    [sent] = calls(ctl, "POST", f"/api/v2/{namespace}/fields/definitions")
    want = {"name": "Renewal tier", "type": "list", "options": ["Gold", "Silver"], "description": "Set at renewal"}
    assert sent["body"] == {"definition": {**want, **({"captureRule": capture} if capture else {})}}
    field = created.json()
    stored = next(d for d in definitions_in_capsule(ctl, namespace) if str(d["id"]) == field["id"])
    assert stored["name"] == "Renewal tier" and stored["options"] == ["Gold", "Silver"]
    assert field["name"] == "Renewal tier" and field["label"] == "Renewal tier" and field["type"] == "enum"
    assert field["entity_type"] == entity and field["is_user_defined"] is True
    assert field["options"] == [{"label": "Gold", "value": "Gold"}, {"label": "Silver", "value": "Silver"}]
    read = gateway.unified("GET", NAME, field["id"], resource="fields", params={"entity": entity})
    assert read.status_code == 200 and read.json()["name"] == "Renewal tier"


def test_a_created_field_takes_values_on_records_by_its_name(gateway, ctl):
    field = gateway.unified("POST", NAME, resource="fields", params={"entity": "opportunity"},
                            json={"name": "Seats won", "type": "number"}).json()
    deal = gateway.unified("GET", NAME, params={"limit": 1}, resource="opportunities").json()["result"][0]
    updated = gateway.unified("PATCH", NAME, deal["id"], resource="opportunities",
                              json={"custom_fields": {"Seats won": 12}})
    assert updated.status_code == 200, updated.text
    put = calls(ctl, "PUT", f"/api/v2/opportunities/{deal['id']}")[-1]["body"]["opportunity"]["fields"]
    assert {"definition": {"id": int(field["id"])}, "value": 12} in put
    assert gateway.unified("GET", NAME, deal["id"], resource="opportunities").json()["custom_fields"]["Seats won"] == 12


@pytest.mark.parametrize(("params", "body", "says"), [
    ({"entity": None}, {"label": "No entity", "type": "string"}, "`entity`"),  # None: sent without it
    ({"entity": "account"}, {"label": "Both", "type": "string", "entity_type": "opportunity"}, "entity_type"),
    ({"entity": "contact"}, {"label": "Choice", "type": "enum"}, "options"),
    ({"entity": "contact"}, {"label": "Text", "type": "string", "options": [{"label": "A"}]}, "options"),
    ({"entity": "contact"}, {"label": "Long", "type": "rich_text"}, "rich_text"),
    ({"entity": "contact"}, {"label": "Untyped"}, "`type`"),
])
def test_a_create_capsule_cannot_take_is_400_before_the_call(gateway, ctl, params, body, says):
    ctl.clear_requests()
    answer = gateway.unified("POST", NAME, resource="fields", params=params, json=body)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["message"]
    assert not [r for r in ctl.requests() if r["method"] == "POST"]


def test_capsule_refuses_a_second_definition_of_a_name(gateway, ctl):
    answer = gateway.unified("POST", NAME, resource="fields", params={"entity": "account"},
                             json={"label": "Industry", "type": "string"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["truto_is_remote_error"] is True


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_definitions_are_not_changed_or_deleted(gateway, ctl, method):
    """Capsule's reference documents no update or delete of a definition: 405 with the reason, nothing sent."""
    ctl.clear_requests()
    answer = gateway.unified(method, NAME, "801", resource="fields", params={"entity": "account"},
                             json={"label": "Sector"} if method == "PATCH" else None)
    assert answer.status_code == 405, answer.text
    assert "documents no definition" in answer.json()["message"]
    assert ctl.requests() == []


# -- crm/field_groups: the data tags of an entity (https://developer.capsulecrm.com/v2/operations/Tag) -------------

def tags_in_capsule(ctl, namespace: str) -> list[dict]:
    """Every tag of an entity, plain ones too, as Capsule lists them."""
    answer = requests.get(f"{ctl.url}/api/v2/{namespace}/tags", params={"perPage": 100}, timeout=10,
                          headers={"Authorization": f"Bearer {capsule.SANDBOX_TOKEN}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["tags"]


@pytest.mark.parametrize(("entity", "namespace"), [("account", "parties"), ("contact", "parties"), (None, "parties"),
                                                   ("opportunity", "opportunities")])
def test_field_groups_are_the_entity_s_data_tags_and_fields_name_them(gateway, ctl, entity, namespace):
    ctl.clear_requests()
    params = {"limit": 100, **({"entity": entity} if entity else {})}
    groups = gateway.unified("GET", NAME, resource="field_groups", params=params)
    assert groups.status_code == 200, groups.text
    in_capsule = tags_in_capsule(ctl, namespace)
    data_tags = [t for t in in_capsule if t["dataTag"]]
    assert data_tags == [{k: v for k, v in t.items() if k != "namespace"} for t in ctl.records("field_groups")
                         if t["namespace"] == namespace]
    assert any(not t["dataTag"] for t in in_capsule)        # plain tags are there, and left out
    assert [(g["id"], g["name"], g.get("description")) for g in groups.json()["result"]] == \
        [(str(t["id"]), t["name"], t["description"]) for t in data_tags]
    assert {g["entity_type"] for g in groups.json()["result"]} == {entity or "contact"}
    assert [n for n, _ in DATA_TAGS[namespace]] == [g["label"] for g in groups.json()["result"]]
    assert calls(ctl, "GET", f"/api/v2/{namespace}/tags")
    by_id = {g["id"]: g for g in groups.json()["result"]}
    fields = gateway.unified("GET", NAME, resource="fields", params=params).json()["result"]
    grouped = [f for f in fields if f.get("field_groups")]
    assert grouped and len(grouped) < len(fields)            # fields in no data tag name no group
    for field in grouped:
        [group] = field["field_groups"]
        assert by_id[group["id"]]["name"] == group["name"]
    one = gateway.unified("GET", NAME, grouped[0]["field_groups"][0]["id"], resource="field_groups", params=params)
    assert one.status_code == 200 and one.json()["name"] == grouped[0]["field_groups"][0]["name"]
    plain = next(t for t in in_capsule if not t["dataTag"])
    assert gateway.unified("GET", NAME, str(plain["id"]), resource="field_groups", params=params).status_code == 404
    assert gateway.unified("GET", NAME, "1", resource="field_groups", params=params).status_code == 404


@pytest.mark.parametrize(("entity", "namespace"), [("account", "parties"), ("opportunity", "opportunities")])
def test_a_field_group_is_created_as_a_data_tag_and_renamed(gateway, ctl, entity, namespace):
    ctl.clear_requests()
    created = gateway.unified("POST", NAME, resource="field_groups", params={"entity": entity},
                              json={"name": "warranty", "label": "Warranty", "description": "Cover and terms"})
    assert created.status_code == 200, created.text
    [sent] = [r for r in ctl.requests() if r["method"] == "POST"]
    assert sent["path"].endswith(f"/api/v2/{namespace}/tags")
    assert sent["body"] == {"tag": {"name": "Warranty", "description": "Cover and terms", "dataTag": True}}
    group = created.json()
    assert (group["name"], group["label"], group["entity_type"]) == ("Warranty", "Warranty", entity)
    stored = next(t for t in ctl.records("field_groups") if str(t["id"]) == group["id"])
    assert stored["namespace"] == namespace and stored["dataTag"] is True
    ctl.clear_requests()
    renamed = gateway.unified("PATCH", NAME, group["id"], resource="field_groups", params={"entity": entity},
                              json={"label": "Warranty terms"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Warranty terms" and renamed.json()["description"] == "Cover and terms"
    [put] = [r for r in ctl.requests() if r["method"] == "PUT"]
    assert put["path"].endswith(f"/api/v2/{namespace}/tags/{group['id']}") and put["body"] == {"tag": {"name": "Warranty terms"}}
    listed = gateway.unified("GET", NAME, resource="field_groups", params={"entity": entity, "limit": 100}).json()
    assert group["id"] in {g["id"] for g in listed["result"]}


def test_capsule_refuses_a_group_it_cannot_take(gateway, ctl):
    taken = gateway.unified("POST", NAME, resource="field_groups", params={"entity": "contact"},
                            json={"label": "Billing Details"})
    assert taken.status_code == 422 and taken.json()["truto_is_remote_error"] is True
    both = gateway.unified("POST", NAME, resource="field_groups", params={"entity": "account"},
                           json={"label": "Mixed", "entity_type": "opportunity"})
    assert both.status_code == 400 and "entity_type" in both.json()["message"]
    lead = gateway.unified("POST", NAME, resource="field_groups", json={"label": "Leads", "entity_type": "lead"})
    assert lead.status_code == 400
    plain = next(t for t in tags_in_capsule(ctl, "parties") if not t["dataTag"])
    ctl.clear_requests()
    renamed = gateway.unified("PATCH", NAME, str(plain["id"]), resource="field_groups", json={"label": "Not a group"})
    assert renamed.status_code == 404, renamed.text
    assert [r["method"] for r in ctl.requests()] == ["GET"]              # the plain tag was not written
    moved = gateway.unified("PATCH", NAME, "90001", resource="field_groups", params={"entity": "account"},
                            json={"entity_type": "opportunity"})
    assert moved.status_code == 400 and "stays on its entity" in moved.json()["message"]


def test_a_field_group_is_never_deleted_here(gateway, ctl):
    ctl.clear_requests()
    answer = gateway.unified("DELETE", NAME, "90001", resource="field_groups")
    assert answer.status_code == 405, answer.text
    assert "/proxy" in answer.json()["message"]
    assert ctl.requests() == []
