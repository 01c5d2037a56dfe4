"""The engine's general features, on a made-up CRM served over loopback HTTP.

A tiny provider (Starlette) and an integration written for it in a temporary folder exercise what
no single real CRM shows on demand: pages emptied by a filter, runaway empty pages, a next link to
another path, errors inside 2xx answers, read-back after a write, remote_data merging.
"""

from __future__ import annotations

import asyncio
import textwrap

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from unigate.app import App
from unigate.cli import create_token
from unigate.engine import pages
from unigate.engine.accounts import prepare_account
from unigate.engine.call import Engine, UnifiedRequest, reads_only_account_steps
from unigate.engine.provider_call import CallState, ProviderCall
from unigate.engine.spec import load_integrations
from unigate.gateway import Gateway
from unigate.models import load_resources
from unigate.serving import start_in_thread
from unigate.settings import Settings
from unigate.transport import Transport

INTEGRATION = """
name: toy
label: Toy CRM
base_url: https://toy.example
sandbox: {context: {key: k}}
auth:
  - method: api_key
    fields: [{name: key, secret: true}]
    headers: '{"X-Key": context.key}'
errors:
  is_error: 'status >= 400 or $exists(response.error)'
  status: 'response.error = "missing" ? 404 : status'
resources:
  things:
    list:
      method: GET
      path: /things
      records: response.items
      pagination: {style: cursor, cursor_param: after, limit_param: size, next_cursor: response.next, max_limit: 50}
    linked:
      method: GET
      path: /linked
      records: response.items
      pagination: {style: next_url, next_url: '$linkHeader(headers.link, "next")'}
    get: {method: GET, path: "/things/{{id}}"}
    create: {method: POST, path: /things}
"""

MAPPING = """
resource: things
supports:
  methods: [list, get, create]
  fields: [id, name]
  writable: [name]
record: '{"id": response.id, "name": response.name}'
list:
  filter: 'response.kind = "org"'
create:
  body: '{"data": [{"name": body.name}]}'
  # the answer's id, else (an answer naming none) the name sent: read_back sees the unified body
  read_back: {id: '$firstNonEmpty(response.created[0], body.name)'}
"""


