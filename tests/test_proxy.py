"""The proxy API (docs/api.md, "Proxy API") over loopback HTTP against the emulators.

The objects tested are the CRM objects the unified mappings (accounts, contacts, opportunities,
pipelines, stages) point at, read
from the loaded integration files, so an object added there is covered with no change here. The
CRM's own bodies are not written by hand either: a unified call is made first and the native
request the emulator received for it (a valid body in the CRM's own shape) is sent again through
the proxy, which must pass it on unchanged. A method that declares `request:` (the gateway writes the
CRM's request from the caller's inputs, e.g. monday's GraphQL documents) takes the caller's simple
query and body instead: its `example:` in the integration file, with `{{marker}}` a unique text and
any other `{{key}}` the first value under `key` in the request the unified call of the same method sent.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from typing import Any

import pytest
import requests
from gateway_factory import add_account, clear_of_window_edge, make_tokens, start_gateway
from oauth_support import Gateway as OAuthGateway
from oauth_support import connect
from support import INTEGRATIONS, SPECS, gateway_database, linked_records, sample_write_body

from unigate.edge.meta import proxy_json
from unigate.engine.proxy import STANDARD_METHODS, paging_params, resolve, unavailable_reason
from unigate.engine.sandbox_spaces import space_key_of
from unigate.errors import GatewayError
from unigate.settings import Settings

UNIFIED_OBJECTS = ("accounts", "contacts", "opportunities", "pipelines", "stages")
SAMPLE_BODIES = {  # the smallest unified create per unified resource (the CRM's native body is derived)
    "accounts": lambda marker: {"name": f"Proxy Co {marker}"},
    "contacts": lambda marker: {"first_name": "Proxy", "last_name": f"Person {marker}",
                                "email_addresses": [{"email": f"proxy-{marker}@example.com"}]},
    "opportunities": lambda marker: {"name": f"Proxy Deal {marker}"},
    "pipelines": lambda marker: {"name": f"Proxy Pipeline {marker}"},
    "stages": lambda marker: {"name": f"Proxy Stage {marker}"},
}
RENAMES = {"accounts": lambda marker: {"name": f"Renamed Co {marker}"},
           "contacts": lambda marker: {"last_name": f"Renamed {marker}"},
           "opportunities": lambda marker: {"name": f"Renamed Deal {marker}"},
           "pipelines": lambda marker: {"name": f"Renamed Pipeline {marker}"},
           "stages": lambda marker: {"name": f"Renamed Stage {marker}"}}
_ID = re.compile(r"\{\{\s*id\s*\}\}")


def sample_create(gateway, name: str, unified_resource: str, marker: str) -> dict[str, Any]:
    """A unified create the CRM accepts: the contract suite's write body (with the values the CRM checks,
    e.g. an owner or the account a contact belongs to), named with `marker`."""
    existing = unified(gateway, "GET", name, unified_resource, params={"limit": 1}).json()["result"][0]
    body = sample_write_body(name, existing, unified_resource, linked_records(gateway, name, unified_resource))
    return {**body, **SAMPLE_BODIES[unified_resource](marker)}


def with_id(value: Any, old: str, new: str) -> Any:
    """`value` with every occurrence of the id `old` (as a string or a number) replaced by `new`."""
    if isinstance(value, dict):
        return {k: with_id(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [with_id(v, old, new) for v in value]
    if isinstance(value, str) and value == old:
        return new
    if isinstance(value, int) and not isinstance(value, bool) and str(value) == old and new.isdigit():
        return int(new)
    return value


def takes_inputs(name: str, resource: str, method: str) -> bool:
    """Whether the gateway writes the method's request from the caller's inputs (`request:`)."""
    rm = SPECS[name].resources[resource].get(method)
    return rm is not None and rm.request is not None


def proxy_objects() -> list[tuple[str, str, str]]:
    """(integration, unified resource, proxy resource): the CRM objects behind the accounts/contacts mappings.

    A resource two mappings share is tested once, unless its list takes the caller's inputs: then the
    inputs (e.g. monday's board) pick each mapping's records, and each is its own object."""
    found: dict[tuple[str, str, str], str] = {}
    for name in INTEGRATIONS:
        for (model, unified), mapping in sorted(SPECS[name].mappings.items()):
            if model == "crm" and unified in UNIFIED_OBJECTS and "list" in mapping.methods:
                resource = mapping.methods["list"].resource
                found.setdefault((name, resource, unified if takes_inputs(name, resource, "list") else ""), unified)
    return [(name, unified, resource) for (name, resource, _), unified in found.items()]


OBJECTS = proxy_objects()


def offered(name: str, resource: str, method: str) -> bool:
    rm = SPECS[name].resources[resource].get(method)
    return rm is not None and unavailable_reason(rm) is None


FULLY_OFFERED = [o for o in OBJECTS if all(offered(o[0], o[2], m) for m in STANDARD_METHODS)]
NOT_OFFERED = [(o[0], o[2], m) for o in OBJECTS for m in STANDARD_METHODS
               if m in SPECS[o[0]].resources[o[2]] and not offered(o[0], o[2], m)]


def ids(objects) -> list[str]:
    return [f"{name}-{resource}" + (f"-{unified}" if takes_inputs(name, resource, "list") else "")
            for name, unified, resource in objects]


_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def first_value(value: Any, key: str) -> Any:
    """The first value under `key` anywhere in `value` (a list's first element)."""
    if isinstance(value, dict):
        if key in value:
            found = value[key]
            return found[0] if isinstance(found, list) and found else found
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = first_value(item, key)
            if found is not None:
                return found
    return None


def example_inputs(name: str, resource: str, method: str, marker: str, native: dict) -> tuple[dict, Any]:
    """The caller's (query, body) for a method with `request`: its `example`, placeholders filled from
    `marker` and `native` (the request the unified call of the same method sent)."""
    example = SPECS[name].resources[resource][method].example or {}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str):
            def one(match: re.Match) -> str:
                key = match.group(1)
                found = marker if key == "marker" else first_value(native["body"], key)
                assert found is not None, f"{name}: {{{{{key}}}}} is in no value of {native['body']}"
                return str(found)
            return _PLACEHOLDER.sub(one, value)
        return value

    return fill(example.get("query", {})), fill(example.get("body"))


def scalars(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in scalars(v)]
    if isinstance(value, list):
        return [s for v in value for s in scalars(v)]
    return [] if value is None else [str(value)]


def assert_inputs_sent(received: dict, *inputs: Any) -> None:
    """The caller's inputs reached the CRM inside the request the gateway wrote, and not as its query."""
    text = json.dumps(received["body"])
    for value in scalars(list(inputs)):
        assert value in text or json.dumps(value)[1:-1] in text, f"{value!r} not in {text}"
    assert received["query_params"] == []


# -- calling ------------------------------------------------------------------------------------------

def proxy(gateway, method: str, integration: str, path: str, *, params=None, json_body: Any = None,
          headers=None, account: str | None = None) -> requests.Response:
    query = {"integrated_account_id": account or gateway.accounts[integration], **(params or {})}
    kwargs: dict[str, Any] = {}
    if json_body is not None:
        kwargs["data"] = json.dumps(json_body)
        kwargs["headers"] = {**(headers or gateway.headers), "Content-Type": "application/json"}
    else:
        kwargs["headers"] = headers or gateway.headers
    return requests.request(method, f"{gateway.url}/proxy/{path}", params=query, timeout=30, **kwargs)


def unified(gateway, method: str, integration: str, resource: str, record_id: str | None = None, **kwargs):
    url = f"{gateway.url}/unified/crm/{resource}" + (f"/{record_id}" if record_id else "")
    params = {"integrated_account_id": gateway.accounts[integration], **kwargs.pop("params", {})}
    return requests.request(method, url, params=params, headers=gateway.headers, timeout=30, **kwargs)


def sent_for(control, name: str, resource: str, method: str, record_id: str | None = None) -> dict:
    """The last request the emulator received for `resource`'s provider `method` (of `record_id`)."""
    rm = SPECS[name].resources[resource][method]
    path = _ID.sub(record_id or "", rm.path)
    matching = [{**r, "query_params": [tuple(p) for p in r["query_params"]]} for r in control.requests()
                if r["method"] == rm.http_method and r["path"].endswith(path)]
    assert matching, f"{name}: no {rm.http_method} {path} among {[(r['method'], r['path']) for r in control.requests()]}"
    return matching[-1]


def native_id(name: str, unified_resource: str, unified_method: str, answer: Any) -> str:
    """The record id in a CRM answer, read the way the unified mapping reads it."""
    spec = SPECS[name]
    mm = spec.mappings[("crm", unified_resource)].methods[unified_method]
    if mm.read_back is not None:
        return str(mm.read_back.evaluate({"response": answer, "id": None}))
    rm = spec.resource_method(mm.resource, mm.method)
    record = rm.record.evaluate({"response": answer, "headers": {}}) if rm.record is not None else answer
    return str(mm.record.evaluate({"response": record, "context": spec.sandbox_context, "steps": {}})["id"])


def forwardable_list_query(control, name: str, resource: str, method: str = "list") -> dict[str, Any]:
    """The query the unified list sent (e.g. Zoho's `fields`), less the paging the gateway sets itself;
    `method`: the provider method the unified list calls (Capsule's lists POST its party filter)."""
    sent = sent_for(control, name, resource, method)
    owned = paging_params(SPECS[name].resources[resource][method])
    query: dict[str, Any] = {}
    for key, value in sent["query_params"]:
        if key not in owned:
            query.setdefault(key, []).append(value)
    return query


def assert_remote_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and isinstance(body["error"], str) and body["message"]
    assert body["truto_is_remote_error"] is True
    return body


# -- list, get, create, update, delete -------------------------------------------------------------------

@pytest.mark.parametrize("name, unified_resource, resource", FULLY_OFFERED, ids=ids(FULLY_OFFERED))
def test_a_list_reads_every_page_once_in_the_crms_own_shape(gateway, sandbox, name, unified_resource, resource):
    control = sandbox.control(name)
    control.clear_requests()
    assert unified(gateway, "GET", name, unified_resource, params={"limit": 5}).status_code == 200
    inputs = takes_inputs(name, resource, "list")
    if inputs:
        query, _ = example_inputs(name, resource, "list", "", sent_for(control, name, resource, "list"))
    else:
        query = forwardable_list_query(control, name, resource,
                                       SPECS[name].mappings[("crm", unified_resource)].methods["list"].method)
    unified_ids = set()
    cursor = None
    for _ in range(200):
        page = unified(gateway, "GET", name, unified_resource, params={"limit": 50, **({"next_cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        unified_ids |= {r["id"] for r in page.json()["result"]}
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    limit = 7
    seen: list[str] = []
    pages = 0
    cursor = None
    list_method = SPECS[name].mappings[("crm", unified_resource)].methods["list"]
    while True:
        control.clear_requests()
        response = proxy(gateway, "GET", name, resource,
                         params={**query, "limit": limit, **({"next_cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"result", "next_cursor", "prev_cursor", "result_count"}
        assert body["result_count"] == len(body["result"]) <= limit
        assert body["prev_cursor"] is None
        # The records are the CRM's own: the unified mapping reads each of them.
        seen += [str(list_method.record.evaluate({"response": r, "context": SPECS[name].sandbox_context,
                                                  "steps": {}})["id"]) for r in body["result"]]
        sent = control.requests()
        assert sent and all("integrated_account_id" not in r["query"] and "next_cursor" not in r["query"] for r in sent)
        if inputs and pages == 0:
            assert_inputs_sent(sent[0], query)
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert body["result"], "an empty page must not carry a next_cursor"
        assert pages < 200, "the list did not end"
    assert pages > 1, f"{name}: the seed should span several pages of {limit}"
    assert len(seen) == len(set(seen)), "a record came twice"
    assert unified_ids <= set(seen), "the proxy list missed records the unified list has"


@pytest.mark.parametrize("name, unified_resource, resource", FULLY_OFFERED, ids=ids(FULLY_OFFERED))
def test_create_get_update_delete_pass_the_crms_bodies_through(gateway, sandbox, name, unified_resource, resource):
    control = sandbox.control(name)
    marker = uuid.uuid4().hex[:8]
    # A unified create and update show what the CRM's own bodies look like.
    control.clear_requests()
    made = unified(gateway, "POST", name, unified_resource, json=sample_create(gateway, name, unified_resource, marker))
    assert made.status_code == 200, made.text
    native_create = sent_for(control, name, resource, "create")
    control.clear_requests()
    renamed = unified(gateway, "PATCH", name, unified_resource, made.json()["id"],
                      json=RENAMES[unified_resource](marker))
    assert renamed.status_code == 200, renamed.text
    native_update = sent_for(control, name, resource, "update", made.json()["id"])

    # create: the same native body through the proxy, unchanged (or, with `request`, the example's inputs)
    if takes_inputs(name, resource, "create"):
        query, body = example_inputs(name, resource, "create", marker + "p", native_create)
    else:
        query, body = {}, json.loads(json.dumps(native_create["body"]).replace(marker, marker + "p"))
    control.clear_requests()
    created = proxy(gateway, "POST", name, resource, json_body=body, params={**query, "via": "proxy"})
    assert created.status_code // 100 == 2, created.text
    assert created.status_code != 204
    received = sent_for(control, name, resource, "create")
    if takes_inputs(name, resource, "create"):
        assert_inputs_sent(received, query, body)  # `via` is an input too: not forwarded
    else:
        assert received["body"] == body
        assert ("via", "proxy") in received["query_params"]
    assert all(k != "integrated_account_id" for k, _ in received["query_params"])
    record_id = native_id(name, unified_resource, "create", created.json())
    assert marker + "p" in created.text or SPECS[name].mappings[("crm", unified_resource)].methods["create"].read_back

    # get: the CRM's record as it answers it
    got = proxy(gateway, "GET", name, f"{resource}/{record_id}")
    assert got.status_code == 200, got.text
    assert marker + "p" in got.text
    assert native_id(name, unified_resource, "get", got.json()) == record_id

    # update: the unified mapping's native update body, renaming this record
    if takes_inputs(name, resource, "update"):
        query, update_body = example_inputs(name, resource, "update", marker + "q", native_update)
    else:
        query, update_body = {}, with_id(json.loads(json.dumps(native_update["body"]).replace(marker, marker + "q")),
                                         made.json()["id"], record_id)
    control.clear_requests()
    updated = proxy(gateway, "PATCH", name, f"{resource}/{record_id}", json_body=update_body, params=query)
    assert updated.status_code // 100 == 2, updated.text
    received = sent_for(control, name, resource, "update", record_id)
    if takes_inputs(name, resource, "update"):
        assert_inputs_sent(received, query, update_body, record_id)
    else:
        assert received["body"] == update_body
    assert marker + "q" in proxy(gateway, "GET", name, f"{resource}/{record_id}").text

    # delete: 200 with the CRM's body, `{}` for an empty one (Truto's SDKs parse JSON)
    control.clear_requests()
    deleted = proxy(gateway, "DELETE", name, f"{resource}/{record_id}")
    assert deleted.status_code == 200, deleted.text
    if takes_inputs(name, resource, "delete"):
        assert_inputs_sent(sent_for(control, name, resource, "delete", record_id), record_id)
    assert deleted.headers["content-type"].startswith("application/")
    assert isinstance(deleted.json(), (dict, list))
    assert unified(gateway, "GET", name, unified_resource, record_id).status_code == 404
    unified(gateway, "DELETE", name, unified_resource, made.json()["id"])


@pytest.mark.skipif(not NOT_OFFERED, reason="every CRM method declares its proxy request today; "
                    "test_a_method_without_a_proxy_form_is_refused_with_the_custom_route covers the refusal")
@pytest.mark.parametrize("name, resource, method", NOT_OFFERED or [("", "", "")])
def test_a_method_only_a_unified_mapping_can_build_points_to_the_custom_api(gateway, sandbox, name, resource, method):
    control = sandbox.control(name)
    control.clear_requests()
    http = {"list": ("GET", resource), "get": ("GET", f"{resource}/1"), "create": ("POST", resource),
            "update": ("PATCH", f"{resource}/1"), "delete": ("DELETE", f"{resource}/1")}[method]
    response = proxy(gateway, http[0], name, http[1], json_body={} if http[0] in ("POST", "PATCH") else None)
    assert response.status_code == 405, response.text
    assert "/custom/" in response.json()["message"]
    assert control.requests() == []
    listed = gateway.admin("GET", f"/integration/{name}").json()["proxy"]
    assert method in next(p for p in listed if p["resource"] == resource)["not_offered"]


def test_a_method_without_a_proxy_form_is_refused_with_the_custom_route():
    """A method whose id travels inside a request document and that declares no `request:` has no proxy
    form: the proxy answers 405 pointing at the custom route, and the integration's listing says why."""
    monday = SPECS["monday"]
    resource = next(r for r, methods in monday.resources.items() if "get" in methods and methods["get"].request)
    without = dataclasses.replace(monday.resources[resource]["get"], request=None)
    stripped = dataclasses.replace(monday, resources={**monday.resources, resource: {
        **monday.resources[resource], "get": without}})
    assert unavailable_reason(without) is not None
    with pytest.raises(GatewayError) as refused:
        resolve(stripped, resource, "get")
    assert refused.value.status == 405
    assert f"/custom{without.path}" in str(refused.value)
    assert resolve(monday, resource, "get") is monday.resources[resource]["get"]
    listed = next(p for p in proxy_json(stripped) if p["resource"] == resource)
    assert "get" in listed["not_offered"] and all(m["method"] != "get" for m in listed["methods"])


INPUT_METHODS = sorted({(o[0], o[2], m) for o in OBJECTS for m in STANDARD_METHODS
                        if takes_inputs(o[0], o[2], m) and SPECS[o[0]].resources[o[2]][m].example})


@pytest.mark.parametrize("name, resource, method", INPUT_METHODS, ids=[f"{n}-{r}-{m}" for n, r, m in INPUT_METHODS])
def test_a_method_the_gateway_writes_names_the_inputs_it_lacks(gateway, sandbox, name, resource, method):
    control = sandbox.control(name)
    control.clear_requests()
    http = {"list": ("GET", resource), "get": ("GET", f"{resource}/1"), "create": ("POST", resource),
            "update": ("PATCH", f"{resource}/1"), "delete": ("DELETE", f"{resource}/1")}[method]
    example = SPECS[name].resources[resource][method].example or {}
    response = proxy(gateway, http[0], name, http[1], json_body={} if http[0] in ("POST", "PATCH") else None)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["statusCode"] == 400 and "truto_is_remote_error" not in body
    # the message names what to send: every key of the example
    for key in [*example.get("query", {}), *(example.get("body") or {})]:
        assert key in body["message"], body["message"]
    assert control.requests() == []


UPDATES_BY_INPUTS = [o for o in OBJECTS if takes_inputs(o[0], o[2], "update")]


@pytest.mark.parametrize("name, unified_resource, resource", UPDATES_BY_INPUTS, ids=ids(UPDATES_BY_INPUTS))
def test_a_written_request_the_crm_refuses_is_its_error(gateway, sandbox, name, unified_resource, resource):
    """An update of a record the CRM does not have: the request the gateway wrote reaches the CRM, and
    its refusal comes back as the error envelope with the CRM's answer."""
    control = sandbox.control(name)
    control.clear_requests()
    assert unified(gateway, "GET", name, unified_resource, params={"limit": 1}).status_code == 200
    query, body = example_inputs(name, resource, "update", "x", sent_for(control, name, resource, "list"))
    control.clear_requests()
    response = proxy(gateway, "PATCH", name, f"{resource}/999999999", json_body=body, params=query)
    error = assert_remote_error(response, 404)
    assert error["raw_response"]
    assert_inputs_sent(sent_for(control, name, resource, "update", "999999999"), "999999999", body)


def test_the_integration_lists_its_proxy_resources(gateway):
    for name in INTEGRATIONS:
        listed = {p["resource"]: p for p in gateway.admin("GET", f"/integration/{name}").json()["proxy"]}
        assert set(listed) == set(SPECS[name].resources)
        for resource, entry in listed.items():
            names = {m["method"] for m in entry["methods"]} | set(entry["not_offered"])
            assert names == set(SPECS[name].resources[resource])
            for m in entry["methods"]:  # a method the gateway writes shows what the caller sends
                assert m.get("example") == SPECS[name].resources[resource][m["method"]].example
    hubspot = {p["resource"]: p for p in gateway.admin("GET", "/integration/hubspot").json()["proxy"]}
    assert {"method": "get", "route": "GET /proxy/companies/{id}"} in hubspot["companies"]["methods"]


# -- query, ids, routes -----------------------------------------------------------------------------------

def test_query_parameters_reach_the_crm_and_the_gateways_own_do_not(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    response = requests.get(f"{gateway.url}/proxy/companies?integrated_account_id={gateway.accounts['hubspot']}"
                            "&limit=3&properties=name&properties=domain&archived=false&truto_ignore_remote_data=true"
                            "&filter%5Bname%5D=a%20b", headers=gateway.headers, timeout=10)
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]) == 3
    (sent,) = control.requests()
    assert sorted(tuple(p) for p in sent["query_params"]) == [("archived", "false"), ("filter[name]", "a b"),
                                                              ("limit", "3"), ("properties", "domain"),
                                                              ("properties", "name")]
    assert [v for k, v in sent["query_params"] if k == "properties"] == ["name", "domain"]  # repeated, in order


def test_the_crms_own_paging_parameters_are_the_gateways(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    response = proxy(gateway, "GET", "hubspot", "companies", params={"after": "5"})
    assert response.status_code == 400
    assert "next_cursor" in response.json()["message"]
    assert control.requests() == []


@pytest.mark.parametrize("sent, received", [("a%2Fb", "a%2Fb"), ("%2E%2E", "%2E%2E"), ("a%20b%3Fc", "a%20b%3Fc")])
def test_an_id_is_one_path_segment(gateway, sandbox, sent, received):
    control = sandbox.control("hubspot")
    control.clear_requests()
    response = requests.get(f"{gateway.url}/proxy/companies/{sent}", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": gateway.accounts["hubspot"]})
    assert_remote_error(response, 404)
    (request,) = control.requests()
    assert request["raw_path"] == f"/hubspot/crm/v3/objects/companies/{received}"


def test_unknown_resources_and_methods_name_what_exists(gateway, sandbox):
    sandbox.control("hubspot").clear_requests()
    unknown = proxy(gateway, "GET", "hubspot", "widgets")
    assert unknown.status_code == 404 and "companies" in unknown.json()["message"]
    method = proxy(gateway, "POST", "hubspot", "companies/merge", json_body={})
    assert method.status_code == 404 and "list (GET /proxy/companies)" in method.json()["message"]
    verb = proxy(gateway, "PUT", "hubspot", "companies/1", json_body={})
    assert verb.status_code == 405 and "PATCH" in verb.json()["message"]
    collection = proxy(gateway, "DELETE", "hubspot", "companies")
    assert collection.status_code == 405
    assert sandbox.control("hubspot").requests() == []
    # A resource of another integration is unknown on this account.
    assert proxy(gateway, "GET", "hubspot", "organizations").status_code == 404


def test_a_custom_method_runs_the_declared_provider_method(gateway, sandbox):
    """nutshell's accounts.industries (GET /rest/industries) and monday's items.boards (a GraphQL query)."""
    nutshell = sandbox.control("nutshell")
    nutshell.clear_requests()
    industries = proxy(gateway, "POST", "nutshell", "accounts/industries", json_body={}, params={"q": "x"})
    assert industries.status_code == 200, industries.text
    assert isinstance(industries.json(), (list, dict))
    (sent,) = nutshell.requests()
    assert (sent["method"], sent["path"], sent["query_params"]) == ("GET", "/nutshell/rest/industries", [["q", "x"]])
    refused = proxy(gateway, "POST", "nutshell", "accounts/industries", json_body={"a": 1})
    assert refused.status_code == 400 and "query string" in refused.json()["message"]

    monday = sandbox.control("monday")
    monday.clear_requests()
    document = {"query": "query { boards(limit: 10) { id name } }"}
    boards = proxy(gateway, "POST", "monday", "items/boards", json_body=document)
    assert boards.status_code == 200, boards.text
    assert {b["name"] for b in boards.json()["data"]["boards"]} >= {"Accounts"}
    (sent,) = monday.requests()
    assert (sent["method"], sent["path"], sent["body"]) == ("POST", "/monday/v2", document)


# -- errors, refresh, idempotency, isolation -------------------------------------------------------------------

def test_a_crm_error_is_the_error_envelope(gateway, sandbox):
    control = sandbox.control("pipedrive")
    problem = {"success": False, "error": "Field 'name' is required", "code": "ERR_VALIDATION"}
    control.fault(status=400, body=problem, method="POST", times=1)
    try:
        response = proxy(gateway, "POST", "pipedrive", "organizations", json_body={"visible_to": 3})
    finally:
        control.clear_faults()
    body = assert_remote_error(response, 400)
    assert body["raw_response"] == problem
    assert "Field 'name' is required" in body["message"]


@pytest.mark.parametrize("name", ["hubspot", "pipedrive"])
def test_rate_limit_headers_are_normalized(gateway, name):
    resource = next(r for n, _, r in OBJECTS if n == name)
    response = proxy(gateway, "GET", name, resource, params={"limit": 1})
    for header in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert response.headers[header].isdigit(), (header, response.headers)
    assert "provider;dur=" in response.headers["server-timing"]


def test_a_provider_401_refreshes_the_token_once_and_repeats_the_call(gateway, sandbox):
    hubspot = sandbox.control("hubspot")
    oauth_gateway = OAuthGateway(gateway.url, gateway.token, gateway.settings)
    account_id = connect(oauth_gateway, "hubspot")
    hubspot.oauth(expire_all=True)
    hubspot.clear_requests()
    name = f"Refreshed Proxy {uuid.uuid4().hex[:6]}"
    created = proxy(gateway, "POST", "hubspot", "companies", account=account_id,
                    json_body={"properties": {"name": name}})
    assert created.status_code == 201, created.text
    assert hubspot.oauth_stats()["refresh_requests"] == 1
    assert "retries;desc=1" in created.headers["server-timing"]
    creates = [r for r in hubspot.requests() if r["method"] == "POST" and "/oauth" not in r["path"]]
    assert len(creates) == 2
    assert creates[0]["headers"]["authorization"] != creates[1]["headers"]["authorization"]
    # A connected sandbox account has a data space of its own, named by its tokens.
    space = space_key_of(oauth_gateway.stored_context(account_id)["access_token"])
    assert [r.get("properties", {}).get("name") for r in hubspot.records(space=space)].count(name) == 1
    gateway.admin("DELETE", f"/integrated-account/{account_id}")


def test_idempotency_key_replays_a_proxy_create(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    key = str(uuid.uuid4())
    body = {"properties": {"name": f"Once {key[:6]}"}}
    headers = {**gateway.headers, "Idempotency-Key": key}
    first = proxy(gateway, "POST", "hubspot", "companies", json_body=body, headers=headers)
    second = proxy(gateway, "POST", "hubspot", "companies", json_body=body, headers=headers)
    assert first.status_code == second.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert len([r for r in control.requests() if r["method"] == "POST"]) == 1
    other = proxy(gateway, "POST", "hubspot", "companies", json_body={"properties": {"name": "Else"}}, headers=headers)
    assert other.status_code == 422


PROXY_CALLS = [("GET", "", None), ("POST", "", {"properties": {"name": "x"}}), ("GET", "/1", None),
               ("PATCH", "/1", {"properties": {"name": "y"}}), ("DELETE", "/1", None)]


@pytest.mark.parametrize("method, suffix, body", PROXY_CALLS)
def test_another_environments_account_is_unknown(gateway, sandbox, method, suffix, body):
    control = sandbox.control("hubspot")
    control.clear_requests()
    other = {"Authorization": f"Bearer {gateway.other_token}"}
    unknown_id = str(uuid.uuid4())
    theirs = proxy(gateway, method, "hubspot", f"companies{suffix}", json_body=body, headers=other)
    unknown = proxy(gateway, method, "hubspot", f"companies{suffix}", json_body=body, headers=other,
                    account=unknown_id)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text.replace(gateway.accounts["hubspot"], "<id>") == unknown.text.replace(unknown_id, "<id>")
    assert control.requests() == []


def test_a_body_over_the_limit_is_413(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    big = {"properties": {"name": "x" * (gateway.settings.max_body_bytes + 1)}}
    response = proxy(gateway, "POST", "hubspot", "companies", json_body=big)
    assert response.status_code == 413
    assert control.requests() == []


def test_the_gateways_rate_limit_counts_proxy_and_custom_calls(sandbox, tmp_path):
    """One budget per integrated account across /unified, /proxy and /custom (docs/api.md, "Gateway rate limits")."""
    with gateway_database("unigate_proxy_limits") as database_url:
        settings = Settings(data_dir=tmp_path, database_url=database_url, secret_key=None, sandbox_url=sandbox.url,
                            limit_per_account="3/1h")
        running = start_gateway(settings, make_tokens(settings, ["proxy-limits"]))
        try:
            tenant = running.tenants[0]
            account_id = add_account(running, tenant)
            clear_of_window_edge(3600.0)
            query = {"integrated_account_id": account_id, "limit": 1}
            calls = [f"{running.url}/unified/crm/accounts", f"{running.url}/proxy/companies",
                     f"{running.url}/custom/crm/v3/objects/companies"]
            assert [requests.get(url, params=query, headers=tenant.headers, timeout=10).status_code
                    for url in calls] == [200, 200, 200]
            control = sandbox.control("hubspot")
            control.clear_requests()
            for url in calls[1:]:
                limited = requests.get(url, params=query, headers=tenant.headers, timeout=10)
                assert limited.status_code == 429, limited.text
                assert "integrated account" in limited.json()["message"]
                assert "truto_is_remote_error" not in limited.json()
            assert control.requests() == []
        finally:
            running.stop()
