"""Helpers shared by the test modules (importable thanks to `pythonpath = ["tests"]`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from unigate.engine.spec import load_integrations
from unigate.models import load_resources

SPECS = load_integrations()
INTEGRATIONS = sorted(SPECS)


def shared_sandbox(name: str, **context: Any) -> dict[str, Any]:
    """An account body for `name` on the sandbox's shared `default` data space: the documented sandbox
    credentials, which `sandbox.control(name)` reads and reseeds (a sandbox account created without
    credentials gets a data space of its own; docs/testing.md "Sandbox data spaces")."""
    return {"integration": name, "is_sandbox": True, "context": {**SPECS[name].sandbox_context, **context}}
RESOURCES = load_resources()
# Every (CRM, resource) an integration maps, from its files (`crm/<resource>.yaml`): the suites that hold
# every resource to the contract are parametrised by it, so a new mapping file is tested with no test edit.
# Every (CRM, resource) pair that reads records; the record-generic suites run over these. A write-only resource
# (crm/associations, create only) has no record to read back and its own suite (tests/test_associations.py).
_CRM_PAIRS = sorted((name, resource) for name in INTEGRATIONS for (model, resource) in SPECS[name].mappings
                    if model == "crm")
REGISTERED: list[tuple[str, str]] = [(name, resource) for name, resource in _CRM_PAIRS
                                     if {"list", "get"} & set(SPECS[name].mappings[("crm", resource)].methods)]
WRITE_ONLY: list[tuple[str, str]] = [pair for pair in _CRM_PAIRS if pair not in REGISTERED]
REGISTERED_IDS = [f"{name}-{resource}" for name, resource in REGISTERED]


def registered_params() -> list:
    """REGISTERED as pytest params with readable ids (`hubspot-accounts`)."""
    import pytest

    return [pytest.param(name, resource, id=f"{name}-{resource}") for name, resource in REGISTERED]


# The provider call is one layer per CRM (engine/provider_call.py: retries, timeouts, resets, 429/503,
# bodies that are not JSON, HTML error pages, expired tokens), whatever the resource. What exercises only
# that layer runs once per CRM, on this resource (or, for a CRM that does not map it, on its first one);
# docs/testing.md "Running in parallel" has the rule.
PROVIDER_LAYER_RESOURCE = "accounts"


def provider_layer_resource(name: str) -> str:
    """The resource on which `name`'s provider layer is tested in full."""
    mine = [resource for crm, resource in REGISTERED if crm == name]
    return PROVIDER_LAYER_RESOURCE if PROVIDER_LAYER_RESOURCE in mine else mine[0]


def is_provider_layer_pair(name: str, resource: str) -> bool:
    return provider_layer_resource(name) == resource


def provider_layer_params() -> list:
    """One (integration, resource) param per integration: the pair its provider layer is tested on."""
    return [param for param, (name, resource) in zip(registered_params(), REGISTERED, strict=True)
            if is_provider_layer_pair(name, resource)]


def unified_schema(resource: str):
    return RESOURCES[("crm", resource)]


ACCOUNTS_SCHEMA = unified_schema("accounts")


def mapping(name: str, resource: str = "accounts"):
    return SPECS[name].mappings[("crm", resource)]


def accounts_mapping(name: str):
    return mapping(name, "accounts")


def supports(name: str, method: str, resource: str = "accounts") -> bool:
    return method in mapping(name, resource).methods