class ToyProvider:
    """Pages: `after` absent -> empty page with cursor p2; p2 -> only filtered-out records, cursor p3;
    p3 -> two organisations, end. `runaway` cursors never end and never match."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.bodies: list = []
        self.app = Starlette(routes=[
            Route("/toy/things", self.things, methods=["GET", "POST"]),
            Route("/toy/things/{id}", self.thing),
            Route("/toy/linked", self.linked),
        ])

    async def things(self, request: Request):
        self.calls.append(str(request.url.path) + "?" + request.url.query)
        if request.method == "POST":
            body = await request.json()
            self.bodies.append(body)
            name = (body.get("data") or [{}])[0].get("name")
            # "Gone": made, then not found by its get; "Quiet": made, with an answer that names no id
            return JSONResponse({} if name == "Quiet" else {"created": ["gone" if name == "Gone" else "o9"]})
        after = request.query_params.get("after")
        if request.query_params.get("mode") == "runaway":
            return JSONResponse({"items": [{"id": "p", "kind": "person"}], "next": f"r{len(self.calls)}"})
        if after is None:
            return JSONResponse({"items": [], "next": "p2"})
        if after == "p2":
            return JSONResponse({"items": [{"id": "x1", "kind": "person"}], "next": "p3"})
        return JSONResponse({"items": [{"id": "o1", "name": "One", "kind": "org"},
                                       {"id": "o2", "name": "Two", "kind": "org"}], "next": None})

    async def thing(self, request: Request):
        if request.path_params["id"] == "gone":
            return JSONResponse({"error": "missing"})  # an error inside a 200, as GraphQL APIs answer
        return JSONResponse({"id": request.path_params["id"], "name": "Nine"})

    async def linked(self, request: Request):
        return JSONResponse({"items": [{"id": "o1", "kind": "org"}]},
                            headers={"Link": '<https://elsewhere.example/steal?page=2>; rel="next"'})


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrations")
    (root / "toy" / "crm").mkdir(parents=True)
    (root / "toy" / "integration.yaml").write_text(textwrap.dedent(INTEGRATION))
    (root / "toy" / "crm" / "accounts.yaml").write_text(textwrap.dedent(MAPPING))
    provider = ToyProvider()
    provider_server = start_in_thread(provider.app)
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=None, secret_key=None,
                        sandbox_url=provider_server.url, read_timeout=2.0)
    token = asyncio.run(create_token(settings, "toy", "toy"))
    integrations = load_integrations(root)
    gateway_server = start_in_thread(App(Gateway(settings, integrations=integrations)))
    headers = {"Authorization": f"Bearer {token}"}
    account = requests.post(f"{gateway_server.url}/integrated-account", headers=headers, timeout=10,
                            json={"integration": "toy", "is_sandbox": True}).json()["id"]

    def call(method, suffix="", **params):
        json_body = params.pop("json", None)
        return requests.request(method, f"{gateway_server.url}/unified/crm/accounts{suffix}", headers=headers,
                                params={"integrated_account_id": account, **params}, json=json_body, timeout=10)

    yield {"provider": provider, "call": call, "integration": integrations["toy"], "provider_url": provider_server.url}
    gateway_server.stop()
    provider_server.stop()


def test_empty_and_filtered_pages_are_read_past(toy):
    provider, call = toy["provider"], toy["call"]
    provider.calls.clear()
    body = call("GET").json()
    assert [r["id"] for r in body["result"]] == ["o1", "o2"]
    assert body["next_cursor"] is None
    assert len(provider.calls) == 3  # the empty page and the all-persons page were read past


def test_runaway_empty_pages_stop_with_502(toy):
    call = toy["call"]
    response = call("GET", **{"remote_query[mode]": "runaway"})
    assert response.status_code == 502
    assert "pages in a row" in response.json()["message"]


def test_a_next_link_elsewhere_is_not_followed(toy):
    """The next call keeps the method's own host and path and takes only the link's query; a link to
    another path would be misread that way, so it is refused."""
    from unigate.engine import pagination
    from unigate.errors import GatewayError

    linked = toy["integration"].resource_method("things", "linked").pagination
    with pytest.raises(GatewayError) as refused:
        pagination.next_position(linked, None, 25, 1, {}, {"link": '<https://elsewhere.example/steal?page=2>; rel="next"'},
                                 "/linked")
    assert refused.value.status == 502


def test_an_error_inside_a_200_gets_the_mapped_status(toy):
    call = toy["call"]
    response = call("GET", "/gone")
    assert response.status_code == 404
    assert response.json()["raw_response"] == {"error": "missing"}


def test_a_write_reads_back_through_get_and_merges_remote_data(toy):
    provider, call = toy["provider"], toy["call"]
    provider.bodies.clear()
    response = call("POST", json={"name": "Nine", "remote_data": {"data": [{"extra": 1}], "trigger": ["x"]}})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == "o9" and response.json()["name"] == "Nine"  # from the read-back get
    assert provider.bodies[-1] == {"data": [{"name": "Nine", "extra": 1}], "trigger": ["x"]}
    raw = call("POST", json={"name": "Raw"}, truto_response_format="raw")
    assert raw.json() == {"created": ["o9"]}  # raw is the write's own answer


def test_read_back_takes_the_unified_body_when_the_answer_names_no_record(toy):
    response = toy["call"]("POST", json={"name": "Quiet"})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": "Quiet", "name": "Nine", "remote_data": {"id": "Quiet", "name": "Nine"}}


def test_a_read_back_that_fails_after_the_write_says_the_write_was_made(toy):
    provider, call = toy["provider"], toy["call"]
    provider.bodies.clear()
    response = call("POST", json={"name": "Gone"})
    assert response.status_code == 502, response.text  # never the get's 404: the record was just written
    body = response.json()
    assert body["message"].startswith("The create was made in Toy CRM (record 'gone'), but reading it back failed")
    assert "Do not send the create again" in body["message"]
    assert body["truto_error_insight"]["write_made"]["value"] == {"id": "gone"}
    assert body["truto_is_remote_error"] is True and body["raw_response"] == {"error": "missing"}
    assert len(provider.bodies) == 1


def test_server_timing_reports_gateway_and_provider_time(toy):
    call = toy["call"]
    timing = call("GET", "/o1").headers["server-timing"]
    parts = dict(part.strip().split(";", 1) for part in timing.split(","))
    assert set(parts) == {"gateway", "provider", "retries"}
    assert float(parts["provider"].removeprefix("dur=")) > 0 and float(parts["gateway"].removeprefix("dur=")) >= 0
    assert parts["retries"] == "desc=0"  # nothing was sent twice


def test_the_page_reader_needs_no_unified_mapping(toy):
    """engine/pages.py on the provider's own list method, as a proxy list reads it: the provider's own
    records, an empty page read past, and the position of the page after."""
    provider = toy["provider"]
    method = toy["integration"].resource_method("things", "list")
    account = prepare_account(toy["integration"], "a1", {"key": "k"}, is_sandbox=True, authentication_method=None,
                              sandbox_url=toy["provider_url"])

    async def read():
        transport = Transport(2.0, 2.0)
        try:
            state = CallState()
            call = ProviderCall(transport)
            first = await pages.read_page(call, account, method, state, position=None, limit=10)
            last = await pages.read_page(call, account, method, state, position=first.next_position, limit=10)
            return first, last, state
        finally:
            await transport.close()

    before = len(provider.calls)
    first, last, state = asyncio.run(read())
    # No mapping, so no filter: the person record the unified list drops is a record here.
    assert first.records == [{"id": "x1", "kind": "person"}] and first.next_position == "p3"
    assert [r["id"] for r in last.records] == ["o1", "o2"] and last.next_position is None
    assert provider.calls[before:] == ["/toy/things?size=10", "/toy/things?size=10&after=p2",
                                       "/toy/things?size=10&after=p3"]
    assert state.retries == 0 and state.provider_seconds > 0 and state.write_progress == "not sent"


STEPPY = """
name: steppy
label: Steppy CRM
base_url: https://steppy.example
sandbox: {context: {}}
auth: [{method: none, fields: []}]
resources:
  boards:
    get: {method: GET, path: /boards}
  people_boards:
    get: {method: GET, path: /people-boards}
  things:
    get: {method: GET, path: "/things/{{id}}"}
