"""Unified custom methods, `POST /unified/{model}/{resource}/{method}` (docs/api.md, "Custom methods"),
over loopback HTTP to the gateway and the emulators.

Parameterised by the (integration, model, resource, method) the mapping files declare under
`custom_methods:` (a new mapping is tested without a new test). What each CRM must receive is the
vendor's documented request, kept per CRM in `SENT` below; a mapped method without an entry there
fails, so it cannot go untested. Truto answers a custom method as `{result: ...}`
(https://www.truto.one/docs/api-reference/unified-crm-api/contacts/merge).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from support import SPECS

from unigate.engine.spec import INTEGRATIONS_DIR, SpecError, load_integrations
from unigate.models import load_methods, load_resources

SERVED = load_resources()
UNIFIED_METHODS = load_methods()

# (integration, model, resource, method) for every custom method a mapping file maps, on a served resource.
MAPPED = sorted((name, model, resource, method)
                for name, spec in SPECS.items()
                for (model, resource), mapping in spec.mappings.items() if (model, resource) in SERVED
                for method in mapping.custom_methods)
# (integration, model, resource, method): a unified custom method of a resource the integration maps, but not it.
UNMAPPED = sorted((name, model, resource, method)
                  for (model, resource, method) in UNIFIED_METHODS if (model, resource) in SERVED
                  for name, spec in SPECS.items()
                  if (model, resource) in spec.mappings and method not in spec.mappings[(model, resource)].custom_methods)

# What the CRM receives, per mapped method: (HTTP method, path, JSON body) for each request, in order,
# from the ids of the unified body. The vendor's documentation is cited beside each mapping.
Sent = list[tuple[str, str, Any]]
SENT: dict[tuple[str, str, str, str], Callable[..., Sent]] = {
    # https://developers.hubspot.com/docs/api-reference/crm-companies-v3/batch/post-crm-v3-objects-companies-batch-archive
    ("hubspot", "crm", "accounts", "batch-delete"): lambda ids: [
        ("POST", "/crm/v3/objects/companies/batch/archive", {"inputs": [{"id": i} for i in ids]})],
    # https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch-archive-contacts
    ("hubspot", "crm", "contacts", "batch-delete"): lambda ids: [
        ("POST", "/crm/v3/objects/contacts/batch/archive", {"inputs": [{"id": i} for i in ids]})],
    # https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/merge-contacts: pairwise
    ("hubspot", "crm", "contacts", "merge"): lambda master, duplicates: [
        ("POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": master, "objectIdToMerge": d["id"]})
        for d in duplicates],
    # https://developers.pipedrive.com/docs/api/v1/Persons#mergePersons: the person in the path is merged away
    ("pipedrive", "crm", "contacts", "merge"): lambda master, duplicates: [
        ("PUT", f"/v1/persons/{d['id']}/merge", {"merge_with_id": int(master)}) for d in duplicates],
    # https://www.zoho.com/crm/developer/docs/api/v8/merge-records.html: a unified field becomes the Zoho
    # fields that hold it, one child per call
    ("zoho_crm", "crm", "contacts", "merge"): lambda master, duplicates: [
        ("POST", f"/crm/v8/Contacts/{master}/actions/merge", {"merge": [{"data": [{"id": d["id"], "_fields": [
            {"api_name": api} for f in d.get("fields", []) for api in ZOHO_FIELDS[f["name"]]]}]}]})
        for d in duplicates],
    # convert-a-lead.md in Copper's Postman docs (https://github.com/dquimper/GitbookTest, 2.-leads/): one call, the
    # parts under `details`
    ("copper", "crm", "leads", "convert"): lambda lead, body: [
        ("POST", f"/developer_api/v1/leads/{lead}/convert", {"details": {
            "person": {}, "company": {"name": body["account"]["name"]},
            "opportunity": {"name": body["opportunity"]["name"], "monetary_value": body["opportunity"]["amount"]}}})],
}
ZOHO_FIELDS = {"email_addresses": ["Email", "Secondary_Email"]}

# The CRM's own success status, passed through with truto_response_format=raw.
RAW_STATUS = {
    ("hubspot", "crm", "accounts", "batch-delete"): 204,  # HubSpot's batch archive: 204 without a body
    ("hubspot", "crm", "contacts", "batch-delete"): 204,
}

# A record to create for the tests, per unified resource: the merge tests give the master no phone
# and each duplicate one, so the survivor shows what it took from them.
NEW_RECORD: dict[tuple[str, str], Callable[[str, int], dict[str, Any]]] = {
    ("crm", "accounts"): lambda marker, n: {"name": f"Methods Co {marker} {n}"},
    ("crm", "contacts"): lambda marker, n: {"first_name": f"Dup{n}", "last_name": f"Methods {marker}",
                                            "email_addresses": [{"email": f"methods-{marker}-{n}@example.com"}]},
    ("crm", "leads"): lambda marker, n: {"name": f"Methods Lead {marker} {n}",
                                         "email_addresses": [{"email": f"methods-lead-{marker}-{n}@example.com"}]},
}


def unified(gateway, method: str, integration: str, path: str, *, json: Any = None, data: Any = None,
            headers: dict[str, str] | None = None, params: dict[str, Any] | None = None) -> requests.Response:
    query = {"integrated_account_id": gateway.accounts[integration], **(params or {})}
    return requests.request(method, f"{gateway.url}/unified/{path}", params=query, json=json, data=data,
                            headers={**gateway.headers, **(headers or {})}, timeout=30)


def create(gateway, integration: str, model: str, resource: str, count: int) -> list[str]:
    marker = uuid.uuid4().hex[:8]
    ids = []
    for n in range(count):
        response = unified(gateway, "POST", integration, f"{model}/{resource}", json=NEW_RECORD[(model, resource)](marker, n))
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


def writes_sent(sandbox, integration: str) -> Sent:
    """The requests the CRM received that were not reads (the engine's lookups are GETs), paths from the
    emulator's root (the CRM's own paths)."""
    return [(r["method"], r["path"].removeprefix(f"/{integration}"), r["body"])
            for r in sandbox.control(integration).requests() if r["method"] != "GET"]


@pytest.fixture(autouse=True)
def clean(sandbox):
    for name in SPECS:
        sandbox.control(name).clear_faults()
    yield


def only(kind: str) -> list:
    cases = [case for case in MAPPED if case[3] == kind]
    return cases or [pytest.param(None, marks=pytest.mark.skip(reason=f"no mapping of a served resource declares {kind} yet"))]


def test_every_mapped_method_has_its_expected_requests():
    assert MAPPED, "no mapping file declares a custom method"
    missing = [case for case in MAPPED if case not in SENT]
    assert not missing, f"add what the CRM must receive for {missing} to SENT"


@pytest.mark.parametrize("case", only("batch-delete"), ids=str)
def test_batch_delete(gateway, sandbox, case):
    integration, model, resource, method = case
    ids = create(gateway, integration, model, resource, 3)
    kept, deleted = ids[0], ids[1:]
    sandbox.control(integration).clear_requests()

    response = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json={"id": deleted})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "server-timing" in response.headers
    assert response.json() == {"result": [{"id": i} for i in deleted]}
    assert writes_sent(sandbox, integration) == SENT[case](deleted)
    for record_id in deleted:
        gone = unified(gateway, "GET", integration, f"{model}/{resource}/{record_id}")
        assert gone.status_code == 404, gone.text
        assert gone.json()["truto_is_remote_error"] is True
    assert unified(gateway, "GET", integration, f"{model}/{resource}/{kept}").status_code == 200


@pytest.mark.parametrize("case", only("merge"), ids=str)
def test_merge(gateway, sandbox, case):
    integration, model, resource, method = case
    master, *duplicates = create(gateway, integration, model, resource, 3)
    last_email = unified(gateway, "GET", integration,
                         f"{model}/{resource}/{duplicates[-1]}").json()["email_addresses"][0]["email"]
    # The last duplicate's email addresses are to be kept (Zoho takes only the fields named; HubSpot and
    # Pipedrive keep a merged contact's emails anyway).
    duplicate_records = [{"id": d} for d in duplicates[:-1]] + [
        {"id": duplicates[-1], "fields": [{"name": "email_addresses"}]}]
    sandbox.control(integration).clear_requests()

    response = unified(gateway, "POST", integration, f"{model}/{resource}/{method}",
                       json={"master_record": {"id": master}, "duplicate_records": duplicate_records})

    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["id"] == master
    assert result["first_name"] == "Dup0"  # the master's own values win
    assert isinstance(result["remote_data"], dict)
    assert writes_sent(sandbox, integration) == SENT[case](master, duplicate_records)
    for duplicate in duplicates:
        assert unified(gateway, "GET", integration, f"{model}/{resource}/{duplicate}").status_code == 404
    survivor = unified(gateway, "GET", integration, f"{model}/{resource}/{master}").json()
    assert survivor["first_name"] == "Dup0"
    # The survivor holds the merged-away contact's email (HubSpot as an additional email:
    # https://knowledge.hubspot.com/records/merge-records; Pipedrive:
    # https://pipedrive.readme.io/docs/merging-two-persons; Zoho: the field named).
    held = json.dumps(survivor["remote_data"])
    assert last_email in held, held


@pytest.mark.parametrize("case", only("convert"), ids=str)
def test_convert(gateway, sandbox, case):
    """A lead becomes a contact in an account, with an opportunity; the lead is gone, the contact reads back in
    the account, and the answer is the lead with what it became."""
    integration, model, resource, method = case
    (lead,) = create(gateway, integration, model, resource, 1)
    marker = uuid.uuid4().hex[:8]
    body = {"id": lead, "account": {"name": f"Converted Co {marker}"},
            "opportunity": {"name": f"Converted deal {marker}", "amount": 1500}}
    sandbox.control(integration).clear_requests()

    response = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json=body)

    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["id"] == lead and isinstance(result["remote_data"], dict)
    assert writes_sent(sandbox, integration) == SENT[case](lead, body)
    assert unified(gateway, "GET", integration, f"{model}/{resource}/{lead}").status_code == 404
    contact = unified(gateway, "GET", integration, f"{model}/contacts/{result['converted_contact']['id']}")
    assert contact.status_code == 200, contact.text
    assert contact.json()["account"]["id"] == result["converted_account"]["id"]
    account = unified(gateway, "GET", integration, f"{model}/accounts/{result['converted_account']['id']}")
    assert account.json()["name"] == f"Converted Co {marker}"


@pytest.mark.parametrize("case", UNMAPPED or [pytest.param(None, marks=pytest.mark.skip(reason="none"))], ids=str)
def test_a_crm_without_the_method_answers_405_naming_its_methods(gateway, sandbox, case):
    integration, model, resource, method = case
    body = {"batch-delete": {"id": ["1"]}, "convert": {"id": "1"}}.get(
        method, {"master_record": {"id": "1"}, "duplicate_records": [{"id": "2"}]})
    sandbox.control(integration).clear_requests()
    response = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json=body)
    assert response.status_code == 405, response.text
    error = response.json()
    assert error["statusCode"] == 405
    assert repr(method) in error["message"]
    supported = SPECS[integration].mappings[(model, resource)].custom_methods
    assert f"its custom methods there: {', '.join(supported) or 'none'}" in error["message"]
    assert sandbox.control(integration).requests() == []


BAD_BODIES = [
    pytest.param(b"", id="empty"),
    pytest.param(b"{not json", id="not-json"),
    pytest.param(b"[]", id="array"),
    pytest.param(b"{}", id="missing-required"),
    pytest.param(b'{"id": [], "master_record": {}, "duplicate_records": []}', id="empty-values"),
    pytest.param(b'{"id": [1], "master_record": {"id": 1}, "duplicate_records": [{"id": 2}]}', id="numbers-for-ids"),
    pytest.param(b'{"unknown": true}', id="unknown-field"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize("case", MAPPED, ids=str)
def test_bad_bodies_are_400_with_nothing_sent(gateway, sandbox, case, body):
    integration, model, resource, method = case
    sandbox.control(integration).clear_requests()
    response = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", data=body,
                       headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert set(response.json()) >= {"statusCode", "error", "message"}
    assert sandbox.control(integration).requests() == []


@pytest.mark.parametrize("case", MAPPED, ids=str)
def test_unknown_method_names_are_404_naming_the_resource_methods(gateway, sandbox, case):
    integration, model, resource, _ = case
    sandbox.control(integration).clear_requests()
    names = sorted(n for (m, r, n) in UNIFIED_METHODS if (m, r) == (model, resource))
    # "get" and "update" are not methods on this route, and an id (even with an encoded slash) is never one.
    for segment in ("frobnicate", "get", "update", "12345", "batch-delete%2Fx"):
        response = unified(gateway, "POST", integration, f"{model}/{resource}/{segment}", json={"id": ["1"]})
        assert response.status_code == 404, response.text
        message = response.json()["message"]
        assert all(f"POST /unified/{model}/{resource}/{n}" in message for n in names)
    assert sandbox.control(integration).requests() == []


@pytest.mark.parametrize("case", only("batch-delete"), ids=str)
def test_idempotency_key_replays_the_first_answer(gateway, sandbox, case):
    integration, model, resource, method = case
    ids = create(gateway, integration, model, resource, 2)
    sandbox.control(integration).clear_requests()
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json={"id": ids}, headers=key)
    again = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json={"id": ids}, headers=key)
    other = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json={"id": ids[:1]}, headers=key)

    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422, other.text  # the same key on another request
    assert writes_sent(sandbox, integration) == SENT[case](ids)


@pytest.mark.parametrize("case", only("batch-delete"), ids=str)
def test_a_provider_error_is_the_remote_error_envelope(gateway, sandbox, case):
    integration, model, resource, method = case
    sandbox.control(integration).clear_requests()
    sandbox.control(integration).fault(status=400, body={"status": "error", "message": "refused"}, method="POST")
    response = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json={"id": ["1"]})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["truto_is_remote_error"] is True
    assert error["raw_response"] == {"status": "error", "message": "refused"}


@pytest.mark.parametrize("case", only("batch-delete"), ids=str)
def test_raw_format_is_the_provider_answer(gateway, sandbox, case):
    integration, model, resource, method = case
    ids = create(gateway, integration, model, resource, 1)
    sandbox.control(integration).clear_requests()
    response = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json={"id": ids},
                       params={"truto_response_format": "raw"})
    assert writes_sent(sandbox, integration)[-1] == SENT[case](ids)[-1]
    assert response.status_code == RAW_STATUS[case], response.text


def test_get_integration_and_the_openapi_document_list_the_custom_methods(gateway):
    integrations = {i["name"]: i for i in gateway.admin("GET", "/integration").json()["result"]}
    for name, spec in SPECS.items():
        shown = {(u["model"], u["resource"]): u["custom_methods"] for u in integrations[name]["unified"]}
        assert shown == {key: list(m.custom_methods) for key, m in spec.mappings.items()}
    document = requests.get(f"{gateway.url}/openapi.json", timeout=10).json()
    for (model, resource, method), unified_method in UNIFIED_METHODS.items():
        if (model, resource) not in SERVED:
            continue
        operation = document["paths"][f"/unified/{model}/{resource}/{method}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["required"] == unified_method.schema["required"]
        served_by = sorted(n for (n, m, r, c) in MAPPED if (m, r, c) == (model, resource, method))
        assert f"Served on: {', '.join(served_by) or 'no integration yet'}" in operation["description"]
        assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


# The CRM's answer to merging a contact that does not exist (passed through as the remote error).
MISSING_CONTACT_STATUS = {"hubspot": 404, "pipedrive": 404, "zoho_crm": 400}


@pytest.mark.parametrize("case", only("merge"), ids=str)
def test_a_merge_failing_halfway_keeps_its_answer_under_the_key(gateway, sandbox, case):
    """One call per duplicate: when a later one fails, the earlier merge has happened, so the same
    Idempotency-Key replays the failure rather than merging again."""
    integration, model, resource, method = case
    master, duplicate = create(gateway, integration, model, resource, 2)
    body = {"master_record": {"id": master}, "duplicate_records": [{"id": duplicate}, {"id": "990000000001"}]}
    sandbox.control(integration).clear_requests()
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json=body, headers=key)
    again = unified(gateway, "POST", integration, f"{model}/{resource}/{method}", json=body, headers=key)

    assert first.status_code == MISSING_CONTACT_STATUS[integration], first.text
    assert first.json()["truto_is_remote_error"] is True
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert writes_sent(sandbox, integration) == SENT[case](master, body["duplicate_records"])
    assert unified(gateway, "GET", integration, f"{model}/{resource}/{duplicate}").status_code == 404


@pytest.mark.parametrize(("change", "message"), [
    (("batch-delete:", "frobnicate:"), "crm/accounts has no unified method 'frobnicate' (models/crm/methods/accounts/ "
                                       "defines: batch-delete)"),
    (("batch-delete:", "get:"), "a custom method's name is lowercase letters"),
    (("    response: '[body.id.{\"id\": $}]'", "    response: '[]'\n    read_back: {id: 'body.id[0]'}"),
     "needs exactly one of response and read_back"),
    (("method: batch_archive", "method: nope"), "no method 'nope' on resource 'companies'"),
    (("    body: '{\"inputs\"", "    each: 'body.('\n    body: '{\"inputs\""), "custom_methods.batch-delete.each"),
])
def test_the_loader_refuses_a_broken_custom_method(tmp_path, change, message):
    """A mapping's custom method must be a unified one, named as one, with one way to its result, a
    provider method that exists and expressions that compile: else the process does not start."""
    root = tmp_path / "integrations"
    shutil.copytree(INTEGRATIONS_DIR / "hubspot", root / "hubspot")
    accounts = root / "hubspot" / "crm" / "accounts.yaml"
    text = accounts.read_text()
    assert change[0] in text
    accounts.write_text(text.replace(change[0], change[1]))
    with pytest.raises(SpecError) as refused:
        load_integrations(root)
    assert message in str(refused.value)


@pytest.mark.parametrize("case", only("merge"), ids=str)
def test_truto_python_sdk_merges_through_its_own_client(gateway, sandbox, case):
    """truto-python-sdk 0.1.6's `unified_api.custom_method` passes `data` twice to its `_post` and raises
    TypeError before sending anything (a bug of the SDK); its HTTP client `_post`, the one every SDK write
    uses, sends the merge, and the gateway answers it like any caller."""
    from truto_python_sdk import TrutoApi

    integration, model, resource, method = case
    master, duplicate = create(gateway, integration, model, resource, 2)
    body = {"master_record": {"id": master}, "duplicate_records": [{"id": duplicate}]}
    query = {"integrated_account_id": gateway.accounts[integration]}

    async def merge() -> Any:
        api = TrutoApi(token=gateway.token, base_url=gateway.url)
        with pytest.raises(TypeError):
            await api.unified_api.custom_method(model, resource, method, body, dict(query))
        return await api.unified_api.api_client._post(f"unified/{model}/{resource}/{method}", data=body,
                                                       params=dict(query))

    answer = asyncio.run(merge())
    assert answer["result"]["id"] == master
    assert unified(gateway, "GET", integration, f"{model}/{resource}/{duplicate}").status_code == 404