def list_all(gateway, name: str, limit: int = 7, params: dict | None = None, max_pages: int = 200,
             resource: str = "accounts") -> list[list[dict]]:
    """Every page of the unified list, checking the envelope on the way."""
    pages = []
    cursor = None
    for _ in range(max_pages):
        query = {"limit": limit, **(params or {})}
        if cursor is not None:
            query["next_cursor"] = cursor
        response = gateway.unified("GET", name, params=query, resource=resource)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) >= {"result", "next_cursor", "prev_cursor", "result_count"}
        assert body["result_count"] == len(body["result"])
        assert len(body["result"]) <= limit
        if body["next_cursor"] is not None:
            # Truto's Python SDK stops at an empty page
            # (https://github.com/trutohq/truto-python-sdk, pagination_result.py).
            assert body["result"], "an empty page must not carry a next_cursor"
        pages.append(body["result"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the list did not end")


# -- what the contract writes, per resource --------------------------------------------------------------

@dataclass(frozen=True)
class ResourceCase:
    """What the resource-generic suites need to know of one unified resource (never of one CRM).

    `candidates(marker, existing, links)` proposes a value for each field a create may carry; the
    mapping's writable fields pick among them. `label_fields`: text fields, by preference, that a test
    writes a marker into (creates, renames); the first one a mapping can write is used. `links`: a
    field that points to a record of another resource (a contact's account), filled from an existing one.
    """

    candidates: Callable[[str, dict[str, Any], dict[str, Any]], dict[str, Any]]
    label_fields: tuple[str, ...]
    equal_fields: tuple[str, ...]   # read back exactly as sent
    excluded: tuple[str, ...]       # for truto_exclude_fields: a top-level field and a nested one (if any)
    links: dict[str, str] = field(default_factory=dict)
    # Query parameters every call on the resource carries unless the test gives its own (crm/fields' `entity`).
    query: dict[str, str] = field(default_factory=dict)
    # Which seeded records a delete test may remove (a CRM refuses to delete its standard fields).
    deletable: Callable[[dict[str, Any]], bool] = lambda record: True


def _account_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": f"Contract Co {marker}",
        "description": f"Created by the contract suite ({marker})",
        "industry": existing.get("industry") or "Software",
        "website": f"https://contract-{marker}.example.com",
        "number_of_employees": 42,
        "owner": existing.get("owner"),
        "addresses": [{"street_1": "1 Contract Street", "city": "Springfield", "state": "Oregon",
                       "postal_code": "97477", "country": "US"}],
        "phone_numbers": [{"number": "+1 541 555 0100"}],
        "urls": [{"url": f"https://contract-{marker}.example.com"}],
        "tags": (existing.get("tags") or [])[:1],
    }


def _contact_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {
        "first_name": "Ada",
        "last_name": f"Contract {marker}",
        "name": f"Ada Contract {marker}",
        "title": "Head of Testing",
        "account": links.get("account") or existing.get("account"),
        "owner": existing.get("owner"),
        "email_addresses": [{"email": f"ada.{marker}@contract.example.com"}],
        "phone_numbers": [{"number": "+1 541 555 0101"}],
        "addresses": [{"street_1": "2 Contract Street", "city": "Springfield", "state": "Oregon",
                       "postal_code": "97477", "country": "US"}],
        "urls": [{"url": f"https://contract-{marker}.example.com/ada"}],
        "tags": (existing.get("tags") or [])[:1],
    }


def _opportunity_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": f"Contract Deal {marker}",
        "description": f"Opened by the contract suite ({marker})",
        "amount": 12500,
        "currency": existing.get("currency") or "EUR",
        "owner": existing.get("owner"),
        "account": links.get("account") or existing.get("account"),
        "contact": [links["contact"]] if links.get("contact") else (existing.get("contact") or [])[:1],
        # a stage of the seeded deal's own pipeline, by id (its name is the CRM's to say)
        "stage": {"id": existing["stage"]["id"]} if existing.get("stage") else None,
        "status": "open",
        "close_date": "2027-03-31T00:00:00Z",
        "tags": (existing.get("tags") or [])[:1],
    }


def _pipeline_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"Contract Pipeline {marker}", "entity": existing.get("entity") or "opportunity"}


def _stage_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    pipeline = links.get("pipeline") or existing.get("pipeline")
    return {"name": f"Contract Stage {marker}", "pipeline": {"id": pipeline["id"]} if pipeline else None}


def _activity_links(existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    """The account, contacts and deals an activity hangs off: the ones given, else the seeded record's."""
    return {
        "account": links.get("account") or existing.get("account"),
        "contact": [links["contact"]] if links.get("contact") else (existing.get("contact") or [])[:1],
        "opportunity": [links["opportunity"]] if links.get("opportunity") else (existing.get("opportunity") or [])[:1],
    }


def _note_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": f"Contract note {marker}",
        "content": f"Written by the contract suite ({marker})",
        "owner": existing.get("owner"),
        "visibility": existing.get("visibility"),
        **_activity_links(existing, links),
    }


def _task_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    # The seeded task's due date says which the CRM keeps: an all-day date or a time.
    due = "2027-03-31T15:00:00Z" if "T" in (existing.get("due_date") or "T") else "2027-03-31"
    return {
        "subject": f"Contract task {marker}",
        "content": f"Opened by the contract suite ({marker})",
        "type": {"id": existing["type"]["id"]} if (existing.get("type") or {}).get("id") else None,
        "owner": {"id": existing["owner"]["id"]} if (existing.get("owner") or {}).get("id") else None,
        "due_date": due,
        "status": "open",
        **_activity_links(existing, links),
    }