"""

STEPPY_MAPPING = """
resource: things
supports: {methods: [get], fields: [id, name]}
record: '{"id": response.id, "name": steps.board.label}'
get:
  before:
    - {name: board, resource: %s, method: get, cache: account}
"""


def test_a_cached_step_is_the_mapping_own_not_any_step_of_that_name(tmp_path):
    """Two resources' mappings with a step named alike: each reads its own lookup, once per account."""
    root = tmp_path / "integrations"
    (root / "steppy" / "crm").mkdir(parents=True)
    (root / "steppy" / "integration.yaml").write_text(textwrap.dedent(STEPPY))
    (root / "steppy" / "crm" / "accounts.yaml").write_text(textwrap.dedent(STEPPY_MAPPING % "boards"))
    (root / "steppy" / "crm" / "contacts.yaml").write_text(textwrap.dedent(STEPPY_MAPPING % "people_boards"))
    integration = load_integrations(root)["steppy"]
    calls: list[str] = []

    async def boards(request: Request):
        calls.append(request.url.path)
        return JSONResponse({"label": "accounts board" if request.url.path.endswith("/boards") else "people board"})

    async def thing(request: Request):
        return JSONResponse({"id": request.path_params["id"]})

    server = start_in_thread(Starlette(routes=[Route("/steppy/boards", boards), Route("/steppy/people-boards", boards),
                                               Route("/steppy/things/{id}", thing)]))
    account = prepare_account(integration, "a1", {}, is_sandbox=True, authentication_method="none",
                              sandbox_url=server.url)

    async def get_both():
        transport = Transport(2.0, 2.0)
        try:
            engine = Engine(load_resources(), ProviderCall(transport))
            answers = []
            for resource in ("accounts", "contacts", "accounts", "contacts"):
                result = await engine.run(UnifiedRequest("crm", resource, "get", account, id="t1"), CallState())
                answers.append(result.body["name"])
            return answers
        finally:
            await transport.close()

    try:
        names = asyncio.run(get_both())
    finally:
        server.stop()
    assert names == ["accounts board", "people board", "accounts board", "people board"]
    assert calls == ["/steppy/boards", "/steppy/people-boards"]  # each lookup once, then from the cache


STEPPY_QUERY_MAPPING = """
resource: things
supports: {methods: [get], fields: [id, name]}
record: '{"id": response.id, "name": response.fields}'
get:
  before:
    - {name: board, resource: boards, method: get, cache: account}
  query: '%s'
"""


