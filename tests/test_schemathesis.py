"""Property-based fuzzing of every documented route with Schemathesis, against the running gateway's
own `/openapi.json` (docs/reliability.md, "Fuzzing").

Requests carry a valid token and, most of the time, the id of a real sandbox account, so the
fuzzing reaches the engine and the emulators instead of stopping at 401/404. Every answer must match
the document (status code, content type, body schema) and no answer may be a 5xx of the gateway's
own: a 5xx is allowed only as a provider's error (`truto_is_remote_error: true`,
https://www.truto.one/docs/api-reference/overview/errors). The number of examples is bounded so the
whole run stays short.

The unified routes of each registered (integration, resource) are fuzzed with valid inputs as a test
of their own, with that integration's account (`hubspot-accounts-positive`): those inputs reach the
integration's mapping and its emulator. Inputs the document rules out (negative mode) are refused by
the gateway's edge against the resource's own schema (query parsing, the write schema of
edge/unified.py) before any mapping or CRM is involved, so they are fuzzed once per resource, on the
first integration that maps it (`capsule-contacts-negative`). Every other route (health, admin, and
unified resources no integration maps yet, which must answer a documented 404) is fuzzed once.

The document is read once per module (`document`) and each operation's Hypothesis strategy is built
once per mode (`Document.strategy`), and the examples drawn for a resource's operations are drawn once
and sent to every integration that maps it (`fuzz`): with `derandomize` and no example database
Hypothesis draws exactly the same examples for each of them anyway, and drawing the unified bodies
was most of each test's time. Each (integration, resource) still gets every example, on its own
account.
"""

from __future__ import annotations

import asyncio

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support import INTEGRATIONS, REGISTERED, RESOURCES

from unigate.app import create_app
from unigate.cli import create_token
from unigate.serving import start_in_thread
from unigate.settings import Settings

EXAMPLES_PER_OPERATION = 25
NEGATIVE_EXAMPLES_PER_OPERATION = 10
# Per registered (integration, resource) and unified operation: the run grows with each mapping file, so
# each is fuzzed less deeply than the shared routes (about what one CRM got when all shared one pass).
EXAMPLES_PER_RESOURCE_OPERATION = 5
NEGATIVE_EXAMPLES_PER_RESOURCE_OPERATION = 3
MODES = [("positive", EXAMPLES_PER_OPERATION, EXAMPLES_PER_RESOURCE_OPERATION),
         ("negative", NEGATIVE_EXAMPLES_PER_OPERATION, NEGATIVE_EXAMPLES_PER_RESOURCE_OPERATION)]
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


class Fuzzed:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.accounts: list[str] = []  # one sandbox account per integration
        self.account_of: dict[str, str] = {}  # integration -> its sandbox account
        self.target = ""  # an account the admin routes may read and change


@pytest.fixture(scope="module")
def fuzzed(sandbox, tmp_path_factory):
    """A gateway of its own (its own store and environment), so fuzzed writes touch no other test's data."""
    config = Settings(data_dir=tmp_path_factory.mktemp("fuzz"), database_url=None, secret_key=None,
                      sandbox_url=sandbox.url, connect_timeout=2.0, read_timeout=2.0,
                      # Provider waits (a 429's Retry-After, backoff) cut to a 2-second budget: a longer
                      # one is answered as the documented 429 at once instead of being slept through.
                      retry_budget=2.0, retry_base_delay=0.01, retry_max_delay=0.1)
    token = asyncio.run(create_token(config, "fuzz", "fuzz-env"))
    server = start_in_thread(create_app(config))
    target = Fuzzed(server.url, token)
    for name in INTEGRATIONS:
        created = requests.post(f"{server.url}/integrated-account", headers=target.headers, timeout=10,
                                json={"integration": name, "is_sandbox": True, "tenant_id": "fuzz"})
        assert created.status_code == 201, created.text
        target.accounts.append(created.json()["id"])
        target.account_of[name] = created.json()["id"]
    created = requests.post(f"{server.url}/integrated-account", headers=target.headers, timeout=10,
                            json={"integration": "hubspot", "is_sandbox": True, "tenant_id": "fuzz-target"})
    target.target = created.json()["id"]
    yield target
    server.stop()
    for name in INTEGRATIONS:  # fuzzed writes changed the emulators' records: back to the seed data
        sandbox.control(name).reset()