def _engagement_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": f"Contract call {marker}",
        "content": f"Logged by the contract suite ({marker})",
        "engagement_type": existing.get("engagement_type"),
        "direction": "outbound",
        "owner": existing.get("owner"),
        "start_time": "2027-01-15T10:00:00Z",
        "end_time": "2027-01-15T10:30:00Z",
        **_activity_links(existing, links),
    }


def _engagement_type_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"Contract type {marker}", "type": existing.get("type")}


def _user_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"Contract User {marker}", "email": f"user.{marker}@contract.example.com".lower(), "is_active": True}


def _lead_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    return {
        "first_name": "Grace",
        "last_name": f"Lead {marker}",
        "name": f"Grace Lead {marker}",
        "title": f"Contract lead {marker}",
        "company_name": f"Lead Co {marker}",
        "owner": existing.get("owner"),
        "lead_source": existing.get("lead_source"),
        "status": existing.get("status"),
        "account": links.get("account") or existing.get("account"),
        "contact": links.get("contact") or existing.get("contact"),
        "email_addresses": [{"email": f"grace.{marker}@lead.example.com".lower()}],
        "phone_numbers": [{"number": "+1 541 555 0102"}],
        "addresses": [{"street_1": "3 Lead Street", "city": "Springfield", "state": "Oregon",
                       "postal_code": "97477", "country": "US"}],
    }


def _field_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    # A custom field's API name: lower-case letters, digits and underscores fit every CRM's rules.
    slug = "".join(c if c.isalnum() else "_" for c in marker.lower())
    return {
        "name": f"contract_{slug}",
        "label": f"Contract field {marker}",
        "description": f"Added by the contract suite ({marker})",
        "type": "string",
        "entity_type": existing.get("entity_type") or "contact",
        "field_groups": (existing.get("field_groups") or [])[:1],
    }