@pytest.mark.parametrize(("query", "expected"), [
    # Reads only the cached step: built once per account, the same on every call.
    ('{"fields": steps.board.label}', ["accounts board", "accounts board"]),
    # Reads the id too: built for each call.
    ('{"fields": steps.board.label & "/" & id}', ["accounts board/t1", "accounts board/t2"]),
])
def test_a_query_built_from_per_account_steps_is_right_on_every_call(tmp_path, query, expected):
    root = tmp_path / "integrations"
    (root / "steppy" / "crm").mkdir(parents=True)
    (root / "steppy" / "integration.yaml").write_text(textwrap.dedent(STEPPY))
    (root / "steppy" / "crm" / "accounts.yaml").write_text(textwrap.dedent(STEPPY_QUERY_MAPPING % query))
    integration = load_integrations(root)["steppy"]

    async def board(_: Request):
        return JSONResponse({"label": "accounts board"})

    async def thing(request: Request):
        return JSONResponse({"id": request.path_params["id"], "fields": request.query_params.get("fields")})

    server = start_in_thread(Starlette(routes=[Route("/steppy/boards", board), Route("/steppy/things/{id}", thing)]))
    account = prepare_account(integration, "a1", {}, is_sandbox=True, authentication_method="none",
                              sandbox_url=server.url)

    async def get_twice():
        transport = Transport(2.0, 2.0)
        try:
            engine = Engine(load_resources(), ProviderCall(transport))
            return [(await engine.run(UnifiedRequest("crm", "accounts", "get", account, id=record_id),
                                      CallState())).body["name"] for record_id in ("t1", "t2")]
        finally:
            await transport.close()

    try:
        names = asyncio.run(get_twice())
    finally:
        server.stop()
    assert names == expected


def test_hubspots_property_list_is_built_once_per_account():
    """HubSpot's get and list ask for every property of the portal: a list the query builds from the
    per-account properties lookup alone, so it is worked out once per account, not per request."""
    integration = load_integrations()["hubspot"]
    for method in ("get", "list"):
        mapping = integration.mappings[("crm", "accounts")].methods[method]
        assert reads_only_account_steps(mapping.query, mapping.before)


def test_one_record_is_named_by_the_model_title():
    """Messages about one record use the unified model's title ("opportunities" is not "opportunitie")."""
    from unigate.models import UnifiedResource

    assert load_resources()[("crm", "accounts")].singular == "account"
    assert UnifiedResource("crm", "opportunities", {"title": "Opportunity", "properties": {}}).singular == "opportunity"
    assert UnifiedResource("crm", "notes", {"properties": {}}).singular == "notes"  # no title: the resource name


WHEN_MAPPING = """
resource: things
supports: {methods: [get], fields: [id, name]}
record: '{"id": response.id, "name": $exists(steps.board) ? steps.board.label : "no board"}'
get:
  before:
    - {name: board, resource: boards, method: get, when: 'query.with_board = "yes"'}
"""


def test_a_step_runs_only_when_its_condition_holds(tmp_path):
    """`when` on a step: false skips the call and leaves `steps.<name>` absent; true runs it as usual."""
    root = tmp_path / "integrations"
    (root / "steppy" / "crm").mkdir(parents=True)
    (root / "steppy" / "integration.yaml").write_text(textwrap.dedent(STEPPY))
    (root / "steppy" / "crm" / "accounts.yaml").write_text(textwrap.dedent(WHEN_MAPPING))
    integration = load_integrations(root)["steppy"]
    calls: list[str] = []

    async def boards(request: Request):
        calls.append(request.url.path)
        return JSONResponse({"label": "the board"})

    async def thing(request: Request):
        return JSONResponse({"id": request.path_params["id"]})

    server = start_in_thread(Starlette(routes=[Route("/steppy/boards", boards), Route("/steppy/things/{id}", thing)]))
    account = prepare_account(integration, "a1", {}, is_sandbox=True, authentication_method="none",
                              sandbox_url=server.url)

    async def get(query):
        transport = Transport(2.0, 2.0)
        try:
            engine = Engine(load_resources(), ProviderCall(transport))
            result = await engine.run(UnifiedRequest("crm", "accounts", "get", account, id="t1", query=query), CallState())
            return result.body["name"]
        finally:
            await transport.close()

    try:
        without = asyncio.run(get({}))
        assert calls == []
        with_board = asyncio.run(get({"with_board": "yes"}))
    finally:
        server.stop()
    assert (without, with_board) == ("no board", "the board")
    assert calls == ["/steppy/boards"]