def operations(url: str):
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


class Document:
    """The gateway's document, its operations and their strategies, read and built once per module."""

    def __init__(self, url: str) -> None:
        self.operations = operations(url)
        self.shapes = UnifiedShapes(requests.get(f"{url}/openapi.json", timeout=5).json())
        self._strategies: dict[tuple[str, str], object] = {}
        # (operation, mode, examples, accounts) -> the examples drawn, as (query, path parameters, case, pick)
        self.drawn: dict[tuple, list[tuple]] = {}

    def strategy(self, operation, mode: str):
        key = (operation.label, mode)
        if key not in self._strategies:
            self._strategies[key] = operation.as_strategy(schemathesis.GenerationMode(mode))
        return self._strategies[key]


@pytest.fixture(scope="module")
def document(fuzzed) -> Document:
    return Document(fuzzed.url)


class UnifiedShapes:
    """The document's unified-shape branch of each unified 200 (`anyOf[0]`): the schema a unified or
    normalized answer must match, where the document also allows the provider's raw body."""

    def __init__(self, document: dict) -> None:
        self.registry = Registry().with_resource("urn:unigate", Resource(document, DRAFT202012))
        self.validators: dict[tuple[str, str], Draft202012Validator] = {}  # references resolved once

    def check(self, method: str, path: str, response) -> None:
        validator = self.validators.get((method, path))
        if validator is None:
            pointer = "/".join(["#/paths", path.replace("~", "~0").replace("/", "~1"), method.lower(),
                                "responses/200/content/application~1json/schema/anyOf/0"])
            validator = Draft202012Validator({"$ref": f"urn:unigate{pointer}"}, registry=self.registry)
            self.validators[(method, path)] = validator
        errors = [e.message for e in validator.iter_errors(response.json())]
        assert not errors, f"{method} {path}: the unified answer does not match the document: {errors[:3]}"


def test_the_document_describes_every_route(document):
    labels = {op.label for op in document.operations}
    assert {"GET /health", "GET /integration", "GET /integration/{name}", "GET /integrated-account",
            "POST /integrated-account", "GET /integrated-account/{id}", "PATCH /integrated-account/{id}",
            "DELETE /integrated-account/{id}", "GET /unified/crm/accounts", "POST /unified/crm/accounts",
            "GET /unified/crm/accounts/{id}", "PATCH /unified/crm/accounts/{id}",
            "DELETE /unified/crm/accounts/{id}", "GET /proxy/{resource}", "POST /proxy/{resource}",
            "GET /proxy/{resource}/{id}", "PATCH /proxy/{resource}/{id}", "DELETE /proxy/{resource}/{id}",
            "POST /proxy/accounts/industries", "GET /custom/{path}", "POST /custom/{path}", "PUT /custom/{path}",
            "PATCH /custom/{path}", "DELETE /custom/{path}", "GET /integration/{name}/capabilities",
            "GET /integrated-account/{id}/capabilities", "POST /integrated-account/token",
            "GET /integrated-account/me", "PATCH /integrated-account/me", "GET /api-token", "DELETE /api-token/{id}",
            "GET /unified/{model}/{resource}/meta/{method}",
            "GET /unified/{model}/{resource}/{integration}/meta/{method}", "GET /webhook", "POST /webhook",
            "POST /webhook/test", "GET /webhook/{id}", "PATCH /webhook/{id}", "DELETE /webhook/{id}"} <= labels
    for model, resource in RESOURCES:  # every unified model, mapped by an integration or not yet
        base = f"/unified/{model}/{resource}"
        assert {f"GET {base}", f"POST {base}", f"GET {base}/{{id}}", f"PATCH {base}/{{id}}",
                f"DELETE {base}/{{id}}"} <= labels, resource


def assert_not_the_gateways_failure(response) -> None:
    if response.status_code >= 500:
        body = response.json()
        assert body.get("truto_is_remote_error") is True, \
            f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:500]}"


def unified_path_of(resource: str) -> tuple[str, str]:
    return f"/unified/crm/{resource}", f"/unified/crm/{resource}/{{id}}"


