"""The fault matrix: every (integration, resource) x every provider fault x every unified method, end to end over
loopback HTTP (gateway -> sandbox), with the retry policy of docs/api.md "Retries and faults".

Each cell queues one fault that fires once, on exactly the provider call the unified method makes
(HTTP method and path, or for monday's GraphQL the operation in the body), then asserts:
- the unified answer: a success, or the documented error `{statusCode, error, message}` with
  `truto_is_remote_error` when the provider answered, and `Retry-After` on a 429;
- how many times the sandbox received that call: twice when the policy retries it (GET and DELETE;
  a PUT whose connection closed before any answer), exactly once for POST and PATCH;
- that a create was never performed twice (the sandbox's records);
- that the gateway keeps serving (a normal list answers 200).

Statuses: docs/api.md "Errors", after Truto's (https://www.truto.one/docs/api-reference/overview/errors:
provider 5xx and unreachable providers are 502/504, a 429 carries the provider's Retry-After, 401 stays
401 and is remote).

Which cells run where. The provider call is one layer per CRM (engine/provider_call.py): how it
retries, times out, meets a dropped connection, a 429 or 503, a body that is not JSON, an HTML error
page or an expired token is the same code and the same CRM error rules whatever the resource. What a
resource changes is its mapping: which provider path (or GraphQL operation) each unified method calls,
with which HTTP method (and so whether it may be sent again), what the CRM does with its writes, and
the records it maps. So:
- each integration's provider-layer pair (`support.provider_layer_resource`: its accounts) runs the
  full matrix, every fault kind x every method;
- every other registered resource of that integration runs the cells that exercise its own mapping
  and write semantics (`RESOURCE_CELLS`): a 503 on each method (the fault matches only the method's
  own path or operation, and the call is sent twice or once by its HTTP method), a dropped connection
  on create and update (never sent twice, a PUT once more only when nothing was answered; no double
  create), a JSON answer cut short on get and create (its record mapping never sees half a record; a
  create the CRM answered was applied once), and a connection dropped mid-answer on delete (the CRM's
  own answer to deleting a record that is gone).
A new resource thus adds 10 cells per CRM, not 50. The retry-policy tests below the cells are about the
gateway's transport, not a resource, so they run on each integration's accounts only.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import quote

import oauth_support
import orjson
import pytest
import requests
from prometheus_client import REGISTRY
from support import (
    INTEGRATIONS,
    REGISTERED,
    SPECS,
    gateway_database,
    is_provider_layer_pair,
    label_field,
    linked_records,
    mapping,
    resource_case,
    sample_write_body,
    shared_sandbox,
    supports,
)

from unigate.app import create_app
from unigate.cli import create_token
from unigate.errors import reason_phrase
from unigate.serving import start_in_thread
from unigate.settings import Settings

METHODS = ("list", "get", "create", "update", "delete")
READ_TIMEOUT = 0.75
BUDGET = 2.0
RETRIES = 3
# Far over the budget: the gateway must answer 429 at once rather than wait.
LONG_RETRY_AFTER = 30

FAULTS: dict[str, dict] = {
    "503": {"status": 503, "body": {"message": "Service Unavailable"}},
    "429": {"status": 429, "body": {"message": "Too many requests"}, "headers": {"Retry-After": str(LONG_RETRY_AFTER)}},
    # No answer within the read timeout; the request reaches the emulator later.
    "timeout": {"delay": READ_TIMEOUT * 4},
    "reset": {"kind": "reset"},
    "reset_mid_answer": {"kind": "reset", "mid_answer": True},
    "truncated_json": {"kind": "truncated_json"},
    "malformed_json": {"kind": "malformed_json"},
    "html": {"kind": "html", "status": 503},
    "error_in_200": {"kind": "error_in_200"},
    "expired_token": {"kind": "expired_token"},
}
# Which CRMs put an error inside a 200 (monday's GraphQL errors, https://developer.monday.com/api-reference/docs/error-handling).
# The others answer errors with real HTTP statuses, and their sandboxes refuse the fault.
ERROR_IN_200 = {"monday"}
# Where every unified method calls one path (a GraphQL endpoint), the path cannot tell the calls apart: the
# fault matches the operation in the body instead, one per unified method (from the mapping file).
# Every monday resource kept as a board's items (accounts, contacts, deals) is called the same way.
MONDAY_ITEM_OPERATIONS = {"list": "items_page(limit: $limit)", "get": "query_params", "create": "create_item",
                          "update": "change_multiple_column_values", "delete": "delete_item"}
GRAPHQL_OPERATIONS = {("monday", resource): MONDAY_ITEM_OPERATIONS for name, resource in REGISTERED
                      if name == "monday" and mapping(name, resource).methods["list"].resource == "items"}
# monday notes are item updates (https://developer.monday.com/api-reference/reference/updates).
GRAPHQL_OPERATIONS[("monday", "notes")] = {"list": "updates(limit: $limit", "get": "updates(ids: $ids)",
                                           "create": "create_update", "update": "edit_update",
                                           "delete": "delete_update"}
# monday fields are board columns (https://developer.monday.com/api-reference/reference/columns).
GRAPHQL_OPERATIONS[("monday", "fields")] = {"list": "columns(ids: $columns)", "get": "columns(ids: $columns)",
                                            "create": "create_column", "update": "change_column_title",
                                            "delete": "delete_column"}
# A call whose path a step before it shares (a JSON-RPC endpoint read, then written): the fault matches the
# call's operation in the body too. Nutshell deletes an activity with getActivity, then deleteActivity.
SHARED_PATH_OPERATIONS = {("nutshell", "engagements", "delete"): "deleteActivity"}


@dataclass
class Gateway:
    url: str
    headers: dict[str, str]
    accounts: dict[str, str]
    token: str
    settings: Settings

    def unified(self, method: str, name: str, record_id: str | None = None, *, resource: str = "accounts",
                params=None, json=None, **kwargs) -> requests.Response:
        url = f"{self.url}/unified/crm/{resource}" + (f"/{quote(record_id, safe='')}" if record_id is not None else "")
        # The resource's own query parameters as the shared gateway helper sends them (crm/fields' `entity`).
        query = {"integrated_account_id": self.accounts[name], **resource_case(resource).query, **(params or {})}
        return requests.request(method, url, params=query, json=json, headers=self.headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def gateway(sandbox, tmp_path_factory) -> Gateway:
    """A gateway with short timeouts, a small backoff and a 2-second budget, so the matrix stays fast."""
    with gateway_database("unigate_faults") as database_url:
        settings = Settings(data_dir=tmp_path_factory.mktemp("fault-gateway"), database_url=database_url,
                            secret_key=None, sandbox_url=sandbox.url, connect_timeout=1.0, read_timeout=READ_TIMEOUT,
                            cache_ttl=60.0, retries=RETRIES, retry_base_delay=0.005, retry_max_delay=0.05,
                            retry_budget=BUDGET)
        token = asyncio.run(create_token(settings, "faults", "fault-env"))
        server = start_in_thread(create_app(settings))
        client = Gateway(server.url, {"Authorization": f"Bearer {token}"}, {}, token, settings)
        try:
            for name in INTEGRATIONS:
                response = requests.post(f"{server.url}/integrated-account", headers=client.headers, timeout=30,
                                         json={**shared_sandbox(name), "tenant_id": "faults"})
                assert response.status_code == 201, response.text
                client.accounts[name] = response.json()["id"]
            yield client
        finally:
            server.stop()


@pytest.fixture(scope="module")
def seeded(gateway, sandbox):
    """Per (integration, resource), a fresh seed and its first records: one per delete cell, the first shared."""
    records: dict[tuple[str, str], list[dict]] = {}

    def for_resource(name: str, resource: str) -> list[dict]:
        if (name, resource) not in records:
            if not any(n == name for n, _ in records):  # once per CRM: a reset reseeds all its resources
                sandbox.control(name).reset()
            # A full page: a CRM's deletable records (its custom fields) may come after its standard ones.
            response = gateway.unified("GET", name, params={"limit": 100}, resource=resource)
            assert response.status_code == 200, response.text
            records[(name, resource)] = response.json()["result"]
            assert len(records[(name, resource)]) > len(FAULTS), f"{name}: too few seeded {resource} for the matrix"
        return records[(name, resource)]

    return for_resource


def provider_call(name: str, method: str, record_id: str | None, resource: str = "accounts") -> tuple[str, dict]:
    """The HTTP method of the provider call a unified method makes, and the fault fields that match it only."""
    mm = mapping(name, resource).methods[method]
    resource_method = SPECS[name].resource_method(mm.resource, mm.method)
    if (name, resource) in GRAPHQL_OPERATIONS:
        return resource_method.http_method, {"body_contains": GRAPHQL_OPERATIONS[(name, resource)][method]}
    paths = {SPECS[name].resource_method(m.resource, m.method).path for m in mapping(name, resource).methods.values()}
    # One path for every method is a GraphQL endpoint, unless the resource only reads: a list and a get
    # answered from one provider list (HubSpot's stages, read out of the pipelines) are one call per cell.
    read_only = set(mapping(name, resource).methods) <= {"list", "get"}
    assert len(paths) > 1 or read_only, \
        f"{name}-{resource}: one path for every method; add its operations to GRAPHQL_OPERATIONS"
    path = resource_method.path.replace("{{id}}", quote(record_id or "", safe=""))
    # A segment a mapping looks up first (`{{steps.<name>...}}`, HubSpot's stage paths): match what follows it.
    path = re.split(r"\{\{\s*steps\.[^}]*\}\}", path)[-1]
    operation = SHARED_PATH_OPERATIONS.get((name, resource, method))
    if operation is not None:
        return resource_method.http_method, {"path_endswith": path, "body_contains": operation}
    return resource_method.http_method, {"path_endswith": path}


def calls_to(requests_seen: list[dict], http_method: str, match: dict) -> int:
    count = 0
    for seen in requests_seen:
        if seen["method"] != http_method:
            continue
        if "path_endswith" in match and not seen["path"].endswith(match["path_endswith"]):
            continue
        if "body_contains" in match and match["body_contains"] not in orjson.dumps(seen["body"]).decode():
            continue
        count += 1
    return count


def sandbox_secrets(name: str) -> list[str]:
    spec = SPECS[name]
    return [str(spec.sandbox_context[f.name]) for f in spec.auth[0].fields
            if f.secret and spec.sandbox_context.get(f.name)]


@dataclass
class Expected:
    status: int | tuple[int, ...]     # 200 for a success
    calls: int                        # provider calls the sandbox receives
    remote: bool = False              # truto_is_remote_error
    retry_after: str | None = None
    created: tuple[int, ...] = (1,)   # records a create leaves in the CRM


def declared_safe(name: str, method: str, resource: str = "accounts") -> bool:
    """The integration marks this provider call a read sent as POST (`safe_to_repeat`: monday's
    GraphQL queries, Copper's search), so it is retried like a GET."""
    mapped = mapping(name, resource).methods[method]
    return SPECS[name].resource_method(mapped.resource, mapped.method).safe_to_repeat


def expected(kind: str, http_method: str, method: str, safe: bool = False) -> Expected:
    retried = http_method in ("GET", "DELETE") or safe
    if kind in ("503", "html"):
        # 503 is retried for safe methods; the second call succeeds.
        return Expected(200, 2) if retried else Expected(502, 1, remote=True, created=(0,))
    if kind == "429":
        return Expected(429, 1, remote=True, retry_after=str(LONG_RETRY_AFTER), created=(0,))
    if kind == "timeout":
        # The late call still reaches the emulator after the gateway gave up: at most one record.
        return Expected(200, 2) if retried else Expected(504, 1, created=(0, 1))
    if kind == "reset":
        if retried or http_method == "PUT":  # a PUT is resent once when the connection closed unanswered
            return Expected(200, 2)
        return Expected(502, 1, created=(0,))
    if kind == "reset_mid_answer":
        if retried:
            # The first DELETE was applied before the drop: the second finds nothing to delete,
            # which each CRM answers in its own way (success again, or 404).
            return Expected((200, 404) if method == "delete" else 200, 2, remote=method == "delete")
        return Expected(502, 1, created=(1,))
    if kind in ("truncated_json", "malformed_json"):
        # The emulator did the work; its answer could not be read. Never retried: it was a 200.
        return Expected(502, 1, remote=True, created=(1,))
    if kind == "error_in_200":
        # monday: ComplexityException inside a 200 -> 429 (integrations/monday/integration.yaml errors.status).
        return Expected(429, 1, remote=True, created=(0,))
    if kind == "expired_token":
        return Expected(401, 1, remote=True, created=(0,))
    raise AssertionError(kind)


def stored_records(control, resource: str) -> list[dict]:
    """What the emulated CRM stores of `resource` (the control API's records take the resource once
    emulators hold more than accounts)."""
    return control.records() if resource == "accounts" else control.records(resource)


# The cells every registered resource runs besides its CRM's provider-layer pair (see the module docstring).
RESOURCE_CELLS: dict[str, tuple[str, ...]] = {
    "503": METHODS,
    "reset": ("create", "update"),
    "truncated_json": ("get", "create"),
    "reset_mid_answer": ("delete",),
}


def cells_of(name: str, resource: str) -> list[tuple[str, str]]:
    """(kind, method) cells of one registered pair."""
    if is_provider_layer_pair(name, resource):
        return [(kind, method) for kind in FAULTS for method in METHODS]
    return [(kind, method) for kind in FAULTS for method in RESOURCE_CELLS.get(kind, ())]


CELLS = [pytest.param(name, resource, kind, method, id=f"{name}-{resource}-{kind}-{method}")
         for name, resource in REGISTERED for kind, method in cells_of(name, resource)]


@pytest.mark.parametrize(("name", "resource", "kind", "method"), CELLS)
def test_fault_cell(gateway, sandbox, seeded, name, resource, kind, method):
    if not supports(name, method, resource):
        pytest.skip(f"{name} has no {method} of {resource}")
    if kind == "error_in_200" and name not in ERROR_IN_200:
        pytest.skip(f"{name} answers errors with HTTP statuses, never inside a 200")
    records = seeded(name, resource)
    ids = [record["id"] for record in records]
    ctl = sandbox.control(name)
    ctl.clear_faults()
    # Each delete cell removes a record of its own, one the resource lets go (a CRM keeps its standard fields):
    # the kind's place among all faults where there are enough (the records other cells link to stay), else its
    # place among the pair's delete cells.
    deletable = [record["id"] for record in records[1:] if resource_case(resource).deletable(record)]
    delete_kinds = [k for k, m in cells_of(name, resource) if m == "delete"]
    assert len(deletable) >= len(delete_kinds), f"{name}: too few deletable seeded {resource} for the matrix"
    spread = len(deletable) > max((list(FAULTS).index(k) for k in delete_kinds), default=0)
    if method == "delete":
        record_id = deletable[list(FAULTS).index(kind) if spread else delete_kinds.index(kind)]
    else:
        record_id = ids[0] if method in ("get", "update") else None
    http_method, match = provider_call(name, method, record_id, resource)
    marker = f"Fault {kind} {uuid.uuid4().hex[:8]}"
    label = label_field(name, resource)
    # Looked up before the fault is queued, so only the cell's own call meets it.
    links = linked_records(gateway, name, resource) if method == "create" else {}
    ctl.clear_requests()
    ctl.fault(**FAULTS[kind], method=http_method, **match)

    if method == "list":
        response = gateway.unified("GET", name, params={"limit": 3}, resource=resource)
    elif method == "get":
        response = gateway.unified("GET", name, record_id, resource=resource)
    elif method == "create":
        # A create the CRM accepts (Pipeliner, for one, needs an owner): every writable field.
        response = gateway.unified("POST", name, resource=resource,
                                   json={**sample_write_body(name, records[0], resource, links), label: marker})
    elif method == "update":
        response = gateway.unified("PATCH", name, record_id, json={label: marker}, resource=resource)
    else:
        response = gateway.unified("DELETE", name, record_id, resource=resource)

    want = expected(kind, http_method, method, declared_safe(name, method, resource))
    where = f"{name}-{resource} {kind} {method}"
    if isinstance(want.status, tuple):
        # reset_mid_answer on a delete: the CRM's own answer to deleting what is gone (see expected()).
        assert response.status_code in want.status, f"{where}: {response.status_code} {response.text[:300]}"
    else:
        assert response.status_code == want.status, f"{where}: {response.status_code} {response.text[:300]}"
    body = response.json()
    if response.status_code == 200:
        if method == "list":
            assert body["result"] and body["result_count"] == len(body["result"])
        else:
            assert body["id"]
    else:
        for secret in sandbox_secrets(name):  # not even inside a provider's echoed error
            assert secret not in response.text
        assert body["statusCode"] == response.status_code
        assert body["error"] == reason_phrase(response.status_code)
        assert isinstance(body["message"], str) and len(body["message"]) > 20
        assert body.get("truto_is_remote_error", False) is want.remote, body
        if want.retry_after is not None:
            assert response.headers["retry-after"] == want.retry_after
            assert body["truto_error_insight"]["rate_limit_error"]

    seen = ctl.requests()
    assert calls_to(seen, http_method, match) == want.calls, \
        f"{where}: {[(r['method'], r['path']) for r in seen]}"
    if method == "create":
        created = sum(1 for record in stored_records(ctl, resource) if marker in orjson.dumps(record).decode())
        assert created in want.created, f"{where}: {created} records created"
    if method == "delete" and response.status_code == 200:
        assert gateway.unified("GET", name, record_id, resource=resource).status_code == 404
    # The gateway keeps serving.
    ctl.clear_faults()
    assert gateway.unified("GET", name, params={"limit": 1}, resource=resource).status_code == 200


# -- Retry-After and the wait budget -------------------------------------------------------------------
# The retry policy belongs to the gateway's transport, whatever the resource: these run on each CRM's
# accounts list only (a second resource would repeat the same provider call on another path).

def list_call(name: str) -> tuple[str, dict]:
    return provider_call(name, "list", None)


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_retry_after_beyond_the_budget_answers_429_at_once(gateway, sandbox, name):
    """A provider wait longer than the budget is not waited for: 429 at once, its wait as Retry-After
    (an HTTP date here, answered in whole seconds)."""
    ctl = sandbox.control(name)
    ctl.clear_faults()
    ctl.clear_requests()
    http_method, match = list_call(name)
    ctl.fault(status=429, body={"message": "slow down"}, method=http_method, times=-1, **match,
              headers={"Retry-After": formatdate(time.time() + 120, usegmt=True)})
    try:
        response = gateway.unified("GET", name, params={"limit": 2})
    finally:
        ctl.clear_faults()
    assert response.status_code == 429, response.text
    assert 100 <= int(response.headers["retry-after"]) <= 121
    assert response.json()["truto_is_remote_error"] is True
    assert calls_to(ctl.requests(), http_method, match) == 1


def short_wait_header(name: str) -> tuple[str, str]:
    """The integration's last declared wait header (its own reset header when it has one), set to about 1 s."""
    header, fmt = SPECS[name].rate_limit.retry_after[-1]
    now = time.time()
    value = {"http": "1", "seconds": "1", "milliseconds": "1000", "epoch_seconds": str(int(now) + 1),
             "epoch_milliseconds": str(int((now + 1) * 1000))}[fmt]
    return header, value


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_short_retry_after_is_waited_for_and_succeeds(gateway, sandbox, name):
    """A 429 whose wait fits in the budget is waited for, then the call succeeds (each CRM's declared header)."""
    http_method, match = list_call(name)
    if http_method != "GET" and not declared_safe(name, "list"):
        pytest.skip(f"{name} lists with {http_method}, which is never sent twice")
    ctl = sandbox.control(name)
    ctl.clear_faults()
    ctl.clear_requests()
    header, value = short_wait_header(name)
    before_retries = REGISTRY.get_sample_value("unigate_provider_retries_total",
                                               {"integration": name, "reason": "429"}) or 0.0
    ctl.fault(status=429, body={"message": "slow down"}, headers={header: value}, method=http_method, **match)
    response = gateway.unified("GET", name, params={"limit": 2})
    assert response.status_code == 200, response.text
    assert response.json()["result"]
    assert "retries;desc=1" in response.headers["server-timing"]
    assert calls_to(ctl.requests(), http_method, match) == 2
    assert REGISTRY.get_sample_value("unigate_provider_retries_total",
                                     {"integration": name, "reason": "429"}) == before_retries + 1


def test_retries_stop_at_the_configured_count(gateway, sandbox):
    """A provider that keeps failing is called 1 + RETRIES times, then its error is answered."""
    ctl = sandbox.control("hubspot")
    ctl.clear_faults()
    ctl.clear_requests()
    http_method, match = list_call("hubspot")
    ctl.fault(status=503, body={"message": "down"}, times=-1, method=http_method, **match)
    try:
        response = gateway.unified("GET", "hubspot", params={"limit": 2})
    finally:
        ctl.clear_faults()
    assert response.status_code == 502
    assert response.json()["raw_response"] == {"message": "down"}
    assert calls_to(ctl.requests(), http_method, match) == 1 + RETRIES


def test_a_wait_that_no_longer_fits_the_budget_is_not_taken(gateway, sandbox):
    """With a 2 s budget, a 503 asking for 1 s is waited for once; the second 1 s would end past the
    budget, so the second 503 is answered at once, with its Retry-After."""
    ctl = sandbox.control("hubspot")
    ctl.clear_faults()
    ctl.clear_requests()
    http_method, match = list_call("hubspot")
    ctl.fault(status=503, body={"message": "down"}, headers={"Retry-After": "1"}, times=-1, method=http_method,
              **match)
    try:
        response = gateway.unified("GET", "hubspot", params={"limit": 2})
    finally:
        ctl.clear_faults()
    assert response.status_code == 502
    assert response.headers["retry-after"] == "1"
    assert calls_to(ctl.requests(), http_method, match) == 2


# -- streaming -------------------------------------------------------------------------------------------

def test_stream_is_retried_before_its_first_byte(gateway, sandbox):
    ctl = sandbox.control("hubspot")
    ctl.clear_faults()
    ctl.clear_requests()
    http_method, match = list_call("hubspot")
    ctl.fault(kind="reset", method=http_method, **match)
    response = gateway.unified("GET", "hubspot", params={"limit": 2, "truto_response_format": "stream"})
    assert response.status_code == 200
    assert orjson.loads(response.content)["results"]
    assert calls_to(ctl.requests(), http_method, match) == 2


def test_stream_broken_mid_answer_ends_the_connection_instead_of_hanging(gateway, sandbox):
    """Once bytes reached the caller nothing can be retried or reported: the caller's connection is
    closed, so it sees an incomplete answer rather than waiting forever or reading a complete-looking one."""
    ctl = sandbox.control("hubspot")
    ctl.clear_faults()
    ctl.clear_requests()
    http_method, match = list_call("hubspot")
    ctl.fault(kind="reset", mid_answer=True, method=http_method, **match)
    response = gateway.unified("GET", "hubspot", params={"limit": 20, "truto_response_format": "stream"},
                               stream=True)
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        b"".join(response.iter_content(chunk_size=None))
    assert calls_to(ctl.requests(), http_method, match) == 1
    assert gateway.unified("GET", "hubspot", params={"limit": 1}).status_code == 200


def test_an_expired_token_on_an_oauth_account_is_refreshed_and_the_call_repeated(gateway, sandbox):
    """`expired_token` on an account connected through OAuth: the CRM's 401 makes the gateway refresh
    the token once and send the call again (docs/api.md), so the caller gets the records."""
    ctl = sandbox.control("hubspot")
    ctl.reset()
    account_id = oauth_support.connect(oauth_support.Gateway(gateway.url, gateway.token, gateway.settings), "hubspot")
    ctl.clear_requests()
    http_method, match = list_call("hubspot")
    ctl.fault(kind="expired_token", method=http_method, **match)
    response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=30,
                            params={"integrated_account_id": account_id, "limit": 2})
    assert response.status_code == 200, response.text
    assert response.json()["result"]
    assert calls_to(ctl.requests(), http_method, match) == 2
    assert ctl.oauth_stats()["refresh_requests"] == 1
    ctl.reset()


# -- the control API ---------------------------------------------------------------------------------------

def test_control_api_refuses_unknown_fault_fields_and_kinds(sandbox):
    base = f"{sandbox.url}/__control/hubspot/faults"
    assert requests.post(base, json={"kind": "gremlins"}, timeout=5).status_code == 400
    assert requests.post(base, json={"stauts": 500}, timeout=5).status_code == 400
    refused = requests.post(base, json={"kind": "error_in_200"}, timeout=5)
    assert refused.status_code == 400 and "never" in refused.json()["error"]
    assert requests.post(f"{sandbox.url}/__control/monday/faults", json={"kind": "error_in_200", "times": 0},
                         timeout=5).status_code == 200
    requests.delete(f"{sandbox.url}/__control/monday/faults", timeout=5)