def test_a_whole_answer_is_handed_out_limit_records_at_a_time():
    """The `whole` style (a provider list that does not page): offsets into the one answer, None after the last."""
    records = [{"id": str(i)} for i in range(7)]
    first, following = pages.whole_window(records, None, 3)
    assert [r["id"] for r in first] == ["0", "1", "2"] and following == 3
    second, following = pages.whole_window(records, following, 3)
    assert [r["id"] for r in second] == ["3", "4", "5"] and following == 6
    last, following = pages.whole_window(records, following, 3)
    assert [r["id"] for r in last] == ["6"] and following is None
    exact, following = pages.whole_window(records[:6], 3, 3)
    assert len(exact) == 3 and following is None


SEARCHY = """
name: searchy
label: Searchy CRM
base_url: https://searchy.example
sandbox: {context: {}}
auth: [{method: none, fields: []}]
resources:
  definitions:
    get: {method: GET, path: /definitions}
  things:
    list: {method: GET, path: /things, records: response.items}
    search: {method: POST, path: /things/search, records: response.results, safe_to_repeat: true}
"""

SEARCHY_MAPPING = """
resource: things
supports:
  methods: [list]
  fields: [id, name, updated_at]
  filters: [{updated_at: [gte]}]
record: '{"id": response.id, "name": steps.definitions.label & " " & response.id, "updated_at": response.at}'
list:
  before:
    - {name: definitions, resource: definitions, method: get, cache: account}
  alternatives:
    - when: $exists(query.updated_at)
      method: search
      body: '{"modified_after": $toMillis(query.updated_at.gte)}'
      before:
        - {name: definitions, resource: definitions, method: get, cache: account}
"""


def test_a_filter_only_search_applies_takes_the_alternative_and_lookups_expire(tmp_path):
    """`alternatives`: a list with `updated_at[gte]` goes to the search endpoint with the bound in the CRM's
    form; without it, to the plain list. A cached lookup is reused within the lookup TTL and read again after."""
    root = tmp_path / "integrations"
    (root / "searchy" / "crm").mkdir(parents=True)
    (root / "searchy" / "integration.yaml").write_text(textwrap.dedent(SEARCHY))
    (root / "searchy" / "crm" / "accounts.yaml").write_text(textwrap.dedent(SEARCHY_MAPPING))
    integration = load_integrations(root)["searchy"]
    calls: list[tuple[str, object]] = []

    async def definitions(request: Request):
        calls.append(("definitions", None))
        return JSONResponse({"label": f"defs#{sum(1 for c in calls if c[0] == 'definitions')}"})

    async def things(request: Request):
        calls.append(("list", None))
        return JSONResponse({"items": [{"id": "a", "at": "2026-01-01T00:00:00Z"}]})

    async def search(request: Request):
        calls.append(("search", await request.json()))
        return JSONResponse({"results": [{"id": "b", "at": "2026-02-01T00:00:00Z"}]})

    server = start_in_thread(Starlette(routes=[Route("/searchy/definitions", definitions),
                                               Route("/searchy/things", things),
                                               Route("/searchy/things/search", search, methods=["POST"])]))
    account = prepare_account(integration, "a1", {}, is_sandbox=True, authentication_method="none",
                              sandbox_url=server.url)

    async def lists(queries, pause: float = 0.0):
        transport = Transport(2.0, 2.0)
        try:
            engine = Engine(load_resources(), ProviderCall(transport), lookup_ttl=0.3)
            names = []
            for query in queries:
                if query is None:
                    await asyncio.sleep(pause)
                    continue
                result = await engine.run(UnifiedRequest("crm", "accounts", "list", account, query=query), CallState())
                names += [record["name"] for record in result.body["result"]]
            return names
        finally:
            await transport.close()

    try:
        names = asyncio.run(lists([{}, {"updated_at": {"gte": "2026-01-15T01:00:00+01:00"}}, None, {}], pause=0.4))
    finally:
        server.stop()
    assert [c[0] for c in calls] == ["definitions", "list", "search", "definitions", "list"]
    assert calls[2][1] == {"modified_after": 1768435200000}  # 2026-01-15T00:00:00Z in epoch milliseconds
    assert names == ["defs#1 a", "defs#1 b", "defs#2 a"]
