"""Zendesk Sell's emulator driven by Zendesk's official Python client `basecrm`
(https://github.com/basecrm/basecrm-python, `basecrm.Client(access_token=..., base_url=...)`), under every
value of the emulator's switches: what the client relies on holds whichever way the unverified behaviours go.

More `basecrm` calls (organisations, persons, errors) are in test_zendesk_sell_sandbox.py.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import basecrm
import pytest
import requests

from unigate.sandbox import zendesk_sell

NAME = "zendesk_sell"


@pytest.fixture
def sell(sandbox):
    control = sandbox.control(NAME)
    control.reset(count=12)
    yield control
    control.clear_faults()


@pytest.fixture
def client(sell):
    return basecrm.Client(access_token=zendesk_sell.SANDBOX_TOKEN, base_url=sell.url)


@pytest.mark.parametrize("create_status", [200, 201])
def test_client_creates_under_either_create_status(sell, client, create_status):
    """`ContactsService.create` takes any 2xx (basecrm `http_client.py`), so 200 and 201 both give the contact."""
    sell.switch(create_status=create_status)
    created = client.contacts.create(is_organization=True, name="Client Made Ltd.", customer_status="current",
                                     custom_fields={"Segment": "SMB"})
    assert created.is_organization is True and created.name == "Client Made Ltd."
    assert client.contacts.retrieve(created.id).custom_fields == {"Segment": "SMB"}


@pytest.mark.parametrize("custom_fields_update", ["merge", "replace"])
def test_client_update_of_custom_fields_either_way(sell, client, custom_fields_update):
    """`ContactsService.update` sends the attributes given; the answer is what Sell then holds."""
    sell.switch(custom_fields_update=custom_fields_update)
    org = next(c for c in sell.records("accounts") if c["is_organization"] and len(c["custom_fields"]) > 1)
    updated = client.contacts.update(org["id"], {"custom_fields": {"Segment": "Partner"}})
    if custom_fields_update == "merge":
        assert updated.custom_fields == {**org["custom_fields"], "Segment": "Partner"}
    else:
        assert updated.custom_fields == {"Segment": "Partner"}


def test_client_lists_in_the_documented_default_order(sell, client):
    """`ContactsService.list` without `sort_by`: `last_name:asc` (basecrm-ruby contacts_service.rb)."""
    people = client.contacts.list(is_organization=False, per_page=100)
    names = [p.last_name for p in people]
    assert names == sorted(names) and len(names) == len(sell.records("contacts"))
    by_name_desc = client.contacts.list(is_organization=False, per_page=100, sort_by="last_name:desc")
    assert [p.last_name for p in by_name_desc] == sorted(names, reverse=True)


@pytest.mark.parametrize(("field", "value"), [("customer_status", "lost"), ("prospect_status", "past")])
def test_client_sees_statuses_outside_the_enumeration_refused(client, field, value):
    """Statuses outside Sell's enumerations (Firehose: customers none/current/past, prospects none/current)
    are a 422 resource error naming the field, raised by the client as `ResourceError`."""
    with pytest.raises(basecrm.ResourceError) as refused:
        client.contacts.create(is_organization=True, name="Status Co", **{field: value})
    assert refused.value.http_status == 422
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, "inclusion")]


def test_client_sees_an_unknown_switch_value_refused_by_the_control_api(sell):
    """The control API takes only the values a switch declares (400 otherwise, nothing changed)."""
    url = f"{sell.base}/__control/{NAME}/switches"
    assert requests.post(url, json={"create_status": 202}, timeout=5).status_code == 400
    assert requests.get(url, timeout=5).json()["switches"] == {
        "create_status": 200, "custom_fields_update": "merge", "per_page_over_max": "refuse", "rate_limit_headers": True,
        "is_organization_update": "ignore", "refresh_token_rotation": True, "user_agent_required": True,
        "note_parent_required": True, "call_update": "any", "call_phone_number_required": False,
        "search_boolean_value": "json"}


@pytest.mark.parametrize("per_page_over_max", ["refuse", "clamp"])
def test_client_asking_for_more_than_100_a_page(sell, client, per_page_over_max):
    """`per_page` is at most 100 (basecrm-ruby contacts_service.rb); what more gets is open."""
    sell.switch(per_page_over_max=per_page_over_max)
    if per_page_over_max == "clamp":
        assert len(client.contacts.list(is_organization=True, per_page=150)) == 12
    else:
        with pytest.raises(basecrm.RequestError) as refused:
            client.contacts.list(is_organization=True, per_page=150)
        assert refused.value.http_status == 400


@pytest.mark.parametrize("rate_limit_headers", [True, False])
def test_client_with_or_without_rate_limit_headers(sell, client, rate_limit_headers):
    """The client reads no rate-limit header; the answer is the same either way."""
    sell.switch(rate_limit_headers=rate_limit_headers)
    assert client.users.self().id == zendesk_sell.TOKEN_USER["id"]
    answer = requests.get(f"{sell.url}/v2/contacts", timeout=5, headers={
        "Authorization": f"Bearer {zendesk_sell.SANDBOX_TOKEN}", "User-Agent": "tests"})
    assert ("X-RateLimit-Limit" in answer.headers) is rate_limit_headers


@pytest.mark.parametrize("is_organization_update", ["ignore", "refuse"])
def test_client_updating_is_organization(sell, client, is_organization_update):
    """`is_organization` is fixed at creation (contacts reference); whether an update naming it is ignored or
    refused is open."""
    sell.switch(is_organization_update=is_organization_update)
    org = next(c for c in sell.records("accounts") if c["is_organization"])
    if is_organization_update == "ignore":
        assert client.contacts.update(org["id"], {"is_organization": False, "industry": "Mining"}).is_organization is True
    else:
        with pytest.raises(basecrm.ResourceError) as refused:
            client.contacts.update(org["id"], {"is_organization": False})
        assert refused.value.http_status == 422 and refused.value.errors[0].field == "is_organization"


@pytest.mark.parametrize("user_agent_required", [True, False])
def test_a_request_without_user_agent(sell, client, user_agent_required):
    """The client always sends a User-Agent (basecrm `http_client.py`), so it works either way; a bare request
    is refused only when the switch says Sell requires the header."""
    sell.switch(user_agent_required=user_agent_required)
    assert client.users.self().id == zendesk_sell.TOKEN_USER["id"]
    parts = urlsplit(f"{sell.url}/v2/users/self")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    # http.client adds no User-Agent of its own
    connection.request("GET", parts.path, headers={"Authorization": f"Bearer {zendesk_sell.SANDBOX_TOKEN}"})
    status = connection.getresponse().status
    connection.close()
    assert status == (400 if user_agent_required else 200)


@pytest.mark.parametrize("note_parent_required", [True, False])
def test_client_notes_with_and_without_a_record(sell, client, note_parent_required):
    """`NotesService`: a note on a deal reads back there and is listed by its record; whether a note needs a
    record is open (every documented example names one)."""
    sell.switch(note_parent_required=note_parent_required)
    deal = sell.records("opportunities")[0]
    note = client.notes.create(content="Client note", resource_type="deal", resource_id=deal["id"])
    assert (note.resource_type, note.resource_id) == ("deal", deal["id"])
    assert note.id in [n.id for n in client.notes.list(resource_type="deal", resource_id=deal["id"], per_page=100)]
    if note_parent_required:
        with pytest.raises(basecrm.ResourceError) as refused:
            client.notes.create(content="Floating")
        assert [(e.field, e.code) for e in refused.value.errors] == [("resource_type", "blank")]
    else:
        assert client.notes.create(content="Floating").resource_type is None


def test_client_tasks_stamp_completed_at(sell, client):
    """`TasksService`: completing a task stamps `completed_at`; reopening clears it; `completed` filters."""
    task = client.tasks.create(content="Client task", due_date="2027-03-31T15:00:00Z")
    assert task.completed is False and task.completed_at is None and task.resource_type is None   # floating
    done = client.tasks.update(task.id, completed=True)
    assert done.completed is True and done.completed_at
    assert task.id in [t.id for t in client.tasks.list(completed=True, per_page=100)]
    assert client.tasks.update(task.id, completed=False).completed_at is None


@pytest.mark.parametrize("service", ["notes", "tasks"])
def test_client_lists_notes_and_tasks_by_updated_at(sell, client, service):
    """`NotesService.list` / `TasksService.list`: `sort_by` defaults to `updated_at:asc`, and `:desc` descends
    (basecrm-ruby notes_service.rb, tasks_service.rb)."""
    listed = getattr(client, service).list(per_page=100)
    stamps = [r.updated_at for r in listed]
    assert stamps == sorted(stamps) and len(stamps) == len(sell.records(service))
    newest_first = getattr(client, service).list(per_page=100, sort_by="updated_at:desc")
    assert [r.updated_at for r in newest_first] == sorted(stamps, reverse=True)


@pytest.mark.parametrize("call_update", ["any", "associations"])
@pytest.mark.parametrize("call_phone_number_required", [False, True])
def test_calls_under_each_switch(sell, call_update, call_phone_number_required):
    """basecrm-python has no calls service: the requests the calls reference shows
    (https://developers.futuresimple.com/docs/rest/reference/calls), sent as written."""
    sell.switch(call_update=call_update, call_phone_number_required=call_phone_number_required)
    headers = {"Authorization": f"Bearer {zendesk_sell.SANDBOX_TOKEN}", "User-Agent": "tests",
               "Accept": "application/json"}
    person = next(c for c in sell.records("accounts") if not c["is_organization"])
    body = {"data": {"summary": "Call", "incoming": False, "duration": 30, "resource_type": "contact",
                     "resource_id": person["id"]}}
    created = requests.post(f"{sell.url}/v2/calls", json=body, headers=headers, timeout=5)
    if call_phone_number_required:
        assert created.status_code == 422
        body["data"]["phone_number"] = "+1 415 555 0100"
        created = requests.post(f"{sell.url}/v2/calls", json=body, headers=headers, timeout=5)
    assert created.status_code == 200, created.text
    call = created.json()["data"]
    updated = requests.put(f"{sell.url}/v2/calls/{call['id']}", json={"data": {"summary": "Renamed", "resource_id": None,
                                                                               "resource_type": None}},
                           headers=headers, timeout=5).json()["data"]
    assert updated["resource_id"] is None
    assert updated["summary"] == ("Renamed" if call_update == "any" else "Call")
    listed = requests.get(f"{sell.url}/v2/calls", params={"per_page": 100}, headers=headers, timeout=5).json()
    made = [item["data"]["made_at"] for item in listed["items"]]
    assert made == sorted(made, reverse=True)   # always newest first