def _field_group_candidates(marker: str, existing: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    slug = "".join(c if c.isalnum() else "_" for c in marker.lower())
    return {"name": f"contract_{slug}", "label": f"Contract group {marker}",
            "entity_type": existing.get("entity_type") or "contact"}


ACTIVITY_LINKS = {"account": "accounts", "contact": "contacts", "opportunity": "opportunities"}

RESOURCE_CASES: dict[str, ResourceCase] = {
    "accounts": ResourceCase(_account_candidates, label_fields=("name",),
                             equal_fields=("name", "description", "industry", "website", "number_of_employees"),
                             excluded=("name", "addresses.city")),
    "contacts": ResourceCase(_contact_candidates, label_fields=("last_name", "name", "first_name"),
                             equal_fields=("first_name", "last_name", "title"),
                             excluded=("name", "addresses.city"), links={"account": "accounts"}),
    "opportunities": ResourceCase(_opportunity_candidates, label_fields=("name",),
                                  equal_fields=("name", "description", "amount", "currency"),
                                  excluded=("description", "stage.name"),
                                  links={"account": "accounts", "contact": "contacts"}),
    "pipelines": ResourceCase(_pipeline_candidates, label_fields=("name",), equal_fields=("name",),
                              excluded=("created_at", "stages.name")),
    "stages": ResourceCase(_stage_candidates, label_fields=("name",), equal_fields=("name",),
                           excluded=("position", "pipeline.name"), links={"pipeline": "pipelines"}),
    "notes": ResourceCase(_note_candidates, label_fields=("title", "content"), equal_fields=("title",),
                          excluded=("content", "account.id"), links=ACTIVITY_LINKS),
    "tasks": ResourceCase(_task_candidates, label_fields=("subject", "content"), equal_fields=("subject", "status"),
                          excluded=("content", "owner.id"), links=ACTIVITY_LINKS),
    "engagements": ResourceCase(_engagement_candidates, label_fields=("subject", "content"),
                                equal_fields=("subject", "engagement_type"), excluded=("content", "account.id"),
                                links=ACTIVITY_LINKS),
    "users": ResourceCase(_user_candidates, label_fields=("name",), equal_fields=("name", "email"),
                          excluded=("email", "urls.url")),
    "leads": ResourceCase(_lead_candidates, label_fields=("last_name", "name", "title"),
                          equal_fields=("first_name", "last_name"), excluded=("title", "owner.id"),
                          links={"account": "accounts", "contact": "contacts"}),
    "fields": ResourceCase(_field_candidates, label_fields=("label",), equal_fields=("label",),
                           excluded=("label", "options.value"), query={"entity": "contact"},
                           deletable=lambda field: field.get("is_user_defined") is True),
    "field_groups": ResourceCase(_field_group_candidates, label_fields=("label", "name"), equal_fields=("label",),
                                 excluded=("label",), query={"entity": "contact"}),
    "engagement_types": ResourceCase(_engagement_type_candidates, label_fields=("name",), equal_fields=("name",),
                                     excluded=("name",)),
}


def resource_case(resource: str) -> ResourceCase:
    assert resource in RESOURCE_CASES, f"tests/support.py: add a ResourceCase for {resource} to RESOURCE_CASES"
    return RESOURCE_CASES[resource]


def label_field(name: str, resource: str = "accounts") -> str:
    """The text field a test writes a marker into on this mapping (the resource's first one it can write)."""
    writable = mapping(name, resource).writable
    case = resource_case(resource)
    return next((f for f in case.label_fields if f in writable), case.label_fields[0])


def linked_records(gateway, name: str, resource: str = "accounts") -> dict[str, Any]:
    """For each link of the resource the mapping can write, `{"id": …}` of an existing record it may point to."""
    links: dict[str, Any] = {}
    for link, target in resource_case(resource).links.items():
        if link not in mapping(name, resource).writable or not supports(name, "list", target):
            continue
        listed = gateway.unified("GET", name, params={"limit": 1}, resource=target)
        assert listed.status_code == 200, listed.text
        if listed.json()["result"]:
            links[link] = {"id": listed.json()["result"][0]["id"]}
    return links


def sample_write_body(name: str, existing: dict[str, Any], resource: str = "accounts",
                      links: dict[str, Any] | None = None) -> dict[str, Any]:
    """A create body with every field the integration declares writable.

    Values a CRM validates against its own data (owner ids, tags, industry enumerations, the account a
    contact belongs to) are taken from an existing record of the sandbox (`existing`, `links`).
    """
    writable = set(mapping(name, resource).writable)
    marker = uuid.uuid4().hex[:8]
    candidates = resource_case(resource).candidates(marker, existing, links or {})
    body = {k: v for k, v in candidates.items() if k in writable and v not in (None, [], {})}
    return one_link_per_group(name, resource, body)


def one_link_per_group(name: str, resource: str, body: dict[str, Any], keep: str | None = None) -> dict[str, Any]:
    """`body` with one item left of each group of links the CRM takes one of (`supports.exclusive`): `keep`, or
    the group's first field the body names."""
    body = dict(body)
    for group in mapping(name, resource).exclusive:
        named = [f for f in group if body.get(f) not in (None, [], {})]
        if not named:
            continue
        chosen = keep if keep in named else named[0]
        for f in named:
            if f != chosen:
                body.pop(f)
        if isinstance(body[chosen], list):
            body[chosen] = body[chosen][:1]
    return body


def country_code(value: Any) -> Any:
    """The ISO 3166-1 alpha-2 code of a country code or name, as pycountry knows it; other text unchanged
    (what a unified record answers for a CRM's country)."""
    import pycountry

    try:
        return pycountry.countries.lookup(value).alpha_2 if isinstance(value, str) and value else value
    except LookupError:
        return value


def phone_digits(number: Any) -> str:
    """A phone number's digits, without spaces, dashes, brackets or a leading +."""
    return "".join(ch for ch in str(number or "") if ch.isdigit())


def assert_reads_back(name: str, sent: dict[str, Any], got: dict[str, Any], resource: str = "accounts") -> None:
    """The unified record holds what was written (for the fields the integration can write)."""
    where = f"{name}-{resource}"
    for key in resource_case(resource).equal_fields:
        if key in sent:
            assert got.get(key) == sent[key], f"{where}: {key} sent {sent[key]!r}, read back {got.get(key)!r}"
    for link in ("owner", "account", "stage", "pipeline"):
        if link in sent:
            assert (got.get(link) or {}).get("id") == sent[link]["id"], f"{where}: {link} {got.get(link)}"
    for many in ("contact", "opportunity", "lead"):  # linked lists: every one sent is on the record
        if many in sent:  # one linked record (a lead's contact) or a list of them
            as_list = lambda v: [v] if isinstance(v, dict) else v or []  # noqa: E731
            ids = {c.get("id") for c in as_list(got.get(many))}
            assert {c["id"] for c in as_list(sent[many])} <= ids, f"{where}: {many} {got.get(many)}"
    if "addresses" in sent:
        address = (got.get("addresses") or [{}])[0]
        for key in ("street_1", "city"):
            assert address.get(key) == sent["addresses"][0][key], f"{where}: addresses[0].{key}: {address}"
    for listed, key in (("phone_numbers", "number"), ("email_addresses", "email"), ("urls", "url")):
        if listed in sent:
            values = [item.get(key) for item in got.get(listed) or []]
            if listed == "phone_numbers":
                # The same number in the CRM's own spelling (Nutshell keeps E.164: +15415550100).
                values = [phone_digits(v) for v in values]
                assert phone_digits(sent[listed][0][key]) in values, f"{where}: {listed} {values}"
            else:
                assert sent[listed][0][key] in values, f"{where}: {listed} {values}"
    if "tags" in sent:
        wanted = sent["tags"][0]
        tags = got.get("tags") or []
        assert any((t.get("id") and t.get("id") == wanted.get("id")) or (t.get("name") and t.get("name") == wanted.get("name"))
                   for t in tags), f"{where}: tags {tags}"


def wrong_credentials(name: str) -> dict[str, Any]:
    """The sandbox context with every secret credential replaced by a wrong value."""
    spec = SPECS[name]
    context = dict(spec.sandbox_context)
    for credential in spec.auth[0].fields:
        if credential.secret:
            context[credential.name] = "wrong-credential"
    return context


async def postgres_admin(server_url: str, statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the PostgreSQL server of a SQLAlchemy URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gateway(env: dict[str, str], log_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`unigate serve` as a process of its own, its output in `log_path`; returns once /health answers."""
    import leakscan

    port = free_port()
    # The sources under test, whichever checkout they are in (not only the one installed as `unigate`).
    import unigate

    # `unigate serve` turns sandbox accounts off unless asked; these gateways call the test sandboxes.
    env = {"UNIGATE_SANDBOXES": "on", **env, "PYTHONPATH": str(Path(unigate.__file__).resolve().parents[1])}
    leakscan.scan_file(log_path, f"output of unigate serve ({log_path.name})")  # secrets must not show in it
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-m", "unigate.cli", "serve", "--port", str(port), *args],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"unigate serve exited: {log_path.read_text()}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"unigate serve did not answer: {log_path.read_text()}")


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


TEST_DATABASE = os.environ.get("UNIGATE_TEST_DATABASE", "sqlite")


@contextlib.contextmanager
def gateway_database(prefix: str = "unigate_gw"):
    """The database URL for a test gateway: None (SQLite in its data dir) normally; a fresh PostgreSQL
    database, dropped afterwards, when UNIGATE_TEST_DATABASE=postgresql (the suite's second run in CI,
    see the Makefile)."""
    if TEST_DATABASE != "postgresql":
        yield None
        return
    server_url = os.environ.get("UNIGATE_TEST_POSTGRES_URL")
    if not server_url:
        raise RuntimeError("UNIGATE_TEST_DATABASE=postgresql needs UNIGATE_TEST_POSTGRES_URL")
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(postgres_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(postgres_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def assert_unified_record(unified: dict[str, Any], want: dict[str, Any], same_instant) -> None:
    """`unified` holds every expected field: timestamps compared as instants (`same_instant(got, want)`)
    and written as RFC 3339 UTC, addresses compared without their empty members, the rest as equals."""
    for key, value in want.items():
        got = unified.get(key)
        if key.endswith("_at"):
            assert same_instant(got, value), f"{key}: {got!r} from {value!r}"
            if got is not None:
                assert got.endswith("Z") and "T" in got  # RFC 3339 UTC
        elif key == "addresses":
            assert [{k: v for k, v in a.items() if v is not None} for a in got] == \
                   [{k: v for k, v in a.items() if v is not None} for a in value], key
        else:
            assert got == value, f"{key}: {got!r} != {value!r}"


def reset_for_test(sandbox, name: str, request):
    """The CRM's sandbox reseeded, and the test gateway (if the test uses it) told to forget what it
    looked up in the old data."""
    control = sandbox.control(name)
    control.reset()
    if "gateway" in request.fixturenames:
        request.getfixturevalue("gateway").forget_lookups()
    return control