REGISTERED_PATHS = {path for _, resource in REGISTERED for path in unified_path_of(resource)}


def fuzz(fuzzed, document: Document, operations_to_fuzz, mode: str, examples: int, accounts: list[str]) -> None:
    """Fuzz each operation; `integrated_account_id` is usually one of `accounts` (the last pick keeps the
    generated id: an unknown account, 404).

    The examples Hypothesis draws for an operation depend only on its strategy and the number of accounts
    (`derandomize`, no example database): the same for every integration of a resource. So they are drawn
    once (`Document.drawn`) and sent again, unchanged but for the account, for each other integration.
    """
    session = requests.Session()
    shapes = document.shapes
    for operation in operations_to_fuzz:
        query_names = {p.name for p in operation.query}
        path_names = {p.name for p in operation.path_parameters}
        admin_account_route = operation.path == "/integrated-account/{id}"

        def exercise(case, pick, operation=operation, query_names=query_names, path_names=path_names,
                     admin_account_route=admin_account_route):
            if "integrated_account_id" in query_names and pick < len(accounts):
                case.query = {**(case.query or {}), "integrated_account_id": accounts[pick]}
            if admin_account_route and "id" in path_names and case.method != "DELETE" and pick % 2 == 0:
                case.path_parameters = {**case.path_parameters, "id": fuzzed.target}
            response = case.call(base_url=fuzzed.url, session=session, headers=fuzzed.headers, timeout=15)
            assert_not_the_gateways_failure(response)
            case.validate_response(response, checks=CHECKS, headers=fuzzed.headers)
            response_format = (case.query or {}).get("truto_response_format") or "unified"
            if operation.path.startswith("/unified/") and response.status_code == 200 \
                    and response_format in ("unified", "normalized"):
                shapes.check(case.method, operation.path, response)

        key = (operation.label, mode, examples, len(accounts))
        if key in document.drawn:
            for query, path_parameters, case, pick in document.drawn[key]:
                case.query, case.path_parameters = dict(query), dict(path_parameters)
                exercise(case, pick)
            continue
        drawn: list[tuple] = []

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=document.strategy(operation, mode), pick=st.integers(min_value=0, max_value=len(accounts)))
        def run(case, pick):
            drawn.append((dict(case.query or {}), dict(case.path_parameters or {}), case, pick))
            exercise(case, pick)

        try:
            run()
        except Unsatisfiable:
            assert mode == "negative", operation.label  # e.g. GET /health: no input to make invalid
        document.drawn[key] = drawn
    health = requests.get(f"{fuzzed.url}/health", timeout=5)
    assert health.status_code == 200  # and the gateway still serves


@pytest.mark.parametrize("mode, examples", [pytest.param(mode, shared, id=mode) for mode, shared, _ in MODES])
def test_fuzz_every_shared_operation_against_the_document(fuzzed, document, mode, examples):
    """Positive: valid inputs by the document. Negative: inputs the document rules out, which must be
    refused with a documented 4xx, never a 5xx. Every route but the registered resources' unified ones."""
    shared = [op for op in document.operations if op.path not in REGISTERED_PATHS]
    fuzz(fuzzed, document, shared, mode, examples, fuzzed.accounts)


def per_resource_params() -> list:
    """Positive mode on every registered (integration, resource); negative mode on each resource's first one."""
    firsts = {resource: name for name, resource in reversed(REGISTERED)}
    return [pytest.param(name, resource, mode, per, id=f"{name}-{resource}-{mode}")
            for name, resource in REGISTERED for mode, _, per in MODES
            if mode == "positive" or firsts[resource] == name]


@pytest.mark.parametrize("name, resource, mode, examples", per_resource_params())
def test_fuzz_each_registered_resource_against_the_document(fuzzed, document, name, resource, mode, examples):
    """The unified routes of one (integration, resource), on that integration's account."""
    paths = unified_path_of(resource)
    mine = [op for op in document.operations if op.path in paths]
    assert len(mine) == 5, [op.label for op in mine]  # list, create, get, update, delete
    fuzz(fuzzed, document, mine, mode, examples, [fuzzed.account_of[name]])
